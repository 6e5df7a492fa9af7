/*
 * efun_json.c - to_json / from_json with jansson.
 *
 * to_json(value) -> compact JSON text:
 *   int -> integer, float -> real (NaN and infinities: error),
 *   string -> string (invalid UTF-8 repaired: each bad byte becomes
 *   U+FFFD), array -> array, mapping -> object (every key must be a
 *   string: any other key is an error; keys keep the mapping's order).
 *   0 is the integer 0: LPC cannot tell 0 from "nothing", so to_json
 *   never writes null.  Objects and function pointers: error.
 * from_json(text) -> value:
 *   null -> 0, true -> 1, false -> 0, integer -> int, real -> float,
 *   string -> string, array -> array, object -> mapping.  Any JSON value
 *   at the top (not only objects and arrays).  Invalid JSON: an error
 *   "from_json: line L, column C (byte B): what".
 * Nesting deeper than JSON_EFUN_MAX_DEPTH is refused both ways.
 */
#include <config.h>
#include "efuns_driver.h"

#include "lpc/lpc_efun.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_EFUN_MAX_DEPTH 200

/* ---- UTF-8 repair ----------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string of s, its invalid bytes replaced by U+FFFD. */
static json_t *json_string_repaired(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0)
            break;
        i += k;
    }
    if (i == len)
        return json_stringn_nocheck(data, len);
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_strbuf_append(&b, data, i);
    while (i < len) {
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0) {
            lpc_strbuf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            lpc_strbuf_append(&b, data + i, k);
            i += k;
        }
    }
    json_t *j = json_stringn_nocheck(b.data, b.len);
    lpc_strbuf_free(&b);
    return j;
}

/* ---- to_json ---------------------------------------------------------- */

/* Builds the JSON for v; NULL with a message in err. */
static json_t *to_json(const lpc_value_t *v, int depth, char *err, size_t errsize)
{
    if (depth > JSON_EFUN_MAX_DEPTH) {
        snprintf(err, errsize, "arrays and mappings nested deeper than %d",
                 JSON_EFUN_MAX_DEPTH);
        return NULL;
    }
    switch (v->type) {
    case LPC_T_INT:
        return json_integer((json_int_t)v->u.i);
    case LPC_T_FLOAT:
        if (!isfinite(v->u.f)) {
            snprintf(err, errsize, "%g has no JSON form", v->u.f);
            return NULL;
        }
        return json_real(v->u.f);
    case LPC_T_STRING:
        return json_string_repaired(v->u.s->data, v->u.s->len);
    case LPC_T_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < v->u.a->size; i++) {
            json_t *item = to_json(&v->u.a->items[i], depth + 1, err, errsize);
            if (item == NULL || json_array_append_new(a, item) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case LPC_T_MAPPING: {
        json_t *o = json_object();
        size_t cur = 0;
        const lpc_value_t *k;
        lpc_value_t *val;
        while (lpc_mapping_next(v->u.m, &cur, &k, &val)) {
            if (k->type != LPC_T_STRING) {
                snprintf(err, errsize, "a mapping key is %s, not a string",
                         lpc_type_name((lpc_type_t)k->type));
                json_decref(o);
                return NULL;
            }
            if (memchr(k->u.s->data, '\0', k->u.s->len) != NULL) {
                snprintf(err, errsize, "a mapping key contains a NUL byte");
                json_decref(o);
                return NULL;
            }
            json_t *ks = json_string_repaired(k->u.s->data, k->u.s->len);
            json_t *item = to_json(val, depth + 1, err, errsize);
            /* set_new takes item even when it fails */
            if (ks == NULL || item == NULL ||
                json_object_set_new_nocheck(o, json_string_value(ks), item) != 0) {
                if (ks == NULL)
                    json_decref(item);
                json_decref(ks);
                json_decref(o);
                if (item != NULL)
                    snprintf(err, errsize, "out of memory");
                return NULL;
            }
            json_decref(ks);
        }
        return o;
    }
    default:
        snprintf(err, errsize, "%s has no JSON form",
                 lpc_type_name((lpc_type_t)v->type));
        return NULL;
    }
}

static void efun_to_json(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char err[160] = "out of memory";
    json_t *j = to_json(&args[0], 0, err, sizeof err);
    if (j == NULL)
        lpc_error(vm, "to_json: %s", err);
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (text == NULL)
        lpc_error(vm, "to_json: cannot encode");
    *ret = lpc_value_string(lpc_string_from_cstr(text));
    free(text);
}

/* ---- from_json -------------------------------------------------------- */

/* Converts j into *out (owned).  jansson's own depth limit applies while
 * parsing, so the recursion here is bounded. */
static void from_json(const json_t *j, lpc_value_t *out)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        lpc_mapping_t *m = lpc_mapping_new(json_object_size(j));
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)j, key, val) {
            lpc_value_t k = lpc_value_string(lpc_string_from_cstr(key));
            lpc_value_t v = lpc_int(0);
            from_json(val, &v);
            lpc_mapping_set(m, &k, &v);
            lpc_value_release(&k);
            lpc_value_release(&v);
        }
        *out = lpc_value_mapping(m);
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        lpc_array_t *a = lpc_array_new(n);
        for (size_t i = 0; i < n; i++)
            from_json(json_array_get(j, i), &a->items[i]);
        *out = lpc_value_array(a);
        return;
    }
    case JSON_STRING:
        *out = lpc_value_string(lpc_string_new(json_string_value(j), json_string_length(j)));
        return;
    case JSON_INTEGER:
        *out = lpc_int((int64_t)json_integer_value(j));
        return;
    case JSON_REAL:
        *out = lpc_float(json_real_value(j));
        return;
    case JSON_TRUE:
        *out = lpc_int(1);
        return;
    default:                    /* false, null */
        *out = lpc_int(0);
        return;
    }
}

static void efun_from_json(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    const lpc_string_t *s = args[0].u.s;
    json_error_t e;
    json_t *j = json_loadb(s->data, s->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (j == NULL)
        lpc_error(vm, "from_json: line %d, column %d (byte %d): %s",
                  e.line, e.column, e.position, e.text);
    from_json(j, ret);
    json_decref(j);
}

static const lpc_efun_def_t json_efuns[] = {
    { "to_json",   efun_to_json,   1, 1, 0, 0, LPC_TM_STRING, { 0 } },
    { "from_json", efun_from_json, 1, 1, 0, 0, LPC_TM_ANY, { LPC_TM_STRING } },
};

void driver_efuns_json_register(void)
{
    lpc_efun_register(json_efuns, sizeof json_efuns / sizeof json_efuns[0]);
}

/* ---- for C callers (efuns_driver.h) ------------------------------------ */

json_t *driver_lpc_to_json(const lpc_value_t *v, char *err, size_t errsize)
{
    return to_json(v, 0, err, errsize);
}

void driver_json_to_lpc(const json_t *j, lpc_value_t *out)
{
    from_json(j, out);
}
