// drop <thing>: put something you carry down in the room.
string help() { return "drop <thing>         put it down\n"; }

int main(string arg)
{
    object me = this_player(), ob;
    if (!arg || arg == "") {
        notify_fail("Drop what?\n");
        return 0;
    }
    ob = present(arg, me);
    if (!ob) {
        notify_fail("You are not carrying " + arg + ".\n");
        return 0;
    }
    ob->move(environment(me));
    write("You drop " + ob->short() + ".\n");
    say(me->query_cap_name() + " drops " + ob->short() + ".\n");
    return 1;
}
