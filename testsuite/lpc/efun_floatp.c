// floatp(): 1 for floats only.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(floatp(1.5), 1);
    ASSERT_EQ(floatp(0.0), 1);
    ASSERT_EQ(floatp(-0.0), 1);
    ASSERT_EQ(floatp(1), 0);
    ASSERT_EQ(floatp(0), 0);
    ASSERT_EQ(floatp("1.5"), 0);
    ASSERT_EQ(floatp(({ 1.5 })), 0);
    return 0;
}
