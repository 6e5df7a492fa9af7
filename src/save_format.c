/*
 * save_format.c - LPC values <-> save file text (save_format.h).
 */
#include <config.h>
#include "save_format.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding --------------------------------------------------------- */

static void encode_string(lpc_strbuf_t *out, const lpc_string_t *s)
{
    lpc_strbuf_append_char(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < s->len; i++) {
        char c = s->data[i];
        const char *esc = NULL;
        switch (c) {
        case '"':  esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\0': esc = "\\0"; break;
        default: break;
        }
        if (esc != NULL) {
            lpc_strbuf_append(out, s->data + run, i - run);
            lpc_strbuf_append_cstr(out, esc);
            run = i + 1;
        }
    }
    lpc_strbuf_append(out, s->data + run, s->len - run);
    lpc_strbuf_append_char(out, '"');
}

static void encode_float(lpc_strbuf_t *out, double d)
{
    if (isnan(d)) {
        lpc_strbuf_append_cstr(out, "nan");
        return;
    }
    if (isinf(d)) {
        lpc_strbuf_append_cstr(out, d < 0 ? "-inf" : "inf");
        return;
    }
    /* the shortest of 15..17 digits that reads back exactly: 0.1, not
     * 0.10000000000000001 */
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    lpc_strbuf_append_cstr(out, buf);
    if (strpbrk(buf, ".e") == NULL)
        lpc_strbuf_append_cstr(out, ".0");
}

static int encode(lpc_strbuf_t *out, const lpc_value_t *v, int depth,
                  char *err, size_t errsize)
{
    if (depth > SAVE_FORMAT_MAX_DEPTH) {
        snprintf(err, errsize, "arrays and mappings nested deeper than %d",
                 SAVE_FORMAT_MAX_DEPTH);
        return -1;
    }
    switch (v->type) {
    case LPC_T_INT:
        lpc_strbuf_printf(out, "%lld", (long long)v->u.i);
        return 0;
    case LPC_T_FLOAT:
        encode_float(out, v->u.f);
        return 0;
    case LPC_T_STRING:
        encode_string(out, v->u.s);
        return 0;
    case LPC_T_ARRAY:
        lpc_strbuf_append_cstr(out, "({");
        for (uint32_t i = 0; i < v->u.a->size; i++) {
            if (encode(out, &v->u.a->items[i], depth + 1, err, errsize) != 0)
                return -1;
            lpc_strbuf_append_char(out, ',');
        }
        lpc_strbuf_append_cstr(out, "})");
        return 0;
    case LPC_T_MAPPING: {
        lpc_strbuf_append_cstr(out, "([");
        size_t cur = 0;
        const lpc_value_t *k;
        lpc_value_t *val;
        while (lpc_mapping_next(v->u.m, &cur, &k, &val)) {
            if (encode(out, k, depth + 1, err, errsize) != 0)
                return -1;
            lpc_strbuf_append_char(out, ':');
            if (encode(out, val, depth + 1, err, errsize) != 0)
                return -1;
            lpc_strbuf_append_char(out, ',');
        }
        lpc_strbuf_append_cstr(out, "])");
        return 0;
    }
    default:
        /* objects, functions: not saveable */
        lpc_strbuf_append_char(out, '0');
        return 0;
    }
}

int save_format_encode(lpc_strbuf_t *out, const lpc_value_t *v,
                       char *err, size_t errsize)
{
    return encode(out, v, 0, err, errsize);
}

/* ---- decoding --------------------------------------------------------- */

typedef struct dec {
    const char *t;
    size_t len;
    size_t pos;
    char *err;
    size_t errsize;
} dec_t;

static int fail(dec_t *d, const char *what)
{
    snprintf(d->err, d->errsize, "%s at offset %zu", what, d->pos);
    return -1;
}

static int decode(dec_t *d, lpc_value_t *out, int depth);

static int decode_string(dec_t *d, lpc_value_t *out)
{
    d->pos++;                       /* the opening quote */
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    while (d->pos < d->len && d->t[d->pos] != '"') {
        char c = d->t[d->pos++];
        if (c == '\r') {
            c = '\n';
        } else if (c == '\n') {
            d->pos--;
            lpc_strbuf_free(&b);
            return fail(d, "newline in a string");
        } else if (c == '\\') {
            if (d->pos >= d->len)
                break;
            c = d->t[d->pos++];
            switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case '0': c = '\0'; break;
            default: break;         /* \" \\ and anything else: itself */
            }
        }
        lpc_strbuf_append_char(&b, c);
    }
    if (d->pos >= d->len) {
        lpc_strbuf_free(&b);
        return fail(d, "unterminated string");
    }
    d->pos++;                       /* the closing quote */
    *out = lpc_value_string(lpc_strbuf_finish(&b));
    return 0;
}

static int decode_number(dec_t *d, lpc_value_t *out)
{
    size_t start = d->pos;
    size_t i = d->pos;
    bool is_float = false;
    if (i < d->len && (d->t[i] == '-' || d->t[i] == '+'))
        i++;
    if (i + 3 <= d->len && (strncmp(d->t + i, "inf", 3) == 0 ||
                            strncmp(d->t + i, "nan", 3) == 0)) {
        is_float = true;
        i += 3;
    } else {
        size_t digits = 0;
        while (i < d->len) {
            char c = d->t[i];
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' || c == 'e' || c == 'E') {
                is_float = true;
            } else if ((c == '-' || c == '+') && (d->t[i - 1] == 'e' || d->t[i - 1] == 'E')) {
                /* exponent sign */
            } else {
                break;
            }
            i++;
        }
        if (digits == 0)
            return fail(d, "expected a value");
    }
    char buf[128];
    if (i - start >= sizeof buf)
        return fail(d, "number too long");
    memcpy(buf, d->t + start, i - start);
    buf[i - start] = '\0';
    char *end;
    errno = 0;
    if (is_float) {
        double f = strtod(buf, &end);
        if (*end != '\0')
            return fail(d, "bad float");
        *out = lpc_float(f);
    } else {
        long long n = strtoll(buf, &end, 10);
        if (*end != '\0' || errno == ERANGE)
            return fail(d, "bad integer");
        *out = lpc_int(n);
    }
    d->pos = i;
    return 0;
}

static int decode_array(dec_t *d, lpc_value_t *out, int depth)
{
    d->pos += 2;                    /* "({" */
    size_t n = 0, cap = 8;
    lpc_value_t *items = lpc_malloc(cap * sizeof *items);
    for (;;) {
        if (d->pos + 1 < d->len && d->t[d->pos] == '}' && d->t[d->pos + 1] == ')') {
            d->pos += 2;
            break;
        }
        if (n == cap) {
            cap *= 2;
            items = lpc_realloc(items, cap * sizeof *items);
        }
        if (decode(d, &items[n], depth + 1) != 0)
            goto bad;
        n++;
        if (d->pos >= d->len || d->t[d->pos] != ',') {
            fail(d, "expected ',' in an array");
            goto bad;
        }
        d->pos++;
    }
    lpc_array_t *a = lpc_array_alloc(n);
    if (n > 0)
        memcpy(a->items, items, n * sizeof *items);
    free(items);
    *out = lpc_value_array(a);
    return 0;
bad:
    for (size_t i = 0; i < n; i++)
        lpc_value_release(&items[i]);
    free(items);
    return -1;
}

static int decode_mapping(dec_t *d, lpc_value_t *out, int depth)
{
    d->pos += 2;                    /* "([" */
    lpc_mapping_t *m = lpc_mapping_new(0);
    for (;;) {
        if (d->pos + 1 < d->len && d->t[d->pos] == ']' && d->t[d->pos + 1] == ')') {
            d->pos += 2;
            break;
        }
        lpc_value_t k = lpc_int(0), v = lpc_int(0);
        if (decode(d, &k, depth + 1) != 0)
            goto bad;
        if (d->pos >= d->len || d->t[d->pos] != ':') {
            lpc_value_release(&k);
            fail(d, "expected ':' in a mapping");
            goto bad;
        }
        d->pos++;
        if (decode(d, &v, depth + 1) != 0) {
            lpc_value_release(&k);
            goto bad;
        }
        lpc_mapping_set(m, &k, &v);
        lpc_value_release(&k);
        lpc_value_release(&v);
        if (d->pos >= d->len || d->t[d->pos] != ',') {
            fail(d, "expected ',' in a mapping");
            goto bad;
        }
        d->pos++;
    }
    *out = lpc_value_mapping(m);
    return 0;
bad:
    lpc_mapping_decref(m);
    return -1;
}

static int decode(dec_t *d, lpc_value_t *out, int depth)
{
    *out = lpc_int(0);
    if (depth > SAVE_FORMAT_MAX_DEPTH)
        return fail(d, "arrays and mappings nested too deep");
    if (d->pos >= d->len)
        return fail(d, "expected a value");
    char c = d->t[d->pos];
    if (c == '"')
        return decode_string(d, out);
    if (c == '(' && d->pos + 1 < d->len && d->t[d->pos + 1] == '{')
        return decode_array(d, out, depth);
    if (c == '(' && d->pos + 1 < d->len && d->t[d->pos + 1] == '[')
        return decode_mapping(d, out, depth);
    return decode_number(d, out);
}

int save_format_decode(const char *text, size_t len, size_t *pos,
                       lpc_value_t *out, char *err, size_t errsize)
{
    dec_t d = { text, len, *pos, err, errsize };
    if (decode(&d, out, 0) != 0) {
        lpc_value_release(out);
        return -1;
    }
    *pos = d.pos;
    return 0;
}
