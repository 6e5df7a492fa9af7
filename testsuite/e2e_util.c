/*
 * e2e_util.c - shared helpers of the end-to-end suites (see e2e_util.h).
 */
#include <config.h>
#include "e2e_util.h"
#include "port/port_clock.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char e2e_bin_dir[PATH_MAX];
int e2e_hang_ms = 30000;

void e2e_set_bin_dir(const char *argv0)
{
    char self[PATH_MAX];
    if (realpath(argv0, self) == NULL)
        snprintf(self, sizeof(self), "%s", argv0);
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(self, sizeof(self), ".");
    snprintf(e2e_bin_dir, sizeof(e2e_bin_dir), "%s", self);
}

bool e2e_find_source_dir(char *out, const char *in_srcdir, const char *beside_bin,
                         const char *suite, const char *what)
{
    const char *srcdir = getenv("srcdir");
    char guess[PATH_MAX + 64];
    if (srcdir != NULL && *srcdir != '\0')
        snprintf(guess, sizeof(guess), "%s/%s", srcdir, in_srcdir);
    else
        snprintf(guess, sizeof(guess), "%s/%s", e2e_bin_dir, beside_bin);
    if (realpath(guess, out) == NULL) {
        fprintf(stderr, "%s: no %s at %s\n", suite, what, guess);
        return false;
    }
    return true;
}

/* ================================================================ files */

int e2e_free_port(void)
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

void e2e_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

char *e2e_read_whole_file(const char *path)
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

/* the e2e_copy_tree() in progress (nftw has no user pointer) */
static const char *copy_src;
static const char *copy_dst;
static bool (*copy_skip)(const char *rel);

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    const char *rel = path + strlen(copy_src);
    if (copy_skip != NULL && copy_skip(rel))
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

void e2e_copy_tree(const char *src, const char *dst, bool (*skip)(const char *rel))
{
    copy_src = src;
    copy_dst = dst;
    copy_skip = skip;
    ck_assert_int_eq(nftw(src, copy_entry, 16, FTW_PHYS), 0);
    copy_src = copy_dst = NULL;
    copy_skip = NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

void e2e_remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ================================================================ driver */

/* Appends everything the driver writes to stderr to d->log. */
static void *stderr_reader(void *arg)
{
    e2e_driver_t *d = arg;
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

bool e2e_driver_wait_log(e2e_driver_t *d, const char *needle)
{
    int64_t deadline = port_deadline_after_ms(e2e_hang_ms);
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

bool e2e_driver_log_contains(e2e_driver_t *d, const char *needle)
{
    port_mutex_lock(&d->mu);
    bool found = d->log != NULL && strstr(d->log, needle) != NULL;
    port_mutex_unlock(&d->mu);
    return found;
}

char *e2e_driver_log_copy(e2e_driver_t *d)
{
    port_mutex_lock(&d->mu);
    char *s = strdup(d->log != NULL ? d->log : "");
    port_mutex_unlock(&d->mu);
    return s;
}

void e2e_driver_init(e2e_driver_t *d)
{
    memset(d, 0, sizeof(*d));
    d->pid = -1;
    d->err_fd = -1;
    snprintf(d->dir, sizeof(d->dir), "/tmp/neolith-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    d->port = e2e_free_port();
}

void e2e_driver_prepare(e2e_driver_t *d, const char *tag, const char *extra)
{
    e2e_driver_init(d);
    snprintf(d->mudlib, sizeof(d->mudlib), "%s/mudlib", d->dir);
    ck_assert_int_eq(mkdir(d->mudlib, 0755), 0);
    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", d->dir);
    char text[2048];
    snprintf(text, sizeof(text),
             "# written by %s\n"
             "mudlib directory: mudlib\n"
             "port: %d\n"
             "%s"
             "log directory: log\n"
             "%s",
             tag, d->port,
             /* keys may not repeat: a test may choose its own address */
             extra != NULL && strstr(extra, "bind address") != NULL
                 ? "" : "bind address: 127.0.0.1\n",
             extra != NULL ? extra : "");
    e2e_write_file(d->conf, text);
}

static void driver_binary(char *out, size_t size, const char *which)
{
    if (strcmp(which, "echo") == 0)
        snprintf(out, size, "%s/neolith_echo", e2e_bin_dir);
    else
        snprintf(out, size, "%s/../src/neolith", e2e_bin_dir);
}

void e2e_driver_spawn(e2e_driver_t *d, const char *which, const char *const *args,
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

    if (d->sync_ready) {
        /* a restart: forget the previous run's log */
        if (d->err_fd >= 0)
            close(d->err_fd);
        d->err_fd = -1;
        free(d->log);
        d->log = NULL;
        d->log_len = 0;
        d->log_eof = false;
    }

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
    if (!d->sync_ready) {
        ck_assert_int_eq(port_mutex_init(&d->mu), 0);
        ck_assert_int_eq(port_cond_init(&d->cv), 0);
        d->sync_ready = true;
    }
    ck_assert_int_eq(port_thread_create(&d->reader, stderr_reader, d, 0), 0);
    d->reader_started = true;
}

void e2e_driver_start(e2e_driver_t *d, const char *which)
{
    const char *args[] = { "-f", d->conf, NULL };
    e2e_driver_spawn(d, which, args, NULL);
    char needle[64];
    snprintf(needle, sizeof(needle), "listening on port %d", d->port);
    if (!e2e_driver_wait_log(d, needle)) {
        char *log = e2e_driver_log_copy(d);
        ck_abort_msg("driver did not report '%s'; its stderr:\n%s", needle, log);
    }
}

int e2e_driver_wait(e2e_driver_t *d)
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

int e2e_exit_code(int status)
{
    ck_assert_msg(WIFEXITED(status), "driver did not exit normally (status 0x%x)", status);
    return WEXITSTATUS(status);
}

/* (Under a sanitizer or valgrind wrapper a leak or an error makes the
 * exit code fail, and the message shows the driver's stderr.) */
int e2e_driver_stop(e2e_driver_t *d)
{
    ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
    int code = e2e_exit_code(e2e_driver_wait(d));
    if (code != 0) {
        char *log = e2e_driver_log_copy(d);
        size_t len = strlen(log);
        ck_abort_msg("driver exited %d after SIGTERM; end of its stderr:\n%s", code,
                     len > 4000 ? log + len - 4000 : log);
    }
    return code;
}

void e2e_driver_cleanup(e2e_driver_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        e2e_driver_wait(d);
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
    if (d->sync_ready) {
        port_cond_destroy(&d->cv);
        port_mutex_destroy(&d->mu);
        d->sync_ready = false;
    }
    if (d->dir[0] != '\0')
        e2e_remove_tree(d->dir);
}

/* ================================================================ client */

enum { TS_DATA, TS_IAC, TS_OPT, TS_SB_OPT, TS_SB, TS_SB_IAC };

void e2e_send_all(int fd, const void *data, size_t len)
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

static void data_push(e2e_client_t *c, unsigned char b)
{
    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        c->data = realloc(c->data, c->cap);
        ck_assert_ptr_nonnull(c->data);
    }
    c->data[c->len++] = b;
    c->total++;
    if (c->mode == E2E_CLIENT_PLAYER) {
        if (c->seen_len + 1 >= c->seen_cap) {
            c->seen_cap = c->seen_cap ? c->seen_cap * 2 : 4096;
            c->seen = realloc(c->seen, c->seen_cap);
            ck_assert_ptr_nonnull(c->seen);
        }
        c->seen[c->seen_len++] = (char)b;
        c->seen[c->seen_len] = '\0';
    }
}

/* RAW: records a command received. */
static e2e_negotiation_t *neg_new(e2e_client_t *c, unsigned char cmd)
{
    ck_assert_int_lt(c->nneg, 64);
    e2e_negotiation_t *n = &c->neg[c->nneg++];
    memset(n, 0, sizeof(*n));
    n->cmd = cmd;
    n->at = c->total;
    return n;
}

/* RAW: a byte of the SB payload being received. */
static void sb_push(e2e_client_t *c, unsigned char b)
{
    if (c->mode != E2E_CLIENT_RAW)
        return;
    e2e_negotiation_t *ng = &c->neg[c->nneg - 1];
    if (ng->sb_len < sizeof(ng->sb))
        ng->sb[ng->sb_len++] = b;
}

/* PLAYER: like a real client it agrees to WILL and WONT ECHO at once
 * (DO / DONT ECHO): the driver follows RFC 1143 and sends the next WILL
 * ECHO only once its WONT ECHO has been acknowledged. */
static void player_option(e2e_client_t *c, unsigned char b)
{
    if (b == T_ECHO && c->cmd == T_WILL) {
        static const unsigned char do_echo[] = { T_IAC, T_DO, T_ECHO };
        c->will_echo = true;
        c->will_echo_count++;
        e2e_send_all(c->fd, do_echo, sizeof(do_echo));
    } else if (b == T_ECHO && c->cmd == T_WONT) {
        static const unsigned char dont_echo[] = { T_IAC, T_DONT, T_ECHO };
        c->will_echo = false;
        c->wont_echo_count++;
        e2e_send_all(c->fd, dont_echo, sizeof(dont_echo));
    }
}

/* The client's telnet reader: data bytes to c->data; commands to c->neg
 * (RAW) or to player_option() (PLAYER). */
static void feed(e2e_client_t *c, const unsigned char *p, size_t n)
{
    bool raw = c->mode == E2E_CLIENT_RAW;
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
                if (raw)
                    neg_new(c, b);
                c->state = TS_DATA;
            }
            break;
        case TS_OPT:
            if (raw)
                neg_new(c, c->cmd)->opt = b;
            else
                player_option(c, b);
            c->state = TS_DATA;
            break;
        case TS_SB_OPT:
            if (raw)
                neg_new(c, T_SB)->opt = b;
            c->state = TS_SB;
            break;
        case TS_SB:
            if (b == T_IAC)
                c->state = TS_SB_IAC;
            else
                sb_push(c, b);
            break;
        case TS_SB_IAC:
            if (b == T_SE) {
                c->state = TS_DATA;
            } else {
                sb_push(c, b);
                c->state = TS_SB;
            }
            break;
        }
    }
}

int e2e_connect_with(int family, int port, int rcvbuf)
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

int e2e_connect_to(int family, int port)
{
    return e2e_connect_with(family, port, 0);
}

e2e_client_t *e2e_client_new_fd(int fd)
{
    e2e_client_t *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->fd = fd;
    c->mode = E2E_CLIENT_RAW;
    return c;
}

e2e_client_t *e2e_client_connect(e2e_driver_t *d)
{
    return e2e_client_new_fd(e2e_connect_to(AF_INET, d->port));
}

e2e_client_t *e2e_client_connect_player(e2e_driver_t *d, const char *who)
{
    e2e_client_t *c = e2e_client_new_fd(e2e_connect_to(AF_INET, d->port));
    c->mode = E2E_CLIENT_PLAYER;
    c->who = who;
    return c;
}

void e2e_client_free(e2e_client_t *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->data);
    free(c->seen);
    free(c);
}

ssize_t e2e_client_read_some_until(e2e_client_t *c, int64_t deadline)
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

ssize_t e2e_client_read_some(e2e_client_t *c, int timeout_ms)
{
    return e2e_client_read_some_until(c, port_deadline_after_ms(timeout_ms));
}

void e2e_client_send(e2e_client_t *c, const char *text)
{
    e2e_send_all(c->fd, text, strlen(text));
}

void e2e_client_send_line(e2e_client_t *c, const char *line)
{
    e2e_send_all(c->fd, line, strlen(line));
    e2e_send_all(c->fd, "\r\n", 2);
}

void e2e_client_command(e2e_client_t *c, const char *cmd, const char *reply)
{
    char line[512];
    snprintf(line, sizeof(line), "%s\r\n", cmd);
    e2e_client_send(c, line);
    e2e_client_wait_for(c, reply);
}

char *e2e_printable(const unsigned char *p, size_t n)
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

void e2e_client_consume(e2e_client_t *c, size_t n)
{
    memmove(c->data, c->data + n, c->len - n);
    c->len -= n;
}

bool e2e_client_fill(e2e_client_t *c, size_t n)
{
    while (c->len < n) {
        if (c->eof || c->error)
            return false;
        ssize_t r = e2e_client_read_some(c, e2e_hang_ms);
        ck_assert_msg(r >= 0, "no data from the driver within %d ms", e2e_hang_ms);
    }
    return true;
}

void e2e_client_expect(e2e_client_t *c, const char *expected)
{
    size_t n = strlen(expected);
    bool filled = e2e_client_fill(c, n);
    if (!filled || memcmp(c->data, expected, n) != 0) {
        char *got = e2e_printable(c->data, c->len < n ? c->len : n);
        char *want = e2e_printable((const unsigned char *)expected, n);
        ck_abort_msg("expected \"%s\", got \"%s\"%s", want, got,
                     filled ? "" : " then EOF");
    }
    e2e_client_consume(c, n);
}

/* Waits until the unconsumed data contains `needle`: for timeout_ms in
 * all (total) or without data for timeout_ms (!total).  Returns the
 * length up to and including it; fails showing what came. */
static size_t wait_needle(e2e_client_t *c, const char *needle, int timeout_ms, bool total)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    size_t n = strlen(needle);
    for (;;) {
        unsigned char *hit = c->len >= n ? memmem(c->data, c->len, needle, n) : NULL;
        if (hit != NULL)
            return (size_t)(hit - c->data) + n;
        if (!total)
            deadline = port_deadline_after_ms(timeout_ms);
        ssize_t r = c->eof || c->error ? 0 : e2e_client_read_some_until(c, deadline);
        if (r <= 0) {
            char *got = e2e_printable(c->data, c->len);
            ck_abort_msg("%s%swaiting for \"%s\": %s; got \"%s\"",
                         c->who != NULL ? c->who : "", c->who != NULL ? ": " : "",
                         needle, r < 0 ? "timed out" : "connection ended", got);
        }
    }
}

void e2e_client_wait_for(e2e_client_t *c, const char *needle)
{
    e2e_client_consume(c, wait_needle(c, needle, e2e_hang_ms, c->mode == E2E_CLIENT_PLAYER));
}

char *e2e_client_read_until_ms(e2e_client_t *c, const char *needle, int timeout_ms)
{
    size_t upto = wait_needle(c, needle, timeout_ms, true);
    char *text = malloc(upto + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, c->data, upto);
    text[upto] = '\0';
    e2e_client_consume(c, upto);
    return text;
}

bool e2e_client_read_to_eof(e2e_client_t *c)
{
    while (!c->eof && !c->error)
        if (e2e_client_read_some(c, e2e_hang_ms) < 0)
            return false;
    return true;
}

void e2e_client_wait_eof(e2e_client_t *c)
{
    int64_t deadline = port_deadline_after_ms(e2e_hang_ms);
    while (!c->eof && !c->error)
        ck_assert_msg(e2e_client_read_some_until(c, deadline) >= 0,
                      "%s: the connection did not close", c->who != NULL ? c->who : "client");
}

e2e_negotiation_t *e2e_client_wait_negotiation(e2e_client_t *c, unsigned char cmd,
                                               unsigned char opt)
{
    for (int scanned = 0;;) {
        for (; scanned < c->nneg; scanned++)
            if (c->neg[scanned].cmd == cmd && c->neg[scanned].opt == opt)
                return &c->neg[scanned];
        ck_assert_msg(!c->eof && !c->error, "EOF before IAC %d %d", cmd, opt);
        ck_assert_msg(e2e_client_read_some(c, e2e_hang_ms) >= 0,
                      "no IAC %d %d within %d ms", cmd, opt, e2e_hang_ms);
    }
}

e2e_negotiation_t *e2e_client_find_negotiation(e2e_client_t *c, unsigned char cmd,
                                               unsigned char opt)
{
    for (int i = 0; i < c->nneg; i++)
        if (c->neg[i].cmd == cmd && c->neg[i].opt == opt)
            return &c->neg[i];
    return NULL;
}
