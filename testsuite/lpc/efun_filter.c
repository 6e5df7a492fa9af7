// filter(): keep the elements (pairs, bytes) the function accepts.
#include "assert.h"

int is_even(int x) { return x % 2 == 0; }
int over(int x, int limit) { return x > limit; }
int value_over(mixed k, int v, int limit) { return v > limit; }

int main(string *args)
{
    // arrays
    ASSERT_EQ(filter(({ 1, 2, 3, 4 }), (: $1 % 2 :)), ({ 1, 3 }));
    ASSERT_EQ(filter(({ 1, 2, 3, 4 }), (: is_even :)), ({ 2, 4 }));
    ASSERT_EQ(filter(({ 1, 2, 3, 4 }), "is_even"), ({ 2, 4 }));
    ASSERT_EQ(filter(({ 1, 5, 10 }), (: over :), 4), ({ 5, 10 }));         // extra args
    ASSERT_EQ(filter(({ 1, 5, 10 }), "over", this_object(), 7), ({ 10 }));
    ASSERT_EQ(filter(({ }), (: 1 :)), ({ }));
    ASSERT_EQ(filter(({ 1, 2 }), (: 0 :)), ({ }));
    ASSERT_EQ(filter(({ 1, 2 }), (: 1 :)), ({ 1, 2 }));
    ASSERT_EQ(filter(({ "a", 0, "b", "" }), (: $1 :)), ({ "a", "b", "" }));  // "" is true
    ASSERT_EQ(filter(({ 1, 2 }), (: 0.0 :)), ({ 1, 2 }));                  // 0.0 is true
    int *src = ({ 1, 2, 3 });
    int *all = filter(src, (: 1 :));
    all[0] = 99;
    ASSERT_EQ(src, ({ 1, 2, 3 }));                                          // a copy

    // mappings: f(key, value, extra...)
    ASSERT_EQ(filter(([ "a" : 1, "b" : 5 ]), (: $2 > 2 :)), ([ "b" : 5 ]));
    ASSERT_EQ(filter(([ "a" : 1, "b" : 5 ]), (: $1 == "a" :)), ([ "a" : 1 ]));
    ASSERT_EQ(filter(([ "a" : 1, "b" : 5 ]), (: value_over :), 0), ([ "a" : 1, "b" : 5 ]));
    ASSERT_EQ(filter(([ "a" : 1, "b" : 5 ]), "value_over", this_object(), 3), ([ "b" : 5 ]));
    ASSERT_EQ(filter(([ ]), (: 1 :)), ([ ]));
    mapping m = ([ "x" : 1 ]);
    mapping f = filter(m, (: 1 :));
    f["y"] = 2;
    ASSERT_EQ(m, ([ "x" : 1 ]));                                            // a new mapping

    // strings: the bytes accepted
    ASSERT_EQ(filter("a1b2c3", (: $1 >= 'a' && $1 <= 'z' :)), "abc");
    ASSERT_EQ(filter("abc", (: 1 :)), "abc");
    ASSERT_EQ(filter("abc", (: 0 :)), "");
    ASSERT_EQ(filter("", (: 1 :)), "");

    // a destructed object reads as 0 (false)
    object ob = clone_object(file_name(this_object()));
    object *obs = ({ ob, this_object() });
    destruct(ob);
    ASSERT_EQ(filter(obs, (: $1 :)), ({ this_object() }));

    ASSERT_ERROR(filter(({ 1, 2 }), (: $1 == 2 ? error("filter boom") : 1 :)), "filter boom");
    ASSERT_ERROR(filter(({ 1 }), "missing_fn"), "filter: no function 'missing_fn'");
    ASSERT_ERROR(filter(1, (: 1 :)), "Bad argument 1 to filter()");
    return 0;
}
