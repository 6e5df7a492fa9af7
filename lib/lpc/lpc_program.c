/*
 * lpc_program.c - compiled programs: lifetime, name lookup, line table
 * (lpc_program.h).
 */
#include "lpc_program.h"

#include <stdlib.h>
#include <string.h>

/* A tiny string arena for the names a program keeps (function, variable
 * and inherit names): freed with the program. */
struct lpc_strarena {
    struct lpc_strarena *next;
    size_t used, cap;
    char data[];
};

static uint64_t program_next_id = 1;

lpc_program_t *lpc_program_new(const char *path)
{
    lpc_program_t *p = lpc_malloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->ref = 1;
    p->id = program_next_id++;
    size_t n = strlen(path);
    p->path = lpc_malloc(n + 1);
    memcpy(p->path, path, n + 1);
    p->init_def = -1;
    return p;
}

void lpc_program_incref(lpc_program_t *p)
{
    p->ref++;
}

static void free_switch(lpc_switch_t *sw)
{
    for (uint32_t i = 0; i < sw->nstrs; i++)
        lpc_string_decref(sw->strs[i].s);
    free(sw->strs);
    free(sw->ranges);
    free(sw->dense);
}

void lpc_program_decref(lpc_program_t *p)
{
    if (p == NULL || --p->ref > 0)
        return;
    for (uint32_t i = 0; i < p->ninherits; i++)
        lpc_program_decref(p->inherits[i].prog);
    free(p->inherits);
    for (uint32_t i = 0; i < p->nconsts; i++)
        lpc_value_release(&p->consts[i]);
    free(p->consts);
    for (uint32_t i = 0; i < p->ndefs; i++)
        free(p->defs[i].param_types);
    free(p->defs);
    free(p->table);
    free(p->vars);
    free(p->name_hash);
    free(p->lines);
    for (uint32_t i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
    for (uint32_t i = 0; i < p->nswitches; i++)
        free_switch(&p->switches[i]);
    free(p->switches);
    free(p->callsites);
    if (p->deps != NULL) {
        for (char **d = p->deps; *d != NULL; d++)
            free(*d);
        free(p->deps);
    }
    struct lpc_strarena *a = p->strings;
    while (a != NULL) {
        struct lpc_strarena *next = a->next;
        free(a);
        a = next;
    }
    free(p->code);
    free(p->path);
    free(p);
}

const char *lpc_program_intern(lpc_program_t *p, const char *name)
{
    size_t n = strlen(name) + 1;
    struct lpc_strarena *a = p->strings;
    if (a == NULL || a->cap - a->used < n) {
        size_t cap = n > 4000 ? n : 4000;
        a = lpc_malloc(sizeof *a + cap);
        a->next = p->strings;
        a->used = 0;
        a->cap = cap;
        p->strings = a;
    }
    char *s = a->data + a->used;
    memcpy(s, name, n);
    a->used += n;
    return s;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;           /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void lpc_program_build_name_hash(lpc_program_t *p)
{
    uint32_t size = 8;
    while (size < p->ntable * 2 + 1)
        size <<= 1;
    free(p->name_hash);
    p->name_hash = lpc_malloc(size * sizeof *p->name_hash);
    memset(p->name_hash, 0, size * sizeof *p->name_hash);
    p->name_hash_size = size;
    /* Own definitions first (they win), then inherits in order: the first
     * visible entry of a name is the one call_other finds. */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t from = pass == 0 ? p->own_fn_offset : 0;
        uint32_t to = pass == 0 ? p->ntable : p->own_fn_offset;
        for (uint32_t i = from; i < to; i++) {
            const lpc_func_entry_t *e = &p->table[i];
            if (e->flags & LPC_FN_HIDDEN)
                continue;
            uint32_t h = name_hash(e->name) & (size - 1);
            bool dup = false;
            while (p->name_hash[h] != 0) {
                if (strcmp(p->table[p->name_hash[h] - 1].name, e->name) == 0) {
                    dup = true;
                    break;
                }
                h = (h + 1) & (size - 1);
            }
            if (!dup)
                p->name_hash[h] = i + 1;
        }
    }
}

int lpc_program_find_function(const lpc_program_t *p, const char *name)
{
    if (p->name_hash_size == 0)
        return -1;
    uint32_t mask = p->name_hash_size - 1;
    uint32_t h = name_hash(name) & mask;
    while (p->name_hash[h] != 0) {
        uint32_t i = p->name_hash[h] - 1;
        if (strcmp(p->table[i].name, name) == 0)
            return (int)i;
        h = (h + 1) & mask;
    }
    return -1;
}

void lpc_program_line_of(const lpc_program_t *p, uint32_t pc,
                         const char **file, int *line)
{
    *file = p->path;
    *line = 0;
    if (p->nlines == 0)
        return;
    /* Last entry with entry.pc <= pc. */
    uint32_t lo = 0, hi = p->nlines;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (p->lines[mid].pc <= pc)
            lo = mid;
        else
            hi = mid;
    }
    if (p->lines[lo].pc > pc)
        return;
    *line = p->lines[lo].line;
    if (p->lines[lo].file < p->nfiles)
        *file = p->files[p->lines[lo].file];
}

bool lpc_program_depends_on(const lpc_program_t *p, const char *file)
{
    if (p->deps != NULL)
        for (char **d = p->deps; *d != NULL; d++)
            if (strcmp(*d, file) == 0)
                return true;
    for (uint32_t i = 0; i < p->ninherits; i++)
        if (lpc_program_depends_on(p->inherits[i].prog, file))
            return true;
    return false;
}
