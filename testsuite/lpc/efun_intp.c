// intp(): 1 for ints (0 included, and a destructed object, which reads as 0).
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(intp(0), 1);
    ASSERT_EQ(intp(-5), 1);
    ASSERT_EQ(intp(([ ])["missing"]), 1);
    ASSERT_EQ(intp(1.0), 0);
    ASSERT_EQ(intp("1"), 0);
    ASSERT_EQ(intp(({ })), 0);
    ASSERT_EQ(intp(([ ])), 0);
    ASSERT_EQ(intp(this_object()), 0);
    ASSERT_EQ(intp((: 1 :)), 0);
    object ob = clone_object(file_name(this_object()));
    destruct(ob);
    ASSERT_EQ(intp(ob), 1);
    return 0;
}
