/*
 * mcp_stdio_posix.c - the MCP transport's I/O on POSIX (see mcp_stdio.h).
 *
 * WAKING A WORKER.  Both workers sleep in poll(2) on their fd plus the
 * read end of a private wake pipe; stop_reader and wake_writer write one
 * byte to it.  So a reader blocked on a silent client, or a writer blocked
 * on a client that stopped reading, still ends within the stop deadline,
 * and no fd is ever closed under a thread using it.  The writer only
 * writes after poll reported POLLOUT, and at most PIPE_BUF bytes at a
 * time: POSIX guarantees such a write to a pipe with room does not block.
 * The reader's wake byte is never read: once stopped it stays stopped.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_stdio.h"

#include "port/port_clock.h"
#include "port/port_fd_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PIPE_BUF
#define PIPE_BUF 512
#endif

struct mcp_stdio {
    int in_fd;
    int out_fd;
    const atomic_int_least64_t *drain_deadline;
    int reader_wake[2];          /* [0] polled by the reader, [1] rung by stop */
    int writer_wake[2];
};


static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0)
            close(p[i]);
        p[i] = -1;
    }
}

static void ring(int fd)
{
    unsigned char b = 1;
    ssize_t rc;
    do {
        rc = write(fd, &b, 1);      /* EAGAIN: already rung, enough */
    } while (rc < 0 && errno == EINTR);
}

static void drain_wake(int fd)
{
    unsigned char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

mcp_stdio_t *mcp_stdio_open(int in_fd, int out_fd,
                            const atomic_int_least64_t *drain_deadline)
{
    mcp_stdio_t *io = calloc(1, sizeof *io);
    if (io == NULL)
        return NULL;
    io->in_fd = in_fd;
    io->out_fd = out_fd;
    io->drain_deadline = drain_deadline;
    io->reader_wake[0] = io->reader_wake[1] = -1;
    io->writer_wake[0] = io->writer_wake[1] = -1;
    if (port_fd_pipe_nonblock_cloexec(io->reader_wake) != 0 ||
        port_fd_pipe_nonblock_cloexec(io->writer_wake) != 0) {
        int e = errno;
        close_pair(io->reader_wake);
        free(io);
        errno = e;
        return NULL;
    }
    return io;
}

void mcp_stdio_close(mcp_stdio_t *io, bool close_fds)
{
    if (io == NULL)
        return;
    close_pair(io->reader_wake);
    close_pair(io->writer_wake);
    if (close_fds) {
        if (io->in_fd >= 0)
            close(io->in_fd);
        if (io->out_fd >= 0)
            close(io->out_fd);
    }
    free(io);
}

/* ================================================================ reader */

mcp_io_status_t mcp_stdio_read(mcp_stdio_t *io, char *buf, size_t cap,
                               size_t *got, char *why, size_t why_size)
{
    for (;;) {
        struct pollfd pfd[2] = {
            { .fd = io->in_fd, .events = POLLIN },
            { .fd = io->reader_wake[0], .events = POLLIN },
        };
        int rc = poll(pfd, 2, -1);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, why_size, "poll on the input failed: %s", strerror(errno));
            return MCP_IO_FAILED;
        }
        if (pfd[1].revents != 0)
            return MCP_IO_STOPPED;      /* asked to stop: no EOF to report */
        if (pfd[0].revents == 0)
            continue;
        ssize_t n = read(io->in_fd, buf, cap);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(why, why_size, "read error on the input: %s", strerror(errno));
            return MCP_IO_FAILED;
        }
        if (n == 0)
            return MCP_IO_EOF;
        *got = (size_t)n;
        return MCP_IO_OK;
    }
}

void mcp_stdio_stop_reader(mcp_stdio_t *io)
{
    ring(io->reader_wake[1]);
}

/* ================================================================ writer */

/* Milliseconds poll may sleep before the drain deadline (-1: none). */
static int poll_timeout(int64_t deadline)
{
    int64_t left = port_deadline_remaining_ms_ceil(deadline);
    return left > INT_MAX ? INT_MAX : (int)left;
}

static int64_t drain_deadline(const mcp_stdio_t *io)
{
    /* acquire: pairs with the transport's release store before it rings */
    return atomic_load_explicit(io->drain_deadline, memory_order_acquire);
}

/*
** Poll for POLLOUT (and the wake pipe), then write at most PIPE_BUF
** bytes.  Gives up when the drain deadline passes.
*/
mcp_io_status_t mcp_stdio_write(mcp_stdio_t *io, const char *buf, size_t len,
                                char *why, size_t why_size)
{
    while (len > 0) {
        struct pollfd pfd[2] = {
            { .fd = io->out_fd, .events = POLLOUT },
            { .fd = io->writer_wake[0], .events = POLLIN },
        };
        int rc = poll(pfd, 2, poll_timeout(drain_deadline(io)));
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, why_size, "%s", strerror(errno));
            return MCP_IO_FAILED;
        }
        if (pfd[1].revents != 0)
            drain_wake(io->writer_wake[0]);
        if (port_deadline_expired(drain_deadline(io)))
            return MCP_IO_ABANDONED;
        if (pfd[0].revents & (POLLERR | POLLNVAL))
            return MCP_IO_CLOSED;
        if (!(pfd[0].revents & (POLLOUT | POLLHUP)))
            continue;
        size_t n = len < PIPE_BUF ? len : PIPE_BUF;
        ssize_t w = write(io->out_fd, buf, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EPIPE)
                return MCP_IO_CLOSED;
            snprintf(why, why_size, "%s", strerror(errno));
            return MCP_IO_FAILED;
        }
        buf += w;
        len -= (size_t)w;
    }
    return MCP_IO_OK;
}

void mcp_stdio_sleep(mcp_stdio_t *io, int timeout_ms)
{
    struct pollfd pfd = { .fd = io->writer_wake[0], .events = POLLIN };
    if (poll(&pfd, 1, timeout_ms) > 0)
        drain_wake(io->writer_wake[0]);
}

void mcp_stdio_wake_writer(mcp_stdio_t *io)
{
    ring(io->writer_wake[1]);
}

void mcp_stdio_abort_writer(mcp_stdio_t *io)
{
    (void)io;       /* poll's timeout already ends a write at the deadline */
}

/* ============================================================= start-up */

int mcp_stdio_claim(int *in_fd, int *out_fd)
{
    fflush(stdout);
    int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    if (in < 0)
        return -1;
    int out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
        dup2(devnull, STDIN_FILENO) < 0) {
        int e = errno;
        /* Put stdout back if it was moved: nothing changed for the caller. */
        dup2(out, STDOUT_FILENO);
        if (devnull >= 0)
            close(devnull);
        close(in);
        close(out);
        errno = e;
        return -1;
    }
    close(devnull);
    *in_fd = in;
    *out_fd = out;
    return 0;
}
