// arrayp(): 1 for arrays only.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(arrayp(({ })), 1);
    ASSERT_EQ(arrayp(({ 1, ({ }) })), 1);
    ASSERT_EQ(arrayp(allocate(3)), 1);
    ASSERT_EQ(arrayp(0), 0);
    ASSERT_EQ(arrayp("abc"), 0);
    ASSERT_EQ(arrayp(([ ])), 0);
    return 0;
}
