// A brass lamp: an item you can get, carry and drop.
inherit "/std/object";

void create()
{
    set_ids(({ "lamp", "brass lamp" }));
    set_short("a brass lamp");
    set_long("An old brass lamp, polished by many hands.  It is not lit.");
}
