// Arrays: literals, indexing, '<', ranges, + - & |, element assignment.
#include "assert.h"

int *g = ({ 1, 2, 3 });

int main(string *args)
{
    int *a = ({ 10, 20, 30, 40 });
    ASSERT_EQ(sizeof(a), 4);
    ASSERT_EQ(a[0], 10);
    ASSERT_EQ(a[<1], 40);
    ASSERT_EQ(a[<4], 10);
    ASSERT_ERROR(a[4], "out of bounds");
    ASSERT_ERROR(a[-1], "out of bounds");
    ASSERT_ERROR(a[<5], "out of bounds");
    ASSERT_ERROR(a["x"], "index must be an int");

    ASSERT_EQ(a[1..2], ({ 20, 30 }));
    ASSERT_EQ(a[2..], ({ 30, 40 }));
    ASSERT_EQ(a[..0], ({ 10 }));
    ASSERT_EQ(a[<2..], ({ 30, 40 }));
    ASSERT_EQ(a[1..<2], ({ 20, 30 }));
    ASSERT_EQ(a[3..1], ({ }));
    ASSERT_EQ(a[2..99], ({ 30, 40 }));
    ASSERT_EQ(a[-3..0], ({ 10 }));
    ASSERT_EQ(a[9..12], ({ }));

    ASSERT_EQ(({ 1, 2 }) + ({ 3 }), ({ 1, 2, 3 }));
    ASSERT_EQ(({ 1, 2, 1, 3 }) - ({ 1 }), ({ 2, 3 }));
    ASSERT_EQ(({ 1, 2, 3, 2 }) & ({ 2, 3, 4 }), ({ 2, 3 }));
    ASSERT_EQ(({ 1, 2 }) | ({ 2, 3 }), ({ 1, 2, 3 }));
    ASSERT_EQ(({ }) + ({ }), ({ }));
    ASSERT_EQ(({ 1, }), ({ 1 }));

    // arrays are shared by reference
    int *b = a;
    b[0] = 99;
    ASSERT_EQ(a[0], 99);
    a[<1] = 7;
    ASSERT_EQ(b[3], 7);
    a[1] += 5;
    ASSERT_EQ(a[1], 25);
    a[2]++;
    ASSERT_EQ(a[2], 31);
    ASSERT_EQ(a[2]--, 31);
    ASSERT_EQ(--a[2], 29);
    // ++ and -- on an element counted from the end
    a[<1]++;
    ASSERT_EQ(a[3], 8);
    ASSERT_EQ(a[<1]--, 8);
    ASSERT_EQ(a[3], 7);
    ASSERT_EQ(++a[<4], 100);
    ASSERT_EQ(a[0], 100);
    a[<4]--;
    ASSERT_ERROR(a[<5]++, "out of bounds");
    float *fl = ({ 1.5 });
    fl[<1]++;
    ASSERT_EQ(fl[0], 2.5);
    ASSERT_ERROR(a[10] = 1, "out of bounds");

    // + makes a new array
    int *c = a + ({ });
    c[0] = 1;
    ASSERT_EQ(a[0], 99);

    // nested
    mixed *m = ({ ({ 1, 2 }), ({ 3, ({ 4 }) }) });
    ASSERT_EQ(m[1][1][0], 4);
    m[0][1] = "x";
    ASSERT_EQ(m[0], ({ 1, "x" }));

    ASSERT_EQ(g, ({ 1, 2, 3 }));
    g += ({ 4 });
    ASSERT_EQ(sizeof(g), 4);
    ASSERT(({ 1 }) != ({ 1 }));
    mixed *same = g;
    ASSERT(same == g);
    return 0;
}
