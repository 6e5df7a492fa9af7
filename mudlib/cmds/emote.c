// emote <action>: "emote smiles." shows "Ann smiles." to the room.
string help() { return "emote <action>       act: 'emote grins' shows 'Ann grins'\n"; }

int main(string arg)
{
    if (!arg || arg == "") {
        notify_fail("Emote what?\n");
        return 0;
    }
    string text = this_player()->query_cap_name() + " " + arg + "\n";
    write(text);
    say(text);
    return 1;
}
