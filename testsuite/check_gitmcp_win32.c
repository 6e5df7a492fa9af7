/*
 * check_gitmcp_win32.c - Windows only: src/git_run_win32.c (the git
 * process runner) and src/mcp_stdio_win32.c (the MCP stdio transport's
 * I/O) on real processes and real pipes.  Runs under wine in the cross
 * build (CK_FORK=no: every case in one process).
 *
 * There is no git here: the child is this program itself, started with
 * "--child MODE ..." (see child_main), which prints, exits, sleeps, starts
 * a grandchild or claims its stdio on request.
 */
#include "config.h"             /* autoconf's (testsuite/ has no config.h) */
#include "src/git_run.h"
#include "git_run_test.h"
#include "src/mcp_transport.h"
#include "mcp_transport_test.h"

#include "async/async_runtime.h"
#include "port/port_clock.h"
#include "port/port_thread.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char self_path[MAX_PATH * 3];    /* this program, UTF-8 */

/* ================================================================ child */

static void put(HANDLE h, const char *s)
{
    DWORD w;
    WriteFile(h, s, (DWORD)strlen(s), &w, NULL);
}

/* Starts this program again as "--child sleep", sharing our handles. */
static DWORD start_sleeper(void)
{
    wchar_t path[MAX_PATH];
    GetModuleFileNameW(NULL, path, MAX_PATH);
    wchar_t cmd[MAX_PATH + 64];
    swprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\" --child sleep", path);
    STARTUPINFOW si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(path, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return 0;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return pi.dwProcessId;
}

static int child_main(int argc, char **argv)
{
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    const char *mode = argv[2];
    char buf[512];
    if (strcmp(mode, "out-err") == 0) {
        put(err, "a 10%\ra 20%\rdone\nlast");
        put(out, "out\n");
        return 0;
    }
    if (strcmp(mode, "exit") == 0) {
        put(out, "0123456789");
        return atoi(argv[3]);
    }
    if (strcmp(mode, "sleep") == 0) {
        Sleep(60000);                   /* bounded: never an immortal orphan */
        return 0;
    }
    if (strcmp(mode, "sleep-tree") == 0) {
        snprintf(buf, sizeof buf, "%lu\n", (unsigned long)start_sleeper());
        put(err, buf);
        Sleep(60000);
        return 0;
    }
    if (strcmp(mode, "env") == 0) {
        wchar_t name[64], value[256];
        MultiByteToWideChar(CP_UTF8, 0, argv[3], -1, name, 64);
        DWORD n = GetEnvironmentVariableW(name, value, 256);
        if (n == 0 || n >= 256)
            return 5;
        WideCharToMultiByte(CP_UTF8, 0, value, -1, buf, sizeof buf, NULL, NULL);
        put(out, buf);
        return 0;
    }
    if (strcmp(mode, "args") == 0) {
        /* The arguments as the C runtime parsed them, each in brackets. */
        for (int i = 3; i < argc; i++) {
            snprintf(buf, sizeof buf, "[%s]", argv[i]);
            put(out, buf);
        }
        return 0;
    }
    if (strcmp(mode, "stdin") == 0) {
        DWORD n = 0;
        BOOL ok = ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &n, NULL);
        snprintf(buf, sizeof buf, "%d %lu", ok, (unsigned long)n);
        put(out, buf);
        return 0;
    }
    if (strcmp(mode, "claim") == 0) {
        int in_fd, out_fd;
        if (mcp_transport_claim_stdio(&in_fd, &out_fd) != 0)
            return 1;
        printf("stray print\n");        /* must land on stderr */
        fflush(stdout);
        put(GetStdHandle(STD_OUTPUT_HANDLE), "stray handle\n");   /* so must this */
        if (_write(out_fd, "{}\n", 3) != 3)
            return 2;
        char c;
        if (_read(0, &c, 1) != 0)       /* fd 0 is NUL now */
            return 3;
        DWORD flags = 0;
        if (!GetHandleInformation((HANDLE)_get_osfhandle(out_fd), &flags) ||
            (flags & HANDLE_FLAG_INHERIT))
            return 4;
        return 0;
    }
    return 99;
}

/* ============================================================== git_run */

START_TEST(test_run_splits_stderr_at_cr_and_lf_and_keeps_stdout)
{
    const char *argv[] = { self_path, "--child", "out-err", NULL };
    git_run_test_lines_t l;
    memset(&l, 0, sizeof l);
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.on_stderr_line = git_run_test_collect_line;
    spec.ctx = &l;
    git_run_result_t r;
    ck_assert(git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_EXITED);
    ck_assert_str_eq(r.out, "out\n");
    ck_assert_int_eq(l.count, 4);
    ck_assert_str_eq(l.text[0], "a 10%");
    ck_assert_str_eq(l.text[1], "a 20%");
    ck_assert_str_eq(l.text[2], "done");
    ck_assert_str_eq(l.text[3], "last");
    ck_assert_str_eq(r.err_tail, "done\nlast\n");
    git_run_result_free(&r);
}
END_TEST

START_TEST(test_run_reports_exit_status_and_truncates_stdout)
{
    const char *argv[] = { self_path, "--child", "exit", "3", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4);
    git_run_result_t r;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_EXITED);
    ck_assert_int_eq(r.exit_status, 3);
    ck_assert_str_eq(r.out, "0123");
    ck_assert(r.out_truncated);
    git_run_result_free(&r);
    git_run_result_free(&r);            /* twice is safe */
}
END_TEST

START_TEST(test_run_finds_a_system_program_in_path)
{
    const char *argv[] = { "cmd", "/c", "echo hello", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    git_run_result_t r;
    ck_assert_msg(git_run(&spec, &r), "outcome %d error %d", r.outcome, r.error);
    ck_assert_str_eq(r.out, "hello\r\n");
    git_run_result_free(&r);
}
END_TEST

START_TEST(test_run_missing_program_fails_with_enoent)
{
    const char *argv[] = { "neolith-no-such-program-here", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    git_run_result_t r;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_FAILED);
    ck_assert_int_eq(r.error, ENOENT);
    git_run_result_free(&r);
    const char *argv2[] = { "C:\\no\\such\\dir\\prog", NULL };
    git_run_test_spec(&spec, argv2, NULL, 4096);
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_FAILED);
    ck_assert_int_eq(r.error, ENOENT);
    git_run_result_free(&r);
}
END_TEST

START_TEST(test_run_quotes_arguments_for_the_child_runtime)
{
    const char *argv[] = { self_path, "--child", "args", "plain", "two words", "",
                           "say \"hi\"", "back\\slash", "trail\\", "tr ail\\",
                           "q\\\"q", "tab\there", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    git_run_result_t r;
    ck_assert(git_run(&spec, &r));
    ck_assert_str_eq(r.out, "[plain][two words][][say \"hi\"][back\\slash][trail\\]"
                            "[tr ail\\][q\\\"q][tab\there]");
    git_run_result_free(&r);
}
END_TEST

START_TEST(test_run_child_gets_the_environment_given_and_nul_stdin)
{
    char **env = git_run_env_copy();
    ck_assert_ptr_nonnull(env);
    size_t n = 0;
    bool has_path = false;
    while (env[n] != NULL) {
        has_path = has_path || _strnicmp(env[n], "PATH=", 5) == 0;
        n++;
    }
    ck_assert(has_path);
    env = realloc(env, (n + 3) * sizeof *env);
    env[n] = strdup("neolith_test_var=lower");
    env[n + 1] = strdup("NEOLITH_TEST_VAR=upper \xc3\xa9t\xc3\xa9");  /* later wins */
    env[n + 2] = NULL;
    const char *argv[] = { self_path, "--child", "env", "Neolith_Test_Var", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.envp = env;
    git_run_result_t r;
    ck_assert_msg(git_run(&spec, &r), "outcome %d status %d", r.outcome, r.exit_status);
    ck_assert_str_eq(r.out, "upper \xc3\xa9t\xc3\xa9");
    git_run_result_free(&r);

    const char *argv2[] = { self_path, "--child", "stdin", NULL };
    git_run_test_spec(&spec, argv2, NULL, 4096);
    spec.envp = env;
    ck_assert(git_run(&spec, &r));
    ck_assert_str_eq(r.out, "1 0");     /* ReadFile succeeded with 0 bytes: NUL */
    git_run_result_free(&r);
    git_run_env_free(env);
}
END_TEST

/* The child starts a grandchild that holds the pipes too: the deadline
 * ends both, and git_run returns without waiting for the grandchild. */
START_TEST(test_run_deadline_kills_the_whole_tree)
{
    const char *argv[] = { self_path, "--child", "sleep-tree", NULL };
    git_run_test_lines_t l;
    memset(&l, 0, sizeof l);
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.deadline_ns = port_deadline_after_ms(500);
    spec.on_stderr_line = git_run_test_collect_line;
    spec.ctx = &l;
    atomic_int pid;
    atomic_init(&pid, 0);
    spec.pid_slot = &pid;
    git_run_result_t r;
    int64_t t0 = port_clock_now_ns();
    ck_assert(!git_run(&spec, &r));
    int64_t took_ms = (port_clock_now_ns() - t0) / PORT_NS_PER_MS;
    ck_assert_int_eq(r.outcome, GIT_RUN_TIMED_OUT);
    ck_assert_int_eq(r.term_signal, SIGTERM);
    ck_assert_int_ge(took_ms, 500);
    ck_assert_int_lt(took_ms, 500 + 3000);
    ck_assert_int_eq(atomic_load(&pid), 0);
    git_run_result_free(&r);
    ck_assert_int_eq(l.count, 1);
    DWORD sleeper = (DWORD)strtoul(l.text[0], NULL, 10);
    ck_assert_uint_gt(sleeper, 0);
    HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, sleeper);
    if (h != NULL) {                    /* still known: it must have ended */
        ck_assert_uint_eq(WaitForSingleObject(h, 2000), WAIT_OBJECT_0);
        CloseHandle(h);
    } else {                            /* gone altogether */
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    }
}
END_TEST

START_TEST(test_run_cancel_stops_at_once_or_before_start)
{
    git_run_cancel_t cancel;
    ck_assert_int_eq(git_run_cancel_init(&cancel), 0);
    ck_assert(!git_run_cancel_is_set(&cancel));
    const char *argv[] = { self_path, "--child", "sleep", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.cancel = &cancel;
    git_run_cancel_set(&cancel);
    git_run_cancel_set(&cancel);
    ck_assert(git_run_cancel_is_set(&cancel));
    git_run_result_t r;
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_eq(r.outcome, GIT_RUN_STOPPED);
    ck_assert_int_eq(r.term_signal, 0);             /* never started */
    git_run_result_free(&r);
    spec.cancel_grace_ms = 50;
    int64_t t0 = port_clock_now_ms();
    ck_assert(!git_run(&spec, &r));
    ck_assert_int_lt(port_clock_now_ms() - t0, 3000);
    ck_assert_int_eq(r.outcome, GIT_RUN_STOPPED);
    ck_assert_int_eq(r.term_signal, SIGTERM);
    git_run_result_free(&r);
    git_run_cancel_destroy(&cancel);
    git_run_cancel_destroy(&cancel);
}
END_TEST

static void *cancel_later(void *arg)
{
    Sleep(300);
    git_run_cancel_set(arg);
    return NULL;
}

START_TEST(test_run_cancel_from_another_thread_ends_a_running_child)
{
    git_run_cancel_t cancel;
    ck_assert_int_eq(git_run_cancel_init(&cancel), 0);
    const char *argv[] = { self_path, "--child", "sleep", NULL };
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.cancel = &cancel;
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, cancel_later, &cancel, 0), 0);
    git_run_result_t r;
    int64_t t0 = port_clock_now_ms();
    ck_assert(!git_run(&spec, &r));
    int64_t took = port_clock_now_ms() - t0;
    ck_assert_int_ge(took, 250);
    ck_assert_int_lt(took, 3000);
    ck_assert_int_eq(r.outcome, GIT_RUN_STOPPED);
    git_run_result_free(&r);
    port_thread_join(&th, NULL);
    git_run_cancel_destroy(&cancel);
}
END_TEST

START_TEST(test_signal_names)
{
    ck_assert_str_eq(git_run_signal_name(SIGTERM), "SIGTERM");
    ck_assert_str_eq(git_run_signal_name(SIGSEGV), "SIGSEGV");
    ck_assert_str_eq(git_run_signal_name(12345), "a signal");
}
END_TEST

/* ========================================================= MCP transport */

#define KEY MCP_TEST_KEY

typedef mcp_test_pipes_t pipes_t;

static void transport_start_on(pipes_t *p, int in_fd, size_t capacity, size_t budget)
{
    ck_assert_int_eq(_pipe(p->from_writer, 4096, _O_BINARY | _O_NOINHERIT), 0);
    p->rt = async_runtime_init();
    ck_assert_ptr_nonnull(p->rt);
    mcp_transport_config_t cfg = {
        .in_fd = in_fd, .out_fd = p->from_writer[1], .max_line = 1024,
        .runtime = p->rt, .key = KEY, .out_capacity = capacity, .out_budget = budget,
    };
    p->t = mcp_transport_start(&cfg);
    ck_assert_ptr_nonnull(p->t);
}

static void transport_open(pipes_t *p, size_t capacity, size_t budget)
{
    ck_assert_int_eq(_pipe(p->to_reader, 4096, _O_BINARY | _O_NOINHERIT), 0);
    transport_start_on(p, p->to_reader[0], capacity, budget);
}

static void transport_close(pipes_t *p)
{
    mcp_transport_destroy(p->t);        /* closes the transport's two fds */
    if (p->to_reader[1] >= 0)
        _close(p->to_reader[1]);
    if (p->from_writer[0] >= 0)
        _close(p->from_writer[0]);
    async_runtime_destroy(p->rt);
}

static void write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        int w = _write(fd, s, (unsigned)n);
        ck_assert_int_gt(w, 0);
        s += w;
        n -= (size_t)w;
    }
}

START_TEST(test_reader_partial_reads_crlf_too_long_and_eof_on_a_pipe)
{
    pipes_t p;
    transport_open(&p, 0, 0);
    static const char first[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
                                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\r\n";
    write_str(p.to_reader[1], first);
    mcp_test_expect_input_id(&p, 1);
    mcp_test_expect_input_id(&p, 2);
    /* one message in three parts, each read before the next is written */
    static const char *const parts[] = {
        "{\"jsonrpc\":\"2.0\",", "\"id\":3,\"method\"", ":\"ping\"}\n\n  \n",
    };
    mcp_transport_stats_t st;
    uint64_t want = sizeof first - 1;       /* every byte written so far */
    for (size_t i = 0; i < 3; i++) {
        write_str(p.to_reader[1], parts[i]);
        want += strlen(parts[i]);
        mcp_test_wait_bytes_read(&p, want);
        if (i < 2) {
            mcp_transport_get_stats(p.t, &st);
            ck_assert_uint_eq(st.inputs, 2);        /* held, not delivered */
        }
    }
    mcp_test_expect_input_id(&p, 3);
    char big[3000];
    memset(big, 'x', sizeof big - 2);
    big[0] = '{';
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    write_str(p.to_reader[1], big);
    write_str(p.to_reader[1], "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}\n");
    mcp_input_t *in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_TOO_LONG);
    mcp_input_free(in);
    mcp_test_expect_input_id(&p, 4);
    /* end of input (ERROR_BROKEN_PIPE): the last line counts, then EOF */
    write_str(p.to_reader[1], "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
    _close(p.to_reader[1]);
    p.to_reader[1] = -1;
    mcp_test_expect_input_id(&p, 5);
    in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_EOF);
    mcp_input_free(in);
    transport_close(&p);
}
END_TEST

START_TEST(test_reader_reads_a_file_to_its_end)
{
    char dir[MAX_PATH], path[MAX_PATH];
    GetTempPathA(sizeof dir, dir);
    ck_assert_uint_ne(GetTempFileNameA(dir, "mcp", 0, path), 0);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n", f);
    fclose(f);
    int fd = _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    ck_assert_int_ge(fd, 0);
    pipes_t p;
    p.to_reader[0] = fd;
    p.to_reader[1] = -1;
    transport_start_on(&p, fd, 0, 0);
    mcp_test_expect_input_id(&p, 1);
    mcp_test_expect_input_id(&p, 2);
    mcp_input_t *in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_EOF);
    mcp_input_free(in);
    transport_close(&p);
    DeleteFileA(path);
}
END_TEST

typedef struct drain {
    int fd;
    char *data;
    size_t len;
} drain_t;

static void *drain_proc(void *arg)
{
    drain_t *d = arg;
    size_t cap = 1 << 16;
    d->data = malloc(cap);
    d->len = 0;
    for (;;) {
        if (d->len == cap) {
            cap *= 2;
            d->data = realloc(d->data, cap);
        }
        int r = _read(d->fd, d->data + d->len, (unsigned)(cap - d->len));
        if (r <= 0)
            break;
        d->len += (size_t)r;
    }
    return NULL;
}

START_TEST(test_writer_writes_whole_lines_in_order)
{
    pipes_t p;
    transport_open(&p, 0, 0);
    drain_t d = { p.from_writer[0], NULL, 0 };
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, drain_proc, &d, 0), 0);
    mcp_test_send_numbered(&p, 50, 25);
    mcp_test_stop_expect_written(&p, 50);   /* closes the write end: drain ends */
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    mcp_test_expect_numbered_lines(d.data, d.len, 50);
    free(d.data);
    _close(p.to_reader[1]);
    _close(p.from_writer[0]);
    async_runtime_destroy(p.rt);
}
END_TEST

START_TEST(test_broken_pipe_is_a_disconnect_not_a_crash)
{
    pipes_t p;
    transport_open(&p, 0, 0);
    _close(p.from_writer[0]);           /* the client went away */
    p.from_writer[0] = -1;
    mcp_test_expect_output_fails(&p);
    transport_close(&p);
}
END_TEST

START_TEST(test_stop_ends_a_reader_waiting_on_a_silent_client)
{
    pipes_t p;
    transport_open(&p, 0, 0);
    Sleep(50);                          /* let the reader block in ReadFile */
    int64_t t0 = port_clock_now_ms();
    ck_assert(mcp_transport_stop(p.t, 100));
    ck_assert_int_lt(port_clock_now_ms() - t0, 1000);
    transport_close(&p);
}
END_TEST

START_TEST(test_stop_gives_up_on_a_client_that_stopped_reading)
{
    pipes_t p;
    transport_open(&p, 16, 1 << 22);
    char *fill = malloc(1 << 18);
    memset(fill, 'f', (1 << 18) - 1);
    fill[(1 << 18) - 1] = '\0';
    json_t *m = json_pack("{s:s}", "fill", fill);
    free(fill);
    ck_assert_int_eq(mcp_transport_send(p.t, mcp_out_msg_new(m, MCP_OUT_RESPONSE)), MCP_SEND_OK);
    json_decref(m);
    mcp_transport_stats_t st;
    for (int i = 0; i < 500; i++) {     /* until the writer is stuck in WriteFile */
        mcp_transport_get_stats(p.t, &st);
        if (st.queued_messages == 0)
            break;
        Sleep(2);
    }
    ck_assert_uint_eq(st.queued_messages, 0);
    Sleep(50);
    json_t *small = json_pack("{s:i}", "n", 1);
    ck_assert_int_eq(mcp_transport_send(p.t, mcp_out_msg_new(small, MCP_OUT_RESPONSE)),
                     MCP_SEND_OK);
    json_decref(small);
    int64_t t0 = port_clock_now_ms();
    ck_assert(mcp_transport_stop(p.t, 200));        /* both workers joined */
    int64_t took = port_clock_now_ms() - t0;
    ck_assert_int_ge(took, 150);
    ck_assert_int_lt(took, 1500);
    mcp_transport_get_stats(p.t, &st);
    ck_assert_uint_eq(st.messages_written, 0);
    transport_close(&p);
}
END_TEST

/* A child claims its stdio: protocol bytes reach its real stdout, stray
 * prints (CRT and GetStdHandle) its stderr. */
START_TEST(test_claim_stdio_moves_stdout_to_stderr)
{
    const char *argv[] = { self_path, "--child", "claim", NULL };
    git_run_test_lines_t l;
    memset(&l, 0, sizeof l);
    git_run_spec_t spec;
    git_run_test_spec(&spec, argv, NULL, 4096);
    spec.on_stderr_line = git_run_test_collect_line;
    spec.ctx = &l;
    git_run_result_t r;
    ck_assert_msg(git_run(&spec, &r), "child exit status %d", r.exit_status);
    ck_assert_str_eq(r.out, "{}\n");
    ck_assert_int_eq(l.count, 2);
    ck_assert_str_eq(l.text[0], "stray print");
    ck_assert_str_eq(l.text[1], "stray handle");
    git_run_result_free(&r);
}
END_TEST

/* =================================================================== suite */

static Suite *win32_suite(void)
{
    Suite *s = suite_create("gitmcp_win32");
    TCase *tc = tcase_create("git_run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_run_splits_stderr_at_cr_and_lf_and_keeps_stdout);
    tcase_add_test(tc, test_run_reports_exit_status_and_truncates_stdout);
    tcase_add_test(tc, test_run_finds_a_system_program_in_path);
    tcase_add_test(tc, test_run_missing_program_fails_with_enoent);
    tcase_add_test(tc, test_run_quotes_arguments_for_the_child_runtime);
    tcase_add_test(tc, test_run_child_gets_the_environment_given_and_nul_stdin);
    tcase_add_test(tc, test_run_deadline_kills_the_whole_tree);
    tcase_add_test(tc, test_run_cancel_stops_at_once_or_before_start);
    tcase_add_test(tc, test_run_cancel_from_another_thread_ends_a_running_child);
    tcase_add_test(tc, test_signal_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("mcp_transport");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reader_partial_reads_crlf_too_long_and_eof_on_a_pipe);
    tcase_add_test(tc, test_reader_reads_a_file_to_its_end);
    tcase_add_test(tc, test_writer_writes_whole_lines_in_order);
    tcase_add_test(tc, test_broken_pipe_is_a_disconnect_not_a_crash);
    tcase_add_test(tc, test_stop_ends_a_reader_waiting_on_a_silent_client);
    tcase_add_test(tc, test_stop_gives_up_on_a_client_that_stopped_reading);
    tcase_add_test(tc, test_claim_stdio_moves_stdout_to_stderr);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    wchar_t wpath[MAX_PATH];
    GetModuleFileNameW(NULL, wpath, MAX_PATH);
    WideCharToMultiByte(CP_UTF8, 0, wpath, -1, self_path, sizeof self_path, NULL, NULL);
    SRunner *sr = srunner_create(win32_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
