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

/* telnet bytes */
#define T_IAC   255
#define T_DONT  254
#define T_DO    253
#define T_WONT  252
#define T_WILL  251
#define T_SB    250
#define T_NOP   241
#define T_SE    240
#define T_ECHO  1
#define T_TTYPE 24
#define T_NAWS  31

static char bin_dir[PATH_MAX];   /* folder of this test binary */

/* ================================================================ driver */

typedef struct driver {
    pid_t pid;
    int port;
    char dir[256];             /* temp folder: conf, mudlib/, log/ */
    char conf[PATH_MAX];
    int err_fd;                /* read end of the driver's stderr */
    port_thread_t reader;
    bool reader_started;
    port_mutex_t mu;           /* guards log, log_len, log_eof */
    port_cond_t cv;
    char *log;
    size_t log_len;
    bool log_eof;
} driver_t;

/* Appends everything the driver writes to stderr to d->log. */
static void *stderr_reader(void *arg)
{
    driver_t *d = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(d->err_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        port_mutex_lock(&d->mu);
        if (n <= 0) {
            d->log_eof = true;
        } else {
            char *grown = realloc(d->log, d->log_len + (size_t)n + 1);
            if (grown != NULL) {
                d->log = grown;
                memcpy(d->log + d->log_len, buf, (size_t)n);
                d->log_len += (size_t)n;
                d->log[d->log_len] = '\0';
            }
        }
        port_cond_broadcast(&d->cv);
        port_mutex_unlock(&d->mu);
        if (n <= 0)
            return NULL;
    }
}

/* Waits until the driver's stderr contains `needle` (true) or ends
 * without it / the hang bound passes (false). */
static bool wait_log(driver_t *d, const char *needle)
{
    int64_t deadline = port_deadline_after_ms(E2E_TIMEOUT_MS);
    bool found;
    port_mutex_lock(&d->mu);
    for (;;) {
        found = d->log != NULL && strstr(d->log, needle) != NULL;
        if (found || d->log_eof)
            break;
        if (!port_cond_wait_until(&d->cv, &d->mu, deadline))
            break;
    }
    found = d->log != NULL && strstr(d->log, needle) != NULL;
    port_mutex_unlock(&d->mu);
    return found;
}

static bool log_contains(driver_t *d, const char *needle)
{
    port_mutex_lock(&d->mu);
    bool found = d->log != NULL && strstr(d->log, needle) != NULL;
    port_mutex_unlock(&d->mu);
    return found;
}

/* A copy of the log so far (caller frees). */
static char *log_copy(driver_t *d)
{
    port_mutex_lock(&d->mu);
    char *s = strdup(d->log != NULL ? d->log : "");
    port_mutex_unlock(&d->mu);
    return s;
}

/* A port nobody listens on right now (bind to 0, read, close). */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Makes the temp folder with mudlib/ and neolith.conf: a free loopback
 * port plus `extra` config lines. */
static void driver_prepare(driver_t *d, const char *extra)
{
    memset(d, 0, sizeof(*d));
    d->pid = -1;
    d->err_fd = -1;
    snprintf(d->dir, sizeof(d->dir), "/tmp/neolith-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    char mudlib[PATH_MAX];
    snprintf(mudlib, sizeof(mudlib), "%s/mudlib", d->dir);
    ck_assert_int_eq(mkdir(mudlib, 0755), 0);
    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", d->dir);
    d->port = free_port();
    char text[2048];
    snprintf(text, sizeof(text),
             "# written by check_driver_e2e\n"
             "mudlib directory: mudlib\n"
             "port: %d\n"
             "%s"
             "log directory: log\n"
             "%s",
             d->port,
             /* keys may not repeat: a test may choose its own address */
             extra != NULL && strstr(extra, "bind address") != NULL
                 ? "" : "bind address: 127.0.0.1\n",
             extra != NULL ? extra : "");
    write_file(d->conf, text);
}

static void driver_binary(char *out, size_t size, const char *which)
{
    if (strcmp(which, "echo") == 0)
        snprintf(out, size, "%s/neolith_echo", bin_dir);
    else
        snprintf(out, size, "%s/../src/neolith", bin_dir);
}

/* Starts `which` ("echo" or "neolith") with argv[1..] = args (NULL
 * terminated), stderr into a pipe drained by a thread.  stdout goes to
 * /dev/null unless out_fd is not NULL (then it is a pipe for the test). */
static void driver_spawn(driver_t *d, const char *which, const char *const *args,
                         int *out_fd)
{
    char bin[PATH_MAX + 32];
    driver_binary(bin, sizeof(bin), which);
    int errp[2], outp[2] = { -1, -1 };
    ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
    if (out_fd != NULL)
        ck_assert_int_eq(pipe2(outp, O_CLOEXEC), 0);

    const char *argv[16];
    int argc = 0;
    const char *wrapper = getenv("NEOLITH_E2E_WRAPPER");
    char shell_cmd[PATH_MAX + 512];
    if (wrapper != NULL && *wrapper != '\0') {
        /* sh -c 'exec WRAPPER "$0" "$@"' BIN ARGS...: the wrapper
         * replaces the shell, so pid is the driver's (valgrind runs it in
         * its own process). */
        snprintf(shell_cmd, sizeof(shell_cmd), "exec %s \"$0\" \"$@\"", wrapper);
        argv[argc++] = "/bin/sh";
        argv[argc++] = "-c";
        argv[argc++] = shell_cmd;
    }
    argv[argc++] = bin;
    for (int i = 0; args != NULL && args[i] != NULL && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* A failed test exits without teardown: take the driver with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(errp[1], 2);
        if (out_fd != NULL) {
            dup2(outp[1], 1);
        } else {
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0)
                dup2(devnull, 1);
        }
        /* Nothing of ours (client sockets, Check's files) leaks into the
         * driver: its fd count is then its own. */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(errp[1]);
    if (out_fd != NULL) {
        close(outp[1]);
        *out_fd = outp[0];
    }
    d->pid = pid;
    d->err_fd = errp[0];
    ck_assert_int_eq(port_mutex_init(&d->mu), 0);
    ck_assert_int_eq(port_cond_init(&d->cv), 0);
    ck_assert_int_eq(port_thread_create(&d->reader, stderr_reader, d, 0), 0);
    d->reader_started = true;
}

/* Starts the driver on d's config and waits for "listening on port N". */
static void driver_start(driver_t *d, const char *which)
{
    const char *args[] = { "-f", d->conf, NULL };
    driver_spawn(d, which, args, NULL);
    char needle[64];
    snprintf(needle, sizeof(needle), "listening on port %d", d->port);
    if (!wait_log(d, needle)) {
        char *log = log_copy(d);
        ck_abort_msg("driver did not report '%s'; its stderr:\n%s", needle, log);
    }
}

/* Waits for the process; returns its wait status. */
static int driver_wait(driver_t *d)
{
    int status = 0;
    pid_t r;
    do {
        r = waitpid(d->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    ck_assert_int_eq(r, d->pid);
    d->pid = -1;
    if (d->reader_started) {
        port_thread_join(&d->reader, NULL);
        d->reader_started = false;
    }
    return status;
}

static int exit_code(int status)
{
    ck_assert_msg(WIFEXITED(status), "driver did not exit normally (status 0x%x)", status);
    return WEXITSTATUS(status);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* Kills the driver if it still runs, frees everything, removes the temp
 * folder. */
static void driver_cleanup(driver_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        driver_wait(d);
    }
    if (d->reader_started) {
        port_thread_join(&d->reader, NULL);
        d->reader_started = false;
    }
    if (d->err_fd >= 0)
        close(d->err_fd);
    d->err_fd = -1;
    free(d->log);
    d->log = NULL;
    if (d->dir[0] != '\0')
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* SIGTERM; the driver must exit 0 (under a sanitizer or valgrind
 * wrapper a leak or an error makes that fail, and the message shows the
 * driver's stderr). */
static int driver_stop(driver_t *d)
{
    ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
    int code = exit_code(driver_wait(d));
    if (code != 0) {
        char *log = log_copy(d);
        size_t len = strlen(log);
        ck_abort_msg("driver exited %d after SIGTERM; end of its stderr:\n%s", code,
                     len > 4000 ? log + len - 4000 : log);
    }
    return code;
}

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

/* ================================================================ client */

typedef struct negotiation {
    unsigned char cmd;      /* WILL/WONT/DO/DONT, SB, or another command */
    unsigned char opt;
    unsigned char sb[64];   /* SB payload (after the option byte) */
    size_t sb_len;
    size_t at;              /* data bytes received before it */
} negotiation_t;

typedef struct client {
    int fd;
    unsigned char *data;    /* data bytes received and not yet consumed */
    size_t len, cap;
    size_t total;           /* data bytes received in all */
    int state;              /* telnet reader state */
    unsigned char cmd;
    negotiation_t neg[64];
    int nneg;
    bool eof;
    int error;              /* errno of a failed recv (ECONNRESET) */
} client_t;

enum { TS_DATA, TS_IAC, TS_OPT, TS_SB_OPT, TS_SB, TS_SB_IAC };

static void data_push(client_t *c, unsigned char b)
{
    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        c->data = realloc(c->data, c->cap);
        ck_assert_ptr_nonnull(c->data);
    }
    c->data[c->len++] = b;
    c->total++;
}

static negotiation_t *neg_new(client_t *c, unsigned char cmd)
{
    ck_assert_int_lt(c->nneg, 64);
    negotiation_t *n = &c->neg[c->nneg++];
    memset(n, 0, sizeof(*n));
    n->cmd = cmd;
    n->at = c->total;
    return n;
}

/* The client's telnet reader: data bytes to c->data, commands to c->neg. */
static void feed(client_t *c, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        switch (c->state) {
        case TS_DATA:
            if (b == T_IAC)
                c->state = TS_IAC;
            else
                data_push(c, b);
            break;
        case TS_IAC:
            if (b == T_IAC) {
                data_push(c, b);
                c->state = TS_DATA;
            } else if (b == T_WILL || b == T_WONT || b == T_DO || b == T_DONT) {
                c->cmd = b;
                c->state = TS_OPT;
            } else if (b == T_SB) {
                c->state = TS_SB_OPT;
            } else {
                neg_new(c, b);
                c->state = TS_DATA;
            }
            break;
        case TS_OPT:
            neg_new(c, c->cmd)->opt = b;
            c->state = TS_DATA;
            break;
        case TS_SB_OPT:
            neg_new(c, T_SB)->opt = b;
            c->state = TS_SB;
            break;
        case TS_SB:
            if (b == T_IAC) {
                c->state = TS_SB_IAC;
            } else {
                negotiation_t *ng = &c->neg[c->nneg - 1];
                if (ng->sb_len < sizeof(ng->sb))
                    ng->sb[ng->sb_len++] = b;
            }
            break;
        case TS_SB_IAC:
            if (b == T_SE) {
                c->state = TS_DATA;
            } else {
                negotiation_t *ng = &c->neg[c->nneg - 1];
                if (ng->sb_len < sizeof(ng->sb))
                    ng->sb[ng->sb_len++] = b;
                c->state = TS_SB;
            }
            break;
        }
    }
}

/* rcvbuf > 0: the receive buffer, set before connect so the advertised
 * window is small from the start. */
static int connect_with(int family, int port, int rcvbuf)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    if (rcvbuf > 0)
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    int rc;
    if (family == AF_INET6) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof(a));
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        a.sin6_addr = in6addr_loopback;
        rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    }
    ck_assert_msg(rc == 0, "connect to port %d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int connect_to(int family, int port)
{
    return connect_with(family, port, 0);
}

static client_t *client_new_fd(int fd)
{
    client_t *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->fd = fd;
    return c;
}

static client_t *client_connect(driver_t *d)
{
    return client_new_fd(connect_to(AF_INET, d->port));
}

static void client_free(client_t *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->data);
    free(c);
}

/* Reads once (waiting up to E2E_TIMEOUT_MS).  Returns bytes read, 0 at
 * EOF or reset (c->eof / c->error set), -1 when nothing came in time. */
static ssize_t client_read_some(client_t *c, int timeout_ms)
{
    struct pollfd p = { c->fd, POLLIN, 0 };
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return -1;
    unsigned char buf[65536];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n > 0) {
        feed(c, buf, (size_t)n);
        return n;
    }
    if (n == 0)
        c->eof = true;
    else
        c->error = errno;
    return 0;
}

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n > 0, "send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void client_send(client_t *c, const char *text)
{
    send_all(c->fd, text, strlen(text));
}

static char *printable(const unsigned char *p, size_t n)
{
    char *s = malloc(n * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 32 && p[i] < 127 && p[i] != '\\')
            s[o++] = (char)p[i];
        else
            o += (size_t)sprintf(s + o, "\\x%02x", p[i]);
    }
    s[o] = '\0';
    return s;
}

/* Waits until at least n data bytes are buffered; false at EOF. */
static bool client_fill(client_t *c, size_t n)
{
    while (c->len < n) {
        if (c->eof || c->error)
            return false;
        ssize_t r = client_read_some(c, E2E_TIMEOUT_MS);
        ck_assert_msg(r >= 0, "no data from the driver within %d ms", E2E_TIMEOUT_MS);
    }
    return true;
}

static void client_consume(client_t *c, size_t n)
{
    memmove(c->data, c->data + n, c->len - n);
    c->len -= n;
}

/* The next data bytes must be exactly `expected`. */
static void client_expect(client_t *c, const char *expected)
{
    size_t n = strlen(expected);
    bool filled = client_fill(c, n);
    if (!filled || memcmp(c->data, expected, n) != 0) {
        char *got = printable(c->data, c->len < n ? c->len : n);
        char *want = printable((const unsigned char *)expected, n);
        ck_abort_msg("expected \"%s\", got \"%s\"%s", want, got,
                     filled ? "" : " then EOF");
    }
    client_consume(c, n);
}

/* Reads until EOF or reset; true if it came (the bytes are kept). */
static bool client_read_to_eof(client_t *c)
{
    while (!c->eof && !c->error)
        if (client_read_some(c, E2E_TIMEOUT_MS) < 0)
            return false;
    return true;
}

/* Reads until a command (cmd, opt) has arrived; returns it. */
static negotiation_t *client_wait_negotiation(client_t *c, unsigned char cmd,
                                              unsigned char opt)
{
    for (int scanned = 0;;) {
        for (; scanned < c->nneg; scanned++)
            if (c->neg[scanned].cmd == cmd && c->neg[scanned].opt == opt)
                return &c->neg[scanned];
        ck_assert_msg(!c->eof && !c->error, "EOF before IAC %d %d", cmd, opt);
        ck_assert_msg(client_read_some(c, E2E_TIMEOUT_MS) >= 0,
                      "no IAC %d %d within %d ms", cmd, opt, E2E_TIMEOUT_MS);
    }
}

static negotiation_t *client_find_negotiation(client_t *c, unsigned char cmd,
                                              unsigned char opt)
{
    for (int i = 0; i < c->nneg; i++)
        if (c->neg[i].cmd == cmd && c->neg[i].opt == opt)
            return &c->neg[i];
    return NULL;
}

static const char WELCOME[] = "Welcome to the echo test.\r\n> ";

static client_t *client_connect_welcomed(driver_t *d)
{
    client_t *c = client_connect(d);
    client_expect(c, WELCOME);
    return c;
}

/* One round trip: "line" -> "echo: line\r\n> ". */
static void round_trip(client_t *c, const char *line)
{
    char out[512], want[600];
    snprintf(out, sizeof(out), "%s\r\n", line);
    snprintf(want, sizeof(want), "echo: %s\r\n> ", line);
    client_send(c, out);
    client_expect(c, want);
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
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");

    client_t *c = client_connect_welcomed(&d);
    round_trip(c, "hello world");
    round_trip(c, "");
    /* The driver asks for NAWS and TTYPE at once. */
    ck_assert_ptr_nonnull(client_find_negotiation(c, T_DO, T_NAWS));
    ck_assert_ptr_nonnull(client_find_negotiation(c, T_DO, T_TTYPE));
    client_send(c, "quit\r\n");
    client_expect(c, "bye\r\n");
    ck_assert(client_read_to_eof(c));
    ck_assert_uint_eq(c->len, 0);
    client_free(c);

    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ============================================================ many clients */

/* 200 clients connected at once each send 5 lines (all clients' line k
 * is sent before any reply is read) and each gets exactly its own
 * echoes, in order. */
START_TEST(test_many_clients_get_exact_echoes)
{
    enum { N = 200, LINES = 5 };
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");

    static client_t *cl[N];
    for (int i = 0; i < N; i++)
        cl[i] = client_connect(&d);
    for (int i = 0; i < N; i++)
        client_expect(cl[i], WELCOME);
    for (int k = 0; k < LINES; k++) {
        char line[64], want[96];
        for (int i = 0; i < N; i++) {
            snprintf(line, sizeof(line), "client %d line %d\r\n", i, k);
            client_send(cl[i], line);
        }
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof(want), "echo: client %d line %d\r\n> ", i, k);
            client_expect(cl[i], want);
        }
    }
    for (int i = 0; i < N; i++)
        client_free(cl[i]);

    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ============================================================= slow reader */

/* A client that asks for lots of output and never reads is disconnected
 * once its buffered output passes "max output buffered" (logged), while
 * another client keeps getting every reply. */
START_TEST(test_slow_reader_disconnected_at_cap_other_served)
{
    driver_t d;
    driver_prepare(&d, "max output buffered: 64K\n");
    driver_start(&d, "echo");

    /* A small receive window so the kernel does not hide the backlog. */
    client_t *slow = client_new_fd(connect_with(AF_INET, d.port, 4096));
    client_expect(slow, WELCOME);
    client_t *fast = client_connect_welcomed(&d);
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
        cut = log_contains(&d, cut_line);
    }
    cut = wait_log(&d, cut_line);
    ck_assert_msg(cut, "no '%s' in the log after %d floods", cut_line, requests);
    fprintf(stderr, "# slow reader cut after %d flood requests, %d round trips of the other\n",
            requests, trips);
    /* Everything the slow client can still read ends in EOF or a reset,
     * well short of what it asked for. */
    ck_assert(client_read_to_eof(slow));
    ck_assert_uint_lt(slow->total, (size_t)requests * 40000);
    /* And the fast client is served as before. */
    round_trip(fast, "still here");
    ck_assert_int_ge(trips, 1);

    client_free(slow);
    client_free(fast);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ============================================================ input flood */

enum { FLOOD_LINES = 100000 };

typedef struct flooder {
    client_t *c;
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
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");

    static flooder_t f;
    f.c = client_connect_welcomed(&d);
    client_t *other = client_connect_welcomed(&d);
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

    client_free(f.c);
    client_free(other);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ======================================================= vanishing client */

/* A client that resets its connection (SO_LINGER 0) with a reply still
 * coming is logged and dropped; the driver keeps serving others. */
START_TEST(test_vanished_client_logged_and_service_continues)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");

    client_t *keep = client_connect_welcomed(&d);
    client_t *gone = client_connect_welcomed(&d);
    char port_text[64];
    snprintf(port_text, sizeof(port_text), "disconnect 127.0.0.1:%d", local_port(gone->fd));
    client_send(gone, "flood 2000\r\n");     /* output under way */
    struct linger lg = { 1, 0 };
    ck_assert_int_eq(setsockopt(gone->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    client_free(gone);                        /* RST */

    ck_assert_msg(wait_log(&d, port_text), "the reset connection was not logged");
    round_trip(keep, "after the reset");
    client_t *fresh = client_connect_welcomed(&d);
    round_trip(fresh, "new client");
    ck_assert_int_eq(waitpid(d.pid, NULL, WNOHANG), 0);   /* still running */

    client_free(keep);
    client_free(fresh);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ================================================================= telnet */

/* IAC sequences never reach the application: NOP, an IAC IAC data byte,
 * an offer of an unknown option (refused with DONT) and a subnegotiation
 * are all taken out of the line. */
START_TEST(test_telnet_iac_stripped_and_unknown_option_refused)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);

    static const unsigned char line[] = {
        'a', 'b', T_IAC, T_NOP, 'c', 'd',
        T_IAC, T_WILL, 99,
        'e', T_IAC, T_SB, 99, 'x', 'y', T_IAC, T_SE, 'f',
        '\r', '\n'
    };
    send_all(c->fd, line, sizeof(line));
    client_expect(c, "echo: abcdef\r\n> ");
    ck_assert_ptr_nonnull(client_find_negotiation(c, T_DONT, 99));

    /* IAC IAC is the data byte 0xFF: echoed back escaped as IAC IAC
     * (the reader turns it into one 0xFF again). */
    static const unsigned char ff[] = { 'x', T_IAC, T_IAC, 'y', '\r', '\n' };
    send_all(c->fd, ff, sizeof(ff));
    client_expect(c, "echo: x\xffy\r\n> ");

    client_free(c);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* CR LF, CR NUL and bare LF all end a line, also split across sends. */
START_TEST(test_telnet_line_endings)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);

    send_all(c->fd, "one\r\0two\nthr", 12);
    client_expect(c, "echo: one\r\n> ");
    client_expect(c, "echo: two\r\n> ");
    client_send(c, "ee\r");
    client_expect(c, "echo: three\r\n> ");
    client_send(c, "\nfour\r\n");     /* the LF completes CR LF: no empty line */
    client_expect(c, "echo: four\r\n> ");

    client_free(c);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* Password input: the driver says WILL ECHO before the prompt and does not
 * echo; after the password it says WONT ECHO. */
START_TEST(test_telnet_will_echo_for_password)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);

    client_send(c, "password\r\n");
    client_expect(c, "pw> ");
    negotiation_t *will = client_find_negotiation(c, T_WILL, T_ECHO);
    ck_assert_ptr_nonnull(will);
    size_t prompt_at = c->total - 4;
    ck_assert_uint_le(will->at, prompt_at);
    /* Agree, as a real client would. */
    static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
    send_all(c->fd, do_echo, sizeof(do_echo));

    client_send(c, "hunter2\r\n");
    client_expect(c, "secret accepted\r\n> ");
    client_wait_negotiation(c, T_WONT, T_ECHO);
    round_trip(c, "visible again");

    client_free(c);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* NAWS and TTYPE are recorded per connection (the "info" command shows
 * them), and so is the peer address. */
START_TEST(test_telnet_naws_and_ttype_recorded)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);

    client_send(c, "info\r\n");
    client_expect(c, "peer: 127.0.0.1\r\nsize: 0x0\r\nterm: \r\n> ");

    static const unsigned char naws[] = {
        T_IAC, T_WILL, T_NAWS,
        T_IAC, T_SB, T_NAWS, 0, 132, 0, 43, T_IAC, T_SE,
        T_IAC, T_WILL, T_TTYPE
    };
    send_all(c->fd, naws, sizeof(naws));
    /* The driver asks for the terminal type: IAC SB TTYPE SEND IAC SE. */
    negotiation_t *ask = client_wait_negotiation(c, T_SB, T_TTYPE);
    ck_assert_uint_eq(ask->sb_len, 1);
    ck_assert_uint_eq(ask->sb[0], 1);   /* SEND */
    static const unsigned char is[] = {
        T_IAC, T_SB, T_TTYPE, 0, 'X', 'T', 'E', 'R', 'M', T_IAC, T_SE
    };
    send_all(c->fd, is, sizeof(is));

    client_send(c, "info\r\n");
    client_expect(c, "peer: 127.0.0.1\r\nsize: 132x43\r\nterm: XTERM\r\n> ");

    client_free(c);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* A line over "max input line length" is cut at the maximum, the user is
 * told, the rest of that line is discarded (not taken as a new line). */
START_TEST(test_telnet_overlong_line_cut_with_notice)
{
    driver_t d;
    driver_prepare(&d, "max input line length: 64\n");
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);

    char line[1100];
    memset(line, 'a', 1000);
    memcpy(line + 1000, "\r\n", 3);
    client_send(c, line);
    client_send(c, "next\r\n");

    char want[128];
    memcpy(want, "echo: ", 6);
    memset(want + 6, 'a', 64);
    memcpy(want + 70, "\r\n> ", 5);
    /* Before the echo of the cut line: a notice, whatever its words. */
    ck_assert(client_fill(c, 1));
    ck_assert_msg(c->data[0] != 'e', "no notice before the cut line's echo");
    /* Skip the notice (it ends with a newline) ... */
    for (;;) {
        ck_assert(client_fill(c, 1));
        unsigned char *nl = memchr(c->data, '\n', c->len);
        if (nl != NULL) {
            char *notice = printable(c->data, (size_t)(nl - c->data));
            ck_assert_msg(strstr(notice, "64") != NULL || strstr(notice, "long") != NULL,
                          "notice does not say what happened: %s", notice);
            free(notice);
            client_consume(c, (size_t)(nl - c->data) + 1);
            break;
        }
        ck_assert(client_read_some(c, E2E_TIMEOUT_MS) > 0);
    }
    /* ... then exactly 64 bytes of the line, then the next line. */
    client_expect(c, want);
    client_expect(c, "echo: next\r\n> ");

    client_free(c);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ============================================================== shutdown */

/* SIGTERM with connections open (one with output pending, one mid-line):
 * exit status 0, every client sees EOF, the log says why. */
START_TEST(test_sigterm_with_open_connections_exits_0)
{
    enum { N = 5 };
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *cl[N];
    for (int i = 0; i < N; i++)
        cl[i] = client_connect_welcomed(&d);
    client_send(cl[0], "flood 100\r\n");
    client_send(cl[1], "half a li");
    round_trip(cl[2], "before the signal");

    ck_assert_int_eq(driver_stop(&d), 0);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(client_read_to_eof(cl[i]), "client %d saw no EOF", i);
        client_free(cl[i]);
    }
    ck_assert(log_contains(&d, "SIGTERM"));
    driver_cleanup(&d);
}
END_TEST

/* SIGINT too. */
START_TEST(test_sigint_exits_0)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *c = client_connect_welcomed(&d);
    ck_assert_int_eq(kill(d.pid, SIGINT), 0);
    ck_assert(client_read_to_eof(c));
    client_free(c);
    ck_assert_int_eq(exit_code(driver_wait(&d)), 0);
    ck_assert(log_contains(&d, "SIGINT"));
    driver_cleanup(&d);
}
END_TEST

/* ================================================================ fd leak */

/* 100 connect/disconnect cycles (half closed by the client, some reset,
 * half ended by "quit") leave the driver with as many fds as before. */
START_TEST(test_no_fd_leak_over_100_connections)
{
    driver_t d;
    driver_prepare(&d, NULL);
    driver_start(&d, "echo");
    client_t *probe = client_connect_welcomed(&d);
    round_trip(probe, "baseline");
    int before = count_proc_fds(d.pid);

    for (int i = 0; i < 100; i++) {
        client_t *c = client_connect_welcomed(&d);
        if (i % 2 == 0) {
            client_send(c, "quit\r\n");
            client_expect(c, "bye\r\n");
            ck_assert(client_read_to_eof(c));
        } else if (i % 5 == 0) {
            struct linger lg = { 1, 0 };
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        client_free(c);
    }
    /* Every close above happened before this line was sent; the turn that
     * answers it has handled every pending hang-up (level-triggered
     * readiness is reported in each wait until handled). */
    round_trip(probe, "after the cycles");
    round_trip(probe, "and once more");
    int after = count_proc_fds(d.pid);
    ck_assert_int_eq(after, before);

    client_free(probe);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ====================================================== max connections */

/* One more client than "max connections" is told politely and closed;
 * the others are unaffected. */
START_TEST(test_max_connections_enforced_politely)
{
    driver_t d;
    driver_prepare(&d, "max connections: 3\n");
    driver_start(&d, "echo");
    client_t *cl[3];
    for (int i = 0; i < 3; i++)
        cl[i] = client_connect_welcomed(&d);
    client_t *extra = client_connect(&d);
    ck_assert(client_read_to_eof(extra));
    ck_assert_uint_gt(extra->total, 0);            /* it was told something */
    ck_assert_ptr_null(memmem(extra->data, extra->len, "Welcome", 7));
    client_free(extra);
    round_trip(cl[0], "still fine");
    /* A place freed is a place taken. */
    client_send(cl[1], "quit\r\n");
    client_expect(cl[1], "bye\r\n");
    ck_assert(client_read_to_eof(cl[1]));
    client_t *again = client_connect_welcomed(&d);
    round_trip(again, "got in");
    client_free(again);
    for (int i = 0; i < 3; i++)
        client_free(cl[i]);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
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
    driver_t d;
    driver_prepare(&d, "bind address: *\n");   /* the later line wins */
    driver_start(&d, "echo");
    client_t *v4 = client_connect_welcomed(&d);
    round_trip(v4, "over IPv4");
    if (ipv6_loopback_available()) {
        client_t *v6 = client_new_fd(connect_to(AF_INET6, d.port));
        client_expect(v6, WELCOME);
        round_trip(v6, "over IPv6");
        client_send(v6, "info\r\n");
        client_expect(v6, "peer: ::1\r\n");
        client_free(v6);
    }
    client_free(v4);
    ck_assert_int_eq(driver_stop(&d), 0);
    driver_cleanup(&d);
}
END_TEST

/* ======================================================= shipped binary */

/* The shipped driver is the LPC application: on a mudlib without a
 * master object it refuses to start (exit 1) and says why.  Playing on a
 * real mudlib is check_runtime_e2e's business. */
START_TEST(test_shipped_driver_without_master_exits_1_naming_it)
{
    driver_t d;
    driver_prepare(&d, NULL);
    const char *args[] = { "-f", d.conf, NULL };
    driver_spawn(&d, "neolith", args, NULL);
    ck_assert_int_eq(exit_code(driver_wait(&d)), 1);
    ck_assert_msg(log_contains(&d, "master object /secure/master.c did not load"),
                  "stderr: %s", d.log != NULL ? d.log : "");
    driver_cleanup(&d);
}
END_TEST

/* Runs src/neolith with args to its end; returns the exit code and the
 * stderr text (caller frees) in *err, stdout in *out. */
static int run_neolith(const char *const *args, char **err, char **out)
{
    driver_t d;
    memset(&d, 0, sizeof(d));
    int out_fd = -1;
    driver_spawn(&d, "neolith", args, &out_fd);
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
    int code = exit_code(driver_wait(&d));
    *err = log_copy(&d);
    *out = o;
    d.dir[0] = '\0';
    driver_cleanup(&d);
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
    driver_t d;
    driver_prepare(&d, "max connections: 10\nprot: 4000\n");
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
    driver_cleanup(&d);
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

    SRunner *sr = srunner_create(e2e_suite());
    srunner_run_all(sr, CK_ENV);   /* CK_VERBOSITY=verbose lists each test */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
