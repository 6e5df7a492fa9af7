/*
 * console_io_win32.c - what the console needs from Windows: the wake-up
 * event, pipe mode's reader thread, the console's modes (claimed,
 * released, rescued) and UTF-8 output through WriteConsoleW.
 *
 * Pipe mode input.  An anonymous pipe cannot be waited for and a
 * synchronous ReadFile on it cannot be interrupted reliably, so the
 * blocking ReadFile runs on a reader thread of its own, one buffer at a
 * time: the reader fills `buf`, sets `data_ready`, and reads again only
 * after the worker took the bytes and set `space`.  The worker waits for
 * data_ready and the wake-up together (WaitForMultipleObjects), so it
 * never busy-waits and console_stop's wake-up ends its wait at once.
 *
 * Stopping the reader: it is either parked on `space` (then `stop` +
 * SetEvent(space) ends it) or inside ReadFile.  There CancelSynchronousIo
 * ends the read on Windows (Vista and later, pipes, files and consoles).
 * Wine 8 does not implement it for pipes: a reader that has not ended
 * within READER_STOP_MS is detached instead.  It owns a reference to the
 * reader record (refs), so the record outlives the console, and it ends
 * by itself when the read returns (input, end of input or error).  No
 * byte it reads then is delivered anywhere.
 *
 * Pipe mode output: WriteFile, or WriteConsoleW when the output is a
 * console (stdin piped into a program in a console window), so UTF-8
 * shows correctly there too.  Writes block; console_stop gives up on a
 * worker stuck in one after its timeout (console.h).
 *
 * The console's saved modes live in static storage, not in the console
 * record, because console_restore_terminal_emergency() must find them
 * from any thread at any time.
 */
#include "config.h"
#include "console/console_io_win32.h"
#include "port/port_thread.h"

#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READER_BUF_SIZE 16384
/* How long console_pipe_io_close waits for a reader inside ReadFile
 * after cancelling it, in rounds of READER_STOP_ROUND_MS (the reader may
 * not have entered ReadFile yet when a cancel is issued). */
#define READER_STOP_MS 200
#define READER_STOP_ROUND_MS 20

HANDLE console_io_handle(int fd)
{
    return (HANDLE)_get_osfhandle(fd);
}

/* ---- wake-up --------------------------------------------------------------- */

int console_io_wake_open(console_wake_t *wake)
{
    /* Manual reset: it stays set until the worker drains it, whichever
     * other handle ended the worker's wait. */
    wake->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (wake->event == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void console_io_wake_ring(console_wake_t *wake)
{
    SetEvent(wake->event);
}

void console_io_wake_drain(console_wake_t *wake)
{
    ResetEvent(wake->event);
}

void console_io_wake_close(console_wake_t *wake)
{
    if (wake->event != NULL)
        CloseHandle(wake->event);
    wake->event = NULL;
}

static bool handle_is_set(HANDLE h)
{
    return WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
}

static DWORD wait_timeout(int timeout_ms)
{
    return timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
}

unsigned console_io_wait_console(HANDLE in, console_wake_t *wake, int timeout_ms)
{
    HANDLE hs[2] = { wake->event, in };
    DWORD n = in != NULL ? 2 : 1;
    DWORD r = WaitForMultipleObjects(n, hs, FALSE, wait_timeout(timeout_ms));
    if (r == WAIT_TIMEOUT || r == WAIT_FAILED)
        return 0;
    unsigned bits = 0;
    if (handle_is_set(wake->event))
        bits |= CONSOLE_IO_WAKE;
    if (n == 2 && handle_is_set(in))
        bits |= CONSOLE_IO_IN;
    return bits;
}

bool console_io_wake_wait(console_wake_t *wake)
{
    return (console_io_wait_console(NULL, wake, -1) & CONSOLE_IO_WAKE) != 0;
}

bool console_io_is_terminal(int fd)
{
    DWORD mode;
    HANDLE h = console_io_handle(fd);
    return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) != 0;
}

/* ---- UTF-8 to the console ------------------------------------------------------ */

bool console_io_console_write_utf8(HANDLE out, const char *s, size_t len)
{
    while (len > 0) {
        /* Pieces of at most 8 KiB, cut before a UTF-8 continuation byte
         * so no character is split. */
        size_t n = len < 8192 ? len : 8192;
        while (n < len && n > 1 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        WCHAR w[8192];
        int wn = MultiByteToWideChar(CP_UTF8, 0, s, (int)n, w, 8192);
        if (wn <= 0)
            return false;
        const WCHAR *p = w;
        while (wn > 0) {
            DWORD done = 0;
            if (!WriteConsoleW(out, p, (DWORD)wn, &done, NULL) || done == 0)
                return false;
            p += done;
            wn -= (int)done;
        }
        s += n;
        len -= n;
    }
    return true;
}

int console_io_console_columns(HANDLE out)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(out, &info) || info.dwSize.X <= 0)
        return 0;
    return info.dwSize.X;
}

/* ---- pipe mode ------------------------------------------------------------------ */

/* Shared by the worker and the reader thread; freed by whichever drops
 * the last reference. */
typedef struct pipe_reader {
    atomic_int refs;
    HANDLE in;                  /* not owned: the caller's in_fd */
    HANDLE data_ready;          /* manual reset; reader sets, worker resets */
    HANDLE space;               /* auto reset; worker sets: read again / stop */
    atomic_bool stop;
    port_thread_t thread;
    /* Written by the reader before it sets data_ready, read by the
     * worker after it saw data_ready set (the event orders them). */
    DWORD len;
    DWORD error;                /* 0, or the ReadFile error */
    bool eof;
    char buf[READER_BUF_SIZE];
} pipe_reader_t;

struct console_pipe_io {
    console_wake_t *wake;
    HANDLE out;
    bool out_console;           /* WriteConsoleW instead of WriteFile */
    char carry[4];              /* console output: an unfinished UTF-8 character */
    size_t carry_len;
    pipe_reader_t *reader;
    bool reader_done;           /* it delivered end of input or an error */
};

static void reader_release(pipe_reader_t *r)
{
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    CloseHandle(r->data_ready);
    CloseHandle(r->space);
    free(r);
}

static void *reader_main(void *arg)
{
    pipe_reader_t *r = arg;
    for (;;) {
        WaitForSingleObject(r->space, INFINITE);
        if (atomic_load_explicit(&r->stop, memory_order_acquire))
            break;
        DWORD got = 0;
        BOOL ok = ReadFile(r->in, r->buf, sizeof(r->buf), &got, NULL);
        DWORD e = ok ? 0 : GetLastError();
        if (atomic_load_explicit(&r->stop, memory_order_acquire))
            break;   /* cancelled, or the console went away meanwhile */
        r->len = ok ? got : 0;
        if (!ok && e != ERROR_BROKEN_PIPE && e != ERROR_HANDLE_EOF)
            r->error = e;
        /* Success with no bytes: end of a file (or Ctrl-Z on a console). */
        r->eof = !ok || got == 0;
        SetEvent(r->data_ready);
        if (r->eof)
            break;
    }
    reader_release(r);
    return NULL;
}

console_pipe_io_t *console_pipe_io_open(console_t *c, char *err, size_t err_size)
{
    console_pipe_io_t *io = calloc(1, sizeof(*io));
    pipe_reader_t *r = calloc(1, sizeof(*r));
    if (io == NULL || r == NULL) {
        free(io);
        free(r);
        snprintf(err, err_size, "console: out of memory");
        return NULL;
    }
    io->wake = &c->wake;
    io->out = console_io_handle(c->out_fd);
    DWORD mode;
    io->out_console = GetConsoleMode(io->out, &mode) != 0;
    r->in = console_io_handle(c->in_fd);
    r->data_ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    r->space = CreateEventW(NULL, FALSE, TRUE, NULL);   /* may read at once */
    atomic_init(&r->refs, 2);
    atomic_init(&r->stop, false);
    if (r->data_ready == NULL || r->space == NULL ||
        port_thread_create(&r->thread, reader_main, r, 0) != 0) {
        if (r->data_ready != NULL)
            CloseHandle(r->data_ready);
        if (r->space != NULL)
            CloseHandle(r->space);
        free(r);
        free(io);
        snprintf(err, err_size, "console: cannot start the input reader thread");
        return NULL;
    }
    io->reader = r;
    return io;
}

unsigned console_pipe_io_wait(console_pipe_io_t *io, bool want_in, bool want_out,
                              int timeout_ms)
{
    HANDLE hs[2] = { io->wake->event, io->reader->data_ready };
    DWORD n = (want_in && !io->reader_done) ? 2 : 1;
    /* Output is written with blocking calls: it is always "ready". */
    DWORD r = WaitForMultipleObjects(n, hs, FALSE, want_out ? 0 : wait_timeout(timeout_ms));
    unsigned bits = want_out ? CONSOLE_IO_OUT : 0;
    if (r == WAIT_FAILED)
        return bits;
    if (handle_is_set(hs[0]))
        bits |= CONSOLE_IO_WAKE;
    if (n == 2 && handle_is_set(hs[1]))
        bits |= CONSOLE_IO_IN;
    return bits;
}

long console_pipe_io_read(console_pipe_io_t *io, char *buf, size_t size,
                          char *msg, size_t msg_size)
{
    pipe_reader_t *r = io->reader;
    if (io->reader_done || !handle_is_set(r->data_ready))
        return CONSOLE_IO_AGAIN;
    /* data_ready was set after the reader wrote len/error/eof. */
    DWORD len = r->len < size ? r->len : (DWORD)size;
    memcpy(buf, r->buf, len);
    bool eof = r->eof;
    DWORD e = r->error;
    ResetEvent(r->data_ready);
    if (eof) {
        io->reader_done = true;   /* the reader has ended or is ending */
        if (len > 0)
            return (long)len;     /* cannot happen: EOF comes with no bytes */
        if (e != 0) {
            snprintf(msg, msg_size, "console: read: Windows error %lu", (unsigned long)e);
            return -1;
        }
        return 0;
    }
    SetEvent(r->space);
    return (long)len;
}

/* Console output: whole UTF-8 characters only; a character cut at the
 * end of a chunk waits in `carry` for its other bytes. */
static long write_console_text(console_pipe_io_t *io, const char *buf, size_t len)
{
    char tmp[CONSOLE_OUTPUT_CHUNK + sizeof(io->carry)];
    size_t n = io->carry_len;
    memcpy(tmp, io->carry, n);
    size_t take = len < CONSOLE_OUTPUT_CHUNK ? len : CONSOLE_OUTPUT_CHUNK;
    memcpy(tmp + n, buf, take);
    n += take;
    /* Find where the last character starts and whether it is complete. */
    size_t start = n;
    while (start > 0 && n - start < 4 && ((unsigned char)tmp[start - 1] & 0xC0) == 0x80)
        start--;
    size_t keep = 0;
    if (start > 0) {
        unsigned char lead = (unsigned char)tmp[start - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        size_t have = n - (start - 1);
        if (need > have && need <= 4)
            keep = have;
    }
    if (!console_io_console_write_utf8(io->out, tmp, n - keep))
        return -1;
    memcpy(io->carry, tmp + n - keep, keep);
    io->carry_len = keep;
    return (long)take;
}

long console_pipe_io_write(console_pipe_io_t *io, const char *buf, size_t len)
{
    if (io->out_console)
        return write_console_text(io, buf, len);
    DWORD done = 0;
    if (!WriteFile(io->out, buf, (DWORD)len, &done, NULL))
        return -1;   /* ERROR_NO_DATA / BROKEN_PIPE: nobody reads it */
    return done > 0 ? (long)done : CONSOLE_IO_AGAIN;
}

void console_pipe_io_close(console_pipe_io_t *io)
{
    pipe_reader_t *r = io->reader;
    /* release: the reader that sees stop also sees everything before. */
    atomic_store_explicit(&r->stop, true, memory_order_release);
    SetEvent(r->space);
    bool ended = WaitForSingleObject(r->thread.handle, 0) == WAIT_OBJECT_0;
    for (int waited = 0; !ended && waited < READER_STOP_MS; waited += READER_STOP_ROUND_MS) {
        CancelSynchronousIo(r->thread.handle);
        ended = WaitForSingleObject(r->thread.handle, READER_STOP_ROUND_MS) == WAIT_OBJECT_0;
    }
    if (ended)
        port_thread_join(&r->thread, NULL);
    else
        port_thread_detach(&r->thread);   /* it frees its record when its read returns */
    reader_release(r);
    free(io);
}

/* ---- the console: claimed, released, rescued ----------------------------------- */

/* 0: no console is claimed; 1: being claimed or released (by the worker,
 * one thread); 2: the fields below are valid.  The worker writes them,
 * then stores 2 with release; a reader that loads 2 with acquire sees
 * them complete. */
static atomic_int con_state;
static HANDLE con_in;
static HANDLE con_out;
static DWORD con_in_mode;     /* modes before the console took over */
static DWORD con_out_mode;

int console_io_console_claim(HANDLE in, HANDLE out, char *err, size_t err_size)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&con_state, &expected, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed)) {
        snprintf(err, err_size, "console: another console owns the terminal");
        return -1;
    }
    DWORD in_mode, out_mode;
    if (!GetConsoleMode(in, &in_mode) || !GetConsoleMode(out, &out_mode)) {
        snprintf(err, err_size, "console: cannot take over the terminal");
        goto fail;
    }
    /* Key events, one by one: no line input, no echo, Ctrl-C a key (not
     * a CTRL_C_EVENT for the process), no mouse, no VT input (we read
     * virtual key codes).  Window size changes come as events too. */
    DWORD raw_in = in_mode & ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT |
                                      ENABLE_PROCESSED_INPUT | ENABLE_MOUSE_INPUT |
                                      ENABLE_VIRTUAL_TERMINAL_INPUT);
    raw_in |= ENABLE_WINDOW_INPUT;
    DWORD vt_out = out_mode | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING;
    if (!SetConsoleMode(in, raw_in)) {
        snprintf(err, err_size, "console: cannot take over the terminal");
        goto fail;
    }
    if (!SetConsoleMode(out, vt_out)) {
        SetConsoleMode(in, in_mode);
        snprintf(err, err_size,
                 "console: the console does not take VT sequences (Windows 10 or later needed)");
        goto fail;
    }
    con_in = in;
    con_out = out;
    con_in_mode = in_mode;
    con_out_mode = out_mode;
    /* release: publishes the fields (see con_state). */
    atomic_store_explicit(&con_state, 2, memory_order_release);
    return 0;
fail:
    atomic_store_explicit(&con_state, 0, memory_order_release);
    return -1;
}

void console_io_console_release(void)
{
    int expected = 2;
    if (!atomic_compare_exchange_strong_explicit(&con_state, &expected, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        return;
    SetConsoleMode(con_in, con_in_mode);
    SetConsoleMode(con_out, con_out_mode);
    con_in = con_out = NULL;
    atomic_store_explicit(&con_state, 0, memory_order_release);
}

/* The worker sets the modes only when it claims and releases the
 * console, never in between, so putting them back is enough: it cannot
 * switch the console to raw mode again behind us.  Any thread (a console
 * control handler runs on a thread of its own), any time. */
void console_restore_terminal_emergency(void)
{
    if (atomic_load_explicit(&con_state, memory_order_acquire) != 2)
        return;
    SetConsoleMode(con_in, con_in_mode);
    SetConsoleMode(con_out, con_out_mode);
}
