/*
 * lpc_value.c - generic value operations: reference counting of any value,
 * equality, hashing and ordering, type names, the allocator wrappers and
 * the depth-bounded freeing shared by arrays and mappings.
 *
 * This file references nothing of the interpreter except the five
 * object / function-pointer functions declared in lpc_value.h, so the
 * value layer can be linked (and tested) without the VM.
 */
#include "config.h"
#include "lpc/lpc_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ memory */

/*
 * Out of memory.  Writes one line to stderr (without allocating) and
 * aborts, so a core dump shows where.  Never returns.
 */
void lpc_fatal_oom(size_t size)
{
    fprintf(stderr, "lpc: out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

/*
 * malloc that never returns NULL.  A zero size is rounded up to one byte
 * so that a successful result is always a unique, freeable pointer.
 */
void *lpc_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        lpc_fatal_oom(size);
    return p;
}

/*
 * realloc that never returns NULL (ptr may be NULL: then it allocates).
 * On failure the old block is not freed, but the process aborts anyway.
 */
void *lpc_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        lpc_fatal_oom(size);
    return p;
}

/*
 * calloc that never returns NULL; count * size overflowing size_t is
 * treated as out of memory.  Large blocks come from fresh zero pages, so
 * allocate(1000000) costs no memset.
 */
void *lpc_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        lpc_fatal_oom(SIZE_MAX);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        lpc_fatal_oom(count * size);
    return p;
}

/* ------------------------------------------------- depth-bounded free */

/*
 * Freeing a container releases its contents, which may free nested
 * containers, and so on.  Done naively that recursion is as deep as the
 * data: ({ ({ ({ ... }) }) }) a million levels deep would overflow the C
 * stack.  So the recursion is counted: once LPC_FREE_MAX_DEPTH frees are
 * in progress, a container that reaches count 0 is pushed on
 * free_pending instead (its count stays 0; nothing else can reach it)
 * and the outermost free, on its way out, frees the queued ones one by
 * one, each again with up to LPC_FREE_MAX_DEPTH levels of recursion.
 *
 * The stack holds tagged pointers: bit 0 set for a mapping (containers
 * come from malloc, so bit 0 is free).  Single-threaded, like the rest of
 * the value layer.  A chain of N nested arrays needs at most one queued
 * entry at a time; wide trees queue at most the nodes found at the depth
 * limit, each one pointer.
 */
static unsigned free_depth;
static bool free_draining;
static uintptr_t *free_pending;
static size_t free_pending_len, free_pending_cap;

/*
 * Called by a container whose count has just reached 0, before it
 * releases its contents.  Returns true when the caller should free it now
 * (and then call lpc_value_free_end), false when it has been queued.
 */
bool lpc_value_free_begin(void *container, bool is_mapping)
{
    if (free_depth < LPC_FREE_MAX_DEPTH) {
        free_depth++;
        return true;
    }
    if (free_pending_len == free_pending_cap) {
        size_t cap = free_pending_cap ? free_pending_cap * 2 : 64;
        free_pending = lpc_realloc(free_pending, cap * sizeof *free_pending);
        free_pending_cap = cap;
    }
    free_pending[free_pending_len++] = (uintptr_t)container | (is_mapping ? 1u : 0u);
    return false;
}

/*
 * Ends a free started by lpc_value_free_begin.  The outermost one frees
 * the queued containers: each is given a count of 1 and decref'd again,
 * which re-enters the normal freeing path with the depth back at 0.
 * free_draining keeps the nested lpc_value_free_end calls of those frees
 * from starting a second drain loop below this one.
 */
void lpc_value_free_end(void)
{
    if (--free_depth != 0 || free_draining || free_pending_len == 0)
        return;
    free_draining = true;
    while (free_pending_len > 0) {
        uintptr_t tagged = free_pending[--free_pending_len];
        if (tagged & 1u) {
            lpc_mapping_t *m = (lpc_mapping_t *)(tagged & ~(uintptr_t)1);
            lpc_mapping_incref(m);
            lpc_mapping_decref(m);
        } else {
            lpc_array_t *a = (lpc_array_t *)tagged;
            a->ref = 1;
            lpc_array_decref(a);
        }
    }
    free_draining = false;
    if (free_pending_cap > 4096) {    /* a huge structure: give it back */
        free(free_pending);
        free_pending = NULL;
        free_pending_cap = 0;
    }
}

/* ---------------------------------------------------- reference counts */

/*
 * The out-of-line half of lpc_value_incref, for types >= LPC_T_STRING.
 * Lvalues point at slots owned by someone else and are not counted.
 */
void lpc_value_incref_heap(const lpc_value_t *v)
{
    switch ((lpc_type_t)v->type) {
    case LPC_T_STRING:   v->u.s->ref++; break;
    case LPC_T_ARRAY:    v->u.a->ref++; break;
    case LPC_T_MAPPING:  lpc_mapping_incref(v->u.m); break;
    case LPC_T_OBJECT:   lpc_object_incref(v->u.o); break;
    case LPC_T_FUNCTION: lpc_funcptr_incref(v->u.fp); break;
    default: break;
    }
}

/*
 * The out-of-line half of lpc_value_release.  *v is reset to int 0
 * BEFORE the reference is dropped: freeing may run arbitrary code (an
 * object's variables are released) that must never see a slot holding a
 * pointer to memory being freed.
 */
void lpc_value_release_heap(lpc_value_t *v)
{
    lpc_value_t old = *v;
    v->type = LPC_T_INT;
    v->flags = 0;
    v->u.i = 0;
    switch ((lpc_type_t)old.type) {
    case LPC_T_STRING:   lpc_string_decref(old.u.s); break;
    case LPC_T_ARRAY:    lpc_array_decref(old.u.a); break;
    case LPC_T_MAPPING:  lpc_mapping_decref(old.u.m); break;
    case LPC_T_OBJECT:   lpc_object_decref(old.u.o); break;
    case LPC_T_FUNCTION: lpc_funcptr_decref(old.u.fp); break;
    default: break;
    }
}

/*
 * *dst = *src with a new reference.  Order matters for aliasing: copy src
 * first (src may be dst itself), take the new reference, store, and only
 * then drop the old value (which may own the memory src pointed into,
 * e.g. x = x[0]).
 */
void lpc_value_assign(lpc_value_t *dst, const lpc_value_t *src)
{
    lpc_value_t copy = *src;
    lpc_value_t old = *dst;
    lpc_value_incref(&copy);
    *dst = copy;
    lpc_value_release(&old);
}

/*
 * If v holds a destructed object, drops that reference, makes *v int 0
 * and returns true; otherwise leaves v alone and returns false.
 */
bool lpc_value_fix_destructed(lpc_value_t *v)
{
    if (v->type != LPC_T_OBJECT || !lpc_object_is_destructed(v->u.o))
        return false;
    lpc_value_release_heap(v);
    return true;
}

/* ---------------------------------------------------------- predicates */

/* True for int 0 (with or without the undefined flag) and for a
 * destructed object, the two values LPC treats as "no value". */
bool lpc_value_is_zero(const lpc_value_t *v)
{
    if (v->type == LPC_T_INT)
        return v->u.i == 0;
    if (v->type == LPC_T_OBJECT)
        return lpc_object_is_destructed(v->u.o);
    return false;
}

/* The bit pattern a float hashes by: -0.0 folded into 0.0 and every NaN
 * into one quiet NaN, matching float_equal below. */
static inline uint64_t float_key_bits(double f)
{
    uint64_t bits;
    if (f == 0.0)
        return 0;
    if (f != f)
        return UINT64_C(0x7ff8000000000000);
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static inline bool float_equal(double a, double b)
{
    return a == b || (a != a && b != b);
}

/*
 * Key equality; see lpc_value.h for the rules.  Note the undefined flag
 * is ignored (an undefined 0 is the key 0).
 */
bool lpc_value_equal(const lpc_value_t *a, const lpc_value_t *b)
{
    if (a->type != b->type)
        return false;
    switch ((lpc_type_t)a->type) {
    case LPC_T_INT:
        return a->u.i == b->u.i;
    case LPC_T_FLOAT:
        return float_equal(a->u.f, b->u.f);
    case LPC_T_STRING:
        return lpc_string_equal(a->u.s, b->u.s);
    default:
        return a->u.p == b->u.p;
    }
}

/*
 * A hash consistent with lpc_value_equal.  Ints hash by value and floats
 * by their (normalised) bit pattern; the type is mixed into floats so the
 * many floats that are whole numbers do not collide with their ints
 * (they are different keys anyway).
 */
uint32_t lpc_value_hash(const lpc_value_t *v)
{
    switch ((lpc_type_t)v->type) {
    case LPC_T_INT:
        return lpc_hash_u64((uint64_t)v->u.i);
    case LPC_T_FLOAT:
        return lpc_hash_u64(float_key_bits(v->u.f) ^ UINT64_C(0x5851f42d4c957f2d));
    case LPC_T_STRING:
        return lpc_string_hash(v->u.s);
    default:
        return lpc_hash_u64((uint64_t)(uintptr_t)v->u.p ^ ((uint64_t)v->type << 56));
    }
}

/* ------------------------------------------------------------- order */

static inline int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/*
 * Exact comparison of an int with a (non-NaN) double, without rounding the
 * int to a double (which would make 2^53+1 equal to 2^53).  Returns <0, 0
 * or >0 for i <, ==, > d numerically.
 */
static int cmp_int_double(int64_t i, double d)
{
    /* -2^63 is exactly representable; 2^63 is the first double too big. */
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)d;            /* exact: d is in range, truncates */
    if (i != t)
        return i < t ? -1 : 1;
    double frac = d - (double)t;       /* (double)t == trunc(d) exactly */
    return (frac < 0) - (frac > 0);    /* i == trunc(d): d's fraction decides */
}

/* Number ordering: by value, NaN after everything, int before float on a
 * tie (so that 0 is returned only for lpc_value_equal numbers). */
static int cmp_numbers(const lpc_value_t *a, const lpc_value_t *b)
{
    if (a->type == LPC_T_INT && b->type == LPC_T_INT)
        return cmp_i64(a->u.i, b->u.i);
    if (a->type == LPC_T_FLOAT && b->type == LPC_T_FLOAT) {
        double x = a->u.f, y = b->u.f;
        bool xn = x != x, yn = y != y;
        if (xn || yn)
            return (int)xn - (int)yn;
        return (x > y) - (x < y);
    }
    if (a->type == LPC_T_INT) {
        if (b->u.f != b->u.f)
            return -1;
        int c = cmp_int_double(a->u.i, b->u.f);
        return c ? c : -1;
    }
    if (a->u.f != a->u.f)
        return 1;
    int c = -cmp_int_double(b->u.i, a->u.f);
    return c ? c : 1;
}

/* The class rank used by lpc_value_compare: numbers share rank 0. */
static inline int type_rank(uint8_t type)
{
    return type <= LPC_T_FLOAT ? 0 : (int)type;
}

/*
 * A total order consistent with lpc_value_equal (see lpc_value.h).
 */
int lpc_value_compare(const lpc_value_t *a, const lpc_value_t *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return cmp_numbers(a, b);
    if (a->type == LPC_T_STRING)
        return lpc_string_compare(a->u.s, b->u.s);
    uintptr_t x = (uintptr_t)a->u.p, y = (uintptr_t)b->u.p;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------- names */

const char *lpc_type_name(lpc_type_t type)
{
    switch (type) {
    case LPC_T_INT:      return "int";
    case LPC_T_FLOAT:    return "float";
    case LPC_T_STRING:   return "string";
    case LPC_T_ARRAY:    return "array";
    case LPC_T_MAPPING:  return "mapping";
    case LPC_T_OBJECT:   return "object";
    case LPC_T_FUNCTION: return "function";
    case LPC_T_LVALUE:   return "lvalue";
    default:             return "unknown";
    }
}
