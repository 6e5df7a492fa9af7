// update <file>: recompile a file (destruct its object, load it again).
// Players standing in a room being updated wait in the void meanwhile.
#include <mudlib.h>

string help() { return "update <file>        recompile an object (admins)\n"; }

int main(string file)
{
    object old, *guests = ({ });
    string err;
    if (!file || file == "") {
        object here = environment(this_player());
        if (!here) {
            notify_fail("Update what?\n");
            return 0;
        }
        file = file_name(here);
    }
    if (file[0] != '/')
        file = "/" + file;
    if (file[<2..] == ".c")
        file = file[0..<3];
    // Destructing the master or the simul_efun object would leave the
    // driver without them (no logins, no file checks): restart instead.
    if (file == MASTER_OB || file == "/secure/simul_efun") {
        write("The master and the simul_efun object are reloaded by "
              "restarting the driver.\n");
        return 1;
    }
    old = find_object(file);
    if (old) {
        guests = filter(all_inventory(old), (: living($1) :));
        foreach (object p in guests)
            p->move(VOID_ROOM);
        destruct(old);
    }
    err = catch(load_object(file));
    if (err) {
        write("Error loading " + file + ": " + (err[0] == '*' ? err[1..] : err));
        return 1;
    }
    foreach (object p in guests)
        if (p) p->move(file);
    write("Updated " + file + ".\n");
    return 1;
}
