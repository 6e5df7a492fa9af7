/*
 * os_signals_posix.c - os_signals.h with sigaction and a self-pipe.
 *
 * The SIGINT/SIGTERM handler stores the signal number in a volatile
 * sig_atomic_t and writes one byte to a non-blocking, close-on-exec
 * self-pipe; the read end is an ordinary backend watcher, so the signal
 * is handled on the loop thread like any other input.  (The runtime
 * absorbs EINTR, so without the pipe a signal would not end the wait.)
 * A write to a full pipe is simply dropped: one byte already pending is
 * enough to wake the loop.  No SA_RESTART: the runtime absorbs EINTR
 * itself, and other blocking calls should see it.  Worker threads start
 * with all signals blocked (lib/port), so the handler runs on the main
 * thread.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "os_signals.h"
#include "backend.h"
#include "port/port_fd_posix.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static struct os_signals_state {
    bool installed;              /* handlers in place */
    int pipe_fds[2];             /* [0] read end (watched), [1] write end (handler) */
    backend_watcher_t watcher;
    os_signals_fn on_stop;
    struct sigaction old_sigint;
    struct sigaction old_sigterm;
    struct sigaction old_sigpipe;
} sigs = { .pipe_fds = { -1, -1 } };

/* Written by the handler, read by the loop.  The handler reads
 * sig_write_fd, so it is published before the handlers are installed and
 * withdrawn after they are restored. */
static volatile sig_atomic_t sig_received;
static volatile sig_atomic_t sig_write_fd = -1;

/* Async-signal-safe only; errno is preserved for the code interrupted. */
static void os_on_signal(int signo)
{
    int saved_errno = errno;
    sig_received = signo;
    int fd = sig_write_fd;
    if (fd >= 0) {
        unsigned char byte = (unsigned char)signo;
        ssize_t rc = write(fd, &byte, 1);  /* EAGAIN: already rung */
        (void)rc;
    }
    errno = saved_errno;
}

static const char *signal_name(int signo)
{
    switch (signo) {
    case SIGINT:  return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default:      return "a signal";
    }
}

/* Watcher of the read end: drains it, then reports the signal. */
static void on_signal_pipe(async_socket_t fd, unsigned events, void *ctx)
{
    (void)events;
    (void)ctx;
    unsigned char buf[64];
    int last = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            last = buf[n - 1];
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;  /* EAGAIN: drained (EOF cannot happen: we hold the write end) */
    }
    int signo = sig_received;
    if (signo == 0)
        signo = last;
    if (signo == 0 || sigs.on_stop == NULL)
        return;
    sigs.on_stop(signal_name(signo));
}

int os_signals_install(os_signals_fn on_stop)
{
    sigs.on_stop = on_stop;
    /* Without pipe2 the flags follow in a second step (port_fd_posix.h);
     * backend_init runs before the driver starts threads, so nothing
     * forks in between. */
    if (port_fd_pipe_nonblock_cloexec(sigs.pipe_fds) != 0) {
        log_error("backend: cannot create the signal pipe: %s", strerror(errno));
        return -1;
    }
    if (backend_watch(&sigs.watcher, sigs.pipe_fds[0], ASYNC_EVENT_READ,
                      on_signal_pipe, NULL) != 0) {
        log_error("backend: cannot watch the signal pipe: %s", strerror(errno));
        os_signals_remove();
        return -1;
    }

    sig_received = 0;
    sig_write_fd = sigs.pipe_fds[1];

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = os_on_signal;
    sigemptyset(&sa.sa_mask);
    /* Block the other shutdown signal while one handler runs: harmless,
     * and keeps the two stores in the handler from interleaving. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = 0;

    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);

    if (sigaction(SIGINT, &sa, &sigs.old_sigint) != 0 ||
        sigaction(SIGTERM, &sa, &sigs.old_sigterm) != 0 ||
        sigaction(SIGPIPE, &ign, &sigs.old_sigpipe) != 0) {
        log_error("backend: cannot install signal handlers: %s", strerror(errno));
        os_signals_remove();
        return -1;
    }
    sigs.installed = true;
    return 0;
}

/* The old dispositions first, then the pipe: the handler never sees a
 * closed fd. */
void os_signals_remove(void)
{
    if (sigs.installed) {
        sigaction(SIGINT, &sigs.old_sigint, NULL);
        sigaction(SIGTERM, &sigs.old_sigterm, NULL);
        sigaction(SIGPIPE, &sigs.old_sigpipe, NULL);
        sigs.installed = false;
    }
    sig_write_fd = -1;
    if (sigs.watcher.fn != NULL)
        backend_unwatch(&sigs.watcher);
    for (int i = 0; i < 2; i++) {
        if (sigs.pipe_fds[i] >= 0)
            close(sigs.pipe_fds[i]);
        sigs.pipe_fds[i] = -1;
    }
    sigs.on_stop = NULL;
}
