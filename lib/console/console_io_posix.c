/*
 * console_io_posix.c - what the console needs from a POSIX system: the
 * wake pipe, one poll() over terminal + wake pipe (+ output), writes, and
 * the saved terminal settings that every exit path restores.
 *
 * The saved settings live in static storage, not in the console record,
 * because console_restore_terminal_emergency() must find them from a
 * signal handler.
 */
#include "config.h"
#include "console/console_impl.h"
#include "port/port_fd_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int console_io_wake_open(console_wake_t *wake)
{
    int fds[2];
    if (port_fd_pipe_nonblock_cloexec(fds) != 0)
        return -1;
    wake->rd = fds[0];
    wake->wr = fds[1];
    return 0;
}

/* One byte per ring.  EAGAIN (pipe full) is success: bytes are already
 * waiting, so the worker will wake.  The worker drains the pipe before it
 * looks at the shared state, and the main thread changes the state before
 * it rings: a change made after the drain always leaves a byte behind. */
void console_io_wake_ring(console_wake_t *wake)
{
    const char b = 1;
    while (write(wake->wr, &b, 1) < 0 && errno == EINTR)
        ;
}

void console_io_wake_drain(console_wake_t *wake)
{
    char buf[64];
    for (;;) {
        ssize_t n = read(wake->rd, buf, sizeof(buf));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        return;   /* empty (EAGAIN) or closed */
    }
}

void console_io_wake_close(console_wake_t *wake)
{
    console_io_close(wake->rd);
    console_io_close(wake->wr);
    wake->rd = wake->wr = -1;
}

void console_io_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

unsigned console_io_wait(int in_fd, console_wake_t *wake, int out_fd, int timeout_ms)
{
    struct pollfd p[3];
    int n = 0, in_i = -1, out_i = -1;
    p[n].fd = wake->rd;
    p[n].events = POLLIN;
    n++;
    if (in_fd >= 0) {
        in_i = n;
        p[n].fd = in_fd;
        p[n].events = POLLIN;
        n++;
    }
    if (out_fd >= 0) {
        out_i = n;
        p[n].fd = out_fd;
        p[n].events = POLLOUT;
        n++;
    }
    int r;
    do {
        r = poll(p, (nfds_t)n, timeout_ms);
    } while (r < 0 && errno == EINTR);   /* worker signals are blocked; belt and braces */
    if (r <= 0)
        return 0;
    unsigned bits = 0;
    /* Hang-up and error count as ready: the read or write that follows
     * reports what happened. */
    if (p[0].revents != 0)
        bits |= CONSOLE_IO_WAKE;
    if (in_i >= 0 && p[in_i].revents != 0)
        bits |= CONSOLE_IO_IN;
    if (out_i >= 0 && p[out_i].revents != 0)
        bits |= CONSOLE_IO_OUT;
    return bits;
}

/* ---- pipe mode -------------------------------------------------------------- */

struct console_pipe_io {
    int in_fd;
    int out_fd;
    console_wake_t *wake;
};

console_pipe_io_t *console_pipe_io_open(console_t *c, char *err, size_t err_size)
{
    console_pipe_io_t *io = malloc(sizeof(*io));
    if (io == NULL) {
        snprintf(err, err_size, "console: out of memory");
        return NULL;
    }
    io->in_fd = c->in_fd;
    io->out_fd = c->out_fd;
    io->wake = &c->wake;
    return io;
}

bool console_io_wake_wait(console_wake_t *wake)
{
    return (console_io_wait(-1, wake, -1, -1) & CONSOLE_IO_WAKE) != 0;
}

unsigned console_pipe_io_wait(console_pipe_io_t *io, bool want_in, bool want_out,
                              int timeout_ms)
{
    return console_io_wait(want_in ? io->in_fd : -1, io->wake,
                           want_out ? io->out_fd : -1, timeout_ms);
}

long console_pipe_io_read(console_pipe_io_t *io, char *buf, size_t size,
                          char *msg, size_t msg_size)
{
    ssize_t n = read(io->in_fd, buf, size);
    if (n >= 0)
        return (long)n;
    if (errno == EINTR || errno == EAGAIN)
        return CONSOLE_IO_AGAIN;
    snprintf(msg, msg_size, "console: read: %s", strerror(errno));
    return -1;
}

long console_pipe_io_write(console_pipe_io_t *io, const char *buf, size_t len)
{
    ssize_t n = write(io->out_fd, buf, len);
    if (n > 0)
        return (long)n;
    if (n < 0 && errno != EINTR && errno != EAGAIN)
        return -1;   /* EPIPE, EIO */
    return CONSOLE_IO_AGAIN;
}

void console_pipe_io_close(console_pipe_io_t *io)
{
    free(io);
}

/* ---- terminal ---------------------------------------------------------------- */

bool console_io_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* Someone else made the fd non-blocking: wait for room. */
                struct pollfd pf = { .fd = fd, .events = POLLOUT };
                (void)poll(&pf, 1, 100);
                continue;
            }
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool console_io_is_terminal(int fd)
{
    return isatty(fd) == 1;
}

int console_io_terminal_columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

/* ---- the terminal: claimed, released, rescued ---------------------------- */

/* 0: no console owns the terminal; 1: being claimed or released (by the
 * worker, one thread); 2: the fields below are valid.  The worker writes
 * them, then stores 2 with release; a reader that loads 2 with acquire
 * sees them complete.  Lock-free atomics are async-signal-safe, which the
 * emergency path needs. */
static atomic_int term_state;
static struct termios term_saved;   /* settings before the console took over */
static int term_fd = -1;            /* the caller's terminal fd (restored through it) */
static int term_worker_in = -1;     /* the worker's private dups */
static int term_worker_out = -1;
static int term_devnull = -1;       /* swapped in by the emergency path */

int console_io_terminal_claim(int in_fd, int out_fd, int *worker_in, int *worker_out)
{
    int expected = 0;
    /* acquire on success: a previous owner's release happens-before our
     * writes to the fields. */
    if (!atomic_compare_exchange_strong_explicit(&term_state, &expected, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed)) {
        errno = EBUSY;
        return -1;
    }
    int e = 0;
    term_worker_in = term_worker_out = term_devnull = -1;
    if (tcgetattr(in_fd, &term_saved) != 0)
        goto fail;
    term_worker_in = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
    term_worker_out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
    term_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (term_worker_in < 0 || term_worker_out < 0 || term_devnull < 0)
        goto fail;
    term_fd = in_fd;
    *worker_in = term_worker_in;
    *worker_out = term_worker_out;
    /* release: publishes the fields (see term_state). */
    atomic_store_explicit(&term_state, 2, memory_order_release);
    return 0;
fail:
    e = errno;
    console_io_close(term_worker_in);
    console_io_close(term_worker_out);
    console_io_close(term_devnull);
    term_worker_in = term_worker_out = term_devnull = -1;
    atomic_store_explicit(&term_state, 0, memory_order_release);
    errno = e;
    return -1;
}

void console_io_terminal_release(void)
{
    int expected = 2;
    /* acquire: see the fields stored before state 2 was published. */
    if (!atomic_compare_exchange_strong_explicit(&term_state, &expected, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        return;
    while (tcsetattr(term_fd, TCSADRAIN, &term_saved) != 0 && errno == EINTR)
        ;
    console_io_close(term_devnull);
    term_fd = term_worker_in = term_worker_out = term_devnull = -1;
    atomic_store_explicit(&term_state, 0, memory_order_release);
}

/* First cut the worker off (its private fds now lead to /dev/null: its
 * next tcsetattr fails, its reads see end of file, its writes vanish),
 * then put the settings back.  Without the cut, a worker that is between
 * two lines would switch the terminal to raw mode again right after us.
 * A call the worker already has in flight can still land after ours; no
 * signal-safe code can wait for it.  Every call here is
 * async-signal-safe; nothing changes state, so it may run more than once
 * and the worker's release may follow. */
void console_restore_terminal_emergency(void)
{
    if (atomic_load_explicit(&term_state, memory_order_acquire) != 2)
        return;
    int saved_errno = errno;
    (void)dup2(term_devnull, term_worker_in);
    (void)dup2(term_devnull, term_worker_out);
    (void)tcsetattr(term_fd, TCSANOW, &term_saved);
    errno = saved_errno;
}
