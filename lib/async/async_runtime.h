/*
 * async_runtime.h - one wait call for socket readiness and worker
 * completions.
 *
 * The main loop owns one runtime.  It registers sockets with the events it
 * wants and a key of its choosing, and sleeps in async_runtime_wait(),
 * which returns socket readiness and completions posted by other threads
 * together.  The OS mechanism is chosen at build time (configure
 * --with-async-backend): epoll + eventfd on Linux, poll + pipe on the BSDs
 * and macOS (and on Linux when asked for), IOCP on Windows.
 *
 * Who may call what:
 *  - async_runtime_post_completion(): any thread, any time between init
 *    and destroy.
 *  - everything else: the one thread that runs the loop.
 *
 * Completions: each posted (key, value) is delivered exactly once, in
 * posting order per posting thread, however many are posted before the
 * loop wakes.  They travel in the runtime's own lock-free list; the
 * eventfd / pipe is only a doorbell, rung only for a sleeping loop, at
 * most once per sleep.
 */
#ifndef ASYNC_RUNTIME_H
#define ASYNC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <winsock2.h>
typedef SOCKET async_socket_t;
#else
#include <sys/time.h>
typedef int async_socket_t;
#endif

typedef struct async_runtime async_runtime_t;

/* Event bits: what to watch for (READ, WRITE) and what happened. */
typedef enum async_event_type {
    ASYNC_EVENT_READ       = 1u << 0,  /* readable, or a listener has a connection */
    ASYNC_EVENT_WRITE      = 1u << 1,  /* writable */
    ASYNC_EVENT_ERROR      = 1u << 2,  /* error or hang-up: read to learn which */
    ASYNC_EVENT_COMPLETION = 1u << 3   /* a posted completion, not a socket */
} async_event_type_t;

typedef struct io_event {
    uintptr_t completion_key;  /* socket: the key given at registration;
                                  completion: the key posted */
    unsigned  event_type;      /* ASYNC_EVENT_* bits */
    uintptr_t value;           /* completion: the posted value; socket: 0 */
    async_socket_t fd;         /* socket events: the socket; completion: -1 */
} io_event_t;

typedef struct async_runtime_stats {
    uint64_t wait_calls;          /* async_runtime_wait calls */
    uint64_t sleeps;              /* waits that blocked in the OS */
    uint64_t completions_posted;
    uint64_t completions_delivered;
    uint64_t doorbell_rings;      /* writes to the eventfd / pipe */
    size_t   sockets;             /* sockets registered now */
} async_runtime_stats_t;

/* Creates a runtime; NULL on failure (errno says why).  Internal fds are
 * close-on-exec. */
async_runtime_t *async_runtime_init(void);

/* Frees the runtime.  Completions not yet delivered are discarded;
 * registered sockets are forgotten, not closed.  No thread may post after
 * (or during) destroy: stop and join the workers first. */
void async_runtime_destroy(async_runtime_t *runtime);

/* Watches a socket for `events` (READ and/or WRITE; ERROR is always
 * reported).  Level-triggered: readiness is reported on every wait while
 * it lasts.  Returns 0, or -1 with errno (EEXIST if already registered,
 * EINVAL for a bad fd or events). */
int async_runtime_add_socket(async_runtime_t *runtime, async_socket_t fd,
                             unsigned events, uintptr_t key);
/* Changes the events and key of a registered socket (events may be 0 to
 * pause it).  -1 with errno ENOENT when not registered. */
int async_runtime_modify_socket(async_runtime_t *runtime, async_socket_t fd,
                                unsigned events, uintptr_t key);
/* Stops watching a socket (call before closing it).  -1/ENOENT when not
 * registered. */
int async_runtime_remove_socket(async_runtime_t *runtime, async_socket_t fd);

/* Queues a completion (key, value) for the loop and wakes it.  Any
 * thread.  Returns 0, or -1 with errno ENOMEM (nothing queued). */
int async_runtime_post_completion(async_runtime_t *runtime, uintptr_t key,
                                  uintptr_t value);

/* Waits until at least one socket is ready or one completion is posted,
 * or until *timeout passes (NULL: forever; {0,0}: just check).  Fills up
 * to max_events entries and returns how many (0 on timeout), or -1 with
 * errno on failure.  Completions that do not fit stay queued for the next
 * call, which then does not sleep.  A signal interrupting the OS wait is
 * absorbed: the wait resumes with the time that is left.  Timeouts are
 * kept to the microsecond where the OS allows and are never rounded down. */
int async_runtime_wait(async_runtime_t *runtime, io_event_t *events,
                       int max_events, struct timeval *timeout);

/* Counters since init; call from the loop thread. */
void async_runtime_get_stats(async_runtime_t *runtime, async_runtime_stats_t *stats);

/* "epoll", "poll" or "iocp". */
const char *async_runtime_backend_name(void);

#endif /* ASYNC_RUNTIME_H */
