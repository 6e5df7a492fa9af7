// look [at] [thing]: the room, or something here, carried, or a detail.
string help() { return "look                 the room you are in\n"
                       "look at <thing>      something here or carried\n"; }

int main(string arg)
{
    object me = this_player(), here = environment(me), ob;
    string detail;
    if (!here) {
        write("You are nowhere.\n");
        return 1;
    }
    arg = trim(arg || "");
    if (arg == "") {
        write(here->long(me));
        return 1;
    }
    sscanf(arg, "at %s", arg);
    arg = trim(arg);
    if (arg == "" || arg == "at") {     // "look at" with nothing after it
        notify_fail("Look at what?\n");
        return 0;
    }
    ob = present(arg, me) || present(arg, here);
    if (ob) {
        write(ob->long());
        return 1;
    }
    detail = here->query_item(arg);
    if (detail) {
        write(detail + "\n");
        return 1;
    }
    notify_fail("You see no " + arg + " here.\n");
    return 0;
}
