// quit: save and leave.
string help() { return "quit                 save and leave the game\n"; }

int main(string arg)
{
    this_player()->quit();
    return 1;
}
