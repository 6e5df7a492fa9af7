// Support for inherit.c: one branch.
inherit "/lib/base";

int left_var = 20;
string name() { return "left"; }
string side() { return "left"; }
string left_only() { return "L" + ::name(); }
