// The tavern: warm, noisy, and home of the brass lamp.
inherit "/std/room";

void reset();

void create()
{
    ::create();
    set_short("The Drowsy Dragon tavern");
    set_long("A low room of dark beams and firelight.  Tables crowd around a\n"
             "hearth, and a long bar runs along the back wall.  The door\n"
             "leads south to the square.\n");
    set_exits(([ "south": __DIR__ "square" ]));
    set_items(([
        "hearth": "A fire crackles happily, as it has for a hundred years.",
        "bar":    "Polished oak, sticky in places.",
        "tables": "Scarred with the initials of long-gone adventurers.",
    ]));
    reset();
}

// The driver calls reset() now and then: put the lamp back if it is gone.
void reset()
{
    if (!present("lamp", this_object()))
        new(__DIR__ "obj/lamp")->move(this_object());
}
