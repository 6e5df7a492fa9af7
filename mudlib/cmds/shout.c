// shout <text>: every player in the game hears it.
string help() { return "shout <text>         to everyone in the game\n"; }

int main(string arg)
{
    if (!arg || arg == "") {
        notify_fail("Shout what?\n");
        return 0;
    }
    shout(this_player()->query_cap_name() + " shouts: " + arg + "\n");
    write("You shout: " + arg + "\n");
    return 1;
}
