/*
 * lpc_efun.c - the efun registry (lpc_efun.h).
 *
 * A process-wide table: efuns are C functions, the same for every VM.
 * Indices are handed out in registration order and never change (a
 * re-registered name keeps its index), because compiled code refers to
 * efuns by index.  Registration happens at start-up, before compiling.
 */
#include "lpc_efun.h"

#include <stdlib.h>
#include <string.h>

#define EFUN_MAX 0xffff      /* the index is 16 bits in an instruction */

static const lpc_efun_def_t **efun_defs;
static int efun_count, efun_cap;

/* name -> index + 1, open addressing */
static int *efun_hash;
static uint32_t efun_hash_size;

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void rehash(void)
{
    uint32_t size = 64;
    while (size < (uint32_t)efun_count * 2 + 2)
        size <<= 1;
    free(efun_hash);
    efun_hash = lpc_calloc(size, sizeof *efun_hash);
    efun_hash_size = size;
    for (int i = 0; i < efun_count; i++) {
        uint32_t h = hash_name(efun_defs[i]->name) & (size - 1);
        while (efun_hash[h] != 0)
            h = (h + 1) & (size - 1);
        efun_hash[h] = i + 1;
    }
}

int lpc_efun_lookup(const char *name)
{
    if (efun_hash_size == 0)
        return -1;
    uint32_t h = hash_name(name) & (efun_hash_size - 1);
    while (efun_hash[h] != 0) {
        int i = efun_hash[h] - 1;
        if (strcmp(efun_defs[i]->name, name) == 0)
            return i;
        h = (h + 1) & (efun_hash_size - 1);
    }
    return -1;
}

static bool def_ok(const lpc_efun_def_t *d)
{
    if (d->name == NULL || d->fn == NULL || d->name[0] == '\0')
        return false;
    if (d->min_args < 0)
        return false;
    if (d->max_args != LPC_EFUN_VARARGS && d->max_args < d->min_args)
        return false;
    return true;
}

int lpc_efun_register(const lpc_efun_def_t *defs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!def_ok(&defs[i]))
            return -1;
    for (size_t i = 0; i < count; i++) {
        int existing = lpc_efun_lookup(defs[i].name);
        if (existing >= 0) {
            efun_defs[existing] = &defs[i];
            continue;
        }
        if (efun_count >= EFUN_MAX)
            return -1;
        if (efun_count == efun_cap) {
            efun_cap = efun_cap ? efun_cap * 2 : 128;
            efun_defs = lpc_realloc(efun_defs, (size_t)efun_cap * sizeof *efun_defs);
        }
        efun_defs[efun_count++] = &defs[i];
        if ((uint32_t)efun_count * 2 + 2 > efun_hash_size)
            rehash();
        else {
            uint32_t h = hash_name(defs[i].name) & (efun_hash_size - 1);
            while (efun_hash[h] != 0)
                h = (h + 1) & (efun_hash_size - 1);
            efun_hash[h] = efun_count;
        }
    }
    return 0;
}

const lpc_efun_def_t *lpc_efun_get(int index)
{
    if (index < 0 || index >= efun_count)
        return NULL;
    return efun_defs[index];
}

int lpc_efun_count(void)
{
    return efun_count;
}
