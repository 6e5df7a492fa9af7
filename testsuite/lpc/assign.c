// Assignment: chains, every compound operator, ++/-- on locals, globals
// and elements, &&= ||=, assignment as an expression.
#include "assert.h"

int g = 5;
int *ga = ({ 1, 2 });

int main(string *args)
{
    int a, b, c;
    a = b = c = 4;
    ASSERT_EQ(a + b + c, 12);
    a += 3; ASSERT_EQ(a, 7);
    a -= 2; ASSERT_EQ(a, 5);
    a *= 4; ASSERT_EQ(a, 20);
    a /= 3; ASSERT_EQ(a, 6);
    a %= 4; ASSERT_EQ(a, 2);
    a <<= 3; ASSERT_EQ(a, 16);
    a >>= 2; ASSERT_EQ(a, 4);
    a |= 3; ASSERT_EQ(a, 7);
    a &= 5; ASSERT_EQ(a, 5);
    a ^= 1; ASSERT_EQ(a, 4);
    a = 0;
    a ||= 9; ASSERT_EQ(a, 9);
    a ||= 1; ASSERT_EQ(a, 9);
    a &&= 3; ASSERT_EQ(a, 3);
    a = 0;
    a &&= 3; ASSERT_EQ(a, 0);

    int i = 5;
    ASSERT_EQ(i++, 5);
    ASSERT_EQ(i, 6);
    ASSERT_EQ(++i, 7);
    ASSERT_EQ(i--, 7);
    ASSERT_EQ(--i, 5);
    g++;
    ++g;
    ASSERT_EQ(g--, 7);
    ASSERT_EQ(g, 6);
    ga[0]++;
    ASSERT_EQ(ga, ({ 2, 2 }));
    ga[1] *= 10;
    ASSERT_EQ(ga[1], 20);
    ga += ({ 3 });
    ASSERT_EQ(sizeof(ga), 3);

    float f = 1.5;
    f++;
    ASSERT_EQ(f, 2.5);
    f += 1;
    ASSERT_EQ(f, 3.5);

    string s = "ab";
    s += "cd";
    s += 1;
    ASSERT_EQ(s, "abcd1");

    mapping m = ([ ]);
    m["k"] += 2;
    m["k"] *= 5;
    ASSERT_EQ(m["k"], 10);
    ASSERT_EQ((m["j"] = 3) + 1, 4);

    int x;
    if ((x = 5) > 3)
        x++;
    ASSERT_EQ(x, 6);
    ASSERT_ERROR(s++, "Bad argument to ++");
    return 0;
}
