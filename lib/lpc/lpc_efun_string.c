/*
 * lpc_efun_string.c - string efuns: strlen, explode, implode,
 * replace_string, lower_case, upper_case, capitalize, strsrch.
 *
 * Strings are counted byte strings that may hold any byte (NUL
 * included); every efun here works on bytes.  Case mapping is ASCII only
 * (bytes >= 0x80 are left alone), so the result never depends on the
 * C locale.
 *
 * Efun convention (lpc_efun.h): errors are raised before any C memory is
 * allocated, results go to *ret as new references, and implode() with a
 * function keeps its accumulator in *ret across the calls back into LPC.
 */
#include "config.h"
#include "lpc/lpc_efun_std.h"

#include <string.h>

/* ------------------------------------------------------------ helpers */

/*
 * Offset of the first occurrence of needle[0..nlen) in hay[from..hlen),
 * or -1.  nlen > 0.
 */
static int64_t find_bytes(const char *hay, size_t hlen, size_t from,
                          const char *needle, size_t nlen)
{
    if (nlen > hlen || from > hlen - nlen)
        return -1;
    const char *p = hay + from;
    const char *last = hay + (hlen - nlen);      /* last possible start */
    while (p <= last) {
        const char *q = memchr(p, (unsigned char)needle[0], (size_t)(last - p) + 1);
        if (q == NULL)
            return -1;
        if (memcmp(q, needle, nlen) == 0)
            return q - hay;
        p = q + 1;
    }
    return -1;
}

/* Offset of the last occurrence of needle in hay, or -1.  nlen > 0. */
static int64_t rfind_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen > hlen)
        return -1;
    for (size_t i = hlen - nlen + 1; i-- > 0;) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return (int64_t)i;
    }
    return -1;
}

/* ------------------------------------------------------------- strlen */

/* int strlen(string str): the number of bytes. */
static void efun_strlen(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    *ret = lpc_int((int64_t)args[0].u.s->len);
}

/* ------------------------------------------------------------ explode */

/*
 * string *explode(string str, string del)
 *
 * MudOS semantics with SANE_EXPLODE_STRING (the MudOS and FluffOS
 * default): at most ONE leading delimiter is dropped, and one trailing
 * delimiter does not produce a trailing "" (consecutive delimiters in
 * between do give empty strings):
 *
 *     explode("/a/b/", "/")        == ({ "a", "b" })
 *     explode("..x.y..z..", ".")   == ({ "", "x", "y", "", "z", "" })
 *     explode("a", "/")            == ({ "a" })
 *     explode("", "/")             == ({ })
 *     explode("/", "/")            == ({ })      (only the delimiter)
 *     explode("//", "/")           == ({ "" })
 *     explode("abc", "")           == ({ "a", "b", "c" })  (one per byte)
 *
 * So implode(explode(s, d), d) == s except for one leading and one
 * trailing delimiter.  Multi-byte delimiters match left to right without
 * overlapping.
 */
static void efun_explode(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    const lpc_string_t *str = args[0].u.s;
    const lpc_string_t *del = args[1].u.s;
    const char *s = str->data;
    size_t slen = str->len, dlen = del->len;

    if (slen == 0) {
        *ret = lpc_value_array(lpc_array_empty());
        return;
    }
    if (dlen == 0) {
        lpc_vm_charge(vm, (int64_t)slen);
        lpc_array_t *a = lpc_array_alloc(slen);
        for (size_t i = 0; i < slen; i++)
            a->items[i] = lpc_value_string(lpc_string_new(s + i, 1));
        *ret = lpc_value_array(a);
        return;
    }

    size_t begin = 0, end = slen;
    if (slen >= dlen && memcmp(s, del->data, dlen) == 0) {
        begin = dlen;
        if (begin == slen) {                    /* str is just the delimiter */
            *ret = lpc_value_array(lpc_array_empty());
            return;
        }
    }
    if (end - begin >= dlen && memcmp(s + end - dlen, del->data, dlen) == 0)
        end -= dlen;

    /* Count the pieces, charge, then build (nothing can fail after). */
    size_t pieces = 1;
    for (int64_t at = find_bytes(s, end, begin, del->data, dlen); at >= 0;
         at = find_bytes(s, end, (size_t)at + dlen, del->data, dlen))
        pieces++;
    lpc_vm_charge(vm, (int64_t)pieces);
    lpc_efun_charge_bytes(vm, slen);

    lpc_array_t *a = lpc_array_alloc(pieces);
    size_t from = begin;
    for (size_t i = 0; i < pieces; i++) {
        int64_t at = i + 1 < pieces ? find_bytes(s, end, from, del->data, dlen) : (int64_t)end;
        a->items[i] = lpc_value_string(lpc_string_substr(str, (int64_t)from, at));
        from = (size_t)at + dlen;
    }
    *ret = lpc_value_array(a);
}

/* ------------------------------------------------------------ implode */

/*
 * string implode(string *arr, string glue)
 * mixed implode(mixed *arr, function f [, mixed start])
 *
 * With a string: the elements joined with glue between them; every
 * element must be a string (an error names the first that is not).
 * With a function: a left fold, acc = f(acc, elem) over the elements,
 * starting from `start` when given, else from arr[0] (({}) without start
 * gives 0).  The accumulator lives in *ret while f runs, so an error in
 * f leaks nothing.
 */
static void efun_implode(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_array_t *arr = args[0].u.a;

    if (args[1].type == LPC_T_FUNCTION) {
        uint32_t i = 0;
        if (nargs >= 3) {
            lpc_value_assign(ret, &args[2]);
        } else if (arr->size > 0) {
            lpc_value_assign(ret, &arr->items[0]);
            i = 1;
        }
        for (; i < arr->size; i++) {
            lpc_value_t pair[2];
            pair[0] = *ret;
            pair[1] = arr->items[i];
            if (pair[1].type == LPC_T_OBJECT && lpc_object_is_destructed(pair[1].u.o))
                pair[1] = lpc_int(0);
            lpc_value_t r = lpc_int(0);
            lpc_vm_call_function(vm, &args[1], pair, 2, &r);
            lpc_value_release(ret);
            *ret = r;
        }
        return;
    }

    const lpc_string_t *glue = args[1].u.s;
    size_t total = 0;
    for (uint32_t i = 0; i < arr->size; i++) {
        const lpc_value_t *v = &arr->items[i];
        if (v->type != LPC_T_STRING)
            lpc_error(vm, "implode: element %u of the array is %s, expected string",
                      (unsigned)i, lpc_type_name((lpc_type_t)v->type));
        total += v->u.s->len;
    }
    if (arr->size == 0) {
        *ret = lpc_value_string(lpc_string_empty());
        return;
    }
    if (arr->size == 1) {
        lpc_string_incref(arr->items[0].u.s);
        *ret = arr->items[0];
        return;
    }
    total += glue->len * (size_t)(arr->size - 1);
    lpc_vm_charge(vm, (int64_t)arr->size);
    lpc_efun_charge_bytes(vm, total);

    lpc_string_t *out = lpc_string_alloc(total);
    char *p = out->data;
    for (uint32_t i = 0; i < arr->size; i++) {
        if (i > 0 && glue->len > 0) {
            memcpy(p, glue->data, glue->len);
            p += glue->len;
        }
        const lpc_string_t *piece = arr->items[i].u.s;
        if (piece->len > 0) {
            memcpy(p, piece->data, piece->len);
            p += piece->len;
        }
    }
    *ret = lpc_value_string(out);
}

/* ----------------------------------------------------- replace_string */

/*
 * string replace_string(string str, string pattern, string rep)
 * string replace_string(string str, string pattern, string rep, int max)
 * string replace_string(string str, string pattern, string rep,
 *                       int first, int last)
 *
 * Replaces the non-overlapping occurrences of pattern, found left to
 * right and numbered from 1.  With max: only the first max (0: all).
 * With first, last: only occurrences first..last, where first < 1 means
 * from the first, last 0 or past the end means to the last, and
 * first > last replaces nothing.  An empty pattern returns str unchanged
 * (MudOS).
 */
static void efun_replace_string(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    lpc_string_t *str = args[0].u.s;
    const lpc_string_t *pat = args[1].u.s;
    const lpc_string_t *rep = args[2].u.s;
    int64_t first = 1, last = INT64_MAX;

    if (nargs == 4) {
        if (args[3].u.i < 0)
            lpc_error(vm, "replace_string: the maximum number of replacements "
                      "is negative (%lld)", (long long)args[3].u.i);
        if (args[3].u.i > 0)
            last = args[3].u.i;
    } else if (nargs == 5) {
        first = args[3].u.i < 1 ? 1 : args[3].u.i;
        if (args[4].u.i > 0)
            last = args[4].u.i;
        else if (args[4].u.i < 0)
            last = 0;                           /* nothing */
    }
    if (pat->len == 0 || str->len < pat->len || first > last) {
        lpc_string_incref(str);
        *ret = lpc_value_string(str);
        return;
    }
    lpc_efun_charge_bytes(vm, str->len);

    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    size_t from = 0;
    int64_t n = 0;
    bool changed = false;
    for (;;) {
        int64_t at = find_bytes(str->data, str->len, from, pat->data, pat->len);
        if (at < 0)
            break;
        n++;
        if (n > last)
            break;
        if (n >= first) {
            lpc_strbuf_append(&b, str->data + from, (size_t)at - from);
            lpc_strbuf_append(&b, rep->data, rep->len);
            changed = true;
        } else {
            lpc_strbuf_append(&b, str->data + from, (size_t)at - from + pat->len);
        }
        from = (size_t)at + pat->len;
    }
    if (!changed) {
        lpc_strbuf_free(&b);
        lpc_string_incref(str);
        *ret = lpc_value_string(str);
        return;
    }
    lpc_strbuf_append(&b, str->data + from, str->len - from);
    *ret = lpc_value_string(lpc_strbuf_finish(&b));
    lpc_efun_charge_bytes(vm, ret->u.s->len);    /* result is safe in *ret */
}

/* ------------------------------------------------------- case mapping */

enum case_mode { CASE_LOWER, CASE_UPPER, CASE_CAPITALIZE };

/*
 * Maps ASCII letters; returns str itself (new reference) when nothing
 * changes, so lower_case of an already lower-case string allocates
 * nothing.
 */
static lpc_string_t *map_case(lpc_string_t *str, enum case_mode mode)
{
    size_t n = mode == CASE_CAPITALIZE ? (str->len > 0 ? 1 : 0) : str->len;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)str->data[i];
        if (mode == CASE_LOWER ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z'))
            break;
    }
    if (i == n) {
        lpc_string_incref(str);
        return str;
    }
    lpc_string_t *out = lpc_string_new(str->data, str->len);
    for (; i < n; i++) {
        unsigned char c = (unsigned char)out->data[i];
        if (mode == CASE_LOWER) {
            if (c >= 'A' && c <= 'Z')
                out->data[i] = (char)(c + ('a' - 'A'));
        } else if (c >= 'a' && c <= 'z') {
            out->data[i] = (char)(c - ('a' - 'A'));
        }
    }
    return out;
}

/* string lower_case(string str): ASCII A-Z to a-z. */
static void efun_lower_case(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_efun_charge_bytes(vm, args[0].u.s->len);
    *ret = lpc_value_string(map_case(args[0].u.s, CASE_LOWER));
}

/* string upper_case(string str): ASCII a-z to A-Z. */
static void efun_upper_case(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_efun_charge_bytes(vm, args[0].u.s->len);
    *ret = lpc_value_string(map_case(args[0].u.s, CASE_UPPER));
}

/* string capitalize(string str): the first byte upper-cased if it is an
 * ASCII lower-case letter; the rest unchanged. */
static void efun_capitalize(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    *ret = lpc_value_string(map_case(args[0].u.s, CASE_CAPITALIZE));
}

/* ------------------------------------------------------------- strsrch */

/*
 * int strsrch(string str, string substr | int char, int flag = 0)
 *
 * The byte offset of the first occurrence of substr (or of the byte
 * `char`) in str, or of the last one when flag is negative (MudOS uses
 * -1; any negative value means "from the end" here); -1 when absent.
 * The empty string and a char outside 0..255 are never found (MudOS:
 * they "cannot be searched for").
 */
static void efun_strsrch(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_string_t *str = args[0].u.s;
    bool reverse = nargs >= 3 && args[2].u.i < 0;
    char one;
    const char *needle;
    size_t nlen;

    if (args[1].type == LPC_T_INT) {
        if (args[1].u.i < 0 || args[1].u.i > 255) {
            *ret = lpc_int(-1);
            return;
        }
        one = (char)(unsigned char)args[1].u.i;
        needle = &one;
        nlen = 1;
    } else {
        needle = args[1].u.s->data;
        nlen = args[1].u.s->len;
    }
    if (nlen == 0) {
        *ret = lpc_int(-1);
        return;
    }
    lpc_efun_charge_bytes(vm, str->len);
    *ret = lpc_int(reverse ? rfind_bytes(str->data, str->len, needle, nlen)
                           : find_bytes(str->data, str->len, 0, needle, nlen));
}

/* --------------------------------------------------------------- table */

static const lpc_efun_def_t string_efuns[] = {
    { "strlen", efun_strlen, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_INT,
      { LPC_TM_STRING } },
    { "explode", efun_explode, 2, 2, 0, 0, LPC_TM_ARRAY,
      { LPC_TM_STRING, LPC_TM_STRING } },
    { "implode", efun_implode, 2, 3, 0, 0, 0,
      { LPC_TM_ARRAY, LPC_TM_STRING | LPC_TM_FUNCTION, 0 } },
    { "replace_string", efun_replace_string, 3, 5, 0, LPC_EFUN_F_PURE, LPC_TM_STRING,
      { LPC_TM_STRING, LPC_TM_STRING, LPC_TM_STRING, LPC_TM_INT, LPC_TM_INT } },
    { "lower_case", efun_lower_case, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_STRING,
      { LPC_TM_STRING } },
    { "upper_case", efun_upper_case, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_STRING,
      { LPC_TM_STRING } },
    { "capitalize", efun_capitalize, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_STRING,
      { LPC_TM_STRING } },
    { "strsrch", efun_strsrch, 2, 3, 0, LPC_EFUN_F_PURE, LPC_TM_INT,
      { LPC_TM_STRING, LPC_TM_STRING | LPC_TM_INT, LPC_TM_INT } },
};

const lpc_efun_def_t *lpc_efun_string_table(size_t *count)
{
    *count = sizeof string_efuns / sizeof string_efuns[0];
    return string_efuns;
}
