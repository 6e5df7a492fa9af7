/*
 * console.c - what every console mode shares: the public API on the main
 * thread's side, and the queue helpers the workers use.
 *
 * Queues (see console_impl.h for their flags):
 *   events   worker -> main   header + text per event
 *   output   main -> worker   chunks of at most CONSOLE_OUTPUT_CHUNK bytes
 *   replies  main -> worker   completion answers
 * plus the prompt and echo flag under `lock`, and the wake-up (a pipe on
 * POSIX, an event on Windows) that turns "something changed for the
 * worker" into readiness the worker waits for with the terminal.
 *
 * Output overflow: console_write never blocks.  When the output queue is
 * full the text (and everything written after it) is dropped and counted
 * in `dropped`, and console_write stays in "dropping" mode until the
 * worker has taken the count.  The worker takes it only when it has
 * emptied the queue, and writes the notice right away, so the notice
 * stands exactly where the missing text would have been.
 */
#include "config.h"
#include "console/console_impl.h"
#include "port/port_clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_DEFAULT_MAX_LINE     4096
#define CONSOLE_DEFAULT_MAX_OUTPUT   (256 * 1024)
#define CONSOLE_DEFAULT_HISTORY_SIZE 500
#define CONSOLE_DEFAULT_COMPLETE_MS  1000

void console_options_init(console_options_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->runtime = NULL;
    opts->completion_key = 0;
    opts->in_fd = 0;
    opts->out_fd = 1;
    opts->mode = CONSOLE_MODE_AUTO;
    opts->max_line = CONSOLE_DEFAULT_MAX_LINE;
    opts->max_output = CONSOLE_DEFAULT_MAX_OUTPUT;
    opts->history_path = NULL;
    opts->history_size = CONSOLE_DEFAULT_HISTORY_SIZE;
    opts->complete_timeout_ms = CONSOLE_DEFAULT_COMPLETE_MS;
    opts->prompt = "";
}

/* err: "console: <what> [: <why>]" when the caller gave room for it. */
static void set_error(char *err, size_t err_size, const char *what, const char *why)
{
    if (err != NULL && err_size > 0)
        snprintf(err, err_size, "%s%s%s", what, why ? ": " : "", why ? why : "");
}

/* Frees everything console_start allocated; the worker must be gone. */
static void console_free(console_t *c)
{
    if (c->events != NULL)
        async_queue_destroy(c->events);
    if (c->output != NULL)
        async_queue_destroy(c->output);
    if (c->replies != NULL)
        async_queue_destroy(c->replies);
    if (c->wake_open)
        console_io_wake_close(&c->wake);
    port_event_destroy(&c->ready);
    port_mutex_destroy(&c->lock);
    free(c->prompt);
    free(c->history_path);
    free(c->event_buf);
    free(c->scratch);
    free(c);
}

console_t *console_start(const console_options_t *opts, char *err, size_t err_size)
{
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    if (opts == NULL || opts->runtime == NULL) {
        set_error(err, err_size, "console: no async_runtime given", NULL);
        return NULL;
    }
    if (opts->max_line == 0 || opts->max_line > SIZE_MAX / 4 ||
        opts->in_fd < 0 || opts->out_fd < 0 || opts->history_size < 0 ||
        opts->complete_timeout_ms < 0) {
        set_error(err, err_size, "console: invalid options", NULL);
        return NULL;
    }

    bool tty;
    switch (opts->mode) {
    case CONSOLE_MODE_PIPE:
        tty = false;
        break;
    case CONSOLE_MODE_TTY:
#ifndef CONSOLE_HAVE_LINE_EDITING
        set_error(err, err_size,
                  "console: line editing needs libedit, which this build does not have", NULL);
        return NULL;
#else
        if (!console_io_is_terminal(opts->in_fd) || !console_io_is_terminal(opts->out_fd)) {
            set_error(err, err_size,
                      "console: line editing asked for, but input or output is not a terminal",
                      NULL);
            return NULL;
        }
        tty = true;
        break;
#endif
    default:
#ifdef CONSOLE_HAVE_LINE_EDITING
        tty = console_io_is_terminal(opts->in_fd) && console_io_is_terminal(opts->out_fd);
#else
        tty = false;
#endif
        break;
    }

    console_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        set_error(err, err_size, "console: out of memory", NULL);
        return NULL;
    }
    if (port_mutex_init(&c->lock) != 0) {
        free(c);
        set_error(err, err_size, "console: cannot create a mutex", NULL);
        return NULL;
    }
    if (port_event_init(&c->ready, true, false) != 0) {
        port_mutex_destroy(&c->lock);
        free(c);
        set_error(err, err_size, "console: cannot create an event", NULL);
        return NULL;
    }
    c->runtime = opts->runtime;
    c->key = opts->completion_key;
    c->in_fd = opts->in_fd;
    c->out_fd = opts->out_fd;
    c->is_tty = tty;
    c->max_line = opts->max_line;
    c->history_size = opts->history_size;
    c->complete_timeout_ms = opts->complete_timeout_ms;
    c->echo = true;
    atomic_init(&c->dropped, 0);

    size_t max_output = opts->max_output < CONSOLE_OUTPUT_CHUNK
                        ? CONSOLE_OUTPUT_CHUNK : opts->max_output;
    c->scratch_size = sizeof(console_event_header_t) + opts->max_line;
    c->event_buf_size = c->scratch_size + 1;
    c->event_buf = malloc(c->event_buf_size);
    c->scratch = malloc(c->scratch_size);
    c->prompt = strdup(opts->prompt != NULL ? opts->prompt : "");
    if (opts->history_path != NULL)
        c->history_path = strdup(opts->history_path);
    c->events = async_queue_create(CONSOLE_EVENT_CAPACITY, c->scratch_size,
                                   ASYNC_QUEUE_BLOCK_WRITER);
    c->output = async_queue_create(max_output / CONSOLE_OUTPUT_CHUNK,
                                   CONSOLE_OUTPUT_CHUNK, ASYNC_QUEUE_NONE);
    c->replies = async_queue_create(4, sizeof(console_reply_header_t) + CONSOLE_REPLY_MAX,
                                    ASYNC_QUEUE_SIGNAL_ON_DATA | ASYNC_QUEUE_DROP_OLDEST);
    if (c->event_buf == NULL || c->scratch == NULL || c->prompt == NULL ||
        (opts->history_path != NULL && c->history_path == NULL) ||
        c->events == NULL || c->output == NULL || c->replies == NULL) {
        console_free(c);
        set_error(err, err_size, "console: out of memory", NULL);
        return NULL;
    }
    if (console_io_wake_open(&c->wake) != 0) {
        set_error(err, err_size, "console: cannot create the wake-up", strerror(errno));
        console_free(c);
        return NULL;
    }
    c->wake_open = true;

    async_worker_proc_t proc = console_pipe_worker;
#ifdef CONSOLE_HAVE_LINE_EDITING
    if (tty)
        proc = console_tty_worker;
#endif
    c->worker = async_worker_create(proc, c, 0);
    if (c->worker == NULL) {
        set_error(err, err_size, "console: cannot start the worker thread", strerror(errno));
        console_free(c);
        return NULL;
    }
    /* The worker reports once it owns the terminal (or could not). */
    port_event_wait(&c->ready, -1);
    if (c->start_status != 0) {
        async_worker_join(c->worker, -1);
        async_worker_destroy(c->worker);
        set_error(err, err_size, c->start_error, NULL);
        console_free(c);
        return NULL;
    }
    return c;
}

bool console_next_event(console_t *c, console_event_t *ev)
{
    if (c == NULL || ev == NULL)
        return false;
    /* event_buf holds a whole record (header + max_line) plus the NUL the
     * text gets once the header is moved out of the way. */
    char *buf = c->event_buf;
    size_t size = 0;
    if (!async_queue_dequeue(c->events, buf, c->event_buf_size - 1, &size))
        return false;
    console_event_header_t h;
    if (size < sizeof(h))
        return false;   /* cannot happen: the worker always writes a header */
    memcpy(&h, buf, sizeof(h));
    size_t len = size - sizeof(h);
    memmove(buf, buf + sizeof(h), len);
    buf[len] = '\0';

    memset(ev, 0, sizeof(*ev));
    ev->type = (console_event_type_t)h.type;
    ev->len = len;
    ev->cut = h.cut != 0;
    ev->cut_bytes = h.cut_bytes;
    ev->complete_id = h.complete_id;
    ev->text = (h.type == CONSOLE_EVENT_EOF && !h.has_text) ? NULL : buf;
    return true;
}

void console_write(console_t *c, const char *text, size_t len)
{
    if (c == NULL || text == NULL || len == 0)
        return;
    if (c->dropping) {
        /* acquire: pairs with the worker's exchange; once it reads 0 the
         * notice for everything dropped so far has been taken. */
        if (atomic_load_explicit(&c->dropped, memory_order_acquire) != 0) {
            atomic_fetch_add_explicit(&c->dropped, len, memory_order_relaxed);
            console_io_wake_ring(&c->wake);
            return;
        }
        c->dropping = false;
    }
    while (len > 0) {
        size_t n = len < CONSOLE_OUTPUT_CHUNK ? len : CONSOLE_OUTPUT_CHUNK;
        if (!async_queue_enqueue(c->output, text, n)) {
            /* Full: this text and all that follows is dropped until the
             * worker has written what is queued and taken the count.
             * relaxed: the count is a number, not a publication; the
             * wake-up below makes the worker look. */
            c->dropping = true;
            atomic_fetch_add_explicit(&c->dropped, len, memory_order_relaxed);
            break;
        }
        text += n;
        len -= n;
    }
    console_io_wake_ring(&c->wake);
}

void console_set_prompt(console_t *c, const char *prompt)
{
    if (c == NULL)
        return;
    char *copy = strdup(prompt != NULL ? prompt : "");
    if (copy == NULL)
        return;   /* keep the old prompt: better than none */
    port_mutex_lock(&c->lock);
    char *old = c->prompt;
    c->prompt = copy;
    c->prompt_gen++;
    port_mutex_unlock(&c->lock);
    free(old);
    console_io_wake_ring(&c->wake);
}

void console_set_echo(console_t *c, bool on)
{
    if (c == NULL)
        return;
    port_mutex_lock(&c->lock);
    bool changed = c->echo != on;
    c->echo = on;
    port_mutex_unlock(&c->lock);
    if (changed)
        console_io_wake_ring(&c->wake);
}

void console_complete_reply(console_t *c, uint32_t complete_id,
                            const char *const *candidates, size_t n)
{
    if (c == NULL)
        return;
    size_t cap = sizeof(console_reply_header_t) + CONSOLE_REPLY_MAX;
    char *msg = malloc(cap);
    if (msg == NULL)
        return;   /* the worker's wait times out: Tab beeps */
    console_reply_header_t h = { .complete_id = complete_id, .n = 0 };
    size_t used = sizeof(h);
    for (size_t i = 0; i < n; i++) {
        if (candidates[i] == NULL)
            continue;
        size_t l = strlen(candidates[i]) + 1;
        if (used + l > cap)
            break;   /* documented limit: the rest are not offered */
        memcpy(msg + used, candidates[i], l);
        used += l;
        h.n++;
    }
    memcpy(msg, &h, sizeof(h));
    (void)async_queue_enqueue(c->replies, msg, used);
    free(msg);
}

bool console_stop(console_t *c)
{
    if (c == NULL)
        return true;
    /* Closing the event queue releases a worker waiting for room there;
     * the stop request and the wake byte release it from the terminal. */
    async_queue_close(c->events);
    async_worker_signal_stop(c->worker);
    console_io_wake_ring(&c->wake);
    if (!async_worker_join(c->worker, CONSOLE_STOP_TIMEOUT_MS)) {
        /* Stuck in the OS (a terminal that takes no output).  Restore the
         * terminal from here; the record stays allocated for the worker,
         * which is detached and frees only its thread record. */
        console_restore_terminal_emergency();
        async_worker_destroy(c->worker);
        return false;
    }
    async_worker_destroy(c->worker);
    c->worker = NULL;
    console_free(c);
    return true;
}

bool console_is_tty(const console_t *c)
{
    return c != NULL && c->is_tty;
}

/* ---- for the workers --------------------------------------------------- */

void console_worker_ready(console_t *c, int status, const char *error)
{
    c->start_status = status;
    if (error != NULL)
        snprintf(c->start_error, sizeof(c->start_error), "%s", error);
    /* port_event_set / wait are a mutex handshake: the fields above are
     * visible to console_start when its wait returns. */
    port_event_set(&c->ready);
}

bool console_worker_stopping(void)
{
    return async_worker_should_stop(async_worker_current());
}

bool console_emit(console_t *c, console_event_type_t type, const char *text,
                  size_t len, bool cut, uint64_t cut_bytes, uint32_t complete_id)
{
    if (len > c->max_line) {
        cut_bytes += len - c->max_line;
        len = c->max_line;
        cut = true;
    }
    console_event_header_t h = {
        .type = (uint32_t)type,
        .complete_id = complete_id,
        .cut_bytes = cut_bytes,
        .cut = cut ? 1u : 0u,
        .has_text = (type != CONSOLE_EVENT_EOF || text != NULL) ? 1u : 0u,
    };
    memcpy(c->scratch, &h, sizeof(h));
    if (len > 0)
        memcpy(c->scratch + sizeof(h), text, len);
    if (!async_queue_enqueue(c->events, c->scratch, sizeof(h) + len))
        return false;
    /* One completion per event.  If the post fails (no memory), the event
     * still goes out with the next one's completion. */
    (void)async_runtime_post_completion(c->runtime, c->key, 0);
    return true;
}

bool console_output_next(console_t *c, char *buf, size_t *len)
{
    return async_queue_dequeue(c->output, buf, CONSOLE_OUTPUT_CHUNK, len);
}

uint64_t console_output_take_dropped(console_t *c)
{
    /* acq_rel: the acquire side pairs with nothing in particular (the
     * count is a number); release pairs with console_write's acquire load
     * that ends its dropping mode. */
    return atomic_exchange_explicit(&c->dropped, 0, memory_order_acq_rel);
}

size_t console_drop_notice(char *buf, size_t size, uint64_t dropped)
{
    int n = snprintf(buf, size, "[... %" PRIu64 " bytes of output dropped]\n", dropped);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

char *console_prompt_if_changed(console_t *c, uint64_t *gen)
{
    char *copy = NULL;
    port_mutex_lock(&c->lock);
    if (c->prompt_gen != *gen) {
        copy = strdup(c->prompt);
        if (copy != NULL)
            *gen = c->prompt_gen;
    }
    port_mutex_unlock(&c->lock);
    return copy;
}

bool console_echo_wanted(console_t *c)
{
    port_mutex_lock(&c->lock);
    bool on = c->echo;
    port_mutex_unlock(&c->lock);
    return on;
}

bool console_reply_wait(console_t *c, uint32_t complete_id, int timeout_ms,
                        char *buf, uint32_t *n)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    size_t cap = sizeof(console_reply_header_t) + CONSOLE_REPLY_MAX;
    char *msg = malloc(cap);
    if (msg == NULL)
        return false;
    bool ok = false;
    for (;;) {
        size_t size;
        while (async_queue_dequeue(c->replies, msg, cap, &size)) {
            console_reply_header_t h;
            if (size < sizeof(h))
                continue;
            memcpy(&h, msg, sizeof(h));
            if (h.complete_id != complete_id)
                continue;   /* an answer that came too late for its request */
            memcpy(buf, msg + sizeof(h), size - sizeof(h));
            *n = h.n;
            ok = true;
            goto done;
        }
        if (console_worker_stopping() || port_deadline_expired(deadline))
            goto done;
        /* Stop-aware: async_worker_signal_stop wakes this wait. */
        async_queue_wait(c->replies, (int)port_deadline_remaining_ms_ceil(deadline));
    }
done:
    free(msg);
    return ok;
}

bool console_completion_plan(const char *prefix, const char *cands, uint32_t n,
                             int cols, console_completion_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *word = strrchr(prefix, ' ');
    word = word != NULL ? word + 1 : prefix;
    out->word_len = strlen(word);
    if (n == 0)
        return true;   /* nothing to do: the caller beeps */

    const char **cand = malloc(n * sizeof(*cand));
    if (cand == NULL)
        return false;
    const char *q = cands;
    size_t maxw = 0;
    for (uint32_t i = 0; i < n; i++) {
        cand[i] = q;
        size_t l = strlen(q);
        if (l > maxw)
            maxw = l;
        q += l + 1;
    }
    size_t lcp = strlen(cand[0]);
    for (uint32_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < lcp && cand[i][k] == cand[0][k])
            k++;
        lcp = k;
    }
    while (lcp > 0 && ((unsigned char)cand[0][lcp] & 0xC0) == 0x80)
        lcp--;   /* never split a UTF-8 character */

    bool ok = true;
    if (n == 1 || lcp > out->word_len) {
        out->insert = malloc(lcp + 2);
        if (out->insert != NULL) {
            memcpy(out->insert, cand[0], lcp);
            if (n == 1)
                out->insert[lcp++] = ' ';
            out->insert[lcp] = '\0';
        } else {
            ok = false;
        }
    } else {
        /* Nothing to add: the candidates in columns. */
        if (cols <= 0)
            cols = 80;
        size_t colw = maxw + 2;
        size_t per_row = colw < (size_t)cols ? (size_t)cols / colw : 1;
        char *list = malloc(n * (colw + 1) + 2);
        if (list != NULL) {
            size_t len = 0;
            for (uint32_t i = 0; i < n; i++) {
                size_t l = strlen(cand[i]);
                memcpy(list + len, cand[i], l);
                len += l;
                bool row_end = (i + 1) % per_row == 0 || i + 1 == n;
                if (row_end) {
                    list[len++] = '\n';
                } else {
                    memset(list + len, ' ', colw - l);
                    len += colw - l;
                }
            }
            list[len] = '\0';
            out->list = list;
            out->list_len = len;
        } else {
            ok = false;
        }
    }
    free(cand);
    return ok;
}

bool console_buf_grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (p == NULL)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

void console_completion_free(console_completion_t *cc)
{
    free(cc->insert);
    free(cc->list);
    cc->insert = cc->list = NULL;
}
