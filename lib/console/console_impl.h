/*
 * console_impl.h - INTERNAL to lib/console: the console record and what
 * the shared code (console.c, console_redraw.c), the workers
 * (console_pipe.c, console_unix.c, console_win32.c) and the OS layer
 * (console_io_posix.c, console_io_win32.c) give each other.
 *
 * Threads: fields are immutable after console_start unless a comment
 * says who owns them.  "main" is the thread that owns the console (the
 * caller of console.h); "worker" is the console's worker thread.
 */
#ifndef CONSOLE_IMPL_H
#define CONSOLE_IMPL_H

#include "console/console.h"
#include "async/async_queue.h"
#include "async/async_worker.h"
#include "port/port_atomic.h"
#include "port/port_sync.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wake-up the main thread rings after every change meant for the
 * worker: a non-blocking pipe on POSIX (polled with the terminal), a
 * manual-reset event on Windows (waited for with the console handle). */
#ifdef _WIN32
typedef struct console_wake { void *event; } console_wake_t;   /* HANDLE */
#else
typedef struct console_wake { int rd, wr; } console_wake_t;
#endif

/* Output travels in chunks of at most this many bytes (one queue slot). */
#define CONSOLE_OUTPUT_CHUNK 1024
/* Events (lines) queued for the main thread before the worker waits. */
#define CONSOLE_EVENT_CAPACITY 64
/* Largest completion answer, candidates included (console.h says 16 KiB). */
#define CONSOLE_REPLY_MAX (16 * 1024)
/* How long console_stop waits for the worker. */
#define CONSOLE_STOP_TIMEOUT_MS 5000
/* How long a stopping worker keeps trying to write queued output. */
#define CONSOLE_FLUSH_AT_STOP_MS 2000

/* One queued event: this header, then len bytes of text. */
typedef struct console_event_header {
    uint32_t type;          /* console_event_type_t */
    uint32_t complete_id;
    uint64_t cut_bytes;
    uint32_t cut;           /* 0 or 1 */
    uint32_t has_text;      /* EOF: 1 when text is an error message */
} console_event_header_t;

/* One queued completion answer: this header, then n NUL-terminated
 * candidates back to back. */
typedef struct console_reply_header {
    uint32_t complete_id;
    uint32_t n;
} console_reply_header_t;

struct console {
    async_runtime_t *runtime;
    uintptr_t key;
    int in_fd;
    int out_fd;
    bool is_tty;
    size_t max_line;
    int history_size;
    int complete_timeout_ms;
    char *history_path;          /* NULL or a copy; freed by console_stop */

    /* worker -> main: events (BLOCK_WRITER: a main thread that falls
     * behind slows reading down, nothing is dropped). */
    async_queue_t *events;
    /* main -> worker: output chunks (no flag: full means console_write
     * drops and counts, see `dropped`). */
    async_queue_t *output;
    /* main -> worker: completion answers (SIGNAL_ON_DATA: the worker
     * sleeps on it while Tab waits; DROP_OLDEST: stale answers never
     * block a fresh one). */
    async_queue_t *replies;

    /* The worker waits for `wake` with the terminal; the main thread
     * rings it after every change meant for the worker (see
     * console_io_wake_ring for the ordering). */
    console_wake_t wake;
    bool wake_open;

    port_mutex_t lock;           /* guards the three fields below */
    char *prompt;                /* owned by the console */
    uint64_t prompt_gen;         /* bumped by every console_set_prompt */
    bool echo;

    /* Bytes console_write dropped that the worker has not reported yet.
     * The main thread adds; the worker takes it all (exchange) once it
     * has written everything queued, and writes the notice. */
    atomic_uint_fast64_t dropped;

    async_worker_t *worker;      /* main */
    port_event_t ready;          /* set by the worker once it started (or failed) */
    int start_status;            /* worker, written before `ready` is set */
    char start_error[200];       /* worker, idem */

    /* main only */
    bool dropping;               /* console_write refuses until the notice is out */
    char *event_buf;             /* console_next_event's text buffer */
    size_t event_buf_size;

    /* worker only */
    char *scratch;               /* event record being built */
    size_t scratch_size;
};

/* ---- console.c: for the workers ------------------------------------ */

/* Grows *buf (realloc) to hold at least need bytes, doubling from 256.
 * False when out of memory (*buf and *cap unchanged). */
bool console_buf_grow(char **buf, size_t *cap, size_t need);

/* Reports the outcome of the worker's start (status 0 or -1 with a
 * message) and releases console_start. */
void console_worker_ready(console_t *c, int status, const char *error);

/* Queues an event for the main thread and posts the completion key.
 * Blocks while the event queue is full.  False when the event could not
 * be queued (the worker is being stopped). */
bool console_emit(console_t *c, console_event_type_t type, const char *text,
                  size_t len, bool cut, uint64_t cut_bytes, uint32_t complete_id);

/* Takes the next output chunk (buf must hold CONSOLE_OUTPUT_CHUNK bytes);
 * false when none is queued. */
bool console_output_next(console_t *c, char *buf, size_t *len);

/* After console_output_next returned false: the number of bytes dropped
 * since the last call (0 if none), for the notice.  Taking it lets
 * console_write accept text again. */
uint64_t console_output_take_dropped(console_t *c);

/* The notice line for `dropped` bytes, "\n"-terminated, into buf. */
size_t console_drop_notice(char *buf, size_t size, uint64_t dropped);

/* A copy of the prompt (free it) if its generation differs from *gen,
 * which is then updated; NULL when unchanged (or out of memory). */
char *console_prompt_if_changed(console_t *c, uint64_t *gen);

bool console_echo_wanted(console_t *c);

/* Waits up to timeout_ms for the answer to complete_id, discarding older
 * answers.  On success *n candidates are in buf (NUL-separated, buf
 * holds CONSOLE_REPLY_MAX bytes).  False on timeout or stop. */
bool console_reply_wait(console_t *c, uint32_t complete_id, int timeout_ms,
                        char *buf, uint32_t *n);

/* What Tab does with the main thread's answer (console.h: one candidate
 * replaces the word and a space follows; several insert their longest
 * common prefix, or are listed when that adds nothing). */
typedef struct console_completion {
    size_t word_len;   /* bytes of the word before the cursor (after the
                          request's last space) that `insert` replaces */
    char *insert;      /* NULL, or the text that replaces the word */
    char *list;        /* NULL, or the candidates in columns, each row
                          ended by "\n", to print above the line */
    size_t list_len;
} console_completion_t;

/* prefix: the request's text; cands: n (> 0) NUL-terminated candidates
 * back to back (console_reply_wait's buf); cols: the screen's width.
 * False when out of memory.  Free with console_completion_free. */
bool console_completion_plan(const char *prefix, const char *cands, uint32_t n,
                             int cols, console_completion_t *out);
void console_completion_free(console_completion_t *cc);

/* ---- console_redraw.c: output above the line being edited ------------ */

/* The line editors (console_unix.c, console_win32.c) keep prompt + line
 * at the bottom of the screen and print asynchronous output above it:
 * erase prompt + line, print the output, draw them again.  What is the
 * same on every terminal lives here: the queued output, the unterminated
 * tail held in front of the prompt (as a telnet client shows
 * "Password: "), the prompt text, and the order of those steps.  How to
 * erase, write and draw is the editor's (console_redraw_ops_t).
 * Everything here is the worker's. */

/* Longest unterminated output kept in front of the prompt; a longer one
 * is printed as a line of its own. */
#define CONSOLE_HELD_MAX 512

typedef struct console_redraw_ops {
    /* Takes prompt + line off the screen: the cursor ends at the start of
     * their first row, that row and the ones below blank. */
    void (*erase)(void *ctx);
    /* Writes output text (UTF-8); "\n" ends a line, wherever the editor's
     * terminal wants CR LF.  CRs of the text are the editor's to drop. */
    void (*put_text)(void *ctx, const char *s, size_t n);
    /* Draws prompt + line again after erase (from the shown prompt),
     * cursor in place, and flushes. */
    void (*draw)(void *ctx);
    /* Sends what put_text buffered to the terminal. */
    void (*flush)(void *ctx);
} console_redraw_ops_t;

typedef struct console_redraw {
    console_t *c;
    const console_redraw_ops_t *ops;
    void *ctx;
    char *prompt;               /* the console's prompt (a copy) */
    uint64_t prompt_gen;
    char held[CONSOLE_HELD_MAX + 1];   /* unterminated output tail */
    size_t held_len;
    char *pending;              /* output taken from the queue, not yet shown */
    size_t pending_len, pending_cap;
    /* held + prompt as shown: control characters dropped (a tab becomes
     * a space), escape sequences kept, each wrapped in `mark` unless
     * mark is '\0' (libedit's EL_PROMPT_ESC wants them marked). */
    char *shown;
    size_t shown_len, shown_cap;
    char mark;
} console_redraw_t;

/* False when out of memory (console_redraw_free all the same). */
bool console_redraw_init(console_redraw_t *r, console_t *c, const console_redraw_ops_t *ops,
                         void *ctx, char mark);
void console_redraw_free(console_redraw_t *r);

/* Takes the console's prompt if it changed; true when it did. */
bool console_redraw_take_prompt(console_redraw_t *r);
/* Rebuilds `shown` from held + prompt. */
void console_redraw_build_prompt(console_redraw_t *r);
/* Takes everything queued for the terminal (and the drop notice) into
 * `pending`.  True when there is something to show. */
bool console_redraw_collect(console_redraw_t *r);
/* Prints held + pending up to the last newline; what follows it becomes
 * the new held text.  `final`: print the held text too and end its line
 * (nothing will be drawn after it).  Only while prompt + line are not on
 * screen. */
void console_redraw_emit(console_redraw_t *r, bool final);

/* Prints s above prompt + line (on screen) and draws them again. */
void console_redraw_print_above(console_redraw_t *r, const char *s, size_t n);
/* Output while no line is on screen (between lines, after the session
 * ended): prompt taken, output printed, flushed. */
void console_redraw_show(console_redraw_t *r, bool final);
/* Stop while prompt + line are on screen: take them away, show what is
 * left to show. */
void console_redraw_leave(console_redraw_t *r);
/* After the session ended (EOF): output still goes to the terminal,
 * shown as it comes, until console_stop. */
void console_redraw_until_stop(console_redraw_t *r);

/* What a wake-up changed while prompt + line are on screen. */
typedef struct console_redraw_changes {
    bool output;       /* output is pending */
    bool prompt;       /* the console's prompt changed (taken) */
    bool echo_switch;  /* echo was switched and nothing is typed yet */
    bool resized;      /* cols_now differs from what the line was laid out for */
} console_redraw_changes_t;

/* Collects output, takes the prompt, compares echo and width.  hidden:
 * the current line is read without echo; line_empty: nothing typed.
 * False when nothing changed: the screen stays as it is.  Otherwise the
 * editor erases, adapts, then console_redraw_emit(r, false) +
 * console_redraw_build_prompt(r), and draws. */
bool console_redraw_changes(console_redraw_t *r, bool hidden, bool line_empty,
                            int cols_drawn, int cols_now, console_redraw_changes_t *ch);

/* Length of the escape sequence at s (s[0] == ESC), at most n: ESC [
 * parameters and a final byte, or ESC and one byte. */
size_t console_escape_len(const char *s, size_t n);

/* Where a terminal puts the cursor after prompt and line, in rows and
 * columns from the start of the prompt's first row. */
typedef struct console_layout {
    int cols;
    int h;   /* column */
    int v;   /* row, from the prompt's first row */
} console_layout_t;

/* One character of width w: a character that does not fit in the row
 * starts the next one; filling the last column moves to the next row at
 * once (libedit places the cursor so; console_win32.c writes " \r" to
 * make the console agree). */
void console_layout_char(console_layout_t *l, int w);

/* True once console_stop asked the calling worker to finish. */
bool console_worker_stopping(void);

/* ---- workers -------------------------------------------------------- */

void *console_pipe_worker(void *console);
#ifdef CONSOLE_HAVE_LINE_EDITING
/* console_unix.c (libedit) or console_win32.c (own line editor). */
void *console_tty_worker(void *console);
#endif

/* ---- console_io_posix.c / console_io_win32.c: the OS ------------------ */

enum {
    CONSOLE_IO_IN   = 1u << 0,  /* in_fd readable (or hung up: read says) */
    CONSOLE_IO_WAKE = 1u << 1,  /* the wake pipe has bytes */
    CONSOLE_IO_OUT  = 1u << 2   /* out_fd writable */
};

/* Creates the wake-up (POSIX: a non-blocking, close-on-exec pipe).  0 or
 * -1/errno. */
int  console_io_wake_open(console_wake_t *wake);
/* Any thread.  The worker drains before it looks at the shared state,
 * the main thread changes the state before it rings: a change made after
 * the drain always leaves the wake-up set. */
void console_io_wake_ring(console_wake_t *wake);
void console_io_wake_drain(console_wake_t *wake);
void console_io_wake_close(console_wake_t *wake);
/* Sleeps until the wake-up rings (nothing else); false on error. */
bool console_io_wake_wait(console_wake_t *wake);

/* Pipe mode's input and output, as console_pipe.c uses them.  POSIX:
 * one poll() over in_fd, the wake pipe and out_fd.  Windows: a reader
 * thread does the blocking ReadFile (anonymous pipes cannot be waited
 * for), see console_io_win32.c. */
typedef struct console_pipe_io console_pipe_io_t;
/* NULL when out of memory or threads (err says). */
console_pipe_io_t *console_pipe_io_open(console_t *c, char *err, size_t err_size);
/* Sleeps until input is ready (want_in), output can be written
 * (want_out), the wake-up rings or timeout_ms passes (-1: no timeout).
 * Returns CONSOLE_IO_* bits, 0 on timeout. */
unsigned console_pipe_io_wait(console_pipe_io_t *io, bool want_in, bool want_out,
                              int timeout_ms);
/* After CONSOLE_IO_IN: bytes read (> 0), 0 at end of input,
 * CONSOLE_IO_AGAIN when nothing is there after all, -1 on error with a
 * message ("console: read: ...") in msg. */
#define CONSOLE_IO_AGAIN (-2L)
long console_pipe_io_read(console_pipe_io_t *io, char *buf, size_t size,
                          char *msg, size_t msg_size);
/* After CONSOLE_IO_OUT: bytes written (> 0), CONSOLE_IO_AGAIN when none
 * could be, -1 when the output is broken (nobody reads it). */
long console_pipe_io_write(console_pipe_io_t *io, const char *buf, size_t len);
void console_pipe_io_close(console_pipe_io_t *io);

bool console_io_is_terminal(int fd);

/* ---- POSIX only (console_unix.c) --------------------------------------- */

void console_io_close(int fd);

/* Sleeps until one of the given fds is ready (in_fd / out_fd may be -1
 * to leave them out) or timeout_ms passes (-1: no timeout).  Returns the
 * CONSOLE_IO_* bits, 0 on timeout. */
unsigned console_io_wait(int in_fd, console_wake_t *wake, int out_fd, int timeout_ms);

/* Writes all of buf, retrying on EINTR; false on error. */
bool console_io_write_all(int fd, const void *buf, size_t len);

/* Terminal width in columns, 0 when unknown. */
int  console_io_terminal_columns(int fd);

/* Takes the terminal for a worker: saves in_fd's settings (for
 * console_io_terminal_release and the emergency path) and gives the
 * worker private duplicates of in_fd and out_fd.  The worker touches the
 * terminal only through those, so the emergency path can cut it off.
 * 0, or -1 with errno (EBUSY: another console holds the terminal). */
int  console_io_terminal_claim(int in_fd, int out_fd, int *worker_in, int *worker_out);
/* Puts the saved settings back (after output has drained).  The worker
 * calls it last, then closes its duplicates itself: from here on the
 * emergency path leaves them alone. */
void console_io_terminal_release(void);

#endif /* CONSOLE_IMPL_H */
