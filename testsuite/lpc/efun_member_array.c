// member_array(): index of the first equal element (from start), or -1.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(member_array(2, ({ 1, 2, 3, 2 })), 1);
    ASSERT_EQ(member_array(5, ({ 1, 2, 3 })), -1);
    ASSERT_EQ(member_array(1, ({ })), -1);
    ASSERT_EQ(member_array("b", ({ "a", "b" })), 1);          // strings by content
    ASSERT_EQ(member_array("b" + "", ({ "a", "ab"[1..] })), 1);
    ASSERT_EQ(member_array(1.0, ({ 1, 1.0 })), 1);            // 1 != 1.0
    ASSERT_EQ(member_array(1, ({ 1.0, 1 })), 1);
    ASSERT_EQ(member_array(0, ({ "x", 0 })), 1);

    // arrays and mappings by identity
    mixed *inner = ({ 1 });
    ASSERT_EQ(member_array(({ 1 }), ({ ({ 1 }), inner })), -1);
    ASSERT_EQ(member_array(inner, ({ ({ 1 }), inner })), 1);
    mapping m = ([ ]);
    ASSERT_EQ(member_array(m, ({ ([ ]), m })), 1);

    // start index
    ASSERT_EQ(member_array(2, ({ 2, 1, 2 }), 1), 2);
    ASSERT_EQ(member_array(2, ({ 2, 1, 2 }), 2), 2);
    ASSERT_EQ(member_array(2, ({ 2, 1, 2 }), 3), -1);
    ASSERT_EQ(member_array(2, ({ 2, 1, 2 }), 100), -1);
    ASSERT_EQ(member_array(2, ({ 2, 1, 2 }), -5), 0);         // negative: from 0

    // a destructed object reads as 0
    object ob = clone_object(file_name(this_object()));
    mixed *objs = ({ 1, ob });
    ASSERT_EQ(member_array(ob, objs), 1);
    destruct(ob);
    ASSERT_EQ(member_array(0, objs), 1);

    // strings: the offset of a byte
    ASSERT_EQ(member_array('l', "hello"), 2);
    ASSERT_EQ(member_array('l', "hello", 3), 3);
    ASSERT_EQ(member_array('l', "hello", 4), -1);
    ASSERT_EQ(member_array('z', "hello"), -1);
    ASSERT_EQ(member_array(0, "a\0b"), 1);
    ASSERT_EQ(member_array(300, "abc"), -1);
    ASSERT_EQ(member_array('a', ""), -1);
    ASSERT_ERROR(member_array("l", "hello"), "Bad argument 1 to member_array()");
    ASSERT_ERROR(member_array(1, 5), "Bad argument 2 to member_array()");
    return 0;
}
