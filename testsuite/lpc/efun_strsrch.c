// strsrch(): first (or, with a negative flag, last) occurrence; -1 if none.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(strsrch("hello world", "o"), 4);
    ASSERT_EQ(strsrch("hello world", "o", -1), 7);
    ASSERT_EQ(strsrch("hello world", "world"), 6);
    ASSERT_EQ(strsrch("hello world", "world", -1), 6);
    ASSERT_EQ(strsrch("hello world", "hello", -1), 0);
    ASSERT_EQ(strsrch("hello world", "xyz"), -1);
    ASSERT_EQ(strsrch("hello world", "xyz", -1), -1);
    ASSERT_EQ(strsrch("abcabc", "abc"), 0);
    ASSERT_EQ(strsrch("abcabc", "abc", -1), 3);
    ASSERT_EQ(strsrch("aaa", "aa", -1), 1);
    ASSERT_EQ(strsrch("ab", "abc"), -1);
    ASSERT_EQ(strsrch("ab", "abc", -1), -1);
    ASSERT_EQ(strsrch("", "a"), -1);
    ASSERT_EQ(strsrch("abc", "c", 0), 2);
    ASSERT_EQ(strsrch("abc", "c", 1), 2);       // flags >= 0: forward
    ASSERT_EQ(strsrch("abcb", "b", -5), 3);     // any negative: reverse

    // the empty string is never found
    ASSERT_EQ(strsrch("abc", ""), -1);
    ASSERT_EQ(strsrch("abc", "", -1), -1);

    // a character code
    ASSERT_EQ(strsrch("hello", 'l'), 2);
    ASSERT_EQ(strsrch("hello", 'l', -1), 3);
    ASSERT_EQ(strsrch("hello", 'z'), -1);
    ASSERT_EQ(strsrch("a\0b", 0), 1);
    ASSERT_EQ(strsrch("abc", 256 + 'a'), -1);
    ASSERT_EQ(strsrch("abc", -1), -1);

    // NUL bytes in the string and the pattern
    ASSERT_EQ(strsrch("a\0b\0c", "\0c"), 3);
    ASSERT_EQ(strsrch("a\0b\0c", "\0", -1), 3);

    ASSERT_ERROR(strsrch("abc", ({})), "Bad argument 2 to strsrch()");
    return 0;
}
