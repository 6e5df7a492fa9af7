/*
 * check_driver_e2e.c - end-to-end tests: the real driver binaries
 * (testsuite/neolith_echo around the echo application, src/neolith for
 * the shipped no-LPC banner and the command line) started with a test
 * configuration in a temporary folder and driven over real sockets.
 *
 * The client side is raw sockets with a tiny telnet reader of its own:
 * it separates the data stream from IAC commands (recording each command
 * and where in the data stream it arrived), so the tests compare exact
 * bytes and see exactly which negotiations the driver sent.  The client
 * never answers the driver's DO NAWS / DO TTYPE unless a test says so.
 *
 * Synchronisation is on data, never on time: the driver is ready when its
 * stderr says "listening on port N" (read through a pipe by a thread that
 * keeps draining it, so the driver never blocks on a full pipe and tests
 * can wait for any log line); a reply is awaited by reading it.  Timeouts
 * exist only to turn a hang into a failure (E2E_TIMEOUT_MS, generous for
 * sanitizer and valgrind runs).
 *
 * NEOLITH_E2E_WRAPPER, when set, is put in front of the driver command
 * (e.g. "valgrind --leak-check=full --error-exitcode=99"): every test
 * then also checks the wrapper's exit status.
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

static int count_proc_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    DIR *dir = opendir(path);
    ck_assert_ptr_nonnull(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

static const char WELCOME[] = "Welcome to the echo test.\r\n> ";

static e2e_client_t *client_connect_welcomed(e2e_driver_t *d)
{
    e2e_client_t *c = e2e_client_connect(d);
    e2e_client_expect(c, WELCOME);
    return c;
}

/* One round trip: "line" -> "echo: line\r\n> ". */
static void round_trip(e2e_client_t *c, const char *line)
{
    char out[512], want[600];
    snprintf(out, sizeof(out), "%s\r\n", line);
    snprintf(want, sizeof(want), "echo: %s\r\n> ", line);
    e2e_client_send(c, out);
    e2e_client_expect(c, want);
}

static int local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* ======================================================== the conversation */

/* The echo application's whole script on one connection, byte for byte:
 * welcome, echo, the driver's opening negotiation, quit -> bye -> EOF. */
START_TEST(test_echo_conversation_and_quit)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");

    e2e_client_t *c = client_connect_welcomed(&d);
    round_trip(c, "hello world");
    round_trip(c, "");
    /* The driver asks for NAWS and TTYPE at once. */
    ck_assert_ptr_nonnull(e2e_client_find_negotiation(c, T_DO, T_NAWS));
    ck_assert_ptr_nonnull(e2e_client_find_negotiation(c, T_DO, T_TTYPE));
    e2e_client_send(c, "quit\r\n");
    e2e_client_expect(c, "bye\r\n");
    ck_assert(e2e_client_read_to_eof(c));
    ck_assert_uint_eq(c->len, 0);
    e2e_client_free(c);

    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ============================================================ many clients */

/* 200 clients connected at once each send 5 lines (all clients' line k
 * is sent before any reply is read) and each gets exactly its own
 * echoes, in order. */
START_TEST(test_many_clients_get_exact_echoes)
{
    enum { N = 200, LINES = 5 };
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");

    static e2e_client_t *cl[N];
    for (int i = 0; i < N; i++)
        cl[i] = e2e_client_connect(&d);
    for (int i = 0; i < N; i++)
        e2e_client_expect(cl[i], WELCOME);
    for (int k = 0; k < LINES; k++) {
        char line[64], want[96];
        for (int i = 0; i < N; i++) {
            snprintf(line, sizeof(line), "client %d line %d\r\n", i, k);
            e2e_client_send(cl[i], line);
        }
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof(want), "echo: client %d line %d\r\n> ", i, k);
            e2e_client_expect(cl[i], want);
        }
    }
    for (int i = 0; i < N; i++)
        e2e_client_free(cl[i]);

    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ============================================================= slow reader */

/* A client that asks for lots of output and never reads is disconnected
 * once its buffered output passes "max output buffered" (logged), while
 * another client keeps getting every reply. */
START_TEST(test_slow_reader_disconnected_at_cap_other_served)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", "max output buffered: 64K\n");
    e2e_driver_start(&d, "echo");

    /* A small receive window so the kernel does not hide the backlog. */
    e2e_client_t *slow = e2e_client_new_fd(e2e_connect_with(AF_INET, d.port, 4096));
    e2e_client_expect(slow, WELCOME);
    e2e_client_t *fast = client_connect_welcomed(&d);
    int slow_port = local_port(slow->fd);

    /* Each "flood 500" asks for 40,000 bytes (under the 64K cap by
     * itself); the slow client reads none of it.  Between two requests
     * the fast client does a round trip.  Sooner or later the socket
     * buffers are full and the slow client's backlog passes the cap; the
     * driver logs it by the client's address and hangs up (our next
     * sends then fail). */
    char cut_line[96];
    snprintf(cut_line, sizeof(cut_line), "disconnect 127.0.0.1:%d: output", slow_port);
    int requests = 0, trips = 0;
    bool cut = false;
    while (!cut && requests < 5000) {
        ssize_t n = send(slow->fd, "flood 500\r\n", 11, MSG_NOSIGNAL);
        if (n < 0)
            break;   /* EPIPE / ECONNRESET: the driver hung up */
        requests++;
        char line[32];
        snprintf(line, sizeof(line), "ping %d", trips);
        round_trip(fast, line);
        trips++;
        cut = e2e_driver_log_contains(&d, cut_line);
    }
    cut = e2e_driver_wait_log(&d, cut_line);
    ck_assert_msg(cut, "no '%s' in the log after %d floods", cut_line, requests);
    fprintf(stderr, "# slow reader cut after %d flood requests, %d round trips of the other\n",
            requests, trips);
    /* Everything the slow client can still read ends in EOF or a reset,
     * well short of what it asked for. */
    ck_assert(e2e_client_read_to_eof(slow));
    ck_assert_uint_lt(slow->total, (size_t)requests * 40000);
    /* And the fast client is served as before. */
    round_trip(fast, "still here");
    ck_assert_int_ge(trips, 1);

    e2e_client_free(slow);
    e2e_client_free(fast);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ============================================================ input flood */

enum { FLOOD_LINES = 100000 };

typedef struct flooder {
    e2e_client_t *c;
    port_thread_t thread;
    _Atomic long echoes;      /* "echo: " lines received so far */
    _Atomic bool stop;
    size_t sent;
} flooder_t;

/* Sends FLOOD_LINES lines as fast as the socket takes them while reading
 * (and counting) the echoes, so the flooder is not a slow reader. */
static void *flooder_main(void *arg)
{
    flooder_t *f = arg;
    static char buf[FLOOD_LINES * 13 + 1];
    size_t len = 0;
    for (int i = 0; i < FLOOD_LINES; i++)
        len += (size_t)sprintf(buf + len, "spam %06d\r\n", i);
    size_t off = 0;
    long lines = 0;
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        struct pollfd p = { f->c->fd, POLLIN | (off < len ? POLLOUT : 0), 0 };
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (p.revents & POLLOUT) {
            ssize_t n = send(f->c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                off += (size_t)n;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char rb[65536];
            ssize_t n = recv(f->c->fd, rb, sizeof(rb), MSG_DONTWAIT);
            if (n == 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                if (rb[i] == '\n')
                    lines++;
            /* relaxed: a counter the main thread only samples. */
            atomic_store_explicit(&f->echoes, lines, memory_order_relaxed);
        }
    }
    f->sent = off;
    return NULL;
}

/* One client floods 100,000 lines; another's 50 round trips all complete
 * while the flood is still being worked through (one line per
 * connection per turn: the flood cannot starve anyone). */
START_TEST(test_input_flood_does_not_starve_another)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");

    static flooder_t f;
    f.c = client_connect_welcomed(&d);
    e2e_client_t *other = client_connect_welcomed(&d);
    ck_assert_int_eq(port_thread_create(&f.thread, flooder_main, &f, 0), 0);

    /* Wait until the flood is visibly being served... */
    while (atomic_load_explicit(&f.echoes, memory_order_relaxed) < 100)
        round_trip(other, "warming up");
    /* ...then count the other client's round trips against it. */
    for (int i = 0; i < 50; i++) {
        char line[32];
        snprintf(line, sizeof(line), "turn %d", i);
        round_trip(other, line);
    }
    long echoes_then = atomic_load_explicit(&f.echoes, memory_order_relaxed);
    atomic_store_explicit(&f.stop, true, memory_order_relaxed);
    port_thread_join(&f.thread, NULL);
    fprintf(stderr, "# flooder had %ld of %d echoes when the other's 50 round trips were done\n",
            echoes_then, FLOOD_LINES);
    ck_assert_msg(echoes_then < FLOOD_LINES,
                  "the flood (%ld echoes) was over before the other client's "
                  "50 round trips", echoes_then);

    e2e_client_free(f.c);
    e2e_client_free(other);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ======================================================= vanishing client */

/* A client that resets its connection (SO_LINGER 0) with a reply still
 * coming is logged and dropped; the driver keeps serving others. */
START_TEST(test_vanished_client_logged_and_service_continues)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");

    e2e_client_t *keep = client_connect_welcomed(&d);
    e2e_client_t *gone = client_connect_welcomed(&d);
    char port_text[64];
    snprintf(port_text, sizeof(port_text), "disconnect 127.0.0.1:%d", local_port(gone->fd));
    e2e_client_send(gone, "flood 2000\r\n");     /* output under way */
    struct linger lg = { 1, 0 };
    ck_assert_int_eq(setsockopt(gone->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    e2e_client_free(gone);                        /* RST */

    ck_assert_msg(e2e_driver_wait_log(&d, port_text), "the reset connection was not logged");
    round_trip(keep, "after the reset");
    e2e_client_t *fresh = client_connect_welcomed(&d);
    round_trip(fresh, "new client");
    ck_assert_int_eq(waitpid(d.pid, NULL, WNOHANG), 0);   /* still running */

    e2e_client_free(keep);
    e2e_client_free(fresh);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ================================================================= telnet */

/* IAC sequences never reach the application: NOP, an IAC IAC data byte,
 * an offer of an unknown option (refused with DONT) and a subnegotiation
 * are all taken out of the line. */
START_TEST(test_telnet_iac_stripped_and_unknown_option_refused)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);

    static const unsigned char line[] = {
        'a', 'b', T_IAC, T_NOP, 'c', 'd',
        T_IAC, T_WILL, 99,
        'e', T_IAC, T_SB, 99, 'x', 'y', T_IAC, T_SE, 'f',
        '\r', '\n'
    };
    e2e_send_all(c->fd, line, sizeof(line));
    e2e_client_expect(c, "echo: abcdef\r\n> ");
    ck_assert_ptr_nonnull(e2e_client_find_negotiation(c, T_DONT, 99));

    /* IAC IAC is the data byte 0xFF: echoed back escaped as IAC IAC
     * (the reader turns it into one 0xFF again). */
    static const unsigned char ff[] = { 'x', T_IAC, T_IAC, 'y', '\r', '\n' };
    e2e_send_all(c->fd, ff, sizeof(ff));
    e2e_client_expect(c, "echo: x\xffy\r\n> ");

    e2e_client_free(c);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* CR LF, CR NUL and bare LF all end a line, also split across sends. */
START_TEST(test_telnet_line_endings)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);

    e2e_send_all(c->fd, "one\r\0two\nthr", 12);
    e2e_client_expect(c, "echo: one\r\n> ");
    e2e_client_expect(c, "echo: two\r\n> ");
    e2e_client_send(c, "ee\r");
    e2e_client_expect(c, "echo: three\r\n> ");
    e2e_client_send(c, "\nfour\r\n");     /* the LF completes CR LF: no empty line */
    e2e_client_expect(c, "echo: four\r\n> ");

    e2e_client_free(c);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* Password input: the driver says WILL ECHO before the prompt and does not
 * echo; after the password it says WONT ECHO. */
START_TEST(test_telnet_will_echo_for_password)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);

    e2e_client_send(c, "password\r\n");
    e2e_client_expect(c, "pw> ");
    e2e_negotiation_t *will = e2e_client_find_negotiation(c, T_WILL, T_ECHO);
    ck_assert_ptr_nonnull(will);
    size_t prompt_at = c->total - 4;
    ck_assert_uint_le(will->at, prompt_at);
    /* Agree, as a real client would. */
    static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
    e2e_send_all(c->fd, do_echo, sizeof(do_echo));

    e2e_client_send(c, "hunter2\r\n");
    e2e_client_expect(c, "secret accepted\r\n> ");
    e2e_client_wait_negotiation(c, T_WONT, T_ECHO);
    round_trip(c, "visible again");

    e2e_client_free(c);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* NAWS and TTYPE are recorded per connection (the "info" command shows
 * them), and so is the peer address. */
START_TEST(test_telnet_naws_and_ttype_recorded)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);

    e2e_client_send(c, "info\r\n");
    e2e_client_expect(c, "peer: 127.0.0.1\r\nsize: 0x0\r\nterm: \r\n> ");

    static const unsigned char naws[] = {
        T_IAC, T_WILL, T_NAWS,
        T_IAC, T_SB, T_NAWS, 0, 132, 0, 43, T_IAC, T_SE,
        T_IAC, T_WILL, T_TTYPE
    };
    e2e_send_all(c->fd, naws, sizeof(naws));
    /* The driver asks for the terminal type: IAC SB TTYPE SEND IAC SE. */
    e2e_negotiation_t *ask = e2e_client_wait_negotiation(c, T_SB, T_TTYPE);
    ck_assert_uint_eq(ask->sb_len, 1);
    ck_assert_uint_eq(ask->sb[0], 1);   /* SEND */
    static const unsigned char is[] = {
        T_IAC, T_SB, T_TTYPE, 0, 'X', 'T', 'E', 'R', 'M', T_IAC, T_SE
    };
    e2e_send_all(c->fd, is, sizeof(is));

    e2e_client_send(c, "info\r\n");
    e2e_client_expect(c, "peer: 127.0.0.1\r\nsize: 132x43\r\nterm: XTERM\r\n> ");

    e2e_client_free(c);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* A line over "max input line length" is cut at the maximum, the user is
 * told, the rest of that line is discarded (not taken as a new line). */
START_TEST(test_telnet_overlong_line_cut_with_notice)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", "max input line length: 64\n");
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);

    char line[1100];
    memset(line, 'a', 1000);
    memcpy(line + 1000, "\r\n", 3);
    e2e_client_send(c, line);
    e2e_client_send(c, "next\r\n");

    char want[128];
    memcpy(want, "echo: ", 6);
    memset(want + 6, 'a', 64);
    memcpy(want + 70, "\r\n> ", 5);
    /* Before the echo of the cut line: a notice, whatever its words. */
    ck_assert(e2e_client_fill(c, 1));
    ck_assert_msg(c->data[0] != 'e', "no notice before the cut line's echo");
    /* Skip the notice (it ends with a newline) ... */
    for (;;) {
        ck_assert(e2e_client_fill(c, 1));
        unsigned char *nl = memchr(c->data, '\n', c->len);
        if (nl != NULL) {
            char *notice = e2e_printable(c->data, (size_t)(nl - c->data));
            ck_assert_msg(strstr(notice, "64") != NULL || strstr(notice, "long") != NULL,
                          "notice does not say what happened: %s", notice);
            free(notice);
            e2e_client_consume(c, (size_t)(nl - c->data) + 1);
            break;
        }
        ck_assert(e2e_client_read_some(c, E2E_TIMEOUT_MS) > 0);
    }
    /* ... then exactly 64 bytes of the line, then the next line. */
    e2e_client_expect(c, want);
    e2e_client_expect(c, "echo: next\r\n> ");

    e2e_client_free(c);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ============================================================== shutdown */

/* SIGTERM with connections open (one with output pending, one mid-line):
 * exit status 0, every client sees EOF, the log says why. */
START_TEST(test_sigterm_with_open_connections_exits_0)
{
    enum { N = 5 };
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *cl[N];
    for (int i = 0; i < N; i++)
        cl[i] = client_connect_welcomed(&d);
    e2e_client_send(cl[0], "flood 100\r\n");
    e2e_client_send(cl[1], "half a li");
    round_trip(cl[2], "before the signal");

    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(e2e_client_read_to_eof(cl[i]), "client %d saw no EOF", i);
        e2e_client_free(cl[i]);
    }
    ck_assert(e2e_driver_log_contains(&d, "SIGTERM"));
    e2e_driver_cleanup(&d);
}
END_TEST

/* SIGINT too. */
START_TEST(test_sigint_exits_0)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *c = client_connect_welcomed(&d);
    ck_assert_int_eq(kill(d.pid, SIGINT), 0);
    ck_assert(e2e_client_read_to_eof(c));
    e2e_client_free(c);
    ck_assert_int_eq(e2e_exit_code(e2e_driver_wait(&d)), 0);
    ck_assert(e2e_driver_log_contains(&d, "SIGINT"));
    e2e_driver_cleanup(&d);
}
END_TEST

/* ================================================================ fd leak */

/* 100 connect/disconnect cycles (half closed by the client, some reset,
 * half ended by "quit") leave the driver with as many fds as before. */
START_TEST(test_no_fd_leak_over_100_connections)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    e2e_driver_start(&d, "echo");
    e2e_client_t *probe = client_connect_welcomed(&d);
    round_trip(probe, "baseline");
    int before = count_proc_fds(d.pid);

    for (int i = 0; i < 100; i++) {
        e2e_client_t *c = client_connect_welcomed(&d);
        if (i % 2 == 0) {
            e2e_client_send(c, "quit\r\n");
            e2e_client_expect(c, "bye\r\n");
            ck_assert(e2e_client_read_to_eof(c));
        } else if (i % 5 == 0) {
            struct linger lg = { 1, 0 };
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        e2e_client_free(c);
    }
    /* Every close above happened before this line was sent; the turn that
     * answers it has handled every pending hang-up (level-triggered
     * readiness is reported in each wait until handled). */
    round_trip(probe, "after the cycles");
    round_trip(probe, "and once more");
    int after = count_proc_fds(d.pid);
    ck_assert_int_eq(after, before);

    e2e_client_free(probe);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ====================================================== max connections */

/* One more client than "max connections" is told politely and closed;
 * the others are unaffected. */
START_TEST(test_max_connections_enforced_politely)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", "max connections: 3\n");
    e2e_driver_start(&d, "echo");
    e2e_client_t *cl[3];
    for (int i = 0; i < 3; i++)
        cl[i] = client_connect_welcomed(&d);
    e2e_client_t *extra = e2e_client_connect(&d);
    ck_assert(e2e_client_read_to_eof(extra));
    ck_assert_uint_gt(extra->total, 0);            /* it was told something */
    ck_assert_ptr_null(memmem(extra->data, extra->len, "Welcome", 7));
    e2e_client_free(extra);
    round_trip(cl[0], "still fine");
    /* A place freed is a place taken. */
    e2e_client_send(cl[1], "quit\r\n");
    e2e_client_expect(cl[1], "bye\r\n");
    ck_assert(e2e_client_read_to_eof(cl[1]));
    e2e_client_t *again = client_connect_welcomed(&d);
    round_trip(again, "got in");
    e2e_client_free(again);
    for (int i = 0; i < 3; i++)
        e2e_client_free(cl[i]);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ======================================================= IPv4 and IPv6 */

static bool ipv6_loopback_available(void)
{
    int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return false;
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    return ok;
}

/* "bind address: *" listens on IPv4 and IPv6. */
START_TEST(test_bind_all_listens_on_ipv4_and_ipv6)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", "bind address: *\n");   /* the later line wins */
    e2e_driver_start(&d, "echo");
    e2e_client_t *v4 = client_connect_welcomed(&d);
    round_trip(v4, "over IPv4");
    if (ipv6_loopback_available()) {
        e2e_client_t *v6 = e2e_client_new_fd(e2e_connect_to(AF_INET6, d.port));
        e2e_client_expect(v6, WELCOME);
        round_trip(v6, "over IPv6");
        e2e_client_send(v6, "info\r\n");
        e2e_client_expect(v6, "peer: ::1\r\n");
        e2e_client_free(v6);
    }
    e2e_client_free(v4);
    ck_assert_int_eq(e2e_driver_stop(&d), 0);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ======================================================= shipped binary */

/* The shipped driver is the LPC application: on a mudlib without a
 * master object it refuses to start (exit 1) and says why.  Playing on a
 * real mudlib is check_runtime_e2e's business. */
START_TEST(test_shipped_driver_without_master_exits_1_naming_it)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", NULL);
    const char *args[] = { "-f", d.conf, NULL };
    e2e_driver_spawn(&d, "neolith", args, NULL);
    ck_assert_int_eq(e2e_exit_code(e2e_driver_wait(&d)), 1);
    ck_assert_msg(e2e_driver_log_contains(&d, "master object /secure/master.c did not load"),
                  "stderr: %s", d.log != NULL ? d.log : "");
    e2e_driver_cleanup(&d);
}
END_TEST

/* Runs src/neolith with args to its end; returns the exit code and the
 * stderr text (caller frees) in *err, stdout in *out. */
static int run_neolith(const char *const *args, char **err, char **out)
{
    e2e_driver_t d;
    memset(&d, 0, sizeof(d));
    int out_fd = -1;
    e2e_driver_spawn(&d, "neolith", args, &out_fd);
    char *o = NULL;
    size_t olen = 0;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_fd, buf, sizeof(buf))) > 0) {
        o = realloc(o, olen + (size_t)n + 1);
        memcpy(o + olen, buf, (size_t)n);
        olen += (size_t)n;
    }
    close(out_fd);
    if (o == NULL)
        o = strdup("");
    else
        o[olen] = '\0';
    int code = e2e_exit_code(e2e_driver_wait(&d));
    *err = e2e_driver_log_copy(&d);
    *out = o;
    d.dir[0] = '\0';
    e2e_driver_cleanup(&d);
    return code;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

/* Unknown options and bad values: one line naming the problem, exit 2,
 * nothing on stdout. */
START_TEST(test_bad_options_exit_2_with_message)
{
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        { { "--bogus", NULL }, "--bogus" },
        { { "-p", "70000", NULL }, "70000" },
        { { "-p", "http", NULL }, "http" },
        { { "-p", NULL }, "-p" },
        { { "-f", NULL }, "-f" },
        { { "stray", NULL }, "stray" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *err, *out;
        int code = run_neolith(cases[i].args, &err, &out);
        ck_assert_msg(code == 2, "case %zu: exit %d, stderr: %s", i, code, err);
        ck_assert_msg(strncmp(err, "neolith: ", 9) == 0, "case %zu: %s", i, err);
        ck_assert_msg(strstr(err, cases[i].says) != NULL, "case %zu: %s", i, err);
        ck_assert_int_eq(count_lines(err), 1);
        ck_assert_str_eq(out, "");
        free(err);
        free(out);
    }
    /* --help and --version print to stdout and exit 0. */
    const char *help[] = { "--help", NULL };
    char *err, *out;
    ck_assert_int_eq(run_neolith(help, &err, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "Usage"));
    free(err);
    free(out);
    const char *version[] = { "--version", NULL };
    ck_assert_int_eq(run_neolith(version, &err, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, PACKAGE_VERSION));
    free(err);
    free(out);
}
END_TEST

/* A bad config file: exit 2 with "file:line: ..." and no listener. */
START_TEST(test_bad_config_exit_2_with_file_and_line)
{
    e2e_driver_t d;
    e2e_driver_prepare(&d, "check_driver_e2e", "max connections: 10\nprot: 4000\n");
    const char *args[] = { "-f", d.conf, NULL };
    char *err, *out;
    int code = run_neolith(args, &err, &out);
    ck_assert_msg(code == 2, "exit %d: %s", code, err);
    char where[PATH_MAX + 16];
    snprintf(where, sizeof(where), "neolith.conf:7:");   /* the "prot" line */
    ck_assert_msg(strstr(err, where) != NULL, "no %s in: %s", where, err);
    ck_assert_msg(strstr(err, "prot") != NULL, "%s", err);
    free(err);
    free(out);

    /* A missing file names the file. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof(missing), "%s/nope.conf", d.dir);
    const char *args2[] = { "-f", missing, NULL };
    code = run_neolith(args2, &err, &out);
    ck_assert_msg(code == 2, "exit %d: %s", code, err);
    ck_assert_msg(strstr(err, "nope.conf") != NULL, "%s", err);
    free(err);
    free(out);
    e2e_driver_cleanup(&d);
}
END_TEST

/* ================================================================= suite */

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("driver_e2e");
    TCase *tc = tcase_create("echo");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_echo_conversation_and_quit);
    tcase_add_test(tc, test_many_clients_get_exact_echoes);
    tcase_add_test(tc, test_slow_reader_disconnected_at_cap_other_served);
    tcase_add_test(tc, test_input_flood_does_not_starve_another);
    tcase_add_test(tc, test_vanished_client_logged_and_service_continues);
    tcase_add_test(tc, test_no_fd_leak_over_100_connections);
    tcase_add_test(tc, test_max_connections_enforced_politely);
    tcase_add_test(tc, test_bind_all_listens_on_ipv4_and_ipv6);
    suite_add_tcase(s, tc);

    tc = tcase_create("telnet");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_telnet_iac_stripped_and_unknown_option_refused);
    tcase_add_test(tc, test_telnet_line_endings);
    tcase_add_test(tc, test_telnet_will_echo_for_password);
    tcase_add_test(tc, test_telnet_naws_and_ttype_recorded);
    tcase_add_test(tc, test_telnet_overlong_line_cut_with_notice);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sigterm_with_open_connections_exits_0);
    tcase_add_test(tc, test_sigint_exits_0);
    tcase_add_test(tc, test_shipped_driver_without_master_exits_1_naming_it);
    tcase_add_test(tc, test_bad_options_exit_2_with_message);
    tcase_add_test(tc, test_bad_config_exit_2_with_file_and_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* The binaries are found beside this one (testsuite/) and in src/. */
    e2e_set_bin_dir(argv[0]);
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(e2e_suite());
    srunner_run_all(sr, CK_ENV);   /* CK_VERBOSITY=verbose lists each test */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
