/*
 * messages.c - text to objects.  See messages.h.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "messages.h"

#include "commands.h"
#include "interactive.h"
#include "lpc_app.h"
#include "log.h"
#include "world.h"

#include <string.h>

void messages_tell(lpc_vm_t *vm, lpc_object_t *ob, const char *text, size_t len)
{
    if (ob == NULL || lpc_object_is_destructed(ob))
        return;
    if (lpc_program_find_function(ob->prog, "catch_tell") >= 0) {
        lpc_value_t arg = lpc_value_string(lpc_string_new(text, len));
        lpc_vm_push(vm, &arg);       /* freed by the unwinding on error */
        lpc_value_release(&arg);
        lpc_value_t r = lpc_int(0);
        lpc_vm_apply(vm, ob, "catch_tell", vm->sp, 1, &r);
        lpc_value_release(&r);
        lpc_value_release(vm->sp);
        vm->sp--;
        return;
    }
    interactive_t *ia = interactive_of(ob);
    if (ia != NULL)
        interactive_write(ia, text, len);
}

/* write() / printf(): to this_player; with no player (a call_out of a
 * non-living object, the master at start-up) the text goes to the log. */
void messages_output(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    lpc_vm_t *vm = lpc_app_vm();
    lpc_object_t *p = commands_this_player();
    if (p != NULL && vm != NULL) {
        messages_tell(vm, p, data, len);
        return;
    }
    while (len > 0 && data[len - 1] == '\n')
        len--;
    log_info("write: %.*s", (int)len, data);
}

/* Is ob excluded by `ex` (an object or an array of objects)? */
static bool excluded(lpc_object_t *ob, const lpc_value_t *ex)
{
    if (ex == NULL)
        return false;
    if (ex->type == LPC_T_OBJECT)
        return ex->u.o == ob;
    if (ex->type == LPC_T_ARRAY)
        for (uint32_t i = 0; i < ex->u.a->size; i++)
            if (ex->u.a->items[i].type == LPC_T_OBJECT && ex->u.a->items[i].u.o == ob)
                return true;
    return false;
}

/* The inventory of env (plus env itself when with_env) as an array on
 * the VM stack (so that an error in a catch_tell frees it); returns the
 * slot.  Pop with pop_slot. */
static lpc_value_t *push_inventory(lpc_vm_t *vm, lpc_object_t *env, bool with_env)
{
    world_data_t *w = env != NULL ? world_peek(env) : NULL;
    size_t n = with_env && env != NULL ? 1 : 0;
    for (lpc_object_t *i = w != NULL ? w->contents : NULL; i != NULL; i = world_peek(i)->next_inv)
        n++;
    lpc_array_t *a = lpc_array_new(n);
    n = 0;
    if (with_env && env != NULL) {
        lpc_object_incref(env);
        a->items[n++] = lpc_value_object(env);
    }
    for (lpc_object_t *i = w != NULL ? w->contents : NULL; i != NULL; i = world_peek(i)->next_inv) {
        lpc_object_incref(i);
        a->items[n++] = lpc_value_object(i);
    }
    lpc_value_t v = lpc_value_array(a);
    lpc_vm_push(vm, &v);
    lpc_value_release(&v);
    return vm->sp;
}

static void pop_slot(lpc_vm_t *vm)
{
    lpc_value_release(vm->sp);
    vm->sp--;
}

static void tell_all(lpc_vm_t *vm, const lpc_value_t *list, const lpc_string_t *msg,
                     const lpc_value_t *ex)
{
    lpc_array_t *a = list->u.a;
    for (uint32_t i = 0; i < a->size; i++) {
        if (a->items[i].type != LPC_T_OBJECT || lpc_object_is_destructed(a->items[i].u.o))
            continue;
        if (!excluded(a->items[i].u.o, ex))
            messages_tell(vm, a->items[i].u.o, msg->data, msg->len);
    }
}

static void efun_tell_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs; (void)ret;
    messages_tell(vm, args[0].u.o, args[1].u.s->data, args[1].u.s->len);
}

/* say(msg, exclude): everyone in this_player()'s (else this_object()'s)
 * environment, and the environment itself, but this_player() and the
 * excluded. */
static void efun_say(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    lpc_object_t *who = commands_this_player();
    if (who == NULL)
        who = lpc_vm_this_object(vm);
    world_data_t *w = who != NULL ? world_peek(who) : NULL;
    if (w == NULL || w->env == NULL)
        return;
    lpc_value_t *list = push_inventory(vm, w->env, true);
    /* the list slot may move if the stack is used: keep an index */
    lpc_value_t listv = *list;
    lpc_value_t ex = nargs > 1 ? args[1] : lpc_int(0);
    lpc_value_t me = lpc_value_object(who);
    for (uint32_t i = 0; i < listv.u.a->size; i++) {
        lpc_object_t *o = listv.u.a->items[i].u.o;
        if (lpc_object_is_destructed(o) || excluded(o, &ex) || excluded(o, &me))
            continue;
        messages_tell(vm, o, args[0].u.s->data, args[0].u.s->len);
    }
    pop_slot(vm);
}

static void efun_tell_room(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    lpc_object_t *room = args[0].u.o;
    if (args[0].type == LPC_T_STRING)
        room = lpc_object_load(vm, args[0].u.s->data);
    if (room == NULL)
        return;
    lpc_value_t *list = push_inventory(vm, room, false);
    lpc_value_t listv = *list;
    tell_all(vm, &listv, args[1].u.s, nargs > 2 ? &args[2] : NULL);
    pop_slot(vm);
}

/* shout(msg): every interactive user but this_player(). */
static void efun_shout(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    int idx = lpc_efun_lookup("users");
    const lpc_efun_def_t *users = lpc_efun_get(idx);
    lpc_value_t list = lpc_int(0);
    users->fn(vm, NULL, 0, &list);
    lpc_vm_push(vm, &list);
    lpc_value_release(&list);
    lpc_value_t listv = *vm->sp;
    lpc_object_t *p = commands_this_player();
    lpc_value_t me = p != NULL ? lpc_value_object(p) : lpc_int(0);
    tell_all(vm, &listv, args[0].u.s, &me);
    pop_slot(vm);
    (void)ret;
}

/* message(class, msg, target(s), exclude): receive_message(class, msg)
 * on each target that defines it, else the ordinary delivery.  A target
 * that is a room-like object with an inventory but no connection also
 * reaches its inventory (MudOS: a string or an environment). */
static void deliver_message(lpc_vm_t *vm, lpc_object_t *ob, const lpc_value_t *cls,
                            const lpc_string_t *msg)
{
    if (lpc_object_is_destructed(ob))
        return;
    if (lpc_program_find_function(ob->prog, "receive_message") >= 0) {
        lpc_vm_push(vm, cls);
        lpc_value_t m = lpc_value_string((lpc_string_t *)msg);
        lpc_vm_push(vm, &m);
        lpc_value_t r = lpc_int(0);
        lpc_vm_apply(vm, ob, "receive_message", vm->sp - 1, 2, &r);
        lpc_value_release(&r);
        pop_slot(vm);
        pop_slot(vm);
        return;
    }
    messages_tell(vm, ob, msg->data, msg->len);
}

static void efun_message(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    const lpc_value_t *ex = nargs > 3 ? &args[3] : NULL;
    lpc_value_t *t = &args[2];
    if (t->type == LPC_T_STRING) {
        lpc_object_t *room = lpc_object_load(vm, t->u.s->data);
        lpc_value_t *list = push_inventory(vm, room, false);
        lpc_value_t listv = *list;
        for (uint32_t i = 0; i < listv.u.a->size; i++)
            if (!excluded(listv.u.a->items[i].u.o, ex))
                deliver_message(vm, listv.u.a->items[i].u.o, &args[0], args[1].u.s);
        pop_slot(vm);
    } else if (t->type == LPC_T_OBJECT) {
        if (!excluded(t->u.o, ex))
            deliver_message(vm, t->u.o, &args[0], args[1].u.s);
    } else if (t->type == LPC_T_ARRAY) {
        lpc_value_t arr = *t;
        for (uint32_t i = 0; i < arr.u.a->size; i++)
            if (arr.u.a->items[i].type == LPC_T_OBJECT &&
                !excluded(arr.u.a->items[i].u.o, ex))
                deliver_message(vm, arr.u.a->items[i].u.o, &args[0], args[1].u.s);
    }
}

#define OBJ LPC_TM_OBJECT
#define STR LPC_TM_STRING
#define EXC (OBJ | LPC_TM_ARRAY | LPC_TM_ZERO)
static const lpc_efun_def_t message_efuns[] = {
    { "tell_object", efun_tell_object, 2, 2, 0, 0, 0, { OBJ, STR } },
    { "say", efun_say, 1, 2, 0, 0, 0, { STR, EXC } },
    { "tell_room", efun_tell_room, 2, 3, 0, 0, 0, { OBJ | STR, STR, EXC } },
    { "shout", efun_shout, 1, 1, 0, 0, 0, { STR } },
    { "message", efun_message, 3, 4, 0, 0, 0,
      { 0, STR, OBJ | STR | LPC_TM_ARRAY, EXC } },
};

void messages_register_efuns(void)
{
    lpc_efun_register(message_efuns, sizeof message_efuns / sizeof message_efuns[0]);
}
