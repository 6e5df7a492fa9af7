/*
 * async_runtime_backend.h - INTERNAL: what each OS backend provides to
 * async_runtime.c.
 *
 * Exactly one backend file is compiled (chosen by configure):
 *   async_runtime_epoll.c  epoll + eventfd doorbell   (Linux)
 *   async_runtime_poll.c   poll  + pipe doorbell      (BSD, macOS, any POSIX)
 *   async_runtime_iocp.c   IOCP port + doorbell packet, WSAPoll
 *                          level checks, WSAEventSelect wake-ups (Windows)
 * Each says *how* for one OS; async_runtime.c holds what they share: the
 * completion list, the doorbell protocol, timeouts, EINTR handling, stats.
 *
 * All functions run on the loop thread except async_backend_ring_doorbell,
 * which any thread may call.
 */
#ifndef ASYNC_RUNTIME_BACKEND_H
#define ASYNC_RUNTIME_BACKEND_H

#include "async/async_runtime.h"

typedef struct async_backend async_backend_t;

/* Creates the backend state with its doorbell; NULL + errno on failure. */
async_backend_t *async_backend_create(void);
void async_backend_destroy(async_backend_t *backend);

int async_backend_add(async_backend_t *backend, async_socket_t fd, unsigned events,
                uintptr_t key);
int async_backend_modify(async_backend_t *backend, async_socket_t fd, unsigned events,
                   uintptr_t key);
int async_backend_remove(async_backend_t *backend, async_socket_t fd);
size_t async_backend_socket_count(const async_backend_t *backend);

/* Waits at most timeout_ns (-1 forever, 0 poll) for socket readiness or
 * the doorbell.  Writes up to max_events socket events into events and
 * returns their count; sets *doorbell when the doorbell rang (and has been
 * drained: the next ring will wake a later poll).  Returns -1 with errno
 * EINTR when a signal interrupted the wait (the caller retries with the
 * time left), -1 with another errno on failure. */
int async_backend_poll(async_backend_t *backend, io_event_t *events, int max_events,
                 int64_t timeout_ns, bool *doorbell);

/* Wakes a thread sleeping in async_backend_poll (or makes the next call return
 * at once).  Any thread; async-signal-safe. */
void async_backend_ring_doorbell(async_backend_t *backend);

/* "epoll", "poll", "iocp". */
extern const char async_backend_name[];

#endif /* ASYNC_RUNTIME_BACKEND_H */
