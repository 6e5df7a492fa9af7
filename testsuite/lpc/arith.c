// Integer and float arithmetic: C precedence, wrap-around, division.
#include "assert.h"

int zero() { return 0; }

int main(string *args)
{
    ASSERT_EQ(1 + 2 * 3, 7);
    ASSERT_EQ((1 + 2) * 3, 9);
    ASSERT_EQ(10 - 4 - 3, 3);
    ASSERT_EQ(100 / 10 / 5, 2);
    ASSERT_EQ(7 / 2, 3);
    ASSERT_EQ(-7 / 2, -3);
    ASSERT_EQ(7 % 3, 1);
    ASSERT_EQ(-7 % 3, -1);
    ASSERT_EQ(1 << 4 + 1, 32);
    ASSERT_EQ(0xff & 0x0f | 0x100, 0x10f);
    ASSERT_EQ(6 ^ 3, 5);
    ASSERT_EQ(~0, -1);
    ASSERT_EQ(-(-5), 5);
    ASSERT_EQ(!0, 1);
    ASSERT_EQ(!5, 0);
    ASSERT_EQ(1 < 2 == 1, 1);
    ASSERT_EQ(3 > 2 > 1, 0);

    // wrap-around (two's complement)
    int max = 9223372036854775807;
    int min = -9223372036854775807 - 1;
    ASSERT_EQ(max + 1, min);
    ASSERT_EQ(min - 1, max);
    ASSERT_EQ(max * 2, -2);
    ASSERT_EQ(-min, min);
    ASSERT_EQ(min / -1, min);
    ASSERT_EQ(min % -1, 0);
    int x = max;
    x++;
    ASSERT_EQ(x, min);
    x += max;
    ASSERT_EQ(x, -1);

    // shifts outside 0..63
    ASSERT_EQ(1 << 63, min);
    ASSERT_EQ(1 << 64, 0);
    ASSERT_EQ(-8 >> 1, -4);
    ASSERT_EQ(-8 >> 100, -1);
    ASSERT_EQ(8 >> 100, 0);

    // division by zero is an error
    ASSERT_ERROR(1 / zero(), "Division by zero");
    ASSERT_ERROR(1 % zero(), "Modulus by zero");
    ASSERT_ERROR(1.0 / zero(), "Division by zero");

    // floats
    ASSERT_EQ(1.5 + 1, 2.5);
    ASSERT_EQ(3 / 2.0, 1.5);
    ASSERT_EQ(2.0 * 2.0, 4.0);
    ASSERT(1.5 > 1);
    ASSERT(1 == 1.0);
    ASSERT_EQ(-2.5, 0 - 2.5);

    // constant folding gives the same results as run time
    int a = 3, b = 4;
    ASSERT_EQ(a * b + 1, 3 * 4 + 1);
    ASSERT_EQ(a - 10, -7);
    ASSERT_EQ(a + 100000000, 100000003);
    return 0;
}
