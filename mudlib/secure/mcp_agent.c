// mcp_agent.c - the body Model Context Protocol clients act through
// (the run_command tool of /secure/mcp.c).  A player body without a
// connection: it lives in the world, others see and hear it, and what
// reaches it (catch_tell) is collected while a command runs and returned
// to the client.  It is never saved, and it never logs in: no password.

#include <mudlib.h>

inherit PLAYER_OB;

private nosave string heard;      // text collected during a command
private nosave string meanwhile = "";   // text heard between commands

// Called by /secure/mcp.c once, right after new().
void setup_agent(string who)
{
    if (!previous_object() || file_name(previous_object()) != "/secure/mcp")
        return;
    setup_new(who, 0);
    heard = "";
    enter_world(0);
    heard = 0;
    meanwhile = "";
}

// Runs one command line; returns what the agent saw, headed by what it
// heard since the last command.
string run(string cmd)
{
    if (!previous_object() || file_name(previous_object()) != "/secure/mcp")
        return "";
    string before = meanwhile;
    meanwhile = "";
    heard = "";
    int ok = command(cmd);
    string out = heard;
    heard = 0;
    if (!ok && out == "")
        out = "What?\n";
    if (before != "")
        out = "(Heard before this command:)\n" + before + "(Then:)\n" + out;
    return out;
}

void catch_tell(string text)
{
    if (heard)
        heard += text;
    else if (strlen(meanwhile) < 8192)
        meanwhile += text;
}

// Never saved: the agent has no password and no save file.
int save_player() { return 0; }
void write_prompt() { }
void net_dead() { }
