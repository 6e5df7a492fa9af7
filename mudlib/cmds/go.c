// go <direction>: walk through an exit.  Typing the direction alone
// ("north", "n") does the same (see command_hook in /std/player.c).
string help() { return "go <exit>            walk (or just type the exit: north, n, ...)\n"; }

int main(string arg)
{
    if (!arg || arg == "") {
        notify_fail("Go where?\n");
        return 0;
    }
    return this_player()->move_player(arg);
}
