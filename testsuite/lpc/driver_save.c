// save_object / restore_object / save_variable / restore_variable
// (src/efun_save.c, src/save_format.c): the MudOS .o text format, every
// value type, nosave and static variables left out, unknown names
// skipped, damaged files refused without touching the object, and the
// atomic write (no temporary file left, the old save kept on failure).
// Scratch files in /tmp_driver_save/.
#include "assert.h"
#include "remove_tree.h"

inherit "/lib/saved_base";

#define DIR "/tmp_driver_save"

int i_pos, i_neg;
float f_val, f_tiny;
string s_plain, s_tricky;
mixed *arr;
mapping map;
mixed zero_var;
object ob_var;
nosave int not_saved;
static int also_not_saved;

void fill()
{
    i_pos = 42;
    i_neg = -9223372036854775807 - 1;
    f_val = -1.5e-3;
    f_tiny = 0.1;
    s_plain = "hello";
    s_tricky = "q\"uote\\back\nnew\rcr\ttab\0nul end";
    arr = ({ 1, -2, 2.5, "s\"", ({ }), ({ ({ 1 }), ([ ]) }), ([ "k": ({ 3 }) ]) });
    map = ([ "a": 1, 2: "two", 3.5: ({ "x" }), "nested": ([ "m": ([ "deep": "\n" ]) ]) ]);
    zero_var = 0;
    ob_var = this_object();
    not_saved = 7;
    also_not_saved = 8;
    set_base(5, "hush", 9);
}

void clear()
{
    i_pos = i_neg = 0;
    f_val = f_tiny = 0.0;
    s_plain = s_tricky = 0;
    arr = 0;
    map = 0;
    set_base(0, 0, 0);
}

void test_round_trip()
{
    fill();
    ASSERT_EQ(save_object(DIR + "/all"), 1);
    string text = read_file(DIR + "/all.o");
    string *lines = explode(text, "\n");
    ASSERT_EQ(lines[0], "#/driver_save.c");
    // inherited variables first, in declaration order; zeros, objects
    // (saved as 0: skipped) and nosave/static ones are not written
    ASSERT_EQ(lines[1], "base_level 5");
    ASSERT_EQ(lines[2], "base_secret \"hush\"");
    ASSERT_EQ(lines[3], "i_pos 42");
    ASSERT_EQ(lines[4], "i_neg -9223372036854775808");
    ASSERT_EQ(lines[7], "s_plain \"hello\"");
    ASSERT_EQ(lines[8], "s_tricky \"q\\\"uote\\\\back\\nnew\\rcr\\ttab\\0nul end\"");
    ASSERT_EQ(lines[9], "arr ({1,-2,2.5,\"s\\\"\",({}),({({1,}),([]),}),([\"k\":({3,}),]),})");
    ASSERT_EQ(sizeof(lines), 11);
    ASSERT(strsrch(text, "not_saved") < 0);
    ASSERT(strsrch(text, "base_cache") < 0);
    ASSERT(strsrch(text, "zero_var") < 0);

    clear();
    not_saved = 70;
    ASSERT_EQ(restore_object(DIR + "/all"), 1);
    ASSERT_EQ(i_pos, 42);
    ASSERT_EQ(i_neg, -9223372036854775807 - 1);
    ASSERT_EQ(f_val, -1.5e-3);
    ASSERT_EQ(f_tiny, 0.1);                 // exact: 17 digits
    ASSERT_EQ(s_plain, "hello");
    ASSERT_EQ(s_tricky, "q\"uote\\back\nnew\rcr\ttab\0nul end");
    ASSERT_EQ(arr, ({ 1, -2, 2.5, "s\"", ({ }), ({ ({ 1 }), ([ ]) }), ([ "k": ({ 3 }) ]) }));
    ASSERT_EQ(map, ([ "a": 1, 2: "two", 3.5: ({ "x" }), "nested": ([ "m": ([ "deep": "\n" ]) ]) ]));
    ASSERT_EQ(not_saved, 70);               // nosave: untouched
    ASSERT_EQ(query_base(), ({ 5, "hush", 0 }));
    ASSERT_EQ(ob_var, 0);                   // objects do not survive

    // ".c" is dropped, ".o" not doubled
    ASSERT_EQ(save_object(DIR + "/named.c"), 1);
    ASSERT_EQ(file_size(DIR + "/named.o") > 0, 1);
    ASSERT_EQ(save_object(DIR + "/named2.o"), 1);
    ASSERT_EQ(file_size(DIR + "/named2.o") > 0, 1);
    ASSERT_EQ(file_size(DIR + "/named2.o.o"), -1);
}

void test_zero_flag()
{
    fill();
    i_pos = 0;
    ASSERT_EQ(save_object(DIR + "/z", 1), 1);  // flag 1: zeros too
    ASSERT(strsrch(read_file(DIR + "/z.o"), "\ni_pos 0\n") >= 0);
    ASSERT(strsrch(read_file(DIR + "/z.o"), "\nzero_var 0\n") >= 0);
    ASSERT(strsrch(read_file(DIR + "/z.o"), "\nob_var 0\n") >= 0);

    // restore without flag resets saveable variables missing in the file
    write_file(DIR + "/few.o", "#/driver_save.c\ni_pos 3\n", 1);
    fill();
    ASSERT_EQ(restore_object(DIR + "/few"), 1);
    ASSERT_EQ(i_pos, 3);
    ASSERT_EQ(s_plain, 0);
    ASSERT_EQ(not_saved, 7);
    // flag 1 keeps them
    fill();
    ASSERT_EQ(restore_object(DIR + "/few", 1), 1);
    ASSERT_EQ(i_pos, 3);
    ASSERT_EQ(s_plain, "hello");
}

void test_tolerant_and_strict()
{
    // unknown names and blank lines are skipped
    write_file(DIR + "/unk.o", "#/old/version.c\nremoved_var ([\"x\":1,])\n\ni_pos 11\n"
               "another_gone \"str\"\ns_plain \"kept\"\r\n", 1);
    clear();
    ASSERT_EQ(restore_object(DIR + "/unk"), 1);
    ASSERT_EQ(i_pos, 11);
    ASSERT_EQ(s_plain, "kept");
    // MudOS wrote newlines in strings as carriage returns
    write_file(DIR + "/cr.o", "s_plain \"a\rb\"\n", 1);
    ASSERT_EQ(restore_object(DIR + "/cr"), 1);
    ASSERT_EQ(s_plain, "a\nb");

    // a damaged file: an error, and the object is unchanged
    fill();
    write_file(DIR + "/bad.o", "#/driver_save.c\ni_pos 99\ns_plain \"unterminated\n", 1);
    ASSERT_ERROR(restore_object(DIR + "/bad"), "unterminated string");
    ASSERT_EQ(i_pos, 42);
    write_file(DIR + "/bad2.o", "i_pos 99 junk\n", 1);
    ASSERT_ERROR(restore_object(DIR + "/bad2"), "junk after the value");
    write_file(DIR + "/bad3.o", "arr ({1,2\n", 1);
    ASSERT_ERROR(restore_object(DIR + "/bad3"), "expected ','");
    write_file(DIR + "/bad4.o", "i_pos\n", 1);
    ASSERT_ERROR(restore_object(DIR + "/bad4"), "no value");
    ASSERT_EQ(i_pos, 42);
    // a missing file: 0, nothing changed
    ASSERT_EQ(restore_object(DIR + "/missing"), 0);
    ASSERT_EQ(i_pos, 42);
}

void test_atomic()
{
    fill();
    ASSERT_EQ(save_object(DIR + "/at"), 1);
    string before = read_file(DIR + "/at.o");
    // a failure while encoding (a cyclic array): error, old save intact
    mixed *cyc = ({ 0 });
    cyc[0] = cyc;
    arr = cyc;
    ASSERT_ERROR(save_object(DIR + "/at"), "nested deeper");
    arr = 0;
    cyc[0] = 0;
    ASSERT_EQ(read_file(DIR + "/at.o"), before);
    // a failure at the rename (the target is a folder): 0, no temp left
    mkdir(DIR + "/isdir.o");
    ASSERT_EQ(save_object(DIR + "/isdir"), 0);
    ASSERT_EQ(file_size(DIR + "/isdir.o"), -2);
    // no temporary files anywhere (they start with ".")
    foreach (string f in get_dir(DIR + "/"))
        ASSERT(f[0] != '.');
    rmdir(DIR + "/isdir.o");
}

void test_sandbox()
{
    ASSERT_ERROR(save_object("/../escape"), "leaves the mudlib");
    ASSERT_EQ(restore_object("/../../etc/passwd"), 0);
}

void test_variables()
{
    mixed *vals = ({ 0, 1, -1, 9223372036854775807, 1.0, -0.25, 1e300, "",
                     "a\"b\\c\nd", ({ }), ({ 1, ({ 2, ({ 3 }) }) }), ([ ]),
                     ([ "x": ([ 1: ({ 2.5 }) ]) ]) });
    foreach (mixed v in vals)
        ASSERT_EQ(restore_variable(save_variable(v)), v);
    ASSERT_EQ(save_variable(1), "1");
    ASSERT_EQ(save_variable(1.0), "1.0");
    ASSERT_EQ(save_variable(0.1), "0.1");          // shortest exact form
    ASSERT_EQ(save_variable(-2.5e-10), "-2.5e-10");
    foreach (float f in ({ 1.0 / 3, 2.0 / 3, 1e-300, 123456789.123456789, -0.0 }))
        ASSERT_EQ(restore_variable(save_variable(f)), f);
    ASSERT_EQ(save_variable("a\"\n"), "\"a\\\"\\n\"");
    ASSERT_EQ(save_variable(({ 1, "x" })), "({1,\"x\",})");
    ASSERT_EQ(save_variable(([ "k": 2 ])), "([\"k\":2,])");
    ASSERT_EQ(save_variable(this_object()), "0");
    ASSERT_EQ(restore_variable(" 12\n"[1..]), 12);
    ASSERT_EQ(restore_variable("({1,2,})\n"), ({ 1, 2 }));
    ASSERT_EQ(typeof(restore_variable("2.0")), "float");
    ASSERT_ERROR(restore_variable(""), "expected a value");
    ASSERT_ERROR(restore_variable("({1,2"), "expected ','");
    ASSERT_ERROR(restore_variable("\"abc"), "unterminated string");
    ASSERT_ERROR(restore_variable("1 2"), "junk after the value");
    ASSERT_ERROR(restore_variable("([1 2,])"), "expected ':'");
    ASSERT_ERROR(restore_variable("99999999999999999999"), "bad integer");
    // nesting is bounded both ways
    mixed deep = 1;
    for (int i = 0; i < 250; i++)
        deep = ({ deep });
    ASSERT_ERROR(save_variable(deep), "nested deeper");
    string text = "";
    for (int i = 0; i < 250; i++)
        text += "({";
    ASSERT_ERROR(restore_variable(text), "nested too deep");
}

int main(string *args)
{
    remove_tree(DIR);
    ASSERT_EQ(mkdir(DIR), 1);
    test_round_trip();
    test_zero_flag();
    test_tolerant_and_strict();
    test_atomic();
    test_sandbox();
    test_variables();
    remove_tree(DIR);
    ASSERT_EQ(file_size(DIR), -1);
    return 0;
}
