/*
 * check_git_e2e.c - end-to-end test of the git update in the game
 * (docs/manual/git-update.md, src/lpc_git.h): a bare repository is the
 * remote (file:// URL), the driver's mudlib is a clone of it (a copy of
 * the bundled mudlib/), and src/neolith runs on it with "git update: on".
 * An admin logs in over a raw telnet socket, a change to a room is
 * pushed upstream, "gitupdate" shows progress lines and the result, and
 * "look" shows the new description without a restart; a syntax error
 * pushed upstream is reported and the old room keeps working; a dirty
 * work tree is refused and left byte-for-byte as it was.
 *
 * The driver and telnet client helpers are in e2e_util.c.
 * Synchronisation is on data: every reply is awaited by reading until
 * it arrives; E2E_TIMEOUT_MS only turns a hang into a failure.
 */
#include <config.h>
#include "e2e_util.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define E2E_TIMEOUT_MS 30000

/* ================================================================ git */

static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ of the source tree */

/* Runs a shell command line (built with printf formatting); it must exit 0. */
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "command failed (status 0x%x): %s", st, cmd);
}

/* The output of a shell command line (caller frees). */
static char *sh_output(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    size_t n;
    while ((n = fread(s + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            s = realloc(s, cap);
            ck_assert_ptr_nonnull(s);
        }
    }
    s[len] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    return s;
}

/* The mudlib's fingerprint: path and bytes of every file outside .git
 * (the run-time folders log/ and data/ aside, which the game writes),
 * plus .git/HEAD, the HEAD commit and .git/index. */
static char *fingerprint(const char *dir)
{
    return sh_output("cd %s && { find . -path ./.git -prune -o -path ./log -prune "
                     "-o -path ./data -prune -o -type f -print0 | sort -z | "
                     "xargs -0 sha256sum; sha256sum .git/HEAD .git/index; "
                     "git rev-parse HEAD; }", dir);
}

/* The scene: d->dir/seed (upstream's work tree), d->dir/remote.git (the
 * bare remote, a file:// URL), d->dir/mudlib (the driver's mudlib, a
 * clone) and the driver running on it, its config (tracked upstream, so
 * the clone is clean) saying "git update: on" and making "tester" an
 * admin. */
typedef struct scene {
    e2e_driver_t d;
    char seed[300];
    char mudlib[300];
} scene_t;

static void scene_start_with(scene_t *s, const char *extra)
{
    e2e_driver_t *d = &s->d;
    memset(s, 0, sizeof(*s));
    e2e_driver_init(d);
    snprintf(s->seed, sizeof(s->seed), "%s/seed", d->dir);
    snprintf(s->mudlib, sizeof(s->mudlib), "%s/mudlib", d->dir);

    sh("cp -R %s %s && rm -rf %s/log/* %s/data/players/*.o", mudlib_src, s->seed,
       s->seed, s->seed);
    char conf[PATH_MAX + 32], text[1024];
    snprintf(conf, sizeof(conf), "%s/neolith.conf", s->seed);
    snprintf(text, sizeof(text),
             "# written by check_git_e2e\n"
             "mudlib directory: .\n"
             "port: %d\n"
             "bind address: 127.0.0.1\n"
             "log directory: ../log\n"
             "admins: tester\n"
             "git update: on\n"
             "%s", d->port, extra != NULL ? extra : "git timeout: 60\n");
    e2e_write_file(conf, text);
    sh("printf '/log/\\n' >> %s/.gitignore", s->seed);
    sh("cd %s && git init -q -b main && git add -A && git commit -q -m seed", s->seed);
    sh("git init -q --bare -b main %s/remote.git", d->dir);
    sh("git -C %s push -q file://%s/remote.git main", s->seed, d->dir);
    sh("git clone -q -b main file://%s/remote.git %s", d->dir, s->mudlib);

    /* git-remote-slow on the driver's PATH (see the slow remote test) */
    sh("mkdir %s/bin && printf '#!/bin/sh\\nexec sleep 1000\\n' > %s/bin/git-remote-slow"
       " && chmod +x %s/bin/git-remote-slow", d->dir, d->dir, d->dir);
    const char *path = getenv("PATH");
    char newpath[8192];
    snprintf(newpath, sizeof(newpath), "%s/bin:%s", d->dir, path != NULL ? path : "/usr/bin:/bin");
    setenv("PATH", newpath, 1);

    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", s->mudlib);
    e2e_driver_start(d, "neolith");
}

static void scene_start(scene_t *s)
{
    scene_start_with(s, NULL);
}

/* Upstream: replaces `from` by `to` in seed's FILE, commits, pushes. */
static void push_change(scene_t *s, const char *file, const char *from, const char *to)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", s->seed, file);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *hit = strstr(buf, from);
    ck_assert_msg(hit != NULL, "'%s' not in %s", from, file);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(buf, 1, (size_t)(hit - buf), f);
    fputs(to, f);
    fputs(hit + strlen(from), f);
    ck_assert_int_eq(fclose(f), 0);
    sh("cd %s && git commit -q -am 'change %s' && git push -q file://%s/remote.git main",
       s->seed, file, s->d.dir);
}

/* Logs in as the new admin character "tester"; the first prompt has
 * been read. */
static e2e_client_t *login_admin(scene_t *s)
{
    e2e_client_t *c = e2e_client_connect(&s->d);
    e2e_client_wait_for(c, "creates a character): ");
    e2e_client_send(c, "tester\r\n");
    e2e_client_wait_for(c, "Choose a password (at least 6 characters): ");
    e2e_client_send(c, "secret1\r\n");
    e2e_client_wait_for(c, "Type it again: ");
    e2e_client_send(c, "secret1\r\n");
    e2e_client_wait_for(c, "> ");
    return c;
}

static void scene_end(scene_t *s, e2e_client_t *c)
{
    e2e_client_free(c);
    e2e_driver_stop(&s->d);
    e2e_driver_cleanup(&s->d);
}

#define OLD_LONG "Cobbles worn smooth by generations of feet"
#define NEW_LONG "Freshly laid cobbles from upstream"

START_TEST(test_gitupdate_reloads_the_room_and_a_syntax_error_keeps_the_old_one)
{
    scene_t s;
    scene_start(&s);
    e2e_client_t *c = login_admin(&s);
    e2e_client_command(c, "look", OLD_LONG);
    e2e_client_wait_for(c, "> ");

    push_change(&s, "domains/start/square.c", OLD_LONG, NEW_LONG);
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    /* progress, then the result with the reload report */
    e2e_client_wait_for(c, "[git] Fetching ");
    e2e_client_wait_for(c, "[git] Fast-forwarding ");
    e2e_client_wait_for(c, "[git] updated from ");
    e2e_client_wait_for(c, "[git] reloaded ");
    e2e_client_wait_for(c, "/domains/start/square");
    e2e_client_wait_for(c, "\r\n");
    e2e_client_command(c, "look", NEW_LONG);   /* the player is still in the square */
    e2e_client_wait_for(c, "> ");

    push_change(&s, "domains/start/square.c", "void create()", "void create() {{ syntax error");
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] updated from ");
    e2e_client_wait_for(c, "[git] not reloaded, the old version keeps running: "
                       "/domains/start/square: ");
    e2e_client_wait_for(c, "square.c:");
    e2e_client_command(c, "look", NEW_LONG);   /* the old object still runs */
    e2e_client_wait_for(c, "> ");
    scene_end(&s, c);
}
END_TEST

START_TEST(test_gitupdate_refuses_a_dirty_tree_and_leaves_it_unchanged)
{
    scene_t s;
    scene_start(&s);
    e2e_client_t *c = login_admin(&s);
    push_change(&s, "domains/start/square.c", OLD_LONG, NEW_LONG);
    sh("printf '// local edit\\n' >> %s/domains/start/garden.c", s.mudlib);
    char *before = fingerprint(s.mudlib);
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] work tree has local changes: M domains/start/garden.c");
    e2e_client_wait_for(c, "\r\n");
    char *after = fingerprint(s.mudlib);
    ck_assert_str_eq(before, after);
    e2e_client_command(c, "look", OLD_LONG);
    e2e_client_wait_for(c, "> ");
    free(before);
    free(after);
    scene_end(&s, c);
}
END_TEST

START_TEST(test_gitupdate_up_to_date_says_so_and_is_for_admins_only)
{
    scene_t s;
    scene_start(&s);
    e2e_client_t *c = login_admin(&s);
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] already up to date");
    e2e_client_wait_for(c, "\r\n");
    /* a player who is not an admin */
    e2e_client_t *p = e2e_client_connect(&s.d);
    e2e_client_wait_for(p, "creates a character): ");
    e2e_client_send(p, "walker\r\n");
    e2e_client_wait_for(p, "Choose a password (at least 6 characters): ");
    e2e_client_send(p, "secret1\r\n");
    e2e_client_wait_for(p, "Type it again: ");
    e2e_client_send(p, "secret1\r\n");
    e2e_client_wait_for(p, "> ");
    e2e_client_command(p, "gitupdate", "Only admins may use 'gitupdate'.");
    e2e_client_free(p);
    scene_end(&s, c);
}
END_TEST

/* A changed inherited program recompiles its heirs (the square inherits
 * /std/room); a broken one is reported, and its heirs keep their old
 * version instead of being rebuilt on the old base. */
START_TEST(test_changed_base_program_reloads_heirs_and_a_broken_one_keeps_them)
{
    scene_t s;
    scene_start(&s);
    e2e_client_t *c = login_admin(&s);
    push_change(&s, "std/room.c", "\"Obvious exits: \"", "\"Ways out: \"");
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] updated from ");
    e2e_client_wait_for(c, "[git] reloaded ");
    e2e_client_wait_for(c, "\r\n");
    e2e_client_command(c, "look", "Ways out: east, north and west.");
    e2e_client_wait_for(c, "> ");

    push_change(&s, "std/room.c", "string long(object looker)", "string long(object looker) oops");
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] not reloaded, the old version keeps running: /std/room: ");
    e2e_client_wait_for(c, "[git] not reloaded, the old version keeps running: "
                       "/domains/start/square: it inherits /std/room, which was not reloaded");
    e2e_client_command(c, "look", "Ways out: east, north and west.");
    e2e_client_wait_for(c, "> ");
    scene_end(&s, c);
}
END_TEST

/* A remote that never answers: "slow::nowhere" makes git fetch run
 * git-remote-slow from PATH, which sleeps.  While it sleeps the update
 * cannot end (only the git timeout ends it), so a second request is
 * refused for certain.  scene_start puts the helper on the driver's PATH. */
START_TEST(test_second_gitupdate_is_refused_and_a_timeout_leaves_the_mudlib)
{
    scene_t s;
    scene_start_with(&s, "git remote: slow::nowhere\n"
                         "git branch: main\n"
                         "git timeout: 8\n");
    e2e_client_t *c = login_admin(&s);
    char *before = fingerprint(s.mudlib);
    e2e_client_command(c, "gitupdate", "[git] Update started.");
    e2e_client_wait_for(c, "[git] Fetching slow::nowhere main");
    e2e_client_command(c, "gitupdate", "[git] Not started: an update is already running.");
    e2e_client_wait_for(c, "[git] timed out after 8 s during git fetch");
    e2e_client_wait_for(c, "the mudlib is unchanged");
    char *after = fingerprint(s.mudlib);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    scene_end(&s, c);
}
END_TEST

static Suite *git_suite(void)
{
    Suite *s = suite_create("git_e2e");
    TCase *tc = tcase_create("gitupdate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gitupdate_reloads_the_room_and_a_syntax_error_keeps_the_old_one);
    tcase_add_test(tc, test_gitupdate_refuses_a_dirty_tree_and_leaves_it_unchanged);
    tcase_add_test(tc, test_gitupdate_up_to_date_says_so_and_is_for_admins_only);
    tcase_add_test(tc, test_changed_base_program_reloads_heirs_and_a_broken_one_keeps_them);
    tcase_add_test(tc, test_second_gitupdate_is_refused_and_a_timeout_leaves_the_mudlib);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    e2e_set_bin_dir(argv[0]);
    if (!e2e_find_source_dir(mudlib_src, "mudlib", "../mudlib", "check_git_e2e", "mudlib"))
        return EXIT_FAILURE;
    /* git's configuration comes from this environment only: the
     * operator's ~/.gitconfig never matters, and commits have an author. */
    setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "check_git_e2e", 1);
    setenv("GIT_AUTHOR_EMAIL", "check@example.invalid", 1);
    setenv("GIT_COMMITTER_NAME", "check_git_e2e", 1);
    setenv("GIT_COMMITTER_EMAIL", "check@example.invalid", 1);
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(git_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
