// login.c - the object a new connection talks to until it has a body.
//
// master->connect() makes one per connection; the driver calls logon().
// Then a chain of input_to() calls asks for the name and the password
// (twice for a new character, with echo off), and finally exec() moves
// the connection into a player body: a new one, or the body this
// character left behind (a link-dead reconnect or a second login, which
// takes it over).

#include <mudlib.h>

#define LOGIN_TIMEOUT 180     // seconds to finish logging in
#define MAX_TRIES 3           // wrong passwords before we hang up

private string name;
private int tries;
private int console;          // the operator's console (master sets it)

void get_name(string input);
void enter_game(object body, int is_new);

// master->connect_console() marks the login of the operator's console.
void set_console()
{
    if (previous_object() && file_name(previous_object()) == MASTER_OB)
        console = 1;
}

// The console: no name, no password.  The body of CONSOLE_NAME is
// restored, or made on the first run (it has no password, so nobody can
// log into it over telnet).
private void console_logon()
{
    int is_new = 0;
    name = CONSOLE_NAME;
    object body = new(PLAYER_OB);
    if (!body->restore_player(name)) {
        body->setup_new(name, 0);
        is_new = 1;
    }
    write("\nWelcome to Neolith, operator.\n");
    enter_game(body, is_new);
}

void logon()
{
    if (console) {
        console_logon();
        return;
    }
    call_out("time_out", LOGIN_TIMEOUT);
    write("\nWelcome to Neolith.\n\n"
          "Enter your character's name (a new name creates a character): ");
    input_to("get_name");
}

void time_out()
{
    write("\nTime is up.  Come back when you are ready.\n");
    destruct(this_object());
}

// Names: 3 to 12 letters.  They become file names, so nothing else.
private string name_problem(string s)
{
    if (strlen(s) < 3 || strlen(s) > 12)
        return "A name has 3 to 12 letters.";
    if (s == CONSOLE_NAME)
        return "That name belongs to the operator's console.";
    foreach (int c in s) {
        if (c < 'a' || c > 'z')
            return "A name has letters only.";
    }
    return 0;
}

private int character_exists(string who)
{
    return file_size(PLAYER_SAVE_DIR + who + ".o") > 0;
}

void get_name(string input)
{
    string problem;
    name = lower_case(trim(input || ""));
    if (name == "") {
        write("Goodbye.\n");
        destruct(this_object());
        return;
    }
    problem = name_problem(name);
    if (problem) {
        write(problem + "\nName: ");
        input_to("get_name");
        return;
    }
    if (character_exists(name)) {
        write("Password: ");
        input_to("get_password", 1);
        return;
    }
    write("Creating the new character '" + capitalize(name) + "'.\n"
          "Choose a password (at least 6 characters): ");
    input_to("new_password", 1);
}

// ---------------------------------------------------------------- returning

void get_password(string pw)
{
    write("\n");
    object body = new(PLAYER_OB);
    if (!body->restore_player(name) || !body->check_password(pw || "")) {
        destruct(body);
        if (++tries >= MAX_TRIES) {
            write("Wrong password.  Too many tries; goodbye.\n");
            log_file("login", "failed login as " + name + " from "
                     + query_ip_number(this_object()) + "\n");
            destruct(this_object());
            return;
        }
        write("Wrong password.\nPassword: ");
        input_to("get_password", 1);
        return;
    }
    enter_game(body, 0);
}

// ---------------------------------------------------------------- new

void new_password(string pw)
{
    write("\n");
    if (!pw || strlen(pw) < 6) {
        write("That is too short.  Choose a password: ");
        input_to("new_password", 1);
        return;
    }
    write("Type it again: ");
    input_to("confirm_password", 1, pw);
}

void confirm_password(string again, string pw)
{
    write("\n");
    if (again != pw) {
        write("Those were different.  Choose a password: ");
        input_to("new_password", 1);
        return;
    }
    if (character_exists(name)) {   // someone else was quicker
        write("That name was just taken.\nName: ");
        input_to("get_name");
        return;
    }
    object body = new(PLAYER_OB);
    body->setup_new(name, crypt(pw, crypt_salt()));
    log_file("login", "new character " + name + " from "
             + query_ip_number(this_object()) + "\n");
    enter_game(body, 1);
}

// ---------------------------------------------------------------- entering

// The body this character already has in the game, if any.
private object old_body()
{
    object ob = find_player(name) || find_living(name);
    if (ob && strsrch(file_name(ob), PLAYER_OB + "#") == 0)
        return ob;
    return 0;
}

void enter_game(object body, int is_new)
{
    object old = old_body();
    remove_call_out("time_out");
    if (old) {
        // Take over the body left behind.  If another connection still
        // drives it, move that connection into a scratch object and
        // destruct it, which hangs up.
        destruct(body);
        if (interactive(old)) {
            tell_object(old, "Someone logged in as you; goodbye.\n");
            object scratch = new(LOGIN_OB);
            exec(scratch, old);
            scratch->remove_call_out_and_go();
        }
        exec(old, this_object());
        old->reconnect();
    } else {
        exec(body, this_object());
        body->enter_world(is_new);
    }
    mcp_log("info", "login: " + name + (is_new ? " (new character)" : ""));
    destruct(this_object());
}

// A scratch login that took over an old connection: hang it up.
void remove_call_out_and_go()
{
    if (previous_object() && strsrch(file_name(previous_object()), LOGIN_OB) == 0)
        destruct(this_object());
}
