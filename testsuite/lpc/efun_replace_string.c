// replace_string(): all, the first max, or matches first..last.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(replace_string("hello world", "o", "0"), "hell0 w0rld");
    ASSERT_EQ(replace_string("hello", "l", ""), "heo");
    ASSERT_EQ(replace_string(" 1 2 3 ", " ", ""), "123");
    ASSERT_EQ(replace_string("abc", "x", "y"), "abc");
    ASSERT_EQ(replace_string("abc", "abc", ""), "");
    ASSERT_EQ(replace_string("abc", "abcd", "z"), "abc");
    ASSERT_EQ(replace_string("", "a", "b"), "");
    ASSERT_EQ(replace_string("aaa", "a", "aa"), "aaaaaa");   // no re-scan
    ASSERT_EQ(replace_string("aaaa", "aa", "b"), "bb");      // no overlap
    ASSERT_EQ(replace_string("aaa", "aa", "b"), "ba");
    ASSERT_EQ(replace_string("a.b.c", ".", "::"), "a::b::c");
    ASSERT_EQ(replace_string("a\0b", "\0", "-"), "a-b");

    // an empty pattern leaves the string alone
    ASSERT_EQ(replace_string("abc", "", "x"), "abc");
    ASSERT_EQ(replace_string("", "", "x"), "");

    // max replacements (0: all)
    ASSERT_EQ(replace_string("xyxx", "x", "z", 2), "zyzx");
    ASSERT_EQ(replace_string("xyxx", "x", "z", 0), "zyzz");
    ASSERT_EQ(replace_string("xyxx", "x", "z", 10), "zyzz");
    ASSERT_EQ(replace_string("xyxx", "x", "z", 1), "zyxx");
    ASSERT_ERROR(replace_string("x", "x", "z", -1), "negative");

    // range first..last
    ASSERT_EQ(replace_string("xyxxy", "x", "z", 2, 3), "xyzzy");
    ASSERT_EQ(replace_string("xxxx", "x", "z", 0, 2), "zzxx");     // first < 1
    ASSERT_EQ(replace_string("xxxx", "x", "z", 3, 0), "xxzz");     // last 0: to end
    ASSERT_EQ(replace_string("xxxx", "x", "z", 3, 99), "xxzz");    // past the end
    ASSERT_EQ(replace_string("xxxx", "x", "z", 3, 2), "xxxx");     // first > last
    ASSERT_EQ(replace_string("xxxx", "x", "z", 5, 9), "xxxx");     // no such match
    ASSERT_EQ(replace_string("xxxx", "x", "z", 4, 4), "xxxz");

    ASSERT_ERROR(replace_string("a", "a", 1), "Bad argument 3 to replace_string()");
    return 0;
}
