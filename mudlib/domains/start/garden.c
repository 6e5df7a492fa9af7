// A quiet garden with a flower to pick.
inherit "/std/room";

void reset();

void create()
{
    ::create();
    set_short("A walled garden");
    set_long("Old brick walls keep the wind out of this garden.  Bees drift\n"
             "between the flower beds.  The gate to the east leads back to the\n"
             "square.\n");
    set_exits(([ "east": __DIR__ "square" ]));
    set_items(([
        "walls": "Warm red brick, overgrown with ivy.",
        "beds":  "Roses, lavender and marigolds.",
        "bees":  "Busy.  Best left alone.",
    ]));
    reset();
}

void reset()
{
    if (!present("flower", this_object()))
        new(__DIR__ "obj/flower")->move(this_object());
}
