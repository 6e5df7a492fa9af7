// foreach over arrays, mappings (k, v) and strings; break, continue.
#include "assert.h"

int gsum;

int main(string *args)
{
    int sum = 0;
    foreach (int x in ({ 1, 2, 3, 4 }))
        sum += x;
    ASSERT_EQ(sum, 10);

    // an existing local and a global as the loop variable
    int y;
    foreach (y in ({ 5, 6 })) ;
    ASSERT_EQ(y, 6);
    foreach (gsum in ({ 7, 8, 9 })) ;
    ASSERT_EQ(gsum, 9);

    string keys = "";
    int vals = 0;
    foreach (string k, int v in ([ "a": 1, "b": 2, "c": 3 ])) {
        keys += k;
        vals += v;
    }
    ASSERT_EQ(keys, "abc");
    ASSERT_EQ(vals, 6);
    // one variable over a mapping: its keys
    keys = "";
    foreach (string k in ([ "x": 1, "y": 2 ]))
        keys += k;
    ASSERT_EQ(keys, "xy");

    int *codes = ({ });
    foreach (int c in "abc")
        codes += ({ c });
    ASSERT_EQ(codes, ({ 'a', 'b', 'c' }));

    // break and continue
    sum = 0;
    foreach (int x in ({ 1, 2, 3, 4, 5, 6 })) {
        if (x == 2) continue;
        if (x == 5) break;
        sum += x;
    }
    ASSERT_EQ(sum, 1 + 3 + 4);

    // nested, and over an empty collection or 0
    int n = 0;
    foreach (mixed *row in ({ ({ 1, 2 }), ({ }), ({ 3 }) }))
        foreach (int x in row)
            n += x;
    ASSERT_EQ(n, 6);
    mixed *none;
    foreach (mixed x in none) n = -1;
    ASSERT_EQ(n, 6);
    ASSERT_ERROR(loop_over(5), "foreach");

    // modifying the mapping inside the loop iterates over the old keys
    mapping m = ([ "a": 1, "b": 2 ]);
    int seen = 0;
    foreach (string k, int v in m) {
        m[k + k] = v;
        seen++;
    }
    ASSERT_EQ(seen, 2);
    ASSERT_EQ(sizeof(m), 4);

    // return from inside a loop
    ASSERT_EQ(first_even(({ 1, 3, 4, 6 })), 4);
    return 0;
}

int loop_over(mixed what)
{
    int n;
    foreach (mixed x in what)
        n++;
    return n;
}

int first_even(int *a)
{
    foreach (int x in a)
        if (x % 2 == 0)
            return x;
    return -1;
}
