// room.c - a place: a description, exits to other rooms, and "items",
// the details you can look at but not pick up.
//
//     inherit "/std/room";
//     void create() {
//         set_short("The village square");
//         set_long("Cobbles, a fountain, ...");
//         set_exits(([ "north": __DIR__ "tavern" ]));
//         set_items(([ "fountain": "Water splashes over mossy stone." ]));
//     }

inherit "/std/object";

private mapping exits = ([ ]);   // direction -> room file name
private mapping items = ([ ]);   // item name -> description

void set_exits(mapping m)                 { exits = m; }
void add_exit(string dir, string dest)    { exits[dir] = dest; }
void set_items(mapping m)                 { items = m; }

mapping query_exits()          { return exits; }
string query_exit(string dir)  { return exits[dir]; }
string query_item(string name) { return items[lower_case(name)]; }

void create()
{
    set_no_get(1);
}

// What "look" shows: the description, the exits and what lies here
// (except the looker, who is passed in).
string long(object looker)
{
    string text = short() + "\n" + ::long();
    string *dirs = keys(exits);
    if (sizeof(dirs) == 0)
        text += "There are no obvious exits.\n";
    else if (sizeof(dirs) == 1)
        text += "The only obvious exit is " + dirs[0] + ".\n";
    else
        text += "Obvious exits: " + list_words(sort_array(dirs, 1)) + ".\n";
    foreach (object ob in all_inventory(this_object())) {
        if (ob != looker)
            text += "  " + capitalize(ob->short()) + "\n";
    }
    return text;
}

// Rooms are never "a room" in a list; nothing to add here, but a room
// that wants extra verbs adds them in its own init() with add_action().
void init() { }
