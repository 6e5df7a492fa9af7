// The hall: an exit west; "look" only works here.
void init() {
    add_action("go_west", "west");
    add_action("do_look", "look");
}

int go_west(string arg) {
    move_object(this_player(), "/room/start");
    write("You are back at the start.\n");
    return 1;
}

int do_look(string arg) {
    object c = present("coin", this_object());
    write("A hall." + (c ? " A coin." : "") + "\n");
    return 1;
}
