// sort_array(): a stable sort by direction, function pointer or name.
#include "assert.h"

int by_first(mixed *a, mixed *b) { return a[0] - b[0]; }
int reverse_cmp(int a, int b) { return b - a; }
int by_mod(int a, int b, int m) { return a % m - b % m; }
int calls;
int counting(int a, int b) { calls++; return a - b; }

int main(string *args)
{
    // direction
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), 1), ({ 1, 2, 3 }));
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), -1), ({ 3, 2, 1 }));
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), 0), ({ 1, 2, 3 }));
    ASSERT_EQ(sort_array(({ }), 1), ({ }));
    ASSERT_EQ(sort_array(({ 5 }), 1), ({ 5 }));
    ASSERT_EQ(sort_array(({ "pear", "apple", "fig", "Apple" }), 1),
              ({ "Apple", "apple", "fig", "pear" }));                 // byte order
    ASSERT_EQ(sort_array(({ 2.5, 1, 2, -1.5 }), 1), ({ -1.5, 1, 2, 2.5 }));
    ASSERT_EQ(sort_array(({ "b", 2, "a", 1 }), 1), ({ 1, 2, "a", "b" }));  // numbers first
    ASSERT_EQ(sort_array(({ 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 }), 1),
              ({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }));

    // the argument is not changed
    int *src = ({ 2, 1 });
    int *sorted = sort_array(src, 1);
    ASSERT_EQ(src, ({ 2, 1 }));
    ASSERT_EQ(sorted, ({ 1, 2 }));

    // function pointer, function name, extra arguments
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), (: $1 - $2 :)), ({ 1, 2, 3 }));
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), (: reverse_cmp :)), ({ 3, 2, 1 }));
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), "reverse_cmp"), ({ 3, 2, 1 }));
    ASSERT_EQ(sort_array(({ 3, 1, 2 }), "reverse_cmp", this_object()), ({ 3, 2, 1 }));
    ASSERT_EQ(sort_array(({ 5, 3, 4 }), (: by_mod :), 3), ({ 3, 4, 5 }));
    ASSERT_EQ(sort_array(({ 1.5, 0.5 }), (: $1 - $2 :)), ({ 0.5, 1.5 }));   // float results
    ASSERT_EQ(sort_array(({ "bb", "a", "ccc" }), (: strlen($1) - strlen($2) :)),
              ({ "a", "bb", "ccc" }));

    // stability: equal keys keep their order, with a function and by value
    mixed *pairs = ({ ({ 2, "a" }), ({ 1, "b" }), ({ 2, "c" }), ({ 1, "d" }),
                      ({ 0, "e" }), ({ 2, "f" }), ({ 1, "g" }) });
    ASSERT_EQ(map(sort_array(pairs, (: by_first :)), (: $1[1] :)),
              ({ "e", "b", "d", "g", "a", "c", "f" }));
    ASSERT_EQ(map(sort_array(pairs, (: 0 :)), (: $1[1] :)),
              ({ "a", "b", "c", "d", "e", "f", "g" }));        // all equal: unchanged
    ASSERT_EQ(map(sort_array(pairs, (: "not a number" :)), (: $1[1] :)),
              ({ "a", "b", "c", "d", "e", "f", "g" }));        // non-numbers: equal
    ASSERT_EQ(sort_array(({ 1.0, 1 }), 1), ({ 1, 1.0 }));      // int before equal float
    ASSERT_EQ(sort_array(({ 1, 1.0 }), -1), ({ 1.0, 1 }));

    // a bigger sort: ascending result, n log n calls
    int *big = ({ });
    for (int i = 0; i < 500; i++)
        big += ({ (i * 7919) % 500 });
    calls = 0;
    int *out = sort_array(big, (: counting :));
    ASSERT_EQ(out, sort_array(big, 1));
    for (int i = 0; i < 500; i++)
        ASSERT_EQ(out[i], i);
    ASSERT(calls > 0 && calls <= 500 * 9);

    // errors
    ASSERT_ERROR(sort_array(({ 2, 1, 3 }), (: error("cmp failed") :)), "cmp failed");
    ASSERT_ERROR(sort_array(({ 2, 1 }), "no_cmp"), "sort_array: no function 'no_cmp'");
    ASSERT_ERROR(sort_array(({ 2, 1 }), 1, 2), "a direction takes no further arguments");
    ASSERT_ERROR(sort_array(({ 2, 1 }), ({ })), "Bad argument 2 to sort_array()");
    ASSERT_ERROR(sort_array("ba", 1), "Bad argument 1 to sort_array()");
    return 0;
}
