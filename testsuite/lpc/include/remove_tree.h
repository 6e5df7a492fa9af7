// remove_tree.h - remove_tree(dir): deletes the folder dir and all it
// holds (no error when it does not exist), for the driver tests that
// keep scratch files under the mudlib root.
#ifndef TEST_REMOVE_TREE_H
#define TEST_REMOVE_TREE_H

void remove_tree(string dir)
{
    mixed *ents = get_dir(dir + "/", -1);
    if (!ents)
        return;
    foreach (mixed *e in ents) {
        if (e[1] == -2)
            remove_tree(dir + "/" + e[0]);
        else
            rm(dir + "/" + e[0]);
    }
    rmdir(dir);
}

#endif
