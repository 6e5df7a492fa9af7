/*
 * os_signals.h - the operating system's requests to stop, delivered to
 * the backend's loop thread.
 *
 * POSIX (os_signals_posix.c): SIGINT and SIGTERM.  The handler only
 * records the signal and writes one byte to a self-pipe whose read end
 * the backend watches; SIGPIPE is ignored (a write to a reset connection
 * fails with EPIPE instead of killing the driver).
 *
 * Windows (os_signals_win32.c): a console control handler for Ctrl-C,
 * Ctrl-Break, the console window closing, logoff and system shutdown.
 * Windows runs it on a thread of its own; it posts a completion
 * (BACKEND_KEY_SIGNAL) to the backend's runtime, which wakes the loop.
 * For a close / logoff / shutdown the handler then waits (bounded) for
 * os_signals_remove, because Windows ends the process as soon as the
 * handler returns.
 *
 * Either way `on_stop(what)` runs on the loop thread, between two events,
 * with a name for the log ("SIGTERM", "Ctrl-C").  Main thread only.
 */
#ifndef NEOLITH_OS_SIGNALS_H
#define NEOLITH_OS_SIGNALS_H

typedef void (*os_signals_fn)(const char *what);

/* Installs the handlers; needs backend_runtime() (called from
 * backend_init).  Returns 0, or -1 after logging why (nothing left
 * installed). */
int  os_signals_install(os_signals_fn on_stop);

/* Puts the previous dispositions back and releases what install made.
 * Idempotent. */
void os_signals_remove(void);

#endif /* NEOLITH_OS_SIGNALS_H */
