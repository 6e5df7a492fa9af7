/*
 * check_git_update.c - src/git_update.c and src/git_run.c against real git.
 *
 * Each test builds scratch repositories under a fresh mkdtemp() folder:
 *   remote.git  a bare repository, the "upstream" (file:// URL);
 *   up          a clone where the tests commit and push upstream changes;
 *   mudlib      a clone: the driver's mudlib directory.
 * Git is configured only through the test process's environment
 * (GIT_CONFIG_GLOBAL=/dev/null, GIT_CONFIG_NOSYSTEM=1, identity
 * variables): nothing global is touched.
 *
 * The module runs under the real backend loop: a test starts an update
 * and runs backend_run(); the done callback requests the shutdown.
 * Nothing sleeps to synchronise.  Failures that need git to hang use a
 * remote helper on PATH, git-remote-slow ("slow::" URLs): it writes
 * "<git pid> <own pid>" into a FIFO the test watches with the backend,
 * then execs `sleep`, so the test acts (kills git, shuts down, asks
 * again) exactly while git fetch is blocked on the network - and knows
 * both pids.  The test process is a child subreaper, so it inherits the
 * helper when git dies and can prove with waitpid that it was killed and
 * that no process is left.
 *
 * Every failure test compares a fingerprint of the mudlib (every file's
 * path, mode and bytes outside .git, plus .git/HEAD, the HEAD commit and
 * the bytes of .git/index) before and after.
 */
#include <config.h>
#include "../src/backend.h"
#include "../src/comm.h"
#include "../src/config.h"
#include "../src/git_run.h"
#include "git_run_test.h"
#include "../src/git_update.h"
#include "port/port_clock.h"
#include "proc_count.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

extern char **environ;

/* ================================================================ fixture */

static char tmp_dir[PATH_MAX];
static char remote_dir[PATH_MAX];   /* tmp/remote.git */
static char remote_url[PATH_MAX + 8];
static char up_dir[PATH_MAX];       /* tmp/up */
static char mud_dir[PATH_MAX];      /* tmp/mudlib */
static char bin_dir[PATH_MAX];      /* tmp/bin: git-remote-slow */
static char fifo_path[PATH_MAX];    /* tmp/slow.fifo */

static driver_config_t cfg;
static bool loop_ran;

/* The descriptors open before an update, with what each refers to: after
 * it, every open descriptor must be one of these (comm's shutdown closes
 * one of its own, so a plain count would not do). */
#define FD_SNAPSHOT_MAX 256
typedef struct fd_snapshot {
    int count;
    int fd[FD_SNAPSHOT_MAX];
    char target[FD_SNAPSHOT_MAX][128];
} fd_snapshot_t;
static fd_snapshot_t fds_at_start;

static void noop_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)conn; (void)line; (void)len; (void)ctx;
}

static const comm_handler_t quiet_handler = { NULL, noop_line, NULL, NULL };

static void fmt_into(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_into(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < size);
}

/* Runs a shell command line; the test fails if it does not exit 0. */
static void sh(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof cmd);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* The first line a shell command prints (static buffer). */
static const char *sh_line(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static const char *sh_line(const char *fmt, ...)
{
    static char out[512];
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof cmd);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    out[0] = '\0';
    if (fgets(out, sizeof out, p) == NULL)
        out[0] = '\0';
    while (fgetc(p) != EOF)
        ;
    ck_assert_int_eq(pclose(p), 0);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* Open fds (proc_count.h); fails when /proc cannot be read. */
static int count_fds(void)
{
    int n = proc_count_fds();
    ck_assert_int_ge(n, 0);
    return n;
}

static void take_fd_snapshot(fd_snapshot_t *snap)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int self = dirfd(d);
    snap->count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        ck_assert_int_lt(snap->count, FD_SNAPSHOT_MAX);
        int i = snap->count++;
        snap->fd[i] = atoi(e->d_name);
        char link[300];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, snap->target[i], sizeof snap->target[i] - 1);
        snap->target[i][n > 0 ? n : 0] = '\0';
    }
    closedir(d);
}

/* No descriptor opened since fds_at_start is still open. */
static void assert_no_new_fds(void)
{
    fd_snapshot_t now;
    take_fd_snapshot(&now);
    for (int i = 0; i < now.count; i++) {
        bool known = false;
        for (int k = 0; k < fds_at_start.count && !known; k++)
            known = now.fd[i] == fds_at_start.fd[k] &&
                    strcmp(now.target[i], fds_at_start.target[k]) == 0;
        ck_assert_msg(known, "fd %d (%s) was left open", now.fd[i], now.target[i]);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

static void set_cfg_string(char **field, const char *value)
{
    free(*field);
    *field = value != NULL ? strdup(value) : NULL;
    ck_assert(value == NULL || *field != NULL);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    fmt_into(tmp_dir, sizeof tmp_dir, "%s/neolith-check-git-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    fmt_into(remote_dir, sizeof remote_dir, "%s/remote.git", tmp_dir);
    fmt_into(remote_url, sizeof remote_url, "file://%s", remote_dir);
    fmt_into(up_dir, sizeof up_dir, "%s/up", tmp_dir);
    fmt_into(mud_dir, sizeof mud_dir, "%s/mudlib", tmp_dir);
    fmt_into(bin_dir, sizeof bin_dir, "%s/bin", tmp_dir);
    fmt_into(fifo_path, sizeof fifo_path, "%s/slow.fifo", tmp_dir);

    /* Git sees only what this process says: no user or system config. */
    setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Check", 1);
    setenv("GIT_AUTHOR_EMAIL", "check@example.invalid", 1);
    setenv("GIT_COMMITTER_NAME", "Check", 1);
    setenv("GIT_COMMITTER_EMAIL", "check@example.invalid", 1);
    unsetenv("GIT_DIR");
    unsetenv("GIT_WORK_TREE");

    sh("git init -q --bare -b master '%s'", remote_dir);
    sh("git init -q -b master '%s'", up_dir);
    sh("cd '%s' && mkdir -p rooms include secure && "
       "echo 'inherit ROOM; /* start v1 */' > rooms/start.c && "
       "echo 'inherit ROOM; /* hall */' > rooms/hall.c && "
       "echo '#define ROOM \"/std/room\"' > include/std.h && "
       "echo '/* master */' > secure/master.c && "
       "git add -A && git commit -q -m initial && "
       "git remote add origin '%s' && git push -q -u origin master",
       up_dir, remote_url);
    sh("git clone -q '%s' '%s'", remote_url, mud_dir);

#ifdef __linux__
    /* Orphans of our git processes (remote helpers) become ours, so a
     * test can wait for them and prove none is left. */
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
#endif

    ck_assert_int_eq(backend_init(), 0);
    ck_assert_int_eq(config_set_defaults(&cfg, NULL), 0);
    cfg.port = 0;
    ck_assert_int_eq(comm_init(&cfg, &quiet_handler), 0);
    set_cfg_string(&cfg.mudlib_dir, mud_dir);
    cfg.git_update = true;
    loop_ran = false;
    take_fd_snapshot(&fds_at_start);
}

static void rec_reset(void);

static void teardown(void)
{
    rec_reset();
    if (!loop_ran)
        comm_shutdown(0);
    backend_destroy();
    config_free(&cfg);
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "check_git_update: could not remove %s\n", tmp_dir);
}

static int run_loop(void)
{
    loop_ran = true;
    return backend_run();
}

/* Commits in `up` whatever the shell snippet does there, and pushes. */
static void upstream_change(const char *snippet)
{
    sh("cd '%s' && %s && git add -A && git commit -q -m change && git push -q",
       up_dir, snippet);
}

/* ============================================================ fingerprint */

typedef struct fp_entry {
    char *path;
    uint64_t hash;
} fp_entry_t;

static fp_entry_t *fp_entries;
static size_t fp_count, fp_cap;
static size_t fp_root_len;

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

#define FNV_START UINT64_C(14695981039346656037)

static uint64_t hash_file_bytes(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fnv(h, "<missing>", 9);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    return h;
}

static int fp_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    const char *rel = path + fp_root_len;
    if (strcmp(rel, "/.git") == 0 || strncmp(rel, "/.git/", 6) == 0)
        return 0;
    uint64_t h = fnv(FNV_START, rel, strlen(rel) + 1);
    h = fnv(h, &st->st_mode, sizeof st->st_mode);
    if (flag == FTW_F && S_ISREG(st->st_mode)) {
        h = hash_file_bytes(h, path);
    } else if (flag == FTW_SL) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target);
        if (n > 0)
            h = fnv(h, target, (size_t)n);
    }
    if (fp_count == fp_cap) {
        fp_cap = fp_cap ? fp_cap * 2 : 64;
        fp_entries = realloc(fp_entries, fp_cap * sizeof *fp_entries);
        ck_assert_ptr_nonnull(fp_entries);
    }
    fp_entries[fp_count].path = strdup(rel);
    fp_entries[fp_count].hash = h;
    fp_count++;
    return 0;
}

static int fp_compare(const void *a, const void *b)
{
    return strcmp(((const fp_entry_t *)a)->path, ((const fp_entry_t *)b)->path);
}

/* The mudlib's state: files outside .git, .git/HEAD, HEAD's commit and
 * the index, as one number. */
static uint64_t mudlib_fingerprint(void)
{
    fp_count = 0;
    fp_root_len = strlen(mud_dir);
    ck_assert_int_eq(nftw(mud_dir, fp_visit, 16, FTW_PHYS), 0);
    qsort(fp_entries, fp_count, sizeof *fp_entries, fp_compare);
    uint64_t h = FNV_START;
    for (size_t i = 0; i < fp_count; i++) {
        h = fnv(h, &fp_entries[i].hash, sizeof fp_entries[i].hash);
        free(fp_entries[i].path);
    }
    free(fp_entries);
    fp_entries = NULL;
    fp_cap = fp_count = 0;
    char path[PATH_MAX + 16];
    fmt_into(path, sizeof path, "%s/.git/HEAD", mud_dir);
    h = hash_file_bytes(h, path);
    fmt_into(path, sizeof path, "%s/.git/index", mud_dir);
    h = hash_file_bytes(h, path);
    const char *head = sh_line("git -C '%s' rev-parse HEAD", mud_dir);
    return fnv(h, head, strlen(head));
}

/* =============================================================== recorder */

#define MAX_PROGRESS 1024

static struct recorder {
    git_update_progress_t progress[MAX_PROGRESS];
    size_t n_progress;
    git_update_result_t *result;    /* owned by the test */
    int done_calls;
    int reload_calls;
    int reload_before_done;         /* reload hook ran before on_done */
    bool start_again_from_done;     /* on_done starts another update */
    git_update_status_t second_start;
} rec;

static void rec_reset(void)
{
    git_update_result_free(rec.result);
    memset(&rec, 0, sizeof rec);
}

static void rec_progress(const git_update_progress_t *p, void *ctx)
{
    ck_assert_ptr_eq(ctx, &rec);
    if (!rec.start_again_from_done)
        ck_assert_int_eq(rec.done_calls, 0);    /* progress precedes done */
    if (rec.n_progress < MAX_PROGRESS)
        rec.progress[rec.n_progress++] = *p;
}

static const git_update_request_t test_request_template = { "test", NULL, NULL, NULL };

static void rec_done(git_update_result_t *result, void *ctx);

static git_update_request_t test_request(void)
{
    git_update_request_t r = test_request_template;
    r.on_progress = rec_progress;
    r.on_done = rec_done;
    r.ctx = &rec;
    return r;
}

static void rec_done(git_update_result_t *result, void *ctx)
{
    ck_assert_ptr_eq(ctx, &rec);
    ck_assert_ptr_nonnull(result);
    rec.done_calls++;
    if (rec.reload_calls > 0)
        rec.reload_before_done = 1;
    if (rec.start_again_from_done && rec.done_calls == 1) {
        /* The module is idle before on_done runs: a new update starts. */
        git_update_result_free(rec.result);
        rec.result = result;
        git_update_request_t again = test_request();
        rec.second_start = git_update_start(&again);
        return;
    }
    git_update_result_free(rec.result);
    rec.result = result;
    backend_request_shutdown(0);
}

static void rec_reload(git_update_result_t *result, void *ctx)
{
    ck_assert_ptr_eq(ctx, &rec);
    ck_assert_int_eq(result->status, GIT_UPDATE_OK);
    rec.reload_calls++;
    free(result->reload_report);
    result->reload_report = strdup("reloaded by the test");
}

/* Nothing git started is left.  The module reaps git itself; anything
 * git started that outlived it (a remote helper) was reparented to this
 * process (child subreaper) and must be dying: a process killed with
 * SIGKILL exits without running code.  So wait for every child: the wait
 * ends once no descendant exists at all - a survivor would hang it,
 * which the test's timeout reports.  Then nothing is left. */
static void assert_no_children(void)
{
    int status;
    pid_t r;
    do {
        r = waitpid(-1, &status, 0);
    } while (r > 0 || (r < 0 && errno == EINTR));
    ck_assert_int_eq(errno, ECHILD);
}

/* Starts an update, runs the loop until on_done requested the shutdown,
 * and checks what every update must leave: one on_done, no descriptor
 * and no process behind.  Returns the result (rec owns it). */
static git_update_result_t *update_and_wait(void)
{
    git_update_request_t req = test_request();
    ck_assert_int_eq(git_update_start(&req), GIT_UPDATE_STARTED);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(rec.done_calls, 1);
    ck_assert_ptr_nonnull(rec.result);
    assert_no_new_fds();
    assert_no_children();
    return rec.result;
}

static bool has_step(const char *phase)
{
    for (size_t i = 0; i < rec.n_progress; i++)
        if (rec.progress[i].source == GIT_UPDATE_PROGRESS_STEP &&
            strcmp(rec.progress[i].phase, phase) == 0)
            return true;
    return false;
}

static bool reason_has(const git_update_result_t *r, const char *text)
{
    return strstr(r->reason, text) != NULL;
}

/* ============================================================ slow remote */

/* What a test does once git fetch is blocked in the slow helper. */
typedef void (*slow_action_fn)(void);

static struct slow_remote {
    int rfd, wfd;
    backend_watcher_t watcher;
    char buf[128];
    size_t len;
    pid_t git_pid;          /* git fetch: the module's child, group leader */
    pid_t helper_pid;       /* the helper (exec'd sleep); git runs it through
                               an intermediate `git remote-slow`, its $PPID */
    slow_action_fn action;
    int64_t acted_ns;
} slow;

static void on_fifo(async_socket_t fd, unsigned events, void *ctx)
{
    (void)events;
    (void)ctx;
    ssize_t n = read(fd, slow.buf + slow.len, sizeof slow.buf - 1 - slow.len);
    if (n > 0)
        slow.len += (size_t)n;
    slow.buf[slow.len] = '\0';
    if (strchr(slow.buf, '\n') == NULL)
        return;
    long parent = 0, h = 0;
    ck_assert_int_eq(sscanf(slow.buf, "%ld %ld", &parent, &h), 2);
    slow.helper_pid = (pid_t)h;
    git_update_info_t info;
    git_update_get_info(&info);
    ck_assert(info.running);
    ck_assert_int_eq(info.step, GIT_UPDATE_STEP_FETCHING);
    slow.git_pid = (pid_t)info.git_pid;
    ck_assert_int_gt(slow.git_pid, 0);
    backend_unwatch(&slow.watcher);
    close(slow.rfd);
    close(slow.wfd);
    slow.rfd = slow.wfd = -1;
    slow.acted_ns = port_clock_now_ns();
    if (slow.action != NULL)
        slow.action();
}

/* Installs git-remote-slow on PATH, points the config at "slow::" and
 * watches the FIFO.  Call before git_update_init. */
static void use_slow_remote(slow_action_fn action)
{
    memset(&slow, 0, sizeof slow);
    slow.action = action;
    ck_assert_int_eq(mkdir(bin_dir, 0755), 0);
    ck_assert_int_eq(mkfifo(fifo_path, 0600), 0);
    char script[PATH_MAX + 32], text[PATH_MAX * 2];
    fmt_into(script, sizeof script, "%s/git-remote-slow", bin_dir);
    fmt_into(text, sizeof text,
             "#!/bin/sh\n"
             "# test remote helper: says who it is, then never answers\n"
             "echo \"$PPID $$\" > '%s'\n"
             "exec sleep 1000\n", fifo_path);
    write_file(script, text);
    ck_assert_int_eq(chmod(script, 0755), 0);
    char path[PATH_MAX * 4];
    const char *old = getenv("PATH");
    fmt_into(path, sizeof path, "%s:%s", bin_dir, old != NULL ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    set_cfg_string(&cfg.git_remote, "slow::nowhere");
    set_cfg_string(&cfg.git_branch, "master");

    /* A reader first, so the helper's open for writing does not block;
     * a writer of our own, so the FIFO never reports hang-up. */
    slow.rfd = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(slow.rfd, 0);
    slow.wfd = open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(slow.wfd, 0);
    ck_assert_int_eq(backend_watch(&slow.watcher, slow.rfd, ASYNC_EVENT_READ,
                                   on_fifo, NULL), 0);
    /* (The FIFO fds are new but closed in on_fifo: no snapshot change.) */
}

/* The helper never exits by itself: once every descendant is reaped
 * (assert_no_children), it and git's whole process group must be gone. */
static void assert_helper_killed(void)
{
    ck_assert_int_gt(slow.helper_pid, 0);
    assert_no_children();
    errno = 0;
    ck_assert_int_eq(kill(slow.helper_pid, 0), -1);
    ck_assert_int_eq(errno, ESRCH);
    errno = 0;
    ck_assert_int_eq(kill(-slow.git_pid, 0), -1);
    ck_assert_int_eq(errno, ESRCH);
}

/* ====================================================== progress parser */

START_TEST(test_parser_reads_remote_percent_lines_with_padding)
{
    git_update_progress_t p;
    ck_assert(git_update_parse_progress(
        "remote: Counting objects:  45% (9/20)        ", &p));
    ck_assert_int_eq(p.source, GIT_UPDATE_PROGRESS_REMOTE);
    ck_assert_str_eq(p.phase, "Counting objects");
    ck_assert_int_eq(p.percent, 45);
    ck_assert_uint_eq(p.current, 9);
    ck_assert_uint_eq(p.total, 20);
    ck_assert(!p.done);
}
END_TEST

START_TEST(test_parser_reads_local_done_lines_with_throughput)
{
    git_update_progress_t p;
    ck_assert(git_update_parse_progress(
        "Receiving objects: 100% (20/20), 1.20 MiB | 2.00 MiB/s, done.", &p));
    ck_assert_int_eq(p.source, GIT_UPDATE_PROGRESS_LOCAL);
    ck_assert_str_eq(p.phase, "Receiving objects");
    ck_assert_int_eq(p.percent, 100);
    ck_assert_uint_eq(p.current, 20);
    ck_assert(p.done);
    ck_assert(git_update_parse_progress("Resolving deltas: 100% (3/3), done.", &p));
    ck_assert_str_eq(p.phase, "Resolving deltas");
    ck_assert(p.done);
}
END_TEST

START_TEST(test_parser_reads_counts_without_percent)
{
    git_update_progress_t p;
    ck_assert(git_update_parse_progress("remote: Enumerating objects: 8, done.", &p));
    ck_assert_str_eq(p.phase, "Enumerating objects");
    ck_assert_int_eq(p.percent, -1);
    ck_assert_uint_eq(p.current, 8);
    ck_assert(p.done);
}
END_TEST

START_TEST(test_parser_strips_terminal_escapes)
{
    git_update_progress_t p;
    ck_assert(git_update_parse_progress(
        "remote: Compressing objects:  50% (1/2)\033[K", &p));
    ck_assert_str_eq(p.phase, "Compressing objects");
    ck_assert_int_eq(p.percent, 50);
}
END_TEST

START_TEST(test_parser_rejects_messages_and_errors)
{
    git_update_progress_t p;
    static const char *const not_progress[] = {
        "fatal: repository 'x' does not exist",
        "error: cannot lock ref",
        "remote: Total 3 (delta 0), reused 0 (delta 0), pack-reused 0",
        "From file:///tmp/remote.git",
        " * branch            master     -> FETCH_HEAD",
        "Updating 9931111..61124e5",
        "hint: something 5%",
        "Phase: 3 things",
        "",
    };
    for (size_t i = 0; i < sizeof not_progress / sizeof not_progress[0]; i++)
        ck_assert_msg(!git_update_parse_progress(not_progress[i], &p),
                      "parsed as progress: %s", not_progress[i]);
}
END_TEST

START_TEST(test_format_renders_one_line)
{
    git_update_progress_t p;
    char buf[128];
    ck_assert(git_update_parse_progress("remote: Counting objects:  45% (9/20)", &p));
    ck_assert_str_eq(git_update_format_progress(&p, buf, sizeof buf),
                     "remote: Counting objects: 45% (9/20)");
    ck_assert(git_update_parse_progress("Resolving deltas: 100% (3/3), done.", &p));
    ck_assert_str_eq(git_update_format_progress(&p, buf, sizeof buf),
                     "Resolving deltas: 100% (3/3), done");
    ck_assert(git_update_parse_progress("remote: Enumerating objects: 8, done.", &p));
    ck_assert_str_eq(git_update_format_progress(&p, buf, sizeof buf),
                     "remote: Enumerating objects: 8, done");
    ck_assert_str_eq(git_update_format_progress(&p, buf, 8), "remote:");
}
END_TEST

/* ================================================================ git_run */

START_TEST(test_run_splits_stderr_at_cr_and_lf_and_keeps_stdout)
{
    const char *argv[] = { "sh", "-c",
        "printf 'a 10%%\\ra 20%%\\rdone\\nlast' >&2; printf 'out\\n'", NULL };
    git_run_test_lines_t l;
    memset(&l, 0, sizeof l);
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, environ, 0);
    spec.on_stderr_line = git_run_test_collect_line;
    spec.ctx = &l;
    spec.stdout_limit = 1024;
    git_run_result_t r;
    int fds = count_fds();
    ck_assert(git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_EXITED);
    ck_assert_str_eq(r.out, "out\n");
    ck_assert_int_eq(l.count, 4);
    ck_assert_str_eq(l.text[0], "a 10%");
    ck_assert_str_eq(l.text[1], "a 20%");
    ck_assert_str_eq(l.text[2], "done");
    ck_assert_str_eq(l.text[3], "last");
    ck_assert_str_eq(r.err_tail, "done\nlast\n");   /* only '\n' lines (and the last) */
    git_run_result_free(&r);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_run_reports_exit_status_and_truncates_stdout)
{
    const char *argv[] = { "sh", "-c", "printf 0123456789; exit 3", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, environ, 4);
    git_run_result_t r;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_EXITED);
    ck_assert_int_eq(r.exit_status, 3);
    ck_assert_str_eq(r.out, "0123");
    ck_assert(r.out_truncated);
    git_run_result_free(&r);
    git_run_result_free(&r);                /* twice is safe */
}
END_TEST

START_TEST(test_run_missing_program_fails_with_enoent)
{
    const char *argv[] = { "neolith-no-such-program-here", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, environ, 16);
    git_run_result_t r;
    int fds = count_fds();
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_FAILED);
    ck_assert_int_eq(r.error, ENOENT);
    git_run_result_free(&r);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* A child that ignores SIGTERM and has a child of its own holding the
 * pipes: the deadline ends both (SIGKILL after the grace), git_run
 * returns without waiting for the grandchild's pipe, and reaps the leader. */
START_TEST(test_run_deadline_kills_the_whole_group)
{
    const char *argv[] = { "sh", "-c",
        "trap '' TERM; sleep 1000 & echo $! >&2; wait", NULL };
    git_run_test_lines_t l;
    memset(&l, 0, sizeof l);
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, environ, 0);
    spec.deadline_ns = port_deadline_after_ms(200);
    spec.on_stderr_line = git_run_test_collect_line;
    spec.ctx = &l;
    spec.stdout_limit = 16;
    git_run_result_t r;
    int64_t t0 = port_clock_now_ns();
    ck_assert(!git_run(&spec, &r));
    int64_t took_ms = (port_clock_now_ns() - t0) / PORT_NS_PER_MS;
    ck_assert_int_eq(r.outcome, GIT_RUN_TIMED_OUT);
    ck_assert_int_eq(r.term_signal, SIGKILL);       /* it ignored SIGTERM */
    ck_assert_int_ge(took_ms, 200 + GIT_RUN_KILL_GRACE_MS);
    ck_assert_int_lt(took_ms, 200 + GIT_RUN_KILL_GRACE_MS + 3000);
    git_run_result_free(&r);
    /* The grandchild (sleep) was in the group: dead too.  It became an
     * orphan; as subreaper we reap it. */
    ck_assert_int_eq(l.count, 1);
    pid_t sleeper = (pid_t)atol(l.text[0]);
    ck_assert_int_gt(sleeper, 0);
#ifdef __linux__
    int status;
    ck_assert_int_eq(waitpid(sleeper, &status, 0), sleeper);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGKILL);
#endif
}
END_TEST

START_TEST(test_run_cancel_fd_stops_at_once_or_before_start)
{
    git_run_cancel_t cancel;
    ck_assert_int_eq(git_run_cancel_init(&cancel), 0);
    ck_assert(!git_run_cancel_is_set(&cancel));
    const char *argv[] = { "sleep", "1000", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, environ, 16);
    spec.cancel = &cancel;
    git_run_cancel_set(&cancel);
    git_run_cancel_set(&cancel);                    /* twice is harmless */
    ck_assert(git_run_cancel_is_set(&cancel));
    git_run_result_t r;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_STOPPED);
    ck_assert_int_eq(r.term_signal, 0);             /* never started */
    git_run_result_free(&r);
    /* With a grace, it starts, and is stopped after the grace. */
    spec.cancel_grace_ms = 50;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_STOPPED);
    ck_assert_int_eq(r.term_signal, SIGTERM);
    git_run_result_free(&r);
    git_run_cancel_destroy(&cancel);
    git_run_cancel_destroy(&cancel);                /* twice is safe */
}
END_TEST

/* =========================================================== successful */

START_TEST(test_fast_forward_reports_progress_and_exact_changes)
{
    upstream_change("echo 'inherit ROOM; /* start v2 */' > rooms/start.c && "
                    "echo '#define ROOM \"/std/room2\"' > include/std.h && "
                    "git rm -q rooms/hall.c && "
                    "echo 'inherit ROOM;' > 'rooms/new room.c'");
    char expected_new[GIT_UPDATE_OID_SIZE], expected_old[GIT_UPDATE_OID_SIZE];
    snprintf(expected_new, sizeof expected_new, "%s",
             sh_line("git -C '%s' rev-parse HEAD", up_dir));
    snprintf(expected_old, sizeof expected_old, "%s",
             sh_line("git -C '%s' rev-parse HEAD", mud_dir));
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_set_reload_hook(rec_reload, &rec);

    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_OK, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->requester, "test");
    ck_assert_str_eq(r->remote, "origin");
    ck_assert_str_eq(r->branch, "master");
    ck_assert_str_eq(r->old_commit, expected_old);
    ck_assert_str_eq(r->new_commit, expected_new);
    ck_assert_str_eq(sh_line("git -C '%s' rev-parse HEAD", mud_dir), expected_new);
    ck_assert(reason_has(r, "4 files changed (1 added, 2 modified, 1 deleted)"));

    /* The exact change list, in git's (path) order. */
    ck_assert(r->changes_complete);
    ck_assert_uint_eq(r->change_count, 4);
    static const struct { char status; const char *path; } want[] = {
        { 'M', "include/std.h" }, { 'D', "rooms/hall.c" },
        { 'A', "rooms/new room.c" }, { 'M', "rooms/start.c" },
    };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(r->changes[i].status, want[i].status);
        ck_assert_str_eq(r->changes[i].path, want[i].path);
    }
    /* The work tree has the new content. */
    ck_assert_str_eq(sh_line("cat '%s/rooms/start.c'", mud_dir),
                     "inherit ROOM; /* start v2 */");

    /* The reload hook ran once, before on_done, and its report travels
     * with the result. */
    ck_assert_int_eq(rec.reload_calls, 1);
    ck_assert_int_eq(rec.reload_before_done, 1);
    ck_assert_str_eq(r->reload_report, "reloaded by the test");

    /* Progress: the steps, git's own lines with a final 100% or "done",
     * and per phase a percentage that never goes down. */
    ck_assert(has_step("Checking the work tree"));
    ck_assert(has_step("Fetching origin master"));
    bool final_seen = false;
    size_t git_lines = 0;
    for (size_t i = 0; i < rec.n_progress; i++) {
        const git_update_progress_t *p = &rec.progress[i];
        if (p->source == GIT_UPDATE_PROGRESS_STEP)
            continue;
        git_lines++;
        if (p->percent == 100 || p->done)
            final_seen = true;
        for (size_t k = i + 1; k < rec.n_progress; k++) {
            const git_update_progress_t *q = &rec.progress[k];
            if (q->source == p->source && strcmp(q->phase, p->phase) == 0 &&
                p->percent >= 0 && q->percent >= 0)
                ck_assert_msg(q->percent >= p->percent, "%s went from %d%% to %d%%",
                              p->phase, p->percent, q->percent);
        }
    }
    ck_assert_uint_gt(git_lines, 0);
    ck_assert(final_seen);

    git_update_info_t info;
    git_update_get_info(&info);
    ck_assert(!info.running);
    ck_assert_int_eq(info.last_status, GIT_UPDATE_OK);
}
END_TEST

START_TEST(test_up_to_date_changes_nothing)
{
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_set_reload_hook(rec_reload, &rec);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_UP_TO_DATE, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(git_update_status_str(r->status), "already up to date");
    ck_assert(strncmp(r->reason, "already up to date with origin/master", 37) == 0);
    ck_assert_uint_eq(r->change_count, 0);
    ck_assert_ptr_null(r->changes);
    ck_assert_str_eq(r->old_commit, r->new_commit);
    ck_assert_int_eq(rec.reload_calls, 0);          /* nothing to reload */
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_checkout_ahead_of_upstream_is_up_to_date)
{
    sh("cd '%s' && echo local > rooms/local.c && git add -A && "
       "git commit -q -m local", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_UP_TO_DATE, "status %d: %s", r->status, r->reason);
    ck_assert(reason_has(r, "is ahead of origin/master"));
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_untracked_files_do_not_block_an_update)
{
    upstream_change("echo v2 > rooms/start.c");
    char log_path[PATH_MAX + 16];
    fmt_into(log_path, sizeof log_path, "%s/driver.log", mud_dir);
    write_file(log_path, "a log line\n");
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_OK, "status %d: %s", r->status, r->reason);
    ck_assert_uint_eq(r->change_count, 1);
    ck_assert_str_eq(sh_line("cat '%s/driver.log'", mud_dir), "a log line");
}
END_TEST

/* A mudlib below the repository's top: the paths are relative to it and
 * changes outside it are not listed. */
START_TEST(test_mudlib_in_a_subdirectory_gets_relative_paths)
{
    upstream_change("echo v2 > rooms/start.c && echo v2 > include/std.h");
    char sub[PATH_MAX + 16];
    fmt_into(sub, sizeof sub, "%s/rooms", mud_dir);
    set_cfg_string(&cfg.mudlib_dir, sub);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_OK, "status %d: %s", r->status, r->reason);
    ck_assert_uint_eq(r->change_count, 1);
    ck_assert_int_eq(r->changes[0].status, 'M');
    ck_assert_str_eq(r->changes[0].path, "start.c");
}
END_TEST

START_TEST(test_configured_remote_and_branch_replace_the_upstream)
{
    upstream_change("echo v2 > rooms/start.c");
    /* A local branch with no upstream at all. */
    sh("git -C '%s' checkout -q -b live", mud_dir);
    set_cfg_string(&cfg.git_remote, remote_url);
    set_cfg_string(&cfg.git_branch, "master");
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_OK, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->remote, remote_url);
    ck_assert_str_eq(r->branch, "master");
    ck_assert_str_eq(sh_line("git -C '%s' symbolic-ref --short HEAD", mud_dir), "live");
}
END_TEST

START_TEST(test_done_callback_may_start_the_next_update)
{
    upstream_change("echo v2 > rooms/start.c");
    ck_assert_int_eq(git_update_init(&cfg), 0);
    rec.start_again_from_done = true;
    git_update_request_t req = test_request();
    ck_assert_int_eq(git_update_start(&req), GIT_UPDATE_STARTED);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(rec.second_start, GIT_UPDATE_STARTED);
    ck_assert_int_eq(rec.done_calls, 2);
    ck_assert_int_eq(rec.result->status, GIT_UPDATE_UP_TO_DATE);
    assert_no_new_fds();
    assert_no_children();
}
END_TEST

/* The reload hook stops the loop: the timer's update has no on_done. */
static void reload_and_stop(git_update_result_t *result, void *ctx)
{
    rec_reload(result, ctx);
    ck_assert_str_eq(result->requester, "timer");
    ck_assert_uint_eq(result->change_count, 1);
    ck_assert_str_eq(result->changes[0].path, "rooms/start.c");
    backend_request_shutdown(0);
}

START_TEST(test_interval_runs_updates_from_the_timer)
{
    upstream_change("echo v2 > rooms/start.c");
    cfg.git_update_interval = 1;
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_set_reload_hook(reload_and_stop, &rec);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(rec.reload_calls, 1);
    ck_assert_int_eq(rec.done_calls, 0);
    ck_assert_str_eq(sh_line("cat '%s/rooms/start.c'", mud_dir), "v2");
    assert_no_new_fds();
    assert_no_children();
}
END_TEST

/* ============================================================= refusals */

START_TEST(test_dirty_tree_is_refused_and_left_alone)
{
    upstream_change("echo v2 > rooms/start.c");
    sh("echo 'my local fix' >> '%s/rooms/start.c'", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_DIRTY, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "work tree has local changes: M rooms/start.c; "
                                "commit or discard them first");
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_diverged_history_is_refused)
{
    upstream_change("echo upstream > rooms/start.c");
    sh("cd '%s' && echo local > rooms/hall.c && git commit -q -am local", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_DIVERGED, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "local history has diverged from origin/master; "
                                "not updating");
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

/* Upstream adds a file the mudlib has untracked: git merge --ff-only
 * refuses; the module verifies HEAD and status and says so. */
START_TEST(test_merge_refusal_is_verified_and_changes_nothing)
{
    upstream_change("echo upstream > rooms/new.c");
    sh("echo mine > '%s/rooms/new.c'", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_MERGE_FAILED, "status %d: %s", r->status, r->reason);
    ck_assert(reason_has(r, "untracked working tree files would be overwritten"));
    ck_assert(reason_has(r, "the mudlib is unchanged (HEAD and status verified)"));
    ck_assert_str_eq(r->old_commit, r->new_commit);
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_bad_remote_url_fails_and_changes_nothing)
{
    upstream_change("echo v2 > rooms/start.c");
    set_cfg_string(&cfg.git_remote, "file:///nonexistent/neolith/nowhere.git");
    set_cfg_string(&cfg.git_branch, "master");
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_FETCH_FAILED, "status %d: %s", r->status, r->reason);
    ck_assert(strncmp(r->reason, "git fetch file:///nonexistent/neolith/nowhere.git "
                      "master failed (exit status 128): fatal:", 80) == 0);
    ck_assert(reason_has(r, "does not appear to be a git repository"));
    ck_assert(reason_has(r, "; the mudlib is unchanged"));
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_unknown_branch_fails_and_changes_nothing)
{
    set_cfg_string(&cfg.git_branch, "no-such-branch");
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_FETCH_FAILED, "status %d: %s", r->status, r->reason);
    ck_assert(reason_has(r, "couldn't find remote ref no-such-branch"));
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

START_TEST(test_not_a_work_tree_is_reported)
{
    char plain[PATH_MAX + 16];
    fmt_into(plain, sizeof plain, "%s/plain", tmp_dir);
    ck_assert_int_eq(mkdir(plain, 0755), 0);
    set_cfg_string(&cfg.mudlib_dir, plain);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_NOT_A_REPOSITORY, "status %d: %s",
                  r->status, r->reason);
    ck_assert(reason_has(r, "is not in a git work tree"));
    ck_assert(reason_has(r, "not a git repository"));
}
END_TEST

START_TEST(test_detached_head_without_config_has_no_upstream)
{
    sh("git -C '%s' checkout -q --detach", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_NO_UPSTREAM, "status %d: %s", r->status, r->reason);
    ck_assert(reason_has(r, "HEAD is detached"));
}
END_TEST

START_TEST(test_branch_without_upstream_is_reported)
{
    sh("git -C '%s' checkout -q -b live", mud_dir);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_result_t *r = update_and_wait();
    ck_assert_msg(r->status == GIT_UPDATE_NO_UPSTREAM, "status %d: %s", r->status, r->reason);
    ck_assert(reason_has(r, "branch 'live' has no upstream"));
}
END_TEST

START_TEST(test_off_in_the_config_refuses_requests)
{
    cfg.git_update = false;
    ck_assert_int_eq(git_update_init(&cfg), 0);
    git_update_request_t req = test_request();
    ck_assert_int_eq(git_update_start(&req), GIT_UPDATE_DISABLED);
    ck_assert_str_eq(git_update_status_str(GIT_UPDATE_DISABLED),
                     "git update is off (set 'git update: on' in the config)");
    git_update_info_t info;
    git_update_get_info(&info);
    ck_assert(!info.enabled);
    ck_assert(!git_update_cancel());
    ck_assert_int_eq(rec.done_calls, 0);
}
END_TEST

/* ============================================== stopping git (slow remote) */

static void kill_git(void)
{
    ck_assert_int_eq(kill(slow.git_pid, SIGKILL), 0);
}

START_TEST(test_killed_git_is_reported_and_changes_nothing)
{
    use_slow_remote(kill_git);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    assert_helper_killed();
    ck_assert_msg(r->status == GIT_UPDATE_KILLED, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "git fetch slow::nowhere master was killed by "
                                "signal 9 (SIGKILL); the mudlib is unchanged");
    ck_assert(mudlib_fingerprint() == before);
    assert_no_children();
}
END_TEST

START_TEST(test_timeout_stops_git_and_changes_nothing)
{
    use_slow_remote(NULL);
    cfg.git_timeout = 1;
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    assert_helper_killed();
    ck_assert_msg(r->status == GIT_UPDATE_TIMEOUT, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "timed out after 1 s during git fetch slow::nowhere "
                                "master (git timeout); the mudlib is unchanged");
    ck_assert_int_ge(r->duration_ms, 1000);
    ck_assert(mudlib_fingerprint() == before);
    assert_no_children();
}
END_TEST

static git_update_status_t busy_status;
static git_update_info_t busy_info;

static void ask_again_then_cancel(void)
{
    git_update_get_info(&busy_info);
    git_update_request_t req = test_request();
    busy_status = git_update_start(&req);
    ck_assert(git_update_cancel());
}

START_TEST(test_second_request_while_running_is_refused)
{
    use_slow_remote(ask_again_then_cancel);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_result_t *r = update_and_wait();
    assert_helper_killed();
    ck_assert_int_eq(busy_status, GIT_UPDATE_BUSY);
    ck_assert_str_eq(git_update_status_str(busy_status), "an update is already running");
    ck_assert(busy_info.running);
    ck_assert_int_eq(busy_info.step, GIT_UPDATE_STEP_FETCHING);
    ck_assert_int_eq(busy_info.git_pid, slow.git_pid);
    ck_assert_str_eq(busy_info.requester, "test");
    /* Only the first request's on_done ran: the refused one got none. */
    ck_assert_int_eq(rec.done_calls, 1);
    ck_assert_msg(r->status == GIT_UPDATE_STOPPED, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "cancelled during git fetch slow::nowhere master; "
                                "the mudlib is unchanged");
    ck_assert(mudlib_fingerprint() == before);
    assert_no_children();
}
END_TEST

static void shut_down_now(void)
{
    backend_request_shutdown(0);
}

START_TEST(test_shutdown_during_fetch_joins_promptly_and_leaves_no_process)
{
    use_slow_remote(shut_down_now);
    ck_assert_int_eq(git_update_init(&cfg), 0);
    uint64_t before = mudlib_fingerprint();
    git_update_request_t req = test_request();
    ck_assert_int_eq(git_update_start(&req), GIT_UPDATE_STARTED);
    ck_assert_int_eq(run_loop(), 0);
    int64_t shutdown_ms = (port_clock_now_ns() - slow.acted_ns) / PORT_NS_PER_MS;
    ck_assert_int_lt(shutdown_ms, GIT_UPDATE_JOIN_TIMEOUT_MS);

    /* on_done ran once, from the shutdown hook. */
    ck_assert_int_eq(rec.done_calls, 1);
    git_update_result_t *r = rec.result;
    ck_assert_msg(r->status == GIT_UPDATE_STOPPED, "status %d: %s", r->status, r->reason);
    ck_assert_str_eq(r->reason, "stopped by the driver's shutdown during git fetch "
                                "slow::nowhere master; the mudlib is unchanged");
    /* Requests after the shutdown are refused. */
    ck_assert_int_eq(git_update_start(&req), GIT_UPDATE_SHUTTING_DOWN);

    assert_no_new_fds();
    assert_helper_killed();
    assert_no_children();
    ck_assert(mudlib_fingerprint() == before);
}
END_TEST

/* ================================================================= suite */

static Suite *git_update_suite(void)
{
    Suite *s = suite_create("git_update");

    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, test_parser_reads_remote_percent_lines_with_padding);
    tcase_add_test(tc, test_parser_reads_local_done_lines_with_throughput);
    tcase_add_test(tc, test_parser_reads_counts_without_percent);
    tcase_add_test(tc, test_parser_strips_terminal_escapes);
    tcase_add_test(tc, test_parser_rejects_messages_and_errors);
    tcase_add_test(tc, test_format_renders_one_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("git_run");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_run_splits_stderr_at_cr_and_lf_and_keeps_stdout);
    tcase_add_test(tc, test_run_reports_exit_status_and_truncates_stdout);
    tcase_add_test(tc, test_run_missing_program_fails_with_enoent);
    tcase_add_test(tc, test_run_deadline_kills_the_whole_group);
    tcase_add_test(tc, test_run_cancel_fd_stops_at_once_or_before_start);
    suite_add_tcase(s, tc);

    tc = tcase_create("update");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fast_forward_reports_progress_and_exact_changes);
    tcase_add_test(tc, test_up_to_date_changes_nothing);
    tcase_add_test(tc, test_checkout_ahead_of_upstream_is_up_to_date);
    tcase_add_test(tc, test_untracked_files_do_not_block_an_update);
    tcase_add_test(tc, test_mudlib_in_a_subdirectory_gets_relative_paths);
    tcase_add_test(tc, test_configured_remote_and_branch_replace_the_upstream);
    tcase_add_test(tc, test_done_callback_may_start_the_next_update);
    tcase_add_test(tc, test_interval_runs_updates_from_the_timer);
    suite_add_tcase(s, tc);

    tc = tcase_create("refusals");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dirty_tree_is_refused_and_left_alone);
    tcase_add_test(tc, test_diverged_history_is_refused);
    tcase_add_test(tc, test_merge_refusal_is_verified_and_changes_nothing);
    tcase_add_test(tc, test_bad_remote_url_fails_and_changes_nothing);
    tcase_add_test(tc, test_unknown_branch_fails_and_changes_nothing);
    tcase_add_test(tc, test_not_a_work_tree_is_reported);
    tcase_add_test(tc, test_detached_head_without_config_has_no_upstream);
    tcase_add_test(tc, test_branch_without_upstream_is_reported);
    tcase_add_test(tc, test_off_in_the_config_refuses_requests);
    suite_add_tcase(s, tc);

    tc = tcase_create("stopping");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_killed_git_is_reported_and_changes_nothing);
    tcase_add_test(tc, test_timeout_stops_git_and_changes_nothing);
    tcase_add_test(tc, test_second_request_while_running_is_refused);
    tcase_add_test(tc, test_shutdown_during_fetch_joins_promptly_and_leaves_no_process);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(git_update_suite());
    srunner_run_all(sr, CK_ENV);   /* CK_VERBOSITY=verbose lists each test */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
