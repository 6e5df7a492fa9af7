/*
 * lpc_efun_container.c - array and mapping efuns: member_array, keys,
 * values, map_delete, allocate, allocate_mapping, map, filter,
 * sort_array, unique_array.  (sizeof is a core efun.)
 *
 * Calling back into LPC.  map, filter, sort_array, unique_array and
 * implode call a function for each element, and the call may raise.
 * Everything they build therefore lives in *ret while they run (the VM
 * releases it on an error): a result array filled slot by slot, or a
 * "holder" array whose items are the pieces of work in progress (the
 * result, a snapshot of a mapping's keys and values, sort_array's merge
 * buffer).  C locals hold only borrowed pointers into those.
 *
 * A callback is either a function value, called with the element (for a
 * mapping: key and value) followed by the extra arguments, or a function
 * name with an object (or file name; default this_object()), called with
 * call_other.  A missing function is an error.
 */
#include "config.h"
#include "lpc/lpc_efun_std.h"
#include "lpc/lpc_object.h"

#include <stdlib.h>
#include <string.h>

/* allocate() refuses more elements than this. */
#define LPC_ALLOCATE_MAX 1000000

/* Extra arguments a callback may take (after the element or key and
 * value): the argument vector is a small C array on the stack. */
#define CALLBACK_MAX_ARGS 16

/* ------------------------------------------------------------ callbacks */

typedef struct callback {
    const lpc_value_t *fn;      /* function value, or NULL: call by name */
    lpc_object_t *ob;           /* by name: the object (kept alive by an
                                   argument slot or the running frame) */
    const char *name;           /* by name: the function */
    const lpc_value_t *extra;   /* extra arguments (borrowed args slots) */
    int nextra;
} callback_t;

/*
 * Sets up the callback given by args[fi] (a function, or a function name
 * followed by an optional object or file name) with the arguments after
 * it as extras.  `nlead`: arguments the efun passes before the extras.
 * Raises on a bad object or too many extras (before the caller
 * allocates anything).  A file name is loaded, and its slot is replaced
 * by the object so that the stack keeps the object alive.
 */
static void callback_init(lpc_vm_t *vm, lpc_value_t *args, int nargs, int fi,
                          int nlead, callback_t *cb)
{
    int first_extra = fi + 1;
    cb->fn = NULL;
    cb->ob = NULL;
    cb->name = NULL;
    if (args[fi].type == LPC_T_FUNCTION) {
        cb->fn = &args[fi];
    } else if (args[fi].type == LPC_T_STRING) {
        cb->name = args[fi].u.s->data;
        if (fi + 1 < nargs) {
            lpc_value_t *o = &args[fi + 1];
            first_extra = fi + 2;
            if (o->type == LPC_T_STRING) {
                lpc_object_t *ob = lpc_object_load(vm, o->u.s->data);
                lpc_value_release(o);           /* our slot: steal it */
                lpc_object_incref(ob);
                *o = lpc_value_object(ob);
            } else if (o->type != LPC_T_OBJECT) {
                lpc_efun_bad_arg(vm, fi + 2, "object or file name", o);
            }
            cb->ob = o->u.o;
        } else {
            cb->ob = lpc_vm_this_object(vm);
            if (cb->ob == NULL)
                lpc_error(vm, "%s: no object to call '%s' in (no this_object())",
                          lpc_efun_current_name(vm), cb->name);
        }
    } else {
        lpc_efun_bad_arg(vm, fi + 1, "function or function name", &args[fi]);
    }
    cb->extra = args + first_extra;
    cb->nextra = nargs > first_extra ? nargs - first_extra : 0;
    if (nlead + cb->nextra > CALLBACK_MAX_ARGS)
        lpc_error(vm, "%s: too many extra arguments (at most %d)",
                  lpc_efun_current_name(vm), CALLBACK_MAX_ARGS - nlead);
}

/*
 * Calls the callback with lead[0..nlead) then the extras; the result goes
 * to *ret (a slot holding no reference).  Raises what the call raises.
 */
static void callback_call(lpc_vm_t *vm, const callback_t *cb, const lpc_value_t *lead,
                          int nlead, lpc_value_t *ret)
{
    lpc_value_t argv[CALLBACK_MAX_ARGS];
    int n = 0;
    for (int i = 0; i < nlead; i++) {
        argv[n] = lead[i];
        if (argv[n].type == LPC_T_OBJECT && lpc_object_is_destructed(argv[n].u.o))
            argv[n] = lpc_int(0);
        n++;
    }
    for (int i = 0; i < cb->nextra; i++)
        argv[n++] = cb->extra[i];
    if (cb->fn != NULL) {
        lpc_vm_call_function(vm, cb->fn, argv, n, ret);
        return;
    }
    if (lpc_object_is_destructed(cb->ob))
        lpc_error(vm, "%s: the object to call '%s' in was destructed",
                  lpc_efun_current_name(vm), cb->name);
    if (!lpc_vm_call_other(vm, cb->ob, cb->name, argv, n, ret))
        lpc_error(vm, "%s: no function '%s' in %s", lpc_efun_current_name(vm),
                  cb->name, lpc_object_name(cb->ob)->data);
}

/* LPC truth: not int 0 and not a destructed object. */
static bool truthy(const lpc_value_t *v)
{
    return !lpc_value_is_zero(v);
}

/* A new array of `size` zeros put into *ret as the holder; returns it. */
static lpc_array_t *holder_new(lpc_value_t *ret, size_t size)
{
    lpc_array_t *h = lpc_array_new(size);
    *ret = lpc_value_array(h);
    return h;
}

/* Replaces the holder in *ret by `result` (whose reference moves). */
static void holder_finish(lpc_value_t *ret, lpc_value_t result)
{
    lpc_value_release(ret);
    *ret = result;
}

/* -------------------------------------------------------- member_array */

/*
 * int member_array(mixed item, mixed *arr | string str, int start = 0)
 *
 * The index of the first element equal to item (same type and value;
 * strings by content; arrays, mappings, objects by identity; 1 != 1.0)
 * at or after `start`, or -1.  On a string, item must be an int: the
 * offset of that byte.  start < 0 counts as 0.
 */
static void efun_member_array(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t start = nargs >= 3 ? args[2].u.i : 0;
    if (start < 0)
        start = 0;
    *ret = lpc_int(-1);

    if (args[1].type == LPC_T_STRING) {
        const lpc_string_t *s = args[1].u.s;
        if (args[0].type != LPC_T_INT)
            lpc_efun_bad_arg(vm, 1, "int (a byte to find in a string)", &args[0]);
        if (args[0].u.i < 0 || args[0].u.i > 255 || (uint64_t)start >= s->len)
            return;
        lpc_efun_charge_bytes(vm, s->len - (size_t)start);
        const char *p = memchr(s->data + start, (int)args[0].u.i, s->len - (size_t)start);
        if (p != NULL)
            *ret = lpc_int(p - s->data);
        return;
    }

    const lpc_array_t *a = args[1].u.a;
    if ((uint64_t)start >= a->size)
        return;
    lpc_vm_charge(vm, (int64_t)(a->size - (uint64_t)start) / 8);
    bool zero = args[0].type == LPC_T_INT && args[0].u.i == 0;
    for (uint32_t i = (uint32_t)start; i < a->size; i++) {
        const lpc_value_t *v = &a->items[i];
        if (lpc_value_equal(&args[0], v)
            || (zero && v->type == LPC_T_OBJECT && lpc_object_is_destructed(v->u.o))) {
            *ret = lpc_int(i);
            return;
        }
    }
}

/* ------------------------------------------------ keys, values, delete */

/* mixed *keys(mapping m): the keys in the mapping's (insertion) order. */
static void efun_keys(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_vm_charge(vm, (int64_t)lpc_mapping_size(args[0].u.m) / 8);
    *ret = lpc_value_array(lpc_mapping_keys(args[0].u.m));
}

/* mixed *values(mapping m): the values, in the same order as keys(m). */
static void efun_values(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_vm_charge(vm, (int64_t)lpc_mapping_size(args[0].u.m) / 8);
    *ret = lpc_value_array(lpc_mapping_values(args[0].u.m));
}

/* mapping map_delete(mapping m, mixed key): removes key (if present) from
 * m itself and returns m. */
static void efun_map_delete(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    lpc_mapping_delete(args[0].u.m, &args[1]);
    lpc_value_assign(ret, &args[0]);
}

/* ---------------------------------------------------------- allocation */

/*
 * mixed *allocate(int size, mixed fill = 0)
 *
 * A new array of size elements, each 0 or a copy of fill (a reference
 * to the same array/mapping/object when fill is one).  0 <= size <=
 * 1,000,000.
 */
static void efun_allocate(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t n = args[0].u.i;
    if (n < 0 || n > LPC_ALLOCATE_MAX)
        lpc_error(vm, "allocate: size %lld is out of range (0..%d)", (long long)n,
                  LPC_ALLOCATE_MAX);
    lpc_vm_charge(vm, n / 8);
    if (nargs < 2 || (args[1].type == LPC_T_INT && args[1].u.i == 0)) {
        *ret = lpc_value_array(lpc_array_new((size_t)n));
        return;
    }
    lpc_array_t *a = lpc_array_alloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        a->items[i] = args[1];
        lpc_value_incref(&a->items[i]);
    }
    *ret = lpc_value_array(a);
}

/*
 * mapping allocate_mapping(int size)
 * mapping allocate_mapping(mixed *keys, mixed *values)
 * mapping allocate_mapping(mixed *keys, mixed value)
 *
 * An empty mapping with room for size entries (a hint; size >= 0), or a
 * mapping from keys to the matching values (same sizes), or every key to
 * one value.  A key given twice keeps its first position and last value.
 */
static void efun_allocate_mapping(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    if (args[0].type == LPC_T_INT) {
        if (nargs > 1)
            lpc_error(vm, "allocate_mapping: a size takes no second argument");
        if (args[0].u.i < 0)
            lpc_error(vm, "allocate_mapping: size %lld is negative", (long long)args[0].u.i);
        *ret = lpc_value_mapping(lpc_mapping_new((size_t)args[0].u.i));
        return;
    }
    const lpc_array_t *k = args[0].u.a;
    const lpc_array_t *v = nargs >= 2 && args[1].type == LPC_T_ARRAY ? args[1].u.a : NULL;
    if (v != NULL && v->size != k->size)
        lpc_error(vm, "allocate_mapping: %u keys but %u values",
                  (unsigned)k->size, (unsigned)v->size);
    lpc_vm_charge(vm, (int64_t)k->size / 4);
    lpc_value_t zero = lpc_int(0);
    const lpc_value_t *one = nargs >= 2 ? &args[1] : &zero;
    lpc_mapping_t *m = lpc_mapping_new(k->size);
    for (uint32_t i = 0; i < k->size; i++)
        lpc_mapping_set(m, &k->items[i], v != NULL ? &v->items[i] : one);
    *ret = lpc_value_mapping(m);
}

/* ------------------------------------------------------------- map */

/*
 * mixed *map(mixed *arr, function f | string fname [, object ob], extra...)
 * mapping map(mapping m, ...)
 * string map(string str, ...)
 *
 * Arrays: ({ f(arr[0], extra...), f(arr[1], extra...), ... }).
 * Mappings: the same keys, each value f(key, value, extra...).
 * Strings: each byte replaced by f(byte, extra...), which must return an
 * int (its low 8 bits are used).
 * The mapping is read from a snapshot taken before the first call, so f
 * may change it.
 */
static void efun_map(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    callback_t cb;
    int nlead = args[0].type == LPC_T_MAPPING ? 2 : 1;
    callback_init(vm, args, nargs, 1, nlead, &cb);

    if (args[0].type == LPC_T_ARRAY) {
        const lpc_array_t *src = args[0].u.a;
        lpc_vm_charge(vm, src->size);
        lpc_array_t *res = lpc_array_new(src->size);
        *ret = lpc_value_array(res);
        for (uint32_t i = 0; i < src->size; i++)
            callback_call(vm, &cb, &src->items[i], 1, &res->items[i]);
        return;
    }

    if (args[0].type == LPC_T_MAPPING) {
        const lpc_mapping_t *m = args[0].u.m;
        size_t n = lpc_mapping_size(m);
        lpc_vm_charge(vm, (int64_t)n);
        lpc_array_t *h = holder_new(ret, 3);
        h->items[0] = lpc_value_mapping(lpc_mapping_new(n));
        h->items[1] = lpc_value_array(lpc_mapping_keys(m));
        h->items[2] = lpc_value_array(lpc_mapping_values(m));
        lpc_mapping_t *res = h->items[0].u.m;
        const lpc_array_t *ks = h->items[1].u.a, *vs = h->items[2].u.a;
        for (size_t i = 0; i < n; i++) {
            lpc_value_t kv[2] = { ks->items[i], vs->items[i] };
            lpc_value_t r = lpc_int(0);
            callback_call(vm, &cb, kv, 2, &r);
            lpc_mapping_set(res, &ks->items[i], &r);
            lpc_value_release(&r);
        }
        lpc_mapping_incref(res);
        holder_finish(ret, lpc_value_mapping(res));
        return;
    }

    const lpc_string_t *src = args[0].u.s;
    lpc_vm_charge(vm, (int64_t)src->len);
    if (src->len == 0) {
        *ret = lpc_value_string(lpc_string_empty());
        return;
    }
    lpc_string_t *res = lpc_string_alloc(src->len);
    memset(res->data, 0, src->len);
    *ret = lpc_value_string(res);
    for (size_t i = 0; i < src->len; i++) {
        lpc_value_t byte = lpc_int((unsigned char)src->data[i]);
        lpc_value_t r = lpc_int(0);
        callback_call(vm, &cb, &byte, 1, &r);
        if (r.type != LPC_T_INT) {
            const char *t = lpc_type_name((lpc_type_t)r.type);
            lpc_value_release(&r);
            lpc_error(vm, "map: the function returned %s for a byte of a string, "
                      "expected int", t);
        }
        res->data[i] = (char)(unsigned char)(r.u.i & 0xff);
    }
}

/* ----------------------------------------------------------- filter */

/*
 * mixed *filter(mixed *arr, function f | string fname [, object ob], extra...)
 * mapping filter(mapping m, ...)
 * string filter(string str, ...)
 *
 * The elements (mapping: the key/value pairs, called as f(key, value,
 * extra...); string: the bytes, passed as ints) for which f returns
 * true (not 0), in their order.
 */
static void efun_filter(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    callback_t cb;
    int nlead = args[0].type == LPC_T_MAPPING ? 2 : 1;
    callback_init(vm, args, nargs, 1, nlead, &cb);

    if (args[0].type == LPC_T_ARRAY) {
        const lpc_array_t *src = args[0].u.a;
        uint32_t n = src->size, kept = 0;
        lpc_vm_charge(vm, n);
        lpc_array_t *h = holder_new(ret, n);
        for (uint32_t i = 0; i < n; i++) {
            lpc_value_t r = lpc_int(0);
            callback_call(vm, &cb, &src->items[i], 1, &r);
            if (truthy(&r))
                lpc_value_assign(&h->items[kept++], &src->items[i]);
            lpc_value_release(&r);
        }
        if (kept == n) {
            lpc_array_incref(h);
            holder_finish(ret, lpc_value_array(h));
        } else {
            holder_finish(ret, lpc_value_array(lpc_array_slice(h, 0, (int64_t)kept - 1)));
        }
        return;
    }

    if (args[0].type == LPC_T_MAPPING) {
        const lpc_mapping_t *m = args[0].u.m;
        size_t n = lpc_mapping_size(m);
        lpc_vm_charge(vm, (int64_t)n);
        lpc_array_t *h = holder_new(ret, 3);
        h->items[0] = lpc_value_mapping(lpc_mapping_new(0));
        h->items[1] = lpc_value_array(lpc_mapping_keys(m));
        h->items[2] = lpc_value_array(lpc_mapping_values(m));
        lpc_mapping_t *res = h->items[0].u.m;
        const lpc_array_t *ks = h->items[1].u.a, *vs = h->items[2].u.a;
        for (size_t i = 0; i < n; i++) {
            lpc_value_t kv[2] = { ks->items[i], vs->items[i] };
            lpc_value_t r = lpc_int(0);
            callback_call(vm, &cb, kv, 2, &r);
            if (truthy(&r))
                lpc_mapping_set(res, &ks->items[i], &vs->items[i]);
            lpc_value_release(&r);
        }
        lpc_mapping_incref(res);
        holder_finish(ret, lpc_value_mapping(res));
        return;
    }

    lpc_string_t *src = args[0].u.s;
    lpc_vm_charge(vm, (int64_t)src->len);
    if (src->len == 0) {
        *ret = lpc_value_string(lpc_string_empty());
        return;
    }
    lpc_string_t *res = lpc_string_alloc(src->len);
    memset(res->data, 0, src->len);
    *ret = lpc_value_string(res);
    size_t kept = 0;
    for (size_t i = 0; i < src->len; i++) {
        lpc_value_t byte = lpc_int((unsigned char)src->data[i]);
        lpc_value_t r = lpc_int(0);
        callback_call(vm, &cb, &byte, 1, &r);
        if (truthy(&r))
            res->data[kept++] = src->data[i];
        lpc_value_release(&r);
    }
    if (kept == src->len)
        return;
    lpc_string_t *out = lpc_string_substr(res, 0, (int64_t)kept);
    holder_finish(ret, lpc_value_string(out));
}

/* -------------------------------------------------------- sort_array */

/* Merges run a[lo..mid) and a[mid..hi) into b[lo..hi) by lpc_value_compare
 * (ascending, or descending when desc), stably.  Plain C arrays: no
 * references move (used when no LPC code runs). */
static void merge_plain(const lpc_value_t *a, lpc_value_t *b, size_t lo, size_t mid,
                        size_t hi, bool desc)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) {
        int c = lpc_value_compare(&a[i], &a[j]);
        if (desc)
            c = -c;
        b[k++] = c <= 0 ? a[i++] : a[j++];
    }
    while (i < mid)
        b[k++] = a[i++];
    while (j < hi)
        b[k++] = a[j++];
}

/* The sign of a comparison function's result: ints and floats by sign,
 * anything else 0 (equal). */
static int cmp_result(const lpc_value_t *r)
{
    if (r->type == LPC_T_INT)
        return (r->u.i > 0) - (r->u.i < 0);
    if (r->type == LPC_T_FLOAT)
        return (r->u.f > 0) - (r->u.f < 0);
    return 0;
}

/*
 * mixed *sort_array(mixed *arr, int direction)
 * mixed *sort_array(mixed *arr, function f, extra...)
 * mixed *sort_array(mixed *arr, string fname [, object ob], extra...)
 *
 * A sorted copy (arr itself is not changed), stable: equal elements keep
 * their order.  direction 1 (or any int >= 0) sorts ascending, -1 (any
 * negative) descending, by the value order of lpc_value_compare (numbers
 * by value, ints and floats together, then strings by bytes, then the
 * rest).  f(a, b, extra...) returns < 0 when a goes first, > 0 when b
 * does, 0 when they are equal (a float's sign counts; other results are
 * 0).  Bottom-up merge sort: O(n log n) comparisons.
 */
static void efun_sort_array(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_array_t *src = args[0].u.a;
    size_t n = src->size;

    if (args[1].type == LPC_T_INT) {
        if (nargs > 2)
            lpc_error(vm, "sort_array: a direction takes no further arguments");
        bool desc = args[1].u.i < 0;
        lpc_vm_charge(vm, (int64_t)n * 4);
        lpc_array_t *res = lpc_array_alloc(n);
        if (n > 0) {
            /* Sort bitwise copies in C (no LPC runs, nothing raises),
             * then take the references. */
            lpc_value_t *tmp = lpc_malloc(n * sizeof *tmp);
            lpc_value_t *a = res->items, *b = tmp;
            memcpy(a, src->items, n * sizeof *a);
            for (size_t w = 1; w < n; w *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * w) {
                    size_t mid = lo + w < n ? lo + w : n;
                    size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
                    merge_plain(a, b, lo, mid, hi, desc);
                }
                lpc_value_t *t = a; a = b; b = t;
            }
            if (a != res->items)
                memcpy(res->items, a, n * sizeof *a);
            free(tmp);
            for (size_t i = 0; i < n; i++)
                lpc_value_incref(&res->items[i]);
        }
        *ret = lpc_value_array(res);
        return;
    }

    callback_t cb;
    callback_init(vm, args, nargs, 1, 2, &cb);
    if (n < 2) {
        *ret = lpc_value_array(n == 0 ? lpc_array_empty() : lpc_array_slice(src, 0, 0));
        return;
    }
    lpc_vm_charge(vm, (int64_t)n);

    /* The holder owns both buffers; every element is owned by exactly one
     * slot of the two at any time (values are moved, the vacated slot set
     * to 0), so an error in f leaves nothing to leak or double-free. */
    lpc_array_t *h = holder_new(ret, 2);
    h->items[0] = lpc_value_array(lpc_array_slice(src, 0, (int64_t)n - 1));
    h->items[1] = lpc_value_array(lpc_array_new(n));
    lpc_value_t *a = h->items[0].u.a->items, *b = h->items[1].u.a->items;
    int in = 0;                           /* holder slot holding the data */

    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                lpc_value_t pair[2] = { a[i], a[j] };
                lpc_value_t r = lpc_int(0);
                callback_call(vm, &cb, pair, 2, &r);
                int c = cmp_result(&r);
                lpc_value_release(&r);
                size_t *from = c <= 0 ? &i : &j;
                b[k++] = a[*from];
                a[(*from)++] = lpc_int(0);
            }
            for (; i < mid; i++) {
                b[k++] = a[i];
                a[i] = lpc_int(0);
            }
            for (; j < hi; j++) {
                b[k++] = a[j];
                a[j] = lpc_int(0);
            }
        }
        lpc_value_t *t = a; a = b; b = t;
        in = 1 - in;
        lpc_vm_charge(vm, (int64_t)n);
    }
    lpc_value_t result = h->items[in];
    h->items[in] = lpc_int(0);                /* move it out of the holder */
    holder_finish(ret, result);
}

/* -------------------------------------------------------- unique_array */

/*
 * mixed **unique_array(mixed *arr, function f [, mixed skip])
 * object **unique_array(object *arr, string fname [, mixed skip])
 *
 * Groups the elements by the value f(elem) (with a name: the result of
 * calling fname in each element, which must be an object), as an array
 * of arrays: the groups in the order their first element appears in
 * arr, each group in arr's order.  Elements whose value equals skip are
 * left out.
 */
static void efun_unique_array(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_array_t *src = args[0].u.a;
    uint32_t n = src->size;
    callback_t cb;
    if (args[1].type == LPC_T_FUNCTION)
        callback_init(vm, args, 2, 1, 1, &cb);     /* skip is not an extra */
    lpc_vm_charge(vm, n);

    /* Phase 1 (calls LPC): the value of each element, kept in a holder. */
    lpc_array_t *vals = holder_new(ret, n);
    for (uint32_t i = 0; i < n; i++) {
        const lpc_value_t *e = &src->items[i];
        if (args[1].type == LPC_T_FUNCTION) {
            callback_call(vm, &cb, e, 1, &vals->items[i]);
            continue;
        }
        if (e->type != LPC_T_OBJECT)
            lpc_error(vm, "unique_array: element %u is %s; calling '%s' needs objects",
                      (unsigned)i, lpc_type_name((lpc_type_t)e->type), args[1].u.s->data);
        if (lpc_object_is_destructed(e->u.o))
            continue;                             /* reads as 0 */
        if (!lpc_vm_call_other(vm, e->u.o, args[1].u.s->data, NULL, 0, &vals->items[i]))
            lpc_error(vm, "unique_array: no function '%s' in %s", args[1].u.s->data,
                      lpc_object_name(e->u.o)->data);
    }

    /* Phase 2 (pure C, nothing raises): group. */
    lpc_mapping_t *index = lpc_mapping_new(0);         /* value -> group */
    uint32_t *group = lpc_malloc((n ? n : 1) * sizeof *group);
    uint32_t *count = lpc_malloc((n ? n : 1) * sizeof *count);
    uint32_t ngroups = 0;
    for (uint32_t i = 0; i < n; i++) {
        const lpc_value_t *v = &vals->items[i];
        if (nargs >= 3 && lpc_value_equal(v, &args[2])) {
            group[i] = UINT32_MAX;
            continue;
        }
        lpc_value_t *g = lpc_mapping_find(index, v);
        if (g == NULL) {
            lpc_value_t gi = lpc_int(ngroups);
            lpc_mapping_set(index, v, &gi);
            count[ngroups] = 0;
            group[i] = ngroups++;
        } else {
            group[i] = (uint32_t)g->u.i;
        }
        count[group[i]]++;
    }
    lpc_array_t *out = lpc_array_alloc(ngroups);
    for (uint32_t g = 0; g < ngroups; g++) {
        out->items[g] = lpc_value_array(lpc_array_new(count[g]));
        count[g] = 0;                                  /* reused as fill level */
    }
    for (uint32_t i = 0; i < n; i++) {
        if (group[i] == UINT32_MAX)
            continue;
        lpc_array_t *ga = out->items[group[i]].u.a;
        lpc_value_assign(&ga->items[count[group[i]]++], &src->items[i]);
    }
    free(group);
    free(count);
    lpc_mapping_decref(index);
    holder_finish(ret, lpc_value_array(out));
}

/* --------------------------------------------------------------- table */

#define TM_CONTAINER (LPC_TM_ARRAY | LPC_TM_MAPPING | LPC_TM_STRING)
#define TM_CALLBACK  (LPC_TM_FUNCTION | LPC_TM_STRING)

static const lpc_efun_def_t container_efuns[] = {
    { "member_array", efun_member_array, 2, 3, 0, 0, LPC_TM_INT,
      { 0, LPC_TM_ARRAY | LPC_TM_STRING, LPC_TM_INT } },
    { "keys", efun_keys, 1, 1, 0, 0, LPC_TM_ARRAY, { LPC_TM_MAPPING } },
    { "values", efun_values, 1, 1, 0, 0, LPC_TM_ARRAY, { LPC_TM_MAPPING } },
    { "map_delete", efun_map_delete, 2, 2, 0, 0, LPC_TM_MAPPING, { LPC_TM_MAPPING, 0 } },
    { "allocate", efun_allocate, 1, 2, 0, 0, LPC_TM_ARRAY, { LPC_TM_INT, 0 } },
    { "allocate_mapping", efun_allocate_mapping, 1, 2, 0, 0, LPC_TM_MAPPING,
      { LPC_TM_INT | LPC_TM_ARRAY, 0 } },
    { "map", efun_map, 2, LPC_EFUN_VARARGS, 0, 0, TM_CONTAINER,
      { TM_CONTAINER, TM_CALLBACK } },
    { "filter", efun_filter, 2, LPC_EFUN_VARARGS, 0, 0, TM_CONTAINER,
      { TM_CONTAINER, TM_CALLBACK } },
    { "sort_array", efun_sort_array, 2, LPC_EFUN_VARARGS, 0, 0, LPC_TM_ARRAY,
      { LPC_TM_ARRAY, TM_CALLBACK | LPC_TM_INT } },
    { "unique_array", efun_unique_array, 2, 3, 0, 0, LPC_TM_ARRAY,
      { LPC_TM_ARRAY, TM_CALLBACK, 0 } },
};

const lpc_efun_def_t *lpc_efun_container_table(size_t *count)
{
    *count = sizeof container_efuns / sizeof container_efuns[0];
    return container_efuns;
}
