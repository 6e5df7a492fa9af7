// inventory (i): what you carry.
string help() { return "inventory, i         what you carry\n"; }

int main(string arg)
{
    object *things = all_inventory(this_player());
    if (sizeof(things) == 0) {
        write("You are empty-handed.\n");
        return 1;
    }
    write("You are carrying:\n");
    foreach (object ob in things)
        write("  " + ob->short() + "\n");
    return 1;
}
