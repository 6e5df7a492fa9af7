// Casts between numbers and strings; other casts change nothing.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ((int)3.7, 3);
    ASSERT_EQ((int)-3.7, -3);
    ASSERT_EQ((float)2, 2.0);
    ASSERT_EQ((string)12, "12");
    ASSERT_EQ((string)1.5, "1.5");
    ASSERT_EQ((int)"42abc", 42);
    ASSERT_EQ((float)"2.5", 2.5);
    mixed m = ({ 1 });
    ASSERT_EQ((int *)m, ({ 1 }));
    ASSERT_EQ((mapping)0, 0);
    ASSERT_EQ((int)1e300, 9223372036854775807);
    return 0;
}
