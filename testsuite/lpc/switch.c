// switch on ints (with ranges, dense and sparse) and strings.
#include "assert.h"

string kind(int c)
{
    switch (c) {
    case 'a'..'z': return "lower";
    case 'A'..'Z': return "upper";
    case '0'..'9': return "digit";
    case -100..-1: return "negative";
    case ' ':
    case '\t':
        return "space";
    default: return "other";
    }
}

int dense(int x)
{
    switch (x) {
    case 0: return 10;
    case 1: return 11;
    case 2: return 12;
    case 3: return 13;
    case 5: return 15;
    }
    return -1;
}

int sparse(int x)
{
    switch (x) {
    case 1000000: return 1;
    case -5: return 2;
    case 9223372036854775807: return 3;
    default: return 0;
    }
}

string word(string s)
{
    switch (s) {
    case "apple": return "fruit";
    case "carrot": return "vegetable";
    case "": return "empty";
    case 0: return "zero";
    default: return "unknown";
    }
}

int main(string *args)
{
    ASSERT_EQ(kind('q'), "lower");
    ASSERT_EQ(kind('Q'), "upper");
    ASSERT_EQ(kind('7'), "digit");
    ASSERT_EQ(kind(-50), "negative");
    ASSERT_EQ(kind(' '), "space");
    ASSERT_EQ(kind('\t'), "space");
    ASSERT_EQ(kind('!'), "other");
    for (int i = -2; i <= 6; i++)
        ASSERT_EQ(dense(i), (i >= 0 && i <= 3) ? 10 + i : i == 5 ? 15 : -1);
    ASSERT_EQ(sparse(1000000), 1);
    ASSERT_EQ(sparse(-5), 2);
    ASSERT_EQ(sparse(9223372036854775807), 3);
    ASSERT_EQ(sparse(4), 0);
    ASSERT_EQ(word("apple"), "fruit");
    ASSERT_EQ(word("carrot"), "vegetable");
    ASSERT_EQ(word(""), "empty");
    ASSERT_EQ(word("appl" + "e"), "fruit");
    ASSERT_EQ(word("pear"), "unknown");
    ASSERT_EQ(word(0), "zero");

    // fall through, break, and continue of the enclosing loop
    int total = 0;
    for (int i = 0; i < 5; i++) {
        switch (i) {
        case 0:
            total += 1;
        case 1:
            total += 10;
            break;
        case 2:
            continue;
        default:
            total += 100;
        }
        total += 1000;
    }
    ASSERT_EQ(total, 1 + 10 + 1000 + 10 + 1000 + 100 + 1000 + 100 + 1000);

    // a switch with no matching case and no default does nothing
    int hit = 0;
    switch (42) { case 1: hit = 1; }
    ASSERT_EQ(hit, 0);
    // nested switch
    switch (1) {
    case 1:
        switch ("x") { case "x": hit = 5; break; }
        hit++;
        break;
    }
    ASSERT_EQ(hit, 6);
    return 0;
}
