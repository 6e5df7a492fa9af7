// allocate_mapping(): an empty mapping (size is a hint), or one built
// from keys and values.
#include "assert.h"

int main(string *args)
{
    mapping m = allocate_mapping(10);
    ASSERT_EQ(m, ([ ]));
    ASSERT_EQ(sizeof(m), 0);
    m["a"] = 1;
    ASSERT_EQ(m, ([ "a" : 1 ]));
    ASSERT_EQ(allocate_mapping(0), ([ ]));
    ASSERT_EQ(sizeof(allocate_mapping(100000000)), 0);   // a hint, capped

    ASSERT_EQ(allocate_mapping(({ "a", "b" }), ({ 1, 2 })), ([ "a" : 1, "b" : 2 ]));
    ASSERT_EQ(keys(allocate_mapping(({ "z", "a" }), ({ 1, 2 }))), ({ "z", "a" }));
    ASSERT_EQ(allocate_mapping(({ "a", "b" }), 0), ([ "a" : 0, "b" : 0 ]));
    ASSERT_EQ(allocate_mapping(({ "a", "b" }), "v"), ([ "a" : "v", "b" : "v" ]));
    ASSERT_EQ(allocate_mapping(({ "a", "a" }), ({ 1, 2 })), ([ "a" : 2 ]));
    ASSERT_EQ(allocate_mapping(({ }), ({ })), ([ ]));

    ASSERT_ERROR(allocate_mapping(({ "a" }), ({ 1, 2 })), "1 keys but 2 values");
    ASSERT_ERROR(allocate_mapping(-1), "negative");
    ASSERT_ERROR(allocate_mapping(1, 2), "takes no second argument");
    ASSERT_ERROR(allocate_mapping("x"), "Bad argument 1 to allocate_mapping()");
    return 0;
}
