// The file efuns (src/efun_files.c) and the sandbox (src/mudlib_path.c)
// under `neolith --run`, whose mudlib root is this folder.  Scratch
// files live in /tmp_driver_files/, removed at the start (leftovers of a
// failed run) and at the end.
#include "assert.h"
#include "remove_tree.h"

#define DIR "/tmp_driver_files"

void test_write_and_read()
{
    // overwrite (flag 1) and append (no flag / 0)
    ASSERT_EQ(write_file(DIR + "/a.txt", "one\n", 1), 1);
    ASSERT_EQ(read_file(DIR + "/a.txt"), "one\n");
    ASSERT_EQ(write_file(DIR + "/a.txt", "two\n"), 1);
    ASSERT_EQ(write_file(DIR + "/a.txt", "three\n", 0), 1);
    ASSERT_EQ(read_file(DIR + "/a.txt"), "one\ntwo\nthree\n");
    ASSERT_EQ(write_file(DIR + "/a.txt", "fresh", 1), 1);
    ASSERT_EQ(read_file(DIR + "/a.txt"), "fresh");
    // append creates a missing file
    ASSERT_EQ(write_file(DIR + "/b.txt", "x"), 1);
    ASSERT_EQ(read_file(DIR + "/b.txt"), "x");

    // start line and count (1-based)
    write_file(DIR + "/lines.txt", "l1\nl2\nl3\nl4", 1);
    ASSERT_EQ(read_file(DIR + "/lines.txt", 2), "l2\nl3\nl4");
    ASSERT_EQ(read_file(DIR + "/lines.txt", 2, 2), "l2\nl3\n");
    ASSERT_EQ(read_file(DIR + "/lines.txt", 4, 10), "l4");
    ASSERT_EQ(read_file(DIR + "/lines.txt", 1, 1), "l1\n");
    ASSERT_EQ(read_file(DIR + "/lines.txt", 0, 1), "l1\n");
    ASSERT_EQ(read_file(DIR + "/lines.txt", 5), 0);     // past the end
    ASSERT_EQ(read_file(DIR + "/lines.txt", 99, 1), 0);
    ASSERT_ERROR(read_file(DIR + "/lines.txt", 1, -1), "Bad argument 3");

    // missing files and folders read as 0
    ASSERT_EQ(read_file(DIR + "/nope.txt"), 0);
    ASSERT_EQ(read_file(DIR), 0);
    // empty file: ""
    write_file(DIR + "/empty.txt", "", 1);
    ASSERT_EQ(read_file(DIR + "/empty.txt"), "");
    // bytes survive, NULs included
    write_file(DIR + "/bin", "a\0b\xff", 1);
    ASSERT_EQ(read_file(DIR + "/bin"), "a\0b\xff");
    // relative paths start at this object's folder (the root here)
    ASSERT_EQ(read_file("tmp_driver_files/a.txt"), "fresh");
    ASSERT_EQ(read_file("./tmp_driver_files/../tmp_driver_files/a.txt"), "fresh");
    ASSERT_EQ(read_file("//tmp_driver_files//a.txt"), "fresh");
}

void test_sizes_and_stat()
{
    ASSERT_EQ(file_size(DIR + "/a.txt"), 5);
    ASSERT_EQ(file_size(DIR + "/empty.txt"), 0);
    ASSERT_EQ(file_size(DIR), -2);
    ASSERT_EQ(file_size("/"), -2);
    ASSERT_EQ(file_size(DIR + "/nope"), -1);
    mixed *st = stat(DIR + "/a.txt");
    ASSERT_EQ(sizeof(st), 3);
    ASSERT_EQ(st[0], 5);
    ASSERT(st[1] > time() - 3600 && st[1] <= time() + 5);
    ASSERT_EQ(stat(DIR)[0], -2);
    ASSERT_EQ(stat(DIR + "/nope"), 0);
}

void test_dirs()
{
    ASSERT_EQ(mkdir(DIR + "/sub"), 1);
    ASSERT_EQ(mkdir(DIR + "/sub"), 0);              // exists
    ASSERT_EQ(mkdir(DIR + "/no/such/parent"), 0);
    write_file(DIR + "/sub/x.c", "int x;", 1);
    write_file(DIR + "/sub/y.c", "int y;", 1);
    write_file(DIR + "/sub/z.h", "", 1);

    // a folder's entries (trailing slash), sorted, no . and ..
    ASSERT_EQ(get_dir(DIR + "/sub/"), ({ "x.c", "y.c", "z.h" }));
    // a glob
    ASSERT_EQ(get_dir(DIR + "/sub/*.c"), ({ "x.c", "y.c" }));
    ASSERT_EQ(get_dir(DIR + "/sub/?.h"), ({ "z.h" }));
    ASSERT_EQ(get_dir(DIR + "/sub/*.txt"), ({ }));
    // without the slash: the entry itself
    ASSERT_EQ(get_dir(DIR + "/sub"), ({ "sub" }));
    ASSERT_EQ(get_dir(DIR + "/nope/"), 0);
    // flag -1: ({ name, size, mtime }), folders -2
    mixed *l = get_dir(DIR + "/", -1);
    mapping by = ([ ]);
    foreach (mixed *e in l)
        by[e[0]] = e[1];
    ASSERT_EQ(by["sub"], -2);
    ASSERT_EQ(by["a.txt"], 5);
    ASSERT(intp(l[0][2]) && l[0][2] > 0);

    // rmdir refuses a non-empty folder; rm refuses a folder
    ASSERT_EQ(rmdir(DIR + "/sub"), 0);
    ASSERT_EQ(rm(DIR + "/sub"), 0);
    ASSERT_EQ(rm(DIR + "/sub/z.h"), 1);
    ASSERT_EQ(rm(DIR + "/sub/z.h"), 0);             // already gone
    ASSERT_EQ(file_size(DIR + "/sub/z.h"), -1);
}

void test_rename()
{
    write_file(DIR + "/r1", "first", 1);
    write_file(DIR + "/r2", "second", 1);
    // MudOS convention: 0 is success
    ASSERT_EQ(rename(DIR + "/r1", DIR + "/r2"), 0);  // over an existing file
    ASSERT_EQ(read_file(DIR + "/r2"), "first");
    ASSERT_EQ(file_size(DIR + "/r1"), -1);
    ASSERT_EQ(rename(DIR + "/r1", DIR + "/r3"), 1);  // source missing
    ASSERT_EQ(rename(DIR + "/r2", DIR + "/sub/r2"), 0);
    ASSERT_EQ(read_file(DIR + "/sub/r2"), "first");
    ASSERT_EQ(rename(DIR + "/sub", DIR + "/sub2"), 0);  // folders too
    ASSERT_EQ(get_dir(DIR + "/sub2/"), ({ "r2", "x.c", "y.c" }));
}

void test_sandbox()
{
    // looking: refused paths read as missing
    ASSERT_EQ(read_file("../run_lpc_tests"), 0);
    ASSERT_EQ(read_file("/../run_lpc_tests"), 0);
    ASSERT_EQ(read_file("/a/../../run_lpc_tests"), 0);
    ASSERT_EQ(file_size("/.."), -1);
    ASSERT_EQ(get_dir("/../"), 0);
    ASSERT_EQ(stat("/../../etc/passwd"), 0);
    ASSERT_EQ(read_file("/tmp_driver_files/a.txt\0x"), 0);
    // changing: refused paths are errors
    ASSERT_ERROR(write_file("../escape.txt", "x"), "leaves the mudlib");
    ASSERT_ERROR(write_file("/../escape.txt", "x", 1), "leaves the mudlib");
    ASSERT_ERROR(rm("/../run_lpc_tests"), "leaves the mudlib");
    ASSERT_ERROR(mkdir("/../escape"), "leaves the mudlib");
    ASSERT_ERROR(rmdir("/.."), "leaves the mudlib");
    ASSERT_ERROR(rename(DIR + "/a.txt", "/../a.txt"), "leaves the mudlib");
    ASSERT_ERROR(rename("/../../etc/passwd", DIR + "/pw"), "leaves the mudlib");
    ASSERT_ERROR(write_file(DIR + "/x\0y", "x"), "NUL byte");
    // ".." that stays inside is fine
    ASSERT_EQ(read_file(DIR + "/sub2/../a.txt"), "fresh");
    // the root itself cannot be removed
    ASSERT_EQ(rmdir("/"), 0);
}

int main(string *args)
{
    remove_tree(DIR);
    ASSERT_EQ(mkdir(DIR), 1);
    test_write_and_read();
    test_sizes_and_stat();
    test_dirs();
    test_rename();
    test_sandbox();
    remove_tree(DIR);
    ASSERT_EQ(file_size(DIR), -1);
    return 0;
}
