/*
 * console_mode.c - the console user (neolith -c).  See console_mode.h.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "console_mode.h"

#include "backend.h"
#include "interactive.h"
#include "log.h"
#include "lpc_app.h"

#include "console/console.h"
#include "port/port_clock.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static console_t *con;            /* NULL before init and after stop */
static interactive_t *con_user;   /* the console user's binding, or NULL */
static bool session_ended;        /* EOF or hang-up: finish_session pending */
static bool port_zero;            /* no telnet listener: end = shutdown */
static bool atexit_done;
static bool key_registered;       /* BACKEND_KEY_CONSOLE is ours */
static int64_t last_input_ns;      /* port_clock time of the last line */

/* ---- the console sink (interactive.h) ------------------------------- */

static void sink_write(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    if (con != NULL)
        console_write(con, text, len);
}

static void sink_set_echo(void *ctx, bool on)
{
    (void)ctx;
    if (con != NULL)
        console_set_echo(con, on);
}

static void sink_set_prompt(void *ctx, const char *prompt)
{
    (void)ctx;
    if (con != NULL)
        console_set_prompt(con, prompt);
}

static void finish_session(void *ctx);

/* Between console_mode_connect and the loop's first turn: input waits in
 * the console's queue until the operator is logged in. */
static bool connect_pending;

/* The user object hung up (destructed, or moved elsewhere by exec and
 * then destructed).  Unwinding LPC code may still hold the binding, so
 * it is released from a timer; at shutdown (no loop any more) at once,
 * which interactive_forget allows. */
static void sink_close(void *ctx)
{
    (void)ctx;
    if (session_ended)
        return;
    session_ended = true;
    if (con == NULL || backend_shutdown_requested() ||
        backend_timer_add(0, 0, finish_session, NULL) == NULL) {
        interactive_t *ia = con_user;
        con_user = NULL;
        if (ia != NULL)
            interactive_release(ia);
    }
}

static double sink_idle_seconds(void *ctx)
{
    (void)ctx;
    return (double)(port_clock_now_ns() - last_input_ns) / 1e9;
}

static const char *sink_peer_address(void *ctx)
{
    (void)ctx;
    return "console";
}

static const interactive_sink_t console_sink = {
    .write = sink_write,
    .set_echo = sink_set_echo,
    .set_prompt = sink_set_prompt,
    .close = sink_close,
    .idle_seconds = sink_idle_seconds,
    .peer_address = sink_peer_address,
};

/* ---- the session ------------------------------------------------------ */

/* After EOF or hang-up: the user leaves like a telnet user whose
 * connection closed (net_dead() when its object is still there).  With
 * no telnet listener the driver shuts down (its stop stops the console);
 * otherwise the console stops now and the terminal is given back while
 * the driver keeps serving telnet players. */
static void finish_session(void *ctx)
{
    (void)ctx;
    interactive_t *ia = con_user;
    con_user = NULL;
    if (ia != NULL)
        lpc_app_user_gone(ia);
    if (port_zero) {
        log_info("console session ended: shutting down (no telnet listener)");
        backend_request_shutdown(0);
    } else if (con != NULL) {
        log_info("console session ended; telnet players carry on "
                 "(SIGINT or SIGTERM stops the driver)");
        /* the key stays registered (on_completion ignores it now):
         * completions still in flight are not warned about */
        console_stop(con);
        con = NULL;
    }
}

/* Tab: the user's complete(line up to the cursor) apply; its array's
 * strings are the candidates for the last word. */
static void complete(const console_event_t *e)
{
    lpc_value_t r = lpc_int(0);
    lpc_object_t *ob = con_user != NULL ? con_user->ob : NULL;
    if (ob != NULL && !lpc_object_is_destructed(ob) &&
        lpc_program_find_function(ob->prog, "complete") >= 0) {
        lpc_value_t arg = lpc_value_string(lpc_string_new(e->text, e->len));
        lpc_app_apply(ob, ob, "complete", &arg, 1, &r);
        lpc_value_release(&arg);
    }
    const char **cands = NULL;
    size_t n = 0;
    if (r.type == LPC_T_ARRAY && r.u.a->size > 0) {
        cands = lpc_calloc(r.u.a->size, sizeof *cands);
        for (uint32_t i = 0; i < r.u.a->size; i++)
            if (r.u.a->items[i].type == LPC_T_STRING)
                cands[n++] = r.u.a->items[i].u.s->data;
    }
    if (con != NULL)
        console_complete_reply(con, e->complete_id, cands, n);
    free(cands);
    lpc_value_release(&r);
}

static void on_completion(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key; (void)value; (void)ctx;
    console_event_t e;
    if (connect_pending)
        return;   /* drained by connect_now once the operator is in */
    while (con != NULL && !session_ended && console_next_event(con, &e)) {
        switch (e.type) {
        case CONSOLE_EVENT_LINE:
            last_input_ns = port_clock_now_ns();
            if (con_user == NULL)
                break;
            if (e.cut)
                interactive_printf(con_user, "*** Input line too long: cut to "
                                   "%zu bytes (%llu bytes dropped). ***\n",
                                   e.len, (unsigned long long)e.cut_bytes);
            lpc_app_user_line(con_user, e.text);
            break;
        case CONSOLE_EVENT_COMPLETE_REQUEST:
            complete(&e);
            break;
        case CONSOLE_EVENT_EOF:
            if (e.text != NULL)
                log_warn("%s", e.text);
            session_ended = true;
            finish_session(NULL);
            return;
        }
    }
}

static void restore_at_exit(void)
{
    console_restore_terminal_emergency();
}

/* The driver's fatal path is abort() (lpc_fatal_oom, assert), which
 * skips atexit: give the terminal back, then put the default action
 * back and let SIGABRT do what it does.  Async-signal-safe.  Plain C
 * signal(), which every OS has (Windows included). */
static void restore_on_abort(int sig)
{
    console_restore_terminal_emergency();
    signal(sig, SIG_DFL);
    raise(sig);
}

int console_mode_init(const driver_config_t *cfg)
{
    char history[4096], err[256];
    if (snprintf(history, sizeof history, "%s/console_history", cfg->log_dir) >=
        (int)sizeof history && cfg->console_history == NULL) {
        log_error("console: the log directory's path is too long");
        return -1;
    }
    setlocale(LC_CTYPE, "");     /* libedit: multibyte input and widths */
    if (!atexit_done) {
        atexit(restore_at_exit);
        signal(SIGABRT, restore_on_abort);
        atexit_done = true;
    }
    console_options_t opts;
    console_options_init(&opts);
    opts.runtime = backend_runtime();
    opts.completion_key = BACKEND_KEY_CONSOLE;
    opts.max_line = cfg->max_input_line;
    opts.history_path = cfg->console_history != NULL ? cfg->console_history : history;
    if (backend_register_completion(BACKEND_KEY_CONSOLE, on_completion, NULL) != 0) {
        log_error("console: its completion key is taken");
        return -1;
    }
    key_registered = true;
    con = console_start(&opts, err, sizeof err);
    if (con == NULL) {
        log_error("%s", err);
        console_mode_stop();
        return -1;
    }
    port_zero = cfg->port == 0;
    session_ended = false;
    last_input_ns = port_clock_now_ns();
    log_info("console: %s mode", console_is_tty(con) ? "terminal" : "pipe");
    return 0;
}

static void connect_operator(void)
{
    lpc_vm_t *vm = lpc_app_vm();
    lpc_value_t r = lpc_int(0);
    if (con == NULL || vm == NULL || vm->master == NULL)
        return;
    if (lpc_program_find_function(vm->master->prog, "connect_console") >= 0) {
        lpc_app_apply(NULL, vm->master, "connect_console", NULL, 0, &r);
    } else {
        lpc_value_t port = lpc_int(0);
        lpc_app_apply(NULL, vm->master, "connect", &port, 1, &r);
    }
    if (r.type != LPC_T_OBJECT || lpc_object_is_destructed(r.u.o) ||
        interactive_of(r.u.o) != NULL) {
        lpc_value_release(&r);
        static const char refused[] = "The mud is not accepting the console right now.\n";
        console_write(con, refused, sizeof refused - 1);
        log_warn("console: the master gave no user object");
        session_ended = true;
        if (backend_timer_add(0, 0, finish_session, NULL) == NULL)
            finish_session(NULL);
        return;
    }
    lpc_object_t *ob = r.u.o;
    con_user = interactive_bind_sink(&console_sink, NULL, ob);
    interactive_set_this_interactive(ob);
    /* a prompt logon leaves (the bundled login enters the game and
     * writes "> ") becomes the console's prompt */
    interactive_apply_prompting(ob, "logon");
    interactive_set_this_interactive(NULL);
    lpc_value_release(&r);
}

/* The first loop turn: the driver is fully up (listeners open), so the
 * operator's welcome means "ready"; then whatever was typed or piped in
 * meanwhile is handled, in order. */
static void connect_now(void *ctx)
{
    (void)ctx;
    connect_pending = false;
    connect_operator();
    on_completion(BACKEND_KEY_CONSOLE, 0, NULL);
}

void console_mode_connect(void)
{
    connect_pending = true;
    if (backend_timer_add(0, 0, connect_now, NULL) == NULL)
        connect_now(NULL);
}

void console_mode_stop(void)
{
    if (session_ended && con_user != NULL) {
        /* hung up, and the loop ended before finish_session ran */
        interactive_release(con_user);
        con_user = NULL;
    }
    if (con != NULL)
        console_stop(con);
    con = NULL;
    if (key_registered)
        backend_unregister_completion(BACKEND_KEY_CONSOLE);
    key_registered = false;
}
