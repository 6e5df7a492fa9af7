// Support for funcptr.c.
int n;
void set(int v) { n = v; }
function getter() { return (: n :); }
