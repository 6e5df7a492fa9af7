/*
 * async_runtime_iocp.c - the Windows backend: one I/O completion port as
 * the wait object, socket readiness from WSAEventSelect + WSAPoll.
 *
 * DESIGN
 *
 * The loop thread sleeps in GetQueuedCompletionStatusEx on one port.  Two
 * kinds of packet arrive there, told apart by their completion key:
 *
 *   DOORBELL_KEY  PostQueuedCompletionStatus from async_backend_ring_doorbell
 *                 (any thread).  Dequeuing it is the drain.
 *   WAKE_KEY      "some watched socket may have changed state", posted by
 *                 a thread-pool callback (below).
 *
 * Readiness itself is never carried by a packet.  Every async_backend_poll
 * asks the sockets directly with WSAPoll(timeout 0) over the active
 * registrations, which gives exactly the level-triggered meaning of the
 * epoll and poll backends: a socket that is readable (data, EOF, a
 * listener with a pending connection), writable, or in error/hang-up is
 * reported on every wait for as long as that lasts, whatever happened
 * before.  Only when that check finds nothing does the loop block on the
 * port.
 *
 * Waking the blocked loop when a socket changes: every active socket is
 * WSAEventSelect'ed onto ONE auto-reset event (socket_event) with the
 * network events matching its interest (READ: FD_READ | FD_ACCEPT, WRITE:
 * FD_WRITE | FD_CONNECT, always FD_CLOSE).  RegisterWaitForSingleObject
 * runs wake_callback on a thread-pool wait thread each time the event is
 * set; the callback posts one WAKE_KEY packet.  Winsock only signals on
 * transitions (FD_READ again after a recv, FD_WRITE again after a send
 * failed with WSAEWOULDBLOCK, FD_ACCEPT again after an accept), which is
 * enough because blocking is only ever decided right after a level check:
 *
 *   - a socket ready at the check is reported, the loop does not block;
 *   - a socket that becomes ready after the check makes Winsock record a
 *     network event, because the transition that made it unready (the
 *     caller's recv / accept until WSAEWOULDBLOCK, its send until
 *     WSAEWOULDBLOCK) re-enabled that event.  So the driver contract is
 *     the usual non-blocking one: read/accept until WSAEWOULDBLOCK, write
 *     until WSAEWOULDBLOCK, and watch WRITE only while output is queued.
 *     Adding WRITE interest needs no event at all: the check right after
 *     reports a writable socket at once.
 *
 * After a WAKE packet the loop calls WSAEnumNetworkEvents on every active
 * socket (with no event handle, so the shared event is not touched) to
 * clear Winsock's record of what it signalled, then checks the levels.
 *
 * At most one WAKE packet is in the port at a time: `wake_pending` is
 * exchanged to 1 by the callback, which posts only if it was 0; the loop
 * stores 0 when it dequeues the packet and BEFORE it checks the sockets.
 * A state change the callback reports while the flag is still 1 happened
 * before the loop's store, hence before its check, which sees it.
 *
 * Removal is safe against packets already queued because packets name no
 * socket: a WAKE packet left over from a removed (or closed) socket only
 * causes one level check that finds nothing, a spurious wake-up that
 * async_runtime.c absorbs.  remove cancels the socket's WSAEventSelect
 * before forgetting it, so a socket removed and then closed leaves no
 * trace; a socket closed before remove is dropped from Winsock's event
 * selection by closesocket itself.
 *
 * Side effects callers must know (documented in async-library.md):
 * WSAEventSelect makes a socket non-blocking, and it stays non-blocking
 * after remove; a socket watched here must not also be given to
 * WSAAsyncSelect or another WSAEventSelect.
 *
 * Threads and handles: the port, the event and one registered wait,
 * created in async_backend_create and released in async_backend_destroy
 * (UnregisterWaitEx with INVALID_HANDLE_VALUE waits for a callback that
 * is running, so nothing posts to a closed port).  The wait runs on the
 * system thread pool: no thread of our own.
 *
 * Winsock: initialised once per process (WSAStartup 2.2 under port_once)
 * by the first async_backend_create, and never cleaned up: the process
 * may hold sockets until it exits, and Windows releases Winsock then.
 *
 * Costs: a wait does one WSAPoll over the active sockets (like the poll
 * backend) plus, after a socket wake-up, one WSAEnumNetworkEvents per
 * active socket.  Registration lookups are O(1) (a hash of SOCKET values).
 *
 * Timeouts: GetQueuedCompletionStatusEx takes whole milliseconds; the time
 * left is rounded UP (never down to 0, which would spin) and -1 means
 * INFINITE.  async_runtime.c re-waits if the OS returns early.
 */
#include "config.h"
#include "async/async_runtime_backend.h"
#include "port/port_atomic.h"
#include "port/port_thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <windows.h>

const char async_backend_name[] = "iocp";

/* Completion keys of the two packets this backend posts to its port. */
#define DOORBELL_KEY ((ULONG_PTR)1)
#define WAKE_KEY     ((ULONG_PTR)2)

/* Packets dequeued per GetQueuedCompletionStatusEx call.  At most one
 * WAKE and a few doorbells can be queued, so this is plenty; more are
 * taken by another call. */
#define PORT_ENTRIES 8

typedef struct iocp_reg {
    SOCKET sock;
    unsigned events;   /* ASYNC_EVENT_READ|WRITE; 0 = paused (not selected) */
    uintptr_t key;
} iocp_reg_t;

struct async_backend {
    HANDLE port;            /* the completion port the loop sleeps on */
    HANDLE socket_event;    /* auto-reset; every active socket's WSAEventSelect target */
    HANDLE event_wait;      /* RegisterWaitForSingleObject on socket_event */
    /* 1 while a WAKE packet is queued or about to be; see DESIGN. */
    atomic_int wake_pending;

    iocp_reg_t *regs;       /* registrations, dense, in no order */
    size_t count;
    size_t cap;
    /* Hash index SOCKET -> position in regs + 1 (0 = empty slot); open
     * addressing with linear probing, never more than half full. */
    size_t *index;
    size_t index_cap;       /* a power of two */

    WSAPOLLFD *pfds;        /* scratch for the level check, cap entries */
    size_t *pfd_reg;        /* pfds[i] belongs to regs[pfd_reg[i]] */
    size_t cursor;          /* where the next check starts (fairness) */
};

/* ---------------------------------------------------------- Winsock */

static port_once_t winsock_once = PORT_ONCE_INIT;
static int winsock_error;  /* WSAStartup's result; written once under winsock_once */

static void winsock_init(void)
{
    WSADATA data;
    winsock_error = WSAStartup(MAKEWORD(2, 2), &data);
}

/*
** The errno value for a Winsock error.  "Not a socket" and "bad
** argument" are the runtime's EINVAL (a bad fd); the rest are rare.
*/
static int errno_from_wsa(int wsa)
{
    switch (wsa) {
    case WSAENOTSOCK:
    case WSAEINVAL:
    case WSAEFAULT:
        return EINVAL;
    case WSAENOBUFS:
        return ENOMEM;
    case WSAEINTR:
        return EINTR;
    default:
        return EIO;
    }
}

/*
** The errno value for a Win32 error from the port, event or thread pool.
*/
static int errno_from_win32(DWORD err)
{
    switch (err) {
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
        return ENOMEM;
    case ERROR_INVALID_HANDLE:
    case ERROR_INVALID_PARAMETER:
        return EINVAL;
    default:
        return EIO;
    }
}

/* ---------------------------------------------------------- wake-ups */

/*
** Thread-pool wait callback: socket_event was set, so a watched socket
** recorded a network event.  Posts one WAKE packet unless one is already
** on its way.  Runs on a pool wait thread, never after destroy's
** UnregisterWaitEx returned.
*/
static VOID CALLBACK wake_callback(PVOID context, BOOLEAN timed_out)
{
    async_backend_t *b = context;
    (void)timed_out;  /* INFINITE wait: never */
    /* seq_cst: pairs with the loop's seq_cst store of 0 before its level
     * check (see DESIGN): either the loop's check comes after this
     * event's cause, or we see 0 and post. */
    if (atomic_exchange_explicit(&b->wake_pending, 1, memory_order_seq_cst) == 0)
        PostQueuedCompletionStatus(b->port, 0, WAKE_KEY, NULL);
}

/*
** The WSAEventSelect mask for an interest set.  Hang-ups (FD_CLOSE) are
** always wanted: ERROR is reported whatever the interest.
*/
static long network_events_for(unsigned events)
{
    long mask = FD_CLOSE;
    if (events & ASYNC_EVENT_READ)
        mask |= FD_READ | FD_ACCEPT;
    if (events & ASYNC_EVENT_WRITE)
        mask |= FD_WRITE | FD_CONNECT;
    return mask;
}

/*
** Points sock's network events at socket_event for `events`, or cancels
** its selection when events is 0.  0, or -1 with errno (EINVAL: not a
** socket).
*/
static int select_events(async_backend_t *b, SOCKET sock, unsigned events)
{
    int rc = events != 0
        ? WSAEventSelect(sock, b->socket_event, network_events_for(events))
        : WSAEventSelect(sock, NULL, 0);
    if (rc == 0)
        return 0;
    errno = errno_from_wsa(WSAGetLastError());
    return -1;
}

/* ---------------------------------------------------------- create/destroy */

/*
** Creates the port, the shared socket event and its registered wait.
** Initialises Winsock on first use.  NULL with errno on failure.
*/
async_backend_t *async_backend_create(void)
{
    port_once(&winsock_once, winsock_init);
    if (winsock_error != 0) {
        errno = errno_from_wsa(winsock_error);
        return NULL;
    }
    async_backend_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* No other thread sees b until create returns (the pool's wait is
     * registered last, and registering it publishes what came before). */
    atomic_init(&b->wake_pending, 0);
    b->cursor = 0;

    /* Handles are created non-inheritable (NULL security attributes):
     * the Windows counterpart of close-on-exec. */
    b->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (b->port == NULL)
        goto fail_win32;
    b->socket_event = CreateEventW(NULL, FALSE, FALSE, NULL);  /* auto-reset */
    if (b->socket_event == NULL)
        goto fail_win32;
    /* WT_EXECUTEINWAITTHREAD: the callback only posts a packet, so it runs
     * on the wait thread itself instead of being handed to a worker. */
    if (!RegisterWaitForSingleObject(&b->event_wait, b->socket_event, wake_callback,
                                     b, INFINITE, WT_EXECUTEINWAITTHREAD)) {
        b->event_wait = NULL;
        goto fail_win32;
    }
    return b;

fail_win32:;
    int saved = errno_from_win32(GetLastError());
    async_backend_destroy(b);
    errno = saved;
    return NULL;
}

/*
** Cancels the event selection of every socket still registered (they
** belong to the caller and stay open), stops the pool wait, then closes
** the event and the port.  Order matters: after the selections are
** cancelled Winsock no longer sets the event, and after UnregisterWaitEx
** (which waits for a running callback) nobody posts to the port.
*/
void async_backend_destroy(async_backend_t *backend)
{
    if (backend == NULL)
        return;
    async_backend_t *b = backend;
    for (size_t i = 0; i < b->count; i++)
        if (b->regs[i].events != 0)
            (void)WSAEventSelect(b->regs[i].sock, NULL, 0);
    if (b->event_wait != NULL)
        UnregisterWaitEx(b->event_wait, INVALID_HANDLE_VALUE);
    if (b->socket_event != NULL)
        CloseHandle(b->socket_event);
    if (b->port != NULL)
        CloseHandle(b->port);  /* queued packets carry no memory: nothing to free */
    free(b->regs);
    free(b->index);
    free(b->pfds);
    free(b->pfd_reg);
    free(b);
}

/* ---------------------------------------------------------- registrations */

/*
** Hash slot for a SOCKET.  Socket values are handle-like (multiples of 4),
** so the low bits are dropped and the rest mixed.
*/
static size_t index_slot(const async_backend_t *b, SOCKET sock)
{
    uint64_t h = (uint64_t)sock >> 2;
    h *= UINT64_C(0x9E3779B97F4A7C15);  /* Fibonacci hashing */
    return (size_t)(h >> 32) & (b->index_cap - 1);
}

/*
** Position of sock's hash slot: the one holding it, or the empty one
** where it would go.
*/
static size_t index_probe(const async_backend_t *b, SOCKET sock)
{
    size_t mask = b->index_cap - 1;
    size_t s = index_slot(b, sock);
    while (b->index[s] != 0 && b->regs[b->index[s] - 1].sock != sock)
        s = (s + 1) & mask;
    return s;
}

/*
** Position of sock in regs, or SIZE_MAX when it is not registered.
*/
static size_t reg_find(const async_backend_t *b, SOCKET sock)
{
    if (b->index_cap == 0)
        return SIZE_MAX;
    size_t s = index_probe(b, sock);
    return b->index[s] != 0 ? b->index[s] - 1 : SIZE_MAX;
}

/*
** Rebuilds the hash index at a new capacity from regs.  0, or -1/ENOMEM
** (the old index is kept).
*/
static int index_rebuild(async_backend_t *b, size_t cap)
{
    size_t *index = calloc(cap, sizeof(*index));
    if (index == NULL) {
        errno = ENOMEM;
        return -1;
    }
    free(b->index);
    b->index = index;
    b->index_cap = cap;
    for (size_t i = 0; i < b->count; i++)
        b->index[index_probe(b, b->regs[i].sock)] = i + 1;
    return 0;
}

/*
** Removes sock's hash entry, shifting later members of its probe run
** back so that lookups never stop at a hole (no tombstones).
*/
static void index_erase(async_backend_t *b, SOCKET sock)
{
    size_t mask = b->index_cap - 1;
    size_t hole = index_probe(b, sock);
    b->index[hole] = 0;
    for (size_t s = (hole + 1) & mask; b->index[s] != 0; s = (s + 1) & mask) {
        size_t home = index_slot(b, b->regs[b->index[s] - 1].sock);
        /* The entry at s may move into the hole only if its home slot is
         * not in the cyclic range (hole, s]. */
        bool home_after_hole = ((s - home) & mask) < ((s - hole) & mask);
        if (home_after_hole)
            continue;
        b->index[hole] = b->index[s];
        b->index[s] = 0;
        hole = s;
    }
}

/*
** Room for one more registration: regs, the poll scratch arrays and the
** hash index (kept at most half full).  0, or -1/ENOMEM.
*/
static int reserve_one(async_backend_t *b)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        iocp_reg_t *regs = realloc(b->regs, cap * sizeof(*regs));
        if (regs == NULL)
            goto nomem;
        b->regs = regs;
        WSAPOLLFD *pfds = realloc(b->pfds, cap * sizeof(*pfds));
        if (pfds == NULL)
            goto nomem;
        b->pfds = pfds;
        size_t *pfd_reg = realloc(b->pfd_reg, cap * sizeof(*pfd_reg));
        if (pfd_reg == NULL)
            goto nomem;
        b->pfd_reg = pfd_reg;
        b->cap = cap;  /* only once all three are this big */
    }
    if ((b->count + 1) * 2 > b->index_cap)
        return index_rebuild(b, b->index_cap ? b->index_cap * 2 : 64);
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

/*
** True when sock is a socket (it may be paused from the start, so
** WSAEventSelect is not there to tell).
*/
static bool is_socket(SOCKET sock)
{
    int type = 0;
    int len = (int)sizeof(type);
    return getsockopt(sock, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/*
** Registers sock.  EEXIST if already registered, EINVAL if it is not a
** socket, ENOMEM.
*/
int async_backend_add(async_backend_t *backend, async_socket_t fd, unsigned events,
                      uintptr_t key)
{
    async_backend_t *b = backend;
    if (reg_find(b, fd) != SIZE_MAX) {
        errno = EEXIST;
        return -1;
    }
    if (!is_socket(fd)) {
        errno = EINVAL;
        return -1;
    }
    if (reserve_one(b) < 0)
        return -1;
    if (events != 0 && select_events(b, fd, events) < 0)
        return -1;
    size_t i = b->count++;
    b->regs[i].sock = fd;
    b->regs[i].events = events;
    b->regs[i].key = key;
    b->index[index_probe(b, fd)] = i + 1;
    return 0;
}

/*
** Changes interest and key.  Going to 0 cancels the socket's event
** selection, so a paused socket wakes nothing and reports nothing.
** ENOENT when not registered.
*/
int async_backend_modify(async_backend_t *backend, async_socket_t fd,
                         unsigned events, uintptr_t key)
{
    async_backend_t *b = backend;
    size_t i = reg_find(b, fd);
    if (i == SIZE_MAX) {
        errno = ENOENT;
        return -1;
    }
    if ((events != 0 || b->regs[i].events != 0) &&
        select_events(b, fd, events) < 0)
        return -1;
    b->regs[i].events = events;
    b->regs[i].key = key;
    return 0;
}

/*
** Forgets sock: cancels its event selection (ignored if the caller closed
** it already) and moves the last registration into its place.  ENOENT
** when not registered.
*/
int async_backend_remove(async_backend_t *backend, async_socket_t fd)
{
    async_backend_t *b = backend;
    size_t i = reg_find(b, fd);
    if (i == SIZE_MAX) {
        errno = ENOENT;
        return -1;
    }
    if (b->regs[i].events != 0)
        (void)WSAEventSelect(fd, NULL, 0);
    index_erase(b, fd);
    size_t last = b->count - 1;
    if (i != last) {
        b->regs[i] = b->regs[last];
        b->index[index_probe(b, b->regs[i].sock)] = i + 1;
    }
    b->count--;
    if (b->cursor >= b->count)
        b->cursor = 0;
    return 0;
}

size_t async_backend_socket_count(const async_backend_t *backend)
{
    return backend->count;
}

/* ---------------------------------------------------------- waiting */

/*
** Clears Winsock's record of the network events it signalled for every
** active socket, so later transitions are recorded (and signalled) anew.
** No event handle is passed: the shared event is left alone.
*/
static void forget_network_events(async_backend_t *b)
{
    for (size_t i = 0; i < b->count; i++) {
        if (b->regs[i].events == 0)
            continue;
        WSANETWORKEVENTS ne;
        (void)WSAEnumNetworkEvents(b->regs[i].sock, NULL, &ne);
    }
}

/*
** Dequeues the packets in the port, waiting up to wait_ms for the first
** (0: only what is there).  Sets *doorbell for a DOORBELL packet and
** *woken for a WAKE packet; a WAKE clears wake_pending.  0, or -1 with
** errno.
*/
static int drain_port(async_backend_t *b, DWORD wait_ms, bool *doorbell,
                      bool *woken)
{
    OVERLAPPED_ENTRY entries[PORT_ENTRIES];
    for (;;) {
        ULONG got = 0;
        if (!GetQueuedCompletionStatusEx(b->port, entries, PORT_ENTRIES, &got,
                                         wait_ms, FALSE)) {
            DWORD err = GetLastError();
            if (err == WAIT_TIMEOUT)
                return 0;
            errno = errno_from_win32(err);
            return -1;
        }
        for (ULONG i = 0; i < got; i++) {
            if (entries[i].lpCompletionKey == DOORBELL_KEY) {
                *doorbell = true;
            } else if (entries[i].lpCompletionKey == WAKE_KEY) {
                /* seq_cst, and before the level check that follows: see
                 * wake_callback. */
                atomic_store_explicit(&b->wake_pending, 0, memory_order_seq_cst);
                *woken = true;
            }
        }
        if (got < PORT_ENTRIES)
            return 0;
        wait_ms = 0;  /* a full batch: take the rest without waiting */
    }
}

/*
** The runtime's event bits for one WSAPoll result.
*/
static unsigned async_events_for(SHORT revents)
{
    unsigned type = 0;
    if (revents & POLLRDNORM)
        type |= ASYNC_EVENT_READ;
    if (revents & POLLWRNORM)
        type |= ASYNC_EVENT_WRITE;
    if (revents & (POLLHUP | POLLERR | POLLNVAL))
        type |= ASYNC_EVENT_ERROR;
    return type;
}

/*
** The level check: WSAPoll with timeout 0 over the active sockets,
** starting at the cursor so that, when more are ready than fit, the rest
** come first next time.  Fills at most max_events; returns the count, or
** -1 with errno.
*/
static int check_sockets(async_backend_t *b, io_event_t *events, int max_events)
{
    ULONG nfds = 0;
    for (size_t k = 0; k < b->count; k++) {
        size_t i = (b->cursor + k) % b->count;
        unsigned want = b->regs[i].events;
        if (want == 0)
            continue;
        /* Only the *NORM bits: WSAPoll rejects some others (POLLPRI). */
        b->pfds[nfds].fd = b->regs[i].sock;
        b->pfds[nfds].events = (SHORT)(((want & ASYNC_EVENT_READ) ? POLLRDNORM : 0) |
                                       ((want & ASYNC_EVENT_WRITE) ? POLLWRNORM : 0));
        b->pfds[nfds].revents = 0;
        b->pfd_reg[nfds] = i;
        nfds++;
    }
    if (nfds == 0)
        return 0;
    int ready = WSAPoll(b->pfds, nfds, 0);
    if (ready == SOCKET_ERROR) {
        errno = errno_from_wsa(WSAGetLastError());
        return -1;
    }
    int n = 0;
    for (ULONG p = 0; p < nfds && ready > 0; p++) {
        if (b->pfds[p].revents == 0)
            continue;
        if (n == max_events) {
            b->cursor = b->pfd_reg[p];  /* first look next time */
            break;
        }
        ready--;
        unsigned type = async_events_for(b->pfds[p].revents);
        if (type == 0)
            continue;
        const iocp_reg_t *reg = &b->regs[b->pfd_reg[p]];
        events[n].completion_key = reg->key;
        events[n].event_type = type;
        events[n].value = 0;
        events[n].fd = reg->sock;
        n++;
    }
    return n;
}

/*
** Whole milliseconds for a GetQueuedCompletionStatusEx wait: rounded UP,
** INFINITE for a negative timeout, capped just below INFINITE (the
** runtime re-waits for the rest).
*/
static DWORD wait_ms_for(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return INFINITE;
    int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
    return ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms;
}

/*
** Reports ready sockets at once if there are any; otherwise sleeps on the
** port up to timeout_ns for the doorbell or a socket wake-up, and checks
** the sockets again after a wake-up.  Drains the doorbell (sets
** *doorbell) whenever it rang.  -1 with errno on failure (never EINTR:
** nothing interrupts this wait).
*/
int async_backend_poll(async_backend_t *backend, io_event_t *events, int max_events,
                       int64_t timeout_ns, bool *doorbell)
{
    async_backend_t *b = backend;
    *doorbell = false;
    if (max_events <= 0)
        return 0;
    bool woken = false;
    if (drain_port(b, 0, doorbell, &woken) < 0)
        return -1;
    if (woken)
        forget_network_events(b);
    int n = check_sockets(b, events, max_events);
    if (n != 0 || *doorbell || timeout_ns == 0)
        return n;

    /* Nothing ready as of the check: any change from here on sets the
     * event and posts a WAKE (see DESIGN), so blocking loses nothing. */
    woken = false;
    if (drain_port(b, wait_ms_for(timeout_ns), doorbell, &woken) < 0)
        return -1;
    if (!woken)
        return 0;
    forget_network_events(b);
    return check_sockets(b, events, max_events);
}

/*
** Posts a DOORBELL packet.  Any thread; keeps errno (and the Win32 last
** error).  A failure (the port out of memory) cannot be reported to the
** poster; the runtime's list still holds the completion for the next
** wait.
*/
void async_backend_ring_doorbell(async_backend_t *backend)
{
    int saved = errno;
    DWORD saved_last = GetLastError();
    PostQueuedCompletionStatus(backend->port, 0, DOORBELL_KEY, NULL);
    SetLastError(saved_last);
    errno = saved;
}
