/*
 * lpc_runtime.c - the runtime facade (lpc_runtime.h).
 */
#include "lpc_runtime.h"
#include "lpc_compile.h"
#include "lpc_efun.h"
#include "lpc_program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool efuns_registered;

/* The runtime's own settings, kept next to the VM. */
typedef struct runtime_hooks {
    lpc_error_report_fn report_error;
    void *report_ctx;
    lpc_diag_fn diag;
    void *diag_ctx;
    bool in_master_hook;         /* no hooks from inside a hook */
} runtime_hooks_t;

static char **copy_strv(const char *const *v)
{
    if (v == NULL)
        return NULL;
    size_t n = 0;
    while (v[n] != NULL)
        n++;
    char **out = lpc_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        out[i] = lpc_malloc(len);
        memcpy(out[i], v[i], len);
    }
    return out;
}

static void free_strv(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

/* ---- master hooks ------------------------------------------------------ */

typedef struct apply_args {
    lpc_object_t *ob;
    const char *fname;
    const lpc_value_t *args;
    int nargs;
    lpc_value_t *ret;
    bool found;
} apply_args_t;

static void do_apply(lpc_vm_t *vm, void *arg)
{
    apply_args_t *a = arg;
    a->found = lpc_vm_apply(vm, a->ob, a->fname, a->args, a->nargs, a->ret);
}

/* Runs a master apply under a handler; errors in it go to stderr. */
static bool master_apply(lpc_vm_t *vm, const char *fname, const lpc_value_t *args, int nargs)
{
    runtime_hooks_t *h = vm->runtime_data;
    if (vm->master == NULL || lpc_object_is_destructed(vm->master) || h->in_master_hook)
        return false;
    if (lpc_program_find_function(vm->master->prog, fname) < 0)
        return false;
    lpc_value_t r = lpc_int(0);
    apply_args_t a = { vm->master, fname, args, nargs, &r, false };
    h->in_master_hook = true;
    bool ok = lpc_vm_protect(vm, do_apply, &a, false);
    h->in_master_hook = false;
    lpc_value_release(&r);
    if (!ok) {
        fprintf(stderr, "error in master %s(): %s\n%s", fname,
                vm->err_message != NULL ? vm->err_message : "?",
                vm->err_trace.data != NULL ? vm->err_trace.data : "");
        return true;
    }
    return a.found;
}

static void runtime_diag(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                         const char *message)
{
    lpc_vm_t *vm = ctx;
    runtime_hooks_t *h = vm->runtime_data;
    char line[1200];
    const char *what = sev == LPC_DIAG_ERROR ? "error" : "warning";
    if (loc != NULL && loc->file != NULL)
        snprintf(line, sizeof line, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col,
                 what, message);
    else
        snprintf(line, sizeof line, "%s: %s\n", what, message);
    if (vm->master != NULL && !h->in_master_hook) {
        lpc_value_t args[2];
        args[0] = lpc_value_string(lpc_string_from_cstr(loc != NULL && loc->file ? loc->file : ""));
        args[1] = lpc_value_string(lpc_string_from_cstr(line));
        bool done = master_apply(vm, "log_error", args, 2);
        lpc_value_release(&args[0]);
        lpc_value_release(&args[1]);
        if (done)
            return;
    }
    if (h->diag != NULL) {
        h->diag(h->diag_ctx, sev, loc, message);
        return;
    }
    fputs(line, stderr);
}

static void runtime_report(void *ctx, const char *message, const char *trace)
{
    lpc_vm_t *vm = ctx;
    runtime_hooks_t *h = vm->runtime_data;
    if (vm->master != NULL && !h->in_master_hook &&
        lpc_program_find_function(vm->master->prog, "error_handler") >= 0) {
        lpc_mapping_t *m = lpc_mapping_new(8);
        lpc_value_t k, v;
#define PUT(key, val) do { \
            k = lpc_value_string(lpc_string_from_cstr(key)); v = (val); \
            lpc_mapping_set(m, &k, &v); lpc_value_release(&k); lpc_value_release(&v); \
        } while (0)
        PUT("error", lpc_value_string(lpc_string_from_cstr(message)));
        if (vm->err_program != NULL) {
            lpc_string_incref(vm->err_program);
            PUT("program", lpc_value_string(vm->err_program));
        }
        if (vm->err_object != NULL) {
            lpc_string_incref(vm->err_object);
            PUT("object", lpc_value_string(vm->err_object));
        }
        PUT("line", lpc_int(vm->err_line));
        PUT("trace", lpc_value_string(lpc_string_from_cstr(trace)));
#undef PUT
        lpc_value_t args[2] = { lpc_value_mapping(m), lpc_int(0) };
        bool done = master_apply(vm, "error_handler", args, 2);
        lpc_value_release(&args[0]);
        if (done)
            return;
    }
    if (h->report_error != NULL) {
        h->report_error(h->report_ctx, message, trace);
        return;
    }
    fprintf(stderr, "%s\n%s", message, trace);
}

/* ---- set-up ------------------------------------------------------------ */

lpc_vm_t *lpc_runtime_init(const lpc_runtime_options_t *opts)
{
    if (!efuns_registered) {
        lpc_efun_register_core();
        lpc_efun_std_register();
        efuns_registered = true;
    }
    lpc_vm_t *vm = lpc_vm_new();
    vm->read_file = opts->read_file;
    vm->read_ctx = opts->read_ctx;
    vm->include_dirs = copy_strv(opts->include_dirs);
    if (opts->auto_include != NULL) {
        size_t n = strlen(opts->auto_include) + 1;
        vm->auto_include = lpc_malloc(n);
        memcpy(vm->auto_include, opts->auto_include, n);
    }
    vm->defines = copy_strv(opts->defines);
    if (opts->max_eval_cost > 0)
        vm->eval_limit = opts->max_eval_cost;
    if (opts->max_call_depth > 0 && opts->max_call_depth < LPC_VM_MAX_FRAMES)
        vm->max_frames = opts->max_call_depth;
    vm->output = opts->output;
    vm->output_ctx = opts->output_ctx;
    vm->destruct_hook = opts->destruct_hook;

    runtime_hooks_t *h = lpc_calloc(1, sizeof *h);
    h->report_error = opts->report_error;
    h->report_ctx = opts->report_ctx;
    h->diag = opts->diag;
    h->diag_ctx = opts->diag_ctx;
    /* The VM's hooks point at the runtime's wrappers, which add the
     * master applies. */
    vm->runtime_data = h;
    vm->report_error = runtime_report;
    vm->report_ctx = vm;
    vm->diag = runtime_diag;
    vm->diag_ctx = vm;
    return vm;
}

void lpc_runtime_shutdown(lpc_vm_t *vm)
{
    if (vm == NULL)
        return;
    vm->master = NULL;
    vm->simul_efun = NULL;
    while (vm->obj_first != NULL)
        lpc_object_destruct(vm, vm->obj_first);
    free(vm->obj_hash);
    free_strv(vm->include_dirs);
    free(vm->auto_include);
    free_strv(vm->defines);
    free(vm->runtime_data);
    lpc_vm_free(vm);
}

/* Runs fn under a handler, reporting an uncaught error. */
static bool protect(lpc_vm_t *vm, void (*fn)(lpc_vm_t *, void *), void *arg)
{
    return lpc_vm_protect(vm, fn, arg, true);
}

typedef struct load_args {
    const char *path;
    lpc_object_t *ob;
} load_args_t;

static void do_load(lpc_vm_t *vm, void *arg)
{
    load_args_t *a = arg;
    lpc_vm_reset_eval(vm);
    a->ob = lpc_object_load(vm, a->path);
}

lpc_object_t *lpc_runtime_load(lpc_vm_t *vm, const char *path)
{
    load_args_t a = { path, NULL };
    if (!protect(vm, do_load, &a))
        return NULL;
    return a.ob;
}

bool lpc_runtime_load_master(lpc_vm_t *vm, const char *path)
{
    lpc_object_t *ob = lpc_runtime_load(vm, path);
    if (ob == NULL)
        return false;
    vm->master = ob;
    return true;
}

bool lpc_runtime_load_simul_efun(lpc_vm_t *vm, const char *path)
{
    lpc_object_t *ob = lpc_runtime_load(vm, path);
    if (ob == NULL)
        return false;
    vm->simul_efun = ob;
    return true;
}

static void do_call(lpc_vm_t *vm, void *arg)
{
    apply_args_t *a = arg;
    lpc_vm_reset_eval(vm);
    a->found = lpc_vm_apply(vm, a->ob, a->fname, a->args, a->nargs, a->ret);
}

bool lpc_runtime_call(lpc_vm_t *vm, lpc_object_t *ob, const char *fname,
                      const lpc_value_t *args, int nargs, lpc_value_t *ret, bool *found)
{
    lpc_value_t r = lpc_int(0);
    apply_args_t a = { ob, fname, args, nargs, &r, false };
    bool ok = protect(vm, do_call, &a);
    if (found != NULL)
        *found = ok ? a.found : true;
    if (ret != NULL)
        *ret = r;
    else
        lpc_value_release(&r);
    return ok && a.found;
}

lpc_object_t *lpc_runtime_update(lpc_vm_t *vm, const char *path)
{
    lpc_object_t *old = lpc_object_find(vm, path);
    bool was_master = old != NULL && old == vm->master;
    bool was_simul = old != NULL && old == vm->simul_efun;
    if (old != NULL)
        lpc_object_destruct(vm, old);
    lpc_object_t *ob = lpc_runtime_load(vm, path);
    if (ob != NULL && was_master)
        vm->master = ob;
    if (ob != NULL && was_simul)
        vm->simul_efun = ob;
    return ob;
}

typedef struct check_args {
    const char *path;       /* normalised, ".c" */
    char *err;
    size_t errsize;
    bool ok;
} check_args_t;

static void do_compile_check(lpc_vm_t *vm, void *arg)
{
    check_args_t *a = arg;
    lpc_vm_reset_eval(vm);
    /* The same cycle bookkeeping lpc_object_load does around a compile. */
    if (vm->compile_depth >= (int)(sizeof vm->compiling / sizeof vm->compiling[0])) {
        snprintf(a->err, a->errsize, "inheritance nested too deeply compiling %s", a->path);
        return;
    }
    vm->compiling[vm->compile_depth++] = a->path;
    lpc_program_t *prog = lpc_compile(vm, a->path, a->err, a->errsize);
    vm->compile_depth--;
    if (prog != NULL) {
        a->ok = true;
        lpc_program_decref(prog);
    }
}

bool lpc_runtime_compile_check(lpc_vm_t *vm, const char *path, char *err,
                               size_t errsize)
{
    char norm[1024], file[1030];
    if (errsize > 0)
        err[0] = '\0';
    if (!lpc_object_normalize_name(path, norm, sizeof norm)) {
        snprintf(err, errsize, "bad file name '%s'", path);
        return false;
    }
    snprintf(file, sizeof file, "%s.c", norm);
    check_args_t a = { file, err, errsize, false };
    int depth = vm->compile_depth;
    if (!protect(vm, do_compile_check, &a)) {
        vm->compile_depth = depth;
        snprintf(err, errsize, "%s", vm->err_message != NULL ? vm->err_message : "error");
        return false;
    }
    if (!a.ok && errsize > 0 && err[0] == '\0')
        snprintf(err, errsize, "%s did not compile", file);
    return a.ok;
}

int lpc_runtime_dependents(lpc_vm_t *vm, const char *file,
                           void (*fn)(void *ctx, lpc_object_t *ob), void *ctx)
{
    int n = 0;
    lpc_object_t *o = vm->obj_first;
    while (o != NULL) {
        lpc_object_t *next = o->next;
        if (lpc_program_depends_on(o->prog, file)) {
            n++;
            if (fn != NULL)
                fn(ctx, o);
        }
        o = next;
    }
    return n;
}

char *lpc_runtime_dir_reader(void *ctx, const char *path, size_t *len)
{
    const char *root = ctx;
    if (strstr(path, "..") != NULL)
        return NULL;
    size_t n = strlen(root) + strlen(path) + 2;
    char *full = lpc_malloc(n);
    snprintf(full, n, "%s/%s", root, path[0] == '/' ? path + 1 : path);
    FILE *f = fopen(full, "rb");
    free(full);
    if (f == NULL)
        return NULL;
    size_t cap = 8192, used = 0;
    char *buf = lpc_malloc(cap);
    for (;;) {
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
        if (used == cap) {
            cap *= 2;
            buf = lpc_realloc(buf, cap);
        }
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    *len = used;
    return buf;
}
