/*
 * mcp_transport.c - the MCP stdio transport's two workers (see
 * mcp_transport.h for the contract and the overflow policy).
 *
 * WAKING A WORKER.  The reads, writes and sleeps on the protocol fds are
 * mcp_stdio.h's (one file per system): mcp_transport_stop interrupts them
 * (mcp_stdio_stop_reader, _wake_writer, _abort_writer), so a reader
 * blocked on a silent client, or a writer blocked on a client that
 * stopped reading, still ends within the stop deadline, and no fd is ever
 * closed under a thread using it.
 *
 * QUEUES.  In: capacity MCP_IN_QUEUE messages of one pointer each,
 * BLOCK_WRITER - a reader ahead of the main loop waits (stop wakes it).
 * Out: capacity out_capacity pointers, SIGNAL_ON_DATA - the writer sleeps
 * in async_queue_wait; async_queue_close at stop wakes it to drain.
 *
 * ATOMICS.
 *  - queued_count / queued_bytes: the main thread adds before each
 *    enqueue, the writer subtracts after each dequeue, so they never
 *    under-count what is in the queue (the single producer may rely on
 *    "count < capacity" meaning the enqueue succeeds).  They are only
 *    accounting - no data is published through them - so relaxed order
 *    is enough.
 *  - output_failed: set once by the writer (release) after its last write
 *    attempt; read by the main thread (acquire) to refuse further sends.
 *  - drain_deadline: PORT_DEADLINE_NEVER until stop stores the drain deadline
 *    (release, before waking the writer); the writer loads it (acquire)
 *    after every wake-up.
 *  - counters (inputs, written, ...): statistics, relaxed.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_transport.h"
#include "mcp_json.h"
#include "mcp_stdio.h"
#include "log.h"

#include "async/async_queue.h"
#include "async/async_worker.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_IN_QUEUE          256
#define MCP_READ_CHUNK        (64 * 1024)
#define MCP_DEFAULT_CAPACITY  4096
#define MCP_DEFAULT_BUDGET    ((size_t)64 * 1024 * 1024)

struct mcp_transport {
    mcp_transport_config_t cfg;
    async_queue_t *inq;          /* mcp_input_t *, reader -> main */
    async_queue_t *outq;         /* mcp_out_msg_t *, main -> writer */
    async_worker_t *reader;
    async_worker_t *writer;
    mcp_stdio_t *io;             /* the fds; see mcp_stdio.h for who calls what */
    bool stopped;                /* main thread only */
    bool joined;                 /* stop joined both workers in time */

    atomic_size_t queued_count;
    atomic_size_t queued_bytes;
    atomic_bool output_failed;
    atomic_int_least64_t drain_deadline;   /* a port_clock deadline (ns) */

    atomic_uint_least64_t inputs;
    atomic_uint_least64_t bytes_read;
    atomic_uint_least64_t too_long;
    atomic_uint_least64_t written;
    atomic_uint_least64_t bytes_written;
    atomic_uint_least64_t dropped;
};

/* ================================================================ inputs */

mcp_input_t *mcp_input_new(mcp_input_kind_t kind, const char *text)
{
    mcp_input_t *in = calloc(1, sizeof *in);
    if (in == NULL)
        return NULL;
    in->kind = kind;
    if (text != NULL)
        snprintf(in->text, sizeof in->text, "%s", text);
    return in;
}

void mcp_input_free(mcp_input_t *in)
{
    if (in == NULL)
        return;
    json_decref(in->json);
    free(in);
}

/*
** Parses one line as the reader does.  JSON_DECODE_ANY so that valid JSON
** that is not a message ("42") is told apart from a syntax error;
** JSON_ALLOW_NUL because "\u0000" is legal JSON.  jansson bounds the
** nesting depth itself.
*/
mcp_input_t *mcp_input_parse_line(const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return NULL;                          /* blank: nothing to answer */

    json_error_t err;
    json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    mcp_input_t *in;
    if (j == NULL) {
        in = mcp_input_new(MCP_INPUT_PARSE_ERROR, NULL);
        if (in != NULL)
            snprintf(in->text, sizeof in->text, "%.120s (at byte %d)",
                     err.text, err.position);
    } else if (json_is_object(j) || json_is_array(j)) {
        in = mcp_input_new(MCP_INPUT_MESSAGE, NULL);
        if (in != NULL)
            in->json = j;
        else
            json_decref(j);
    } else {
        json_decref(j);
        in = mcp_input_new(MCP_INPUT_NOT_MESSAGE, NULL);
    }
    if (in != NULL)
        in->line_bytes = len;
    return in;
}

/* ============================================================== outputs */

mcp_out_msg_t *mcp_out_msg_new(const json_t *msg, mcp_out_class_t cls)
{
    size_t len;
    char *line = mcp_json_encode_line(msg, &len);
    if (line == NULL)
        return NULL;
    mcp_out_msg_t *m = malloc(sizeof *m + len);
    if (m != NULL) {
        m->cls = cls;
        m->not_before_ms = 0;
        m->len = len;
        memcpy(m->data, line, len);
    }
    free(line);
    return m;
}

/* =============================================================== helpers */


/* ================================================================ reader */

typedef struct line_buf {
    char *data;
    size_t len;
    size_t cap;
    bool discarding;     /* inside a line over max_line: skip to '\n' */
} line_buf_t;

/*
** Hands one input to the main loop.  Blocks while the in-queue is full
** (BLOCK_WRITER) until room, close or stop.  Returns false when the input
** could not be queued (the reader is stopping); the input is freed then.
*/
static bool reader_deliver(mcp_transport_t *t, mcp_input_t *in)
{
    if (in == NULL)
        return true;               /* blank line, or out of memory: skip */
    if (!async_queue_enqueue(t->inq, &in, sizeof in)) {
        mcp_input_free(in);
        return false;
    }
    atomic_fetch_add_explicit(&t->inputs, 1, memory_order_relaxed);
    if (async_runtime_post_completion(t->cfg.runtime, t->cfg.key,
                                      MCP_TRANSPORT_EVENT_INPUT) != 0)
        log_warn("mcp: cannot wake the main loop for an input (%s); it "
                 "is handled with the next one", strerror(errno));
    return true;
}

static bool reader_too_long(mcp_transport_t *t)
{
    atomic_fetch_add_explicit(&t->too_long, 1, memory_order_relaxed);
    char text[96];
    snprintf(text, sizeof text, "a line over %zu bytes", t->cfg.max_line);
    return reader_deliver(t, mcp_input_new(MCP_INPUT_TOO_LONG, text));
}

/* Appends bytes of an unfinished line; switches to discarding when the
 * line outgrows max_line.  Returns false on out of memory. */
static bool line_append(mcp_transport_t *t, line_buf_t *lb, const char *p,
                        size_t n)
{
    if (lb->discarding)
        return true;
    if (lb->len + n > t->cfg.max_line) {
        lb->discarding = true;
        lb->len = 0;
        free(lb->data);            /* give the memory back at once */
        lb->data = NULL;
        lb->cap = 0;
        return true;
    }
    if (lb->len + n > lb->cap) {
        size_t cap = lb->cap ? lb->cap : 4096;
        while (cap < lb->len + n)
            cap *= 2;
        char *grown = realloc(lb->data, cap);
        if (grown == NULL)
            return false;
        lb->data = grown;
        lb->cap = cap;
    }
    memcpy(lb->data + lb->len, p, n);
    lb->len += n;
    return true;
}

/*
** Cuts one chunk of input into lines.  A line wholly inside the chunk is
** parsed in place; the rest is carried in lb.  Returns false when the
** reader must stop (queue closed, stop, out of memory).
*/
static bool reader_feed(mcp_transport_t *t, line_buf_t *lb, const char *p,
                        size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        if (nl == NULL)
            return line_append(t, lb, p, n);
        size_t seg = (size_t)(nl - p);
        bool ok = true;
        if (lb->discarding) {
            lb->discarding = false;
            ok = reader_too_long(t);
        } else if (lb->len == 0) {
            if (seg > t->cfg.max_line)
                ok = reader_too_long(t);
            else
                ok = reader_deliver(t, mcp_input_parse_line(p, seg));
        } else {
            if (!line_append(t, lb, p, seg))
                return false;
            if (lb->discarding) {
                lb->discarding = false;
                ok = reader_too_long(t);
            } else {
                ok = reader_deliver(t, mcp_input_parse_line(lb->data, lb->len));
                lb->len = 0;
            }
        }
        if (!ok)
            return false;
        p = nl + 1;
        n -= seg + 1;
    }
    return true;
}

static void *reader_proc(void *arg)
{
    mcp_transport_t *t = arg;
    async_worker_t *self = async_worker_current();
    line_buf_t lb = { NULL, 0, 0, false };
    char *chunk = malloc(MCP_READ_CHUNK);
    char why[128] = "end of input";
    bool deliver_eof = true;

    if (chunk == NULL) {
        snprintf(why, sizeof why, "out of memory for the read buffer");
        goto eof;
    }
    while (!async_worker_should_stop(self)) {
        size_t n = 0;
        mcp_io_status_t st = mcp_stdio_read(t->io, chunk, MCP_READ_CHUNK, &n,
                                            why, sizeof why);
        if (st == MCP_IO_STOPPED) {
            deliver_eof = false;        /* asked to stop: no EOF to report */
            break;
        }
        if (st != MCP_IO_OK)
            break;                      /* EOF, or FAILED with why */
        if (!reader_feed(t, &lb, chunk, n)) {
            deliver_eof = false;        /* stopping (or out of memory) */
            break;
        }
        /* counted after the chunk is fed: a reader of the stat knows these
         * bytes went through the line splitter */
        atomic_fetch_add_explicit(&t->bytes_read, n, memory_order_release);
    }
eof:
    if (deliver_eof) {
        /* A last line without its newline is still a message. */
        if (lb.discarding)
            deliver_eof = reader_too_long(t);
        else if (lb.len > 0)
            deliver_eof = reader_deliver(t, mcp_input_parse_line(lb.data, lb.len));
        if (deliver_eof)
            reader_deliver(t, mcp_input_new(MCP_INPUT_EOF, why));
    }
    free(lb.data);
    free(chunk);
    return NULL;
}

/* ================================================================ writer */

static int64_t drain_deadline(mcp_transport_t *t)
{
    /* acquire: pairs with stop's release store before it wakes the writer */
    return atomic_load_explicit(&t->drain_deadline, memory_order_acquire);
}

/* Waits until not_before (a gap the server asked for), stop-aware. */
static mcp_io_status_t writer_wait_until(mcp_transport_t *t, int64_t not_before)
{
    for (;;) {
        int64_t d = drain_deadline(t);
        if (port_deadline_expired(d))
            return MCP_IO_ABANDONED;
        int64_t now = port_clock_now_ms();
        if (now >= not_before)
            return MCP_IO_OK;
        int64_t wait = not_before - now;
        int64_t cap = port_deadline_remaining_ms_ceil(d);   /* -1: no deadline */
        if (cap >= 0 && cap < wait)
            wait = cap;
        if (wait > INT_MAX)
            wait = INT_MAX;
        mcp_stdio_sleep(t->io, (int)wait);
    }
}

static void writer_account(mcp_transport_t *t, const mcp_out_msg_t *m)
{
    atomic_fetch_sub_explicit(&t->queued_count, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&t->queued_bytes, m->len, memory_order_relaxed);
}

static void *writer_proc(void *arg)
{
    mcp_transport_t *t = arg;
    bool dead = false;          /* failed or abandoned: discard the rest */
    for (;;) {
        mcp_out_msg_t *m;
        size_t got;
        if (!async_queue_dequeue(t->outq, &m, sizeof m, &got)) {
            if (async_queue_is_closed(t->outq))
                break;          /* closed and drained */
            async_queue_wait(t->outq, -1);
            continue;
        }
        writer_account(t, m);
        if (dead) {
            free(m);
            continue;
        }
        mcp_io_status_t st = MCP_IO_OK;
        char why[192] = "";
        if (m->not_before_ms > 0)
            st = writer_wait_until(t, m->not_before_ms);
        if (st == MCP_IO_OK)
            st = mcp_stdio_write(t->io, m->data, m->len, why, sizeof why);
        if (st == MCP_IO_OK) {
            atomic_fetch_add_explicit(&t->written, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&t->bytes_written, m->len, memory_order_relaxed);
        } else if (st == MCP_IO_CLOSED || st == MCP_IO_FAILED) {
            dead = true;
            atomic_store_explicit(&t->output_failed, true, memory_order_release);
            if (st == MCP_IO_CLOSED)
                log_info("mcp: the client closed its end of the protocol "
                         "stream (EPIPE): disconnecting");
            else
                log_warn("mcp: writing to the client failed: %s; "
                         "disconnecting", why);
            async_runtime_post_completion(t->cfg.runtime, t->cfg.key,
                                          MCP_TRANSPORT_EVENT_OUTPUT_FAILED);
        } else {
            dead = true;
            log_warn("mcp: the client did not read its output within the "
                     "shutdown deadline; the rest is discarded");
        }
        free(m);
    }
    return NULL;
}

/* ============================================================ lifecycle */

mcp_transport_t *mcp_transport_start(const mcp_transport_config_t *cfg)
{
    mcp_transport_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        log_error("mcp: out of memory starting the transport");
        return NULL;
    }
    t->cfg = *cfg;
    if (t->cfg.out_capacity == 0)
        t->cfg.out_capacity = MCP_DEFAULT_CAPACITY;
    if (t->cfg.out_budget == 0)
        t->cfg.out_budget = MCP_DEFAULT_BUDGET;
    if (t->cfg.max_line == 0)
        t->cfg.max_line = 10 * 1024 * 1024;
    atomic_init(&t->queued_count, 0);
    atomic_init(&t->queued_bytes, 0);
    atomic_init(&t->output_failed, false);
    atomic_init(&t->drain_deadline, PORT_DEADLINE_NEVER);
    atomic_init(&t->inputs, 0);
    atomic_init(&t->bytes_read, 0);
    atomic_init(&t->too_long, 0);
    atomic_init(&t->written, 0);
    atomic_init(&t->bytes_written, 0);
    atomic_init(&t->dropped, 0);

    /* jansson seeds its hash function on first use; do it here, on one
     * thread, before the reader builds objects. */
    json_object_seed(0);

    t->io = mcp_stdio_open(t->cfg.in_fd, t->cfg.out_fd, &t->drain_deadline);
    if (t->io == NULL) {
        log_error("mcp: cannot set up the workers' input and output: %s",
                  strerror(errno));
        goto fail;
    }
    t->inq = async_queue_create(MCP_IN_QUEUE, sizeof(mcp_input_t *),
                                ASYNC_QUEUE_BLOCK_WRITER);
    t->outq = async_queue_create(t->cfg.out_capacity, sizeof(mcp_out_msg_t *),
                                 ASYNC_QUEUE_SIGNAL_ON_DATA);
    if (t->inq == NULL || t->outq == NULL) {
        log_error("mcp: out of memory creating the transport queues");
        goto fail;
    }
    t->writer = async_worker_create(writer_proc, t, 0);
    if (t->writer == NULL) {
        log_error("mcp: cannot start the writer thread");
        goto fail;
    }
    t->reader = async_worker_create(reader_proc, t, 0);
    if (t->reader == NULL) {
        log_error("mcp: cannot start the reader thread");
        async_queue_close(t->outq);
        async_worker_join(t->writer, -1);
        async_worker_destroy(t->writer);
        t->writer = NULL;
        goto fail;
    }
    return t;

fail:
    if (t->inq != NULL)
        async_queue_destroy(t->inq);
    if (t->outq != NULL)
        async_queue_destroy(t->outq);
    mcp_stdio_close(t->io, false);      /* the fds stay the caller's */
    free(t);
    return NULL;
}

mcp_input_t *mcp_transport_next_input(mcp_transport_t *t)
{
    mcp_input_t *in;
    size_t got;
    if (t == NULL || !async_queue_dequeue(t->inq, &in, sizeof in, &got))
        return NULL;
    return in;
}

mcp_send_result_t mcp_transport_send(mcp_transport_t *t, mcp_out_msg_t *msg)
{
    if (msg == NULL)
        return MCP_SEND_CLOSED;
    if (t->stopped ||
        atomic_load_explicit(&t->output_failed, memory_order_acquire)) {
        free(msg);
        return MCP_SEND_CLOSED;
    }
    size_t count = atomic_load_explicit(&t->queued_count, memory_order_relaxed);
    size_t bytes = atomic_load_explicit(&t->queued_bytes, memory_order_relaxed);
    size_t cap = t->cfg.out_capacity, budget = t->cfg.out_budget;
    if (msg->cls == MCP_OUT_NOTIFICATION) {
        if (count >= cap / 2 || bytes + msg->len > budget / 2) {
            atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
            free(msg);
            return MCP_SEND_DROPPED;
        }
    } else if (count > 0 && (count >= cap || bytes + msg->len > budget)) {
        free(msg);
        return MCP_SEND_OVERFLOW;
    }
    atomic_fetch_add_explicit(&t->queued_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->queued_bytes, msg->len, memory_order_relaxed);
    if (!async_queue_enqueue(t->outq, &msg, sizeof msg)) {
        /* Cannot happen while count < capacity (single producer); kept as
         * a refusal rather than a leak. */
        atomic_fetch_sub_explicit(&t->queued_count, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&t->queued_bytes, msg->len, memory_order_relaxed);
        mcp_out_class_t cls = msg->cls;
        free(msg);
        return cls == MCP_OUT_NOTIFICATION ? MCP_SEND_DROPPED : MCP_SEND_OVERFLOW;
    }
    return MCP_SEND_OK;
}

/* Joins w within timeout_ms; logs and detaches a worker that missed it. */
static bool join_worker(async_worker_t **w, int timeout_ms, const char *name)
{
    if (*w == NULL)
        return true;
    bool ok = async_worker_join(*w, timeout_ms);
    if (!ok)
        log_warn("mcp: the %s thread did not stop within %d ms; detaching it",
                 name, timeout_ms);
    async_worker_destroy(*w);
    *w = NULL;
    return ok;
}

bool mcp_transport_stop(mcp_transport_t *t, int drain_ms)
{
    if (t == NULL)
        return true;
    if (t->stopped)
        return t->joined;
    t->stopped = true;
    if (drain_ms < 0)
        drain_ms = 0;

    /* Reader: stop flag, then interrupt its read - the flag also frees
     * it from a blocked enqueue.  The in-queue is closed after the join:
     * nothing the reader queued is lost before destroy frees it. */
    async_worker_signal_stop(t->reader);
    mcp_stdio_stop_reader(t->io);
    bool ok = join_worker(&t->reader, 1000, "MCP reader");

    /* Writer: deadline first (it reads it after waking), then close the
     * queue so it drains and ends, then wake it in case it sleeps.  A
     * writer still in a blocked write at the deadline has it aborted. */
    atomic_store_explicit(&t->drain_deadline, port_deadline_after_ms(drain_ms),
                          memory_order_release);
    async_queue_close(t->outq);
    mcp_stdio_wake_writer(t->io);
    if (t->writer != NULL && !async_worker_join(t->writer, drain_ms))
        mcp_stdio_abort_writer(t->io);
    ok = join_worker(&t->writer, 500, "MCP writer") && ok;
    t->joined = ok;
    return ok;
}

void mcp_transport_destroy(mcp_transport_t *t)
{
    if (t == NULL)
        return;
    bool clean = mcp_transport_stop(t, 0);
    if (clean) {
        /* Workers joined: what is left in the queues is ours to free. */
        mcp_input_t *in;
        while ((in = mcp_transport_next_input(t)) != NULL)
            mcp_input_free(in);
        mcp_out_msg_t *m;
        size_t got;
        while (async_queue_dequeue(t->outq, &m, sizeof m, &got))
            free(m);
        async_queue_destroy(t->inq);
        async_queue_destroy(t->outq);
        mcp_stdio_close(t->io, true);   /* closes both fds */
        free(t);
    }
    /* else: a detached worker may still use t; it is left to the process
     * exit (logged by stop) rather than freed under the thread. */
}

void mcp_transport_get_stats(mcp_transport_t *t, mcp_transport_stats_t *s)
{
    memset(s, 0, sizeof *s);
    if (t == NULL)
        return;
    s->inputs = atomic_load_explicit(&t->inputs, memory_order_relaxed);
    s->bytes_read = atomic_load_explicit(&t->bytes_read, memory_order_acquire);
    s->lines_too_long = atomic_load_explicit(&t->too_long, memory_order_relaxed);
    s->messages_written = atomic_load_explicit(&t->written, memory_order_relaxed);
    s->bytes_written = atomic_load_explicit(&t->bytes_written, memory_order_relaxed);
    s->notifications_dropped = atomic_load_explicit(&t->dropped, memory_order_relaxed);
    s->queued_messages = atomic_load_explicit(&t->queued_count, memory_order_relaxed);
    s->queued_bytes = atomic_load_explicit(&t->queued_bytes, memory_order_relaxed);
    s->output_failed = atomic_load_explicit(&t->output_failed, memory_order_acquire);
}

/* ============================================================= start-up */

int mcp_transport_claim_stdio(int *in_fd, int *out_fd)
{
    return mcp_stdio_claim(in_fd, out_fd);
}
