/*
 * check_runtime_e2e.c - end-to-end tests of the LPC runtime (src/lpc_app.h):
 * the real src/neolith started on the test mudlib testsuite/mudlib_rt/
 * (copied into a temporary folder) and played through raw telnet
 * sockets: login with a no-echo password, add_action commands, "What?",
 * notify_fail, say between two players, moving between rooms with
 * init(), call_out, heart_beat, runtime errors and the eval limit, and
 * SIGTERM running the master's driver_shutdown() apply.
 *
 * The driver and client helpers are in e2e_util.c, shared with
 * check_driver_e2e.c (same telnet reader, same "wait for the log line"
 * start).  Synchronisation is on data, never on time: each reply is
 * awaited by reading until it arrives; E2E_TIMEOUT_MS (and e2e_hang_ms
 * in the helpers) only turns a hang into a failure.
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

static bool saw_negotiation(const e2e_client_t *c, unsigned char cmd, unsigned char opt)
{
    for (int i = 0; i < c->nneg; i++)
        if (c->neg[i].cmd == cmd && c->neg[i].opt == opt)
            return true;
    return false;
}

/* ---- the test mudlib ------------------------------------------------- */

static char mudlib_src[PATH_MAX];   /* testsuite/mudlib_rt in the source tree */

/* A temp folder with a copy of the test mudlib and a config (heart beat
 * every 100 ms, plus `extra` lines), and the driver started on it. */
static void rt_start_with(e2e_driver_t *d, const char *extra)
{
    char conf[512];
    snprintf(conf, sizeof(conf), "heartbeat interval: 100\n%s", extra);
    e2e_driver_prepare(d, "check_runtime_e2e", conf);
    e2e_copy_tree(mudlib_src, d->mudlib, NULL);
    e2e_driver_start(d, "neolith");
}

static void rt_start(e2e_driver_t *d)
{
    rt_start_with(d, "");
}

/* Connects and logs in as `name` with the right password; the welcome
 * line has been read. */
static e2e_client_t *login(e2e_driver_t *d, const char *name)
{
    e2e_client_t *c = e2e_client_connect(d);
    e2e_client_wait_for(c, "Name: ");
    char line[128];
    snprintf(line, sizeof(line), "%s\r\n", name);
    e2e_client_send(c, line);
    e2e_client_wait_for(c, "Password: ");
    e2e_client_send(c, "secret\r\n");
    e2e_client_wait_for(c, "Welcome, ");
    e2e_client_wait_for(c, ".\r\n");
    return c;
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_login_password_is_asked_without_echo)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *c = e2e_client_connect(&d);
    e2e_client_wait_for(c, "Name: ");
    e2e_client_send(c, "alice\r\n");
    e2e_client_wait_for(c, "Password: ");
    /* input_to(fn, 1): the driver says WILL ECHO (the client stops
     * echoing) before the password, WONT ECHO once it has the line. */
    while (!saw_negotiation(c, T_WILL, T_ECHO))
        ck_assert_int_gt(e2e_client_read_some(c, E2E_TIMEOUT_MS), 0);
    ck_assert(!saw_negotiation(c, T_WONT, T_ECHO));
    /* Agree, as a real client would. */
    static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
    e2e_send_all(c->fd, do_echo, sizeof(do_echo));
    e2e_client_send(c, "secret\r\n");
    e2e_client_wait_for(c, "Welcome, Alice.\r\n");
    while (!saw_negotiation(c, T_WONT, T_ECHO))
        ck_assert_int_gt(e2e_client_read_some(c, E2E_TIMEOUT_MS), 0);
    e2e_client_free(c);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_wrong_password_is_refused_and_disconnected)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *c = e2e_client_connect(&d);
    e2e_client_wait_for(c, "Name: ");
    e2e_client_send(c, "alice\r\n");
    e2e_client_wait_for(c, "Password: ");
    e2e_client_send(c, "guess\r\n");
    e2e_client_wait_for(c, "Wrong password.\r\n");
    /* the login object destructed itself: its connection closes */
    ck_assert(e2e_client_read_to_eof(c));
    e2e_client_free(c);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_actions_what_and_notify_fail)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *c = login(&d, "alice");
    e2e_client_command(c, "say hello there", "You say: hello there\r\n> ");
    e2e_client_command(c, "'quick one", "You say: quick one\r\n> ");    /* flag 2 */
    e2e_client_command(c, "abbreviate x y", "Abbrev abbreviate x y\r\n> ");  /* flag 1 */
    e2e_client_command(c, "xyzzy", "What?\r\n> ");
    e2e_client_command(c, "say", "Say what?\r\n> ");                    /* notify_fail */
    e2e_client_command(c, "fail", "It fails: fail\r\n> ");              /* query_verb */
    e2e_client_command(c, "who", "Users: alice\r\n> ");
    e2e_client_free(c);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_say_reaches_the_other_player_not_the_speaker)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    e2e_client_wait_for(a, "Bob arrives.\r\n");
    e2e_client_command(a, "say hi bob", "You say: hi bob\r\n> ");
    e2e_client_wait_for(b, "Alice says: hi bob\r\n");
    e2e_client_command(b, "say hi alice", "You say: hi alice\r\n> ");
    e2e_client_wait_for(a, "Bob says: hi alice\r\n");
    e2e_client_command(a, "who", "Users: alice,bob\r\n> ");
    /* the speaker heard only "You say": nothing else is waiting */
    ck_assert_int_eq(a->len, 0);
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_moving_between_rooms_brings_their_actions)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    e2e_client_command(a, "look", "What?\r\n> ");           /* only the hall has look */
    e2e_client_command(a, "where", "At /room/start with 3\r\n> ");  /* 2 players, a coin */
    e2e_client_command(a, "get coin", "You take the coin.\r\n> ");  /* the coin's init() */
    e2e_client_command(a, "east", "You are in the hall.\r\n> ");
    e2e_client_wait_for(b, "alice leaves east.\r\n");
    e2e_client_command(a, "look", "A hall.\r\n> ");
    e2e_client_command(a, "east", "What?\r\n> ");           /* the start room's action left */
    e2e_client_command(a, "west", "You are back at the start.\r\n> ");
    e2e_client_command(a, "where", "At /room/start with 2\r\n> ");  /* the coin is carried */
    e2e_client_command(a, "look", "What?\r\n> ");
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_call_out_of_a_tenth_of_a_second_fires)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_command(a, "later soon", "Scheduled 1\r\n> ");   /* find_call_out rounds up */
    e2e_client_wait_for(a, "Later: soon\r\n");          /* this_player kept */
    e2e_client_command(a, "cancel", "Removed 5 -1\r\n> ");
    e2e_client_free(a);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_heart_beat_runs_until_turned_off)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_command(a, "beat", "> ");
    e2e_client_wait_for(a, "Beat 1\r\n");
    e2e_client_wait_for(a, "Beat 2\r\n");
    e2e_client_command(a, "say done", "You say: done\r\n> ");
    ck_assert(memmem(a->data, a->len, "Beat 3", 6) == NULL);
    e2e_client_free(a);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

/* "reset interval: 1": every loaded object gets reset() each second. */
START_TEST(test_reset_runs_on_the_configured_interval)
{
    e2e_driver_t d;
    rt_start_with(&d, "reset interval: 1\n");
    e2e_client_t *a = login(&d, "alice");
    e2e_client_wait_for(a, "The start room resets.\r\n");
    e2e_client_wait_for(a, "The start room resets.\r\n");
    e2e_client_free(a);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_runtime_error_goes_to_that_player_and_others_keep_playing)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    /* the master's error_handler() text, then the driver's default */
    e2e_client_command(a, "boom", "Oops: kaboom\r\n> ");
    e2e_client_command(a, "plainboom", "Something went wrong: plain kaboom\r\n> ");
    e2e_client_command(b, "say still here", "You say: still here\r\n> ");
    e2e_client_wait_for(a, "Bob says: still here\r\n");
    e2e_client_command(a, "say me too", "You say: me too\r\n> ");
    ck_assert(memmem(b->data, b->len, "kaboom", 6) == NULL);
    ck_assert(e2e_driver_wait_log(&d, "LPC error: kaboom"));
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_infinite_loop_is_stopped_by_the_eval_limit)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    e2e_client_command(a, "loop", "Oops: Too long evaluation");
    e2e_client_wait_for(a, "> ");
    e2e_client_command(b, "say after", "You say: after\r\n> ");
    e2e_client_command(a, "say fine", "You say: fine\r\n> ");
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_quit_destructs_the_player_and_closes)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    e2e_client_command(a, "quit", "Bye.\r\n");
    ck_assert(e2e_client_read_to_eof(a));
    e2e_client_command(b, "who", "Users: bob\r\n> ");
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_sigterm_runs_the_master_shutdown_apply_and_exits_0)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    /* driver_shutdown() wrote the file while alice was still connected */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/mudlib/data/shutdown.txt", d.dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing; log: %s", path, d.log != NULL ? d.log : "");
    char text[64] = "";
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    ck_assert_str_eq(text, "saved 1\n");
    e2e_client_free(a);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_lost_connection_calls_net_dead)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    close(a->fd);
    a->fd = -1;
    e2e_client_wait_for(b, "Alice goes link-dead.\r\n");
    e2e_client_command(b, "who", "Users: bob\r\n> ");
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_user_and_inventory_efuns)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    /* the start room holds alice and the coin */
    e2e_client_command(a, "info", "ip=127.0.0.1 idle=0 ti=1 interactive=1 living=1 fp=1 fl=1 "
                       "deep=2 present=1 coin=1 users=1\r\n> ");
    e2e_client_command(a, "do say via command", "You say: via command\r\nDid 1\r\n> ");
    e2e_client_command(a, "do xyzzy", "What?\r\nDid 0\r\n> ");
    e2e_client_free(a);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

START_TEST(test_shout_tell_object_message_and_tell_room)
{
    e2e_driver_t d;
    rt_start(&d);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_t *b = login(&d, "bob");
    e2e_client_wait_for(a, "Bob arrives.\r\n");
    e2e_client_command(a, "shout hi all", "You shout.\r\n> ");
    e2e_client_wait_for(b, "Alice shouts: hi all\r\n");
    e2e_client_command(a, "tell bob psst", "Told.\r\n> ");
    e2e_client_wait_for(b, "Alice tells you: psst\r\n");
    e2e_client_command(a, "tell bob !by message", "Told.\r\n> ");
    e2e_client_wait_for(b, "Alice messages: by message\r\n");
    e2e_client_command(a, "tell bob @to the room", "Told.\r\n> ");
    e2e_client_wait_for(b, "Room hears: to the room\r\n");
    e2e_client_command(a, "tell carol x", "No carol here.\r\n> ");
    /* alice heard none of it: only her own replies */
    ck_assert(memmem(a->data, a->len, "shouts", 6) == NULL);
    ck_assert(memmem(a->data, a->len, "Room hears", 10) == NULL);
    e2e_client_free(a);
    e2e_client_free(b);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

/* The driver reads LPC files only inside the mudlib: a symlink to a file
 * outside it and a ".." path are refused like missing files. */
START_TEST(test_source_reader_refuses_symlinks_and_dotdot_out_of_the_mudlib)
{
    e2e_driver_t d;
    rt_start(&d);
    char outside[PATH_MAX + 64], link[PATH_MAX + 64];
    snprintf(outside, sizeof(outside), "%s/outside.c", d.dir);
    e2e_write_file(outside, "int x;\n");
    snprintf(link, sizeof(link), "%s/mudlib/obj/evil.c", d.dir);
    ck_assert_int_eq(symlink(outside, link), 0);
    e2e_client_t *a = login(&d, "alice");
    e2e_client_command(a, "load /obj/echo", "Loaded.\r\n> ");
    e2e_client_command(a, "load /obj/evil", "Load failed.\r\n> ");
    e2e_client_command(a, "load /../outside", "Load failed.\r\n> ");
    e2e_client_command(a, "load /obj/../../outside", "Load failed.\r\n> ");
    e2e_client_free(a);
    e2e_driver_stop(&d);
    e2e_driver_cleanup(&d);
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime_e2e");
    TCase *tc = tcase_create("play");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_login_password_is_asked_without_echo);
    tcase_add_test(tc, test_wrong_password_is_refused_and_disconnected);
    tcase_add_test(tc, test_actions_what_and_notify_fail);
    tcase_add_test(tc, test_say_reaches_the_other_player_not_the_speaker);
    tcase_add_test(tc, test_moving_between_rooms_brings_their_actions);
    tcase_add_test(tc, test_call_out_of_a_tenth_of_a_second_fires);
    tcase_add_test(tc, test_heart_beat_runs_until_turned_off);
    tcase_add_test(tc, test_reset_runs_on_the_configured_interval);
    tcase_add_test(tc, test_runtime_error_goes_to_that_player_and_others_keep_playing);
    tcase_add_test(tc, test_infinite_loop_is_stopped_by_the_eval_limit);
    tcase_add_test(tc, test_quit_destructs_the_player_and_closes);
    tcase_add_test(tc, test_lost_connection_calls_net_dead);
    tcase_add_test(tc, test_user_and_inventory_efuns);
    tcase_add_test(tc, test_shout_tell_object_message_and_tell_room);
    tcase_add_test(tc, test_source_reader_refuses_symlinks_and_dotdot_out_of_the_mudlib);
    tcase_add_test(tc, test_sigterm_runs_the_master_shutdown_apply_and_exits_0);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    e2e_set_bin_dir(argv[0]);
    /* The test mudlib is in the source tree ($srcdir under make check,
     * for VPATH builds), else beside this binary's folder. */
    if (!e2e_find_source_dir(mudlib_src, "testsuite/mudlib_rt", "mudlib_rt",
                             "check_runtime_e2e", "test mudlib"))
        return EXIT_FAILURE;
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(runtime_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
