// capitalize(): the first byte upper-cased if it is an ASCII letter.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(capitalize("hello world"), "Hello world");
    ASSERT_EQ(capitalize("Hello"), "Hello");
    ASSERT_EQ(capitalize("hELLO"), "HELLO");
    ASSERT_EQ(capitalize("a"), "A");
    ASSERT_EQ(capitalize(""), "");
    ASSERT_EQ(capitalize("1abc"), "1abc");
    ASSERT_EQ(capitalize(" abc"), " abc");
    ASSERT_EQ(capitalize("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
    ASSERT_ERROR(capitalize(1), "Bad argument 1 to capitalize()");
    return 0;
}
