/*
 * callouts.c - call_out, heart beats and reset() on backend timers.  See
 * callouts.h.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "callouts.h"

#include "backend.h"
#include "commands.h"
#include "lpc_app.h"
#include "log.h"
#include "world.h"
#include "port/port_clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct callout {
    struct callout *next, *prev;
    backend_timer_t *timer;
    lpc_object_t *ob;            /* borrowed: callouts_forget removes it */
    lpc_object_t *giver;         /* this_player for the call, or NULL */
    lpc_value_t fn;              /* function name or function pointer */
    lpc_value_t args;            /* array */
    double due;                  /* monotonic seconds */
} callout_t;

static callout_t *callouts;

/* Objects with a heart beat (order of set_heart_beat). */
static lpc_object_t **beating;
static size_t nbeating, beating_cap;
static backend_timer_t *heart_timer, *reset_timer;
static int heart_interval_ms;   /* "heartbeat interval" */

static void heart_tick(void *ctx);

/* The heart beat timer runs only while some object has a heart beat: an
 * idle world schedules no wake-up at all.  Call after `beating` changed
 * (also from inside heart_tick: cancelling a timer in its own callback is
 * allowed). */
static void heart_timer_update(void)
{
    if (nbeating > 0 && heart_timer == NULL && heart_interval_ms > 0) {
        heart_timer = backend_timer_add(heart_interval_ms, heart_interval_ms,
                                        heart_tick, NULL);
        if (heart_timer == NULL)
            log_error("heart beats: cannot schedule the heart beat timer (out of memory)");
    } else if (nbeating == 0 && heart_timer != NULL) {
        backend_timer_cancel(heart_timer);
        heart_timer = NULL;
    }
}

static double now_s(void)
{
    return (double)port_clock_now_ns() / 1e9;
}

static void callout_unlink(callout_t *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        callouts = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
}

static void callout_free(callout_t *c)
{
    lpc_value_release(&c->fn);
    lpc_value_release(&c->args);
    free(c);
}

typedef struct fire_args {
    lpc_object_t *ob;
    lpc_value_t fn, args;
} fire_args_t;

static void do_fire(lpc_vm_t *vm, void *arg)
{
    fire_args_t *f = arg;
    lpc_array_t *a = f->args.u.a;
    lpc_value_t r = lpc_int(0);
    if (f->fn.type == LPC_T_STRING)
        lpc_vm_apply(vm, f->ob, f->fn.u.s->data, a->items, (int)a->size, &r);
    else
        lpc_vm_call_function(vm, &f->fn, a->items, (int)a->size, &r);
    lpc_value_release(&r);
}

static void callout_fire(void *ctx)
{
    callout_t *c = ctx;
    callout_unlink(c);
    fire_args_t f = { c->ob, c->fn, c->args };
    lpc_object_t *giver = c->giver;
    c->fn = lpc_int(0);
    c->args = lpc_int(0);
    free(c);                     /* the one-shot timer frees itself */
    lpc_object_incref(f.ob);
    if (giver != NULL && lpc_object_is_destructed(giver))
        giver = NULL;
    lpc_app_run(giver, do_fire, &f);
    lpc_object_decref(f.ob);
    lpc_value_release(&f.fn);
    lpc_value_release(&f.args);
}

static void efun_call_out(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (me == NULL)
        lpc_error(vm, "call_out: no current object");
    double secs = args[1].type == LPC_T_FLOAT ? args[1].u.f : (double)args[1].u.i;
    if (!(secs >= 0) || secs > 1e9)
        secs = 0;
    callout_t *c = lpc_calloc(1, sizeof *c);
    c->ob = me;
    c->giver = commands_this_player();
    lpc_value_assign(&c->fn, &args[0]);
    lpc_array_t *a = lpc_array_new(nargs > 2 ? (size_t)(nargs - 2) : 0);
    for (int i = 2; i < nargs; i++)
        lpc_value_assign(&a->items[i - 2], &args[i]);
    c->args = lpc_value_array(a);
    c->due = now_s() + secs;
    c->timer = backend_timer_add(secs * 1000.0, 0, callout_fire, c);
    if (c->timer == NULL) {
        callout_free(c);
        lpc_error(vm, "call_out: out of memory");
    }
    c->next = callouts;
    if (callouts != NULL)
        callouts->prev = c;
    callouts = c;
    *ret = lpc_int(1);
}

/* The call_out of `me` to fn (a name, or the same function value) that
 * is due first, or NULL. */
static callout_t *find_named(lpc_object_t *me, const lpc_value_t *fn)
{
    callout_t *best = NULL;
    for (callout_t *c = callouts; c != NULL; c = c->next) {
        if (c->ob != me)
            continue;
        bool match = fn->type == LPC_T_STRING
            ? c->fn.type == LPC_T_STRING && lpc_string_equal(c->fn.u.s, fn->u.s)
            : lpc_value_equal(&c->fn, fn);
        if (match && (best == NULL || c->due < best->due))
            best = c;
    }
    return best;
}

static int64_t remaining(const callout_t *c)
{
    double left = c->due - now_s();
    return left > 0 ? (int64_t)ceil(left) : 0;
}

static void remove_all_of(lpc_object_t *ob);

static void efun_remove_call_out(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (nargs == 0) {            /* all of this_object()'s */
        remove_all_of(me);
        return;
    }
    callout_t *c = find_named(me, &args[0]);
    if (c == NULL) {
        *ret = lpc_int(-1);
        return;
    }
    *ret = lpc_int(remaining(c));
    callout_unlink(c);
    backend_timer_cancel(c->timer);
    callout_free(c);
}

static void efun_find_call_out(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    callout_t *c = find_named(lpc_vm_this_object(vm), &args[0]);
    *ret = lpc_int(c != NULL ? remaining(c) : -1);
}

/* ---- heart beats ------------------------------------------------------- */

static void beat_remove(lpc_object_t *ob)
{
    for (size_t i = 0; i < nbeating; i++)
        if (beating[i] == ob) {
            memmove(&beating[i], &beating[i + 1], (nbeating - i - 1) * sizeof *beating);
            nbeating--;
            break;
        }
    world_data_t *w = world_peek(ob);
    if (w != NULL)
        w->heart_beat = false;
    heart_timer_update();
}

static void efun_set_heart_beat(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (me == NULL)
        return;
    world_data_t *w = world_data(me);
    if (args[0].u.i == 0) {
        if (w->heart_beat)
            beat_remove(me);
    } else if (!w->heart_beat) {
        if (nbeating == beating_cap) {
            beating_cap = beating_cap ? beating_cap * 2 : 16;
            beating = lpc_realloc(beating, beating_cap * sizeof *beating);
        }
        beating[nbeating++] = me;
        w->heart_beat = true;
        heart_timer_update();
    }
    *ret = lpc_int(1);
}

static void efun_query_heart_beat(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 && args[0].type == LPC_T_OBJECT ? args[0].u.o
                       : lpc_vm_this_object(vm);
    world_data_t *w = ob != NULL ? world_peek(ob) : NULL;
    *ret = lpc_int(w != NULL && w->heart_beat);
}

/* Snapshot of objects, referenced, for a timer pass that runs LPC. */
static lpc_object_t **snapshot(lpc_object_t **src, size_t n)
{
    lpc_object_t **s = lpc_calloc(n + 1, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i] = src[i];
        lpc_object_incref(s[i]);
    }
    return s;
}

static void heart_tick(void *ctx)
{
    (void)ctx;
    size_t n = nbeating;
    lpc_object_t **s = snapshot(beating, n);
    for (size_t i = 0; i < n; i++) {
        lpc_object_t *ob = s[i];
        world_data_t *w = world_peek(ob);
        if (!lpc_object_is_destructed(ob) && w != NULL && w->heart_beat) {
            lpc_object_t *giver = w->living ? ob : NULL;
            if (!lpc_app_apply(giver, ob, "heart_beat", NULL, 0, NULL) &&
                !lpc_object_is_destructed(ob)) {
                log_warn("heart beat of %s turned off after an error", ob->name->data);
                beat_remove(ob);
            }
        }
        lpc_object_decref(ob);
    }
    free(s);
}

static void reset_tick(void *ctx)
{
    (void)ctx;
    lpc_vm_t *vm = lpc_app_vm();
    size_t n = 0;
    for (lpc_object_t *o = lpc_object_first(vm); o != NULL; o = lpc_object_next(o))
        n++;
    lpc_object_t **all = lpc_calloc(n + 1, sizeof *all);
    n = 0;
    for (lpc_object_t *o = lpc_object_first(vm); o != NULL; o = lpc_object_next(o))
        all[n++] = o;
    lpc_object_t **s = snapshot(all, n);
    free(all);
    for (size_t i = 0; i < n; i++) {
        if (!lpc_object_is_destructed(s[i]) && s[i] != vm->master)
            lpc_app_apply(NULL, s[i], "reset", NULL, 0, NULL);
        lpc_object_decref(s[i]);
    }
    free(s);
}

int callouts_start(int heartbeat_ms, int reset_seconds)
{
    heart_interval_ms = heartbeat_ms;   /* the timer starts with the first heart beat */
    if (reset_seconds > 0) {
        reset_timer = backend_timer_add(reset_seconds * 1000.0, reset_seconds * 1000.0,
                                        reset_tick, NULL);
        if (reset_timer == NULL)
            return -1;
    }
    return 0;
}

/* Cancels every call_out of ob; call_outs ob gave (as this_player)
 * lose their giver. */
static void remove_all_of(lpc_object_t *ob)
{
    callout_t *c = callouts;
    while (c != NULL) {
        callout_t *next = c->next;
        if (c->ob == ob) {
            callout_unlink(c);
            backend_timer_cancel(c->timer);
            callout_free(c);
        } else if (c->giver == ob) {
            c->giver = NULL;
        }
        c = next;
    }
}

void callouts_forget(lpc_object_t *ob)
{
    remove_all_of(ob);
    world_data_t *w = world_peek(ob);
    if (w != NULL && w->heart_beat)
        beat_remove(ob);
}

void callouts_stop(void)
{
    while (callouts != NULL) {
        callout_t *c = callouts;
        callout_unlink(c);
        backend_timer_cancel(c->timer);
        callout_free(c);
    }
    if (heart_timer != NULL)
        backend_timer_cancel(heart_timer);
    if (reset_timer != NULL)
        backend_timer_cancel(reset_timer);
    heart_timer = reset_timer = NULL;
    free(beating);
    beating = NULL;
    nbeating = beating_cap = 0;
}

#define FN (LPC_TM_STRING | LPC_TM_FUNCTION)
static const lpc_efun_def_t callout_efuns[] = {
    { "call_out", efun_call_out, 2, LPC_EFUN_VARARGS, 0, 0, LPC_TM_INT,
      { FN, LPC_TM_NUMBER } },
    { "remove_call_out", efun_remove_call_out, 0, 1, 0, 0, LPC_TM_INT, { FN } },
    { "find_call_out", efun_find_call_out, 1, 1, 0, 0, LPC_TM_INT, { FN } },
    { "set_heart_beat", efun_set_heart_beat, 1, 1, 0, 0, LPC_TM_INT, { LPC_TM_INT } },
    { "query_heart_beat", efun_query_heart_beat, 0, 1, 0, 0, LPC_TM_INT,
      { LPC_TM_OBJECT } },
};

void callouts_register_efuns(void)
{
    lpc_efun_register(callout_efuns, sizeof callout_efuns / sizeof callout_efuns[0]);
}
