/*
 * interactive.c - objects bound to connections, input_to.  See
 * interactive.h.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "interactive.h"

#include "commands.h"
#include "lpc_app.h"
#include "messages.h"
#include "world.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every binding, for users(). */
static interactive_t **users;
static size_t nusers, users_cap;

static lpc_object_t *this_interactive;

lpc_object_t *interactive_this_interactive(void)
{
    return this_interactive;
}

void interactive_set_this_interactive(lpc_object_t *ob)
{
    this_interactive = ob;
}

interactive_t *interactive_of(const lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    return w != NULL ? w->user : NULL;
}

/* ---- the telnet sink: comm.h ------------------------------------------ */

static void comm_sink_write(void *ctx, const char *text, size_t len)
{
    comm_write(ctx, text, len);
}

static void comm_sink_set_echo(void *ctx, bool on)
{
    comm_set_echo(ctx, on);
}

static void comm_sink_close(void *ctx)
{
    comm_close(ctx);
}

static double comm_sink_idle_seconds(void *ctx)
{
    return comm_idle_seconds(ctx);
}

static const char *comm_sink_peer_address(void *ctx)
{
    return comm_peer_address(ctx);
}

static const interactive_sink_t comm_sink = {
    .write = comm_sink_write,
    .set_echo = comm_sink_set_echo,
    .set_prompt = NULL,          /* telnet: the prompt is text */
    .close = comm_sink_close,
    .idle_seconds = comm_sink_idle_seconds,
    .peer_address = comm_sink_peer_address,
};

/* Output capture (interactive_apply_prompting): the interactive whose
 * output is being collected, NULL when none or when it was released
 * during the apply. */
static interactive_t *capture_ia;
static char *capture_buf;
static size_t capture_len;

void interactive_write(interactive_t *ia, const char *text, size_t len)
{
    if (ia->sink == NULL)
        return;
    if (ia == capture_ia) {
        capture_buf = lpc_realloc(capture_buf, capture_len + len + 1);
        memcpy(capture_buf + capture_len, text, len);
        capture_len += len;
        capture_buf[capture_len] = '\0';
        return;
    }
    ia->sink->write(ia->sink_ctx, text, len);
}

void interactive_printf(interactive_t *ia, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        interactive_write(ia, small, (size_t)n);
        return;
    }
    char *big = lpc_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    interactive_write(ia, big, (size_t)n);
    free(big);
}

void interactive_set_echo(interactive_t *ia, bool on)
{
    if (ia->sink != NULL)
        ia->sink->set_echo(ia->sink_ctx, on);
}

void interactive_apply_prompting(lpc_object_t *ob, const char *fname)
{
    interactive_t *ia = interactive_of(ob);
    if (ia == NULL || ia->sink == NULL || ia->sink->set_prompt == NULL ||
        capture_ia != NULL) {
        lpc_app_apply(ob, ob, fname, NULL, 0, NULL);
        return;
    }
    capture_ia = ia;
    capture_len = 0;
    lpc_app_apply(ob, ob, fname, NULL, 0, NULL);
    ia = capture_ia;             /* NULL if released meanwhile (exec keeps it) */
    capture_ia = NULL;
    if (ia != NULL && capture_len > 0) {
        const char *text = capture_buf;
        const char *nl = text + capture_len;
        while (nl > text && nl[-1] != '\n')
            nl--;
        /* whole lines are output; the rest is the prompt, unless an
         * input_to waits (then it is that question: plain text) */
        if (ia->input_pending || memchr(nl, '\0', capture_len - (size_t)(nl - text)))
            nl = text + capture_len;
        if (nl > text)
            ia->sink->write(ia->sink_ctx, text, (size_t)(nl - text));
        if (nl < text + capture_len)
            ia->sink->set_prompt(ia->sink_ctx, nl);
    } else if (ia != NULL && !ia->input_pending) {
        ia->sink->set_prompt(ia->sink_ctx, "");
    }
    free(capture_buf);
    capture_buf = NULL;
    capture_len = 0;
}

static void clear_input_to(interactive_t *ia)
{
    lpc_value_release(&ia->input_fn);
    lpc_value_release(&ia->input_args);
    ia->input_ob = NULL;
    ia->input_pending = false;
    if (ia->input_noecho)
        interactive_set_echo(ia, true);
    ia->input_noecho = false;
}

interactive_t *interactive_bind(comm_conn_t *conn, lpc_object_t *ob)
{
    interactive_t *ia = interactive_bind_sink(&comm_sink, conn, ob);
    ia->conn = conn;
    return ia;
}

interactive_t *interactive_bind_sink(const interactive_sink_t *sink, void *ctx,
                                     lpc_object_t *ob)
{
    interactive_t *ia = lpc_calloc(1, sizeof *ia);
    ia->sink = sink;
    ia->sink_ctx = ctx;
    ia->ob = ob;
    world_data_t *w = world_data(ob);
    w->user = ia;
    w->player = true;
    if (nusers == users_cap) {
        users_cap = users_cap ? users_cap * 2 : 16;
        users = lpc_realloc(users, users_cap * sizeof *users);
    }
    users[nusers++] = ia;
    return ia;
}

/* Detaches ia from its object (the connection stays). */
static void unbind(interactive_t *ia)
{
    if (ia->ob != NULL) {
        world_data_t *w = world_peek(ia->ob);
        if (w != NULL && w->user == ia)
            w->user = NULL;
        if (this_interactive == ia->ob)
            this_interactive = NULL;
        ia->ob = NULL;
    }
    lpc_value_release(&ia->input_fn);
    lpc_value_release(&ia->input_args);
    ia->input_ob = NULL;
    ia->input_pending = false;
}

void interactive_release(interactive_t *ia)
{
    unbind(ia);
    for (size_t i = 0; i < nusers; i++)
        if (users[i] == ia) {
            memmove(&users[i], &users[i + 1], (nusers - i - 1) * sizeof *users);
            nusers--;
            break;
        }
    if (nusers == 0) {
        free(users);
        users = NULL;
        users_cap = 0;
    }
    if (capture_ia == ia)
        capture_ia = NULL;
    free(ia);
}

void interactive_forget(lpc_object_t *ob)
{
    interactive_t *ia = interactive_of(ob);
    if (ia != NULL) {
        unbind(ia);
        ia->sink->close(ia->sink_ctx);   /* its owner releases ia */
    }
    if (this_interactive == ob)
        this_interactive = NULL;
    /* input_to functions of ob pending on other users */
    for (size_t i = 0; i < nusers; i++)
        if (users[i]->input_pending && users[i]->input_ob == ob)
            clear_input_to(users[i]);
}

bool interactive_run_input_to(lpc_vm_t *vm, interactive_t *ia, const char *line)
{
    if (!ia->input_pending)
        return false;
    /* Take it before calling: the function may ask for the next line. */
    lpc_value_t fn = ia->input_fn, extra = ia->input_args;
    lpc_object_t *owner = ia->input_ob;
    ia->input_fn = lpc_int(0);
    ia->input_args = lpc_int(0);
    ia->input_ob = NULL;
    ia->input_pending = false;
    if (ia->input_noecho) {
        interactive_set_echo(ia, true);
        ia->input_noecho = false;
    }
    /* Arguments on the VM stack so that an error frees them. */
    lpc_vm_push(vm, &fn);
    lpc_value_release(&fn);
    lpc_value_t *fnslot = vm->sp;
    lpc_value_t lv = lpc_value_string(lpc_string_from_cstr(line));
    lpc_vm_push(vm, &lv);
    lpc_value_release(&lv);
    lpc_value_t *argv = vm->sp;
    int nargs = 1;
    if (extra.type == LPC_T_ARRAY) {
        for (uint32_t i = 0; i < extra.u.a->size; i++)
            lpc_vm_push(vm, &extra.u.a->items[i]);
        nargs += (int)extra.u.a->size;
    }
    lpc_value_release(&extra);
    lpc_value_t r = lpc_int(0);
    if (fnslot->type == LPC_T_STRING) {
        if (owner != NULL && !lpc_object_is_destructed(owner))
            lpc_vm_apply(vm, owner, fnslot->u.s->data, argv, nargs, &r);
    } else {
        lpc_vm_call_function(vm, fnslot, argv, nargs, &r);
    }
    lpc_value_release(&r);
    while (vm->sp >= fnslot) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    return true;
}

/* ---- efuns ------------------------------------------------------------ */

static bool is_interactive(const lpc_value_t *v)
{
    return v->type == LPC_T_OBJECT && interactive_of(v->u.o) != NULL;
}

/* exec(to, from): moves from's connection to `to`. */
static void efun_exec(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    lpc_object_t *to = args[0].u.o, *from = args[1].u.o;
    interactive_t *ia = interactive_of(from);
    if (ia == NULL || to == from || interactive_of(to) != NULL)
        return;
    world_peek(from)->user = NULL;
    world_data_t *w = world_data(to);
    w->user = ia;
    w->player = true;
    ia->ob = to;
    if (this_interactive == from)
        this_interactive = to;
    if (commands_this_player() == from)
        commands_set_this_player(to);
    *ret = lpc_int(1);
}

/* input_to(fn, flag, args...): the next line of this_player goes to fn;
 * flag & 1: no echo (password).  Returns 1, or 0 when one is pending. */
static void efun_input_to(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *player = commands_this_player();
    interactive_t *ia = player != NULL ? interactive_of(player) : NULL;
    if (ia == NULL || ia->input_pending)
        return;
    int flag = nargs > 1 && args[1].type == LPC_T_INT ? (int)args[1].u.i : 0;
    lpc_value_assign(&ia->input_fn, &args[0]);
    ia->input_ob = lpc_vm_this_object(vm);
    if (nargs > 2) {
        lpc_array_t *a = lpc_array_new((size_t)(nargs - 2));
        for (int i = 2; i < nargs; i++)
            lpc_value_assign(&a->items[i - 2], &args[i]);
        lpc_value_release(&ia->input_args);
        ia->input_args = lpc_value_array(a);
    }
    ia->input_pending = true;
    if (flag & 1) {
        ia->input_noecho = true;
        interactive_set_echo(ia, false);
    }
    *ret = lpc_int(1);
}

static void efun_interactive(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (nargs > 0)
        *ret = lpc_int(is_interactive(&args[0]));
    else
        *ret = lpc_int(me != NULL && interactive_of(me) != NULL);
}

static void efun_users(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)args; (void)nargs;
    size_t n = 0;
    for (size_t i = 0; i < nusers; i++)
        if (users[i]->ob != NULL)
            n++;
    lpc_array_t *a = lpc_array_new(n);
    n = 0;
    for (size_t i = 0; i < nusers; i++)
        if (users[i]->ob != NULL) {
            lpc_object_incref(users[i]->ob);
            a->items[n++] = lpc_value_object(users[i]->ob);
        }
    *ret = lpc_value_array(a);
}

static void efun_query_idle(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    interactive_t *ia = interactive_of(args[0].u.o);
    if (ia == NULL)
        lpc_error(vm, "query_idle() of a non-interactive object");
    *ret = lpc_int((int64_t)ia->sink->idle_seconds(ia->sink_ctx));
}

static void efun_query_ip_number(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 && args[0].type == LPC_T_OBJECT ? args[0].u.o
                       : commands_this_player();
    (void)vm;
    interactive_t *ia = ob != NULL ? interactive_of(ob) : NULL;
    if (ia != NULL)
        *ret = lpc_value_string(lpc_string_from_cstr(ia->sink->peer_address(ia->sink_ctx)));
}

static void efun_this_interactive(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)args; (void)nargs;
    if (this_interactive != NULL && !lpc_object_is_destructed(this_interactive)) {
        lpc_object_incref(this_interactive);
        *ret = lpc_value_object(this_interactive);
    }
}

/* receive(msg): text straight to this_object()'s connection (for
 * catch_tell / receive_message implementations). */
static void efun_receive(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs; (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    interactive_t *ia = me != NULL ? interactive_of(me) : NULL;
    if (ia != NULL)
        interactive_write(ia, args[0].u.s->data, args[0].u.s->len);
}

#define OBJ LPC_TM_OBJECT
static const lpc_efun_def_t interactive_efuns[] = {
    { "exec", efun_exec, 2, 2, 0, 0, LPC_TM_INT, { OBJ, OBJ } },
    { "input_to", efun_input_to, 1, LPC_EFUN_VARARGS, 0, 0, LPC_TM_INT,
      { LPC_TM_STRING | LPC_TM_FUNCTION, LPC_TM_INT } },
    { "interactive", efun_interactive, 0, 1, 0, 0, LPC_TM_INT, { 0 } },
    { "users", efun_users, 0, 0, 0, 0, LPC_TM_ARRAY, { 0 } },
    { "query_idle", efun_query_idle, 1, 1, 0, 0, LPC_TM_INT, { OBJ } },
    { "query_ip_number", efun_query_ip_number, 0, 1, 0, 0, LPC_TM_STRING | LPC_TM_ZERO,
      { OBJ | LPC_TM_ZERO } },
    { "this_interactive", efun_this_interactive, 0, 0, 0, 0, OBJ | LPC_TM_ZERO, { 0 } },
    { "receive", efun_receive, 1, 1, 0, 0, 0, { LPC_TM_STRING } },
};

void interactive_register_efuns(void)
{
    lpc_efun_register(interactive_efuns, sizeof interactive_efuns / sizeof interactive_efuns[0]);
}
