/*
 * world.c - environment and inventory, move_object and its init() calls,
 * the inventory efuns.  See world.h.
 *
 * Inventory is a singly linked list through next_inv, newest first (as
 * in the classic drivers: all_inventory() lists the last arrival first).
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "world.h"

#include "commands.h"
#include "interactive.h"
#include "lpc_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

world_data_t *world_data(lpc_object_t *ob)
{
    world_data_t *w = ob->driver_data;
    if (w == NULL) {
        w = lpc_calloc(1, sizeof *w);
        w->ob = ob;
        ob->driver_data = w;
    }
    return w;
}

static lpc_object_t *env_of(const lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    return w != NULL ? w->env : NULL;
}

/* Unlinks ob from its environment's inventory. */
static void leave_env(lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    if (w == NULL || w->env == NULL)
        return;
    world_data_t *e = world_peek(w->env);
    lpc_object_t **pp = &e->contents;
    while (*pp != NULL && *pp != ob)
        pp = &world_peek(*pp)->next_inv;
    if (*pp == ob)
        *pp = w->next_inv;
    w->env = NULL;
    w->next_inv = NULL;
}

static void enter_env(lpc_object_t *ob, lpc_object_t *dest)
{
    world_data_t *w = world_data(ob);
    world_data_t *d = world_data(dest);
    w->env = dest;
    w->next_inv = d->contents;
    d->contents = ob;
}

void world_forget(lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    if (w == NULL)
        return;
    lpc_object_t *outside = w->env;
    while (w->contents != NULL) {
        lpc_object_t *item = w->contents;
        leave_env(item);
        if (outside != NULL)
            enter_env(item, outside);
    }
    leave_env(ob);
    free(w->living_name);
    ob->driver_data = NULL;
    free(w);
}

/* init() of `ob` with `player` as this_player; errors propagate. */
static void call_init(lpc_vm_t *vm, lpc_object_t *ob, lpc_object_t *player)
{
    if (lpc_object_is_destructed(ob) || lpc_object_is_destructed(player))
        return;
    lpc_object_t *saved = commands_set_this_player(player);
    lpc_value_t r = lpc_int(0);
    lpc_vm_apply(vm, ob, "init", NULL, 0, &r);
    lpc_value_release(&r);
    commands_set_this_player(saved);
}

static bool is_living(const lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    return w != NULL && w->living && !lpc_object_is_destructed(ob);
}

/* The classic init() calls after `ob` arrived in `dest`: if ob is
 * living, dest and each item get init() with ob as this_player; each
 * living item (and dest, if living) makes ob's init() run with it as
 * this_player. */
static void do_inits(lpc_vm_t *vm, lpc_object_t *ob, lpc_object_t *dest)
{
    if (is_living(ob))
        call_init(vm, dest, ob);
    /* Snapshot the inventory (init() may move things), on the VM stack
     * so that an error in an init() frees it. */
    size_t n = 0;
    for (lpc_object_t *i = world_data(dest)->contents; i != NULL; i = world_peek(i)->next_inv)
        if (i != ob)
            n++;
    lpc_array_t *a = lpc_array_new(n);
    n = 0;
    for (lpc_object_t *i = world_data(dest)->contents; i != NULL; i = world_peek(i)->next_inv)
        if (i != ob) {
            lpc_object_incref(i);
            a->items[n++] = lpc_value_object(i);
        }
    lpc_value_t av = lpc_value_array(a);
    lpc_vm_push(vm, &av);
    lpc_value_release(&av);
    for (size_t k = 0; k < n; k++) {
        lpc_object_t *item = a->items[k].u.o;
        if (lpc_object_is_destructed(item) || lpc_object_is_destructed(ob) ||
            env_of(item) != dest)
            continue;
        if (is_living(item))
            call_init(vm, ob, item);
        if (is_living(ob))
            call_init(vm, item, ob);
    }
    if (is_living(dest))
        call_init(vm, ob, dest);
    lpc_value_release(vm->sp);
    vm->sp--;
}

/* Moves ob into dest, then the init() calls.  Raises LPC errors. */
static void world_move(lpc_vm_t *vm, lpc_object_t *ob, lpc_object_t *dest)
{
    for (lpc_object_t *e = dest; e != NULL; e = env_of(e))
        if (e == ob)
            lpc_error(vm, "move_object: cannot move an object into itself");
    leave_env(ob);
    enter_env(ob, dest);
    commands_drop_distant(ob);
    do_inits(vm, ob, dest);
}

/* ---- efuns ------------------------------------------------------------ */

static lpc_object_t *arg_object(lpc_vm_t *vm, lpc_value_t *v, int argn)
{
    if (v->type == LPC_T_OBJECT)
        return v->u.o;
    if (v->type == LPC_T_STRING) {
        lpc_object_t *o = lpc_object_load(vm, v->u.s->data);
        if (o == NULL)
            lpc_error(vm, "%s: cannot load '%s'", lpc_efun_current_name(vm), v->u.s->data);
        return o;
    }
    lpc_efun_bad_arg(vm, argn, "object or string", v);
}

static void efun_environment(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 && args[0].type == LPC_T_OBJECT ? args[0].u.o
                       : nargs > 0 ? NULL : lpc_vm_this_object(vm);
    lpc_object_t *e = ob != NULL ? env_of(ob) : NULL;
    if (e != NULL) {
        lpc_object_incref(e);
        *ret = lpc_value_object(e);
    }
}

static void efun_move_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    lpc_object_t *ob, *dest;
    if (nargs == 2) {
        if (args[0].type != LPC_T_OBJECT)
            lpc_efun_bad_arg(vm, 1, "object", &args[0]);
        ob = args[0].u.o;
        dest = arg_object(vm, &args[1], 2);
    } else {
        ob = lpc_vm_this_object(vm);
        dest = arg_object(vm, &args[0], 1);
    }
    if (ob == NULL)
        lpc_error(vm, "move_object: no object to move");
    world_move(vm, ob, dest);
}

static void efun_all_inventory(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 ? args[0].u.o : lpc_vm_this_object(vm);
    if (nargs > 0 && args[0].type != LPC_T_OBJECT)
        ob = NULL;
    world_data_t *w = ob != NULL ? world_peek(ob) : NULL;
    size_t n = 0;
    for (lpc_object_t *i = w != NULL ? w->contents : NULL; i != NULL; i = world_peek(i)->next_inv)
        n++;
    lpc_array_t *a = lpc_array_new(n);
    n = 0;
    for (lpc_object_t *i = w != NULL ? w->contents : NULL; i != NULL; i = world_peek(i)->next_inv) {
        lpc_object_incref(i);
        a->items[n++] = lpc_value_object(i);
    }
    *ret = lpc_value_array(a);
}

static void deep_collect(lpc_object_t *ob, lpc_array_t **a, size_t *n)
{
    world_data_t *w = world_peek(ob);
    for (lpc_object_t *i = w != NULL ? w->contents : NULL; i != NULL; i = world_peek(i)->next_inv) {
        if (*n == (*a)->size) {
            lpc_array_t *b = lpc_array_new((*a)->size * 2 + 8);
            memcpy(b->items, (*a)->items, (*a)->size * sizeof *b->items);
            for (size_t k = 0; k < (*a)->size; k++)
                (*a)->items[k] = lpc_int(0);
            lpc_array_decref(*a);
            *a = b;
        }
        lpc_object_incref(i);
        (*a)->items[(*n)++] = lpc_value_object(i);
        deep_collect(i, a, n);
    }
}

static void efun_deep_inventory(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 ? args[0].u.o : lpc_vm_this_object(vm);
    lpc_array_t *a = lpc_array_new(8);
    size_t n = 0;
    if (ob != NULL)
        deep_collect(ob, &a, &n);
    lpc_array_t *b = lpc_array_slice(a, 0, (int64_t)n - 1);
    lpc_array_decref(a);
    *ret = lpc_value_array(b);
}

static void efun_first_inventory(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 ? arg_object(vm, &args[0], 1) : lpc_vm_this_object(vm);
    world_data_t *w = ob != NULL ? world_peek(ob) : NULL;
    if (w != NULL && w->contents != NULL) {
        lpc_object_incref(w->contents);
        *ret = lpc_value_object(w->contents);
    }
}

static void efun_next_inventory(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *ob = nargs > 0 ? args[0].u.o : lpc_vm_this_object(vm);
    world_data_t *w = ob != NULL ? world_peek(ob) : NULL;
    if (w != NULL && w->next_inv != NULL) {
        lpc_object_incref(w->next_inv);
        *ret = lpc_value_object(w->next_inv);
    }
}

/* present(id | ob, env): an object in env (default: this_object()'s
 * inventory, then its environment's) whose id(str) returns non-zero;
 * "sword 2" means the second one.  With an object: that object if it
 * is in env, else 0. */
static lpc_object_t *present_in(lpc_vm_t *vm, lpc_object_t *env, const char *id, int *nth)
{
    world_data_t *w = world_peek(env);
    lpc_object_t *i = w != NULL ? w->contents : NULL;
    lpc_value_t arg = lpc_value_string(lpc_string_from_cstr(id));
    lpc_vm_push(vm, &arg);           /* freed on error by the unwinding */
    lpc_value_release(&arg);
    lpc_object_t *found = NULL;
    while (i != NULL && found == NULL) {
        lpc_object_t *next = world_peek(i)->next_inv;
        lpc_object_incref(i);
        lpc_value_t r = lpc_int(0);
        bool has = lpc_vm_apply(vm, i, "id", vm->sp, 1, &r);
        bool yes = has && !lpc_value_is_zero(&r);
        lpc_value_release(&r);
        if (yes && --*nth == 0)
            found = i;
        bool gone = lpc_object_is_destructed(i);
        lpc_object_decref(i);
        i = gone ? NULL : next;
    }
    lpc_value_release(vm->sp);
    vm->sp--;
    return found;
}

static void efun_present(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *env = nargs > 1 && args[1].type == LPC_T_OBJECT ? args[1].u.o : NULL;
    if (args[0].type == LPC_T_OBJECT) {
        lpc_object_t *ob = args[0].u.o;
        lpc_object_t *e = env_of(ob);
        bool ok = env != NULL ? e == env
                  : e != NULL && (e == lpc_vm_this_object(vm) ||
                                  e == env_of(lpc_vm_this_object(vm)));
        if (ok) {
            lpc_object_incref(ob);
            *ret = lpc_value_object(ob);
        }
        return;
    }
    if (args[0].type != LPC_T_STRING)
        lpc_efun_bad_arg(vm, 1, "string or object", &args[0]);
    char id[256];
    snprintf(id, sizeof id, "%s", args[0].u.s->data);
    int nth = 1;
    char *sp = strrchr(id, ' ');
    if (sp != NULL && sp[1] >= '1' && sp[1] <= '9' && strspn(sp + 1, "0123456789") == strlen(sp + 1)) {
        nth = atoi(sp + 1);
        *sp = '\0';
    }
    lpc_object_t *found = NULL;
    if (env != NULL) {
        found = present_in(vm, env, id, &nth);
    } else if (lpc_vm_this_object(vm) != NULL) {
        lpc_object_t *me = lpc_vm_this_object(vm);
        found = present_in(vm, me, id, &nth);
        if (found == NULL && env_of(me) != NULL)
            found = present_in(vm, env_of(me), id, &nth);
    }
    if (found != NULL && !lpc_object_is_destructed(found)) {
        lpc_object_incref(found);
        *ret = lpc_value_object(found);
    }
}

#define OBJ LPC_TM_OBJECT
#define OZ (LPC_TM_OBJECT | LPC_TM_ZERO)
static const lpc_efun_def_t world_efuns[] = {
    { "environment", efun_environment, 0, 1, 0, 0, OZ, { OZ } },
    { "move_object", efun_move_object, 1, 2, 0, 0, 0,
      { OBJ | LPC_TM_STRING, OBJ | LPC_TM_STRING } },
    { "all_inventory", efun_all_inventory, 0, 1, 0, 0, LPC_TM_ARRAY, { OZ } },
    { "deep_inventory", efun_deep_inventory, 0, 1, 0, 0, LPC_TM_ARRAY, { OBJ } },
    { "first_inventory", efun_first_inventory, 0, 1, 0, 0, OZ,
      { OBJ | LPC_TM_STRING } },
    { "next_inventory", efun_next_inventory, 0, 1, 0, 0, OZ, { OBJ } },
    { "present", efun_present, 1, 2, 0, 0, OZ,
      { OBJ | LPC_TM_STRING, OZ } },
};

void world_register_efuns(void)
{
    lpc_efun_register(world_efuns, sizeof world_efuns / sizeof world_efuns[0]);
}
