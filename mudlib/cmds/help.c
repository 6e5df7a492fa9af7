// help [command]: the list of commands, each one's own help() line.
string help() { return "help [command]       this list, or one command\n"; }

private string help_of(string file)
{
    string text;
    if (catch(text = file->help()) || !stringp(text))
        return "";
    // Indent every line by two spaces.
    return "  " + replace_string(text[0..<2], "\n", "\n  ") + "\n";
}

int main(string arg)
{
    object me = this_player();
    string *dirs = ({ "/cmds/" });
    if (is_admin(me))
        dirs += ({ "/cmds/admin/" });
    if (arg && arg != "") {
        foreach (string dir in dirs) {
            if (file_size(dir + arg + ".c") > 0) {
                write(replace_string(help_of(dir + arg), "\n  ", "\n")[2..]);
                return 1;
            }
        }
        write("There is no command '" + arg + "'.\n");
        return 1;
    }
    write("Commands (the exits of a room work as commands too):\n");
    foreach (string dir in dirs) {
        if (dir == "/cmds/admin/")
            write("Admin commands:\n");
        foreach (string f in sort_array(get_dir(dir + "*.c") || ({ }), 1))
            write(help_of(dir + f[0..<3]));
    }
    return 1;
}
