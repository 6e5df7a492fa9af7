// gitupdate: pull the mudlib from its git remote and reload what changed
// (docs/manual/git-update.md).  The update runs in the background;
// progress lines and the result arrive on this connection as "[git] ...".
string help() { return "gitupdate            update the mudlib from git (admins)\n"; }

int main(string arg)
{
    mixed r = git_update();
    if (stringp(r))
        write("[git] Not started: " + r + ".\n");
    else
        write("[git] Update started.\n");
    return 1;
}
