/*
 * check_lpc_value.c - the LPC value layer: strings (edge cases, hashing,
 * equality), the string builder, arrays (operators, slicing, deep
 * freeing), mappings (order, tombstones, rehash, union, copy, key
 * semantics), and generic values (equality/hash consistency, total order,
 * reference counting, aliasing).
 *
 * Objects and function pointers belong to the interpreter; this file
 * defines small test doubles of their five functions, which keeps the
 * interpreter's objects out of this binary (liblpc.a is an archive: only
 * the members that define still-undefined symbols are linked).  The
 * doubles count live instances, so every test can prove it released
 * what it took; memory leaks are caught by running the suite under ASan.
 */
#include "config.h"
#include "lpc/lpc_value.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ck_assert for hot loops: only calls into Check when the condition
 * fails (each ck_assert records a checkpoint, which dominates big loops). */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond))                                                         \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);   \
    } while (0)

/* ------------------------------------------------------- test doubles */

struct lpc_object {
    uint32_t ref;
    bool destructed;
};

struct lpc_funcptr {
    uint32_t ref;
};

static int live_objects;
static int live_funcptrs;

void lpc_object_incref(lpc_object_t *o) { o->ref++; }
void lpc_object_decref(lpc_object_t *o)
{
    if (--o->ref == 0) {
        free(o);
        live_objects--;
    }
}
bool lpc_object_is_destructed(const lpc_object_t *o) { return o->destructed; }
void lpc_funcptr_incref(lpc_funcptr_t *f) { f->ref++; }
void lpc_funcptr_decref(lpc_funcptr_t *f)
{
    if (--f->ref == 0) {
        free(f);
        live_funcptrs--;
    }
}

static lpc_object_t *object_new(void)
{
    lpc_object_t *o = calloc(1, sizeof *o);
    ck_assert_ptr_nonnull(o);
    o->ref = 1;
    live_objects++;
    return o;
}

static lpc_funcptr_t *funcptr_new(void)
{
    lpc_funcptr_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    f->ref = 1;
    live_funcptrs++;
    return f;
}

/* ------------------------------------------------------------ helpers */

static lpc_value_t vstr(const char *s)
{
    return lpc_value_string(lpc_string_from_cstr(s));
}

static lpc_value_t vstrn(const char *s, size_t n)
{
    return lpc_value_string(lpc_string_new(s, n));
}

static lpc_value_t vfmt(const char *prefix, long n)
{
    char buf[64];
    int len = snprintf(buf, sizeof buf, "%s%ld", prefix, n);
    return vstrn(buf, (size_t)len);
}

/* An array value from n values, whose references it takes over. */
static lpc_value_t varr(size_t n, const lpc_value_t *items)
{
    lpc_array_t *a = lpc_array_alloc(n);
    for (size_t i = 0; i < n; i++)
        a->items[i] = items[i];
    return lpc_value_array(a);
}

static bool str_is(const lpc_string_t *s, const char *bytes, size_t len)
{
    return s->len == len && memcmp(s->data, bytes, len) == 0 && s->data[len] == '\0';
}

static uint64_t rng_state = 88172645463325252u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void check_no_live_doubles(void)
{
    ck_assert_int_eq(live_objects, 0);
    ck_assert_int_eq(live_funcptrs, 0);
}

/* ------------------------------------------------------------ strings */

START_TEST(test_string_new_copies_bytes_including_embedded_nul)
{
    const char src[] = { 'a', '\0', 'b', '\0', 'c' };
    lpc_string_t *s = lpc_string_new(src, sizeof src);
    ck_assert_uint_eq(s->ref, 1);
    ck_assert(str_is(s, src, sizeof src));
    lpc_string_t *c = lpc_string_from_cstr("hello");
    ck_assert(str_is(c, "hello", 5));
    lpc_string_decref(s);
    lpc_string_decref(c);
}
END_TEST

START_TEST(test_zero_length_strings_are_the_shared_empty_singleton)
{
    lpc_string_t *e = lpc_string_empty();
    uint32_t base = e->ref;
    lpc_string_t *abc = lpc_string_from_cstr("abc");
    lpc_string_t *got[] = {
        lpc_string_new(NULL, 0),
        lpc_string_from_cstr(""),
        lpc_string_alloc(0),
        lpc_string_substr(abc, 2, 1),
        lpc_string_substr(abc, 5, 9),
        lpc_string_concat(e, e),
    };
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++) {
        ck_assert_ptr_eq(got[i], e);
        ck_assert(str_is(got[i], "", 0));
    }
    ck_assert_uint_eq(e->ref, base + sizeof got / sizeof got[0]);
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
        lpc_string_decref(got[i]);
    ck_assert_uint_eq(e->ref, base);
    lpc_string_decref(abc);
    lpc_string_decref(e);
}
END_TEST

START_TEST(test_empty_singleton_is_never_freed_even_if_its_count_wraps)
{
    lpc_string_t *e = lpc_string_empty();
    uint32_t saved = e->ref;
    ck_assert_uint_ge(saved, UINT32_C(1) << 30);   /* never 1: no in-place edits */
    e->ref = 1;                                    /* as if 2^32 increfs wrapped */
    lpc_string_decref(e);                          /* must not free static memory */
    ck_assert_uint_eq(e->ref, UINT32_C(1) << 31);
    ck_assert(str_is(e, "", 0));
    e->ref = saved;
    lpc_string_decref(e);

    lpc_array_t *a = lpc_array_empty();
    saved = a->ref;
    a->ref = 1;
    lpc_array_decref(a);
    ck_assert_uint_eq(a->ref, UINT32_C(1) << 31);
    ck_assert_uint_eq(a->size, 0);
    a->ref = saved;
    lpc_array_decref(a);
}
END_TEST

START_TEST(test_string_concat_joins_bytes_in_one_new_string)
{
    lpc_string_t *a = lpc_string_new("ab\0", 3);
    lpc_string_t *b = lpc_string_new("\0cd", 3);
    lpc_string_t *c = lpc_string_concat(a, b);
    ck_assert_ptr_ne(c, a);
    ck_assert_ptr_ne(c, b);
    ck_assert_uint_eq(c->ref, 1);
    ck_assert_uint_eq(c->hash, 0);
    ck_assert(str_is(c, "ab\0\0cd", 6));
    ck_assert_uint_eq(a->ref, 1);
    ck_assert_uint_eq(b->ref, 1);
    lpc_string_decref(a);
    lpc_string_decref(b);
    lpc_string_decref(c);
}
END_TEST

START_TEST(test_string_concat_with_empty_returns_the_other_operand)
{
    lpc_string_t *s = lpc_string_from_cstr("xyz");
    lpc_string_t *e = lpc_string_empty();
    lpc_string_t *r1 = lpc_string_concat(s, e);
    lpc_string_t *r2 = lpc_string_concat(e, s);
    ck_assert_ptr_eq(r1, s);
    ck_assert_ptr_eq(r2, s);
    ck_assert_uint_eq(s->ref, 3);
    lpc_string_decref(r1);
    lpc_string_decref(r2);
    lpc_string_decref(s);
    lpc_string_decref(e);
}
END_TEST

START_TEST(test_string_substr_clamps_to_the_string)
{
    lpc_string_t *s = lpc_string_new("he\0llo", 6);
    static const struct { int64_t from, to; const char *want; size_t len; } cases[] = {
        { 0, 2, "he", 2 },
        { 1, 4, "e\0l", 3 },
        { -5, 2, "he", 2 },
        { 3, 100, "llo", 3 },
        { -1, INT64_MAX, "he\0llo", 6 },
        { INT64_MIN, INT64_MIN, "", 0 },
        { 4, 4, "", 0 },
        { 5, 3, "", 0 },
        { 6, 7, "", 0 },
        { 2, 3, "\0", 1 },
        { 0, -1, "", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lpc_string_t *r = lpc_string_substr(s, cases[i].from, cases[i].to);
        ck_assert_msg(str_is(r, cases[i].want, cases[i].len), "case %zu", i);
        lpc_string_decref(r);
    }
    ck_assert_uint_eq(s->ref, 1);
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_string_substr_of_whole_string_returns_it_shared)
{
    lpc_string_t *s = lpc_string_from_cstr("whole");
    lpc_string_t *r = lpc_string_substr(s, -3, 5);
    ck_assert_ptr_eq(r, s);
    ck_assert_uint_eq(s->ref, 2);
    lpc_string_decref(r);
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_string_alloc_is_nul_terminated_and_fillable)
{
    lpc_string_t *s = lpc_string_alloc(4);
    ck_assert_uint_eq(s->len, 4);
    ck_assert_int_eq(s->data[4], '\0');
    memcpy(s->data, "abcd", 4);
    ck_assert_str_eq(s->data, "abcd");
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_string_hash_is_cached_nonzero_and_by_content)
{
    lpc_string_t *a = lpc_string_from_cstr("some key");
    lpc_string_t *b = lpc_string_from_cstr("some key");
    ck_assert_uint_eq(a->hash, 0);
    uint32_t h = lpc_string_hash(a);
    ck_assert_uint_ne(h, 0);
    ck_assert_uint_eq(a->hash, h);
    ck_assert_uint_eq(lpc_string_hash(a), h);
    ck_assert_uint_eq(lpc_string_hash(b), h);
    lpc_string_t *e = lpc_string_empty();
    ck_assert_uint_ne(lpc_string_hash(e), 0);
    lpc_string_decref(e);
    lpc_string_decref(a);
    lpc_string_decref(b);
}
END_TEST

START_TEST(test_string_hash_bytes_matches_string_hash_for_every_length)
{
    char buf[200];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(rng() & 0xff);
    for (size_t len = 0; len <= sizeof buf; len++) {
        lpc_string_t *s = lpc_string_new(buf, len);
        REQUIRE(lpc_string_hash(s) == lpc_string_hash_bytes(buf, len));
        REQUIRE(lpc_string_hash_bytes(buf, len) != 0);
        lpc_string_decref(s);
    }
}
END_TEST

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Equal neighbours after sorting: the number of colliding pairs (ish). */
static size_t count_collisions(uint32_t *h, size_t n)
{
    qsort(h, n, sizeof *h, cmp_u32);
    size_t c = 0;
    for (size_t i = 1; i < n; i++)
        c += h[i] == h[i - 1];
    return c;
}

/* 32-bit hashes of 200k similar keys: an ideal hash gives ~5 collisions;
 * all 1- and 2-byte strings; and the low 16 bits (what a mapping index
 * uses) of sequential keys must spread evenly over the buckets. */
START_TEST(test_string_hash_spreads_similar_keys)
{
    enum { N = 200000 };
    uint32_t *h = malloc(N * sizeof *h);
    ck_assert_ptr_nonnull(h);
    for (int i = 0; i < N; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "key%d", i);
        h[i] = lpc_string_hash_bytes(buf, (size_t)len);
    }
    uint32_t buckets[1024] = { 0 };
    for (int i = 0; i < N; i++)
        buckets[h[i] & 1023]++;
    for (int i = 0; i < 1024; i++)      /* mean 195: far outside is broken */
        ck_assert_msg(buckets[i] > 100 && buckets[i] < 300, "bucket %d: %u", i, buckets[i]);
    ck_assert_uint_lt(count_collisions(h, N), 30);
    size_t n = 0;
    for (int a = 0; a < 256; a++) {
        char c1 = (char)a;
        h[n++] = lpc_string_hash_bytes(&c1, 1);
        for (int b = 0; b < 256; b++) {
            char two[2] = { (char)a, (char)b };
            h[n++] = lpc_string_hash_bytes(two, 2);
        }
    }
    ck_assert_uint_lt(count_collisions(h, n), 10);
    free(h);
}
END_TEST

START_TEST(test_string_equal_checks_length_hash_then_bytes)
{
    lpc_string_t *a = lpc_string_new("ab\0x", 4);
    lpc_string_t *b = lpc_string_new("ab\0y", 4);
    lpc_string_t *c = lpc_string_new("ab\0x", 4);
    lpc_string_t *d = lpc_string_new("ab\0", 3);
    ck_assert(!lpc_string_equal(a, b));     /* differ after the NUL */
    ck_assert(lpc_string_equal(a, c));
    ck_assert(!lpc_string_equal(a, d));
    ck_assert(lpc_string_equal(a, a));
    lpc_string_hash(a);
    lpc_string_hash(b);
    lpc_string_hash(c);
    ck_assert(!lpc_string_equal(a, b));
    ck_assert(lpc_string_equal(a, c));      /* cached hashes agree */
    lpc_string_decref(a);
    lpc_string_decref(b);
    lpc_string_decref(c);
    lpc_string_decref(d);
}
END_TEST

START_TEST(test_string_compare_is_unsigned_bytes_then_length)
{
    lpc_string_t *a = lpc_string_from_cstr("abc");
    lpc_string_t *ab = lpc_string_from_cstr("ab");
    lpc_string_t *hi = lpc_string_from_cstr("\xff");
    lpc_string_t *nul = lpc_string_new("ab\0", 3);
    lpc_string_t *e = lpc_string_empty();
    ck_assert_int_lt(lpc_string_compare(ab, a), 0);
    ck_assert_int_gt(lpc_string_compare(a, ab), 0);
    ck_assert_int_gt(lpc_string_compare(hi, a), 0);   /* 0xff sorts after 'a' */
    ck_assert_int_lt(lpc_string_compare(ab, nul), 0);
    ck_assert_int_lt(lpc_string_compare(nul, a), 0);
    ck_assert_int_lt(lpc_string_compare(e, ab), 0);
    ck_assert_int_eq(lpc_string_compare(e, e), 0);
    lpc_string_t *a2 = lpc_string_from_cstr("abc");
    ck_assert_int_eq(lpc_string_compare(a, a2), 0);
    lpc_string_decref(a);
    lpc_string_decref(a2);
    lpc_string_decref(ab);
    lpc_string_decref(hi);
    lpc_string_decref(nul);
    lpc_string_decref(e);
}
END_TEST

/* ------------------------------------------------------------- strbuf */

START_TEST(test_strbuf_grows_over_many_appends_and_keeps_every_byte)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    for (int i = 0; i < 100000; i++)
        lpc_strbuf_append_char(&b, (char)('a' + i % 26));
    lpc_strbuf_append(&b, "\0z", 2);
    lpc_strbuf_append_cstr(&b, "end");
    ck_assert_uint_eq(b.len, 100005);
    ck_assert_int_eq(b.data[b.len], '\0');
    lpc_string_t *s = lpc_strbuf_finish(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(s->len, 100005);
    ck_assert_uint_eq(s->ref, 1);
    ck_assert_uint_eq(s->hash, 0);
    for (int i = 0; i < 100000; i++)
        REQUIRE(s->data[i] == (char)('a' + i % 26));
    ck_assert(memcmp(s->data + 100000, "\0zend", 6) == 0);
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_strbuf_printf_formats_short_and_long_output)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_strbuf_printf(&b, "%d-%s", 42, "x");
    ck_assert_str_eq(b.data, "42-x");
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lpc_strbuf_printf(&b, "[%s]%05d", big, 7);  /* far beyond the room */
    ck_assert_uint_eq(b.len, 4 + 1 + 999 + 1 + 5);
    lpc_strbuf_printf(&b, "%s", "");
    lpc_strbuf_printf(&b, "%.2f", 1.5);
    lpc_string_t *s = lpc_strbuf_finish(&b);
    ck_assert_uint_eq(s->len, 1010 + 4);
    ck_assert(memcmp(s->data, "42-x[qq", 7) == 0);
    ck_assert_str_eq(s->data + 1004, "]000071.50");
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_strbuf_finish_of_empty_buffer_gives_empty_singleton)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_string_t *e = lpc_string_empty();
    lpc_string_t *s = lpc_strbuf_finish(&b);
    ck_assert_ptr_eq(s, e);
    lpc_strbuf_append(&b, "abc", 0);
    lpc_strbuf_reserve(&b, 10);             /* allocated but still empty */
    lpc_string_t *s2 = lpc_strbuf_finish(&b);
    ck_assert_ptr_eq(s2, e);
    ck_assert_ptr_null(b.data);
    lpc_string_decref(s);
    lpc_string_decref(s2);
    lpc_string_decref(e);
}
END_TEST

START_TEST(test_strbuf_free_resets_and_buffer_is_reusable)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_strbuf_append_cstr(&b, "discard me");
    lpc_strbuf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    lpc_strbuf_free(&b);                    /* twice is harmless */
    lpc_strbuf_append_cstr(&b, "kept");
    lpc_string_t *s = lpc_strbuf_finish(&b);
    ck_assert(str_is(s, "kept", 4));
    lpc_string_decref(s);
}
END_TEST

START_TEST(test_strbuf_reserve_allows_direct_writes)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_strbuf_append_cstr(&b, "n=");
    lpc_strbuf_reserve(&b, 500);
    ck_assert_uint_ge(b.cap - b.len, 500);
    memset(b.data + b.len, '7', 500);
    b.len += 500;
    b.data[b.len] = '\0';
    lpc_string_t *s = lpc_strbuf_finish(&b);
    ck_assert_uint_eq(s->len, 502);
    ck_assert_int_eq(s->data[501], '7');
    ck_assert_int_eq(s->data[502], '\0');
    lpc_string_decref(s);
}
END_TEST

/* ------------------------------------------------------------- arrays */

START_TEST(test_array_new_is_filled_with_defined_int_zero)
{
    lpc_array_t *a = lpc_array_new(1000);
    ck_assert_uint_eq(a->size, 1000);
    ck_assert_uint_eq(a->ref, 1);
    for (uint32_t i = 0; i < a->size; i++)
        REQUIRE(a->items[i].type == LPC_T_INT && a->items[i].flags == 0 && a->items[i].u.i == 0);
    lpc_array_decref(a);
}
END_TEST

START_TEST(test_empty_arrays_are_the_shared_singleton)
{
    lpc_array_t *e = lpc_array_empty();
    uint32_t base = e->ref;
    lpc_array_t *one = lpc_array_new(1);
    lpc_array_t *got[] = {
        lpc_array_new(0), lpc_array_alloc(0), lpc_array_concat(e, e),
        lpc_array_slice(one, 1, 0), lpc_array_subtract(one, one),
        lpc_array_intersect(one, e), lpc_array_subtract(e, one),
    };
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
        ck_assert_ptr_eq(got[i], e);
    ck_assert_uint_eq(e->ref, base + sizeof got / sizeof got[0]);
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
        lpc_array_decref(got[i]);
    ck_assert_uint_eq(e->ref, base);
    lpc_array_decref(one);
    lpc_array_decref(e);
}
END_TEST

START_TEST(test_array_concat_is_a_new_array_with_new_references)
{
    lpc_value_t s = vstr("shared");
    lpc_value_t items[] = { lpc_int(1), s };
    lpc_value_incref(&s);
    lpc_value_t a = varr(2, items);
    lpc_array_t *e = lpc_array_empty();
    lpc_array_t *c = lpc_array_concat(a.u.a, a.u.a);
    ck_assert_uint_eq(c->size, 4);
    ck_assert_int_eq(c->items[2].u.i, 1);
    ck_assert_ptr_eq(c->items[3].u.s, s.u.s);
    ck_assert_uint_eq(s.u.s->ref, 4);     /* ours, a's, c's two */
    lpc_array_t *c2 = lpc_array_concat(a.u.a, e);
    ck_assert_ptr_ne(c2, a.u.a);          /* never the (mutable) operand */
    ck_assert_uint_eq(c2->size, 2);
    lpc_array_decref(c);
    lpc_array_decref(c2);
    lpc_array_decref(e);
    lpc_value_release(&a);
    ck_assert_uint_eq(s.u.s->ref, 1);
    lpc_value_release(&s);
}
END_TEST

START_TEST(test_array_slice_follows_lpc_clamping_rules)
{
    lpc_array_t *a = lpc_array_new(5);
    for (int i = 0; i < 5; i++)
        a->items[i] = lpc_int(10 + i);
    static const struct { int64_t from, to; int first, n; } cases[] = {
        { 0, 4, 10, 5 }, { 1, 3, 11, 3 }, { -7, 1, 10, 2 }, { 3, 99, 13, 2 },
        { 2, 2, 12, 1 }, { 3, 2, 0, 0 }, { 5, 9, 0, 0 }, { -3, -1, 0, 0 },
        { INT64_MIN, INT64_MAX, 10, 5 }, { 4, 4, 14, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lpc_array_t *r = lpc_array_slice(a, cases[i].from, cases[i].to);
        ck_assert_msg(r->size == (uint32_t)cases[i].n, "case %zu: size %u", i, r->size);
        for (int j = 0; j < cases[i].n; j++)
            ck_assert_int_eq(r->items[j].u.i, cases[i].first + j);
        if (cases[i].n == 5)
            ck_assert_ptr_ne(r, a);       /* full range still copies */
        lpc_array_decref(r);
    }
    lpc_array_t *e = lpc_array_empty();
    lpc_array_t *r = lpc_array_slice(e, 0, 0);
    ck_assert_uint_eq(r->size, 0);
    lpc_array_decref(r);
    lpc_array_decref(e);
    lpc_array_decref(a);
}
END_TEST

/* Reference versions of - and & by the documented definitions. */
static bool naive_in(const lpc_array_t *b, const lpc_value_t *v)
{
    for (uint32_t i = 0; i < b->size; i++)
        if (lpc_value_equal(&b->items[i], v))
            return true;
    return false;
}

static void expect_subtract(const lpc_array_t *a, const lpc_array_t *b)
{
    lpc_array_t *r = lpc_array_subtract(a, b);
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->size; i++) {
        if (naive_in(b, &a->items[i]))
            continue;
        REQUIRE(n < r->size);
        REQUIRE(r->items[n].type == a->items[i].type);
        REQUIRE(lpc_value_equal(&r->items[n], &a->items[i]));
        n++;
    }
    REQUIRE(n == r->size);
    lpc_array_decref(r);
}

static void expect_intersect(const lpc_array_t *a, const lpc_array_t *b)
{
    lpc_array_t *r = lpc_array_intersect(a, b);
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->size; i++) {
        if (!naive_in(b, &a->items[i]))
            continue;
        bool dup = false;
        for (uint32_t j = 0; j < i && !dup; j++)
            dup = lpc_value_equal(&a->items[j], &a->items[i]);
        if (dup)
            continue;
        REQUIRE(n < r->size);
        REQUIRE(lpc_value_equal(&r->items[n], &a->items[i]));
        n++;
    }
    REQUIRE(n == r->size);
    lpc_array_decref(r);
}

START_TEST(test_array_subtract_keeps_order_and_duplicates_of_a)
{
    lpc_value_t shared = varr(0, NULL);
    lpc_value_t other = lpc_value_array(lpc_array_new(1));
    lpc_value_t ai[] = {
        lpc_int(1), lpc_float(1.0), vstr("x"), lpc_int(2), lpc_int(1),
        vstr("y"), shared, other, lpc_float(-0.0), vstr("x"),
    };
    for (size_t i = 0; i < sizeof ai / sizeof ai[0]; i++)
        lpc_value_incref(&ai[i]);
    lpc_value_t a = varr(sizeof ai / sizeof ai[0], ai);
    lpc_value_t bi[] = { lpc_int(1), vstr("x"), lpc_float(0.0), lpc_value_array(lpc_array_new(0)) };
    lpc_value_t b = varr(4, bi);
    lpc_array_t *r = lpc_array_subtract(a.u.a, b.u.a);
    /* 1 removed (both), 1.0 kept (not an int), "x" by content, -0.0 == 0.0,
     * other kept (identity, b's ({}) is the same singleton as shared) */
    ck_assert_uint_eq(r->size, 4);
    ck_assert_int_eq(r->items[0].type, LPC_T_FLOAT);
    ck_assert_int_eq(r->items[1].u.i, 2);
    ck_assert_str_eq(r->items[2].u.s->data, "y");
    ck_assert_ptr_eq(r->items[3].u.a, other.u.a);
    lpc_array_decref(r);
    expect_subtract(a.u.a, b.u.a);
    expect_subtract(b.u.a, a.u.a);
    expect_intersect(a.u.a, b.u.a);
    expect_intersect(b.u.a, a.u.a);
    lpc_value_release(&a);
    lpc_value_release(&b);
    for (size_t i = 0; i < sizeof ai / sizeof ai[0]; i++)
        lpc_value_release(&ai[i]);
}
END_TEST

START_TEST(test_array_intersect_gives_distinct_elements_of_a_in_order)
{
    lpc_value_t ai[] = { lpc_int(3), lpc_int(1), lpc_int(2), lpc_int(1), lpc_int(3), lpc_int(4) };
    lpc_value_t bi[] = { lpc_int(1), lpc_int(1), lpc_int(3), lpc_int(9) };
    lpc_value_t a = varr(6, ai), b = varr(4, bi);
    lpc_array_t *r = lpc_array_intersect(a.u.a, b.u.a);
    ck_assert_uint_eq(r->size, 2);
    ck_assert_int_eq(r->items[0].u.i, 3);
    ck_assert_int_eq(r->items[1].u.i, 1);
    lpc_array_decref(r);
    lpc_array_t *e = lpc_array_empty();
    r = lpc_array_intersect(e, b.u.a);
    ck_assert_uint_eq(r->size, 0);
    lpc_array_decref(r);
    r = lpc_array_subtract(a.u.a, e);
    ck_assert_uint_eq(r->size, 6);
    ck_assert_ptr_ne(r, a.u.a);
    lpc_array_decref(r);
    lpc_array_decref(e);
    lpc_value_release(&a);
    lpc_value_release(&b);
}
END_TEST

/* A value drawn from a small mixed pool, so duplicates are frequent. */
static lpc_value_t random_pool_value(const lpc_value_t *pool, size_t n)
{
    lpc_value_t v = pool[rng() % n];
    lpc_value_incref(&v);
    return v;
}

START_TEST(test_array_subtract_and_intersect_of_large_mixed_arrays_match_definition)
{
    lpc_value_t pool[60];
    for (int i = 0; i < 20; i++) {
        pool[i] = lpc_int(i);
        pool[20 + i] = (i % 2) ? lpc_float(i) : vfmt("s", i);
        pool[40 + i] = (i % 3) ? lpc_value_array(lpc_array_new(1))
                               : lpc_value_object(object_new());
    }
    for (int round = 0; round < 20; round++) {
        size_t na = 1 + rng() % 400, nb = 1 + rng() % 400;
        if (round < 4) {            /* also the linear-scan path */
            na = 1 + rng() % 16;
            nb = 1 + rng() % 16;
        }
        lpc_array_t *a = lpc_array_alloc(na), *b = lpc_array_alloc(nb);
        size_t span = 5 + rng() % 55;
        for (size_t i = 0; i < na; i++)
            a->items[i] = random_pool_value(pool, span);
        for (size_t i = 0; i < nb; i++)
            b->items[i] = random_pool_value(pool, span);
        expect_subtract(a, b);
        expect_subtract(b, a);
        expect_intersect(a, b);
        expect_intersect(b, a);
        lpc_array_decref(a);
        lpc_array_decref(b);
    }
    for (int i = 0; i < 60; i++)
        lpc_value_release(&pool[i]);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_array_find_uses_key_equality)
{
    lpc_object_t *o = object_new();
    lpc_value_t items[] = {
        lpc_float(1.0), lpc_int(1), vstr("abc"), lpc_float(NAN),
        lpc_float(-0.0), lpc_value_object(o),
    };
    lpc_value_t a = varr(6, items);
    lpc_value_t probe_s = vstr("abc");
    lpc_value_t probe_o = lpc_value_object(o);
    ck_assert_int_eq(lpc_array_find(a.u.a, &(lpc_value_t){ 0 }), -1);
    ck_assert_int_eq(lpc_array_find(a.u.a, &items[1]), 1);
    lpc_value_t i1 = lpc_int(1), f1 = lpc_float(1.0), fz = lpc_float(0.0), fn = lpc_float(-NAN);
    ck_assert_int_eq(lpc_array_find(a.u.a, &i1), 1);
    ck_assert_int_eq(lpc_array_find(a.u.a, &f1), 0);
    ck_assert_int_eq(lpc_array_find(a.u.a, &probe_s), 2);
    ck_assert_int_eq(lpc_array_find(a.u.a, &fn), 3);
    ck_assert_int_eq(lpc_array_find(a.u.a, &fz), 4);
    ck_assert_int_eq(lpc_array_find(a.u.a, &probe_o), 5);
    lpc_value_t u = lpc_undefined();
    ck_assert_int_eq(lpc_array_find(a.u.a, &u), -1);
    lpc_value_release(&probe_s);
    lpc_value_release(&a);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_freeing_million_deep_nested_arrays_does_not_overflow_the_stack)
{
    lpc_array_t *inner = lpc_array_new(1);
    inner->items[0] = vstr("leaf");
    for (int i = 0; i < 1000000; i++) {
        lpc_array_t *outer = lpc_array_new(1);
        outer->items[0] = lpc_value_array(inner);
        inner = outer;
    }
    lpc_array_decref(inner);
}
END_TEST

START_TEST(test_freeing_deep_mixed_chain_with_side_branches_frees_everything)
{
    /* array -> mapping -> array -> ..., each level also holding an object
     * and a side array, so the free queue holds several entries at once. */
    lpc_value_t top = lpc_value_object(object_new());
    for (int i = 0; i < 300000; i++) {
        lpc_value_t side = lpc_value_array(lpc_array_new(2));
        side.u.a->items[0] = lpc_value_funcptr(funcptr_new());
        if (i % 2) {
            lpc_array_t *a = lpc_array_new(3);
            a->items[0] = top;
            a->items[1] = side;
            a->items[2] = lpc_value_object(object_new());
            top = lpc_value_array(a);
        } else {
            lpc_mapping_t *m = lpc_mapping_new(0);
            lpc_value_t k1 = lpc_int(1), k2 = vstr("side");
            lpc_mapping_set(m, &k1, &top);
            lpc_mapping_set(m, &side, &k2);   /* an array as a key */
            lpc_value_release(&top);
            lpc_value_release(&side);
            lpc_value_release(&k2);
            top = lpc_value_mapping(m);
        }
    }
    ck_assert_int_gt(live_objects, 1000);
    lpc_value_release(&top);
    check_no_live_doubles();
}
END_TEST

/* ----------------------------------------------------------- mappings */

START_TEST(test_mapping_insert_find_and_overwrite)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t k = vstr("k"), v1 = vstr("one"), v2 = lpc_int(2);
    ck_assert_ptr_null(lpc_mapping_find(m, &k));
    ck_assert(!lpc_mapping_delete(m, &k));
    lpc_mapping_set(m, &k, &v1);
    ck_assert_uint_eq(lpc_mapping_size(m), 1);
    lpc_value_t k2 = vstr("k");                 /* a different string object */
    lpc_value_t *got = lpc_mapping_find(m, &k2);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_eq(got->u.s, v1.u.s);
    ck_assert_uint_eq(v1.u.s->ref, 2);
    lpc_mapping_set(m, &k2, &v2);
    ck_assert_uint_eq(lpc_mapping_size(m), 1);
    ck_assert_int_eq(lpc_mapping_find(m, &k)->u.i, 2);
    ck_assert_uint_eq(v1.u.s->ref, 1);
    ck_assert_uint_eq(k.u.s->ref, 2);           /* the first key object stays */
    ck_assert_uint_eq(k2.u.s->ref, 1);
    lpc_value_t *slot = lpc_mapping_insert(m, &k);
    ck_assert_int_eq(slot->u.i, 2);
    lpc_value_t nk = lpc_int(7);
    slot = lpc_mapping_insert(m, &nk);
    ck_assert_int_eq(slot->type, LPC_T_INT);
    ck_assert_int_eq(slot->u.i, 0);
    ck_assert_int_eq(slot->flags, 0);
    slot->u.i += 5;                             /* m[k] += 5 */
    ck_assert_int_eq(lpc_mapping_find(m, &nk)->u.i, 5);
    ck_assert_uint_eq(lpc_mapping_size(m), 2);
    lpc_mapping_decref(m);
    ck_assert_uint_eq(k.u.s->ref, 1);
    lpc_value_release(&k);
    lpc_value_release(&k2);
    lpc_value_release(&v1);
}
END_TEST

START_TEST(test_mapping_keys_follow_key_equality_rules)
{
    lpc_mapping_t *m = lpc_mapping_new(4);
    lpc_object_t *o = object_new();
    lpc_value_t arr1 = lpc_value_array(lpc_array_new(1));
    lpc_value_t arr2 = lpc_value_array(lpc_array_new(1));
    lpc_value_t keys[] = {
        lpc_int(1), lpc_float(1.0), lpc_float(0.0), lpc_float(NAN), arr1, arr2,
        lpc_value_object(o), vstrn("a\0b", 3), vstrn("a\0c", 3), lpc_int(0),
    };
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < n; i++) {
        lpc_value_t v = lpc_int((int64_t)i + 100);
        lpc_mapping_set(m, &keys[i], &v);
    }
    ck_assert_uint_eq(lpc_mapping_size(m), n);
    lpc_value_t probe;
    probe = lpc_float(-0.0);
    ck_assert_int_eq(lpc_mapping_find(m, &probe)->u.i, 102);
    probe = lpc_float(-NAN);
    ck_assert_int_eq(lpc_mapping_find(m, &probe)->u.i, 103);
    probe = lpc_undefined();                    /* undefined 0 is the key 0 */
    ck_assert_int_eq(lpc_mapping_find(m, &probe)->u.i, 109);
    probe = lpc_float(2.0);
    ck_assert_ptr_null(lpc_mapping_find(m, &probe));
    lpc_value_t other = lpc_value_array(lpc_array_new(1));
    ck_assert_ptr_null(lpc_mapping_find(m, &other));
    ck_assert_int_eq(lpc_mapping_find(m, &arr2)->u.i, 105);
    /* a destructed object key is still found by identity */
    o->destructed = true;
    probe = lpc_value_object(o);
    ck_assert_int_eq(lpc_mapping_find(m, &probe)->u.i, 106);
    probe = vstrn("a\0c", 3);
    ck_assert_int_eq(lpc_mapping_find(m, &probe)->u.i, 108);
    lpc_value_release(&probe);
    ck_assert(lpc_mapping_delete(m, &keys[6]));
    lpc_value_release(&other);
    for (size_t i = 0; i < n; i++)
        lpc_value_release(&keys[i]);
    ck_assert_int_eq(live_objects, 0);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_insert_strips_the_undefined_flag_from_int_keys)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t u = lpc_undefined();
    lpc_mapping_insert(m, &u);
    size_t cur = 0;
    const lpc_value_t *k;
    lpc_value_t *v;
    ck_assert(lpc_mapping_next(m, &cur, &k, &v));
    ck_assert_int_eq(k->type, LPC_T_INT);
    ck_assert_int_eq(k->flags, 0);
    lpc_mapping_decref(m);
}
END_TEST

/* The keys of m in iteration order must be exactly want[0..n). */
static void expect_int_order(const lpc_mapping_t *m, const int64_t *want, size_t n)
{
    size_t cur = 0, i = 0;
    const lpc_value_t *k;
    lpc_value_t *v;
    while (lpc_mapping_next(m, &cur, &k, &v)) {
        REQUIRE(i < n);
        REQUIRE(k->type == LPC_T_INT && k->u.i == want[i]);
        REQUIRE(v->type == LPC_T_INT && v->u.i == want[i] * 10);
        i++;
    }
    REQUIRE(i == n);
    REQUIRE(lpc_mapping_size(m) == n);
}

static void set_int(lpc_mapping_t *m, int64_t k, int64_t v)
{
    lpc_value_t kv = lpc_int(k), vv = lpc_int(v);
    lpc_mapping_set(m, &kv, &vv);
}

static bool del_int(lpc_mapping_t *m, int64_t k)
{
    lpc_value_t kv = lpc_int(k);
    return lpc_mapping_delete(m, &kv);
}

START_TEST(test_mapping_iterates_in_insertion_order_skipping_deleted)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    int64_t order[] = { 50, 3, 99, -7, 0, 12, 8 };
    for (size_t i = 0; i < 7; i++)
        set_int(m, order[i], order[i] * 10);
    expect_int_order(m, order, 7);
    set_int(m, 99, 990);                        /* overwrite keeps position */
    expect_int_order(m, order, 7);
    ck_assert(del_int(m, 99));
    ck_assert(!del_int(m, 99));
    ck_assert(del_int(m, 50));
    int64_t after[] = { 3, -7, 0, 12, 8 };
    expect_int_order(m, after, 5);
    set_int(m, 99, 990);                        /* re-added: goes last */
    int64_t readded[] = { 3, -7, 0, 12, 8, 99 };
    expect_int_order(m, readded, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert(del_int(m, readded[i]));
    expect_int_order(m, NULL, 0);
    set_int(m, 5, 50);
    int64_t five[] = { 5 };
    expect_int_order(m, five, 1);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_tombstones_are_squeezed_out_and_order_survives)
{
    /* Delete the odd keys 3, 5, 7, ... while inserting 0..N-1, which
     * forces rebuilds that must compact tombstones without reordering the
     * survivors. */
    lpc_mapping_t *m = lpc_mapping_new(0);
    enum { N = 5000 };
    const int64_t last_deleted = 2 * ((N - 1) / 3) + 1;
    int64_t *want = malloc(N * sizeof *want);
    ck_assert_ptr_nonnull(want);
    size_t n = 0;
    for (int64_t i = 0; i < N; i++) {
        set_int(m, i, i * 10);
        if (i > 0 && i % 3 == 0)
            REQUIRE(del_int(m, 2 * (i / 3) + 1));
    }
    for (int64_t i = 0; i < N; i++)
        if (!(i % 2 == 1 && i >= 3 && i <= last_deleted))
            want[n++] = i;
    expect_int_order(m, want, n);
    lpc_value_t probe = lpc_int(3);
    ck_assert_ptr_null(lpc_mapping_find(m, &probe));
    probe = lpc_int(1);
    ck_assert_ptr_nonnull(lpc_mapping_find(m, &probe));
    free(want);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_insert_delete_churn_keeps_a_small_live_set)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    for (int64_t i = 0; i < 1000000; i++) {
        set_int(m, i, i * 10);
        if (i >= 10)
            REQUIRE(del_int(m, i - 10));
    }
    int64_t want[10];
    for (int i = 0; i < 10; i++)
        want[i] = 1000000 - 10 + i;
    expect_int_order(m, want, 10);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_with_100k_string_and_int_keys_survives_rehash)
{
    enum { N = 100000 };
    lpc_mapping_t *m = lpc_mapping_new(0);
    for (long i = 0; i < N; i++) {
        lpc_value_t k = vfmt("key", i), v = lpc_int(i);
        lpc_mapping_set(m, &k, &v);
        lpc_value_release(&k);
        lpc_value_t ik = lpc_int(i * 7919), iv = lpc_int(-i);
        lpc_mapping_set(m, &ik, &iv);
    }
    ck_assert_uint_eq(lpc_mapping_size(m), 2 * N);
    for (long i = 0; i < N; i++) {
        lpc_value_t k = vfmt("key", i);
        lpc_value_t *v = lpc_mapping_find(m, &k);
        REQUIRE(v != NULL && v->u.i == i);
        lpc_value_release(&k);
        lpc_value_t ik = lpc_int(i * 7919);
        v = lpc_mapping_find(m, &ik);
        REQUIRE(v != NULL && v->u.i == -i);
    }
    for (long i = 0; i < N; i += 2) {
        lpc_value_t k = vfmt("key", i);
        REQUIRE(lpc_mapping_delete(m, &k));
        lpc_value_release(&k);
    }
    ck_assert_uint_eq(lpc_mapping_size(m), 2 * N - N / 2);
    for (long i = N; i < N + 1000; i++) {       /* more inserts: rebuild */
        lpc_value_t k = vfmt("key", i), v = lpc_int(i);
        lpc_mapping_set(m, &k, &v);
        lpc_value_release(&k);
    }
    for (long i = 0; i < N + 1000; i++) {
        lpc_value_t k = vfmt("key", i);
        lpc_value_t *v = lpc_mapping_find(m, &k);
        if (i % 2 == 0 && i < N)
            REQUIRE(v == NULL);
        else
            REQUIRE(v != NULL && v->u.i == i);
        lpc_value_release(&k);
    }
    /* iteration: odd string keys interleaved with int keys, then the new */
    size_t cur = 0, seen = 0;
    long expect_str = 1, expect_int = 0;
    const lpc_value_t *k;
    lpc_value_t *v;
    while (lpc_mapping_next(m, &cur, &k, &v)) {
        if (k->type == LPC_T_INT) {
            REQUIRE(k->u.i == expect_int * 7919);
            expect_int++;
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "key%ld", expect_str);
            REQUIRE(strcmp(k->u.s->data, buf) == 0);
            expect_str = expect_str < N - 1 ? expect_str + 2   /* odd survivors */
                       : expect_str == N - 1 ? N                  /* then the new */
                       : expect_str + 1;
        }
        seen++;
    }
    ck_assert_uint_eq(seen, lpc_mapping_size(m));
    ck_assert_int_eq(expect_int, N);
    ck_assert_int_eq(expect_str, N + 1000);
    lpc_mapping_decref(m);
}
END_TEST

/* Keys that agree in their low bits (multiples of 2^12, 2^32) must still
 * spread over the index: with an identity hash this would be quadratic
 * and time out. */
START_TEST(test_mapping_int_keys_sharing_low_bits_stay_fast)
{
    enum { N = 100000 };
    lpc_mapping_t *m = lpc_mapping_new(0);
    for (int64_t i = 0; i < N; i++) {
        set_int(m, i << 12, 1);
        set_int(m, i << 32, 2);
    }
    ck_assert_uint_eq(lpc_mapping_size(m), 2 * N - 1);  /* 0 is in both */
    for (int64_t i = 1; i < N; i++) {
        lpc_value_t k = lpc_int(i << 12), k2 = lpc_int(i << 32);
        REQUIRE(lpc_mapping_find(m, &k)->u.i == 1);
        REQUIRE(lpc_mapping_find(m, &k2)->u.i == 2);
    }
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_keys_and_values_line_up)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    for (int64_t i = 0; i < 1000; i++)
        set_int(m, (i * 37) % 1000, i);
    for (int64_t i = 0; i < 1000; i += 3)
        del_int(m, i);
    lpc_array_t *ks = lpc_mapping_keys(m), *vs = lpc_mapping_values(m);
    ck_assert_uint_eq(ks->size, lpc_mapping_size(m));
    ck_assert_uint_eq(vs->size, lpc_mapping_size(m));
    for (uint32_t i = 0; i < ks->size; i++) {
        lpc_value_t *v = lpc_mapping_find(m, &ks->items[i]);
        REQUIRE(v != NULL && lpc_value_equal(v, &vs->items[i]));
        REQUIRE(ks->items[i].u.i % 3 != 0);
    }
    lpc_array_decref(ks);
    lpc_array_decref(vs);
    lpc_mapping_t *e = lpc_mapping_new(0);
    ks = lpc_mapping_keys(e);
    ck_assert_uint_eq(ks->size, 0);
    lpc_array_decref(ks);
    lpc_mapping_decref(e);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_union_overrides_with_b_and_keeps_a_order)
{
    lpc_mapping_t *a = lpc_mapping_new(0), *b = lpc_mapping_new(0);
    set_int(a, 1, 10);
    set_int(a, 2, 999);
    set_int(a, 3, 30);
    set_int(a, 9, 999);
    del_int(a, 9);
    set_int(b, 4, 40);
    set_int(b, 2, 20);
    set_int(b, 5, 50);
    lpc_mapping_t *u = lpc_mapping_union(a, b);
    int64_t want[] = { 1, 2, 3, 4, 5 };
    expect_int_order(u, want, 5);
    ck_assert_int_eq(lpc_mapping_find(a, &(lpc_value_t){ .type = LPC_T_INT, .u.i = 2 })->u.i, 999);
    lpc_mapping_t *e = lpc_mapping_new(0);
    lpc_mapping_t *u2 = lpc_mapping_union(e, b);
    int64_t wantb[] = { 4, 2, 5 };
    expect_int_order(u2, wantb, 3);
    lpc_mapping_t *u3 = lpc_mapping_union(b, b);
    expect_int_order(u3, wantb, 3);
    lpc_mapping_t *u4 = lpc_mapping_union(b, e);
    expect_int_order(u4, wantb, 3);
    ck_assert_ptr_ne(u4, b);
    lpc_mapping_decref(u);
    lpc_mapping_decref(u2);
    lpc_mapping_decref(u3);
    lpc_mapping_decref(u4);
    lpc_mapping_decref(e);
    lpc_mapping_decref(a);
    lpc_mapping_decref(b);
}
END_TEST

START_TEST(test_mapping_union_of_large_mappings_is_complete)
{
    lpc_mapping_t *a = lpc_mapping_new(0), *b = lpc_mapping_new(0);
    for (int64_t i = 0; i < 20000; i++)
        set_int(a, i, i * 10);
    for (int64_t i = 10000; i < 30000; i++)
        set_int(b, i, i * 10);
    lpc_mapping_t *u = lpc_mapping_union(a, b);
    int64_t *want = malloc(30000 * sizeof *want);
    ck_assert_ptr_nonnull(want);
    for (int64_t i = 0; i < 30000; i++)
        want[i] = i;
    expect_int_order(u, want, 30000);
    free(want);
    lpc_mapping_decref(u);
    lpc_mapping_decref(a);
    lpc_mapping_decref(b);
}
END_TEST

START_TEST(test_mapping_copy_is_independent_of_the_original)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t s = vstr("val");
    for (int64_t i = 0; i < 100; i++) {
        lpc_value_t k = lpc_int(i);
        lpc_mapping_set(m, &k, &s);
    }
    del_int(m, 5);                              /* copy with a tombstone */
    ck_assert_uint_eq(s.u.s->ref, 100);
    lpc_mapping_t *c = lpc_mapping_copy(m);
    ck_assert_uint_eq(s.u.s->ref, 199);
    ck_assert_uint_eq(lpc_mapping_size(c), 99);
    set_int(c, 1, 10);
    del_int(c, 2);
    set_int(c, 500, 5000);
    lpc_value_t k = lpc_int(1);
    ck_assert_int_eq(lpc_mapping_find(m, &k)->type, LPC_T_STRING);
    k = lpc_int(2);
    ck_assert_ptr_nonnull(lpc_mapping_find(m, &k));
    k = lpc_int(500);
    ck_assert_ptr_null(lpc_mapping_find(m, &k));
    ck_assert_uint_eq(lpc_mapping_size(m), 99);
    lpc_mapping_decref(m);
    ck_assert_uint_eq(s.u.s->ref, 1 + 97);
    k = lpc_int(3);
    ck_assert_ptr_eq(lpc_mapping_find(c, &k)->u.s, s.u.s);
    lpc_mapping_decref(c);
    ck_assert_uint_eq(s.u.s->ref, 1);
    lpc_value_release(&s);
    lpc_mapping_t *e = lpc_mapping_new(10);
    lpc_mapping_t *ec = lpc_mapping_copy(e);
    ck_assert_uint_eq(lpc_mapping_size(ec), 0);
    set_int(ec, 1, 10);
    ck_assert_uint_eq(lpc_mapping_size(e), 0);
    lpc_mapping_decref(e);
    lpc_mapping_decref(ec);
}
END_TEST

START_TEST(test_mapping_set_with_key_and_value_from_the_same_mapping_survives_growth)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t k0 = vstr("first"), v0 = vstr("payload");
    lpc_mapping_set(m, &k0, &v0);
    lpc_value_release(&k0);
    lpc_value_release(&v0);
    for (int i = 0; i < 2000; i++) {
        /* m[ "copy" + i ] = m[first]: value points into m, and the insert
         * of a new key may rebuild m's table first */
        lpc_value_t probe = vstr("first");
        lpc_value_t *src = lpc_mapping_find(m, &probe);
        lpc_value_t nk = vfmt("copy", i);
        lpc_mapping_set(m, &nk, src);
        lpc_value_release(&nk);
        lpc_value_release(&probe);
    }
    /* keys taken from the mapping itself while it grows: m[k] for each
     * existing k, under a new int key derived from its position */
    size_t cur = 0;
    const lpc_value_t *k;
    lpc_value_t *v;
    ck_assert(lpc_mapping_next(m, &cur, &k, &v));
    lpc_value_t *slot = lpc_mapping_insert(m, k);   /* existing key */
    ck_assert_str_eq(slot->u.s->data, "payload");
    lpc_value_t fk = vstr("first");
    lpc_value_t *first = lpc_mapping_find(m, &fk);
    ck_assert_uint_eq(first->u.s->ref, 2001);
    lpc_value_release(&fk);
    ck_assert_uint_eq(lpc_mapping_size(m), 2001);
    lpc_mapping_decref(m);
}
END_TEST

START_TEST(test_mapping_insert_with_key_pointing_into_the_mapping_during_rebuild)
{
    /* The key argument is a value stored in m (a value, not a key, so it
     * is new as a key); the insert must copy it before the rebuild. */
    for (int n = 1; n < 40; n++) {
        lpc_mapping_t *m = lpc_mapping_new(0);
        for (int i = 0; i < n; i++) {
            lpc_value_t k = lpc_int(i), v = vfmt("v", i);
            lpc_mapping_set(m, &k, &v);
            lpc_value_release(&v);
        }
        lpc_value_t k0 = lpc_int(0);
        lpc_value_t *key_in_m = lpc_mapping_find(m, &k0);
        lpc_value_t *slot = lpc_mapping_insert(m, key_in_m);
        slot->u.i = 77;
        lpc_value_t probe = vstr("v0");
        lpc_value_t *got = lpc_mapping_find(m, &probe);
        REQUIRE(got != NULL && got->type == LPC_T_INT && got->u.i == 77);
        REQUIRE(lpc_mapping_size(m) == (size_t)n + 1);
        lpc_value_release(&probe);
        lpc_mapping_decref(m);
    }
}
END_TEST

START_TEST(test_mapping_free_releases_every_key_and_value)
{
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t s = vstr("s");
    for (int i = 0; i < 50; i++) {
        lpc_value_t ko = lpc_value_object(object_new());
        lpc_value_t vf = lpc_value_funcptr(funcptr_new());
        lpc_mapping_set(m, &ko, &vf);
        lpc_mapping_set(m, &vf, &s);            /* function pointer keys too */
        lpc_value_release(&ko);
        lpc_value_release(&vf);
    }
    ck_assert_int_eq(live_objects, 50);
    ck_assert_int_eq(live_funcptrs, 50);
    lpc_value_t mv = lpc_value_mapping(m);
    lpc_value_t copy;
    copy = lpc_int(0);
    lpc_value_assign(&copy, &mv);
    lpc_value_release(&mv);
    ck_assert_int_eq(live_objects, 50);
    lpc_value_release(&copy);
    check_no_live_doubles();
    ck_assert_uint_eq(s.u.s->ref, 1);
    lpc_value_release(&s);
}
END_TEST

/* ------------------------------------------------------------- values */

/* A varied set of values (each owned by the caller): numbers at the
 * edges, strings with NULs, and heap values of every type. */
static size_t sample_values(lpc_value_t *out, lpc_object_t *o, lpc_funcptr_t *f,
                            lpc_array_t *a, lpc_mapping_t *m)
{
    size_t n = 0;
    int64_t ints[] = { 0, 1, -1, 2, 3, INT64_MAX, INT64_MIN, (INT64_C(1) << 53) + 1,
                       INT64_C(1) << 53, INT64_MAX - 1 };
    double floats[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 2.5, -2.5, 1e300, -1e300, INFINITY,
                        -INFINITY, NAN, 9007199254740992.0, 9223372036854775808.0,
                        -9223372036854775808.0, 3.0, 1e-300 };
    const char *strs[] = { "", "a", "ab", "b", "\xff", "a\0", "A" };
    size_t slens[] = { 0, 1, 2, 1, 1, 2, 1 };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        out[n++] = lpc_int(ints[i]);
    out[n++] = lpc_undefined();
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)
        out[n++] = lpc_float(floats[i]);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        out[n++] = vstrn(strs[i], slens[i]);
    out[n++] = vstr("ab");                      /* equal content, other object */
    lpc_object_incref(o);
    out[n++] = lpc_value_object(o);
    lpc_funcptr_incref(f);
    out[n++] = lpc_value_funcptr(f);
    lpc_array_incref(a);
    out[n++] = lpc_value_array(a);
    out[n++] = lpc_value_array(lpc_array_new(2));
    lpc_mapping_incref(m);
    out[n++] = lpc_value_mapping(m);
    out[n++] = lpc_value_mapping(lpc_mapping_new(0));
    out[n++] = lpc_value_array(lpc_array_empty());
    return n;
}

START_TEST(test_value_equal_values_hash_the_same_across_types)
{
    lpc_object_t *o = object_new();
    lpc_funcptr_t *f = funcptr_new();
    lpc_array_t *a = lpc_array_new(1);
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t v1[64], v2[64];
    size_t n = sample_values(v1, o, f, a, m);
    size_t n2 = sample_values(v2, o, f, a, m);
    ck_assert_uint_eq(n, n2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_ne(lpc_value_hash(&v1[i]), 0);
        for (size_t j = 0; j < n; j++) {
            if (lpc_value_equal(&v1[i], &v2[j])) {
                ck_assert_msg(lpc_value_hash(&v1[i]) == lpc_value_hash(&v2[j]),
                              "equal values %zu and %zu hash differently", i, j);
                ck_assert(lpc_value_equal(&v2[j], &v1[i]));
            }
        }
    }
    /* specific pairs */
    lpc_value_t i1 = lpc_int(1), f1 = lpc_float(1.0), z = lpc_float(0.0), nz = lpc_float(-0.0);
    lpc_value_t n1 = lpc_float(NAN), n2v = lpc_float(-NAN), u = lpc_undefined(), i0 = lpc_int(0);
    ck_assert(!lpc_value_equal(&i1, &f1));
    ck_assert(lpc_value_equal(&z, &nz));
    ck_assert_uint_eq(lpc_value_hash(&z), lpc_value_hash(&nz));
    ck_assert(lpc_value_equal(&n1, &n2v));
    ck_assert_uint_eq(lpc_value_hash(&n1), lpc_value_hash(&n2v));
    ck_assert(lpc_value_equal(&u, &i0));
    ck_assert_uint_eq(lpc_value_hash(&u), lpc_value_hash(&i0));
    lpc_value_t sa = vstr("same"), sb = vstr("same");
    ck_assert(lpc_value_equal(&sa, &sb));
    ck_assert_uint_eq(lpc_value_hash(&sa), lpc_string_hash(sb.u.s));
    lpc_value_release(&sa);
    lpc_value_release(&sb);
    for (size_t i = 0; i < n; i++) {
        lpc_value_release(&v1[i]);
        lpc_value_release(&v2[i]);
    }
    lpc_object_decref(o);
    lpc_funcptr_decref(f);
    lpc_array_decref(a);
    lpc_mapping_decref(m);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_value_compare_is_a_total_order_consistent_with_equality)
{
    lpc_object_t *o = object_new();
    lpc_funcptr_t *f = funcptr_new();
    lpc_array_t *a = lpc_array_new(1);
    lpc_mapping_t *m = lpc_mapping_new(0);
    lpc_value_t v[64];
    size_t n = sample_values(v, o, f, a, m);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = lpc_value_compare(&v[i], &v[j]);
            int d = lpc_value_compare(&v[j], &v[i]);
            REQUIRE((c > 0) == (d < 0) && (c == 0) == (d == 0));
            REQUIRE((c == 0) == lpc_value_equal(&v[i], &v[j]));
            for (size_t k = 0; k < n; k++) {
                int e = lpc_value_compare(&v[j], &v[k]);
                if (c <= 0 && e <= 0)
                    REQUIRE(lpc_value_compare(&v[i], &v[k]) <= 0);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        lpc_value_release(&v[i]);
    lpc_object_decref(o);
    lpc_funcptr_decref(f);
    lpc_array_decref(a);
    lpc_mapping_decref(m);
    check_no_live_doubles();
}
END_TEST

static int cmp(lpc_value_t a, lpc_value_t b)
{
    return lpc_value_compare(&a, &b);
}

START_TEST(test_value_compare_orders_numbers_exactly_then_by_class)
{
    ck_assert_int_lt(cmp(lpc_int(1), lpc_float(1.5)), 0);
    ck_assert_int_gt(cmp(lpc_int(2), lpc_float(1.5)), 0);
    ck_assert_int_lt(cmp(lpc_int(-2), lpc_float(-1.5)), 0);
    ck_assert_int_gt(cmp(lpc_int(-1), lpc_float(-1.5)), 0);
    ck_assert_int_lt(cmp(lpc_int(1), lpc_float(1.0)), 0);   /* int first on a tie */
    ck_assert_int_gt(cmp(lpc_float(1.0), lpc_int(1)), 0);
    /* 2^53 + 1 is not a double: the int must still sort above 2^53 */
    ck_assert_int_gt(cmp(lpc_int((INT64_C(1) << 53) + 1), lpc_float(9007199254740992.0)), 0);
    ck_assert_int_lt(cmp(lpc_int(INT64_MAX), lpc_float(9223372036854775808.0)), 0);
    ck_assert_int_lt(cmp(lpc_int(INT64_MIN), lpc_float(-9223372036854775808.0)), 0);
    ck_assert_int_gt(cmp(lpc_int(INT64_MIN), lpc_float(-1e300)), 0);
    ck_assert_int_lt(cmp(lpc_float(INFINITY), lpc_float(NAN)), 0);
    ck_assert_int_lt(cmp(lpc_int(INT64_MAX), lpc_float(NAN)), 0);
    ck_assert_int_eq(cmp(lpc_float(NAN), lpc_float(-NAN)), 0);
    ck_assert_int_eq(cmp(lpc_float(0.0), lpc_float(-0.0)), 0);
    ck_assert_int_lt(cmp(lpc_int(-3), lpc_int(2)), 0);
    lpc_value_t s = vstr("");
    ck_assert_int_lt(cmp(lpc_float(NAN), s), 0);            /* numbers first */
    lpc_value_t arr = lpc_value_array(lpc_array_empty());
    ck_assert_int_lt(cmp(s, arr), 0);
    lpc_value_t map = lpc_value_mapping(lpc_mapping_new(0));
    ck_assert_int_lt(cmp(arr, map), 0);
    lpc_value_t ob = lpc_value_object(object_new());
    ck_assert_int_lt(cmp(map, ob), 0);
    lpc_value_t fp = lpc_value_funcptr(funcptr_new());
    ck_assert_int_lt(cmp(ob, fp), 0);
    lpc_value_release(&s);
    lpc_value_release(&arr);
    lpc_value_release(&map);
    lpc_value_release(&ob);
    lpc_value_release(&fp);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_value_assign_is_safe_when_source_aliases_destination)
{
    lpc_value_t x = vstr("only");
    lpc_value_assign(&x, &x);                   /* x = x with ref 1 */
    ck_assert_uint_eq(x.u.s->ref, 1);
    ck_assert_str_eq(x.u.s->data, "only");

    /* x = x[0] where x's array holds the only reference to the item */
    lpc_value_t item = vstr("inner");
    lpc_value_t arr = varr(1, &item);
    lpc_value_assign(&x, &arr);
    lpc_value_release(&arr);
    ck_assert_uint_eq(x.u.a->ref, 1);
    lpc_value_assign(&x, &x.u.a->items[0]);
    ck_assert_int_eq(x.type, LPC_T_STRING);
    ck_assert_str_eq(x.u.s->data, "inner");
    ck_assert_uint_eq(x.u.s->ref, 1);

    /* y = y where y is an object with one reference */
    lpc_value_t y = lpc_value_object(object_new());
    lpc_value_assign(&y, &y);
    ck_assert_int_eq(live_objects, 1);
    lpc_value_t n = lpc_int(5);
    lpc_value_assign(&y, &n);
    ck_assert_int_eq(live_objects, 0);
    ck_assert_int_eq(y.u.i, 5);
    lpc_value_release(&x);
}
END_TEST

START_TEST(test_value_release_drops_reference_and_leaves_int_zero)
{
    lpc_value_t vals[] = {
        vstr("s"), lpc_value_array(lpc_array_new(3)), lpc_value_mapping(lpc_mapping_new(0)),
        lpc_value_object(object_new()), lpc_value_funcptr(funcptr_new()),
        lpc_float(2.5), lpc_undefined(), lpc_int(9),
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        lpc_value_t copy = vals[i];
        lpc_value_incref(&copy);                /* a second owner */
        lpc_value_release(&vals[i]);
        ck_assert_int_eq(vals[i].type, LPC_T_INT);
        ck_assert_int_eq(vals[i].flags, 0);
        ck_assert_int_eq(vals[i].u.i, 0);
        lpc_value_release(&copy);
    }
    lpc_value_t slot = lpc_int(1);
    lpc_value_t lv = { .type = LPC_T_LVALUE, .u.lv = &slot };
    lpc_value_incref(&lv);                      /* not counted: no-op */
    lpc_value_release(&lv);
    ck_assert_int_eq(lv.type, LPC_T_INT);
    ck_assert_int_eq(slot.u.i, 1);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_value_is_zero_only_for_int_zero_and_destructed_objects)
{
    lpc_value_t z = lpc_int(0), u = lpc_undefined(), one = lpc_int(1), fz = lpc_float(0.0);
    ck_assert(lpc_value_is_zero(&z));
    ck_assert(lpc_value_is_zero(&u));
    ck_assert(!lpc_value_is_zero(&one));
    ck_assert(!lpc_value_is_zero(&fz));
    lpc_value_t e = vstr("");
    ck_assert(!lpc_value_is_zero(&e));
    lpc_value_release(&e);
    lpc_value_t ob = lpc_value_object(object_new());
    ck_assert(!lpc_value_is_zero(&ob));
    ob.u.o->destructed = true;
    ck_assert(lpc_value_is_zero(&ob));
    lpc_value_release(&ob);
    check_no_live_doubles();
}
END_TEST

START_TEST(test_fix_destructed_turns_only_destructed_objects_into_zero)
{
    lpc_object_t *o = object_new();
    lpc_value_t live = lpc_value_object(o);
    ck_assert(!lpc_value_fix_destructed(&live));
    ck_assert_int_eq(live.type, LPC_T_OBJECT);
    lpc_value_t s = vstr("x");
    ck_assert(!lpc_value_fix_destructed(&s));
    lpc_value_release(&s);
    lpc_value_t other = live;
    lpc_value_incref(&other);
    o->destructed = true;
    ck_assert(lpc_value_fix_destructed(&live));
    ck_assert_int_eq(live.type, LPC_T_INT);
    ck_assert_int_eq(live.u.i, 0);
    ck_assert_uint_eq(o->ref, 1);               /* the fixed slot let go */
    ck_assert(lpc_value_fix_destructed(&other));
    check_no_live_doubles();
}
END_TEST

START_TEST(test_type_names_are_the_lpc_names)
{
    ck_assert_str_eq(lpc_type_name(LPC_T_INT), "int");
    ck_assert_str_eq(lpc_type_name(LPC_T_FLOAT), "float");
    ck_assert_str_eq(lpc_type_name(LPC_T_STRING), "string");
    ck_assert_str_eq(lpc_type_name(LPC_T_ARRAY), "array");
    ck_assert_str_eq(lpc_type_name(LPC_T_MAPPING), "mapping");
    ck_assert_str_eq(lpc_type_name(LPC_T_OBJECT), "object");
    ck_assert_str_eq(lpc_type_name(LPC_T_FUNCTION), "function");
    ck_assert_str_eq(lpc_type_name(LPC_T_LVALUE), "lvalue");
    ck_assert_str_eq(lpc_type_name(LPC_T_COUNT), "unknown");
}
END_TEST

START_TEST(test_allocators_return_usable_zeroed_memory)
{
    unsigned char *p = lpc_calloc(100, 3);
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(p[i], 0);
    p = lpc_realloc(p, 1000);
    p[999] = 1;
    free(p);
    void *z = lpc_malloc(0);
    ck_assert_ptr_nonnull(z);
    free(z);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *lpc_value_suite(void)
{
    Suite *s = suite_create("lpc_value");
    TCase *tc = tcase_create("strings");
    tcase_add_test(tc, test_string_new_copies_bytes_including_embedded_nul);
    tcase_add_test(tc, test_zero_length_strings_are_the_shared_empty_singleton);
    tcase_add_test(tc, test_empty_singleton_is_never_freed_even_if_its_count_wraps);
    tcase_add_test(tc, test_string_concat_joins_bytes_in_one_new_string);
    tcase_add_test(tc, test_string_concat_with_empty_returns_the_other_operand);
    tcase_add_test(tc, test_string_substr_clamps_to_the_string);
    tcase_add_test(tc, test_string_substr_of_whole_string_returns_it_shared);
    tcase_add_test(tc, test_string_alloc_is_nul_terminated_and_fillable);
    tcase_add_test(tc, test_string_hash_is_cached_nonzero_and_by_content);
    tcase_add_test(tc, test_string_hash_bytes_matches_string_hash_for_every_length);
    tcase_add_test(tc, test_string_hash_spreads_similar_keys);
    tcase_add_test(tc, test_string_equal_checks_length_hash_then_bytes);
    tcase_add_test(tc, test_string_compare_is_unsigned_bytes_then_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("strbuf");
    tcase_add_test(tc, test_strbuf_grows_over_many_appends_and_keeps_every_byte);
    tcase_add_test(tc, test_strbuf_printf_formats_short_and_long_output);
    tcase_add_test(tc, test_strbuf_finish_of_empty_buffer_gives_empty_singleton);
    tcase_add_test(tc, test_strbuf_free_resets_and_buffer_is_reusable);
    tcase_add_test(tc, test_strbuf_reserve_allows_direct_writes);
    suite_add_tcase(s, tc);

    tc = tcase_create("arrays");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_array_new_is_filled_with_defined_int_zero);
    tcase_add_test(tc, test_empty_arrays_are_the_shared_singleton);
    tcase_add_test(tc, test_array_concat_is_a_new_array_with_new_references);
    tcase_add_test(tc, test_array_slice_follows_lpc_clamping_rules);
    tcase_add_test(tc, test_array_subtract_keeps_order_and_duplicates_of_a);
    tcase_add_test(tc, test_array_intersect_gives_distinct_elements_of_a_in_order);
    tcase_add_test(tc, test_array_subtract_and_intersect_of_large_mixed_arrays_match_definition);
    tcase_add_test(tc, test_array_find_uses_key_equality);
    tcase_add_test(tc, test_freeing_million_deep_nested_arrays_does_not_overflow_the_stack);
    tcase_add_test(tc, test_freeing_deep_mixed_chain_with_side_branches_frees_everything);
    suite_add_tcase(s, tc);

    tc = tcase_create("mappings");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mapping_insert_find_and_overwrite);
    tcase_add_test(tc, test_mapping_keys_follow_key_equality_rules);
    tcase_add_test(tc, test_mapping_insert_strips_the_undefined_flag_from_int_keys);
    tcase_add_test(tc, test_mapping_iterates_in_insertion_order_skipping_deleted);
    tcase_add_test(tc, test_mapping_tombstones_are_squeezed_out_and_order_survives);
    tcase_add_test(tc, test_mapping_insert_delete_churn_keeps_a_small_live_set);
    tcase_add_test(tc, test_mapping_with_100k_string_and_int_keys_survives_rehash);
    tcase_add_test(tc, test_mapping_int_keys_sharing_low_bits_stay_fast);
    tcase_add_test(tc, test_mapping_keys_and_values_line_up);
    tcase_add_test(tc, test_mapping_union_overrides_with_b_and_keeps_a_order);
    tcase_add_test(tc, test_mapping_union_of_large_mappings_is_complete);
    tcase_add_test(tc, test_mapping_copy_is_independent_of_the_original);
    tcase_add_test(tc, test_mapping_set_with_key_and_value_from_the_same_mapping_survives_growth);
    tcase_add_test(tc, test_mapping_insert_with_key_pointing_into_the_mapping_during_rebuild);
    tcase_add_test(tc, test_mapping_free_releases_every_key_and_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_value_equal_values_hash_the_same_across_types);
    tcase_add_test(tc, test_value_compare_is_a_total_order_consistent_with_equality);
    tcase_add_test(tc, test_value_compare_orders_numbers_exactly_then_by_class);
    tcase_add_test(tc, test_value_assign_is_safe_when_source_aliases_destination);
    tcase_add_test(tc, test_value_release_drops_reference_and_leaves_int_zero);
    tcase_add_test(tc, test_value_is_zero_only_for_int_zero_and_destructed_objects);
    tcase_add_test(tc, test_fix_destructed_turns_only_destructed_objects_into_zero);
    tcase_add_test(tc, test_type_names_are_the_lpc_names);
    tcase_add_test(tc, test_allocators_return_usable_zeroed_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lpc_value_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
