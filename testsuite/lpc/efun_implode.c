// implode(): join strings with glue; or fold with a function.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(implode(({ "a", "b", "c" }), ","), "a,b,c");
    ASSERT_EQ(implode(({ "a", "b", "c" }), ""), "abc");
    ASSERT_EQ(implode(({ "a", "b" }), ", "), "a, b");
    ASSERT_EQ(implode(({ "only" }), ","), "only");
    ASSERT_EQ(implode(({ }), ","), "");
    ASSERT_EQ(implode(({ "", "" }), "-"), "-");
    ASSERT_EQ(implode(({ "a\0", "b" }), "\0"), "a\0\0b");

    // non-string elements are an error naming the element
    ASSERT_ERROR(implode(({ "a", 1 }), ","), "implode: element 1 of the array is int");
    ASSERT_ERROR(implode(({ "a", 0 }), ","), "element 1");
    ASSERT_ERROR(implode(({ ({ "x" }) }), ","), "element 0 of the array is array");
    ASSERT_ERROR(implode("abc", ","), "Bad argument 1 to implode()");

    // fold with a function: from arr[0], or from a start value
    ASSERT_EQ(implode(({ 1, 2, 3, 4 }), (: $1 + $2 :)), 10);
    ASSERT_EQ(implode(({ 1, 2, 3 }), (: $1 + $2 :), 100), 106);
    ASSERT_EQ(implode(({ "a", "b" }), (: $1 + "-" + $2 :)), "a-b");
    ASSERT_EQ(implode(({ }), (: $1 + $2 :)), 0);
    ASSERT_EQ(implode(({ }), (: $1 + $2 :), "s"), "s");
    ASSERT_EQ(implode(({ 7 }), (: $1 + $2 :)), 7);
    ASSERT_EQ(implode(({ 1, 2, 3 }), (: ({ $2 }) + $1 :), ({ })), ({ 3, 2, 1 }));
    // an error in the function propagates (and leaks nothing)
    ASSERT_ERROR(implode(({ 1, 2, 3 }), (: $2 == 3 ? error("boom") : $1 + $2 :)), "boom");
    return 0;
}
