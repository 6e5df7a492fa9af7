/*
 * lpc_value.h - LPC values: the tagged value, strings, arrays, mappings.
 *
 * An lpc_value_t is 16 bytes: a type tag and a payload.  Numbers (int,
 * float) are held inline; strings, arrays, mappings, objects and function
 * pointers are reference-counted heap objects.  Single-threaded: the LPC
 * interpreter runs on the driver's main thread only, so reference counts
 * are plain integers.
 *
 * Ownership convention for the whole LPC library:
 *  - a function that returns a heap object (lpc_string_t *, ...) returns a
 *    NEW reference the caller owns (must decref / release);
 *  - a function that takes a `const lpc_value_t *` or a heap pointer
 *    BORROWS it (does not consume the caller's reference), unless its
 *    comment says "consumes";
 *  - lpc_value_t variables owned by C code are released with
 *    lpc_value_release(), which decrefs and resets to int 0.
 *
 * Objects and function pointers are defined by the interpreter
 * (lpc_object.h, lpc_funcptr.h); this header only needs their reference
 * counting and the "destructed" test, declared below.
 *
 * Allocation failure is fatal (lpc_fatal_oom): a MUD driver out of memory
 * cannot continue meaningfully, and it keeps every caller free of
 * NULL checks on the hot paths.  Size limits (e.g. array size) are
 * enforced by the callers that raise LPC errors.
 *
 * Shared empties: "" (lpc_string_empty) and ({}) (lpc_array_empty) are
 * static singletons.  Every function that would return an empty string or
 * array returns a new reference to them instead of allocating.  Their
 * count starts at 2^31 and is reset there if it ever wraps to 0, so they
 * are never freed; since their count is never 1, "modify in place when
 * ref == 1" code never touches them.
 *
 * Freeing is recursive (an array releases its items, a mapping its keys
 * and values) but depth-bounded: below LPC_FREE_MAX_DEPTH nested
 * containers the rest is queued and freed iteratively by the outermost
 * free, so a million-deep nested array does not overflow the C stack.
 * (Objects and function pointers are freed by the interpreter; chains
 * that go through them recurse on its side.)
 *
 * Reference counts are 32 bits; 4 billion references to one string would
 * need 64 GiB of values, so overflow is not checked.
 */
#ifndef LPC_VALUE_H
#define LPC_VALUE_H

#include "port/port_format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lpc_string  lpc_string_t;
typedef struct lpc_array   lpc_array_t;
typedef struct lpc_mapping lpc_mapping_t;
typedef struct lpc_object  lpc_object_t;   /* lpc_object.h */
typedef struct lpc_funcptr lpc_funcptr_t;  /* lpc_funcptr.h */

typedef enum lpc_type {
    LPC_T_INT = 0,      /* 64-bit integer; also 0 = "null" for every type */
    LPC_T_FLOAT,        /* double */
    LPC_T_STRING,
    LPC_T_ARRAY,
    LPC_T_MAPPING,
    LPC_T_OBJECT,
    LPC_T_FUNCTION,
    LPC_T_LVALUE,       /* interpreter-internal: pointer to a value slot */
    LPC_T_COUNT
} lpc_type_t;

/* Flags on an LPC_T_INT value. */
#define LPC_F_UNDEFINED 0x01  /* the 0 of a missing mapping key, an unset
                                 argument: undefinedp() is true */

typedef struct lpc_value {
    uint8_t type;    /* lpc_type_t */
    uint8_t flags;   /* LPC_F_* (ints only) */
    union {
        int64_t i;
        double f;
        lpc_string_t *s;
        lpc_array_t *a;
        lpc_mapping_t *m;
        lpc_object_t *o;
        lpc_funcptr_t *fp;
        struct lpc_value *lv;
        void *p;
    } u;
} lpc_value_t;

/* ---- strings ------------------------------------------------------- */
/* Counted, may hold any byte including NUL; data[len] is always a NUL so
 * that C string functions can read text without copying.
 *
 * Strings are immutable once shared: functions here may return the very
 * string they were given (with a new reference) when the result would be
 * equal, e.g. s + "" or a substring covering all of s.  Code that owns the
 * only reference (ref == 1) may change bytes in place, but must then set
 * hash = 0 (the cached hash would be stale). */
struct lpc_string {
    uint32_t ref;
    uint32_t hash;   /* 0 = not computed yet */
    size_t len;
    char data[];     /* len bytes + terminating NUL */
};

/* A copy of len bytes at data (data may be NULL when len is 0). */
lpc_string_t *lpc_string_new(const char *data, size_t len);
lpc_string_t *lpc_string_from_cstr(const char *cstr);
/* An uninitialised string of len bytes (data[len] set to NUL): fill it
 * before anyone else sees it.  len 0 gives the shared "" (nothing to
 * fill). */
lpc_string_t *lpc_string_alloc(size_t len);
/* a + b in one allocation; returns a or b itself when the other is "". */
lpc_string_t *lpc_string_concat(const lpc_string_t *a, const lpc_string_t *b);
/* Bytes [from, to) clamped to the string; an empty range gives "".  The
 * whole range returns s itself. */
lpc_string_t *lpc_string_substr(const lpc_string_t *s, int64_t from, int64_t to);
lpc_string_t *lpc_string_empty(void);   /* a new reference to the shared "" */
/* A fast 32-bit hash of the bytes, never 0; caches in s->hash. */
uint32_t lpc_string_hash(lpc_string_t *s);
/* The same hash of bytes that are not (yet) a string: equal bytes give
 * lpc_string_hash's value, so a table can be probed without allocating. */
uint32_t lpc_string_hash_bytes(const char *data, size_t len);
/* Length, then both cached hashes (when both are computed), then bytes. */
bool lpc_string_equal(const lpc_string_t *a, const lpc_string_t *b);
int  lpc_string_compare(const lpc_string_t *a, const lpc_string_t *b);  /* memcmp order */
static inline void lpc_string_incref(lpc_string_t *s) { s->ref++; }
void lpc_string_decref(lpc_string_t *s);

/* A growable byte buffer for building strings (sprintf, implode, ...).
 * The bytes live inside a block laid out as an lpc_string_t, so
 * lpc_strbuf_finish hands the block over without copying.  Callers may
 * read data[0..len) (data[len] is a NUL whenever data is not NULL) but
 * must not free or realloc it.  cap is the room for bytes (not counting
 * the NUL). */
typedef struct lpc_strbuf {
    char *data;
    size_t len;
    size_t cap;
} lpc_strbuf_t;

void lpc_strbuf_init(lpc_strbuf_t *b);
void lpc_strbuf_append(lpc_strbuf_t *b, const char *data, size_t len);
void lpc_strbuf_append_cstr(lpc_strbuf_t *b, const char *cstr);
void lpc_strbuf_append_char(lpc_strbuf_t *b, char c);
void lpc_strbuf_printf(lpc_strbuf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
    ;
/* Makes room for at least n more bytes (to write at data + len, then
 * add n to len yourself, keeping data[len] = NUL). */
void lpc_strbuf_reserve(lpc_strbuf_t *b, size_t n);
/* Turns the buffer into a string (the buffer is reset, empty). */
lpc_string_t *lpc_strbuf_finish(lpc_strbuf_t *b);
/* Frees the bytes; the buffer is reset, empty, and may be reused. */
void lpc_strbuf_free(lpc_strbuf_t *b);

/* ---- arrays -------------------------------------------------------- */
/* Fixed size once created (LPC arrays never grow in place: + makes a new
 * one), elements initialised to int 0. */
struct lpc_array {
    uint32_t ref;
    uint32_t size;
    lpc_value_t items[];
};

/* Arrays are mutable (a[i] = x), so every function below returns a NEW
 * array, never one of its arguments; only a result of size 0 is shared
 * (the ({}) singleton, which has no element to modify).  Arrays of more
 * than UINT32_MAX elements are refused with lpc_fatal_oom. */
lpc_array_t *lpc_array_new(size_t size);
/* A new array of size elements that are NOT initialised: the caller must
 * store a value (with its reference) in every item before anyone else
 * sees the array.  Saves the zeroing of lpc_array_new when building an
 * array from values at hand.  Size 0 gives ({}). */
lpc_array_t *lpc_array_alloc(size_t size);
lpc_array_t *lpc_array_empty(void);   /* a new reference to the shared ({}) */
/* a + b: the elements of a then those of b (one allocation). */
lpc_array_t *lpc_array_concat(const lpc_array_t *a, const lpc_array_t *b);
/* a - b: elements of a not equal (lpc_value_equal) to any element of b,
 * in a's order, duplicates in a kept: ({1,2,1,3}) - ({3}) == ({1,2,1}). */
lpc_array_t *lpc_array_subtract(const lpc_array_t *a, const lpc_array_t *b);
/* a & b: the distinct elements of a that are also in b, in the order of
 * their first occurrence in a (a set intersection, as in MudOS):
 * ({1,2,1,3}) & ({3,1,1}) == ({1,3}). */
lpc_array_t *lpc_array_intersect(const lpc_array_t *a, const lpc_array_t *b);
/* Elements [from, to] inclusive, clamped (LPC range semantics): from < 0
 * counts as 0, to >= size as size-1, and from > to (after clamping) gives
 * ({}).  ('<' indices are converted by the interpreter before this.) */
lpc_array_t *lpc_array_slice(const lpc_array_t *a, int64_t from, int64_t to);
/* Index of the first element equal to v, or -1. */
int64_t lpc_array_find(const lpc_array_t *a, const lpc_value_t *v);
static inline void lpc_array_incref(lpc_array_t *a) { a->ref++; }
void lpc_array_decref(lpc_array_t *a);

/* ---- mappings ------------------------------------------------------ */
/* Hash table from any value to any value.  Keys compare with
 * lpc_value_equal (strings by content, arrays/mappings/objects by
 * identity, ints and floats by value, 1 != 1.0).  Iteration order is
 * insertion order (deleting keeps the order of the rest), which makes
 * keys() and values() line up and output reproducible.
 *
 * Layout (like CPython's dict): a dense array of entries in insertion
 * order plus an open-addressing index of entry numbers.  Find, insert and
 * delete are O(1) on average; delete leaves a tombstone entry that is
 * squeezed out when the table is next resized.
 *
 * A destructed object used as a key is still the same key (identity): it
 * can be found, deleted and iterated until the interpreter removes it;
 * this layer never looks at "destructed" for keys.  Re-setting a key
 * keeps its original position in the iteration order.  Memory is
 * reclaimed when the table is resized, not by deleting alone. */
/* capacity_hint: entries to make room for up front (0: allocate the table
 * on first insert; hints above 2^20 count as 2^20, so a hint from LPC code
 * cannot grab memory it never fills). */
lpc_mapping_t *lpc_mapping_new(size_t capacity_hint);
size_t lpc_mapping_size(const lpc_mapping_t *m);
/* The value stored for key, or NULL when absent (borrowed pointer, valid
 * until the mapping is next modified). */
lpc_value_t *lpc_mapping_find(lpc_mapping_t *m, const lpc_value_t *key);
/* The slot for key, inserting int 0 if absent (for m[k] = v and m[k] += v).
 * Valid until the mapping is next modified. */
lpc_value_t *lpc_mapping_insert(lpc_mapping_t *m, const lpc_value_t *key);
/* Stores a copy of value under key. */
void lpc_mapping_set(lpc_mapping_t *m, const lpc_value_t *key, const lpc_value_t *value);
bool lpc_mapping_delete(lpc_mapping_t *m, const lpc_value_t *key);
/* a + b: a new mapping with b's entries overriding a's. */
lpc_mapping_t *lpc_mapping_union(const lpc_mapping_t *a, const lpc_mapping_t *b);
lpc_mapping_t *lpc_mapping_copy(const lpc_mapping_t *m);
/* New arrays of the keys / values, in iteration order. */
lpc_array_t *lpc_mapping_keys(const lpc_mapping_t *m);
lpc_array_t *lpc_mapping_values(const lpc_mapping_t *m);
/* Iteration: start with *cursor = 0; returns false at the end.  key and
 * value are borrowed.  The mapping must not be modified meanwhile (foreach
 * iterates over a snapshot of the keys for that reason). */
bool lpc_mapping_next(const lpc_mapping_t *m, size_t *cursor,
                      const lpc_value_t **key, lpc_value_t **value);
void lpc_mapping_incref(lpc_mapping_t *m);
void lpc_mapping_decref(lpc_mapping_t *m);

/* ---- objects and function pointers (implemented by the interpreter) -- */
void lpc_object_incref(lpc_object_t *o);
void lpc_object_decref(lpc_object_t *o);
bool lpc_object_is_destructed(const lpc_object_t *o);
void lpc_funcptr_incref(lpc_funcptr_t *f);
void lpc_funcptr_decref(lpc_funcptr_t *f);

/* ---- values -------------------------------------------------------- */
static inline lpc_value_t lpc_int(int64_t i)
{
    lpc_value_t v; v.type = LPC_T_INT; v.flags = 0; v.u.i = i; return v;
}
static inline lpc_value_t lpc_undefined(void)
{
    lpc_value_t v; v.type = LPC_T_INT; v.flags = LPC_F_UNDEFINED; v.u.i = 0; return v;
}
static inline lpc_value_t lpc_float(double f)
{
    lpc_value_t v; v.type = LPC_T_FLOAT; v.flags = 0; v.u.f = f; return v;
}
/* These wrap an existing reference without touching its count (the new
 * value takes over the caller's reference). */
static inline lpc_value_t lpc_value_string(lpc_string_t *s)
{
    lpc_value_t v; v.type = LPC_T_STRING; v.flags = 0; v.u.s = s; return v;
}
static inline lpc_value_t lpc_value_array(lpc_array_t *a)
{
    lpc_value_t v; v.type = LPC_T_ARRAY; v.flags = 0; v.u.a = a; return v;
}
static inline lpc_value_t lpc_value_mapping(lpc_mapping_t *m)
{
    lpc_value_t v; v.type = LPC_T_MAPPING; v.flags = 0; v.u.m = m; return v;
}
static inline lpc_value_t lpc_value_object(lpc_object_t *o)
{
    lpc_value_t v; v.type = LPC_T_OBJECT; v.flags = 0; v.u.o = o; return v;
}
static inline lpc_value_t lpc_value_funcptr(lpc_funcptr_t *f)
{
    lpc_value_t v; v.type = LPC_T_FUNCTION; v.flags = 0; v.u.fp = f; return v;
}

/* The out-of-line halves of lpc_value_incref / lpc_value_release for
 * values whose type is LPC_T_STRING or above (an lvalue is not counted:
 * incref does nothing, release only resets it to int 0). */
void lpc_value_incref_heap(const lpc_value_t *v);
void lpc_value_release_heap(lpc_value_t *v);

/* Adds a reference for a copy of v (a no-op for numbers and lvalues). */
static inline void lpc_value_incref(const lpc_value_t *v)
{
    if (v->type == LPC_T_STRING)
        v->u.s->ref++;
    else if (v->type == LPC_T_ARRAY)
        v->u.a->ref++;
    else if (v->type > LPC_T_FLOAT)
        lpc_value_incref_heap(v);
}
/* Drops v's reference and sets *v to int 0. */
static inline void lpc_value_release(lpc_value_t *v)
{
    if (v->type > LPC_T_FLOAT) {
        lpc_value_release_heap(v);
    } else {
        v->type = LPC_T_INT; v->flags = 0; v->u.i = 0;
    }
}
/* *dst = src with a new reference; dst's old value is released.  Safe
 * when src aliases dst, or lives inside what dst's old value owns (the
 * new reference is taken before the old one is dropped). */
void lpc_value_assign(lpc_value_t *dst, const lpc_value_t *src);

/* Destructed objects read as 0: returns true and rewrites *v to int 0
 * (releasing the object) when v holds a destructed object. */
bool lpc_value_fix_destructed(lpc_value_t *v);

/* True for int 0 (defined or not), and for a destructed object (float
 * 0.0 is not zero). */
bool lpc_value_is_zero(const lpc_value_t *v);
/* Key equality (mappings, member_array, array - and &): same type and
 * same value.  Strings by content; ints by value (the undefined flag is
 * ignored); floats by value with -0.0 == 0.0 and, unlike C, NaN == NaN
 * (so a NaN key can be found again); arrays, mappings, objects (destructed
 * or not), function pointers and lvalues by identity.  An int never
 * equals a float: 1 != 1.0 here.  LPC's == operator on mixed int/float
 * operands is the interpreter's business, not this function's. */
bool lpc_value_equal(const lpc_value_t *a, const lpc_value_t *b);
/* Consistent with lpc_value_equal (equal values hash the same); never 0.
 * Strings: lpc_string_hash; ints: mixed value; floats: mixed bit pattern
 * after folding -0.0 into 0.0 and every NaN into one; heap values: mixed
 * address. */
uint32_t lpc_value_hash(const lpc_value_t *v);
/* The mixer lpc_value_hash applies to a 64-bit word (an int's value, a
 * float's normalised bits, an address), here so hot paths can inline it:
 * the 128-bit product with an odd constant, high half xor low half,
 * folded to 32 bits, so every input bit reaches the low bits a hash table
 * indexes by.  Never 0. */
static inline uint32_t lpc_hash_u64(uint64_t x)
{
    const uint64_t k = UINT64_C(0x9fb21c651e98df25);
    x ^= UINT64_C(0x2d358dccaa6c78a5);
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)x * k;
    x = (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    x *= k;
    x ^= x >> 29;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 32;
#endif
    uint32_t h = (uint32_t)(x ^ (x >> 32));
    return h ? h : 1;
}
/* A total order for sorting, returning <0, 0 or >0; 0 exactly when
 * lpc_value_equal.  Classes in this order: numbers, strings, arrays,
 * mappings, objects, functions, lvalues.  Numbers: ints and floats
 * together by exact numeric value (no rounding: 2^53+1 > 2^53 as float),
 * an int before a float of the same value, every NaN after all other
 * numbers.  Strings by bytes (memcmp, then shorter first); the others by
 * address. */
int  lpc_value_compare(const lpc_value_t *a, const lpc_value_t *b);

/* "int", "float", "string", "array", "mapping", "object", "function",
 * "lvalue"; "unknown" for anything else.  Static strings. */
const char *lpc_type_name(lpc_type_t type);

/* Out of memory: logs and aborts.  Never returns. */
void lpc_fatal_oom(size_t size)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
void *lpc_malloc(size_t size);               /* never NULL */
void *lpc_realloc(void *ptr, size_t size);   /* never NULL */
/* Zeroed memory for count * size bytes (overflow is fatal); never NULL.
 * All-zero bytes are int 0 values, so this allocates value arrays. */
void *lpc_calloc(size_t count, size_t size);

/* ---- internal to the value layer (lpc_array.c, lpc_mapping.c) -------- */
/* Depth-bounded freeing.  A container whose count reached 0 calls
 * lpc_value_free_begin() before releasing its contents: on true it frees
 * itself and then calls lpc_value_free_end(); on false it must do nothing
 * more: it was queued (its count is still 0) and will be freed later by
 * the outermost free.  Not for use outside the value layer. */
#define LPC_FREE_MAX_DEPTH 200
bool lpc_value_free_begin(void *container, bool is_mapping);
void lpc_value_free_end(void);

#endif /* LPC_VALUE_H */
