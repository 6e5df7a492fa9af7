// An inherited program with saved, private and nosave variables, for
// driver_save.c.
int base_level;
private string base_secret;
nosave int base_cache;

void set_base(int level, string secret, int cache)
{
    base_level = level;
    base_secret = secret;
    base_cache = cache;
}

mixed *query_base() { return ({ base_level, base_secret, base_cache }); }
