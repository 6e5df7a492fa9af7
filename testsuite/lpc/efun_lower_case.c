// lower_case(): ASCII A-Z only; other bytes unchanged.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(lower_case("Hello World"), "hello world");
    ASSERT_EQ(lower_case("ABC xyz 123 !@#"), "abc xyz 123 !@#");
    ASSERT_EQ(lower_case(""), "");
    ASSERT_EQ(lower_case("already"), "already");
    ASSERT_EQ(lower_case("[\\]^_`@"), "[\\]^_`@");     // around the letters
    ASSERT_EQ(lower_case("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89");   // non-ASCII kept
    ASSERT_EQ(lower_case("A\0B"), "a\0b");
    ASSERT_ERROR(lower_case(5), "Bad argument 1 to lower_case()");
    return 0;
}
