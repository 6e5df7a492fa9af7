// allocate(): a new array of n zeros (or copies of a fill value).
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(allocate(0), ({ }));
    ASSERT_EQ(allocate(3), ({ 0, 0, 0 }));
    ASSERT_EQ(sizeof(allocate(1000)), 1000);
    ASSERT_EQ(allocate(2, "x"), ({ "x", "x" }));
    ASSERT_EQ(allocate(2, 1.5), ({ 1.5, 1.5 }));
    mixed *shared = ({ });
    mixed *a = allocate(2, shared);
    ASSERT(a[0] == shared && a[1] == shared);  // the same array in each slot

    // new arrays each time
    mixed *b = allocate(2), c = allocate(2);
    b[0] = 1;
    ASSERT_EQ(c, ({ 0, 0 }));

    ASSERT_EQ(sizeof(allocate(1000000)), 1000000);
    ASSERT_ERROR(allocate(1000001), "allocate: size 1000001 is out of range");
    ASSERT_ERROR(allocate(-1), "allocate: size -1 is out of range");
    ASSERT_ERROR(allocate("3"), "Bad argument 1 to allocate()");
    return 0;
}
