/*
 * console_driver.c - a small program around lib/console for the console
 * tests: the main loop the driver will have (async_runtime_wait, the
 * console's completion key, a signal self-pipe), with a toy command set.
 *
 *   <any line>   -> "got: <line>" (" [cut N]" when cut)
 *   spam         -> five lines "spam 1" .. "spam 5"
 *   spam-in <ms> -> the five spam lines <ms> milliseconds later (output
 *                   that arrives while the operator types, on every
 *                   platform; SIGUSR1 does the same on POSIX)
 *   partial      -> "abc" without a newline (shown in front of the prompt)
 *   prompt <p>   -> the prompt becomes <p>
 *   secret       -> "Password: " and echo off; the next line is checked
 *                   against "hunter2" ("secret ok" / "secret wrong")
 *   crash        -> console_restore_terminal_emergency(), _exit(3): what a
 *                   fatal-error handler does
 *   quit         -> orderly shutdown
 * Tab completes words from a fixed list.  SIGUSR1 prints the five spam
 * lines (output that arrives while the operator types, without a timer);
 * SIGTERM shuts down through console_stop like the driver's shutdown.
 * EOF prints "EOF" and shuts down.
 *
 * At exit, after console_stop, it writes "exit fds=A/B threads=C/D" to
 * stdout: fds open / threads running now, and before the console
 * started.  On Windows "fds" counts the process's handles, and there
 * are no signals (SIGUSR1, SIGTERM): "spam" and "quit" do their work.
 *
 * Options: --mode auto|pipe|tty, --history PATH, --max-line N,
 *          --max-output N, --prompt P (default "> "), --no-complete
 */
#include "config.h"
#include "async/async_runtime.h"
#include "console/console.h"
#include "port/port_clock.h"
#include "port/port_thread.h"
#include "proc_count.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_CONSOLE 1
#define KEY_SIGNAL  2

static void *nothing(void *arg)
{
    return arg;
}

/* Sanitizer runtimes start a helper thread with the first thread the
 * program creates: start and join one first, so "threads before" and
 * "threads after" count the same helpers. */
static void warm_up_threads(void)
{
    port_thread_t t;
    if (port_thread_create(&t, nothing, NULL, 0) == 0)
        port_thread_join(&t, NULL);
}

#ifdef _WIN32
/* No signals to route on Windows. */
static int signals_init(async_runtime_t *rt)
{
    (void)rt;
    return 0;
}

static int signal_take(void)
{
    return 0;
}

static void signals_close(void)
{
}
#else
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    char b = (char)sig;
    (void)write(sig_pipe[1], &b, 1);
    errno = saved;
}

/* SIGTERM and SIGUSR1 arrive on the runtime as KEY_SIGNAL (self-pipe). */
static int signals_init(async_runtime_t *rt)
{
    if (pipe(sig_pipe) != 0)
        return -1;
    fcntl(sig_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(sig_pipe[1], F_SETFD, FD_CLOEXEC);
    fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
    async_runtime_add_socket(rt, sig_pipe[0], ASYNC_EVENT_READ, KEY_SIGNAL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* The next signal that arrived, 0 when none. */
static int signal_take(void)
{
    char sig;
    return read(sig_pipe[0], &sig, 1) == 1 ? sig : 0;
}

static void signals_close(void)
{
    close(sig_pipe[0]);
    close(sig_pipe[1]);
}
#endif

static void say(console_t *con, const char *s)
{
    console_write(con, s, strlen(s));
}

static void spam(console_t *con)
{
    for (int i = 1; i <= 5; i++) {
        char line[32];
        snprintf(line, sizeof(line), "spam %d\n", i);
        say(con, line);
    }
}

static const char *const words[] = {
    "look", "lock", "smile", "say", "spam", "secret", "shout", "shoulder"
};

static void complete(console_t *con, const console_event_t *ev)
{
    const char *word = strrchr(ev->text, ' ');
    word = word != NULL ? word + 1 : ev->text;
    const char *found[sizeof(words) / sizeof(words[0])];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(words[i], word, strlen(word)) == 0)
            found[n++] = words[i];
    console_complete_reply(con, ev->complete_id, found, n);
}

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "");   /* as the driver does: UTF-8 line editing */
    console_options_t opts;
    console_options_init(&opts);
    opts.completion_key = KEY_CONSOLE;
    opts.prompt = "> ";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--mode") == 0 && v) {
            opts.mode = strcmp(v, "pipe") == 0 ? CONSOLE_MODE_PIPE
                      : strcmp(v, "tty") == 0 ? CONSOLE_MODE_TTY : CONSOLE_MODE_AUTO;
            i++;
        } else if (strcmp(a, "--history") == 0 && v) {
            opts.history_path = v;
            i++;
        } else if (strcmp(a, "--max-line") == 0 && v) {
            opts.max_line = (size_t)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--max-output") == 0 && v) {
            opts.max_output = (size_t)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--prompt") == 0 && v) {
            opts.prompt = v;
            i++;
        } else if (strcmp(a, "--no-complete") == 0) {
            opts.complete_timeout_ms = 0;
        } else {
            fprintf(stderr, "console_driver: unknown option %s\n", a);
            return 2;
        }
    }

    async_runtime_t *rt = async_runtime_init();
    if (rt == NULL || signals_init(rt) != 0) {
        perror("console_driver: setup");
        return 1;
    }

    warm_up_threads();
    int fds_before = proc_count_fds();
    int threads_before = proc_count_live_threads();
    opts.runtime = rt;
    char err[256];
    console_t *con = console_start(&opts, err, sizeof(err));
    if (con == NULL) {
        fprintf(stderr, "console_driver: %s\n", err);
        return 1;
    }
    char hello[64];
    snprintf(hello, sizeof(hello), "ready pid=%d tty=%d\n", (int)getpid(),
             console_is_tty(con) ? 1 : 0);
    say(con, hello);

    bool expecting_secret = false;
    bool running = true;
    int64_t spam_at = PORT_DEADLINE_NEVER;   /* spam-in: when to spam */
    while (running) {
        io_event_t evs[16];
        struct timeval tv, *tvp = NULL;
        if (spam_at != PORT_DEADLINE_NEVER) {
            int64_t left = port_deadline_remaining_ms_ceil(spam_at);
            tv.tv_sec = (long)(left / 1000);
            tv.tv_usec = (long)(left % 1000) * 1000;
            tvp = &tv;
        }
        int n = async_runtime_wait(rt, evs, 16, tvp);
        if (spam_at != PORT_DEADLINE_NEVER && port_deadline_expired(spam_at)) {
            spam_at = PORT_DEADLINE_NEVER;
            spam(con);
        }
        for (int i = 0; i < n && running; i++) {
            if (evs[i].completion_key == KEY_SIGNAL) {
                int sig = signal_take();
#ifndef _WIN32
                if (sig == SIGTERM)
                    running = false;
                else if (sig == SIGUSR1)
                    spam(con);
#else
                (void)sig;
#endif
                continue;
            }
            console_event_t ev;
            while (running && console_next_event(con, &ev)) {
                if (ev.type == CONSOLE_EVENT_EOF) {
                    say(con, "EOF");
                    if (ev.text != NULL) {
                        say(con, ": ");
                        say(con, ev.text);
                    }
                    say(con, "\n");
                    running = false;
                } else if (ev.type == CONSOLE_EVENT_COMPLETE_REQUEST) {
                    complete(con, &ev);
                } else if (expecting_secret) {
                    expecting_secret = false;
                    console_set_echo(con, true);
                    say(con, strcmp(ev.text, "hunter2") == 0 ? "secret ok\n"
                                                            : "secret wrong\n");
                } else if (strcmp(ev.text, "quit") == 0) {
                    running = false;
                } else if (strcmp(ev.text, "spam") == 0) {
                    spam(con);
                } else if (strncmp(ev.text, "spam-in ", 8) == 0) {
                    spam_at = port_deadline_after_ms(atoi(ev.text + 8));
                } else if (strcmp(ev.text, "partial") == 0) {
                    say(con, "abc");
                } else if (strncmp(ev.text, "prompt ", 7) == 0) {
                    console_set_prompt(con, ev.text + 7);
                } else if (strcmp(ev.text, "secret") == 0) {
                    /* Echo off first, then the prompt: once the
                     * operator sees "Password: ", nothing typed shows. */
                    expecting_secret = true;
                    console_set_echo(con, false);
                    say(con, "Password: ");
                } else if (strcmp(ev.text, "crash") == 0) {
                    console_restore_terminal_emergency();
                    _exit(3);
                } else {
                    char tail[64] = "";
                    if (ev.cut)
                        snprintf(tail, sizeof(tail), " [cut %llu]",
                                 (unsigned long long)ev.cut_bytes);
                    say(con, "got: ");
                    console_write(con, ev.text, ev.len);
                    say(con, tail);
                    say(con, "\n");
                }
            }
        }
    }

    bool clean = console_stop(con);
    int fds_after = proc_count_fds();
    /* A joined thread can take a moment to leave /proc (see
     * proc_count_live_threads): give the kernel up to 2 s to finish. */
    int threads = proc_count_live_threads();
    for (int i = 0; i < 2000 && threads > threads_before; i++) {
        proc_sleep_ms(1);
        threads = proc_count_live_threads();
    }
    char bye[128];
    int len = snprintf(bye, sizeof(bye), "exit fds=%d/%d threads=%d/%d%s\n", fds_after,
                       fds_before, threads, threads_before, clean ? "" : " stop=stuck");
    (void)write(1, bye, (size_t)len);
    async_runtime_destroy(rt);
    signals_close();
    return clean ? 0 : 1;
}
