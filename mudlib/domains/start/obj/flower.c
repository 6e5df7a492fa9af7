// A flower: an item that adds its own verb, "smell", to whoever is near it.
inherit "/std/object";

void create()
{
    set_ids(({ "flower", "rose", "red rose" }));
    set_short("a red rose");
    set_long("A single red rose, still wet with dew.");
}

// The driver calls init() in this object for every living thing that
// comes near it (into its room, or picking it up): the moment to offer
// them a verb.
void init()
{
    add_action("do_smell", "smell");
}

int do_smell(string arg)
{
    if (arg && !id(arg)) {
        notify_fail("Smell what?\n");
        return 0;
    }
    write("The rose smells of summer.\n");
    say(this_player()->query_cap_name() + " smells the rose.\n");
    return 1;
}
