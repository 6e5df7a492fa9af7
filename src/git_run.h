/*
 * git_run.h - run one git command from a worker thread: under a deadline,
 * stoppable, and leaving no process behind.
 *
 * git_run() starts argv in a process group of its own (the child is the
 * group leader), stdin from /dev/null, stdout and stderr on pipes, signal
 * mask cleared and the common signals at their default disposition (the
 * driver ignores SIGPIPE and its worker threads block every signal; git
 * must not inherit either).  It then waits, without a polling interval,
 * for the first of:
 *   - the child exiting on its own;
 *   - the deadline: the whole group gets SIGTERM, and SIGKILL
 *     GIT_RUN_KILL_GRACE_MS later if the leader still lives;
 *   - spec->cancel_fd becoming readable (a stop request): the same, after
 *     spec->cancel_grace_ms (0 = at once).
 * Whatever ended the leader, the rest of its group (remote helpers, ssh)
 * is sent SIGKILL while the leader is still an unreaped zombie - so the
 * group id cannot have been reused - and then the leader is reaped with
 * waitpid(pid): never waitpid(-1), other children are not ours to reap.
 * Every descriptor it opens is closed before it returns.
 *
 * Output: stdout is collected into a buffer; stderr is cut into lines at
 * '\r' or '\n' (git ends progress updates with '\r'), each passed to
 * spec->on_stderr_line, and the '\n'-terminated ones are also kept in a
 * small tail for error messages.
 *
 * POSIX (posix_spawn; pidfd on Linux, a 20 ms waitid(WNOWAIT) check
 * elsewhere).  A Win32 version (CreateProcess in a job object) would go in
 * git_run_win32.c beside this one, with the same header.
 *
 * Thread safety: git_run may be called from any thread, several at once;
 * it uses no global state besides the process table.
 */
#ifndef NEOLITH_GIT_RUN_H
#define NEOLITH_GIT_RUN_H

#include "port/port_atomic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* After SIGTERM, how long the leader has before SIGKILL. */
#define GIT_RUN_KILL_GRACE_MS 1000

/* After the leader is reaped, how long to wait for the pipes to reach
 * end of file (a descendant that escaped the group may hold them). */
#define GIT_RUN_DRAIN_MS 500

/* Bytes of '\n'-terminated stderr kept for error messages. */
#define GIT_RUN_TAIL_SIZE 2048

/* Longest stderr line delivered whole; longer ones arrive in pieces. */
#define GIT_RUN_LINE_MAX 1024

/* One stderr line, without its '\r' or '\n', NUL-terminated (line[len]
 * is '\0').  Called on the thread that called git_run. */
typedef void (*git_run_line_fn)(const char *line, size_t len, void *ctx);

typedef struct git_run_spec {
    const char *const *argv;      /* argv[0] is looked up in PATH; NULL-terminated */
    char *const *envp;            /* the child's whole environment */
    int64_t deadline_ns;          /* absolute (port_clock); PORT_DEADLINE_NEVER: none */
    int cancel_fd;                /* readable once a stop is requested; -1: none.
                                     Never read: it stays readable. */
    int cancel_grace_ms;          /* after a stop request, let the command run this
                                     much longer before terminating it (0: at once) */
    git_run_line_fn on_stderr_line;   /* may be NULL */
    void *ctx;                    /* for on_stderr_line */
    size_t stdout_limit;          /* stdout bytes kept; the rest is read and dropped */
    atomic_int *pid_slot;         /* may be NULL: holds the child's pid while it runs,
                                     0 otherwise (diagnostics; relaxed stores) */
} git_run_spec_t;

typedef enum git_run_outcome {
    GIT_RUN_EXITED = 0,     /* it ended on its own: exit_status */
    GIT_RUN_SIGNALED,       /* a signal not sent by git_run ended it: term_signal */
    GIT_RUN_TIMED_OUT,      /* the deadline passed; the group was terminated */
    GIT_RUN_STOPPED,        /* a stop was requested; the group was terminated
                               (or, with cancel_fd readable at the start, the
                               command was not started at all) */
    GIT_RUN_FAILED          /* it could not be started: error holds the errno */
} git_run_outcome_t;

typedef struct git_run_result {
    git_run_outcome_t outcome;
    int exit_status;        /* EXITED: 0-255 */
    int term_signal;        /* SIGNALED: the signal; TIMED_OUT/STOPPED: the signal
                               that ended it, 0 if it exited by itself first */
    int error;              /* FAILED: errno (ENOENT: git not found in PATH) */
    char *out;              /* stdout, NUL-terminated; malloc'd, freed by
                               git_run_result_free; never NULL after git_run
                               except when outcome is FAILED */
    size_t out_len;
    bool out_truncated;     /* stdout went past stdout_limit */
    char err_tail[GIT_RUN_TAIL_SIZE];   /* last '\n'-ended stderr lines, each
                                           ending in '\n'; "" when none */
} git_run_result_t;

/* Runs the command described by spec and fills *result (see the top of
 * the file).  Returns true when it exited with status 0 (outcome EXITED,
 * exit_status 0), false otherwise: result says why.  The caller frees
 * result with git_run_result_free in every case. */
bool git_run(const git_run_spec_t *spec, git_run_result_t *result);

/* Frees result->out.  Safe on a zeroed result and twice. */
void git_run_result_free(git_run_result_t *result);

#endif /* NEOLITH_GIT_RUN_H */
