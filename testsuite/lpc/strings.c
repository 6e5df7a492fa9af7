// Strings: concatenation, indexing (char codes), '<' indices, ranges,
// comparison, copy-on-write assignment to a character.
#include "assert.h"

string global_s = "hello";

int main(string *args)
{
    string s = "hello";
    ASSERT_EQ(s + " world", "hello world");
    ASSERT_EQ("n=" + 42, "n=42");
    ASSERT_EQ(42 + "!", "42!");
    ASSERT_EQ("x" + 1.5, "x1.5");
    ASSERT_EQ("a" "b" "c", "abc");
    ASSERT_EQ(sizeof(s), 5);
    ASSERT_EQ(sizeof(""), 0);

    // indexing gives the character code
    ASSERT_EQ(s[0], 'h');
    ASSERT_EQ(s[4], 'o');
    ASSERT_EQ(s[<1], 'o');
    ASSERT_EQ(s[<5], 'h');
    ASSERT_ERROR(s[5], "out of bounds");
    ASSERT_ERROR(s[-1], "out of bounds");
    ASSERT_ERROR(s[<6], "out of bounds");
    ASSERT_ERROR(s[<0], "out of bounds");

    // ranges (inclusive), clamped when out of range
    ASSERT_EQ(s[1..3], "ell");
    ASSERT_EQ(s[1..], "ello");
    ASSERT_EQ(s[..1], "he");
    ASSERT_EQ(s[<3..], "llo");
    ASSERT_EQ(s[0..<2], "hell");
    ASSERT_EQ(s[<2..<1], "lo");
    ASSERT_EQ(s[3..1], "");
    ASSERT_EQ(s[2..100], "llo");
    ASSERT_EQ(s[-5..1], "he");
    ASSERT_EQ(s[10..20], "");
    ASSERT_EQ(s[<100..0], "h");

    // comparison
    ASSERT("abc" < "abd");
    ASSERT("abc" < "abcd");
    ASSERT("b" > "abc");
    ASSERT("abc" == "ab" + "c");
    ASSERT("abc" != "abd");
    ASSERT("a" <= "a" && "a" >= "a");

    // assignment to a character makes a new string (copy on write)
    string t = s;
    t[0] = 'j';
    ASSERT_EQ(t, "jello");
    ASSERT_EQ(s, "hello");
    t[<1] = 'y';
    ASSERT_EQ(t, "jelly");
    global_s[1] = 'a';
    ASSERT_EQ(global_s, "hallo");
    t[0] += 1;
    ASSERT_EQ(t, "kelly");
    ASSERT_ERROR(t[5] = 'x', "out of bounds");

    // strings may hold any byte
    string z = "a\0b";
    ASSERT_EQ(sizeof(z), 3);
    ASSERT_EQ(z[1], 0);
    ASSERT_EQ(z[2], 'b');

    // escapes
    ASSERT_EQ(sizeof("\n\t\\\""), 4);
    ASSERT_EQ("\x41", "A");
    return 0;
}
