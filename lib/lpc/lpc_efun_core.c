/*
 * lpc_efun_core.c - the efuns the language itself needs: output, errors,
 * objects, function pointers (see lpc_efun_register_core in lpc_efun.h).
 *
 * Each follows the convention of lpc_efun.h: arguments borrowed, result
 * stored owned in *ret, argument counts and listed types already checked.
 */
#include "lpc_efun.h"
#include "lpc_funcptr.h"
#include "lpc_object.h"
#include "lpc_vm.h"

#include <string.h>

static lpc_value_t object_or_zero(lpc_object_t *o)
{
    if (o == NULL || lpc_object_is_destructed(o))
        return lpc_int(0);
    lpc_object_incref(o);
    return lpc_value_object(o);
}

/* write(mixed): strings as they are, numbers in decimal, an object as its
 * name, anything else as <type>. */
static void efun_write(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    (void)ret;
    lpc_value_t *v = &args[0];
    if (v->type == LPC_T_STRING) {
        lpc_vm_write(vm, v->u.s->data, v->u.s->len);
        return;
    }
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    if (v->type == LPC_T_INT || v->type == LPC_T_FLOAT)
        lpc_strbuf_append_number(&b, v);
    else if (v->type == LPC_T_OBJECT)
        lpc_strbuf_append(&b, v->u.o->name->data, v->u.o->name->len);
    else
        lpc_strbuf_printf(&b, "<%s>", lpc_type_name((lpc_type_t)v->type));
    lpc_vm_write(vm, b.data != NULL ? b.data : "", b.len);
    lpc_strbuf_free(&b);
}

static void efun_error(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    (void)ret;
    lpc_error(vm, "%s", args[0].u.s->data);
}

static void efun_throw(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    (void)ret;
    lpc_value_t v = args[0];
    lpc_value_incref(&v);
    lpc_vm_throw(vm, &v);
}

static void efun_this_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)args;
    (void)nargs;
    *ret = object_or_zero(lpc_vm_this_object(vm));
}

/* previous_object(n): the n-th calling object; -1: all of them. */
static void efun_previous_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t n = nargs > 0 ? args[0].u.i : 0;
    if (n >= 0) {
        *ret = object_or_zero(n > 1000000 ? NULL : lpc_vm_previous_object(vm, (int)n));
        return;
    }
    int count = 0;
    while (lpc_vm_previous_object(vm, count) != NULL)
        count++;
    lpc_array_t *a = lpc_array_new((size_t)count);
    for (int i = 0; i < count; i++)
        a->items[i] = object_or_zero(lpc_vm_previous_object(vm, i));
    *ret = lpc_value_array(a);
}

/* call_other(ob | name | ({ obs }), "function", args...) */
static void efun_call_other(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const char *fname = args[1].u.s->data;
    if (args[0].type == LPC_T_ARRAY) {
        lpc_array_t *obs = args[0].u.a;
        lpc_array_t *res = lpc_array_new(obs->size);
        *ret = lpc_value_array(res);          /* freed by unwinding on error */
        for (uint32_t i = 0; i < obs->size; i++) {
            lpc_value_t *e = &obs->items[i];
            lpc_value_fix_destructed(e);
            lpc_object_t *o = NULL;
            if (e->type == LPC_T_OBJECT)
                o = e->u.o;
            else if (e->type == LPC_T_STRING)
                o = lpc_object_load(vm, e->u.s->data);
            lpc_value_t r = lpc_int(0);
            if (o != NULL)
                lpc_vm_call_other(vm, o, fname, args + 2, nargs - 2, &r);
            lpc_value_release(&res->items[i]);
            res->items[i] = r;
        }
        return;
    }
    lpc_object_t *o;
    if (args[0].type == LPC_T_STRING)
        o = lpc_object_load(vm, args[0].u.s->data);
    else
        o = args[0].u.o;
    if (o == NULL)
        return;
    lpc_vm_call_other(vm, o, fname, args + 2, nargs - 2, ret);
}

static void efun_load_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    *ret = object_or_zero(lpc_object_load(vm, args[0].u.s->data));
}

static void efun_find_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    *ret = object_or_zero(lpc_object_find(vm, args[0].u.s->data));
}

/* clone_object(name, args...): the extra arguments go to create(). */
static void efun_clone_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *o = lpc_object_clone(vm, args[0].u.s->data, args + 1, nargs - 1);
    if (o != NULL)
        *ret = lpc_value_object(o);          /* the new reference moves */
}

/*
** destruct(ob).  The master and simul_efun objects are refused: without
** them the driver would stop asking valid_read/valid_write and new logins
** would fail.  They are replaced the update way (lpc_runtime_update),
** which re-points the VM at the new object.
*/
static void efun_destruct(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    (void)ret;
    if (args[0].type != LPC_T_OBJECT)
        return;
    lpc_object_t *o = args[0].u.o;
    if (o == vm->master)
        lpc_error(vm, "destruct: refusing to destruct the master object %s "
                  "(update it instead)", o->name->data);
    if (o == vm->simul_efun)
        lpc_error(vm, "destruct: refusing to destruct the simul_efun object %s "
                  "(update it instead)", o->name->data);
    lpc_object_destruct(vm, o);
}

static void efun_file_name(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *o = nargs > 0 ? (args[0].type == LPC_T_OBJECT ? args[0].u.o : NULL)
                                : lpc_vm_this_object(vm);
    if (o == NULL)
        return;
    lpc_string_incref(o->name);
    *ret = lpc_value_string(o->name);
}

static void efun_clonep(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_object_t *o = NULL;
    if (nargs == 0)
        o = lpc_vm_this_object(vm);
    else if (args[0].type == LPC_T_OBJECT)
        o = args[0].u.o;
    *ret = lpc_int(o != NULL && (o->flags & LPC_OBJ_CLONE) ? 1 : 0);
}

/* evaluate(f, args...): calls f; any other value is returned as it is. */
static void efun_evaluate(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    if (args[0].type != LPC_T_FUNCTION) {
        *ret = args[0];
        lpc_value_incref(ret);
        return;
    }
    lpc_vm_call_function(vm, &args[0], args + 1, nargs - 1, ret);
}

/* bind(f, ob): f with another owner running the same program. */
static void efun_bind(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_funcptr_t *f = args[0].u.fp;
    lpc_object_t *ob = args[1].u.o;
    if (f->kind != LPC_FP_EFUN && f->owner->prog != ob->prog)
        lpc_error(vm, "bind(): %s does not run the program the function belongs to",
                  ob->name->data);
    lpc_funcptr_t *g = lpc_funcptr_new((lpc_funcptr_kind_t)f->kind, ob, f->nvalues);
    g->def = f->def;
    g->fn_offset = f->fn_offset;
    g->var_offset = f->var_offset;
    g->efun = f->efun;
    for (int i = 0; i < f->nvalues; i++) {
        g->values[i] = f->values[i];
        lpc_value_incref(&g->values[i]);
    }
    *ret = lpc_value_funcptr(g);
}

/* functionp(x): 0, or the kind (2 local, 3 efun, 5 closure) plus 0x10
 * with bound arguments and 0x20 when the owner is destructed. */
static void efun_functionp(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm;
    (void)nargs;
    if (args[0].type != LPC_T_FUNCTION)
        return;
    lpc_funcptr_t *f = args[0].u.fp;
    int64_t r = f->kind == LPC_FP_LOCAL ? 2 : f->kind == LPC_FP_EFUN ? 3 : 5;
    if (f->kind != LPC_FP_CLOSURE && f->nvalues > 0)
        r |= 0x10;
    if (lpc_object_is_destructed(f->owner))
        r |= 0x20;
    *ret = lpc_int(r);
}

static void efun_sizeof(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm;
    (void)nargs;
    lpc_value_t *v = &args[0];
    int64_t n = 0;
    if (v->type == LPC_T_STRING)
        n = (int64_t)v->u.s->len;
    else if (v->type == LPC_T_ARRAY)
        n = v->u.a->size;
    else if (v->type == LPC_T_MAPPING)
        n = (int64_t)lpc_mapping_size(v->u.m);
    *ret = lpc_int(n);
}

static void efun_typeof(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm;
    (void)nargs;
    *ret = lpc_value_string(lpc_string_from_cstr(lpc_type_name((lpc_type_t)args[0].type)));
}

#define ANY LPC_TM_ANY
#define STR LPC_TM_STRING
#define OBJ LPC_TM_OBJECT
#define INT LPC_TM_INT
#define FUN LPC_TM_FUNCTION

static const lpc_efun_def_t core_efuns[] = {
    { "write", efun_write, 1, 1, 0, 0, 0, { ANY } },
    { "error", efun_error, 1, 1, 0, 0, 0, { STR } },
    { "throw", efun_throw, 1, 1, 0, 0, 0, { ANY } },
    { "this_object", efun_this_object, 0, 0, 0, 0, OBJ | LPC_TM_ZERO, { 0 } },
    { "previous_object", efun_previous_object, 0, 1, 0, 0, 0, { INT } },
    { "call_other", efun_call_other, 2, LPC_EFUN_VARARGS, 0, 0, 0,
      { OBJ | STR | LPC_TM_ARRAY, STR } },
    { "load_object", efun_load_object, 1, 1, 0, 0, OBJ | LPC_TM_ZERO, { STR } },
    { "find_object", efun_find_object, 1, 1, 0, 0, OBJ | LPC_TM_ZERO, { STR } },
    { "clone_object", efun_clone_object, 1, LPC_EFUN_VARARGS, 0, 0, OBJ | LPC_TM_ZERO, { STR } },
    { "new", efun_clone_object, 1, LPC_EFUN_VARARGS, 0, 0, OBJ | LPC_TM_ZERO, { STR } },
    { "destruct", efun_destruct, 1, 1, 0, 0, 0, { OBJ | LPC_TM_ZERO } },
    { "file_name", efun_file_name, 0, 1, 0, 0, STR, { OBJ | LPC_TM_ZERO } },
    { "clonep", efun_clonep, 0, 1, 0, 0, INT, { ANY } },
    { "evaluate", efun_evaluate, 1, LPC_EFUN_VARARGS, 0, 0, 0, { ANY } },
    { "bind", efun_bind, 2, 2, 0, 0, FUN, { FUN, OBJ } },
    { "functionp", efun_functionp, 1, 1, 0, LPC_EFUN_F_PURE, INT, { ANY } },
    { "sizeof", efun_sizeof, 1, 1, 0, LPC_EFUN_F_PURE, INT, { ANY } },
    { "typeof", efun_typeof, 1, 1, 0, LPC_EFUN_F_PURE, STR, { ANY } },
};

void lpc_efun_register_core(void)
{
    lpc_efun_register(core_efuns, sizeof core_efuns / sizeof core_efuns[0]);
}
