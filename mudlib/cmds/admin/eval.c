// eval <expression>: evaluate LPC and show the value with %O.
//
// The expression goes into /tmp_eval/<name>.c as the body of a function,
// which is loaded, called and destructed.  "me" is you, "here" your room.
#include <mudlib.h>

string help() { return "eval <expression>    evaluate LPC, e.g. eval users() (admins)\n"; }

int main(string expr)
{
    object me = this_player(), ob;
    string file, err;
    mixed result;
    if (!expr || expr == "") {
        notify_fail("Eval what?\n");
        return 0;
    }
    file = EVAL_DIR + me->query_name();
    if (ob = find_object(file))
        destruct(ob);
    write_file(file + ".c",
               "#include <mudlib.h>\n"
               "#define me this_player()\n"
               "#define here environment(this_player())\n"
               "mixed eval() {\n"
               "    return " + expr + ";\n"
               "}\n", 1);
    err = catch(ob = load_object(file));
    if (!err)
        err = catch(result = ob->eval());
    if (ob = find_object(file))
        destruct(ob);
    rm(file + ".c");
    if (err)
        write("Error: " + (err[0] == '*' ? err[1..] : err));
    else
        printf("Result: %O\n", result);
    return 1;
}
