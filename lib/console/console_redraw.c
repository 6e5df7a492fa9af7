/*
 * console_redraw.c - output above the line being edited, the part every
 * line editor shares (console_unix.c with libedit, console_win32.c with
 * its own editor): queued output, the unterminated tail held in front of
 * the prompt, the shown prompt, and the order of erase / print / draw.
 * The editor says how its terminal erases, writes and draws
 * (console_redraw_ops_t, console_impl.h).  Worker thread only.
 */
#include "config.h"
#include "console/console_impl.h"

#include <stdlib.h>
#include <string.h>

bool console_redraw_init(console_redraw_t *r, console_t *c, const console_redraw_ops_t *ops,
                         void *ctx, char mark)
{
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->ops = ops;
    r->ctx = ctx;
    r->mark = mark;
    r->prompt = strdup("");
    r->prompt_gen = UINT64_MAX;   /* fetch the console's prompt first thing */
    if (r->prompt == NULL || !console_buf_grow(&r->shown, &r->shown_cap, 1))
        return false;
    r->shown[0] = '\0';
    return true;
}

void console_redraw_free(console_redraw_t *r)
{
    free(r->prompt);
    free(r->shown);
    free(r->pending);
    r->prompt = r->shown = r->pending = NULL;
}

bool console_redraw_take_prompt(console_redraw_t *r)
{
    char *p = console_prompt_if_changed(r->c, &r->prompt_gen);
    if (p == NULL)
        return false;
    free(r->prompt);
    r->prompt = p;
    return true;
}

size_t console_escape_len(const char *s, size_t n)
{
    size_t j = 1;
    if (j < n && s[j] == '[') {
        j++;
        while (j < n && !((unsigned char)s[j] >= 0x40 && (unsigned char)s[j] <= 0x7e))
            j++;
        if (j < n)
            j++;
    } else if (j < n) {
        j++;
    }
    return j;
}

/* Appends prompt text: escape sequences kept (inside `mark`s), other
 * control characters dropped (a tab becomes a space). */
static void shown_append(console_redraw_t *r, const char *s, size_t n)
{
    /* Worst case: every byte an escape of its own, with two marks. */
    if (!console_buf_grow(&r->shown, &r->shown_cap, r->shown_len + 3 * n + 1))
        return;
    char *d = r->shown;
    size_t i = 0;
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        if (b == 0x1b) {
            size_t j = console_escape_len(s + i, n - i);
            if (r->mark != '\0')
                d[r->shown_len++] = r->mark;
            memcpy(d + r->shown_len, s + i, j);
            r->shown_len += j;
            if (r->mark != '\0')
                d[r->shown_len++] = r->mark;
            i += j;
            continue;
        }
        if (b == '\t')
            d[r->shown_len++] = ' ';
        else if (b >= 0x20 && b != 0x7f)
            d[r->shown_len++] = (char)b;
        i++;
    }
    d[r->shown_len] = '\0';
}

void console_redraw_build_prompt(console_redraw_t *r)
{
    r->shown_len = 0;
    r->shown[0] = '\0';   /* allocated by console_redraw_init */
    shown_append(r, r->held, r->held_len);
    shown_append(r, r->prompt, strlen(r->prompt));
}

static void pending_append(console_redraw_t *r, const char *s, size_t n)
{
    if (n > 0 && console_buf_grow(&r->pending, &r->pending_cap, r->pending_len + n)) {
        memcpy(r->pending + r->pending_len, s, n);
        r->pending_len += n;
    }
}

bool console_redraw_collect(console_redraw_t *r)
{
    char chunk[CONSOLE_OUTPUT_CHUNK];
    size_t n;
    while (console_output_next(r->c, chunk, &n))
        pending_append(r, chunk, n);
    uint64_t dropped = console_output_take_dropped(r->c);
    if (dropped > 0) {
        char notice[96];
        size_t len = console_drop_notice(notice, sizeof(notice), dropped);
        bool mid_line = r->pending_len > 0 ? r->pending[r->pending_len - 1] != '\n'
                                           : r->held_len > 0;
        if (mid_line)
            pending_append(r, "\n", 1);
        pending_append(r, notice, len);
    }
    return r->pending_len > 0;
}

void console_redraw_emit(console_redraw_t *r, bool final)
{
    const console_redraw_ops_t *ops = r->ops;
    const char *p = r->pending;
    size_t n = r->pending_len;
    const char *nl = NULL;
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == '\n') {
            nl = p + i - 1;
            break;
        }
    }
    if (nl != NULL) {
        ops->put_text(r->ctx, r->held, r->held_len);
        r->held_len = 0;
        size_t upto = (size_t)(nl - p) + 1;
        ops->put_text(r->ctx, p, upto);
        p += upto;
        n -= upto;
    }
    /* The tail joins the held text. */
    if (r->held_len + n > CONSOLE_HELD_MAX) {
        ops->put_text(r->ctx, r->held, r->held_len);
        ops->put_text(r->ctx, p, n);
        ops->put_text(r->ctx, "\n", 1);
        r->held_len = 0;
    } else if (n > 0) {
        memcpy(r->held + r->held_len, p, n);
        r->held_len += n;
    }
    r->pending_len = 0;
    if (final && r->held_len > 0) {
        ops->put_text(r->ctx, r->held, r->held_len);
        ops->put_text(r->ctx, "\n", 1);
        r->held_len = 0;
    }
}

void console_redraw_print_above(console_redraw_t *r, const char *s, size_t n)
{
    r->ops->erase(r->ctx);
    pending_append(r, s, n);
    console_redraw_emit(r, false);
    console_redraw_build_prompt(r);
    r->ops->draw(r->ctx);
}

void console_redraw_show(console_redraw_t *r, bool final)
{
    (void)console_redraw_take_prompt(r);
    (void)console_redraw_collect(r);
    console_redraw_emit(r, final);
    r->ops->flush(r->ctx);
}

void console_redraw_leave(console_redraw_t *r)
{
    r->ops->erase(r->ctx);
    (void)console_redraw_collect(r);
    console_redraw_emit(r, true);
    r->ops->flush(r->ctx);
}

void console_redraw_until_stop(console_redraw_t *r)
{
    while (!console_worker_stopping()) {
        console_redraw_show(r, true);
        if (console_io_wake_wait(&r->c->wake))
            console_io_wake_drain(&r->c->wake);
    }
}

bool console_redraw_changes(console_redraw_t *r, bool hidden, bool line_empty,
                            int cols_drawn, int cols_now, console_redraw_changes_t *ch)
{
    ch->output = console_redraw_collect(r);
    ch->prompt = console_redraw_take_prompt(r);
    ch->echo_switch = console_echo_wanted(r->c) == hidden && line_empty;
    ch->resized = cols_now != cols_drawn;
    return ch->output || ch->prompt || ch->echo_switch || ch->resized;
}

void console_layout_char(console_layout_t *l, int w)
{
    if (w <= 0)
        return;
    if (l->h + w > l->cols) {
        l->v++;
        l->h = 0;
    }
    l->h += w;
    if (l->h >= l->cols) {
        l->v++;
        l->h = 0;
    }
}
