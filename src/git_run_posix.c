/*
 * git_run_posix.c - git_run on POSIX systems (see git_run.h): posix_spawn,
 * process groups, poll.  The output handling is git_run.c's.
 *
 * The wait loop sleeps in poll() on at most four descriptors: the stdout
 * and stderr pipes, a pidfd for the child (readable when it exits) and
 * the read end of the caller's cancel pipe.  The poll timeout is the nearest of the
 * deadline, the stop grace, the SIGKILL grace and the drain limit, so the
 * loop wakes only when something happened or something is due.  Where
 * pidfd_open is missing (not Linux, or a kernel before 5.3) the loop also
 * wakes every GIT_RUN_EXIT_CHECK_MS to ask waitid(WNOWAIT) whether the
 * child ended: the pipes alone cannot say so, because a remote helper that
 * inherited them may outlive git.
 *
 * Why the child is reaped only after its group is swept: a process group
 * id stays reserved while any member, the zombie leader included, exists.
 * Killing -pid while our unreaped child is the leader can therefore only
 * reach processes git started, never a stranger that reused the number.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "git_run.h"
#include "git_run_output.h"
#include "port/port_fd_posix.h"
#include "port/port_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/* Without a pidfd: how often the loop asks whether the child ended. */
#define GIT_RUN_EXIT_CHECK_MS 20

/* posix_spawn_file_actions_addclosefrom_np: glibc 2.34 and later. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define GIT_RUN_HAVE_CLOSEFROM 1
#else
#define GIT_RUN_HAVE_CLOSEFROM 0
#endif

typedef enum term_reason {
    TERM_NONE = 0,
    TERM_TIMEOUT,
    TERM_STOP
} term_reason_t;

/* Everything one run owns; lives on git_run's stack. */
typedef struct run_state {
    const git_run_spec_t *spec;
    git_run_output_t output;

    pid_t pid;
    int out_fd;             /* read ends, -1 once at end of file */
    int err_fd;
    int pid_fd;             /* pidfd, -1 when unavailable or done */
} run_state_t;

/* ============================================================== helpers */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Milliseconds from now to deadline, rounded up, never negative. */
static int ms_until(int64_t deadline_ns, int64_t now_ns)
{
    if (deadline_ns <= now_ns)
        return 0;
    int64_t ms = (deadline_ns - now_ns + PORT_NS_PER_MS - 1) / PORT_NS_PER_MS;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static int min_timeout(int a, int b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

/* Moves fd above 2 (so dup2 onto 0-2 in the child never meets itself,
 * which would leave close-on-exec set) and makes sure it is
 * close-on-exec.  Returns the descriptor to use, or -1 with errno. */
static int fd_above_stdio(int fd)
{
    if (fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return moved;
}

/* A pipe whose ends are close-on-exec and above 2; the read end is
 * non-blocking, the write end (git's stdout or stderr) is not. */
static int make_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
#else
    /* Without pipe2 another thread's spawn may inherit these before the
     * flags are set; closefrom in the spawn (where available) covers it. */
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (port_fd_set_cloexec(fds[i]) != 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            errno = e;
            return -1;
        }
    }
#endif
    for (int i = 0; i < 2; i++) {
        fds[i] = fd_above_stdio(fds[i]);
        if (fds[i] < 0) {
            int e = errno;
            if (i == 1)
                close(fds[0]);
            else
                close(fds[1]);
            errno = e;
            return -1;
        }
    }
    if (port_fd_set_nonblock(fds[0]) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return -1;
    }
    return 0;
}

/* A pidfd for our child, or -1 (no pidfd_open here: the loop falls back
 * to waitid checks). */
static int open_pidfd(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
    long fd = syscall(SYS_pidfd_open, (long)pid, 0L);
    if (fd >= 0)
        return (int)fd;     /* pidfds are close-on-exec */
#else
    (void)pid;
#endif
    return -1;
}

/* True when the fd is readable (or hung up) right now. */
static bool fd_is_ready(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    int n;
    do {
        n = poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

/* ============================================================== output */

/* Reads what *fd has now; closes it at end of file or on error. */
static void drain_fd(run_state_t *st, int *fd, bool is_stdout)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            if (is_stdout)
                git_run_output_stdout(&st->output, buf, (size_t)n);
            else
                git_run_output_stderr(&st->output, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close_fd(fd);                   /* EOF or a real error */
        return;
    }
}

/* =============================================================== spawn */

/* Starts the child with its stdout/stderr on the pipes' write ends.
 * Returns 0 or an errno value. */
static int spawn_child(const git_run_spec_t *spec, int out_w, int err_w, pid_t *pid)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        posix_spawnattr_destroy(&attr);
        return rc;
    }

    sigset_t empty, dfl;
    sigemptyset(&empty);
    sigemptyset(&dfl);
    /* What the driver changed (SIGPIPE ignored) and what a shell would
     * expect at default. */
    static const int defaults[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                    SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        sigaddset(&dfl, defaults[i]);

    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                  POSIX_SPAWN_SETSIGDEF;
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, flags);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attr, 0);   /* own group */
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &dfl);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, err_w, 2);
#if GIT_RUN_HAVE_CLOSEFROM
    /* Belt and braces: the driver's own descriptors are close-on-exec,
     * but one opened by a library without the flag must not reach git. */
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    if (rc == 0)
        rc = posix_spawnp(pid, spec->argv[0], &fa, &attr,
                          (char *const *)spec->argv, spec->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

/* ================================================================ wait */

/* Did the child end?  Without reaping it (WNOWAIT), so its group id stays
 * reserved until we have swept the group. */
static bool child_has_exited(run_state_t *st)
{
    if (st->pid_fd >= 0)
        return fd_is_ready(st->pid_fd);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do {
        rc = waitid(P_PID, (id_t)st->pid, &info, WEXITED | WNOHANG | WNOWAIT);
    } while (rc < 0 && errno == EINTR);
    return rc == 0 && info.si_pid == st->pid;
}

/* Sweeps the group, then reaps the leader.  Returns its wait status. */
static int reap_child(run_state_t *st)
{
    kill(-st->pid, SIGKILL);
    int status = 0;
    pid_t r;
    do {
        r = waitpid(st->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    close_fd(&st->pid_fd);
    if (st->spec->pid_slot != NULL)
        /* relaxed: a diagnostic snapshot, nothing is published through it */
        atomic_store_explicit(st->spec->pid_slot, 0, memory_order_relaxed);
    return status;
}

bool git_run(const git_run_spec_t *spec, git_run_result_t *result)
{
    run_state_t st;
    memset(&st, 0, sizeof st);
    st.spec = spec;
    st.out_fd = st.err_fd = st.pid_fd = -1;
    if (!git_run_output_begin(&st.output, spec, result))
        return false;
    const int cancel_fd = spec->cancel != NULL && spec->cancel->ready ?
                          spec->cancel->fds[0] : -1;

    /* A stop that came before the start: do not start at all. */
    if (cancel_fd >= 0 && spec->cancel_grace_ms == 0 && fd_is_ready(cancel_fd)) {
        result->outcome = GIT_RUN_STOPPED;
        return false;
    }

    int out_pipe[2], err_pipe[2];
    if (make_pipe(out_pipe) != 0) {
        result->outcome = GIT_RUN_FAILED;
        result->error = errno;
        return false;
    }
    if (make_pipe(err_pipe) != 0) {
        result->outcome = GIT_RUN_FAILED;
        result->error = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        return false;
    }
    int rc = spawn_child(spec, out_pipe[1], err_pipe[1], &st.pid);
    close(out_pipe[1]);
    close(err_pipe[1]);
    st.out_fd = out_pipe[0];
    st.err_fd = err_pipe[0];
    if (rc != 0) {
        close_fd(&st.out_fd);
        close_fd(&st.err_fd);
        result->outcome = GIT_RUN_FAILED;
        result->error = rc;
        return false;
    }
    if (spec->pid_slot != NULL)
        /* relaxed: a diagnostic snapshot, nothing is published through it */
        atomic_store_explicit(spec->pid_slot, (int)st.pid, memory_order_relaxed);
    st.pid_fd = open_pidfd(st.pid);

    term_reason_t term = TERM_NONE;
    bool term_sent = false;         /* SIGTERM sent to the group */
    int64_t term_at = 0;            /* ... at this time */
    bool killed = false;            /* SIGKILL sent after the grace */
    bool cancel_seen = false;
    int64_t cancel_at = 0;          /* when the stop takes effect */
    bool reaped = false;
    int64_t drain_until = 0;
    int status = 0;

    for (;;) {
        int64_t now = port_clock_now_ns();

        /* Time-driven transitions. */
        if (!reaped) {
            if (term == TERM_NONE && spec->deadline_ns != PORT_DEADLINE_NEVER &&
                now >= spec->deadline_ns)
                term = TERM_TIMEOUT;
            else if (term == TERM_NONE && cancel_seen && now >= cancel_at)
                term = TERM_STOP;
            if (term != TERM_NONE && !term_sent) {
                kill(-st.pid, SIGTERM);
                term_sent = true;
                term_at = now;
            } else if (term != TERM_NONE && !killed &&
                       now - term_at >= GIT_RUN_KILL_GRACE_MS * PORT_NS_PER_MS) {
                kill(-st.pid, SIGKILL);
                killed = true;
            }
        }
        if (!reaped && child_has_exited(&st)) {
            status = reap_child(&st);
            reaped = true;
            drain_until = now + GIT_RUN_DRAIN_MS * PORT_NS_PER_MS;
        }
        if (reaped && ((st.out_fd < 0 && st.err_fd < 0) || now >= drain_until))
            break;

        /* What to wait for, and until when. */
        struct pollfd pfd[4];
        int n = 0, i_out = -1, i_err = -1, i_pid = -1, i_cancel = -1;
        if (st.out_fd >= 0) {
            i_out = n;
            pfd[n++] = (struct pollfd){ .fd = st.out_fd, .events = POLLIN };
        }
        if (st.err_fd >= 0) {
            i_err = n;
            pfd[n++] = (struct pollfd){ .fd = st.err_fd, .events = POLLIN };
        }
        int timeout = -1;
        if (!reaped) {
            if (st.pid_fd >= 0) {
                i_pid = n;
                pfd[n++] = (struct pollfd){ .fd = st.pid_fd, .events = POLLIN };
            } else {
                timeout = GIT_RUN_EXIT_CHECK_MS;
            }
            if (cancel_fd >= 0 && !cancel_seen) {
                i_cancel = n;
                pfd[n++] = (struct pollfd){ .fd = cancel_fd, .events = POLLIN };
            }
            if (term == TERM_NONE) {
                if (spec->deadline_ns != PORT_DEADLINE_NEVER)
                    timeout = min_timeout(timeout, ms_until(spec->deadline_ns, now));
                if (cancel_seen)
                    timeout = min_timeout(timeout, ms_until(cancel_at, now));
            } else if (!killed) {
                timeout = min_timeout(timeout, ms_until(
                    term_at + GIT_RUN_KILL_GRACE_MS * PORT_NS_PER_MS, now));
            }
        } else {
            timeout = ms_until(drain_until, now);
        }

        int ready = poll(pfd, (nfds_t)n, timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            /* poll itself failed (ENOMEM): treat it as a stop so the
             * child is still terminated and reaped. */
            if (!reaped && term == TERM_NONE) {
                cancel_seen = true;
                cancel_at = now;
            }
            continue;
        }
        if (i_out >= 0 && pfd[i_out].revents != 0)
            drain_fd(&st, &st.out_fd, true);
        if (i_err >= 0 && pfd[i_err].revents != 0)
            drain_fd(&st, &st.err_fd, false);
        if (i_cancel >= 0 && pfd[i_cancel].revents != 0) {
            cancel_seen = true;
            cancel_at = port_clock_now_ns() +
                        (int64_t)spec->cancel_grace_ms * PORT_NS_PER_MS;
        }
        (void)i_pid;    /* the exit is checked at the top of the loop */
    }

    /* A descendant that left the group may still hold a pipe: stop
     * waiting for it (drain_until), keep what arrived. */
    close_fd(&st.out_fd);
    close_fd(&st.err_fd);
    git_run_output_end(&st.output);     /* a last line without its '\n' */

    /* Terminated, unless it finished successfully before the signal
     * landed: then the work is done and that is what counts. */
    bool succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if ((term == TERM_TIMEOUT || term == TERM_STOP) && !succeeded) {
        result->outcome = term == TERM_TIMEOUT ? GIT_RUN_TIMED_OUT : GIT_RUN_STOPPED;
        result->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        result->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
        return false;
    }
    if (WIFEXITED(status)) {
        result->outcome = GIT_RUN_EXITED;
        result->exit_status = WEXITSTATUS(status);
        return result->exit_status == 0;
    }
    result->outcome = GIT_RUN_SIGNALED;
    result->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return false;
}

/* ============================================================== cancel */

int git_run_cancel_init(git_run_cancel_t *c)
{
    memset(c, 0, sizeof *c);
    c->fds[0] = c->fds[1] = -1;
    if (port_fd_pipe_nonblock_cloexec(c->fds) != 0)
        return errno;
    c->ready = true;
    return 0;
}

void git_run_cancel_set(git_run_cancel_t *c)
{
    if (!c->ready)
        return;
    char byte = 's';
    ssize_t n = write(c->fds[1], &byte, 1);  /* EAGAIN: already set */
    (void)n;
}

bool git_run_cancel_is_set(const git_run_cancel_t *c)
{
    return c->ready && fd_is_ready(c->fds[0]);
}

void git_run_cancel_destroy(git_run_cancel_t *c)
{
    if (!c->ready)
        return;
    close(c->fds[0]);
    close(c->fds[1]);
    c->fds[0] = c->fds[1] = -1;
    c->ready = false;
}

/* ========================================================= environment */

extern char **environ;

char **git_run_env_copy(void)
{
    size_t count = 0;
    while (environ != NULL && environ[count] != NULL)
        count++;
    char **env = calloc(count + 1, sizeof *env);
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if ((env[i] = strdup(environ[i])) == NULL) {
            git_run_env_free(env);
            return NULL;
        }
    }
    return env;
}

/* ============================================================== signals */

const char *git_run_signal_name(int sig)
{
    switch (sig) {
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT:  return "SIGINT";
    case SIGHUP:  return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS:  return "SIGBUS";
    case SIGPIPE: return "SIGPIPE";
    default:      return "a signal";
    }
}
