// mcp.c - the game's Model Context Protocol tools (neolith --mcp;
// docs/manual/mcp.md).  The master forwards its MCP applies here:
// mcp_tools() lists the tools, mcp_call_tool() runs one, valid_mcp()
// says what an MCP client may do, mcp_resources() and
// mcp_read_resource() offer live views.
//
// A tool answers with a string, a mapping ([ "text": ..., "structured":
// ..., "isError": 1 ]), or 0 and later mcp_reply(request_id, result).
// LPC has no booleans: 1 and 0 in schemas and annotations become true
// and false in JSON.

#include <mudlib.h>

#define AGENT_OB   "/secure/mcp_agent"
#define GIT_OB     "/secure/mcp_git"
#define EXTRA_OB   "/secure/mcp_tools_extra"
#define AGENT_NAME "agent"
#define MAX_LOG_LINES 200

private object agent;

// ---------------------------------------------------------------- helpers

private mapping no_args()
{
    return ([ "type": "object", "additionalProperties": 0 ]);
}

private mapping string_arg(string description)
{
    return ([ "type": "string", "description": description ]);
}

private mapping tool(string name, string title, string description,
                     mapping input, mapping output, int read_only,
                     int destructive)
{
    mapping t = ([
        "name": name,
        "title": title,
        "description": description,
        "inputSchema": input,
        "annotations": ([ "readOnlyHint": read_only,
                          "destructiveHint": destructive ]),
    ]);
    if (output)
        t["outputSchema"] = output;
    return t;
}

private mapping failure(string text)
{
    return ([ "text": text, "isError": 1 ]);
}

// The agent character: a body living in the game that MCP clients act
// through.  Made on first use and kept.
object query_agent()
{
    if (!agent) {
        agent = find_living(AGENT_NAME);
        if (!agent || file_name(agent)[0..strlen(AGENT_OB) - 1] != AGENT_OB) {
            agent = new(AGENT_OB);
            agent->setup_agent(AGENT_NAME);
        }
    }
    return agent;
}

// ---------------------------------------------------------------- the list

// More tools without touching this file: if /secure/mcp_tools_extra.c
// exists, its mcp_tools() adds to the list and its mcp_call_tool(name,
// args, request_id) runs them.  Recompiling it (the recompile tool, a
// git update) changes the list, and the driver tells the client
// (notifications/tools/list_changed).
private object extra()
{
    object ob = find_object(EXTRA_OB);
    if (!ob && file_size(EXTRA_OB + ".c") >= 0)
        catch(ob = load_object(EXTRA_OB));
    return ob;
}

// Does the extra object list a tool called `name`?
private int extra_has(object x, string name)
{
    mixed more;
    if (catch(more = x->mcp_tools()) || !arrayp(more))
        return 0;
    foreach (mixed t in more)
        if (mapp(t) && t["name"] == name)
            return 1;
    return 0;
}

mapping *mcp_tools()
{
    mapping *tools = ({
        tool("who_is_online", "Who is online",
             "Lists the players connected to the game now, with the room "
             "each is in and how long they have been idle.",
             no_args(),
             ([ "type": "object",
                "properties": ([
                    "count": ([ "type": "integer" ]),
                    "players": ([ "type": "array", "items": ([
                        "type": "object",
                        "properties": ([
                            "name": ([ "type": "string" ]),
                            "room": ([ "type": "string" ]),
                            "idleSeconds": ([ "type": "integer" ]) ]) ]) ]) ]),
                "required": ({ "count", "players" }) ]),
             1, 0),
        tool("look", "Look at a room or object",
             "Describes a room or object of the game world and lists what "
             "is in it. target: a room or object file (/domains/start/square), "
             "or the name of a player or living; default: the start room.",
             ([ "type": "object",
                "properties": ([ "target": string_arg("file name of a room "
                    "or object, or a player's name") ]),
                "additionalProperties": 0 ]),
             0, 1, 0),
        tool("run_command", "Run a command as the agent",
             "Types a game command (look, say hello, north, get flower, "
             "help) as the agent character '" + AGENT_NAME + "', who lives "
             "in the game world, and returns what the agent saw.",
             ([ "type": "object",
                "properties": ([ "command": string_arg("the command line, "
                    "as a player would type it") ]),
                "required": ({ "command" }),
                "additionalProperties": 0 ]),
             0, 0, 0),
        tool("player_info", "Player info",
             "Public facts about a player or the agent: online or not, "
             "room, idle time, when the character was created.",
             ([ "type": "object",
                "properties": ([ "name": string_arg("the character's name") ]),
                "required": ({ "name" }),
                "additionalProperties": 0 ]),
             ([ "type": "object",
                "properties": ([
                    "name": ([ "type": "string" ]),
                    "online": ([ "type": "boolean" ]),
                    "room": ([ "type": "string" ]),
                    "idleSeconds": ([ "type": "integer" ]),
                    "created": ([ "type": "string" ]),
                    "agent": ([ "type": "boolean" ]) ]),
                "required": ({ "name", "online" }) ]),
             1, 0),
        tool("read_log", "Read a log",
             "The last lines of a mudlib log in /log/: runtime (run-time "
             "errors), compile (compile errors), preload, neolith.log (the "
             "driver).",
             ([ "type": "object",
                "properties": ([
                    "log": string_arg("the log's file name in /log/; "
                                      "default runtime"),
                    "lines": ([ "type": "integer", "minimum": 1,
                                "maximum": MAX_LOG_LINES,
                                "description": "how many lines, default 20" ]) ]),
                "additionalProperties": 0 ]),
             0, 1, 0),
        tool("recompile", "Recompile an object",
             "Admin: compiles a mudlib file again and replaces its loaded "
             "object (players inside wait in the void meanwhile). Reports "
             "the compile errors.",
             ([ "type": "object",
                "properties": ([ "file": string_arg("the object's file, "
                    "/domains/start/square") ]),
                "required": ({ "file" }),
                "additionalProperties": 0 ]),
             0, 0, 1),
    });
    if (efun_exists("git_update"))
        tools += ({ tool("git_update", "Update the mudlib from git",
                         "Admin: fetches the mudlib's git remote, fast-forwards "
                         "and reloads the changed objects. Answers when the "
                         "update has finished, with progress on the way.",
                         no_args(), 0, 0, 1) });
    object x = extra();
    if (x) {
        mixed more;
        if (!catch(more = x->mcp_tools()) && arrayp(more))
            tools += filter(more, (: mapp($1) && stringp($1["name"]) :));
    }
    return tools;
}

// ---------------------------------------------------------------- the tools

private mixed who_is_online()
{
    mapping *list = ({ });
    string text = "";
    foreach (object p in users()) {
        string name = p->query_name();
        if (!name)
            continue;
        object env = environment(p);
        mapping e = ([ "name": name,
                       "room": env ? file_name(env) : "",
                       "idleSeconds": query_idle(p) ]);
        list += ({ e });
        text += sprintf("%s in %s, idle %d s\n", capitalize(name), e["room"],
                        e["idleSeconds"]);
    }
    if (sizeof(list) == 0)
        text = "Nobody is online.\n";
    return ([ "text": text,
              "structured": ([ "count": sizeof(list), "players": list ]) ]);
}

private mixed look(mapping args)
{
    string target = args["target"];
    object ob;
    if (!target || target == "")
        target = START_ROOM;
    if (target[0] == '/') {
        if (target[<2..] == ".c")
            target = target[0..<3];
        ob = find_object(target);
        if (!ob && file_size(target + ".c") >= 0) {
            string err = catch(ob = load_object(target));
            if (err)
                return failure("Cannot load " + target + ": " + err);
        }
    } else {
        ob = find_player(lower_case(target)) || find_living(lower_case(target));
    }
    if (!ob)
        return failure("There is no room, object or player '" + target +
                       "'. Give a file name like " + START_ROOM + " or a "
                       "player's name.");
    string text = file_name(ob) + ":\n";
    string desc = ob->long(0);
    if (desc)
        text += desc;
    object *inv = all_inventory(ob);
    if (sizeof(inv)) {
        text += "Contents:\n";
        foreach (object o in inv)
            text += "  " + (o->short() || file_name(o)) + " (" + file_name(o) + ")\n";
    }
    object env = environment(ob);
    if (env)
        text += "It is in " + file_name(env) + ".\n";
    return text;
}

private mixed run_command(mapping args)
{
    string cmd = args["command"];
    if (!cmd || cmd == "")
        return failure("Give a command, e.g. \"look\".");
    if (strsrch(cmd, "\n") >= 0)
        return failure("One command at a time, without newlines.");
    return query_agent()->run(cmd);
}

private mixed player_info(mapping args)
{
    string name = args["name"];
    if (!name || name == "")
        return failure("Give a character's name.");
    name = lower_case(name);
    object p = find_player(name) || find_living(name);
    if (p && p->query_name() != name)
        p = 0;
    mapping info = ([ "name": name ]);
    if (p) {
        object env = environment(p);
        info["online"] = 1;
        info["agent"] = p == agent;
        if (env)
            info["room"] = file_name(env);
        if (interactive(p))
            info["idleSeconds"] = query_idle(p);
        if (p->query_created())
            info["created"] = ctime(p->query_created());
    } else if (file_size(PLAYER_SAVE_DIR + name + ".o") > 0) {
        info["online"] = 0;
        info["agent"] = 0;
    } else {
        return failure("There is no character called '" + name + "'.");
    }
    string text = capitalize(name) + (info["online"] ? " is online" : " is offline");
    if (info["room"])
        text += ", in " + info["room"];
    text += info["agent"] ? " (the MCP agent).\n" : ".\n";
    return ([ "text": text, "structured": info ]);
}

private mixed read_log(mapping args)
{
    string name = args["log"] || "runtime";
    int n = args["lines"] || 20;
    if (n < 1 || n > MAX_LOG_LINES)
        return failure("lines must be between 1 and " + MAX_LOG_LINES + ".");
    foreach (int c in name) {
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
              c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'))
            return failure("A log is named by its file name in /log/, "
                           "like runtime or compile.");
    }
    string file = LOG_DIR + name;
    if (file_size(file) < 0)
        return failure("There is no log " + file + " (yet). Logs: " +
                       implode(get_dir(LOG_DIR) || ({ }), ", ") + ".");
    string text = read_file(file);
    if (!text || text == "")
        return file + " is empty.\n";
    string *lines = explode(text, "\n");
    if (sizeof(lines) > n)
        lines = lines[<n..];
    return implode(lines, "\n") + "\n";
}

private mixed recompile(mapping args)
{
    string file = args["file"];
    if (!file || file == "")
        return failure("Give a file, e.g. " + START_ROOM + ".");
    if (file[0] != '/')
        file = "/" + file;
    if (file[<2..] == ".c")
        file = file[0..<3];
    if (file == MASTER_OB || file == "/secure/simul_efun")
        return failure("The master and the simul_efun object are reloaded "
                       "by restarting the driver.");
    if (file_size(file + ".c") < 0)
        return failure("There is no file " + file + ".c.");
    object old = find_object(file);
    object *guests = ({ });
    if (old) {
        guests = filter(all_inventory(old), (: living($1) :));
        foreach (object p in guests)
            p->move(VOID_ROOM);
        destruct(old);
    }
    string err = catch(load_object(file));
    if (err)
        return failure("Error loading " + file + ": " +
                       (err[0] == '*' ? err[1..] : err));
    foreach (object p in guests)
        if (p) p->move(file);
    return "Recompiled " + file + ".\n";
}

mixed mcp_call_tool(string name, mapping args, int request_id)
{
    if (previous_object() && previous_object() != find_object(MASTER_OB))
        return failure("only the master calls MCP tools");
    switch (name) {
    case "who_is_online": return who_is_online();
    case "look":          return look(args);
    case "run_command":   return run_command(args);
    case "player_info":   return player_info(args);
    case "read_log":      return read_log(args);
    case "recompile":     return recompile(args);
    case "git_update":
        if (!efun_exists("git_update"))
            return failure("This driver has no git update.");
        return GIT_OB->start(request_id);
    }
    // A tool of /secure/mcp_tools_extra answers as ours do (0: later,
    // with mcp_reply).
    object x = extra();
    if (x && extra_has(x, name))
        return x->mcp_call_tool(name, args, request_id);
    return failure("No tool " + name + ".");
}

// ---------------------------------------------------------------- policy

// What an MCP client may do.  The client is whoever runs the driver in
// --mcp mode (its owner), so tools are allowed; file reads follow
// valid_read, except the player save files (password hashes).
int valid_mcp(string what, mixed arg)
{
    if (what == "read")
        return stringp(arg) && strsrch(arg, PLAYER_SAVE_DIR) != 0;
    return 1;
}

// ---------------------------------------------------------------- resources

mapping *mcp_resources()
{
    mapping *list = ({
        ([ "uri": "mud://who", "name": "who", "title": "Who is online",
           "description": "The players online now, one per line.",
           "mimeType": "text/plain" ]),
        ([ "uriTemplate": "mud://object/{+path}", "name": "object",
           "title": "A room or object",
           "description": "What look shows for the object with this file "
                          "name (mud://object/domains/start/square); a "
                          "clone's # is written %23 "
                          "(mud://object/std/player%233).",
           "mimeType": "text/plain" ]),
    });
    foreach (string f in ({ "/README.md", "/neolith.conf", "/include/mudlib.h",
                            START_ROOM + ".c" })) {
        if (file_size(f) >= 0)
            list += ({ ([ "uri": "mudlib://" + f, "name": f[1..],
                          "description": "The mudlib file " + f + ".",
                          "mimeType": f[<2..] == ".c" || f[<2..] == ".h"
                              ? "text/x-c" : "text/plain" ]) });
    }
    return list;
}

mixed mcp_read_resource(string uri)
{
    if (uri == "mud://who")
        return who_is_online()["text"];
    if (strsrch(uri, "mud://object/") == 0) {
        // %23 is a clone's "#" (see /std/object.c object_uri)
        mixed r = look(([ "target": "/" + replace_string(uri[13..], "%23", "#") ]));
        return stringp(r) ? r : 0;
    }
    return 0;
}
