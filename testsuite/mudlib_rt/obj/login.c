// Login: asks a name, then a password without echo, then becomes a player.
string name;

void logon() {
    write("Name: ");
    input_to("got_name");
}

void got_name(string s) {
    name = s;
    write("Password: ");
    input_to("got_password", 1, name);
}

void got_password(string pw, string who) {
    if (pw != "secret") {
        write("Wrong password.\n");
        destruct(this_object());
        return;
    }
    object p = clone_object("/obj/player");
    exec(p, this_object());
    p->setup(who);
    destruct(this_object());
}
