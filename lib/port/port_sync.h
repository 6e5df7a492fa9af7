/*
 * port_sync.h - mutexes, condition variables and events.
 *
 * With port_thread.h this is the only interface through which the tree
 * reaches OS synchronisation.  The POSIX implementation is
 * port_sync_posix.c; the Win32 one (SRWLOCK / CONDITION_VARIABLE) is
 * port_sync_win32.c beside it.  Code that is the same on every platform
 * (events, built on a mutex and a condition variable) lives in port_sync.c.
 *
 * Initialisation functions return 0 on success or an errno-style code.
 * Lock, unlock, signal and wait cannot fail on a correctly used object;
 * misuse (unlocking a mutex not held) is undefined, as in pthreads.
 */
#ifndef PORT_SYNC_H
#define PORT_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
typedef struct port_mutex { SRWLOCK lock; } port_mutex_t;
typedef struct port_cond { CONDITION_VARIABLE cv; } port_cond_t;
#else
#include <pthread.h>
typedef struct port_mutex { pthread_mutex_t mutex; } port_mutex_t;
typedef struct port_cond { pthread_cond_t cond; } port_cond_t;
#endif

/* ---- mutex ---------------------------------------------------------- */
int  port_mutex_init(port_mutex_t *m);
void port_mutex_destroy(port_mutex_t *m);
void port_mutex_lock(port_mutex_t *m);
bool port_mutex_trylock(port_mutex_t *m);  /* true when acquired */
void port_mutex_unlock(port_mutex_t *m);

/* ---- condition variable --------------------------------------------- */
/* Waits use the monotonic clock (port_clock.h), so a wall-clock step never
 * shortens or stretches a timeout. */
int  port_cond_init(port_cond_t *c);
void port_cond_destroy(port_cond_t *c);
void port_cond_wait(port_cond_t *c, port_mutex_t *m);
/* Waits until signalled or the absolute monotonic deadline passes
 * (PORT_DEADLINE_NEVER waits forever).  Returns false on timeout, true
 * otherwise (which includes spurious wake-ups: callers re-check their
 * predicate, as always). */
bool port_cond_wait_until(port_cond_t *c, port_mutex_t *m, int64_t deadline_ns);
void port_cond_signal(port_cond_t *c);
void port_cond_broadcast(port_cond_t *c);

/* ---- event ---------------------------------------------------------- */
/* A flag threads can sleep on.  A manual-reset event stays set until
 * port_event_reset (a latch when never reset); an auto-reset event
 * releases exactly one waiter per set and clears itself. */
typedef struct port_event {
    port_mutex_t mutex;
    port_cond_t cond;
    bool is_set;        /* guarded by mutex */
    bool manual_reset;  /* immutable after init */
} port_event_t;

int  port_event_init(port_event_t *e, bool manual_reset, bool initially_set);
void port_event_destroy(port_event_t *e);
void port_event_set(port_event_t *e);
void port_event_reset(port_event_t *e);
bool port_event_is_set(port_event_t *e);
/* Waits up to timeout_ms (-1 forever, 0 just checks).  True if the event
 * was (or became) set; an auto-reset event is consumed by a true return. */
bool port_event_wait(port_event_t *e, int64_t timeout_ms);

#endif /* PORT_SYNC_H */
