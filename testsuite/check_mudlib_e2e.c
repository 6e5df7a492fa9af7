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
 * admin is "root".  The driver and client helpers are copies of those
 * in check_runtime_e2e.c (same telnet reader, same "listening on port N"
 * start).  Synchronisation is on data, never on time: each reply is
 * awaited by reading until it arrives; the per-expectation deadlines
 * only turn a hang into a failure.
 */
#include <config.h>
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

/* telnet bytes */
#define T_IAC   255
#define T_DONT  254
#define T_DO    253
#define T_WONT  252
#define T_WILL  251
#define T_SB    250
#define T_SE    240
#define T_ECHO  1

static char bin_dir[PATH_MAX];      /* folder of this test binary */
static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ in the source tree */

/* ================================================================ driver */

typedef struct driver {
    pid_t pid;
    int port;
    char dir[256];             /* temp folder: mudlib/, outside files */
    char mudlib[512];          /* dir/mudlib: the copy */
    char conf[PATH_MAX];       /* dir/mudlib/neolith.conf */
    int err_fd;                /* read end of the driver's stderr */
    port_thread_t reader;
    bool reader_started;
    bool sync_ready;           /* mu and cv initialised */
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
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file (caller frees), or NULL when it cannot be read. */
static char *read_whole_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t len = 0, cap = 4096;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    size_t n;
    while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            s = realloc(s, cap);
            ck_assert_ptr_nonnull(s);
        }
    }
    fclose(f);
    s[len] = '\0';
    return s;
}

/* ---- the mudlib copy ------------------------------------------------- */

static char copy_dst[PATH_MAX];     /* where copy_entry() copies to */

/* What of mudlib/ a test does not take: the developer's log/ and saved
 * players, eval scratch files, and the config (each test writes its own
 * neolith.conf). */
static bool copy_skips(const char *rel)
{
    if (strcmp(rel, "/log") == 0 || strncmp(rel, "/log/", 5) == 0)
        return true;
    if (strcmp(rel, "/neolith.conf") == 0)
        return true;
    size_t n = strlen(rel);
    if (strncmp(rel, "/data/players/", 14) == 0 && n > 2 && strcmp(rel + n - 2, ".o") == 0)
        return true;
    if (strncmp(rel, "/tmp_eval/", 10) == 0 && n > 2 && strcmp(rel + n - 2, ".c") == 0)
        return true;
    return false;
}

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    const char *rel = path + strlen(mudlib_src);
    if (copy_skips(rel))
        return 0;
    char to[PATH_MAX * 2];
    snprintf(to, sizeof(to), "%s%s", copy_dst, rel);
    if (flag == FTW_D) {
        if (*rel != '\0')
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

/* A temp folder holding a copy of the bundled mudlib with a config of a
 * free loopback port and "admins: root".  The driver is not started. */
static void mud_prepare(driver_t *d)
{
    memset(d, 0, sizeof(*d));
    d->pid = -1;
    d->err_fd = -1;
    snprintf(d->dir, sizeof(d->dir), "/tmp/neolith-mudlib-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    snprintf(d->mudlib, sizeof(d->mudlib), "%s/mudlib", d->dir);
    ck_assert_int_eq(mkdir(d->mudlib, 0755), 0);
    snprintf(copy_dst, sizeof(copy_dst), "%s", d->mudlib);
    ck_assert_int_eq(nftw(mudlib_src, copy_entry, 16, FTW_PHYS), 0);
    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", d->mudlib);
    d->port = free_port();
    char text[512];
    snprintf(text, sizeof(text),
             "# written by check_mudlib_e2e\n"
             "mudlib directory: .\n"
             "port: %d\n"
             "bind address: 127.0.0.1\n"
             "log directory: log\n"
             "admins: root\n",
             d->port);
    write_file(d->conf, text);
}

/* Writes `text` to the file `rel` of the mudlib copy. */
static void mud_write(driver_t *d, const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s%s", d->mudlib, rel);
    write_file(path, text);
}

/* The file `rel` of the mudlib copy (caller frees), or NULL. */
static char *mud_read(driver_t *d, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s%s", d->mudlib, rel);
    return read_whole_file(path);
}

/* Starts src/neolith -f <copy>/neolith.conf, stderr into a pipe drained
 * by a thread, and waits for "listening on port N".  May be called
 * again after driver_stop() to restart on the same copy. */
static void driver_start(driver_t *d)
{
    char bin[PATH_MAX + 32];
    snprintf(bin, sizeof(bin), "%s/../src/neolith", bin_dir);
    int errp[2];
    ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);

    const char *argv[8];
    int argc = 0;
    const char *wrapper = getenv("NEOLITH_E2E_WRAPPER");
    char shell_cmd[PATH_MAX + 512];
    if (wrapper != NULL && *wrapper != '\0') {
        /* sh -c 'exec WRAPPER "$0" "$@"' BIN ARGS...: the wrapper
         * replaces the shell, so pid is the driver's. */
        snprintf(shell_cmd, sizeof(shell_cmd), "exec %s \"$0\" \"$@\"", wrapper);
        argv[argc++] = "/bin/sh";
        argv[argc++] = "-c";
        argv[argc++] = shell_cmd;
    }
    argv[argc++] = bin;
    argv[argc++] = "-f";
    argv[argc++] = d->conf;
    argv[argc] = NULL;

    /* a restart: forget the previous run's log */
    if (d->err_fd >= 0)
        close(d->err_fd);
    free(d->log);
    d->log = NULL;
    d->log_len = 0;
    d->log_eof = false;

    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* A failed test exits without teardown: take the driver with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(errp[1], 2);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 1);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(errp[1]);
    d->pid = pid;
    d->err_fd = errp[0];
    if (!d->sync_ready) {
        ck_assert_int_eq(port_mutex_init(&d->mu), 0);
        ck_assert_int_eq(port_cond_init(&d->cv), 0);
        d->sync_ready = true;
    }
    ck_assert_int_eq(port_thread_create(&d->reader, stderr_reader, d, 0), 0);
    d->reader_started = true;

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

/* SIGTERM; the driver must exit 0 (under a sanitizer a leak or an error
 * makes that fail, and the message shows the driver's stderr). */
static void driver_stop(driver_t *d)
{
    ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
    int status = driver_wait(d);
    ck_assert_msg(WIFEXITED(status), "driver did not exit normally (status 0x%x)", status);
    if (WEXITSTATUS(status) != 0) {
        char *log = log_copy(d);
        size_t len = strlen(log);
        ck_abort_msg("driver exited %d after SIGTERM; end of its stderr:\n%s",
                     WEXITSTATUS(status), len > 4000 ? log + len - 4000 : log);
    }
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
    if (d->err_fd >= 0)
        close(d->err_fd);
    d->err_fd = -1;
    free(d->log);
    d->log = NULL;
    if (d->sync_ready) {
        port_cond_destroy(&d->cv);
        port_mutex_destroy(&d->mu);
        d->sync_ready = false;
    }
    if (d->dir[0] != '\0')
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ================================================================ client */

typedef struct client {
    int fd;
    const char *who;        /* for failure messages */
    unsigned char *data;    /* data bytes received and not yet consumed */
    size_t len, cap;
    char *seen;             /* every data byte ever received (NUL ended) */
    size_t seen_len, seen_cap;
    int state;              /* telnet reader state */
    unsigned char cmd;
    bool will_echo;         /* the driver's last word on ECHO: WILL (true) */
    int will_echo_count;    /* IAC WILL ECHO received */
    int wont_echo_count;    /* IAC WONT ECHO received */
    int passwords_typed;    /* at no-echo prompts, by type_password() */
    bool eof;
    int error;              /* errno of a failed recv (ECONNRESET) */
} client_t;

enum { TS_DATA, TS_IAC, TS_OPT, TS_SB, TS_SB_IAC };

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

static void data_push(client_t *c, unsigned char b)
{
    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        c->data = realloc(c->data, c->cap);
        ck_assert_ptr_nonnull(c->data);
    }
    c->data[c->len++] = b;
    if (c->seen_len + 1 >= c->seen_cap) {
        c->seen_cap = c->seen_cap ? c->seen_cap * 2 : 4096;
        c->seen = realloc(c->seen, c->seen_cap);
        ck_assert_ptr_nonnull(c->seen);
    }
    c->seen[c->seen_len++] = (char)b;
    c->seen[c->seen_len] = '\0';
}

/* The client's telnet reader: data bytes to c->data; of the commands
 * only WILL/WONT ECHO matter here, the rest are skipped.  Like a real
 * client it agrees to both at once (DO / DONT ECHO): the driver follows
 * RFC 1143 and sends the next WILL ECHO only once its WONT ECHO has been
 * acknowledged. */
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
                c->state = TS_SB;
            } else {
                c->state = TS_DATA;
            }
            break;
        case TS_OPT:
            if (b == T_ECHO && c->cmd == T_WILL) {
                static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
                c->will_echo = true;
                c->will_echo_count++;
                send_all(c->fd, do_echo, sizeof(do_echo));
            } else if (b == T_ECHO && c->cmd == T_WONT) {
                static const unsigned char dont_echo[] = { T_IAC, T_DONT, T_ECHO };
                c->will_echo = false;
                c->wont_echo_count++;
                send_all(c->fd, dont_echo, sizeof(dont_echo));
            }
            c->state = TS_DATA;
            break;
        case TS_SB:
            if (b == T_IAC)
                c->state = TS_SB_IAC;
            break;
        case TS_SB_IAC:
            c->state = b == T_SE ? TS_DATA : TS_SB;
            break;
        }
    }
}

static client_t *client_connect(driver_t *d, const char *who)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)d->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
                  "connect to port %d: %s", d->port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    client_t *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->fd = fd;
    c->who = who;
    return c;
}

static void client_free(client_t *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->data);
    free(c->seen);
    free(c);
}

/* Reads once, waiting until `deadline`.  Returns bytes read, 0 at EOF
 * or reset (c->eof / c->error set), -1 when nothing came in time. */
static ssize_t client_read_some(client_t *c, int64_t deadline)
{
    struct pollfd p = { c->fd, POLLIN, 0 };
    int r;
    do {
        int64_t ms = port_deadline_remaining_ms_ceil(deadline);
        r = poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms);
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

/* Sends `line` and the telnet end of line. */
static void client_send_line(client_t *c, const char *line)
{
    send_all(c->fd, line, strlen(line));
    send_all(c->fd, "\r\n", 2);
}

static char *printable(const unsigned char *p, size_t n)
{
    char *s = malloc(n * 4 + 1);
    ck_assert_ptr_nonnull(s);
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

/* Waits (at most timeout_ms in all) until the unconsumed data contains
 * `needle`; returns everything up to and including it as a string
 * (caller frees) and consumes it.  Fails, showing what came, when the
 * connection ends or the time is up. */
static char *client_read_until_ms(client_t *c, const char *needle, int timeout_ms)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    size_t n = strlen(needle);
    for (;;) {
        unsigned char *hit = c->len >= n ? memmem(c->data, c->len, needle, n) : NULL;
        if (hit != NULL) {
            size_t upto = (size_t)(hit - c->data) + n;
            char *text = malloc(upto + 1);
            ck_assert_ptr_nonnull(text);
            memcpy(text, c->data, upto);
            text[upto] = '\0';
            memmove(c->data, c->data + upto, c->len - upto);
            c->len -= upto;
            return text;
        }
        ssize_t r = c->eof || c->error ? 0 : client_read_some(c, deadline);
        if (r <= 0) {
            char *got = printable(c->data, c->len);
            ck_abort_msg("%s: waiting for \"%s\": %s; got \"%s\"", c->who, needle,
                         r < 0 ? "timed out" : "connection ended", got);
        }
    }
}

static char *client_read_until(client_t *c, const char *needle)
{
    return client_read_until_ms(c, needle, E2E_TIMEOUT_MS);
}

static void client_wait_for(client_t *c, const char *needle)
{
    free(client_read_until(c, needle));
}

/* Reads until the driver closes the connection; fails after the bound. */
static void client_wait_eof(client_t *c)
{
    int64_t deadline = port_deadline_after_ms(E2E_TIMEOUT_MS);
    while (!c->eof && !c->error)
        ck_assert_msg(client_read_some(c, deadline) >= 0,
                      "%s: the connection did not close", c->who);
}

/* Sends a command and waits for `reply`. */
static void command(client_t *c, const char *cmd, const char *reply)
{
    client_send_line(c, cmd);
    client_wait_for(c, reply);
}

/* Sends a command and returns its whole reply, up to the prompt. */
static char *command_reply(client_t *c, const char *cmd)
{
    client_send_line(c, cmd);
    return client_read_until(c, "> ");
}

static void assert_contains(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "\"%s\" not in \"%s\"", needle, text);
}

/* ---- playing the bundled mudlib --------------------------------------- */

#define NAME_PROMPT "Enter your character's name (a new name creates a character): "
#define SQUARE "The village square\r\n"
#define TAVERN "The Drowsy Dragon tavern\r\n"
#define GARDEN "A walled garden\r\n"

/* Types a password at a no-echo prompt the way a telnet client does:
 * only once the driver has said WILL ECHO for this prompt (one more
 * time than for the passwords typed before on this connection) and not
 * taken it back. */
static void type_password(client_t *c, const char *password)
{
    int64_t deadline = port_deadline_after_ms(E2E_TIMEOUT_MS);
    while (c->will_echo_count <= c->passwords_typed || !c->will_echo) {
        ssize_t r = c->eof || c->error ? 0 : client_read_some(c, deadline);
        if (r <= 0) {
            char *got = printable(c->data, c->len);
            ck_abort_msg("%s: no IAC WILL ECHO before password %d (%d WILL, %d WONT): %s; "
                         "got \"%s\"", c->who, c->passwords_typed + 1, c->will_echo_count,
                         c->wont_echo_count, r < 0 ? "timed out" : "connection ended", got);
        }
    }
    c->passwords_typed++;
    client_send_line(c, password);
}

/* Connects and creates the character `name` (lower case) with
 * `password`; returns once the player stands in the square at the
 * prompt. */
static client_t *create_character(driver_t *d, const char *name, const char *password)
{
    client_t *c = client_connect(d, name);
    client_wait_for(c, NAME_PROMPT);
    client_send_line(c, name);
    char expect[128];
    snprintf(expect, sizeof(expect), "Creating the new character '%c%s'.\r\n"
             "Choose a password (at least 6 characters): ",
             name[0] - 'a' + 'A', name + 1);
    client_wait_for(c, expect);
    type_password(c, password);
    client_wait_for(c, "Type it again: ");
    type_password(c, password);
    char *text = client_read_until(c, "Welcome!  Type 'help' for the commands.\r\n> ");
    assert_contains(text, SQUARE);
    assert_contains(text, "Obvious exits: east, north and west.\r\n");
    free(text);
    ck_assert_msg(strstr(c->seen, password) == NULL, "%s: the password was echoed", name);
    return c;
}

/* Connects and logs in as the existing character `name`; returns once
 * the player stands at the prompt, having been shown `room` (its short
 * description line). */
static client_t *login(driver_t *d, const char *name, const char *password,
                       const char *room)
{
    client_t *c = client_connect(d, name);
    client_wait_for(c, NAME_PROMPT);
    client_send_line(c, name);
    client_wait_for(c, "Password: ");
    type_password(c, password);
    char *text = client_read_until(c, "> ");
    ck_assert_msg(strncmp(text, "\r\n", 2) == 0 && strncmp(text + 2, room, strlen(room)) == 0,
                  "%s: expected the room \"%s\" after the password, got \"%s\"",
                  name, room, text);
    free(text);
    ck_assert_msg(strstr(c->seen, password) == NULL, "%s: the password was echoed", name);
    return c;
}

/* The text of a player's save file in the copy (caller frees), or NULL. */
static char *save_file(driver_t *d, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "/data/players/%s.o", name);
    return mud_read(d, rel);
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_new_character_looks_walks_talks_and_logs_back_in)
{
    driver_t d;
    mud_prepare(&d);
    driver_start(&d);

    client_t *alice = create_character(&d, "alice", "alicepw1");
    client_t *bob = create_character(&d, "bob", "bobpw123");
    client_wait_for(alice, "Bob arrives.\r\n");

    /* look: the room, its exits, and who else stands here */
    char *text = command_reply(bob, "look");
    ck_assert_str_eq(text, SQUARE
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
    client_wait_for(bob, "Alice says: hello bob\r\n");
    command(bob, "say hi alice", "You say: hi alice\r\n> ");
    client_wait_for(alice, "Bob says: hi alice\r\n");
    ck_assert(strstr(alice->seen, "Alice says") == NULL);

    /* movement: the room left and the room entered are told */
    text = command_reply(alice, "north");
    ck_assert_msg(strncmp(text, TAVERN, strlen(TAVERN)) == 0, "north: \"%s\"", text);
    assert_contains(text, "The only obvious exit is south.\r\n");
    assert_contains(text, "  A brass lamp\r\n");
    free(text);
    client_wait_for(bob, "Alice leaves north.\r\n");
    text = command_reply(alice, "s");       /* the alias of south */
    ck_assert_msg(strncmp(text, SQUARE, strlen(SQUARE)) == 0, "s: \"%s\"", text);
    free(text);
    client_wait_for(bob, "Alice arrives.\r\n");
    command(alice, "up", "What?\r\n> ");
    command(alice, "go up", "You can't go up.\r\n> ");

    /* who lists both */
    text = command_reply(alice, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    assert_contains(text, "\r\n  Alice\r\n");
    assert_contains(text, "\r\n  Bob\r\n");
    free(text);

    /* quit saves and hangs up; the room is told */
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    client_wait_eof(alice);
    client_free(alice);
    client_wait_for(bob, "Alice leaves the game.\r\n");
    command(bob, "who", "One player online:\r\n  Bob\r\n> ");
    char *saved = save_file(&d, "alice");
    ck_assert_msg(saved != NULL, "no /data/players/alice.o after quit");
    assert_contains(saved, "\nname \"alice\"\n");
    ck_assert(strstr(saved, "alicepw1") == NULL);     /* only the hash */
    free(saved);

    /* back: a wrong password is refused, the right one lets her in */
    alice = client_connect(&d, "alice");
    client_wait_for(alice, NAME_PROMPT);
    client_send_line(alice, "Alice");
    client_wait_for(alice, "Password: ");
    type_password(alice, "bobpw123");
    client_wait_for(alice, "Wrong password.\r\nPassword: ");
    type_password(alice, "alicepw1");
    text = client_read_until(alice, "> ");
    ck_assert_msg(strncmp(text, "\r\n" SQUARE, strlen(SQUARE) + 2) == 0, "relogin: \"%s\"", text);
    free(text);
    client_wait_for(bob, "Alice arrives.\r\n");
    command(alice, "say back again", "You say: back again\r\n> ");
    client_wait_for(bob, "Alice says: back again\r\n");
    text = command_reply(bob, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    free(text);

    client_free(alice);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_three_wrong_passwords_hang_up)
{
    driver_t d;
    mud_prepare(&d);
    driver_start(&d);
    client_t *alice = create_character(&d, "alice", "alicepw1");
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    client_free(alice);

    client_t *c = client_connect(&d, "intruder");
    client_wait_for(c, NAME_PROMPT);
    client_send_line(c, "alice");
    client_wait_for(c, "Password: ");
    type_password(c, "guess1");
    client_wait_for(c, "Wrong password.\r\nPassword: ");
    type_password(c, "guess2");
    client_wait_for(c, "Wrong password.\r\nPassword: ");
    type_password(c, "guess3");
    client_wait_for(c, "Wrong password.  Too many tries; goodbye.\r\n");
    client_wait_eof(c);
    client_free(c);

    /* the character is intact */
    alice = login(&d, "alice", "alicepw1", SQUARE);
    client_free(alice);
    char *log = mud_read(&d, "/log/login");
    ck_assert_ptr_nonnull(log);
    assert_contains(log, "failed login as alice from 127.0.0.1\n");
    free(log);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_link_dead_body_waits_and_a_second_login_takes_over)
{
    driver_t d;
    mud_prepare(&d);
    driver_start(&d);
    client_t *alice = create_character(&d, "alice", "alicepw1");
    client_t *bob = create_character(&d, "bob", "bobpw123");
    client_wait_for(alice, "Bob arrives.\r\n");

    /* a lost connection leaves the body standing, link-dead */
    close(alice->fd);
    alice->fd = -1;
    client_free(alice);
    client_wait_for(bob, "Alice turns to stone.\r\n");
    char *text = command_reply(bob, "look");
    assert_contains(text, "  Alice (link-dead)\r\n");
    free(text);
    text = command_reply(bob, "who");
    ck_assert_str_eq(text, "One player online:\r\n  Bob\r\n> ");
    free(text);

    /* logging in again takes the body back */
    alice = client_connect(&d, "alice");
    client_wait_for(alice, NAME_PROMPT);
    client_send_line(alice, "alice");
    client_wait_for(alice, "Password: ");
    type_password(alice, "alicepw1");
    client_wait_for(alice, "\r\nReconnected.\r\n" SQUARE);
    client_wait_for(alice, "> ");
    client_wait_for(bob, "Alice is back.\r\n");
    command(alice, "say hello again", "You say: hello again\r\n> ");
    client_wait_for(bob, "Alice says: hello again\r\n");

    /* a second login while connected takes over; the first is told and
     * hung up */
    client_t *again = client_connect(&d, "alice again");
    client_wait_for(again, NAME_PROMPT);
    client_send_line(again, "alice");
    client_wait_for(again, "Password: ");
    type_password(again, "alicepw1");
    client_wait_for(again, "\r\nReconnected.\r\n" SQUARE);
    client_wait_for(again, "> ");
    client_wait_for(alice, "Someone logged in as you; goodbye.\r\n");
    client_wait_eof(alice);
    client_free(alice);
    command(again, "say only me", "You say: only me\r\n> ");
    client_wait_for(bob, "Alice says: only me\r\n");
    text = command_reply(bob, "who");
    ck_assert_msg(strncmp(text, "2 players online:\r\n", 19) == 0, "who: \"%s\"", text);
    free(text);

    client_free(again);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_saved_room_and_password_survive_a_driver_restart)
{
    driver_t d;
    mud_prepare(&d);
    driver_start(&d);

    /* alice quits in the tavern; bob is still in the garden when the
     * driver is stopped, and the master's driver_shutdown() saves him */
    client_t *alice = create_character(&d, "alice", "alicepw1");
    client_t *bob = create_character(&d, "bob", "bobpw123");
    free(command_reply(alice, "north"));
    command(alice, "quit", "Goodbye, Alice.  Your character is saved.\r\n");
    client_wait_eof(alice);
    client_free(alice);
    free(command_reply(bob, "west"));
    driver_stop(&d);
    client_wait_eof(bob);
    client_free(bob);

    char *saved = save_file(&d, "alice");
    ck_assert_ptr_nonnull(saved);
    assert_contains(saved, "\nlast_room \"/domains/start/tavern\"\n");
    free(saved);
    saved = save_file(&d, "bob");
    ck_assert_ptr_nonnull(saved);
    assert_contains(saved, "\nlast_room \"/domains/start/garden\"\n");
    free(saved);

    /* a new driver on the same mudlib */
    driver_start(&d);
    alice = login(&d, "alice", "alicepw1", TAVERN);
    bob = login(&d, "bob", "bobpw123", GARDEN);
    command(alice, "who", "2 players online:\r\n");

    /* the password came back too: a wrong one is still refused */
    client_t *c = client_connect(&d, "intruder");
    client_wait_for(c, NAME_PROMPT);
    client_send_line(c, "bob");
    client_wait_for(c, "Password: ");
    type_password(c, "alicepw1");
    client_wait_for(c, "Wrong password.\r\nPassword: ");
    client_free(c);

    client_free(alice);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

/* A command with a bug, added to the copy for this test: it indexes an
 * empty array. */
static const char OOPS_COMMAND[] =
    "// oops: a command with a bug (written by check_mudlib_e2e).\n"
    "string help() { return \"oops                 fails\\n\"; }\n"
    "\n"
    "int main(string arg)\n"
    "{\n"
    "    mixed *none = ({ });\n"
    "    return none[1];\n"
    "}\n";

START_TEST(test_runtime_error_in_a_command_goes_to_that_player_only)
{
    driver_t d;
    mud_prepare(&d);
    mud_write(&d, "/cmds/oops.c", OOPS_COMMAND);
    driver_start(&d);
    client_t *root = create_character(&d, "root", "rootpw12");
    client_t *bob = create_character(&d, "bob", "bobpw123");
    client_wait_for(root, "Bob arrives.\r\n");

    /* an error caught by eval: shown to the admin who typed it */
    command(root, "eval 1/0", "Error: Division by zero\r\n> ");

    /* an uncaught error: a player gets the master's short note ... */
    command(bob, "oops",
            "Something went wrong (Array index 1 out of bounds (size 0)); it was logged.\r\n> ");
    /* ... an admin the error and the trace */
    char *text = command_reply(root, "oops");
    ck_assert_msg(strncmp(text, "Error: Array index 1 out of bounds (size 0)\r\n", 45) == 0,
                  "oops as admin: \"%s\"", text);
    assert_contains(text, "/cmds/oops.c:7: in main()");
    free(text);

    /* both go on playing, and each saw only their own error */
    command(bob, "say still here", "You say: still here\r\n> ");
    client_wait_for(root, "Bob says: still here\r\n");
    command(root, "say me too", "You say: me too\r\n> ");
    client_wait_for(bob, "Root says: me too\r\n");
    text = command_reply(bob, "who");
    assert_contains(text, "  Root          (admin)\r\n");
    free(text);
    ck_assert(strstr(root->seen, "Something went wrong") == NULL);
    ck_assert(strstr(bob->seen, "Error:") == NULL);
    ck_assert(strstr(bob->seen, "/cmds/oops.c") == NULL);

    /* and the master logged it */
    char *log = mud_read(&d, "/log/runtime");
    ck_assert_ptr_nonnull(log);
    assert_contains(log, "Array index 1 out of bounds (size 0)\n");
    free(log);

    client_free(root);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_endless_loop_is_stopped_by_the_eval_limit)
{
    driver_t d;
    mud_prepare(&d);
    driver_start(&d);
    client_t *root = create_character(&d, "root", "rootpw12");
    client_t *bob = create_character(&d, "bob", "bobpw123");
    client_wait_for(root, "Bob arrives.\r\n");

    client_send_line(root, "eval evaluate(function() { while (1) ; })");
    free(client_read_until_ms(root, "Error: Too long evaluation. Execution aborted.\r\n",
                              E2E_LOOP_TIMEOUT_MS));
    client_wait_for(root, "> ");

    /* the driver goes on, for everyone */
    command(bob, "say after the loop", "You say: after the loop\r\n> ");
    client_wait_for(root, "Bob says: after the loop\r\n");
    command(root, "eval 1 + 2", "Result: 3\r\n> ");
    ck_assert(strstr(bob->seen, "Too long") == NULL);

    client_free(root);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
}
END_TEST

START_TEST(test_file_sandbox_refuses_dotdot_escapes)
{
    driver_t d;
    mud_prepare(&d);
    /* a file beside the mudlib, and a link to it from inside */
    char outside[PATH_MAX + 64], link[PATH_MAX + 64], escape[PATH_MAX + 64];
    snprintf(outside, sizeof(outside), "%s/outside.txt", d.dir);
    write_file(outside, "outside secret\n");
    snprintf(link, sizeof(link), "%s/u", d.mudlib);
    ck_assert(mkdir(link, 0755) == 0 || errno == EEXIST);  /* absent in a fresh checkout */
    snprintf(link, sizeof(link), "%s/u/link.txt", d.mudlib);
    ck_assert_int_eq(symlink(outside, link), 0);
    snprintf(escape, sizeof(escape), "%s/escape.txt", d.dir);
    mud_write(&d, "/u/inside.txt", "inside text\n");
    driver_start(&d);

    client_t *root = create_character(&d, "root", "rootpw12");
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
    client_t *bob = create_character(&d, "bob", "bobpw123");
    command(bob, "eval read_file(\"/../outside.txt\")", "Only admins may use 'eval'.\r\n> ");
    command(bob, "update /secure/master", "Only admins may use 'update'.\r\n> ");
    command(bob, "shutdown", "Only admins may use 'shutdown'.\r\n> ");
    command(bob, "say still running", "You say: still running\r\n> ");

    client_free(root);
    client_free(bob);
    driver_stop(&d);
    driver_cleanup(&d);
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
    char self[PATH_MAX];
    if (realpath(argv[0], self) == NULL)
        snprintf(self, sizeof(self), "%s", argv[0]);
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(self, sizeof(self), ".");
    snprintf(bin_dir, sizeof(bin_dir), "%s", self);
    /* The bundled mudlib is in the source tree ($srcdir under make
     * check, for VPATH builds), else beside this binary's folder. */
    const char *srcdir = getenv("srcdir");
    char guess[PATH_MAX + 64];
    if (srcdir != NULL && *srcdir != '\0')
        snprintf(guess, sizeof(guess), "%s/mudlib", srcdir);
    else
        snprintf(guess, sizeof(guess), "%s/../mudlib", bin_dir);
    if (realpath(guess, mudlib_src) == NULL) {
        fprintf(stderr, "check_mudlib_e2e: no mudlib at %s\n", guess);
        return EXIT_FAILURE;
    }
    const char *wrapper = getenv("NEOLITH_E2E_WRAPPER");
    if (wrapper != NULL && *wrapper != '\0')
        timeout_scale = 10;
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(mudlib_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
