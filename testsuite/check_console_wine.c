/*
 * check_console_wine.c - lib/console on Windows, run under wine from the
 * native test suite.
 *
 * NEOLITH_WIN32_BUILD names a cross build tree (./bootstrap
 * --host=x86_64-w64-mingw32) in which testsuite/console_driver.exe is
 * built (see testsuite/console_driver.c for its commands).  Without it,
 * or without wine (or tmux for the console cases), every case fails and
 * says why: CI's Windows stage runs it with the variable set.
 *
 * Pipe mode: the driver's stdin and stdout are files; the output is
 * compared line by line (CR LF from the C runtime's text mode on the
 * last line is accepted).
 *
 * Console mode: wine started from a Unix terminal turns it into its
 * console, so the driver runs in a tmux pane, keys go in with send-keys
 * (one key or one literal string at a time: wine's terminal parser
 * drops keys that follow an escape sequence it does not know, such as
 * tmux's Home and End) and the screen comes back with capture-pane.
 * Wine 8 delivers Ctrl-C as SIGINT (it ends the process) and never
 * delivers Ctrl-Z, so those keys are not tested here; Ctrl-A/Ctrl-E stand
 * in for Home/End.
 *
 * Synchronisation is on data: a test waits until the screen (or the
 * output file) shows what it expects, HANG_MS only turns a hang into a
 * failure.  Wine starts slowly, hence the generous bound.
 */
#include "config.h"
#include "tty_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HANG_MS 60000

static char exe[4200];        /* the console_driver.exe, or "" */
static char build_dir[4096];
static char tmux_base[64];    /* named in main(), before Check forks */
static int tmux_count;
static char scratch[256];     /* a mkdtemp directory for files */

/* Fails the case (saying why) when the Windows build cannot be run: this
 * program exists to test it, so a missing build is never a pass. */
static void require_windows(bool need_tmux)
{
    ck_assert_msg(exe[0] != '\0', "NEOLITH_WIN32_BUILD is not set (or has no "
                  "testsuite/console_driver.exe): nothing to test");
    ck_assert_msg(tty_have("wine"), "wine is not installed");
    if (need_tmux)
        ck_assert_msg(tty_have("tmux"), "tmux is not installed");
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* ================================================================ pipes */

/* Runs the driver with `input` as stdin (a file) and returns its stdout
 * with every CR removed. */
static char *run_piped(const char *input, size_t len, const char *args)
{
    char in[512], out[512], cmd[16384];
    snprintf(in, sizeof(in), "%s/in", scratch);
    snprintf(out, sizeof(out), "%s/out", scratch);
    write_file(in, input, len);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && WINEDEBUG=-all timeout 120 wine '%s' %s <'%s' >'%s' 2>/dev/null",
             build_dir, exe, args, in, out);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "%s: exit status %d", cmd, rc);
    char *s = tty_read_file(out);
    ck_assert_ptr_nonnull(s);
    size_t o = 0;
    for (size_t i = 0; s[i] != '\0'; i++)
        if (s[i] != '\r')
            s[o++] = s[i];
    s[o] = '\0';
    return s;
}

/* "exit fds=A/B threads=C/D": the threads must be back to C == D. */
static void expect_threads_back(const char *out)
{
    const char *e = strstr(out, "exit fds=");
    ck_assert_msg(e != NULL, "no exit line in:\n%s", out);
    int a, b, c, d;
    ck_assert_int_eq(sscanf(e, "exit fds=%d/%d threads=%d/%d", &a, &b, &c, &d), 4);
    ck_assert_msg(c == d, "threads %d after, %d before", c, d);
}

START_TEST(test_win_pipe_lines_crlf_unterminated_then_eof)
{
    require_windows(false);
    const char in[] = "a\nb\r\n\nlast";
    char *out = run_piped(in, sizeof(in) - 1, "");
    const char *want = "ready pid=";
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
    ck_assert_msg(strstr(out, " tty=0\ngot: a\ngot: b\ngot: \ngot: last\nEOF\nexit ") != NULL,
                  "%s", out);
    expect_threads_back(out);
    free(out);
}
END_TEST

START_TEST(test_win_pipe_long_line_cut_with_count_utf8_unchanged)
{
    require_windows(false);
    size_t n = 100000;
    char *in = malloc(n + 64);
    memset(in, 'x', n);
    memcpy(in + n, "\ncaf\xc3\xa9 \xe6\x97\xa5\n", 11);
    char *out = run_piped(in, n + 11, "--max-line 10");
    ck_assert_msg(strstr(out, "\ngot: xxxxxxxxxx [cut 99990]\n") != NULL, "%.300s", out);
    ck_assert_msg(strstr(out, "\ngot: caf\xc3\xa9 \xe6\x97\xa5\nEOF\n") != NULL, "%.300s", out);
    free(in);
    free(out);
}
END_TEST

START_TEST(test_win_pipe_output_after_each_command)
{
    require_windows(false);
    const char in[] = "spam\npartial\nquit\n";
    char *out = run_piped(in, sizeof(in) - 1, "");
    ck_assert_msg(strstr(out, "spam 1\nspam 2\nspam 3\nspam 4\nspam 5\nabc") != NULL, "%s", out);
    ck_assert_ptr_null(strstr(out, "EOF"));   /* quit came first */
    expect_threads_back(out);
    free(out);
}
END_TEST

/* ================================================================ tmux */

static void see(const char *needle)
{
    free(tty_tmux_expect(needle));
}

/* One key (tmux's name for it). */
static void key(const char *k)
{
    char args[128];
    snprintf(args, sizeof(args), "send-keys -t con %s", k);
    ck_assert_int_eq(tty_tmux(args), 0);
}

/* Literal text (no single quotes in it). */
static void type(const char *text)
{
    size_t size = strlen(text) + 64;
    char *args = malloc(size);
    snprintf(args, size, "send-keys -t con -l '%s'", text);
    ck_assert_int_eq(tty_tmux(args), 0);
    free(args);
}

/* Starts the driver in a cols x 24 pane; waits for its first prompt. */
static void start_console(int cols, const char *args)
{
    /* A server of its own: one a failed case left behind stays apart. */
    char tmux_sock[128];
    snprintf(tmux_sock, sizeof(tmux_sock), "%s_%d_%d", tmux_base, (int)getpid(), ++tmux_count);
    tty_tmux_use(tmux_sock, HANG_MS);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "new-session -d -s con -x %d -y 24 \"cd '%s' && WINEDEBUG=-all wine '%s' %s; "
             "echo driver-rc=\\$?; sleep 120\"",
             cols, build_dir, exe, args);
    ck_assert_int_eq(tty_tmux(cmd), 0);
    char *s = tty_tmux_expect("ready pid=");
    ck_assert_msg(strstr(s, "tty=1") != NULL, "not in console mode:\n%s", s);
    free(s);
    see("\n>");
}

static void quit_console(void)
{
    type("quit");
    key("Enter");
    char *s = tty_tmux_expect("driver-rc=");
    ck_assert_msg(strstr(s, "driver-rc=0") != NULL, "%s", s);
    const char *e = strstr(s, "exit fds=");
    ck_assert_ptr_nonnull(e);
    int a, b, c, d;
    ck_assert_int_eq(sscanf(e, "exit fds=%d/%d threads=%d/%d", &a, &b, &c, &d), 4);
    ck_assert_msg(c == d, "threads %d after, %d before", c, d);
    free(s);
    tty_tmux_kill_server();
}

START_TEST(test_win_console_edited_utf8_line_delivered_as_edited)
{
    require_windows(true);
    char hist[512], args[600];
    snprintf(hist, sizeof(hist), "%s/history0", scratch);
    unlink(hist);
    snprintf(args, sizeof(args), "--history '%s'", hist);
    start_console(60, args);
    type("helo w\xc3\xb6rld");
    see("> helo w\xc3\xb6rld");
    /* Ctrl-A (home), Right x3, insert "l"; Ctrl-E (end), Backspace x2,
     * then a wide character and an emoji (a surrogate pair in UTF-16). */
    key("C-a");
    key("Right");
    key("Right");
    key("Right");
    type("l");
    see("> hello w\xc3\xb6rld");
    key("C-e");
    key("BSpace");
    key("BSpace");
    type("\xe6\x97\xa5\xf0\x9f\x98\x80");
    /* Wine's console shows a character outside the BMP as two bad
     * halves on the terminal; the history file (UTF-8 from the line
     * editor) shows the surrogate pair was joined into one code point. */
    see("> hello w\xc3\xb6r\xe6\x97\xa5");
    key("Enter");
    see("got: hello w\xc3\xb6r\xe6\x97\xa5");
    quit_console();
    char *h = tty_read_file(hist);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h, "_HiStOrY_V2_\nhello\\040w\xc3\xb6r\xe6\x97\xa5\xf0\x9f\x98\x80\nquit\n");
    free(h);
}
END_TEST

/* Output arrives while a line that wraps over three rows is being
 * typed: the output lines stand above it, the line is redrawn whole,
 * nothing of it is left above them. */
START_TEST(test_win_console_async_output_keeps_wrapped_line_intact)
{
    require_windows(true);
    start_console(30, "");
    type("spam-in 3000");
    key("Enter");
    see("> spam-in 3000");
    const char *typed = "the quick brown fox jumps over the lazy dog again and again";
    type(typed);
    see("er the lazy dog again and agai\nn");
    char *s = tty_tmux_expect("spam 5");
    /* The rows after "spam 5": the prompt and the line, wrapped at 30. */
    const char *after = strstr(s, "spam 5\n");
    ck_assert_ptr_nonnull(after);
    ck_assert_msg(strstr(after, "> the quick brown fox jumps ov\n"
                                "er the lazy dog again and agai\n"
                                "n") != NULL, "%s", s);
    /* spam 1 comes right after the command's line: nothing of the
     * partial line was left above the output. */
    ck_assert_msg(strstr(s, "> spam-in 3000\nspam 1\nspam 2\nspam 3\nspam 4\nspam 5\n") != NULL,
                  "%s", s);
    free(s);
    key("Enter");
    see("got: the quick brown fox jumps");
    quit_console();
}
END_TEST

START_TEST(test_win_console_history_saved_and_recalled)
{
    require_windows(true);
    char hist[512], args[600];
    snprintf(hist, sizeof(hist), "%s/history", scratch);
    unlink(hist);
    snprintf(args, sizeof(args), "--history '%s'", hist);
    start_console(60, args);
    type("first entry");
    key("Enter");
    see("got: first entry");
    type("second");
    key("Enter");
    see("got: second");
    key("Up");
    key("Up");
    see("> first entry");
    key("Down");
    see("> second");
    key("C-a");
    key("C-k");
    quit_console();
    char *h = tty_read_file(hist);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h, "_HiStOrY_V2_\nfirst\\040entry\nsecond\nquit\n");
    free(h);

    start_console(60, args);   /* a new session reads the file */
    key("Up");
    key("Up");
    see("> second");
    key("Enter");
    see("got: second");
    quit_console();
}
END_TEST

START_TEST(test_win_console_tab_completion_asks_main_thread)
{
    require_windows(true);
    start_console(60, "");
    type("say sh");
    key("Tab");
    see("> say shou");            /* shout, shoulder: their common prefix */
    key("Tab");
    char *s = tty_tmux_expect("shout");   /* nothing to add: listed */
    ck_assert_msg(strstr(s, "shoulder") != NULL, "%s", s);
    free(s);
    type("l");
    key("Tab");
    type("x");                    /* one candidate: a space follows it */
    see("> say shoulder x");
    key("Enter");
    see("got: say shoulder x");
    quit_console();
}
END_TEST

START_TEST(test_win_console_password_hidden_and_ctrl_d_ends)
{
    require_windows(true);
    char hist[512], args[600];
    snprintf(hist, sizeof(hist), "%s/history2", scratch);
    unlink(hist);
    snprintf(args, sizeof(args), "--history '%s'", hist);
    start_console(60, args);
    type("secret");
    key("Enter");
    see("Password: >");
    type("hunter2");
    key("Enter");
    char *s = tty_tmux_expect("secret ok");
    ck_assert_msg(strstr(s, "hunter2") == NULL, "the password showed:\n%s", s);
    free(s);
    type("x");
    key("C-d");               /* not empty: deletes under the cursor (none) */
    key("BSpace");
    key("C-d");               /* empty: the session ends */
    s = tty_tmux_expect("driver-rc=0");
    ck_assert_msg(strstr(s, "\nEOF\n") != NULL, "%s", s);
    free(s);
    tty_tmux_kill_server();
    char *h = tty_read_file(hist);
    ck_assert_ptr_nonnull(h);
    ck_assert_msg(strstr(h, "hunter2") == NULL, "%s", h);
    free(h);
}
END_TEST

static Suite *console_wine_suite(void)
{
    Suite *s = suite_create("console_wine");
    TCase *tc = tcase_create("pipe");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_win_pipe_lines_crlf_unterminated_then_eof);
    tcase_add_test(tc, test_win_pipe_long_line_cut_with_count_utf8_unchanged);
    tcase_add_test(tc, test_win_pipe_output_after_each_command);
    suite_add_tcase(s, tc);
    tc = tcase_create("console");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_win_console_edited_utf8_line_delivered_as_edited);
    tcase_add_test(tc, test_win_console_async_output_keeps_wrapped_line_intact);
    tcase_add_test(tc, test_win_console_history_saved_and_recalled);
    tcase_add_test(tc, test_win_console_tab_completion_asks_main_thread);
    tcase_add_test(tc, test_win_console_password_hidden_and_ctrl_d_ends);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *build = getenv("NEOLITH_WIN32_BUILD");
    if (build != NULL && build[0] != '\0' && realpath(build, build_dir) != NULL) {
        snprintf(exe, sizeof(exe), "%s/testsuite/console_driver.exe", build_dir);
        struct stat st;
        if (stat(exe, &st) != 0)
            exe[0] = '\0';
    }
    snprintf(tmux_base, sizeof(tmux_base), "ck_console_wine_%d", (int)getpid());
    snprintf(scratch, sizeof(scratch), "/tmp/ck_console_wine_XXXXXX");
    if (mkdtemp(scratch) == NULL) {
        perror("check_console_wine: mkdtemp");
        return EXIT_FAILURE;
    }

    SRunner *sr = srunner_create(console_wine_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[600];
    /* Servers of failed cases (the cases ran in child processes). */
    snprintf(cmd, sizeof(cmd),
             "for s in \"${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/%s\"_*; do "
             "[ -e \"$s\" ] && tmux -L \"$(basename \"$s\")\" kill-server 2>/dev/null; "
             "done; rm -rf '%s'", tmux_base, scratch);
    (void)system(cmd);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
