// Support for inherit.c: the other branch.
inherit "lib/base.c";

int right_var = 30;
string side() { return "right"; }
string right_only() { return "R"; }
string hidden() { return "right-hidden"; }
