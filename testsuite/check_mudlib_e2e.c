/*
 * check_mudlib_e2e.c - end-to-end tests of the bundled mudlib (mudlib/):
 * the real src/neolith started on a copy of it and played through raw
 * telnet sockets, as a newcomer would: create a character (the password
 * asked with echo off), look, walk, talk, who, quit, log back in with
 * the password (a wrong one refused); the saved room survives a driver
 * restart; a runtime error in a command reaches only the player who
 * typed it; an endless loop is stopped by the eval limit; the file
 * sandbox refuses "../" escapes and eval is refused to non-admins.
 *
 * Each test copies mudlib/ (without log/ and saved players) into a
 * mkdtemp folder and writes the test's config as <copy>/neolith.conf,
 * because the master reads the "admins:" line from /neolith.conf; the
 * admin is "root" (e2e_mudlib.c: the copy, the password typing and the
 * character creation, shared with check_wine_e2e).  Synchronisation is on data, never on time: each reply is
 * awaited by reading until it arrives; the per-expectation deadlines
 * only turn a hang into a failure.
 */
#include <config.h>
#include "e2e_mudlib.h"
#include "e2e_util.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The bound on each awaited reply.  Replies come in milliseconds; the
 * bound only matters when something hangs, and is generous for
 * sanitizer builds on a loaded machine.  Under NEOLITH_E2E_WRAPPER
 * (valgrind) every bound is ten times longer. */
#define E2E_TIMEOUT_MS (10000 * timeout_scale)
/* An endless loop spends the whole eval budget (200,000,000) first:
 * under a second in a normal or ASan build. */
#define E2E_LOOP_TIMEOUT_MS (60000 * timeout_scale)

static int timeout_scale = 1;

static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ in the source tree */

/* A temp folder holding a copy of the bundled mudlib with a config of a
 * free loopback port and "admins: root".  The driver is not started. */
static void mud_prepare(e2e_driver_t *d)
{
    e2e_mudlib_prepare(d, "check_mudlib_e2e", mudlib_src);
}

static char *client_read_until(e2e_client_t *c, const char *needle)
{
    return e2e_client_read_until_ms(c, needle, E2E_TIMEOUT_MS);
}

/* Sends a command and waits for `reply`. */
static void command(e2e_client_t *c, const char *cmd, const char *reply)
{
    e2e_client_send_line(c, cmd);
    e2e_client_wait_for(c, reply);
}

/* Sends a command and returns its whole reply, up to the prompt. */
static char *command_reply(e2e_client_t *c, const char *cmd)
{
    e2e_client_send_line(c, cmd);
    return client_read_until(c, "> ");
}

/* ---- playing the bundled mudlib --------------------------------------- */

#define TAVERN "The Drowsy Dragon tavern\r\n"
#define GARDEN "A walled garden\r\n"

/* Connects and creates the character `name` (lower case) with
 * `password`; returns once the player stands in the square at the
 * prompt. */
static e2e_client_t *create_character(e2e_driver_t *d, const char *name, const char *password)
{
    char *text;
    e2e_client_t *c = e2e_create_character(d, name, password, E2E_TIMEOUT_MS, &text);
    e2e_assert_contains(text, "Obvious exits: east, north and west.\r\n");
    free(text);
    return c;
}

/* Connects and logs in as the existing character `name`; returns once
 * the player stands at the prompt, having been shown `room` (its short
 * description line). */
static e2e_client_t *login(e2e_driver_t *d, const char *name, const char *password,
                       const char *room)
{
    e2e_client_t *c = e2e_client_connect_player(d, name);
    e2e_client_wait_for(c, E2E_NAME_PROMPT);
    e2e_client_send_line(c, name);
    e2e_client_wait_for(c, "Password: ");
    e2e_type_password(c, password, E2E_TIMEOUT_MS);
    char *text = client_read_until(c, "> ");
    ck_assert_msg(strncmp(text, "\r\n", 2) == 0 && strncmp(text + 2, room, strlen(room)) == 0,
                  "%s: expected the room \"%s\" after the password, got \"%s\"",
                  name, room, text);
    free(text);
    ck_assert_msg(strstr(c->seen, password) == NULL, "%s: the password was echoed", name);
    return c;
}

/* The text of a player's save file in the copy (caller frees), or NULL. */
static char *save_file(e2e_driver_t *d, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "/data/players/%s.o", name);
    return e2e_mudlib_read(d, rel);
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_new_character_looks_walks_talks_and_logs_back_in)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");

    e2e_client_t *alice = create_character(&d, "alice", "alicepw1");
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    e2e_client_wait_for(alice, "Bob arrives.\r\n");

    /* look: the room, its exits, and who else stands here */
    char *text = command_reply(bob, "look");
    ck_assert_str_eq(text, E2E_SQUARE
                     "Cobbles worn smooth by generations of feet surround an old stone\r\n"
                     "fountain.  Laughter spills out of a tavern to the north, a road\r\n"
                     "leads east out of the village, and a gate opens west onto a\r\n"
                     "garden.\r\n"
                     "Obvious exits: east, north and west.\r\n"
                     "  Alice\r\n"
                     "> ");
    free(text);
    command(alice, "look at fountain",
            "Water splashes over mossy stone.  Coins glint at the bottom.\r\n> ");
    command(alice, "look at bob", "Bob is here, looking around.\r\n> ");
    command(alice, "look at", "Look at what?\r\n> ");
    command(alice, "look at ", "Look at what?\r\n> ");
    command(alice, "look at  fountain ",
            "Water splashes over mossy stone.  Coins glint at the bottom.\r\n> ");
    command(alice, "look at dragon", "You see no dragon here.\r\n> ");

    /* say: the speaker hears "You say", the other player the words */
    command(alice, "say hello bob", "You say: hello bob\r\n> ");
    e2e_client_wait_for(bob, "Alice says: hello bob\r\n");
    command(bob, "say hi alice", "You say: hi alice\r\n> ");
    e2e_client_wait_for(alice, "Bob says: hi alice\r\n");
    ck_assert(strstr(alice->seen, "Alice says") == NULL);

    /* movement: the room left and the room entered are told */
    text = command_reply(alice, "north");
    ck_assert_msg(strncmp(text, TAVERN, strlen(TAVERN)) == 0, "north: \"%s\"", text);
    e2e_assert_contains(text, "The only obvious exit is south.\r\n");
    e2e_assert_contains(text, "  A brass lamp\r\n");
    free(text);
    e2e_client_wait_for(bob, "Alice leaves north.\r\n");
    text = command_reply(alice, "s");       /* the alias of south */
    ck_assert_msg(strncmp(text, E2E_SQUARE, strlen(E2E_SQUARE)) == 0, "s: \"%s\"", text);
    free(text);
    e2e_client_wait_for(bob, "Alice arrives.\r\n");
    command(alice, "up", "What?\r\n> ");
    command(alice, "go up", "You can't go up.\r\n> ");

    /* who lists both */
    text = command_reply(alice, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    e2e_assert_contains(text, "\r\n  Alice\r\n");
    e2e_assert_contains(text, "\r\n  Bob\r\n");
    free(text);

    /* quit saves and hangs up; the room is told */
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    e2e_client_wait_eof(alice);
    e2e_client_free(alice);
    e2e_client_wait_for(bob, "Alice leaves the game.\r\n");
    command(bob, "who", "One player online:\r\n  Bob\r\n> ");
    char *saved = save_file(&d, "alice");
    ck_assert_msg(saved != NULL, "no /data/players/alice.o after quit");
    e2e_assert_contains(saved, "\nname \"alice\"\n");
    ck_assert(strstr(saved, "alicepw1") == NULL);     /* only the hash */
    free(saved);

    /* back: a wrong password is refused, the right one lets her in */
    alice = e2e_client_connect_player(&d, "alice");
    e2e_client_wait_for(alice, E2E_NAME_PROMPT);
    e2e_client_send_line(alice, "Alice");
    e2e_client_wait_for(alice, "Password: ");
    e2e_type_password(alice, "bobpw123", E2E_TIMEOUT_MS);
    e2e_client_wait_for(alice, "Wrong password.\r\nPassword: ");
    e2e_type_password(alice, "alicepw1", E2E_TIMEOUT_MS);
    text = client_read_until(alice, "> ");
    ck_assert_msg(strncmp(text, "\r\n" E2E_SQUARE, strlen(E2E_SQUARE) + 2) == 0, "relogin: \"%s\"", text);
    free(text);
    e2e_client_wait_for(bob, "Alice arrives.\r\n");
    command(alice, "say back again", "You say: back again\r\n> ");
    e2e_client_wait_for(bob, "Alice says: back again\r\n");
    text = command_reply(bob, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    free(text);

    e2e_client_free(alice);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_three_wrong_passwords_hang_up)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *alice = create_character(&d, "alice", "alicepw1");
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    e2e_client_free(alice);

    e2e_client_t *c = e2e_client_connect_player(&d, "intruder");
    e2e_client_wait_for(c, E2E_NAME_PROMPT);
    e2e_client_send_line(c, "alice");
    e2e_client_wait_for(c, "Password: ");
    e2e_type_password(c, "guess1", E2E_TIMEOUT_MS);
    e2e_client_wait_for(c, "Wrong password.\r\nPassword: ");
    e2e_type_password(c, "guess2", E2E_TIMEOUT_MS);
    e2e_client_wait_for(c, "Wrong password.\r\nPassword: ");
    e2e_type_password(c, "guess3", E2E_TIMEOUT_MS);
    e2e_client_wait_for(c, "Wrong password.  Too many tries; goodbye.\r\n");
    e2e_client_wait_eof(c);
    e2e_client_free(c);

    /* the character is intact */
    alice = login(&d, "alice", "alicepw1", E2E_SQUARE);
    e2e_client_free(alice);
    char *log = e2e_mudlib_read(&d, "/log/login");
    ck_assert_ptr_nonnull(log);
    e2e_assert_contains(log, "failed login as alice from 127.0.0.1\n");
    free(log);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_link_dead_body_waits_and_a_second_login_takes_over)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *alice = create_character(&d, "alice", "alicepw1");
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    e2e_client_wait_for(alice, "Bob arrives.\r\n");

    /* a lost connection leaves the body standing, link-dead */
    close(alice->fd);
    alice->fd = -1;
    e2e_client_free(alice);
    e2e_client_wait_for(bob, "Alice turns to stone.\r\n");
    char *text = command_reply(bob, "look");
    e2e_assert_contains(text, "  Alice (link-dead)\r\n");
    free(text);
    text = command_reply(bob, "who");
    ck_assert_str_eq(text, "One player online:\r\n  Bob\r\n> ");
    free(text);

    /* logging in again takes the body back */
    alice = e2e_client_connect_player(&d, "alice");
    e2e_client_wait_for(alice, E2E_NAME_PROMPT);
    e2e_client_send_line(alice, "alice");
    e2e_client_wait_for(alice, "Password: ");
    e2e_type_password(alice, "alicepw1", E2E_TIMEOUT_MS);
    e2e_client_wait_for(alice, "\r\nReconnected.\r\n" E2E_SQUARE);
    e2e_client_wait_for(alice, "> ");
    e2e_client_wait_for(bob, "Alice is back.\r\n");
    command(alice, "say hello again", "You say: hello again\r\n> ");
    e2e_client_wait_for(bob, "Alice says: hello again\r\n");

    /* a second login while connected takes over; the first is told and
     * hung up */
    e2e_client_t *again = e2e_client_connect_player(&d, "alice again");
    e2e_client_wait_for(again, E2E_NAME_PROMPT);
    e2e_client_send_line(again, "alice");
    e2e_client_wait_for(again, "Password: ");
    e2e_type_password(again, "alicepw1", E2E_TIMEOUT_MS);
    e2e_client_wait_for(again, "\r\nReconnected.\r\n" E2E_SQUARE);
    e2e_client_wait_for(again, "> ");
    e2e_client_wait_for(alice, "Someone logged in as you; goodbye.\r\n");
    e2e_client_wait_eof(alice);
    e2e_client_free(alice);
    command(again, "say only me", "You say: only me\r\n> ");
    e2e_client_wait_for(bob, "Alice says: only me\r\n");
    text = command_reply(bob, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    free(text);

    e2e_client_free(again);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_saved_room_and_password_survive_a_driver_restart)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");

    /* alice quits in the tavern; bob is still in the garden when the
     * driver is stopped, and the master's driver_shutdown() saves him */
    e2e_client_t *alice = create_character(&d, "alice", "alicepw1");
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    free(command_reply(alice, "north"));
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    e2e_client_wait_eof(alice);
    e2e_client_free(alice);
    free(command_reply(bob, "west"));
    e2e_driver_stop(&d);
    e2e_client_wait_eof(bob);
    e2e_client_free(bob);

    char *saved = save_file(&d, "alice");
    ck_assert_ptr_nonnull(saved);
    e2e_assert_contains(saved, "\nlast_room \"/domains/start/tavern\"\n");
    free(saved);
    saved = save_file(&d, "bob");
    ck_assert_ptr_nonnull(saved);
    e2e_assert_contains(saved, "\nlast_room \"/domains/start/garden\"\n");
    free(saved);

    /* a new driver on the same mudlib */
    e2e_driver_start(&d, "neolith");
    alice = login(&d, "alice", "alicepw1", TAVERN);
    bob = login(&d, "bob", "bobpw123", GARDEN);
    command(alice, "who", "2 players online:\r\n");

    /* the password came back too: a wrong one is still refused */
    e2e_client_t *c = e2e_client_connect_player(&d, "intruder");
    e2e_client_wait_for(c, E2E_NAME_PROMPT);
    e2e_client_send_line(c, "bob");
    e2e_client_wait_for(c, "Password: ");
    e2e_type_password(c, "alicepw1", E2E_TIMEOUT_MS);
    e2e_client_wait_for(c, "Wrong password.\r\nPassword: ");
    e2e_client_free(c);

    e2e_client_free(alice);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_runtime_error_in_a_command_goes_to_that_player_only)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_mudlib_write(&d, "/cmds/oops.c", E2E_OOPS_COMMAND);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *root = create_character(&d, "root", "rootpw12");
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    e2e_client_wait_for(root, "Bob arrives.\r\n");

    /* an error caught by eval: shown to the admin who typed it */
    command(root, "eval 1/0", "Error: Division by zero\r\n> ");

    /* an uncaught error: a player gets the master's short note ... */
    command(bob, "oops",
            "Something went wrong (Array index 1 out of bounds (size 0)); it was logged.\r\n> ");
    /* ... an admin the error and the trace */
    char *text = command_reply(root, "oops");
    ck_assert_msg(strncmp(text, "Error: Array index 1 out of bounds (size 0)\r\n", 45) == 0,
                  "oops as admin: \"%s\"", text);
    e2e_assert_contains(text, "/cmds/oops.c:7: in main()");
    free(text);

    /* both go on playing, and each saw only their own error */
    command(bob, "say still here", "You say: still here\r\n> ");
    e2e_client_wait_for(root, "Bob says: still here\r\n");
    command(root, "say me too", "You say: me too\r\n> ");
    e2e_client_wait_for(bob, "Root says: me too\r\n");
    text = command_reply(bob, "who");
    e2e_assert_contains(text, "  Root          (admin)\r\n");
    free(text);
    ck_assert(strstr(root->seen, "Something went wrong") == NULL);
    ck_assert(strstr(bob->seen, "Error:") == NULL);
    ck_assert(strstr(bob->seen, "/cmds/oops.c") == NULL);

    /* and the master logged it */
    char *log = e2e_mudlib_read(&d, "/log/runtime");
    ck_assert_ptr_nonnull(log);
    e2e_assert_contains(log, "Array index 1 out of bounds (size 0)\n");
    free(log);

    e2e_client_free(root);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_endless_loop_is_stopped_by_the_eval_limit)
{
    e2e_driver_t d;
    mud_prepare(&d);
    e2e_driver_start(&d, "neolith");
    e2e_client_t *root = create_character(&d, "root", "rootpw12");
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    e2e_client_wait_for(root, "Bob arrives.\r\n");

    e2e_client_send_line(root, "eval evaluate(function() { while (1) ; })");
    free(e2e_client_read_until_ms(root, "Error: Too long evaluation. Execution aborted.\r\n",
                              E2E_LOOP_TIMEOUT_MS));
    e2e_client_wait_for(root, "> ");

    /* the driver goes on, for everyone */
    command(bob, "say after the loop", "You say: after the loop\r\n> ");
    e2e_client_wait_for(root, "Bob says: after the loop\r\n");
    command(root, "eval 1 + 2", "Result: 3\r\n> ");
    ck_assert(strstr(bob->seen, "Too long") == NULL);

    e2e_client_free(root);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_file_sandbox_refuses_dotdot_escapes)
{
    e2e_driver_t d;
    mud_prepare(&d);
    /* a file beside the mudlib, and a link to it from inside */
    char outside[PATH_MAX + 64], link[PATH_MAX + 64], escape[PATH_MAX + 64];
    snprintf(outside, sizeof(outside), "%s/outside.txt", d.dir);
    e2e_write_file(outside, "outside secret\n");
    snprintf(link, sizeof(link), "%s/u", d.mudlib);
    ck_assert(mkdir(link, 0755) == 0 || errno == EEXIST);  /* absent in a fresh checkout */
    snprintf(link, sizeof(link), "%s/u/link.txt", d.mudlib);
    ck_assert_int_eq(symlink(outside, link), 0);
    snprintf(escape, sizeof(escape), "%s/escape.txt", d.dir);
    e2e_mudlib_write(&d, "/u/inside.txt", "inside text\n");
    e2e_driver_start(&d, "neolith");

    e2e_client_t *root = create_character(&d, "root", "rootpw12");
    /* inside the mudlib, ".." is fine */
    command(root, "eval read_file(\"/domains/start/../../u/inside.txt\")",
            "Result: \"inside text\\n\"\r\n> ");
    /* out of it: read-only efuns answer "not there" */
    command(root, "eval read_file(\"/../outside.txt\")", "Result: 0\r\n> ");
    command(root, "eval read_file(\"../../outside.txt\")", "Result: 0\r\n> ");
    command(root, "eval read_file(\"/domains/../../outside.txt\")", "Result: 0\r\n> ");
    command(root, "eval read_file(\"/u/link.txt\")", "Result: 0\r\n> ");
    command(root, "eval file_size(\"/../outside.txt\")", "Result: -1\r\n> ");
    command(root, "eval get_dir(\"/../\")", "Result: 0\r\n> ");
    /* efuns that change something raise an error */
    command(root, "eval write_file(\"/../escape.txt\", \"x\")",
            "Error: write_file: illegal path: '/../escape.txt' leaves the mudlib\r\n> ");
    command(root, "eval rm(\"/../outside.txt\")",
            "Error: rm: illegal path: '/../outside.txt' leaves the mudlib\r\n> ");
    ck_assert_int_eq(access(escape, F_OK), -1);
    ck_assert_int_eq(access(outside, F_OK), 0);
    ck_assert(strstr(root->seen, "outside secret") == NULL);

    /* and a player who is not an admin has no eval at all */
    e2e_client_t *bob = create_character(&d, "bob", "bobpw123");
    command(bob, "eval read_file(\"/../outside.txt\")", "Only admins may use 'eval'.\r\n> ");
    command(bob, "update /secure/master", "Only admins may use 'update'.\r\n> ");
    command(bob, "shutdown", "Only admins may use 'shutdown'.\r\n> ");
    command(bob, "say still running", "You say: still running\r\n> ");

    e2e_client_free(root);
    e2e_client_free(bob);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

static Suite *mudlib_suite(void)
{
    Suite *s = suite_create("mudlib_e2e");
    TCase *tc = tcase_create("play");
    tcase_set_timeout(tc, 300 * timeout_scale);
    tcase_add_test(tc, test_new_character_looks_walks_talks_and_logs_back_in);
    tcase_add_test(tc, test_three_wrong_passwords_hang_up);
    tcase_add_test(tc, test_link_dead_body_waits_and_a_second_login_takes_over);
    tcase_add_test(tc, test_saved_room_and_password_survive_a_driver_restart);
    tcase_add_test(tc, test_runtime_error_in_a_command_goes_to_that_player_only);
    tcase_add_test(tc, test_endless_loop_is_stopped_by_the_eval_limit);
    tcase_add_test(tc, test_file_sandbox_refuses_dotdot_escapes);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    e2e_set_bin_dir(argv[0]);
    /* The bundled mudlib is in the source tree ($srcdir under make
     * check, for VPATH builds), else beside this binary's folder. */
    if (!e2e_find_source_dir(mudlib_src, "mudlib", "../mudlib", "check_mudlib_e2e", "mudlib"))
        return EXIT_FAILURE;
    const char *wrapper = getenv("NEOLITH_E2E_WRAPPER");
    if (wrapper != NULL && *wrapper != '\0')
        timeout_scale = 10;
    e2e_hang_ms = E2E_TIMEOUT_MS;
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(mudlib_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
