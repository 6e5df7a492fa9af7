/*
 * lpc_git.c - the reload after a git update, the master apply
 * mudlib_updated() and the efun git_update().  See lpc_git.h.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "lpc_git.h"

#include "commands.h"
#include "git_update.h"
#include "log.h"
#include "lpc_app.h"
#include "messages.h"
#include "world.h"

#include "lpc/lpc_efun.h"
#include "lpc/lpc_program.h"
#include "lpc/lpc_runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LPC_GIT_ERR_SIZE 1024

/* ---- small helpers -------------------------------------------------------- */

/* A growing text (the reload report).  Out of memory is fatal in
 * lpc_malloc/lpc_realloc, so appends cannot fail. */
typedef struct text {
    char *s;
    size_t len, cap;
} text_t;

static void text_add(text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = lpc_realloc(t->s, t->cap);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static lpc_value_t str_value(const char *s)
{
    return lpc_value_string(lpc_string_from_cstr(s));
}

/* m[key] = v; v's reference is taken over. */
static void map_put(lpc_mapping_t *m, const char *key, lpc_value_t v)
{
    lpc_value_t k = str_value(key);
    lpc_mapping_set(m, &k, &v);
    lpc_value_release(&k);
    lpc_value_release(&v);
}

/* An LPC array of n strings. */
static lpc_value_t str_array(char **items, size_t n)
{
    lpc_array_t *a = lpc_array_new(n);
    for (size_t i = 0; i < n; i++)
        a->items[i] = str_value(items[i]);
    return lpc_value_array(a);
}

typedef struct tell_args {
    lpc_object_t *ob;
    const char *text;
} tell_args_t;

static void do_tell(lpc_vm_t *vm, void *arg)
{
    tell_args_t *t = arg;
    messages_tell(vm, t->ob, t->text, strlen(t->text));
}

/* tell_object(ob, text) as a top-level evaluation; ob may be gone. */
static void tell(lpc_object_t *ob, const char *text)
{
    if (ob == NULL || lpc_object_is_destructed(ob) || lpc_app_vm() == NULL)
        return;
    tell_args_t t = { ob, text };
    lpc_app_run(NULL, do_tell, &t);
}

/* ---- the reload ----------------------------------------------------------- */

typedef struct reload_item {
    char *name;         /* object name, "/domains/start/square" */
    int depth;          /* length of the longest inherit chain below it */
    size_t order;       /* load order, for a stable sort */
} reload_item_t;

static int inherit_depth(const lpc_program_t *p)
{
    int d = 0;
    for (uint32_t i = 0; i < p->ninherits; i++) {
        int k = 1 + inherit_depth(p->inherits[i].prog);
        if (k > d)
            d = k;
    }
    return d;
}

/* Inherited programs first: a base always has a smaller depth than its
 * heirs, so compiling an heir then finds the base already reloaded. */
static int by_depth(const void *a, const void *b)
{
    const reload_item_t *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Is `name` (an object name) the source of a file the update deleted? */
static bool source_deleted(const git_update_result_t *r, const char *name)
{
    for (size_t i = 0; i < r->change_count; i++) {
        const char *p = r->changes[i].path;
        size_t n = strlen(name + 1);
        if (r->changes[i].status == 'D' && strncmp(p, name + 1, n) == 0 &&
            strcmp(p + n, ".c") == 0)
            return true;
    }
    return false;
}

/* The living objects inside ob, each with a reference (caller releases). */
static lpc_object_t **living_guests(lpc_object_t *ob, size_t *count)
{
    *count = 0;
    world_data_t *w = world_peek(ob);
    if (w == NULL)
        return NULL;
    size_t n = 0;
    for (lpc_object_t *i = w->contents; i != NULL; i = world_peek(i)->next_inv)
        n++;
    if (n == 0)
        return NULL;
    lpc_object_t **v = lpc_malloc(n * sizeof *v);
    for (lpc_object_t *i = w->contents; i != NULL; i = world_peek(i)->next_inv) {
        world_data_t *iw = world_peek(i);
        if (iw->living || iw->user != NULL) {
            lpc_object_incref(i);
            v[(*count)++] = i;
        }
    }
    return v;
}

/* guest->move(dest) for each guest still there. */
static void move_guests(lpc_object_t **guests, size_t n, lpc_object_t *dest)
{
    if (dest == NULL || lpc_object_is_destructed(dest))
        return;
    for (size_t i = 0; i < n; i++) {
        if (lpc_object_is_destructed(guests[i]))
            continue;
        lpc_object_incref(dest);
        lpc_value_t d = lpc_value_object(dest);
        lpc_app_apply(NULL, guests[i], "move", &d, 1, NULL);
        lpc_value_release(&d);
    }
}

/* master->reload_holding_room(), or NULL: where living objects wait while
 * the room they stand in is reloaded.  A new reference. */
static lpc_object_t *holding_room(lpc_vm_t *vm)
{
    lpc_value_t r;
    lpc_app_apply(NULL, vm->master, "reload_holding_room", NULL, 0, &r);
    if (r.type == LPC_T_OBJECT && !lpc_object_is_destructed(r.u.o)) {
        lpc_object_t *o = r.u.o;      /* the value's reference is kept */
        return o;
    }
    lpc_value_release(&r);
    return NULL;
}

typedef struct outcome {
    char **reloaded;
    size_t nreloaded;
    char **failed;          /* name */
    char **errors;          /* its error (nerrors == nfailed) */
    size_t nfailed, nerrors;
    char **clones;
    size_t nclones;
    char **kept;            /* source deleted: the loaded object keeps running */
    size_t nkept;
} outcome_t;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lpc_malloc(n);
    memcpy(d, s, n);
    return d;
}

static void push(char ***v, size_t *n, const char *s)
{
    *v = lpc_realloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = dup_str(s);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Compiles, then updates one object.  The compile comes first so that a
 * file with an error never costs the running object. */
static void reload_one(lpc_vm_t *vm, const char *name, outcome_t *out)
{
    lpc_object_t *old = lpc_object_find(vm, name);
    if (old == NULL)
        return;         /* gone meanwhile (destructed by another's create) */
    char err[LPC_GIT_ERR_SIZE];
    /* An heir of a program that failed would be compiled against the old
     * base: no gain, and its state would be lost.  It keeps running too. */
    for (size_t i = 0; i < out->nfailed; i++) {
        char src[LPC_GIT_ERR_SIZE];
        snprintf(src, sizeof src, "%s.c", out->failed[i]);
        if (lpc_program_depends_on(old->prog, src)) {
            snprintf(err, sizeof err, "it inherits %s, which was not reloaded", out->failed[i]);
            push(&out->failed, &out->nfailed, name);
            push(&out->errors, &out->nerrors, err);
            return;
        }
    }
    if (!lpc_runtime_compile_check(vm, name, err, sizeof err)) {
        push(&out->failed, &out->nfailed, name);
        push(&out->errors, &out->nerrors, err);
        log_warn("git update: %s does not compile, the old version keeps running: %s",
                 name, err);
        return;
    }
    size_t nguests = 0;
    lpc_object_t **guests = living_guests(old, &nguests);
    lpc_object_t *hold = NULL;
    if (nguests > 0) {
        hold = holding_room(vm);
        if (hold == old) {
            lpc_object_decref(hold);
            hold = NULL;
        }
        move_guests(guests, nguests, hold);
    }
    lpc_object_t *ob = lpc_runtime_update(vm, name);
    if (ob == NULL) {
        snprintf(err, sizeof err, "%s", vm->err_message != NULL ? vm->err_message : "?");
        push(&out->failed, &out->nfailed, name);
        push(&out->errors, &out->nerrors, err);
        log_warn("git update: reloading %s failed: %s", name, err);
    } else {
        push(&out->reloaded, &out->nreloaded, name);
        move_guests(guests, nguests, ob);
    }
    for (size_t i = 0; i < nguests; i++)
        lpc_object_decref(guests[i]);
    free(guests);
    if (hold != NULL)
        lpc_object_decref(hold);
}

/* The mapping for master->mudlib_updated(). */
static lpc_value_t changes_mapping(const git_update_result_t *r, const outcome_t *o)
{
    lpc_mapping_t *m = lpc_mapping_new(16);
    map_put(m, "old", str_value(r->old_commit));
    map_put(m, "new", str_value(r->new_commit));
    map_put(m, "remote", str_value(r->remote));
    map_put(m, "branch", str_value(r->branch));
    map_put(m, "requester", str_value(r->requester));
    map_put(m, "reason", str_value(r->reason));
    lpc_mapping_t *files = lpc_mapping_new(r->change_count + 1);
    lpc_array_t *changed = lpc_array_new(r->change_count);
    for (size_t i = 0; i < r->change_count; i++) {
        char path[1100], st[2] = { r->changes[i].status, '\0' };
        snprintf(path, sizeof path, "/%s", r->changes[i].path);
        map_put(files, path, str_value(st));
        changed->items[i] = str_value(path);
    }
    map_put(m, "files", lpc_value_mapping(files));
    map_put(m, "changed", lpc_value_array(changed));
    map_put(m, "reloaded", str_array(o->reloaded, o->nreloaded));
    lpc_mapping_t *failed = lpc_mapping_new(o->nfailed + 1);
    for (size_t i = 0; i < o->nfailed; i++)
        map_put(failed, o->failed[i], str_value(o->errors[i]));
    map_put(m, "failed", lpc_value_mapping(failed));
    map_put(m, "clones", str_array(o->clones, o->nclones));
    map_put(m, "kept", str_array(o->kept, o->nkept));
    return lpc_value_mapping(m);
}

static char *report_text(const outcome_t *o)
{
    text_t t = { NULL, 0, 0 };
    text_add(&t, "reloaded %zu object%s", o->nreloaded, o->nreloaded == 1 ? "" : "s");
    for (size_t i = 0; i < o->nreloaded; i++)
        text_add(&t, "%s%s", i == 0 ? ": " : ", ", o->reloaded[i]);
    for (size_t i = 0; i < o->nfailed; i++)
        text_add(&t, "\nnot reloaded, the old version keeps running: %s: %s",
                 o->failed[i], o->errors[i]);
    for (size_t i = 0; i < o->nclones; i++)
        text_add(&t, "%s%s", i == 0 ? "\nclones still running the old code: " : ", ",
                 o->clones[i]);
    for (size_t i = 0; i < o->nkept; i++)
        text_add(&t, "%s%s", i == 0 ? "\nsource deleted, still loaded: " : ", ", o->kept[i]);
    /* drop the "\n" a failure message may end with */
    while (t.len > 0 && t.s[t.len - 1] == '\n')
        t.s[--t.len] = '\0';
    return t.s;
}

/* The reload hook (git_update_set_reload_hook): see lpc_git.h. */
static void reload_hook(git_update_result_t *r, void *ctx)
{
    (void)ctx;
    lpc_vm_t *vm = lpc_app_vm();
    if (vm == NULL || vm->master == NULL)
        return;
    /* The changed sources and headers, as the compiler records them. */
    char **files = NULL;
    size_t nfiles = 0;
    for (size_t i = 0; i < r->change_count; i++) {
        const char *p = r->changes[i].path;
        if (!ends_with(p, ".c") && !ends_with(p, ".h"))
            continue;
        char path[1100];
        snprintf(path, sizeof path, "/%s", p);
        push(&files, &nfiles, path);
    }
    outcome_t out;
    memset(&out, 0, sizeof out);
    reload_item_t *items = NULL;
    size_t nitems = 0, order = 0;
    /* lpc_program_depends_on covers the program's own source, its
     * includes (nested ones too) and, recursively, its inherited
     * programs: one pass finds everything to recompile. */
    for (lpc_object_t *o = lpc_object_first(vm); o != NULL; o = lpc_object_next(o), order++) {
        if (lpc_object_is_destructed(o))
            continue;
        bool hit = false;
        for (size_t f = 0; f < nfiles && !hit; f++)
            hit = lpc_program_depends_on(o->prog, files[f]);
        if (!hit)
            continue;
        const char *name = lpc_object_name(o)->data;
        if (o->flags & LPC_OBJ_CLONE) {
            push(&out.clones, &out.nclones, name);
        } else if (source_deleted(r, name)) {
            push(&out.kept, &out.nkept, name);
        } else {
            items = lpc_realloc(items, (nitems + 1) * sizeof *items);
            items[nitems].name = dup_str(name);
            items[nitems].depth = inherit_depth(o->prog);
            items[nitems].order = order;
            nitems++;
        }
    }
    if (nitems > 0)
        qsort(items, nitems, sizeof *items, by_depth);
    for (size_t i = 0; i < nitems; i++)
        reload_one(vm, items[i].name, &out);

    char *report = report_text(&out);
    log_info("git update: %s", report);
    free(r->reload_report);
    r->reload_report = report;

    if (vm->master != NULL) {
        lpc_value_t arg = changes_mapping(r, &out);
        lpc_app_apply(NULL, vm->master, "mudlib_updated", &arg, 1, NULL);
        lpc_value_release(&arg);
    }

    for (size_t i = 0; i < nitems; i++)
        free(items[i].name);
    free(items);
    free_strs(files, nfiles);
    free_strs(out.reloaded, out.nreloaded);
    free_strs(out.failed, out.nfailed);
    free_strs(out.errors, out.nerrors);
    free_strs(out.clones, out.nclones);
    free_strs(out.kept, out.nkept);
}

/* ---- the efun -------------------------------------------------------------- */

/* One request of the efun.  OWNERSHIP: malloc'd by efun_git_update, freed
 * by on_done (called exactly once per started update); holds a
 * reference to `who`. */
typedef struct lpc_git_request {
    lpc_object_t *who;      /* this_player() of the call, or NULL */
    char requester[64];
} lpc_git_request_t;

static void on_progress(const git_update_progress_t *p, void *ctx)
{
    lpc_git_request_t *req = ctx;
    char line[200], msg[220];
    git_update_format_progress(p, line, sizeof line);
    snprintf(msg, sizeof msg, "[git] %s\n", line);
    tell(req->who, msg);
}

static void on_done(git_update_result_t *r, void *ctx)
{
    lpc_git_request_t *req = ctx;
    text_t t = { NULL, 0, 0 };
    text_add(&t, "[git] %s\n", r->reason);
    if (r->reload_report != NULL) {
        /* one "[git] " per line */
        const char *s = r->reload_report;
        while (*s != '\0') {
            const char *nl = strchr(s, '\n');
            size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
            text_add(&t, "[git] %.*s\n", (int)n, s);
            s += n + (nl != NULL);
        }
    }
    tell(req->who, t.s);
    free(t.s);
    if (req->who != NULL && lpc_app_vm() != NULL)
        lpc_object_decref(req->who);
    free(req);
    git_update_result_free(r);
}

/* git_update(): 1 when an update started, else why not (a string). */
static void efun_git_update(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)args; (void)nargs;
    lpc_object_t *who = commands_this_player();
    if (who != NULL && lpc_object_is_destructed(who))
        who = NULL;
    char requester[64] = "lpc";
    if (who != NULL) {
        /* Before anything is allocated: query_name() may raise. */
        lpc_value_t name = lpc_int(0);
        lpc_vm_apply(vm, who, "query_name", NULL, 0, &name);
        snprintf(requester, sizeof requester, "lpc %s",
                 name.type == LPC_T_STRING ? name.u.s->data : lpc_object_name(who)->data);
        lpc_value_release(&name);
        if (lpc_object_is_destructed(who))
            who = NULL;
    }
    lpc_git_request_t *req = lpc_malloc(sizeof *req);
    req->who = who;
    snprintf(req->requester, sizeof req->requester, "%s", requester);
    if (who != NULL)
        lpc_object_incref(who);
    git_update_request_t gr = { req->requester, on_progress, on_done, req };
    git_update_status_t st = git_update_start(&gr);
    if (st == GIT_UPDATE_STARTED) {
        *ret = lpc_int(1);
        return;
    }
    if (who != NULL)
        lpc_object_decref(who);
    free(req);
    *ret = str_value(git_update_status_str(st));
}

static const lpc_efun_def_t git_efuns[] = {
    { "git_update", efun_git_update, 0, 0, 0, 0, LPC_TM_INT | LPC_TM_STRING, { 0 } },
};

void lpc_git_register_efuns(void)
{
    lpc_efun_register(git_efuns, sizeof git_efuns / sizeof git_efuns[0]);
}

int lpc_git_start(const driver_config_t *cfg)
{
    if (git_update_init(cfg) != 0)
        return -1;
    git_update_set_reload_hook(reload_hook, NULL);
    return 0;
}
