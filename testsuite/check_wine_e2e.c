/*
 * check_wine_e2e.c - the Windows driver (neolith.exe, built with
 * mingw-w64) running the bundled mudlib under wine, played from Linux
 * over real TCP: create characters, say something and see it echoed and
 * heard, quit (the save file is written through the Windows atomic
 * replace) and log back in (the password hash made on Windows checks), a runtime error that reaches only the player who caused it,
 * and an orderly shutdown by an admin's `shutdown` command and by Ctrl-C
 * (SIGINT to wine): the process exits 0 and the log says the shutdown
 * completed.
 *
 * A native Linux program, not run by `make check` (it needs a cross
 * build): NEOLITH_WIN32_BUILD names a configured and built cross build
 * tree (./bootstrap --host=x86_64-w64-mingw32; make src/neolith.exe):
 *
 *   make testsuite/check_wine_e2e
 *   NEOLITH_WIN32_BUILD=/path/to/win-build ./testsuite/check_wine_e2e
 *
 * NEOLITH_WINE may name the wine program (default "wine").  The driver
 * is started through e2e_util's NEOLITH_E2E_WRAPPER hook: the wrapper is
 * `wine "$0.exe"`, and e2e_bin_dir points into the cross build, so the
 * binary e2e_util names (<build>/src/neolith) runs as neolith.exe.
 * WINEDEBUG=-all keeps wine's own chatter out of the driver's stderr.
 *
 * wine's first start in a fresh WINEPREFIX takes 10-20 s (more on a
 * loaded machine): every wait here is on data (the "listening on port"
 * line, a reply), with a generous bound that only turns a hang into a
 * failure.
 */
#include <config.h>
#include "e2e_mudlib.h"
#include "e2e_util.h"
#include "port/port_clock.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bound on each awaited reply or log line under wine. */
#define WINE_TIMEOUT_MS 120000

static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ in the source tree */
static char win_build[PATH_MAX];    /* NEOLITH_WIN32_BUILD, resolved */

/* A temp folder holding a copy of the bundled mudlib with a config of a
 * free loopback port and "admins: root" (the master reads it from
 * /neolith.conf). */
static void mud_prepare(e2e_driver_t *d)
{
    e2e_mudlib_prepare(d, "check_wine_e2e", mudlib_src);
}

/* ---- playing ----------------------------------------------------------- */

static char *command_reply(e2e_client_t *c, const char *cmd)
{
    e2e_client_send_line(c, cmd);
    return e2e_client_read_until_ms(c, "> ", WINE_TIMEOUT_MS);
}

static void command(e2e_client_t *c, const char *cmd, const char *reply)
{
    e2e_client_send_line(c, cmd);
    e2e_client_wait_for(c, reply);
}

/* The admin `root` shuts the game down: the driver must say goodbye,
 * close every connection, exit 0 and log the orderly shutdown (on its
 * stderr and in <mudlib>/log/neolith.log). */
static void shutdown_by_admin(e2e_driver_t *d, e2e_client_t *root)
{
    command(root, "shutdown", "Shutting down.\r\n");
    e2e_client_wait_eof(root);
    int code = e2e_exit_code(e2e_driver_wait(d));
    char *log = e2e_driver_log_copy(d);
    ck_assert_msg(code == 0, "neolith.exe exited %d; its stderr:\n%s", code, log);
    e2e_assert_contains(log, "backend: shutdown complete (exit status 0)");
    e2e_assert_contains(log, "neolith stopped (exit status 0)");
    free(log);
    char *file_log = e2e_mudlib_read(d, "/log/neolith.log");
    e2e_assert_contains(file_log, "backend: shutdown complete (exit status 0)");
    free(file_log);
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_players_talk_quit_and_an_admin_shuts_down)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");
    char *log = e2e_driver_log_copy(&d);
    /* the Windows paths the driver works with: "Z:/tmp/..." under wine */
    e2e_assert_contains(log, "comm: listening on 127.0.0.1:");
    free(log);

    e2e_client_t *alice = e2e_create_character(&d, "alice", "alicepw1", WINE_TIMEOUT_MS, NULL);
    e2e_client_t *bob = e2e_create_character(&d, "bob", "bobpw123", WINE_TIMEOUT_MS, NULL);
    e2e_client_wait_for(alice, "Bob arrives.\r\n");

    /* say: the speaker's echo, and the other player hears it */
    command(alice, "say hello from linux", "You say: hello from linux\r\n> ");
    e2e_client_wait_for(bob, "Alice says: hello from linux\r\n");
    command(bob, "say hi alice", "You say: hi alice\r\n> ");
    e2e_client_wait_for(alice, "Bob says: hi alice\r\n");

    char *text = command_reply(alice, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    free(text);

    /* quit saves (driver_write_atomic: temp file + MoveFileExW) */
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    e2e_client_wait_eof(alice);
    e2e_client_free(alice);
    e2e_client_wait_for(bob, "Alice leaves the game.\r\n");
    char *saved = e2e_mudlib_read(&d, "/data/players/alice.o");
    ck_assert_msg(saved != NULL, "no /data/players/alice.o after quit");
    e2e_assert_contains(saved, "\nname \"alice\"\n");
    ck_assert(strstr(saved, "alicepw1") == NULL);   /* only the hash */
    ck_assert(strstr(saved, "\r\n") == NULL);       /* written in binary mode */
    free(saved);

    /* back again: the hash made on Windows (libxcrypt, salt from
     * BCryptGenRandom) refuses a wrong password and takes the right one */
    alice = e2e_client_connect_player(&d, "alice");
    e2e_client_wait_for(alice, E2E_NAME_PROMPT);
    e2e_client_send_line(alice, "alice");
    e2e_client_wait_for(alice, "Password: ");
    e2e_type_password(alice, "bobpw123", WINE_TIMEOUT_MS);
    e2e_client_wait_for(alice, "Wrong password.\r\nPassword: ");
    e2e_type_password(alice, "alicepw1", WINE_TIMEOUT_MS);
    text = e2e_client_read_until_ms(alice, "> ", WINE_TIMEOUT_MS);
    ck_assert_msg(strncmp(text, "\r\n" E2E_SQUARE, strlen(E2E_SQUARE) + 2) == 0, "relogin: \"%s\"", text);
    free(text);
    e2e_client_wait_for(bob, "Alice arrives.\r\n");
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    e2e_client_wait_eof(alice);
    e2e_client_free(alice);

    /* the admin arrives and stops the game; bob is told and let go */
    e2e_client_t *root = e2e_create_character(&d, "root", "rootpw12", WINE_TIMEOUT_MS, NULL);
    e2e_client_wait_for(bob, "Root arrives.\r\n");
    shutdown_by_admin(&d, root);
    e2e_client_wait_for(bob, "Root shuts the game down.\r\n");
    e2e_client_wait_eof(bob);

    e2e_client_free(root);
    e2e_client_free(bob);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_runtime_error_reaches_only_that_player)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_mudlib_write(&d, "/cmds/oops.c", E2E_OOPS_COMMAND);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *root = e2e_create_character(&d, "root", "rootpw12", WINE_TIMEOUT_MS, NULL);
    e2e_client_t *bob = e2e_create_character(&d, "bob", "bobpw123", WINE_TIMEOUT_MS, NULL);
    e2e_client_wait_for(root, "Bob arrives.\r\n");

    command(bob, "oops",
            "Something went wrong (Array index 1 out of bounds (size 0)); it was logged.\r\n> ");
    command(bob, "say still here", "You say: still here\r\n> ");
    e2e_client_wait_for(root, "Bob says: still here\r\n");
    ck_assert(strstr(root->seen, "Something went wrong") == NULL);
    ck_assert(strstr(root->seen, "out of bounds") == NULL);

    char *log = e2e_mudlib_read(&d, "/log/runtime");
    e2e_assert_contains(log, "Array index 1 out of bounds (size 0)\n");
    free(log);

    shutdown_by_admin(&d, root);
    e2e_client_free(root);
    e2e_client_free(bob);
    e2e_driver_cleanup(&d);
}
END_TEST

/* SIGINT to the wine process is a Ctrl-C for the Windows program: the
 * console control handler posts a completion that wakes the loop, which
 * shuts down in order (the player's character is saved). */
START_TEST(test_ctrl_c_shuts_down_in_order)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *bob = e2e_create_character(&d, "bob", "bobpw123", WINE_TIMEOUT_MS, NULL);
    ck_assert_int_eq(kill(d.pid, SIGINT), 0);
    e2e_client_wait_eof(bob);
    int code = e2e_exit_code(e2e_driver_wait(&d));
    char *log = e2e_driver_log_copy(&d);
    ck_assert_msg(code == 0, "neolith.exe exited %d after Ctrl-C; its stderr:\n%s", code, log);
    e2e_assert_contains(log, "backend: received Ctrl-C, shutting down");
    e2e_assert_contains(log, "backend: shutdown complete (exit status 0)");
    free(log);
    char *saved = e2e_mudlib_read(&d, "/data/players/bob.o");
    ck_assert_msg(saved != NULL, "no /data/players/bob.o after the shutdown");
    free(saved);
    e2e_client_free(bob);
    e2e_driver_cleanup(&d);
}
END_TEST

static Suite *wine_suite(void)
{
    Suite *s = suite_create("wine_e2e");
    TCase *tc = tcase_create("play");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_players_talk_quit_and_an_admin_shuts_down);
    tcase_add_test(tc, test_runtime_error_reaches_only_that_player);
    tcase_add_test(tc, test_ctrl_c_shuts_down_in_order);
    suite_add_tcase(s, tc);
    return s;
}

/* sh-safe: the wrapper is pasted into `sh -c` by e2e_util. */
static bool shell_safe(const char *s)
{
    for (; *s != '\0'; s++)
        if (strchr("'\"\\$`", *s) != NULL)
            return false;
    return true;
}

int main(int argc, char **argv)
{
    (void)argc;
    e2e_set_bin_dir(argv[0]);
    if (!e2e_find_source_dir(mudlib_src, "mudlib", "../mudlib", "check_wine_e2e", "mudlib"))
        return EXIT_FAILURE;

    const char *build = getenv("NEOLITH_WIN32_BUILD");
    if (build == NULL || *build == '\0') {
        fprintf(stderr,
                "check_wine_e2e: NEOLITH_WIN32_BUILD is not set.  It must name a "
                "configured and built Windows cross build tree, e.g.\n"
                "  NEOLITH_WIN32_BUILD=/work/win-driver ./testsuite/check_wine_e2e\n"
                "(that tree: ./bootstrap --host=x86_64-w64-mingw32 && make src/neolith.exe)\n");
        return EXIT_FAILURE;
    }
    if (realpath(build, win_build) == NULL) {
        fprintf(stderr, "check_wine_e2e: NEOLITH_WIN32_BUILD=%s: %s\n", build, strerror(errno));
        return EXIT_FAILURE;
    }
    char exe[PATH_MAX + 32];
    snprintf(exe, sizeof(exe), "%s/src/neolith.exe", win_build);
    if (access(exe, R_OK) != 0) {
        fprintf(stderr, "check_wine_e2e: no %s (%s): build it there with "
                "'make src/neolith.exe'\n", exe, strerror(errno));
        return EXIT_FAILURE;
    }
    const char *wine = getenv("NEOLITH_WINE");
    if (wine == NULL || *wine == '\0')
        wine = "wine";
    if (!shell_safe(win_build) || !shell_safe(wine)) {
        fprintf(stderr, "check_wine_e2e: quotes, '$' or '\\' in the build path or "
                "NEOLITH_WINE are not supported\n");
        return EXIT_FAILURE;
    }

    /* e2e_util starts "<e2e_bin_dir>/../src/neolith" as `sh -c 'exec
     * WRAPPER "$0" "$@"'`: run "$0.exe" under wine instead, and let the
     * comment swallow the rest. */
    if (snprintf(e2e_bin_dir, sizeof(e2e_bin_dir), "%.*s/src", PATH_MAX - 8, win_build) >=
        (int)sizeof(e2e_bin_dir)) {
        fprintf(stderr, "check_wine_e2e: the build path is too long\n");
        return EXIT_FAILURE;
    }
    char wrapper[PATH_MAX];
    snprintf(wrapper, sizeof(wrapper), "%s \"$0.exe\" \"$@\" #", wine);
    setenv("NEOLITH_E2E_WRAPPER", wrapper, 1);
    setenv("WINEDEBUG", "-all", 1);
    e2e_hang_ms = WINE_TIMEOUT_MS;
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(wine_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
