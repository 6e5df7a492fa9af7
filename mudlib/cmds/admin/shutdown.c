// shutdown: stop the driver cleanly (the master saves every player).
string help() { return "shutdown             stop the game (admins)\n"; }

int main(string arg)
{
    shout(this_player()->query_cap_name() + " shuts the game down.\n");
    write("Shutting down.\n");
    shutdown(0);
    return 1;
}
