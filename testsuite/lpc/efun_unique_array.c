// unique_array(): group elements by a function's value.
#include "assert.h"

int value;
void set_value(int v) { value = v; }
int query_value() { return value; }

int main(string *args)
{
    ASSERT_EQ(unique_array(({ 1, 2, 3, 4, 5, 6 }), (: $1 % 3 :)),
              ({ ({ 1, 4 }), ({ 2, 5 }), ({ 3, 6 }) }));
    ASSERT_EQ(unique_array(({ "apple", "avocado", "banana", "blueberry", "cherry" }),
                           (: $1[0] :)),
              ({ ({ "apple", "avocado" }), ({ "banana", "blueberry" }), ({ "cherry" }) }));
    ASSERT_EQ(unique_array(({ }), (: $1 :)), ({ }));
    ASSERT_EQ(unique_array(({ 1, 1, 1 }), (: 0 :)), ({ ({ 1, 1, 1 }) }));
    // skip: elements whose value equals it are left out
    ASSERT_EQ(unique_array(({ 1, 2, 3, 4 }), (: $1 % 2 :), 0), ({ ({ 1, 3 }) }));
    ASSERT_EQ(unique_array(({ 1, 2 }), (: "x" :), "x"), ({ }));

    // by name: the function is called in each (object) element
    string me = file_name(this_object());
    object a = clone_object(me), b = clone_object(me), c = clone_object(me);
    a->set_value(1);
    b->set_value(2);
    c->set_value(1);
    ASSERT_EQ(unique_array(({ a, b, c }), "query_value"), ({ ({ a, c }), ({ b }) }));
    ASSERT_EQ(unique_array(({ a, b, c }), "query_value", 2), ({ ({ a, c }) }));
    ASSERT_ERROR(unique_array(({ a, 1 }), "query_value"), "element 1 is int");
    ASSERT_ERROR(unique_array(({ a }), "nope"), "unique_array: no function 'nope'");
    ASSERT_ERROR(unique_array(({ 1 }), (: error("uniq boom") :)), "uniq boom");
    return 0;
}
