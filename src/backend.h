/*
 * backend.h - the reactor: the driver's single-threaded main loop.
 *
 * The loop sleeps in async_runtime_wait() and dispatches what it returns:
 *  - socket readiness to the watcher registered for that socket
 *    (listeners accept, connections read and write);
 *  - completion keys to the handler registered for that key: each worker
 *    module (console, MCP, git update) registers one key and backend.c
 *    knows nothing of its insides;
 *  - timers (heartbeat, call_outs) from a min-heap of deadlines: the wait
 *    timeout is the time to the next deadline, so an idle driver sleeps
 *    in the kernel and uses no CPU.
 * After dispatching, each turn gives every connection with queued input
 * one command (comm_process_input), then flushes output (comm_flush).
 *
 * Stop requests from the OS (SIGINT/SIGTERM on POSIX; Ctrl-C, Ctrl-Break,
 * console close on Windows) reach the loop thread through os_signals.h;
 * the loop then shuts down in order (see backend_run).  SIGPIPE is
 * ignored on POSIX.
 *
 * Everything here is main-thread only, except where a comment says
 * otherwise.
 */
#ifndef NEOLITH_BACKEND_H
#define NEOLITH_BACKEND_H

#include "async/async_runtime.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- lifecycle ----------------------------------------------------- */

/* Creates the runtime and installs the stop-request handlers
 * (os_signals.h).  Returns 0, or -1 after logging why. */
int  backend_init(void);

/* Runs the loop until a shutdown is requested, then performs it:
 *   1. stop accepting (listeners closed),
 *   2. run the shutdown hooks in reverse order of registration (the
 *      mudlib saves players; worker modules stop and join their workers),
 *   3. flush connection output (bounded by a short deadline) and close
 *      every connection,
 * and returns the exit status (0 for a signal or an orderly shutdown). */
int  backend_run(void);

/* Asks the loop to shut down after the current turn, with exit status
 * `status`.  Main thread (OS stop requests arrive through os_signals.h). */
void backend_request_shutdown(int status);
bool backend_shutdown_requested(void);

/* Frees the runtime and everything registered.  After backend_run. */
void backend_destroy(void);

/* The runtime, for modules that post completions from their workers. */
async_runtime_t *backend_runtime(void);

/* ---- completion keys ----------------------------------------------- */

typedef void (*backend_completion_fn)(uintptr_t key, uintptr_t value, void *ctx);

/* Well-known keys (small integers; socket watchers use pointers, which
 * never collide with these). */
enum {
    BACKEND_KEY_CONSOLE   = 1,
    BACKEND_KEY_MCP       = 2,
    BACKEND_KEY_GIT       = 3,
    BACKEND_KEY_GIT_DONE  = 4,
    BACKEND_KEY_SIGNAL    = 5,   /* os_signals_win32.c: a console event */
    BACKEND_KEY_FIRST_FREE = 16,
    BACKEND_KEY_LIMIT     = 64   /* valid keys: 1 .. BACKEND_KEY_LIMIT - 1 */
};

/* Registers the handler for `key`.  Returns 0, or -1 if the key is taken
 * or out of range.  A completion whose key has no handler when it is
 * dispatched is dropped with a warning. */
int  backend_register_completion(uintptr_t key, backend_completion_fn fn, void *ctx);
void backend_unregister_completion(uintptr_t key);

/* ---- socket watchers ----------------------------------------------- */

typedef void (*backend_io_fn)(async_socket_t fd, unsigned events, void *ctx);

/* A watcher lives inside its owner's struct (a connection, a listener);
 * its address is the runtime key.  Batch rule: once backend_unwatch(w)
 * returns, no event still pending in the batch being dispatched reaches
 * w, so its owner may free it at once (also from inside a callback). */
typedef struct backend_watcher {
    async_socket_t fd;
    unsigned events;        /* ASYNC_EVENT_READ / WRITE currently wanted */
    backend_io_fn fn;
    void *ctx;
} backend_watcher_t;

int  backend_watch(backend_watcher_t *w, async_socket_t fd, unsigned events,
                   backend_io_fn fn, void *ctx);
int  backend_watch_modify(backend_watcher_t *w, unsigned events);
void backend_unwatch(backend_watcher_t *w);

/* ---- timers -------------------------------------------------------- */

typedef struct backend_timer backend_timer_t;
typedef void (*backend_timer_fn)(void *ctx);

/* Calls fn(ctx) after delay_ms (fractions allowed), then every
 * interval_ms if interval_ms > 0.  Returns a handle for cancel, or NULL
 * on out of memory. */
backend_timer_t *backend_timer_add(double delay_ms, double interval_ms,
                                   backend_timer_fn fn, void *ctx);
/* Cancels and frees a timer (also from inside its own callback).  A
 * one-shot timer frees itself once its callback returns: its handle is
 * invalid from then on.  backend_destroy frees the timers still pending. */
void backend_timer_cancel(backend_timer_t *timer);

/* The timeout the next wait would use: 0 = do not sleep (queued input or
 * a shutdown pending), -1 = sleep until an event (no timer), else the
 * nanoseconds to the earliest timer deadline.  For tests and status. */
int64_t backend_next_timeout_ns(void);

/* ---- hooks --------------------------------------------------------- */

/* Called once per turn after events and timers, before output is
 * flushed (the LPC runtime will run its per-turn work here). */
typedef void (*backend_hook_fn)(void *ctx);
int  backend_add_turn_hook(backend_hook_fn fn, void *ctx);
/* Called at shutdown, last registered first. */
int  backend_add_shutdown_hook(backend_hook_fn fn, void *ctx);

/* Counters for tests and the status command. */
typedef struct backend_stats {
    uint64_t turns;        /* loop turns (one async_runtime_wait each) */
    uint64_t sleeps;       /* turns whose wait could block (timeout != 0) */
    uint64_t completions;  /* completions dispatched to a handler */
    uint64_t timer_fires;  /* timer callbacks run */
} backend_stats_t;
void backend_get_stats(backend_stats_t *stats);

#endif /* NEOLITH_BACKEND_H */
