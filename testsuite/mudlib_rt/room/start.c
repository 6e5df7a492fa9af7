// The start room: an exit east (added by init()) and a coin.
void create() {
    object c = clone_object("/obj/coin");
    move_object(c, this_object());
}

void reset() {
    tell_room(this_object(), "The start room resets.\n");
}

void init() {
    add_action("go_east", "east");
}

int go_east(string arg) {
    say(this_player()->query_name() + " leaves east.\n");
    move_object(this_player(), "/room/hall");
    write("You are in the hall.\n");
    say(this_player()->query_name() + " enters.\n");
    return 1;
}
