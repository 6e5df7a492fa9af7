/*
 * check_mudlib_path.c - the file sandbox (src/mudlib_path.c) and the
 * atomic write the save efuns use (driver_write_atomic, efun_files.c).
 *
 * Each test runs (forked, Check's default) with a fresh mkdtemp()
 * folder as the mudlib root holding a few files, folders and symbolic
 * links, some pointing outside (to /etc and to the folder above the
 * root); the fixture removes it afterwards.  The LPC side (efuns
 * refusing "../" paths) is testsuite/lpc/driver_files.c.
 */
#include "config.h"             /* autoconf's (testsuite/ has no config.h) */
#include "src/efuns_driver.h"
#include "src/mudlib_path.h"
#include "lpc/lpc_runtime.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char outer[PATH_MAX];        /* mkdtemp folder (real path) */
static char root[PATH_MAX];         /* outer/mud: the mudlib root */

static void path_join(char *buf, size_t size, const char *a, const char *b)
{
    ck_assert_int_lt(snprintf(buf, size, "%s/%s", a, b), (int)size);
}

static void make_file(const char *rel, const char *text)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, root, rel);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void make_link(const char *target, const char *rel)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, root, rel);
    ck_assert_int_eq(symlink(target, p), 0);
}

static void setup(void)
{
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/mudpath.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, outer));
    path_join(root, sizeof root, outer, "mud");
    ck_assert_int_eq(mkdir(root, 0755), 0);
    char p[PATH_MAX];
    path_join(p, sizeof p, root, "d");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    make_file("d/room.c", "x");
    char secret[PATH_MAX];
    path_join(secret, sizeof secret, outer, "secret.txt");
    FILE *f = fopen(secret, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    make_link("/etc", "etc_link");              /* outside, absolute */
    make_link("../secret.txt", "up_file");      /* outside, relative */
    make_link("..", "up_dir");
    make_link("d", "d_link");                   /* inside */
    make_link("d/room.c", "room_link");
    make_link("/nonexistent/place", "dangling");
    ck_assert_int_eq(mudlib_path_set_root(root), 0);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void)
{
    remove_tree(outer);
}

/* normalise and expect `want`, or failure when want is NULL */
static void check_norm(const char *in, const char *cur, const char *want)
{
    char out[MUDLIB_PATH_MAX], err[256];
    int rc = mudlib_path_normalize(in, strlen(in), cur, out, sizeof out, err, sizeof err);
    if (want == NULL) {
        ck_assert_msg(rc == -1, "'%s' from '%s' should be refused, got '%s'", in,
                      cur ? cur : "(null)", out);
        ck_assert_ptr_nonnull(strstr(err, "illegal path"));
    } else {
        ck_assert_msg(rc == 0, "'%s' refused: %s", in, err);
        ck_assert_str_eq(out, want);
    }
}

START_TEST(test_normalize_absolute_relative_dots)
{
    check_norm("/a/b", NULL, "/a/b");
    check_norm("a/b", NULL, "/a/b");
    check_norm("a/b", "/d/x", "/d/x/a/b");
    check_norm("/a/b", "/d/x", "/a/b");
    check_norm("", "/d/x", "/d/x");
    check_norm("/", NULL, "/");
    check_norm("//a///b/", NULL, "/a/b");
    check_norm("./a/./b/.", NULL, "/a/b");
    check_norm("/a/b/../c", NULL, "/a/c");
    check_norm("../y", "/d/x", "/d/y");
    check_norm("../../y", "/d/x", "/y");
    check_norm("/a/..", NULL, "/");
}
END_TEST

START_TEST(test_normalize_refuses_escapes_nul_and_long_paths)
{
    check_norm("..", NULL, NULL);
    check_norm("../x", NULL, NULL);
    check_norm("/../x", NULL, NULL);
    check_norm("/a/../../x", NULL, NULL);
    check_norm("../../../y", "/d/x", NULL);
    check_norm("/a/b/../../..", NULL, NULL);
    char out[MUDLIB_PATH_MAX], err[256];
    ck_assert_int_eq(mudlib_path_normalize("/a\0b", 4, NULL, out, sizeof out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    static char big[MUDLIB_PATH_MAX + 10];
    memset(big, 'a', sizeof big - 1);
    big[0] = '/';
    ck_assert_int_eq(mudlib_path_normalize(big, strlen(big), NULL, out, sizeof out, err,
                                           sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
}
END_TEST

/* resolve and expect success with host path root + lpc, or a refusal
 * whose message contains `why` */
static void check_resolve(const char *in, const char *want_lpc, const char *why)
{
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX], err[512];
    int rc = mudlib_path_resolve(in, strlen(in), NULL, lpc, sizeof lpc, host, sizeof host,
                                 err, sizeof err);
    if (why != NULL) {
        ck_assert_msg(rc == -1, "'%s' should be refused, got %s", in, host);
        ck_assert_msg(strstr(err, why) != NULL, "'%s': '%s' lacks '%s'", in, err, why);
        return;
    }
    ck_assert_msg(rc == 0, "'%s' refused: %s", in, err);
    ck_assert_str_eq(lpc, want_lpc);
    char want_host[PATH_MAX];
    snprintf(want_host, sizeof want_host, "%s%s", root, strcmp(want_lpc, "/") ? want_lpc : "");
    ck_assert_str_eq(host, want_host);
}

START_TEST(test_resolve_inside_paths_and_missing_ones)
{
    ck_assert_str_eq(mudlib_path_root(), root);
    check_resolve("/d/room.c", "/d/room.c", NULL);
    check_resolve("/", "/", NULL);
    check_resolve("/d/new/deeper/file", "/d/new/deeper/file", NULL);
    check_resolve("/d/room.c/below", "/d/room.c/below", NULL);   /* ENOTDIR */
    /* links that stay inside are followed; the host path keeps the link */
    check_resolve("/d_link/room.c", "/d_link/room.c", NULL);
    check_resolve("/room_link", "/room_link", NULL);
    check_resolve("/d_link/new.txt", "/d_link/new.txt", NULL);
    /* what counts is where a path ends up: out through a link and back
     * in lands inside */
    check_resolve("/up_dir/mud/d/room.c", "/up_dir/mud/d/room.c", NULL);
}
END_TEST

START_TEST(test_resolve_refuses_links_leading_outside)
{
    check_resolve("/etc_link", NULL, "outside the mudlib");
    check_resolve("/etc_link/passwd", NULL, "outside the mudlib");
    check_resolve("/etc_link/no/such/file", NULL, "outside the mudlib");
    check_resolve("/up_file", NULL, "outside the mudlib");
    check_resolve("/up_dir", NULL, "outside the mudlib");
    check_resolve("/up_dir/secret.txt", NULL, "outside the mudlib");
    check_resolve("/dangling", NULL, "dangling link");
    check_resolve("/dangling/x", NULL, "dangling link");
    check_resolve("/../secret.txt", NULL, "leaves the mudlib");
}
END_TEST

START_TEST(test_set_root_needs_an_existing_folder)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, root, "no_such_dir");
    ck_assert_int_eq(mudlib_path_set_root(p), -1);
    path_join(p, sizeof p, root, "d/room.c");
    ck_assert_int_eq(mudlib_path_set_root(p), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_str_eq(mudlib_path_root(), root);     /* unchanged */
    /* a root given through a link is resolved */
    path_join(p, sizeof p, root, "d_link");
    ck_assert_int_eq(mudlib_path_set_root(p), 0);
    char want[PATH_MAX];
    path_join(want, sizeof want, root, "d");
    ck_assert_str_eq(mudlib_path_root(), want);
}
END_TEST

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void read_back(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

START_TEST(test_atomic_write_replaces_and_leaves_no_temp_file)
{
    char dir[PATH_MAX], p[PATH_MAX], buf[64];
    path_join(dir, sizeof dir, root, "saves");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    path_join(p, sizeof p, dir, "a.o");
    ck_assert_int_eq(driver_write_atomic(p, "first\n", 6), 0);
    read_back(p, buf, sizeof buf);
    ck_assert_str_eq(buf, "first\n");
    ck_assert_int_eq(driver_write_atomic(p, "second", 6), 0);
    read_back(p, buf, sizeof buf);
    ck_assert_str_eq(buf, "second");
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(test_atomic_write_failure_keeps_old_file)
{
    char dir[PATH_MAX], p[PATH_MAX], buf[64];
    path_join(dir, sizeof dir, root, "saves");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    /* the rename fails: the target is a non-empty folder */
    path_join(p, sizeof p, dir, "isdir.o");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    char inner[PATH_MAX];
    path_join(inner, sizeof inner, p, "keep");
    FILE *f = fopen(inner, "w");
    ck_assert_ptr_nonnull(f);
    fputs("old", f);
    fclose(f);
    ck_assert_int_eq(driver_write_atomic(p, "new", 3), -1);
    ck_assert_int_eq(count_entries(dir), 1);        /* no temp file */
    read_back(inner, buf, sizeof buf);
    ck_assert_str_eq(buf, "old");
    /* the temp file cannot even be made: the folder is missing */
    path_join(p, sizeof p, dir, "missing/x.o");
    ck_assert_int_eq(driver_write_atomic(p, "new", 3), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

/* ---- the master's valid_read / valid_write ---------------------------- */

static const char master_src[] =
    "string *calls = ({ });\n"
    "int valid_read(string f, mixed ob, string fn) {\n"
    "    calls += ({ sprintf(\"R %s %s %s\", f, objectp(ob) ? file_name(ob) : \"0\", fn) });\n"
    "    if (f == \"/boom.txt\") error(\"master exploded\");\n"
    "    return f != \"/secret.txt\" && f != \"/saves/hidden.o\";\n"
    "}\n"
    "int valid_write(string f, mixed ob, string fn) {\n"
    "    calls += ({ sprintf(\"W %s %s %s\", f, objectp(ob) ? file_name(ob) : \"0\", fn) });\n"
    "    return strsrch(f, \"/saves/\") == 0;\n"
    "}\n"
    "string *take_calls() { string *c = calls; calls = ({ }); return c; }\n"
    "mixed master_reads(string f) { return read_file(f); }\n";

static const char user_src[] =
    "int x = 5;\n"
    "mixed r(string f) { return read_file(f); }\n"
    "mixed w(string f) { return catch(write_file(f, \"x\")); }\n"
    "mixed sz(string f) { return file_size(f); }\n"
    "mixed sv(string f) { return catch(save_object(f)); }\n"
    "mixed rs(string f) { return restore_object(f); }\n"
    "mixed rd(string f) { return catch(read_file(f)); }\n";

static lpc_vm_t *mvm;
static char reported[1024];

static void on_report(void *ctx, const char *message, const char *trace)
{
    (void)ctx;
    (void)trace;
    snprintf(reported, sizeof reported, "%s", message);
}

/* Calls fname(arg) in ob; the result as owned value. */
static lpc_value_t call1(lpc_object_t *ob, const char *fname, const char *arg)
{
    lpc_value_t a = lpc_value_string(lpc_string_from_cstr(arg));
    lpc_value_t r = lpc_int(0);
    bool ok = lpc_runtime_call(mvm, ob, fname, &a, 1, &r, NULL);
    lpc_value_release(&a);
    ck_assert_msg(ok, "%s(%s) failed: %s", fname, arg, reported);
    return r;
}

/* The master's recorded calls since the last take, joined with '|'. */
static void take_calls(char *buf, size_t size)
{
    lpc_value_t r = lpc_int(0);
    ck_assert(lpc_runtime_call(mvm, mvm->master, "take_calls", NULL, 0, &r, NULL));
    ck_assert_int_eq(r.type, LPC_T_ARRAY);
    buf[0] = '\0';
    for (uint32_t i = 0; i < r.u.a->size; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s", i ? "|" : "", r.u.a->items[i].u.s->data);
    }
    lpc_value_release(&r);
}

static void check_string_result(lpc_value_t v, const char *want_part)
{
    ck_assert_int_eq(v.type, LPC_T_STRING);
    ck_assert_msg(strstr(v.u.s->data, want_part) != NULL, "'%s' lacks '%s'",
                  v.u.s->data, want_part);
    lpc_value_release(&v);
}

START_TEST(test_master_valid_read_and_write_guard_the_file_efuns)
{
    char p[PATH_MAX];
    path_join(p, sizeof p, root, "saves");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    make_file("master.c", master_src);
    make_file("d/user.c", user_src);
    make_file("secret.txt", "s");
    make_file("open.txt", "o");

    lpc_runtime_options_t o;
    memset(&o, 0, sizeof o);
    o.read_file = lpc_runtime_dir_reader;
    o.read_ctx = root;
    o.report_error = on_report;
    mvm = lpc_runtime_init(&o);
    driver_efuns_register_all();
    ck_assert(lpc_runtime_load_master(mvm, "/master"));
    lpc_object_t *u = lpc_runtime_load(mvm, "/d/user");
    ck_assert_ptr_nonnull(u);
    char calls[2048];
    take_calls(calls, sizeof calls);

    /* reads: the normalised path, the calling object, the efun */
    lpc_value_t v = call1(u, "r", "../open.txt");
    check_string_result(v, "o");
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "R /open.txt /d/user read_file");
    /* refused read: 0 / -1, no error */
    v = call1(u, "r", "/secret.txt");
    ck_assert(v.type == LPC_T_INT && v.u.i == 0);
    v = call1(u, "sz", "/d/../secret.txt");
    ck_assert(v.type == LPC_T_INT && v.u.i == -1);
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "R /secret.txt /d/user read_file|R /secret.txt /d/user file_size");
    /* the sandbox refuses before the master is asked */
    v = call1(u, "r", "/../secret.txt");
    ck_assert(v.type == LPC_T_INT && v.u.i == 0);
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "");

    /* refused write: an error naming the efun and the path */
    v = call1(u, "w", "/open.txt");
    check_string_result(v, "write_file: permission denied: /open.txt");
    v = call1(u, "w", "/saves/ok.txt");
    ck_assert_int_eq(v.type, LPC_T_INT);       /* catch: no error */
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "W /open.txt /d/user write_file|W /saves/ok.txt /d/user write_file");

    /* saves: the ".o" path goes to the master */
    v = call1(u, "sv", "/d/user");
    check_string_result(v, "save_object: permission denied: /d/user.o");
    v = call1(u, "sv", "/saves/user");
    ck_assert_int_eq(v.type, LPC_T_INT);
    v = call1(u, "rs", "/saves/user");
    ck_assert(v.type == LPC_T_INT && v.u.i == 1);
    char from[PATH_MAX];
    path_join(from, sizeof from, root, "saves/user.o");
    path_join(p, sizeof p, root, "saves/hidden.o");
    ck_assert_int_eq(rename(from, p), 0);
    v = call1(u, "rs", "/saves/hidden");
    ck_assert(v.type == LPC_T_INT && v.u.i == 0);
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "W /d/user.o /d/user save_object|W /saves/user.o /d/user save_object|"
                     "R /saves/user.o /d/user restore_object|"
                     "R /saves/hidden.o /d/user restore_object");

    /* the master is not asked about its own accesses */
    v = call1(mvm->master, "master_reads", "/secret.txt");
    check_string_result(v, "s");
    take_calls(calls, sizeof calls);
    ck_assert_str_eq(calls, "");

    /* an error in the apply is an error in the efun */
    v = call1(u, "rd", "/boom.txt");
    check_string_result(v, "master exploded");
    lpc_runtime_shutdown(mvm);
}
END_TEST

static Suite *mudlib_path_suite(void)
{
    Suite *s = suite_create("mudlib_path");
    TCase *tc = tcase_create("sandbox");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_normalize_absolute_relative_dots);
    tcase_add_test(tc, test_normalize_refuses_escapes_nul_and_long_paths);
    tcase_add_test(tc, test_resolve_inside_paths_and_missing_ones);
    tcase_add_test(tc, test_resolve_refuses_links_leading_outside);
    tcase_add_test(tc, test_set_root_needs_an_existing_folder);
    suite_add_tcase(s, tc);
    TCase *ta = tcase_create("atomic_write");
    tcase_add_checked_fixture(ta, setup, teardown);
    tcase_add_test(ta, test_atomic_write_replaces_and_leaves_no_temp_file);
    tcase_add_test(ta, test_atomic_write_failure_keeps_old_file);
    suite_add_tcase(s, ta);
    TCase *tm = tcase_create("master");
    tcase_add_checked_fixture(tm, setup, teardown);
    tcase_add_test(tm, test_master_valid_read_and_write_guard_the_file_efuns);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mudlib_path_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
