/*
 * lpc_sprintf.c - sprintf()/printf() formatting and the %O value dump
 * (the rules are in lpc_sprintf.h), and the sprintf and printf efuns.
 *
 * The formatter never raises an LPC error: it builds into a C strbuf,
 * and an LPC error (a longjmp) would leak it.  It reports errors as a
 * message instead; the efuns free the buffer, then raise.
 */
#include "config.h"
#include "port/port_format.h"
#include "lpc/lpc_sprintf.h"
#include "lpc/lpc_efun_std.h"
#include "lpc/lpc_funcptr.h"
#include "lpc/lpc_object.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ %O dump */

typedef struct dump_ctx {
    lpc_strbuf_t *out;
    const void *path[LPC_SPRINTF_MAX_DEPTH];   /* containers being printed */
    int depth;
    bool overflow;                             /* output limit reached */
} dump_ctx_t;

static void append_spaces(lpc_strbuf_t *b, int n)
{
    if (n <= 0)
        return;
    lpc_strbuf_reserve(b, (size_t)n);
    memset(b->data + b->len, ' ', (size_t)n);
    b->len += (size_t)n;
    b->data[b->len] = '\0';
}

/* A string as an LPC literal: quoted, with " \ and control bytes escaped. */
static void dump_string(lpc_strbuf_t *b, const lpc_string_t *s)
{
    static const char hex[] = "0123456789abcdef";
    lpc_strbuf_reserve(b, s->len + 2);
    lpc_strbuf_append_char(b, '"');
    size_t run = 0;                 /* start of the pending plain bytes */
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->data[i];
        char esc[4];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\'; esc[1] = (char)c; n = 2;
        } else if (c == '\n') {
            esc[0] = '\\'; esc[1] = 'n'; n = 2;
        } else if (c == '\t') {
            esc[0] = '\\'; esc[1] = 't'; n = 2;
        } else if (c == '\r') {
            esc[0] = '\\'; esc[1] = 'r'; n = 2;
        } else if (c < 0x20 || c == 0x7f) {
            esc[0] = '\\'; esc[1] = 'x'; esc[2] = hex[c >> 4]; esc[3] = hex[c & 15]; n = 4;
        } else {
            continue;
        }
        lpc_strbuf_append(b, s->data + run, i - run);
        lpc_strbuf_append(b, esc, n);
        run = i + 1;
    }
    lpc_strbuf_append(b, s->data + run, s->len - run);
    lpc_strbuf_append_char(b, '"');
}

static void dump_value(dump_ctx_t *c, const lpc_value_t *v, int indent);

/* True (and prints the marker) when container p is on the current path
 * or the path is full. */
static bool dump_guard(dump_ctx_t *c, const void *p, const char *open, const char *close)
{
    for (int i = 0; i < c->depth; i++) {
        if (c->path[i] == p) {
            lpc_strbuf_printf(c->out, "%s /* circular */ %s", open, close);
            return true;
        }
    }
    if (c->depth == LPC_SPRINTF_MAX_DEPTH) {
        lpc_strbuf_printf(c->out, "%s ... %s", open, close);
        return true;
    }
    return false;
}

static bool dump_full(dump_ctx_t *c)
{
    if (c->out->len > LPC_SPRINTF_MAX_OUTPUT) {
        c->overflow = true;
        return true;
    }
    return c->overflow;
}

static void dump_array(dump_ctx_t *c, const lpc_array_t *a, int indent)
{
    if (a->size == 0) {
        lpc_strbuf_append_cstr(c->out, "({ })");
        return;
    }
    if (dump_guard(c, a, "({", "})"))
        return;
    c->path[c->depth++] = a;
    lpc_strbuf_printf(c->out, "({ /* sizeof() == %u */\n", (unsigned)a->size);
    for (uint32_t i = 0; i < a->size && !dump_full(c); i++) {
        append_spaces(c->out, indent + 2);
        dump_value(c, &a->items[i], indent + 2);
        lpc_strbuf_append_cstr(c->out, i + 1 < a->size ? ",\n" : "\n");
    }
    append_spaces(c->out, indent);
    lpc_strbuf_append_cstr(c->out, "})");
    c->depth--;
}

static void dump_mapping(dump_ctx_t *c, const lpc_mapping_t *m, int indent)
{
    size_t n = lpc_mapping_size(m);
    if (n == 0) {
        lpc_strbuf_append_cstr(c->out, "([ ])");
        return;
    }
    if (dump_guard(c, m, "([", "])"))
        return;
    c->path[c->depth++] = m;
    lpc_strbuf_printf(c->out, "([ /* sizeof() == %zu */\n", n);
    size_t cursor = 0;
    const lpc_value_t *key;
    lpc_value_t *val;
    while (!dump_full(c) && lpc_mapping_next(m, &cursor, &key, &val)) {
        append_spaces(c->out, indent + 2);
        dump_value(c, key, indent + 2);
        lpc_strbuf_append_cstr(c->out, " : ");
        dump_value(c, val, indent + 2);
        lpc_strbuf_append_cstr(c->out, ",\n");
    }
    append_spaces(c->out, indent);
    lpc_strbuf_append_cstr(c->out, "])");
    c->depth--;
}

static void dump_value(dump_ctx_t *c, const lpc_value_t *v, int indent)
{
    if (dump_full(c))
        return;
    switch (v->type) {
    case LPC_T_INT:
        lpc_strbuf_append_number(c->out, v);
        break;
    case LPC_T_FLOAT: {
        /* as string + float does, but "1.0" rather than "1", so that a
         * float never reads as an int */
        size_t from = c->out->len;
        lpc_strbuf_append_number(c->out, v);
        if (strpbrk(c->out->data + from, ".eEn") == NULL)
            lpc_strbuf_append_cstr(c->out, ".0");
        break;
    }
    case LPC_T_STRING:
        dump_string(c->out, v->u.s);
        break;
    case LPC_T_ARRAY:
        dump_array(c, v->u.a, indent);
        break;
    case LPC_T_MAPPING:
        dump_mapping(c, v->u.m, indent);
        break;
    case LPC_T_OBJECT:
        if (lpc_object_is_destructed(v->u.o)) {
            lpc_strbuf_append_char(c->out, '0');
        } else {
            const lpc_string_t *name = lpc_object_name(v->u.o);
            lpc_strbuf_append(c->out, name->data, name->len);
        }
        break;
    case LPC_T_FUNCTION:
        lpc_funcptr_describe(v->u.fp, c->out);
        break;
    default:
        lpc_strbuf_append_cstr(c->out, "<lvalue>");
        break;
    }
}

void lpc_sprintf_value(lpc_strbuf_t *out, const lpc_value_t *v, int indent)
{
    dump_ctx_t c;
    c.out = out;
    c.depth = 0;
    c.overflow = false;
    dump_value(&c, v, indent);
    if (c.overflow)
        lpc_strbuf_append_cstr(out, "...");
}

/* ---------------------------------------------------------- formatter */

typedef struct spec {
    bool left, centre, plus, space, zero, each;
    bool column;           /* %=: wrap the string into lines */
    bool table;            /* %#: lay the words out in a table */
    const char *pad;       /* pad string (raw, may hold \' escapes) */
    size_t padlen;
    int64_t width;         /* -1: none */
    int64_t prec;          /* -1: none */
} spec_t;

/*
 * A multi-line field (column or table mode) whose first line is already
 * in the output: the rest waits until the format's line ends, then each
 * further output line carries the next line of every such field at the
 * field's column (the rest of those lines is spaces).
 */
typedef struct block {
    size_t start;          /* column of the field in its output line */
    spec_t sp;             /* width and alignment of every line */
    lpc_strbuf_t lines;    /* the remaining lines, each ended by '\n' */
    size_t pos;            /* the next line starts at lines.data[pos] */
} block_t;

#define MAX_BLOCKS 16      /* multi-line fields on one line of the format */

typedef struct fmt_ctx {
    lpc_strbuf_t *out;
    lpc_strbuf_t tmp;      /* scratch for one directive's text */
    const lpc_value_t *args;
    int nargs;
    int next;              /* next argument to consume */
    block_t blocks[MAX_BLOCKS];
    int nblocks;           /* with lines still to print */
    char *err;
    size_t errsize;
} fmt_ctx_t;

#if defined(__GNUC__)
__attribute__((format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
static bool fail(fmt_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errsize, fmt, ap);
    va_end(ap);
    return false;
}

/* The next argument, or NULL after storing the error. */
static const lpc_value_t *take_arg(fmt_ctx_t *c, char conv)
{
    if (c->next >= c->nargs) {
        fail(c, "sprintf: too few arguments (%d given, %%%c needs one more)",
             c->nargs, conv);
        return NULL;
    }
    return &c->args[c->next++];
}

/* Appends n bytes of padding, cycling through the pad string (whose \x
 * escapes stand for x). */
static void append_pad(lpc_strbuf_t *b, const spec_t *sp, bool zeros, int64_t n)
{
    if (n <= 0)
        return;
    if (zeros || sp->pad == NULL) {
        lpc_strbuf_reserve(b, (size_t)n);
        memset(b->data + b->len, zeros ? '0' : ' ', (size_t)n);
        b->len += (size_t)n;
        b->data[b->len] = '\0';
        return;
    }
    lpc_strbuf_reserve(b, (size_t)n);
    size_t i = 0;
    while (n > 0) {
        if (i >= sp->padlen)
            i = 0;
        char ch = sp->pad[i];
        if (ch == '\\' && i + 1 < sp->padlen)
            ch = sp->pad[++i];
        i++;
        lpc_strbuf_append_char(b, ch);
        n--;
    }
}

/*
 * Appends body[0..len) padded to the field width.  `numeric`: zero
 * padding goes after a leading sign (and is not used when left-aligned).
 */
static bool emit_field(fmt_ctx_t *c, const spec_t *sp, const char *body, size_t len,
                       bool numeric)
{
    int64_t width = sp->width;
    if (width > 0 && (uint64_t)width > LPC_SPRINTF_MAX_OUTPUT)
        return fail(c, "sprintf: field width %lld is too large", (long long)width);
    int64_t pad = width > (int64_t)len ? width - (int64_t)len : 0;
    if (c->out->len + len + (size_t)pad > LPC_SPRINTF_MAX_OUTPUT)
        return fail(c, "sprintf: result longer than %zu bytes", LPC_SPRINTF_MAX_OUTPUT);

    bool zeros = sp->zero && sp->pad == NULL;
    if (pad == 0) {
        lpc_strbuf_append(c->out, body, len);
    } else if (sp->left) {
        lpc_strbuf_append(c->out, body, len);
        append_pad(c->out, sp, zeros && !numeric, pad);
    } else if (sp->centre) {
        append_pad(c->out, sp, zeros && !numeric, pad / 2);
        lpc_strbuf_append(c->out, body, len);
        append_pad(c->out, sp, zeros && !numeric, pad - pad / 2);
    } else if (zeros && numeric) {
        size_t sign = len > 0 && (body[0] == '-' || body[0] == '+' || body[0] == ' ');
        lpc_strbuf_append(c->out, body, sign);
        append_pad(c->out, sp, true, pad);
        lpc_strbuf_append(c->out, body + sign, len - sign);
    } else {
        append_pad(c->out, sp, zeros, pad);
        lpc_strbuf_append(c->out, body, len);
    }
    return true;
}

static bool bad_type(fmt_ctx_t *c, char conv, const char *expected, const lpc_value_t *v)
{
    return fail(c, "sprintf: argument %d is %s, %%%c expects %s", c->next,
                lpc_type_name((lpc_type_t)v->type), conv, expected);
}

static void tmp_reset(fmt_ctx_t *c)
{
    c->tmp.len = 0;
    if (c->tmp.data != NULL)
        c->tmp.data[0] = '\0';
}

/* ------------------------------------------------- column and table mode */

/*
 * Word-wraps s[0..len) to lines of at most width bytes, appending each
 * line and a '\n' to *out: breaks at the last space that fits (the
 * spaces at a break are dropped), cuts a word longer than a line, and
 * keeps the string's own newlines.  A final newline adds no empty line;
 * "" is one empty line.
 */
static void wrap_lines(lpc_strbuf_t *out, const char *s, size_t len, size_t width)
{
    size_t i = 0;
    do {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t seg_end = nl != NULL ? (size_t)(nl - s) : len;
        while (seg_end - i > width) {
            size_t brk = i + width;            /* s[brk] is the first byte past */
            while (brk > i && s[brk] != ' ')
                brk--;
            size_t line_end = brk > i ? brk : i + width;
            while (line_end > i && s[line_end - 1] == ' ')
                line_end--;
            lpc_strbuf_append(out, s + i, line_end - i);
            lpc_strbuf_append_char(out, '\n');
            i = brk > i ? brk : i + width;
            while (i < seg_end && s[i] == ' ')
                i++;
        }
        lpc_strbuf_append(out, s + i, seg_end - i);
        lpc_strbuf_append_char(out, '\n');
        i = seg_end + 1;
    } while (i < len);
}

/*
 * Lays out the '\n'-separated words of s[0..len) as a table, appending
 * each row and a '\n' to *out.  Columns: the precision if given, else as
 * many cells of (longest word + 2) as fit in the width (at least one);
 * each cell is width / columns wide (longest word + 2 without a width);
 * the words run top to bottom, then left to right.  Returns false when
 * the table would exceed LPC_SPRINTF_MAX_OUTPUT.
 */
static bool table_lines(lpc_strbuf_t *out, const char *s, size_t len, const spec_t *sp)
{
    size_t nwords = 0, maxlen = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl != NULL ? (size_t)(nl - s) : len;
        if (end - i > maxlen)
            maxlen = end - i;
        nwords++;
        i = end + 1;
    }
    if (nwords == 0) {
        lpc_strbuf_append_char(out, '\n');
        return true;
    }
    size_t ncols;
    if (sp->prec > 0)
        ncols = (size_t)sp->prec;
    else if (sp->width > 0)
        ncols = ((size_t)sp->width + 2) / (maxlen + 2);
    else
        ncols = 1;
    if (ncols < 1)
        ncols = 1;
    if (ncols > nwords)
        ncols = nwords;
    size_t rows = (nwords + ncols - 1) / ncols;
    size_t cell = sp->width > 0 ? (size_t)sp->width / ncols : maxlen + 2;
    if ((cell + maxlen + 1) > LPC_SPRINTF_MAX_OUTPUT / ncols / rows)
        return false;

    size_t *starts = lpc_malloc((nwords + 1) * sizeof *starts);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl != NULL ? (size_t)(nl - s) : len;
        starts[k++] = i;
        i = end + 1;
    }
    starts[nwords] = len + 1;                 /* word w ends at starts[w+1]-1 */
    for (size_t r = 0; r < rows; r++) {
        size_t row_start = out->len;
        for (size_t col = 0; col < ncols; col++) {
            size_t w = col * rows + r;
            if (w >= nwords)
                break;
            size_t used = out->len - row_start;
            if (used < col * cell)
                append_spaces(out, (int)(col * cell - used));
            size_t end = starts[w + 1] - 1;
            if (end > len)
                end = len;
            lpc_strbuf_append(out, s + starts[w], end - starts[w]);
        }
        lpc_strbuf_append_char(out, '\n');
    }
    free(starts);
    return true;
}

/* The column (bytes since the last newline) where output continues. */
static size_t current_column(const lpc_strbuf_t *out)
{
    size_t i = out->len;
    while (i > 0 && out->data[i - 1] != '\n')
        i--;
    return out->len - i;
}

/* Takes the next line of block b: sets *line and *len, advances. */
static void block_take(block_t *b, const char **line, size_t *len)
{
    const char *p = b->lines.data + b->pos;
    const char *nl = memchr(p, '\n', b->lines.len - b->pos);
    *line = p;
    *len = (size_t)(nl - p);
    b->pos += *len + 1;
}

static bool block_done(const block_t *b)
{
    return b->pos >= b->lines.len;
}

/*
 * A column or table field for string s: its first line goes out now, the
 * others are kept for flush_blocks().
 */
static bool start_block(fmt_ctx_t *c, const spec_t *sp, const char *s, size_t len)
{
    if (c->nblocks == MAX_BLOCKS)
        return fail(c, "sprintf: more than %d column/table fields on one line", MAX_BLOCKS);
    if (sp->width > 0 && (uint64_t)sp->width > LPC_SPRINTF_MAX_OUTPUT)
        return fail(c, "sprintf: field width %lld is too large", (long long)sp->width);
    block_t *b = &c->blocks[c->nblocks];
    b->start = current_column(c->out);
    b->sp = *sp;
    b->pos = 0;
    lpc_strbuf_init(&b->lines);
    bool fits = true;
    if (sp->table)
        fits = table_lines(&b->lines, s, len, sp);
    else
        wrap_lines(&b->lines, s, len, sp->width > 0 ? (size_t)sp->width : SIZE_MAX);
    if (!fits || b->lines.len > LPC_SPRINTF_MAX_OUTPUT) {
        lpc_strbuf_free(&b->lines);
        return fail(c, "sprintf: result longer than %zu bytes", LPC_SPRINTF_MAX_OUTPUT);
    }
    const char *line;
    size_t n;
    block_take(b, &line, &n);
    if (!emit_field(c, sp, line, n, false)) {
        lpc_strbuf_free(&b->lines);
        return false;
    }
    if (block_done(b))
        lpc_strbuf_free(&b->lines);
    else
        c->nblocks++;
    return true;
}

/*
 * Prints the remaining lines of the pending blocks, one output line per
 * round, each block's line at its column.  `at_end`: the format ended
 * (each line is preceded by a newline) rather than at a newline of the
 * format, already printed (each line is followed by one).
 */
static bool flush_blocks(fmt_ctx_t *c, bool at_end)
{
    bool ok = true;
    while (ok && c->nblocks > 0) {
        if (at_end)
            lpc_strbuf_append_char(c->out, '\n');
        size_t line_start = c->out->len;
        int live = 0;
        for (int k = 0; k < c->nblocks; k++) {
            block_t *b = &c->blocks[k];
            if (block_done(b))
                continue;
            size_t used = c->out->len - line_start;
            if (used < b->start)
                append_spaces(c->out, (int)(b->start - used));
            const char *line;
            size_t n;
            block_take(b, &line, &n);
            if (!emit_field(c, &b->sp, line, n, false)) {
                ok = false;
                break;
            }
            if (!block_done(b))
                live++;
        }
        if (!at_end)
            lpc_strbuf_append_char(c->out, '\n');
        if (live == 0 || !ok) {
            for (int k = 0; k < c->nblocks; k++)
                lpc_strbuf_free(&c->blocks[k].lines);
            c->nblocks = 0;
        }
    }
    return ok;
}

/* Formats one value with conversion conv. */
static bool format_one(fmt_ctx_t *c, const spec_t *sp, char conv, const lpc_value_t *v)
{
    lpc_value_t zero = lpc_int(0);
    if (v->type == LPC_T_OBJECT && lpc_object_is_destructed(v->u.o))
        v = &zero;
    tmp_reset(c);

    switch (conv) {
    case 's':
        if ((sp->column || sp->table) && v->type == LPC_T_STRING)
            return start_block(c, sp, v->u.s->data, v->u.s->len);
        if (v->type == LPC_T_STRING) {
            size_t len = v->u.s->len;
            if (sp->prec >= 0 && (uint64_t)sp->prec < len)
                len = (size_t)sp->prec;
            return emit_field(c, sp, v->u.s->data, len, false);
        }
        if (v->type == LPC_T_INT || v->type == LPC_T_FLOAT)
            lpc_strbuf_append_number(&c->tmp, v);
        else
            lpc_sprintf_value(&c->tmp, v, 0);
        if (sp->prec >= 0 && (uint64_t)sp->prec < c->tmp.len)
            c->tmp.len = (size_t)sp->prec;
        return emit_field(c, sp, c->tmp.data, c->tmp.len, false);

    case 'O': {
        dump_ctx_t d;
        d.out = &c->tmp;
        d.depth = 0;
        d.overflow = false;
        dump_value(&d, v, 0);
        if (d.overflow)
            return fail(c, "sprintf: result longer than %zu bytes", LPC_SPRINTF_MAX_OUTPUT);
        return emit_field(c, sp, c->tmp.data, c->tmp.len, false);
    }

    case 'd': case 'i':
        if (v->type != LPC_T_INT)
            return bad_type(c, conv, "int", v);
        lpc_strbuf_printf(&c->tmp, sp->plus ? "%+lld" : sp->space ? "% lld" : "%lld",
                          (long long)v->u.i);
        return emit_field(c, sp, c->tmp.data, c->tmp.len, true);

    case 'o': case 'x': case 'X':
        if (v->type != LPC_T_INT)
            return bad_type(c, conv, "int", v);
        lpc_strbuf_printf(&c->tmp, conv == 'o' ? "%llo" : conv == 'x' ? "%llx" : "%llX",
                          (unsigned long long)(uint64_t)v->u.i);
        return emit_field(c, sp, c->tmp.data, c->tmp.len, true);

    case 'c': {
        if (v->type != LPC_T_INT)
            return bad_type(c, conv, "int", v);
        char ch = (char)(unsigned char)(v->u.i & 0xff);
        return emit_field(c, sp, &ch, 1, false);
    }

    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        double x;
        if (v->type == LPC_T_FLOAT)
            x = v->u.f;
        else if (v->type == LPC_T_INT)
            x = (double)v->u.i;
        else
            return bad_type(c, conv, "float or int", v);
        int prec = sp->prec < 0 ? 6 : sp->prec > 400 ? 400 : (int)sp->prec;
        if (sp->plus || sp->space)
            lpc_strbuf_append_char(&c->tmp, sp->plus ? '+' : ' ');
        switch (conv) {
        case 'f': lpc_strbuf_printf(&c->tmp, "%.*f", prec, x); break;
        case 'F': lpc_strbuf_printf(&c->tmp, "%.*F", prec, x); break;
        case 'e': lpc_strbuf_printf(&c->tmp, "%.*e", prec, x); break;
        case 'E': lpc_strbuf_printf(&c->tmp, "%.*E", prec, x); break;
        case 'g': lpc_strbuf_printf(&c->tmp, "%.*g", prec, x); break;
        default:  lpc_strbuf_printf(&c->tmp, "%.*G", prec, x); break;
        }
        /* "+-1.5": the number's own sign wins over the flag */
        if ((sp->plus || sp->space) && c->tmp.len > 1 && c->tmp.data[1] == '-') {
            memmove(c->tmp.data, c->tmp.data + 1, c->tmp.len);
            c->tmp.len--;
        }
        return emit_field(c, sp, c->tmp.data, c->tmp.len, true);
    }
    default:
        return fail(c, "sprintf: unknown conversion '%%%c'", conv);
    }
}

/* Reads a number or '*' at fmt[*i] into *n (for width/precision).  Sets
 * *neg when a '*' argument was negative. */
static bool read_count(fmt_ctx_t *c, const char *fmt, size_t len, size_t *i,
                       int64_t *n, bool *neg)
{
    *neg = false;
    if (*i < len && fmt[*i] == '*') {
        (*i)++;
        if (c->next >= c->nargs)
            return fail(c, "sprintf: too few arguments (%d given, '*' needs one more)",
                        c->nargs);
        const lpc_value_t *v = &c->args[c->next++];
        if (v->type != LPC_T_INT)
            return fail(c, "sprintf: argument %d is %s, '*' expects int", c->next,
                        lpc_type_name((lpc_type_t)v->type));
        if (v->u.i < 0) {
            *neg = true;
            *n = v->u.i == INT64_MIN ? INT64_MAX : -v->u.i;
        } else {
            *n = v->u.i;
        }
        return true;
    }
    int64_t v = 0;
    while (*i < len && fmt[*i] >= '0' && fmt[*i] <= '9') {
        if (v > (INT64_MAX - 9) / 10)
            return fail(c, "sprintf: number in the format is too large");
        v = v * 10 + (fmt[*i] - '0');
        (*i)++;
    }
    *n = v;
    return true;
}

/* Parses and performs the directive whose '%' is at fmt[*pos]; *pos ends
 * past the conversion character. */
static bool directive(fmt_ctx_t *c, const char *fmt, size_t len, size_t *pos)
{
    spec_t sp;
    memset(&sp, 0, sizeof sp);
    sp.width = -1;
    sp.prec = -1;
    size_t i = *pos + 1;
    bool neg;

    for (;;) {
        if (i >= len)
            return fail(c, "sprintf: incomplete directive at the end of the format");
        char ch = fmt[i];
        switch (ch) {
        case '-': sp.left = true; i++; continue;
        case '|': sp.centre = true; i++; continue;
        case '+': sp.plus = true; i++; continue;
        case ' ': sp.space = true; i++; continue;
        case '@': sp.each = true; i++; continue;
        case '=': sp.column = true; i++; continue;
        case '#': sp.table = true; i++; continue;
        case '\'': {
            size_t start = ++i;
            while (i < len && fmt[i] != '\'') {
                if (fmt[i] == '\\' && i + 1 < len)
                    i++;
                i++;
            }
            if (i >= len)
                return fail(c, "sprintf: unterminated pad string in the format");
            if (i > start) {
                sp.pad = fmt + start;
                sp.padlen = i - start;
            }
            i++;
            continue;
        }
        case '0':
            if (sp.width < 0) {
                sp.zero = true;
                i++;
                continue;
            }
            break;
        case '.':
            i++;
            if (!read_count(c, fmt, len, &i, &sp.prec, &neg))
                return false;
            if (neg)
                sp.prec = -1;
            continue;
        case ':':
            i++;
            if (i < len && fmt[i] == '0') {
                sp.zero = true;
                i++;
            }
            if (!read_count(c, fmt, len, &i, &sp.width, &neg))
                return false;
            if (neg)
                sp.left = true;
            sp.prec = sp.width;
            continue;
        default:
            break;
        }
        if ((ch >= '1' && ch <= '9') || ch == '*' || ch == '0') {
            if (!read_count(c, fmt, len, &i, &sp.width, &neg))
                return false;
            if (neg)
                sp.left = true;
            continue;
        }
        break;
    }

    char conv = fmt[i];
    *pos = i + 1;
    if (conv == '%')
        return emit_field(c, &sp, "%", 1, false);
    if (strchr("sdicoxXfFeEgGO", conv) == NULL || conv == '\0')
        return fail(c, "sprintf: unknown conversion '%%%c'", conv);

    const lpc_value_t *v = take_arg(c, conv);
    if (v == NULL)
        return false;
    if ((sp.column || sp.table) && (sp.each || conv != 's'))
        return fail(c, "sprintf: column (%%=) and table (%%#) modes are for %%s only");
    if (!sp.each)
        return format_one(c, &sp, conv, v);
    if (v->type != LPC_T_ARRAY)
        return fail(c, "sprintf: argument %d is %s, %%@%c expects an array", c->next,
                    lpc_type_name((lpc_type_t)v->type), conv);
    const lpc_array_t *a = v->u.a;
    for (uint32_t k = 0; k < a->size; k++) {
        if (!format_one(c, &sp, conv, &a->items[k]))
            return false;
    }
    return true;
}

bool lpc_sprintf_format(lpc_strbuf_t *out, const char *fmt, size_t fmtlen,
                        const lpc_value_t *args, int nargs,
                        char *err, size_t errsize)
{
    fmt_ctx_t c;
    c.out = out;
    lpc_strbuf_init(&c.tmp);
    c.args = args;
    c.nargs = nargs;
    c.next = 0;
    c.err = err;
    c.errsize = errsize;
    if (errsize > 0)
        err[0] = '\0';

    c.nblocks = 0;

    size_t i = 0;
    bool ok = true;
    while (ok && i < fmtlen) {
        const char *pct = memchr(fmt + i, '%', fmtlen - i);
        size_t run = pct != NULL ? (size_t)(pct - fmt) - i : fmtlen - i;
        if (run > 0) {
            if (out->len + run > LPC_SPRINTF_MAX_OUTPUT) {
                ok = fail(&c, "sprintf: result longer than %zu bytes", LPC_SPRINTF_MAX_OUTPUT);
                break;
            }
            /* a newline of the format ends the line of pending blocks */
            const char *nl;
            while (c.nblocks > 0 && (nl = memchr(fmt + i, '\n', run)) != NULL) {
                size_t upto = (size_t)(nl - (fmt + i)) + 1;
                lpc_strbuf_append(out, fmt + i, upto);
                i += upto;
                run -= upto;
                if (!(ok = flush_blocks(&c, false)))
                    break;
            }
            if (!ok)
                break;
            lpc_strbuf_append(out, fmt + i, run);
            i += run;
        }
        if (pct == NULL)
            break;
        ok = directive(&c, fmt, fmtlen, &i);
    }
    if (ok)
        ok = flush_blocks(&c, true);
    for (int k = 0; k < c.nblocks; k++)
        lpc_strbuf_free(&c.blocks[k].lines);
    lpc_strbuf_free(&c.tmp);
    return ok;
}

/* --------------------------------------------------------------- efuns */

/*
 * Formats args[0] with args[1..] into a new string; raises the
 * formatter's error after freeing the buffer.
 */
static lpc_string_t *format_args(lpc_vm_t *vm, lpc_value_t *args, int nargs)
{
    const lpc_string_t *fmt = args[0].u.s;
    lpc_strbuf_t b;
    char err[256];
    lpc_strbuf_init(&b);
    if (!lpc_sprintf_format(&b, fmt->data, fmt->len, args + 1, nargs - 1, err, sizeof err)) {
        lpc_strbuf_free(&b);
        lpc_error(vm, "%s", err);
    }
    return lpc_strbuf_finish(&b);
}

/* string sprintf(string format, ...) */
static void efun_sprintf(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    *ret = lpc_value_string(format_args(vm, args, nargs));
    lpc_vm_charge(vm, nargs);
    lpc_efun_charge_bytes(vm, ret->u.s->len);   /* the result is safe in *ret */
}

/* void printf(string format, ...): sprintf, then write the result. */
static void efun_printf(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    *ret = lpc_value_string(format_args(vm, args, nargs));
    lpc_vm_charge(vm, nargs);
    lpc_efun_charge_bytes(vm, ret->u.s->len);
    lpc_vm_write(vm, ret->u.s->data, ret->u.s->len);
    lpc_value_release(ret);
}

static const lpc_efun_def_t sprintf_efuns[] = {
    { "sprintf", efun_sprintf, 1, LPC_EFUN_VARARGS, 0, 0, LPC_TM_STRING,
      { LPC_TM_STRING } },
    { "printf", efun_printf, 1, LPC_EFUN_VARARGS, 0, 0, LPC_TM_INT,
      { LPC_TM_STRING } },
};

const lpc_efun_def_t *lpc_efun_sprintf_table(size_t *count)
{
    *count = sizeof sprintf_efuns / sizeof sprintf_efuns[0];
    return sprintf_efuns;
}
