/*
 * console_win32.c - the console worker on a Windows console: our own
 * line editor on raw key events, history, Tab completion, and
 * asynchronous output that never garbles the line being typed.
 *
 * Input: the console is switched to raw key events
 * (console_io_console_claim: no line input, no echo, Ctrl-C is a key).
 * The worker sleeps in WaitForMultipleObjects on the console input handle
 * and the console's wake-up event, then takes the records that are there
 * with ReadConsoleInputW, so it never sits in a read console_stop cannot
 * end.  Keys arrive as UTF-16 code units; a surrogate pair is joined
 * into one code point.  The line is kept as code points (uint32_t) and
 * turned into UTF-8 when delivered.
 *
 * Keys: printable characters insert; Backspace, Delete, Left/Right
 * (Ctrl-B/F), Home/End (Ctrl-A/E), Up/Down (Ctrl-P/N) through the
 * history, Ctrl-K/Ctrl-U cut to the end/start, Ctrl-L clears the
 * screen, Ctrl-C clears the line, Ctrl-D or Ctrl-Z on an empty line end
 * the session (EOF), Ctrl-D elsewhere deletes under the cursor, Tab asks
 * the main thread for candidates (COMPLETE_REQUEST, console_reply_wait).
 *
 * Screen: text is UTF-8 turned into UTF-16 and written with
 * WriteConsoleW, so non-ASCII text shows whatever the console's code
 * page; VT processing is on, so escape sequences of the prompt (colours)
 * work.  Every change redraws prompt + line: move to the prompt's first
 * row, blank the rows it covered, write prompt and line, put the cursor
 * in place.  The cursor is moved with SetConsoleCursorPosition relative
 * to where the console says it is, and rows are blanked with
 * FillConsoleOutputCharacterW: exact after a scroll, and drawn right by
 * wine's console on a Unix terminal, which garbles VT cursor movement.
 * The row arithmetic (layout_*) uses widths of 0, 1 or 2 columns per code
 * point (combining marks, wide East Asian characters) and the screen
 * buffer's width, read again on every wake-up and key (window size events
 * also wake us).  When the text ends exactly at the end of a row, " \r"
 * moves the cursor to the next row whether the console wraps at once or
 * defers the wrap, so the arithmetic never drifts.
 *
 * Output while a line is being edited: erase prompt + line, print the
 * output (text after its last newline is held back and shown in front
 * of the prompt, as a telnet client shows "Password: "), draw prompt +
 * line again (the steps and the held text are console_redraw.c's, shared
 * with console_unix.c; the console calls that do them are here).
 *
 * Echo off (console_set_echo(false)): the same editor, but the line is
 * not drawn and not kept in the history.
 *
 * History: history_size lines in memory, adjacent duplicates once; the
 * file (history_path) is written after every line and at stop, in
 * libedit's format ("_HiStOrY_V2_" then one line per entry with spaces,
 * backslashes and control characters as \ooo), so it reads the same on
 * every platform.
 */
#include "config.h"
#include "console/console_io_win32.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTY_RECORDS 64
#define HISTORY_MAGIC "_HiStOrY_V2_"

typedef enum key_result {
    KEY_NONE = 0,
    KEY_LINE,        /* Enter: deliver the line */
    KEY_EOF          /* Ctrl-D / Ctrl-Z on an empty line */
} key_result_t;

typedef struct wtty {
    console_t *c;
    HANDLE in, out;
    bool claimed;
    int cols;                  /* width the display was laid out for */

    uint32_t *line;            /* code points */
    size_t len, cap, cur;
    WCHAR high;                /* a high surrogate waiting for its pair */

    bool on_screen;            /* prompt (+ line) drawn */
    int cur_row;               /* cursor row, from the prompt's first row */
    int drawn_rows;            /* rows the drawn prompt + line cover */
    bool hidden;               /* echo off for the current line */

    /* Prompt, held and pending output (console_redraw.c); rd.shown is
     * held + prompt, control characters dropped, escapes unmarked. */
    console_redraw_t rd;
    char *frame;               /* UTF-8 for the console, written by frame_flush */
    size_t frame_len, frame_cap;

    char **hist;               /* oldest first */
    int hist_n;
    int hist_pos;              /* hist_n: the line being typed */
    uint32_t *stash;           /* the line being typed, while browsing */
    size_t stash_len;

    bool dirty;                /* the line changed since it was drawn */
    uint32_t complete_seq;
    char *reply;               /* CONSOLE_REPLY_MAX */
} wtty_t;

/* ---- small buffers ---------------------------------------------------------- */

static void frame_put(wtty_t *t, const char *s, size_t n)
{
    if (n > 0 && console_buf_grow(&t->frame, &t->frame_cap, t->frame_len + n))
    {
        memcpy(t->frame + t->frame_len, s, n);
        t->frame_len += n;
    }
}

static void frame_puts(wtty_t *t, const char *s)
{
    frame_put(t, s, strlen(s));
}


/* Output text: LF becomes CR LF, a CR of the text is dropped (it would
 * only move the cursor under the prompt). */
static void frame_put_text(wtty_t *t, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            frame_put(t, s + start, i - start);
            if (s[i] == '\n')
                frame_put(t, "\r\n", 2);
            start = i + 1;
        }
    }
    frame_put(t, s + start, n - start);
}

static void frame_flush(wtty_t *t)
{
    if (t->frame_len > 0)
        (void)console_io_console_write_utf8(t->out, t->frame, t->frame_len);
    t->frame_len = 0;
}

/* ---- cursor ------------------------------------------------------------------ */

/* Moves the cursor `rows` rows down (up when negative) from where it is
 * now, to column `col`.  Console calls, not VT sequences: the console
 * says where the cursor is (also after a scroll), and wine's console on
 * a Unix terminal draws them right, where it garbles VT cursor
 * movement. */
static void cursor_move(wtty_t *t, int rows, int col)
{
    frame_flush(t);
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(t->out, &info))
        return;
    int y = info.dwCursorPosition.Y + rows;
    if (y < 0)
        y = 0;
    if (y > info.dwSize.Y - 1)
        y = info.dwSize.Y - 1;
    if (col > info.dwSize.X - 1)
        col = info.dwSize.X - 1;
    COORD at = { (SHORT)col, (SHORT)y };
    SetConsoleCursorPosition(t->out, at);
}

/* Blanks `rows` rows from the cursor's row down (the cursor stays). */
static void clear_rows(wtty_t *t, int rows)
{
    frame_flush(t);
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(t->out, &info))
        return;
    COORD from = { 0, info.dwCursorPosition.Y };
    int last = from.Y + rows - 1;
    if (last > info.dwSize.Y - 1)
        last = info.dwSize.Y - 1;
    DWORD cells = (DWORD)(last - from.Y + 1) * (DWORD)info.dwSize.X, done;
    FillConsoleOutputCharacterW(t->out, L' ', cells, from, &done);
    FillConsoleOutputAttribute(t->out, info.wAttributes, cells, from, &done);
}

/* ---- UTF-8 and widths ---------------------------------------------------------- */

static size_t utf8_put(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one code point at s (n bytes left); invalid bytes are U+FFFD
 * one byte each.  Returns the bytes used (>= 1). */
static size_t utf8_get(const char *s, size_t n, uint32_t *cp)
{
    unsigned char b = (unsigned char)s[0];
    size_t need = b < 0x80 ? 1 : b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (need == 1) {
        *cp = b;
        return 1;
    }
    if (need == 0 || need > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = b & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        unsigned char x = (unsigned char)s[i];
        if ((x & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (x & 0x3F);
    }
    *cp = v;
    return need;
}

/* Columns a code point takes on the console: 0 for combining marks and
 * zero-width characters, 2 for wide East Asian ones and emoji, else 1.
 * (Windows has no wcwidth; these ranges cover what operators type.) */
static int cp_width(uint32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
        (cp >= 0xFE20 && cp <= 0xFE2F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

/* ---- layout: where the console puts the cursor ---------------------------------- */

/* The shown prompt: escape sequences take no room.  (console_layout_char:
 * filling the last column puts the cursor on the next row, see " \r" in
 * draw.) */
static void layout_prompt(console_layout_t *l, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] == 0x1b) {
            i += console_escape_len(p + i, n - i);
            continue;
        }
        uint32_t cp;
        i += utf8_get(p + i, n - i, &cp);
        console_layout_char(l, cp_width(cp));
    }
}

static void layout_line(console_layout_t *l, const uint32_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        console_layout_char(l, cp_width(s[i]));
}

static int current_columns(wtty_t *t)
{
    int cols = console_io_console_columns(t->out);
    return cols > 0 ? cols : 80;
}

/* ---- drawing ------------------------------------------------------------------ */

/* Moves the cursor to the first row of prompt + line and clears from
 * there to the end of the screen. */
static void erase(wtty_t *t)
{
    if (!t->on_screen)
        return;
    cursor_move(t, -t->cur_row, 0);
    clear_rows(t, t->drawn_rows);
    t->on_screen = false;
    t->cur_row = 0;
}

/* Draws prompt + line from the start of a cleared row, cursor in place. */
static void draw(wtty_t *t)
{
    console_layout_t end = { .cols = t->cols, .h = 0, .v = 0 };
    frame_put(t, t->rd.shown, t->rd.shown_len);
    layout_prompt(&end, t->rd.shown, t->rd.shown_len);
    console_layout_t at = end;
    if (!t->hidden) {
        char u[4];
        for (size_t i = 0; i < t->len; i++)
            frame_put(t, u, utf8_put(u, t->line[i]));
        layout_line(&at, t->line, t->cur);
        layout_line(&end, t->line, t->len);
    }
    if (end.h == 0 && end.v > 0)
        frame_put(t, " \r", 2);   /* the end of a full row: on the next row now */
    cursor_move(t, at.v - end.v, at.h);
    t->cur_row = at.v;
    t->drawn_rows = end.v + 1;
    t->on_screen = true;
}

/* Ctrl-L: blank the visible window, prompt + line go to its top. */
static void clear_window(wtty_t *t)
{
    frame_flush(t);
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(t->out, &info))
        return;
    COORD top = { 0, info.srWindow.Top };
    SetConsoleCursorPosition(t->out, top);
    clear_rows(t, info.srWindow.Bottom - info.srWindow.Top + 1);
    t->on_screen = false;
    t->cur_row = 0;
}

static void redraw(wtty_t *t)
{
    erase(t);
    draw(t);
    frame_flush(t);
    t->dirty = false;
}

/* Leaves prompt + line where they are and moves below them (Enter,
 * end of session). */
static void leave_line(wtty_t *t)
{
    if (!t->on_screen)
        return;
    console_layout_t end = { .cols = t->cols, .h = 0, .v = 0 };
    layout_prompt(&end, t->rd.shown, t->rd.shown_len);
    if (!t->hidden)
        layout_line(&end, t->line, t->len);
    cursor_move(t, end.v - t->cur_row, end.h);
    if (!(end.h == 0 && end.v > 0))
        frame_puts(t, "\r\n");
    t->on_screen = false;
    t->cur_row = 0;
}

/* ---- output ------------------------------------------------------------------- */

/* A wake-up while prompt + line are on screen: output above the line,
 * a new prompt, echo switched (at once if nothing is typed yet), a
 * resize. */
static void refresh(wtty_t *t)
{
    console_redraw_changes_t ch;
    int cols = current_columns(t);
    if (!console_redraw_changes(&t->rd, t->hidden, t->len == 0, t->cols, cols, &ch))
        return;
    /* Erase with the layout the screen has, draw with the new one.  (A
     * console that re-wraps on resize moves rows anyway; the next
     * redraw is right again.) */
    erase(t);
    t->cols = cols;
    if (ch.echo_switch)
        t->hidden = !t->hidden;   /* echo wanted == hidden: follow it */
    console_redraw_emit(&t->rd, false);
    console_redraw_build_prompt(&t->rd);
    draw(t);
    frame_flush(t);
}

/* console_redraw's view of the console. */
static void rd_erase(void *t) { erase(t); }
static void rd_put_text(void *t, const char *s, size_t n) { frame_put_text(t, s, n); }
static void rd_draw(void *t) { draw(t); frame_flush(t); }
static void rd_flush(void *t) { frame_flush(t); }
static const console_redraw_ops_t wtty_redraw_ops = {
    .erase = rd_erase, .put_text = rd_put_text, .draw = rd_draw, .flush = rd_flush
};

/* ---- the line ------------------------------------------------------------------ */

static bool line_reserve(wtty_t *t, size_t need)
{
    if (need <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 128;
    while (cap < need)
        cap *= 2;
    uint32_t *p = realloc(t->line, cap * sizeof(*p));
    if (p == NULL)
        return false;
    t->line = p;
    t->cap = cap;
    return true;
}

static void line_insert(wtty_t *t, const uint32_t *cps, size_t n)
{
    if (n == 0 || !line_reserve(t, t->len + n))
        return;
    memmove(t->line + t->cur + n, t->line + t->cur, (t->len - t->cur) * sizeof(*t->line));
    memcpy(t->line + t->cur, cps, n * sizeof(*cps));
    t->len += n;
    t->cur += n;
}

/* Deletes n code points starting at `at`; the cursor follows. */
static void line_delete(wtty_t *t, size_t at, size_t n)
{
    if (at >= t->len)
        return;
    if (n > t->len - at)
        n = t->len - at;
    memmove(t->line + at, t->line + at + n, (t->len - at - n) * sizeof(*t->line));
    t->len -= n;
    if (t->cur > at + n)
        t->cur -= n;
    else if (t->cur > at)
        t->cur = at;
}

static void line_set(wtty_t *t, const uint32_t *cps, size_t n)
{
    t->len = t->cur = 0;
    line_insert(t, cps, n);
}

static void line_set_utf8(wtty_t *t, const char *s)
{
    t->len = t->cur = 0;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        i += utf8_get(s + i, n - i, &cp);
        line_insert(t, &cp, 1);
    }
}

/* The first `n` code points as UTF-8 (malloc'd, NUL-terminated). */
static char *line_utf8(wtty_t *t, size_t n, size_t *out_len)
{
    char *s = malloc(n * 4 + 1);
    if (s == NULL)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += utf8_put(s + len, t->line[i]);
    s[len] = '\0';
    if (out_len != NULL)
        *out_len = len;
    return s;
}

/* ---- history ------------------------------------------------------------------- */

static void history_add(wtty_t *t, const char *entry)
{
    int size = t->c->history_size;
    if (size <= 0 || entry[0] == '\0')
        return;
    if (t->hist_n > 0 && strcmp(t->hist[t->hist_n - 1], entry) == 0)
        return;   /* adjacent duplicates once */
    char *copy = strdup(entry);
    if (copy == NULL)
        return;
    if (t->hist_n == size) {
        free(t->hist[0]);
        memmove(t->hist, t->hist + 1, (size_t)(size - 1) * sizeof(*t->hist));
        t->hist_n--;
    }
    t->hist[t->hist_n++] = copy;
}

/* libedit's encoding: \ooo for space, backslash and control characters. */
static void history_put_entry(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char b = (unsigned char)*s;
        if (b <= 0x20 || b == '\\' || b == 0x7f)
            fprintf(f, "\\%03o", b);
        else
            fputc(b, f);
    }
    fputc('\n', f);
}

static void history_decode(char *s)
{
    char *d = s;
    while (*s != '\0') {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
            s += 4;
        } else if (s[0] == '\\' && s[1] == '\\') {
            *d++ = '\\';
            s += 2;
        } else {
            *d++ = *s++;
        }
    }
    *d = '\0';
}

static void history_load(wtty_t *t)
{
    const char *path = t->c->history_path;
    if (path == NULL || t->c->history_size <= 0)
        return;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;   /* none yet is fine */
    char buf[8192];
    bool first = true;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        size_t n = strlen(buf);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        if (first && strcmp(buf, HISTORY_MAGIC) == 0) {
            first = false;
            continue;
        }
        first = false;
        history_decode(buf);
        history_add(t, buf);
    }
    fclose(f);
}

static void history_save(wtty_t *t)
{
    const char *path = t->c->history_path;
    if (path == NULL || t->c->history_size <= 0)
        return;
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    fputs(HISTORY_MAGIC "\n", f);
    for (int i = 0; i < t->hist_n; i++)
        history_put_entry(f, t->hist[i]);
    fclose(f);
}

/* Up (dir -1) / Down (+1) through the history. */
static void history_move(wtty_t *t, int dir)
{
    int to = t->hist_pos + dir;
    if (to < 0 || to > t->hist_n)
        return;
    if (t->hist_pos == t->hist_n) {
        /* Leaving the line being typed: keep it for the way back. */
        uint32_t *s = realloc(t->stash, (t->len + 1) * sizeof(*s));
        if (s == NULL)
            return;
        memcpy(s, t->line, t->len * sizeof(*s));
        t->stash = s;
        t->stash_len = t->len;
    }
    t->hist_pos = to;
    if (to == t->hist_n)
        line_set(t, t->stash, t->stash_len);
    else
        line_set_utf8(t, t->hist[to]);
}

/* ---- Tab ------------------------------------------------------------------------ */

static void complete(wtty_t *t)
{
    console_t *c = t->c;
    size_t plen;
    char *prefix = line_utf8(t, t->cur, &plen);
    if (prefix == NULL)
        return;
    uint32_t id = ++t->complete_seq;
    uint32_t n = 0;
    if (!console_emit(c, CONSOLE_EVENT_COMPLETE_REQUEST, prefix, plen, false, 0, id) ||
        !console_reply_wait(c, id, c->complete_timeout_ms, t->reply, &n) || n == 0) {
        free(prefix);
        frame_put(t, "\a", 1);
        frame_flush(t);
        return;
    }
    console_completion_t plan;
    if (console_completion_plan(prefix, t->reply, n, t->cols, &plan)) {
        if (plan.insert != NULL) {
            size_t word = 0;   /* code points back to the last space */
            while (word < t->cur && t->line[t->cur - word - 1] != ' ')
                word++;
            line_delete(t, t->cur - word, word);
            size_t ilen = strlen(plan.insert), i = 0;
            while (i < ilen) {
                uint32_t cp;
                i += utf8_get(plan.insert + i, ilen - i, &cp);
                line_insert(t, &cp, 1);
            }
            redraw(t);
        } else if (plan.list != NULL) {
            console_redraw_print_above(&t->rd, plan.list, plan.list_len);
        }
    }
    console_completion_free(&plan);
    free(prefix);
}

/* ---- keys ----------------------------------------------------------------------- */

static void insert_unit(wtty_t *t, WCHAR u)
{
    uint32_t cp;
    if (u >= 0xD800 && u <= 0xDBFF) {
        t->high = u;   /* its pair follows in the next record */
        return;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
        if (t->high == 0)
            return;   /* a lone low surrogate: nothing to show */
        cp = 0x10000 + (((uint32_t)t->high - 0xD800) << 10) + ((uint32_t)u - 0xDC00);
    } else {
        cp = u;
    }
    t->high = 0;
    line_insert(t, &cp, 1);
}

/* One key press; the line follows (drawn later: `dirty`).  Returns what
 * the worker does next. */
static key_result_t handle_key(wtty_t *t, const KEY_EVENT_RECORD *k)
{
    WORD vk = k->wVirtualKeyCode;
    WCHAR ch = k->uChar.UnicodeChar;
    DWORD mods = k->dwControlKeyState;
    bool alt_only = (mods & (LEFT_ALT_PRESSED | RIGHT_ALT_PRESSED)) != 0 &&
                    (mods & (LEFT_CTRL_PRESSED | RIGHT_CTRL_PRESSED)) == 0;

    if (!k->bKeyDown) {
        /* Alt + numpad digits deliver the character when Alt goes up. */
        if (vk == VK_MENU && ch >= 0x20) {
            insert_unit(t, ch);
            t->dirty = true;
        }
        return KEY_NONE;
    }
    bool changed = true;
    WORD repeat = k->wRepeatCount > 0 ? k->wRepeatCount : 1;
    for (WORD r = 0; r < repeat; r++) {
        if (vk == VK_RETURN || ch == '\r' || ch == '\n')
            return KEY_LINE;
        if (vk == VK_LEFT || ch == 0x02) {
            if (t->cur > 0)
                t->cur--;
        } else if (vk == VK_RIGHT || ch == 0x06) {
            if (t->cur < t->len)
                t->cur++;
        } else if (vk == VK_HOME || ch == 0x01) {
            t->cur = 0;
        } else if (vk == VK_END || ch == 0x05) {
            t->cur = t->len;
        } else if (vk == VK_UP || ch == 0x10) {
            if (!t->hidden)
                history_move(t, -1);
        } else if (vk == VK_DOWN || ch == 0x0e) {
            if (!t->hidden)
                history_move(t, +1);
        } else if (vk == VK_BACK || ch == 0x08) {
            if (t->hidden)
                t->cur = t->len;
            if (t->cur > 0)
                line_delete(t, t->cur - 1, 1);
        } else if (vk == VK_DELETE) {
            line_delete(t, t->cur, 1);
        } else if (ch == 0x03) {                 /* Ctrl-C: clear the line */
            t->len = t->cur = 0;
        } else if (ch == 0x15) {                 /* Ctrl-U: cut to the start */
            line_delete(t, 0, t->hidden ? t->len : t->cur);
        } else if (ch == 0x0b) {                 /* Ctrl-K: cut to the end */
            line_delete(t, t->cur, t->len - t->cur);
        } else if (ch == 0x04 || ch == 0x1a) {   /* Ctrl-D, Ctrl-Z */
            if (t->len == 0)
                return KEY_EOF;
            if (ch == 0x04)
                line_delete(t, t->cur, 1);
        } else if (ch == 0x0c) {                 /* Ctrl-L: clear the screen */
            clear_window(t);
        } else if (ch == '\t') {
            if (!t->hidden && t->c->complete_timeout_ms > 0) {
                if (t->dirty)
                    redraw(t);
                complete(t);
                changed = false;
            }
        } else if (ch >= 0x20 && ch != 0x7f && !alt_only) {
            insert_unit(t, ch);
        } else {
            changed = false;   /* a modifier, a function key, Escape */
        }
    }
    if (changed)
        t->dirty = true;   /* drawn once the records at hand are handled */
    return KEY_NONE;
}

/* ---- the worker ---------------------------------------------------------------- */

static void deliver_line(wtty_t *t)
{
    size_t len;
    char *s = line_utf8(t, t->len, &len);
    /* Leave the line on screen (as typed, or just the prompt when
     * hidden) and go below it. */
    leave_line(t);
    t->rd.held_len = 0;   /* shown on the line just ended */
    frame_flush(t);
    if (s == NULL)
        return;
    if (!t->hidden && t->c->history_size > 0) {
        history_add(t, s);
        history_save(t);
    }
    (void)console_emit(t->c, CONSOLE_EVENT_LINE, s, len, false, 0, 0);
    if (t->hidden)
        memset(s, 0, len);
    free(s);
    if (t->hidden)
        memset(t->line, 0, t->len * sizeof(*t->line));
}

/* Starts a new line: empty, echo as wanted now, prompt drawn. */
static void new_line(wtty_t *t)
{
    t->len = t->cur = 0;
    t->high = 0;
    t->hist_pos = t->hist_n;
    t->hidden = !console_echo_wanted(t->c);
    t->cols = current_columns(t);
    console_redraw_show(&t->rd, false);
    console_redraw_build_prompt(&t->rd);
    draw(t);
    frame_flush(t);
}

/* Reads lines until EOF or stop.  True on EOF (output still wanted),
 * false on stop. */
static bool read_lines(wtty_t *t)
{
    console_t *c = t->c;
    INPUT_RECORD rec[TTY_RECORDS];
    new_line(t);
    for (;;) {
        unsigned ready = console_io_wait_console(t->in, &c->wake, -1);
        if (ready & CONSOLE_IO_WAKE) {
            console_io_wake_drain(&c->wake);
            if (console_worker_stopping()) {
                console_redraw_leave(&t->rd);
                return false;
            }
            refresh(t);
        }
        if (!(ready & CONSOLE_IO_IN))
            continue;
        DWORD avail = 0, got = 0;
        if (!GetNumberOfConsoleInputEvents(t->in, &avail) || avail == 0)
            continue;
        if (!ReadConsoleInputW(t->in, rec, TTY_RECORDS, &got)) {
            char msg[96];
            snprintf(msg, sizeof(msg), "console: read: Windows error %lu",
                     (unsigned long)GetLastError());
            leave_line(t);
            frame_flush(t);
            (void)console_emit(c, CONSOLE_EVENT_EOF, msg, strlen(msg), false, 0, 0);
            return true;
        }
        int cols = current_columns(t);
        if (cols != t->cols)
            refresh(t);
        for (DWORD i = 0; i < got; i++) {
            if (rec[i].EventType != KEY_EVENT)
                continue;   /* size changes: the width is read above */
            key_result_t r = handle_key(t, &rec[i].Event.KeyEvent);
            if (r != KEY_NONE && t->dirty)
                redraw(t);   /* the screen shows the line it ends */
            if (r == KEY_LINE) {
                deliver_line(t);
                new_line(t);
            } else if (r == KEY_EOF) {
                leave_line(t);
                t->rd.held_len = 0;
                frame_flush(t);
                (void)console_emit(c, CONSOLE_EVENT_EOF, NULL, 0, false, 0, 0);
                return true;
            }
        }
        if (t->dirty)
            redraw(t);
    }
}

static int wtty_open(wtty_t *t, char *err, size_t err_size)
{
    console_t *c = t->c;
    t->in = console_io_handle(c->in_fd);
    t->out = console_io_handle(c->out_fd);
    if (console_io_console_claim(t->in, t->out, err, err_size) != 0)
        return -1;
    t->claimed = true;
    t->reply = malloc(CONSOLE_REPLY_MAX);
    t->hist = c->history_size > 0 ? calloc((size_t)c->history_size, sizeof(*t->hist)) : NULL;
    if (t->reply == NULL || t->rd.prompt == NULL || t->rd.shown == NULL ||
        (c->history_size > 0 && t->hist == NULL) || !line_reserve(t, 128)) {
        snprintf(err, err_size, "console: out of memory");
        return -1;
    }
    history_load(t);
    return 0;
}

static void wtty_close(wtty_t *t)
{
    if (t->claimed) {
        frame_flush(t);
        history_save(t);
        console_io_console_release();
    }
    for (int i = 0; i < t->hist_n; i++)
        free(t->hist[i]);
    free(t->hist);
    if (t->line != NULL)
        memset(t->line, 0, t->cap * sizeof(*t->line));   /* may have held a password */
    free(t->line);
    free(t->stash);
    free(t->reply);
    console_redraw_free(&t->rd);
    free(t->frame);
}

void *console_tty_worker(void *arg)
{
    wtty_t t;
    memset(&t, 0, sizeof(t));
    t.c = arg;
    (void)console_redraw_init(&t.rd, t.c, &wtty_redraw_ops, &t, '\0');
    char err[200];
    if (wtty_open(&t, err, sizeof(err)) != 0) {
        wtty_close(&t);
        console_worker_ready(t.c, -1, err);
        return NULL;
    }
    console_worker_ready(t.c, 0, NULL);

    if (read_lines(&t))
        console_redraw_until_stop(&t.rd);   /* session over, output still wanted */
    console_redraw_show(&t.rd, true);
    wtty_close(&t);
    return NULL;
}
