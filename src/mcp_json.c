/*
 * mcp_json.c - JSON helpers of the MCP server (see mcp_json.h).
 *
 * UTF-8 is checked by the table in RFC 3629 section 4: a byte that cannot
 * start a well-formed sequence, or a sequence cut short, is one invalid
 * byte, replaced by U+FFFD; decoding resumes at the next byte.
 *
 * The schema checker walks schema and value together, keeping the path of
 * the value in a small buffer for the error line.  It is recursive; depth
 * is bounded (MCP_SCHEMA_MAX_DEPTH) so a hostile schema or value cannot
 * exhaust the stack.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "port/port_format.h"
#include "mcp_json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_SCHEMA_MAX_DEPTH 64

/* ================================================================ UTF-8 */

/* Length of the well-formed sequence starting at p (1-4), or 0 when the
 * byte at p does not start one within `left` bytes. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;   /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;                    /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F;                    /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;                    /* nothing above U+10FFFF */
    } else {
        return 0;                         /* 80-C1, F5-FF */
    }
    if (left < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need;
}

bool mcp_utf8_is_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *mcp_utf8_repair(const char *s, size_t len, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s;
    /* Count first: the common case (valid) is one pass and one copy. */
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] < 0x80 ? 1 : utf8_sequence(p + i, len - i);
        if (n == 0) {
            bad++;
            n = 1;
        }
        i += n;
    }
    if (bad > (SIZE_MAX - len - 1) / 2)
        return NULL;
    size_t total = len + 2 * bad;        /* 1 byte becomes 3 */
    char *out = malloc(total + 1);
    if (out == NULL)
        return NULL;
    if (bad == 0) {
        if (len > 0)
            memcpy(out, s, len);
    } else {
        char *w = out;
        for (size_t i = 0; i < len;) {
            size_t n = p[i] < 0x80 ? 1 : utf8_sequence(p + i, len - i);
            if (n == 0) {
                *w++ = (char)0xEF;
                *w++ = (char)0xBF;
                *w++ = (char)0xBD;
                i++;
                continue;
            }
            memcpy(w, s + i, n);
            w += n;
            i += n;
        }
    }
    out[total] = '\0';
    if (out_len != NULL)
        *out_len = total;
    return out;
}

size_t mcp_utf8_cut(const char *s, size_t len, size_t max)
{
    if (max >= len)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

json_t *mcp_json_text(const char *s, size_t len)
{
    if (s == NULL)
        return json_string("");
    if (mcp_utf8_is_valid(s, len))
        return json_stringn(s, len);
    size_t n;
    char *fixed = mcp_utf8_repair(s, len, &n);
    if (fixed == NULL)
        return NULL;
    json_t *j = json_stringn(fixed, n);
    free(fixed);
    return j;
}

/* ============================================================ wire form */

/* A copy of v in which every string value and object key is valid UTF-8
 * (invalid bytes replaced); depth-bounded by jansson's own limits on what
 * it builds.  NULL on out of memory. */
static json_t *repaired_copy(const json_t *v)
{
    if (json_is_string(v)) {
        return mcp_json_text(json_string_value(v), json_string_length(v));
    } else if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (a == NULL || json_array_append_new(a, repaired_copy(item)) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    } else if (json_is_object(v)) {
        json_t *o = json_object();
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            size_t klen;
            char *k = mcp_utf8_repair(key, strlen(key), &klen);
            int rc = o != NULL && k != NULL
                         ? json_object_set_new(o, k, repaired_copy(item)) : -1;
            free(k);
            if (rc != 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    return json_deep_copy(v);
}

char *mcp_json_encode_line(const json_t *msg, size_t *len)
{
    char *text = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL) {
        /* jansson refuses to encode invalid UTF-8, which only a string or
         * key built with a _nocheck call can hold: encode a repaired copy
         * (U+FFFD is a legal character inside any string). */
        json_t *fixed = repaired_copy(msg);
        if (fixed == NULL)
            return NULL;
        text = json_dumps(fixed, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(fixed);
        if (text == NULL)
            return NULL;
    }
    size_t n = strlen(text);
    if (!mcp_utf8_is_valid(text, n)) {
        /* Belt and braces: jansson validated every string it wrote. */
        size_t fixed_len;
        char *fixed = mcp_utf8_repair(text, n, &fixed_len);
        free(text);
        if (fixed == NULL)
            return NULL;
        text = fixed;
        n = fixed_len;
    }
    char *line = realloc(text, n + 2);
    if (line == NULL) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    *len = n + 1;
    return line;
}

/* =============================================================== base64 */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *mcp_base64_encode(const void *data, size_t len, bool url_safe)
{
    const unsigned char *in = data;
    const char *alphabet = url_safe ? b64_url : b64_std;
    if (len > (SIZE_MAX - 4) / 4 * 3)
        return NULL;
    size_t out_len = (len + 2) / 3 * 4;
    char *out = malloc(out_len + 1);
    if (out == NULL)
        return NULL;
    char *w = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *w++ = alphabet[v >> 18];
        *w++ = alphabet[(v >> 12) & 63];
        *w++ = alphabet[(v >> 6) & 63];
        *w++ = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        *w++ = alphabet[v >> 18];
        *w++ = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            *w++ = alphabet[(v >> 6) & 63];
        else if (!url_safe)
            *w++ = '=';
        if (!url_safe)
            *w++ = '=';
    }
    *w = '\0';
    return out;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

char *mcp_base64url_decode(const char *s, size_t *out_len)
{
    size_t len = strlen(s);
    if (len % 4 == 1)
        return NULL;                     /* no encoding ends that way */
    char *out = malloc(len / 4 * 3 + 3);
    if (out == NULL)
        return NULL;
    size_t w = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (char)((acc >> bits) & 0xFF);
        }
    }
    /* Leftover bits must be zero: a canonical encoding only. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        free(out);
        return NULL;
    }
    out[w] = '\0';
    if (out_len != NULL)
        *out_len = w;
    return out;
}

/* ========================================================= JSON Schema */

typedef struct schema_walk {
    char path[256];
    size_t path_len;
    char *err;
    size_t err_size;
    int depth;
} schema_walk_t;

static bool schema_fail(schema_walk_t *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* Writes "path: problem" into the caller's buffer; returns false. */
static bool schema_fail(schema_walk_t *w, const char *fmt, ...)
{
    if (w->err == NULL || w->err_size == 0)
        return false;
    int n = snprintf(w->err, w->err_size, "%s: ", w->path);
    if (n < 0 || (size_t)n >= w->err_size)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err + n, w->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* Appends ".name" or "[i]" to the path; returns the length to restore. */
static size_t path_push_key(schema_walk_t *w, const char *key)
{
    size_t saved = w->path_len;
    int n = snprintf(w->path + w->path_len, sizeof w->path - w->path_len,
                     ".%s", key);
    if (n > 0)
        w->path_len += (size_t)n < sizeof w->path - w->path_len
                           ? (size_t)n : sizeof w->path - w->path_len - 1;
    return saved;
}

static size_t path_push_index(schema_walk_t *w, size_t index)
{
    size_t saved = w->path_len;
    int n = snprintf(w->path + w->path_len, sizeof w->path - w->path_len,
                     "[%zu]", index);
    if (n > 0)
        w->path_len += (size_t)n < sizeof w->path - w->path_len
                           ? (size_t)n : sizeof w->path - w->path_len - 1;
    return saved;
}

static void path_pop(schema_walk_t *w, size_t saved)
{
    w->path_len = saved;
    w->path[saved] = '\0';
}

/* "an integer", "a string", ... for messages. */
static const char *value_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "an object";
    case JSON_ARRAY:   return "an array";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL:    return "a number";
    case JSON_TRUE:
    case JSON_FALSE:   return "a boolean";
    case JSON_NULL:    return "null";
    }
    return "a value";
}

static bool is_integral(const json_t *v)
{
    if (json_is_integer(v))
        return true;
    if (json_is_real(v)) {
        /* Integral and within long long: without libm (jansson reals are
         * always finite). */
        double d = json_real_value(v);
        return d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d;
    }
    return false;
}

static bool type_matches(const char *type, const json_t *v)
{
    if (strcmp(type, "object") == 0)  return json_is_object(v);
    if (strcmp(type, "array") == 0)   return json_is_array(v);
    if (strcmp(type, "string") == 0)  return json_is_string(v);
    if (strcmp(type, "integer") == 0) return is_integral(v);
    if (strcmp(type, "number") == 0)  return json_is_number(v);
    if (strcmp(type, "boolean") == 0) return json_is_boolean(v);
    if (strcmp(type, "null") == 0)    return json_is_null(v);
    return true;                          /* unknown type names: unchecked */
}

static const char *type_article(const char *type)
{
    if (strcmp(type, "object") == 0)  return "an object";
    if (strcmp(type, "array") == 0)   return "an array";
    if (strcmp(type, "string") == 0)  return "a string";
    if (strcmp(type, "integer") == 0) return "an integer";
    if (strcmp(type, "number") == 0)  return "a number";
    if (strcmp(type, "boolean") == 0) return "a boolean";
    if (strcmp(type, "null") == 0)    return "null";
    return type;
}

/* Characters (code points) in a valid UTF-8 string. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static bool schema_walk(schema_walk_t *w, const json_t *schema, const json_t *v);

static bool check_type(schema_walk_t *w, const json_t *type, const json_t *v)
{
    if (json_is_string(type)) {
        const char *t = json_string_value(type);
        if (!type_matches(t, v))
            return schema_fail(w, "expected %s, got %s", type_article(t),
                               value_kind(v));
        return true;
    }
    if (json_is_array(type) && json_array_size(type) > 0) {
        size_t i;
        json_t *t;
        json_array_foreach(type, i, t) {
            if (!json_is_string(t) || type_matches(json_string_value(t), v))
                return true;
        }
        return schema_fail(w, "%s is not one of the allowed types",
                           value_kind(v));
    }
    return true;
}

static bool check_number_bounds(schema_walk_t *w, const json_t *schema,
                                const json_t *v)
{
    double d = json_number_value(v);
    json_t *b;
    if ((b = json_object_get(schema, "minimum")) != NULL && json_is_number(b) &&
        d < json_number_value(b))
        return schema_fail(w, "%g is below the minimum %g", d, json_number_value(b));
    if ((b = json_object_get(schema, "maximum")) != NULL && json_is_number(b) &&
        d > json_number_value(b))
        return schema_fail(w, "%g is above the maximum %g", d, json_number_value(b));
    if ((b = json_object_get(schema, "exclusiveMinimum")) != NULL &&
        json_is_number(b) && d <= json_number_value(b))
        return schema_fail(w, "%g must be greater than %g", d, json_number_value(b));
    if ((b = json_object_get(schema, "exclusiveMaximum")) != NULL &&
        json_is_number(b) && d >= json_number_value(b))
        return schema_fail(w, "%g must be less than %g", d, json_number_value(b));
    return true;
}

/* A non-negative integer keyword's value, or -1 when absent or odd. */
static json_int_t size_keyword(const json_t *schema, const char *key)
{
    json_t *b = json_object_get(schema, key);
    if (b == NULL || !is_integral(b))
        return -1;
    double d = json_number_value(b);
    return d < 0 ? -1 : (json_int_t)d;
}

static bool check_object(schema_walk_t *w, const json_t *schema, const json_t *v)
{
    json_t *required = json_object_get(schema, "required");
    if (json_is_array(required)) {
        size_t i;
        json_t *name;
        json_array_foreach(required, i, name) {
            if (json_is_string(name) &&
                json_object_get(v, json_string_value(name)) == NULL)
                return schema_fail(w, "missing required property '%s'",
                                   json_string_value(name));
        }
    }
    json_t *props = json_object_get(schema, "properties");
    json_t *additional = json_object_get(schema, "additionalProperties");
    const char *key;
    json_t *item;
    json_object_foreach((json_t *)v, key, item) {
        json_t *sub = json_is_object(props) ? json_object_get(props, key) : NULL;
        if (sub == NULL) {
            if (json_is_false(additional))
                return schema_fail(w, "unexpected property '%s'", key);
            if (json_is_object(additional))
                sub = additional;
        }
        if (sub == NULL)
            continue;
        size_t saved = path_push_key(w, key);
        bool ok = schema_walk(w, sub, item);
        path_pop(w, saved);
        if (!ok)
            return false;
    }
    return true;
}

static bool check_array(schema_walk_t *w, const json_t *schema, const json_t *v)
{
    json_int_t min = size_keyword(schema, "minItems");
    json_int_t max = size_keyword(schema, "maxItems");
    size_t n = json_array_size(v);
    if (min >= 0 && (json_int_t)n < min)
        return schema_fail(w, "%zu item(s), at least %lld expected", n, (long long)min);
    if (max >= 0 && (json_int_t)n > max)
        return schema_fail(w, "%zu item(s), at most %lld allowed", n, (long long)max);
    json_t *items = json_object_get(schema, "items");
    if (!json_is_object(items) && !json_is_boolean(items))
        return true;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        size_t saved = path_push_index(w, i);
        bool ok = schema_walk(w, items, item);
        path_pop(w, saved);
        if (!ok)
            return false;
    }
    return true;
}

static bool check_string(schema_walk_t *w, const json_t *schema, const json_t *v)
{
    json_int_t min = size_keyword(schema, "minLength");
    json_int_t max = size_keyword(schema, "maxLength");
    if (min < 0 && max < 0)
        return true;
    size_t n = utf8_chars(json_string_value(v), json_string_length(v));
    if (min >= 0 && (json_int_t)n < min)
        return schema_fail(w, "%zu character(s), at least %lld expected", n,
                           (long long)min);
    if (max >= 0 && (json_int_t)n > max)
        return schema_fail(w, "%zu character(s), at most %lld allowed", n,
                           (long long)max);
    return true;
}

/* JSON equality where 1 and 1.0 are the same number (JSON Schema's). */
static bool schema_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

static bool schema_walk(schema_walk_t *w, const json_t *schema, const json_t *v)
{
    if (json_is_false(schema))
        return schema_fail(w, "no value is allowed here");
    if (!json_is_object(schema))
        return true;
    if (++w->depth > MCP_SCHEMA_MAX_DEPTH) {
        w->depth--;
        return schema_fail(w, "nested too deeply (over %d levels)",
                           MCP_SCHEMA_MAX_DEPTH);
    }
    bool ok = true;
    json_t *type = json_object_get(schema, "type");
    json_t *enm = json_object_get(schema, "enum");
    json_t *cst = json_object_get(schema, "const");
    if (type != NULL && !check_type(w, type, v)) {
        ok = false;
    } else if (json_is_array(enm)) {
        bool found = false;
        size_t i;
        json_t *e;
        json_array_foreach(enm, i, e) {
            if (schema_equal(e, v)) {
                found = true;
                break;
            }
        }
        if (!found)
            ok = schema_fail(w, "not one of the allowed values");
    }
    if (ok && cst != NULL && !schema_equal(cst, v))
        ok = schema_fail(w, "must be the constant value the schema names");
    if (ok) {
        if (json_is_object(v))
            ok = check_object(w, schema, v);
        else if (json_is_array(v))
            ok = check_array(w, schema, v);
        else if (json_is_string(v))
            ok = check_string(w, schema, v);
        else if (json_is_number(v))
            ok = check_number_bounds(w, schema, v);
    }
    w->depth--;
    return ok;
}

bool mcp_schema_check(const json_t *schema, const json_t *value,
                      const char *where, char *err, size_t err_size)
{
    schema_walk_t w;
    memset(&w, 0, sizeof w);
    snprintf(w.path, sizeof w.path, "%s", where != NULL ? where : "value");
    w.path_len = strlen(w.path);
    w.err = err;
    w.err_size = err_size;
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    return schema_walk(&w, schema, value);
}
