/*
 * comm.c - telnet connections on top of the backend's socket watchers
 * (see comm.h for the contract, telnet.h for the protocol layer).
 *
 * LISTENERS.  Bind address NULL: one IPv4 socket on 0.0.0.0 and one IPv6
 * socket on :: with IPV6_V6ONLY (so the two never fight over the port,
 * whatever net.ipv6.bindv6only says); a host without IPv6 just gets the
 * IPv4 one.  A bind address: every address it resolves to.  The socket
 * calls themselves are net.h's (one file per OS): all sockets are
 * non-blocking and not inherited by children.  A readable listener
 * accepts at most COMM_ACCEPTS_PER_EVENT connections per event (the
 * runtime is level-triggered: the rest come next turn), so a connection
 * storm cannot monopolise a turn.  Out of file descriptors, the spare fd
 * kept open for the purpose (net_reserve_take; none on Windows) is released so the pending connection can be
 * accepted and turned away politely instead of spinning on a listener
 * that stays readable.
 *
 * INPUT.  A readable connection gets one recv of at most COMM_READ_CHUNK
 * bytes per event, fed to its telnet session; complete lines are queued
 * in the connection's input queue (records of [u32 length][bytes][NUL]
 * in one buffer).  A connection with queued lines sits in the `pending`
 * list.  comm_process_input() walks that list round-robin, one line per
 * connection per turn.  Flood control without data loss: when a
 * connection's queue reaches COMM_INPUT_PAUSE_LINES lines (or
 * input_pause_bytes bytes) its READ interest is dropped, so the kernel
 * buffers and then TCP flow control push back on the client; reading
 * resumes when the queue is down to half.  Memory per connection is thus
 * bounded by the pause threshold plus what one read can produce.
 *
 * OUTPUT.  comm_write() escapes through the telnet session into the
 * connection's output buffer and puts the connection on the `dirty` list.
 * comm_flush() (end of turn) gives each dirty connection exactly one
 * net_send (no SIGPIPE): everything the turn produced - reply and prompt -
 * leaves in one segment, and with TCP_NODELAY nothing waits for Nagle.
 * What the socket does not take stays buffered with WRITE interest on;
 * WRITE is dropped again as soon as the buffer is empty.  A buffer that
 * would exceed max_output_buffer marks the connection `overflowed`: the
 * write is dropped, the connection is logged and closed at the flush.
 *
 * CLOSING.  Three ways:
 *  - at once (conn_teardown), when the socket is dead: ECONNRESET, EPIPE,
 *    a hang-up, or an orderly EOF with nothing left to process;
 *  - deferred to the flush (the `doomed` list), when a callback or the
 *    protocol asks: comm_close(), output overflow, a telnet protocol
 *    error, and an EOF after which queued lines still had to be processed
 *    (a script that sends commands and closes gets all of them run);
 *  - lingering: a closing connection whose output did not all leave in
 *    the flush keeps WRITE interest (no more input) until it drains, the
 *    socket fails, or COMM_LINGER_MS passes.
 * Teardown order: unwatch (backend_unwatch neutralises the rest of the
 * batch), close the fd, on_close, and park the struct on the `zombies`
 * list.  Zombies are freed at the end of comm_flush, when no list of ours
 * (dirty, doomed) can still point at them; until then every entry point
 * checks for CONN_CLOSED.
 *
 * Main thread only.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "comm.h"

#include "backend.h"
#include "log.h"
#include "net.h"
#include "telnet.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One recv per readiness event, at most this much. */
#define COMM_READ_CHUNK          16384
/* Connections accepted per listener readiness event. */
#define COMM_ACCEPTS_PER_EVENT   64
#define COMM_LISTEN_BACKLOG      4096
#define COMM_MAX_LISTENERS       8
/* Flood control: stop reading at this many queued lines (or bytes, see
 * comm_init); resume at half. */
#define COMM_INPUT_PAUSE_LINES   64
#define COMM_INPUT_PAUSE_BYTES   (64 * 1024)
/* Output buffer: first allocation, and the size above which a drained
 * buffer is released (idle connections then hold no output memory). */
#define COMM_OUTPUT_INITIAL      1024
#define COMM_BUFFER_KEEP         4096
/* Reads of unprocessed input discarded before closing (see conn_teardown). */
#define COMM_CLOSE_DRAIN_READS   16
/* How long a closing connection may take to drain its output. */
#define COMM_LINGER_MS           5000

#define COMM_ADDR_MAX  64   /* INET6_ADDRSTRLEN (46) with room to spare */
#define COMM_LABEL_MAX (COMM_ADDR_MAX + 8)  /* "[addr]:port" */

typedef enum conn_state {
    CONN_OPEN,      /* normal */
    CONN_CLOSING,   /* close requested: on the doomed list, flushed then closed */
    CONN_LINGER,    /* closing, output left over: waiting for writability */
    CONN_CLOSED     /* torn down: a zombie awaiting free */
} conn_state_t;

/* Queue record header: the line's length (the bytes and a NUL follow). */
typedef uint32_t inq_len_t;

struct comm_conn {
    backend_watcher_t watcher;     /* registered while state != CONN_CLOSED */
    async_socket_t fd;             /* NET_NO_SOCKET once closed */
    conn_state_t state;
    unsigned interest;             /* ASYNC_EVENT_* we asked the backend for */
    telnet_session_t *telnet;      /* owned */
    void *user_data;               /* the application's; not freed here */

    /* Input queue: records in inq[inq_head .. inq_used). */
    char  *inq;
    size_t inq_head;
    size_t inq_used;
    size_t inq_cap;
    size_t inq_lines;
    bool   read_paused;            /* flood control dropped READ */
    bool   peer_eof;               /* the client shut down its side */
    uint64_t served_turn;          /* comm_process_input turn last served */

    /* Output buffer: unsent bytes are out[out_head .. out_head + out_len). */
    char  *out;
    size_t out_head;
    size_t out_len;
    size_t out_cap;
    bool   overflowed;             /* exceeded the cap: close without flushing */

    /* List links.  all/pending are doubly linked (O(1) removal); dirty,
     * doomed and zombies are singly linked with membership flags. */
    comm_conn_t *all_prev, *all_next;
    comm_conn_t *pend_prev, *pend_next;
    bool in_pending;
    comm_conn_t *dirty_next;
    bool in_dirty;
    comm_conn_t *doomed_next;
    bool in_doomed;
    comm_conn_t *zombie_next;

    backend_timer_t *linger_timer; /* CONN_LINGER only */

    int64_t last_input_ns;
    char peer_addr[COMM_ADDR_MAX]; /* "127.0.0.1", "::1" */
    int  peer_port;
    char label[COMM_LABEL_MAX];     /* "127.0.0.1:4242", "[::1]:4242" for logs */
};

typedef struct comm_listener {
    backend_watcher_t watcher;
    async_socket_t fd;
    char label[COMM_LABEL_MAX];
} comm_listener_t;

/* Module state.  Main thread only. */
static struct comm_state {
    bool initialised;
    comm_handler_t handler;
    int    port;
    size_t max_connections;
    size_t max_input_line;
    size_t max_output_buffer;
    size_t input_pause_bytes;

    comm_listener_t listeners[COMM_MAX_LISTENERS];
    size_t listener_count;
    int spare_fd;                  /* net_reserve_take(): released when accept hits EMFILE */

    comm_conn_t *all_head;
    size_t conn_count;             /* connections not yet torn down */
    comm_conn_t *pend_head, *pend_tail;
    comm_conn_t *dirty_head, *dirty_tail;
    comm_conn_t *doomed_head, *doomed_tail;
    comm_conn_t *zombies;
    uint64_t input_turn;
} cs = { .spare_fd = -1 };

/* Receive buffer shared by all connections: reads are never nested. */
static char comm_read_buffer[COMM_READ_CHUNK];

static void conn_teardown(comm_conn_t *c, const char *reason);

/* ================================================================ helpers */

/* Numeric host and port of a socket address; IPv4-mapped IPv6 addresses
 * are shown as plain IPv4. */
static void format_address(const struct sockaddr *sa, char *host, size_t host_size,
                           int *port)
{
    *port = 0;
    snprintf(host, host_size, "?");
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)host_size);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, (socklen_t)host_size);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)host_size);
        *port = ntohs(in6->sin6_port);
    } else if (sa->sa_family == AF_UNIX) {
        snprintf(host, host_size, "local");
    }
}

static void format_label(char *label, size_t size, const char *host, int port)
{
    if (strchr(host, ':') != NULL)
        snprintf(label, size, "[%s]:%d", host, port);
    else
        snprintf(label, size, "%s:%d", host, port);
}

/* ================================================================== lists */

static void all_insert(comm_conn_t *c)
{
    c->all_prev = NULL;
    c->all_next = cs.all_head;
    if (cs.all_head != NULL)
        cs.all_head->all_prev = c;
    cs.all_head = c;
    cs.conn_count++;
}

static void all_remove(comm_conn_t *c)
{
    if (c->all_prev != NULL)
        c->all_prev->all_next = c->all_next;
    else
        cs.all_head = c->all_next;
    if (c->all_next != NULL)
        c->all_next->all_prev = c->all_prev;
    c->all_prev = c->all_next = NULL;
    cs.conn_count--;
}

static void pending_append(comm_conn_t *c)
{
    if (c->in_pending)
        return;
    c->in_pending = true;
    c->pend_next = NULL;
    c->pend_prev = cs.pend_tail;
    if (cs.pend_tail != NULL)
        cs.pend_tail->pend_next = c;
    else
        cs.pend_head = c;
    cs.pend_tail = c;
}

static void pending_remove(comm_conn_t *c)
{
    if (!c->in_pending)
        return;
    if (c->pend_prev != NULL)
        c->pend_prev->pend_next = c->pend_next;
    else
        cs.pend_head = c->pend_next;
    if (c->pend_next != NULL)
        c->pend_next->pend_prev = c->pend_prev;
    else
        cs.pend_tail = c->pend_prev;
    c->pend_prev = c->pend_next = NULL;
    c->in_pending = false;
}

static void dirty_push(comm_conn_t *c)
{
    if (c->in_dirty)
        return;
    c->in_dirty = true;
    c->dirty_next = NULL;
    if (cs.dirty_tail != NULL)
        cs.dirty_tail->dirty_next = c;
    else
        cs.dirty_head = c;
    cs.dirty_tail = c;
}

static comm_conn_t *dirty_pop(void)
{
    comm_conn_t *c = cs.dirty_head;
    if (c == NULL)
        return NULL;
    cs.dirty_head = c->dirty_next;
    if (cs.dirty_head == NULL)
        cs.dirty_tail = NULL;
    c->dirty_next = NULL;
    c->in_dirty = false;
    return c;
}

static void doomed_push(comm_conn_t *c)
{
    if (c->in_doomed)
        return;
    c->in_doomed = true;
    c->doomed_next = NULL;
    if (cs.doomed_tail != NULL)
        cs.doomed_tail->doomed_next = c;
    else
        cs.doomed_head = c;
    cs.doomed_tail = c;
}

static comm_conn_t *doomed_pop(void)
{
    comm_conn_t *c = cs.doomed_head;
    if (c == NULL)
        return NULL;
    cs.doomed_head = c->doomed_next;
    if (cs.doomed_head == NULL)
        cs.doomed_tail = NULL;
    c->doomed_next = NULL;
    c->in_doomed = false;
    return c;
}

/* ========================================================= interest, free */

/* Tells the backend what the connection wants now: READ while open, not
 * flood-paused and the peer has not closed; WRITE while output waits. */
static void conn_update_interest(comm_conn_t *c)
{
    if (c->state == CONN_CLOSED)
        return;
    unsigned want = 0;
    if (c->state == CONN_OPEN && !c->read_paused && !c->peer_eof)
        want |= ASYNC_EVENT_READ;
    if (c->out_len > 0)
        want |= ASYNC_EVENT_WRITE;
    if (want == c->interest)
        return;
    if (backend_watch_modify(&c->watcher, want) != 0) {
        log_warn("comm: %s: cannot change socket interest: %s", c->label,
                 net_strerror(errno));
        return;
    }
    c->interest = want;
}

static void conn_free(comm_conn_t *c)
{
    telnet_session_destroy(c->telnet);
    free(c->inq);
    free(c->out);
    free(c);
}

static void zombies_free(void)
{
    while (cs.zombies != NULL) {
        comm_conn_t *c = cs.zombies;
        cs.zombies = c->zombie_next;
        conn_free(c);
    }
}

/* ==================================================================== output */

/* Appends wire bytes to the output buffer, enforcing the cap.  The
 * telnet session's `send` callback. */
static void conn_output_append(comm_conn_t *c, const char *data, size_t len)
{
    if (c->state == CONN_CLOSED || c->overflowed || len == 0)
        return;
    if (c->out_len + len > cs.max_output_buffer) {
        c->overflowed = true;
        doomed_push(c);
        return;
    }
    if (c->out_head + c->out_len + len > c->out_cap) {
        if (c->out_head > 0) {
            memmove(c->out, c->out + c->out_head, c->out_len);
            c->out_head = 0;
        }
        if (c->out_len + len > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : COMM_OUTPUT_INITIAL;
            while (cap < c->out_len + len)
                cap *= 2;
            if (cap > cs.max_output_buffer)
                cap = cs.max_output_buffer;
            char *p = realloc(c->out, cap);
            if (p == NULL) {
                /* Treated as an overflow: the client cannot be served. */
                log_error("comm: %s: out of memory for %zu bytes of output",
                          c->label, cap);
                c->overflowed = true;
                doomed_push(c);
                return;
            }
            c->out = p;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_head + c->out_len, data, len);
    c->out_len += len;
    dirty_push(c);
}

/*
** Sends the pending output with one send().  Returns false if the
** connection was torn down (send failed for good).  Updates WRITE
** interest either way.
*/
static bool conn_send(comm_conn_t *c)
{
    if (c->out_len > 0) {
        long n = net_send(c->fd, c->out + c->out_head, c->out_len);
        if (n > 0) {
            c->out_head += (size_t)n;
            c->out_len -= (size_t)n;
            if (c->out_len == 0) {
                c->out_head = 0;
                if (c->out_cap > COMM_BUFFER_KEEP) {
                    free(c->out);
                    c->out = NULL;
                    c->out_cap = 0;
                }
            }
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                   errno != EINTR && errno != ENOBUFS) {
            conn_teardown(c, net_strerror(errno));
            return false;
        }
    }
    conn_update_interest(c);
    return true;
}

/* =================================================================== closing */

static void conn_linger_expired(void *ctx)
{
    comm_conn_t *c = ctx;
    c->linger_timer = NULL;     /* one-shot: the backend frees it */
    log_info("comm: %s: %zu bytes of output not taken in %d ms, dropped",
             c->label, c->out_len, COMM_LINGER_MS);
    conn_teardown(c, "closed (output not drained)");
}

/*
** Unwatches, closes and forgets the connection, calls on_close, and parks
** the struct on the zombie list (freed at the end of comm_flush).
** Idempotent.
*/
static void conn_teardown(comm_conn_t *c, const char *reason)
{
    if (c->state == CONN_CLOSED)
        return;
    c->state = CONN_CLOSED;
    pending_remove(c);
    all_remove(c);
    if (c->linger_timer != NULL) {
        backend_timer_cancel(c->linger_timer);
        c->linger_timer = NULL;
    }
    backend_unwatch(&c->watcher);
    /* close() with unread input sends RST instead of FIN, and a client
     * receiving RST may report ECONNRESET before (or instead of) reading
     * the last output ("bye").  Discard what is queued first, bounded:
     * a client still sending after we close gets its RST anyway. */
    for (int i = 0; i < COMM_CLOSE_DRAIN_READS; i++) {
        if (net_recv(c->fd, comm_read_buffer, sizeof comm_read_buffer) <= 0)
            break;              /* the socket is non-blocking: never waits */
    }
    net_close(c->fd);
    c->fd = NET_NO_SOCKET;
    c->interest = 0;
    log_info("comm: disconnect %s: %s (%zu connections)", c->label, reason,
             cs.conn_count);
    if (cs.handler.on_close != NULL)
        cs.handler.on_close(c, cs.handler.ctx);
    c->zombie_next = cs.zombies;
    cs.zombies = c;
}

/* Marks an open connection for closing at the next flush. */
static void conn_request_close(comm_conn_t *c)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_CLOSING;
    pending_remove(c);
    doomed_push(c);
    conn_update_interest(c);    /* no more reading */
}

/* A doomed connection at flush time (its output was sent just before). */
static void conn_finish_close(comm_conn_t *c)
{
    if (c->state == CONN_CLOSED)
        return;
    if (c->overflowed) {
        log_warn("disconnecting %s: output buffer exceeded %zu bytes (client not reading)",
                 c->peer_addr, cs.max_output_buffer);
        conn_teardown(c, "output buffer overflow");
        return;
    }
    if (c->out_len == 0) {
        conn_teardown(c, c->peer_eof ? "peer closed" : "closed");
        return;
    }
    if (c->state == CONN_LINGER)
        return;
    c->state = CONN_LINGER;
    c->linger_timer = backend_timer_add(COMM_LINGER_MS, 0, conn_linger_expired, c);
    if (c->linger_timer == NULL)
        conn_teardown(c, "closed (out of memory for the linger timer)");
    else
        conn_update_interest(c);
}

/* ===================================================================== input */

/* The telnet session's `line` callback: queue the line. */
static void conn_queue_line(void *ctx, const char *line, size_t len)
{
    comm_conn_t *c = ctx;
    if (c->state != CONN_OPEN)
        return;
    size_t need = sizeof(inq_len_t) + len + 1;
    if (c->inq_used + need > c->inq_cap) {
        if (c->inq_head > 0) {
            memmove(c->inq, c->inq + c->inq_head, c->inq_used - c->inq_head);
            c->inq_used -= c->inq_head;
            c->inq_head = 0;
        }
        if (c->inq_used + need > c->inq_cap) {
            size_t cap = c->inq_cap ? c->inq_cap : 256;
            while (cap < c->inq_used + need)
                cap *= 2;
            char *p = realloc(c->inq, cap);
            if (p == NULL) {
                log_error("comm: %s: out of memory queueing input; line dropped",
                          c->label);
                return;
            }
            c->inq = p;
            c->inq_cap = cap;
        }
    }
    inq_len_t n = (inq_len_t)len;   /* len <= max_input_line, checked in comm_init */
    memcpy(c->inq + c->inq_used, &n, sizeof n);
    memcpy(c->inq + c->inq_used + sizeof n, line, len);
    c->inq[c->inq_used + sizeof n + len] = '\0';
    c->inq_used += need;
    c->inq_lines++;
    c->last_input_ns = port_clock_now_ns();
    pending_append(c);
    if (!c->read_paused &&
        (c->inq_lines >= COMM_INPUT_PAUSE_LINES ||
         c->inq_used - c->inq_head >= cs.input_pause_bytes)) {
        c->read_paused = true;
        conn_update_interest(c);
    }
}

static void conn_line_too_long(void *ctx, size_t max_line)
{
    comm_conn_t *c = ctx;
    comm_printf(c, "*** Input line too long: cut to %zu bytes. ***\n", max_line);
}

static void conn_send_bytes(void *ctx, const char *data, size_t len)
{
    conn_output_append(ctx, data, len);
}

static void conn_protocol_error(void *ctx, const char *what)
{
    comm_conn_t *c = ctx;
    log_warn("comm: %s: %s; closing", c->label, what);
    conn_request_close(c);
}

static void conn_read(comm_conn_t *c, unsigned events)
{
    if (c->state != CONN_OPEN || c->peer_eof) {
        /* Not reading any more: a hang-up or error means the peer is
         * gone; anything else is a stale readiness. */
        if (events & ASYNC_EVENT_ERROR)
            conn_teardown(c, "connection lost");
        return;
    }
    if (c->read_paused && !(events & ASYNC_EVENT_ERROR))
        return;

    long n = net_recv(c->fd, comm_read_buffer, sizeof comm_read_buffer);
    if (n > 0) {
        telnet_session_feed(c->telnet, comm_read_buffer, (size_t)n);
        return;
    }
    if (n == 0) {
        /* Orderly EOF.  Lines already queued are still processed (and
         * answered: only the client's sending side is closed). */
        c->peer_eof = true;
        if (c->inq_lines == 0)
            conn_teardown(c, "peer closed");
        else
            conn_update_interest(c);
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
    conn_teardown(c, net_strerror(errno));
}

/* The backend's callback for a connection socket. */
static void conn_io(async_socket_t fd, unsigned events, void *ctx)
{
    (void)fd;
    comm_conn_t *c = ctx;
    if (c->state == CONN_CLOSED)
        return;
    if (events & ASYNC_EVENT_WRITE) {
        if (!conn_send(c))
            return;
        if (c->state == CONN_LINGER && c->out_len == 0) {
            conn_teardown(c, "closed");
            return;
        }
    }
    if (events & (ASYNC_EVENT_READ | ASYNC_EVENT_ERROR))
        conn_read(c, events);
}

/* =================================================================== accept */

/* Tells a client we cannot take it, and closes.  Best effort: one
 * non-blocking send into an empty socket buffer. */
static void refuse_connection(async_socket_t fd, const char *label, const char *message)
{
    long rc = net_send(fd, message, strlen(message));
    (void)rc;
    net_shutdown_write(fd);
    net_close(fd);
    log_info("comm: refused %s: %s", label, message);
}

static void comm_accept_fd(async_socket_t fd, const struct sockaddr *sa)
{
    char host[COMM_ADDR_MAX];
    int port;
    char label[COMM_LABEL_MAX];
    format_address(sa, host, sizeof host, &port);
    format_label(label, sizeof label, host, port);

    if (cs.conn_count >= cs.max_connections) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "Sorry, the server is full (%zu connections). Please try again later.\r\n",
                 cs.max_connections);
        refuse_connection(fd, label, msg);
        return;
    }

    comm_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        refuse_connection(fd, label, "Sorry, the server is out of memory.\r\n");
        return;
    }
    c->fd = fd;
    c->state = CONN_OPEN;
    c->last_input_ns = port_clock_now_ns();
    snprintf(c->peer_addr, sizeof c->peer_addr, "%s", host);
    c->peer_port = port;
    snprintf(c->label, sizeof c->label, "%s", label);

    static const telnet_session_callbacks_t callbacks = {
        .send = conn_send_bytes,
        .line = conn_queue_line,
        .line_too_long = conn_line_too_long,
        .protocol_error = conn_protocol_error,
    };
    c->telnet = telnet_session_create(&callbacks, c, cs.max_input_line);
    if (c->telnet == NULL) {
        free(c);
        refuse_connection(fd, label, "Sorry, the server is out of memory.\r\n");
        return;
    }
    if (backend_watch(&c->watcher, fd, ASYNC_EVENT_READ, conn_io, c) != 0) {
        log_error("comm: cannot watch %s: %s", label, net_strerror(errno));
        telnet_session_destroy(c->telnet);
        free(c);
        net_close(fd);
        return;
    }
    c->interest = ASYNC_EVENT_READ;
    all_insert(c);
    log_info("comm: connect %s (fd %lld, %zu connections)", c->label,
             net_socket_number(fd), cs.conn_count);

    /* Negotiation and the welcome the application writes leave together
     * in this turn's flush. */
    telnet_session_start(c->telnet);
    if (cs.handler.on_connect != NULL)
        cs.handler.on_connect(c, cs.handler.ctx);
}

/* Out of file descriptors: free the spare one, accept the waiting client
 * with it, tell it why and close it, then take the spare back. */
static void accept_with_spare_fd(async_socket_t listen_fd)
{
    if (cs.spare_fd < 0)
        return;
    net_reserve_release(cs.spare_fd);
    cs.spare_fd = -1;
    struct sockaddr_storage ss;
    async_socket_t fd = net_accept(listen_fd, &ss);
    if (fd != NET_NO_SOCKET)
        refuse_connection(fd, "a client", "Sorry, the server is out of resources. "
                          "Please try again later.\r\n");
    cs.spare_fd = net_reserve_take();
}

static void listener_io(async_socket_t listen_fd, unsigned events, void *ctx)
{
    (void)events;
    comm_listener_t *l = ctx;
    for (int i = 0; i < COMM_ACCEPTS_PER_EVENT; i++) {
        struct sockaddr_storage ss;
        async_socket_t fd = net_accept(listen_fd, &ss);
        if (fd != NET_NO_SOCKET) {
            comm_accept_fd(fd, (struct sockaddr *)&ss);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EINTR:
        case ECONNABORTED:          /* net_accept folds EPROTO in here */
            continue;           /* that client gave up; try the next */
        case EMFILE:
        case ENFILE:
            log_warn("comm: %s: out of file descriptors (%zu connections): "
                     "turning a client away", l->label, cs.conn_count);
            accept_with_spare_fd(listen_fd);
            return;
        default:
            log_error("comm: %s: accept failed: %s", l->label, net_strerror(errno));
            return;
        }
    }
}

/* ================================================================ listeners */

/* Opens one listener on ai.  Returns 0, or -1 with errno (nothing left
 * open). */
static int listener_open(const struct addrinfo *ai)
{
    if (cs.listener_count == COMM_MAX_LISTENERS) {
        errno = EMFILE;
        return -1;
    }
    async_socket_t fd = net_listen(ai, COMM_LISTEN_BACKLOG);
    if (fd == NET_NO_SOCKET)
        return -1;

    comm_listener_t *l = &cs.listeners[cs.listener_count];
    char host[COMM_ADDR_MAX];
    int port;
    format_address(ai->ai_addr, host, sizeof host, &port);
    format_label(l->label, sizeof l->label, host, port);
    l->fd = fd;
    if (backend_watch(&l->watcher, fd, ASYNC_EVENT_READ, listener_io, l) != 0)
        goto fail;
    cs.listener_count++;
    log_info("comm: listening on %s", l->label);
    return 0;

fail:;
    int saved = errno;
    net_close(fd);
    errno = saved;
    return -1;
}

/* Opens the listeners for `address` (NULL: IPv4 and IPv6 wildcards). */
static int listeners_open(const char *address, int port)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);

    if (address == NULL) {
        static const struct { int family; const char *wildcard; } any[] = {
            { AF_INET, "0.0.0.0" }, { AF_INET6, "::" },
        };
        for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
            struct addrinfo hints = {
                .ai_family = any[i].family,
                .ai_socktype = SOCK_STREAM,
                .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
            };
            struct addrinfo *res = NULL;
            int rc = getaddrinfo(any[i].wildcard, service, &hints, &res);
            if (rc == 0 && listener_open(res) == 0) {
                freeaddrinfo(res);
                continue;
            }
            int saved = errno;
            if (res != NULL)
                freeaddrinfo(res);
            if (any[i].family == AF_INET6 &&
                (rc != 0 || saved == EAFNOSUPPORT || saved == EADDRNOTAVAIL)) {
                log_warn("comm: no IPv6 listener on port %d (%s); IPv4 only",
                         port, rc != 0 ? gai_strerror(rc) : net_strerror(saved));
                continue;
            }
            log_error("comm: cannot listen on %s port %d: %s", any[i].wildcard, port,
                      rc != 0 ? gai_strerror(rc) : net_strerror(saved));
            return -1;
        }
        return 0;
    }

    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(address, service, &hints, &res);
    if (rc != 0) {
        log_error("comm: bad bind address '%s': %s", address, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (listener_open(ai) != 0) {
            log_error("comm: cannot listen on %s port %d: %s", address, port,
                      net_strerror(errno));
            freeaddrinfo(res);
            return -1;
        }
    }
    freeaddrinfo(res);
    return 0;
}

/* =================================================================== public */

/*
** Opens the listeners of cfg and remembers the handler and the limits.
** Returns 0, or -1 after logging why (no listener is left open).
*/
int comm_init(const driver_config_t *cfg, const comm_handler_t *handler)
{
    if (cs.initialised) {
        log_error("comm: already initialised");
        return -1;
    }
    memset(&cs, 0, sizeof cs);
    cs.spare_fd = -1;
    if (handler != NULL)
        cs.handler = *handler;
    cs.port = cfg->port;
    cs.max_connections = cfg->max_connections > 0 ? (size_t)cfg->max_connections : 1;
    cs.max_input_line = cfg->max_input_line > 0 ? cfg->max_input_line : 1;
    if (cs.max_input_line > UINT32_MAX - 16)
        cs.max_input_line = UINT32_MAX - 16;
    cs.max_output_buffer = cfg->max_output_buffer > 0 ? cfg->max_output_buffer : 1;
    /* Enough bytes for the line threshold to trigger first with long
     * lines too. */
    cs.input_pause_bytes = COMM_INPUT_PAUSE_BYTES;
    if (cs.input_pause_bytes < 4 * cs.max_input_line)
        cs.input_pause_bytes = 4 * cs.max_input_line;
    if (net_startup() != 0) {
        log_error("comm: cannot start the socket library: %s", net_strerror(errno));
        return -1;
    }
    cs.initialised = true;

    cs.spare_fd = net_reserve_take();

    if (cfg->port > 0 && listeners_open(cfg->bind_address, cfg->port) != 0) {
        comm_stop_listening();
        net_reserve_release(cs.spare_fd);
        cs.spare_fd = -1;
        cs.initialised = false;
        net_cleanup();
        return -1;
    }
    return 0;
}

int comm_listen_port(void)
{
    return cs.listener_count > 0 ? cs.port : 0;
}

void comm_stop_listening(void)
{
    for (size_t i = 0; i < cs.listener_count; i++) {
        comm_listener_t *l = &cs.listeners[i];
        backend_unwatch(&l->watcher);
        net_close(l->fd);
        l->fd = NET_NO_SOCKET;
        log_info("comm: stopped listening on %s", l->label);
    }
    cs.listener_count = 0;
}

/*
** Gives each connection with queued input one line, round-robin.  A
** connection re-queued after being served this turn is at the tail with
** served_turn == turn, which ends the walk: nobody gets two lines in one
** turn, whatever the callbacks close.
*/
void comm_process_input(void)
{
    uint64_t turn = ++cs.input_turn;
    while (cs.pend_head != NULL && cs.pend_head->served_turn != turn) {
        comm_conn_t *c = cs.pend_head;
        pending_remove(c);
        c->served_turn = turn;

        inq_len_t len;
        memcpy(&len, c->inq + c->inq_head, sizeof len);
        const char *line = c->inq + c->inq_head + sizeof len;
        /* The record stays in place during the callback (nothing reads
         * into this queue while input is processed). */
        if (cs.handler.on_line != NULL)
            cs.handler.on_line(c, line, len, cs.handler.ctx);
        c->inq_head += sizeof len + (size_t)len + 1;
        c->inq_lines--;
        if (c->inq_lines == 0) {
            c->inq_head = c->inq_used = 0;
            if (c->inq_cap > COMM_BUFFER_KEEP) {
                free(c->inq);
                c->inq = NULL;
                c->inq_cap = 0;
            }
        }

        if (c->state != CONN_OPEN)
            continue;           /* closed by the callback: lines dropped */
        if (c->inq_lines > 0) {
            pending_append(c);
        } else if (c->peer_eof) {
            conn_request_close(c);
            continue;
        }
        if (c->read_paused && c->inq_lines <= COMM_INPUT_PAUSE_LINES / 2 &&
            c->inq_used - c->inq_head <= cs.input_pause_bytes / 2) {
            c->read_paused = false;
            conn_update_interest(c);
        }
    }
}

bool comm_has_pending_input(void)
{
    return cs.pend_head != NULL;
}

/*
** End of turn: one send per dirty connection, then the closes that were
** requested during the turn, then the zombies are freed.  on_close
** callbacks run here may write to (or close) other connections, so the
** two lists are drained until both are empty; each connection is torn
** down at most once, so this ends.
*/
void comm_flush(void)
{
    for (;;) {
        comm_conn_t *c;
        while ((c = dirty_pop()) != NULL) {
            if (c->state == CONN_CLOSED || c->overflowed)
                continue;
            conn_send(c);
        }
        if (cs.doomed_head == NULL)
            break;
        while ((c = doomed_pop()) != NULL)
            conn_finish_close(c);
    }
    zombies_free();
}

/*
** Shutdown: stop listening, push out what the sockets will take until
** deadline_ms (poll on the connections that still have output), then
** close everything.
*/
void comm_shutdown(int deadline_ms)
{
    if (!cs.initialised)
        return;
    comm_stop_listening();

    /* What the last turn left unflushed, and the closes it requested. */
    comm_flush();

    int64_t deadline = port_deadline_after_ms(deadline_ms > 0 ? deadline_ms : 0);
    async_socket_t *socks = NULL;
    unsigned char *state = NULL;
    comm_conn_t **conns = NULL;
    if (cs.conn_count > 0) {
        socks = calloc(cs.conn_count, sizeof *socks);
        state = calloc(cs.conn_count, sizeof *state);
        conns = calloc(cs.conn_count, sizeof *conns);
    }
    while (socks != NULL && state != NULL && conns != NULL) {
        size_t n = 0;
        for (comm_conn_t *c = cs.all_head; c != NULL; c = c->all_next) {
            if (c->overflowed || c->out_len == 0)
                continue;
            socks[n] = c->fd;
            conns[n++] = c;
        }
        if (n == 0)
            break;
        int64_t left = port_deadline_remaining_ms_ceil(deadline);
        if (left <= 0)
            break;
        int rc = net_wait_writable(socks, state, n,
                                   left > INT32_MAX ? INT32_MAX : (int)left);
        if (rc < 0)
            break;
        /* rc 0: timed out (the deadline check above ends the loop) or
         * interrupted (try again with the time left). */
        for (size_t i = 0; i < n; i++) {
            if (state[i] == 1)
                conn_send(conns[i]);
            else if (state[i] == 2)
                conn_teardown(conns[i], "connection lost during shutdown");
        }
    }
    free(socks);
    free(state);
    free(conns);

    while (cs.all_head != NULL)
        conn_teardown(cs.all_head, "driver shutting down");
    /* on_close callbacks may have written to or closed connections that
     * are gone now: nothing of that can be sent. */
    cs.dirty_head = cs.dirty_tail = NULL;
    cs.doomed_head = cs.doomed_tail = NULL;
    zombies_free();
    net_reserve_release(cs.spare_fd);
    cs.spare_fd = -1;
    cs.initialised = false;
    net_cleanup();
}

/* ========================================================== per connection */

bool comm_write(comm_conn_t *conn, const char *data, size_t len)
{
    if (conn == NULL || conn->state != CONN_OPEN || conn->overflowed)
        return false;
    telnet_session_send_text(conn->telnet, data, len);
    return !conn->overflowed;
}

bool comm_printf(comm_conn_t *conn, const char *fmt, ...)
{
    char stack[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof stack, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof stack)
        return comm_write(conn, stack, (size_t)n);

    char *heap = malloc((size_t)n + 1);
    if (heap == NULL)
        return false;
    va_start(ap, fmt);
    vsnprintf(heap, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = comm_write(conn, heap, (size_t)n);
    free(heap);
    return ok;
}

void comm_close(comm_conn_t *conn)
{
    if (conn != NULL)
        conn_request_close(conn);
}

void comm_set_echo(comm_conn_t *conn, bool echo_on)
{
    if (conn != NULL && conn->state == CONN_OPEN)
        telnet_session_set_echo(conn->telnet, echo_on);
}

void comm_set_user_data(comm_conn_t *conn, void *data)
{
    conn->user_data = data;
}

void *comm_get_user_data(const comm_conn_t *conn)
{
    return conn->user_data;
}

const char *comm_peer_address(const comm_conn_t *conn)
{
    return conn->peer_addr;
}

int comm_peer_port(const comm_conn_t *conn)
{
    return conn->peer_port;
}

int comm_window_width(const comm_conn_t *conn)
{
    return telnet_session_width(conn->telnet);
}

int comm_window_height(const comm_conn_t *conn)
{
    return telnet_session_height(conn->telnet);
}

const char *comm_terminal_type(const comm_conn_t *conn)
{
    return telnet_session_terminal_type(conn->telnet);
}

double comm_idle_seconds(const comm_conn_t *conn)
{
    return (double)(port_clock_now_ns() - conn->last_input_ns) / (double)PORT_NS_PER_SEC;
}

size_t comm_output_pending(const comm_conn_t *conn)
{
    return conn->out_len;
}

size_t comm_connection_count(void)
{
    return cs.conn_count;
}
