/*
 * mcp_stdio_win32.c - the MCP transport's I/O on Windows (see
 * mcp_stdio.h).
 *
 * The protocol handles are whatever the client gave us as stdin and
 * stdout: an anonymous pipe, a named pipe opened without
 * FILE_FLAG_OVERLAPPED, a file, a console.  None of those can be relied on
 * for overlapped I/O, and a pipe cannot be waited on for "readable".  So
 * each worker makes plain blocking ReadFile / WriteFile calls, and the
 * main thread ends a blocked call with CancelSynchronousIo on the
 * worker's thread (the call then fails with ERROR_OPERATION_ABORTED).
 *
 * THE HANDSHAKE (blocking_call_t).  CancelSynchronousIo only cancels a
 * call the thread is already in; one issued a moment before the thread
 * enters ReadFile finds nothing (ERROR_NOT_FOUND) and the read would then
 * block.  So the worker stores in_call = true before the call and reads
 * `stop` after that store; the main thread stores stop = true and reads
 * in_call after that store.  Both sequentially consistent: at least one
 * side sees the other's store (a worker that saw no stop is seen in the
 * call).  While the worker is in_call, the main thread repeats
 * CancelSynchronousIo, 1 ms apart, until a cancel lands, the worker
 * leaves the call or MCP_CANCEL_WINDOW_MS pass; the repeat only happens
 * in that narrow window, at stop, never while the session runs.  The thread handle is made by the
 * worker itself before its first call (a plain store published by the
 * in_call store).
 *
 * CANCEL LIMITS.  Windows cancels a blocked ReadFile or WriteFile on
 * pipes and consoles.  wine does not when the handle is a host (Unix)
 * pipe - a driver under wine started by a Linux program - and says
 * ERROR_NOT_FOUND: then the worker stays blocked, the transport's join
 * times out and detaches it (logged), and the process exit ends it.
 *
 * WRITES.  A WriteFile to a pipe blocks until the client has read the
 * bytes; a client that stops reading blocks the writer there.  At stop
 * the transport gives the writer its drain time, then abort_writer
 * cancels the blocked write the same way.
 *
 * END OF INPUT.  A pipe's writer that closed its end: ERROR_BROKEN_PIPE.
 * A file at its end (or a console at Ctrl+Z): a read of zero bytes.  A
 * read of zero bytes is the end on a pipe too, as read(2) says on POSIX:
 * wine reports a closed Unix pipe that way, and skipping such reads would
 * spin (on Windows only a client's zero-byte write gives one, which no
 * client has a reason to make).  Writing to a pipe whose reader is gone
 * fails with ERROR_NO_DATA, ERROR_BROKEN_PIPE or ERROR_PIPE_NOT_CONNECTED:
 * the client went away.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_stdio.h"

#include "port/port_clock.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes per WriteFile: a bounded piece, so a cancelled write loses little. */
#define MCP_WRITE_CHUNK 65536

/* How long stop keeps trying to cancel a call the worker is entering, ms:
 * the window is a few instructions wide, so this is only reached where
 * the call cannot be cancelled at all (see CANCEL LIMITS). */
#define MCP_CANCEL_WINDOW_MS 50

/* One worker's blocking calls, as seen by the thread that stops them. */
typedef struct blocking_call {
    atomic_bool stop;           /* main: set once; worker: checked around calls */
    atomic_bool in_call;        /* worker: true around ReadFile/WriteFile */
    HANDLE thread;              /* the worker's own thread; set by it before
                                   its first call, read by main only after
                                   seeing in_call */
} blocking_call_t;

struct mcp_stdio {
    int in_fd, out_fd;          /* C runtime fds (closed by close) */
    HANDLE in, out;             /* their OS handles (owned by the fds) */
    const atomic_int_least64_t *drain_deadline;
    HANDLE writer_wake;         /* auto-reset event: wake_writer sets it */
    blocking_call_t reader, writer;
};

/* ============================================================ helpers */

static void describe_error(DWORD e, const char *what, char *why, size_t why_size)
{
    char msg[160];
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, e, 0, msg, sizeof msg, NULL);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (n == 0)
        snprintf(msg, sizeof msg, "system error");
    snprintf(why, why_size, "%s%s (Windows error %lu)", what, msg, (unsigned long)e);
}

/* Worker: about to make a blocking call.  False when stopped (no call). */
static bool call_enter(blocking_call_t *c)
{
    if (c->thread == NULL &&
        !DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                         &c->thread, 0, FALSE, DUPLICATE_SAME_ACCESS))
        c->thread = NULL;       /* no handle: stop cannot cancel, only wait */
    atomic_store(&c->in_call, true);            /* seq_cst: see the top */
    if (atomic_load(&c->stop)) {
        atomic_store(&c->in_call, false);
        return false;
    }
    return true;
}

static void call_leave(blocking_call_t *c)
{
    atomic_store(&c->in_call, false);
}

static bool call_stopped(blocking_call_t *c)
{
    return atomic_load(&c->stop);
}

/* Main thread: stops the worker's blocking calls (see THE HANDSHAKE). */
static void call_stop(blocking_call_t *c)
{
    atomic_store(&c->stop, true);               /* seq_cst: see the top */
    int64_t give_up = port_clock_now_ms() + MCP_CANCEL_WINDOW_MS;
    while (atomic_load(&c->in_call) && port_clock_now_ms() < give_up) {
        if (c->thread != NULL && CancelSynchronousIo(c->thread))
            return;             /* the call ends with ERROR_OPERATION_ABORTED */
        Sleep(1);               /* not in the system call yet: try again */
    }
}

/* ============================================================ open/close */

mcp_stdio_t *mcp_stdio_open(int in_fd, int out_fd,
                            const atomic_int_least64_t *drain_deadline)
{
    HANDLE in = (HANDLE)_get_osfhandle(in_fd);
    HANDLE out = (HANDLE)_get_osfhandle(out_fd);
    if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return NULL;
    }
    mcp_stdio_t *io = calloc(1, sizeof *io);
    if (io == NULL)
        return NULL;
    io->in_fd = in_fd;
    io->out_fd = out_fd;
    io->in = in;
    io->out = out;
    io->drain_deadline = drain_deadline;
    atomic_init(&io->reader.stop, false);
    atomic_init(&io->reader.in_call, false);
    atomic_init(&io->writer.stop, false);
    atomic_init(&io->writer.in_call, false);
    io->writer_wake = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (io->writer_wake == NULL) {
        free(io);
        errno = ENOMEM;
        return NULL;
    }
    return io;
}

void mcp_stdio_close(mcp_stdio_t *io, bool close_fds)
{
    if (io == NULL)
        return;
    CloseHandle(io->writer_wake);
    if (io->reader.thread != NULL)
        CloseHandle(io->reader.thread);
    if (io->writer.thread != NULL)
        CloseHandle(io->writer.thread);
    if (close_fds) {
        if (io->in_fd >= 0)
            _close(io->in_fd);
        if (io->out_fd >= 0)
            _close(io->out_fd);
    }
    free(io);
}

/* ================================================================ reader */

mcp_io_status_t mcp_stdio_read(mcp_stdio_t *io, char *buf, size_t cap,
                               size_t *got, char *why, size_t why_size)
{
    DWORD want = cap > (1u << 30) ? (1u << 30) : (DWORD)cap;
    for (;;) {
        if (!call_enter(&io->reader))
            return MCP_IO_STOPPED;
        DWORD n = 0;
        BOOL ok = ReadFile(io->in, buf, want, &n, NULL);
        DWORD e = ok ? 0 : GetLastError();
        call_leave(&io->reader);
        if (call_stopped(&io->reader))
            return MCP_IO_STOPPED;      /* asked to stop: no EOF to report */
        if (ok && n > 0) {
            *got = n;
            return MCP_IO_OK;
        }
        if (ok || e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF ||
            e == ERROR_PIPE_NOT_CONNECTED)
            return MCP_IO_EOF;
        if (e == ERROR_OPERATION_ABORTED)
            continue;                   /* cancelled, but not by stop */
        describe_error(e, "read error on the input: ", why, why_size);
        return MCP_IO_FAILED;
    }
}

void mcp_stdio_stop_reader(mcp_stdio_t *io)
{
    call_stop(&io->reader);
}

/* ================================================================ writer */

static bool drain_expired(const mcp_stdio_t *io)
{
    /* acquire: pairs with the transport's release store before the wake */
    return port_deadline_expired(atomic_load_explicit(io->drain_deadline,
                                                      memory_order_acquire));
}

mcp_io_status_t mcp_stdio_write(mcp_stdio_t *io, const char *buf, size_t len,
                                char *why, size_t why_size)
{
    while (len > 0) {
        if (drain_expired(io) || !call_enter(&io->writer))
            return MCP_IO_ABANDONED;
        DWORD n = len < MCP_WRITE_CHUNK ? (DWORD)len : MCP_WRITE_CHUNK;
        DWORD w = 0;
        BOOL ok = WriteFile(io->out, buf, n, &w, NULL);
        DWORD e = ok ? 0 : GetLastError();
        call_leave(&io->writer);
        if (call_stopped(&io->writer))
            return MCP_IO_ABANDONED;
        if (!ok) {
            if (e == ERROR_NO_DATA || e == ERROR_BROKEN_PIPE ||
                e == ERROR_PIPE_NOT_CONNECTED)
                return MCP_IO_CLOSED;
            if (e == ERROR_OPERATION_ABORTED)
                continue;               /* cancelled, but not by abort */
            describe_error(e, "", why, why_size);
            return MCP_IO_FAILED;
        }
        buf += w;
        len -= w;
    }
    return MCP_IO_OK;
}

void mcp_stdio_sleep(mcp_stdio_t *io, int timeout_ms)
{
    WaitForSingleObject(io->writer_wake, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
}

void mcp_stdio_wake_writer(mcp_stdio_t *io)
{
    SetEvent(io->writer_wake);
}

void mcp_stdio_abort_writer(mcp_stdio_t *io)
{
    call_stop(&io->writer);
}

/* ============================================================= start-up */

/*
** Private, non-inheritable duplicates of stdin and stdout for the
** protocol; then fd 1 and STD_OUTPUT_HANDLE become stderr (a stray printf
** or a library writing to GetStdHandle lands in the log stream, never in
** the protocol) and fd 0 and STD_INPUT_HANDLE the NUL device (no child
** can read protocol bytes).  Binary mode: the protocol fds are used
** through their handles, but a CRT read or write must not translate
** line ends either.
*/
int mcp_stdio_claim(int *in_fd, int *out_fd)
{
    fflush(stdout);
    int in = _dup(0);
    if (in < 0)
        return -1;
    int out = _dup(1);
    if (out < 0) {
        int e = errno;
        _close(in);
        errno = e;
        return -1;
    }
    SetHandleInformation((HANDLE)_get_osfhandle(in), HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation((HANDLE)_get_osfhandle(out), HANDLE_FLAG_INHERIT, 0);
    _setmode(in, _O_BINARY);
    _setmode(out, _O_BINARY);

    int nul = _open("NUL", _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    if (nul < 0 || _dup2(2, 1) != 0 || _dup2(nul, 0) != 0) {
        int e = errno;
        _dup2(out, 1);          /* put stdout back if it was moved */
        SetStdHandle(STD_OUTPUT_HANDLE, (HANDLE)_get_osfhandle(1));
        if (nul >= 0)
            _close(nul);
        _close(in);
        _close(out);
        errno = e;
        return -1;
    }
    _close(nul);
    SetStdHandle(STD_OUTPUT_HANDLE, (HANDLE)_get_osfhandle(1));
    SetStdHandle(STD_INPUT_HANDLE, (HANDLE)_get_osfhandle(0));
    *in_fd = in;
    *out_fd = out;
    return 0;
}
