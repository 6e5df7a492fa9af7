/*
 * lpc_array.c - fixed-size, reference-counted arrays of values and the
 * LPC array operators (+, -, &, ranges, member_array).
 *
 * One allocation per array (header and items together).  Results of size
 * 0 are the shared ({}); everything else is a fresh array because LPC
 * arrays are mutable and a result must never alias an operand.
 */
#include "config.h"
#include "lpc/lpc_value.h"

#include <stdlib.h>
#include <string.h>

#define SINGLETON_REF (UINT32_C(1) << 31)

/* Never freed: see "Shared empties" in lpc_value.h. */
static lpc_array_t empty_array = { .ref = SINGLETON_REF, .size = 0 };

/* Above this many element comparisons (size of a times size of b), - and &
 * build a hash set of b instead of scanning it for every element of a. */
#define LINEAR_SCAN_LIMIT 256

/* More items than a uint32_t size holds, or than size_t bytes can
 * address (32-bit hosts), cannot be allocated. */
static inline void check_array_size(size_t size)
{
    if (size > UINT32_MAX
        || size > (SIZE_MAX - offsetof(lpc_array_t, items)) / sizeof(lpc_value_t))
        lpc_fatal_oom(SIZE_MAX);
}

/* An array of size > 0 whose items are NOT initialised: the caller fills
 * every one before the array is seen. */
static lpc_array_t *array_alloc(size_t size)
{
    check_array_size(size);
    lpc_array_t *a = lpc_malloc(offsetof(lpc_array_t, items) + size * sizeof(lpc_value_t));
    a->ref = 1;
    a->size = (uint32_t)size;
    return a;
}

/* Shrinks a freshly built array (ref 1, nobody else knows it) to its first
 * n items: the rest were never filled.  n 0 frees it and gives ({}). */
static lpc_array_t *array_truncate(lpc_array_t *a, size_t n)
{
    if (n == 0) {
        free(a);
        return lpc_array_empty();
    }
    if (n < a->size) {
        a = lpc_realloc(a, offsetof(lpc_array_t, items) + n * sizeof(lpc_value_t));
        a->size = (uint32_t)n;
    }
    return a;
}

/* Copies n values into uninitialised slots, each with a new reference. */
static inline void copy_items(lpc_value_t *dst, const lpc_value_t *src, size_t n)
{
    memcpy(dst, src, n * sizeof *dst);
    for (size_t i = 0; i < n; i++)
        lpc_value_incref(&dst[i]);
}

/* The shared ({}) with a new reference; never allocates. */
lpc_array_t *lpc_array_empty(void)
{
    empty_array.ref++;
    return &empty_array;
}

/* A new array of size uninitialised elements (see lpc_value.h); size 0
 * gives ({}). */
lpc_array_t *lpc_array_alloc(size_t size)
{
    return size ? array_alloc(size) : lpc_array_empty();
}

/* A new array of size int 0 elements (all-zero bytes are int 0, so this
 * is a calloc).  Size 0 gives ({}). */
lpc_array_t *lpc_array_new(size_t size)
{
    if (size == 0)
        return lpc_array_empty();
    check_array_size(size);
    lpc_array_t *a = lpc_calloc(1, offsetof(lpc_array_t, items) + size * sizeof(lpc_value_t));
    a->ref = 1;
    a->size = (uint32_t)size;
    return a;
}

/* a + b: one allocation, every element copied with a new reference. */
lpc_array_t *lpc_array_concat(const lpc_array_t *a, const lpc_array_t *b)
{
    size_t n = (size_t)a->size + b->size;
    if (n == 0)
        return lpc_array_empty();
    lpc_array_t *r = array_alloc(n);
    copy_items(r->items, a->items, a->size);
    copy_items(r->items + a->size, b->items, b->size);
    return r;
}

/* A set of b's elements for membership tests: a mapping whose keys are the
 * elements (values unused). */
static lpc_mapping_t *set_of(const lpc_array_t *b)
{
    lpc_mapping_t *set = lpc_mapping_new(b->size);
    for (uint32_t i = 0; i < b->size; i++)
        lpc_mapping_insert(set, &b->items[i]);
    return set;
}

/*
 * a - b: the elements of a that are not in b, order and duplicates of a
 * kept.  Small inputs scan b; large ones probe a hash set of b, so the
 * cost is O(|a| + |b|) rather than O(|a| * |b|).
 */
lpc_array_t *lpc_array_subtract(const lpc_array_t *a, const lpc_array_t *b)
{
    if (a->size == 0)
        return lpc_array_empty();
    if (b->size == 0)
        return lpc_array_concat(a, b);
    lpc_array_t *r = array_alloc(a->size);
    size_t n = 0;
    if ((uint64_t)a->size * b->size <= LINEAR_SCAN_LIMIT) {
        for (uint32_t i = 0; i < a->size; i++) {
            if (lpc_array_find(b, &a->items[i]) < 0) {
                r->items[n] = a->items[i];
                lpc_value_incref(&r->items[n++]);
            }
        }
    } else {
        lpc_mapping_t *set = set_of(b);
        for (uint32_t i = 0; i < a->size; i++) {
            if (lpc_mapping_find(set, &a->items[i]) == NULL) {
                r->items[n] = a->items[i];
                lpc_value_incref(&r->items[n++]);
            }
        }
        lpc_mapping_decref(set);
    }
    return array_truncate(r, n);
}

/*
 * a & b: the distinct elements of a that are in b, in order of first
 * occurrence in a.  The large case deletes each match from the set of b,
 * which both tests membership and drops later duplicates in one probe.
 */
lpc_array_t *lpc_array_intersect(const lpc_array_t *a, const lpc_array_t *b)
{
    if (a->size == 0 || b->size == 0)
        return lpc_array_empty();
    lpc_array_t *r = array_alloc(a->size);
    size_t n = 0;
    if ((uint64_t)a->size * b->size <= LINEAR_SCAN_LIMIT) {
        for (uint32_t i = 0; i < a->size; i++) {
            const lpc_value_t *v = &a->items[i];
            if (lpc_array_find(b, v) < 0)
                continue;
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = lpc_value_equal(&r->items[j], v);
            if (!seen) {
                r->items[n] = *v;
                lpc_value_incref(&r->items[n++]);
            }
        }
    } else {
        lpc_mapping_t *set = set_of(b);
        for (uint32_t i = 0; i < a->size; i++) {
            if (lpc_mapping_delete(set, &a->items[i])) {
                r->items[n] = a->items[i];
                lpc_value_incref(&r->items[n++]);
            }
        }
        lpc_mapping_decref(set);
    }
    return array_truncate(r, n);
}

/*
 * a[from..to], both inclusive, clamped: from < 0 -> 0, to >= size ->
 * size - 1, from > to -> ({}).  Always a new array (or ({})).
 */
lpc_array_t *lpc_array_slice(const lpc_array_t *a, int64_t from, int64_t to)
{
    if (from < 0)
        from = 0;
    if (to >= (int64_t)a->size)
        to = (int64_t)a->size - 1;
    if (from > to)
        return lpc_array_empty();
    size_t n = (size_t)(to - from) + 1;
    lpc_array_t *r = array_alloc(n);
    copy_items(r->items, a->items + from, n);
    return r;
}

/*
 * Index of the first element lpc_value_equal to v, or -1.  Ints and
 * identity types are compared inline; strings check the pointer first.
 */
int64_t lpc_array_find(const lpc_array_t *a, const lpc_value_t *v)
{
    const lpc_value_t *it = a->items;
    uint32_t n = a->size;
    switch ((lpc_type_t)v->type) {
    case LPC_T_INT:
        for (uint32_t i = 0; i < n; i++)
            if (it[i].type == LPC_T_INT && it[i].u.i == v->u.i)
                return i;
        return -1;
    case LPC_T_FLOAT:
    case LPC_T_STRING:
        for (uint32_t i = 0; i < n; i++)
            if (it[i].type == v->type && lpc_value_equal(&it[i], v))
                return i;
        return -1;
    default:
        for (uint32_t i = 0; i < n; i++)
            if (it[i].type == v->type && it[i].u.p == v->u.p)
                return i;
        return -1;
    }
}

/*
 * Drops a reference; the last one releases every item and frees the
 * block, through the depth-bounded free of lpc_value.c (a deeply nested
 * array is queued there instead of recursing further).
 */
void lpc_array_decref(lpc_array_t *a)
{
    if (--a->ref != 0)
        return;
    if (a == &empty_array) {
        a->ref = SINGLETON_REF;
        return;
    }
    if (!lpc_value_free_begin(a, false))
        return;
    for (uint32_t i = 0; i < a->size; i++)
        if (a->items[i].type > LPC_T_FLOAT)
            lpc_value_release_heap(&a->items[i]);
    free(a);
    lpc_value_free_end();
}
