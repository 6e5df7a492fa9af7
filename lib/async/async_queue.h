/*
 * async_queue.h - bounded, thread-safe message queue.
 *
 * Messages are copied in and out of slots allocated once at create time:
 * enqueue and dequeue never allocate.  Any number of threads may enqueue
 * and any number may dequeue at the same time (MPMC).  The fast path takes
 * no lock; a mutex is touched only to put a thread to sleep or wake one
 * (BLOCK_WRITER, async_queue_wait).
 *
 * Order: messages from one producer are dequeued in the order that
 * producer enqueued them.  Between producers the order is the order in
 * which their enqueues claimed a slot.
 *
 * Result conventions:
 *  - async_queue_enqueue() returns false when nothing was stored: the
 *    queue is full (without DROP_OLDEST / BLOCK_WRITER), the message is
 *    larger than max_message_size, the queue was closed, or an argument is
 *    invalid.  async_queue_enqueue_ex() says which.
 *  - async_queue_dequeue() returns false when nothing was removed.  Then
 *    *out_size is 0 if the queue was empty, or the size of the message at
 *    the head if buffer_size was too small for it: that message stays at
 *    the head, untouched.  (A zero-length message fits any buffer, so
 *    "false with *out_size > 0" always means "buffer too small".)
 *    async_queue_dequeue_ex() reports the same as an enum.
 */
#ifndef ASYNC_QUEUE_H
#define ASYNC_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct async_queue async_queue_t;

typedef enum async_queue_flags {
    ASYNC_QUEUE_NONE           = 0,
    /* Full queue: discard the oldest message (counted in dropped_count)
     * and store the new one.  Takes precedence over BLOCK_WRITER. */
    ASYNC_QUEUE_DROP_OLDEST    = 1u << 0,
    /* Full queue: the writer sleeps until a slot frees, the queue is
     * closed, or (writer is an async_worker) it is asked to stop; see
     * async_queue_close.  No spinning; each freed slot wakes one blocked
     * writer. */
    ASYNC_QUEUE_BLOCK_WRITER   = 1u << 1,
    /* Consumers may sleep in async_queue_wait() until data arrives. */
    ASYNC_QUEUE_SIGNAL_ON_DATA = 1u << 2
} async_queue_flags_t;

typedef enum async_queue_result {
    ASYNC_QUEUE_OK = 0,
    ASYNC_QUEUE_EMPTY,             /* dequeue: nothing to take */
    ASYNC_QUEUE_FULL,              /* enqueue: no slot and no policy to make one
                                    * (or a blocked worker was asked to stop) */
    ASYNC_QUEUE_TOO_LARGE,         /* enqueue: size > max_message_size */
    ASYNC_QUEUE_BUFFER_TOO_SMALL,  /* dequeue: head message kept, size in *out_size */
    ASYNC_QUEUE_CLOSED,            /* enqueue after async_queue_close() */
    ASYNC_QUEUE_INVALID            /* NULL queue, NULL data with size > 0, ... */
} async_queue_result_t;

typedef struct async_queue_stats {
    size_t   current_size;      /* messages stored now */
    size_t   capacity;          /* as requested at create */
    size_t   max_message_size;  /* as requested at create */
    size_t   dropped_count;     /* discarded by DROP_OLDEST */
    size_t   peak_size;         /* highest current_size observed */
    uint64_t total_enqueued;    /* successful enqueues */
    uint64_t total_dequeued;    /* successful dequeues (drops not included) */
    uint64_t rejected_count;    /* enqueues refused: full, too large, closed */
    bool     closed;
} async_queue_stats_t;

/* Creates a queue of `capacity` (>= 1) messages of at most
 * `max_message_size` (>= 1) bytes each.  A power-of-two capacity indexes a
 * little faster; any other works.  Returns NULL on invalid arguments or
 * out of memory.  Call from any thread. */
async_queue_t *async_queue_create(size_t capacity, size_t max_message_size,
                                  async_queue_flags_t flags);

/* Frees the queue and any messages still in it.  No thread may be using
 * the queue (blocked in enqueue or wait included): close it, stop and join
 * those threads first. */
void async_queue_destroy(async_queue_t *queue);

/* Copies `size` bytes into the queue.  See the result conventions above.
 * Safe from any number of threads. */
bool async_queue_enqueue(async_queue_t *queue, const void *data, size_t size);
async_queue_result_t async_queue_enqueue_ex(async_queue_t *queue,
                                            const void *data, size_t size);

/* Moves the head message into buffer.  See the result conventions above.
 * Safe from any number of threads; out_size may not be NULL. */
bool async_queue_dequeue(async_queue_t *queue, void *buffer, size_t buffer_size,
                         size_t *out_size);
async_queue_result_t async_queue_dequeue_ex(async_queue_t *queue, void *buffer,
                                            size_t buffer_size, size_t *out_size);

/* Snapshots: exact when no other thread is using the queue. */
bool async_queue_is_empty(const async_queue_t *queue);
bool async_queue_is_full(const async_queue_t *queue);
void async_queue_get_stats(const async_queue_t *queue, async_queue_stats_t *stats);

/* Sleeps (no CPU) until the queue holds a message, the queue is closed,
 * the calling worker is asked to stop (async_worker_signal_stop), or
 * timeout_ms passes (-1 forever, 0 just checks).  Returns true when a
 * message is available (another consumer may still take it first: loop
 * on dequeue).  Needs ASYNC_QUEUE_SIGNAL_ON_DATA; without it the call
 * only checks and returns at once. */
bool async_queue_wait(async_queue_t *queue, int timeout_ms);

/* Closes the queue for writing: later enqueues fail with
 * ASYNC_QUEUE_CLOSED, writers blocked by BLOCK_WRITER return false, and
 * threads in async_queue_wait wake.  Messages already stored can still be
 * dequeued.  Idempotent; any thread.
 *
 * A BLOCK_WRITER writer that is an async_worker also wakes when that
 * worker is asked to stop (async_worker_signal_stop); its enqueue then
 * returns false with ASYNC_QUEUE_FULL (the queue is still open and full),
 * not ASYNC_QUEUE_CLOSED.  A worker already asked to stop does not block:
 * it gets ASYNC_QUEUE_FULL at once when the queue is full. */
void async_queue_close(async_queue_t *queue);
bool async_queue_is_closed(const async_queue_t *queue);

/* Diagnostics: the number of writers waiting in the queue for a free slot
 * (BLOCK_WRITER writers; in a DROP_OLDEST queue, writers waiting out
 * another thread's copy).  A writer is counted from the moment it commits
 * to waiting (under the queue's lock, before its last check for room)
 * until its enqueue returns, so a slot freed once the count shows it is
 * sure to wake it.  A snapshot, for tests and debugging. */
size_t async_queue_blocked_writers(const async_queue_t *queue);

/* Static text for a result naming what failed: "async_queue: queue full",
 * "async_queue: message larger than max_message_size", ... */
const char *async_queue_result_str(async_queue_result_t result);

#endif /* ASYNC_QUEUE_H */
