// stringp(): 1 for strings only ("" included).
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(stringp("x"), 1);
    ASSERT_EQ(stringp(""), 1);
    ASSERT_EQ(stringp("\0"), 1);
    ASSERT_EQ(stringp(0), 0);
    ASSERT_EQ(stringp('x'), 0);
    ASSERT_EQ(stringp(({ "x" })), 0);
    ASSERT_EQ(stringp(([ "x" : 1 ])), 0);
    ASSERT_EQ(stringp(this_object()), 0);
    return 0;
}
