// values(): the values in the same order as keys().
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(values(([ ])), ({ }));
    mapping m = ([ "b" : 1, "a" : 2, 3 : ({ 4 }) ]);
    ASSERT_EQ(values(m), ({ 1, 2, ({ 4 }) }));
    ASSERT(values(m)[2] == m[3]);            // the same array, not a copy
    map_delete(m, "a");
    ASSERT_EQ(values(m), ({ 1, ({ 4 }) }));
    ASSERT_EQ(sizeof(keys(m)), sizeof(values(m)));
    ASSERT_ERROR(values("x"), "Bad argument 1 to values()");
    return 0;
}
