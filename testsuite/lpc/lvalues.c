// Lvalue (output) arguments of efuns, through sscanf: locals, globals,
// array and mapping elements are assigned; unmatched ones are left alone.
#include "assert.h"

int g = -1;

int main(string *args)
{
    int x;
    string s;
    ASSERT_EQ(sscanf("12 abc", "%d %s", x, s), 2);
    ASSERT_EQ(x, 12);
    ASSERT_EQ(s, "abc");

    mixed *a = ({ 0, 0 });
    mapping m = ([ ]);
    ASSERT_EQ(sscanf("7 8 9", "%d %d %d", a[1], g, m["k"]), 3);
    ASSERT_EQ(a, ({ 0, 7 }));
    ASSERT_EQ(g, 8);
    ASSERT_EQ(m["k"], 9);

    // no match: the variables keep their values
    x = 5;
    s = "keep";
    ASSERT_EQ(sscanf("zz", "%d %s", x, s), 0);
    ASSERT_EQ(x, 5);
    ASSERT_EQ(s, "keep");
    ASSERT_EQ(sscanf("3", "%d %s", x, s), 1);
    ASSERT_EQ(x, 3);
    ASSERT_EQ(s, "keep");
    return 0;
}
