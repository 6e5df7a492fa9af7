/*
 * commands.c - livings, actions and the command parser.  See commands.h.
 *
 * add_action semantics (as MudOS): flag 0 matches the verb exactly; a
 * verb "" matches every command (catch-all, any flag); flag 1 matches a
 * typed verb that starts with it and passes the usual argument (the
 * words after the verb; query_verb() is the whole typed verb); flag 2
 * matches the same way and passes the rest of the line after the prefix
 * (verb "'" and "'hello there" give "hello there").  The function gets
 * 0 when there is no argument.  The newest action is tried first; an
 * action function returning 0 lets the next one try.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "commands.h"

#include "interactive.h"
#include "lpc_app.h"
#include "messages.h"
#include "world.h"

#include <stdlib.h>
#include <string.h>

typedef struct action {
    struct action *next;
    lpc_object_t *owner;         /* borrowed: forgotten when destructed */
    lpc_value_t fn;              /* string (function name) or function */
    char *verb;
    int flag;
} action_t;

/* Livings, for find_living and the action clean-up. */
static lpc_object_t **livings;
static size_t nlivings, livings_cap;

static lpc_object_t *this_player;

/* The command being run: query_verb and notify_fail. */
static char *cur_verb;
static lpc_value_t fail_msg;     /* string or function, owned */

lpc_object_t *commands_this_player(void)
{
    return this_player;
}

lpc_object_t *commands_set_this_player(lpc_object_t *ob)
{
    lpc_object_t *old = this_player;
    this_player = ob;
    return old;
}

static void action_free(action_t *a)
{
    lpc_value_release(&a->fn);
    free(a->verb);
    free(a);
}

static lpc_object_t *env_of(lpc_object_t *ob)
{
    world_data_t *w = world_peek(ob);
    return w != NULL ? w->env : NULL;
}

/* An action of `owner` stays with `living` while they are together:
 * the same object, one in the other, or side by side. */
static bool near(lpc_object_t *living, lpc_object_t *owner)
{
    if (owner == living)
        return true;
    lpc_object_t *le = env_of(living), *oe = env_of(owner);
    return owner == le || oe == living || (le != NULL && oe == le);
}

static void drop_actions_if(lpc_object_t *living, bool (*drop)(lpc_object_t *, action_t *, void *),
                            void *ctx)
{
    world_data_t *w = world_peek(living);
    if (w == NULL)
        return;
    action_t **pp = &w->actions;
    while (*pp != NULL) {
        action_t *a = *pp;
        if (drop(living, a, ctx)) {
            *pp = a->next;
            action_free(a);
        } else {
            pp = &a->next;
        }
    }
}

static bool drop_distant(lpc_object_t *living, action_t *a, void *ctx)
{
    (void)ctx;
    return !near(living, a->owner);
}

static bool drop_owned(lpc_object_t *living, action_t *a, void *ctx)
{
    (void)living;
    return a->owner == ctx;
}

void commands_drop_distant(lpc_object_t *moved)
{
    (void)moved;
    /* Small worlds: every living checks its list.  What moved may be the
     * living or the owner of someone's action. */
    for (size_t i = 0; i < nlivings; i++)
        drop_actions_if(livings[i], drop_distant, NULL);
}

void commands_forget(lpc_object_t *ob)
{
    for (size_t i = 0; i < nlivings; i++)
        drop_actions_if(livings[i], drop_owned, ob);
    world_data_t *w = world_peek(ob);
    if (w != NULL) {
        while (w->actions != NULL) {
            action_t *a = w->actions;
            w->actions = a->next;
            action_free(a);
        }
    }
    for (size_t i = 0; i < nlivings; i++)
        if (livings[i] == ob) {
            livings[i] = livings[--nlivings];
            break;
        }
    if (this_player == ob)
        this_player = NULL;
    if (nlivings == 0) {
        free(livings);
        livings = NULL;
        livings_cap = 0;
    }
}

/* Calls action a with `arg` (string or 0) as this_player `giver`;
 * returns its result as true/false.  Raises LPC errors. */
static bool call_action(lpc_vm_t *vm, action_t *a, const char *arg)
{
    lpc_value_t argv = arg != NULL ? lpc_value_string(lpc_string_from_cstr(arg)) : lpc_int(0);
    lpc_vm_push(vm, &argv);
    lpc_value_release(&argv);
    lpc_value_t fn = a->fn;
    lpc_value_incref(&fn);
    lpc_vm_push(vm, &fn);            /* keeps fn alive if the action goes */
    lpc_value_release(&fn);
    lpc_object_t *owner = a->owner;
    lpc_value_t r = lpc_int(0);
    bool ok;
    if (vm->sp->type == LPC_T_STRING)
        ok = lpc_vm_apply(vm, owner, vm->sp->u.s->data, vm->sp - 1, 1, &r);
    else {
        lpc_vm_call_function(vm, vm->sp, vm->sp - 1, 1, &r);
        ok = true;
    }
    bool yes = ok && !lpc_value_is_zero(&r);
    lpc_value_release(&r);
    lpc_value_release(vm->sp);
    vm->sp--;
    lpc_value_release(vm->sp);
    vm->sp--;
    return yes;
}

bool commands_execute(lpc_vm_t *vm, lpc_object_t *ob, const char *line)
{
    while (*line == ' ')
        line++;
    size_t vlen = strcspn(line, " ");
    if (vlen == 0)
        return false;
    const char *rest = line + vlen;
    while (*rest == ' ')
        rest++;
    char *verb = lpc_malloc(vlen + 1);
    memcpy(verb, line, vlen);
    verb[vlen] = '\0';

    char *saved_verb = cur_verb;
    lpc_value_t saved_fail = fail_msg;
    cur_verb = verb;
    fail_msg = lpc_int(0);
    lpc_object_t *saved_player = commands_set_this_player(ob);

    bool done = false;
    world_data_t *w = world_data(ob);
    /* Actions may be added or removed while one runs: walk by position,
     * re-finding our place by a generation-free rule: after each call
     * restart from the list head, skipping the actions already tried. */
    size_t tried = 0;
    for (;;) {
        action_t *a = w->actions;
        for (size_t k = 0; k < tried && a != NULL; k++)
            a = a->next;
        if (a == NULL)
            break;
        tried++;
        const char *arg = NULL;
        if (a->verb[0] == '\0') {
            arg = *rest != '\0' ? rest : NULL;
        } else if (a->flag == 0) {
            if (strcmp(a->verb, verb) != 0)
                continue;
            arg = *rest != '\0' ? rest : NULL;
        } else {
            size_t n = strlen(a->verb);
            if (strncmp(a->verb, verb, n) != 0)
                continue;
            /* flag 1: the usual argument; 2: the rest of the line after
             * the verb's prefix ("'hello there" -> "hello there") */
            const char *tail = a->flag & 2 ? line + n : rest;
            arg = *tail != '\0' ? tail : NULL;
        }
        bool ok = call_action(vm, a, arg);
        if (ok) {
            done = true;
            break;
        }
        if (lpc_object_is_destructed(ob))
            break;
        w = world_data(ob);
    }
    if (!done && !lpc_object_is_destructed(ob)) {
        if (fail_msg.type == LPC_T_STRING) {
            messages_tell(vm, ob, fail_msg.u.s->data, fail_msg.u.s->len);
        } else if (fail_msg.type == LPC_T_FUNCTION) {
            lpc_value_t r = lpc_int(0);
            lpc_vm_call_function(vm, &fail_msg, NULL, 0, &r);
            if (r.type == LPC_T_STRING)
                messages_tell(vm, ob, r.u.s->data, r.u.s->len);
            lpc_value_release(&r);
        } else {
            messages_tell(vm, ob, "What?\n", 6);
        }
    }
    commands_set_this_player(saved_player);
    lpc_value_release(&fail_msg);
    fail_msg = saved_fail;
    free(cur_verb);
    cur_verb = saved_verb;
    return done;
}

/* If an error unwinds through commands_execute, the saved state above is
 * lost; lpc_app resets it at the top level. */
void commands_reset_top_level(void)
{
    lpc_value_release(&fail_msg);
    free(cur_verb);
    cur_verb = NULL;
}

/* ---- efuns ------------------------------------------------------------ */

static void add_living(lpc_object_t *ob)
{
    for (size_t i = 0; i < nlivings; i++)
        if (livings[i] == ob)
            return;
    if (nlivings == livings_cap) {
        livings_cap = livings_cap ? livings_cap * 2 : 16;
        livings = lpc_realloc(livings, livings_cap * sizeof *livings);
    }
    livings[nlivings++] = ob;
}

static void efun_enable_commands(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)args; (void)nargs; (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (me == NULL)
        return;
    world_data(me)->living = true;
    add_living(me);
    this_player = me;
}

static void efun_disable_commands(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)args; (void)nargs; (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    world_data_t *w = me != NULL ? world_peek(me) : NULL;
    if (w != NULL)
        w->living = false;
}

static void efun_living(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    world_data_t *w = args[0].type == LPC_T_OBJECT ? world_peek(args[0].u.o) : NULL;
    *ret = lpc_int(w != NULL && w->living);
}

static void efun_set_living_name(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs; (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (me == NULL)
        return;
    world_data_t *w = world_data(me);
    free(w->living_name);
    w->living_name = strdup(args[0].u.s->data);
    if (w->living_name == NULL)
        lpc_fatal_oom(args[0].u.s->len);
    add_living(me);
}

static lpc_object_t *find_named(const char *name, bool players_only)
{
    for (size_t i = 0; i < nlivings; i++) {
        world_data_t *w = world_peek(livings[i]);
        if (w == NULL || w->living_name == NULL || strcmp(w->living_name, name) != 0)
            continue;
        if (players_only ? w->player : w->living)
            return livings[i];
    }
    return NULL;
}

static void efun_find_living(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    lpc_object_t *o = find_named(args[0].u.s->data, false);
    if (o != NULL) {
        lpc_object_incref(o);
        *ret = lpc_value_object(o);
    }
}

static void efun_find_player(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    lpc_object_t *o = find_named(args[0].u.s->data, true);
    if (o != NULL) {
        lpc_object_incref(o);
        *ret = lpc_value_object(o);
    }
}

static void add_one(lpc_vm_t *vm, world_data_t *w, const lpc_value_t *fn, const char *verb,
                    int flag)
{
    action_t *a = lpc_calloc(1, sizeof *a);
    a->owner = lpc_vm_this_object(vm);
    a->fn = *fn;
    lpc_value_incref(&a->fn);
    a->verb = strdup(verb);
    if (a->verb == NULL)
        lpc_fatal_oom(strlen(verb));
    a->flag = flag;
    a->next = w->actions;
    w->actions = a;
}

static void efun_add_action(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)ret;
    lpc_object_t *me = lpc_vm_this_object(vm);
    lpc_object_t *giver = this_player;
    if (me == NULL || giver == NULL || lpc_object_is_destructed(giver))
        return;
    world_data_t *w = world_data(giver);
    if (!w->living)
        return;
    int flag = nargs > 2 ? (int)args[2].u.i : 0;
    if (args[1].type == LPC_T_STRING) {
        add_one(vm, w, &args[0], args[1].u.s->data, flag);
    } else {
        lpc_array_t *a = args[1].u.a;
        for (uint32_t i = 0; i < a->size; i++)
            if (a->items[i].type == LPC_T_STRING)
                add_one(vm, w, &args[0], a->items[i].u.s->data, flag);
    }
}

static void efun_notify_fail(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs; (void)ret;
    lpc_value_assign(&fail_msg, &args[0]);
}

static void efun_query_verb(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)args; (void)nargs;
    if (cur_verb != NULL)
        *ret = lpc_value_string(lpc_string_from_cstr(cur_verb));
}

/* command(str): this_object() performs str as a command; 1 if an action
 * took it, else 0. */
static void efun_command(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_object_t *me = lpc_vm_this_object(vm);
    world_data_t *w = me != NULL ? world_peek(me) : NULL;
    if (w == NULL || !w->living)
        return;
    *ret = lpc_int(commands_execute(vm, me, args[0].u.s->data) ? 1 : 0);
}

static void efun_this_player(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm;
    lpc_object_t *o = nargs > 0 && args[0].u.i != 0 ? interactive_this_interactive() : this_player;
    if (o != NULL && !lpc_object_is_destructed(o)) {
        lpc_object_incref(o);
        *ret = lpc_value_object(o);
    }
}

#define STR LPC_TM_STRING
static const lpc_efun_def_t command_efuns[] = {
    { "enable_commands", efun_enable_commands, 0, 0, 0, 0, 0, { 0 } },
    { "disable_commands", efun_disable_commands, 0, 0, 0, 0, 0, { 0 } },
    { "living", efun_living, 1, 1, 0, 0, LPC_TM_INT, { LPC_TM_OBJECT | LPC_TM_ZERO } },
    { "set_living_name", efun_set_living_name, 1, 1, 0, 0, 0, { STR } },
    { "find_living", efun_find_living, 1, 1, 0, 0, LPC_TM_OBJECT | LPC_TM_ZERO, { STR } },
    { "find_player", efun_find_player, 1, 1, 0, 0, LPC_TM_OBJECT | LPC_TM_ZERO, { STR } },
    { "add_action", efun_add_action, 2, 3, 0, 0, 0,
      { STR | LPC_TM_FUNCTION, STR | LPC_TM_ARRAY, LPC_TM_INT } },
    { "notify_fail", efun_notify_fail, 1, 1, 0, 0, LPC_TM_INT, { STR | LPC_TM_FUNCTION } },
    { "query_verb", efun_query_verb, 0, 0, 0, 0, STR | LPC_TM_ZERO, { 0 } },
    { "command", efun_command, 1, 1, 0, 0, LPC_TM_INT, { STR } },
    { "this_player", efun_this_player, 0, 1, 0, 0, LPC_TM_OBJECT | LPC_TM_ZERO, { LPC_TM_INT } },
};

void commands_register_efuns(void)
{
    lpc_efun_register(command_efuns, sizeof command_efuns / sizeof command_efuns[0]);
}
