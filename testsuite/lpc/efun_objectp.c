// objectp(): 1 for live objects; a destructed one reads as 0.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(objectp(this_object()), 1);
    object ob = clone_object(file_name(this_object()));
    ASSERT_EQ(objectp(ob), 1);
    destruct(ob);
    ASSERT_EQ(objectp(ob), 0);
    ASSERT_EQ(objectp(0), 0);
    ASSERT_EQ(objectp(file_name(this_object())), 0);     // a name is not an object
    ASSERT_EQ(objectp(({ this_object() })), 0);
    ASSERT_EQ(objectp((: 1 :)), 0);
    return 0;
}
