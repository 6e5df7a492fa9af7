// Objects: load/find/clone/new, names, create(), call_other (-> and by
// path), missing and refused functions, destruct, previous_object().
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(find_object("/lib/thing"), 0);
    object master = load_object("/lib/thing");
    ASSERT(master);
    ASSERT_EQ(file_name(master), "/lib/thing");
    ASSERT_EQ(find_object("lib/thing.c"), master);
    ASSERT_EQ(load_object("/lib/thing"), master);
    ASSERT_EQ(master->query_created(), 1);
    ASSERT_EQ(clonep(master), 0);
    ASSERT_EQ(master->query_caller(), this_object());

    object c1 = clone_object("/lib/thing");
    object c2 = new("/lib/thing");
    ASSERT(c1 != c2);
    ASSERT(clonep(c1));
    ASSERT_EQ(file_name(c1)[0..10], "/lib/thing#");
    ASSERT_EQ(find_object(file_name(c2)), c2);
    ASSERT_EQ(c1->query_created(), 1);

    // state is per object
    c1->set_value(5);
    c2->set_value(7);
    ASSERT_EQ(c1->query_value() + c2->query_value(), 12);
    ASSERT_EQ(master->query_value(), 0);

    // call_other forms
    ASSERT_EQ(call_other(c1, "add", 2, 3), 5);
    ASSERT_EQ("/lib/thing"->add(1, 1), 2);
    ASSERT_EQ(call_other("/lib/thing", "add", 4, 4), 8);
    ASSERT_EQ(c1->no_such_function(), 0);
    ASSERT_EQ(c1->hidden(), 0);
    ASSERT_EQ(c1->very_hidden(), 0);
    ASSERT_EQ(c1->call_own_static(), 1);
    ASSERT_EQ(c1->add(1), 1);             // missing arguments are 0
    ASSERT_EQ(c1->add(1, 2, 3), 3);       // extra arguments dropped
    ASSERT_EQ(({ c1, c2 })->query_value(), ({ 5, 7 }));

    // previous_object
    ASSERT_EQ(c1->who_called(), this_object());
    ASSERT_EQ(c1->relay(c2), c1);
    ASSERT_EQ(previous_object(), 0);
    ASSERT_EQ(this_object(), find_object("/objects"));

    // arguments after the name go to create()
    object c3 = clone_object("/lib/thing", 42);
    ASSERT_EQ(c3->query_value(), 42);
    destruct(c3);

    // destruct: every reference reads as 0
    object keep = c1;
    mixed *holder = ({ c1 });
    mapping mh = ([ "o": c1 ]);
    destruct(c1);
    ASSERT_EQ(keep, 0);
    ASSERT_EQ(c1, 0);
    ASSERT_EQ(holder[0], 0);
    ASSERT_EQ(mh["o"], 0);
    ASSERT(!keep);
    ASSERT_ERROR(keep->add(1, 2), "call_other() on 0");
    c2->self_destruct();
    ASSERT_EQ(c2, 0);

    // destruct + load again: a new master (update)
    destruct(master);
    ASSERT_EQ(find_object("/lib/thing"), 0);
    object again = load_object("/lib/thing");
    ASSERT(again);
    ASSERT_EQ(again->query_created(), 1);

    ASSERT_ERROR(load_object("/lib/does_not_exist"), "Error in loading object");
    ASSERT_ERROR(clone_object(file_name(clone_object("/lib/thing"))), "it is a clone");
    return 0;
}
