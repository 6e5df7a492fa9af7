// upper_case(): ASCII a-z only; other bytes unchanged.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(upper_case("Hello World"), "HELLO WORLD");
    ASSERT_EQ(upper_case("abc XYZ 123 {|}~`"), "ABC XYZ 123 {|}~`");
    ASSERT_EQ(upper_case(""), "");
    ASSERT_EQ(upper_case("ABC"), "ABC");
    ASSERT_EQ(upper_case("\xc3\xa9t\xc3\xa9"), "\xc3\xa9T\xc3\xa9");
    ASSERT_EQ(upper_case("a\0b"), "A\0B");
    ASSERT_ERROR(upper_case(({})), "Bad argument 1 to upper_case()");
    return 0;
}
