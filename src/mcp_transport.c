/*
 * mcp_transport.c - the MCP stdio transport's two workers (see
 * mcp_transport.h for the contract and the overflow policy).
 *
 * WAKING A WORKER.  Both workers sleep in poll(2) on their fd plus the
 * read end of a private wake pipe; mcp_transport_stop writes one byte to
 * it.  So a reader blocked on a silent client, or a writer blocked on a
 * client that stopped reading, still ends within the stop deadline, and
 * no fd is ever closed under a thread using it.  The writer only writes
 * after poll reported POLLOUT, and at most PIPE_BUF bytes at a time: POSIX
 * guarantees such a write to a pipe with room does not block.
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
 *  - drain_deadline_ms: INT64_MAX until stop stores the drain deadline
 *    (release, before ringing the wake pipe); the writer loads it
 *    (acquire) after every wake-up.
 *  - counters (inputs, written, ...): statistics, relaxed.
 *
 * POSIX only for now: poll, pipes and fcntl.  A Win32 transport would
 * replace the two worker bodies (overlapped reads on the console handles)
 * behind the same header.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_transport.h"
#include "mcp_json.h"
#include "log.h"

#include "async/async_queue.h"
#include "async/async_worker.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MCP_IN_QUEUE          256
#define MCP_READ_CHUNK        (64 * 1024)
#define MCP_DEFAULT_CAPACITY  4096
#define MCP_DEFAULT_BUDGET    ((size_t)64 * 1024 * 1024)

#ifndef PIPE_BUF
#define PIPE_BUF 512
#endif

struct mcp_transport {
    mcp_transport_config_t cfg;
    async_queue_t *inq;          /* mcp_input_t *, reader -> main */
    async_queue_t *outq;         /* mcp_out_msg_t *, main -> writer */
    async_worker_t *reader;
    async_worker_t *writer;
    int reader_wake[2];          /* [0] polled by the reader, [1] rung by stop */
    int writer_wake[2];
    bool stopped;                /* main thread only */
    bool joined;                 /* stop joined both workers in time */

    atomic_size_t queued_count;
    atomic_size_t queued_bytes;
    atomic_bool output_failed;
    atomic_int_least64_t drain_deadline_ms;

    atomic_uint_least64_t inputs;
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

static int make_wake_pipe(int p[2])
{
#ifdef HAVE_PIPE2
    return pipe2(p, O_CLOEXEC | O_NONBLOCK);
#else
    if (pipe(p) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(p[i], F_GETFL);
        int fdfl = fcntl(p[i], F_GETFD);
        if (fl < 0 || fdfl < 0 || fcntl(p[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
            fcntl(p[i], F_SETFD, fdfl | FD_CLOEXEC) != 0) {
            close(p[0]);
            close(p[1]);
            return -1;
        }
    }
    return 0;
#endif
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0)
            close(p[i]);
        p[i] = -1;
    }
}

static void ring(int fd)
{
    unsigned char b = 1;
    ssize_t rc;
    do {
        rc = write(fd, &b, 1);      /* EAGAIN: already rung, enough */
    } while (rc < 0 && errno == EINTR);
}

static void drain_wake(int fd)
{
    unsigned char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

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
        struct pollfd pfd[2] = {
            { .fd = t->cfg.in_fd, .events = POLLIN },
            { .fd = t->reader_wake[0], .events = POLLIN },
        };
        int rc = poll(pfd, 2, -1);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, sizeof why, "poll on the input failed: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents != 0) {
            deliver_eof = false;        /* asked to stop: no EOF to report */
            break;
        }
        if (pfd[0].revents == 0)
            continue;
        ssize_t n = read(t->cfg.in_fd, chunk, MCP_READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(why, sizeof why, "read error on the input: %s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (!reader_feed(t, &lb, chunk, (size_t)n)) {
            deliver_eof = false;        /* stopping (or out of memory) */
            break;
        }
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

/* Milliseconds poll may sleep before `deadline` (-1: no deadline). */
static int poll_timeout(int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX)
        return -1;
    int64_t left = deadline_ms - port_clock_now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static bool drain_expired(mcp_transport_t *t)
{
    int64_t d = atomic_load_explicit(&t->drain_deadline_ms, memory_order_acquire);
    return d != INT64_MAX && port_clock_now_ms() >= d;
}

typedef enum write_status { WRITE_OK, WRITE_FAILED, WRITE_ABANDONED } write_status_t;

/* Waits until not_before (a gap the server asked for), stop-aware. */
static write_status_t writer_wait_until(mcp_transport_t *t, int64_t not_before)
{
    for (;;) {
        if (drain_expired(t))
            return WRITE_ABANDONED;
        int64_t now = port_clock_now_ms();
        if (now >= not_before)
            return WRITE_OK;
        int64_t d = atomic_load_explicit(&t->drain_deadline_ms, memory_order_acquire);
        int wait = (int)(not_before - now);
        int cap = poll_timeout(d);
        if (cap >= 0 && cap < wait)
            wait = cap;
        struct pollfd pfd = { .fd = t->writer_wake[0], .events = POLLIN };
        if (poll(&pfd, 1, wait) > 0)
            drain_wake(t->writer_wake[0]);
    }
}

/*
** Writes all of buf to the protocol fd: poll for POLLOUT (and the wake
** pipe), then at most PIPE_BUF bytes.  Gives up when the drain deadline
** passes (WRITE_ABANDONED) or the fd fails (WRITE_FAILED, errno kept in
** *err: EPIPE when the client closed its end).
*/
static write_status_t writer_write(mcp_transport_t *t, const char *buf,
                                   size_t len, int *err)
{
    while (len > 0) {
        struct pollfd pfd[2] = {
            { .fd = t->cfg.out_fd, .events = POLLOUT },
            { .fd = t->writer_wake[0], .events = POLLIN },
        };
        int64_t d = atomic_load_explicit(&t->drain_deadline_ms, memory_order_acquire);
        int rc = poll(pfd, 2, poll_timeout(d));
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return WRITE_FAILED;
        }
        if (pfd[1].revents != 0)
            drain_wake(t->writer_wake[0]);
        if (drain_expired(t))
            return WRITE_ABANDONED;
        if (pfd[0].revents & (POLLERR | POLLNVAL)) {
            *err = EPIPE;
            return WRITE_FAILED;
        }
        if (!(pfd[0].revents & (POLLOUT | POLLHUP)))
            continue;
        size_t n = len < PIPE_BUF ? len : PIPE_BUF;
        ssize_t w = write(t->cfg.out_fd, buf, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            *err = errno;
            return WRITE_FAILED;
        }
        buf += w;
        len -= (size_t)w;
    }
    return WRITE_OK;
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
        write_status_t st = WRITE_OK;
        int err = 0;
        if (m->not_before_ms > 0)
            st = writer_wait_until(t, m->not_before_ms);
        if (st == WRITE_OK)
            st = writer_write(t, m->data, m->len, &err);
        if (st == WRITE_OK) {
            atomic_fetch_add_explicit(&t->written, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&t->bytes_written, m->len, memory_order_relaxed);
        } else if (st == WRITE_FAILED) {
            dead = true;
            atomic_store_explicit(&t->output_failed, true, memory_order_release);
            if (err == EPIPE)
                log_info("mcp: the client closed its end of the protocol "
                         "stream (EPIPE): disconnecting");
            else
                log_warn("mcp: writing to the client failed: %s; "
                         "disconnecting", strerror(err));
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
    t->reader_wake[0] = t->reader_wake[1] = -1;
    t->writer_wake[0] = t->writer_wake[1] = -1;
    atomic_init(&t->queued_count, 0);
    atomic_init(&t->queued_bytes, 0);
    atomic_init(&t->output_failed, false);
    atomic_init(&t->drain_deadline_ms, INT64_MAX);
    atomic_init(&t->inputs, 0);
    atomic_init(&t->too_long, 0);
    atomic_init(&t->written, 0);
    atomic_init(&t->bytes_written, 0);
    atomic_init(&t->dropped, 0);

    /* jansson seeds its hash function on first use; do it here, on one
     * thread, before the reader builds objects. */
    json_object_seed(0);

    if (make_wake_pipe(t->reader_wake) != 0 || make_wake_pipe(t->writer_wake) != 0) {
        log_error("mcp: cannot create the workers' wake pipes: %s", strerror(errno));
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
    close_pair(t->reader_wake);
    close_pair(t->writer_wake);
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

    /* Reader: stop flag, then the wake pipe (poll) - the flag also frees
     * it from a blocked enqueue.  The in-queue is closed after the join:
     * nothing the reader queued is lost before destroy frees it. */
    async_worker_signal_stop(t->reader);
    ring(t->reader_wake[1]);
    bool ok = join_worker(&t->reader, 1000, "MCP reader");

    /* Writer: deadline first (it reads it after waking), then close the
     * queue so it drains and ends, then ring in case it sleeps in poll. */
    atomic_store_explicit(&t->drain_deadline_ms,
                          port_clock_now_ms() + drain_ms, memory_order_release);
    async_queue_close(t->outq);
    ring(t->writer_wake[1]);
    ok = join_worker(&t->writer, drain_ms + 500, "MCP writer") && ok;
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
        close_pair(t->reader_wake);
        close_pair(t->writer_wake);
        if (t->cfg.in_fd >= 0)
            close(t->cfg.in_fd);
        if (t->cfg.out_fd >= 0)
            close(t->cfg.out_fd);
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
    fflush(stdout);
    int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    if (in < 0)
        return -1;
    int out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
        dup2(devnull, STDIN_FILENO) < 0) {
        int e = errno;
        /* Put stdout back if it was moved: nothing changed for the caller. */
        dup2(out, STDOUT_FILENO);
        if (devnull >= 0)
            close(devnull);
        close(in);
        close(out);
        errno = e;
        return -1;
    }
    close(devnull);
    *in_fd = in;
    *out_fd = out;
    return 0;
}
