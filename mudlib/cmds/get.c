// get <thing>: pick something up from the room.
string help() { return "get <thing>          pick it up\n"; }

int main(string arg)
{
    object me = this_player(), ob;
    if (!arg || arg == "") {
        notify_fail("Get what?\n");
        return 0;
    }
    ob = present(arg, environment(me));
    if (!ob || ob == me) {
        notify_fail("There is no " + arg + " here.\n");
        return 0;
    }
    if (living(ob) || ob->query_no_get()) {
        write("You can't take " + ob->short() + ".\n");
        return 1;
    }
    ob->move(me);
    write("You take " + ob->short() + ".\n");
    say(me->query_cap_name() + " takes " + ob->short() + ".\n");
    return 1;
}
