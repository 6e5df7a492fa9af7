// The village square: where new characters arrive.
inherit "/std/room";

void create()
{
    ::create();
    set_short("The village square");
    set_long("Cobbles worn smooth by generations of feet surround an old stone\n"
             "fountain.  Laughter spills out of a tavern to the north, a road\n"
             "leads east out of the village, and a gate opens west onto a\n"
             "garden.\n");
    set_exits(([
        "north": __DIR__ "tavern",
        "east":  __DIR__ "road",
        "west":  __DIR__ "garden",
    ]));
    set_items(([
        "fountain": "Water splashes over mossy stone.  Coins glint at the bottom.",
        "cobbles":  "Grey, round and slippery when wet.",
        "coins":    "Wishes, mostly.  They are not yours to take.",
    ]));
}
