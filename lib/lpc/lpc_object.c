/*
 * lpc_object.c - the object table, loading, cloning, destructing
 * (lpc_object.h).
 *
 * Loading a master runs the compiler (which may load inherited masters
 * recursively: vm->compiling lists the files being compiled, so an
 * inheritance cycle is an error, not a stack overflow), makes the
 * object, runs the variable initialisers and then create().  An error
 * in either destructs the half-made object and propagates.
 */
#include "lpc_object.h"
#include "lpc_compile.h"
#include "lpc_program.h"
#include "lpc_vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJ_NAME_MAX 1024

void lpc_object_incref(lpc_object_t *o)
{
    o->ref++;
}

static void object_free(lpc_object_t *o)
{
    for (uint32_t i = 0; i < o->num_vars; i++)
        lpc_value_release(&o->vars[i]);
    free(o->vars);
    lpc_program_decref(o->prog);
    lpc_string_decref(o->name);
    free(o);
}

void lpc_object_decref(lpc_object_t *o)
{
    if (--o->ref == 0)
        object_free(o);
}

bool lpc_object_is_destructed(const lpc_object_t *o)
{
    return (o->flags & LPC_OBJ_DESTRUCTED) != 0;
}

bool lpc_object_normalize_name(const char *name, char *buf, size_t size)
{
    size_t n = 0;
    if (size < 2)
        return false;
    buf[n++] = '/';
    const char *p = name;
    while (*p == '/')
        p++;
    while (*p != '\0') {
        const char *seg = p;
        while (*p != '\0' && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        while (*p == '/')
            p++;
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.')
            return false;
        if (n > 1) {
            if (n + 1 >= size)
                return false;
            buf[n++] = '/';
        }
        if (n + len >= size)
            return false;
        memcpy(buf + n, seg, len);
        n += len;
    }
    buf[n] = '\0';
    if (n > 2 && strcmp(buf + n - 2, ".c") == 0)
        buf[n -= 2] = '\0';
    if (n <= 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 32)
            return false;
    return true;
}

/* ---- the table ------------------------------------------------------ */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void table_grow(lpc_vm_t *vm)
{
    uint32_t size = vm->obj_hash_size ? vm->obj_hash_size * 2 : 256;
    lpc_object_t **h = lpc_calloc(size, sizeof *h);
    for (uint32_t i = 0; i < vm->obj_hash_size; i++) {
        lpc_object_t *o = vm->obj_hash[i];
        while (o != NULL) {
            lpc_object_t *next = o->hash_next;
            uint32_t k = name_hash(o->name->data) & (size - 1);
            o->hash_next = h[k];
            h[k] = o;
            o = next;
        }
    }
    free(vm->obj_hash);
    vm->obj_hash = h;
    vm->obj_hash_size = size;
}

static void table_add(lpc_vm_t *vm, lpc_object_t *o)
{
    if (vm->nobjects + 1 > vm->obj_hash_size)
        table_grow(vm);
    uint32_t k = name_hash(o->name->data) & (vm->obj_hash_size - 1);
    o->hash_next = vm->obj_hash[k];
    vm->obj_hash[k] = o;
    o->prev = vm->obj_last;
    o->next = NULL;
    if (vm->obj_last != NULL)
        vm->obj_last->next = o;
    else
        vm->obj_first = o;
    vm->obj_last = o;
    vm->nobjects++;
    o->ref++;                        /* the table's reference */
}

static void table_remove(lpc_vm_t *vm, lpc_object_t *o)
{
    uint32_t k = name_hash(o->name->data) & (vm->obj_hash_size - 1);
    lpc_object_t **pp = &vm->obj_hash[k];
    while (*pp != NULL && *pp != o)
        pp = &(*pp)->hash_next;
    if (*pp == o)
        *pp = o->hash_next;
    if (o->prev != NULL)
        o->prev->next = o->next;
    else
        vm->obj_first = o->next;
    if (o->next != NULL)
        o->next->prev = o->prev;
    else
        vm->obj_last = o->prev;
    o->next = o->prev = o->hash_next = NULL;
    vm->nobjects--;
}

static lpc_object_t *table_find(lpc_vm_t *vm, const char *norm)
{
    if (vm->obj_hash_size == 0)
        return NULL;
    uint32_t k = name_hash(norm) & (vm->obj_hash_size - 1);
    for (lpc_object_t *o = vm->obj_hash[k]; o != NULL; o = o->hash_next)
        if (strcmp(o->name->data, norm) == 0)
            return o;
    return NULL;
}

lpc_object_t *lpc_object_first(lpc_vm_t *vm)
{
    return vm->obj_first;
}

lpc_object_t *lpc_object_find(lpc_vm_t *vm, const char *name)
{
    char norm[OBJ_NAME_MAX];
    if (!lpc_object_normalize_name(name, norm, sizeof norm))
        return NULL;
    return table_find(vm, norm);
}

/* ---- making objects -------------------------------------------------- */

static lpc_object_t *object_new(lpc_program_t *prog, const char *name)
{
    lpc_object_t *o = lpc_calloc(1, sizeof *o);
    o->ref = 0;
    o->prog = prog;
    lpc_program_incref(prog);
    o->name = lpc_string_from_cstr(name);
    o->num_vars = prog->nvars_total;
    /* never NULL: frames compute vars + offset even with no variables */
    o->vars = lpc_calloc(o->num_vars ? o->num_vars : 1, sizeof *o->vars);
    return o;
}

typedef struct init_args {
    lpc_object_t *ob;
    const lpc_value_t *args;   /* for create() */
    int nargs;
} init_args_t;

/* Variable initialisers, then create(). */
static void run_init_and_create(lpc_vm_t *vm, void *arg)
{
    init_args_t *ia = arg;
    lpc_object_t *ob = ia->ob;
    lpc_value_t r = lpc_int(0);
    if (ob->prog->init_def >= 0) {
        lpc_vm_call_def(vm, ob, &ob->prog->defs[ob->prog->init_def], 0, 0, NULL, 0, &r,
                        lpc_vm_this_object(vm));
        lpc_value_release(&r);
    }
    if (lpc_object_is_destructed(ob))
        return;
    ob->flags |= LPC_OBJ_CREATED;
    int idx = lpc_program_find_function(ob->prog, "create");
    if (idx >= 0) {
        const lpc_func_entry_t *e = &ob->prog->table[idx];
        if (!(e->flags & (LPC_FN_PRIVATE | LPC_FN_HIDDEN)) &&
            !(e->def->flags & LPC_FN_UNDEFINED)) {
            lpc_vm_call_index(vm, ob, idx, ia->args, ia->nargs, &r, lpc_vm_this_object(vm));
            lpc_value_release(&r);
        }
    }
}

/* Runs initialisers and create() for a new object (in the table).
 * Returns a NEW reference to it, or NULL when create() destructed it.
 * On error destructs it and re-raises the error (message and trace of
 * the original). */
static lpc_object_t *initialize_object(lpc_vm_t *vm, lpc_object_t *ob,
                                       const lpc_value_t *args, int nargs)
{
    init_args_t ia = { ob, args, nargs };
    lpc_object_incref(ob);
    if (!lpc_vm_protect(vm, run_init_and_create, &ia, false)) {
        lpc_object_destruct(vm, ob);
        lpc_object_decref(ob);
        lpc_vm_rethrow(vm);
    }
    if (lpc_object_is_destructed(ob)) {
        lpc_object_decref(ob);
        return NULL;
    }
    return ob;
}

lpc_object_t *lpc_object_load(lpc_vm_t *vm, const char *name)
{
    char norm[OBJ_NAME_MAX];
    if (!lpc_object_normalize_name(name, norm, sizeof norm))
        lpc_error(vm, "Bad object name '%s'", name);
    lpc_object_t *o = table_find(vm, norm);
    if (o != NULL)
        return o;
    if (strchr(norm, '#') != NULL)
        lpc_error(vm, "Cannot load '%s': a clone that does not exist", norm);

    char path[OBJ_NAME_MAX + 2];
    snprintf(path, sizeof path, "%s.c", norm);
    for (int i = 0; i < vm->compile_depth; i++)
        if (strcmp(vm->compiling[i], path) == 0)
            lpc_error(vm, "Inheritance cycle: %s inherits itself", path);
    if (vm->compile_depth >= (int)(sizeof vm->compiling / sizeof vm->compiling[0]))
        lpc_error(vm, "Inheritance nested too deeply loading %s", path);

    char err[1024];
    vm->compiling[vm->compile_depth++] = path;
    lpc_program_t *prog = lpc_compile(vm, path, err, sizeof err);
    vm->compile_depth--;
    if (prog == NULL)
        lpc_error(vm, "Error in loading object '%s': %s", norm, err);
    /* The compile may have loaded it already (a file inheriting... no:
     * cycles are refused) - but a create() elsewhere could have. */
    o = table_find(vm, norm);
    if (o != NULL) {
        lpc_program_decref(prog);
        return o;
    }
    o = object_new(prog, norm);
    lpc_program_decref(prog);
    table_add(vm, o);
    o = initialize_object(vm, o, NULL, 0);
    if (o != NULL)
        lpc_object_decref(o);        /* the table keeps it */
    return o;
}

lpc_object_t *lpc_object_clone(lpc_vm_t *vm, const char *name,
                               const lpc_value_t *args, int nargs)
{
    char norm[OBJ_NAME_MAX];
    if (!lpc_object_normalize_name(name, norm, sizeof norm))
        lpc_error(vm, "Bad object name '%s'", name);
    if (strchr(norm, '#') != NULL)
        lpc_error(vm, "Cannot clone '%s': it is a clone", norm);
    lpc_object_t *master = lpc_object_load(vm, norm);
    char cname[OBJ_NAME_MAX + 32];
    uint64_t no = ++vm->next_clone_no;
    snprintf(cname, sizeof cname, "%s#%llu", norm, (unsigned long long)no);
    lpc_object_t *o = object_new(master->prog, cname);
    o->flags |= LPC_OBJ_CLONE;
    o->clone_no = no;
    table_add(vm, o);
    return initialize_object(vm, o, args, nargs);
}

void lpc_object_destruct(lpc_vm_t *vm, lpc_object_t *o)
{
    if (o->flags & LPC_OBJ_DESTRUCTED)
        return;
    if (vm->destruct_hook != NULL)
        vm->destruct_hook(vm, o);
    o->flags |= LPC_OBJ_DESTRUCTED;
    if (vm->master == o)
        vm->master = NULL;
    if (vm->simul_efun == o)
        vm->simul_efun = NULL;
    table_remove(vm, o);
    /* Release the variables now (they may hold the only references to
     * other objects); the array itself stays for running frames. */
    for (uint32_t i = 0; i < o->num_vars; i++)
        lpc_value_release(&o->vars[i]);
    lpc_object_decref(o);            /* the table's reference */
}

typedef struct inherit_args {
    const char *name;
    lpc_object_t *ob;
} inherit_args_t;

static void inherit_load(lpc_vm_t *vm, void *arg)
{
    inherit_args_t *ia = arg;
    ia->ob = lpc_object_load(vm, ia->name);
}

lpc_program_t *lpc_object_inherit_program(lpc_vm_t *vm, const char *name,
                                          char *err, size_t errsize)
{
    inherit_args_t ia = { name, NULL };
    if (!lpc_vm_protect(vm, inherit_load, &ia, false)) {
        snprintf(err, errsize, "%s", vm->err_message != NULL ? vm->err_message : "error");
        return NULL;
    }
    lpc_program_incref(ia.ob->prog);
    return ia.ob->prog;
}
