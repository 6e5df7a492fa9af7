// object.c - what every thing in the world has: names it answers to,
// a short and a long description, and a way to move.
//
//     inherit "/std/object";
//     void create() {
//         set_ids(({ "lamp", "brass lamp" }));
//         set_short("a brass lamp");
//         set_long("An old brass lamp, polished by many hands.");
//     }

private nosave string *ids = ({ });
private nosave string short_desc = "a nondescript thing";
private nosave string long_desc = "You see nothing special.";
private nosave int no_get;            // 1: "get" refuses it (fixtures, rooms)

void set_ids(string *names)    { ids = map(names, (: lower_case :)); }
void add_id(string name)       { ids += ({ lower_case(name) }); }
void set_short(string s)       { short_desc = s; }
void set_long(string s)
{
    if (strlen(s) > 0 && s[<1] == '\n')     // long() adds the newline
        s = s[0..<2];
    long_desc = s;
}
void set_no_get(int flag)      { no_get = flag; }

string *query_ids()            { return ids; }
int query_no_get()             { return no_get; }

// present() asks every object "is this you?" through id().
int id(string name)
{
    return member_array(lower_case(name), ids) >= 0;
}

string short() { return short_desc; }

// The text "look at <thing>" shows; rooms override it.
string long() { return long_desc + "\n"; }

// Moves this object into `dest` (an object or a file name); the driver
// then calls init() in and around it.
void move(mixed dest)
{
    object from = environment();
    if (stringp(dest))
        dest = load_object(dest);
    move_object(dest);
    // MCP clients watching the look view of either room or of this
    // object (mud://object/<file>, /secure/mcp.c) hear of the change;
    // without a watcher these calls do nothing.
    if (from)
        mcp_resource_changed(object_uri(from));
    mcp_resource_changed(object_uri(dest));
    mcp_resource_changed(object_uri(this_object()));
}

// The MCP resource URI of an object's look view.  A clone's "#" would
// start a URI fragment (clients drop it), so it is written %23.
private string object_uri(object ob)
{
    return "mud://object" + replace_string(file_name(ob), "#", "%23");
}
