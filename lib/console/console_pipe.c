/*
 * console_pipe.c - the console worker for input that is not a terminal
 * (a pipe, a file), and for terminals when line editing is off or not
 * built in.
 *
 * One wait (console_pipe_io_wait) covers input, the wake-up and (while
 * output is pending) room for output, so console_stop's wake-up ends any
 * wait at once.  POSIX: one poll(); writes are at most one chunk (1 KiB,
 * under PIPE_BUF) after POLLOUT, so they do not block on pipes either.
 * Windows: the blocking ReadFile happens on a reader thread of
 * console_io_win32.c, and a write may block until the reader of our
 * output takes it (console_stop gives up after its timeout then).
 *
 * Lines: split on LF; a CR right before the LF is dropped (CRLF input).
 * A line longer than max_line keeps its first max_line bytes and counts
 * the rest (cut, cut_bytes); it is delivered when its end arrives.  At
 * end of input an unterminated last line is delivered, then EOF: all
 * through the one event queue, so EOF is never seen before a line read
 * ahead of it.  After EOF the worker keeps writing output until stopped
 * (a piped script's last replies come after its input ended).
 */
#include "config.h"
#include "console/console_impl.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_READ_SIZE 16384

typedef struct line_builder {
    char *buf;            /* max_line bytes */
    size_t len;
    uint64_t cut_bytes;
    bool pending_cr;      /* a CR was read; kept unless an LF follows */
    bool started;         /* at least one byte of this line was read */
} line_builder_t;

static void line_add(line_builder_t *lb, size_t max_line, char ch)
{
    if (lb->len < max_line)
        lb->buf[lb->len++] = ch;
    else
        lb->cut_bytes++;
}

/* Delivers the line built so far; false when the worker is stopping. */
static bool line_finish(console_t *c, line_builder_t *lb)
{
    bool ok = console_emit(c, CONSOLE_EVENT_LINE, lb->buf, lb->len,
                           lb->cut_bytes > 0, lb->cut_bytes, 0);
    lb->len = 0;
    lb->cut_bytes = 0;
    lb->pending_cr = false;
    lb->started = false;
    return ok;
}

/* Splits n bytes into lines.  False when the worker is stopping. */
static bool feed(console_t *c, line_builder_t *lb, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n') {
            lb->pending_cr = false;   /* CR LF: the CR goes */
            if (!line_finish(c, lb))
                return false;
            continue;
        }
        lb->started = true;
        if (lb->pending_cr) {
            lb->pending_cr = false;
            line_add(lb, c->max_line, '\r');
        }
        if (ch == '\r')
            lb->pending_cr = true;
        else
            line_add(lb, c->max_line, ch);
    }
    return true;
}

void *console_pipe_worker(void *arg)
{
    console_t *c = arg;
    line_builder_t lb = { 0 };
    char err[160] = "console: out of memory";
    lb.buf = malloc(c->max_line);
    char *in = malloc(PIPE_READ_SIZE);
    char *out = malloc(CONSOLE_OUTPUT_CHUNK);
    console_pipe_io_t *io = NULL;
    if (lb.buf != NULL && in != NULL && out != NULL)
        io = console_pipe_io_open(c, err, sizeof(err));
    if (io == NULL) {
        free(lb.buf);
        free(in);
        free(out);
        console_worker_ready(c, -1, err);
        return NULL;
    }
    console_worker_ready(c, 0, NULL);

    bool input_done = false;
    bool output_broken = false;   /* the output failed: output is discarded */
    size_t out_len = 0, out_off = 0;
    int64_t flush_deadline = PORT_DEADLINE_NEVER;

    for (;;) {
        /* Next piece of output: a queued chunk, else the drop notice. */
        while (out_off == out_len) {
            out_off = out_len = 0;
            if (console_output_next(c, out, &out_len)) {
                if (output_broken)
                    out_len = 0;
                continue;
            }
            uint64_t dropped = console_output_take_dropped(c);
            if (dropped > 0 && !output_broken)
                out_len = console_drop_notice(out, CONSOLE_OUTPUT_CHUNK, dropped);
            break;
        }
        bool have_out = out_off < out_len;

        bool stopping = console_worker_stopping();
        if (stopping) {
            if (flush_deadline == PORT_DEADLINE_NEVER)
                flush_deadline = port_deadline_after_ms(CONSOLE_FLUSH_AT_STOP_MS);
            if (!have_out || port_deadline_expired(flush_deadline))
                break;
        }

        int timeout = stopping ? (int)port_deadline_remaining_ms_ceil(flush_deadline) : -1;
        unsigned ready = console_pipe_io_wait(io, !input_done && !stopping, have_out, timeout);
        if (ready & CONSOLE_IO_WAKE)
            console_io_wake_drain(&c->wake);

        if ((ready & CONSOLE_IO_OUT) && have_out) {
            long n = console_pipe_io_write(io, out + out_off, out_len - out_off);
            if (n > 0) {
                out_off += (size_t)n;
            } else if (n == -1) {
                /* Nobody reads our output any more.  Keep taking it from
                 * the queue so console_write never backs up, but write
                 * nothing. */
                output_broken = true;
                out_off = out_len;
            }
        }

        if ((ready & CONSOLE_IO_IN) && !input_done && !stopping) {
            long n = console_pipe_io_read(io, in, PIPE_READ_SIZE, err, sizeof(err));
            if (n > 0) {
                (void)feed(c, &lb, in, (size_t)n);
            } else if (n == 0 || n == -1) {
                const char *why = n == -1 ? err : NULL;
                input_done = true;
                if (lb.started || lb.pending_cr) {
                    lb.pending_cr = false;   /* a lone CR at the very end ends the line */
                    (void)line_finish(c, &lb);
                }
                (void)console_emit(c, CONSOLE_EVENT_EOF, why, why ? strlen(why) : 0,
                                   false, 0, 0);
            }
        }
    }

    console_pipe_io_close(io);
    free(lb.buf);
    free(in);
    free(out);
    return NULL;
}
