/*
 * git_run_win32.c - git_run on Windows (see git_run.h).  The output
 * handling is git_run.c's.
 *
 * THE CHILD.  argv[0] is looked up in PATH here (never in the current
 * directory, which CreateProcessW would search first) and started with
 * CreateProcessW, suspended, with CREATE_NO_WINDOW (no console: a Ctrl+C
 * typed at the driver's console never reaches git) and a UTF-16
 * environment block made from spec->envp.  Only three handles are
 * inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST): the null device as
 * stdin and the write ends of two pipes as stdout and stderr, so a handle
 * another thread happens to make inheritable at the same moment never
 * leaks into git.  The suspended child is put in a new job object with
 * JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE and only then resumed: everything it
 * starts (remote helpers, ssh, credential helpers) is born in the job and
 * cannot break away, and closing the job handle kills whatever is left.
 *
 * THE PIPES.  Each is a named pipe made for this run (a unique name, one
 * instance, local clients only): our read end is overlapped, the child's
 * write end is an ordinary handle.  One ReadFile is outstanding on each
 * read end at a time, each with its own event.
 *
 * THE WAIT.  WaitForMultipleObjects on the process handle, the cancel
 * event and the two read events, with a timeout that is the nearest of
 * the deadline, the stop grace and the drain limit: the thread wakes
 * only when something happened or something is due, never to poll.
 * When the child ends, TerminateJobObject kills what it left running
 * (what the POSIX runner's SIGKILL to the group does); then the pipes
 * are read to end of file for at most GIT_RUN_DRAIN_MS.
 *
 * Termination (deadline or stop) is TerminateJobObject with exit code
 * GIT_RUN_WIN32_KILLED: Windows has no gentle signal to send a console
 * program without a console, so there is no SIGTERM grace here.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "git_run.h"
#include "git_run_output.h"
#include "port/port_clock.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The exit code of processes git_run terminated. */
#define GIT_RUN_WIN32_KILLED 0x4E4B /* "NK" */

/* Bytes read from a pipe at a time; also the pipe's buffer size. */
#define GIT_RUN_PIPE_CHUNK 65536

/* Windows status codes of crashes, as the signals POSIX would report. */
#define GIT_RUN_STATUS_ACCESS_VIOLATION   0xC0000005u
#define GIT_RUN_STATUS_ILLEGAL_INSTRUCTION 0xC000001Du
#define GIT_RUN_STATUS_INT_DIVIDE_BY_ZERO 0xC0000094u
#define GIT_RUN_STATUS_CONTROL_C_EXIT     0xC000013Au
#define GIT_RUN_STATUS_STACK_OVERFLOW     0xC00000FDu

typedef enum term_reason {
    TERM_NONE = 0,
    TERM_TIMEOUT,
    TERM_STOP
} term_reason_t;

/* One pipe from the child: our overlapped read end and its read. */
typedef struct pipe_reader {
    HANDLE read;            /* NULL once at end of file (or failed) */
    OVERLAPPED ov;          /* ov.hEvent: manual-reset, set when a read ends */
    bool pending;           /* a ReadFile is outstanding on buf */
    bool is_stdout;
    char buf[GIT_RUN_PIPE_CHUNK];
} pipe_reader_t;

/* ============================================================= errors */

/* The errno nearest to a Windows error code. */
static int errno_from_win32(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
        return EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
        return ENOMEM;
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_EXE_MACHINE_TYPE_MISMATCH:
        return ENOEXEC;
    case ERROR_TOO_MANY_OPEN_FILES:
        return EMFILE;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
        return EPIPE;
    default:
        return EINVAL;
    }
}

static void close_handle(HANDLE *h)
{
    if (*h != NULL && *h != INVALID_HANDLE_VALUE)
        CloseHandle(*h);
    *h = NULL;
}

/* ============================================================ strings */

/* UTF-8 to a new UTF-16 string; NULL on a bad string or out of memory. */
static wchar_t *utf16_from_utf8(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w != NULL && MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) != n) {
        free(w);
        return NULL;
    }
    return w;
}

/* A growing UTF-16 buffer. */
typedef struct wbuf {
    wchar_t *data;
    size_t len, cap;
    bool failed;
} wbuf_t;

static void wbuf_put(wbuf_t *b, const wchar_t *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        wchar_t *grown = realloc(b->data, cap * sizeof *grown);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n * sizeof *s);
    b->len += n;
    b->data[b->len] = L'\0';
}

static void wbuf_putc(wbuf_t *b, wchar_t c)
{
    wbuf_put(b, &c, 1);
}

/*
** Appends one argument quoted so that the child's C runtime
** (CommandLineToArgvW rules) reads it back unchanged: quotes around it
** when it is empty or holds a space or tab; a '"' becomes '\"'; the
** backslashes before a '"' - or before the closing quote - are doubled.
*/
static void append_quoted_arg(wbuf_t *b, const wchar_t *arg)
{
    bool quote = arg[0] == L'\0' || wcspbrk(arg, L" \t\n\v\"") != NULL;
    if (!quote) {
        wbuf_put(b, arg, wcslen(arg));
        return;
    }
    wbuf_putc(b, L'"');
    for (const wchar_t *p = arg;; p++) {
        size_t slashes = 0;
        while (*p == L'\\') {
            slashes++;
            p++;
        }
        if (*p == L'\0') {
            for (size_t i = 0; i < slashes * 2; i++)
                wbuf_putc(b, L'\\');
            break;
        }
        if (*p == L'"') {
            for (size_t i = 0; i < slashes * 2 + 1; i++)
                wbuf_putc(b, L'\\');
        } else {
            for (size_t i = 0; i < slashes; i++)
                wbuf_putc(b, L'\\');
        }
        wbuf_putc(b, *p);
    }
    wbuf_putc(b, L'"');
}

/* The command line for argv; NULL on out of memory or a bad string. */
static wchar_t *build_command_line(const char *const *argv)
{
    wbuf_t b = { NULL, 0, 0, false };
    for (size_t i = 0; argv[i] != NULL; i++) {
        wchar_t *w = utf16_from_utf8(argv[i]);
        if (w == NULL) {
            free(b.data);
            return NULL;
        }
        if (i > 0)
            wbuf_putc(&b, L' ');
        append_quoted_arg(&b, w);
        free(w);
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

/* Length of the NAME part of "NAME=VALUE" (a leading '=' belongs to the
 * name: the "=C:=C:\dir" entries). */
static size_t env_name_len(const wchar_t *e)
{
    const wchar_t *eq = wcschr(e + (e[0] == L'='), L'=');
    return eq != NULL ? (size_t)(eq - e) : wcslen(e);
}

static int env_name_cmp(const wchar_t *a, const wchar_t *b)
{
    int r = CompareStringOrdinal(a, (int)env_name_len(a), b, (int)env_name_len(b), TRUE);
    return r == CSTR_LESS_THAN ? -1 : r == CSTR_GREATER_THAN ? 1 : 0;
}

static int env_entry_cmp(const void *pa, const void *pb)
{
    const wchar_t *a = *(const wchar_t *const *)pa;
    const wchar_t *b = *(const wchar_t *const *)pb;
    return env_name_cmp(a, b);
}

/*
** The environment block for envp: UTF-16, sorted by name without regard
** to case (as Windows expects), each name once - names differ only in
** case on Windows, and the later entry wins, so "GIT_TERMINAL_PROMPT=0"
** added after the driver's own "git_terminal_prompt=1" is the one git
** sees.  NULL on out of memory or a bad string.
*/
static wchar_t *build_env_block(char *const *envp)
{
    size_t count = 0;
    while (envp[count] != NULL)
        count++;
    wchar_t **list = calloc(count + 1, sizeof *list);
    if (list == NULL)
        return NULL;
    wchar_t *block = NULL;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        wchar_t *w = utf16_from_utf8(envp[i]);
        if (w == NULL)
            goto done;
        /* Later wins: drop an earlier entry of the same name. */
        for (size_t k = 0; k < n; k++) {
            if (list[k] != NULL && env_name_cmp(list[k], w) == 0) {
                free(list[k]);
                list[k] = NULL;
            }
        }
        list[n++] = w;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL)
            list[kept++] = list[i];
    /* The '='-entries sort first under this order, as Windows keeps them. */
    qsort(list, kept, sizeof *list, env_entry_cmp);
    wbuf_t b = { NULL, 0, 0, false };
    for (size_t i = 0; i < kept; i++)
        wbuf_put(&b, list[i], wcslen(list[i]) + 1);    /* with its NUL */
    if (kept == 0)
        wbuf_putc(&b, L'\0');               /* an empty block: two NULs */
    wbuf_putc(&b, L'\0');
    if (b.failed)
        free(b.data);
    else
        block = b.data;
    n = kept;
done:
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return block;
}

/* True when path names an existing file (not a directory). */
static bool is_file(const wchar_t *path)
{
    DWORD a = GetFileAttributesW(path);
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/*
** The program to start for argv0: a name with a directory in it is used
** as it is ("name.exe" when "name" does not exist); a bare name is looked
** up in the directories of PATH, as "name" and "name.exe".  The current
** directory is not searched.  Returns a new string, or NULL with *err.
*/
static wchar_t *find_program(const char *argv0, int *err)
{
    wchar_t *name = utf16_from_utf8(argv0);
    if (name == NULL) {
        *err = ENOMEM;
        return NULL;
    }
    size_t name_len = wcslen(name);
    const wchar_t *base = name;
    for (const wchar_t *p = name; *p != L'\0'; p++)
        if (*p == L'\\' || *p == L'/' || *p == L':')
            base = p + 1;
    bool has_ext = wcschr(base, L'.') != NULL;
    if (base != name) {
        if (is_file(name))
            return name;
        if (!has_ext) {
            wchar_t *exe = malloc((name_len + 5) * sizeof *exe);
            if (exe != NULL) {
                swprintf(exe, name_len + 5, L"%ls.exe", name);
                if (is_file(exe)) {
                    free(name);
                    return exe;
                }
                free(exe);
            }
        }
        free(name);
        *err = ENOENT;
        return NULL;
    }

    DWORD size = GetEnvironmentVariableW(L"PATH", NULL, 0);
    wchar_t *path = size > 0 ? malloc(size * sizeof *path) : NULL;
    if (path == NULL || GetEnvironmentVariableW(L"PATH", path, size) == 0) {
        free(path);
        free(name);
        *err = size > 0 ? ENOMEM : ENOENT;
        return NULL;
    }
    wchar_t *found = NULL;
    wchar_t *next = path;
    while (next != NULL && found == NULL) {
        wchar_t *dir = next;
        next = wcschr(dir, L';');
        if (next != NULL)
            *next++ = L'\0';
        size_t dlen = wcslen(dir);
        if (dlen >= 2 && dir[0] == L'"' && dir[dlen - 1] == L'"') {
            dir[dlen - 1] = L'\0';      /* PATH entries may be quoted */
            dir++;
            dlen -= 2;
        }
        if (dlen == 0)
            continue;
        size_t cap = dlen + 1 + name_len + 5;
        wchar_t *cand = malloc(cap * sizeof *cand);
        if (cand == NULL)
            break;
        bool sep = dir[dlen - 1] == L'\\' || dir[dlen - 1] == L'/';
        swprintf(cand, cap, L"%ls%ls%ls", dir, sep ? L"" : L"\\", name);
        if (has_ext && is_file(cand)) {
            found = cand;
            break;
        }
        swprintf(cand, cap, L"%ls%ls%ls.exe", dir, sep ? L"" : L"\\", name);
        if (is_file(cand))
            found = cand;
        else
            free(cand);
    }
    free(path);
    free(name);
    if (found == NULL)
        *err = ENOENT;
    return found;
}

/* ============================================================== pipes */

/*
** A pipe for one of the child's outputs: *ours is the overlapped read
** end (not inheritable), *theirs the inheritable write end.  Returns 0 or
** a Windows error.
*/
static DWORD make_pipe(HANDLE *ours, HANDLE *theirs)
{
    static volatile LONG counter;
    wchar_t name[96];
    swprintf(name, sizeof name / sizeof name[0], L"\\\\.\\pipe\\neolith-git-%lu-%ld-%llu",
             (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&counter),
             (unsigned long long)GetTickCount64());
    *ours = CreateNamedPipeW(name,
                             PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                             FILE_FLAG_FIRST_PIPE_INSTANCE,
                             PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                             PIPE_REJECT_REMOTE_CLIENTS,
                             1, 0, GIT_RUN_PIPE_CHUNK, 0, NULL);
    if (*ours == INVALID_HANDLE_VALUE) {
        *ours = NULL;
        return GetLastError();
    }
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    *theirs = CreateFileW(name, GENERIC_WRITE, 0, &sa, OPEN_EXISTING,
                          FILE_ATTRIBUTE_NORMAL, NULL);
    if (*theirs == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        *theirs = NULL;
        close_handle(ours);
        return e;
    }
    return 0;
}

/* Starts a read on p unless one is outstanding or p is at its end. */
static void reader_arm(pipe_reader_t *p)
{
    if (p->read == NULL || p->pending)
        return;
    ResetEvent(p->ov.hEvent);
    p->ov.Offset = p->ov.OffsetHigh = 0;
    if (ReadFile(p->read, p->buf, sizeof p->buf, NULL, &p->ov) ||
        GetLastError() == ERROR_IO_PENDING) {
        p->pending = true;          /* the event is set when it ends */
        return;
    }
    close_handle(&p->read);         /* ERROR_BROKEN_PIPE: end of file */
}

/* The read on p ended (its event is set): takes the bytes. */
static void reader_collect(pipe_reader_t *p, git_run_output_t *out)
{
    DWORD n = 0;
    p->pending = false;
    if (!GetOverlappedResult(p->read, &p->ov, &n, FALSE)) {
        close_handle(&p->read);     /* end of file or an error */
        return;
    }
    if (p->is_stdout)
        git_run_output_stdout(out, p->buf, n);
    else
        git_run_output_stderr(out, p->buf, n);
}

/* Gives up on p: cancels its read and waits for the cancel to land, so
 * the buffer is ours again before it goes away. */
static void reader_close(pipe_reader_t *p)
{
    if (p->pending) {
        DWORD n;
        CancelIoEx(p->read, &p->ov);
        GetOverlappedResult(p->read, &p->ov, &n, TRUE);
        p->pending = false;
    }
    close_handle(&p->read);
    close_handle(&p->ov.hEvent);
}

/* ============================================================== spawn */

/* Everything one run owns.  Large (two pipe buffers): on the heap. */
typedef struct run_state {
    const git_run_spec_t *spec;
    git_run_output_t output;
    HANDLE process;
    HANDLE job;
    pipe_reader_t out, err;
} run_state_t;

/*
** Starts the child, suspended, in a new job, then resumes it.  Returns 0
** or an errno value.  The handles given to the child are closed here
** whatever happens.
*/
static int spawn_child(run_state_t *st, HANDLE out_w, HANDLE err_w)
{
    const git_run_spec_t *spec = st->spec;
    int err = 0;
    HANDLE null_in = NULL;
    wchar_t *program = NULL, *cmdline = NULL, *env = NULL;
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
    PROCESS_INFORMATION pi = { 0 };

    program = find_program(spec->argv[0], &err);
    if (program == NULL)
        goto out;
    cmdline = build_command_line(spec->argv);
    env = spec->envp != NULL ? build_env_block(spec->envp) : NULL;
    if (cmdline == NULL || (spec->envp != NULL && env == NULL)) {
        err = ENOMEM;
        goto out;
    }
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    null_in = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                          &sa, OPEN_EXISTING, 0, NULL);
    if (null_in == INVALID_HANDLE_VALUE) {
        null_in = NULL;
        err = errno_from_win32(GetLastError());
        goto out;
    }

    /* Inherit these three handles and nothing else. */
    HANDLE inherit[3] = { null_in, out_w, err_w };
    SIZE_T attr_size = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
    attrs = malloc(attr_size);
    if (attrs == NULL) {
        err = ENOMEM;
        goto out;
    }
    if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size)) {
        free(attrs);
        attrs = NULL;
        err = errno_from_win32(GetLastError());
        goto out;
    }
    if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                   inherit, sizeof inherit, NULL, NULL)) {
        err = errno_from_win32(GetLastError());
        goto out;
    }

    st->job = CreateJobObjectW(NULL, NULL);
    if (st->job == NULL) {
        err = errno_from_win32(GetLastError());
        goto out;
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    memset(&limits, 0, sizeof limits);
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(st->job, JobObjectExtendedLimitInformation,
                                 &limits, sizeof limits)) {
        err = errno_from_win32(GetLastError());
        goto out;
    }

    STARTUPINFOEXW si;
    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = null_in;
    si.StartupInfo.hStdOutput = out_w;
    si.StartupInfo.hStdError = err_w;
    si.lpAttributeList = attrs;
    DWORD flags = CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
                  EXTENDED_STARTUPINFO_PRESENT;
    if (!CreateProcessW(program, cmdline, NULL, NULL, TRUE, flags, env, NULL,
                        &si.StartupInfo, &pi)) {
        err = errno_from_win32(GetLastError());
        goto out;
    }
    /* In the job before it runs a single instruction: its children are
     * born there.  If that fails, the child never ran: end it. */
    if (!AssignProcessToJobObject(st->job, pi.hProcess)) {
        err = errno_from_win32(GetLastError());
        TerminateProcess(pi.hProcess, GIT_RUN_WIN32_KILLED);
        WaitForSingleObject(pi.hProcess, INFINITE);
        close_handle(&pi.hProcess);
        close_handle(&pi.hThread);
        goto out;
    }
    ResumeThread(pi.hThread);
    close_handle(&pi.hThread);
    st->process = pi.hProcess;

out:
    if (attrs != NULL) {
        DeleteProcThreadAttributeList(attrs);
        free(attrs);
    }
    close_handle(&null_in);
    free(program);
    free(cmdline);
    free(env);
    return err;
}

/* ================================================================ wait */

/* Milliseconds from now to deadline, rounded up, never negative. */
static DWORD ms_until(int64_t deadline_ns, int64_t now_ns)
{
    if (deadline_ns <= now_ns)
        return 0;
    int64_t ms = (deadline_ns - now_ns + PORT_NS_PER_MS - 1) / PORT_NS_PER_MS;
    return ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms;
}

static DWORD min_timeout(DWORD a, DWORD b)
{
    return a < b ? a : b;           /* INFINITE is the largest DWORD */
}

/* What the exit code says when nobody here ended the process. */
static void report_exit(git_run_result_t *result, DWORD code)
{
    int sig = 0;
    switch (code) {
    case GIT_RUN_STATUS_ACCESS_VIOLATION:
    case GIT_RUN_STATUS_STACK_OVERFLOW:     sig = SIGSEGV; break;
    case GIT_RUN_STATUS_ILLEGAL_INSTRUCTION: sig = SIGILL; break;
    case GIT_RUN_STATUS_INT_DIVIDE_BY_ZERO: sig = SIGFPE; break;
    case GIT_RUN_STATUS_CONTROL_C_EXIT:     sig = SIGINT; break;
    default:
        if ((code & 0xC0000000u) == 0xC0000000u)
            sig = SIGABRT;                  /* another NTSTATUS error */
        break;
    }
    if (sig != 0) {
        result->outcome = GIT_RUN_SIGNALED;
        result->term_signal = sig;
    } else {
        result->outcome = GIT_RUN_EXITED;
        result->exit_status = (int)code;
    }
}

static bool run(run_state_t *st, git_run_result_t *result)
{
    const git_run_spec_t *spec = st->spec;
    HANDLE cancel = spec->cancel != NULL && spec->cancel->ready ?
                    (HANDLE)spec->cancel->event : NULL;

    /* A stop that came before the start: do not start at all. */
    if (cancel != NULL && spec->cancel_grace_ms == 0 &&
        WaitForSingleObject(cancel, 0) == WAIT_OBJECT_0) {
        result->outcome = GIT_RUN_STOPPED;
        return false;
    }

    HANDLE out_w = NULL, err_w = NULL;
    DWORD e = make_pipe(&st->out.read, &out_w);
    if (e == 0)
        e = make_pipe(&st->err.read, &err_w);
    st->out.ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    st->err.ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (e == 0 && (st->out.ov.hEvent == NULL || st->err.ov.hEvent == NULL))
        e = GetLastError();
    int rc = e != 0 ? errno_from_win32(e) : spawn_child(st, out_w, err_w);
    /* Only the child holds the write ends now: its exit ends the pipes. */
    close_handle(&out_w);
    close_handle(&err_w);
    if (rc != 0) {
        result->outcome = GIT_RUN_FAILED;
        result->error = rc;
        return false;
    }
    if (spec->pid_slot != NULL)
        /* relaxed: a diagnostic snapshot, nothing is published through it */
        atomic_store_explicit(spec->pid_slot, (int)GetProcessId(st->process),
                              memory_order_relaxed);

    term_reason_t term = TERM_NONE;
    bool killed = false;            /* TerminateJobObject done by a stop/deadline */
    bool cancel_seen = false;
    int64_t cancel_at = 0;          /* when the stop takes effect */
    bool exited = false;
    int64_t drain_until = 0;
    DWORD code = 0;

    for (;;) {
        int64_t now = port_clock_now_ns();

        if (!exited) {
            if (term == TERM_NONE && spec->deadline_ns != PORT_DEADLINE_NEVER &&
                now >= spec->deadline_ns)
                term = TERM_TIMEOUT;
            else if (term == TERM_NONE && cancel_seen && now >= cancel_at)
                term = TERM_STOP;
            if (term != TERM_NONE && !killed) {
                TerminateJobObject(st->job, GIT_RUN_WIN32_KILLED);
                killed = true;
            }
            if (WaitForSingleObject(st->process, 0) == WAIT_OBJECT_0) {
                exited = true;
                if (!GetExitCodeProcess(st->process, &code))
                    code = GIT_RUN_WIN32_KILLED;
                /* What it left running (a remote helper) goes with it. */
                TerminateJobObject(st->job, GIT_RUN_WIN32_KILLED);
                if (spec->pid_slot != NULL)
                    atomic_store_explicit(spec->pid_slot, 0, memory_order_relaxed);
                drain_until = now + GIT_RUN_DRAIN_MS * PORT_NS_PER_MS;
            }
        }
        reader_arm(&st->out);
        reader_arm(&st->err);
        if (exited && ((st->out.read == NULL && st->err.read == NULL) ||
                       now >= drain_until))
            break;

        HANDLE wait[4];
        DWORD n = 0, timeout = INFINITE;
        int i_out = -1, i_err = -1, i_cancel = -1;
        if (st->out.pending) {
            i_out = (int)n;
            wait[n++] = st->out.ov.hEvent;
        }
        if (st->err.pending) {
            i_err = (int)n;
            wait[n++] = st->err.ov.hEvent;
        }
        if (!exited) {
            wait[n++] = st->process;
            if (cancel != NULL && !cancel_seen) {
                i_cancel = (int)n;
                wait[n++] = cancel;
            }
            if (term == TERM_NONE) {
                if (spec->deadline_ns != PORT_DEADLINE_NEVER)
                    timeout = min_timeout(timeout, ms_until(spec->deadline_ns, now));
                if (cancel_seen)
                    timeout = min_timeout(timeout, ms_until(cancel_at, now));
            }
        } else {
            timeout = ms_until(drain_until, now);
        }

        DWORD w = n > 0 ? WaitForMultipleObjects(n, wait, FALSE, timeout)
                        : (Sleep(timeout), WAIT_TIMEOUT);
        if (w == WAIT_FAILED) {
            /* Cannot wait: treat it as a stop so the job still ends. */
            if (!exited && term == TERM_NONE) {
                cancel_seen = true;
                cancel_at = now;
            } else if (exited) {
                break;
            }
            continue;
        }
        /* Any object may be signalled, not only the first reported. */
        if (i_out >= 0 && WaitForSingleObject(st->out.ov.hEvent, 0) == WAIT_OBJECT_0)
            reader_collect(&st->out, &st->output);
        if (i_err >= 0 && WaitForSingleObject(st->err.ov.hEvent, 0) == WAIT_OBJECT_0)
            reader_collect(&st->err, &st->output);
        if (i_cancel >= 0 && WaitForSingleObject(cancel, 0) == WAIT_OBJECT_0) {
            cancel_seen = true;
            cancel_at = port_clock_now_ns() +
                        (int64_t)spec->cancel_grace_ms * PORT_NS_PER_MS;
        }
    }

    git_run_output_end(&st->output);    /* a last line without its '\n' */

    /* Terminated, unless it finished successfully before the job was
     * ended: then the work is done and that is what counts. */
    if ((term == TERM_TIMEOUT || term == TERM_STOP) && code != 0) {
        result->outcome = term == TERM_TIMEOUT ? GIT_RUN_TIMED_OUT : GIT_RUN_STOPPED;
        result->term_signal = code == GIT_RUN_WIN32_KILLED ? SIGTERM : 0;
        result->exit_status = code == GIT_RUN_WIN32_KILLED ? 0 : (int)code;
        return false;
    }
    report_exit(result, code);
    return result->outcome == GIT_RUN_EXITED && result->exit_status == 0;
}

bool git_run(const git_run_spec_t *spec, git_run_result_t *result)
{
    run_state_t *st = calloc(1, sizeof *st);
    if (st == NULL) {
        memset(result, 0, sizeof *result);
        result->outcome = GIT_RUN_FAILED;
        result->error = ENOMEM;
        return false;
    }
    st->spec = spec;
    st->out.is_stdout = true;
    bool ok = false;
    if (git_run_output_begin(&st->output, spec, result))
        ok = run(st, result);
    reader_close(&st->out);
    reader_close(&st->err);
    close_handle(&st->process);
    close_handle(&st->job);         /* KILL_ON_JOB_CLOSE: nothing outlives it */
    free(st);
    return ok;
}

/* ============================================================== cancel */

int git_run_cancel_init(git_run_cancel_t *c)
{
    memset(c, 0, sizeof *c);
    /* Manual reset: once set it stays set for every waiter. */
    c->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (c->event == NULL)
        return errno_from_win32(GetLastError());
    c->ready = true;
    return 0;
}

void git_run_cancel_set(git_run_cancel_t *c)
{
    if (c->ready)
        SetEvent((HANDLE)c->event);
}

bool git_run_cancel_is_set(const git_run_cancel_t *c)
{
    return c->ready && WaitForSingleObject((HANDLE)c->event, 0) == WAIT_OBJECT_0;
}

void git_run_cancel_destroy(git_run_cancel_t *c)
{
    if (!c->ready)
        return;
    CloseHandle((HANDLE)c->event);
    c->event = NULL;
    c->ready = false;
}

/* ========================================================= environment */

/* UTF-16 to a new UTF-8 string; NULL on out of memory. */
static char *utf8_from_utf16(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n);
    if (s != NULL && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
        free(s);
        return NULL;
    }
    return s;
}

/* From the process's UTF-16 block, not the C runtime's environ (which is
 * in the ANSI code page and loses what it cannot show). */
char **git_run_env_copy(void)
{
    wchar_t *block = GetEnvironmentStringsW();
    if (block == NULL)
        return NULL;
    size_t count = 0;
    for (const wchar_t *p = block; *p != L'\0'; p += wcslen(p) + 1)
        count++;
    char **env = calloc(count + 1, sizeof *env);
    if (env != NULL) {
        size_t i = 0;
        for (const wchar_t *p = block; *p != L'\0'; p += wcslen(p) + 1) {
            if ((env[i++] = utf8_from_utf16(p)) == NULL) {
                git_run_env_free(env);
                env = NULL;
                break;
            }
        }
    }
    FreeEnvironmentStringsW(block);
    return env;
}

/* ============================================================== signals */

const char *git_run_signal_name(int sig)
{
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT:  return "SIGINT";
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGILL:  return "SIGILL";
    case SIGFPE:  return "SIGFPE";
    default:      return "a signal";
    }
}
