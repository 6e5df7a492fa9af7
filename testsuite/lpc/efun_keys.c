// keys(): the keys in insertion order (lined up with values()).
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(keys(([ ])), ({ }));
    ASSERT_EQ(keys(([ "b" : 1, "a" : 2, 3 : 4 ])), ({ "b", "a", 3 }));
    mapping m = ([ ]);
    m["x"] = 1;
    m["y"] = 2;
    m["z"] = 3;
    map_delete(m, "y");
    m["w"] = 4;
    m["x"] = 5;                              // re-set keeps its place
    ASSERT_EQ(keys(m), ({ "x", "z", "w" }));
    // a new array each time
    string *k = keys(m);
    k[0] = "changed";
    ASSERT_EQ(keys(m)[0], "x");
    ASSERT_ERROR(keys(({ })), "Bad argument 1 to keys()");
    return 0;
}
