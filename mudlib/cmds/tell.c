// tell <name> <text>: a private message to one player, wherever they are.
string help() { return "tell <name> <text>   whisper to one player anywhere\n"; }

int main(string arg)
{
    string who, text;
    object me = this_player(), them;
    if (!arg || sscanf(arg, "%s %s", who, text) != 2) {
        notify_fail("Tell whom what?\n");
        return 0;
    }
    them = find_player(lower_case(who));
    if (!them || !interactive(them)) {
        write("There is no " + capitalize(who) + " online.\n");
        return 1;
    }
    tell_object(them, me->query_cap_name() + " tells you: " + text + "\n");
    write("You tell " + them->query_cap_name() + ": " + text + "\n");
    return 1;
}
