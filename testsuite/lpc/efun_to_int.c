// to_int(): ints as they are, floats truncated toward zero, strings by
// their leading decimal number.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(to_int(5), 5);
    ASSERT_EQ(to_int(-5), -5);
    ASSERT_EQ(to_int(3.9), 3);
    ASSERT_EQ(to_int(-3.9), -3);
    ASSERT_EQ(to_int(0.0), 0);
    ASSERT_EQ(to_int(1e30), 9223372036854775807);          // saturates
    ASSERT_EQ(to_int(-1e30), -9223372036854775807 - 1);

    ASSERT_EQ(to_int("42"), 42);
    ASSERT_EQ(to_int("-42"), -42);
    ASSERT_EQ(to_int("+7"), 7);
    ASSERT_EQ(to_int("  12"), 12);                         // leading blanks
    ASSERT_EQ(to_int("12abc"), 12);                        // trailing garbage
    ASSERT_EQ(to_int("12.9"), 12);
    ASSERT_EQ(to_int("007"), 7);                           // decimal, not octal
    ASSERT_EQ(to_int("0x10"), 0);                          // decimal only
    ASSERT_EQ(to_int("9223372036854775807"), 9223372036854775807);
    ASSERT_EQ(to_int("-9223372036854775808"), -9223372036854775807 - 1);
    ASSERT_EQ(to_int("123456789012345678901234"), 9223372036854775807);
    ASSERT_EQ(to_int("-123456789012345678901234"), -9223372036854775807 - 1);

    // no number: an undefined 0
    ASSERT_EQ(to_int("abc"), 0);
    ASSERT_EQ(undefinedp(to_int("abc")), 1);
    ASSERT_EQ(undefinedp(to_int("")), 1);
    ASSERT_EQ(undefinedp(to_int("-")), 1);
    ASSERT_EQ(undefinedp(to_int(" - 3")), 1);
    ASSERT_EQ(undefinedp(to_int("0")), 0);

    ASSERT_ERROR(to_int(({ })), "Bad argument 1 to to_int()");
    return 0;
}
