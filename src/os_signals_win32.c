/*
 * os_signals_win32.c - os_signals.h with a console control handler.
 *
 * Windows calls the handler on a thread it creates for the purpose, not
 * on the loop thread, so the handler may do what a POSIX signal handler
 * may not: it posts a completion (BACKEND_KEY_SIGNAL, value = the control
 * event) to the backend's runtime, which wakes the loop; the completion
 * handler then calls on_stop on the loop thread.
 *
 * Ctrl-C and Ctrl-Break: the handler returns TRUE at once (handled, the
 * process goes on and shuts down in order).  Close, logoff, shutdown:
 * Windows ends the process when the handler returns (or a few seconds
 * after the event), so the handler waits for `done`, set by
 * os_signals_remove at the end of the orderly shutdown, at most
 * OS_SIGNALS_CLOSE_WAIT_MS.
 *
 * Thread safety: `posting_allowed` is set before the handler is installed
 * and cleared (under `lock`) before the runtime can go away; the handler
 * posts only under the same lock, so it never posts to a destroyed
 * runtime.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "os_signals.h"
#include "backend.h"
#include "log.h"

#include <stdbool.h>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#define OS_SIGNALS_CLOSE_WAIT_MS 10000

static struct os_signals_state {
    bool installed;
    bool key_registered;
    os_signals_fn on_stop;
    SRWLOCK lock;                /* guards posting_allowed and the post */
    bool posting_allowed;
    HANDLE done;                 /* manual-reset: the orderly shutdown finished */
} sigs = { .lock = SRWLOCK_INIT };

static const char *ctrl_name(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT:        return "Ctrl-C";
    case CTRL_BREAK_EVENT:    return "Ctrl-Break";
    case CTRL_CLOSE_EVENT:    return "console close";
    case CTRL_LOGOFF_EVENT:   return "logoff";
    case CTRL_SHUTDOWN_EVENT: return "system shutdown";
    default:                  return "a console event";
    }
}

/* On the thread Windows made for the event. */
static BOOL WINAPI on_console_ctrl(DWORD type)
{
    bool posted = false;
    AcquireSRWLockShared(&sigs.lock);
    if (sigs.posting_allowed)
        posted = async_runtime_post_completion(backend_runtime(), BACKEND_KEY_SIGNAL,
                                               (uintptr_t)type) == 0;
    ReleaseSRWLockShared(&sigs.lock);
    if (!posted)
        return FALSE;            /* not ours (any more): default handling */
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT ||
        type == CTRL_SHUTDOWN_EVENT)
        WaitForSingleObject(sigs.done, OS_SIGNALS_CLOSE_WAIT_MS);
    return TRUE;
}

/* On the loop thread. */
static void on_signal_completion(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key;
    (void)ctx;
    if (sigs.on_stop != NULL)
        sigs.on_stop(ctrl_name((DWORD)value));
}

int os_signals_install(os_signals_fn on_stop)
{
    sigs.on_stop = on_stop;
    if (sigs.done != NULL)
        CloseHandle(sigs.done);  /* a former run's latch, long set */
    sigs.done = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (sigs.done == NULL) {
        log_error("backend: cannot create the console-event latch (error %lu)",
                  (unsigned long)GetLastError());
        return -1;
    }
    if (backend_register_completion(BACKEND_KEY_SIGNAL, on_signal_completion, NULL) != 0) {
        log_error("backend: the console-event completion key is taken");
        os_signals_remove();
        return -1;
    }
    sigs.key_registered = true;
    AcquireSRWLockExclusive(&sigs.lock);
    sigs.posting_allowed = true;
    ReleaseSRWLockExclusive(&sigs.lock);
    if (!SetConsoleCtrlHandler(on_console_ctrl, TRUE)) {
        log_error("backend: cannot install the console control handler (error %lu)",
                  (unsigned long)GetLastError());
        os_signals_remove();
        return -1;
    }
    sigs.installed = true;
    return 0;
}

void os_signals_remove(void)
{
    AcquireSRWLockExclusive(&sigs.lock);
    sigs.posting_allowed = false;
    ReleaseSRWLockExclusive(&sigs.lock);
    if (sigs.installed) {
        SetConsoleCtrlHandler(on_console_ctrl, FALSE);
        sigs.installed = false;
    }
    if (sigs.key_registered) {
        backend_unregister_completion(BACKEND_KEY_SIGNAL);
        sigs.key_registered = false;
    }
    if (sigs.done != NULL) {
        /* A handler waiting for a close may now return; the handle stays
         * open (a handler may still be about to wait on it) until exit. */
        SetEvent(sigs.done);
    }
    sigs.on_stop = NULL;
}
