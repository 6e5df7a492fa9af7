/*
 * console.h - the operator's console: line input and output on the
 * process's terminal (or on a pipe), served by one worker thread.
 *
 * A console worker (an async_worker) is the only code that touches the
 * terminal.  The main thread talks to it through queues:
 *
 *   worker -> main   events: a finished LINE, EOF, a COMPLETE_REQUEST.
 *                    Each event posts opts.completion_key to the runtime;
 *                    the main thread then drains console_next_event().
 *   main -> worker   output (console_write), the prompt
 *                    (console_set_prompt), echo on/off (console_set_echo),
 *                    completion answers (console_complete_reply).  None of
 *                    these block; the worker is woken through a pipe (an
 *                    event on Windows) it waits for together with the
 *                    terminal.
 *
 * Two modes, chosen at start:
 *  - TTY: stdin and stdout are terminals (and libedit is built in; on
 *    Windows: consoles, and the console's own line editor).  Lines
 *    are edited with libedit (emacs keys, history, Tab completion); output
 *    arriving while the operator types is printed above the line being
 *    edited, which is then redrawn intact.  Ctrl-C clears the line, Ctrl-D
 *    on an empty line ends the session (EOF).  The terminal's settings are
 *    restored on every exit path (console_stop, or
 *    console_restore_terminal_emergency from a fatal-error path).
 *  - PIPE: anything else.  Plain reading: lines split on LF (a CR before
 *    it is dropped), a line longer than max_line is delivered cut with
 *    `cut` set, never silently lost; the last line needs no newline; every
 *    line read before end of input is delivered before EOF.  No prompt is
 *    written and nothing is echoed.
 *
 * Who may call what: every function here is for the one thread that owns
 * the console (the driver's main thread), except
 * console_restore_terminal_emergency(), which any thread and any signal
 * handler may call.
 *
 * Platform code lives behind this header: console_unix.c (libedit),
 * console_pipe.c (plain reading), console_io_posix.c (wake pipe, waiting,
 * terminal claim/restore); on Windows console_win32.c (line editor on
 * console key events) and console_io_win32.c (wake event, pipe reader
 * thread, console modes); console.c is what they share.  See
 * docs/manual/console.md.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "async/async_runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct console console_t;

typedef enum console_mode {
    CONSOLE_MODE_AUTO = 0,  /* TTY when stdin and stdout are terminals */
    CONSOLE_MODE_PIPE,      /* plain reading even on a terminal */
    CONSOLE_MODE_TTY        /* line editing; start fails if not possible */
} console_mode_t;

typedef struct console_options {
    async_runtime_t *runtime;   /* required: where events are announced */
    uintptr_t completion_key;   /* posted once per event queued */
    int in_fd;                  /* default 0 (stdin); not closed by the console */
    int out_fd;                 /* default 1 (stdout); not closed by the console */
    console_mode_t mode;        /* default AUTO */
    size_t max_line;            /* longest line delivered whole, default 4096 */
    size_t max_output;          /* bytes of output queued for the worker
                                   before console_write drops, default 256 KiB */
    const char *history_path;   /* TTY: load at start, save after each line
                                   and at stop; NULL = no history file.
                                   Copied. */
    int history_size;           /* TTY: lines kept, default 500 */
    int complete_timeout_ms;    /* TTY: how long Tab waits for
                                   console_complete_reply, default 1000;
                                   0 disables Tab completion */
    const char *prompt;         /* initial prompt, default "" (copied) */
} console_options_t;

/* Fills *opts with the defaults above (runtime NULL, key 0). */
void console_options_init(console_options_t *opts);

typedef enum console_event_type {
    CONSOLE_EVENT_LINE = 1,         /* text/len: the line, without its end */
    CONSOLE_EVENT_EOF,              /* the session ended: Ctrl-D, end of
                                       input, or a read error (text says) */
    CONSOLE_EVENT_COMPLETE_REQUEST  /* text/len: the line up to the cursor;
                                       answer with console_complete_reply */
} console_event_type_t;

typedef struct console_event {
    console_event_type_t type;
    /* NUL-terminated (a line may also contain NUL bytes: use len).  Owned
     * by the console, valid until the next console_next_event or
     * console_stop.  EOF: NULL after Ctrl-D or end of input, else a
     * message naming the error ("console: read: Input/output error"). */
    const char *text;
    size_t len;
    bool cut;             /* LINE: longer than max_line; text holds the
                             first max_line bytes */
    uint64_t cut_bytes;   /* LINE: bytes of the line that were dropped */
    uint32_t complete_id; /* COMPLETE_REQUEST: pass to console_complete_reply */
} console_event_t;

/* Starts the console: chooses the mode, takes over the terminal (TTY)
 * and starts the worker.  Returns NULL on failure with a message in err
 * ("console: libedit could not initialise the terminal", ...) when
 * err_size > 0.  At most one console may own a terminal at a time. */
console_t *console_start(const console_options_t *opts, char *err, size_t err_size);

/* Moves the next event into *ev; false when there is none.  Call it until
 * it returns false each time the completion key arrives (a completion may
 * find nothing: an earlier drain took its event).  Events come in the
 * order they happened; EOF is the last event of a session. */
bool console_next_event(console_t *console, console_event_t *ev);

/* Queues text for the terminal; never blocks.  "\n" ends a line (the
 * worker writes CR LF on a terminal).  Text after the last newline is
 * shown in front of the prompt until the line is finished, as a telnet
 * client shows it ("Password: ").  When max_output bytes are already
 * waiting, the text is dropped and counted; once the worker has written
 * everything queued before the drop it writes one line
 * "[... N bytes of output dropped]", and console_write accepts text again.
 * Nothing is lost silently. */
void console_write(console_t *console, const char *text, size_t len);

/* Sets the prompt shown in front of the line being edited (TTY).  One
 * line: control characters other than escape sequences are dropped;
 * ANSI escape sequences (colours) are kept and take no width.  Takes
 * effect at once, also on the line being typed.  Copied. */
void console_set_prompt(console_t *console, const char *prompt);

/* Turns echo of typed input off (password input) or on again (TTY).  Off
 * applies to the next line: at once if the operator has typed nothing of
 * it yet.  Call it before writing the password prompt: once the prompt is
 * on screen, nothing typed is shown.  A line typed without echo is not
 * added to the history. */
void console_set_echo(console_t *console, bool on);

/* Answers the COMPLETE_REQUEST with the given id: candidates for the word
 * before the cursor (the text after the last space of the request).  One
 * candidate replaces the word (and a space follows); several insert their
 * longest common prefix, or are listed above the line when that adds
 * nothing; none rings the bell.  An answer that arrives after the worker
 * gave up waiting (complete_timeout_ms) is discarded.  At most 16 KiB of
 * candidates are used. */
void console_complete_reply(console_t *console, uint32_t complete_id,
                            const char *const *candidates, size_t n);

/* Stops the worker (also while it waits for the terminal), writes output
 * still queued, restores the terminal, joins the worker and frees the
 * console.  Returns true when the worker stopped within 5 seconds; false
 * means it was stuck in the OS (a terminal that does not take output):
 * the terminal is then restored from here and the console's memory is
 * left to the detached worker.  NULL is ignored (returns true). */
bool console_stop(console_t *console);

/* True in TTY mode. */
bool console_is_tty(const console_t *console);

/* Puts the terminal back to the settings it had when the console took it
 * over.  Async-signal-safe (one tcsetattr; on Windows two SetConsoleMode
 * calls); any thread, any time, also when no console runs (then it does
 * nothing).  For fatal-error handlers
 * and atexit; the normal path is console_stop. */
void console_restore_terminal_emergency(void);

#endif /* CONSOLE_H */
