/*
 * lpc_sscanf.c - the sscanf efun: int sscanf(string str, string format,
 * lvalue...).
 *
 * MudOS semantics.  The format is matched against str from the left:
 *
 *   literal bytes   must match exactly (a space matches one space; there
 *                   is no whitespace skipping outside %d %x %f)
 *   %%              matches a '%'
 *   %d              an optional run of whitespace, an optional sign and
 *                   at least one decimal digit -> int (64-bit; values out
 *                   of range saturate at the int limits)
 *   %x              the same in hex, with an optional 0x/0X prefix -> int
 *                   (the low 64 bits: "ffffffffffffffff" is -1)
 *   %f              whitespace, sign, digits with an optional fraction and
 *                   exponent ("1", "-2.5", ".5", "1e3") -> float
 *   %c              any one byte -> int (its value 0..255)
 *   %s              a string, non-greedy: it ends where what follows it in
 *                   the format first matches:
 *                     end of format        -> the rest of str (may be "")
 *                     literal text         -> up to the first occurrence
 *                                             of that text (no match if
 *                                             it does not occur)
 *                     %d / %x / %f         -> up to the first position
 *                                             where that number parses
 *                     %c                   -> "" (the %c takes the byte)
 *                   two %s in a row ("%s%s") are an error
 *   %*d %*s ...     match but assign nothing (and count nothing)
 *
 * There is no backtracking: once a %s has ended, a later mismatch ends
 * the whole scan.  The result is the number of lvalues assigned; the
 * variables after the first mismatch keep their old values.  Errors
 * (raised before anything is assigned): an unknown conversion, a '%' at
 * the end of the format, adjacent %s, fewer lvalues than conversions.
 */
#include "config.h"
#include "lpc/lpc_efun_std.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parses an integer at s[*pos..len) (whitespace, sign, digits in base 10
 * or 16).  Returns false (pos unchanged) when no digit is there.
 * Declared in lpc_efun_std.h (to_int() uses it too).
 */
bool lpc_scan_int(const char *s, size_t len, size_t *pos, int base, int64_t *out)
{
    size_t i = *pos;
    while (i < len && is_space((unsigned char)s[i]))
        i++;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (base == 16 && i + 2 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')
        && hex_digit((unsigned char)s[i + 2]) >= 0)
        i += 2;
    uint64_t v = 0;
    bool any = false, overflow = false;
    for (; i < len; i++) {
        int d = base == 16 ? hex_digit((unsigned char)s[i])
                           : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
        if (d < 0)
            break;
        any = true;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            overflow = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (!any)
        return false;
    int64_t r;
    if (base == 16) {
        r = overflow ? -1 : (int64_t)v;          /* all 64 bits */
        if (neg)
            r = (int64_t)(0 - (uint64_t)r);
    } else if (neg) {
        r = overflow || v > (uint64_t)INT64_MAX + 1 ? INT64_MIN : (int64_t)(0 - v);
    } else {
        r = overflow || v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
    }
    *out = r;
    *pos = i;
    return true;
}

/*
 * Parses a decimal float at s[*pos..len): whitespace, sign, digits with
 * an optional '.' fraction (at least one digit in all) and an optional
 * exponent.  Returns false when there is none.  Declared in
 * lpc_efun_std.h (to_float() uses it too).
 */
bool lpc_scan_float(const char *s, size_t len, size_t *pos, double *out)
{
    size_t i = *pos;
    while (i < len && is_space((unsigned char)s[i]))
        i++;
    size_t start = i;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        size_t j = i + 1;
        size_t frac = 0;
        while (j < len && s[j] >= '0' && s[j] <= '9') {
            j++;
            frac++;
        }
        if (digits + frac > 0) {
            i = j;
            digits += frac;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < len && s[j] >= '0' && s[j] <= '9') {
            while (j < len && s[j] >= '0' && s[j] <= '9')
                j++;
            i = j;
        }
    }
    /* strtod needs a NUL right after the accepted text (it would
     * otherwise read on, e.g. into "0x1p3"). */
    size_t n = i - start;
    char small[128];
    char *buf = n < sizeof small ? small : lpc_malloc(n + 1);
    memcpy(buf, s + start, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    *pos = i;
    return true;
}

/* Does a number of conversion conv ('d', 'x' or 'f') start at s[pos]? */
static bool number_at(const char *s, size_t len, size_t pos, char conv)
{
    size_t p = pos;
    int64_t iv;
    double fv;
    if (conv == 'f')
        return lpc_scan_float(s, len, &p, &fv);
    return lpc_scan_int(s, len, &p, conv == 'x' ? 16 : 10, &iv);
}

/*
 * The first position >= pos where a number of conversion conv parses
 * (whitespace before the number included, as the conversion skips it),
 * or len when there is none.  Linear: a whitespace run is looked past
 * once instead of being rescanned from each of its bytes.
 */
static size_t find_number(const char *s, size_t len, size_t pos, char conv)
{
    while (pos < len) {
        if (is_space((unsigned char)s[pos])) {
            size_t run = pos;
            while (pos < len && is_space((unsigned char)s[pos]))
                pos++;
            if (pos < len && number_at(s, len, pos, conv))
                return run;
            continue;
        }
        if (number_at(s, len, pos, conv))
            return pos;
        pos++;
    }
    return len;
}

/*
 * The literal text in the format at fmt[i..): bytes up to the next
 * conversion, with "%%" standing for '%'.  Copies it (decoded) into lit
 * and returns its length; *end is where the literal stops in fmt.
 */
static size_t format_literal(const char *fmt, size_t flen, size_t i, char *lit, size_t *end)
{
    size_t n = 0;
    while (i < flen) {
        if (fmt[i] == '%') {
            if (i + 1 < flen && fmt[i + 1] == '%') {
                lit[n++] = '%';
                i += 2;
                continue;
            }
            break;
        }
        lit[n++] = fmt[i++];
    }
    *end = i;
    return n;
}

static int64_t find_bytes(const char *hay, size_t hlen, size_t from,
                          const char *needle, size_t nlen)
{
    if (nlen == 0)
        return (int64_t)from;
    if (nlen > hlen || from > hlen - nlen)
        return -1;
    for (size_t i = from; i + nlen <= hlen; i++) {
        const char *q = memchr(hay + i, (unsigned char)needle[0], hlen - nlen - i + 1);
        if (q == NULL)
            return -1;
        i = (size_t)(q - hay);
        if (memcmp(q, needle, nlen) == 0)
            return (int64_t)i;
    }
    return -1;
}

/*
 * Checks the format and counts the lvalues it assigns; raises on a bad
 * format.  Runs before anything is allocated or assigned.
 */
static int check_format(lpc_vm_t *vm, const char *fmt, size_t flen)
{
    int assigns = 0;
    bool prev_s = false;
    for (size_t i = 0; i < flen; i++) {
        if (fmt[i] != '%') {
            prev_s = false;
            continue;
        }
        if (++i >= flen)
            lpc_error(vm, "sscanf: the format ends with a lone '%%'");
        if (fmt[i] == '%') {
            prev_s = false;
            continue;
        }
        bool skip = fmt[i] == '*';
        if (skip && ++i >= flen)
            lpc_error(vm, "sscanf: the format ends with an incomplete '%%*'");
        char conv = fmt[i];
        if (conv != 'd' && conv != 's' && conv != 'x' && conv != 'f' && conv != 'c')
            lpc_error(vm, "sscanf: unknown conversion '%%%s%c' in the format",
                      skip ? "*" : "", conv);
        if (conv == 's' && prev_s)
            lpc_error(vm, "sscanf: two adjacent %%s conversions in the format "
                      "(the first one could never end)");
        prev_s = conv == 's';
        if (!skip)
            assigns++;
    }
    return assigns;
}

static void efun_sscanf(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_string_t *str = args[0].u.s;
    const lpc_string_t *fmtstr = args[1].u.s;
    const char *s = str->data, *fmt = fmtstr->data;
    size_t slen = str->len, flen = fmtstr->len;

    int needed = check_format(vm, fmt, flen);
    int nlv = nargs - 2;
    if (needed > nlv)
        lpc_error(vm, "sscanf: too few arguments: the format assigns %d "
                  "variables, %d given", needed, nlv);
    lpc_efun_charge_bytes(vm, slen + flen);

    /* Nothing below raises: literals are matched in place, the decoded
     * literal after a %s lives in lit (at most flen bytes). */
    char small[256];
    char *lit = flen < sizeof small ? small : lpc_malloc(flen + 1);
    size_t pos = 0, f = 0;
    int lv = 2;                  /* next lvalue argument */
    int count = 0;

    while (f < flen) {
        if (fmt[f] != '%' || (f + 1 < flen && fmt[f + 1] == '%')) {
            char want = fmt[f];
            f += want == '%' ? 2 : 1;
            if (pos >= slen || s[pos] != want)
                break;
            pos++;
            continue;
        }
        f++;
        bool skip = fmt[f] == '*';
        if (skip)
            f++;
        char conv = fmt[f++];
        lpc_value_t val;

        if (conv == 'd' || conv == 'x') {
            int64_t n;
            if (!lpc_scan_int(s, slen, &pos, conv == 'x' ? 16 : 10, &n))
                break;
            val = lpc_int(n);
        } else if (conv == 'f') {
            double d;
            if (!lpc_scan_float(s, slen, &pos, &d))
                break;
            val = lpc_float(d);
        } else if (conv == 'c') {
            if (pos >= slen)
                break;
            val = lpc_int((unsigned char)s[pos++]);
        } else {                                            /* %s */
            size_t end;
            if (f >= flen) {
                end = slen;
            } else if (fmt[f] == '%' && !(f + 1 < flen && fmt[f + 1] == '%')) {
                size_t g = f + 1;
                if (fmt[g] == '*')
                    g++;
                char next = fmt[g];
                if (next == 'c') {
                    end = pos;
                } else {
                    end = find_number(s, slen, pos, next);
                    if (end >= slen)
                        break;              /* no number follows: no match */
                }
            } else {
                size_t lend;
                size_t n = format_literal(fmt, flen, f, lit, &lend);
                int64_t at = find_bytes(s, slen, pos, lit, n);
                if (at < 0)
                    break;
                end = (size_t)at;
            }
            val = skip ? lpc_int(0)
                       : lpc_value_string(lpc_string_substr(str, (int64_t)pos, (int64_t)end));
            pos = end;
        }
        if (!skip) {
            lpc_efun_lvalue_set(&args[lv++], val);
            count++;
        }
    }
    if (lit != small)
        free(lit);
    *ret = lpc_int(count);
}

static const lpc_efun_def_t sscanf_efuns[] = {
    { "sscanf", efun_sscanf, 2, LPC_EFUN_VARARGS, 3, 0, LPC_TM_INT,
      { LPC_TM_STRING, LPC_TM_STRING } },
};

const lpc_efun_def_t *lpc_efun_sscanf_table(size_t *count)
{
    *count = sizeof sscanf_efuns / sizeof sscanf_efuns[0];
    return sscanf_efuns;
}
