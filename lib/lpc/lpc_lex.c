/*
 * lpc_lex.c - the LPC tokenizer and the lexer's public face.
 *
 * This file turns bytes into preprocessing tokens (lpc_pp_raw_next), owns the
 * lexer's memory (arena, interned names), formats diagnostics, and runs
 * the last stage of the pipeline described in lpc_preproc.h: joining
 * adjacent string literals and the two-token LPC openers, and the
 * lookahead ring behind lpc_lexer_next / lpc_lexer_peek.  Directives and
 * macros are lpc_preproc.c's business.
 *
 * Lexical rules worth stating (they are also in docs/manual/lpc.md):
 *  - Integers: decimal, 0x hex, 0b binary.  A leading 0 does NOT mean
 *    octal (017 is seventeen), as in MudOS/FluffOS.  Decimal constants
 *    must fit int64; hex and binary may use all 64 bits (0xFFFFFFFFFFFFFFFF
 *    is -1).  A letter or digit glued to a number is an error.
 *  - Floats: 1.5, 1., .5, 1e3, 1.5e-3.  "1..2" is 1 .. 2 (a range), never
 *    the float "1." followed by ".2".
 *  - Character constants 'a' '\n' are INT tokens (the byte value, 0..255).
 *  - Escapes: \n \t \r \a \b \e \f \v \" \' \\, \xH or \xHH, octal \N to
 *    \NNN (at most 255); an unknown escape \q warns and gives 'q'; a
 *    backslash before a newline continues the string on the next line.
 *  - A string may hold any byte except a raw newline: a newline before
 *    the closing quote is "unterminated string" and the token ends there.
 *  - Columns count bytes from 1; a tab is one column.
 */
#include "config.h"
#include "lpc/lpc_preproc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ names */

static const char *const token_names[LPC_TOK_COUNT] = {
#define LPC_TOKEN_NAME(name, spelling) spelling,
    LPC_TOKEN_LIST(LPC_TOKEN_NAME)
#undef LPC_TOKEN_NAME
};

const char *lpc_token_kind_name(lpc_token_kind_t kind)
{
    if ((unsigned)kind < LPC_TOK_COUNT)
        return token_names[kind];
    return "?";
}

int lpc_token_binary_precedence(lpc_token_kind_t kind)
{
    switch (kind) {
    case LPC_TOK_OROR: return 1;
    case LPC_TOK_ANDAND: return 2;
    case LPC_TOK_PIPE: return 3;
    case LPC_TOK_CARET: return 4;
    case LPC_TOK_AMP: return 5;
    case LPC_TOK_EQ: case LPC_TOK_NE: return 6;
    case LPC_TOK_LT: case LPC_TOK_LE: case LPC_TOK_GT: case LPC_TOK_GE: return 7;
    case LPC_TOK_SHL: case LPC_TOK_SHR: return 8;
    case LPC_TOK_PLUS: case LPC_TOK_MINUS: return 9;
    case LPC_TOK_STAR: case LPC_TOK_SLASH: case LPC_TOK_PERCENT: return 10;
    default: return 0;
    }
}

/* ------------------------------------------------------------ memory */

struct pp_arena_chunk {
    pp_arena_chunk_t *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK 65536

void lpc_pp_oom(void)
{
    fputs("lpc lexer: out of memory\n", stderr);
    abort();
}

void *lpc_pp_alloc(lpc_lexer_t *lx, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    pp_arena_chunk_t *c = lx->arena;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK / 4 ? size : ARENA_CHUNK;
        pp_arena_chunk_t *n = malloc(sizeof *n + cap);
        if (n == NULL)
            lpc_pp_oom();
        n->used = 0;
        n->cap = cap;
        if (c != NULL && cap != ARENA_CHUNK) {
            /* A big block: put it behind the current chunk so the
             * current chunk's free space stays in use. */
            n->next = c->next;
            c->next = n;
            n->used = size;
            return n->data;
        }
        n->next = c;
        lx->arena = c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

const char *lpc_pp_strdup(lpc_lexer_t *lx, const char *s, size_t len)
{
    char *p = lpc_pp_alloc(lx, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void lpc_pp_vec_push(pp_vec_t *v, const pp_token_t *t)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        pp_token_t *n = realloc(v->v, cap * sizeof *n);
        if (n == NULL)
            lpc_pp_oom();
        v->v = n;
        v->cap = cap;
    }
    v->v[v->n++] = *t;
}

/* ------------------------------------------------------------ interning */

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static pp_ident_t *lookup_hashed(const lpc_lexer_t *lx, const char *text,
                                 size_t len, uint32_t h)
{
    if (lx->capidents == 0)
        return NULL;
    for (pp_ident_t *e = lx->idents[h & (lx->capidents - 1)]; e; e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->text, text, len) == 0)
            return e;
    return NULL;
}

static void grow_idents(lpc_lexer_t *lx)
{
    size_t cap = lx->capidents ? lx->capidents * 2 : 512;
    pp_ident_t **t = calloc(cap, sizeof *t);
    if (t == NULL)
        lpc_pp_oom();
    for (size_t i = 0; i < lx->capidents; i++) {
        pp_ident_t *e = lx->idents[i];
        while (e) {
            pp_ident_t *next = e->next;
            e->next = t[e->hash & (cap - 1)];
            t[e->hash & (cap - 1)] = e;
            e = next;
        }
    }
    free(lx->idents);
    lx->idents = t;
    lx->capidents = cap;
}

static pp_ident_t *intern_hashed(lpc_lexer_t *lx, const char *text,
                                 size_t len, uint32_t h)
{
    pp_ident_t *e = lookup_hashed(lx, text, len, h);
    if (e)
        return e;
    if (lx->nidents >= lx->capidents)
        grow_idents(lx);
    e = lpc_pp_alloc(lx, sizeof *e);
    memset(e, 0, sizeof *e);
    e->text = lpc_pp_strdup(lx, text, len);
    e->len = (uint32_t)len;
    e->hash = h;
    e->kind = LPC_TOK_IDENT;
    e->next = lx->idents[h & (lx->capidents - 1)];
    lx->idents[h & (lx->capidents - 1)] = e;
    lx->nidents++;
    return e;
}

pp_ident_t *lpc_pp_intern(lpc_lexer_t *lx, const char *text, size_t len)
{
    return intern_hashed(lx, text, len, hash_bytes(text, len));
}

pp_ident_t *lpc_pp_lookup(const lpc_lexer_t *lx, const char *text, size_t len)
{
    return lookup_hashed(lx, text, len, hash_bytes(text, len));
}

const char *lpc_lexer_intern(lpc_lexer_t *lx, const char *text, size_t len)
{
    return lpc_pp_intern(lx, text, len)->text;
}

/* Keywords, directive names and known pragmas are interned up front, so
 * classifying an identifier is the same single hash lookup that interns
 * it: no string comparisons on the hot path. */
static void intern_builtins(lpc_lexer_t *lx)
{
    for (int k = LPC_TOK_KW_IF; k <= LPC_TOK_KW_NOSAVE; k++) {
        const char *s = token_names[k];
        lpc_pp_intern(lx, s, strlen(s))->kind = (uint16_t)k;
    }
    static const struct { const char *name; int dir; } dirs[] = {
        {"include", PP_DIR_INCLUDE}, {"define", PP_DIR_DEFINE},
        {"undef", PP_DIR_UNDEF},     {"if", PP_DIR_IF},
        {"ifdef", PP_DIR_IFDEF},     {"ifndef", PP_DIR_IFNDEF},
        {"elif", PP_DIR_ELIF},       {"else", PP_DIR_ELSE},
        {"endif", PP_DIR_ENDIF},     {"error", PP_DIR_ERROR},
        {"warning", PP_DIR_WARNING}, {"warn", PP_DIR_WARNING},
        {"pragma", PP_DIR_PRAGMA},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        lpc_pp_intern(lx, dirs[i].name, strlen(dirs[i].name))->directive =
            (uint8_t)dirs[i].dir;
    /* The MudOS pragmas; each also in its "no_" form. */
    static const char *const pragmas[] = {
        "strict_types", "save_types", "save_binary", "warnings", "optimize",
        "show_error_context", "error_context", "efun",
    };
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "no_%s", pragmas[i]);
        lpc_pp_intern(lx, pragmas[i], strlen(pragmas[i]))->bits |= PPI_PRAGMA_KNOWN;
        lpc_pp_intern(lx, buf, strlen(buf))->bits |= PPI_PRAGMA_KNOWN;
    }
    lx->id_defined = lpc_pp_intern(lx, "defined", 7);
}

/* ------------------------------------------------------------ diagnostics */

const char *lpc_pp_printable(lpc_lexer_t *lx, const char *s, size_t len)
{
    if (len > 200)
        len = 200;
    char *out = lpc_pp_alloc(lx, len * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

static void default_diag(void *ctx, lpc_diag_severity_t sev,
                         const lpc_srcloc_t *loc, const char *msg)
{
    (void)ctx;
    const char *what = sev == LPC_DIAG_ERROR ? "error" : "warning";
    if (loc->line > 0)
        fprintf(stderr, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col,
                what, msg);
    else
        fprintf(stderr, "%s: %s: %s\n", loc->file, what, msg);
}

void lpc_pp_vdiag(lpc_lexer_t *lx, lpc_diag_severity_t sev,
              const lpc_srcloc_t *loc, const char *fmt, va_list ap)
{
    if (sev == LPC_DIAG_WARNING && lx->warnings_off)
        return;
    if (sev == LPC_DIAG_ERROR)
        lx->errors++;
    else
        lx->warnings++;
    lpc_srcloc_t unknown = {"<unknown>", 0, 0};
    if (loc == NULL)
        loc = lx->eof_loc.file ? &lx->eof_loc : &unknown;

    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    char *msg = small;
    if (n >= (int)sizeof small) {
        msg = malloc((size_t)n + 1);
        if (msg == NULL)
            lpc_pp_oom();
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
    }
    if (lx->opts.diag)
        lx->opts.diag(lx->opts.diag_ctx, sev, loc, msg);
    else
        default_diag(NULL, sev, loc, msg);
    if (msg != small)
        free(msg);
}

void lpc_pp_error(lpc_lexer_t *lx, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(lx, LPC_DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
}

void lpc_pp_warning(lpc_lexer_t *lx, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(lx, LPC_DIAG_WARNING, loc, fmt, ap);
    va_end(ap);
}

void lpc_lexer_diag(lpc_lexer_t *lx, lpc_diag_severity_t severity,
                    const lpc_srcloc_t *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(lx, severity, loc, fmt, ap);
    va_end(ap);
}

int lpc_lexer_error_count(const lpc_lexer_t *lx) { return lx->errors; }
int lpc_lexer_warning_count(const lpc_lexer_t *lx) { return lx->warnings; }

/* ------------------------------------------------------------ tokenizer */

void lpc_pp_file_init(pp_file_t *f, const char *path, const char *dir,
                  const char *buf, size_t len)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->dir = dir;
    f->buf = buf;
    f->len = len;
    f->line = 1;
    f->bol = true;
}

static lpc_srcloc_t loc_at(const pp_file_t *f, size_t pos)
{
    if (f->fixed_loc)
        return *f->fixed_loc;
    lpc_srcloc_t l = {f->path, f->line, (int)(pos - f->line_start) + 1};
    return l;
}

lpc_srcloc_t lpc_pp_file_loc(const pp_file_t *f)
{
    return loc_at(f, f->pos);
}

static void raw_error(lpc_lexer_t *lx, const pp_file_t *f, size_t pos,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void raw_error(lpc_lexer_t *lx, const pp_file_t *f, size_t pos,
                      const char *fmt, ...)
{
    if (f->quiet)
        return;
    lpc_srcloc_t l = loc_at(f, pos);
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(lx, LPC_DIAG_ERROR, &l, fmt, ap);
    va_end(ap);
}

/* As raw_error, at a location taken before a line continuation could
 * move the line counter. */
static void raw_error_loc(lpc_lexer_t *lx, const pp_file_t *f,
                          const lpc_srcloc_t *loc, const char *msg)
{
    if (!f->quiet)
        lpc_pp_error(lx, loc, "%s", msg);
}

static void raw_warning(lpc_lexer_t *lx, const pp_file_t *f, size_t pos,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void raw_warning(lpc_lexer_t *lx, const pp_file_t *f, size_t pos,
                        const char *fmt, ...)
{
    if (f->quiet)
        return;
    lpc_srcloc_t l = loc_at(f, pos);
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(lx, LPC_DIAG_WARNING, &l, fmt, ap);
    va_end(ap);
}

static inline bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of a backslash-newline at p (2 or 3 with \r\n), else 0. */
static inline size_t splice_len(const pp_file_t *f, size_t p)
{
    if (p + 1 < f->len && f->buf[p] == '\\') {
        if (f->buf[p + 1] == '\n')
            return 2;
        if (f->buf[p + 1] == '\r' && p + 2 < f->len && f->buf[p + 2] == '\n')
            return 3;
    }
    return 0;
}

static inline void new_line(pp_file_t *f, size_t next_line_start)
{
    f->line++;
    f->line_start = next_line_start;
}

/* Skips a block comment starting at p ("/" "*"); returns the position
 * after it, counting lines.  Unterminated: reported, returns f->len. */
static size_t skip_block_comment(lpc_lexer_t *lx, pp_file_t *f, size_t p)
{
    lpc_srcloc_t start_loc = loc_at(f, p);
    const char *b = f->buf;
    for (p += 2; p < f->len; p++) {
        if (b[p] == '\n')
            new_line(f, p + 1);
        else if (b[p] == '*' && p + 1 < f->len && b[p + 1] == '/')
            return p + 2;
    }
    if (!f->quiet)
        lpc_pp_error(lx, &start_loc, "unterminated comment");
    return f->len;
}

/* Skips whitespace and comments.  In directive mode a newline is not
 * skipped (it ends the directive). */
static void skip_blank(lpc_lexer_t *lx, pp_file_t *f, bool *space)
{
    const char *b = f->buf;
    size_t n = f->len, p = f->pos;
    while (p < n) {
        unsigned char c = (unsigned char)b[p];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p++;
            *space = true;
        } else if (c == '\n') {
            if (f->in_directive)
                break;
            p++;
            new_line(f, p);
            f->bol = true;
            *space = true;
        } else if (c == '\\' && splice_len(f, p)) {
            p += splice_len(f, p);
            new_line(f, p);
            *space = true;
        } else if (c == '/' && p + 1 < n && b[p + 1] == '/') {
            const char *nl = memchr(b + p, '\n', n - p);
            p = nl ? (size_t)(nl - b) : n;
            *space = true;
        } else if (c == '/' && p + 1 < n && b[p + 1] == '*') {
            p = skip_block_comment(lx, f, p);
            *space = true;
        } else {
            break;
        }
    }
    f->pos = p;
}

/* Decodes the escape sequence whose backslash is at p into *byte (-1 for
 * a line continuation, which yields nothing); returns the position after
 * it. */
static size_t decode_escape(lpc_lexer_t *lx, pp_file_t *f, size_t p, int *byte)
{
    const char *b = f->buf;
    if (p + 1 >= f->len) {
        *byte = '\\';
        return p + 1;
    }
    unsigned char c = (unsigned char)b[p + 1];
    switch (c) {
    case 'n': *byte = '\n'; return p + 2;
    case 't': *byte = '\t'; return p + 2;
    case 'r': *byte = '\r'; return p + 2;
    case 'a': *byte = '\a'; return p + 2;
    case 'b': *byte = '\b'; return p + 2;
    case 'e': *byte = 27; return p + 2;
    case 'f': *byte = '\f'; return p + 2;
    case 'v': *byte = '\v'; return p + 2;
    case '"': case '\'': case '\\':
        *byte = c;
        return p + 2;
    case '\n':
        *byte = -1;
        new_line(f, p + 2);
        return p + 2;
    case '\r':
        if (p + 2 < f->len && b[p + 2] == '\n') {
            *byte = -1;
            new_line(f, p + 3);
            return p + 3;
        }
        break;
    case 'x': {
        size_t q = p + 2;
        int v = 0, digits = 0;
        while (digits < 2 && q < f->len && hex_value((unsigned char)b[q]) >= 0) {
            v = v * 16 + hex_value((unsigned char)b[q]);
            q++;
            digits++;
        }
        if (digits == 0) {
            raw_error(lx, f, p, "\\x used with no following hex digits");
            *byte = 'x';
            return p + 2;
        }
        *byte = v;
        return q;
    }
    default:
        if (c >= '0' && c <= '7') {
            size_t q = p + 1;
            int v = 0, digits = 0;
            while (digits < 3 && q < f->len && b[q] >= '0' && b[q] <= '7') {
                v = v * 8 + (b[q] - '0');
                q++;
                digits++;
            }
            if (v > 255) {
                raw_error(lx, f, p, "octal escape sequence out of range");
                v &= 255;
            }
            *byte = v;
            return q;
        }
        break;
    }
    raw_warning(lx, f, p, "unknown escape sequence '\\%s'",
                lpc_pp_printable(lx, b + p + 1, 1));
    *byte = c;
    return p + 2;
}

static void strbuf_put(lpc_lexer_t *lx, size_t *n, char c)
{
    if (*n == lx->strbuf_cap) {
        size_t cap = lx->strbuf_cap ? lx->strbuf_cap * 2 : 256;
        char *s = realloc(lx->strbuf, cap);
        if (s == NULL)
            lpc_pp_oom();
        lx->strbuf = s;
        lx->strbuf_cap = cap;
    }
    lx->strbuf[(*n)++] = c;
}

/* A string literal; p at the opening quote.  Returns the end position. */
static size_t lex_string(lpc_lexer_t *lx, pp_file_t *f, size_t p, pp_token_t *out)
{
    const char *b = f->buf;
    lpc_srcloc_t start_loc = loc_at(f, p);
    size_t n = 0;
    p++;
    for (;;) {
        if (p >= f->len || b[p] == '\n' ||
            (b[p] == '\r' && p + 1 < f->len && b[p + 1] == '\n')) {
            raw_error_loc(lx, f, &start_loc, "unterminated string");
            break;
        }
        char c = b[p];
        if (c == '"') {
            p++;
            break;
        }
        if (c == '\\') {
            int byte;
            p = decode_escape(lx, f, p, &byte);
            if (byte >= 0)
                strbuf_put(lx, &n, (char)byte);
            continue;
        }
        /* Plain run: copy up to the next quote, backslash or newline. */
        size_t q = p;
        while (q < f->len && b[q] != '"' && b[q] != '\\' && b[q] != '\n' &&
               b[q] != '\r')
            q++;
        if (q == p)
            q++;   /* a lone \r */
        while (p < q)
            strbuf_put(lx, &n, b[p++]);
    }
    out->t.kind = LPC_TOK_STRING;
    out->t.text = lpc_pp_strdup(lx, lx->strbuf, n);
    out->t.len = n;
    return p;
}

/* A character constant; p at the opening quote. */
static size_t lex_char(lpc_lexer_t *lx, pp_file_t *f, size_t p, pp_token_t *out)
{
    const char *b = f->buf;
    lpc_srcloc_t start_loc = loc_at(f, p);
    int value = -1;
    p++;
    out->t.kind = LPC_TOK_INT;
    out->t.i = 0;
    while (value < 0) {
        if (p >= f->len || b[p] == '\n') {
            raw_error_loc(lx, f, &start_loc, "unterminated character constant");
            return p;
        }
        if (b[p] == '\'') {
            raw_error_loc(lx, f, &start_loc, "empty character constant");
            return p + 1;
        }
        if (b[p] == '\\') {
            p = decode_escape(lx, f, p, &value);
        } else {
            value = (unsigned char)b[p];
            p++;
        }
    }
    if (p < f->len && b[p] == '\'') {
        out->t.i = value;
        return p + 1;
    }
    /* No closing quote right after one character: 'ab' is an error; so is
     * a lone quote with no partner on the line. */
    const char *nl = memchr(b + p, '\n', f->len - p);
    size_t end = nl ? (size_t)(nl - b) : f->len;
    const char *q = memchr(b + p, '\'', end - p);
    if (q) {
        raw_error_loc(lx, f, &start_loc, "multi-character character constant");
        return (size_t)(q - b) + 1;
    }
    raw_error_loc(lx, f, &start_loc, "unterminated character constant");
    return p;
}

/* A number; p at its first digit (or at the '.' of ".5"). */
static size_t lex_number(lpc_lexer_t *lx, pp_file_t *f, size_t p, pp_token_t *out)
{
    const char *b = f->buf;
    size_t n = f->len, start = p;
    const char *what = "integer";
    out->t.kind = LPC_TOK_INT;

    if (b[p] == '0' && p + 1 < n && (b[p + 1] == 'x' || b[p + 1] == 'X' ||
                                     b[p + 1] == 'b' || b[p + 1] == 'B')) {
        int base = (b[p + 1] | 0x20) == 'x' ? 16 : 2;
        uint64_t v = 0;
        bool overflow = false;
        size_t digits = 0;
        p += 2;
        for (; p < n; p++) {
            int d = hex_value((unsigned char)b[p]);
            if (d < 0 || d >= base)
                break;
            if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
                overflow = true;
            v = v * (uint64_t)base + (uint64_t)d;
            digits++;
        }
        if (digits == 0) {
            raw_error(lx, f, start, "%s constant has no digits",
                      base == 16 ? "hexadecimal" : "binary");
        } else if (overflow) {
            raw_error(lx, f, start, "integer constant is too large");
            v = 0;
        }
        out->t.i = (int64_t)v;
    } else {
        bool is_float = false;
        while (p < n && is_digit((unsigned char)b[p]))
            p++;
        if (p < n && b[p] == '.' && !(p + 1 < n && b[p + 1] == '.')) {
            is_float = true;
            p++;
            while (p < n && is_digit((unsigned char)b[p]))
                p++;
        }
        if (p < n && (b[p] == 'e' || b[p] == 'E')) {
            size_t q = p + 1;
            if (q < n && (b[q] == '+' || b[q] == '-'))
                q++;
            if (q < n && is_digit((unsigned char)b[q])) {
                is_float = true;
                p = q;
                while (p < n && is_digit((unsigned char)b[p]))
                    p++;
            }
        }
        if (is_float) {
            what = "floating";
            char small[128];
            size_t len = p - start;
            char *s = len < sizeof small ? small : (char *)lpc_pp_strdup(lx, b + start, len);
            if (s == small) {
                memcpy(small, b + start, len);
                small[len] = '\0';
            }
            errno = 0;
            double d = strtod(s, NULL);
            if (errno == ERANGE && (d > 1.0 || d < -1.0)) {
                raw_error(lx, f, start, "floating constant is out of range");
                d = 0.0;
            }
            out->t.kind = LPC_TOK_FLOAT;
            out->t.f = d;
        } else {
            uint64_t v = 0;
            bool overflow = false;
            for (size_t q = start; q < p; q++) {
                uint64_t d = (uint64_t)(b[q] - '0');
                if (v > ((uint64_t)INT64_MAX - d) / 10)
                    overflow = true;
                else
                    v = v * 10 + d;
            }
            if (overflow) {
                raw_error(lx, f, start, "integer constant is too large");
                v = 0;
            }
            out->t.i = (int64_t)v;
        }
    }
    if (p < n && is_ident_char((unsigned char)b[p])) {
        size_t q = p;
        while (q < n && is_ident_char((unsigned char)b[q]))
            q++;
        raw_error(lx, f, start, "invalid suffix \"%s\" on %s constant",
                  lpc_pp_printable(lx, b + p, q - p), what);
        p = q;
    }
    return p;
}

/* Two- and three-character operators: returns the kind and advances *p. */
static int lex_operator(const pp_file_t *f, size_t *pp)
{
    const char *b = f->buf;
    size_t p = *pp, n = f->len;
    char c = b[p];
    char c1 = p + 1 < n ? b[p + 1] : 0;
    char c2 = p + 2 < n ? b[p + 2] : 0;
    int k;
    size_t len = 1;
    switch (c) {
    case '(': k = LPC_TOK_LPAREN; break;
    case ')': k = LPC_TOK_RPAREN; break;
    case '[': k = LPC_TOK_LBRACKET; break;
    case ']': k = LPC_TOK_RBRACKET; break;
    case '{': k = LPC_TOK_LBRACE; break;
    case '}': k = LPC_TOK_RBRACE; break;
    case ';': k = LPC_TOK_SEMICOLON; break;
    case ',': k = LPC_TOK_COMMA; break;
    case '?': k = LPC_TOK_QUESTION; break;
    case '~': k = LPC_TOK_TILDE; break;
    case '$': k = LPC_TOK_DOLLAR; break;
    case '.':
        if (c1 == '.' && c2 == '.') { k = LPC_TOK_ELLIPSIS; len = 3; }
        else if (c1 == '.') { k = LPC_TOK_RANGE; len = 2; }
        else k = LPC_TOK_DOT;
        break;
    case ':':
        if (c1 == ':') { k = LPC_TOK_SCOPE; len = 2; }
        else k = LPC_TOK_COLON;
        break;
    case '-':
        if (c1 == '>') { k = LPC_TOK_ARROW; len = 2; }
        else if (c1 == '-') { k = LPC_TOK_DEC; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_SUB_ASSIGN; len = 2; }
        else k = LPC_TOK_MINUS;
        break;
    case '+':
        if (c1 == '+') { k = LPC_TOK_INC; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_ADD_ASSIGN; len = 2; }
        else k = LPC_TOK_PLUS;
        break;
    case '*':
        if (c1 == '=') { k = LPC_TOK_MUL_ASSIGN; len = 2; }
        else k = LPC_TOK_STAR;
        break;
    case '/':
        if (c1 == '=') { k = LPC_TOK_DIV_ASSIGN; len = 2; }
        else k = LPC_TOK_SLASH;
        break;
    case '%':
        if (c1 == '=') { k = LPC_TOK_MOD_ASSIGN; len = 2; }
        else k = LPC_TOK_PERCENT;
        break;
    case '=':
        if (c1 == '=') { k = LPC_TOK_EQ; len = 2; }
        else k = LPC_TOK_ASSIGN;
        break;
    case '!':
        if (c1 == '=') { k = LPC_TOK_NE; len = 2; }
        else k = LPC_TOK_NOT;
        break;
    case '<':
        if (c1 == '<' && c2 == '=') { k = LPC_TOK_SHL_ASSIGN; len = 3; }
        else if (c1 == '<') { k = LPC_TOK_SHL; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_LE; len = 2; }
        else k = LPC_TOK_LT;
        break;
    case '>':
        if (c1 == '>' && c2 == '=') { k = LPC_TOK_SHR_ASSIGN; len = 3; }
        else if (c1 == '>') { k = LPC_TOK_SHR; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_GE; len = 2; }
        else k = LPC_TOK_GT;
        break;
    case '&':
        if (c1 == '&' && c2 == '=') { k = LPC_TOK_ANDAND_ASSIGN; len = 3; }
        else if (c1 == '&') { k = LPC_TOK_ANDAND; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_AND_ASSIGN; len = 2; }
        else k = LPC_TOK_AMP;
        break;
    case '|':
        if (c1 == '|' && c2 == '=') { k = LPC_TOK_OROR_ASSIGN; len = 3; }
        else if (c1 == '|') { k = LPC_TOK_OROR; len = 2; }
        else if (c1 == '=') { k = LPC_TOK_OR_ASSIGN; len = 2; }
        else k = LPC_TOK_PIPE;
        break;
    case '^':
        if (c1 == '=') { k = LPC_TOK_XOR_ASSIGN; len = 2; }
        else k = LPC_TOK_CARET;
        break;
    case '#':
        if (c1 == '#') { k = PP_HASHHASH; len = 2; }
        else k = PP_HASH;
        break;
    default:
        k = PP_OTHER;
        break;
    }
    *pp = p + len;
    return k;
}

void lpc_pp_raw_next(lpc_lexer_t *lx, pp_file_t *f, pp_token_t *out)
{
    bool space = false;
    skip_blank(lx, f, &space);

    size_t p = f->pos;
    const char *b = f->buf;
    out->flags = (uint16_t)((space ? PPF_SPACE : 0) | (f->bol ? PPF_BOL : 0));
    out->id = NULL;
    out->t.i = 0;
    out->t.f = 0.0;
    out->t.text = NULL;
    out->t.len = 0;
    out->t.loc = loc_at(f, p);
    out->spell = b + p;
    out->spell_len = 0;

    if (p >= f->len) {
        if (f->in_directive) {
            f->in_directive = false;
            out->t.kind = (lpc_token_kind_t)PP_EOD;
        } else {
            out->t.kind = LPC_TOK_EOF;
        }
        return;
    }
    unsigned char c = (unsigned char)b[p];
    if (c == '\n') {   /* only reached in directive mode */
        f->pos = p + 1;
        new_line(f, p + 1);
        f->bol = true;
        f->in_directive = false;
        out->t.kind = (lpc_token_kind_t)PP_EOD;
        return;
    }
    f->bol = false;

    if (is_ident_start(c)) {
        uint32_t h = 2166136261u;
        size_t q = p;
        while (q < f->len && is_ident_char((unsigned char)b[q])) {
            h = (h ^ (unsigned char)b[q]) * 16777619u;
            q++;
        }
        pp_ident_t *id = intern_hashed(lx, b + p, q - p, h);
        out->id = id;
        out->t.kind = (lpc_token_kind_t)id->kind;
        out->t.text = id->text;
        out->t.len = id->len;
        f->pos = q;
    } else if (is_digit(c) || (c == '.' && p + 1 < f->len && is_digit((unsigned char)b[p + 1]))) {
        f->pos = lex_number(lx, f, p, out);
    } else if (c == '"') {
        f->pos = lex_string(lx, f, p, out);
    } else if (c == '\'') {
        f->pos = lex_char(lx, f, p, out);
    } else {
        size_t q = p;
        out->t.kind = (lpc_token_kind_t)lex_operator(f, &q);
        if (out->t.kind == (lpc_token_kind_t)PP_OTHER)
            out->t.i = c;
        f->pos = q;
    }
    out->spell_len = (uint32_t)(f->pos - p);
}

int lpc_pp_raw_peek_char(lpc_lexer_t *lx, pp_file_t *f)
{
    bool space = false;
    skip_blank(lx, f, &space);
    if (f->pos >= f->len || f->buf[f->pos] == '\n')
        return 0;
    return (unsigned char)f->buf[f->pos];
}

const char *lpc_pp_raw_rest_of_line(lpc_lexer_t *lx, pp_file_t *f, size_t *len)
{
    const char *b = f->buf;
    size_t p = f->pos, n = 0;
    bool comment = false;
    while (p < f->len && b[p] != '\n') {
        size_t s = splice_len(f, p);
        if (s) {
            p += s;
            new_line(f, p);
            continue;
        }
        if (!comment && b[p] == '/' && p + 1 < f->len && b[p + 1] == '*') {
            bool q = f->quiet;
            f->quiet = true;
            p = skip_block_comment(lx, f, p);
            f->quiet = q;
            if (len)
                strbuf_put(lx, &n, ' ');
            continue;
        }
        if (b[p] == '/' && p + 1 < f->len && b[p + 1] == '/')
            comment = true;
        if (!comment && len)
            strbuf_put(lx, &n, b[p]);
        p++;
    }
    if (p < f->len) {   /* the newline */
        p++;
        new_line(f, p);
    }
    f->pos = p;
    f->bol = true;
    f->in_directive = false;
    if (len == NULL)
        return NULL;
    size_t s = 0;
    while (s < n && (lx->strbuf[s] == ' ' || lx->strbuf[s] == '\t'))
        s++;
    while (n > s && (lx->strbuf[n - 1] == ' ' || lx->strbuf[n - 1] == '\t' ||
                     lx->strbuf[n - 1] == '\r'))
        n--;
    *len = n - s;
    return n > s ? lpc_pp_strdup(lx, lx->strbuf + s, n - s) : "";
}

/* Skips to the end of a quoted literal on the current line (skipped text
 * is never reported on, so an apostrophe in a comment-like line is
 * harmless). */
static size_t skip_quoted(const pp_file_t *f, size_t p)
{
    const char *b = f->buf;
    char quote = b[p++];
    while (p < f->len && b[p] != '\n') {
        if (b[p] == '\\' && p + 1 < f->len && b[p + 1] != '\n') {
            p += 2;
            continue;
        }
        if (b[p] == quote)
            return p + 1;
        if (splice_len(f, p))
            return p;   /* let the caller count the line */
        p++;
    }
    return p;
}

bool lpc_pp_skip_to_directive(pp_file_t *f)
{
    const char *b = f->buf;
    size_t p = f->pos, n = f->len;
    bool at_bol = f->bol;
    while (p < n) {
        if (at_bol) {
            while (p < n) {
                char c = b[p];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
                    p++;
                } else if (c == '/' && p + 1 < n && b[p + 1] == '*') {
                    /* A comment before '#' is whitespace. */
                    size_t q = p + 2;
                    while (q + 1 < n && !(b[q] == '*' && b[q + 1] == '/')) {
                        if (b[q] == '\n')
                            new_line(f, q + 1);
                        q++;
                    }
                    p = q + 1 < n ? q + 2 : n;
                } else {
                    break;
                }
            }
            if (p < n && b[p] == '#') {
                f->pos = p + 1;
                f->bol = false;
                return true;
            }
            at_bol = false;
            continue;
        }
        char c = b[p];
        size_t s;
        if (c == '\n') {
            p++;
            new_line(f, p);
            at_bol = true;
        } else if ((s = splice_len(f, p)) != 0) {
            p += s;
            new_line(f, p);
        } else if (c == '/' && p + 1 < n && b[p + 1] == '/') {
            const char *nl = memchr(b + p, '\n', n - p);
            p = nl ? (size_t)(nl - b) : n;
        } else if (c == '/' && p + 1 < n && b[p + 1] == '*') {
            size_t q = p + 2;
            while (q + 1 < n && !(b[q] == '*' && b[q + 1] == '/')) {
                if (b[q] == '\n')
                    new_line(f, q + 1);
                q++;
            }
            p = q + 1 < n ? q + 2 : n;
        } else if (c == '"' || c == '\'') {
            p = skip_quoted(f, p);
        } else {
            p++;
        }
    }
    f->pos = n;
    f->bol = at_bol;
    return false;
}

/* ------------------------------------------------------------ cook stage */

static void cook_get(lpc_lexer_t *lx, pp_token_t *t)
{
    if (lx->npushback > 0)
        *t = lx->pushback[--lx->npushback];
    else
        lpc_pp_get(lx, t);
}

static void cook_unget(lpc_lexer_t *lx, const pp_token_t *t)
{
    lx->pushback[lx->npushback++] = *t;
}

static void scratch_append(lpc_lexer_t *lx, size_t *n, const char *s, size_t len)
{
    if (*n + len + 1 > lx->scratch_cap) {
        size_t cap = lx->scratch_cap ? lx->scratch_cap : 256;
        while (cap < *n + len + 1)
            cap *= 2;
        char *p = realloc(lx->scratch, cap);
        if (p == NULL)
            lpc_pp_oom();
        lx->scratch = p;
        lx->scratch_cap = cap;
    }
    if (len)
        memcpy(lx->scratch + *n, s, len);
    *n += len;
}

/* One parser token: adjacent strings joined ("a" "b" -> "ab", across
 * lines, comments, macro expansions and #include boundaries), and the
 * LPC openers built from two tokens.  "({", "([" and "(:" may have
 * whitespace, comments or line breaks between their characters (as in
 * MudOS); "(::" is "(" then "::" (a parenthesised scope call).  ":)"
 * is one token even when spaced: ':' followed by ')' cannot occur in
 * any other valid LPC construct (not after ?: , case labels or mapping
 * pairs, which all need an expression after the colon). */
static void cook_next(lpc_lexer_t *lx, lpc_token_t *out)
{
    pp_token_t t, u;
    for (;;) {
        cook_get(lx, &t);
        switch ((int)t.t.kind) {
        case PP_OTHER: {
            char ch = (char)t.t.i;
            lpc_pp_error(lx, &t.t.loc, "stray '%s' in program",
                     lpc_pp_printable(lx, &ch, 1));
            continue;
        }
        case PP_HASH:
        case PP_HASHHASH:
            lpc_pp_error(lx, &t.t.loc, "stray '%s' in program",
                     t.t.kind == (lpc_token_kind_t)PP_HASH ? "#" : "##");
            continue;
        case PP_EOD:
        case PP_PLACEMARKER:
        case PP_PARAM:
        case PP_STRINGIFY:
            continue;
        case LPC_TOK_STRING: {
            cook_get(lx, &u);
            if (u.t.kind != LPC_TOK_STRING) {
                cook_unget(lx, &u);
                break;
            }
            size_t n = 0;
            scratch_append(lx, &n, t.t.text, t.t.len);
            do {
                scratch_append(lx, &n, u.t.text, u.t.len);
                cook_get(lx, &u);
            } while (u.t.kind == LPC_TOK_STRING);
            cook_unget(lx, &u);
            t.t.text = lpc_pp_strdup(lx, lx->scratch, n);
            t.t.len = n;
            break;
        }
        case LPC_TOK_LPAREN:
            cook_get(lx, &u);
            if (u.t.kind == LPC_TOK_LBRACE)
                t.t.kind = LPC_TOK_ARRAY_OPEN;
            else if (u.t.kind == LPC_TOK_LBRACKET)
                t.t.kind = LPC_TOK_MAPPING_OPEN;
            else if (u.t.kind == LPC_TOK_COLON)
                t.t.kind = LPC_TOK_FUNC_OPEN;
            else
                cook_unget(lx, &u);
            break;
        case LPC_TOK_COLON:
            cook_get(lx, &u);
            if (u.t.kind == LPC_TOK_RPAREN)
                t.t.kind = LPC_TOK_FUNC_CLOSE;
            else
                cook_unget(lx, &u);
            break;
        default:
            break;
        }
        *out = t.t;
        return;
    }
}

#define RING_MASK 7u   /* ring of 8: 4 lookahead + 2 still-valid consumed */

static void fill(lpc_lexer_t *lx, unsigned k)
{
    while (lx->count < k) {
        cook_next(lx, &lx->ring[(lx->head + lx->count) & RING_MASK]);
        lx->count++;
    }
}

const lpc_token_t *lpc_lexer_next(lpc_lexer_t *lx)
{
    fill(lx, 1);
    const lpc_token_t *t = &lx->ring[lx->head];
    lx->head = (lx->head + 1) & RING_MASK;
    lx->count--;
    return t;
}

const lpc_token_t *lpc_lexer_peek(lpc_lexer_t *lx, int n)
{
    if (n < 0)
        n = 0;
    if (n > 3)
        n = 3;
    fill(lx, (unsigned)n + 1);
    return &lx->ring[(lx->head + (unsigned)n) & RING_MASK];
}

/* ------------------------------------------------------------ lifetime */

lpc_lexer_t *lpc_lexer_open(const char *path, const lpc_lex_options_t *opts)
{
    lpc_lexer_t *lx = calloc(1, sizeof *lx);
    if (lx == NULL)
        return NULL;
    if (opts)
        lx->opts = *opts;
    intern_builtins(lx);
    lpc_pp_init(lx, path ? path : "");
    return lx;
}

void lpc_lexer_close(lpc_lexer_t *lx)
{
    if (lx == NULL)
        return;
    lpc_pp_fini(lx);
    for (size_t i = 0; i < lx->nbuffers; i++)
        free(lx->buffers[i]);
    free(lx->buffers);
    for (int i = 0; i < lx->npool; i++)
        free(lx->pool[i].v);
    free(lx->idents);
    free(lx->scratch);
    free(lx->strbuf);
    free(lx->files_read);
    pp_arena_chunk_t *c = lx->arena;
    while (c) {
        pp_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(lx);
}

const char *const *lpc_lexer_files_read(const lpc_lexer_t *lx)
{
    static const char *const none[] = {NULL};
    return lx->files_read ? lx->files_read : none;
}

bool lpc_lexer_pragma(const lpc_lexer_t *lx, const char *name)
{
    pp_ident_t *id = lpc_pp_lookup(lx, name, strlen(name));
    return id != NULL && (id->bits & PPI_PRAGMA_ON) != 0;
}
