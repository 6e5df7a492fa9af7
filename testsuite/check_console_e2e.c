/*
 * check_console_e2e.c - console mode (neolith -c, src/console_mode.c)
 * end to end: the real src/neolith on a temporary copy of the bundled
 * mudlib/.
 *
 * Piped: stdin is a file of commands, stdout a pipe read to its end.
 * The operator is logged in without prompts, every line before EOF is
 * run, and with -p 0 the driver exits 0 after the session.
 *
 * Terminal: the driver runs on a real pseudo-terminal inside
 * `sh -c 'stty -a >before; neolith ...; echo driver-rc=$?; stty -a
 * >after'` (as check_console.c runs console_driver), so the terminal's
 * settings can be compared after the driver gave it back.  A telnet
 * player talks while the operator has half a line typed.
 *
 * Synchronisation is on data, never on time: every step waits until the
 * output it expects has arrived (poll() on the pty, the pipe or the
 * socket), with HANG_MS only turning a hang into a failure.
 */
#include <config.h>
#include "e2e_util.h"
#include "tty_util.h"
#include "port/port_clock.h"

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define HANG_MS 30000

static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ */

/* ---- helpers ---------------------------------------------------------- */

/* A scratch copy of the bundled mudlib (no players, an empty log). */
static void mudlib_copy(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/ck_console_e2e_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[2 * PATH_MAX + 128];
    snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s/' && rm -rf '%s/data/players' '%s/log' "
             "&& mkdir '%s/data/players' '%s/log'",
             mudlib_src, dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- piped ------------------------------------------------------------ */

/* Runs `neolith -f DIR/neolith.conf -c -p 0` with `input` on stdin (a
 * file) and returns its stdout; *status gets the exit status. */
static char *run_piped(const char *dir, const char *input, size_t len, int *status)
{
    char in_path[PATH_MAX], conf[PATH_MAX], bin[PATH_MAX];
    snprintf(in_path, sizeof(in_path), "%s/input", dir);
    snprintf(conf, sizeof(conf), "%s/neolith.conf", dir);
    snprintf(bin, sizeof(bin), "%.*s/../src/neolith", PATH_MAX - 32, e2e_bin_dir);
    FILE *f = fopen(in_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(input, 1, len, f), len);
    fclose(f);

    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int in = open(in_path, O_RDONLY);
        int null = open("/dev/null", O_WRONLY);
        if (in < 0 || null < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out[1], 1);
        dup2(null, 2);
        execl(bin, bin, "-f", conf, "-c", "-p", "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    tty_stream_t s;
    tty_stream_init(&s, out[0], HANG_MS);
    tty_stream_read_to_eof(&s);
    close(out[0]);
    ck_assert_int_eq(waitpid(pid, status, 0), pid);
    return s.buf;
}

START_TEST(test_piped_commands_all_run_and_the_driver_exits_0)
{
    char dir[64];
    mudlib_copy(dir, sizeof(dir));
    static const char input[] = "look\nsay hi\nquit\n";
    int status = -1;
    char *out = run_piped(dir, input, strlen(input), &status);
    /* logged in straight away, as the admin character */
    ck_assert_msg(strstr(out, "Welcome to Neolith, operator.") != NULL, "%s", out);
    /* pipe mode shows no prompt: the room of 'look' follows the login */
    char *welcome = strstr(out, "Welcome!");
    ck_assert_msg(welcome != NULL, "%s", out);
    char *look = strstr(welcome, "The village square");
    ck_assert_msg(look != NULL, "the room after 'look': %s", out);
    char *say = strstr(look, "You say: hi");
    ck_assert_msg(say != NULL, "%s", out);
    ck_assert_msg(strstr(say, "Goodbye, Operator.") != NULL, "%s", out);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    free(out);
    e2e_remove_tree(dir);
}
END_TEST

START_TEST(test_piped_100k_line_is_cut_with_a_notice_then_eof_ends_cleanly)
{
    char dir[64];
    mudlib_copy(dir, sizeof(dir));
    size_t big = 100 * 1024;
    const char *head = "who\n", *tail = "\nsay after\n";   /* no quit: EOF ends it */
    size_t len = strlen(head) + big + strlen(tail);
    char *input = malloc(len);
    memcpy(input, head, strlen(head));
    memset(input + strlen(head), 'a', big);
    memcpy(input + strlen(head) + big, tail, strlen(tail));
    int status = -1;
    char *out = run_piped(dir, input, len, &status);
    char *who = strstr(out, "Operator");
    ck_assert_msg(who != NULL && strstr(out, "(admin)") != NULL, "%s", out);
    char *cut = strstr(out, "*** Input line too long: cut to 4096 bytes");
    ck_assert_msg(cut != NULL, "%s", out);
    ck_assert_msg(strstr(cut, "98304 bytes dropped") != NULL, "%s", out);
    ck_assert_msg(strstr(cut, "You say: after") != NULL, "%s", out);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    /* EOF is a hang-up: net_dead() saved the character */
    char save[PATH_MAX];
    snprintf(save, sizeof(save), "%s/data/players/operator.o", dir);
    ck_assert_int_eq(access(save, F_OK), 0);
    free(input);
    free(out);
    e2e_remove_tree(dir);
}
END_TEST

/* ---- terminal --------------------------------------------------------- */

#ifdef CONSOLE_HAVE_LIBEDIT

typedef struct pty {
    pid_t pid;           /* the sh around the driver */
    tty_stream_t s;          /* the master side: keys in, screen out */
    char dir[64];        /* the mudlib copy (also holds before/after) */
} pty_t;

static pid_t spawner;   /* the test process, set before tty_spawn_sh */

/* The pty child dies with the test process (and does not start if that
 * is already gone). */
static void die_with_parent(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != spawner)
        _exit(127);
}

static void pty_start(pty_t *p, int port)
{
    mudlib_copy(p->dir, sizeof(p->dir));
    char cmd[3 * PATH_MAX + 512];
    snprintf(cmd, sizeof(cmd),
             "stty -a > '%s/before'; LC_ALL=C.UTF-8 '%s/../src/neolith' "
             "-f '%s/neolith.conf' -c -p %d 2>'%s/stderr'; echo driver-rc=$?; "
             "stty -a > '%s/after'",
             p->dir, e2e_bin_dir, p->dir, port, p->dir, p->dir);
    int m;
    spawner = getpid();
    p->pid = tty_spawn_sh(cmd, 80, 24, die_with_parent, &m);
    tty_stream_init(&p->s, m, HANG_MS);
}

static void pty_send(pty_t *p, const char *keys)
{
    tty_write_all(p->s.fd, keys, strlen(keys));
}

/* The driver's pid, from its log ("... starting (pid N, ..."). */
static pid_t driver_pid(const pty_t *p)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/log/neolith.log", p->dir);
    char *log = e2e_read_whole_file(path);
    ck_assert_ptr_nonnull(log);
    char *at = strstr(log, "starting (pid ");
    ck_assert_ptr_nonnull(at);
    pid_t pid = (pid_t)atol(at + strlen("starting (pid "));
    free(log);
    ck_assert_int_gt(pid, 0);
    return pid;
}

/* Waits for the driver's exit line, reaps the shell and checks the
 * terminal's settings are what they were before the driver started. */
static void pty_finish(pty_t *p, int want_rc)
{
    char rc[32];
    snprintf(rc, sizeof(rc), "driver-rc=%d", want_rc);
    tty_stream_expect(&p->s, 0, rc);
    tty_stream_read_to_eof(&p->s);
    int status = 0;
    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    ck_assert(WIFEXITED(status));
    close(p->s.fd);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/before", p->dir);
    char *before = e2e_read_whole_file(path);
    snprintf(path, sizeof(path), "%s/after", p->dir);
    char *after = e2e_read_whole_file(path);
    ck_assert_ptr_nonnull(before);
    ck_assert_ptr_nonnull(after);
    ck_assert_msg(strlen(before) > 100, "stty -a said: %s", before);
    ck_assert_msg(strcmp(before, after) == 0, "stty -a before:\n%s\nafter:\n%s", before, after);
    free(before);
    free(after);
    free(p->s.buf);
    e2e_remove_tree(p->dir);
}

/* A telnet player: connects and creates the character `name`. */
static void telnet_login(tty_stream_t *c, int port, const char *name)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    tty_stream_init(c, fd, HANG_MS);
    char line[64];
    size_t at = tty_stream_expect(c, 0, "creates a character): ");
    snprintf(line, sizeof(line), "%s\r\n", name);
    tty_write_all(fd, line, strlen(line));
    at = tty_stream_expect(c, at, "at least 6 characters): ");
    tty_write_all(fd, "secret1\r\n", 9);
    at = tty_stream_expect(c, at, "Type it again: ");
    tty_write_all(fd, "secret1\r\n", 9);
    tty_stream_expect(c, at, "Welcome!");
}

START_TEST(test_tty_telnet_output_keeps_the_partial_line_and_terminal_is_restored)
{
    int port = e2e_free_port();
    pty_t p;
    pty_start(&p, port);
    size_t at = tty_stream_expect(&p.s, 0, "Welcome to Neolith, operator.");
    at = tty_stream_expect(&p.s, at, "> ");

    tty_stream_t bob;
    /* the operator is welcomed in the first loop turn, after the
     * listeners opened: the port is ready now */
    telnet_login(&bob, port, "bob");
    at = tty_stream_expect(&p.s, at, "Bob arrives.");

    /* Half a line, not finished: the terminal echoes it. */
    pty_send(&p, "say par");
    at = tty_stream_expect(&p.s, at, "say par") + strlen("say par");

    /* Bob talks: his words appear above, then the prompt and the partial
     * line are drawn again. */
    tty_write_all(bob.fd, "say hello there\r\n", 17);
    at = tty_stream_expect(&p.s, at, "Bob says: hello there");
    at = tty_stream_expect(&p.s, at, "> say par") + strlen("> say par");

    /* Finishing the line sends all of it. */
    pty_send(&p, "tial\r");
    at = tty_stream_expect(&p.s, at, "You say: partial");
    tty_stream_expect(&bob, 0, "Operator says: partial");

    /* Ctrl-D on an empty line: the console session ends like a hang-up
     * (the body stays, link-dead) and the terminal is given back; the
     * telnet player carries on until SIGTERM. */
    pty_send(&p, "\x04");
    tty_stream_expect(&bob, 0, "Operator turns to stone.");
    tty_write_all(bob.fd, "say still here\r\n", 16);
    tty_stream_expect(&bob, 0, "You say: still here");
    ck_assert_int_eq(kill(driver_pid(&p), SIGTERM), 0);
    tty_stream_read_to_eof(&bob);
    close(bob.fd);
    free(bob.buf);
    pty_finish(&p, 0);
}
END_TEST

START_TEST(test_tty_tab_completes_and_ctrl_d_with_port_0_ends_with_status_0)
{
    pty_t p;
    pty_start(&p, 0);
    size_t at = tty_stream_expect(&p.s, 0, "Welcome to Neolith, operator.");
    at = tty_stream_expect(&p.s, at, "> ");
    /* Tab asks the player's complete() apply: "sa" has one candidate,
     * "say", which replaces the word and is followed by a space. */
    pty_send(&p, "sa\t");
    at = tty_stream_expect(&p.s, at, "y ");
    pty_send(&p, "hi\r");
    at = tty_stream_expect(&p.s, at, "You say: hi");
    pty_send(&p, "\x04");
    pty_finish(&p, 0);
}
END_TEST

/* Password input: input_to(fn, 1) from an object turns echo off on the
 * console; the bytes typed never come back on the terminal, yet reach
 * the function whole. */
START_TEST(test_tty_password_typed_is_not_echoed_and_reaches_input_to)
{
    pty_t p;
    pty_start(&p, 0);
    size_t at = tty_stream_expect(&p.s, 0, "Welcome to Neolith, operator.");
    at = tty_stream_expect(&p.s, at, "> ");
    /* Loaded on first call_other, so it may be written now. */
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/pw.c", p.dir);
    e2e_write_file(path,
                   "void ask() { write(\"Secret: \"); input_to(\"got\", 1); }\n"
                   "void got(string s) { write(\"\\nlen \" + strlen(s) + \"\\n\"); }\n");
    pty_send(&p, "eval call_other(\"/pw\", \"ask\")\r");
    at = tty_stream_expect(&p.s, at, "Secret: ") + strlen("Secret: ");
    size_t typed_at = p.s.len;
    pty_send(&p, "hunter2\r");
    at = tty_stream_expect(&p.s, at, "len 7");
    /* Echo is back on for the next line. */
    pty_send(&p, "say visible\r");
    at = tty_stream_expect(&p.s, at, "You say: visible");
    ck_assert_msg(memmem(p.s.buf + typed_at, p.s.len - typed_at, "hunter", 6) == NULL,
                  "the password was echoed:\n%s", p.s.buf + typed_at);
    ck_assert_msg(strstr(p.s.buf, "hunter") == NULL, "%s", p.s.buf);
    pty_send(&p, "\x04");
    pty_finish(&p, 0);
}
END_TEST

/* ---- the screen, through tmux ----------------------------------------- */

#define TICKS 20

/* What a person sees: a heart beat prints a line every 100 ms while the
 * operator types a command one key per tick.  At the end the screen
 * shows every tick line, in order, and below them the prompt with the
 * whole typed line, no piece of a tick inside it. */
START_TEST(test_tmux_heartbeat_output_while_typing_slowly_keeps_line_intact)
{
    if (!tty_have("tmux")) {
        /* a missing tmux must not pass unnoticed in CI */
        ck_assert_msg(getenv("CI") == NULL, "tmux is not installed (./bootstrap installs it)");
        fprintf(stderr, "check_console_e2e: tmux not installed, screen test skipped\n");
        return;
    }
    char dir[64];
    mudlib_copy(dir, sizeof(dir));
    char path[PATH_MAX], cmd[4 * PATH_MAX + 512];
    snprintf(cmd, sizeof(cmd),
             "sed -i 's/^heartbeat interval:.*/heartbeat interval: 100/' '%s/neolith.conf' "
             "&& grep -q '^heartbeat interval: 100$' '%s/neolith.conf'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/ticker.c", dir);
    snprintf(cmd, sizeof(cmd),
             "object who;\n"
             "int n;\n"
             "void start() { who = this_player(); set_heart_beat(1); }\n"
             "void heart_beat() {\n"
             "    n++;\n"
             "    tell_object(who, \"tick \" + n + \"\\n\");\n"
             "    if (n >= %d)\n"
             "        set_heart_beat(0);\n"
             "}\n", TICKS);
    e2e_write_file(path, cmd);
    snprintf(path, sizeof(path), "%s/run.sh", dir);
    snprintf(cmd, sizeof(cmd),
             "stty -a > '%s/before'\n"
             "LC_ALL=C.UTF-8 '%s/../src/neolith' -f '%s/neolith.conf' -c -p 0 2>'%s/stderr'\n"
             "rc=$?\n"
             /* `after` is written before the line the test waits for */
             "stty -a > '%s/after'\n"
             "echo driver-rc=$rc\n",
             dir, e2e_bin_dir, dir, dir, dir);
    e2e_write_file(path, cmd);
    /* remain-on-exit: the pane stays readable after the driver ended;
     * main() kills this tmux server whatever happened. */
    snprintf(cmd, sizeof(cmd),
             "new-session -d -s con -x 80 -y 24 \"sh '%s'\" "
             "\\; set-option -t con remain-on-exit on", path);
    ck_assert_int_eq(tty_tmux(cmd), 0);
    free(tty_tmux_expect("Welcome to Neolith, operator."));

    ck_assert_int_eq(tty_tmux("send-keys -t con -l 'eval call_other(\"/ticker\", \"start\")'"), 0);
    ck_assert_int_eq(tty_tmux("send-keys -t con Enter"), 0);

    /* One key each time the screen shows a new tick. */
    static const char typed[] = "say slowly typed";
    ck_assert_int_lt((int)strlen(typed), TICKS);
    char want[64];
    for (size_t i = 0; typed[i] != '\0'; i++) {
        snprintf(want, sizeof(want), "\ntick %zu\n", i + 1);
        free(tty_tmux_expect(want));
        snprintf(cmd, sizeof(cmd), "send-keys -t con -l '%c'", typed[i]);
        ck_assert_int_eq(tty_tmux(cmd), 0);
    }

    /* After the last tick: every tick line above, then the prompt line
     * with all of the typed line (the screen's last row). */
    char tail[1024];
    size_t tl = 0;
    for (int n = 1; n <= TICKS; n++)
        tl += (size_t)snprintf(tail + tl, sizeof(tail) - tl, "\ntick %d", n);
    snprintf(tail + tl, sizeof(tail) - tl, "\n> %s", typed);
    char *s = tty_tmux_expect(tail);
    size_t sl = strlen(s), wl = strlen(tail);
    ck_assert_msg(sl >= wl && strcmp(s + sl - wl, tail) == 0, "screen:\n%s", s);
    free(s);

    ck_assert_int_eq(tty_tmux("send-keys -t con Enter"), 0);
    free(tty_tmux_expect("\nYou say: slowly typed"));
    ck_assert_int_eq(tty_tmux("send-keys -t con C-d"), 0);
    free(tty_tmux_expect("driver-rc=0"));

    snprintf(path, sizeof(path), "%s/before", dir);
    char *before = e2e_read_whole_file(path);
    snprintf(path, sizeof(path), "%s/after", dir);
    char *after = e2e_read_whole_file(path);
    ck_assert_ptr_nonnull(before);
    ck_assert_ptr_nonnull(after);
    ck_assert_msg(strlen(before) > 100, "stty -a said: %s", before);
    ck_assert_msg(strcmp(before, after) == 0, "stty -a before:\n%s\nafter:\n%s", before, after);
    free(before);
    free(after);
    (void)tty_tmux("kill-session -t con");
    e2e_remove_tree(dir);
}
END_TEST

#endif /* CONSOLE_HAVE_LIBEDIT */

static Suite *console_e2e_suite(void)
{
    Suite *s = suite_create("console_e2e");
    TCase *tc = tcase_create("piped");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_piped_commands_all_run_and_the_driver_exits_0);
    tcase_add_test(tc, test_piped_100k_line_is_cut_with_a_notice_then_eof_ends_cleanly);
    suite_add_tcase(s, tc);
#ifdef CONSOLE_HAVE_LIBEDIT
    tc = tcase_create("terminal");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tty_telnet_output_keeps_the_partial_line_and_terminal_is_restored);
    tcase_add_test(tc, test_tty_tab_completes_and_ctrl_d_with_port_0_ends_with_status_0);
    tcase_add_test(tc, test_tty_password_typed_is_not_echoed_and_reaches_input_to);
    tcase_add_test(tc, test_tmux_heartbeat_output_while_typing_slowly_keeps_line_intact);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    e2e_set_bin_dir(argv[0]);
    /* The bundled mudlib is in the source tree ($srcdir under make
     * check, for VPATH builds), else beside this binary's folder. */
    if (!e2e_find_source_dir(mudlib_src, "mudlib", "../mudlib", "check_console_e2e", "mudlib"))
        return EXIT_FAILURE;
    signal(SIGPIPE, SIG_IGN);
#ifdef CONSOLE_HAVE_LIBEDIT
    tty_tmux_use_own("ck_console_e2e", HANG_MS);
#endif
    SRunner *sr = srunner_create(console_e2e_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
#ifdef CONSOLE_HAVE_LIBEDIT
    tty_tmux_kill_server();
#endif
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
