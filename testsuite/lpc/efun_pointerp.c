// pointerp(): the old name of arrayp().
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(pointerp(({ })), 1);
    ASSERT_EQ(pointerp(({ "a" })), 1);
    ASSERT_EQ(pointerp(0), 0);
    ASSERT_EQ(pointerp("abc"), 0);
    ASSERT_EQ(pointerp(([ ])), 0);
    ASSERT_EQ(pointerp((: 1 :)), 0);
    return 0;
}
