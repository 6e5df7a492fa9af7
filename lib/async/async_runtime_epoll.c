/*
 * async_runtime_epoll.c - the Linux backend: epoll for sockets, an eventfd
 * as the completion doorbell.
 *
 * The eventfd sits in the epoll set like a socket, tagged by its own fd
 * number (no socket can share that number while it is open).  Its counter
 * only says "rung since the last drain"; the completions themselves live
 * in async_runtime.c's list.  A drain is one read(), which resets the
 * counter to 0 (not a semaphore eventfd).
 *
 * Registrations live in a table indexed by fd (grown on demand) holding
 * the key and interest set, because epoll_data has room for only one of fd
 * and key, and because a paused socket (events 0) is taken OUT of the
 * epoll set: epoll always reports EPOLLERR/EPOLLHUP, even for an empty
 * interest set, and a paused socket must report nothing.
 *
 * Sockets are level-triggered; EPOLLRDHUP is always requested so that a
 * peer's shutdown or close shows up as ASYNC_EVENT_ERROR.  Fairness among
 * ready sockets is the kernel's: a level-triggered item returned by
 * epoll_wait goes to the back of the ready list.
 *
 * Timeouts: epoll_pwait2 (nanoseconds) when the C library has it and the
 * kernel answers it; otherwise epoll_wait with the time rounded UP to
 * whole milliseconds.  async_runtime.c re-waits if the OS returns early.
 */
#include "config.h"
#include "async/async_runtime_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

const char async_backend_name[] = "epoll";

/* One registered socket.  Indexed by fd. */
typedef struct epoll_reg {
    uintptr_t key;
    unsigned events;   /* ASYNC_EVENT_READ|WRITE; 0 = paused (not in epoll) */
    bool registered;
} epoll_reg_t;

struct async_backend {
    int epfd;               /* epoll instance, close-on-exec */
    int doorbell_fd;        /* eventfd, close-on-exec, non-blocking */
    epoll_reg_t *regs;      /* regs[fd], reg_cap entries */
    size_t reg_cap;
    size_t count;           /* registered sockets */
    struct epoll_event *ready;  /* epoll_wait output, ready_cap entries */
    int ready_cap;
#ifdef HAVE_EPOLL_PWAIT2
    bool pwait2_missing;    /* kernel older than 5.11 said ENOSYS */
#endif
};

#define EPOLL_INITIAL_READY 64

/*
** Creates the epoll set and the eventfd doorbell, both close-on-exec.
** NULL with errno on failure.
*/
async_backend_t *async_backend_create(void)
{
    async_backend_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    b->epfd = -1;
    b->doorbell_fd = -1;
    b->ready = malloc(EPOLL_INITIAL_READY * sizeof(*b->ready));
    if (b->ready == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    b->ready_cap = EPOLL_INITIAL_READY;

    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->epfd < 0)
        goto fail;
    b->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->doorbell_fd < 0)
        goto fail;
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = b->doorbell_fd;
    if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->doorbell_fd, &ev) < 0)
        goto fail;
    return b;

fail:;
    int saved = errno;
    async_backend_destroy(b);
    errno = saved;
    return NULL;
}

/*
** Closes both fds and frees the tables.  Registered sockets are not
** closed (they belong to the caller).
*/
void async_backend_destroy(async_backend_t *backend)
{
    if (backend == NULL)
        return;
    if (backend->doorbell_fd >= 0)
        close(backend->doorbell_fd);
    if (backend->epfd >= 0)
        close(backend->epfd);
    free(backend->regs);
    free(backend->ready);
    free(backend);
}

/*
** Makes regs[fd] addressable, growing the table to a power of two.
** 0, or -1/ENOMEM.
*/
static int reg_reserve(async_backend_t *b, int fd)
{
    size_t need = (size_t)fd + 1;
    if (need <= b->reg_cap)
        return 0;
    size_t cap = b->reg_cap ? b->reg_cap : 64;
    while (cap < need)
        cap *= 2;
    epoll_reg_t *regs = realloc(b->regs, cap * sizeof(*regs));
    if (regs == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memset(regs + b->reg_cap, 0, (cap - b->reg_cap) * sizeof(*regs));
    b->regs = regs;
    b->reg_cap = cap;
    return 0;
}

/*
** The registration for fd, or NULL when fd is not registered.
*/
static epoll_reg_t *reg_find(async_backend_t *b, int fd)
{
    if (fd < 0 || (size_t)fd >= b->reg_cap || !b->regs[fd].registered)
        return NULL;
    return &b->regs[fd];
}

/*
** Tells epoll what to watch on fd (op ADD, MOD or DEL).  Errors that mean
** "this is not a descriptor epoll can watch" become EINVAL, the runtime's
** word for a bad fd.
*/
static int epoll_apply(async_backend_t *b, int op, int fd, unsigned events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLRDHUP;
    if (events & ASYNC_EVENT_READ)
        ev.events |= EPOLLIN;
    if (events & ASYNC_EVENT_WRITE)
        ev.events |= EPOLLOUT;
    ev.data.fd = fd;
    if (epoll_ctl(b->epfd, op, fd, &ev) == 0)
        return 0;
    if (errno == EBADF || errno == EPERM)
        errno = EINVAL;
    return -1;
}

/*
** Registers fd.  EEXIST if already registered, EINVAL if fd is not open
** or cannot be watched, ENOMEM.
*/
int async_backend_add(async_backend_t *backend, async_socket_t fd, unsigned events,
                uintptr_t key)
{
    if (reg_find(backend, fd) != NULL || fd == backend->doorbell_fd ||
        fd == backend->epfd) {
        errno = EEXIST;  /* our own fds count as registered */
        return -1;
    }
    if (reg_reserve(backend, fd) < 0)
        return -1;
    if (events != 0) {
        if (epoll_apply(backend, EPOLL_CTL_ADD, fd, events) < 0)
            return -1;
    } else if (fcntl(fd, F_GETFD) < 0) {
        errno = EINVAL;  /* paused from the start: still must be an fd */
        return -1;
    }
    epoll_reg_t *reg = &backend->regs[fd];
    reg->key = key;
    reg->events = events;
    reg->registered = true;
    backend->count++;
    return 0;
}

/*
** Changes interest and key.  A socket going to or from events 0 leaves or
** re-enters the epoll set.  ENOENT when fd is not registered.
*/
int async_backend_modify(async_backend_t *backend, async_socket_t fd,
                   unsigned events, uintptr_t key)
{
    epoll_reg_t *reg = reg_find(backend, fd);
    if (reg == NULL) {
        errno = ENOENT;
        return -1;
    }
    int rc = 0;
    if (reg->events == 0 && events != 0)
        rc = epoll_apply(backend, EPOLL_CTL_ADD, fd, events);
    else if (reg->events != 0 && events == 0)
        rc = epoll_apply(backend, EPOLL_CTL_DEL, fd, 0);
    else if (events != 0)
        rc = epoll_apply(backend, EPOLL_CTL_MOD, fd, events);
    if (rc < 0)
        return -1;
    reg->key = key;
    reg->events = events;
    return 0;
}

/*
** Forgets fd.  ENOENT when not registered.  If the caller closed fd
** before removing it the kernel has already dropped it from the set; the
** registration is forgotten all the same.
*/
int async_backend_remove(async_backend_t *backend, async_socket_t fd)
{
    epoll_reg_t *reg = reg_find(backend, fd);
    if (reg == NULL) {
        errno = ENOENT;
        return -1;
    }
    if (reg->events != 0) {
        struct epoll_event ev;  /* ignored, but kernels before 2.6.9 want it */
        memset(&ev, 0, sizeof(ev));
        (void)epoll_ctl(backend->epfd, EPOLL_CTL_DEL, fd, &ev);
    }
    memset(reg, 0, sizeof(*reg));
    backend->count--;
    return 0;
}

size_t async_backend_socket_count(const async_backend_t *backend)
{
    return backend->count;
}

/*
** Resets the eventfd counter so the next ring wakes a later wait.  Only
** called from async_backend_poll, right before the runtime takes its list.
*/
static void doorbell_drain(async_backend_t *b)
{
    uint64_t count;
    ssize_t r;
    do {
        r = read(b->doorbell_fd, &count, sizeof(count));
    } while (r < 0 && errno == EINTR);
    /* EAGAIN: already drained; nothing else can fail on a valid eventfd. */
}

/*
** Makes room for `want` results from epoll_wait (the doorbell may take
** one of them).  If memory is short, the existing buffer is used: fewer
** events per call, never a failure.
*/
static int ready_reserve(async_backend_t *b, int want)
{
    if (want > b->ready_cap) {
        struct epoll_event *r = realloc(b->ready, (size_t)want * sizeof(*r));
        if (r != NULL) {
            b->ready = r;
            b->ready_cap = want;
        }
    }
    return want < b->ready_cap ? want : b->ready_cap;
}

/*
** Waits for the epoll set.  timeout_ns < 0 forever, 0 no wait.  Returns
** epoll_wait's result (count, or -1 with errno, EINTR included).
*/
static int epoll_wait_ns(async_backend_t *b, int max, int64_t timeout_ns)
{
#ifdef HAVE_EPOLL_PWAIT2
    if (!b->pwait2_missing) {
        struct timespec ts;
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        int rc = epoll_pwait2(b->epfd, b->ready, max,
                              timeout_ns < 0 ? NULL : &ts, NULL);
        if (rc >= 0 || errno != ENOSYS)
            return rc;
        b->pwait2_missing = true;  /* built on new glibc, run on old kernel */
    }
#endif
    int ms;
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns / 1000000 >= INT_MAX)
        ms = INT_MAX;  /* the runtime re-waits for the rest */
    else
        ms = (int)((timeout_ns + 999999) / 1000000);  /* up, never down */
    return epoll_wait(b->epfd, b->ready, max, ms);
}

/*
** Waits up to timeout_ns for readiness or the doorbell; fills at most
** max_events socket events, drains the doorbell if it rang and sets
** *doorbell.  -1 with errno (EINTR: interrupted, caller retries).
*/
int async_backend_poll(async_backend_t *backend, io_event_t *events, int max_events,
                 int64_t timeout_ns, bool *doorbell)
{
    *doorbell = false;
    if (max_events <= 0)
        return 0;
    int max = ready_reserve(backend, max_events);
    int rc = epoll_wait_ns(backend, max, timeout_ns);
    if (rc < 0)
        return -1;

    int n = 0;
    for (int i = 0; i < rc; i++) {
        const struct epoll_event *ev = &backend->ready[i];
        int fd = ev->data.fd;
        if (fd == backend->doorbell_fd) {
            doorbell_drain(backend);
            *doorbell = true;
            continue;
        }
        epoll_reg_t *reg = reg_find(backend, fd);
        if (reg == NULL)
            continue;  /* cannot happen: removals run on this thread */
        unsigned type = 0;
        if (ev->events & EPOLLIN)
            type |= ASYNC_EVENT_READ;
        if (ev->events & EPOLLOUT)
            type |= ASYNC_EVENT_WRITE;
        if (ev->events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            type |= ASYNC_EVENT_ERROR;
        if (type == 0)
            continue;  /* e.g. EPOLLPRI alone: not something we report */
        events[n].completion_key = reg->key;
        events[n].event_type = type;
        events[n].value = 0;
        events[n].fd = fd;
        n++;
    }
    return n;
}

/*
** Adds 1 to the eventfd counter.  Any thread; async-signal-safe; keeps
** errno.  EAGAIN (counter saturated) cannot happen in practice and would
** mean the doorbell is already ringing anyway.
*/
void async_backend_ring_doorbell(async_backend_t *backend)
{
    int saved = errno;
    uint64_t one = 1;
    ssize_t r;
    do {
        r = write(backend->doorbell_fd, &one, sizeof(one));
    } while (r < 0 && errno == EINTR);
    errno = saved;
}
