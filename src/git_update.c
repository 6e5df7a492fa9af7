/*
 * git_update.c - the mudlib's git update (see git_update.h).
 *
 * THE JOB.  Each update is a git_job_t, created by git_update_start on the
 * main thread and run by one async_worker (job_main).  Its fields fall
 * into four groups, marked at the struct: set before the worker starts
 * and never written again; the worker's alone while it runs; the main
 * thread's alone; and the few that both touch, each with its own rule.
 *
 * THE WAY BACK.  The worker never calls into the main thread's code.
 * Progress messages are copied into the job's async_queue (drop-oldest:
 * the worker never blocks, the newest - the 100% - survive) and each is
 * followed by a BACKEND_KEY_GIT completion; the end is a
 * BACKEND_KEY_GIT_DONE completion.  The value of both is the job's id,
 * not a pointer: a completion that arrives after its job ended (or from a
 * job abandoned at shutdown) matches no job and is ignored, so nothing
 * ever dereferences a freed job.  The result itself stays in the job; the
 * main thread takes it after joining the worker (join is the
 * happens-before edge for everything the worker wrote).
 *
 * STOPPING.  git_update_cancel and the shutdown hook store a cause,
 * signal the worker to stop and set the job's git_run_cancel_t.  It is
 * never cleared, so every later git_run sees the stop at once (git_run
 * waits on it beside git's pipes).
 * Between git commands the worker checks async_worker_should_stop.
 *
 * SHUTDOWN.  The hook stops the worker and joins it for at most
 * GIT_UPDATE_JOIN_TIMEOUT_MS.  If that fails (git ignoring SIGKILL is not
 * possible, so this means a stuck kernel call), the job is handed to the
 * worker under job->lock: `abandoned` tells it to post nothing more and
 * free the job itself; `worker_done` tells the main thread the worker had
 * already finished after all.  Whoever comes second frees.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "git_update.h"
#include "backend.h"
#include "git_run.h"
#include "log.h"
#include "async/async_queue.h"
#include "async/async_worker.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_format.h"
#include "port/port_sync.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Progress messages buffered between two turns of the loop. */
#define GIT_UPDATE_QUEUE_CAPACITY 64

/* stdout kept from a git command: small answers, and the change list. */
#define GIT_UPDATE_SMALL_OUTPUT (64 * 1024)
#define GIT_UPDATE_LIST_OUTPUT  (16 * 1024 * 1024)

/* The entry job_choose_ssh adds: static, so envp's cleanup skips it. */
static char git_update_ssh_entry[] = "GIT_SSH_COMMAND=ssh -o BatchMode=yes";

typedef enum stop_cause {
    STOP_NONE = 0,
    STOP_CANCEL,
    STOP_SHUTDOWN
} stop_cause_t;

typedef struct git_job {
    /* ---- set by the main thread before the worker starts; read-only after */
    uintptr_t id;
    char *mudlib_dir;
    char *cfg_remote;           /* NULL: the upstream's */
    char *cfg_branch;
    int timeout_s;
    char requester[64];
    int64_t started_ns;
    async_runtime_t *runtime;   /* posting is thread-safe */
    async_queue_t *progress;    /* worker enqueues, main dequeues: MPMC-safe */
    git_run_cancel_t cancel;    /* stop doorbell: main sets it, git_run waits on it
                                   (set is thread-safe) */

    /* ---- the worker's while it runs; the main thread's after the join */
    char **envp;                /* NULL-terminated, one spare slot (ssh) */
    bool env_has_ssh;           /* GIT_SSH_COMMAND or GIT_SSH was set */
    git_update_result_t *result;    /* allocated at start so the worker can
                                       always report; see git_update.h for
                                       who frees it after */
    int64_t deadline_ns;
    git_update_progress_t last; /* last message queued (throttle, dedupe) */
    int64_t last_ns;
    bool queued_any;

    /* ---- main thread only */
    git_update_request_t request;
    async_worker_t *worker;

    /* ---- both threads */
    atomic_int stop_cause;      /* main: release store before ringing the
                                   doorbell; worker: acquire load after
                                   seeing it, so the cause is the one set */
    atomic_int step;            /* worker stores, anyone loads: relaxed, a
                                   diagnostic that publishes nothing */
    atomic_int git_pid;         /* git_run stores, anyone loads: relaxed */
    port_mutex_t lock;          /* guards the two flags below and every
                                   post by the worker */
    bool abandoned;             /* main gave up on the join: worker frees */
    bool worker_done;           /* worker touches the job no more */
} git_job_t;

/* The module.  Main thread only. */
static struct git_update_state {
    bool initialised;
    bool enabled;
    bool shutting_down;
    bool hooks_registered;      /* keys + shutdown hook */
    char *mudlib_dir;
    char *remote;
    char *branch;
    int interval_s;
    int timeout_s;
    backend_timer_t *timer;
    git_job_t *job;             /* the running update, or NULL */
    uintptr_t next_id;
    git_update_status_t last_status;
    git_update_reload_fn reload;
    void *reload_ctx;
} gu;

/* ============================================================ strings */

const char *git_update_status_str(git_update_status_t status)
{
    switch (status) {
    case GIT_UPDATE_STARTED:          return "update started";
    case GIT_UPDATE_BUSY:             return "an update is already running";
    case GIT_UPDATE_DISABLED:         return "git update is off (set 'git update: on' in the config)";
    case GIT_UPDATE_SHUTTING_DOWN:    return "the driver is shutting down";
    case GIT_UPDATE_OK:               return "updated";
    case GIT_UPDATE_UP_TO_DATE:       return "already up to date";
    case GIT_UPDATE_NOT_A_REPOSITORY: return "the mudlib directory is not a git work tree";
    case GIT_UPDATE_NO_UPSTREAM:      return "no remote or branch to update from";
    case GIT_UPDATE_DIRTY:            return "work tree has local changes";
    case GIT_UPDATE_FETCH_FAILED:     return "git fetch failed";
    case GIT_UPDATE_DIVERGED:         return "local history has diverged";
    case GIT_UPDATE_MERGE_FAILED:     return "the fast-forward failed";
    case GIT_UPDATE_TIMEOUT:          return "timed out";
    case GIT_UPDATE_KILLED:           return "git was killed";
    case GIT_UPDATE_STOPPED:          return "stopped";
    case GIT_UPDATE_ERROR:            return "internal error";
    }
    return "unknown status";
}

/* Copies src into a fixed field, truncating. */
static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void reason_set(git_update_result_t *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
    ;
static void reason_set(git_update_result_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

static void reason_append(git_update_result_t *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
    ;
static void reason_append(git_update_result_t *r, const char *fmt, ...)
{
    size_t used = strlen(r->reason);
    if (used + 1 >= sizeof r->reason)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason + used, sizeof r->reason - used, fmt, ap);
    va_end(ap);
}

/* The first 12 characters of a commit id, for messages. */
static const char *short_id(const char *oid, char buf[16])
{
    snprintf(buf, 16, "%.12s", oid);
    return buf;
}

/* ============================================================ progress */

static bool is_ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ascii_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads decimal digits at *s (at least one), saturating; advances *s. */
static bool read_number(const char **s, uint64_t *out)
{
    const char *p = *s;
    if (!is_ascii_digit(*p))
        return false;
    uint64_t v = 0;
    while (is_ascii_digit(*p)) {
        unsigned d = (unsigned)(*p - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        p++;
    }
    *s = p;
    *out = v;
    return true;
}

/*
** A progress line is "[remote: ]Phase: N% (a/b)[, ...][, done.]" or
** "[remote: ]Phase: N[, done.]": the phase is letters and spaces starting
** with a capital (which keeps out "fatal:", "error:", "hint:"), then a
** number.  Terminal escapes (the sideband's "\033[K") and control
** characters are dropped and the padding git adds is trimmed first.
*/
bool git_update_parse_progress(const char *line, git_update_progress_t *out)
{
    char buf[256];
    size_t n = 0;
    for (const char *s = line; *s != '\0' && n < sizeof buf - 1; s++) {
        if (*s == '\033') {
            if (s[1] == '[') {              /* CSI: ESC [ params final */
                s += 2;
                while (*s != '\0' && !(*s >= 0x40 && *s <= 0x7e))
                    s++;
                if (*s == '\0')
                    break;
            }
            continue;
        }
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            continue;
        buf[n++] = *s;
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';

    git_update_progress_t p;
    memset(&p, 0, sizeof p);
    p.source = GIT_UPDATE_PROGRESS_LOCAL;
    const char *s = buf;
    if (strncmp(s, "remote:", 7) == 0) {
        p.source = GIT_UPDATE_PROGRESS_REMOTE;
        s += 7;
        while (*s == ' ')
            s++;
    }
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof p.phase)
        return false;
    if (!(s[0] >= 'A' && s[0] <= 'Z'))
        return false;
    for (const char *q = s; q < colon; q++)
        if (!is_ascii_alpha(*q) && *q != ' ')
            return false;
    memcpy(p.phase, s, (size_t)(colon - s));
    p.phase[colon - s] = '\0';

    const char *v = colon + 1;
    while (*v == ' ')
        v++;
    uint64_t num;
    if (!read_number(&v, &num))
        return false;
    if (*v == '%') {
        v++;
        p.percent = num > 100 ? 100 : (int)num;
        const char *w = v;
        while (*w == ' ')
            w++;
        uint64_t cur, tot;
        if (*w == '(' && (w++, read_number(&w, &cur)) && *w == '/' &&
            (w++, read_number(&w, &tot)) && *w == ')') {
            p.current = cur;
            p.total = tot;
            v = w + 1;
        }
    } else {
        if (*v != '\0' && *v != ',')
            return false;           /* "Phase: 3 things" is not progress */
        p.percent = -1;
        p.current = num;
    }
    p.done = strstr(v, ", done") != NULL;
    *out = p;
    return true;
}

char *git_update_format_progress(const git_update_progress_t *p, char *buf,
                                 size_t size)
{
    if (size == 0)
        return buf;
    const char *prefix = p->source == GIT_UPDATE_PROGRESS_REMOTE ? "remote: " : "";
    const char *done = p->done ? ", done" : "";
    if (p->source == GIT_UPDATE_PROGRESS_STEP) {
        snprintf(buf, size, "%s", p->phase);
    } else if (p->percent >= 0 && p->total > 0) {
        snprintf(buf, size, "%s%s: %d%% (%llu/%llu)%s", prefix, p->phase,
                 p->percent, (unsigned long long)p->current,
                 (unsigned long long)p->total, done);
    } else if (p->percent >= 0) {
        snprintf(buf, size, "%s%s: %d%%%s", prefix, p->phase, p->percent, done);
    } else {
        snprintf(buf, size, "%s%s: %llu%s", prefix, p->phase,
                 (unsigned long long)p->current, done);
    }
    return buf;
}

void git_update_log_progress(const git_update_progress_t *progress, void *ctx)
{
    (void)ctx;
    char line[160];
    log_info("git update: %s", git_update_format_progress(progress, line, sizeof line));
}

/* ============================================================ results */

void git_update_result_free(git_update_result_t *result)
{
    if (result == NULL)
        return;
    free(result->changes);
    free(result->paths_);
    free(result->reload_report);
    free(result);
}

/* ==================================================== worker: reporting */

/* Posts a completion for this job unless the main thread abandoned it
 * (then the runtime may be gone).  Worker thread. */
static void job_post(git_job_t *job, uintptr_t key)
{
    port_mutex_lock(&job->lock);
    if (!job->abandoned &&
        async_runtime_post_completion(job->runtime, key, job->id) != 0)
        log_error("git update: cannot notify the main loop: %s", strerror(errno));
    port_mutex_unlock(&job->lock);
}

static bool same_phase(const git_update_progress_t *a, const git_update_progress_t *b)
{
    return a->source == b->source && strcmp(a->phase, b->phase) == 0;
}

/*
** Queues one progress message, throttled: a repeat of the last message
** is dropped; within a phase at most one per
** GIT_UPDATE_PROGRESS_INTERVAL_MS passes, except a 100% or a "done",
** which always do, as does the first message of a new phase.  Worker
** thread.
*/
static void job_progress(git_job_t *job, const git_update_progress_t *p)
{
    int64_t now = port_clock_now_ns();
    bool same = job->queued_any && same_phase(&job->last, p);
    if (same && job->last.percent == p->percent && job->last.done == p->done &&
        job->last.current == p->current && job->last.total == p->total)
        return;
    bool final = p->done || p->percent == 100;
    if (same && !final &&
        now - job->last_ns < GIT_UPDATE_PROGRESS_INTERVAL_MS * PORT_NS_PER_MS)
        return;
    /* Drop-oldest queue: never blocks, never fails for space. */
    if (!async_queue_enqueue(job->progress, p, sizeof *p))
        return;
    job->last = *p;
    job->last_ns = now;
    job->queued_any = true;
    job_post(job, BACKEND_KEY_GIT);
}

static void job_step(git_job_t *job, git_update_step_t step, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 3, 4)))
#endif
    ;
/* Records the step and announces it as a STEP progress message. */
static void job_step(git_job_t *job, git_update_step_t step, const char *fmt, ...)
{
    /* relaxed: diagnostic only */
    atomic_store_explicit(&job->step, (int)step, memory_order_relaxed);
    git_update_progress_t p;
    memset(&p, 0, sizeof p);
    p.source = GIT_UPDATE_PROGRESS_STEP;
    p.percent = -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.phase, sizeof p.phase, fmt, ap);
    va_end(ap);
    job_progress(job, &p);
}

/* git_run's stderr line callback: progress lines become messages. */
static void on_git_line(const char *line, size_t len, void *ctx)
{
    (void)len;
    git_job_t *job = ctx;
    git_update_progress_t p;
    if (git_update_parse_progress(line, &p))
        job_progress(job, &p);
}

/* ==================================================== worker: running git */

typedef enum run_mode {
    RUN_QUIET,          /* stderr kept for messages only */
    RUN_PROGRESS,       /* stderr progress lines passed on */
    RUN_CRITICAL        /* merge and after: a stop waits for it, fresh deadline */
} run_mode_t;

/*
** Runs `git -c ... -C MUDLIB args...`.  Returns true on exit status 0.
** gr is always filled (free it with git_run_result_free).
*/
static bool job_git(git_job_t *job, run_mode_t mode, size_t out_limit,
                    git_run_result_t *gr, const char *const *args)
{
    /* Auto-gc/maintenance would fork detached processes that outlive the
     * command and its time limit: the operator runs those. */
    const char *argv[32] = {
        "git", "-c", "maintenance.auto=false", "-c", "gc.auto=0",
        "-C", job->mudlib_dir
    };
    size_t n = 7;
    for (size_t i = 0; args[i] != NULL && n < sizeof argv / sizeof argv[0] - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    git_run_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.argv = argv;
    spec.envp = job->envp;
    spec.cancel = &job->cancel;
    spec.stdout_limit = out_limit;
    spec.pid_slot = &job->git_pid;
    if (mode == RUN_CRITICAL) {
        spec.deadline_ns = port_deadline_after_ms((int64_t)job->timeout_s * 1000);
        spec.cancel_grace_ms = GIT_UPDATE_MERGE_GRACE_MS;
    } else {
        spec.deadline_ns = job->deadline_ns;
    }
    if (mode != RUN_QUIET) {
        spec.on_stderr_line = on_git_line;
        spec.ctx = job;
    }
    char cmd[256];
    size_t used = 0;
    cmd[0] = '\0';
    for (size_t i = 7; argv[i] != NULL && used < sizeof cmd; i++)
        used += (size_t)snprintf(cmd + used, sizeof cmd - used, " %s", argv[i]);
    log_debug("git update: running git%s", cmd);
    return git_run(&spec, gr);
}

/*
** git's own words about a failure: the '\n'-ended stderr lines that are
** not progress, from the first "fatal:"/"error:" line on when there is
** one, joined with "; ", tabs and runs of spaces made single spaces.
*/
static void summarize_stderr(const char *tail, char *buf, size_t size)
{
    const char *lines[24];
    size_t lens[24];
    size_t count = 0, first_error = SIZE_MAX;
    for (const char *s = tail; *s != '\0' && count < 24;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
        char line[GIT_RUN_LINE_MAX + 1];
        snprintf(line, sizeof line, "%.*s", (int)len, s);
        git_update_progress_t ignored;
        bool blank = strspn(line, " \t") == len;
        if (!blank && !git_update_parse_progress(line, &ignored)) {
            if (first_error == SIZE_MAX &&
                (strncmp(line, "fatal:", 6) == 0 || strncmp(line, "error:", 6) == 0))
                first_error = count;
            lines[count] = s;
            lens[count] = len;
            count++;
        }
        s += len + (nl != NULL);
    }
    size_t start = first_error != SIZE_MAX ? first_error : 0;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = start; i < count && i < start + 4 && used + 1 < size; i++) {
        if (i > start)
            used += (size_t)snprintf(buf + used, size - used, "; ");
        bool space = true;          /* also drops leading blanks */
        for (size_t k = 0; k < lens[i] && used + 1 < size; k++) {
            char c = lines[i][k] == '\t' ? ' ' : lines[i][k];
            if (c == ' ' && space)
                continue;
            space = c == ' ';
            buf[used++] = c;
        }
        while (used > 0 && buf[used - 1] == ' ')
            used--;
        buf[used] = '\0';
    }
    if (used == 0)
        snprintf(buf, size, "git gave no message");
}

/*
** Turns a failed run of `what` into the result's status and reason.
** exit_status is the status for a non-zero exit (a git failure proper);
** time-outs, stops, signals and spawn failures have their own.
*/
static git_update_status_t job_failure(git_job_t *job, git_update_result_t *r,
                                       const char *what, const git_run_result_t *gr,
                                       git_update_status_t exit_status)
{
    char msg[400];
    switch (gr->outcome) {
    case GIT_RUN_FAILED:
        if (gr->error == ENOENT)
            reason_set(r, "cannot run git: it is not installed or not in PATH");
        else
            reason_set(r, "cannot run %s: %s", what, strerror(gr->error));
        return GIT_UPDATE_ERROR;
    case GIT_RUN_TIMED_OUT:
        reason_set(r, "timed out after %d s during %s (git timeout)",
                   job->timeout_s, what);
        return GIT_UPDATE_TIMEOUT;
    case GIT_RUN_STOPPED: {
        /* acquire: pairs with the release store in job_request_stop */
        int cause = atomic_load_explicit(&job->stop_cause, memory_order_acquire);
        reason_set(r, "%s during %s", cause == STOP_SHUTDOWN ?
                   "stopped by the driver's shutdown" : "cancelled", what);
        return GIT_UPDATE_STOPPED;
    }
    case GIT_RUN_SIGNALED:
        reason_set(r, "%s was killed by signal %d (%s)", what, gr->term_signal,
                   git_run_signal_name(gr->term_signal));
        return GIT_UPDATE_KILLED;
    case GIT_RUN_EXITED:
        break;
    }
    summarize_stderr(gr->err_tail, msg, sizeof msg);
    reason_set(r, "%s failed (exit status %d): %s", what, gr->exit_status, msg);
    return exit_status;
}

/* True once a stop was requested; fills the reason for `before`. */
static bool job_stopping(git_job_t *job, git_update_result_t *r, const char *before)
{
    if (!async_worker_should_stop(async_worker_current()))
        return false;
    /* acquire: pairs with the release store in job_request_stop */
    int cause = atomic_load_explicit(&job->stop_cause, memory_order_acquire);
    reason_set(r, "%s before %s", cause == STOP_SHUTDOWN ?
               "stopped by the driver's shutdown" : "cancelled", before);
    return true;
}

/* The first line of gr's stdout, without its newline, into buf.  False
 * when there is none. */
static bool first_line(const git_run_result_t *gr, char *buf, size_t size)
{
    if (gr->out == NULL || gr->out_len == 0)
        return false;
    size_t len = strcspn(gr->out, "\n");
    if (len == 0 || len >= size)
        return false;
    memcpy(buf, gr->out, len);
    buf[len] = '\0';
    return true;
}

/* Runs a command whose answer is one line (a commit id, a config value).
 * Returns true with the line in buf; false with *gr describing why. */
static bool job_git_line(git_job_t *job, run_mode_t mode, git_run_result_t *gr,
                         char *buf, size_t size, const char *const *args)
{
    bool ok = job_git(job, mode, GIT_UPDATE_SMALL_OUTPUT, gr, args);
    if (ok && !first_line(gr, buf, size))
        ok = false;
    return ok;
}

/* Where HEAD is now, into buf (GIT_UPDATE_OID_SIZE); false if unknown. */
static bool job_head(git_job_t *job, run_mode_t mode, char *buf)
{
    git_run_result_t gr;
    const char *args[] = { "rev-parse", "--verify", "-q", "HEAD^{commit}", NULL };
    bool ok = job_git_line(job, mode, &gr, buf, GIT_UPDATE_OID_SIZE, args);
    git_run_result_free(&gr);
    return ok;
}

/* Appends up to three lines of `git status --porcelain` output to the
 * reason: "M rooms/a.c, M rooms/b.c (and 4 more)". */
static void append_status_lines(git_update_result_t *r, const char *out)
{
    size_t shown = 0, total = 0;
    for (const char *s = out; *s != '\0';) {
        size_t len = strcspn(s, "\n");
        if (len > 0) {
            if (shown < 3) {
                const char *entry = s;
                size_t elen = len;
                while (elen > 0 && *entry == ' ') {     /* " M path" -> "M path" */
                    entry++;
                    elen--;
                }
                reason_append(r, "%s%.*s", shown > 0 ? ", " : "", (int)elen, entry);
                shown++;
            }
            total++;
        }
        s += len + (s[len] == '\n');
    }
    if (total > shown)
        reason_append(r, " (and %zu more)", total - shown);
}

/* Local changes to tracked files, as `git status --porcelain` lists them
 * (untracked files are not changes: see docs/manual/git-update.md).
 * Returns 1 clean, 0 dirty (out holds the list, caller frees with gr),
 * -1 the command failed (gr says why). */
static int job_tree_clean(git_job_t *job, run_mode_t mode, git_run_result_t *gr)
{
    const char *args[] = { "status", "--porcelain", "--untracked-files=no", NULL };
    if (!job_git(job, mode, GIT_UPDATE_SMALL_OUTPUT, gr, args))
        return -1;
    return gr->out_len == 0 ? 1 : 0;
}

/* Adds GIT_SSH_COMMAND to the environment unless the operator chose how
 * ssh runs (GIT_SSH_COMMAND, GIT_SSH, or core.sshCommand in git's
 * config, which GIT_SSH_COMMAND would override). */
static void job_choose_ssh(git_job_t *job)
{
    if (job->env_has_ssh)
        return;
    git_run_result_t gr;
    const char *args[] = { "config", "--get", "core.sshCommand", NULL };
    bool configured = job_git(job, RUN_QUIET, GIT_UPDATE_SMALL_OUTPUT, &gr, args);
    git_run_result_free(&gr);
    if (configured)
        return;
    size_t n = 0;
    while (job->envp[n] != NULL)
        n++;
    /* The spare slot build_env left; the string is static. */
    job->envp[n] = git_update_ssh_entry;
    job->envp[n + 1] = NULL;
    job->env_has_ssh = true;
}

/* Reads the change list of `git diff --name-status -z` into r: the
 * output buffer becomes r->paths_, the changes point into it. */
static void parse_changes(git_update_result_t *r, git_run_result_t *gr)
{
    const char *out = gr->out;
    size_t len = gr->out_len;
    size_t fields = 0;
    for (size_t i = 0; i < len; i++)
        fields += out[i] == '\0';
    r->changes = calloc(fields / 2 + 1, sizeof *r->changes);
    if (r->changes == NULL) {
        r->changes_complete = false;
        return;
    }
    size_t i = 0, count = 0;
    while (i < len) {
        const char *status = out + i;
        i += strlen(status) + 1;
        if (i >= len)
            break;
        const char *path = out + i;
        i += strlen(path) + 1;
        char c = status[0];
        if (c != 'A' && c != 'D')
            c = 'M';                    /* M, T (type change), anything else */
        r->changes[count].status = c;
        r->changes[count].path = path;
        count++;
    }
    r->change_count = count;
    r->paths_ = gr->out;                /* ownership moves to the result */
    gr->out = NULL;
}

/* ================================================== worker: the update */

/* Fills the remote and branch: the config's, else the upstream's.
 * Returns GIT_UPDATE_OK or the failure (reason set). */
static git_update_status_t job_find_source(git_job_t *job, git_update_result_t *r,
                                           char *branch_ref, size_t ref_size)
{
    char local[256] = "";
    char key[300];
    char remote[sizeof r->remote];
    git_run_result_t gr;

    copy_field(remote, sizeof remote, job->cfg_remote);
    copy_field(branch_ref, ref_size, job->cfg_branch);
    if (remote[0] == '\0' || branch_ref[0] == '\0') {
        const char *sym[] = { "symbolic-ref", "-q", "--short", "HEAD", NULL };
        bool ok = job_git_line(job, RUN_QUIET, &gr, local, sizeof local, sym);
        if (!ok && gr.outcome != GIT_RUN_EXITED) {
            git_update_status_t st = job_failure(job, r, "git symbolic-ref", &gr,
                                                 GIT_UPDATE_ERROR);
            git_run_result_free(&gr);
            return st;
        }
        git_run_result_free(&gr);
        if (!ok) {
            reason_set(r, "HEAD is detached, so there is no upstream to update "
                       "from: set 'git remote' and 'git branch' in the config");
            return GIT_UPDATE_NO_UPSTREAM;
        }
    }
    if (remote[0] == '\0') {
        snprintf(key, sizeof key, "branch.%s.remote", local);
        const char *args[] = { "config", "--get", key, NULL };
        bool ok = job_git_line(job, RUN_QUIET, &gr, remote, sizeof remote, args);
        git_run_result_free(&gr);
        if (!ok) {
            reason_set(r, "branch '%s' has no upstream: set one (git branch -u "
                       "REMOTE/BRANCH) or 'git remote' and 'git branch' in the config",
                       local);
            return GIT_UPDATE_NO_UPSTREAM;
        }
    }
    if (branch_ref[0] == '\0') {
        snprintf(key, sizeof key, "branch.%s.merge", local);
        const char *args[] = { "config", "--get", key, NULL };
        bool ok = job_git_line(job, RUN_QUIET, &gr, branch_ref, ref_size, args);
        git_run_result_free(&gr);
        if (!ok) {
            reason_set(r, "branch '%s' has no upstream branch: set one (git branch "
                       "-u REMOTE/BRANCH) or 'git branch' in the config", local);
            return GIT_UPDATE_NO_UPSTREAM;
        }
    }
    /* An argument starting with '-' would be read as an option. */
    if (remote[0] == '-' || branch_ref[0] == '-') {
        reason_set(r, "refusing remote '%s' / branch '%s': a name may not start "
                   "with '-'", remote, branch_ref);
        return GIT_UPDATE_NO_UPSTREAM;
    }
    copy_field(r->remote, sizeof r->remote, remote);
    const char *shown = branch_ref;
    if (strncmp(shown, "refs/heads/", 11) == 0)
        shown += 11;
    copy_field(r->branch, sizeof r->branch, shown);
    return GIT_UPDATE_OK;
}

/* After a failed fast-forward: proves the mudlib is as it was, or says it
 * is not.  `failed` is the status the failure itself deserves (its reason
 * is already set).  Returns the final status; GIT_UPDATE_OK when the
 * fast-forward did complete after all (HEAD at NEW, tree clean). */
static git_update_status_t job_verify_after_merge(git_job_t *job, git_update_result_t *r,
                                                  const char *new_oid,
                                                  git_update_status_t failed)
{
    char head[GIT_UPDATE_OID_SIZE];
    git_run_result_t gr;
    bool head_known = job_head(job, RUN_CRITICAL, head);
    int clean = job_tree_clean(job, RUN_CRITICAL, &gr);
    if (head_known && clean == 1 && strcmp(head, r->old_commit) == 0) {
        git_run_result_free(&gr);
        reason_append(r, "; the mudlib is unchanged (HEAD and status verified)");
        return failed;
    }
    if (head_known && clean == 1 && strcmp(head, new_oid) == 0) {
        git_run_result_free(&gr);
        r->reason[0] = '\0';
        return GIT_UPDATE_OK;           /* it finished before it was stopped */
    }
    char old_short[16];
    reason_append(r, "; THE MUDLIB IS NOT AS BEFORE: HEAD is %s, ",
                  head_known ? head : "unreadable");
    if (clean == 0) {
        reason_append(r, "local changes: ");
        append_status_lines(r, gr.out);
    } else {
        reason_append(r, clean == 1 ? "no local changes" : "status unreadable");
    }
    reason_append(r, "; repair by hand (git status; git reset --hard %s)",
                  short_id(r->old_commit, old_short));
    git_run_result_free(&gr);
    return GIT_UPDATE_ERROR;
}

static git_update_status_t run_update(git_job_t *job, git_update_result_t *r)
{
    git_run_result_t gr;
    char line[256];
    char branch_ref[256];
    char new_oid[GIT_UPDATE_OID_SIZE];
    char a[16], b[16];
    git_update_status_t st;

    /* 1. A work tree with a commit. */
    job_step(job, GIT_UPDATE_STEP_CHECKING, "Checking the work tree");
    {
        const char *args[] = { "rev-parse", "--is-inside-work-tree", NULL };
        bool ok = job_git_line(job, RUN_QUIET, &gr, line, sizeof line, args);
        if (!ok || strcmp(line, "true") != 0) {
            if (gr.outcome != GIT_RUN_EXITED) {
                st = job_failure(job, r, "git rev-parse", &gr, GIT_UPDATE_ERROR);
            } else {
                char msg[300];
                summarize_stderr(gr.err_tail, msg, sizeof msg);
                reason_set(r, "the mudlib directory %s is not in a git work tree (%s)",
                           job->mudlib_dir, ok ? "it is inside a .git directory" : msg);
                st = GIT_UPDATE_NOT_A_REPOSITORY;
            }
            git_run_result_free(&gr);
            return st;
        }
        git_run_result_free(&gr);
    }
    if (!job_head(job, RUN_QUIET, r->old_commit)) {
        reason_set(r, "the git work tree at %s has no commit to update from",
                   job->mudlib_dir);
        return GIT_UPDATE_NOT_A_REPOSITORY;
    }
    copy_field(r->new_commit, sizeof r->new_commit, r->old_commit);

    /* 2. Where from. */
    st = job_find_source(job, r, branch_ref, sizeof branch_ref);
    if (st != GIT_UPDATE_OK)
        return st;
    job_choose_ssh(job);

    /* 3. No local changes. */
    int clean = job_tree_clean(job, RUN_QUIET, &gr);
    if (clean != 1) {
        if (clean == 0) {
            reason_set(r, "work tree has local changes: ");
            append_status_lines(r, gr.out);
            reason_append(r, "; commit or discard them first");
            st = GIT_UPDATE_DIRTY;
        } else {
            st = job_failure(job, r, "git status", &gr, GIT_UPDATE_ERROR);
        }
        git_run_result_free(&gr);
        return st;
    }
    git_run_result_free(&gr);
    if (job_stopping(job, r, "git fetch"))
        return GIT_UPDATE_STOPPED;

    /* 4. Fetch. */
    job_step(job, GIT_UPDATE_STEP_FETCHING, "Fetching %s %s", r->remote, r->branch);
    {
        const char *args[] = { "fetch", "--progress", "--", r->remote, branch_ref, NULL };
        char what[400];
        snprintf(what, sizeof what, "git fetch %s %s", r->remote, r->branch);
        if (!job_git(job, RUN_PROGRESS, GIT_UPDATE_SMALL_OUTPUT, &gr, args)) {
            st = job_failure(job, r, what, &gr, GIT_UPDATE_FETCH_FAILED);
            git_run_result_free(&gr);
            reason_append(r, "; the mudlib is unchanged");
            return st;
        }
        git_run_result_free(&gr);
    }
    {
        const char *args[] = { "rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}", NULL };
        bool ok = job_git_line(job, RUN_QUIET, &gr, new_oid, sizeof new_oid, args);
        if (!ok) {
            st = job_failure(job, r, "git rev-parse FETCH_HEAD", &gr, GIT_UPDATE_ERROR);
            git_run_result_free(&gr);
            reason_append(r, "; the mudlib is unchanged");
            return st;
        }
        git_run_result_free(&gr);
    }

    /* 5. Fast-forward only. */
    if (strcmp(new_oid, r->old_commit) == 0) {
        reason_set(r, "already up to date with %s/%s (%s)", r->remote, r->branch,
                   short_id(r->old_commit, a));
        return GIT_UPDATE_UP_TO_DATE;
    }
    {
        const char *fwd[] = { "merge-base", "--is-ancestor", r->old_commit, new_oid, NULL };
        const char *back[] = { "merge-base", "--is-ancestor", new_oid, r->old_commit, NULL };
        bool descends = job_git(job, RUN_QUIET, GIT_UPDATE_SMALL_OUTPUT, &gr, fwd);
        if (!descends && !(gr.outcome == GIT_RUN_EXITED && gr.exit_status == 1)) {
            st = job_failure(job, r, "git merge-base", &gr, GIT_UPDATE_ERROR);
            git_run_result_free(&gr);
            reason_append(r, "; the mudlib is unchanged");
            return st;
        }
        git_run_result_free(&gr);
        if (!descends) {
            bool ahead = job_git(job, RUN_QUIET, GIT_UPDATE_SMALL_OUTPUT, &gr, back);
            bool known = ahead || (gr.outcome == GIT_RUN_EXITED && gr.exit_status == 1);
            if (!known) {
                st = job_failure(job, r, "git merge-base", &gr, GIT_UPDATE_ERROR);
                git_run_result_free(&gr);
                reason_append(r, "; the mudlib is unchanged");
                return st;
            }
            git_run_result_free(&gr);
            if (ahead) {
                reason_set(r, "already up to date: the checkout (%s) is ahead of "
                           "%s/%s (%s)", short_id(r->old_commit, a), r->remote,
                           r->branch, short_id(new_oid, b));
                return GIT_UPDATE_UP_TO_DATE;
            }
            reason_set(r, "local history has diverged from %s/%s; not updating",
                       r->remote, r->branch);
            return GIT_UPDATE_DIVERGED;
        }
    }
    if (job_stopping(job, r, "the fast-forward; the mudlib is unchanged"))
        return GIT_UPDATE_STOPPED;

    /* 6. The fast-forward: from here a stop waits for git (RUN_CRITICAL). */
    job_step(job, GIT_UPDATE_STEP_MERGING, "Fast-forwarding %s..%s",
             short_id(r->old_commit, a), short_id(new_oid, b));
    {
        const char *args[] = { "merge", "--ff-only", "--no-stat", "--progress",
                               new_oid, NULL };
        bool ok = job_git(job, RUN_CRITICAL, GIT_UPDATE_SMALL_OUTPUT, &gr, args);
        char head[GIT_UPDATE_OID_SIZE];
        if (!ok || !job_head(job, RUN_CRITICAL, head) || strcmp(head, new_oid) != 0) {
            st = ok ? GIT_UPDATE_MERGE_FAILED
                    : job_failure(job, r, "git merge --ff-only", &gr, GIT_UPDATE_MERGE_FAILED);
            if (ok)
                reason_set(r, "git merge --ff-only succeeded but HEAD is not at %s",
                           short_id(new_oid, b));
            git_run_result_free(&gr);
            st = job_verify_after_merge(job, r, new_oid, st);
            if (st != GIT_UPDATE_OK)
                return st;
        } else {
            git_run_result_free(&gr);
        }
    }
    copy_field(r->new_commit, sizeof r->new_commit, new_oid);

    /* 7. What changed, relative to the mudlib directory. */
    r->changes_complete = true;
    {
        const char *args[] = { "diff", "--name-status", "--no-renames", "--relative",
                               "-z", r->old_commit, new_oid, NULL };
        bool ok = job_git(job, RUN_CRITICAL, GIT_UPDATE_LIST_OUTPUT, &gr, args);
        if (ok && !gr.out_truncated)
            parse_changes(r, &gr);
        else
            r->changes_complete = false;
        git_run_result_free(&gr);
    }
    size_t added = 0, modified = 0, deleted = 0;
    for (size_t i = 0; i < r->change_count; i++) {
        added += r->changes[i].status == 'A';
        modified += r->changes[i].status == 'M';
        deleted += r->changes[i].status == 'D';
    }
    reason_set(r, "updated from %s/%s: %s..%s, %zu file%s changed (%zu added, "
               "%zu modified, %zu deleted)", r->remote, r->branch,
               short_id(r->old_commit, a), short_id(new_oid, b), r->change_count,
               r->change_count == 1 ? "" : "s", added, modified, deleted);
    if (!r->changes_complete)
        reason_append(r, "; the list of changed files could not be read in full");
    return GIT_UPDATE_OK;
}

/* ============================================================ the job */

static void job_free(git_job_t *job)
{
    if (job == NULL)
        return;
    free(job->mudlib_dir);
    free(job->cfg_remote);
    free(job->cfg_branch);
    if (job->envp != NULL) {
        for (size_t i = 0; job->envp[i] != NULL; i++)
            if (job->envp[i] != git_update_ssh_entry)
                free(job->envp[i]);
        free(job->envp);
    }
    if (job->progress != NULL)
        async_queue_destroy(job->progress);
    git_run_cancel_destroy(&job->cancel);
    git_update_result_free(job->result);
    port_mutex_destroy(&job->lock);
    free(job);
}

/* The worker: runs the update, posts the end, hands the job back. */
static void *job_main(void *arg)
{
    git_job_t *job = arg;
    git_update_result_t *r = job->result;
    job->deadline_ns = port_deadline_after_ms((int64_t)job->timeout_s * 1000);
    r->status = run_update(job, r);
    r->duration_ms = (port_clock_now_ns() - job->started_ns) / PORT_NS_PER_MS;
    /* relaxed: diagnostic only */
    atomic_store_explicit(&job->step, GIT_UPDATE_STEP_FINISHING, memory_order_relaxed);

    port_mutex_lock(&job->lock);
    if (!job->abandoned &&
        async_runtime_post_completion(job->runtime, BACKEND_KEY_GIT_DONE, job->id) != 0)
        log_error("git update: cannot tell the main loop the update ended: %s; "
                  "it is collected at shutdown", strerror(errno));
    bool free_it = job->abandoned;
    job->worker_done = true;
    port_mutex_unlock(&job->lock);
    if (free_it)
        job_free(job);
    return NULL;
}

static bool env_name_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/*
** The environment for git: the driver's, minus what the module sets, plus
**   LC_ALL=C               messages in English, as the parser expects;
**   GIT_TERMINAL_PROMPT=0  never ask for a user name or password;
**   GCM_INTERACTIVE=never  nor through Git Credential Manager;
**   GIT_OPTIONAL_LOCKS=0   git status does not rewrite the index;
**   TERM=dumb              progress lines without terminal escapes;
** and one spare slot for GIT_SSH_COMMAND (job_choose_ssh).  Main thread:
** the environment is read here, never on the worker.  The strings are
** copies.
*/
static char **build_env(bool *has_ssh)
{
    static const char *const replaced[] = {
        "LC_ALL", "LANGUAGE", "GIT_TERMINAL_PROMPT", "GCM_INTERACTIVE",
        "GIT_OPTIONAL_LOCKS", "TERM"
    };
    static const char *const added[] = {
        "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never",
        "GIT_OPTIONAL_LOCKS=0", "TERM=dumb"
    };
    const size_t n_added = sizeof added / sizeof added[0];
    char **current = git_run_env_copy();
    if (current == NULL)
        return NULL;
    size_t count = 0;
    while (current[count] != NULL)
        count++;
    char **env = calloc(count + n_added + 2, sizeof *env);
    if (env == NULL) {
        git_run_env_free(current);
        return NULL;
    }
    *has_ssh = false;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char *e = current[i];
        current[i] = NULL;              /* moved to env, or freed */
        bool skip = false;
        for (size_t k = 0; k < sizeof replaced / sizeof replaced[0]; k++)
            skip = skip || env_name_is(e, replaced[k]);
        if (skip) {
            free(e);
            continue;
        }
        if (env_name_is(e, "GIT_SSH_COMMAND") || env_name_is(e, "GIT_SSH"))
            *has_ssh = true;
        env[n++] = e;
    }
    free(current);                      /* every string moved or freed */
    for (size_t k = 0; k < n_added; k++)
        if ((env[n++] = strdup(added[k])) == NULL)
            goto fail;
    env[n] = NULL;                      /* env[n + 1]: the spare slot */
    return env;
fail:
    for (size_t i = 0; i < n; i++)
        free(env[i]);
    free(env);
    return NULL;
}

/* Everything the worker needs, made on the main thread.  NULL after
 * logging why. */
static git_job_t *job_create(const git_update_request_t *request)
{
    git_job_t *job = calloc(1, sizeof *job);
    if (job == NULL) {
        log_error("git update: out of memory");
        return NULL;
    }
    if (port_mutex_init(&job->lock) != 0) {
        free(job);
        log_error("git update: cannot create a mutex");
        return NULL;
    }
    job->id = ++gu.next_id;
    if (job->id == 0)
        job->id = ++gu.next_id;         /* 0 is never a job */
    copy_field(job->requester, sizeof job->requester,
               request->requester != NULL ? request->requester : "unknown");
    job->request = *request;
    job->request.requester = NULL;      /* not kept: job->requester is the copy */
    job->timeout_s = gu.timeout_s;
    job->started_ns = port_clock_now_ns();
    job->runtime = backend_runtime();
    job->mudlib_dir = strdup(gu.mudlib_dir);
    job->cfg_remote = gu.remote != NULL ? strdup(gu.remote) : NULL;
    job->cfg_branch = gu.branch != NULL ? strdup(gu.branch) : NULL;
    job->envp = build_env(&job->env_has_ssh);
    job->progress = async_queue_create(GIT_UPDATE_QUEUE_CAPACITY,
                                       sizeof(git_update_progress_t),
                                       ASYNC_QUEUE_DROP_OLDEST);
    job->result = calloc(1, sizeof *job->result);
    if (job->mudlib_dir == NULL || (gu.remote != NULL && job->cfg_remote == NULL) ||
        (gu.branch != NULL && job->cfg_branch == NULL) || job->envp == NULL ||
        job->progress == NULL || job->result == NULL || job->runtime == NULL) {
        log_error("git update: out of memory (or the backend is not running)");
        job_free(job);
        return NULL;
    }
    copy_field(job->result->requester, sizeof job->result->requester, job->requester);
    int rc = git_run_cancel_init(&job->cancel);
    if (rc != 0) {
        log_error("git update: cannot create the stop doorbell: %s", strerror(rc));
        job_free(job);
        return NULL;
    }
    return job;
}

/* Main thread: asks the job's worker (and git) to stop.  The first cause
 * given is the one reported. */
static void job_request_stop(git_job_t *job, stop_cause_t cause)
{
    int expected = STOP_NONE;
    /* release: the worker's acquire load after it sees the stop reads
     * this cause (relaxed on failure: a cause is already set) */
    atomic_compare_exchange_strong_explicit(&job->stop_cause, &expected, (int)cause,
                                            memory_order_release, memory_order_relaxed);
    async_worker_signal_stop(job->worker);
    git_run_cancel_set(&job->cancel);
}

/* Main thread: passes queued progress messages to the requester. */
static void job_deliver_progress(git_job_t *job)
{
    git_update_progress_t p;
    size_t size;
    while (async_queue_dequeue(job->progress, &p, sizeof p, &size)) {
        if (size != sizeof p)
            continue;
        char text[160];
        log_debug("git update: %s", git_update_format_progress(&p, text, sizeof text));
        if (job->request.on_progress != NULL)
            job->request.on_progress(&p, job->request.ctx);
    }
}

/* Logs how an update ended: success at info, "up to date" at info (debug
 * for the timer, which says it every interval), failures as warnings. */
static void log_result(const git_update_result_t *r)
{
    if (r->status == GIT_UPDATE_OK)
        log_info("git update (%s): %s", r->requester, r->reason);
    else if (r->status == GIT_UPDATE_UP_TO_DATE && strcmp(r->requester, "timer") == 0)
        log_debug("git update (%s): %s", r->requester, r->reason);
    else if (r->status == GIT_UPDATE_UP_TO_DATE)
        log_info("git update (%s): %s", r->requester, r->reason);
    else
        log_warn("git update (%s): %s: %s", r->requester,
                 git_update_status_str(r->status), r->reason);
}

/*
** Main thread: ends the running job - joins the worker (at most
** GIT_UPDATE_JOIN_TIMEOUT_MS; it has posted DONE or been told to stop),
** delivers the last progress, runs the reload hook and hands the result
** to the requester.  The module is idle (gu.job NULL) before any
** callback runs, so on_done may start the next update.
*/
static void job_finish(git_job_t *job)
{
    git_update_request_t req = job->request;
    git_update_result_t *result = NULL;
    char requester[sizeof job->requester];
    copy_field(requester, sizeof requester, job->requester);
    async_worker_t *worker = job->worker;   /* the job may change hands below */

    bool joined = async_worker_join(worker, GIT_UPDATE_JOIN_TIMEOUT_MS);
    long pid = 0;
    if (!joined) {
        /* relaxed: diagnostic; read before the job may change hands */
        pid = (long)atomic_load_explicit(&job->git_pid, memory_order_relaxed);
        port_mutex_lock(&job->lock);
        bool done = job->worker_done;
        if (!done)
            job->abandoned = true;
        port_mutex_unlock(&job->lock);
        if (done)
            joined = async_worker_join(worker, -1);  /* it is returning */
    }
    if (!joined) {
        /* The worker now owns the job and frees it; the requester still
         * gets its one on_done. */
        log_error("git update: the worker did not stop within %d ms (git pid %ld); "
                  "leaving it behind", GIT_UPDATE_JOIN_TIMEOUT_MS, pid);
        async_worker_destroy(worker);       /* detaches: the thread ends on its own */
        gu.job = NULL;
        result = calloc(1, sizeof *result);
        if (result != NULL) {
            result->status = GIT_UPDATE_STOPPED;
            copy_field(result->requester, sizeof result->requester, requester);
            reason_set(result, "the update did not stop within %d ms and was "
                       "left running (git pid %ld)", GIT_UPDATE_JOIN_TIMEOUT_MS, pid);
        }
    } else {
        async_worker_destroy(worker);
        job->worker = NULL;
        job_deliver_progress(job);
        result = job->result;
        job->result = NULL;
        gu.job = NULL;
        job_free(job);
    }
    if (result == NULL) {
        log_error("git update: out of memory reporting the result");
        return;
    }
    gu.last_status = result->status;
    log_result(result);
    if (result->status == GIT_UPDATE_OK && gu.reload != NULL && !gu.shutting_down)
        gu.reload(result, gu.reload_ctx);
    else if (result->status == GIT_UPDATE_OK && gu.shutting_down)
        log_info("git update: not reloading during shutdown; the next start "
                 "loads the new files");
    if (req.on_done != NULL)
        req.on_done(result, req.ctx);       /* it owns result now */
    else
        git_update_result_free(result);
}

/* ============================================================ main thread */

static void on_progress_completion(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key;
    (void)ctx;
    if (gu.job != NULL && gu.job->id == value)
        job_deliver_progress(gu.job);
}

static void on_done_completion(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key;
    (void)ctx;
    if (gu.job != NULL && gu.job->id == value)
        job_finish(gu.job);
}

static void on_shutdown(void *ctx)
{
    (void)ctx;
    gu.shutting_down = true;
    if (gu.timer != NULL) {
        backend_timer_cancel(gu.timer);
        gu.timer = NULL;
    }
    if (gu.job != NULL) {
        log_info("git update: stopping the running update");
        job_request_stop(gu.job, STOP_SHUTDOWN);
        job_finish(gu.job);
    }
    backend_unregister_completion(BACKEND_KEY_GIT);
    backend_unregister_completion(BACKEND_KEY_GIT_DONE);
    gu.hooks_registered = false;
}

static void on_timer(void *ctx)
{
    (void)ctx;
    if (gu.job != NULL) {
        log_debug("git update: periodic update skipped: one is still running");
        return;
    }
    git_update_request_t req = { "timer", NULL, NULL, NULL };
    git_update_start(&req);
}

int git_update_init(const driver_config_t *cfg)
{
    if (gu.job != NULL) {
        log_error("git update: init while an update is running");
        return -1;
    }
    free(gu.mudlib_dir);
    free(gu.remote);
    free(gu.branch);
    git_update_reload_fn reload = gu.reload;
    void *reload_ctx = gu.reload_ctx;
    memset(&gu, 0, sizeof gu);
    gu.reload = reload;
    gu.reload_ctx = reload_ctx;
    gu.last_status = GIT_UPDATE_STARTED;
    gu.initialised = true;
    gu.enabled = cfg->git_update;
    gu.interval_s = cfg->git_update_interval;
    gu.timeout_s = cfg->git_timeout > 0 ? cfg->git_timeout : 120;
    if (!gu.enabled) {
        log_debug("git update: off");
        return 0;
    }
    gu.mudlib_dir = strdup(cfg->mudlib_dir);
    gu.remote = cfg->git_remote != NULL ? strdup(cfg->git_remote) : NULL;
    gu.branch = cfg->git_branch != NULL ? strdup(cfg->git_branch) : NULL;
    if (gu.mudlib_dir == NULL || (cfg->git_remote != NULL && gu.remote == NULL) ||
        (cfg->git_branch != NULL && gu.branch == NULL)) {
        log_error("git update: out of memory");
        gu.enabled = false;
        return -1;
    }
    if (backend_register_completion(BACKEND_KEY_GIT, on_progress_completion, NULL) != 0 ||
        backend_register_completion(BACKEND_KEY_GIT_DONE, on_done_completion, NULL) != 0) {
        log_error("git update: completion keys %d/%d are taken",
                  BACKEND_KEY_GIT, BACKEND_KEY_GIT_DONE);
        backend_unregister_completion(BACKEND_KEY_GIT);
        gu.enabled = false;
        return -1;
    }
    if (backend_add_shutdown_hook(on_shutdown, NULL) != 0) {
        log_error("git update: out of memory");
        backend_unregister_completion(BACKEND_KEY_GIT);
        backend_unregister_completion(BACKEND_KEY_GIT_DONE);
        gu.enabled = false;
        return -1;
    }
    gu.hooks_registered = true;
    if (gu.interval_s > 0) {
        double ms = (double)gu.interval_s * 1000.0;
        gu.timer = backend_timer_add(ms, ms, on_timer, NULL);
        if (gu.timer == NULL) {
            log_error("git update: out of memory");
            return -1;
        }
    }
    log_info("git update: on (%s%s%s%s; %s; timeout %d s)",
             gu.remote != NULL ? "remote " : "upstream",
             gu.remote != NULL ? gu.remote : "",
             gu.branch != NULL ? " branch " : "",
             gu.branch != NULL ? gu.branch : "",
             gu.interval_s > 0 ? "periodic" : "on demand only", gu.timeout_s);
    if (gu.interval_s > 0)
        log_info("git update: every %d s", gu.interval_s);
    return 0;
}

git_update_status_t git_update_start(const git_update_request_t *request)
{
    if (!gu.initialised || !gu.enabled)
        return GIT_UPDATE_DISABLED;
    if (gu.shutting_down || backend_shutdown_requested())
        return GIT_UPDATE_SHUTTING_DOWN;
    if (gu.job != NULL)
        return GIT_UPDATE_BUSY;
    git_update_request_t none = { NULL, NULL, NULL, NULL };
    git_job_t *job = job_create(request != NULL ? request : &none);
    if (job == NULL)
        return GIT_UPDATE_ERROR;
    /* Everything the worker reads is written above: thread creation
     * orders it before the worker's first instruction. */
    job->worker = async_worker_create(job_main, job, 0);
    if (job->worker == NULL) {
        log_error("git update: cannot start a worker thread");
        job_free(job);
        return GIT_UPDATE_ERROR;
    }
    gu.job = job;
    log_info("git update: started (requested by %s)", job->requester);
    return GIT_UPDATE_STARTED;
}

bool git_update_cancel(void)
{
    if (gu.job == NULL)
        return false;
    log_info("git update: cancelling the running update");
    job_request_stop(gu.job, STOP_CANCEL);
    return true;
}

void git_update_set_reload_hook(git_update_reload_fn fn, void *ctx)
{
    gu.reload = fn;
    gu.reload_ctx = fn != NULL ? ctx : NULL;
}

void git_update_get_info(git_update_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->enabled = gu.initialised && gu.enabled;
    info->interval_s = gu.interval_s;
    info->last_status = gu.last_status;
    git_job_t *job = gu.job;
    if (job == NULL)
        return;
    info->running = true;
    /* relaxed: snapshots for display */
    info->step = (git_update_step_t)atomic_load_explicit(&job->step, memory_order_relaxed);
    info->git_pid = atomic_load_explicit(&job->git_pid, memory_order_relaxed);
    copy_field(info->requester, sizeof info->requester, job->requester);
    info->running_ms = (port_clock_now_ns() - job->started_ns) / PORT_NS_PER_MS;
}
