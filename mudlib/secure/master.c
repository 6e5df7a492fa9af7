// master.c - the master object: the driver asks it every policy question.
//
// The driver loads this file first and calls its "applies": connect()
// when a user arrives, valid_read()/valid_write() before every file
// efun, log_error() for compile errors, error_handler() for run-time
// errors, driver_shutdown() on a clean shutdown.  docs/manual/mudlib.md
// explains each one.

#include <mudlib.h>

// Admins by character name (lower case), read from the "admins:" line of
// /neolith.conf, the driver's config file, which sits at the mudlib root.
private mapping admins = ([ ]);

void load_admins();

void create()
{
    load_admins();
}

// Reads "admins: alice, bob" from /neolith.conf.  The driver checks the
// line's syntax at start-up; here we only pick the names out of it.
void load_admins()
{
    string text = read_file("/neolith.conf");
    admins = ([ ]);
    if (!text)
        return;
    foreach (string line in explode(text, "\n")) {
        string value;
        if (sscanf(line, "admins:%s", value) != 1)
            continue;
        int hash = strsrch(value, "#");
        if (hash >= 0)
            value = value[0..hash - 1];
        foreach (string name in explode(value, ",")) {
            name = lower_case(replace_string(replace_string(name, " ", ""),
                                             "\t", ""));
            if (name != "")
                admins[name] = 1;
        }
    }
}

// Is the character called `name` an admin?
int is_admin(string name)
{
    return stringp(name) && (admins[lower_case(name)] == 1 ||
                             lower_case(name) == CONSOLE_NAME);
}

string *query_admins()
{
    return keys(admins);
}

// ---------------------------------------------------------------- users

// A user connected on `port`: the driver makes the returned object the
// connection's interactive and then calls logon() on it.
object connect(int port)
{
    return new(LOGIN_OB);
}

// The operator's console (neolith -c): the person who started the driver
// owns the process, so the login logs them straight in as the admin
// character CONSOLE_NAME, with no prompts (piped scripts work too).
object connect_console()
{
    object ob = new(LOGIN_OB);
    ob->set_console();
    return ob;
}

// ---------------------------------------------------------------- start-up

// Files to load before the first user arrives (preload() is called with
// each), so the start room exists and compile errors show up at boot.
string *epilog(int load_empty)
{
    return ({ START_ROOM, VOID_ROOM, "/secure/login", PLAYER_OB });
}

void preload(string file)
{
    string err = catch(load_object(file));
    if (err)
        log_file("preload", "preload " + file + ": " + err);
}

// ---------------------------------------------------------------- errors

// Appends `text` to /log/<name>.  Kept here, not in the simul_efun
// object, because the master must work before that is loaded.
void log_file(string name, string text)
{
    write_file(LOG_DIR + name, ctime(time()) + " " + text);
}

// A compile error or warning: one "file:line:col: error: ..." line.
void log_error(string file, string message)
{
    write_file(LOG_DIR + "compile", message);
    // An admin who is online and just typed "update" wants to see it.
    object who = this_interactive();
    if (who && is_admin(who->query_name()))
        tell_object(who, message);
}

// An uncaught run-time error.  The whole trace goes to /log/runtime;
// the returned text is what the driver shows the player who triggered
// it: the full error for an admin, a short note for everyone else.  The
// driver and every other user carry on.
string error_handler(mapping err, int caught)
{
    string text = err["error"] + "\n" + (err["trace"] || "");
    write_file(LOG_DIR + "runtime", ctime(time()) + " " + text);
    object who = this_player();
    if (who && is_admin(who->query_name()))
        return "Error: " + text;
    return "Something went wrong (" + err["error"] + "); it was logged.\n";
}

// ---------------------------------------------------------------- files

// Code we trust with every file: the master and the rest of /secure.
private int trusted(mixed caller)
{
    if (caller == this_object())
        return 1;
    if (objectp(caller))
        caller = file_name(caller);
    return stringp(caller) && strsrch(caller, "/secure/") == 0;
}

// The name of the person on whose behalf code runs, or 0.
private string acting_name()
{
    object who = this_interactive() || this_player();
    return who ? who->query_name() : 0;
}

// Everyone may read everything except the player save files, which hold
// password hashes: those are for /secure, the player object and admins.
int valid_read(string file, mixed caller, string func)
{
    if (trusted(caller) || is_admin(acting_name()))
        return 1;
    if (strsrch(file, PLAYER_SAVE_DIR) == 0) {
        string name = objectp(caller) ? file_name(caller) : caller;
        return stringp(name) && strsrch(name, PLAYER_OB + "#") == 0;
    }
    return 1;
}

// Writing: /secure and admins anywhere; everyone else only under /data/
// and in their own folder /u/<name>/.
int valid_write(string file, mixed caller, string func)
{
    string name = acting_name();
    if (trusted(caller) || is_admin(name))
        return 1;
    if (strsrch(file, "/data/") == 0)
        return 1;
    return name && strsrch(file, "/u/" + name + "/") == 0;
}

// Who "owns" a newly loaded object: its domain or user folder.
string creator_file(string file)
{
    string *parts = explode(file, "/") - ({ "" });
    if (sizeof(parts) >= 2 && (parts[0] == "u" || parts[0] == "domains"))
        return parts[1];
    return "mudlib";
}

// ---------------------------------------------------------------- shutdown

// The driver is shutting down cleanly: save every player.
void driver_shutdown()
{
    foreach (object who in users())
        catch(who->save_player());
}

// ---------------------------------------------------------------- git update

// Where living objects wait while the driver reloads the room they stand
// in after a git update (docs/manual/git-update.md).  0: they are not moved.
object reload_holding_room()
{
    return load_object(VOID_ROOM);
}

// The driver pulled the mudlib from git and reloaded what changed.
// `changes`: "old"/"new" commit ids, "remote", "branch", "requester",
// "reason", "changed" (paths), "files" (path -> "A"/"M"/"D"), "reloaded"
// (object names), "failed" (object name -> compile error: the old version
// keeps running), "clones" (clones still running old code), "kept"
// (loaded objects whose source was deleted).
void mudlib_updated(mapping changes)
{
    string text = "The mudlib was updated from git (" +
        changes["old"][0..11] + ".." + changes["new"][0..11] + "): " +
        sizeof(changes["changed"]) + " files changed, " +
        sizeof(changes["reloaded"]) + " objects reloaded" +
        (sizeof(changes["failed"]) ? ", " + sizeof(changes["failed"]) +
         " failed to compile" : "") + ".\n";
    foreach (string file, string err in changes["failed"])
        text += "  " + file + ": " + err + (err[<1..] == "\n" ? "" : "\n");
    log_file("git", text);
    foreach (object who in users())
        if (is_admin(who->query_name()))
            tell_object(who, "[git] " + text);
}

// ---------------------------------------------------------------- MCP

// neolith --mcp (docs/manual/mcp.md): the Model Context Protocol server
// asks the master what to offer.  The tools and the policy live in
// /secure/mcp.c; these applies only pass the questions on.

#define MCP_OB "/secure/mcp"

mapping *mcp_tools()                  { return MCP_OB->mcp_tools(); }
mapping *mcp_resources()              { return MCP_OB->mcp_resources(); }
mixed mcp_read_resource(string uri)   { return MCP_OB->mcp_read_resource(uri); }
int valid_mcp(string what, mixed arg) { return MCP_OB->valid_mcp(what, arg); }

// Only the driver may run tools: code calling the master must not borrow
// the MCP client's rights.
mixed mcp_call_tool(string name, mapping args, int request_id)
{
    if (previous_object())
        return ([ "text": "mcp_call_tool is for the driver", "isError": 1 ]);
    return MCP_OB->mcp_call_tool(name, args, request_id);
}
