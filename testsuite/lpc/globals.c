// Global variables: initialisers (run before create()), modifiers,
// several per declaration, arrays of arrays.
#include "assert.h"

int a = 1, b = a + 1, *c = ({ a, b });
string s = "x" + "y";
mapping m = ([ s: b ]);
nosave int ns = 5;
static int st = 6;
private int pr = 7;
public int pu = 8;
float f = 1.5;
mixed **grid = ({ ({ 1, 2 }), ({ 3, 4 }) });
int uninit;
int seen_in_create;
int from_function = helper();

int helper() { return 42; }

void create()
{
    seen_in_create = b;
}

int main(string *args)
{
    ASSERT_EQ(a, 1);
    ASSERT_EQ(b, 2);
    ASSERT_EQ(c, ({ 1, 2 }));
    ASSERT_EQ(s, "xy");
    ASSERT_EQ(m, ([ "xy": 2 ]));
    ASSERT_EQ(ns + st + pr + pu, 26);
    ASSERT_EQ(f, 1.5);
    ASSERT_EQ(grid[1][0], 3);
    ASSERT_EQ(uninit, 0);
    ASSERT_EQ(seen_in_create, 2);
    ASSERT_EQ(from_function, 42);
    a = 10;
    bump();
    ASSERT_EQ(a, 11);
    return 0;
}

void bump() { a++; }
