// Support for inherit.c: the root of the hierarchy.
int base_var = 10;
private int secret = 1;
string *log = ({ });

void create() { log += ({ "base" }); }
string name() { return "base"; }
string describe() { return "I am " + name(); }
int get_secret() { return secret; }
private string hidden() { return "base-hidden"; }
string call_hidden() { return hidden(); }
nomask string fixed() { return "fixed"; }
int base_only() { return base_var; }
