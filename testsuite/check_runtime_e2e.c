/*
 * check_runtime_e2e.c - end-to-end tests of the LPC runtime (src/lpc_app.h):
 * the real src/neolith started on the test mudlib testsuite/mudlib_rt/
 * (copied into a temporary folder) and played through raw telnet
 * sockets: login with a no-echo password, add_action commands, "What?",
 * notify_fail, say between two players, moving between rooms with
 * init(), call_out, heart_beat, runtime errors and the eval limit, and
 * SIGTERM running the master's driver_shutdown() apply.
 *
 * The driver and client helpers are those of check_driver_e2e.c (same
 * telnet reader, same "wait for the log line" start).  Synchronisation
 * is on data, never on time: each reply is awaited by reading until it
 * arrives; E2E_TIMEOUT_MS only turns a hang into a failure.
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
             "# written by check_runtime_e2e\n"
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

static void client_consume(client_t *c, size_t n)
{
    memmove(c->data, c->data + n, c->len - n);
    c->len -= n;
}

/* Waits until the data received contains `needle`, then consumes
 * everything up to and including it.  Fails (showing what came) when the
 * connection ends or nothing arrives within the hang bound. */
static void client_wait_for(client_t *c, const char *needle)
{
    size_t n = strlen(needle);
    for (;;) {
        if (c->len >= n) {
            unsigned char *hit = memmem(c->data, c->len, needle, n);
            if (hit != NULL) {
                client_consume(c, (size_t)(hit - c->data) + n);
                return;
            }
        }
        ssize_t r = c->eof || c->error ? 0 : client_read_some(c, E2E_TIMEOUT_MS);
        if (r <= 0) {
            char *got = printable(c->data, c->len);
            ck_abort_msg("waiting for \"%s\": %s; got \"%s\"", needle,
                         r < 0 ? "timed out" : "connection ended", got);
        }
    }
}

/* Reads until EOF (true) or the hang bound (false). */
static bool client_read_to_eof(client_t *c)
{
    while (!c->eof && !c->error)
        if (client_read_some(c, E2E_TIMEOUT_MS) < 0)
            return false;
    return true;
}

static bool saw_negotiation(const client_t *c, unsigned char cmd, unsigned char opt)
{
    for (int i = 0; i < c->nneg; i++)
        if (c->neg[i].cmd == cmd && c->neg[i].opt == opt)
            return true;
    return false;
}

/* ---- the test mudlib ------------------------------------------------- */

static char mudlib_src[PATH_MAX];   /* testsuite/mudlib_rt in the source tree */
static char mudlib_dst[PATH_MAX];   /* the copy being made */

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    char to[PATH_MAX * 2];
    snprintf(to, sizeof(to), "%s%s", mudlib_dst, path + strlen(mudlib_src));
    if (flag == FTW_D) {
        if (strcmp(path, mudlib_src) != 0)
            ck_assert_int_eq(mkdir(to, 0755), 0);
        return 0;
    }
    if (flag != FTW_F || !S_ISREG(st->st_mode))
        return 0;
    FILE *in = fopen(path, "rb");
    FILE *out = fopen(to, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
    return 0;
}

/* A temp folder with a copy of the test mudlib and a config (heart beat
 * every 100 ms, plus `extra` lines), and the driver started on it. */
static void rt_start_with(driver_t *d, const char *extra)
{
    char conf[512];
    snprintf(conf, sizeof(conf), "heartbeat interval: 100\n%s", extra);
    driver_prepare(d, conf);
    snprintf(mudlib_dst, sizeof(mudlib_dst), "%s/mudlib", d->dir);
    ck_assert_int_eq(nftw(mudlib_src, copy_entry, 16, FTW_PHYS), 0);
    driver_start(d, "neolith");
}

static void rt_start(driver_t *d)
{
    rt_start_with(d, "");
}

/* Connects and logs in as `name` with the right password; the welcome
 * line has been read. */
static client_t *login(driver_t *d, const char *name)
{
    client_t *c = client_connect(d);
    client_wait_for(c, "Name: ");
    char line[128];
    snprintf(line, sizeof(line), "%s\r\n", name);
    client_send(c, line);
    client_wait_for(c, "Password: ");
    client_send(c, "secret\r\n");
    client_wait_for(c, "Welcome, ");
    client_wait_for(c, ".\r\n");
    return c;
}

/* Sends a command and waits for `reply`. */
static void command(client_t *c, const char *cmd, const char *reply)
{
    char line[512];
    snprintf(line, sizeof(line), "%s\r\n", cmd);
    client_send(c, line);
    client_wait_for(c, reply);
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_login_password_is_asked_without_echo)
{
    driver_t d;
    rt_start(&d);
    client_t *c = client_connect(&d);
    client_wait_for(c, "Name: ");
    client_send(c, "alice\r\n");
    client_wait_for(c, "Password: ");
    /* input_to(fn, 1): the driver says WILL ECHO (the client stops
     * echoing) before the password, WONT ECHO once it has the line. */
    while (!saw_negotiation(c, T_WILL, T_ECHO))
        ck_assert_int_gt(client_read_some(c, E2E_TIMEOUT_MS), 0);
    ck_assert(!saw_negotiation(c, T_WONT, T_ECHO));
    /* Agree, as a real client would. */
    static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
    send_all(c->fd, do_echo, sizeof(do_echo));
    client_send(c, "secret\r\n");
    client_wait_for(c, "Welcome, Alice.\r\n");
    while (!saw_negotiation(c, T_WONT, T_ECHO))
        ck_assert_int_gt(client_read_some(c, E2E_TIMEOUT_MS), 0);
    client_free(c);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_wrong_password_is_refused_and_disconnected)
{
    driver_t d;
    rt_start(&d);
    client_t *c = client_connect(&d);
    client_wait_for(c, "Name: ");
    client_send(c, "alice\r\n");
    client_wait_for(c, "Password: ");
    client_send(c, "guess\r\n");
    client_wait_for(c, "Wrong password.\r\n");
    /* the login object destructed itself: its connection closes */
    ck_assert(client_read_to_eof(c));
    client_free(c);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_actions_what_and_notify_fail)
{
    driver_t d;
    rt_start(&d);
    client_t *c = login(&d, "alice");
    command(c, "say hello there", "You say: hello there\r\n> ");
    command(c, "'quick one", "You say: quick one\r\n> ");    /* flag 2 */
    command(c, "abbreviate x y", "Abbrev abbreviate x y\r\n> ");  /* flag 1 */
    command(c, "xyzzy", "What?\r\n> ");
    command(c, "say", "Say what?\r\n> ");                    /* notify_fail */
    command(c, "fail", "It fails: fail\r\n> ");              /* query_verb */
    command(c, "who", "Users: alice\r\n> ");
    client_free(c);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_say_reaches_the_other_player_not_the_speaker)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    client_wait_for(a, "Bob arrives.\r\n");
    command(a, "say hi bob", "You say: hi bob\r\n> ");
    client_wait_for(b, "Alice says: hi bob\r\n");
    command(b, "say hi alice", "You say: hi alice\r\n> ");
    client_wait_for(a, "Bob says: hi alice\r\n");
    command(a, "who", "Users: alice,bob\r\n> ");
    /* the speaker heard only "You say": nothing else is waiting */
    ck_assert_int_eq(a->len, 0);
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_moving_between_rooms_brings_their_actions)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    command(a, "look", "What?\r\n> ");           /* only the hall has look */
    command(a, "where", "At /room/start with 3\r\n> ");  /* 2 players, a coin */
    command(a, "get coin", "You take the coin.\r\n> ");  /* the coin's init() */
    command(a, "east", "You are in the hall.\r\n> ");
    client_wait_for(b, "alice leaves east.\r\n");
    command(a, "look", "A hall.\r\n> ");
    command(a, "east", "What?\r\n> ");           /* the start room's action left */
    command(a, "west", "You are back at the start.\r\n> ");
    command(a, "where", "At /room/start with 2\r\n> ");  /* the coin is carried */
    command(a, "look", "What?\r\n> ");
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_call_out_of_a_tenth_of_a_second_fires)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    command(a, "later soon", "Scheduled 1\r\n> ");   /* find_call_out rounds up */
    client_wait_for(a, "Later: soon\r\n");          /* this_player kept */
    command(a, "cancel", "Removed 5 -1\r\n> ");
    client_free(a);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_heart_beat_runs_until_turned_off)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    command(a, "beat", "> ");
    client_wait_for(a, "Beat 1\r\n");
    client_wait_for(a, "Beat 2\r\n");
    command(a, "say done", "You say: done\r\n> ");
    ck_assert(memmem(a->data, a->len, "Beat 3", 6) == NULL);
    client_free(a);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

/* "reset interval: 1": every loaded object gets reset() each second. */
START_TEST(test_reset_runs_on_the_configured_interval)
{
    driver_t d;
    rt_start_with(&d, "reset interval: 1\n");
    client_t *a = login(&d, "alice");
    client_wait_for(a, "The start room resets.\r\n");
    client_wait_for(a, "The start room resets.\r\n");
    client_free(a);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_runtime_error_goes_to_that_player_and_others_keep_playing)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    /* the master's error_handler() text, then the driver's default */
    command(a, "boom", "Oops: kaboom\r\n> ");
    command(a, "plainboom", "Something went wrong: plain kaboom\r\n> ");
    command(b, "say still here", "You say: still here\r\n> ");
    client_wait_for(a, "Bob says: still here\r\n");
    command(a, "say me too", "You say: me too\r\n> ");
    ck_assert(memmem(b->data, b->len, "kaboom", 6) == NULL);
    ck_assert(wait_log(&d, "LPC error: kaboom"));
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_infinite_loop_is_stopped_by_the_eval_limit)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    command(a, "loop", "Oops: Too long evaluation");
    client_wait_for(a, "> ");
    command(b, "say after", "You say: after\r\n> ");
    command(a, "say fine", "You say: fine\r\n> ");
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_quit_destructs_the_player_and_closes)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    command(a, "quit", "Bye.\r\n");
    ck_assert(client_read_to_eof(a));
    command(b, "who", "Users: bob\r\n> ");
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_sigterm_runs_the_master_shutdown_apply_and_exits_0)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    ck_assert_int_eq(driver_stop(&d), 0);
    /* driver_shutdown() wrote the file while alice was still connected */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/mudlib/data/shutdown.txt", d.dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing; log: %s", path, d.log != NULL ? d.log : "");
    char text[64] = "";
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    ck_assert_str_eq(text, "saved 1\n");
    client_free(a);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_lost_connection_calls_net_dead)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    close(a->fd);
    a->fd = -1;
    client_wait_for(b, "Alice goes link-dead.\r\n");
    command(b, "who", "Users: bob\r\n> ");
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_user_and_inventory_efuns)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    /* the start room holds alice and the coin */
    command(a, "info", "ip=127.0.0.1 idle=0 ti=1 interactive=1 living=1 fp=1 fl=1 "
                       "deep=2 present=1 coin=1 users=1\r\n> ");
    command(a, "do say via command", "You say: via command\r\nDid 1\r\n> ");
    command(a, "do xyzzy", "What?\r\nDid 0\r\n> ");
    client_free(a);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_shout_tell_object_message_and_tell_room)
{
    driver_t d;
    rt_start(&d);
    client_t *a = login(&d, "alice");
    client_t *b = login(&d, "bob");
    client_wait_for(a, "Bob arrives.\r\n");
    command(a, "shout hi all", "You shout.\r\n> ");
    client_wait_for(b, "Alice shouts: hi all\r\n");
    command(a, "tell bob psst", "Told.\r\n> ");
    client_wait_for(b, "Alice tells you: psst\r\n");
    command(a, "tell bob !by message", "Told.\r\n> ");
    client_wait_for(b, "Alice messages: by message\r\n");
    command(a, "tell bob @to the room", "Told.\r\n> ");
    client_wait_for(b, "Room hears: to the room\r\n");
    command(a, "tell carol x", "No carol here.\r\n> ");
    /* alice heard none of it: only her own replies */
    ck_assert(memmem(a->data, a->len, "shouts", 6) == NULL);
    ck_assert(memmem(a->data, a->len, "Room hears", 10) == NULL);
    client_free(a);
    client_free(b);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

/* The driver reads LPC files only inside the mudlib: a symlink to a file
 * outside it and a ".." path are refused like missing files. */
START_TEST(test_source_reader_refuses_symlinks_and_dotdot_out_of_the_mudlib)
{
    driver_t d;
    rt_start(&d);
    char outside[PATH_MAX + 64], link[PATH_MAX + 64];
    snprintf(outside, sizeof(outside), "%s/outside.c", d.dir);
    write_file(outside, "int x;\n");
    snprintf(link, sizeof(link), "%s/mudlib/obj/evil.c", d.dir);
    ck_assert_int_eq(symlink(outside, link), 0);
    client_t *a = login(&d, "alice");
    command(a, "load /obj/echo", "Loaded.\r\n> ");
    command(a, "load /obj/evil", "Load failed.\r\n> ");
    command(a, "load /../outside", "Load failed.\r\n> ");
    command(a, "load /obj/../../outside", "Load failed.\r\n> ");
    client_free(a);
    driver_stop(&d);
    driver_cleanup(&d);
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
    char self[PATH_MAX];
    if (realpath(argv[0], self) == NULL)
        snprintf(self, sizeof(self), "%s", argv[0]);
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(self, sizeof(self), ".");
    snprintf(bin_dir, sizeof(bin_dir), "%s", self);
    /* The test mudlib is in the source tree ($srcdir under make check,
     * for VPATH builds), else beside this binary's folder. */
    const char *srcdir = getenv("srcdir");
    char guess[PATH_MAX + 64];
    if (srcdir != NULL && *srcdir != '\0')
        snprintf(guess, sizeof(guess), "%s/testsuite/mudlib_rt", srcdir);
    else
        snprintf(guess, sizeof(guess), "%s/mudlib_rt", bin_dir);
    if (realpath(guess, mudlib_src) == NULL) {
        fprintf(stderr, "check_runtime_e2e: no test mudlib at %s\n", guess);
        return EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(runtime_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
