/*
 * bench_async.c - throughput and latency of lib/async against plain
 * baselines, all measured in one run and compared as ratios.
 *
 *   1. Queues: async_queue vs a mutex+condvar ring (written here) vs a
 *      pipe; 64 B and 512 B messages; 1, 2 and 4 producers, one consumer.
 *   2. Queue + wake-up end to end: producers enqueue and post a
 *      completion; the main loop sleeps in async_runtime_wait and drains.
 *   3. Wake-up latency: post_completion -> async_runtime_wait vs a raw
 *      eventfd + epoll round trip (Linux).
 *   4. Goals from issue 2, checked against the numbers just measured.
 *
 * Machines running this are shared and noisy, so nothing is compared with
 * an absolute figure: every comparison is a ratio of two measurements of
 * the same run.  Each configuration runs several times, interleaved (one
 * repetition of every configuration, then the next) so a noisy second hits
 * all of them alike, and the median is reported with the spread (fastest
 * over slowest run).  On 2 cores the spread is large: whether the
 * scheduler puts producer and consumer on the same core or on two changes
 * a single run several-fold, so read the medians, not single runs.
 * This is a benchmark, not a test: it exits 0 whatever it finds.
 *
 * Threads come from lib/port (port_thread_*, port_mutex_*, port_cond_*,
 * port_event_*); nothing here calls pthreads directly.
 */
#include "config.h"

#include "async/async_queue.h"
#include "async/async_runtime.h"
#include "bench/bench_stats.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _WIN32
#include <io.h>       /* _pipe */
#include <windows.h>  /* GetSystemInfo */
#endif

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#define BENCH_HAVE_RAW_EVENTFD 1
#else
#define BENCH_HAVE_RAW_EVENTFD 0
#endif

/* ---- parameters ------------------------------------------------------ */

enum {
    QUEUE_CAPACITY     = 1024,  /* messages; power of two (mutex ring masks) */
    MAX_MESSAGE_SIZE   = 512,
    MAX_PRODUCERS      = 4,
    MAX_REPETITIONS    = 15,
    MIN_LATENCY_STRIDE = 16,    /* stamp at most every 16th message of a producer */
    MAX_SAMPLES        = 1 << 18, /* latency samples kept per configuration (2 MiB) */
    BACKOFF_PAUSES     = 16,    /* misses answered with a pause before yielding */
    RECEIVE_SLICE_MS   = 100,   /* sleeping consumers re-check for stalls this often */
    E2E_MAX_EVENTS     = 128,
    PINGPONG_BLOCKS    = 10     /* runtime and raw rounds alternate in blocks */
};

#define STALL_TIMEOUT_NS   (10 * PORT_NS_PER_SEC)
/* The pinged thread sleeps this long before posting so the loop is surely
 * asleep in the OS: the measurement is a wake-up, not a hand-off to a
 * thread that has not gone to sleep yet.  It sleeps rather than spins: on
 * 2 cores a spinning poster can be the thread that keeps the loop from
 * reaching its wait. */
#define POSTER_DELAY_NS    (50 * PORT_NS_PER_US)
#define E2E_COMPLETION_KEY ((uintptr_t)0xB0B)
#define PING_COMPLETION_KEY ((uintptr_t)0x9196)

static const size_t message_sizes[] = { 64, 512 };
static const unsigned producer_counts[] = { 1, 2, 4 };
#define N_SIZES     (sizeof message_sizes / sizeof message_sizes[0])
#define N_PRODUCERS (sizeof producer_counts / sizeof producer_counts[0])

typedef struct bench_options {
    uint64_t messages;        /* per queue run, all producers together */
    int      repetitions;     /* runs per configuration; median msgs/s shown */
    uint64_t pingpong_rounds; /* per wake-up mechanism */
    unsigned sections;        /* SECTION_* bits to run */
    uint32_t latency_stride;  /* producers stamp every latency_stride-th message */
    bool     quick;
} bench_options_t;

enum {
    SECTION_QUEUE  = 1u << 0,
    SECTION_E2E    = 1u << 1,
    SECTION_WAKEUP = 1u << 2,
    SECTION_ALL    = SECTION_QUEUE | SECTION_E2E | SECTION_WAKEUP
};

/* The head of every message; the rest of the message is filler. */
typedef struct bench_message {
    int64_t  stamp_ns;  /* port_clock_now_ns() before the send; 0 = not sampled */
    uint32_t producer;
    uint32_t seq;       /* per producer, from 0 */
} bench_message_t;

/* ---- retry policy (the same for every transport) ---------------------- */

/* A producer that finds its queue full, or a spinning consumer that finds
 * it empty, pauses for the first few misses and then yields the CPU: with
 * 4 producers on 2 cores a thread that only pauses would hold a core the
 * thread it waits for needs. */
typedef struct backoff {
    unsigned misses;
} backoff_t;

static void backoff_miss(backoff_t *backoff)
{
    if (++backoff->misses < BACKOFF_PAUSES)
        port_cpu_relax();
    else
        port_thread_yield();
}

/* ---- baseline 1: a plain bounded ring under one mutex ------------------ */

/* The textbook ring our lock-free queue has to beat: one mutex around
 * every push and pop, a condition variable for consumers that sleep.
 * Any number of producers and consumers. */
typedef struct mutex_ring {
    port_mutex_t   lock;
    port_cond_t    not_empty;
    unsigned char *slots;     /* capacity * slot_size bytes; owned */
    size_t        *sizes;     /* bytes used in each slot; owned */
    size_t         capacity;  /* power of two */
    size_t         slot_size;
    size_t         head;      /* oldest message; guarded by lock */
    size_t         count;     /* messages stored; guarded by lock */
    size_t         sleepers;  /* consumers in cond wait; guarded by lock */
} mutex_ring_t;

static int mutex_ring_init(mutex_ring_t *ring, size_t capacity, size_t slot_size)
{
    memset(ring, 0, sizeof *ring);
    ring->slots = malloc(capacity * slot_size);
    ring->sizes = malloc(capacity * sizeof *ring->sizes);
    if (ring->slots == NULL || ring->sizes == NULL) {
        free(ring->slots);
        free(ring->sizes);
        return -1;
    }
    ring->capacity = capacity;
    ring->slot_size = slot_size;
    if (port_mutex_init(&ring->lock) != 0)
        goto fail;
    if (port_cond_init(&ring->not_empty) != 0) {
        port_mutex_destroy(&ring->lock);
        goto fail;
    }
    return 0;
fail:
    free(ring->slots);
    free(ring->sizes);
    return -1;
}

static void mutex_ring_destroy(mutex_ring_t *ring)
{
    port_cond_destroy(&ring->not_empty);
    port_mutex_destroy(&ring->lock);
    free(ring->slots);
    free(ring->sizes);
}

/* Stores a copy of the message; false when the ring is full. */
static bool mutex_ring_try_push(mutex_ring_t *ring, const void *data, size_t size)
{
    port_mutex_lock(&ring->lock);
    if (ring->count == ring->capacity) {
        port_mutex_unlock(&ring->lock);
        return false;
    }
    size_t index = (ring->head + ring->count) & (ring->capacity - 1);
    memcpy(ring->slots + index * ring->slot_size, data, size);
    ring->sizes[index] = size;
    ring->count++;
    if (ring->sleepers > 0)
        port_cond_signal(&ring->not_empty);
    port_mutex_unlock(&ring->lock);
    return true;
}

/* Moves the oldest message into buffer (at least slot_size bytes).  When
 * the ring is empty: returns false at once, or with `sleep` waits on the
 * condition variable for up to RECEIVE_SLICE_MS first. */
static bool mutex_ring_pop(mutex_ring_t *ring, void *buffer, bool sleep)
{
    port_mutex_lock(&ring->lock);
    if (ring->count == 0 && sleep) {
        int64_t deadline = port_deadline_after_ms(RECEIVE_SLICE_MS);
        ring->sleepers++;
        while (ring->count == 0
               && port_cond_wait_until(&ring->not_empty, &ring->lock, deadline))
            ;
        ring->sleepers--;
    }
    if (ring->count == 0) {
        port_mutex_unlock(&ring->lock);
        return false;
    }
    size_t index = ring->head;
    memcpy(buffer, ring->slots + index * ring->slot_size, ring->sizes[index]);
    ring->head = (index + 1) & (ring->capacity - 1);
    ring->count--;
    port_mutex_unlock(&ring->lock);
    return true;
}

/* ---- the transports under test ---------------------------------------- */

typedef enum transport_kind {
    TRANSPORT_ASYNC_QUEUE,
    TRANSPORT_MUTEX_RING,
    TRANSPORT_PIPE
} transport_kind_t;

typedef enum consumer_mode {
    CONSUMER_SPIN,   /* drains without sleeping; backoff when empty */
    CONSUMER_SLEEP,  /* sleeps when empty: async_queue_wait / cond wait */
    CONSUMER_BLOCK   /* pipe: blocking read */
} consumer_mode_t;

/* The rows of the queue table, in print order.  Each "ours" row is
 * compared with the mutex row of the same consumer mode and with the pipe. */
typedef enum queue_variant {
    VARIANT_OURS_SPIN,
    VARIANT_MUTEX_SPIN,
    VARIANT_OURS_SLEEP,
    VARIANT_MUTEX_SLEEP,
    VARIANT_PIPE,
    N_VARIANTS
} queue_variant_t;

static const struct {
    transport_kind_t kind;
    consumer_mode_t  mode;
    const char      *name;
    const char      *consumer;
} variants[N_VARIANTS] = {
    [VARIANT_OURS_SPIN]   = { TRANSPORT_ASYNC_QUEUE, CONSUMER_SPIN,  "async_queue", "spin" },
    [VARIANT_MUTEX_SPIN]  = { TRANSPORT_MUTEX_RING,  CONSUMER_SPIN,  "mutex ring",  "spin" },
    [VARIANT_OURS_SLEEP]  = { TRANSPORT_ASYNC_QUEUE, CONSUMER_SLEEP, "async_queue", "wait" },
    [VARIANT_MUTEX_SLEEP] = { TRANSPORT_MUTEX_RING,  CONSUMER_SLEEP, "mutex ring",  "condwait" },
    [VARIANT_PIPE]        = { TRANSPORT_PIPE,        CONSUMER_BLOCK, "pipe",        "blocking" },
};

typedef struct transport {
    transport_kind_t kind;
    consumer_mode_t  mode;
    size_t           message_size;
    async_queue_t   *queue;         /* TRANSPORT_ASYNC_QUEUE; owned */
    mutex_ring_t     ring;          /* TRANSPORT_MUTEX_RING */
    int              pipe_fds[2];   /* TRANSPORT_PIPE: read end, write end */
} transport_t;

/* Bytes the pipe buffer holds for each message size (for the notes). */
static int pipe_buffer_bytes[N_SIZES];

static void die(const char *what)
{
    fprintf(stderr, "bench_async: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void write_all(int fd, const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("pipe write");
        }
        p += n;
        size -= (size_t)n;
    }
}

static void read_all(int fd, void *buffer, size_t size)
{
    unsigned char *p = buffer;
    while (size > 0) {
        ssize_t n = read(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("pipe read");
        }
        if (n == 0) {
            errno = EPIPE;
            die("pipe read (closed early)");
        }
        p += n;
        size -= (size_t)n;
    }
}

/* Sizes a pipe to hold QUEUE_CAPACITY messages where the OS allows it, so
 * all three transports buffer the same number of messages.  Returns the
 * buffer size in bytes, or -1 when unknown. */
static int pipe_set_capacity(int fd, size_t message_size)
{
#if defined(F_SETPIPE_SZ) && defined(F_GETPIPE_SZ)
    (void)fcntl(fd, F_SETPIPE_SZ, (int)(QUEUE_CAPACITY * message_size));
    return fcntl(fd, F_GETPIPE_SZ);
#else
    (void)fd;
    (void)message_size;
    return -1;
#endif
}

/* A pipe for the baseline: pipe(2), or the C runtime's _pipe on Windows
 * (binary mode, sized for QUEUE_CAPACITY messages since _pipe asks for a
 * size up front).  0 or -1. */
static int bench_pipe(int fds[2], size_t message_size)
{
#ifdef _WIN32
    return _pipe(fds, (unsigned)(QUEUE_CAPACITY * message_size), _O_BINARY);
#else
    (void)message_size;
    return pipe(fds);
#endif
}

/* Processors online, for the report. */
static long online_cpus(void)
{
#ifdef _WIN32
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return (long)info.dwNumberOfProcessors;
#else
    return sysconf(_SC_NPROCESSORS_ONLN);
#endif
}

static int transport_open(transport_t *t, transport_kind_t kind,
                          consumer_mode_t mode, size_t message_size,
                          int *pipe_bytes)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->mode = mode;
    t->message_size = message_size;
    switch (kind) {
    case TRANSPORT_ASYNC_QUEUE:
        t->queue = async_queue_create(QUEUE_CAPACITY, message_size,
                                      mode == CONSUMER_SLEEP
                                          ? ASYNC_QUEUE_SIGNAL_ON_DATA
                                          : ASYNC_QUEUE_NONE);
        return t->queue != NULL ? 0 : -1;
    case TRANSPORT_MUTEX_RING:
        return mutex_ring_init(&t->ring, QUEUE_CAPACITY, message_size);
    case TRANSPORT_PIPE:
        if (bench_pipe(t->pipe_fds, message_size) != 0)
            return -1;
        *pipe_bytes = pipe_set_capacity(t->pipe_fds[1], message_size);
        return 0;
    }
    return -1;
}

static void transport_close(transport_t *t)
{
    switch (t->kind) {
    case TRANSPORT_ASYNC_QUEUE:
        async_queue_destroy(t->queue);
        break;
    case TRANSPORT_MUTEX_RING:
        mutex_ring_destroy(&t->ring);
        break;
    case TRANSPORT_PIPE:
        close(t->pipe_fds[0]);
        close(t->pipe_fds[1]);
        break;
    }
}

/* Producer side: true when the message was stored, false when the queue
 * is full (the pipe blocks instead, so it never says full). */
static bool transport_try_send(transport_t *t, const void *message)
{
    switch (t->kind) {
    case TRANSPORT_ASYNC_QUEUE:
        return async_queue_enqueue(t->queue, message, t->message_size);
    case TRANSPORT_MUTEX_RING:
        return mutex_ring_try_push(&t->ring, message, t->message_size);
    case TRANSPORT_PIPE:
        write_all(t->pipe_fds[1], message, t->message_size);
        return true;
    }
    return false;
}

/* Consumer side: true with a message in buffer (MAX_MESSAGE_SIZE bytes).
 * False when none came: at once for a spinning consumer, after up to
 * RECEIVE_SLICE_MS of sleep for a sleeping one (so the caller can notice
 * a stall instead of hanging). */
static bool transport_receive(transport_t *t, void *buffer)
{
    size_t got;
    switch (t->kind) {
    case TRANSPORT_ASYNC_QUEUE:
        if (async_queue_dequeue(t->queue, buffer, MAX_MESSAGE_SIZE, &got))
            return true;
        if (t->mode == CONSUMER_SLEEP
            && async_queue_wait(t->queue, RECEIVE_SLICE_MS))
            return async_queue_dequeue(t->queue, buffer, MAX_MESSAGE_SIZE, &got);
        return false;
    case TRANSPORT_MUTEX_RING:
        return mutex_ring_pop(&t->ring, buffer, t->mode == CONSUMER_SLEEP);
    case TRANSPORT_PIPE:
        read_all(t->pipe_fds[0], buffer, t->message_size);
        return true;
    }
    return false;
}

/* ---- one measured run: N producers, the calling thread consumes ------- */

typedef struct queue_run {
    transport_t      transport;
    uint32_t         latency_stride;  /* power of two */
    async_runtime_t *runtime;        /* end to end: post after each send; else NULL */
    port_event_t     start_gate;     /* manual reset: opens all producers at once */
    atomic_bool      give_up;        /* consumer stalled: producers stop retrying */
} queue_run_t;

typedef struct producer {
    queue_run_t *run;
    port_thread_t thread;
    uint32_t     id;
    uint32_t     messages;
    uint64_t     full_retries;       /* written by the producer, read after join */
    uint64_t     post_failures;      /* post_completion returned -1 */
} producer_t;

typedef struct run_outcome {
    int64_t  elapsed_ns;
    uint64_t received;
    uint64_t expected;
    uint64_t full_retries;
    uint64_t order_errors;           /* per-producer FIFO broken, or unknown producer */
    uint64_t post_failures;
    bool     stalled;
} run_outcome_t;

static void *producer_main(void *arg)
{
    producer_t *self = arg;
    queue_run_t *run = self->run;
    unsigned char message[MAX_MESSAGE_SIZE];
    /* Counted locally and stored once at the end: producer records sit
     * side by side, and counting in them would add false sharing to what
     * is measured. */
    uint64_t full_retries = 0, post_failures = 0;
    memset(message, 0xA5, sizeof message);

    port_event_wait(&run->start_gate, -1);
    for (uint32_t seq = 0; seq < self->messages; seq++) {
        bench_message_t head = {
            .stamp_ns = (seq & (run->latency_stride - 1)) == 0 ? port_clock_now_ns() : 0,
            .producer = self->id,
            .seq = seq,
        };
        memcpy(message, &head, sizeof head);
        backoff_t backoff = { 0 };
        while (!transport_try_send(&run->transport, message)) {
            full_retries++;
            /* relaxed: a hint to stop early; nothing is read through it. */
            if (atomic_load_explicit(&run->give_up, memory_order_relaxed))
                goto out;
            backoff_miss(&backoff);
        }
        if (run->runtime != NULL
            && async_runtime_post_completion(run->runtime, E2E_COMPLETION_KEY,
                                             self->id) != 0)
            post_failures++;
    }
out:
    self->full_retries = full_retries;
    self->post_failures = post_failures;
    return NULL;
}

/* Checks and records one received message. */
static void account_message(const unsigned char *buffer, uint32_t *next_seq,
                            unsigned producers, bench_samples_t *latency,
                            run_outcome_t *out)
{
    bench_message_t head;
    memcpy(&head, buffer, sizeof head);
    if (head.stamp_ns != 0)
        bench_samples_add(latency, port_clock_now_ns() - head.stamp_ns);
    if (head.producer >= producers || head.seq != next_seq[head.producer])
        out->order_errors++;
    else
        next_seq[head.producer]++;
    out->received++;
}

/* Starts the producers, each with its share of `total` messages, parked
 * on the start gate. */
static void start_producers(queue_run_t *run, producer_t *producers,
                            unsigned n_producers, uint64_t total)
{
    if (port_event_init(&run->start_gate, true, false) != 0)
        die("port_event_init");
    atomic_init(&run->give_up, false);
    for (unsigned i = 0; i < n_producers; i++) {
        producer_t *p = &producers[i];
        memset(p, 0, sizeof *p);
        p->run = run;
        p->id = i;
        p->messages = (uint32_t)(total / n_producers
                                 + (i < total % n_producers ? 1 : 0));
        int rc = port_thread_create(&p->thread, producer_main, p, 0);
        if (rc != 0) {
            errno = rc;
            die("port_thread_create");
        }
    }
}

static void join_producers(queue_run_t *run, producer_t *producers,
                           unsigned n_producers, run_outcome_t *out)
{
    for (unsigned i = 0; i < n_producers; i++) {
        port_thread_join(&producers[i].thread, NULL);
        out->full_retries += producers[i].full_retries;
        out->post_failures += producers[i].post_failures;
    }
    port_event_destroy(&run->start_gate);
}

/* Tracks consumer progress; true once nothing arrived for STALL_TIMEOUT_NS
 * (a broken queue must end the benchmark, not hang it). */
typedef struct stall_watch {
    uint64_t seen;
    int64_t  since_ns;
} stall_watch_t;

static bool stall_check(stall_watch_t *watch, uint64_t received)
{
    int64_t now = port_clock_now_ns();
    if (received != watch->seen) {
        watch->seen = received;
        watch->since_ns = now;
        return false;
    }
    return now - watch->since_ns > STALL_TIMEOUT_NS;
}

static run_outcome_t run_queue_once(const bench_options_t *opt,
                                    queue_variant_t variant, size_t size_index,
                                    unsigned n_producers, bench_samples_t *latency)
{
    uint64_t total = opt->messages;
    queue_run_t run;
    producer_t producers[MAX_PRODUCERS];
    run_outcome_t out = { .expected = total };
    uint32_t next_seq[MAX_PRODUCERS] = { 0 };
    unsigned char buffer[MAX_MESSAGE_SIZE];

    memset(&run, 0, sizeof run);
    run.latency_stride = opt->latency_stride;
    if (transport_open(&run.transport, variants[variant].kind,
                       variants[variant].mode, message_sizes[size_index],
                       &pipe_buffer_bytes[size_index]) != 0)
        die(variants[variant].name);
    start_producers(&run, producers, n_producers, total);

    bool spin = variants[variant].mode == CONSUMER_SPIN;
    stall_watch_t watch = { 0, port_clock_now_ns() };
    backoff_t backoff = { 0 };
    uint64_t misses = 0;
    int64_t start = port_clock_now_ns();
    port_event_set(&run.start_gate);
    while (out.received < total) {
        if (transport_receive(&run.transport, buffer)) {
            account_message(buffer, next_seq, n_producers, latency, &out);
            backoff.misses = 0;
            continue;
        }
        if (spin)
            backoff_miss(&backoff);
        /* Read the clock only now and then while spinning. */
        if ((!spin || ++misses % 1024 == 0) && stall_check(&watch, out.received)) {
            out.stalled = true;
            /* relaxed: producers only need to see it eventually. */
            atomic_store_explicit(&run.give_up, true, memory_order_relaxed);
            break;
        }
    }
    out.elapsed_ns = port_clock_now_ns() - start;
    join_producers(&run, producers, n_producers, &out);
    transport_close(&run.transport);
    return out;
}

/* ---- end to end: enqueue + post, the loop sleeps in async_runtime_wait -- */

typedef struct e2e_outcome {
    run_outcome_t         run;
    uint64_t              completions_seen;
    async_runtime_stats_t stats;
    bool                  wait_failed;
} e2e_outcome_t;

static e2e_outcome_t run_e2e_once(const bench_options_t *opt, size_t size_index,
                                  unsigned n_producers, bench_samples_t *latency)
{
    uint64_t total = opt->messages;
    queue_run_t run;
    producer_t producers[MAX_PRODUCERS];
    e2e_outcome_t out;
    uint32_t next_seq[MAX_PRODUCERS] = { 0 };
    unsigned char buffer[MAX_MESSAGE_SIZE];
    io_event_t events[E2E_MAX_EVENTS];

    memset(&out, 0, sizeof out);
    out.run.expected = total;
    memset(&run, 0, sizeof run);
    run.latency_stride = opt->latency_stride;
    if (transport_open(&run.transport, TRANSPORT_ASYNC_QUEUE, CONSUMER_SPIN,
                       message_sizes[size_index], NULL) != 0)
        die("async_queue_create");
    run.runtime = async_runtime_init();
    if (run.runtime == NULL)
        die("async_runtime_init");
    start_producers(&run, producers, n_producers, total);

    stall_watch_t watch = { 0, port_clock_now_ns() };
    int64_t start = port_clock_now_ns();
    port_event_set(&run.start_gate);
    /* Every message is followed by exactly one completion: the loop ends
     * when it has both, so the runtime counters describe a whole run. */
    while (out.run.received < total || out.completions_seen < total) {
        struct timeval slice = { 0, RECEIVE_SLICE_MS * 1000 };
        int n = async_runtime_wait(run.runtime, events, E2E_MAX_EVENTS, &slice);
        if (n < 0) {
            out.wait_failed = true;
            atomic_store_explicit(&run.give_up, true, memory_order_relaxed);
            break;
        }
        for (int i = 0; i < n; i++)
            if ((events[i].event_type & ASYNC_EVENT_COMPLETION) != 0
                && events[i].completion_key == E2E_COMPLETION_KEY)
                out.completions_seen++;
        if (n > 0) {
            size_t got;
            while (async_queue_dequeue(run.transport.queue, buffer,
                                       sizeof buffer, &got))
                account_message(buffer, next_seq, n_producers, latency, &out.run);
        } else if (stall_check(&watch, out.run.received + out.completions_seen)) {
            out.run.stalled = true;
            atomic_store_explicit(&run.give_up, true, memory_order_relaxed);
            break;
        }
    }
    out.run.elapsed_ns = port_clock_now_ns() - start;
    async_runtime_get_stats(run.runtime, &out.stats);
    join_producers(&run, producers, n_producers, &out.run);
    async_runtime_destroy(run.runtime);
    transport_close(&run.transport);
    return out;
}

/* ---- wake-up ping-pong ------------------------------------------------- */

typedef enum wake_mechanism {
    WAKE_RUNTIME,     /* async_runtime_post_completion -> async_runtime_wait */
    WAKE_RAW_EVENTFD  /* write(eventfd) -> epoll_wait + read(eventfd) */
} wake_mechanism_t;

typedef struct pingpong {
    port_event_t     go;          /* auto reset: loop -> poster "post now" */
    atomic_bool      stop;
    wake_mechanism_t mechanism;   /* set by the loop before go; read after it */
    async_runtime_t *runtime;
    int              eventfd;
    int              epoll_fd;
    _Atomic int64_t  raw_stamp_ns;
} pingpong_t;

/* Gives the loop time to fall asleep before the poster posts.  Windows
 * has no nanosleep in its C runtime: Sleep(1) (whole milliseconds, at
 * least POSTER_DELAY_NS) serves the same purpose there. */
static void pause_for_loop_to_sleep(void)
{
#ifdef _WIN32
    Sleep(1);
#else
    struct timespec delay = { 0, POSTER_DELAY_NS };
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
        ;
#endif
}

static void *poster_main(void *arg)
{
    pingpong_t *pp = arg;
    for (;;) {
        port_event_wait(&pp->go, -1);
        /* relaxed: the event's mutex already orders it after the store. */
        if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
            return NULL;
        pause_for_loop_to_sleep();
        int64_t stamp = port_clock_now_ns();
        if (pp->mechanism == WAKE_RUNTIME) {
            if (async_runtime_post_completion(pp->runtime, PING_COMPLETION_KEY,
                                              (uintptr_t)stamp) != 0)
                die("async_runtime_post_completion");
        } else {
#if BENCH_HAVE_RAW_EVENTFD
            /* release: the loop's acquire load after the wake sees the stamp. */
            atomic_store_explicit(&pp->raw_stamp_ns, stamp, memory_order_release);
            uint64_t one = 1;
            if (write(pp->eventfd, &one, sizeof one) != (ssize_t)sizeof one)
                die("eventfd write");
#endif
        }
    }
}

/* One round: tell the poster, sleep until its post wakes us; returns the
 * nanoseconds from its stamp to our wake, or -1 when the wait failed. */
static int64_t pingpong_round(pingpong_t *pp)
{
    port_event_set(&pp->go);
    if (pp->mechanism == WAKE_RUNTIME) {
        io_event_t events[4];
        for (;;) {
            int n = async_runtime_wait(pp->runtime, events, 4, NULL);
            int64_t now = port_clock_now_ns();
            if (n < 0)
                return -1;
            for (int i = 0; i < n; i++)
                if ((events[i].event_type & ASYNC_EVENT_COMPLETION) != 0
                    && events[i].completion_key == PING_COMPLETION_KEY)
                    return now - (int64_t)events[i].value;
        }
    }
#if BENCH_HAVE_RAW_EVENTFD
    struct epoll_event ev;
    int n;
    do
        n = epoll_wait(pp->epoll_fd, &ev, 1, -1);
    while (n < 0 && errno == EINTR);
    uint64_t counter;
    if (n != 1 || read(pp->eventfd, &counter, sizeof counter) != (ssize_t)sizeof counter)
        return -1;
    int64_t now = port_clock_now_ns();
    /* acquire: pairs with the poster's release store before its write. */
    return now - atomic_load_explicit(&pp->raw_stamp_ns, memory_order_acquire);
#else
    return -1;
#endif
}

typedef struct pingpong_outcome {
    bench_samples_t       runtime_ns;
    bench_samples_t       raw_ns;
    async_runtime_stats_t stats;
    uint64_t              failures;
    bool                  raw_available;
} pingpong_outcome_t;

static void run_pingpong(uint64_t rounds, pingpong_outcome_t *out)
{
    pingpong_t pp;
    port_thread_t poster;

    memset(&pp, 0, sizeof pp);
    pp.eventfd = pp.epoll_fd = -1;
    atomic_init(&pp.stop, false);
    atomic_init(&pp.raw_stamp_ns, 0);
    if (port_event_init(&pp.go, false, false) != 0)
        die("port_event_init");
    pp.runtime = async_runtime_init();
    if (pp.runtime == NULL)
        die("async_runtime_init");
    out->raw_available = false;
#if BENCH_HAVE_RAW_EVENTFD
    pp.eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pp.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (pp.eventfd < 0 || pp.epoll_fd < 0)
        die("eventfd/epoll_create1");
    struct epoll_event want = { .events = EPOLLIN, .data.fd = pp.eventfd };
    if (epoll_ctl(pp.epoll_fd, EPOLL_CTL_ADD, pp.eventfd, &want) != 0)
        die("epoll_ctl");
    out->raw_available = true;
#endif
    int rc = port_thread_create(&poster, poster_main, &pp, 0);
    if (rc != 0) {
        errno = rc;
        die("port_thread_create");
    }

    /* Alternate the two mechanisms in blocks so both see the same noise. */
    uint64_t per_block = rounds / PINGPONG_BLOCKS + 1;
    for (int block = 0; block < PINGPONG_BLOCKS; block++) {
        for (int m = 0; m < 2; m++) {
            wake_mechanism_t mechanism = m == 0 ? WAKE_RUNTIME : WAKE_RAW_EVENTFD;
            if (mechanism == WAKE_RAW_EVENTFD && !out->raw_available)
                continue;
            pp.mechanism = mechanism;
            bench_samples_t *samples =
                mechanism == WAKE_RUNTIME ? &out->runtime_ns : &out->raw_ns;
            for (uint64_t i = 0; i < per_block; i++) {
                int64_t ns = pingpong_round(&pp);
                if (ns < 0)
                    out->failures++;
                else
                    bench_samples_add(samples, ns);
            }
        }
    }
    async_runtime_get_stats(pp.runtime, &out->stats);

    atomic_store_explicit(&pp.stop, true, memory_order_relaxed);
    port_event_set(&pp.go);
    port_thread_join(&poster, NULL);
    port_event_destroy(&pp.go);
    async_runtime_destroy(pp.runtime);
#if BENCH_HAVE_RAW_EVENTFD
    close(pp.epoll_fd);
    close(pp.eventfd);
#endif
}

/* ---- results ------------------------------------------------------------ */

/* Everything measured for one configuration over all repetitions. */
typedef struct config_result {
    double          rates[MAX_REPETITIONS];  /* msgs/s of each run */
    int             runs;
    double          median_rate;
    double          spread;                  /* fastest run / slowest run */
    uint64_t        messages;
    uint64_t        full_retries;
    uint64_t        lost;                    /* expected - received, summed */
    uint64_t        order_errors;
    uint64_t        post_failures;
    bool            stalled;
    bool            wait_failed;
    bench_samples_t latency;
    /* end to end only: runtime counters summed over the runs */
    uint64_t        wait_calls, sleeps, doorbell_rings;
    uint64_t        completions_posted, completions_delivered;
    double          worst_rings_per_sleep;
} config_result_t;

static config_result_t queue_results[N_VARIANTS][N_SIZES][N_PRODUCERS];
static config_result_t e2e_results[N_SIZES][N_PRODUCERS];

static void config_init(config_result_t *r, const bench_options_t *opt,
                        unsigned n_producers)
{
    memset(r, 0, sizeof *r);
    size_t per_run = (size_t)(opt->messages / opt->latency_stride) + n_producers + 1;
    if (bench_samples_init(&r->latency, per_run * (size_t)opt->repetitions) != 0)
        die("out of memory for latency samples");
}

static void config_add_run(config_result_t *r, const run_outcome_t *run)
{
    r->rates[r->runs++] = bench_rate_per_sec(run->received, run->elapsed_ns);
    r->messages += run->received;
    r->full_retries += run->full_retries;
    r->lost += run->expected - run->received;
    r->order_errors += run->order_errors;
    r->post_failures += run->post_failures;
    r->stalled |= run->stalled;
}

static void config_finish(config_result_t *r)
{
    double copy[MAX_REPETITIONS];
    memcpy(copy, r->rates, sizeof copy);
    r->median_rate = bench_median(copy, (size_t)r->runs);
    /* bench_median sorted the copy: slowest first. */
    r->spread = r->runs > 0 ? bench_ratio(copy[r->runs - 1], copy[0]) : NAN;
}

static bool config_broken(const config_result_t *r)
{
    return r->lost != 0 || r->order_errors != 0 || r->stalled || r->wait_failed
        || r->post_failures != 0
        || r->completions_delivered != r->completions_posted;
}

/* Prints what went wrong with a configuration, if anything; nothing
 * measured in a broken run is used for a goal. */
static void print_problems(const config_result_t *r)
{
    if (r->stalled)
        printf("   STALLED (no progress for %d s)", (int)(STALL_TIMEOUT_NS / PORT_NS_PER_SEC));
    if (r->lost != 0)
        printf("   LOST %llu", (unsigned long long)r->lost);
    if (r->order_errors != 0)
        printf("   FIFO/ID ERRORS %llu", (unsigned long long)r->order_errors);
    if (r->post_failures != 0)
        printf("   POST FAILED %llu", (unsigned long long)r->post_failures);
    if (r->wait_failed)
        printf("   WAIT FAILED");
    if (r->completions_delivered != r->completions_posted)
        printf("   COMPLETIONS %llu/%llu",
               (unsigned long long)r->completions_delivered,
               (unsigned long long)r->completions_posted);
}

static double rate_of(const config_result_t *r)
{
    return config_broken(r) ? NAN : r->median_rate;
}

/* ---- the benchmark sections --------------------------------------------- */

static void measure_queues(const bench_options_t *opt)
{
    for (size_t v = 0; v < N_VARIANTS; v++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++)
                config_init(&queue_results[v][s][p], opt, producer_counts[p]);

    for (int rep = 0; rep < opt->repetitions; rep++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++)
                for (size_t v = 0; v < N_VARIANTS; v++) {
                    config_result_t *r = &queue_results[v][s][p];
                    run_outcome_t run = run_queue_once(opt, (queue_variant_t)v, s,
                                                       producer_counts[p],
                                                       &r->latency);
                    config_add_run(r, &run);
                }

    for (size_t v = 0; v < N_VARIANTS; v++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++)
                config_finish(&queue_results[v][s][p]);
}

static void print_queue_table(const bench_options_t *opt)
{
    char a[BENCH_FMT_LEN], b[BENCH_FMT_LEN], c[BENCH_FMT_LEN];
    char d[BENCH_FMT_LEN], e[BENCH_FMT_LEN];

    printf("\n== 1. Queue throughput and one-way latency ==\n");
    printf("%llu messages per run, median msgs/s of %d run(s) (spread: fastest / slowest run);\n"
           "capacity %d messages for every transport",
           (unsigned long long)opt->messages, opt->repetitions, QUEUE_CAPACITY);
    printf(" (pipe buffer:");
    for (size_t s = 0; s < N_SIZES; s++) {
        if (pipe_buffer_bytes[s] > 0)
            printf("%s %d msgs of %zu B", s ? "," : "", pipe_buffer_bytes[s] / (int)message_sizes[s],
                   message_sizes[s]);
        else
            printf("%s OS default for %zu B", s ? "," : "", message_sizes[s]);
    }
    printf(").\n");
    printf("consumer spin:     drains without sleeping (dequeue; when empty pause, yield after %d misses)\n",
           BACKOFF_PAUSES);
    printf("consumer wait:     async_queue_wait (ASYNC_QUEUE_SIGNAL_ON_DATA) when empty\n");
    printf("consumer condwait: port_cond_wait when empty;  blocking: read(2) / write(2)\n");
    printf("producers retry when full (pause, yield after %d misses); retries/msg counts the failed attempts.\n",
           BACKOFF_PAUSES);
    printf("latency: each producer stamps 1 message in %u before sending, the consumer takes the delta;\n",
           opt->latency_stride);
    printf("         with a saturated queue it is mostly queueing time (~ capacity / rate).\n\n");

    printf("%-5s %4s  %-12s %-9s %9s %7s %10s %10s %11s  %10s %10s\n",
           "size", "prod", "transport", "consumer", "msgs/s", "spread", "p50", "p99",
           "retries/msg", "ours/mutex", "ours/pipe");
    for (size_t s = 0; s < N_SIZES; s++) {
        for (size_t p = 0; p < N_PRODUCERS; p++) {
            for (size_t v = 0; v < N_VARIANTS; v++) {
                config_result_t *r = &queue_results[v][s][p];
                char size_text[16];
                snprintf(size_text, sizeof size_text, "%zu B", message_sizes[s]);
                char retries[16];
                if (variants[v].kind == TRANSPORT_PIPE)
                    snprintf(retries, sizeof retries, "-");
                else
                    snprintf(retries, sizeof retries, "%.3f",
                             r->messages ? (double)r->full_retries / (double)r->messages : 0.0);
                char spread[BENCH_FMT_LEN];
                printf("%-5s %4u  %-12s %-9s %9s %7s %10s %10s %11s",
                       size_text, producer_counts[p], variants[v].name,
                       variants[v].consumer, bench_format_rate(a, rate_of(r)),
                       bench_format_ratio(spread, r->spread),
                       bench_format_ns(b, bench_samples_percentile(&r->latency, 50)),
                       bench_format_ns(c, bench_samples_percentile(&r->latency, 99)),
                       retries);
                if (v == VARIANT_OURS_SPIN || v == VARIANT_OURS_SLEEP) {
                    const config_result_t *mutex = &queue_results[v + 1][s][p];
                    const config_result_t *pipe_r = &queue_results[VARIANT_PIPE][s][p];
                    printf("  %10s %10s",
                           bench_format_ratio(d, bench_ratio(rate_of(r), rate_of(mutex))),
                           bench_format_ratio(e, bench_ratio(rate_of(r), rate_of(pipe_r))));
                }
                print_problems(r);
                printf("\n");
            }
            printf("\n");
        }
    }
}

static void measure_e2e(const bench_options_t *opt)
{
    for (size_t s = 0; s < N_SIZES; s++)
        for (size_t p = 0; p < N_PRODUCERS; p++)
            config_init(&e2e_results[s][p], opt, producer_counts[p]);

    for (int rep = 0; rep < opt->repetitions; rep++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++) {
                config_result_t *r = &e2e_results[s][p];
                e2e_outcome_t e2e = run_e2e_once(opt, s, producer_counts[p],
                                                 &r->latency);
                config_add_run(r, &e2e.run);
                r->wait_failed |= e2e.wait_failed;
                r->wait_calls += e2e.stats.wait_calls;
                r->sleeps += e2e.stats.sleeps;
                r->doorbell_rings += e2e.stats.doorbell_rings;
                r->completions_posted += e2e.stats.completions_posted;
                r->completions_delivered += e2e.completions_seen;
                double per_sleep = e2e.stats.sleeps > 0
                    ? (double)e2e.stats.doorbell_rings / (double)e2e.stats.sleeps
                    : (e2e.stats.doorbell_rings > 0 ? INFINITY : 0.0);
                if (per_sleep > r->worst_rings_per_sleep)
                    r->worst_rings_per_sleep = per_sleep;
            }

    for (size_t s = 0; s < N_SIZES; s++)
        for (size_t p = 0; p < N_PRODUCERS; p++)
            config_finish(&e2e_results[s][p]);
}

static void print_e2e_table(const bench_options_t *opt)
{
    char a[BENCH_FMT_LEN], b[BENCH_FMT_LEN], c[BENCH_FMT_LEN], d[BENCH_FMT_LEN];

    printf("\n== 2. Queue + wake-up end to end (backend: %s) ==\n",
           async_runtime_backend_name());
    printf("producers: async_queue_enqueue (retry when full) then async_runtime_post_completion per message;\n");
    printf("main loop: async_runtime_wait (up to %d events), drains the queue after every wake.\n",
           E2E_MAX_EVENTS);
    printf("%llu messages per run, median msgs/s of %d run(s) (spread: fastest / slowest); counters summed over the runs.\n",
           (unsigned long long)opt->messages, opt->repetitions);
    printf("vs queue wait = this msgs/s / async_queue with async_queue_wait (table 1, same size and producers).\n\n");

    printf("%-5s %4s %9s %7s %10s %10s %11s %9s  %10s %10s %10s %12s\n",
           "size", "prod", "msgs/s", "spread", "p50", "p99", "retries/msg", "vs queue",
           "wait calls", "sleeps", "doorbells", "rings/sleep");
    printf("%-5s %4s %9s %7s %10s %10s %11s %9s  %10s %10s %10s %12s\n",
           "", "", "", "", "", "", "", "wait", "", "", "", "(worst run)");
    for (size_t s = 0; s < N_SIZES; s++) {
        for (size_t p = 0; p < N_PRODUCERS; p++) {
            config_result_t *r = &e2e_results[s][p];
            char size_text[16];
            snprintf(size_text, sizeof size_text, "%zu B", message_sizes[s]);
            double per_sleep = r->sleeps > 0
                ? (double)r->doorbell_rings / (double)r->sleeps : NAN;
            char spread[BENCH_FMT_LEN];
            printf("%-5s %4u %9s %7s %10s %10s %11.3f %9s  %10llu %10llu %10llu %5.2f (%4.2f)",
                   size_text, producer_counts[p], bench_format_rate(a, rate_of(r)),
                   bench_format_ratio(spread, r->spread),
                   bench_format_ns(b, bench_samples_percentile(&r->latency, 50)),
                   bench_format_ns(c, bench_samples_percentile(&r->latency, 99)),
                   r->messages ? (double)r->full_retries / (double)r->messages : 0.0,
                   bench_format_ratio(d, bench_ratio(rate_of(r),
                       rate_of(&queue_results[VARIANT_OURS_SLEEP][s][p]))),
                   (unsigned long long)r->wait_calls, (unsigned long long)r->sleeps,
                   (unsigned long long)r->doorbell_rings, per_sleep,
                   r->worst_rings_per_sleep);
            print_problems(r);
            printf("\n");
        }
    }
}

static void print_pingpong_table(const bench_options_t *opt,
                                 pingpong_outcome_t *pp)
{
    char a[BENCH_FMT_LEN], b[BENCH_FMT_LEN], c[BENCH_FMT_LEN], d[BENCH_FMT_LEN];

    printf("\n== 3. Wake-up latency: post -> wake of a sleeping loop ==\n");
    printf("%llu rounds per mechanism, alternating in %d blocks; the poster sleeps %lld us after being\n",
           (unsigned long long)opt->pingpong_rounds, PINGPONG_BLOCKS,
           (long long)(POSTER_DELAY_NS / PORT_NS_PER_US));
    printf("told, so the loop is asleep; time runs from the poster's stamp to the loop's return\n");
    printf("(raw: after epoll_wait and the read that drains the eventfd, which the runtime also does).\n\n");

    int64_t rt50 = bench_samples_percentile(&pp->runtime_ns, 50);
    int64_t rt99 = bench_samples_percentile(&pp->runtime_ns, 99);
    printf("%-44s %10s %10s %8s\n", "mechanism", "p50", "p99", "samples");
    printf("%-44s %10s %10s %8zu\n", "post_completion -> async_runtime_wait",
           bench_format_ns(a, rt50), bench_format_ns(b, rt99), pp->runtime_ns.count);
    if (pp->raw_available) {
        int64_t raw50 = bench_samples_percentile(&pp->raw_ns, 50);
        int64_t raw99 = bench_samples_percentile(&pp->raw_ns, 99);
        printf("%-44s %10s %10s %8zu\n", "raw write(eventfd) -> epoll_wait + read",
               bench_format_ns(a, raw50), bench_format_ns(b, raw99), pp->raw_ns.count);
        printf("%-44s %10s %10s\n", "ratio runtime / raw",
               bench_format_ratio(c, bench_ratio((double)rt50, (double)raw50)),
               bench_format_ratio(d, bench_ratio((double)rt99, (double)raw99)));
    } else {
        printf("%-44s %10s %10s\n", "raw eventfd + epoll", "n/a", "n/a");
        printf("%-44s %10s %10s\n", "ratio runtime / raw", "n/a", "n/a");
    }
    printf("runtime counters: %llu wait calls, %llu sleeps, %llu doorbell rings, %llu posted",
           (unsigned long long)pp->stats.wait_calls, (unsigned long long)pp->stats.sleeps,
           (unsigned long long)pp->stats.doorbell_rings,
           (unsigned long long)pp->stats.completions_posted);
    if (pp->failures != 0)
        printf("   FAILED ROUNDS %llu", (unsigned long long)pp->failures);
    printf("\n");
}

/* ---- load from other processes ------------------------------------------- */

/* Above this many CPUs busy with other work, a 2-core comparison is
 * distorted: our threads no longer get a core each. */
#define NEIGHBOUR_LOAD_WARNING 0.25

static double worst_neighbour_load = NAN;

/* Prints how busy other processes kept the machine during a section and
 * remembers the worst, for the warning under the goals. */
static void print_neighbour_load(const bench_cpu_snapshot_t *before,
                                 const bench_cpu_snapshot_t *after)
{
    double others = bench_cpu_used_by_others(before, after);
    if (isnan(others)) {
        printf("other processes' CPU use during this section: unknown on this OS\n");
        return;
    }
    printf("other processes kept %.2f of %ld CPUs busy during this section%s\n",
           others, online_cpus(),
           others > NEIGHBOUR_LOAD_WARNING ? "  (machine not quiet: ratios distorted)" : "");
    if (isnan(worst_neighbour_load) || others > worst_neighbour_load)
        worst_neighbour_load = others;
}

/* ---- goals --------------------------------------------------------------- */

static void print_goal(const char *goal, const char *measured, double value,
                       double limit, bool at_least)
{
    const char *verdict = isnan(value) ? "n/a"
                        : (at_least ? value >= limit : value <= limit) ? "PASS"
                        : "MISS";
    printf("  %-4s  %-58s %s\n", verdict, goal, measured);
}

/* "2.31", or "n/a" for NaN (a number without the "x" of a ratio). */
static const char *format_plain(char *buf, double value)
{
    if (isnan(value))
        snprintf(buf, BENCH_FMT_LEN, "n/a");
    else
        snprintf(buf, BENCH_FMT_LEN, "%.2f", value);
    return buf;
}

static size_t producer_index(unsigned producers)
{
    for (size_t p = 0; p < N_PRODUCERS; p++)
        if (producer_counts[p] == producers)
            return p;
    return 0;
}

static void print_goals(pingpong_outcome_t *pp)
{
    char text[160], r1[BENCH_FMT_LEN], r2[BENCH_FMT_LEN], r3[BENCH_FMT_LEN];
    const size_t s64 = 0;  /* message_sizes[0] == 64 */

    printf("\n== 4. Goals (issue 2; ratios from this run; table 1 uses the spin consumers) ==\n");
    for (unsigned producers = 1; producers <= MAX_PRODUCERS; producers *= 2) {
        size_t p = producer_index(producers);
        double ours = rate_of(&queue_results[VARIANT_OURS_SPIN][s64][p]);
        double mutex = rate_of(&queue_results[VARIANT_MUTEX_SPIN][s64][p]);
        double ratio = bench_ratio(ours, mutex);
        double limit = producers == 1 ? 2.0 : 4.0;
        char goal[80];
        snprintf(goal, sizeof goal, "64 B, %u producer%s: async_queue >= %.0fx mutex ring",
                 producers, producers == 1 ? "" : "s", limit);
        snprintf(text, sizeof text, "%s (%s vs %s msgs/s)",
                 bench_format_ratio(r1, ratio), bench_format_rate(r2, ours),
                 bench_format_rate(r3, mutex));
        print_goal(goal, text, ratio, limit, true);
    }

    {
        double one = rate_of(&queue_results[VARIANT_OURS_SPIN][s64][producer_index(1)]);
        double four = rate_of(&queue_results[VARIANT_OURS_SPIN][s64][producer_index(4)]);
        double ratio = bench_ratio(four, one);
        snprintf(text, sizeof text, "%s (%s vs %s msgs/s)",
                 bench_format_ratio(r1, ratio), bench_format_rate(r2, four),
                 bench_format_rate(r3, one));
        print_goal("64 B async_queue: 4 producers >= 0.5x 1 producer", text,
                   ratio, 0.5, true);
    }

    {
        double ratio = NAN;
        if (pp->runtime_ns.count == 0) {
            snprintf(text, sizeof text, "n/a (not measured)");
        } else if (pp->raw_available) {
            int64_t ours = bench_samples_percentile(&pp->runtime_ns, 50);
            int64_t raw = bench_samples_percentile(&pp->raw_ns, 50);
            ratio = bench_ratio((double)ours, (double)raw);
            snprintf(text, sizeof text, "%s (%s vs %s)", bench_format_ratio(r1, ratio),
                     bench_format_ns(r2, ours), bench_format_ns(r3, raw));
        } else {
            snprintf(text, sizeof text, "n/a (no eventfd + epoll on this OS)");
        }
        print_goal("completion wake-up p50 <= 1.2x raw eventfd + epoll", text,
                   ratio, 1.2, false);
    }

    {
        /* The worst single run of any end-to-end configuration, and the
         * ping-pong (one sleep per round). */
        double worst_e2e = NAN;
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++) {
                const config_result_t *r = &e2e_results[s][p];
                if (r->runs == 0 || config_broken(r))
                    continue;
                if (isnan(worst_e2e) || r->worst_rings_per_sleep > worst_e2e)
                    worst_e2e = r->worst_rings_per_sleep;
            }
        double pingpong = pp->stats.sleeps > 0
            ? (double)pp->stats.doorbell_rings / (double)pp->stats.sleeps : NAN;
        double worst = isnan(pingpong) || worst_e2e > pingpong ? worst_e2e : pingpong;
        snprintf(text, sizeof text, "%s (worst end-to-end run %s; ping-pong %llu rings / %llu sleeps)",
                 format_plain(r1, worst), format_plain(r2, worst_e2e),
                 (unsigned long long)pp->stats.doorbell_rings,
                 (unsigned long long)pp->stats.sleeps);
        print_goal("doorbell writes per loop sleep <= 1", text, worst, 1.0, false);
    }
    if (worst_neighbour_load > NEIGHBOUR_LOAD_WARNING)
        printf("  WARNING: other processes kept up to %.2f CPUs busy during a section; on a\n"
               "  2-core machine that changes the ratios.  Run again when the machine is quiet.\n",
               worst_neighbour_load);
    printf("  (exit status is 0 whatever the verdicts: this is a benchmark, not a test)\n");
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *to)
{
    fprintf(to,
            "usage: bench_async [--quick] [--messages N] [--reps N] [--rounds N] [--only SECTION]\n"
            "  --quick       smoke run: few messages, 3 repetitions (< 10 s)\n"
            "  --messages N  messages per queue run (default 500000; quick 50000)\n"
            "  --reps N      runs per configuration, median shown (default 9; quick 3; max %d)\n"
            "  --rounds N    wake-up ping-pong rounds per mechanism (default 10000; quick 2000)\n"
            "  --only S      run only section S: queue, e2e or wakeup (repeatable; for profiling;\n"
            "                goals whose numbers were not measured print n/a)\n",
            MAX_REPETITIONS);
}

static bool parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    bench_options_t opt = { 0 };
    uint64_t messages = 0, reps = 0, rounds = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--quick") == 0) {
            opt.quick = true;
        } else if (strcmp(arg, "--messages") == 0 && value != NULL
                   && parse_count(value, 1000, UINT32_MAX, &messages)) {
            i++;
        } else if (strcmp(arg, "--reps") == 0 && value != NULL
                   && parse_count(value, 1, MAX_REPETITIONS, &reps)) {
            i++;
        } else if (strcmp(arg, "--rounds") == 0 && value != NULL
                   && parse_count(value, 10, 10000000, &rounds)) {
            i++;
        } else if (strcmp(arg, "--only") == 0 && value != NULL
                   && (strcmp(value, "queue") == 0 || strcmp(value, "e2e") == 0
                       || strcmp(value, "wakeup") == 0)) {
            opt.sections |= value[0] == 'q' ? SECTION_QUEUE
                          : value[0] == 'e' ? SECTION_E2E : SECTION_WAKEUP;
            i++;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_async: bad argument '%s'\n", arg);
            usage(stderr);
            return 2;
        }
    }
    if (opt.sections == 0)
        opt.sections = SECTION_ALL;
    opt.messages = messages ? messages : opt.quick ? 50000 : 500000;
    opt.repetitions = reps ? (int)reps : opt.quick ? 3 : 9;
    opt.pingpong_rounds = rounds ? rounds : opt.quick ? 2000 : 10000;
    /* Sparser stamps for long runs, so samples stay within MAX_SAMPLES per
     * configuration (spread over every repetition, not just the first). */
    opt.latency_stride = MIN_LATENCY_STRIDE;
    while (opt.messages / opt.latency_stride * (uint64_t)opt.repetitions > MAX_SAMPLES)
        opt.latency_stride *= 2;

    printf("bench_async: lib/async vs plain baselines%s; %ld CPUs online; runtime backend %s\n",
           opt.quick ? " (quick run)" : "", online_cpus(),
           async_runtime_backend_name());
    int64_t started = port_clock_now_ns();

    bench_cpu_snapshot_t before, after;
    if (opt.sections & SECTION_QUEUE) {
        bench_cpu_snapshot(&before);
        measure_queues(&opt);
        bench_cpu_snapshot(&after);
        print_queue_table(&opt);
        print_neighbour_load(&before, &after);
        fflush(stdout);
    }
    if (opt.sections & SECTION_E2E) {
        bench_cpu_snapshot(&before);
        measure_e2e(&opt);
        bench_cpu_snapshot(&after);
        print_e2e_table(&opt);
        print_neighbour_load(&before, &after);
        fflush(stdout);
    }
    pingpong_outcome_t pp;
    memset(&pp, 0, sizeof pp);
    if (opt.sections & SECTION_WAKEUP) {
        size_t room = (size_t)opt.pingpong_rounds + PINGPONG_BLOCKS;
        if (bench_samples_init(&pp.runtime_ns, room) != 0
            || bench_samples_init(&pp.raw_ns, room) != 0)
            die("out of memory for ping-pong samples");
        bench_cpu_snapshot(&before);
        run_pingpong(opt.pingpong_rounds, &pp);
        bench_cpu_snapshot(&after);
        print_pingpong_table(&opt, &pp);
        print_neighbour_load(&before, &after);
    }

    print_goals(&pp);
    char total[BENCH_FMT_LEN];
    printf("\nwhole run: %s\n", bench_format_ns(total, port_clock_now_ns() - started));

    for (size_t v = 0; v < N_VARIANTS; v++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t p = 0; p < N_PRODUCERS; p++)
                bench_samples_free(&queue_results[v][s][p].latency);
    for (size_t s = 0; s < N_SIZES; s++)
        for (size_t p = 0; p < N_PRODUCERS; p++)
            bench_samples_free(&e2e_results[s][p].latency);
    bench_samples_free(&pp.runtime_ns);
    bench_samples_free(&pp.raw_ns);
    return 0;
}
