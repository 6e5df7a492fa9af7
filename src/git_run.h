/*
 * git_run.h - run one git command from a worker thread: under a deadline,
 * stoppable, and leaving no process behind.
 *
 * git_run() starts argv with stdin from the null device and stdout and
 * stderr on pipes, in a container that lets it end the command together
 * with every process the command started.  It then waits, without a
 * polling interval, for the first of:
 *   - the child exiting on its own;
 *   - the deadline: the command is terminated;
 *   - spec->cancel being set (a stop request): the same, after
 *     spec->cancel_grace_ms (0 = at once).
 * Whatever ended the child, the processes it left behind are killed, and
 * every handle git_run opened is closed before it returns.
 *
 * POSIX (git_run_posix.c): posix_spawn into a process group of its own
 * (the child is the group leader), signal mask cleared and the common
 * signals at their default disposition (the driver ignores SIGPIPE and
 * its worker threads block every signal; git must not inherit either).
 * Termination is SIGTERM to the group, then SIGKILL GIT_RUN_KILL_GRACE_MS
 * later if the leader still lives.  The rest of the group (remote
 * helpers, ssh) gets SIGKILL while the leader is still an unreaped zombie
 * - so the group id cannot have been reused - and then the leader is
 * reaped with waitpid(pid): never waitpid(-1), other children are not
 * ours to reap.  Exit is seen through a pidfd on Linux, a 20 ms
 * waitid(WNOWAIT) check elsewhere.
 *
 * Windows (git_run_win32.c): CreateProcessW, suspended, put into a job
 * object (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE) before it runs, so all its
 * descendants are in the job too; no console window; only the three
 * standard handles are inherited.  Termination is TerminateJobObject: at
 * once, there is no gentle signal to send first (term_signal then reads
 * SIGTERM).  The loop sleeps in WaitForMultipleObjects on the process,
 * the cancel event and the overlapped reads of the two pipes.
 *
 * Output: stdout is collected into a buffer; stderr is cut into lines at
 * '\r' or '\n' (git ends progress updates with '\r'), each passed to
 * spec->on_stderr_line, and the '\n'-terminated ones are also kept in a
 * small tail for error messages.
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

/* A stop request: not set when made, set once by git_run_cancel_set and
 * never cleared, so every git_run given it - running now or started
 * later - sees the stop.  POSIX: a pipe whose read end becomes readable
 * (one byte is written and never read).  Windows: a manual-reset event. */
typedef struct git_run_cancel {
    bool ready;             /* made by git_run_cancel_init (a zeroed one is not) */
#ifdef _WIN32
    void *event;            /* HANDLE */
#else
    int fds[2];             /* [0] polled by git_run, [1] written by set */
#endif
} git_run_cancel_t;

/* Makes *c, not set.  Returns 0 or an errno value. */
int  git_run_cancel_init(git_run_cancel_t *c);
/* Sets it.  Any thread; setting it again does nothing more. */
void git_run_cancel_set(git_run_cancel_t *c);
/* True once it is set. */
bool git_run_cancel_is_set(const git_run_cancel_t *c);
/* Frees it.  Safe on a zeroed one and twice. */
void git_run_cancel_destroy(git_run_cancel_t *c);

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
    const git_run_cancel_t *cancel;   /* set once a stop is requested; NULL: none */
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
    GIT_RUN_SIGNALED,       /* a signal not sent by git_run ended it: term_signal
                               (Windows: a crash status, mapped to SIGSEGV,
                               SIGILL, SIGFPE, SIGINT or SIGABRT) */
    GIT_RUN_TIMED_OUT,      /* the deadline passed; the group was terminated */
    GIT_RUN_STOPPED,        /* a stop was requested; the group was terminated
                               (or, with cancel set at the start, the
                               command was not started at all) */
    GIT_RUN_FAILED          /* it could not be started: error holds the errno */
} git_run_outcome_t;

typedef struct git_run_result {
    git_run_outcome_t outcome;
    int exit_status;        /* EXITED: 0-255 */
    int term_signal;        /* SIGNALED: the signal; TIMED_OUT/STOPPED: the signal
                               that ended it, 0 if it exited by itself first */
    int error;              /* FAILED: errno (ENOENT: git not found in PATH;
                               Windows errors are mapped to the nearest) */
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

/* A copy of this process's environment for spec->envp: a NULL-terminated
 * array of malloc'd "NAME=VALUE" strings (UTF-8 on Windows, where envp is
 * converted back to UTF-16 for the child).  NULL on out of memory.  Reads
 * the process environment: call it where nothing changes that at the
 * same time (the main thread).  Free with git_run_env_free, or free the
 * strings and the array yourself. */
char **git_run_env_copy(void);
void   git_run_env_free(char **env);

/* A short name for a signal number of term_signal ("SIGKILL", ...;
 * "a signal" for others).  Thread-safe (strsignal is not). */
const char *git_run_signal_name(int sig);

#endif /* NEOLITH_GIT_RUN_H */
