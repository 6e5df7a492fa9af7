/*
 * async_queue.c - bounded lock-free MPMC message ring.
 *
 * THE RING
 * --------
 * `capacity` slots, each holding a sequence word, the message size and
 * max_message_size bytes of inline data.  Slots are allocated once, with
 * the queue, and padded to whole cache lines so that a producer filling
 * slot i does not share a line with a consumer emptying slot i-1.  Two
 * 64-bit position counters only ever grow: `tail` (next position a
 * producer claims) and `head` (next position a consumer claims).  Position
 * p lives in slot p mod capacity (a mask when capacity is a power of two).
 * head and tail sit on separate cache lines: producers and consumers never
 * write the same line except the slot they hand over.
 *
 * Sequence encoding (Vyukov's bounded MPMC queue, doubled so that
 * capacity 1 works): for position p the slot's seq is
 *     2p          free: the producer of p may claim it
 *     2p + 1      full: holds the message of p
 *     2(p + cap)  after the consumer of p freed it, i.e. free for p + cap
 * Classic Vyukov uses p / p+1 / p+cap, where "full for p" and "free for
 * p+1" coincide when cap is 1; doubling keeps the three states distinct
 * for every capacity.  (Positions would wrap after 2^63 operations:
 * centuries at any realistic rate.)
 *
 * Producer: read tail p, acquire-load seq of slot(p); if it is 2p, CAS
 * tail p -> p+1 to own the slot, write size and data, release-store
 * seq = 2p+1.  A producer never waits for another producer: a lost CAS
 * just means someone else took p, and the next position is tried.
 * Consumer: read head p, acquire-load seq; if it is 2p+1, read the size,
 * CAS head p -> p+1 to own the message, copy it out, release-store
 * seq = 2(p+cap).  If seq is below 2p+1 the queue is empty (or the
 * producer of p has not published yet, which looks the same).
 *
 * Memory ordering: the slot's seq carries all the hand-overs.  The release
 * store that publishes (2p+1) pairs with the consumer's acquire load, so
 * the data is visible; the release store that frees (2(p+cap)) pairs with
 * the next producer's acquire load, so the consumer's reads of the old
 * data happen before the new writes.  head and tail are only claimed with
 * relaxed CAS: they arbitrate between threads of the same side and order
 * no data.
 *
 * SLEEPING (slow paths only)
 * --------------------------
 * One mutex and two condition variables: `space_cond` for writers waiting
 * for a free slot (BLOCK_WRITER, and DROP_OLDEST writers waiting out a
 * slot that is still being copied) and `data_cond` for threads waiting for
 * a message to be published (async_queue_wait, and DROP_OLDEST writers
 * waiting for the oldest message to exist).  Each has an atomic count of
 * sleepers.  A sleeper increments its count under the mutex, issues a
 * full barrier (handshake_fence: a seq_cst fence), re-checks the slot, and
 * only then waits.  The other side stores seq, issues the same barrier and
 * reads the count: either the sleeper sees the new seq or the waker sees
 * the sleeper (Dekker), and the waker takes the mutex before signalling,
 * so the signal cannot fall between the sleeper's check and its wait.
 * When the count is zero the fast path takes no lock; queues without the
 * flags that need wake-ups skip even the barrier.
 *
 * FULL, EMPTY AND THE POLICIES
 * ----------------------------
 * "Full" means the tail's slot is not free: it still holds a message, or
 * a consumer is still copying one out of it.  "Empty" means the head's
 * slot holds no published message (a producer may be filling it).  Both
 * are momentary views of a lock-free structure and both are exact when
 * the queue is quiet.
 *  - No policy: a full queue refuses (ASYNC_QUEUE_FULL).
 *  - DROP_OLDEST (wins over BLOCK_WRITER): the writer claims the message
 *    in the tail's slot at head, exactly as a consumer would, frees the
 *    slot, counts a drop, and retries.  If that oldest position is still
 *    being written by its producer, or its slot still being copied out by
 *    a consumer, the writer sleeps until that one copy is done.  This is
 *    the only place a producer ever waits for another thread, only on a
 *    full DROP_OLDEST queue, and it sleeps rather than spins.
 *  - BLOCK_WRITER: the writer sleeps on space_cond.  Every freed slot
 *    signals one sleeper; a sleeper leaving the wait hands the wake-up on
 *    if others still sleep and there is room, so a signal that went to a
 *    writer that then lost its slot (or was stopped) is never lost.
 *    close() broadcasts; a worker's stop broadcasts (async_worker_wait.h).
 *
 * STATISTICS
 * ----------
 * total_enqueued is tail, total_dequeued is head minus drops, and
 * current_size is tail - head: no extra counters on the fast path.  The
 * peak is a relaxed CAS-max done by producers, which read head only when
 * a remembered older head says a new high is possible (note_peak); drops
 * and rejections are relaxed counters on a line of their own.
 */
#include "config.h"
#include "async/async_queue.h"
#include "async/async_worker.h"
#include "async/async_worker_wait.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"

#include <stdlib.h>
#include <string.h>


/* One slot: header plus max_message_size bytes of data, padded to a whole
 * number of cache lines (the stride). */
typedef struct queue_slot {
    _Atomic uint64_t seq;   /* state, see the sequence encoding above */
    atomic_size_t size;     /* size of the message stored (when full) */
    unsigned char data[];   /* max_message_size bytes */
} queue_slot_t;

struct async_queue {
    /* ---- read-mostly: fixed at create (closed: set once) -------------- */
    unsigned char *slots;        /* capacity * stride bytes, line aligned */
    void *allocation;            /* the block to free(); holds queue + slots */
    uint64_t capacity;
    uint64_t index_mask;         /* capacity - 1 when a power of two */
    bool capacity_is_pow2;
    bool notify_data;            /* producers wake data_cond sleepers */
    bool notify_space;           /* consumers wake space_cond sleepers */
    bool space_broadcast;        /* DROP_OLDEST: wake all space sleepers */
    async_queue_flags_t flags;
    size_t max_message_size;
    size_t stride;
    atomic_bool closed;

    /* ---- producers ---------------------------------------------------- */
    PORT_ALIGNED_CACHE_LINE _Atomic uint64_t tail;
    /* A past value of head, kept where producers already write, so that
     * peak tracking rarely has to read the consumers' line (note_peak). */
    _Atomic uint64_t head_seen;

    /* ---- consumers ---------------------------------------------------- */
    PORT_ALIGNED_CACHE_LINE _Atomic uint64_t head;

    /* ---- statistics: written only on a new peak, a drop, a refusal ---- */
    PORT_ALIGNED_CACHE_LINE atomic_size_t peak_size;
    atomic_size_t dropped_count;
    _Atomic uint64_t rejected_count;

    /* ---- sleeper counts: read by fast paths of flagged queues --------- */
    PORT_ALIGNED_CACHE_LINE atomic_uint space_waiters;
    atomic_uint data_waiters;
    atomic_uint fence_word;      /* port_fence_seq_cst's word under TSan */

    /* ---- slow path ---------------------------------------------------- */
    PORT_ALIGNED_CACHE_LINE port_mutex_t lock;
    port_cond_t space_cond;
    port_cond_t data_cond;
};

static size_t round_up(size_t n, size_t align)
{
    return (n + align - 1) / align * align;
}

/* Slot of position pos. */
static queue_slot_t *slot_at(const async_queue_t *q, uint64_t pos)
{
    uint64_t index = q->capacity_is_pow2 ? (pos & q->index_mask)
                                         : (pos % q->capacity);
    return (queue_slot_t *)(q->slots + (size_t)index * q->stride);
}

/* seq of a slot free for the producer of position pos. */
static uint64_t seq_free(uint64_t pos)
{
    return 2 * pos;
}

/* seq of a slot holding the message of position pos. */
static uint64_t seq_full(uint64_t pos)
{
    return 2 * pos + 1;
}

/* Signed distance a - b of two sequence values (wrap-safe). */
static int64_t seq_diff(uint64_t a, uint64_t b)
{
    return (int64_t)(a - b);
}

/* The full barrier of the sleeper/waker handshake: port_fence_seq_cst. */
static inline void handshake_fence(async_queue_t *q)
{
    port_fence_seq_cst(&q->fence_word);
}

/*
 * Wakes sleepers on data_cond if there are any.  Called by a producer right
 * after it published a message.
 */
static void wake_data_waiters(async_queue_t *q)
{
    /* seq_cst fence: orders the publishing store before the load of the
     * sleeper count, against the fence a sleeper issues between raising
     * the count and re-checking the slot (Dekker): either it sees our
     * message or we see it. */
    handshake_fence(q);
    /* relaxed: the fence above provides the ordering. */
    if (atomic_load_explicit(&q->data_waiters, memory_order_relaxed) != 0) {
        port_mutex_lock(&q->lock);
        port_cond_broadcast(&q->data_cond);
        port_mutex_unlock(&q->lock);
    }
}

/*
 * Wakes sleepers on space_cond if there are any: one blocked writer per
 * freed slot (BLOCK_WRITER), or all of them for DROP_OLDEST, whose
 * sleepers wait for one particular slot.  Called by whoever freed a slot.
 */
static void wake_space_waiters(async_queue_t *q)
{
    /* seq_cst fence: Dekker with the writer's fence after it raised
     * space_waiters, exactly as in wake_data_waiters. */
    handshake_fence(q);
    /* relaxed: the fence above provides the ordering. */
    if (atomic_load_explicit(&q->space_waiters, memory_order_relaxed) != 0) {
        port_mutex_lock(&q->lock);
        if (q->space_broadcast)
            port_cond_broadcast(&q->space_cond);
        else
            port_cond_signal(&q->space_cond);
        port_mutex_unlock(&q->lock);
    }
}

/*
 * Records that the queue holds `pos + 1 - head` messages once position pos
 * is filled.  Called by the producer of pos before it publishes, so head
 * cannot have passed pos.
 *
 * Reading head on every enqueue would pull the consumers' cache line to
 * the producer each time.  head only grows, so any past value of it gives
 * an upper bound on the size; only when that bound exceeds the recorded
 * peak is the real head read (and remembered in head_seen).  Once the
 * peak has reached the capacity head is never read again.
 */
static void note_peak(async_queue_t *q, uint64_t pos)
{
    /* relaxed (all loads and stores here): statistics that order no other
     * memory.  head_seen is a value head once had; head is monotonic, so
     * pos + 1 - head_seen >= the real size. */
    size_t peak = atomic_load_explicit(&q->peak_size, memory_order_relaxed);
    uint64_t seen = atomic_load_explicit(&q->head_seen, memory_order_relaxed);
    if (pos + 1 - seen <= peak)
        return;
    /* The slot we claimed was freed after its consumer moved head past
     * pos - capacity, and we acquired that free, so this read gives a
     * size <= capacity. */
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    if (head > seen)
        atomic_store_explicit(&q->head_seen, head, memory_order_relaxed);
    size_t size = (size_t)(pos + 1 - head);
    while (size > peak &&
           !atomic_compare_exchange_weak_explicit(&q->peak_size, &peak, size,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
        port_cpu_relax();
}

/*
 * Claims the tail position for a producer if its slot is free.  Returns
 * true with *pos_out = the claimed position; the caller must then fill and
 * publish it (fill_and_publish).  Returns false when the slot of the tail
 * is not free: *pos_out is that tail and *seen_out the seq found there
 * (the slot still belongs to position *pos_out - capacity).  Lock-free;
 * never waits for another thread.
 */
static bool claim_tail(async_queue_t *q, uint64_t *pos_out, uint64_t *seen_out)
{
    /* relaxed: tail is only where to try; the slot's seq decides. */
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        queue_slot_t *slot = slot_at(q, pos);
        /* acquire: pairs with the release that freed the slot, so the
         * previous owner's reads of it happen before our writes. */
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        int64_t diff = seq_diff(seq, seq_free(pos));
        if (diff == 0) {
            /* relaxed: the CAS only arbitrates between producers; the slot
             * was handed over by the acquire above.  On failure pos is
             * reloaded with the current tail. */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *pos_out = pos;
                return true;
            }
        } else if (diff < 0) {
            *pos_out = pos;
            *seen_out = seq;
            return false;
        } else {
            /* Another producer claimed pos since we read tail. */
            /* relaxed: as above. */
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

/*
 * Copies the message into the claimed slot of pos and publishes it.  Only
 * the producer that claimed pos may call this, exactly once.
 */
static void fill_and_publish(async_queue_t *q, uint64_t pos, const void *data,
                             size_t size)
{
    queue_slot_t *slot = slot_at(q, pos);
    /* release: a consumer that reads this size with acquire and then still
     * finds head at an older position knows the size is not from this
     * later message (see async_queue_dequeue_ex). */
    atomic_store_explicit(&slot->size, size, memory_order_release);
    if (size != 0)
        memcpy(slot->data, data, size);
    note_peak(q, pos);
    /* release: size and data are visible to the consumer whose acquire
     * load sees the slot full. */
    atomic_store_explicit(&slot->seq, seq_full(pos), memory_order_release);
    if (q->notify_data)
        wake_data_waiters(q);
}

/*
 * Frees the slot of position pos after its message was copied out or
 * dropped.  Only the thread that claimed pos at head may call this.
 */
static void release_slot(async_queue_t *q, uint64_t pos)
{
    /* release: our reads of the slot happen before the writes of the
     * producer that acquires it for pos + capacity. */
    atomic_store_explicit(&slot_at(q, pos)->seq, seq_free(pos + q->capacity),
                          memory_order_release);
    if (q->notify_space)
        wake_space_waiters(q);
}

/*
 * True when the slot of the tail is free, i.e. an enqueue would find room
 * right now.  A hint for passing a wake-up on; see enqueue_blocking.
 */
static bool tail_slot_is_free(const async_queue_t *q)
{
    /* relaxed: a hint; the caller issued a seq_cst fence before, which is
     * what makes a "not free" answer safe (see enqueue_blocking). */
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    /* relaxed: as above. */
    uint64_t seq = atomic_load_explicit(&slot_at(q, pos)->seq,
                                        memory_order_relaxed);
    return seq == seq_free(pos);
}

/*
 * True when the message at head has been published, i.e. a dequeue with a
 * large enough buffer would succeed right now (unless another consumer is
 * faster).
 */
static bool head_is_published(const async_queue_t *q)
{
    /* relaxed: where to look; the slot's seq decides. */
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        /* relaxed: only a yes/no answer; a consumer that acts on it does
         * its own acquire load. */
        uint64_t seq = atomic_load_explicit(&slot_at(q, pos)->seq,
                                            memory_order_relaxed);
        int64_t diff = seq_diff(seq, seq_full(pos));
        if (diff == 0)
            return true;
        if (diff < 0)
            return false;
        /* relaxed: head moved on; look again. */
        pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    }
}

/*
 * Sleeps until the seq of the slot of position pos is no longer `seen`.
 * `waiters`/`cond` select the kind of wait: space (the slot is being
 * emptied by a consumer or dropper) or data (it is being filled by a
 * producer).  Both ends of such a transition are short copies that never
 * block, so this wait is bounded and is not stop-aware.
 */
static void wait_for_slot_change(async_queue_t *q, uint64_t pos, uint64_t seen,
                                 atomic_uint *waiters, port_cond_t *cond)
{
    queue_slot_t *slot = slot_at(q, pos);
    port_mutex_lock(&q->lock);
    /* seq_cst + fence: Dekker with wake_*_waiters (see the file comment). */
    atomic_fetch_add_explicit(waiters, 1, memory_order_seq_cst);
    handshake_fence(q);
    /* relaxed: only decides whether to sleep; the caller re-reads the
     * slot with acquire in claim_tail. */
    while (atomic_load_explicit(&slot->seq, memory_order_relaxed) == seen)
        port_cond_wait(cond, &q->lock);
    /* relaxed: a late decrement costs at most one needless wake-up. */
    atomic_fetch_sub_explicit(waiters, 1, memory_order_relaxed);
    port_mutex_unlock(&q->lock);
}

/*
 * Enqueue for a full DROP_OLDEST queue: discards the message occupying the
 * tail's slot (the oldest) like a consumer would, counts it, and retries.
 * Always ends with the message stored.  When the oldest position is still
 * being written by its producer, or its slot is still being copied out by
 * a consumer, sleeps until that short copy is done rather than spinning.
 */
static async_queue_result_t enqueue_dropping_oldest(async_queue_t *q,
                                                    const void *data,
                                                    size_t size)
{
    for (;;) {
        uint64_t pos, seen;
        if (claim_tail(q, &pos, &seen)) {
            fill_and_publish(q, pos, data, size);
            return ASYNC_QUEUE_OK;
        }
        uint64_t oldest = pos - q->capacity;
        if (seen == seq_full(oldest)) {
            uint64_t expected = oldest;
            /* relaxed: claims the oldest message as a consumer would; the
             * acquire in claim_tail already saw it published, and we read
             * nothing from it. */
            if (atomic_compare_exchange_strong_explicit(&q->head, &expected,
                                                        oldest + 1,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed)) {
                /* release: get_stats reads dropped_count with acquire and
                 * then head, and must see this head move (head >= drops). */
                atomic_fetch_add_explicit(&q->dropped_count, 1,
                                          memory_order_release);
                release_slot(q, oldest);
                continue;
            }
            if (expected > oldest) {
                /* A consumer took it first and is still copying it out. */
                wait_for_slot_change(q, pos, seen, &q->space_waiters,
                                     &q->space_cond);
            }
        } else if (seen == seq_free(oldest)) {
            /* The oldest position is claimed but its producer has not
             * published yet: it cannot be dropped before it exists. */
            wait_for_slot_change(q, pos, seen, &q->data_waiters,
                                 &q->data_cond);
        }
        /* Otherwise the slot moved on meanwhile: try again. */
    }
}

/*
 * Enqueue for a full BLOCK_WRITER queue: sleeps on space_cond until a slot
 * frees (then stores the message: OK), the queue is closed (CLOSED), or the
 * calling thread is an async_worker asked to stop (FULL).
 *
 * Wake-ups: every freed slot signals one sleeper.  A sleeper that leaves
 * the wait passes a wake-up on when others still sleep and the tail's slot
 * is free, so no writer stays asleep while there is room even if a signal
 * went to a writer that then found its slot taken, was stopped, or that
 * slots were freed out of order.
 */
static async_queue_result_t enqueue_blocking(async_queue_t *q, const void *data,
                                             size_t size)
{
    async_worker_t *self = async_worker_current();
    async_queue_result_t result;
    uint64_t pos = 0, seen;

    async_worker_wait_begin(self, &q->lock, &q->space_cond);
    port_mutex_lock(&q->lock);
    /* seq_cst + fence: Dekker with wake_space_waiters (file comment). */
    atomic_fetch_add_explicit(&q->space_waiters, 1, memory_order_seq_cst);
    handshake_fence(q);
    for (;;) {
        /* acquire: close() stores with release; it also broadcasts under
         * the lock we hold, so we either see it here or get woken. */
        if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
            result = ASYNC_QUEUE_CLOSED;
            break;
        }
        if (self != NULL && async_worker_should_stop(self)) {
            result = ASYNC_QUEUE_FULL;
            break;
        }
        if (claim_tail(q, &pos, &seen)) {
            result = ASYNC_QUEUE_OK;
            break;
        }
        port_cond_wait(&q->space_cond, &q->lock);
    }
    /* relaxed: under the lock; the value only decides the hand-on below. */
    unsigned others = atomic_fetch_sub_explicit(&q->space_waiters, 1,
                                                memory_order_relaxed) - 1;
    if (others != 0 && result != ASYNC_QUEUE_CLOSED) {
        /* seq_cst fence: if the free slot is not visible yet, its
         * releaser's fence comes after ours and it sees the other
         * sleepers, so it signals one itself. */
        handshake_fence(q);
        if (tail_slot_is_free(q))
            port_cond_signal(&q->space_cond);
    }
    port_mutex_unlock(&q->lock);
    async_worker_wait_end(self);

    /* Filled outside the lock: publishing may take the lock to wake
     * readers. */
    if (result == ASYNC_QUEUE_OK)
        fill_and_publish(q, pos, data, size);
    return result;
}

/*
 * Creates a queue; see async_queue.h.  Everything enqueue and dequeue will
 * ever touch is allocated here, in one block: the queue header (cache-line
 * aligned) followed by the slots.
 */
async_queue_t *async_queue_create(size_t capacity, size_t max_message_size,
                                  async_queue_flags_t flags)
{
    const size_t line = PORT_CACHE_LINE;
    if (capacity == 0 || max_message_size == 0)
        return NULL;
    if (max_message_size > SIZE_MAX - sizeof(queue_slot_t) - line)
        return NULL;
    size_t stride = round_up(sizeof(queue_slot_t) + max_message_size, line);
    size_t header = round_up(sizeof(struct async_queue), line);
    if (capacity > (SIZE_MAX - header - line) / stride)
        return NULL;
    if ((uint64_t)capacity > UINT64_MAX / 4)
        return NULL;  /* keeps 2(p + capacity) far from wrapping */

    void *block = calloc(1, line + header + capacity * stride);
    if (block == NULL)
        return NULL;
    uintptr_t aligned = round_up((uintptr_t)block, line);
    async_queue_t *q = (async_queue_t *)aligned;
    q->allocation = block;
    q->slots = (unsigned char *)aligned + header;
    q->capacity = capacity;
    q->capacity_is_pow2 = (capacity & (capacity - 1)) == 0;
    q->index_mask = capacity - 1;
    q->max_message_size = max_message_size;
    q->stride = stride;
    q->flags = flags;
    bool drop = (flags & ASYNC_QUEUE_DROP_OLDEST) != 0;
    bool block_writer = (flags & ASYNC_QUEUE_BLOCK_WRITER) != 0;
    q->notify_data = drop || (flags & ASYNC_QUEUE_SIGNAL_ON_DATA) != 0;
    q->notify_space = drop || block_writer;
    q->space_broadcast = drop;

    /* atomic_init: not yet shared with any other thread. */
    atomic_init(&q->closed, false);
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    atomic_init(&q->head_seen, 0);
    atomic_init(&q->peak_size, 0);
    atomic_init(&q->dropped_count, 0);
    atomic_init(&q->rejected_count, 0);
    atomic_init(&q->space_waiters, 0);
    atomic_init(&q->data_waiters, 0);
    atomic_init(&q->fence_word, 0);
    for (uint64_t i = 0; i < q->capacity; i++) {
        queue_slot_t *slot = slot_at(q, i);
        atomic_init(&slot->seq, seq_free(i));
        atomic_init(&slot->size, 0);
    }

    if (port_mutex_init(&q->lock) != 0)
        goto fail_mutex;
    if (port_cond_init(&q->space_cond) != 0)
        goto fail_space;
    if (port_cond_init(&q->data_cond) != 0)
        goto fail_data;
    return q;

fail_data:
    port_cond_destroy(&q->space_cond);
fail_space:
    port_mutex_destroy(&q->lock);
fail_mutex:
    free(block);
    return NULL;
}

/*
 * Frees the queue and whatever it still holds.  No other thread may be
 * using it.  NULL is ignored.
 */
void async_queue_destroy(async_queue_t *queue)
{
    if (queue == NULL)
        return;
    port_cond_destroy(&queue->data_cond);
    port_cond_destroy(&queue->space_cond);
    port_mutex_destroy(&queue->lock);
    free(queue->allocation);
}

/* Counts a refused enqueue and returns its result. */
static async_queue_result_t rejected(async_queue_t *q, async_queue_result_t r)
{
    /* relaxed: a statistic. */
    atomic_fetch_add_explicit(&q->rejected_count, 1, memory_order_relaxed);
    return r;
}

/*
 * Stores a copy of data[0..size) at the tail.  Returns OK, or why nothing
 * was stored: INVALID (NULL queue, NULL data with size > 0), TOO_LARGE,
 * CLOSED, FULL (no policy made room; also a BLOCK_WRITER writer that is a
 * worker asked to stop).  Lock-free unless the queue is full and has
 * BLOCK_WRITER (sleeps) or DROP_OLDEST (may sleep for the length of
 * another thread's copy).
 */
async_queue_result_t async_queue_enqueue_ex(async_queue_t *queue,
                                            const void *data, size_t size)
{
    if (queue == NULL || (data == NULL && size != 0))
        return ASYNC_QUEUE_INVALID;
    if (size > queue->max_message_size)
        return rejected(queue, ASYNC_QUEUE_TOO_LARGE);
    /* relaxed: written once by close; an enqueue ordered after close (by
     * happens-before) sees it, a concurrent one may go either way. */
    if (atomic_load_explicit(&queue->closed, memory_order_relaxed))
        return rejected(queue, ASYNC_QUEUE_CLOSED);

    uint64_t pos, seen;
    if (claim_tail(queue, &pos, &seen)) {
        fill_and_publish(queue, pos, data, size);
        return ASYNC_QUEUE_OK;
    }
    async_queue_result_t result = ASYNC_QUEUE_FULL;
    if (queue->flags & ASYNC_QUEUE_DROP_OLDEST)
        result = enqueue_dropping_oldest(queue, data, size);
    else if (queue->flags & ASYNC_QUEUE_BLOCK_WRITER)
        result = enqueue_blocking(queue, data, size);
    return result == ASYNC_QUEUE_OK ? result : rejected(queue, result);
}

/* async_queue_enqueue_ex as a bool: true when the message was stored. */
bool async_queue_enqueue(async_queue_t *queue, const void *data, size_t size)
{
    return async_queue_enqueue_ex(queue, data, size) == ASYNC_QUEUE_OK;
}

/*
 * Moves the head message into buffer.  OK: *out_size = its size.  EMPTY:
 * *out_size = 0.  BUFFER_TOO_SMALL: the message stays at the head, untouched,
 * and *out_size = its size.  INVALID (NULL queue or out_size, NULL buffer
 * with buffer_size > 0): *out_size = 0 when out_size is not NULL.
 * Lock-free; never waits for another thread.
 */
async_queue_result_t async_queue_dequeue_ex(async_queue_t *queue, void *buffer,
                                            size_t buffer_size, size_t *out_size)
{
    if (out_size == NULL)
        return ASYNC_QUEUE_INVALID;
    *out_size = 0;
    if (queue == NULL || (buffer == NULL && buffer_size != 0))
        return ASYNC_QUEUE_INVALID;

    /* relaxed: where to look; the slot's seq decides. */
    uint64_t pos = atomic_load_explicit(&queue->head, memory_order_relaxed);
    queue_slot_t *slot;
    size_t size;
    for (;;) {
        slot = slot_at(queue, pos);
        /* acquire: pairs with the producer's publishing release, so size
         * and data are visible. */
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        int64_t diff = seq_diff(seq, seq_full(pos));
        if (diff < 0)
            return ASYNC_QUEUE_EMPTY;
        if (diff > 0) {
            /* Another consumer took pos. */
            /* relaxed: as above. */
            pos = atomic_load_explicit(&queue->head, memory_order_relaxed);
            continue;
        }
        /* acquire: pairs with the producer's release of size; if this is
         * the size of a later message in the same slot, the head move that
         * freed the slot happens-before the head reload below, which then
         * sees pos has gone. */
        size = atomic_load_explicit(&slot->size, memory_order_acquire);
        if (size > buffer_size) {
            /* Do not claim: the message must stay at the head.  Report
             * its size only if it is still the head. */
            /* relaxed: ordered after the size load by its acquire. */
            uint64_t now = atomic_load_explicit(&queue->head,
                                                memory_order_relaxed);
            if (now != pos) {
                pos = now;
                continue;
            }
            *out_size = size;
            return ASYNC_QUEUE_BUFFER_TOO_SMALL;
        }
        /* relaxed: the CAS only arbitrates between consumers; the message
         * was handed over by the acquire load of seq.  On failure pos is
         * reloaded with the current head. */
        if (atomic_compare_exchange_weak_explicit(&queue->head, &pos, pos + 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
    if (size != 0)
        memcpy(buffer, slot->data, size);
    *out_size = size;
    release_slot(queue, pos);
    return ASYNC_QUEUE_OK;
}

/* async_queue_dequeue_ex as a bool: true when a message was moved. */
bool async_queue_dequeue(async_queue_t *queue, void *buffer, size_t buffer_size,
                         size_t *out_size)
{
    return async_queue_dequeue_ex(queue, buffer, buffer_size, out_size)
           == ASYNC_QUEUE_OK;
}

/* Messages stored now (claimed positions included), at most capacity. */
static uint64_t current_size(const async_queue_t *q)
{
    /* relaxed: a snapshot, exact when quiet.  Read head first: a tail read
     * afterwards is almost always >= it; the clamps cover the rest. */
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    /* relaxed: as above. */
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (tail <= head)
        return 0;
    return tail - head > q->capacity ? q->capacity : tail - head;
}

/* True when no message is stored; a snapshot (NULL: true). */
bool async_queue_is_empty(const async_queue_t *queue)
{
    return queue == NULL || current_size(queue) == 0;
}

/* True when every slot is taken; a snapshot (NULL: false). */
bool async_queue_is_full(const async_queue_t *queue)
{
    return queue != NULL && current_size(queue) >= queue->capacity;
}

/*
 * Fills *stats with a snapshot; exact when no other thread uses the queue.
 * NULL queue: all zero.
 */
void async_queue_get_stats(const async_queue_t *queue, async_queue_stats_t *stats)
{
    if (stats == NULL)
        return;
    memset(stats, 0, sizeof *stats);
    if (queue == NULL)
        return;
    /* acquire: pairs with the dropper's release increment, so the head
     * read after it includes every drop counted here. */
    size_t dropped = atomic_load_explicit(&queue->dropped_count,
                                          memory_order_acquire);
    /* relaxed: snapshot counters; see current_size. */
    uint64_t head = atomic_load_explicit(&queue->head, memory_order_relaxed);
    /* relaxed: as above. */
    uint64_t tail = atomic_load_explicit(&queue->tail, memory_order_relaxed);
    uint64_t size = tail > head ? tail - head : 0;
    if (size > queue->capacity)
        size = queue->capacity;
    /* relaxed: a statistic. */
    size_t peak = atomic_load_explicit(&queue->peak_size, memory_order_relaxed);

    stats->current_size = (size_t)size;
    stats->capacity = (size_t)queue->capacity;
    stats->max_message_size = queue->max_message_size;
    stats->dropped_count = dropped;
    stats->peak_size = peak > size ? peak : (size_t)size;
    stats->total_enqueued = tail;
    stats->total_dequeued = head >= dropped ? head - dropped : 0;
    /* relaxed: a statistic. */
    stats->rejected_count = atomic_load_explicit(&queue->rejected_count,
                                                 memory_order_relaxed);
    /* relaxed: a flag set once; a snapshot. */
    stats->closed = atomic_load_explicit(&queue->closed, memory_order_relaxed);
}

/*
 * Sleeps until a message is published at the head, the queue is closed,
 * the calling worker is asked to stop, or timeout_ms passes (-1 forever,
 * 0 only checks).  True when a message is there.  Without
 * SIGNAL_ON_DATA only checks.
 */
bool async_queue_wait(async_queue_t *queue, int timeout_ms)
{
    if (queue == NULL)
        return false;
    if (head_is_published(queue))
        return true;
    if (!(queue->flags & ASYNC_QUEUE_SIGNAL_ON_DATA) || timeout_ms == 0)
        return false;

    int64_t deadline = port_deadline_after_ms(timeout_ms);
    async_worker_t *self = async_worker_current();
    bool ready = false;

    async_worker_wait_begin(self, &queue->lock, &queue->data_cond);
    port_mutex_lock(&queue->lock);
    /* seq_cst + fence: Dekker with wake_data_waiters (file comment). */
    atomic_fetch_add_explicit(&queue->data_waiters, 1, memory_order_seq_cst);
    handshake_fence(queue);
    for (;;) {
        if (head_is_published(queue)) {
            ready = true;
            break;
        }
        /* acquire: pairs with close's release; close also broadcasts
         * under the lock we hold, so we see it here or get woken. */
        if (atomic_load_explicit(&queue->closed, memory_order_acquire))
            break;
        if (self != NULL && async_worker_should_stop(self))
            break;
        if (port_deadline_expired(deadline))
            break;
        port_cond_wait_until(&queue->data_cond, &queue->lock, deadline);
    }
    /* relaxed: a late decrement costs at most one needless wake-up. */
    atomic_fetch_sub_explicit(&queue->data_waiters, 1, memory_order_relaxed);
    port_mutex_unlock(&queue->lock);
    async_worker_wait_end(self);
    return ready;
}

/*
 * Closes the queue for writing and wakes every sleeper (blocked writers
 * return CLOSED, waiters re-check).  Stored messages stay dequeueable.
 * Idempotent; NULL is ignored.
 */
void async_queue_close(async_queue_t *queue)
{
    if (queue == NULL)
        return;
    /* release: pairs with the sleepers' acquire loads. */
    atomic_store_explicit(&queue->closed, true, memory_order_release);
    port_mutex_lock(&queue->lock);
    port_cond_broadcast(&queue->space_cond);
    port_cond_broadcast(&queue->data_cond);
    port_mutex_unlock(&queue->lock);
}

/* True once async_queue_close was called (NULL: false). */
bool async_queue_is_closed(const async_queue_t *queue)
{
    /* acquire: a caller that sees the queue closed also sees what the
     * closing thread wrote before closing. */
    return queue != NULL &&
           atomic_load_explicit(&queue->closed, memory_order_acquire);
}

/* Diagnostics: threads asleep waiting for a free slot. */
size_t async_queue_blocked_writers(const async_queue_t *queue)
{
    if (queue == NULL)
        return 0;
    /* relaxed: a snapshot for tests and diagnostics. */
    return atomic_load_explicit(&queue->space_waiters, memory_order_relaxed);
}

/* Static text naming what failed. */
const char *async_queue_result_str(async_queue_result_t result)
{
    switch (result) {
    case ASYNC_QUEUE_OK:
        return "async_queue: ok";
    case ASYNC_QUEUE_EMPTY:
        return "async_queue: queue empty";
    case ASYNC_QUEUE_FULL:
        return "async_queue: queue full";
    case ASYNC_QUEUE_TOO_LARGE:
        return "async_queue: message larger than max_message_size";
    case ASYNC_QUEUE_BUFFER_TOO_SMALL:
        return "async_queue: buffer too small for the head message "
               "(message kept, size in *out_size)";
    case ASYNC_QUEUE_CLOSED:
        return "async_queue: queue closed";
    case ASYNC_QUEUE_INVALID:
        return "async_queue: invalid argument";
    }
    return "async_queue: unknown result";
}
