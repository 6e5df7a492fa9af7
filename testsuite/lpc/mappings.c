// Mappings: literals, lookup (missing keys are undefined 0), assignment,
// +, nesting, iteration in insertion order.
#include "assert.h"

mapping g = ([ "a": 1 ]);

int main(string *args)
{
    mapping m = ([ "one": 1, "two": 2, 3: "three" ]);
    ASSERT_EQ(sizeof(m), 3);
    ASSERT_EQ(m["one"], 1);
    ASSERT_EQ(m[3], "three");
    ASSERT_EQ(m["none"], 0);
    m["four"] = 4;
    ASSERT_EQ(m["four"], 4);
    m["one"] += 10;
    ASSERT_EQ(m["one"], 11);
    m["new"]++;
    ASSERT_EQ(m["new"], 1);
    ASSERT_EQ(sizeof(m), 5);

    mapping n = m + ([ "one": 0, "x": "y" ]);
    ASSERT_EQ(n["one"], 0);
    ASSERT_EQ(m["one"], 11);
    ASSERT_EQ(sizeof(n), 6);

    // mappings are shared by reference
    mapping r = m;
    r["shared"] = 1;
    ASSERT_EQ(m["shared"], 1);

    // nested
    mapping deep = ([ "a": ([ "b": ({ 1, 2 }) ]) ]);
    ASSERT_EQ(deep["a"]["b"][1], 2);
    deep["a"]["c"] = 3;
    ASSERT_EQ(deep["a"]["c"], 3);

    // insertion order
    string *ks = ({ });
    mixed *vs = ({ });
    foreach (mixed k, mixed v in ([ "z": 1, "a": 2, "m": 3 ])) {
        ks += ({ k });
        vs += ({ v });
    }
    ASSERT_EQ(ks, ({ "z", "a", "m" }));
    ASSERT_EQ(vs, ({ 1, 2, 3 }));

    ASSERT_EQ(([ ]), ([ ]));
    ASSERT_EQ(sizeof(([ ])), 0);
    ASSERT_EQ(g["a"], 1);
    ASSERT_ERROR(m[<1], "mapping");
    mapping empty;
    ASSERT_ERROR(empty["x"] = 1, "zero");
    return 0;
}
