// explode(): MudOS semantics (SANE_EXPLODE_STRING, the MudOS/FluffOS
// default): at most one leading delimiter is dropped, a trailing one
// makes no trailing "", consecutive ones in between give "".
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(explode("a b c", " "), ({ "a", "b", "c" }));
    ASSERT_EQ(explode("abc", " "), ({ "abc" }));
    ASSERT_EQ(explode("", " "), ({ }));
    ASSERT_EQ(explode("", ""), ({ }));

    // leading and trailing delimiters
    ASSERT_EQ(explode("/a/b/", "/"), ({ "a", "b" }));
    ASSERT_EQ(explode("/a", "/"), ({ "a" }));
    ASSERT_EQ(explode("a/", "/"), ({ "a" }));
    ASSERT_EQ(explode("//a", "/"), ({ "", "a" }));       // only one dropped
    ASSERT_EQ(explode("a//", "/"), ({ "a", "" }));
    ASSERT_EQ(explode("..x.y..z..", "."), ({ "", "x", "y", "", "z", "" }));
    ASSERT_EQ(explode("/", "/"), ({ }));
    ASSERT_EQ(explode("//", "/"), ({ "" }));
    ASSERT_EQ(explode("///", "/"), ({ "", "" }));

    // consecutive delimiters in the middle
    ASSERT_EQ(explode("a  b", " "), ({ "a", "", "b" }));
    ASSERT_EQ(explode("a,,,b", ","), ({ "a", "", "", "b" }));

    // multi-byte delimiters, matched left to right without overlap
    ASSERT_EQ(explode("a::b::c", "::"), ({ "a", "b", "c" }));
    ASSERT_EQ(explode("::a::", "::"), ({ "a" }));
    ASSERT_EQ(explode("aaa", "aa"), ({ "a" }));
    ASSERT_EQ(explode("xaaaay", "aa"), ({ "x", "", "y" }));
    ASSERT_EQ(explode("abc", "abc"), ({ }));
    ASSERT_EQ(explode("ab", "abc"), ({ "ab" }));

    // empty delimiter: one string per byte
    ASSERT_EQ(explode("abc", ""), ({ "a", "b", "c" }));
    ASSERT_EQ(explode("a\0b", ""), ({ "a", "\0", "b" }));

    // any byte, including NUL, in both
    ASSERT_EQ(explode("a\0b\0c", "\0"), ({ "a", "b", "c" }));

    // the result is a new array each time
    string *x = explode("p q", " ");
    x[0] = "z";
    ASSERT_EQ(explode("p q", " "), ({ "p", "q" }));

    // round trip away from the ends
    ASSERT_EQ(implode(explode("a,b,,c", ","), ","), "a,b,,c");

    ASSERT_ERROR(explode("a", 0), "Bad argument 2 to explode()");
    return 0;
}
