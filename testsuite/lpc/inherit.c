// Inheritance: virtual dispatch (most derived wins), ::f(), label::f(),
// efun::f(), multiple inherit, private members, initialisers of inherits.
#include "assert.h"

inherit "/lib/left";
inherit "/lib/right";

int own = left_var + right_var;

string name() { return "derived"; }
string side() { return "both:" + left::side() + "+" + right::side(); }
void create() { left::create(); log += ({ "derived" }); }
int sizeof(mixed x) { return -1; }

int main(string *args)
{
    // calls in inherited code reach the most derived definition
    ASSERT_EQ(describe(), "I am derived");
    ASSERT_EQ(left::name(), "left");
    ASSERT_EQ(left_only(), "Lbase");
    ASSERT_EQ(side(), "both:left+right");
    ASSERT_EQ(right_only(), "R");
    // private functions are not overridden for the code that calls them
    ASSERT_EQ(call_hidden(), "base-hidden");
    ASSERT_EQ(get_secret(), 1);
    ASSERT_EQ(fixed(), "fixed");
    // variables of each inherit
    ASSERT_EQ(own, 50);
    ASSERT_EQ(left_var, 20);
    ASSERT_EQ(base_only(), 10);
    // efun:: bypasses a local function of the same name
    ASSERT_EQ(sizeof(({ 1, 2 })), -1);
    ASSERT_EQ(efun::sizeof(({ 1, 2 })), 2);
    // create() of ours ran; inherited masters are loaded objects too
    ASSERT_EQ(log, ({ "base", "derived" }));
    ASSERT(find_object("/lib/left"));
    ASSERT(find_object("/lib/base"));
    ASSERT_EQ(call_other(this_object(), "name"), "derived");
    ASSERT_EQ(this_object()->describe(), "I am derived");
    return 0;
}
