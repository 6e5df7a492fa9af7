/*
 * lpc_app.c - the LPC application: the runtime on the mudlib, the
 * connection callbacks, the master applies.  See lpc_app.h and
 * docs/manual/mudlib.md ("Driver applies").
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "lpc_app.h"

#include "backend.h"
#include "callouts.h"
#include "commands.h"
#include "console_mode.h"
#include "efuns_driver.h"
#include "interactive.h"
#include "log.h"
#include "mcp_lpc_provider.h"
#include "lpc_git.h"
#include "messages.h"
#include "mudlib_path.h"
#include "os_fs.h"
#include "world.h"

#include "lpc/lpc_runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lpc_vm_t *the_vm;
static bool reporting;               /* inside error reporting */

lpc_vm_t *lpc_app_vm(void)
{
    return the_vm;
}

/* ---- the mudlib reader --------------------------------------------------- */

/* Reads mudlib-absolute `path` ("/std/room.c").  Refused: any ".."
 * component, and anything whose real path (symlinks resolved) is not
 * inside the mudlib root. */
static char *mudlib_reader(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    if (strstr(path, "..") != NULL)
        return NULL;
    const char *mudlib_root = mudlib_path_root();   /* set by app_start */
    char full[PATH_MAX], real[PATH_MAX];
    if (snprintf(full, sizeof full, "%s/%s", mudlib_root,
                 path[0] == '/' ? path + 1 : path) >= (int)sizeof full)
        return NULL;
    if (os_fs_realpath(full, real, sizeof real) == NULL)
        return NULL;
    size_t rl = strlen(mudlib_root);
    if (strncmp(real, mudlib_root, rl) != 0 || real[rl] != '/')
        return NULL;
    /* no size limit of our own (the compiler takes what fits in memory);
     * a FIFO or folder is refused rather than waited on */
    return driver_read_whole(real, SIZE_MAX / 2, len);
}

/* ---- errors and top-level calls ------------------------------------------ */

static void do_error_handler(lpc_vm_t *vm, void *arg)
{
    lpc_value_t *a = arg;            /* a[0] mapping, a[1] result */
    lpc_value_t zero = lpc_int(0);
    lpc_vm_push(vm, &a[0]);
    lpc_vm_push(vm, &zero);
    lpc_vm_apply(vm, vm->master, "error_handler", vm->sp - 1, 2, &a[1]);
    lpc_value_release(vm->sp);
    vm->sp--;
    lpc_value_release(vm->sp);
    vm->sp--;
}

static void put(lpc_mapping_t *m, const char *key, lpc_value_t v)
{
    lpc_value_t k = lpc_value_string(lpc_string_from_cstr(key));
    lpc_mapping_set(m, &k, &v);
    lpc_value_release(&k);
    lpc_value_release(&v);
}

/* The error just caught (vm->err_*): logged; the master's
 * error_handler(mapping, 0) may return the text for the player. */
static void report_error(lpc_vm_t *vm, lpc_object_t *player)
{
    /* Copies: the handler's own errors would overwrite vm->err_*. */
    lpc_string_t *msg = lpc_string_from_cstr(vm->err_message != NULL ? vm->err_message : "?");
    const char *trace = vm->err_trace.data != NULL ? vm->err_trace.data : "";
    log_warn("LPC error: %s", msg->data);
    mcp_lpc_provider_runtime_error(msg->data);
    if (trace[0] != '\0')
        log_info("%s", trace);
    lpc_value_t a[2] = { lpc_int(0), lpc_int(0) };
    if (!reporting && vm->master != NULL && !lpc_object_is_destructed(vm->master) &&
        lpc_program_find_function(vm->master->prog, "error_handler") >= 0) {
        lpc_mapping_t *m = lpc_mapping_new(8);
        lpc_string_incref(msg);
        put(m, "error", lpc_value_string(msg));
        if (vm->err_program != NULL) {
            lpc_string_incref(vm->err_program);
            put(m, "program", lpc_value_string(vm->err_program));
        }
        if (vm->err_object != NULL) {
            lpc_string_incref(vm->err_object);
            put(m, "object", lpc_value_string(vm->err_object));
        }
        put(m, "line", lpc_int(vm->err_line));
        put(m, "trace", lpc_value_string(lpc_string_from_cstr(trace)));
        a[0] = lpc_value_mapping(m);
        reporting = true;
        lpc_vm_reset_eval(vm);
        if (!lpc_vm_protect(vm, do_error_handler, a, false))
            log_warn("error in master error_handler(): %s",
                     vm->err_message != NULL ? vm->err_message : "?");
        reporting = false;
    }
    interactive_t *ia = player != NULL && !lpc_object_is_destructed(player)
                        ? interactive_of(player) : NULL;
    if (ia != NULL) {
        if (a[1].type == LPC_T_STRING)
            interactive_write(ia, a[1].u.s->data, a[1].u.s->len);
        else
            interactive_printf(ia, "Something went wrong: %s\n", msg->data);
    }
    lpc_string_decref(msg);
    lpc_value_release(&a[0]);
    lpc_value_release(&a[1]);
}

bool lpc_app_run(lpc_object_t *player, void (*fn)(lpc_vm_t *vm, void *arg), void *arg)
{
    lpc_vm_t *vm = the_vm;
    lpc_object_t *saved = commands_set_this_player(player);
    if (player != NULL)
        lpc_object_incref(player);
    lpc_vm_reset_eval(vm);
    bool ok = lpc_vm_protect(vm, fn, arg, false);
    if (!ok) {
        commands_reset_top_level();
        report_error(vm, player);
    }
    if (player != NULL)
        lpc_object_decref(player);
    commands_set_this_player(saved != NULL && !lpc_object_is_destructed(saved) ? saved : NULL);
    mcp_lpc_provider_after_run();    /* list rechecks asked for meanwhile */
    return ok;
}

typedef struct apply_args {
    lpc_object_t *ob;
    const char *fname;
    const lpc_value_t *args;
    int nargs;
    lpc_value_t ret;
} apply_args_t;

static void do_apply(lpc_vm_t *vm, void *arg)
{
    apply_args_t *a = arg;
    lpc_vm_apply(vm, a->ob, a->fname, a->args, a->nargs, &a->ret);
}

bool lpc_app_apply(lpc_object_t *player, lpc_object_t *ob, const char *fname,
                   const lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    if (ret != NULL)
        *ret = lpc_int(0);
    if (ob == NULL || lpc_object_is_destructed(ob))
        return false;
    apply_args_t a = { ob, fname, args, nargs, lpc_int(0) };
    lpc_object_incref(ob);
    bool ok = lpc_app_run(player, do_apply, &a);
    lpc_object_decref(ob);
    if (ret != NULL)
        *ret = a.ret;
    else
        lpc_value_release(&a.ret);
    return ok;
}

/* ---- destruct hook -------------------------------------------------------- */

static lpc_app_destruct_observer_fn destruct_observer;   /* or NULL */

void lpc_app_set_destruct_observer(lpc_app_destruct_observer_fn fn)
{
    destruct_observer = fn;
}

static void on_destruct(lpc_vm_t *vm, lpc_object_t *ob)
{
    (void)vm;
    if (destruct_observer != NULL)
        destruct_observer(ob);
    callouts_forget(ob);
    commands_forget(ob);
    interactive_forget(ob);
    world_forget(ob);            /* last: frees the driver data */
}

/* ---- connections ---------------------------------------------------------- */

static void app_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    lpc_vm_t *vm = the_vm;
    lpc_value_t port = lpc_int(comm_listen_port());
    lpc_value_t r;
    lpc_app_apply(NULL, vm->master, "connect", &port, 1, &r);
    if (r.type != LPC_T_OBJECT || lpc_object_is_destructed(r.u.o) ||
        interactive_of(r.u.o) != NULL) {
        lpc_value_release(&r);
        comm_printf(conn, "The mud is not accepting connections right now.\n");
        comm_close(conn);
        return;
    }
    lpc_object_t *ob = r.u.o;
    interactive_t *ia = interactive_bind(conn, ob);
    comm_set_user_data(conn, ia);
    interactive_set_this_interactive(ob);
    lpc_app_apply(ob, ob, "logon", NULL, 0, NULL);
    interactive_set_this_interactive(NULL);
    mcp_lpc_provider_user_event(NULL, "connected");
    lpc_value_release(&r);
}

typedef struct line_args {
    interactive_t *ia;
    lpc_object_t *ob;
    const char *line;
} line_args_t;

static void do_line(lpc_vm_t *vm, void *arg)
{
    line_args_t *l = arg;
    if (interactive_run_input_to(vm, l->ia, l->line))
        return;
    lpc_object_t *ob = l->ob;
    if (lpc_program_find_function(ob->prog, "process_input") >= 0) {
        lpc_value_t in = lpc_value_string(lpc_string_from_cstr(l->line));
        lpc_vm_push(vm, &in);
        lpc_value_release(&in);
        lpc_value_t r = lpc_int(0);
        lpc_vm_apply(vm, ob, "process_input", vm->sp, 1, &r);
        lpc_value_release(vm->sp);
        vm->sp--;
        if (r.type == LPC_T_STRING) {
            lpc_vm_push(vm, &r);     /* kept alive on the stack */
            lpc_value_release(&r);
            if (!lpc_object_is_destructed(ob))
                commands_execute(vm, ob, vm->sp->u.s->data);
            lpc_value_release(vm->sp);
            vm->sp--;
            return;
        }
        bool handled = !lpc_value_is_zero(&r);
        lpc_value_release(&r);
        if (handled || lpc_object_is_destructed(ob))
            return;
    }
    commands_execute(vm, ob, l->line);
}

static void app_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)ctx;
    (void)len;
    interactive_t *ia = comm_get_user_data(conn);
    if (ia != NULL)
        lpc_app_user_line(ia, line);
}

void lpc_app_user_line(interactive_t *ia, const char *line)
{
    if (ia->ob == NULL)
        return;
    lpc_object_t *ob = ia->ob;
    lpc_object_incref(ob);
    line_args_t l = { ia, ob, line };
    interactive_set_this_interactive(ob);
    lpc_app_run(ob, do_line, &l);
    interactive_set_this_interactive(NULL);
    /* The prompt, unless the object left or waits for an input_to. */
    if (!lpc_object_is_destructed(ob) && interactive_of(ob) != NULL &&
        !interactive_of(ob)->input_pending)
        interactive_apply_prompting(ob, "write_prompt");
    lpc_object_decref(ob);
}

static void app_close(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    interactive_t *ia = comm_get_user_data(conn);
    if (ia == NULL)
        return;
    comm_set_user_data(conn, NULL);
    lpc_app_user_gone(ia);
}

void lpc_app_user_gone(interactive_t *ia)
{
    lpc_object_t *ob = ia->ob;
    if (ob != NULL && !lpc_object_is_destructed(ob)) {
        lpc_object_incref(ob);
        interactive_release(ia);
        lpc_app_apply(ob, ob, "net_dead", NULL, 0, NULL);
        mcp_lpc_provider_user_event(ob, "disconnected");
        lpc_object_decref(ob);
    } else {
        interactive_release(ia);
    }
}

/* ---- efuns of the application -------------------------------------------- */

/* shutdown(status = 0): the orderly shutdown (master driver_shutdown()
 * runs first). */
static void efun_shutdown(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)ret;
    int status = nargs > 0 ? (int)args[0].u.i : 0;
    log_info("shutdown() requested by LPC (status %d)", status);
    backend_request_shutdown(status);
}

static const lpc_efun_def_t app_efuns[] = {
    { "shutdown", efun_shutdown, 0, 1, 0, 0, 0, { LPC_TM_INT } },
};

/* ---- start / stop ------------------------------------------------------- */

static void shutdown_hook(void *ctx)
{
    (void)ctx;
    if (the_vm != NULL && the_vm->master != NULL)
        lpc_app_apply(NULL, the_vm->master, "driver_shutdown", NULL, 0, NULL);
}

static void preload(lpc_vm_t *vm)
{
    lpc_value_t files;
    lpc_value_t zero = lpc_int(0);
    lpc_app_apply(NULL, vm->master, "epilog", &zero, 1, &files);
    if (files.type != LPC_T_ARRAY) {
        lpc_value_release(&files);
        return;
    }
    bool has_preload = lpc_program_find_function(vm->master->prog, "preload") >= 0;
    for (uint32_t i = 0; i < files.u.a->size; i++) {
        lpc_value_t *f = &files.u.a->items[i];
        if (f->type != LPC_T_STRING)
            continue;
        if (has_preload && vm->master != NULL)
            lpc_app_apply(NULL, vm->master, "preload", f, 1, NULL);
        else if (lpc_runtime_load(vm, f->u.s->data) == NULL)
            log_warn("preload of %s failed", f->u.s->data);
    }
    lpc_value_release(&files);
}

static bool file_exists(const char *path)
{
    size_t len;
    char *data = mudlib_reader(NULL, path, &len);
    free(data);
    return data != NULL;
}

/* --mcp without a loadable master: no world to connect to. */
static void no_world_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    comm_printf(conn, "This driver has no mudlib loaded (its master object "
                "did not load); see the driver log.\n");
    comm_close(conn);
}

static void no_world_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)conn; (void)line; (void)len; (void)ctx;
}

static void no_world_close(comm_conn_t *conn, void *ctx)
{
    (void)conn; (void)ctx;
}

static int app_start(const driver_config_t *cfg, const driver_options_t *opts,
                     comm_handler_t *handler)
{
    /* one root (its real path) for the reader above and the file efuns */
    if (mudlib_path_set_root(cfg->mudlib_dir) != 0) {
        log_error("cannot use the mudlib %s: %s", cfg->mudlib_dir, strerror(errno));
        return -1;
    }
    static const char *const include_dirs[] = { "/include", NULL };
    lpc_runtime_options_t ro;
    memset(&ro, 0, sizeof ro);
    ro.read_file = mudlib_reader;
    ro.include_dirs = include_dirs;
    ro.output = messages_output;
    ro.destruct_hook = on_destruct;
    the_vm = lpc_runtime_init(&ro);

    world_register_efuns();
    commands_register_efuns();
    interactive_register_efuns();
    messages_register_efuns();
    callouts_register_efuns();
    lpc_efun_register(app_efuns, sizeof app_efuns / sizeof app_efuns[0]);
    /* files, saves, crypt, JSON (efuns_driver.h), sandboxed to the
     * same root the reader uses */
    driver_efuns_register_all();
    /* mcp_reply & co. (always, so the mudlib compiles in every mode) */
    mcp_lpc_provider_register_efuns();
    if (opts->mcp && mcp_lpc_provider_configure(cfg) != 0) {
        log_error("out of memory creating the MCP provider");
        lpc_runtime_shutdown(the_vm);
        the_vm = NULL;
        return -1;
    }
    lpc_git_register_efuns();        /* git_update() (lpc_git.h) */

    if (cfg->simul_efun_file != NULL && file_exists(cfg->simul_efun_file)) {
        if (!lpc_runtime_load_simul_efun(the_vm, cfg->simul_efun_file))
            log_warn("simul_efun %s did not load", cfg->simul_efun_file);
    } else {
        log_info("no simul_efun file (%s)", cfg->simul_efun_file ? cfg->simul_efun_file : "-");
    }
    if (!lpc_runtime_load_master(the_vm, cfg->master_file)) {
        char why[512];
        snprintf(why, sizeof why, "%s", the_vm->err_message != NULL ? the_vm->err_message : "?");
        lpc_runtime_shutdown(the_vm);
        the_vm = NULL;
        if (!opts->mcp) {
            log_error("the master object %s did not load: %s", cfg->master_file, why);
            return -1;
        }
        /* --mcp serves its tools without a world: telnet clients (if
         * the listener is on) are told and hung up. */
        log_warn("the master object %s did not load (%s): running MCP "
                 "without a mudlib", cfg->master_file, why);
        handler->on_connect = no_world_connect;
        handler->on_line = no_world_line;
        handler->on_close = no_world_close;
        handler->ctx = NULL;
        return 0;
    }
    preload(the_vm);
    lpc_git_start(cfg);              /* logs why when it cannot start */
    if (callouts_start(cfg->heartbeat_ms, cfg->reset_interval) != 0 ||
        backend_add_shutdown_hook(shutdown_hook, NULL) != 0) {
        log_error("cannot start the LPC timers");
        callouts_stop();
        lpc_runtime_shutdown(the_vm);
        the_vm = NULL;
        return -1;
    }
    if (opts->console && console_mode_init(cfg) != 0) {
        callouts_stop();
        lpc_runtime_shutdown(the_vm);
        the_vm = NULL;
        return -1;
    }
    handler->on_connect = app_connect;
    handler->on_line = app_line;
    handler->on_close = app_close;
    handler->ctx = NULL;
    log_info("LPC runtime up: master %s, %u objects", cfg->master_file,
             (unsigned)the_vm->nobjects);
    if (opts->console)
        console_mode_connect();      /* -c: the operator logs in */
    return 0;
}

static void app_stop(void)
{
    console_mode_stop();         /* after a failed start: not via the hook */
    if (the_vm == NULL)
        return;
    lpc_runtime_shutdown(the_vm);
    the_vm = NULL;
    callouts_stop();
}

const driver_app_t lpc_app = {
    .name = "lpc",
    .start = app_start,
    .stop = app_stop,
    .mcp_provider = &mcp_lpc_provider,
};
