// player.c - the body a connected person plays.  One clone per character;
// login.c makes it, fills it from the save file and hands it the
// connection with exec().
//
// Commands: every line the player types reaches command_hook() (an
// add_action for every verb).  It tries, in order: an alias, an exit of
// the room, a command object /cmds/<verb>.c, and, for admins,
// /cmds/admin/<verb>.c.  A command object has `int main(string arg)`.

#include <mudlib.h>

inherit "/std/object";

// Saved in /data/players/<name>.o by save_object().
private string name;
private string password;          // crypt() hash
private string last_room;         // where to come back to
private int created;              // time() of creation
private int last_login;

// Not saved.
private nosave int link_dead;     // 1 while the connection is gone

private nosave mapping aliases = ([
    "n": "north", "s": "south", "e": "east", "w": "west",
    "u": "up", "d": "down", "l": "look", "i": "inventory",
    "exa": "look",
]);

string query_name()       { return name; }
string query_cap_name()   { return capitalize(name); }
int query_link_dead()     { return link_dead; }
int query_created()       { return created; }

string short()
{
    return capitalize(name) + (link_dead ? " (link-dead)" : "");
}

string long()
{
    return capitalize(name) + " is here, looking around.\n";
}

int id(string s)
{
    return name && lower_case(s) == name;
}

// Only /secure code (login.c) may set up a body or read its password.
private int from_secure()
{
    object caller = previous_object();
    return caller && strsrch(file_name(caller), "/secure/") == 0;
}

// ---------------------------------------------------------------- saving

// Fills this body from /data/players/<who>.o; 0 when there is none.
int restore_player(string who)
{
    if (!from_secure())
        return 0;
    return restore_object(PLAYER_SAVE_DIR + who);
}

// A new character.
void setup_new(string who, string hash)
{
    if (!from_secure())
        return;
    name = who;
    password = hash;
    created = time();
}

int check_password(string pw)
{
    return from_secure() && password && crypt(pw, password) == password;
}

// password.c asks: the old password must match.
int change_password(string old_pw, string new_hash)
{
    if (!password || crypt(old_pw, password) != password)
        return 0;
    password = new_hash;
    save_object(PLAYER_SAVE_DIR + name);
    return 1;
}

int save_player()
{
    if (!name)
        return 0;
    if (environment())
        last_room = file_name(environment());
    save_object(PLAYER_SAVE_DIR + name);
    return 1;
}

// ---------------------------------------------------------------- entering

// Called by login.c once this body owns the connection.
void enter_world(int is_new)
{
    if (!from_secure())
        return;
    last_login = time();
    set_living_name(name);
    enable_commands();
    add_action("command_hook", "", 1);
    object room = 0;
    if (last_room)
        catch(room = load_object(last_room));
    if (!room)
        room = load_object(START_ROOM);
    move(room);
    tell_room(room, capitalize(name) + " arrives.\n", ({ this_object() }));
    write(room->long(this_object()));
    if (is_new)
        write("Welcome!  Type 'help' for the commands.\n");
    save_player();
    write_prompt();
}

// Called by login.c when a returning player takes over this body.
void reconnect()
{
    link_dead = 0;
    write("Reconnected.\n");
    if (environment()) {
        tell_room(environment(), capitalize(name) + " is back.\n",
                  ({ this_object() }));
        write(environment()->long(this_object()));
    }
    write_prompt();
}

// Driver apply: the connection was lost.  The body stays (link-dead)
// until its owner logs in again.
void net_dead()
{
    link_dead = 1;
    save_player();
    if (environment())
        tell_room(environment(), capitalize(name) + " turns to stone.\n",
                  ({ this_object() }));
}

void write_prompt()
{
    write("> ");
}

// ---------------------------------------------------------------- moving

// Walks through the exit `dir` of the current room; 0 when there is none.
int move_player(string dir)
{
    object here = environment();
    string dest = here ? here->query_exit(dir) : 0;
    if (!dest) {
        notify_fail("You can't go " + dir + ".\n");
        return 0;
    }
    object there = load_object(dest);
    tell_room(here, capitalize(name) + " leaves " + dir + ".\n",
              ({ this_object() }));
    move(there);
    tell_room(there, capitalize(name) + " arrives.\n", ({ this_object() }));
    write(there->long(this_object()));
    return 1;
}

// ---------------------------------------------------------------- commands

// A verb may name a file: letters only, so no "../" ever reaches a path.
private int plain_word(string s)
{
    if (s == "")
        return 0;
    foreach (int c in s) {
        if (c < 'a' || c > 'z')
            return 0;
    }
    return 1;
}

// Runs the command object `file` if it exists; -1 when it does not.
private int run_command_file(string file, string arg)
{
    if (file_size(file + ".c") < 0)
        return -1;
    return file->main(arg);
}

int command_hook(string arg)
{
    string verb = query_verb();
    if (aliases[verb])
        verb = aliases[verb];
    object here = environment();
    if (here && here->query_exit(verb))
        return move_player(verb);
    if (!plain_word(verb))
        return 0;
    int r = run_command_file(CMD_DIR + verb, arg);
    if (r >= 0)
        return r;
    if (file_size(ADMIN_CMD_DIR + verb + ".c") < 0)
        return 0;
    if (!is_admin(this_object())) {
        write("Only admins may use '" + verb + "'.\n");
        return 1;
    }
    return run_command_file(ADMIN_CMD_DIR + verb, arg);
}

// ---------------------------------------------------------------- completion

// The command words of the folder `dir` ("look" for /cmds/look.c).
private string *command_words(string dir)
{
    string *files = get_dir(dir) || ({ });
    string *words = ({ });
    foreach (string f in files) {
        if (strlen(f) > 2 && f[<2..] == ".c")
            words += ({ f[0..<3] });
    }
    return words;
}

// Driver apply (the operator's console, Tab): `line` is the line up to
// the cursor; returns what its last word may become.  The first word is
// a command (commands, admin commands for admins, exits, aliases); a
// later one names something here (what we carry, what is in the room).
string *complete(string line)
{
    int space = strsrch(line, " ", -1);
    string word = space < 0 ? line : line[space + 1..];
    string *words;
    object here = environment();
    if (space < 0) {
        words = command_words(CMD_DIR) + keys(aliases);
        if (is_admin(this_object()))
            words += command_words(ADMIN_CMD_DIR);
        if (here)
            words += keys(here->query_exits() || ([ ]));
    } else {
        words = ({ });
        object *obs = all_inventory(this_object());
        if (here)
            obs += all_inventory(here);
        foreach (object ob in obs) {
            if (ob == this_object())
                continue;
            if (ob->query_name())
                words += ({ ob->query_name() });
            else
                words += ob->query_ids() || ({ });
        }
    }
    string *found = ({ });
    foreach (string w in words) {
        if (strsrch(w, word) == 0 && member_array(w, found) < 0)
            found += ({ w });
    }
    return sort_array(found, 1);
}

// "quit": save, leave what we carry in the room (things are not saved),
// say goodbye, and go.  Destructing the body closes the connection.
void quit()
{
    object here = environment();
    save_player();
    if (here) {
        foreach (object ob in all_inventory(this_object())) {
            ob->move(here);
            write("You leave " + ob->short() + " behind.\n");
        }
        tell_room(here, capitalize(name) + " leaves the game.\n",
                  ({ this_object() }));
    }
    write("Goodbye, " + capitalize(name) + ".  Your character is saved.\n");
    destruct(this_object());
}
