// strlen(): the number of bytes in a string, NUL bytes included.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(strlen(""), 0);
    ASSERT_EQ(strlen("a"), 1);
    ASSERT_EQ(strlen("hello world"), 11);
    ASSERT_EQ(strlen("a\0b"), 3);              // NUL is an ordinary byte
    ASSERT_EQ(strlen("\xc3\xa9"), 2);          // bytes, not characters
    string s = "x";
    for (int i = 0; i < 10; i++)
        s += s;
    ASSERT_EQ(strlen(s), 1024);
    ASSERT_EQ(strlen(s[1..]), 1023);
    ASSERT_ERROR(strlen(({})), "Bad argument 1 to strlen()");
    mixed zero = 0;
    ASSERT_ERROR(strlen(zero), "Bad argument 1 to strlen()");
    return 0;
}
