// to_float(): ints converted, floats as they are, strings by their
// leading decimal number (0.0 when there is none).
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(to_float(3), 3.0);
    ASSERT_EQ(to_float(-2), -2.0);
    ASSERT_EQ(to_float(0), 0.0);
    ASSERT_EQ(to_float(1.25), 1.25);
    ASSERT_EQ(to_float(9007199254740993), 9007199254740992.0);   // nearest double

    ASSERT_EQ(to_float("1.5"), 1.5);
    ASSERT_EQ(to_float("-0.25"), -0.25);
    ASSERT_EQ(to_float("  3"), 3.0);
    ASSERT_EQ(to_float("1.5kg"), 1.5);
    ASSERT_EQ(to_float("1e3"), 1000.0);
    ASSERT_EQ(to_float("2.5E-1x"), 0.25);
    ASSERT_EQ(to_float(".5"), 0.5);
    ASSERT_EQ(to_float("5."), 5.0);
    ASSERT_EQ(to_float("1e"), 1.0);                 // an incomplete exponent is not read
    ASSERT_EQ(to_float("abc"), 0.0);
    ASSERT_EQ(to_float(""), 0.0);
    ASSERT_EQ(to_float("inf"), 0.0);                // decimal notation only
    ASSERT_EQ(to_float("0x10"), 0.0);

    ASSERT_ERROR(to_float(([ ])), "Bad argument 1 to to_float()");
    return 0;
}
