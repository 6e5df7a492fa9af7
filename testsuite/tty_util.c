/*
 * tty_util.c - pseudo-terminals, fd streams and tmux for the console
 * tests (see tty_util.h).
 */
#include "config.h"
#include "tty_util.h"
#include "port/port_clock.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

bool tty_have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

void tty_write_all(int fd, const void *data, size_t len)
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

char *tty_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap + 1);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* ================================================================ pty */

pid_t tty_spawn_sh(const char *cmd, int cols, int rows, void (*in_child)(void), int *master)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(m, 0);
    ck_assert_int_eq(grantpt(m), 0);
    ck_assert_int_eq(unlockpt(m), 0);
    char slave[128];
    snprintf(slave, sizeof(slave), "%s", ptsname(m));
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (in_child != NULL)
            in_child();
        setsid();
        int s = open(slave, O_RDWR);
        if (s < 0)
            _exit(126);
        (void)ioctl(s, TIOCSCTTY, 0);
        (void)ioctl(s, TIOCSWINSZ, &ws);
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        if (s > 2)
            close(s);
        close(m);
        setenv("TERM", "xterm", 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    *master = m;
    return pid;
}

/* ================================================================ stream */

void tty_stream_init(tty_stream_t *s, int fd, int hang_ms)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->hang_ms = hang_ms;
    s->cap = 1 << 16;
    s->buf = malloc(s->cap + 1);
    s->buf[0] = '\0';
}

bool tty_stream_read_some(tty_stream_t *s, int timeout_ms)
{
    if (s->eof)
        return false;
    struct pollfd pf = { .fd = s->fd, .events = POLLIN };
    if (poll(&pf, 1, timeout_ms) <= 0)
        return true;
    if (s->len + 4096 > s->cap) {
        s->cap *= 2;
        s->buf = realloc(s->buf, s->cap + 1);
    }
    ssize_t n = read(s->fd, s->buf + s->len, 4096);
    if (n <= 0) {
        if (n < 0 && errno == EINTR)
            return true;
        s->eof = true;
        return false;
    }
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    return true;
}

size_t tty_stream_expect(tty_stream_t *s, size_t from, const char *needle)
{
    int64_t deadline = port_deadline_after_ms(s->hang_ms);
    for (;;) {
        if (from <= s->len) {
            char *hit = memmem(s->buf + from, s->len - from, needle, strlen(needle));
            if (hit != NULL)
                return (size_t)(hit - s->buf);
        }
        ck_assert_msg(!port_deadline_expired(deadline) && !s->eof,
                      "never saw '%s'; got:\n%s", needle, s->buf);
        (void)tty_stream_read_some(s, 50);
    }
}

void tty_stream_read_to_eof(tty_stream_t *s)
{
    int64_t deadline = port_deadline_after_ms(s->hang_ms);
    while (tty_stream_read_some(s, 100))
        ck_assert_msg(!port_deadline_expired(deadline), "no EOF; got:\n%s", s->buf);
}

/* ================================================================ tmux */

/* Set by tty_tmux_use(); see its comment for who touches them. */
static char tmux_server[128];
static int tmux_hang_ms = 30000;

void tty_tmux_use(const char *sock, int hang_ms)
{
    snprintf(tmux_server, sizeof(tmux_server), "%s", sock);
    tmux_hang_ms = hang_ms;
}

void tty_tmux_use_own(const char *prefix, int hang_ms)
{
    char sock[sizeof(tmux_server)];
    snprintf(sock, sizeof(sock), "%.100s_%d", prefix, (int)getpid());
    tty_tmux_use(sock, hang_ms);
}

void tty_tmux_kill_server(void)
{
    if (tty_have("tmux"))
        (void)tty_tmux("kill-server 2>/dev/null");
}

int tty_tmux(const char *args)
{
    size_t size = strlen(args) + sizeof(tmux_server) + 64;
    char *cmd = malloc(size);
    snprintf(cmd, size, "tmux -L '%s' -f /dev/null %s", tmux_server, args);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

char *tty_tmux_screen(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "tmux -L '%s' capture-pane -p -t con 2>/dev/null", tmux_server);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return strdup("");
    size_t cap = 16384, n = 0, r;
    char *buf = malloc(cap + 1);
    while (n < cap && (r = fread(buf + n, 1, cap - n, f)) > 0)
        n += r;
    pclose(f);
    buf[n] = '\0';
    /* trim blanks at row ends, then empty rows at the end */
    char *out = malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            while (o > 0 && out[o - 1] == ' ')
                o--;
        out[o++] = buf[i];
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\n'))
        o--;
    out[o] = '\0';
    free(buf);
    return out;
}

char *tty_tmux_expect(const char *needle)
{
    int64_t deadline = port_deadline_after_ms(tmux_hang_ms);
    for (;;) {
        char *s = tty_tmux_screen();
        if (strstr(s, needle) != NULL)
            return s;
        ck_assert_msg(!port_deadline_expired(deadline),
                      "screen never showed '%s'; it shows:\n%s", needle, s);
        free(s);
        struct pollfd none;
        (void)poll(&none, 0, 20);   /* capture-pane is a snapshot: look again */
    }
}
