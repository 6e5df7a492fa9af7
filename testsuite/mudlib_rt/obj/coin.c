// A coin: "get coin" from its init(); present() finds it by id().
int id(string s) { return s == "coin"; }

void init() {
    add_action("get_it", "get");
}

int get_it(string arg) {
    if (arg != "coin")
        return 0;
    move_object(this_object(), this_player());
    write("You take the coin.\n");
    return 1;
}
