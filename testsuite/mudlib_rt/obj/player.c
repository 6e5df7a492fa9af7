// A player: commands, prompt, heart beat on demand.
string name;
int beats;

void setup(string n) {
    name = n;
    enable_commands();
    set_living_name(n);
    add_action("cmd_quit", "quit");
    add_action("cmd_say", "say");
    add_action("cmd_say", "'", 2);
    add_action("cmd_abbrev", "abbr", 1);
    add_action("cmd_fail", "fail");
    add_action("cmd_boom", "boom");
    add_action("cmd_plain", "plainboom");
    add_action("cmd_loop", "loop");
    add_action("cmd_later", "later");
    add_action("cmd_beat", "beat");
    add_action("cmd_who", "who");
    add_action("cmd_where", "where");
    add_action("cmd_info", "info");
    add_action("cmd_shout", "shout");
    add_action("cmd_tell", "tell");
    add_action("cmd_load", "load");
    add_action("cmd_do", "do");
    add_action("cmd_cancel", "cancel");
    move_object("/room/start");
    write("Welcome, " + capitalize_word(n) + ".\n");
    say(capitalize_word(n) + " arrives.\n");
}

string query_name() { return name; }
int id(string s) { return s == name; }

void write_prompt() { write("> "); }

int cmd_quit(string arg) {
    write("Bye.\n");
    destruct(this_object());
    return 1;
}

int cmd_say(string arg) {
    if (!arg) {
        notify_fail("Say what?\n");
        return 0;
    }
    write("You say: " + arg + "\n");
    say(capitalize_word(name) + " says: " + arg + "\n");
    return 1;
}

int cmd_abbrev(string arg) {
    write("Abbrev " + query_verb() + " " + arg + "\n");
    return 1;
}

int cmd_fail(string arg) {
    notify_fail("It fails: " + query_verb() + "\n");
    return 0;
}

int cmd_boom(string arg) {
    error("kaboom");
    return 1;
}

int cmd_plain(string arg) {
    error("plain kaboom");
    return 1;
}

int cmd_loop(string arg) {
    int i;
    while (1)
        i++;
    return 1;
}

void later_done(string what) {
    write("Later: " + what + "\n");
}

int cmd_later(string arg) {
    call_out("later_done", 0.1, arg);
    write("Scheduled " + find_call_out("later_done") + "\n");
    return 1;
}

void heart_beat() {
    beats++;
    write("Beat " + beats + "\n");
    if (beats >= 2)
        set_heart_beat(0);
}

int cmd_beat(string arg) {
    beats = 0;
    set_heart_beat(1);
    return 1;
}

int cmd_who(string arg) {
    string *names = map(users(), (: $1->query_name() :));
    write("Users: " + implode(sort_array(names, 1), ",") + "\n");
    return 1;
}

int cmd_where(string arg) {
    write("At " + file_name(environment()) + " with " +
          sizeof(all_inventory(environment())) + "\n");
    return 1;
}

void net_dead() {
    say(capitalize_word(name) + " goes link-dead.\n");
}

// The efuns a player does not use every day, in one line.
int cmd_info(string arg) {
    object me = this_player();
    write(sprintf("ip=%s idle=%d ti=%d interactive=%d living=%d "
                  "fp=%d fl=%d deep=%d present=%d coin=%d users=%d\n",
                  query_ip_number(me), query_idle(me),
                  this_interactive() == me, interactive(me), living(me),
                  find_player(name) == me, find_living(name) == me,
                  sizeof(deep_inventory(environment())),
                  present(me, environment()) == me,
                  objectp(present("coin", environment())),
                  sizeof(users())));
    return 1;
}

int cmd_shout(string arg) {
    shout(capitalize_word(name) + " shouts: " + arg + "\n");
    write("You shout.\n");
    return 1;
}

// tell <name> <text>: tell_object, or message() when the text starts
// with "!", or tell_room of the other's room when it starts with "@".
int cmd_tell(string arg) {
    string who, text;
    if (!arg || sscanf(arg, "%s %s", who, text) != 2)
        return notify_fail("Tell whom what?\n");
    object ob = find_player(who);
    if (!ob)
        return notify_fail("No " + who + " here.\n");
    if (text[0] == '!')
        message("tell", capitalize_word(name) + " messages: " + text[1..] + "\n", ob);
    else if (text[0] == '@')
        tell_room(environment(ob), "Room hears: " + text[1..] + "\n", ({ this_player() }));
    else
        tell_object(ob, capitalize_word(name) + " tells you: " + text + "\n");
    write("Told.\n");
    return 1;
}

int cmd_load(string arg) {
    mixed err = catch(load_object(arg));
    write(err ? "Load failed.\n" : "Loaded.\n");
    return 1;
}

// do <command>: command() as this object.
int cmd_do(string arg) {
    write("Did " + command(arg) + "\n");
    return 1;
}

// remove_call_out returns the seconds that were left; then none is found.
int cmd_cancel(string arg) {
    call_out("later_done", 5, "never");
    int left = remove_call_out("later_done");
    write("Removed " + left + " " + find_call_out("later_done") + "\n");
    return 1;
}
