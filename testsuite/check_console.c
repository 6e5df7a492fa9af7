/*
 * check_console.c - lib/console.
 *
 * Pipe mode runs in this process: the console reads a pipe the test
 * writes and writes a pipe the test reads; events are awaited the way the
 * driver will, by sleeping in async_runtime_wait for the completion key.
 *
 * Terminal mode runs testsuite/console_driver (see its header for its
 * commands) on a real pseudo-terminal, typed at as a person would: keys
 * go into the master side, the screen's byte stream comes back from it.
 * The child is `sh -c 'stty -a >before; console_driver ...; echo
 * driver-rc=$?; stty -a >after'`, so every test can compare the terminal
 * settings before and after.  One test drives it inside tmux and reads
 * the screen itself with capture-pane (skipped when tmux is missing).
 *
 * On Windows (a cross build, run under wine) only the pipe cases are
 * built: the pipes are the C runtime's _pipe, and waiting for output
 * peeks at the pipe (anonymous pipes cannot be waited for).  The console
 * itself on Windows is tested by check_console_wine.c.
 *
 * Synchronisation is on data, never on time: a test waits until the
 * output it expects has arrived (poll() on the pty or the pipe, or
 * capture-pane until the screen shows it), with HANG_MS only turning a
 * hang into a failure.
 */
#include "config.h"
#include "async/async_runtime.h"
#include "console/console.h"
#include "port/port_clock.h"
#include "port/port_thread.h"
#include "proc_count.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <poll.h>
#include <sys/wait.h>
#endif

#define HANG_MS 30000
#define KEY 7

#ifdef _WIN32
#include <io.h>
#include <windows.h>

static int make_pipe(int fds[2])
{
    return _pipe(fds, 4096, _O_BINARY | _O_NOINHERIT);
}

/* Until fd (a pipe's read end) has bytes or its writer is gone, at most
 * ms: an anonymous pipe cannot be waited for, so this peeks. */
static bool wait_readable(int fd, int ms)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    int64_t deadline = port_deadline_after_ms(ms);
    for (;;) {
        DWORD avail = 0;
        if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL) || avail > 0)
            return true;   /* bytes, or an error the read will report */
        if (port_deadline_expired(deadline))
            return false;
        Sleep(1);
    }
}

#else
static int make_pipe(int fds[2])
{
    return pipe(fds);
}

static bool wait_readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) > 0;
}

static char bin_dir[PATH_MAX];

#endif

/* A joined thread may linger in /proc for a moment: wait (bounded) for
 * the count to come down to `want`. */
static int threads_settle(int want)
{
    int64_t deadline = port_deadline_after_ms(HANG_MS);
    int n;
    while ((n = proc_count_threads()) != want && !port_deadline_expired(deadline))
        proc_sleep_ms(1);
    return n;
}

/* ================================================================ pipes */

typedef struct rig {
    async_runtime_t *rt;
    console_t *con;
    int in_r, in_w;     /* console reads in_r; the test writes in_w */
    int out_r, out_w;   /* console writes out_w; the test reads out_r */
} rig_t;

typedef struct got {
    console_event_type_t type;
    char *text;         /* NULL for EOF without a message */
    size_t len;
    bool cut;
    uint64_t cut_bytes;
} got_t;

static void rig_start(rig_t *r, size_t max_line, size_t max_output)
{
    int in[2], out[2];
    ck_assert_int_eq(make_pipe(in), 0);
    ck_assert_int_eq(make_pipe(out), 0);
    r->in_r = in[0];
    r->in_w = in[1];
    r->out_r = out[0];
    r->out_w = out[1];
    r->rt = async_runtime_init();
    ck_assert_ptr_nonnull(r->rt);
    console_options_t o;
    console_options_init(&o);
    o.runtime = r->rt;
    o.completion_key = KEY;
    o.in_fd = r->in_r;
    o.out_fd = r->out_w;
    o.mode = CONSOLE_MODE_PIPE;
    if (max_line > 0)
        o.max_line = max_line;
    if (max_output > 0)
        o.max_output = max_output;
    char err[256];
    r->con = console_start(&o, err, sizeof(err));
    ck_assert_msg(r->con != NULL, "console_start: %s", err);
    ck_assert(!console_is_tty(r->con));
}

static void rig_close_input(rig_t *r)
{
    if (r->in_w >= 0)
        close(r->in_w);
    r->in_w = -1;
}

static void rig_stop(rig_t *r)
{
    ck_assert(console_stop(r->con));
    async_runtime_destroy(r->rt);
    rig_close_input(r);
    close(r->in_r);
    close(r->out_r);
    close(r->out_w);
}

static void got_free(got_t *g)
{
    free(g->text);
    g->text = NULL;
}

/* The next event, sleeping in the runtime for the completion key as the
 * driver does.  False after timeout_ms without one. */
static bool rig_next(rig_t *r, got_t *g, int timeout_ms)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    for (;;) {
        console_event_t ev;
        if (console_next_event(r->con, &ev)) {
            g->type = ev.type;
            g->len = ev.len;
            g->cut = ev.cut;
            g->cut_bytes = ev.cut_bytes;
            g->text = NULL;
            if (ev.text != NULL) {
                g->text = malloc(ev.len + 1);
                memcpy(g->text, ev.text, ev.len + 1);
            }
            return true;
        }
        if (port_deadline_expired(deadline))
            return false;
        int64_t left = port_deadline_remaining_ns(deadline);
        struct timeval tv;
        tv.tv_sec = (long)(left / PORT_NS_PER_SEC);
        tv.tv_usec = (long)((left % PORT_NS_PER_SEC) / 1000);
        io_event_t evs[8];
        int n = async_runtime_wait(r->rt, evs, 8, &tv);
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n; i++) {
            ck_assert(evs[i].event_type & ASYNC_EVENT_COMPLETION);
            ck_assert_uint_eq(evs[i].completion_key, KEY);
        }
    }
}

static void expect_line(rig_t *r, const char *text)
{
    got_t g;
    ck_assert_msg(rig_next(r, &g, HANG_MS), "no event, expected line '%s'", text);
    ck_assert_int_eq(g.type, CONSOLE_EVENT_LINE);
    ck_assert_uint_eq(g.len, strlen(text));
    ck_assert_mem_eq(g.text, text, g.len);
    ck_assert(!g.cut);
    got_free(&g);
}

static void expect_eof(rig_t *r)
{
    got_t g;
    ck_assert(rig_next(r, &g, HANG_MS));
    ck_assert_int_eq(g.type, CONSOLE_EVENT_EOF);
    ck_assert_ptr_null(g.text);
    got_free(&g);
    /* EOF is the last event. */
    ck_assert(!rig_next(r, &g, 0));
}

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_int_gt(n, 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads out_r until `len` bytes arrived (or the hang bound). */
static size_t read_exactly(int fd, char *buf, size_t len)
{
    int64_t deadline = port_deadline_after_ms(HANG_MS);
    size_t got = 0;
    while (got < len && !port_deadline_expired(deadline)) {
        if (!wait_readable(fd, (int)port_deadline_remaining_ms_ceil(deadline)))
            continue;
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* A thread that writes a buffer into a pipe and closes it: the console
 * reads concurrently, so large inputs do not deadlock on the pipe. */
typedef struct feeder {
    port_thread_t thread;
    int fd;
    char *data;
    size_t len;
} feeder_t;

static void *feeder_proc(void *arg)
{
    feeder_t *f = arg;
    const char *p = f->data;
    size_t len = f->len;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    close(f->fd);
    return NULL;
}

static void feeder_start(feeder_t *f, rig_t *r, char *data, size_t len)
{
    f->fd = r->in_w;
    r->in_w = -1;   /* the feeder closes it */
    f->data = data;
    f->len = len;
    ck_assert_int_eq(port_thread_create(&f->thread, feeder_proc, f, 0), 0);
}

static void feeder_join(feeder_t *f)
{
    port_thread_join(&f->thread, NULL);
    free(f->data);
}

START_TEST(test_pipe_lines_in_order_then_eof)
{
    rig_t r;
    rig_start(&r, 0, 0);
    const char *in = "look\nsay hi\nquit\n";
    write_all(r.in_w, in, strlen(in));
    rig_close_input(&r);
    expect_line(&r, "look");
    expect_line(&r, "say hi");
    expect_line(&r, "quit");
    expect_eof(&r);
    rig_stop(&r);
}
END_TEST

START_TEST(test_pipe_crlf_empty_lines_and_unterminated_last_line)
{
    rig_t r;
    rig_start(&r, 0, 0);
    const char *in = "a\r\nb\r\n\r\n\nc\rd\nlast";
    write_all(r.in_w, in, strlen(in));
    rig_close_input(&r);
    expect_line(&r, "a");
    expect_line(&r, "b");
    expect_line(&r, "");
    expect_line(&r, "");
    expect_line(&r, "c\rd");   /* only a CR right before LF goes */
    expect_line(&r, "last");
    expect_eof(&r);
    rig_stop(&r);
}
END_TEST

static char *pattern(size_t len)
{
    char *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (char)('a' + (i * 7 + i / 26) % 26);
    return p;
}

START_TEST(test_pipe_100k_line_cut_at_max_with_count_not_lost)
{
    rig_t r;
    rig_start(&r, 4096, 0);
    size_t big = 100 * 1024;
    char *line = pattern(big);
    char *in = malloc(big + 16);
    memcpy(in, line, big);
    memcpy(in + big, "\nnext\n", 6);
    feeder_t f;
    feeder_start(&f, &r, in, big + 6);

    got_t g;
    ck_assert(rig_next(&r, &g, HANG_MS));
    ck_assert_int_eq(g.type, CONSOLE_EVENT_LINE);
    ck_assert(g.cut);
    ck_assert_uint_eq(g.len, 4096);
    ck_assert_uint_eq(g.cut_bytes, big - 4096);
    ck_assert_mem_eq(g.text, line, 4096);
    got_free(&g);
    expect_line(&r, "next");
    expect_eof(&r);
    feeder_join(&f);
    free(line);
    rig_stop(&r);
}
END_TEST

START_TEST(test_pipe_100k_line_delivered_whole_when_max_allows)
{
    rig_t r;
    size_t big = 100 * 1024;
    rig_start(&r, big, 0);
    char *line = pattern(big);
    char *in = malloc(big + 2);
    memcpy(in, line, big);
    memcpy(in + big, "\r\n", 2);
    feeder_t f;
    feeder_start(&f, &r, in, big + 2);

    got_t g;
    ck_assert(rig_next(&r, &g, HANG_MS));
    ck_assert_int_eq(g.type, CONSOLE_EVENT_LINE);
    ck_assert(!g.cut);
    ck_assert_uint_eq(g.len, big);
    ck_assert_mem_eq(g.text, line, big);
    got_free(&g);
    expect_eof(&r);
    feeder_join(&f);
    free(line);
    rig_stop(&r);
}
END_TEST

/* 20000 lines through a 64-event queue: the worker waits for the main
 * thread again and again; none is lost, duplicated or reordered, and EOF
 * comes after the last. */
START_TEST(test_pipe_many_lines_exactly_once_in_order_before_eof)
{
    rig_t r;
    rig_start(&r, 0, 0);
    const int lines = 20000;
    size_t cap = (size_t)lines * 16, len = 0;
    char *in = malloc(cap);
    for (int i = 0; i < lines; i++)
        len += (size_t)snprintf(in + len, cap - len, "line %d\n", i);
    feeder_t f;
    feeder_start(&f, &r, in, len);
    for (int i = 0; i < lines; i++) {
        char want[32];
        snprintf(want, sizeof(want), "line %d", i);
        expect_line(&r, want);
    }
    expect_eof(&r);
    feeder_join(&f);
    rig_stop(&r);
}
END_TEST

START_TEST(test_pipe_output_in_order_also_after_eof)
{
    rig_t r;
    rig_start(&r, 0, 0);
    console_write(r.con, "one\n", 4);
    console_write(r.con, "two ", 4);
    console_write(r.con, "three\n", 6);
    char buf[64] = "";
    ck_assert_uint_eq(read_exactly(r.out_r, buf, 14), 14);
    ck_assert_mem_eq(buf, "one\ntwo three\n", 14);

    rig_close_input(&r);
    expect_eof(&r);
    /* A script's last replies come after its input ended. */
    console_write(r.con, "bye\n", 4);
    ck_assert_uint_eq(read_exactly(r.out_r, buf, 4), 4);
    ck_assert_mem_eq(buf, "bye\n", 4);
    rig_stop(&r);
}
END_TEST

START_TEST(test_stop_writes_output_still_queued)
{
    rig_t r;
    rig_start(&r, 0, 0);
    console_write(r.con, "last words\n", 11);
    ck_assert(console_stop(r.con));
    char buf[32];
    ck_assert_uint_eq(read_exactly(r.out_r, buf, 11), 11);
    ck_assert_mem_eq(buf, "last words\n", 11);
    async_runtime_destroy(r.rt);
    close(r.in_w);
    close(r.in_r);
    close(r.out_r);
    close(r.out_w);
}
END_TEST

/* console_write never blocks: with nobody reading the output, what does
 * not fit is dropped, and a notice says how much.  Nothing is lost
 * silently: walking the received stream, each run of text is exactly the
 * next part of what was written, and each notice "[... N bytes of output
 * dropped]" stands where N bytes are missing; together they account for
 * every byte written.  (The worker may catch up in the middle of the
 * writes, so there may be more than one notice.) */
START_TEST(test_output_overflow_dropped_with_counted_notice)
{
    rig_t r;
    rig_start(&r, 0, 4096);
    const int writes = 300;
    const size_t each = 1000;
    size_t total = (size_t)writes * each;
    char *stream = malloc(total);
    for (int k = 0; k < writes; k++) {
        memset(stream + (size_t)k * each, 'A' + k % 26, each - 1);
        stream[(size_t)k * each + each - 1] = '\n';
    }
    int64_t t0 = port_clock_now_ns();
    for (int k = 0; k < writes; k++)
        console_write(r.con, stream + (size_t)k * each, each);
    int64_t spent_ms = (port_clock_now_ns() - t0) / PORT_NS_PER_MS;
    ck_assert_msg(spent_ms < 5000, "console_write blocked (%lld ms)", (long long)spent_ms);

    /* Read and account until every written byte is either received or
     * reported dropped.  The text has no '[', so notices are unambiguous. */
    size_t cap = total + 4096, got = 0, parsed = 0, pos = 0;
    uint64_t dropped_total = 0;
    int notices = 0;
    char *buf = malloc(cap + 1);
    int64_t deadline = port_deadline_after_ms(HANG_MS);
    while (pos < total) {
        ck_assert_msg(!port_deadline_expired(deadline),
                      "only %zu of %zu bytes accounted for", pos, total);
        if (!wait_readable(r.out_r, 100))
            continue;
        ssize_t n = read(r.out_r, buf + got, cap - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
        buf[got] = '\0';
        while (parsed < got && pos <= total) {
            if (buf[parsed] == '[') {
                char *end = memchr(buf + parsed, '\n', got - parsed);
                if (end == NULL)
                    break;   /* the rest of the notice is still coming */
                unsigned long long n_dropped = 0;
                ck_assert_int_eq(sscanf(buf + parsed, "[... %llu bytes of output dropped]",
                                        &n_dropped), 1);
                ck_assert_uint_gt(n_dropped, 0);
                pos += (size_t)n_dropped;
                dropped_total += n_dropped;
                notices++;
                parsed = (size_t)(end - buf) + 1;
            } else {
                ck_assert_uint_lt(pos, total);
                ck_assert_msg(buf[parsed] == stream[pos],
                              "byte %zu of the output is not byte %zu written", parsed, pos);
                parsed++;
                pos++;
            }
        }
    }
    ck_assert_uint_eq(pos, total);
    ck_assert_int_ge(notices, 1);
    ck_assert_uint_gt(dropped_total, 0);

    /* Once the notice is out, output is accepted again, after it. */
    console_write(r.con, "after\n", 6);
    got += read_exactly(r.out_r, buf + got, parsed + 6 - got);
    ck_assert_uint_eq(got, parsed + 6);
    ck_assert_mem_eq(buf + parsed, "after\n", 6);
    free(buf);
    free(stream);
    rig_stop(&r);
}
END_TEST

START_TEST(test_stop_is_prompt_while_worker_waits_for_input)
{
    rig_t r;
    rig_start(&r, 0, 0);
    /* The worker is now waiting for input that never comes. */
    int64_t t0 = port_clock_now_ns();
    ck_assert(console_stop(r.con));
    int64_t ms = (port_clock_now_ns() - t0) / PORT_NS_PER_MS;
    ck_assert_msg(ms < 2000, "console_stop took %lld ms", (long long)ms);
    async_runtime_destroy(r.rt);
    close(r.in_w);
    close(r.in_r);
    close(r.out_r);
    close(r.out_w);
}
END_TEST

static void *nothing(void *arg)
{
    return arg;
}

START_TEST(test_no_fd_or_thread_left_after_many_sessions)
{
    /* Sanitizer runtimes start a helper thread with the first thread of
     * the process: have it exist before counting. */
    port_thread_t warm;
    ck_assert_int_eq(port_thread_create(&warm, nothing, NULL, 0), 0);
    port_thread_join(&warm, NULL);
    int fds = proc_count_fds();
    int threads = proc_count_threads();
    for (int i = 0; i < 50; i++) {
        rig_t r;
        rig_start(&r, 0, 0);
        write_all(r.in_w, "x\n", 2);
        expect_line(&r, "x");
        console_write(r.con, "y\n", 2);
        rig_stop(&r);
    }
    ck_assert_int_eq(proc_count_fds(), fds);
    ck_assert_int_eq(threads_settle(threads), threads);
}
END_TEST

START_TEST(test_start_refuses_bad_options_with_message)
{
    char err[256];
    console_options_t o;
    console_options_init(&o);
    ck_assert_ptr_null(console_start(&o, err, sizeof(err)));
    ck_assert_str_eq(err, "console: no async_runtime given");

    async_runtime_t *rt = async_runtime_init();
    o.runtime = rt;
    o.max_line = 0;
    ck_assert_ptr_null(console_start(&o, err, sizeof(err)));
    ck_assert_str_eq(err, "console: invalid options");

    int p[2];
    ck_assert_int_eq(make_pipe(p), 0);
    console_options_init(&o);
    o.runtime = rt;
    o.in_fd = p[0];
    o.out_fd = p[1];
    o.mode = CONSOLE_MODE_TTY;
    ck_assert_ptr_null(console_start(&o, err, sizeof(err)));
    ck_assert_msg(strstr(err, "not a terminal") != NULL || strstr(err, "libedit") != NULL,
                  "%s", err);
    close(p[0]);
    close(p[1]);
    async_runtime_destroy(rt);
}
END_TEST

#ifdef CONSOLE_HAVE_LIBEDIT
/* The terminal tests: only where the console can edit lines. */
#include "tty_util.h"

/* ================================================================ pty */

typedef struct pty {
    pid_t pid;                /* the sh around console_driver */
    tty_stream_t s;           /* the master side: keys in, everything the terminal showed */
    char dir[64];
    int driver_pid;
} pty_t;

static void pty_start(pty_t *p, const char *args, int cols, int rows)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "/tmp/ck_console_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    char cmd[2 * PATH_MAX + 512];
    snprintf(cmd, sizeof(cmd),
             "stty -a > '%s/before'; LC_ALL=C.UTF-8 '%s/console_driver' %s; "
             "echo driver-rc=$?; "
             "stty -a > '%s/after'",
             p->dir, bin_dir, args, p->dir);
    int m;
    p->pid = tty_spawn_sh(cmd, cols, rows, NULL, &m);
    tty_stream_init(&p->s, m, HANG_MS);
}

/* Waits until `needle` shows up at or after `from`; returns its offset
 * (or fails the test after the hang bound / at EOF). */
static size_t pty_expect(pty_t *p, size_t from, const char *needle)
{
    return tty_stream_expect(&p->s, from, needle);
}

static void pty_send(pty_t *p, const char *keys)
{
    tty_write_all(p->s.fd, keys, strlen(keys));
}

/* Waits for console_driver's greeting and its first prompt. */
static size_t pty_ready(pty_t *p)
{
    size_t at = pty_expect(p, 0, "ready pid=");
    p->driver_pid = atoi(p->s.buf + at + strlen("ready pid="));
    ck_assert_int_gt(p->driver_pid, 0);
    pty_expect(p, at, "tty=1");
    return pty_expect(p, at, "> ") + 2;
}

/* Reads to the end, reaps the shell, and checks what every terminal
 * session must leave behind: the driver's exit status, no fd or thread
 * left after console_stop, the terminal's settings as they were. */
static void pty_finish(pty_t *p, int want_rc, bool want_exit_line)
{
    char rc[32];
    snprintf(rc, sizeof(rc), "driver-rc=%d", want_rc);
    size_t at = pty_expect(p, 0, rc);
    if (want_exit_line) {
        size_t e = pty_expect(p, 0, "exit fds=");
        int a = -1, b = -2, ta = -1, tb = -2;
        ck_assert_int_eq(sscanf(p->s.buf + e, "exit fds=%d/%d threads=%d/%d", &a, &b, &ta, &tb),
                         4);
        ck_assert_msg(a == b, "fds after console_stop %d, before console_start %d", a, b);
        ck_assert_msg(ta <= tb, "threads after console_stop %d, before %d", ta, tb);
        ck_assert_uint_lt(e, at);
    }
    while (tty_stream_read_some(&p->s, 1000))
        ;
    int status = 0;
    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    ck_assert(WIFEXITED(status));
    close(p->s.fd);

    char path[128];
    snprintf(path, sizeof(path), "%s/before", p->dir);
    char *before = tty_read_file(path);
    snprintf(path, sizeof(path), "%s/after", p->dir);
    char *after = tty_read_file(path);
    ck_assert_ptr_nonnull(before);
    ck_assert_ptr_nonnull(after);
    ck_assert_msg(strlen(before) > 100, "stty -a said: %s", before);
    ck_assert_msg(strcmp(before, after) == 0, "stty -a before:\n%s\nafter:\n%s", before, after);
    free(before);
    free(after);
}

/* A private folder holding a --history file, for the tests that look at
 * what one session left to the next. */
typedef struct hist_dir {
    char dir[64];
    char args[160];           /* the console_driver option naming the file */
    char path[128];           /* the history file */
} hist_dir_t;

static void hist_dir_make(hist_dir_t *h)
{
    snprintf(h->dir, sizeof(h->dir), "/tmp/ck_console_hist_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(h->dir));
    snprintf(h->args, sizeof(h->args), "--history '%s/history'", h->dir);
    snprintf(h->path, sizeof(h->path), "%s/history", h->dir);
}

static void hist_dir_remove(hist_dir_t *h)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void pty_cleanup(pty_t *p)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "check_console: could not remove %s\n", p->dir);
    free(p->s.buf);
}

START_TEST(test_tty_edited_line_is_delivered_as_edited)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    /* Left arrow three times, insert, and backspace over a typo. */
    pty_send(&p, "wrld\033[D\033[D\033[Do");
    pty_send(&p, "!!\x7f\x7f\r");
    at = pty_expect(&p, at, "got: world\r\n");
    pty_send(&p, "sya\x7f\x7f" "ay hello\r");
    pty_expect(&p, at, "got: say hello\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

/* UTF-8 (console_driver sets the locale from LC_ALL=C.UTF-8): arrows
 * and backspace move over characters, not bytes. */
START_TEST(test_tty_utf8_line_edited_by_character)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "na\xc3\xafve");             /* naïve */
    at = pty_expect(&p, at, "na\xc3\xafve");
    pty_send(&p, "\033[D\033[D\x7fi\r");       /* Left Left Backspace i */
    at = pty_expect(&p, at, "got: naive\r\n");
    pty_send(&p, "caf\xc3\xa9\r");
    pty_expect(&p, at, "got: caf\xc3\xa9\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

/* Output that arrives while a line is half typed appears above it; the
 * partial line is redrawn intact and typing goes on where it was. */
START_TEST(test_tty_async_output_redraws_partial_line_intact)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "abc");
    at = pty_expect(&p, at, "abc");
    kill(p.driver_pid, SIGUSR1);
    size_t s1 = pty_expect(&p, at, "spam 1\r\n");
    /* Erased first: back to column 0, clear to the end of the screen. */
    ck_assert(memmem(p.s.buf + at, s1 - at, "\r\033[J", 4) != NULL);
    size_t s5 = pty_expect(&p, s1, "spam 5\r\n");
    /* Then prompt and partial line drawn again below the output. */
    size_t redraw = pty_expect(&p, s5, "> abc");
    pty_send(&p, "def\r");
    pty_expect(&p, redraw, "got: abcdef\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_ctrl_c_clears_line_and_session_goes_on)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "garbage");
    at = pty_expect(&p, at, "garbage");
    pty_send(&p, "\x03");
    pty_send(&p, "look\r");
    at = pty_expect(&p, at, "got: ");
    pty_expect(&p, at, "got: look\r\n");
    ck_assert_ptr_null(memmem(p.s.buf, p.s.len, "got: garbage", 12));
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_ctrl_d_on_empty_line_is_eof_and_terminal_restored)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "\x04");
    pty_expect(&p, at, "EOF\r\n");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_sigterm_mid_line_stops_and_restores_terminal)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "half a li");
    pty_expect(&p, at, "half a li");
    kill(p.driver_pid, SIGTERM);
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_fatal_path_emergency_restore)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    pty_ready(&p);
    /* console_driver calls console_restore_terminal_emergency and
     * _exit(3): no console_stop, as after a fatal error. */
    pty_send(&p, "crash\r");
    pty_finish(&p, 3, false);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_history_saved_and_recalled_next_session)
{
    hist_dir_t h;
    hist_dir_make(&h);

    pty_t p;
    pty_start(&p, h.args, 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "first cmd\r");
    at = pty_expect(&p, at, "got: first cmd\r\n");
    pty_send(&p, "second\r");
    at = pty_expect(&p, at, "got: second\r\n");
    /* Up recalls in this session too. */
    pty_send(&p, "\033[A\033[A\r");
    at = pty_expect(&p, at, "got: first cmd\r\n");
    pty_send(&p, "\x04");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);

    char *hist = tty_read_file(h.path);
    ck_assert_ptr_nonnull(hist);
    ck_assert_ptr_nonnull(strstr(hist, "second"));
    struct stat st;
    ck_assert_int_eq(stat(h.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 077, 0);   /* the operator's commands are private */
    free(hist);

    pty_start(&p, h.args, 80, 24);
    at = pty_ready(&p);
    pty_send(&p, "\033[A\r");
    at = pty_expect(&p, at, "got: first cmd\r\n");
    pty_send(&p, "\033[A\033[A\r");
    at = pty_expect(&p, at, "got: second\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
    hist_dir_remove(&h);
}
END_TEST

START_TEST(test_tty_tab_completion_asks_main_thread)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    /* One candidate: the word is replaced and a space follows. */
    pty_send(&p, "say hi sm\t\r");
    at = pty_expect(&p, at, "got: say hi smile \r\n");
    /* Two with nothing in common beyond the word: listed above the line,
     * which is drawn again; typing goes on. */
    pty_send(&p, "lo\t");
    size_t list = pty_expect(&p, at, "look  lock");
    pty_expect(&p, list, "> lo");
    pty_send(&p, "ok\r");
    at = pty_expect(&p, list, "got: look\r\n");
    /* A common prefix longer than the word is inserted (shout,
     * shoulder -> shou), without a space: the word is not finished. */
    pty_send(&p, "sh\t");
    pty_send(&p, "t\r");
    at = pty_expect(&p, at, "got: shout\r\n");
    pty_send(&p, "sec\t\r");
    at = pty_expect(&p, at, "got: secret \r\n");
    pty_send(&p, "zz\t\r");
    at = pty_expect(&p, at, "got: zz\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

START_TEST(test_tty_password_not_echoed_nor_kept_in_history)
{
    hist_dir_t h;
    hist_dir_make(&h);
    pty_t p;
    pty_start(&p, h.args, 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "secret\r");
    at = pty_expect(&p, at, "Password: ");
    pty_send(&p, "hunter2\r");
    size_t ok = pty_expect(&p, at, "secret ok\r\n");
    ck_assert_ptr_null(memmem(p.s.buf, p.s.len, "hunter2", 7));
    /* Echo is back for the next line. */
    pty_send(&p, "visible\r");
    pty_expect(&p, ok, "visible");
    pty_expect(&p, ok, "got: visible\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);

    char *hist = tty_read_file(h.path);
    ck_assert_ptr_nonnull(hist);
    ck_assert_ptr_nonnull(strstr(hist, "visible"));
    ck_assert_ptr_null(strstr(hist, "hunter2"));
    free(hist);
    hist_dir_remove(&h);
}
END_TEST

START_TEST(test_tty_prompt_and_unterminated_output_before_it)
{
    pty_t p;
    pty_start(&p, "", 80, 24);
    size_t at = pty_ready(&p);
    pty_send(&p, "prompt hp:10> \r");
    at = pty_expect(&p, at, "hp:10> ");
    /* Output without a newline stands in front of the prompt. */
    pty_send(&p, "partial\r");
    at = pty_expect(&p, at, "abchp:10> ");
    pty_send(&p, "x\r");
    at = pty_expect(&p, at, "got: x\r\n");
    pty_send(&p, "quit\r");
    pty_finish(&p, 0, true);
    pty_cleanup(&p);
}
END_TEST

/* ================================================================ tmux */

/* The test a person would do: a narrow terminal, a line long enough to
 * wrap over three rows, output arriving in the middle of it.  The screen
 * must show the output lines, then the whole partial line, and nothing
 * of the old partial line left above. */
START_TEST(test_tmux_screen_keeps_wrapped_partial_line_intact)
{
    if (!tty_have("tmux")) {
        fprintf(stderr, "check_console: tmux not installed, screen test skipped\n");
        return;
    }
    char cmd[PATH_MAX + 256];
    /* remain-on-exit: the pane stays readable after the program ended;
     * main() kills this tmux server whatever happened. */
    snprintf(cmd, sizeof(cmd),
             "new-session -d -s con -x 30 -y 14 \"'%s/console_driver'; echo driver-rc=\\$?\" "
             "\\; set-option -t con remain-on-exit on", bin_dir);
    ck_assert_int_eq(tty_tmux(cmd), 0);

    char *s = tty_tmux_expect("ready pid=");
    int pid = atoi(strstr(s, "ready pid=") + strlen("ready pid="));
    ck_assert_int_gt(pid, 0);
    free(s);

    /* 70 characters + "> " = 72 columns: three rows of 30. */
    char typed[71];
    for (int i = 0; i < 70; i++)
        typed[i] = (char)('a' + i % 26);
    typed[70] = '\0';
    snprintf(cmd, sizeof(cmd), "send-keys -t con -l '%s'", typed);
    ck_assert_int_eq(tty_tmux(cmd), 0);
    free(tty_tmux_expect(typed + 58));   /* the last row's text is on screen */

    kill(pid, SIGUSR1);
    char want[512];
    snprintf(want, sizeof(want),
             "spam 1\nspam 2\nspam 3\nspam 4\nspam 5\n> %.28s\n%.30s\n%.12s",
             typed, typed + 28, typed + 58);
    s = tty_tmux_expect(want);
    size_t sl = strlen(s), wl = strlen(want);
    ck_assert_msg(sl >= wl && strcmp(s + sl - wl, want) == 0, "screen:\n%s", s);
    /* Above the output: the greeting, no fragment of the old line. */
    char *first = strstr(s, "spam 1");
    ck_assert_ptr_null(memmem(s, (size_t)(first - s), "abc", 3));
    free(s);

    ck_assert_int_eq(tty_tmux("send-keys -t con Enter"), 0);
    snprintf(want, sizeof(want), "got: %.25s", typed);
    free(tty_tmux_expect(want));
    ck_assert_int_eq(tty_tmux("send-keys -t con -l quit"), 0);
    ck_assert_int_eq(tty_tmux("send-keys -t con Enter"), 0);
    free(tty_tmux_expect("driver-rc=0"));
    tty_tmux("kill-server");
}
END_TEST

#endif /* CONSOLE_HAVE_LIBEDIT */

static Suite *console_suite(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("pipe");
    tcase_add_test(tc, test_pipe_lines_in_order_then_eof);
    tcase_add_test(tc, test_pipe_crlf_empty_lines_and_unterminated_last_line);
    tcase_add_test(tc, test_pipe_100k_line_cut_at_max_with_count_not_lost);
    tcase_add_test(tc, test_pipe_100k_line_delivered_whole_when_max_allows);
    tcase_add_test(tc, test_pipe_many_lines_exactly_once_in_order_before_eof);
    tcase_add_test(tc, test_pipe_output_in_order_also_after_eof);
    tcase_add_test(tc, test_stop_writes_output_still_queued);
    tcase_add_test(tc, test_output_overflow_dropped_with_counted_notice);
    tcase_add_test(tc, test_stop_is_prompt_while_worker_waits_for_input);
    tcase_add_test(tc, test_no_fd_or_thread_left_after_many_sessions);
    tcase_add_test(tc, test_start_refuses_bad_options_with_message);
    suite_add_tcase(s, tc);

#ifdef CONSOLE_HAVE_LIBEDIT
    tc = tcase_create("tty");
    tcase_add_test(tc, test_tty_edited_line_is_delivered_as_edited);
    tcase_add_test(tc, test_tty_utf8_line_edited_by_character);
    tcase_add_test(tc, test_tty_async_output_redraws_partial_line_intact);
    tcase_add_test(tc, test_tty_ctrl_c_clears_line_and_session_goes_on);
    tcase_add_test(tc, test_tty_ctrl_d_on_empty_line_is_eof_and_terminal_restored);
    tcase_add_test(tc, test_tty_sigterm_mid_line_stops_and_restores_terminal);
    tcase_add_test(tc, test_tty_fatal_path_emergency_restore);
    tcase_add_test(tc, test_tty_history_saved_and_recalled_next_session);
    tcase_add_test(tc, test_tty_tab_completion_asks_main_thread);
    tcase_add_test(tc, test_tty_password_not_echoed_nor_kept_in_history);
    tcase_add_test(tc, test_tty_prompt_and_unterminated_output_before_it);
    tcase_add_test(tc, test_tmux_screen_keeps_wrapped_partial_line_intact);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
#ifndef _WIN32
    char self[PATH_MAX];
    if (realpath(argv[0], self) == NULL)
        snprintf(self, sizeof(self), "%s", argv[0]);
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(self, sizeof(self), ".");
    snprintf(bin_dir, sizeof(bin_dir), "%s", self);
    signal(SIGPIPE, SIG_IGN);
#else
    (void)argv;
#endif

#ifdef CONSOLE_HAVE_LIBEDIT
    tty_tmux_use_own("ck_console", HANG_MS);
#endif

    SRunner *sr = srunner_create(console_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
#ifdef CONSOLE_HAVE_LIBEDIT
    tty_tmux_kill_server();
#endif
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
