// mcp_git.c - the git_update MCP tool (/secure/mcp.c): starts the driver's
// git update (the efun git_update(), docs/manual/git-update.md) and
// answers the MCP request when it has finished, with progress on the way.
//
// git_update() reports to this_player() with tell: one "[git] ..." line
// per progress step, then one message with the outcome.  So this object
// makes itself this_player() (enable_commands() does that), starts the
// update, and turns what it is told into mcp_progress() and, for the
// outcome, mcp_reply().  Progress lines
// are the ones with a percentage or a count, and the driver's steps
// ("Checking the work tree", "Fetching ...", "Fast-forwarding ...");
// anything else is the outcome.

private nosave int request;       // the MCP request waiting, 0: none
private nosave int steps;         // progress sent so far

string query_name() { return "git"; }

private int progress_line(string line)
{
    if (strsrch(line, "Checking the work tree") == 0 ||
        strsrch(line, "Fetching ") == 0 || strsrch(line, "Fast-forwarding ") == 0)
        return 1;
    // "[remote: ]Receiving objects: 45% (9/20)", "...: 9, done"
    string *parts = explode(line, ": ");
    string last = sizeof(parts) > 1 ? parts[<1] : "";
    return last != "" && last[0] >= '0' && last[0] <= '9';
}

// Starts an update for MCP request `id`: 0 (the answer comes later with
// mcp_reply) or a result when it cannot start.
mixed start(int id)
{
    if (!previous_object() || file_name(previous_object()) != "/secure/mcp")
        return ([ "text": "not allowed", "isError": 1 ]);
    if (request)
        return ([ "text": "A git update started over MCP is still running.",
                  "isError": 1 ]);
    request = id;
    steps = 0;
    enable_commands();           // this_player() is now this object
    mixed started = git_update();
    if (started != 1) {
        request = 0;
        return ([ "text": "The git update did not start: " +
                          (stringp(started) ? started : "unknown reason") + ".",
                  "isError": 1 ]);
    }
    return 0;
}

void catch_tell(string text)
{
    if (!request)
        return;
    string line = text;
    if (strsrch(line, "[git] ") == 0)
        line = line[6..];
    if (sizeof(explode(text, "\n")) <= 1 && progress_line(line)) {
        steps++;
        mcp_progress(request, steps, 0, replace_string(line, "\n", ""));
        return;
    }
    int id = request;
    request = 0;
    int failed = strsrch(lower_case(text), "fail") >= 0 ||
                 strsrch(lower_case(text), "refused") >= 0;
    mcp_reply(id, ([ "text": replace_string(text, "[git] ", ""),
                     "isError": failed ]));
}
