/*
 * check_git_e2e.c - end-to-end test of the git update in the game
 * (docs/manual/git-update.md, src/lpc_git.h): a bare repository is the
 * remote (file:// URL), the driver's mudlib is a clone of it (a copy of
 * the bundled mudlib/), and src/neolith runs on it with "git update: on".
 * An admin logs in over a raw telnet socket, a change to a room is
 * pushed upstream, "gitupdate" shows progress lines and the result, and
 * "look" shows the new description without a restart; a syntax error
 * pushed upstream is reported and the old room keeps working; a dirty
 * work tree is refused and left byte-for-byte as it was.
 *
 * The driver and telnet client helpers are those of check_runtime_e2e.c.
 * Synchronisation is on data: every reply is awaited by reading until
 * it arrives; E2E_TIMEOUT_MS only turns a hang into a failure.
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



/* ================================================================ git */

static char mudlib_src[PATH_MAX];   /* the bundled mudlib/ of the source tree */

/* Runs a shell command line (built with printf formatting); it must exit 0. */
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "command failed (status 0x%x): %s", st, cmd);
}

/* The output of a shell command line (caller frees). */
static char *sh_output(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    size_t n;
    while ((n = fread(s + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            s = realloc(s, cap);
            ck_assert_ptr_nonnull(s);
        }
    }
    s[len] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    return s;
}

/* The mudlib's fingerprint: path and bytes of every file outside .git
 * (the run-time folders log/ and data/ aside, which the game writes),
 * plus .git/HEAD, the HEAD commit and .git/index. */
static char *fingerprint(const char *dir)
{
    return sh_output("cd %s && { find . -path ./.git -prune -o -path ./log -prune "
                     "-o -path ./data -prune -o -type f -print0 | sort -z | "
                     "xargs -0 sha256sum; sha256sum .git/HEAD .git/index; "
                     "git rev-parse HEAD; }", dir);
}

/* The scene: d->dir/seed (upstream's work tree), d->dir/remote.git (the
 * bare remote, a file:// URL), d->dir/mudlib (the driver's mudlib, a
 * clone) and the driver running on it, its config (tracked upstream, so
 * the clone is clean) saying "git update: on" and making "tester" an
 * admin. */
typedef struct scene {
    driver_t d;
    char seed[300];
    char mudlib[300];
} scene_t;

static void scene_start_with(scene_t *s, const char *extra)
{
    driver_t *d = &s->d;
    memset(s, 0, sizeof(*s));
    d->pid = -1;
    d->err_fd = -1;
    snprintf(d->dir, sizeof(d->dir), "/tmp/neolith-git-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    snprintf(s->seed, sizeof(s->seed), "%s/seed", d->dir);
    snprintf(s->mudlib, sizeof(s->mudlib), "%s/mudlib", d->dir);
    d->port = free_port();

    sh("cp -R %s %s && rm -rf %s/log/* %s/data/players/*.o", mudlib_src, s->seed,
       s->seed, s->seed);
    char conf[PATH_MAX + 32], text[1024];
    snprintf(conf, sizeof(conf), "%s/neolith.conf", s->seed);
    snprintf(text, sizeof(text),
             "# written by check_git_e2e\n"
             "mudlib directory: .\n"
             "port: %d\n"
             "bind address: 127.0.0.1\n"
             "log directory: ../log\n"
             "admins: tester\n"
             "git update: on\n"
             "%s", d->port, extra != NULL ? extra : "git timeout: 60\n");
    write_file(conf, text);
    sh("printf '/log/\\n' >> %s/.gitignore", s->seed);
    sh("cd %s && git init -q -b main && git add -A && git commit -q -m seed", s->seed);
    sh("git init -q --bare -b main %s/remote.git", d->dir);
    sh("git -C %s push -q file://%s/remote.git main", s->seed, d->dir);
    sh("git clone -q -b main file://%s/remote.git %s", d->dir, s->mudlib);

    /* git-remote-slow on the driver's PATH (see the slow remote test) */
    sh("mkdir %s/bin && printf '#!/bin/sh\\nexec sleep 1000\\n' > %s/bin/git-remote-slow"
       " && chmod +x %s/bin/git-remote-slow", d->dir, d->dir, d->dir);
    const char *path = getenv("PATH");
    char newpath[8192];
    snprintf(newpath, sizeof(newpath), "%s/bin:%s", d->dir, path != NULL ? path : "/usr/bin:/bin");
    setenv("PATH", newpath, 1);

    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", s->mudlib);
    driver_start(d, "neolith");
}

static void scene_start(scene_t *s)
{
    scene_start_with(s, NULL);
}

/* Upstream: replaces `from` by `to` in seed's FILE, commits, pushes. */
static void push_change(scene_t *s, const char *file, const char *from, const char *to)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", s->seed, file);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *hit = strstr(buf, from);
    ck_assert_msg(hit != NULL, "'%s' not in %s", from, file);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(buf, 1, (size_t)(hit - buf), f);
    fputs(to, f);
    fputs(hit + strlen(from), f);
    ck_assert_int_eq(fclose(f), 0);
    sh("cd %s && git commit -q -am 'change %s' && git push -q file://%s/remote.git main",
       s->seed, file, s->d.dir);
}

/* Logs in as the new admin character "tester"; the first prompt has
 * been read. */
static client_t *login_admin(scene_t *s)
{
    client_t *c = client_connect(&s->d);
    client_wait_for(c, "creates a character): ");
    client_send(c, "tester\r\n");
    client_wait_for(c, "Choose a password (at least 6 characters): ");
    client_send(c, "secret1\r\n");
    client_wait_for(c, "Type it again: ");
    client_send(c, "secret1\r\n");
    client_wait_for(c, "> ");
    return c;
}

static void command(client_t *c, const char *cmd, const char *reply)
{
    char line[512];
    snprintf(line, sizeof(line), "%s\r\n", cmd);
    client_send(c, line);
    client_wait_for(c, reply);
}

static void scene_end(scene_t *s, client_t *c)
{
    client_free(c);
    driver_stop(&s->d);
    driver_cleanup(&s->d);
}

#define OLD_LONG "Cobbles worn smooth by generations of feet"
#define NEW_LONG "Freshly laid cobbles from upstream"

START_TEST(test_gitupdate_reloads_the_room_and_a_syntax_error_keeps_the_old_one)
{
    scene_t s;
    scene_start(&s);
    client_t *c = login_admin(&s);
    command(c, "look", OLD_LONG);
    client_wait_for(c, "> ");

    push_change(&s, "domains/start/square.c", OLD_LONG, NEW_LONG);
    command(c, "gitupdate", "[git] Update started.");
    /* progress, then the result with the reload report */
    client_wait_for(c, "[git] Fetching ");
    client_wait_for(c, "[git] Fast-forwarding ");
    client_wait_for(c, "[git] updated from ");
    client_wait_for(c, "[git] reloaded ");
    client_wait_for(c, "/domains/start/square");
    client_wait_for(c, "\r\n");
    command(c, "look", NEW_LONG);   /* the player is still in the square */
    client_wait_for(c, "> ");

    push_change(&s, "domains/start/square.c", "void create()", "void create() {{ syntax error");
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] updated from ");
    client_wait_for(c, "[git] not reloaded, the old version keeps running: "
                       "/domains/start/square: ");
    client_wait_for(c, "square.c:");
    command(c, "look", NEW_LONG);   /* the old object still runs */
    client_wait_for(c, "> ");
    scene_end(&s, c);
}
END_TEST

START_TEST(test_gitupdate_refuses_a_dirty_tree_and_leaves_it_unchanged)
{
    scene_t s;
    scene_start(&s);
    client_t *c = login_admin(&s);
    push_change(&s, "domains/start/square.c", OLD_LONG, NEW_LONG);
    sh("printf '// local edit\\n' >> %s/domains/start/garden.c", s.mudlib);
    char *before = fingerprint(s.mudlib);
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] work tree has local changes: M domains/start/garden.c");
    client_wait_for(c, "\r\n");
    char *after = fingerprint(s.mudlib);
    ck_assert_str_eq(before, after);
    command(c, "look", OLD_LONG);
    client_wait_for(c, "> ");
    free(before);
    free(after);
    scene_end(&s, c);
}
END_TEST

START_TEST(test_gitupdate_up_to_date_says_so_and_is_for_admins_only)
{
    scene_t s;
    scene_start(&s);
    client_t *c = login_admin(&s);
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] already up to date");
    client_wait_for(c, "\r\n");
    /* a player who is not an admin */
    client_t *p = client_connect(&s.d);
    client_wait_for(p, "creates a character): ");
    client_send(p, "walker\r\n");
    client_wait_for(p, "Choose a password (at least 6 characters): ");
    client_send(p, "secret1\r\n");
    client_wait_for(p, "Type it again: ");
    client_send(p, "secret1\r\n");
    client_wait_for(p, "> ");
    command(p, "gitupdate", "Only admins may use 'gitupdate'.");
    client_free(p);
    scene_end(&s, c);
}
END_TEST

/* A changed inherited program recompiles its heirs (the square inherits
 * /std/room); a broken one is reported, and its heirs keep their old
 * version instead of being rebuilt on the old base. */
START_TEST(test_changed_base_program_reloads_heirs_and_a_broken_one_keeps_them)
{
    scene_t s;
    scene_start(&s);
    client_t *c = login_admin(&s);
    push_change(&s, "std/room.c", "\"Obvious exits: \"", "\"Ways out: \"");
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] updated from ");
    client_wait_for(c, "[git] reloaded ");
    client_wait_for(c, "\r\n");
    command(c, "look", "Ways out: east, north and west.");
    client_wait_for(c, "> ");

    push_change(&s, "std/room.c", "string long(object looker)", "string long(object looker) oops");
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] not reloaded, the old version keeps running: /std/room: ");
    client_wait_for(c, "[git] not reloaded, the old version keeps running: "
                       "/domains/start/square: it inherits /std/room, which was not reloaded");
    command(c, "look", "Ways out: east, north and west.");
    client_wait_for(c, "> ");
    scene_end(&s, c);
}
END_TEST

/* A remote that never answers: "slow::nowhere" makes git fetch run
 * git-remote-slow from PATH, which sleeps.  While it sleeps the update
 * cannot end (only the git timeout ends it), so a second request is
 * refused for certain.  scene_start puts the helper on the driver's PATH. */
START_TEST(test_second_gitupdate_is_refused_and_a_timeout_leaves_the_mudlib)
{
    scene_t s;
    scene_start_with(&s, "git remote: slow::nowhere\n"
                         "git branch: main\n"
                         "git timeout: 8\n");
    client_t *c = login_admin(&s);
    char *before = fingerprint(s.mudlib);
    command(c, "gitupdate", "[git] Update started.");
    client_wait_for(c, "[git] Fetching slow::nowhere main");
    command(c, "gitupdate", "[git] Not started: an update is already running.");
    client_wait_for(c, "[git] timed out after 8 s during git fetch");
    client_wait_for(c, "the mudlib is unchanged");
    char *after = fingerprint(s.mudlib);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    scene_end(&s, c);
}
END_TEST

static Suite *git_suite(void)
{
    Suite *s = suite_create("git_e2e");
    TCase *tc = tcase_create("gitupdate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gitupdate_reloads_the_room_and_a_syntax_error_keeps_the_old_one);
    tcase_add_test(tc, test_gitupdate_refuses_a_dirty_tree_and_leaves_it_unchanged);
    tcase_add_test(tc, test_gitupdate_up_to_date_says_so_and_is_for_admins_only);
    tcase_add_test(tc, test_changed_base_program_reloads_heirs_and_a_broken_one_keeps_them);
    tcase_add_test(tc, test_second_gitupdate_is_refused_and_a_timeout_leaves_the_mudlib);
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
    const char *srcdir = getenv("srcdir");
    char guess[PATH_MAX + 64];
    if (srcdir != NULL && *srcdir != '\0')
        snprintf(guess, sizeof(guess), "%s/mudlib", srcdir);
    else
        snprintf(guess, sizeof(guess), "%s/../mudlib", bin_dir);
    if (realpath(guess, mudlib_src) == NULL) {
        fprintf(stderr, "check_git_e2e: no mudlib at %s\n", guess);
        return EXIT_FAILURE;
    }
    /* git's configuration comes from this environment only: the
     * operator's ~/.gitconfig never matters, and commits have an author. */
    setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "check_git_e2e", 1);
    setenv("GIT_AUTHOR_EMAIL", "check@example.invalid", 1);
    setenv("GIT_COMMITTER_NAME", "check_git_e2e", 1);
    setenv("GIT_COMMITTER_EMAIL", "check@example.invalid", 1);
    signal(SIGPIPE, SIG_IGN);

    SRunner *sr = srunner_create(git_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
