// map_delete(): removes a key from the mapping itself and returns it.
#include "assert.h"

int main(string *args)
{
    mapping m = ([ "a" : 1, "b" : 2 ]);
    mapping r = map_delete(m, "a");
    ASSERT(r == m);                           // the same mapping
    ASSERT_EQ(m, ([ "b" : 2 ]));
    ASSERT_EQ(map_delete(m, "missing"), ([ "b" : 2 ]));
    ASSERT_EQ(map_delete(m, "b"), ([ ]));
    ASSERT_EQ(sizeof(m), 0);
    ASSERT(undefinedp(m["b"]));

    // keys of any type; 1 and 1.0 are different keys
    mapping n = ([ 1 : "int", 1.0 : "float" ]);
    map_delete(n, 1);
    ASSERT_EQ(n, ([ 1.0 : "float" ]));
    mixed *key = ({ 0 });
    n[key] = 1;
    map_delete(n, ({ 0 }));                   // another array: not the key
    ASSERT_EQ(sizeof(n), 2);
    map_delete(n, key);
    ASSERT_EQ(sizeof(n), 1);

    // seen through every reference
    mapping alias = n;
    map_delete(alias, 1.0);
    ASSERT_EQ(n, ([ ]));
    ASSERT_ERROR(map_delete(({ }), 1), "Bad argument 1 to map_delete()");
    return 0;
}
