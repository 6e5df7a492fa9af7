// The east road, leading out of the village.
inherit "/std/room";

void create()
{
    ::create();
    set_short("The east road");
    set_long("A dusty road runs between hedgerows.  West, the village square;\n"
             "east, the road goes on toward hills you cannot reach yet.\n");
    set_exits(([ "west": __DIR__ "square" ]));
    set_items(([
        "hedgerows": "Hawthorn and bramble, busy with sparrows.",
        "hills":     "Blue and far away.  Someone still has to build them.",
    ]));
}
