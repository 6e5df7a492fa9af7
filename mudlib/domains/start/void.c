// The void: where players wait while their room is being recompiled, and
// where anyone whose room failed to load ends up.
inherit "/std/room";

void create()
{
    ::create();
    set_short("The void");
    set_long("You float in a grey nothing.  A path of light leads down to the\n"
             "village square.\n");
    set_exits(([ "down": __DIR__ "square" ]));
}
