// say <text>: everyone in the room hears it.
string help() { return "say <text>           talk to the room\n"; }

int main(string arg)
{
    object me = this_player();
    if (!arg || arg == "") {
        notify_fail("Say what?\n");
        return 0;
    }
    write("You say: " + arg + "\n");
    say(me->query_cap_name() + " says: " + arg + "\n");
    return 1;
}
