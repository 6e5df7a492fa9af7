/*
 * console_unix.c - the console worker on a Unix terminal: libedit line
 * editing, history, Tab completion, and asynchronous output that never
 * garbles the line being typed.
 *
 * Waiting: libedit reads characters through our read function
 * (EL_GETCFN, tty_getc).  It poll()s the terminal and the console's wake
 * pipe together, so output, a new prompt, an echo change or a stop
 * request reach the worker while the operator is in the middle of a
 * line, and no read ever blocks where console_stop cannot end it.
 *
 * Output while a line is being edited (tty_refresh; the steps and the
 * held text are console_redraw.c's, shared with console_win32.c):
 *   1. erase: from where libedit left the cursor, go up to the first row
 *      of prompt + line and clear to the end of the screen.  The row is
 *      computed the way libedit lays the line out (layout_*): the
 *      prompt's visible width plus the width of each character up to the
 *      cursor, wrapping at the terminal width (queried with TIOCGWINSZ on
 *      every wake-up, so a resize between two keystrokes is noticed;
 *      SIGWINCH itself belongs to the driver's main thread).
 *   2. print the output (the terminal turns LF into CR LF).  Text
 *      after the last newline is held back and shown in front of the
 *      prompt (as a telnet client would show "Password: "), until a
 *      newline completes it or the operator ends the line.
 *   3. redraw: EL_REFRESH makes libedit forget what it believes is on
 *      the screen and draw prompt and line afresh, cursor in place.
 *
 * Terminal ownership: the worker claims the terminal before libedit
 * touches it (console_io_terminal_claim: settings saved, for the end and
 * for the emergency path) and then uses only its private duplicates of
 * the terminal fds, which the emergency path can cut off.  The settings
 * are put back when the worker ends, after el_end.  In between the terminal never
 * goes back to cooked mode, not even between two lines (libedit's edit
 * and execute modes are both non-canonical, no echo, no ISIG): the
 * kernel never echoes a key into our screen, and Ctrl-C never reaches the
 * driver as SIGINT; ^C is bound to clearing the line.  Ctrl-D on an empty
 * line is libedit's EOF.
 *
 * Input without echo (console_set_echo(false), for passwords) does not
 * use libedit, which always draws what is typed: tty_read_hidden reads
 * the bytes itself in a no-echo mode, with backspace, ^U/^C and ^D.
 */
#include "config.h"
#include "console/console_impl.h"

#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/* Marks prompt text that takes no width (escape sequences), for libedit
 * (EL_PROMPT_ESC) and for our own layout. */
#define TTY_PROMPT_IGNORE '\1'

typedef enum tty_abort {
    TTY_ABORT_NONE = 0,
    TTY_ABORT_STOP,       /* console_stop */
    TTY_ABORT_RESTART,    /* echo changed on an empty line: switch reader */
    TTY_ABORT_EOF,        /* the terminal reported end of file */
    TTY_ABORT_ERROR       /* read failed: read_errno */
} tty_abort_t;

typedef struct tty {
    console_t *c;
    EditLine *el;
    History *hist;
    int tty_in;                 /* the worker's own dups of in_fd / out_fd */
    int tty_out;
    FILE *fin;                  /* streams on them, for libedit (own the fds) */
    FILE *fout;                 /* all terminal output goes through it */
    mbstate_t mbs;              /* tty_getc's multibyte decoding */
    unsigned char in[256];      /* bytes read, not yet handed out */
    size_t in_len, in_pos;
    int cols;                   /* width the current display was laid out for */
    bool claimed;               /* we hold the terminal (claim succeeded) */

    /* Prompt, held and pending output (console_redraw.c); rd.shown is the
     * prompt function's result, escapes wrapped in TTY_PROMPT_IGNORE. */
    console_redraw_t rd;

    bool editing;               /* inside el_gets: prompt + line on screen */
    bool hidden;                /* inside tty_read_hidden: prompt on screen */
    char *secret;               /* hidden line, max_line bytes */
    size_t secret_len;
    uint64_t secret_cut;

    tty_abort_t abort;
    int read_errno;
    uint32_t complete_seq;
    char *reply;                /* CONSOLE_REPLY_MAX */
} tty_t;

/* ---- writing ------------------------------------------------------------ */

static void tty_put(tty_t *t, const char *s, size_t n)
{
    if (n > 0)
        (void)fwrite(s, 1, n, t->fout);
}

/* Output text, CRs dropped: a line ends with LF alone, which the
 * terminal turns into CR LF (libedit's edit and execute modes both set
 * OPOST and ONLCR, and the hidden reader leaves output flags alone).  A
 * CR of the text would only move the cursor under the prompt. */
static void tty_put_text(tty_t *t, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            tty_put(t, s + start, i - start);
            start = i + 1;
        }
    }
    tty_put(t, s + start, n - start);
}

static void tty_flush(tty_t *t)
{
    (void)fflush(t->fout);
}

/* ---- layout: where libedit put the cursor ---------------------------------- */

/* The prompt: multibyte text; TTY_PROMPT_IGNORE brackets take no room. */
static void layout_prompt(console_layout_t *l, const char *p)
{
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    bool ignore = false;
    while (*p != '\0') {
        if (*p == TTY_PROMPT_IGNORE) {
            ignore = !ignore;
            p++;
            continue;
        }
        wchar_t wc;
        size_t m = mbrtowc(&wc, p, strlen(p), &st);
        if (m == (size_t)-1 || m == (size_t)-2 || m == 0) {
            memset(&st, 0, sizeof(st));
            if (!ignore)
                console_layout_char(l, 1);
            p++;
            continue;
        }
        if (!ignore) {
            int w = wcwidth(wc);
            console_layout_char(l, w < 0 ? 1 : w);
        }
        p += m;
    }
}

/* The edit buffer as libedit shows it: tabs to the next multiple of 8,
 * control characters as ^X, other unprintables as an escape of 4+
 * columns (an estimate; they do not come from a keyboard). */
static void layout_buffer(console_layout_t *l, const wchar_t *s, const wchar_t *end)
{
    for (; s < end; s++) {
        wchar_t c = *s;
        if (c == L'\t') {
            do
                console_layout_char(l, 1);
            while ((l->h & 7) != 0);
        } else if (c < 0x20 || c == 0x7f) {
            console_layout_char(l, 1);
            console_layout_char(l, 1);
        } else {
            int w = wcwidth(c);
            if (w < 0) {
                for (int i = 0; i < 4; i++)
                    console_layout_char(l, 1);
            } else {
                console_layout_char(l, w);
            }
        }
    }
}

static int tty_current_columns(tty_t *t)
{
    int cols = console_io_terminal_columns(t->tty_out);
    return cols > 0 ? cols : 80;
}

/* ---- prompt ---------------------------------------------------------------- */

static char *tty_prompt_fn(EditLine *el)
{
    tty_t *t = NULL;
    el_get(el, EL_CLIENTDATA, &t);
    return (t != NULL && t->rd.shown != NULL) ? t->rd.shown : (char *)"";
}

/* Prints the prompt ourselves (hidden input): without the brackets. */
static void tty_put_prompt_raw(tty_t *t)
{
    for (const char *p = t->rd.shown; p != NULL && *p != '\0'; p++)
        if (*p != TTY_PROMPT_IGNORE)
            tty_put(t, p, 1);
}

/* ---- output ------------------------------------------------------------------ */

/* Moves the cursor to the first row of prompt + line and clears from
 * there to the end of the screen.  Only while they are on screen. */
static void tty_erase(tty_t *t)
{
    console_layout_t l = { .cols = t->cols > 0 ? t->cols : 80, .h = 0, .v = 0 };
    layout_prompt(&l, t->rd.shown != NULL ? t->rd.shown : "");
    if (t->editing) {
        const LineInfoW *li = el_wline(t->el);
        layout_buffer(&l, li->buffer, li->cursor);
    }
    tty_put(t, "\r", 1);
    if (l.v > 0)
        fprintf(t->fout, "\033[%dA", l.v);
    tty_put(t, "\033[J", 3);
}

/* Draws prompt (+ line) again after tty_erase. */
static void tty_redraw(tty_t *t)
{
    if (t->editing)
        el_set(t->el, EL_REFRESH);   /* forget the old screen, draw all */
    else if (t->hidden)
        tty_put_prompt_raw(t);
    tty_flush(t);
}

static bool tty_line_empty(tty_t *t)
{
    if (t->hidden)
        return t->secret_len == 0 && t->secret_cut == 0;
    const LineInfoW *li = el_wline(t->el);
    return li->lastchar == li->buffer;
}

/* Something changed for the worker while prompt + line are on screen:
 * show output above the line, take a new prompt, follow a resize.
 * Returns true when the reader must restart (echo changed on an empty
 * line): the display is then erased and not redrawn. */
static bool tty_refresh(tty_t *t)
{
    console_redraw_changes_t ch;
    int cols = tty_current_columns(t);
    if (!console_redraw_changes(&t->rd, t->hidden, tty_line_empty(t), t->cols, cols, &ch))
        return false;

    tty_erase(t);
    if (ch.resized) {
        t->cols = cols;
        if (t->editing)
            el_resize(t->el);
    }
    console_redraw_emit(&t->rd, false);
    console_redraw_build_prompt(&t->rd);
    if (ch.echo_switch) {
        tty_flush(t);
        return true;
    }
    tty_redraw(t);
    return false;
}

/* console_redraw's view of the terminal. */
static void rd_erase(void *t) { tty_erase(t); }
static void rd_put_text(void *t, const char *s, size_t n) { tty_put_text(t, s, n); }
static void rd_draw(void *t) { tty_redraw(t); }
static void rd_flush(void *t) { tty_flush(t); }
static const console_redraw_ops_t tty_redraw_ops = {
    .erase = rd_erase, .put_text = rd_put_text, .draw = rd_draw, .flush = rd_flush
};

/* ---- reading ------------------------------------------------------------------ */

/* The next byte from the terminal, serving wake-ups while waiting.
 * 1: a byte; 0: end of file; -1: stop, restart or error (t->abort). */
static int tty_next_byte(tty_t *t, unsigned char *b)
{
    console_t *c = t->c;
    for (;;) {
        if (t->in_pos < t->in_len) {
            *b = t->in[t->in_pos++];
            return 1;
        }
        unsigned ready = console_io_wait(t->tty_in, &c->wake, -1, -1);
        if (ready & CONSOLE_IO_WAKE) {
            console_io_wake_drain(&c->wake);
            if (console_worker_stopping()) {
                console_redraw_leave(&t->rd);
                t->abort = TTY_ABORT_STOP;
                errno = EINTR;
                return -1;
            }
            if (tty_refresh(t)) {
                t->abort = TTY_ABORT_RESTART;
                errno = EINTR;
                return -1;
            }
        }
        if (ready & CONSOLE_IO_IN) {
            ssize_t n = read(t->tty_in, t->in, sizeof(t->in));
            if (n > 0) {
                t->in_len = (size_t)n;
                t->in_pos = 0;
                if (tty_current_columns(t) != t->cols && tty_refresh(t)) {
                    t->abort = TTY_ABORT_RESTART;   /* the bytes stay in t->in */
                    errno = EINTR;
                    return -1;
                }
                continue;
            }
            if (n == 0) {
                t->abort = TTY_ABORT_EOF;
                return 0;
            }
            if (errno == EINTR || errno == EAGAIN)
                continue;
            t->read_errno = errno;
            t->abort = TTY_ABORT_ERROR;
            return -1;
        }
    }
}

/* libedit's read function (EL_GETCFN): one wide character. */
static int tty_getc(EditLine *el, wchar_t *wc)
{
    tty_t *t = NULL;
    el_get(el, EL_CLIENTDATA, &t);
    for (;;) {
        unsigned char b;
        int r = tty_next_byte(t, &b);
        if (r <= 0) {
            *wc = L'\0';
            return r;
        }
        char ch = (char)b;
        size_t m = mbrtowc(wc, &ch, 1, &t->mbs);
        if (m == (size_t)-2)
            continue;                     /* more bytes of this character */
        if (m == (size_t)-1) {            /* not valid here: pass the byte */
            memset(&t->mbs, 0, sizeof(t->mbs));
            *wc = (wchar_t)b;
        }
        return 1;
    }
}

/* ^C: clear the whole line, wherever the cursor is. */
static unsigned char tty_fn_clear_line(EditLine *el, int ch)
{
    (void)ch;
    const LineInfoW *li = el_wline(el);
    int after = (int)(li->lastchar - li->cursor);
    int total = (int)(li->lastchar - li->buffer);
    if (total == 0)
        return CC_NORM;
    el_cursor(el, after);
    el_deletestr(el, total);
    return CC_REFRESH;
}

/* Tab: ask the main thread for candidates (COMPLETE_REQUEST), wait for
 * its answer (bounded), then complete or list. */
static unsigned char tty_fn_complete(EditLine *el, int ch)
{
    (void)ch;
    tty_t *t = NULL;
    el_get(el, EL_CLIENTDATA, &t);
    console_t *c = t->c;
    if (c->complete_timeout_ms <= 0)
        return CC_ERROR;

    const LineInfo *li = el_line(el);
    size_t plen = (size_t)(li->cursor - li->buffer);
    char *prefix = malloc(plen + 1);
    if (prefix == NULL)
        return CC_ERROR;
    memcpy(prefix, li->buffer, plen);
    prefix[plen] = '\0';

    uint32_t id = ++t->complete_seq;
    uint32_t n = 0;
    if (!console_emit(c, CONSOLE_EVENT_COMPLETE_REQUEST, prefix, plen, false, 0, id) ||
        !console_reply_wait(c, id, c->complete_timeout_ms, t->reply, &n) || n == 0) {
        free(prefix);
        return CC_REFRESH_BEEP;
    }

    /* The word being completed, in characters: back to the last space. */
    const LineInfoW *wli = el_wline(el);
    int wchars = 0;
    for (const wchar_t *p = wli->cursor; p > wli->buffer && p[-1] != L' '; p--)
        wchars++;

    console_completion_t plan;
    if (!console_completion_plan(prefix, t->reply, n, t->cols, &plan)) {
        console_completion_free(&plan);
        free(prefix);
        return CC_ERROR;
    }
    unsigned char rc = CC_REFRESH;
    if (plan.insert != NULL) {
        el_deletestr(el, wchars);
        el_insertstr(el, plan.insert);
    } else if (plan.list != NULL) {
        console_redraw_print_above(&t->rd, plan.list, plan.list_len);
        rc = CC_NORM;
    }
    console_completion_free(&plan);
    free(prefix);
    return rc;
}

/* Reads one line without echo.  Returns TTY_ABORT_NONE with the line in
 * t->secret, or why it ended otherwise (TTY_ABORT_EOF also for ^D on an
 * empty line). */
static tty_abort_t tty_read_hidden(tty_t *t)
{
    console_t *c = t->c;
    struct termios saved, raw;
    if (tcgetattr(t->tty_in, &saved) != 0) {
        t->read_errno = errno;
        return TTY_ABORT_ERROR;
    }
    raw = saved;
    raw.c_lflag &= (tcflag_t)~(ECHO | ICANON | ISIG | IEXTEN);
    raw.c_iflag &= (tcflag_t)~(ICRNL | INLCR | IGNCR);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    (void)tcsetattr(t->tty_in, TCSADRAIN, &raw);

    t->hidden = true;
    t->secret_len = 0;
    t->secret_cut = 0;
    t->abort = TTY_ABORT_NONE;
    t->cols = tty_current_columns(t);
    console_redraw_build_prompt(&t->rd);
    tty_put_prompt_raw(t);
    tty_flush(t);

    tty_abort_t result = TTY_ABORT_NONE;
    int esc = 0;   /* 1: after ESC; 2: inside ESC [ ... */
    for (;;) {
        unsigned char b;
        int r = tty_next_byte(t, &b);
        if (r <= 0) {
            result = r == 0 ? TTY_ABORT_EOF : t->abort;
            break;
        }
        if (esc == 1) {
            esc = (b == '[' || b == 'O') ? 2 : 0;
            continue;
        }
        if (esc == 2) {
            if (b >= 0x40 && b <= 0x7e)
                esc = 0;
            continue;
        }
        if (b == '\r' || b == '\n') {
            tty_put(t, "\n", 1);
            break;
        }
        if (b == 0x7f || b == 0x08) {
            while (t->secret_len > 0 &&
                   ((unsigned char)t->secret[t->secret_len - 1] & 0xC0) == 0x80)
                t->secret_len--;
            if (t->secret_len > 0)
                t->secret_len--;
        } else if (b == 0x03 || b == 0x15) {
            t->secret_len = 0;
            t->secret_cut = 0;
        } else if (b == 0x04) {
            if (tty_line_empty(t)) {
                tty_put(t, "\n", 1);
                result = TTY_ABORT_EOF;
                break;
            }
        } else if (b == 0x1b) {
            esc = 1;
        } else if (b >= 0x20) {
            if (t->secret_len < c->max_line)
                t->secret[t->secret_len++] = (char)b;
            else
                t->secret_cut++;
        }
    }
    tty_flush(t);
    t->hidden = false;
    (void)tcsetattr(t->tty_in, TCSADRAIN, &saved);
    return result;
}

/* ---- the worker ------------------------------------------------------------- */

static void tty_history_save(tty_t *t)
{
    HistEvent ev;
    if (t->hist != NULL && t->c->history_path != NULL)
        (void)history(t->hist, &ev, H_SAVE, t->c->history_path);
}

static int tty_open(tty_t *t, char *err, size_t err_size)
{
    console_t *c = t->c;
    if (console_io_terminal_claim(c->in_fd, c->out_fd, &t->tty_in, &t->tty_out) != 0) {
        snprintf(err, err_size, "console: %s",
                 errno == EBUSY ? "another console owns the terminal"
                                : "cannot take over the terminal");
        return -1;
    }
    t->claimed = true;
    t->fin = fdopen(t->tty_in, "r");
    t->fout = fdopen(t->tty_out, "w");
    t->reply = malloc(CONSOLE_REPLY_MAX);
    t->secret = malloc(c->max_line);
    if (t->fin == NULL || t->fout == NULL || t->reply == NULL || t->secret == NULL ||
        t->rd.prompt == NULL || t->rd.shown == NULL) {
        snprintf(err, err_size, "console: %s", "out of memory or file descriptors");
        return -1;
    }
    t->el = el_init_fd("neolith", t->fin, t->fout, t->fout,
                       t->tty_in, t->tty_out, t->tty_out);
    if (t->el == NULL) {
        snprintf(err, err_size, "console: %s", "libedit could not initialise the terminal");
        return -1;
    }
    el_set(t->el, EL_EDITOR, "emacs");
    el_set(t->el, EL_SIGNAL, 0);   /* signals are the driver's */
    el_set(t->el, EL_CLIENTDATA, t);
    el_set(t->el, EL_GETCFN, tty_getc);
    el_set(t->el, EL_PROMPT_ESC, tty_prompt_fn, TTY_PROMPT_IGNORE);
    /* ^C is a key while editing, not SIGINT for the whole driver. */
    el_set(t->el, EL_SETTY, "-d", "-isig", NULL);
    /* Between two lines libedit puts the terminal in its "execute" mode,
     * normally cooked with echo: keys typed in that moment would be
     * echoed by the kernel and garble the screen, and ^C would be SIGINT.
     * Make that mode non-canonical and silent too, so the terminal stays
     * ours from el_init to el_end (output processing stays on). */
    el_set(t->el, EL_SETTY, "-x", "-icanon", "-echo", "-isig", "-iexten", NULL);
    /* EL_ADDFN through el_wset: libedit keeps the name and help pointers
     * as given (the narrow el_set copies them and never frees the copy). */
    el_wset(t->el, EL_ADDFN, L"console-clear-line", L"Clear the whole line",
            tty_fn_clear_line);
    el_set(t->el, EL_BIND, "^C", "console-clear-line", NULL);
    if (c->complete_timeout_ms > 0) {
        el_wset(t->el, EL_ADDFN, L"console-complete", L"Ask the main thread to complete",
                tty_fn_complete);
        el_set(t->el, EL_BIND, "^I", "console-complete", NULL);
    }
    if (c->history_size > 0) {
        HistEvent ev;
        t->hist = history_init();
        if (t->hist == NULL) {
            snprintf(err, err_size, "console: %s", "out of memory");
            return -1;
        }
        history(t->hist, &ev, H_SETSIZE, c->history_size);
        history(t->hist, &ev, H_SETUNIQUE, 1);
        if (c->history_path != NULL)
            (void)history(t->hist, &ev, H_LOAD, c->history_path);   /* none yet is fine */
        el_set(t->el, EL_HIST, history, t->hist);
    }
    return 0;
}

static void tty_close(tty_t *t)
{
    if (t->el != NULL) {
        tty_flush(t);
        el_end(t->el);   /* puts back the settings libedit found */
    }
    if (t->hist != NULL) {
        tty_history_save(t);
        history_end(t->hist);
    }
    if (t->claimed) {
        console_io_terminal_release();   /* and the ones we found, exactly */
        if (t->fin != NULL)
            fclose(t->fin);
        else
            close(t->tty_in);
        if (t->fout != NULL)
            fclose(t->fout);
        else
            close(t->tty_out);
    }
    if (t->secret != NULL)
        memset(t->secret, 0, t->c->max_line);
    free(t->secret);
    free(t->reply);
    console_redraw_free(&t->rd);
}

static void tty_deliver_eof(tty_t *t, tty_abort_t why)
{
    char msg[160];
    const char *text = NULL;
    if (why == TTY_ABORT_ERROR) {
        snprintf(msg, sizeof(msg), "console: read: %s", strerror(t->read_errno));
        text = msg;
    }
    (void)console_emit(t->c, CONSOLE_EVENT_EOF, text, text ? strlen(text) : 0,
                       false, 0, 0);
}

/* Reads lines until EOF or stop.  Returns true on EOF (the session
 * ended but output is still wanted), false on stop. */
static bool tty_read_lines(tty_t *t)
{
    console_t *c = t->c;
    for (;;) {
        if (console_worker_stopping())
            return false;
        console_redraw_show(&t->rd, false);
        console_redraw_build_prompt(&t->rd);
        t->cols = tty_current_columns(t);
        t->abort = TTY_ABORT_NONE;

        if (!console_echo_wanted(c)) {
            tty_abort_t r = tty_read_hidden(t);
            if (r == TTY_ABORT_NONE) {
                t->rd.held_len = 0;   /* shown on the line just ended */
                (void)console_emit(c, CONSOLE_EVENT_LINE, t->secret, t->secret_len,
                                   t->secret_cut > 0, t->secret_cut, 0);
                memset(t->secret, 0, t->secret_len);
                continue;
            }
            if (r == TTY_ABORT_RESTART)
                continue;
            if (r == TTY_ABORT_STOP)
                return false;
            tty_deliver_eof(t, r);
            return true;
        }

        int count = 0;
        t->editing = true;
        const char *line = el_gets(t->el, &count);
        t->editing = false;
        if (line != NULL && count > 0) {
            size_t len = (size_t)count;
            if (line[len - 1] == '\n')
                len--;
            t->rd.held_len = 0;   /* shown on the line just ended */
            if (len > 0 && t->hist != NULL) {
                HistEvent ev;
                char *entry = strndup(line, len);
                if (entry != NULL) {
                    history(t->hist, &ev, H_ENTER, entry);
                    free(entry);
                    tty_history_save(t);
                }
            }
            (void)console_emit(c, CONSOLE_EVENT_LINE, line, len, false, 0, 0);
            continue;
        }
        switch (t->abort) {
        case TTY_ABORT_RESTART:
            continue;
        case TTY_ABORT_STOP:
            return false;
        case TTY_ABORT_NONE:
            /* libedit's own EOF: Ctrl-D on an empty line.  Leave the
             * prompt's line so what follows starts on a fresh one. */
            tty_put(t, "\n", 1);
            t->rd.held_len = 0;
            tty_flush(t);
            tty_deliver_eof(t, TTY_ABORT_NONE);
            return true;
        default:
            tty_deliver_eof(t, t->abort);
            return true;
        }
    }
}

void *console_tty_worker(void *arg)
{
    tty_t t;
    memset(&t, 0, sizeof(t));
    t.c = arg;
    (void)console_redraw_init(&t.rd, t.c, &tty_redraw_ops, &t, TTY_PROMPT_IGNORE);
    char err[200];
    if (tty_open(&t, err, sizeof(err)) != 0) {
        tty_close(&t);
        console_worker_ready(t.c, -1, err);
        return NULL;
    }
    console_worker_ready(t.c, 0, NULL);

    if (tty_read_lines(&t))
        console_redraw_until_stop(&t.rd);   /* session over, output still wanted */
    console_redraw_show(&t.rd, true);
    tty_close(&t);
    return NULL;
}
