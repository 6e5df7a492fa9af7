// Support for objects.c: a clonable object.
int created;
int value;
object caller;

void create(int initial) { created++; caller = previous_object(); value = initial; }
int query_created() { return created; }
void set_value(int v) { value = v; }
int query_value() { return value; }
static int hidden() { return 1; }
private int very_hidden() { return 2; }
int call_own_static() { return this_object()->hidden(); }
object who_called() { return previous_object(); }
object who_called_2() { return previous_object(1); }
object relay(object target) { return target->who_called(); }
object query_caller() { return caller; }
int add(int a, int b) { return a + b; }
void self_destruct() { destruct(this_object()); }
