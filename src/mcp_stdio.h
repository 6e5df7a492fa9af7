/*
 * mcp_stdio.h - the operating system's side of the MCP stdio transport
 * (internal to mcp_transport.c): blocking reads and writes on the
 * protocol fds that another thread can interrupt.
 *
 * mcp_stdio_posix.c: poll(2) on the fd and a private wake pipe; writes of
 * at most PIPE_BUF bytes after POLLOUT, so a write never blocks.
 * mcp_stdio_win32.c: plain ReadFile / WriteFile on the handles behind the
 * C runtime fds (stdin and stdout may be pipes, files or a console, which
 * cannot all do overlapped I/O); a blocked call is ended from the other
 * thread with CancelSynchronousIo.
 *
 * THREADS.  mcp_stdio_read: the reader worker only.  mcp_stdio_write and
 * mcp_stdio_sleep: the writer worker only.  stop_reader, wake_writer and
 * abort_writer: the main thread, while the workers run.  open, close and
 * claim: the main thread, with no worker running.
 */
#ifndef NEOLITH_MCP_STDIO_H
#define NEOLITH_MCP_STDIO_H

#include "port/port_atomic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mcp_stdio mcp_stdio_t;

typedef enum mcp_io_status {
    MCP_IO_OK,              /* bytes moved */
    MCP_IO_EOF,             /* read: end of input */
    MCP_IO_STOPPED,         /* read: stop_reader was called */
    MCP_IO_ABANDONED,       /* write: the drain deadline passed, or abort_writer */
    MCP_IO_CLOSED,          /* write: the client closed its end (EPIPE,
                               ERROR_NO_DATA, ERROR_BROKEN_PIPE,
                               ERROR_PIPE_NOT_CONNECTED) */
    MCP_IO_FAILED           /* another error; the text says which */
} mcp_io_status_t;

/* Wraps the two fds (C runtime fds on Windows).  drain_deadline is the
 * transport's: PORT_DEADLINE_NEVER until stop stores the port_clock
 * deadline by which the writer must give up (release store, then
 * wake_writer).
 * NULL with errno set when it cannot; the fds stay the caller's. */
mcp_stdio_t *mcp_stdio_open(int in_fd, int out_fd,
                            const atomic_int_least64_t *drain_deadline);

/* Frees it; closes the two fds when close_fds. */
void mcp_stdio_close(mcp_stdio_t *io, bool close_fds);

/* Reads what is there (at most cap bytes, at least one), waiting for it.
 * OK with *got; EOF; STOPPED; FAILED with why. */
mcp_io_status_t mcp_stdio_read(mcp_stdio_t *io, char *buf, size_t cap,
                               size_t *got, char *why, size_t why_size);

/* Main thread: ends a read in progress and every later one (STOPPED). */
void mcp_stdio_stop_reader(mcp_stdio_t *io);

/* Writes all of buf, waiting for room; gives up at the drain deadline.
 * OK; ABANDONED; CLOSED; FAILED with why. */
mcp_io_status_t mcp_stdio_write(mcp_stdio_t *io, const char *buf, size_t len,
                                char *why, size_t why_size);

/* Sleeps up to timeout_ms (-1: no limit) or until wake_writer. */
void mcp_stdio_sleep(mcp_stdio_t *io, int timeout_ms);

/* Main thread: wakes the writer out of mcp_stdio_sleep and out of a wait
 * for room, so it looks at the drain deadline and its queue again. */
void mcp_stdio_wake_writer(mcp_stdio_t *io);

/* Main thread, when the writer missed the drain deadline: ends a write
 * blocked in the system and makes every later one ABANDONED.  Where
 * writes never block past the deadline (POSIX) it does nothing. */
void mcp_stdio_abort_writer(mcp_stdio_t *io);

/* See mcp_transport_claim_stdio. */
int mcp_stdio_claim(int *in_fd, int *out_fd);

#endif /* NEOLITH_MCP_STDIO_H */
