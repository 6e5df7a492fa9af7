/*
 * check_comm.c - tests for src/telnet.c (the protocol layer, byte for
 * byte, no sockets) and src/comm.c (connections, with the real backend
 * loop running in-process on loopback TCP).
 *
 * The comm tests stage what the clients send before the loop starts
 * (connect completes in the kernel's accept queue, data waits in socket
 * buffers), or use a client thread where the client must block; the loop
 * ends when a callback has seen what the test waits for.  Properties are
 * counted (lines, turns, bytes), never timed; a 20 s safety timer only
 * turns a hang into a failure.  Each test runs in its own forked process
 * (Check's default), so module state starts fresh.
 */
#include <config.h>
#include "../src/backend.h"
#include "../src/comm.h"
#include "../src/config.h"
#include "../src/log.h"
#include "../src/telnet.h"
#include "port/port_thread.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define IAC  "\xff"
#define DONT "\xfe"
#define DO   "\xfd"
#define WONT "\xfc"
#define WILL "\xfb"
#define SB   "\xfa"
#define SE   "\xf0"
#define NOP  "\xf1"
#define GA   "\xf9"
#define OPT_ECHO  "\x01"
#define OPT_SGA   "\x03"
#define OPT_TTYPE "\x18"
#define OPT_NAWS  "\x1f"

/* ================================================================ telnet */

/* Everything a session reported, for one test. */
typedef struct capture {
    char   sent[8192];
    size_t sent_len;
    char   lines[32][256];
    size_t line_len[32];
    int    nlines;
    int    too_long;
    size_t too_long_max;
    int    width, height, naws_calls;
    char   ttype[128];
    int    errors;
} capture_t;

static capture_t cap;

static void cap_send(void *ctx, const char *data, size_t len)
{
    capture_t *c = ctx;
    ck_assert_uint_le(c->sent_len + len, sizeof c->sent);
    memcpy(c->sent + c->sent_len, data, len);
    c->sent_len += len;
}

static void cap_line(void *ctx, const char *line, size_t len)
{
    capture_t *c = ctx;
    ck_assert_int_lt(c->nlines, 32);
    ck_assert_uint_lt(len, sizeof c->lines[0]);
    ck_assert_int_eq(line[len], '\0');
    memcpy(c->lines[c->nlines], line, len + 1);
    c->line_len[c->nlines] = len;
    c->nlines++;
}

static void cap_too_long(void *ctx, size_t max)
{
    capture_t *c = ctx;
    c->too_long++;
    c->too_long_max = max;
}

static void cap_window(void *ctx, int w, int h)
{
    capture_t *c = ctx;
    c->width = w;
    c->height = h;
    c->naws_calls++;
}

static void cap_ttype(void *ctx, const char *name)
{
    capture_t *c = ctx;
    snprintf(c->ttype, sizeof c->ttype, "%s", name);
}

static void cap_error(void *ctx, const char *what)
{
    capture_t *c = ctx;
    (void)what;
    c->errors++;
}

static const telnet_session_callbacks_t cap_callbacks = {
    .send = cap_send,
    .line = cap_line,
    .line_too_long = cap_too_long,
    .window_size = cap_window,
    .terminal_type = cap_ttype,
    .protocol_error = cap_error,
};

static telnet_session_t *session_new(size_t max_line)
{
    memset(&cap, 0, sizeof cap);
    telnet_session_t *s = telnet_session_create(&cap_callbacks, &cap, max_line);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Feeds a literal (which may contain NUL bytes: sizeof - 1 is its length). */
#define FEED(s, lit) telnet_session_feed((s), (lit), sizeof(lit) - 1)

static void feed_bytewise(telnet_session_t *s, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        telnet_session_feed(s, data + i, 1);
}

static void assert_line(int i, const char *text, size_t len)
{
    ck_assert_int_gt(cap.nlines, i);
    ck_assert_uint_eq(cap.line_len[i], len);
    ck_assert_mem_eq(cap.lines[i], text, len);
}

#define ASSERT_LINE(i, lit) assert_line((i), (lit), sizeof(lit) - 1)

static void assert_sent(const char *bytes, size_t len)
{
    ck_assert_uint_eq(cap.sent_len, len);
    ck_assert_mem_eq(cap.sent, bytes, len);
}

#define ASSERT_SENT(lit) assert_sent((lit), sizeof(lit) - 1)

START_TEST(test_crlf_ends_a_line)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "look\r\nsay hi\r\n");
    ck_assert_int_eq(cap.nlines, 2);
    ASSERT_LINE(0, "look");
    ASSERT_LINE(1, "say hi");
    ck_assert_uint_eq(cap.sent_len, 0);
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_cr_nul_ends_a_line)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "north\r\0south\r\0");
    ck_assert_int_eq(cap.nlines, 2);
    ASSERT_LINE(0, "north");
    ASSERT_LINE(1, "south");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_lf_alone_ends_a_line)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "one\ntwo\n\n");
    ck_assert_int_eq(cap.nlines, 3);
    ASSERT_LINE(0, "one");
    ASSERT_LINE(1, "two");
    ASSERT_LINE(2, "");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_bare_cr_ends_a_line_and_next_byte_starts_the_next)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "first\rsecond\r");
    /* The trailing CR delivered its line at once: no waiting for more. */
    ck_assert_int_eq(cap.nlines, 2);
    ASSERT_LINE(0, "first");
    ASSERT_LINE(1, "second");
    /* ... and the LF that follows later belongs to it: no empty line. */
    FEED(s, "\nthird\n");
    ck_assert_int_eq(cap.nlines, 3);
    ASSERT_LINE(2, "third");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_terminators_split_byte_by_byte_make_the_same_lines)
{
    static const char input[] = "alpha\r\nbeta\r\0gamma\ndelta\r\n\r\n";
    telnet_session_t *s = session_new(100);
    feed_bytewise(s, input, sizeof input - 1);
    ck_assert_int_eq(cap.nlines, 5);
    ASSERT_LINE(0, "alpha");
    ASSERT_LINE(1, "beta");
    ASSERT_LINE(2, "gamma");
    ASSERT_LINE(3, "delta");
    ASSERT_LINE(4, "");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_iac_commands_are_stripped_and_iac_iac_is_a_data_byte)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "lo" IAC NOP "ok" IAC GA "\r\n");
    FEED(s, "a" IAC IAC "b\r\n");
    /* The same, split inside the IAC sequences. */
    feed_bytewise(s, "c" IAC IAC "d" IAC NOP "\r\n", 8);
    ck_assert_int_eq(cap.nlines, 3);
    ASSERT_LINE(0, "look");
    ASSERT_LINE(1, "a\xff" "b");
    ASSERT_LINE(2, "c\xff" "d");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_start_asks_for_naws_and_ttype)
{
    telnet_session_t *s = session_new(100);
    telnet_session_start(s);
    ASSERT_SENT(IAC DO OPT_NAWS IAC DO OPT_TTYPE);
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_naws_subnegotiation_sets_window_size)
{
    telnet_session_t *s = session_new(100);
    telnet_session_start(s);
    cap.sent_len = 0;
    /* The client agrees (no reply: we asked) and reports 80x24. */
    FEED(s, IAC WILL OPT_NAWS IAC SB OPT_NAWS "\x00\x50\x00\x18" IAC SE);
    ck_assert_uint_eq(cap.sent_len, 0);
    ck_assert_int_eq(cap.naws_calls, 1);
    ck_assert_int_eq(telnet_session_width(s), 80);
    ck_assert_int_eq(telnet_session_height(s), 24);
    /* A width of 255 travels as IAC IAC inside the subnegotiation; data
     * around it still forms lines. */
    FEED(s, "x" IAC SB OPT_NAWS "\x01" IAC IAC "\x00\x30" IAC SE "y\n");
    ck_assert_int_eq(telnet_session_width(s), 511);
    ck_assert_int_eq(telnet_session_height(s), 48);
    ck_assert_int_eq(cap.nlines, 1);
    ASSERT_LINE(0, "xy");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_ttype_will_is_answered_with_send_and_is_recorded)
{
    telnet_session_t *s = session_new(100);
    telnet_session_start(s);
    cap.sent_len = 0;
    FEED(s, IAC WILL OPT_TTYPE);
    ASSERT_SENT(IAC SB OPT_TTYPE "\x01" IAC SE);
    ck_assert_str_eq(telnet_session_terminal_type(s), "");
    FEED(s, IAC SB OPT_TTYPE "\x00" "xterm-256color" IAC SE);
    ck_assert_str_eq(telnet_session_terminal_type(s), "xterm-256color");
    ck_assert_str_eq(cap.ttype, "xterm-256color");
    /* Control bytes are dropped and the length is capped. */
    FEED(s, IAC SB OPT_TTYPE "\x00" "AN\x1bSI" IAC SE);
    ck_assert_str_eq(telnet_session_terminal_type(s), "ANSI");
    char longname[200];
    memset(longname, 'z', sizeof longname);
    FEED(s, IAC SB OPT_TTYPE "\x00");
    telnet_session_feed(s, longname, sizeof longname);
    FEED(s, IAC SE);
    ck_assert_uint_eq(strlen(telnet_session_terminal_type(s)), TELNET_SESSION_TTYPE_MAX);
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_unknown_options_are_refused)
{
    telnet_session_t *s = session_new(100);
    FEED(s, IAC DO "\xc8");                 /* DO 200 */
    ASSERT_SENT(IAC WONT "\xc8");
    cap.sent_len = 0;
    FEED(s, IAC WILL "\x5a");               /* WILL MSP (90) */
    ASSERT_SENT(IAC DONT "\x5a");
    cap.sent_len = 0;
    FEED(s, IAC DO "\x56");                 /* DO MCCP2: we never compress */
    ASSERT_SENT(IAC WONT "\x56");
    cap.sent_len = 0;
    /* An unprompted DO ECHO is refused: we echo-suppress only on demand. */
    FEED(s, IAC DO OPT_ECHO);
    ASSERT_SENT(IAC WONT OPT_ECHO);
    cap.sent_len = 0;
    /* SGA is accepted. */
    FEED(s, IAC DO OPT_SGA);
    ASSERT_SENT(IAC WILL OPT_SGA);
    ck_assert_int_eq(cap.nlines, 0);
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_echo_off_sends_will_echo_and_on_sends_wont_echo)
{
    telnet_session_t *s = session_new(100);
    telnet_session_set_echo(s, true);       /* already on: nothing */
    ck_assert_uint_eq(cap.sent_len, 0);
    telnet_session_set_echo(s, false);
    ASSERT_SENT(IAC WILL OPT_ECHO);
    cap.sent_len = 0;
    telnet_session_set_echo(s, false);      /* repeated: nothing */
    ck_assert_uint_eq(cap.sent_len, 0);
    FEED(s, IAC DO OPT_ECHO);               /* the client agrees: no reply */
    ck_assert_uint_eq(cap.sent_len, 0);
    FEED(s, "secret\r\n");
    ASSERT_LINE(0, "secret");
    telnet_session_set_echo(s, true);
    ASSERT_SENT(IAC WONT OPT_ECHO);
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_overlong_line_is_cut_with_notice_and_rest_discarded)
{
    telnet_session_t *s = session_new(8);
    FEED(s, "0123456789abcdef\r\nnext\r\n");
    ck_assert_int_eq(cap.too_long, 1);
    ck_assert_uint_eq(cap.too_long_max, 8);
    ck_assert_int_eq(cap.nlines, 2);
    ASSERT_LINE(0, "01234567");
    ASSERT_LINE(1, "next");

    /* Split over many feeds: the notice comes once, as soon as the limit
     * is crossed, and the cut line only at the end of the line. */
    cap.nlines = 0;
    cap.too_long = 0;
    feed_bytewise(s, "ABCDEFGHIJ", 10);
    ck_assert_int_eq(cap.too_long, 1);
    ck_assert_int_eq(cap.nlines, 0);
    for (int i = 0; i < 1000; i++)
        FEED(s, "more and more");
    ck_assert_int_eq(cap.too_long, 1);
    FEED(s, "\nok\n");
    ck_assert_int_eq(cap.nlines, 2);
    ASSERT_LINE(0, "ABCDEFGH");
    ASSERT_LINE(1, "ok");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_line_of_exactly_max_length_is_not_cut)
{
    telnet_session_t *s = session_new(8);
    FEED(s, "01234567\r\n");
    ck_assert_int_eq(cap.too_long, 0);
    ASSERT_LINE(0, "01234567");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_line_with_nul_bytes_keeps_them)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "a\0b\n");
    ck_assert_int_eq(cap.nlines, 1);
    ASSERT_LINE(0, "a\0b");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_output_newline_becomes_crlf_and_iac_is_doubled)
{
    telnet_session_t *s = session_new(100);
    static const char text[] = "a\nb\xff" "c\r\nd\re\n";
    telnet_session_send_text(s, text, sizeof text - 1);
    ASSERT_SENT("a\r\nb\xff\xff" "c\r\nd\r\0e\r\n");
    cap.sent_len = 0;
    telnet_session_send_text(s, "\xff\xff", 2);
    ASSERT_SENT("\xff\xff\xff\xff");
    cap.sent_len = 0;
    telnet_session_send_text(s, "plain", 5);
    ASSERT_SENT("plain");
    telnet_session_destroy(s);
}
END_TEST

START_TEST(test_unnegotiated_compression_is_a_protocol_error)
{
    telnet_session_t *s = session_new(100);
    FEED(s, "before\n" IAC SB "\x56" IAC SE "\x78\x9c garbage\nafter\n");
    ck_assert_int_eq(cap.nlines, 1);
    ASSERT_LINE(0, "before");
    ck_assert_int_eq(cap.errors, 1);
    ck_assert(telnet_session_failed(s));
    FEED(s, "ignored\n");
    ck_assert_int_eq(cap.nlines, 1);
    /* Output still works (the owner may say goodbye). */
    cap.sent_len = 0;
    telnet_session_send_text(s, "bye\n", 4);
    ASSERT_SENT("bye\r\n");
    telnet_session_destroy(s);
}
END_TEST

/* ============================================================ comm fixture */

static driver_config_t cfg;
static char log_dir[64];
static int fds_at_start;

/* Per-test application state, reset by setup. */
static struct app {
    int turn;                       /* turn hook count = current turn */
    bool timed_out;
    int connects, closes;
    comm_conn_t *conns[8];          /* in accept order */
    int ports[8];                   /* their peer ports */

    /* The first 4096 lines in detail; all of them counted. */
    struct rec { int conn; int turn; size_t len; char text[48]; } recs[4096];
    int nrec;
    int last_turn[8];               /* per connection: turn of its last line */
    int double_served;              /* lines given to a connection twice in a turn */
    int flood_next;                 /* next expected "fNNNNNN" */
    int flood_bad;                  /* flood lines out of order */
    int stop_after_lines;           /* request shutdown at this many lines */
    int stop_after_connects;
    int stop_after_closes;

    /* test-specific knobs */
    bool echo;                      /* on_line answers "LINE\n" + "> " */
    size_t pending_after_reply;     /* comm_output_pending seen by on_line */
    size_t pending_next_turn;
    comm_conn_t *pending_watch;
    int window_w, window_h;
    char ttype[64];
    comm_conn_t *spew;              /* written to every millisecond */
    size_t spewed;
    bool spew_write_failed;
} app;

/* Set by run_loop_with_check_after_first_line: after the first line a
 * 0 ms timer records the watched connection's pending output in the
 * following turn (after exactly one flush) and stops the loop. */
static bool check_after_first_line;

static int count_open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;   /* the DIR's own fd */
}

static int conn_index(comm_conn_t *conn)
{
    for (int i = 0; i < app.connects; i++)
        if (app.conns[i] == conn)
            return i;
    return -1;
}

static void app_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    if (app.connects < 8) {
        app.conns[app.connects] = conn;
        app.ports[app.connects] = comm_peer_port(conn);
    }
    app.connects++;
    if (app.stop_after_connects && app.connects == app.stop_after_connects)
        backend_request_shutdown(0);
}

static void check_pending_after_flush(void *ctx)
{
    (void)ctx;
    if (app.pending_watch != NULL)
        app.pending_next_turn = comm_output_pending(app.pending_watch);
    backend_request_shutdown(0);
}

static void spew_tick(void *ctx)
{
    (void)ctx;
    static char block[16384];
    if (app.spew == NULL || app.spew_write_failed)
        return;
    memset(block, 'x', sizeof block);
    if (comm_write(app.spew, block, sizeof block))
        app.spewed += sizeof block;
    else
        app.spew_write_failed = true;
}

static void app_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)ctx;
    int ci = conn_index(conn);
    if (ci >= 0 && ci < 8) {
        if (app.last_turn[ci] == app.turn)
            app.double_served++;
        app.last_turn[ci] = app.turn;
    }
    if (app.nrec < 4096) {
        struct rec *r = &app.recs[app.nrec];
        r->conn = ci;
        r->turn = app.turn;
        r->len = len;
        memcpy(r->text, line, len < sizeof r->text ? len : sizeof r->text - 1);
    }
    app.nrec++;
    if (len == 7 && line[0] == 'f') {
        if (atoi(line + 1) != app.flood_next)
            app.flood_bad++;
        app.flood_next++;
    }

    if (len == 4 && memcmp(line, "info", 4) == 0) {
        app.window_w = comm_window_width(conn);
        app.window_h = comm_window_height(conn);
        snprintf(app.ttype, sizeof app.ttype, "%s", comm_terminal_type(conn));
    }
    if (len == 4 && memcmp(line, "quit", 4) == 0) {
        comm_write(conn, "bye\n", 4);
        comm_close(conn);
    } else if (len == 4 && memcmp(line, "spew", 4) == 0) {
        app.spew = conn;
        ck_assert_ptr_nonnull(backend_timer_add(1, 1, spew_tick, NULL));
    } else if (app.echo) {
        comm_write(conn, line, len);
        comm_write(conn, "\n", 1);
        comm_write(conn, "> ", 2);
        app.pending_after_reply = comm_output_pending(conn);
        app.pending_watch = conn;
    }
    if (check_after_first_line && app.nrec == 1)
        ck_assert_ptr_nonnull(backend_timer_add(0, 0, check_pending_after_flush, NULL));
    if (app.stop_after_lines && app.nrec == app.stop_after_lines)
        backend_request_shutdown(0);
}

static void app_close(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    if (conn == app.spew)
        app.spew = NULL;
    if (conn == app.pending_watch)
        app.pending_watch = NULL;
    app.closes++;
    if (app.stop_after_closes && app.closes == app.stop_after_closes)
        backend_request_shutdown(0);
}

static const comm_handler_t app_handler = { app_connect, app_line, app_close, NULL };

static void count_turn(void *ctx)
{
    (void)ctx;
    app.turn++;
}

static void safety_timeout(void *ctx)
{
    (void)ctx;
    app.timed_out = true;
    backend_request_shutdown(1);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t sl = sizeof a;
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &sl), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void comm_setup(void)
{
    memset(&app, 0, sizeof app);
    check_after_first_line = false;
    fds_at_start = count_open_fds();
    snprintf(log_dir, sizeof log_dir, "/tmp/check_comm.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(log_dir));
    ck_assert_int_eq(log_open(log_dir, "comm.log", LOG_LEVEL_ERROR + 1), 0);
    ck_assert_int_eq(backend_init(), 0);
    ck_assert_int_eq(config_set_defaults(&cfg, NULL), 0);
    cfg.port = free_port();
    free(cfg.bind_address);
    cfg.bind_address = strdup("127.0.0.1");
    cfg.max_connections = 50;
    cfg.max_input_line = 4096;
    cfg.max_output_buffer = 1024 * 1024;
    ck_assert_int_eq(backend_add_turn_hook(count_turn, NULL), 0);
    ck_assert_ptr_nonnull(backend_timer_add(20000, 0, safety_timeout, NULL));
}

static void comm_teardown(void)
{
    backend_destroy();
    config_free(&cfg);
    log_close();
    char path[128];
    snprintf(path, sizeof path, "%s/comm.log", log_dir);
    unlink(path);
    rmdir(log_dir);
}

static void start_comm(void)
{
    ck_assert_int_eq(comm_init(&cfg, &app_handler), 0);
    ck_assert_int_eq(comm_listen_port(), cfg.port);
}

static int run_loop(void)
{
    int status = backend_run();
    ck_assert_msg(!app.timed_out, "the loop hit the 20 s safety timeout");
    return status;
}

static int run_loop_with_check_after_first_line(void)
{
    check_after_first_line = true;
    return run_loop();
}

/* A blocking client socket connected to 127.0.0.1:port (or ::1). */
static int client_connect_to(int family, int port)
{
    int s = socket(family, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
        a.sin6_addr = in6addr_loopback;
        rc = connect(s, (struct sockaddr *)&a, sizeof a);
    }
    ck_assert_msg(rc == 0, "connect: %s", strerror(errno));
    return s;
}

static int client_connect(void)
{
    return client_connect_to(AF_INET, cfg.port);
}

static int local_port(int s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &sl), 0);
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void client_send(int s, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(s, data, len, MSG_NOSIGNAL);
        ck_assert_msg(n > 0, "send: %s", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
}

#define CLIENT_SEND(s, lit) client_send((s), (lit), sizeof(lit) - 1)

/* Reads until EOF (or error / timeout) into buf; returns the byte count,
 * and whether EOF was seen in *eof. */
static size_t client_read_all(int s, char *buf, size_t size, bool *eof)
{
    size_t got = 0;
    *eof = false;
    for (;;) {
        ssize_t n = recv(s, buf + got, size - 1 - got, 0);
        if (n == 0) {
            *eof = true;
            break;
        }
        if (n < 0)
            break;
        got += (size_t)n;
        if (got == size - 1)
            break;
    }
    buf[got] = '\0';
    return got;
}

/* Removes IAC negotiation (3-byte commands) the server sent first. */
static const char *skip_negotiation(const char *buf, size_t *len)
{
    while (*len >= 3 && (unsigned char)buf[0] == 0xff) {
        buf += 3;
        *len -= 3;
    }
    return buf;
}

static bool log_contains(const char *needle)
{
    char path[128];
    snprintf(path, sizeof path, "%s/comm.log", log_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* =============================================================== comm */

START_TEST(test_flooding_connection_gets_one_line_per_turn_and_loses_none)
{
    start_comm();
    int a = client_connect();
    int b = client_connect();
    /* A: 1000 lines; B: one.  All in the kernel before the loop starts. */
    char buf[8000];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "a%04d\r\n", i);
    client_send(a, buf, n);
    CLIENT_SEND(b, "b\r\n");
    app.stop_after_lines = 1001;
    ck_assert_int_eq(run_loop(), 0);

    ck_assert_int_eq(app.nrec, 1001);
    int ia = app.ports[0] == local_port(a) ? 0 : 1;
    int first_a_turn = -1, b_turn = -1, expect = 0, last_turn = -1;
    for (int i = 0; i < app.nrec; i++) {
        struct rec *r = &app.recs[i];
        if (r->conn == ia) {
            char want[8];
            snprintf(want, sizeof want, "a%04d", expect++ % 10000);
            ck_assert_str_eq(r->text, want);        /* in order, none lost */
            ck_assert_int_gt(r->turn, last_turn);   /* one per turn */
            last_turn = r->turn;
            if (first_a_turn < 0)
                first_a_turn = r->turn;
        } else {
            ck_assert_str_eq(r->text, "b");
            b_turn = r->turn;
        }
    }
    ck_assert_int_eq(expect, 1000);
    /* B was not queued behind A's thousand lines. */
    ck_assert_int_eq(b_turn, first_a_turn);
    close(a);
    close(b);
}
END_TEST

/* Writer thread for the flood test: blocks in send when the server
 * stops reading, which is the point. */
typedef struct flood_arg { int fd; int lines; } flood_arg_t;

static void *flood_writer(void *p)
{
    flood_arg_t *fa = p;
    char buf[16384];
    size_t n = 0;
    for (int i = 0; i < fa->lines; i++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "f%06d\r\n", i);
        if (n > sizeof buf - 32 || i == fa->lines - 1) {
            const char *p2 = buf;
            while (n > 0) {
                ssize_t w = send(fa->fd, p2, n, MSG_NOSIGNAL);
                if (w <= 0)
                    return NULL;
                p2 += w;
                n -= (size_t)w;
            }
        }
    }
    return NULL;
}

START_TEST(test_flood_larger_than_socket_buffers_is_paused_not_lost)
{
    start_comm();
    int a = client_connect();
    int b = client_connect();
    flood_arg_t fa = { a, 60000 };          /* ~540 KB: more than the buffers hold */
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, flood_writer, &fa, 0), 0);
    CLIENT_SEND(b, "b1\r\nb2\r\nb3\r\n");
    app.stop_after_lines = 60003;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    ck_assert_int_eq(app.nrec, 60003);
    ck_assert_int_eq(app.flood_next, 60000);
    ck_assert_int_eq(app.flood_bad, 0);         /* in order, none lost */
    ck_assert_int_eq(app.double_served, 0);     /* one line per turn each */
    ck_assert_int_ge(app.turn, 60000);
    close(a);
    close(b);
}
END_TEST

START_TEST(test_reply_and_prompt_leave_in_one_send)
{
    app.echo = true;
    app.pending_next_turn = 12345;
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, "hello\r\n");
    app.stop_after_lines = 0;
    /* After the line: a 0 ms timer looks at the buffer in the next turn,
     * i.e. after exactly one flush. */
    ck_assert_int_eq(run_loop_with_check_after_first_line(), 0);
    /* The three writes were buffered, not sent: "hello\r\n> " was all
     * pending when the callback returned (the negotiation had left with
     * the accept turn's flush)... */
    ck_assert_uint_eq(app.pending_after_reply, 9);
    /* ... and one flush (one send) later nothing was. */
    ck_assert_uint_eq(app.pending_next_turn, 0);
    char buf[256];
    bool eof;
    size_t n = client_read_all(c, buf, sizeof buf, &eof);
    const char *p = skip_negotiation(buf, &n);
    ck_assert_uint_eq(n, 9);
    ck_assert_mem_eq(p, "hello\r\n> ", 9);
    ck_assert_int_eq(app.double_served, 0);
    close(c);
}
END_TEST

START_TEST(test_client_that_stops_reading_hits_output_cap_and_is_dropped)
{
    cfg.max_output_buffer = 64 * 1024;
    start_comm();
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;       /* before connect: the window is negotiated with it */
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    CLIENT_SEND(c, "spew\r\n");
    app.stop_after_closes = 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.closes, 1);
    ck_assert(app.spew_write_failed);
    /* The driver went on turning: it never blocked on the client. */
    ck_assert_int_gt(app.turn, 4);
    ck_assert(log_contains("disconnecting 127.0.0.1: output buffer exceeded 65536 bytes "
                           "(client not reading)"));
    ck_assert_int_eq(comm_connection_count(), 0);
    close(c);
}
END_TEST

START_TEST(test_peer_eof_after_commands_runs_them_then_closes)
{
    app.echo = true;
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, "a\r\nb\r\nc\r\n");
    shutdown(c, SHUT_WR);
    app.stop_after_closes = 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.nrec, 3);
    char buf[512];
    bool eof;
    size_t n = client_read_all(c, buf, sizeof buf, &eof);
    const char *p = skip_negotiation(buf, &n);
    ck_assert(eof);
    ck_assert_uint_eq(n, 15);
    ck_assert_mem_eq(p, "a\r\n> b\r\n> c\r\n> ", 15);
    ck_assert(log_contains("peer closed"));
    close(c);
}
END_TEST

START_TEST(test_comm_close_flushes_goodbye_then_closes)
{
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, "quit\r\nnever processed\r\n");
    app.stop_after_closes = 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.nrec, 1);
    char buf[256];
    bool eof;
    size_t n = client_read_all(c, buf, sizeof buf, &eof);
    const char *p = skip_negotiation(buf, &n);
    ck_assert(eof);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(p, "bye\r\n", 5);
    close(c);
}
END_TEST

START_TEST(test_close_with_unread_input_still_ends_in_orderly_eof)
{
    start_comm();
    int c = client_connect();
    /* "quit", then 40 KB the server never gets to read as lines: it sits
     * unread in the server's socket when the connection is closed. */
    static char junk[40 * 1024];
    memset(junk, 'j', sizeof junk);
    for (size_t i = 99; i < sizeof junk; i += 100)
        junk[i] = '\n';
    CLIENT_SEND(c, "quit\r\n");
    client_send(c, junk, sizeof junk);
    app.stop_after_closes = 1;
    ck_assert_int_eq(run_loop(), 0);
    char buf[256];
    bool eof;
    size_t n = client_read_all(c, buf, sizeof buf, &eof);
    const char *p = skip_negotiation(buf, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(p, "bye\r\n", 5);
    ck_assert_msg(eof, "expected an orderly EOF after \"bye\", got %s", strerror(errno));
    close(c);
}
END_TEST

START_TEST(test_reset_by_peer_closes_cleanly)
{
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, "x\r\n");
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c);                               /* RST */
    app.stop_after_closes = 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.closes, 1);
}
END_TEST

START_TEST(test_max_connections_turns_extra_client_away_politely)
{
    cfg.max_connections = 2;
    start_comm();
    int c1 = client_connect();
    int c2 = client_connect();
    int c3 = client_connect();
    app.stop_after_connects = 2;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.connects, 2);
    char buf[256];
    bool eof;
    client_read_all(c3, buf, sizeof buf, &eof);
    ck_assert(eof);
    ck_assert_ptr_nonnull(strstr(buf, "server is full"));
    ck_assert(log_contains("refused 127.0.0.1:"));
    close(c1);
    close(c2);
    close(c3);
}
END_TEST

START_TEST(test_long_input_line_is_cut_and_user_told)
{
    cfg.max_input_line = 16;
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, "0123456789abcdefOVERFLOWING-THE-LIMIT\r\nshort\r\n");
    app.stop_after_lines = 2;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq(app.recs[0].len, 16);
    ck_assert_str_eq(app.recs[0].text, "0123456789abcdef");
    ck_assert_str_eq(app.recs[1].text, "short");
    char buf[512];
    bool eof;
    client_read_all(c, buf, sizeof buf, &eof);   /* shutdown closed it */
    ck_assert_ptr_nonnull(strstr(buf, "Input line too long: cut to 16 bytes"));
    close(c);
}
END_TEST

START_TEST(test_naws_and_ttype_are_recorded_per_connection)
{
    start_comm();
    int c = client_connect();
    CLIENT_SEND(c, IAC WILL OPT_NAWS IAC SB OPT_NAWS "\x00\x64\x00\x28" IAC SE
                IAC WILL OPT_TTYPE IAC SB OPT_TTYPE "\x00" "MUDLET" IAC SE "info\r\n");
    app.stop_after_lines = 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.window_w, 100);
    ck_assert_int_eq(app.window_h, 40);
    ck_assert_str_eq(app.ttype, "MUDLET");
    close(c);
}
END_TEST

START_TEST(test_ipv4_and_ipv6_listeners_with_default_bind)
{
    free(cfg.bind_address);
    cfg.bind_address = NULL;
    start_comm();
    int c4 = client_connect_to(AF_INET, cfg.port);
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    bool have_v6 = false;
    if (s6 >= 0) {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(cfg.port) };
        a.sin6_addr = in6addr_loopback;
        have_v6 = connect(s6, (struct sockaddr *)&a, sizeof a) == 0;
    }
    app.stop_after_connects = have_v6 ? 2 : 1;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.connects, have_v6 ? 2 : 1);
    if (!have_v6)
        fprintf(stderr, "note: no IPv6 loopback here; IPv4 checked only\n");
    close(c4);
    if (s6 >= 0)
        close(s6);
}
END_TEST

/* Reader thread for the shutdown test: reads until EOF. */
typedef struct reader_arg { int fd; size_t got; bool eof; } reader_arg_t;

static void *reader_thread(void *p)
{
    reader_arg_t *ra = p;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(ra->fd, buf, sizeof buf, 0);
        if (n == 0) {
            ra->eof = true;
            break;
        }
        if (n < 0)
            break;
        ra->got += (size_t)n;
    }
    return NULL;
}

/* Much more than a 16 KiB receive window and the server's initial send
 * buffer take: most of it must leave during comm_shutdown's flush. */
#define SHUTDOWN_BLOCK (512 * 1024)

static void spew_once_and_shut_down(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    static char block[SHUTDOWN_BLOCK];
    memset(block, 'y', sizeof block);
    ck_assert(comm_write(conn, block, sizeof block));
    backend_request_shutdown(0);
}

START_TEST(test_shutdown_flushes_pending_output_before_closing)
{
    comm_handler_t h = { spew_once_and_shut_down, NULL, NULL, NULL };
    ck_assert_int_eq(comm_init(&cfg, &h), 0);
    /* A small receive buffer, set before connect so the window is
     * negotiated with it. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int small = 16384;
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    reader_arg_t ra = { c, 0, false };
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, reader_thread, &ra, 0), 0);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    ck_assert(ra.eof);
    /* 6 bytes of negotiation + the block, all of it. */
    ck_assert_uint_eq(ra.got, 6 + SHUTDOWN_BLOCK);
    close(c);
}
END_TEST

static void spew_then_close(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    static char block[SHUTDOWN_BLOCK];
    memset(block, 'z', sizeof block);
    ck_assert(comm_write(conn, block, sizeof block));
    comm_close(conn);
    /* Closing: further writes are refused. */
    ck_assert(!comm_write(conn, "late", 4));
}

static void stop_on_close(comm_conn_t *conn, void *ctx)
{
    (void)conn;
    (void)ctx;
    app.closes++;
    backend_request_shutdown(0);
}

START_TEST(test_comm_close_lingers_until_large_output_has_drained)
{
    comm_handler_t h = { spew_then_close, NULL, stop_on_close, NULL };
    ck_assert_int_eq(comm_init(&cfg, &h), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int small = 16384;
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    reader_arg_t ra = { c, 0, false };
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, reader_thread, &ra, 0), 0);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    ck_assert_int_eq(app.closes, 1);
    ck_assert(ra.eof);
    ck_assert_uint_eq(ra.got, 6 + SHUTDOWN_BLOCK);
    /* It was closed by comm_close after draining, not by the shutdown. */
    ck_assert(!log_contains("driver shutting down"));
    ck_assert(!log_contains("not drained"));
    close(c);
}
END_TEST

START_TEST(test_no_fd_leak_after_connections_and_shutdown)
{
    start_comm();
    int cl[5];
    for (int i = 0; i < 5; i++)
        cl[i] = client_connect();
    CLIENT_SEND(cl[0], "quit\r\n");
    close(cl[1]);
    app.stop_after_connects = 0;
    app.stop_after_closes = 2;
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(app.closes, 5);    /* 2 during the run, 3 at shutdown */
    ck_assert_int_eq(comm_connection_count(), 0);
    for (int i = 0; i < 5; i++)
        if (i != 1)
            close(cl[i]);
    backend_destroy();
    log_close();
    ck_assert_int_eq(count_open_fds(), fds_at_start);
}
END_TEST

/* ================================================================= main */

static Suite *comm_suite(void)
{
    Suite *s = suite_create("comm");

    TCase *tc = tcase_create("telnet");
    tcase_add_test(tc, test_crlf_ends_a_line);
    tcase_add_test(tc, test_cr_nul_ends_a_line);
    tcase_add_test(tc, test_lf_alone_ends_a_line);
    tcase_add_test(tc, test_bare_cr_ends_a_line_and_next_byte_starts_the_next);
    tcase_add_test(tc, test_terminators_split_byte_by_byte_make_the_same_lines);
    tcase_add_test(tc, test_iac_commands_are_stripped_and_iac_iac_is_a_data_byte);
    tcase_add_test(tc, test_start_asks_for_naws_and_ttype);
    tcase_add_test(tc, test_naws_subnegotiation_sets_window_size);
    tcase_add_test(tc, test_ttype_will_is_answered_with_send_and_is_recorded);
    tcase_add_test(tc, test_unknown_options_are_refused);
    tcase_add_test(tc, test_echo_off_sends_will_echo_and_on_sends_wont_echo);
    tcase_add_test(tc, test_overlong_line_is_cut_with_notice_and_rest_discarded);
    tcase_add_test(tc, test_line_of_exactly_max_length_is_not_cut);
    tcase_add_test(tc, test_line_with_nul_bytes_keeps_them);
    tcase_add_test(tc, test_output_newline_becomes_crlf_and_iac_is_doubled);
    tcase_add_test(tc, test_unnegotiated_compression_is_a_protocol_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("connections");
    tcase_add_checked_fixture(tc, comm_setup, comm_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_flooding_connection_gets_one_line_per_turn_and_loses_none);
    tcase_add_test(tc, test_flood_larger_than_socket_buffers_is_paused_not_lost);
    tcase_add_test(tc, test_reply_and_prompt_leave_in_one_send);
    tcase_add_test(tc, test_client_that_stops_reading_hits_output_cap_and_is_dropped);
    tcase_add_test(tc, test_peer_eof_after_commands_runs_them_then_closes);
    tcase_add_test(tc, test_comm_close_flushes_goodbye_then_closes);
    tcase_add_test(tc, test_close_with_unread_input_still_ends_in_orderly_eof);
    tcase_add_test(tc, test_reset_by_peer_closes_cleanly);
    tcase_add_test(tc, test_max_connections_turns_extra_client_away_politely);
    tcase_add_test(tc, test_long_input_line_is_cut_and_user_told);
    tcase_add_test(tc, test_naws_and_ttype_are_recorded_per_connection);
    tcase_add_test(tc, test_ipv4_and_ipv6_listeners_with_default_bind);
    tcase_add_test(tc, test_shutdown_flushes_pending_output_before_closing);
    tcase_add_test(tc, test_comm_close_lingers_until_large_output_has_drained);
    tcase_add_test(tc, test_no_fd_leak_after_connections_and_shutdown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(comm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
