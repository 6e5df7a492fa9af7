/*
 * lpc_string.c - counted, reference-counted byte strings, their hash, and
 * the string builder (lpc_strbuf_t).
 *
 * One allocation per string: the header and the bytes (plus a NUL) are a
 * single block.  The strbuf builds its bytes inside such a block so that
 * finishing it hands the block over instead of copying.
 */
#include "config.h"
#include "lpc/lpc_value.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRING_HEADER offsetof(lpc_string_t, data)

/* Never freed: see "Shared empties" in lpc_value.h.  A union with room for
 * the NUL of data[0] (a struct with a flexible array member cannot be
 * given storage for it directly); static storage makes that byte 0. */
#define SINGLETON_REF (UINT32_C(1) << 31)
static union {
    lpc_string_t s;
    char storage[sizeof(lpc_string_t) + 8];
} empty_string = { .s = { .ref = SINGLETON_REF, .hash = 0, .len = 0 } };

/* ------------------------------------------------------------- hashing */

/*
 * The string hash: a multiply-fold design (128-bit product of two 64-bit
 * words, high half xor low half), reading 16 bytes per step, the tail as
 * two possibly overlapping 8-byte words, so short strings cost one or two
 * multiplications and no byte loop.  Not cryptographic; insertion-ordered
 * mappings do not depend on its values for anything visible.  Native byte
 * order: the values never leave the process.
 */
#define HASH_SEED UINT64_C(0x243f6a8885a308d3)
#define HASH_K1   UINT64_C(0xa0761d6478bd642f)
#define HASH_K2   UINT64_C(0xe7037ed1a0b428db)
#define HASH_K3   UINT64_C(0x8ebc6af09c88c6e3)

static inline uint64_t mul_fold(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    /* 64x64 -> 128 from 32-bit halves. */
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * Hash of len bytes at data; never 0 (0 means "not computed" in s->hash).
 * data may be NULL when len is 0.
 */
uint32_t lpc_string_hash_bytes(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t h = HASH_SEED ^ ((uint64_t)len * HASH_K3);
    uint64_t a, b;

    if (len <= 16) {
        if (len >= 8) {
            a = read64(p);
            b = read64(p + len - 8);
        } else if (len >= 4) {
            a = read32(p);
            b = read32(p + len - 4);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = len;
        while (left > 16) {
            h = mul_fold(read64(p) ^ HASH_K1, read64(p + 8) ^ h);
            p += 16;
            left -= 16;
        }
        /* the last 16 bytes, overlapping what the loop already read */
        a = read64(p + left - 16);
        b = read64(p + left - 8);
    }
    h = mul_fold(a ^ HASH_K1, b ^ h);
    h = mul_fold(h ^ HASH_K2, (uint64_t)len ^ HASH_K1);
    uint32_t r = (uint32_t)(h ^ (h >> 32));
    return r ? r : 1;
}

/* Hashes s once and caches the result in s->hash. */
uint32_t lpc_string_hash(lpc_string_t *s)
{
    if (s->hash == 0)
        s->hash = lpc_string_hash_bytes(s->data, s->len);
    return s->hash;
}

/* ---------------------------------------------------------- creation */

/*
 * The shared "" with a new reference.  Returning it never allocates.
 */
lpc_string_t *lpc_string_empty(void)
{
    empty_string.s.ref++;
    return &empty_string.s;
}

/*
 * A new string of len bytes whose data[len] is NUL and whose other bytes
 * the caller must fill.  ref 1, hash not computed.  len 0 gives "".
 */
lpc_string_t *lpc_string_alloc(size_t len)
{
    if (len == 0)
        return lpc_string_empty();
    if (len > SIZE_MAX - STRING_HEADER - 1)
        lpc_fatal_oom(SIZE_MAX);
    lpc_string_t *s = lpc_malloc(STRING_HEADER + len + 1);
    s->ref = 1;
    s->hash = 0;
    s->len = len;
    s->data[len] = '\0';
    return s;
}

/* A new string holding a copy of the len bytes at data. */
lpc_string_t *lpc_string_new(const char *data, size_t len)
{
    lpc_string_t *s = lpc_string_alloc(len);
    if (len)
        memcpy(s->data, data, len);
    return s;
}

/* A new string holding a copy of the NUL-terminated cstr. */
lpc_string_t *lpc_string_from_cstr(const char *cstr)
{
    return lpc_string_new(cstr, strlen(cstr));
}

/*
 * a + b as a new reference.  If either is empty the other is returned
 * with a new reference (strings are immutable once shared); otherwise
 * exactly one allocation.  Overflowing size_t is out of memory.
 */
lpc_string_t *lpc_string_concat(const lpc_string_t *a, const lpc_string_t *b)
{
    if (b->len == 0) {
        lpc_string_t *r = (lpc_string_t *)a;
        r->ref++;
        return r;
    }
    if (a->len == 0) {
        lpc_string_t *r = (lpc_string_t *)b;
        r->ref++;
        return r;
    }
    if (a->len > SIZE_MAX - STRING_HEADER - 1 - b->len)
        lpc_fatal_oom(SIZE_MAX);
    lpc_string_t *s = lpc_string_alloc(a->len + b->len);
    memcpy(s->data, a->data, a->len);
    memcpy(s->data + a->len, b->data, b->len);
    return s;
}

/*
 * Bytes [from, to) of s, clamped: from < 0 counts as 0, to > len as len;
 * from >= to gives "".  The whole string gives s itself (new reference).
 */
lpc_string_t *lpc_string_substr(const lpc_string_t *s, int64_t from, int64_t to)
{
    if (from < 0)
        from = 0;
    if (to < 0)
        to = 0;
    if ((uint64_t)to > s->len)
        to = (int64_t)s->len;
    if (from >= to)
        return lpc_string_empty();
    if (from == 0 && (uint64_t)to == s->len) {
        lpc_string_t *r = (lpc_string_t *)s;
        r->ref++;
        return r;
    }
    return lpc_string_new(s->data + from, (size_t)(to - from));
}

/*
 * Drops a reference; the last one frees the block.  The singleton "" is
 * recognised only here, on the rare path, and its count is put back.
 */
void lpc_string_decref(lpc_string_t *s)
{
    if (--s->ref != 0)
        return;
    if (s == &empty_string.s) {
        s->ref = SINGLETON_REF;
        return;
    }
    free(s);
}

/* -------------------------------------------------------- comparison */

/* Byte equality: length first, then the cached hashes if both are known
 * (a mismatch proves inequality cheaply), then memcmp. */
bool lpc_string_equal(const lpc_string_t *a, const lpc_string_t *b)
{
    if (a == b)
        return true;
    if (a->len != b->len)
        return false;
    if (a->hash != 0 && b->hash != 0 && a->hash != b->hash)
        return false;
    return memcmp(a->data, b->data, a->len) == 0;
}

/* memcmp order on the common prefix, then the shorter string first.
 * Returns -1, 0 or 1. */
int lpc_string_compare(const lpc_string_t *a, const lpc_string_t *b)
{
    if (a == b)
        return 0;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* ------------------------------------------------------------- strbuf */

/* The string block whose data the buffer's bytes are. */
static inline lpc_string_t *strbuf_block(const lpc_strbuf_t *b)
{
    return (lpc_string_t *)(void *)(b->data - STRING_HEADER);
}

/* An empty buffer; allocates nothing until the first append. */
void lpc_strbuf_init(lpc_strbuf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Grows the block so that n more bytes (and the NUL) fit: at least double
 * the old room, so appending byte by byte is amortised O(1). */
static void strbuf_grow(lpc_strbuf_t *b, size_t n)
{
    if (n > SIZE_MAX - STRING_HEADER - 1 - b->len)
        lpc_fatal_oom(SIZE_MAX);
    size_t need = b->len + n;
    size_t cap = b->cap < 48 ? 48 : b->cap;
    while (cap < need)
        cap = cap > (SIZE_MAX - STRING_HEADER - 1) / 2 ? need : cap * 2;
    lpc_string_t *blk = lpc_realloc(b->data ? strbuf_block(b) : NULL,
                                    STRING_HEADER + cap + 1);
    b->data = blk->data;
    b->cap = cap;
    b->data[b->len] = '\0';
}

/* Makes room for n more bytes without changing the contents. */
void lpc_strbuf_reserve(lpc_strbuf_t *b, size_t n)
{
    if (b->cap - b->len < n || b->data == NULL)
        strbuf_grow(b, n);
}

/* Appends len bytes (any bytes, NUL included). */
void lpc_strbuf_append(lpc_strbuf_t *b, const char *data, size_t len)
{
    if (len == 0)
        return;
    if (b->cap - b->len < len)
        strbuf_grow(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void lpc_strbuf_append_cstr(lpc_strbuf_t *b, const char *cstr)
{
    lpc_strbuf_append(b, cstr, strlen(cstr));
}

void lpc_strbuf_append_char(lpc_strbuf_t *b, char c)
{
    if (b->cap == b->len)
        strbuf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/*
 * Appends printf-formatted text.  Formats straight into the free room;
 * only when that is too small does it grow to the exact size and format
 * again.
 */
void lpc_strbuf_printf(lpc_strbuf_t *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    if (b->data == NULL)
        strbuf_grow(b, 0);
    size_t room = b->cap - b->len + 1;   /* vsnprintf counts the NUL */
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {                     /* encoding error: append nothing */
        b->data[b->len] = '\0';
        va_end(ap2);
        return;
    }
    if ((size_t)n >= room) {
        strbuf_grow(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

/*
 * Hands the bytes over as a string (ref 1) and resets the buffer.  No
 * copy: the block becomes the string; it is shrunk only when more than a
 * quarter (and 64 bytes) of it would be wasted.  An empty buffer gives "".
 */
lpc_string_t *lpc_strbuf_finish(lpc_strbuf_t *b)
{
    if (b->len == 0) {
        lpc_strbuf_free(b);
        return lpc_string_empty();
    }
    lpc_string_t *s = strbuf_block(b);
    size_t waste = b->cap - b->len;
    if (waste > 64 && waste > b->cap / 4)
        s = lpc_realloc(s, STRING_HEADER + b->len + 1);
    s->ref = 1;
    s->hash = 0;
    s->len = b->len;
    s->data[s->len] = '\0';
    lpc_strbuf_init(b);
    return s;
}

/* Frees the bytes and resets the buffer (it may be used again). */
void lpc_strbuf_free(lpc_strbuf_t *b)
{
    if (b->data)
        free(strbuf_block(b));
    lpc_strbuf_init(b);
}
