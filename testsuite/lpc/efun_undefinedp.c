// undefinedp(): true only for the special "undefined" 0 (missing mapping
// key, missing argument, to_int of a non-number) -- not for an ordinary 0.
#include "assert.h"

varargs int check_varargs(int a, int b) { return undefinedp(b); }

int main(string *args)
{
    mapping m = ([ "zero" : 0 ]);
    ASSERT_EQ(undefinedp(m["missing"]), 1);
    ASSERT_EQ(undefinedp(m["zero"]), 0);
    ASSERT_EQ(undefinedp(0), 0);
    ASSERT_EQ(undefinedp(1), 0);
    ASSERT_EQ(undefinedp(""), 0);
    ASSERT_EQ(undefinedp(({ })), 0);
    ASSERT_EQ(check_varargs(1), 1);
    ASSERT_EQ(check_varargs(1, 0), 0);
    ASSERT_EQ(undefinedp(to_int("abc")), 1);
    ASSERT_EQ(undefinedp(to_int("0")), 0);
    int copy = m["missing"];
    ASSERT_EQ(copy, 0);
    return 0;
}
