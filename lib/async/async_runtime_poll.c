/*
 * async_runtime_poll.c - the portable POSIX backend: poll() for sockets, a
 * pipe as the completion doorbell.  Used on macOS and the BSDs, and on
 * Linux when configured with --with-async-backend=poll (so this path is
 * built and tested everywhere).
 *
 * State:
 *   pfds[0]          the doorbell pipe's read end (POLLIN)
 *   pfds[1..nfds)    registered sockets, in no particular order
 *   slots[i]         fd, interest and key for pfds[i]
 *   index_of[fd]     i such that slots[i].fd == fd, or 0 when fd is not
 *                    registered (0 is the doorbell, never a socket)
 * Removal moves the last entry into the hole (swap-remove), so the arrays
 * stay dense and every operation except the poll itself is O(1).  A paused
 * socket (events 0) stays in place with pfds[i].fd = -1, which poll()
 * skips: poll reports POLLHUP/POLLERR even for events 0, and a paused
 * socket must report nothing.
 *
 * Fairness: when more sockets are ready than the caller has slots, the
 * scan starts next time where it stopped, so every ready socket gets its
 * turn.
 *
 * The doorbell is one byte per ring; a ring that finds the pipe full
 * (EAGAIN) is fine, since the pipe is then readable anyway.  When the read
 * end is readable it is drained completely, so no stale bytes make later
 * polls return at once.
 *
 * Timeouts: ppoll() with a timespec where available, else poll() with the
 * time rounded UP to whole milliseconds.  async_runtime.c re-waits if the
 * OS returns early.  Linux-only bits (POLLRDHUP, pipe2, ppoll) are guarded.
 */
#include "config.h"
#include "async/async_runtime_backend.h"
#include "port/port_fd_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char async_backend_name[] = "poll";

/* Peer hang-up while we only watch WRITE is reported through POLLHUP
 * everywhere; Linux can also tell a half-close (POLLRDHUP), which epoll
 * reports too, so ask for it where it exists. */
#ifdef POLLRDHUP
#define POLL_HANGUP_BITS (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP)
#define POLL_ALWAYS_WANTED POLLRDHUP
#else
#define POLL_HANGUP_BITS (POLLERR | POLLHUP | POLLNVAL)
#define POLL_ALWAYS_WANTED 0
#endif

typedef struct poll_slot {
    int fd;            /* the socket, also while paused */
    unsigned events;   /* ASYNC_EVENT_READ|WRITE; 0 = paused */
    uintptr_t key;
} poll_slot_t;

struct async_backend {
    int doorbell_rd;        /* pipe read end: close-on-exec, non-blocking */
    int doorbell_wr;        /* pipe write end: close-on-exec, non-blocking */
    struct pollfd *pfds;    /* [0] doorbell, [1..nfds) sockets */
    poll_slot_t *slots;     /* parallel to pfds; slots[0] unused */
    size_t nfds;            /* entries in use, doorbell included */
    size_t cap;             /* entries allocated in pfds and slots */
    size_t *index_of;       /* fd -> index in pfds, 0 = not registered */
    size_t index_cap;
    size_t cursor;          /* where the next socket scan starts (>= 1) */
};


/*
** Creates the tables and the doorbell pipe.  NULL with errno on failure.
*/
async_backend_t *async_backend_create(void)
{
    async_backend_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    b->doorbell_rd = -1;
    b->doorbell_wr = -1;
    b->cap = 16;
    b->pfds = calloc(b->cap, sizeof(*b->pfds));
    b->slots = calloc(b->cap, sizeof(*b->slots));
    if (b->pfds == NULL || b->slots == NULL) {
        async_backend_destroy(b);
        errno = ENOMEM;
        return NULL;
    }
    int fds[2];
    if (port_fd_pipe_nonblock_cloexec(fds) < 0) {
        int saved = errno;
        async_backend_destroy(b);
        errno = saved;
        return NULL;
    }
    b->doorbell_rd = fds[0];
    b->doorbell_wr = fds[1];
    b->pfds[0].fd = b->doorbell_rd;
    b->pfds[0].events = POLLIN;
    b->slots[0].fd = b->doorbell_rd;
    b->nfds = 1;
    b->cursor = 1;
    return b;
}

/*
** Closes the pipe and frees the tables.  Registered sockets are not
** closed (they belong to the caller).
*/
void async_backend_destroy(async_backend_t *backend)
{
    if (backend == NULL)
        return;
    if (backend->doorbell_rd >= 0)
        close(backend->doorbell_rd);
    if (backend->doorbell_wr >= 0)
        close(backend->doorbell_wr);
    free(backend->pfds);
    free(backend->slots);
    free(backend->index_of);
    free(backend);
}

/*
** Index of fd in pfds/slots, or 0 when fd is not registered.
*/
static size_t index_find(const async_backend_t *b, int fd)
{
    if (fd < 0 || (size_t)fd >= b->index_cap)
        return 0;
    return b->index_of[fd];
}

/*
** The poll() interest bits for a runtime interest set.
*/
static short poll_events_for(unsigned events)
{
    short ev = POLL_ALWAYS_WANTED;
    if (events & ASYNC_EVENT_READ)
        ev |= POLLIN;
    if (events & ASYNC_EVENT_WRITE)
        ev |= POLLOUT;
    return ev;
}

/*
** Writes slot i's interest into pfds[i]; a paused slot gets fd -1.
*/
static void pfd_update(async_backend_t *b, size_t i)
{
    b->pfds[i].fd = b->slots[i].events != 0 ? b->slots[i].fd : -1;
    b->pfds[i].events = poll_events_for(b->slots[i].events);
    b->pfds[i].revents = 0;
}

/*
** Makes room for one more socket: index_of[fd] addressable and one free
** entry in pfds/slots.  Grows to powers of two.  0, or -1/ENOMEM.
*/
static int reserve_for(async_backend_t *b, int fd)
{
    size_t need = (size_t)fd + 1;
    if (need > b->index_cap) {
        size_t cap = b->index_cap ? b->index_cap : 64;
        while (cap < need)
            cap *= 2;
        size_t *idx = realloc(b->index_of, cap * sizeof(*idx));
        if (idx == NULL)
            goto nomem;
        memset(idx + b->index_cap, 0, (cap - b->index_cap) * sizeof(*idx));
        b->index_of = idx;
        b->index_cap = cap;
    }
    if (b->nfds == b->cap) {
        size_t cap = b->cap * 2;
        struct pollfd *pfds = realloc(b->pfds, cap * sizeof(*pfds));
        if (pfds == NULL)
            goto nomem;
        b->pfds = pfds;
        poll_slot_t *slots = realloc(b->slots, cap * sizeof(*slots));
        if (slots == NULL)
            goto nomem;  /* pfds is bigger than needed: harmless */
        b->slots = slots;
        b->cap = cap;
    }
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

/*
** Registers fd.  EEXIST if already registered (or one of our own fds),
** EINVAL if fd is not open, ENOMEM.
*/
int async_backend_add(async_backend_t *backend, async_socket_t fd, unsigned events,
                uintptr_t key)
{
    async_backend_t *b = backend;
    if (index_find(b, fd) != 0 || fd == b->doorbell_rd || fd == b->doorbell_wr) {
        errno = EEXIST;
        return -1;
    }
    if (fcntl(fd, F_GETFD) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (reserve_for(b, fd) < 0)
        return -1;
    size_t i = b->nfds++;
    b->slots[i].fd = fd;
    b->slots[i].events = events;
    b->slots[i].key = key;
    pfd_update(b, i);
    b->index_of[fd] = i;
    return 0;
}

/*
** Changes interest and key in place.  ENOENT when fd is not registered.
*/
int async_backend_modify(async_backend_t *backend, async_socket_t fd,
                   unsigned events, uintptr_t key)
{
    size_t i = index_find(backend, fd);
    if (i == 0) {
        errno = ENOENT;
        return -1;
    }
    backend->slots[i].events = events;
    backend->slots[i].key = key;
    pfd_update(backend, i);
    return 0;
}

/*
** Forgets fd: the last entry moves into its place.  ENOENT when not
** registered.
*/
int async_backend_remove(async_backend_t *backend, async_socket_t fd)
{
    async_backend_t *b = backend;
    size_t i = index_find(b, fd);
    if (i == 0) {
        errno = ENOENT;
        return -1;
    }
    size_t last = b->nfds - 1;
    if (i != last) {
        b->pfds[i] = b->pfds[last];
        b->slots[i] = b->slots[last];
        b->index_of[b->slots[i].fd] = i;
    }
    b->index_of[fd] = 0;
    b->nfds--;
    if (b->cursor >= b->nfds)
        b->cursor = 1;
    return 0;
}

size_t async_backend_socket_count(const async_backend_t *backend)
{
    return backend->nfds - 1;
}

/*
** Empties the pipe so it stops being readable and the next ring wakes a
** later poll.  Only called from async_backend_poll, right before the runtime
** takes its list.
*/
static void doorbell_drain(async_backend_t *b)
{
    char buf[256];
    for (;;) {
        ssize_t r = read(b->doorbell_rd, buf, sizeof(buf));
        if (r > 0)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        break;  /* EAGAIN: empty.  0 (EOF) cannot happen: we hold the
                   write end until destroy. */
    }
}

/*
** Polls pfds.  timeout_ns < 0 forever, 0 no wait.  Returns poll's result
** (count, or -1 with errno, EINTR included).
*/
static int poll_ns(async_backend_t *b, int64_t timeout_ns)
{
#ifdef HAVE_PPOLL
    struct timespec ts;
    ts.tv_sec = (time_t)(timeout_ns / 1000000000);
    ts.tv_nsec = (long)(timeout_ns % 1000000000);
    return ppoll(b->pfds, (nfds_t)b->nfds, timeout_ns < 0 ? NULL : &ts, NULL);
#else
    int ms;
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns / 1000000 >= INT_MAX)
        ms = INT_MAX;  /* the runtime re-waits for the rest */
    else
        ms = (int)((timeout_ns + 999999) / 1000000);  /* up, never down */
    return poll(b->pfds, (nfds_t)b->nfds, ms);
#endif
}

/*
** The runtime's event bits for a poll revents value.
*/
static unsigned async_events_for(short revents)
{
    unsigned type = 0;
    if (revents & POLLIN)
        type |= ASYNC_EVENT_READ;
    if (revents & POLLOUT)
        type |= ASYNC_EVENT_WRITE;
    if (revents & POLL_HANGUP_BITS)
        type |= ASYNC_EVENT_ERROR;
    return type;
}

/*
** Waits up to timeout_ns for readiness or the doorbell; fills at most
** max_events socket events (scan starting at the cursor), drains the
** doorbell if it rang and sets *doorbell.  -1 with errno (EINTR:
** interrupted, caller retries).
*/
int async_backend_poll(async_backend_t *backend, io_event_t *events, int max_events,
                 int64_t timeout_ns, bool *doorbell)
{
    async_backend_t *b = backend;
    *doorbell = false;
    int ready = poll_ns(b, timeout_ns);
    if (ready < 0)
        return -1;
    if (ready == 0)
        return 0;

    if (b->pfds[0].revents != 0) {
        doorbell_drain(b);
        *doorbell = true;
        ready--;
    }

    size_t sockets = b->nfds - 1;
    size_t i = b->cursor;
    int n = 0;
    for (size_t seen = 0; seen < sockets && ready > 0; seen++) {
        if (n == max_events) {
            b->cursor = i;  /* the rest get the first look next time */
            break;
        }
        short revents = b->pfds[i].revents;
        if (revents != 0) {
            ready--;
            unsigned type = async_events_for(revents);
            if (type != 0) {
                events[n].completion_key = b->slots[i].key;
                events[n].event_type = type;
                events[n].value = 0;
                events[n].fd = b->slots[i].fd;
                n++;
            }
        }
        if (++i == b->nfds)
            i = 1;
    }
    return n;
}

/*
** Writes one byte into the pipe.  Any thread; async-signal-safe; keeps
** errno.  EAGAIN (pipe full) means the doorbell is already ringing.
*/
void async_backend_ring_doorbell(async_backend_t *backend)
{
    int saved = errno;
    const char byte = 1;
    ssize_t r;
    do {
        r = write(backend->doorbell_wr, &byte, 1);
    } while (r < 0 && errno == EINTR);
    errno = saved;
}
