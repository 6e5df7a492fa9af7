/*
 * git_update.h - update the mudlib from its git remote, in the background.
 *
 * An update is one run of an async_worker that drives the git CLI in the
 * mudlib directory:
 *
 *   1. the mudlib directory must be inside a git work tree with a commit;
 *   2. remote and branch: "git remote" / "git branch" from the config, or
 *      the checked-out branch's upstream (branch.<name>.remote / .merge);
 *   3. no local changes to tracked files (git status --porcelain
 *      --untracked-files=no): otherwise "work tree has local changes: ...";
 *   4. git fetch --progress REMOTE BRANCH, its progress lines parsed and
 *      passed on (see git_update_progress_t);
 *   5. fast-forward only: the fetched commit must descend from HEAD
 *      (git merge-base --is-ancestor), otherwise "local history has
 *      diverged from REMOTE/BRANCH; not updating";
 *   6. git merge --ff-only on the fetched commit; on failure HEAD and the
 *      status are compared with step 3 to prove nothing changed;
 *   7. git diff --name-status OLD NEW: the changed paths, relative to the
 *      mudlib directory, each Added, Modified or Deleted.
 * Every failure leaves the mudlib as it was and says why in the result.
 * The whole update runs under the "git timeout".  Git never waits for a
 * password: GIT_TERMINAL_PROMPT=0, and ssh in batch mode unless the
 * operator configured an ssh command.  docs/manual/git-update.md has the
 * details and the reasons.
 *
 * Threads.  Everything in this header is for the main thread (the one
 * running backend_run).  Results come back through the backend's
 * completion keys BACKEND_KEY_GIT (progress) and BACKEND_KEY_GIT_DONE
 * (the end), so every callback below runs on the main thread, between
 * two events of the loop, and may do anything the main thread may do -
 * including starting the next update from a done callback.
 *
 * One update at a time: a request while one runs gets GIT_UPDATE_BUSY.
 */
#ifndef NEOLITH_GIT_UPDATE_H
#define NEOLITH_GIT_UPDATE_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long the shutdown hook waits for a running update to stop.  Git is
 * terminated at once (fetch) or after GIT_UPDATE_MERGE_GRACE_MS (a merge
 * is let finish rather than cut in half), then killed after
 * GIT_RUN_KILL_GRACE_MS; this leaves room for both. */
#define GIT_UPDATE_JOIN_TIMEOUT_MS 5000
#define GIT_UPDATE_MERGE_GRACE_MS  2000

/* Progress messages: at most one per this many ms within a phase (the
 * first message of a phase, its 100% and its "done" always pass). */
#define GIT_UPDATE_PROGRESS_INTERVAL_MS 100

/* Longest hexadecimal commit id (SHA-256) plus the NUL. */
#define GIT_UPDATE_OID_SIZE 65
#define GIT_UPDATE_REASON_SIZE 512

typedef enum git_update_status {
    /* git_update_start only */
    GIT_UPDATE_STARTED = 0,     /* the update runs; its callbacks will follow */
    GIT_UPDATE_BUSY,            /* "an update is already running" */
    GIT_UPDATE_DISABLED,        /* "git update" is off, or git_update_init
                                   was not called */
    GIT_UPDATE_SHUTTING_DOWN,   /* the driver is shutting down */
    /* results */
    GIT_UPDATE_OK,              /* fast-forwarded: the mudlib changed */
    GIT_UPDATE_UP_TO_DATE,      /* nothing to do */
    GIT_UPDATE_NOT_A_REPOSITORY,
    GIT_UPDATE_NO_UPSTREAM,     /* no remote/branch configured or tracked */
    GIT_UPDATE_DIRTY,           /* tracked files have local changes */
    GIT_UPDATE_FETCH_FAILED,    /* network, bad URL, unknown branch, ... */
    GIT_UPDATE_DIVERGED,
    GIT_UPDATE_MERGE_FAILED,    /* the fast-forward failed; nothing changed */
    GIT_UPDATE_TIMEOUT,         /* "git timeout" passed; git was stopped */
    GIT_UPDATE_KILLED,          /* git died of a signal nobody here sent */
    GIT_UPDATE_STOPPED,         /* cancelled, or the driver shut down */
    GIT_UPDATE_ERROR            /* git could not be run, out of memory, or
                                   the work tree is not as expected */
} git_update_status_t;

/* Static text: "an update is already running", "already up to date", ... */
const char *git_update_status_str(git_update_status_t status);

/* ---- progress ------------------------------------------------------ */

typedef enum git_update_progress_source {
    GIT_UPDATE_PROGRESS_STEP = 0,   /* the module's own step ("Fetching origin master") */
    GIT_UPDATE_PROGRESS_LOCAL,      /* a progress line of the local git */
    GIT_UPDATE_PROGRESS_REMOTE      /* "remote: ..." - the server's git */
} git_update_progress_source_t;

/* One progress message, copied through the module's queue: plain data. */
typedef struct git_update_progress {
    git_update_progress_source_t source;
    char phase[64];         /* "Receiving objects", "Resolving deltas", or
                               the step: "Fetching origin master" */
    int percent;            /* 0-100; -1 when the phase has no percentage
                               ("Enumerating objects: 5, done.", steps) */
    uint64_t current;       /* "(9/20)": 9; for a bare count, the count */
    uint64_t total;         /* "(9/20)": 20; 0 when unknown */
    bool done;              /* the phase ended (", done.") */
} git_update_progress_t;

/* Parses one line of git's stderr ("remote: Counting objects:  45% (9/20)",
 * "Resolving deltas: 100% (3/3), done.", ...; escape sequences and
 * padding are ignored).  Returns true and fills *out (source LOCAL or
 * REMOTE) when it is a progress line, false for anything else (messages,
 * errors).  Any thread; exported for tests. */
bool git_update_parse_progress(const char *line, git_update_progress_t *out);

/* Writes a one-line rendering ("remote: Counting objects: 45% (9/20)",
 * "Resolving deltas: 100% (3/3), done", "Fetching origin master") into
 * buf, truncated to size - 1 characters.  Returns buf.  Any thread. */
char *git_update_format_progress(const git_update_progress_t *p, char *buf,
                                 size_t size);

/* ---- results ------------------------------------------------------- */

typedef struct git_update_change {
    char status;            /* 'A' added, 'M' modified (or type changed),
                               'D' deleted */
    const char *path;       /* relative to the mudlib directory, '/'-separated,
                               no leading '/'; points into the result */
} git_update_change_t;

/*
 * The outcome of one update.  Created by the worker, handed to the main
 * thread when the worker has finished; from then on plain main-thread
 * data.  OWNERSHIP: the done callback receives it and must free it with
 * git_update_result_free (it may keep it as long as it likes first).
 * When the request had no done callback the module frees it.
 */
typedef struct git_update_result {
    git_update_status_t status;
    char reason[GIT_UPDATE_REASON_SIZE];    /* one line for people: what
                                               happened or what failed and why */
    char requester[64];                     /* as given to git_update_start */
    char remote[256];                       /* "" when not determined yet */
    char branch[128];
    char old_commit[GIT_UPDATE_OID_SIZE];   /* HEAD before; "" if unknown */
    char new_commit[GIT_UPDATE_OID_SIZE];   /* HEAD after (= old unless OK) */
    git_update_change_t *changes;           /* status OK: sorted as git lists
                                               them (by path); else NULL */
    size_t change_count;
    bool changes_complete;                  /* false: OK but the list could
                                               not be read in full */
    int64_t duration_ms;
    char *reload_report;                    /* set by the reload hook (malloc'd,
                                               freed with the result); NULL */
    char *paths_;                           /* internal: storage of the paths */
} git_update_result_t;

/* Frees a result and everything it points to.  NULL is ignored. */
void git_update_result_free(git_update_result_t *result);

/* ---- requests ------------------------------------------------------ */

/* Called for each progress message, in order, before on_done. */
typedef void (*git_update_progress_fn)(const git_update_progress_t *progress,
                                       void *ctx);
/* Called exactly once per started update, last; owns result (see above). */
typedef void (*git_update_done_fn)(git_update_result_t *result, void *ctx);

typedef struct git_update_request {
    const char *requester;          /* who asked, for the log and the result
                                       ("admin wizard", "timer", "mcp");
                                       copied; NULL = "unknown" */
    git_update_progress_fn on_progress;  /* may be NULL */
    git_update_done_fn on_done;          /* may be NULL */
    void *ctx;                      /* for both; must stay valid until
                                       on_done has been called */
} git_update_request_t;

/*
 * Reads the "git ..." keys from cfg (copied: cfg may be freed after),
 * registers the completion handlers for BACKEND_KEY_GIT and
 * BACKEND_KEY_GIT_DONE and a shutdown hook, and with "git update: on" and
 * an interval starts the periodic timer.  With "git update: off" nothing
 * is registered and every request is refused with GIT_UPDATE_DISABLED.
 * Call after backend_init, before backend_run.  Returns 0, or -1 after
 * logging why.
 */
int git_update_init(const driver_config_t *cfg);

/*
 * Starts an update for `request` (copied).  Returns GIT_UPDATE_STARTED -
 * then request->on_progress is called zero or more times and
 * request->on_done exactly once, from later turns of the loop (at the
 * latest from the shutdown hook) - or, with no callback ever called:
 * GIT_UPDATE_BUSY, GIT_UPDATE_DISABLED, GIT_UPDATE_SHUTTING_DOWN, or
 * GIT_UPDATE_ERROR (no memory, thread not started; logged).
 */
git_update_status_t git_update_start(const git_update_request_t *request);

/* Asks the running update to stop: git is terminated unless it is in the
 * middle of the fast-forward (which is let finish, up to
 * GIT_UPDATE_MERGE_GRACE_MS), and the update ends with GIT_UPDATE_STOPPED
 * and "cancelled" in the reason, unless it had already succeeded.
 * Returns true if an update was running. */
bool git_update_cancel(void);

/*
 * The reload hook (the LPC runtime installs it).  Called on the main
 * thread for every update that ended GIT_UPDATE_OK, whoever requested it,
 * before the requester's on_done; not during shutdown (the next start
 * loads the new files anyway).  It may set result->reload_report to a
 * malloc'd text.  NULL removes the hook.
 */
typedef void (*git_update_reload_fn)(git_update_result_t *result, void *ctx);
void git_update_set_reload_hook(git_update_reload_fn fn, void *ctx);

/* ---- status -------------------------------------------------------- */

typedef enum git_update_step {
    GIT_UPDATE_STEP_IDLE = 0,
    GIT_UPDATE_STEP_CHECKING,       /* work tree, upstream, local changes */
    GIT_UPDATE_STEP_FETCHING,
    GIT_UPDATE_STEP_MERGING,        /* fast-forward and change list */
    GIT_UPDATE_STEP_FINISHING       /* result posted, worker ending */
} git_update_step_t;

typedef struct git_update_info {
    bool enabled;                   /* "git update: on" and initialised */
    bool running;
    git_update_step_t step;
    char requester[64];             /* of the running update */
    int64_t running_ms;             /* since it started */
    long git_pid;                   /* git process running now; 0 none */
    int interval_s;                 /* "git update interval" */
    git_update_status_t last_status;    /* of the last finished update;
                                           GIT_UPDATE_STARTED if none */
} git_update_info_t;

/* A snapshot for status displays and tests. */
void git_update_get_info(git_update_info_t *info);

/* A ready-made progress callback: logs each message at info level as
 * "git update: Receiving objects: 45% (9/20)".  ctx unused. */
void git_update_log_progress(const git_update_progress_t *progress, void *ctx);

#endif /* NEOLITH_GIT_UPDATE_H */
