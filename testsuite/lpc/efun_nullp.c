// nullp() (MudOS): true for any 0 -- an ordinary 0, an undefined 0, a
// destructed object -- unlike undefinedp(), which is only the latter kind.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(nullp(0), 1);
    ASSERT_EQ(nullp(([ ])["missing"]), 1);
    object ob = clone_object(file_name(this_object()));
    ASSERT_EQ(nullp(ob), 0);
    destruct(ob);
    ASSERT_EQ(nullp(ob), 1);
    ASSERT_EQ(nullp(1), 0);
    ASSERT_EQ(nullp(0.0), 0);                 // a float is never null
    ASSERT_EQ(nullp(""), 0);
    ASSERT_EQ(nullp(({ })), 0);
    ASSERT_EQ(nullp(([ ])), 0);
    return 0;
}
