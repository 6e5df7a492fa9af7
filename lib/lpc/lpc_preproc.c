/*
 * lpc_preproc.c - the LPC preprocessor: source files, directives, the
 * conditional stack, the macro table and macro expansion.
 *
 * Files.  Each open file is a frame on lx->files; the top frame is read.
 * At open time three frames are pushed: the source (bottom), the
 * auto-include above it, and above that a small generated buffer holding
 * the predefined macros as #define lines, so every definition goes
 * through the same code.  A frame's end pops it; the bottom frame's end
 * is the end of the compile.
 *
 * Directives.  A '#' that is the first token of a line in a file starts a
 * directive.  The rest of the line is tokenized in "directive mode"
 * (newline ends it, backslash-newline continues it).  A false branch is
 * skipped without tokenizing (lpc_pp_skip_to_directive); only the
 * conditional directives in it are looked at, to track nesting.
 * Conditionals must close in the file that opened them.
 *
 * Macros.  Expansion is the classic context stack: expanding a macro
 * pushes its replacement list as a context, and the macro is disabled
 * (busy) while that context is on the stack.  An identifier naming a
 * busy macro is painted PPF_NOEXPAND and never expands again, wherever
 * the token goes ("blue paint"), so no definition can recurse forever.
 * Function-like macro arguments are collected unexpanded, then each is
 * fully macro-expanded on its own (behind a barrier context that reads
 * as end-of-line when exhausted) before substitution, except next to #
 * and ##.  Rescanning the substituted list happens naturally as the
 * context is read.
 *
 * Locations.  A token from a macro's replacement list gets the location
 * of the macro's use (the outermost use for nested expansions); a token
 * from a macro argument keeps the location where it was written.
 */
#include "config.h"
#include "lpc/lpc_preproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void file_next(lpc_lexer_t *lx, pp_token_t *out);

/* ------------------------------------------------------------ vectors */

static pp_vec_t vec_get(lpc_lexer_t *lx)
{
    if (lx->npool > 0)
        return lx->pool[--lx->npool];
    pp_vec_t v = {NULL, 0, 0};
    return v;
}

static void vec_release(lpc_lexer_t *lx, pp_vec_t *v)
{
    if (v->v != NULL) {
        if (lx->npool < (int)(sizeof lx->pool / sizeof lx->pool[0]) &&
            v->cap <= 4096) {
            v->n = 0;
            lx->pool[lx->npool++] = *v;
        } else {
            free(v->v);
        }
    }
    v->v = NULL;
    v->n = v->cap = 0;
}

/* Appends a token produced by macro expansion (or collected as a macro
 * argument), charging it to the compile's expansion budget.  Returns
 * false once the budget is spent (reported once): a source file must not
 * be able to make the driver build gigabytes of tokens with a few nested
 * macros, or buffer a whole include tree as one unterminated argument
 * list. */
static bool emit(lpc_lexer_t *lx, pp_vec_t *out, const pp_token_t *t)
{
    if (lx->expansion_budget_reported)
        return false;
    if (++lx->expanded_tokens > PP_MAX_EXPANDED_TOKENS ||
        ++lx->expanded_total > PP_MAX_EXPANDED_TOTAL) {
        lx->expansion_budget_reported = true;
        lpc_pp_error(lx, &t->t.loc, "macro expansion produces too many tokens (limit %u%s)",
                 lx->expanded_tokens > PP_MAX_EXPANDED_TOKENS
                     ? PP_MAX_EXPANDED_TOKENS : PP_MAX_EXPANDED_TOTAL,
                 lx->expanded_tokens > PP_MAX_EXPANDED_TOKENS ? "" : " per compile");
        return false;
    }
    lpc_pp_vec_push(out, t);
    return true;
}

/* ------------------------------------------------------------ contexts */

static void ctx_push(lpc_lexer_t *lx, pp_vec_t *toks, pp_macro_t *m,
                     bool barrier, const lpc_srcloc_t *end_loc)
{
    if (lx->nctx == lx->capctx) {
        size_t cap = lx->capctx ? lx->capctx * 2 : 16;
        pp_context_t *c = realloc(lx->ctx, cap * sizeof *c);
        if (c == NULL)
            lpc_pp_oom();
        lx->ctx = c;
        lx->capctx = cap;
    }
    pp_context_t *c = &lx->ctx[lx->nctx++];
    c->toks = *toks;
    toks->v = NULL;
    toks->n = toks->cap = 0;
    c->pos = 0;
    c->macro = m;
    c->barrier = barrier;
    if (end_loc)
        c->end_loc = *end_loc;
    else
        memset(&c->end_loc, 0, sizeof c->end_loc);
    if (m)
        m->busy++;
}

static void ctx_pop(lpc_lexer_t *lx)
{
    pp_context_t *c = &lx->ctx[--lx->nctx];
    if (c->macro)
        c->macro->busy--;
    vec_release(lx, &c->toks);
}

/* Pushes a barrier over `toks` (moved); returns the depth to pop back to. */
static size_t barrier_push(lpc_lexer_t *lx, pp_vec_t *toks,
                           const lpc_srcloc_t *end_loc)
{
    size_t base = lx->nctx;
    ctx_push(lx, toks, NULL, true, end_loc);
    return base;
}

static void barrier_pop(lpc_lexer_t *lx, size_t base)
{
    while (lx->nctx > base)
        ctx_pop(lx);
}

static void make_eod(pp_token_t *t, const lpc_srcloc_t *loc)
{
    memset(t, 0, sizeof *t);
    t->t.kind = (lpc_token_kind_t)PP_EOD;
    t->t.loc = *loc;
    t->spell = "";
}

/* The next token, unexpanded: from the innermost context, else from the
 * files (directives run there).  Only called with no context left does
 * it read a file, so directives never run in the middle of an
 * expansion. */
static void pp_read(lpc_lexer_t *lx, pp_token_t *out)
{
    while (lx->nctx > 0) {
        pp_context_t *c = &lx->ctx[lx->nctx - 1];
        if (c->pos < c->toks.n) {
            *out = c->toks.v[c->pos++];
            return;
        }
        if (c->barrier) {
            make_eod(out, &c->end_loc);
            return;
        }
        ctx_pop(lx);
    }
    file_next(lx, out);
}

static void pp_unread(lpc_lexer_t *lx, const pp_token_t *t)
{
    pp_vec_t v = vec_get(lx);
    lpc_pp_vec_push(&v, t);
    ctx_push(lx, &v, NULL, false, NULL);
}

/* ------------------------------------------------------------ paths */

/* Joins dir and name and resolves "." and ".." (never above "/"); the
 * result is mudlib-absolute and interned. */
static pp_ident_t *normalize_path(lpc_lexer_t *lx, const char *dir,
                                  const char *name, size_t name_len)
{
    size_t dlen = strlen(dir);
    char *in = malloc(dlen + name_len + 2);
    char *out = malloc(dlen + name_len + 2);
    if (in == NULL || out == NULL)
        lpc_pp_oom();
    memcpy(in, dir, dlen);
    in[dlen] = '/';
    memcpy(in + dlen + 1, name, name_len);
    size_t n = dlen + 1 + name_len, o = 1;
    out[0] = '/';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && in[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && in[i] == '.')) {
            /* nothing */
        } else if (len == 2 && in[i] == '.' && in[i + 1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
        } else {
            if (o > 1)
                out[o++] = '/';
            memcpy(out + o, in + i, len);
            o += len;
        }
        i = j + 1;
    }
    pp_ident_t *id = lpc_pp_intern(lx, out, o);
    free(in);
    free(out);
    return id;
}

/* "/a/b.c" -> "/a/", "/b.c" -> "/" */
static const char *dir_of(lpc_lexer_t *lx, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return "/";
    return lpc_pp_intern(lx, path, (size_t)(slash - path) + 1)->text;
}

static void keep_buffer(lpc_lexer_t *lx, char *buf)
{
    if (lx->nbuffers == lx->capbuffers) {
        size_t cap = lx->capbuffers ? lx->capbuffers * 2 : 8;
        char **b = realloc(lx->buffers, cap * sizeof *b);
        if (b == NULL)
            lpc_pp_oom();
        lx->buffers = b;
        lx->capbuffers = cap;
    }
    lx->buffers[lx->nbuffers++] = buf;
}

static void note_file_read(lpc_lexer_t *lx, pp_ident_t *path)
{
    if (path->bits & PPI_FILE_READ)
        return;
    path->bits |= PPI_FILE_READ;
    if (lx->nfiles_read + 2 > lx->capfiles_read) {
        size_t cap = lx->capfiles_read ? lx->capfiles_read * 2 : 8;
        const char **f = realloc(lx->files_read, cap * sizeof *f);
        if (f == NULL)
            lpc_pp_oom();
        lx->files_read = f;
        lx->capfiles_read = cap;
    }
    lx->files_read[lx->nfiles_read++] = path->text;
    lx->files_read[lx->nfiles_read] = NULL;
}

static char *read_source(lpc_lexer_t *lx, const char *path, size_t *len)
{
    if (lx->opts.read_file == NULL)
        return NULL;
    *len = 0;
    return lx->opts.read_file(lx->opts.read_ctx, path, len);
}

static void push_file(lpc_lexer_t *lx, const char *path, char *buf,
                      size_t len, bool counts_depth)
{
    keep_buffer(lx, buf);
    pp_file_t *f = &lx->files[lx->nfiles++];
    lpc_pp_file_init(f, path, dir_of(lx, path), buf, len);
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        f->pos = 3;          /* a UTF-8 byte order mark is not text */
        f->line_start = 3;
    }
    f->counts_depth = counts_depth;
    f->cond_base = lx->nconds;
    if (counts_depth)
        lx->depth++;
}

/* ------------------------------------------------------------ conditionals */

static void push_cond(lpc_lexer_t *lx, const lpc_srcloc_t *loc,
                      const char *opener, bool value, bool dead)
{
    if (lx->nconds == lx->capconds) {
        size_t cap = lx->capconds ? lx->capconds * 2 : 16;
        pp_cond_t *c = realloc(lx->conds, cap * sizeof *c);
        if (c == NULL)
            lpc_pp_oom();
        lx->conds = c;
        lx->capconds = cap;
    }
    pp_cond_t *c = &lx->conds[lx->nconds++];
    c->loc = *loc;
    c->opener = opener;
    c->dead = dead;
    c->taken = dead || value;
    c->skipping = dead || !value;
    c->seen_else = false;
}

static bool skipping(const lpc_lexer_t *lx, const pp_file_t *f)
{
    return lx->nconds > f->cond_base && lx->conds[lx->nconds - 1].skipping;
}

/* The innermost conditional opened in f, or NULL. */
static pp_cond_t *file_cond(lpc_lexer_t *lx, const pp_file_t *f)
{
    return lx->nconds > f->cond_base ? &lx->conds[lx->nconds - 1] : NULL;
}

/* ------------------------------------------------------------ directive lines */

/* Reads the rest of the directive line into v; returns the location of
 * its end. */
static lpc_srcloc_t collect_line(lpc_lexer_t *lx, pp_file_t *f, pp_vec_t *v)
{
    pp_token_t t;
    for (;;) {
        lpc_pp_raw_next(lx, f, &t);
        if (t.t.kind == (lpc_token_kind_t)PP_EOD)
            return t.t.loc;
        lpc_pp_vec_push(v, &t);
    }
}

static void discard_line(lpc_lexer_t *lx, pp_file_t *f)
{
    if (f->in_directive)
        lpc_pp_raw_rest_of_line(lx, f, NULL);
}

/* Warns about anything after a directive that takes nothing more. */
static void check_extra(lpc_lexer_t *lx, pp_file_t *f, const char *dname,
                        bool quiet)
{
    if (!f->in_directive)
        return;
    bool q = f->quiet;
    f->quiet = true;
    pp_token_t t;
    lpc_pp_raw_next(lx, f, &t);
    f->quiet = q;
    if (t.t.kind != (lpc_token_kind_t)PP_EOD) {
        if (!quiet && !f->quiet)
            lpc_pp_warning(lx, &t.t.loc, "extra tokens at end of %s directive", dname);
        discard_line(lx, f);
    }
}

static const char *tok_text(lpc_lexer_t *lx, const pp_token_t *t)
{
    if (t->t.kind == (lpc_token_kind_t)PP_EOD)
        return "end of line";
    return lpc_pp_printable(lx, t->spell, t->spell_len);
}

/* ------------------------------------------------------------ #if */

typedef struct ifx {
    lpc_lexer_t *lx;
    pp_token_t tok;
    const char *dname;   /* "#if" or "#elif" */
    bool failed;
    int depth;
} ifx_t;

#define IFX_MAX_DEPTH 200

static void ifx_fail(ifx_t *x, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void ifx_fail(ifx_t *x, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = true;
    va_list ap;
    va_start(ap, fmt);
    lpc_pp_vdiag(x->lx, LPC_DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
}

static void ifx_next(ifx_t *x)
{
    lpc_lexer_t *lx = x->lx;
    lpc_pp_get(lx, &x->tok);
    if (x->tok.id != lx->id_defined)
        return;
    /* defined X / defined(X): the operand is read unexpanded. */
    lpc_srcloc_t loc = x->tok.t.loc;
    pp_token_t a;
    pp_read(lx, &a);
    bool paren = a.t.kind == LPC_TOK_LPAREN;
    if (paren)
        pp_read(lx, &a);
    if (a.id == NULL) {
        ifx_fail(x, &loc, "operator \"defined\" requires an identifier");
        x->tok = a;
        return;
    }
    int64_t v = a.id->macro != NULL;
    if (paren) {
        pp_token_t c;
        pp_read(lx, &c);
        if (c.t.kind != LPC_TOK_RPAREN) {
            ifx_fail(x, &c.t.loc, "missing ')' after \"defined\"");
            x->tok = c;
            return;
        }
    }
    memset(&x->tok, 0, sizeof x->tok);
    x->tok.t.kind = LPC_TOK_INT;
    x->tok.t.i = v;
    x->tok.t.loc = loc;
    x->tok.spell = v ? "1" : "0";
    x->tok.spell_len = 1;
}

static int64_t ifx_cond(ifx_t *x, bool live);

static int64_t ifx_unary(ifx_t *x, bool live)
{
    if (x->failed)
        return 0;
    if (++x->depth > IFX_MAX_DEPTH) {
        ifx_fail(x, &x->tok.t.loc, "%s expression nested too deeply", x->dname);
        return 0;
    }
    int64_t v = 0;
    pp_token_t t = x->tok;
    switch ((int)t.t.kind) {
    case LPC_TOK_PLUS:
        ifx_next(x);
        v = ifx_unary(x, live);
        break;
    case LPC_TOK_MINUS:
        ifx_next(x);
        v = (int64_t)(0 - (uint64_t)ifx_unary(x, live));
        break;
    case LPC_TOK_TILDE:
        ifx_next(x);
        v = ~ifx_unary(x, live);
        break;
    case LPC_TOK_NOT:
        ifx_next(x);
        v = !ifx_unary(x, live);
        break;
    case LPC_TOK_LPAREN:
        ifx_next(x);
        v = ifx_cond(x, live);
        if (x->failed)
            break;
        if (x->tok.t.kind != LPC_TOK_RPAREN)
            ifx_fail(x, &x->tok.t.loc, "missing ')' in %s expression", x->dname);
        else
            ifx_next(x);
        break;
    case LPC_TOK_INT:
        v = t.t.i;
        ifx_next(x);
        break;
    case LPC_TOK_FLOAT:
        ifx_fail(x, &t.t.loc, "floating constant in %s expression", x->dname);
        break;
    case LPC_TOK_STRING:
        ifx_fail(x, &t.t.loc, "string literal in %s expression", x->dname);
        break;
    default:
        if (t.id != NULL) {   /* an identifier that is not a macro */
            ifx_next(x);
            break;
        }
        ifx_fail(x, &t.t.loc, "expected a value in %s expression, found \"%s\"",
                 x->dname, tok_text(x->lx, &t));
        break;
    }
    x->depth--;
    return v;
}

/* Two's complement arithmetic without undefined behaviour. */
static int64_t ifx_apply(ifx_t *x, int op, int64_t a, int64_t b, bool live,
                         const lpc_srcloc_t *loc)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case LPC_TOK_STAR: return (int64_t)(ua * ub);
    case LPC_TOK_SLASH:
    case LPC_TOK_PERCENT:
        if (b == 0) {
            if (live)
                ifx_fail(x, loc, "division by zero in %s", x->dname);
            return 0;
        }
        if (a == INT64_MIN && b == -1)
            return op == LPC_TOK_SLASH ? INT64_MIN : 0;
        return op == LPC_TOK_SLASH ? a / b : a % b;
    case LPC_TOK_PLUS: return (int64_t)(ua + ub);
    case LPC_TOK_MINUS: return (int64_t)(ua - ub);
    case LPC_TOK_SHL:
        return (b < 0 || b > 63) ? 0 : (int64_t)(ua << b);
    case LPC_TOK_SHR:
        if (b < 0 || b > 63)
            return a < 0 ? -1 : 0;
        return a < 0 ? ~(int64_t)(~ua >> b) : (int64_t)(ua >> b);
    case LPC_TOK_LT: return a < b;
    case LPC_TOK_GT: return a > b;
    case LPC_TOK_LE: return a <= b;
    case LPC_TOK_GE: return a >= b;
    case LPC_TOK_EQ: return a == b;
    case LPC_TOK_NE: return a != b;
    case LPC_TOK_AMP: return a & b;
    case LPC_TOK_CARET: return a ^ b;
    case LPC_TOK_PIPE: return a | b;
    default: return 0;
    }
}

static int64_t ifx_binary(ifx_t *x, int minprec, bool live)
{
    int64_t lhs = ifx_unary(x, live);
    for (;;) {
        int op = (int)x->tok.t.kind;
        int prec = lpc_token_binary_precedence((lpc_token_kind_t)op);
        if (x->failed || prec == 0 || prec < minprec)
            return lhs;
        lpc_srcloc_t loc = x->tok.t.loc;
        ifx_next(x);
        if (op == LPC_TOK_OROR) {
            int64_t rhs = ifx_binary(x, prec + 1, live && !lhs);
            lhs = lhs || rhs;
        } else if (op == LPC_TOK_ANDAND) {
            int64_t rhs = ifx_binary(x, prec + 1, live && lhs);
            lhs = lhs && rhs;
        } else {
            int64_t rhs = ifx_binary(x, prec + 1, live);
            lhs = ifx_apply(x, op, lhs, rhs, live, &loc);
        }
    }
}

static int64_t ifx_cond(ifx_t *x, bool live)
{
    if (++x->depth > IFX_MAX_DEPTH) {
        ifx_fail(x, &x->tok.t.loc, "%s expression nested too deeply", x->dname);
        return 0;
    }
    int64_t c = ifx_binary(x, 1, live);
    if (!x->failed && x->tok.t.kind == LPC_TOK_QUESTION) {
        ifx_next(x);
        int64_t a = ifx_cond(x, live && c);
        if (!x->failed && x->tok.t.kind != LPC_TOK_COLON) {
            ifx_fail(x, &x->tok.t.loc, "expected ':' in %s expression, found \"%s\"",
                     x->dname, tok_text(x->lx, &x->tok));
        } else if (!x->failed) {
            ifx_next(x);
            int64_t b = ifx_cond(x, live && !c);
            c = c ? a : b;
        }
    }
    x->depth--;
    return c;
}

/* Evaluates the rest of the directive line as an #if expression.  Any
 * error makes the condition false. */
static bool eval_if(lpc_lexer_t *lx, pp_file_t *f, const char *dname,
                    const lpc_srcloc_t *hash_loc)
{
    pp_vec_t line = vec_get(lx);
    lpc_srcloc_t end = collect_line(lx, f, &line);
    bool empty = line.n == 0;
    size_t base = barrier_push(lx, &line, &end);
    ifx_t x;
    memset(&x, 0, sizeof x);
    x.lx = lx;
    x.dname = dname;
    int64_t v = 0;
    if (empty) {
        lpc_pp_error(lx, hash_loc, "%s with no expression", dname);
        x.failed = true;
    } else {
        ifx_next(&x);
        v = ifx_cond(&x, true);
        if (!x.failed && x.tok.t.kind != (lpc_token_kind_t)PP_EOD)
            ifx_fail(&x, &x.tok.t.loc, "unexpected \"%s\" in %s expression",
                     tok_text(lx, &x.tok), dname);
    }
    barrier_pop(lx, base);
    return !x.failed && v != 0;
}

/* ------------------------------------------------------------ #define */

static int param_index(const pp_macro_t *m, const pp_ident_t *id)
{
    for (int i = 0; i < m->nparams; i++)
        if (m->params[i] == id)
            return i;
    return -1;
}

static bool same_definition(const pp_macro_t *a, const pp_macro_t *b)
{
    if (a->nparams != b->nparams || a->nbody != b->nbody ||
        a->builtin != b->builtin)
        return false;
    for (int i = 0; i < a->nparams; i++)
        if (a->params[i] != b->params[i])
            return false;
    for (int i = 0; i < a->nbody; i++) {
        const pp_token_t *x = &a->body[i], *y = &b->body[i];
        if (x->t.kind != y->t.kind || x->spell_len != y->spell_len ||
            memcmp(x->spell, y->spell, x->spell_len) != 0 ||
            ((x->flags ^ y->flags) & PPF_SPACE) != 0 ||
            ((int)x->t.kind == PP_PARAM && x->t.i != y->t.i) ||
            ((int)x->t.kind == PP_STRINGIFY && x->t.i != y->t.i))
            return false;
    }
    return true;
}

static void do_define(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_vec_t line = vec_get(lx);
    collect_line(lx, f, &line);
    pp_token_t *v = line.v;
    size_t n = line.n, i = 1;
    pp_macro_t *m = NULL;

    if (n == 0) {
        lpc_pp_error(lx, hash_loc, "no macro name given in #define directive");
        goto out;
    }
    pp_ident_t *name = v[0].id;
    if (name == NULL) {
        lpc_pp_error(lx, &v[0].t.loc, "macro names must be identifiers");
        goto out;
    }
    if (name == lx->id_defined) {
        lpc_pp_error(lx, &v[0].t.loc, "\"defined\" cannot be used as a macro name");
        goto out;
    }
    if (name->macro && name->macro->builtin) {
        lpc_pp_error(lx, &v[0].t.loc, "cannot redefine builtin macro \"%s\"", name->text);
        goto out;
    }

    m = lpc_pp_alloc(lx, sizeof *m);
    memset(m, 0, sizeof *m);
    m->name = name;
    m->loc = v[0].t.loc;
    m->nparams = -1;
    if (n > 1 && v[1].t.kind == LPC_TOK_LPAREN && !(v[1].flags & PPF_SPACE)) {
        m->params = lpc_pp_alloc(lx, n * sizeof *m->params);
        m->nparams = 0;
        i = 2;
        if (i < n && v[i].t.kind == LPC_TOK_RPAREN) {
            i++;
        } else {
            for (;;) {
                if (i >= n) {
                    lpc_pp_error(lx, &v[n - 1].t.loc, "missing ')' in macro parameter list");
                    goto fail;
                }
                if (v[i].t.kind == LPC_TOK_ELLIPSIS) {
                    lpc_pp_error(lx, &v[i].t.loc, "variadic macros are not supported");
                    goto fail;
                }
                if (v[i].id == NULL) {
                    lpc_pp_error(lx, &v[i].t.loc, "expected parameter name, found \"%s\"",
                             tok_text(lx, &v[i]));
                    goto fail;
                }
                if (m->nparams == PP_MAX_MACRO_PARAMS) {
                    lpc_pp_error(lx, &v[i].t.loc, "too many macro parameters (limit %d)",
                             PP_MAX_MACRO_PARAMS);
                    goto fail;
                }
                if (param_index(m, v[i].id) >= 0) {
                    lpc_pp_error(lx, &v[i].t.loc, "duplicate macro parameter \"%s\"",
                             v[i].id->text);
                    goto fail;
                }
                m->params[m->nparams++] = v[i].id;
                i++;
                if (i < n && v[i].t.kind == LPC_TOK_COMMA) {
                    i++;
                    continue;
                }
                if (i < n && v[i].t.kind == LPC_TOK_RPAREN) {
                    i++;
                    break;
                }
                if (i >= n) {
                    lpc_pp_error(lx, &v[n - 1].t.loc, "missing ')' in macro parameter list");
                } else {
                    lpc_pp_error(lx, &v[i].t.loc,
                             "expected ',' or ')' in macro parameter list, found \"%s\"",
                             tok_text(lx, &v[i]));
                }
                goto fail;
            }
        }
    }

    m->body = lpc_pp_alloc(lx, (n - i + 1) * sizeof *m->body);
    for (size_t j = i; j < n; j++) {
        pp_token_t t = v[j];
        t.flags &= (uint16_t)~PPF_BOL;
        if (m->nbody == 0)
            t.flags &= (uint16_t)~PPF_SPACE;
        if (m->nparams >= 0 && (int)t.t.kind == PP_HASH) {
            int k = j + 1 < n && v[j + 1].id ? param_index(m, v[j + 1].id) : -1;
            if (k < 0) {
                lpc_pp_error(lx, &t.t.loc, "'#' is not followed by a macro parameter");
                goto fail;
            }
            t.t.kind = (lpc_token_kind_t)PP_STRINGIFY;
            t.t.i = k;
            j++;
        } else if (m->nparams > 0 && t.id && param_index(m, t.id) >= 0) {
            t.t.i = param_index(m, t.id);
            t.t.kind = (lpc_token_kind_t)PP_PARAM;
        }
        m->body[m->nbody++] = t;
    }
    if (m->nbody > 0 && ((int)m->body[0].t.kind == PP_HASHHASH ||
                         (int)m->body[m->nbody - 1].t.kind == PP_HASHHASH)) {
        const pp_token_t *bad = (int)m->body[0].t.kind == PP_HASHHASH
                                    ? &m->body[0] : &m->body[m->nbody - 1];
        lpc_pp_error(lx, &bad->t.loc, "'##' cannot appear at either end of a macro expansion");
        goto fail;
    }

    if (name->macro && !same_definition(name->macro, m))
        lpc_pp_warning(lx, &m->loc, "\"%s\" redefined (previous definition at %s:%d)",
                   name->text, name->macro->loc.file, name->macro->loc.line);
    name->macro = m;
    goto out;
fail:
    m = NULL;
out:
    vec_release(lx, &line);
}

static void do_undef(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_vec_t line = vec_get(lx);
    collect_line(lx, f, &line);
    if (line.n == 0) {
        lpc_pp_error(lx, hash_loc, "no macro name given in #undef directive");
    } else if (line.v[0].id == NULL) {
        lpc_pp_error(lx, &line.v[0].t.loc, "macro names must be identifiers");
    } else if (line.v[0].id->macro && line.v[0].id->macro->builtin) {
        lpc_pp_error(lx, &line.v[0].t.loc, "cannot undefine builtin macro \"%s\"",
                 line.v[0].id->text);
    } else {
        if (line.n > 1)
            lpc_pp_warning(lx, &line.v[1].t.loc, "extra tokens at end of #undef directive");
        line.v[0].id->macro = NULL;
    }
    vec_release(lx, &line);
}

static void do_ifdef(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc,
                     bool want_defined)
{
    const char *dname = want_defined ? "#ifdef" : "#ifndef";
    pp_vec_t line = vec_get(lx);
    collect_line(lx, f, &line);
    bool value = false;
    if (line.n == 0) {
        lpc_pp_error(lx, hash_loc, "no macro name given in %s directive", dname);
    } else if (line.v[0].id == NULL) {
        lpc_pp_error(lx, &line.v[0].t.loc, "macro names must be identifiers");
    } else {
        if (line.n > 1)
            lpc_pp_warning(lx, &line.v[1].t.loc, "extra tokens at end of %s directive", dname);
        value = (line.v[0].id->macro != NULL) == want_defined;
    }
    vec_release(lx, &line);
    push_cond(lx, hash_loc, dname, value, false);
}

static void do_elif(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_cond_t *c = file_cond(lx, f);
    if (c == NULL) {
        lpc_pp_error(lx, hash_loc, "#elif without #if");
        discard_line(lx, f);
        return;
    }
    if (c->seen_else) {
        if (!c->dead)
            lpc_pp_error(lx, hash_loc, "#elif after #else");
        c->skipping = true;
        discard_line(lx, f);
        return;
    }
    if (c->dead || c->taken) {
        /* A branch was taken already: the expression is not evaluated. */
        c->skipping = true;
        discard_line(lx, f);
        return;
    }
    bool v = eval_if(lx, f, "#elif", hash_loc);
    c = file_cond(lx, f);   /* eval_if may not move it, but be safe */
    c->taken = v;
    c->skipping = !v;
}

static void do_else(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_cond_t *c = file_cond(lx, f);
    if (c == NULL) {
        lpc_pp_error(lx, hash_loc, "#else without #if");
        discard_line(lx, f);
        return;
    }
    if (c->seen_else) {
        if (!c->dead)
            lpc_pp_error(lx, hash_loc, "#else after #else");
        c->skipping = true;
        discard_line(lx, f);
        return;
    }
    c->seen_else = true;
    c->skipping = c->taken;
    c->taken = true;
    check_extra(lx, f, "#else", c->dead);
}

static void do_endif(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_cond_t *c = file_cond(lx, f);
    if (c == NULL) {
        lpc_pp_error(lx, hash_loc, "#endif without #if");
        discard_line(lx, f);
        return;
    }
    bool dead = c->dead;
    lx->nconds--;
    check_extra(lx, f, "#endif", dead);
}

static void do_pragma(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    pp_vec_t line = vec_get(lx);
    collect_line(lx, f, &line);
    if (line.n == 0)
        lpc_pp_warning(lx, hash_loc, "#pragma with no name");
    for (size_t i = 0; i < line.n;) {
        pp_token_t *t = &line.v[i];
        if (t->id == NULL) {
            lpc_pp_warning(lx, &t->t.loc, "malformed #pragma: expected a name, found \"%s\"",
                       tok_text(lx, t));
            break;
        }
        pp_ident_t *id = t->id;
        if (!(id->bits & PPI_PRAGMA_KNOWN)) {
            lpc_pp_warning(lx, &t->t.loc, "unknown pragma \"%s\"", id->text);
        } else if (id->len > 3 && memcmp(id->text, "no_", 3) == 0) {
            pp_ident_t *base = lpc_pp_intern(lx, id->text + 3, id->len - 3);
            base->bits &= (uint8_t)~PPI_PRAGMA_ON;
            id->bits |= PPI_PRAGMA_ON;
            if (strcmp(base->text, "warnings") == 0)
                lx->warnings_off = true;
        } else {
            char buf[64];
            snprintf(buf, sizeof buf, "no_%s", id->text);
            pp_ident_t *neg = lpc_pp_lookup(lx, buf, strlen(buf));
            if (neg)
                neg->bits &= (uint8_t)~PPI_PRAGMA_ON;
            id->bits |= PPI_PRAGMA_ON;
            if (strcmp(id->text, "warnings") == 0)
                lx->warnings_off = false;
        }
        i++;
        if (i < line.n) {
            if (line.v[i].t.kind != LPC_TOK_COMMA) {
                lpc_pp_warning(lx, &line.v[i].t.loc,
                           "malformed #pragma: expected ',', found \"%s\"",
                           tok_text(lx, &line.v[i]));
                break;
            }
            i++;
        }
    }
    vec_release(lx, &line);
}

static void do_message(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc,
                       bool is_error)
{
    size_t len;
    const char *text = lpc_pp_raw_rest_of_line(lx, f, &len);
    const char *d = is_error ? "#error" : "#warning";
    if (is_error)
        lpc_pp_error(lx, hash_loc, "%s%s%s", d, len ? " " : "", text);
    else
        lpc_pp_warning(lx, hash_loc, "%s%s%s", d, len ? " " : "", text);
}

/* ------------------------------------------------------------ #include */

/* Charges a file read to the compile's source budget; false (with an
 * error at loc) if it would exceed PP_MAX_SOURCE_BYTES. */
static bool charge_source(lpc_lexer_t *lx, const lpc_srcloc_t *loc, size_t len)
{
    if (len > PP_MAX_SOURCE_BYTES - lx->source_bytes) {
        lpc_pp_error(lx, loc, "more than %u MiB of source text in one compile",
                 PP_MAX_SOURCE_BYTES >> 20);
        return false;
    }
    lx->source_bytes += len;
    return true;
}

static bool try_include(lpc_lexer_t *lx, pp_ident_t *path, const lpc_srcloc_t *loc)
{
    size_t len;
    char *buf = read_source(lx, path->text, &len);
    if (buf == NULL)
        return false;
    note_file_read(lx, path);
    if (!charge_source(lx, loc, len)) {
        free(buf);
        return true;   /* found, but not read: no "cannot open" error */
    }
    lx->files_opened++;
    push_file(lx, path->text, buf, len, true);
    return true;
}

static void include_file(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc,
                         const char *name, size_t len, bool angle)
{
    if (len == 0) {
        lpc_pp_error(lx, hash_loc, "empty file name in #include");
        return;
    }
    if (memchr(name, '\0', len) != NULL) {
        lpc_pp_error(lx, hash_loc, "invalid file name in #include");
        return;
    }
    if (lx->depth >= PP_MAX_INCLUDE_DEPTH) {
        lpc_pp_error(lx, hash_loc, "#include nested too deeply (limit %d)",
                 PP_MAX_INCLUDE_DEPTH);
        return;
    }
    if (lx->files_opened >= PP_MAX_FILES_OPENED) {
        lpc_pp_error(lx, hash_loc, "too many #include files (limit %d)",
                 PP_MAX_FILES_OPENED);
        return;
    }
    if (name[0] == '/') {
        if (try_include(lx, normalize_path(lx, "", name, len), hash_loc))
            return;
    } else {
        if (!angle && try_include(lx, normalize_path(lx, f->dir, name, len), hash_loc))
            return;
        for (size_t i = 0; i < lx->ninclude_dirs; i++)
            if (try_include(lx, normalize_path(lx, lx->include_dirs[i], name, len),
                            hash_loc))
                return;
    }
    lpc_pp_error(lx, hash_loc, "cannot open include file \"%s\"",
             lpc_pp_printable(lx, name, len));
}

static void do_include(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc)
{
    int c = lpc_pp_raw_peek_char(lx, f);
    if (c == '"' || c == '<') {
        char close = c == '"' ? '"' : '>';
        size_t s = f->pos + 1, p = s;
        while (p < f->len && f->buf[p] != close && f->buf[p] != '\n')
            p++;
        if (p >= f->len || f->buf[p] != close) {
            lpc_pp_error(lx, hash_loc, "missing terminating %c character in #include", close);
            discard_line(lx, f);
            return;
        }
        f->pos = p + 1;
        check_extra(lx, f, "#include", false);
        include_file(lx, f, hash_loc, f->buf + s, p - s, c == '<');
        return;
    }

    /* #include MACRO: the line is macro-expanded first. */
    pp_vec_t line = vec_get(lx);
    lpc_srcloc_t end = collect_line(lx, f, &line);
    size_t base = barrier_push(lx, &line, &end);
    pp_vec_t out = vec_get(lx);
    for (;;) {
        pp_token_t t;
        lpc_pp_get(lx, &t);
        if (t.t.kind == (lpc_token_kind_t)PP_EOD)
            break;
        lpc_pp_vec_push(&out, &t);
    }
    barrier_pop(lx, base);

    if (out.n >= 1 && out.v[0].t.kind == LPC_TOK_STRING) {
        if (out.n > 1)
            lpc_pp_warning(lx, &out.v[1].t.loc, "extra tokens at end of #include directive");
        include_file(lx, f, hash_loc, out.v[0].t.text, out.v[0].t.len, false);
    } else if (out.n >= 1 && out.v[0].t.kind == LPC_TOK_LT) {
        size_t len = 0, i;
        for (i = 1; i < out.n && out.v[i].t.kind != LPC_TOK_GT; i++)
            len += out.v[i].spell_len + 1;
        if (i >= out.n) {
            lpc_pp_error(lx, hash_loc, "missing terminating > character in #include");
        } else {
            char *name = lpc_pp_alloc(lx, len + 1);
            size_t o = 0;
            for (size_t j = 1; j < i; j++) {
                if (j > 1 && (out.v[j].flags & PPF_SPACE))
                    name[o++] = ' ';
                memcpy(name + o, out.v[j].spell, out.v[j].spell_len);
                o += out.v[j].spell_len;
            }
            if (i + 1 < out.n)
                lpc_pp_warning(lx, &out.v[i + 1].t.loc,
                           "extra tokens at end of #include directive");
            include_file(lx, f, hash_loc, name, o, true);
        }
    } else {
        lpc_pp_error(lx, hash_loc, "#include expects \"FILENAME\" or <FILENAME>");
    }
    vec_release(lx, &out);
}

/* ------------------------------------------------------------ dispatch */

/* Runs the directive whose '#' was just read from f.  In a skipped
 * branch only the conditional directives matter. */
static void directive(lpc_lexer_t *lx, pp_file_t *f, const lpc_srcloc_t *hash_loc,
                      bool skipped)
{
    f->in_directive = true;
    bool quiet = f->quiet;
    if (skipped)
        f->quiet = true;
    pp_token_t name;
    lpc_pp_raw_next(lx, f, &name);
    f->quiet = quiet;
    if (name.t.kind == (lpc_token_kind_t)PP_EOD)
        return;   /* "#" alone: the null directive */
    int d = name.id ? name.id->directive : PP_DIR_NONE;

    if (skipped) {
        pp_cond_t *c;
        switch (d) {
        case PP_DIR_IF:
        case PP_DIR_IFDEF:
        case PP_DIR_IFNDEF:
            push_cond(lx, hash_loc, d == PP_DIR_IF ? "#if"
                                    : d == PP_DIR_IFDEF ? "#ifdef" : "#ifndef",
                      false, true);
            discard_line(lx, f);
            return;
        case PP_DIR_ELIF:
            do_elif(lx, f, hash_loc);
            return;
        case PP_DIR_ELSE:
            do_else(lx, f, hash_loc);
            return;
        case PP_DIR_ENDIF:
            c = file_cond(lx, f);
            if (c)
                do_endif(lx, f, hash_loc);
            else
                discard_line(lx, f);
            return;
        default:
            discard_line(lx, f);
            return;
        }
    }

    switch (d) {
    case PP_DIR_INCLUDE: do_include(lx, f, hash_loc); break;
    case PP_DIR_DEFINE: do_define(lx, f, hash_loc); break;
    case PP_DIR_UNDEF: do_undef(lx, f, hash_loc); break;
    case PP_DIR_IF: {
        bool v = eval_if(lx, f, "#if", hash_loc);
        push_cond(lx, hash_loc, "#if", v, false);
        break;
    }
    case PP_DIR_IFDEF: do_ifdef(lx, f, hash_loc, true); break;
    case PP_DIR_IFNDEF: do_ifdef(lx, f, hash_loc, false); break;
    case PP_DIR_ELIF: do_elif(lx, f, hash_loc); break;
    case PP_DIR_ELSE: do_else(lx, f, hash_loc); break;
    case PP_DIR_ENDIF: do_endif(lx, f, hash_loc); break;
    case PP_DIR_ERROR: do_message(lx, f, hash_loc, true); break;
    case PP_DIR_WARNING: do_message(lx, f, hash_loc, false); break;
    case PP_DIR_PRAGMA: do_pragma(lx, f, hash_loc); break;
    default:
        if (name.id)
            lpc_pp_error(lx, hash_loc, "unknown directive #%s", name.id->text);
        else
            lpc_pp_error(lx, hash_loc, "invalid directive \"#%s\"", tok_text(lx, &name));
        discard_line(lx, f);
        break;
    }
}

/* The end of the top file: conditionals it left open are errors (at
 * their opening directive); then the frame is popped. */
static void end_of_file(lpc_lexer_t *lx)
{
    pp_file_t *f = &lx->files[lx->nfiles - 1];
    for (size_t i = f->cond_base; i < lx->nconds; i++)
        lpc_pp_error(lx, &lx->conds[i].loc, "unterminated %s", lx->conds[i].opener);
    lx->nconds = f->cond_base;
    if (lx->nfiles == 1)
        lx->eof_loc = lpc_pp_file_loc(f);
    if (f->counts_depth)
        lx->depth--;
    lx->nfiles--;
}

static void file_next(lpc_lexer_t *lx, pp_token_t *out)
{
    for (;;) {
        if (lx->nfiles == 0) {
            memset(out, 0, sizeof *out);
            out->t.kind = LPC_TOK_EOF;
            out->t.loc = lx->eof_loc;
            out->spell = "";
            return;
        }
        pp_file_t *f = &lx->files[lx->nfiles - 1];
        if (skipping(lx, f)) {
            if (!lpc_pp_skip_to_directive(f)) {
                end_of_file(lx);
                continue;
            }
            lpc_srcloc_t hash_loc = lpc_pp_file_loc(f);
            hash_loc.col--;
            directive(lx, f, &hash_loc, true);
            continue;
        }
        lpc_pp_raw_next(lx, f, out);
        if (out->t.kind == LPC_TOK_EOF) {
            end_of_file(lx);
            continue;
        }
        if ((int)out->t.kind == PP_HASH && (out->flags & PPF_BOL)) {
            lpc_srcloc_t hash_loc = out->t.loc;
            directive(lx, f, &hash_loc, false);
            continue;
        }
        return;
    }
}

/* ------------------------------------------------------------ expansion */

/* A string literal's spelling for `text`: quotes, backslashes and
 * control bytes escaped, so that re-lexing it gives `text` back. */
static const char *quote_spelling(lpc_lexer_t *lx, const char *text, size_t len,
                                  uint32_t *out_len)
{
    char *s = lpc_pp_alloc(lx, len * 4 + 3);
    size_t o = 0;
    s[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            s[o++] = '\\';
            s[o++] = (char)c;
        } else if (c == '\n') {
            s[o++] = '\\';
            s[o++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            s[o++] = '\\';
            s[o++] = 'x';
            s[o++] = hex[c >> 4];
            s[o++] = hex[c & 15];
        } else {
            s[o++] = (char)c;
        }
    }
    s[o++] = '"';
    *out_len = (uint32_t)o;
    return s;
}

static void make_string(lpc_lexer_t *lx, pp_token_t *t, const char *text, size_t len)
{
    t->t.kind = LPC_TOK_STRING;
    t->t.text = text;
    t->t.len = len;
    t->id = NULL;
    t->spell = quote_spelling(lx, text, len, &t->spell_len);
}

static void builtin_token(lpc_lexer_t *lx, const pp_macro_t *m,
                          const pp_token_t *name, pp_token_t *t)
{
    *t = *name;
    t->flags &= (uint16_t)~PPF_NOEXPAND;
    const char *file = name->t.loc.file ? name->t.loc.file : "";
    if (m->builtin == PP_BUILTIN_LINE) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d", name->t.loc.line);
        t->t.kind = LPC_TOK_INT;
        t->t.i = name->t.loc.line;
        t->t.text = NULL;
        t->t.len = 0;
        t->id = NULL;
        t->spell = lpc_pp_strdup(lx, buf, (size_t)n);
        t->spell_len = (uint32_t)n;
    } else if (m->builtin == PP_BUILTIN_FILE) {
        make_string(lx, t, file, strlen(file));
    } else {
        const char *slash = strrchr(file, '/');
        size_t len = slash ? (size_t)(slash - file) + 1 : 0;
        make_string(lx, t, len ? lpc_pp_strdup(lx, file, len) : "/", len ? len : 1);
    }
}

/* #param: the argument's spelling as a string (tokens separated by one
 * space where the source had whitespace). */
static void stringify(lpc_lexer_t *lx, const pp_token_t *toks, size_t n,
                      const pp_token_t *hash, const lpc_srcloc_t *loc, pp_token_t *t)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += toks[i].spell_len + 1;
    char *text = lpc_pp_alloc(lx, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int)toks[i].t.kind == PP_PLACEMARKER)
            continue;
        if (o > 0 && (toks[i].flags & PPF_SPACE))
            text[o++] = ' ';
        memcpy(text + o, toks[i].spell, toks[i].spell_len);
        o += toks[i].spell_len;
    }
    text[o] = '\0';
    memset(t, 0, sizeof *t);
    t->flags = hash->flags & PPF_SPACE;
    t->t.loc = *loc;
    make_string(lx, t, text, o);
}

/* a ## b: the two spellings joined must lex as exactly one token. */
static bool paste(lpc_lexer_t *lx, const pp_token_t *lhs, const pp_token_t *rhs,
                  const lpc_srcloc_t *loc, pp_vec_t *out)
{
    size_t len = (size_t)lhs->spell_len + rhs->spell_len;
    char *buf = lpc_pp_alloc(lx, len + 1);
    memcpy(buf, lhs->spell, lhs->spell_len);
    memcpy(buf + lhs->spell_len, rhs->spell, rhs->spell_len);
    buf[len] = '\0';
    pp_file_t tf;
    lpc_pp_file_init(&tf, loc->file, "/", buf, len);
    tf.fixed_loc = loc;
    pp_token_t t;
    lpc_pp_raw_next(lx, &tf, &t);
    if (t.t.kind == LPC_TOK_EOF || tf.pos != len || (t.flags & PPF_SPACE)) {
        lpc_pp_error(lx, loc, "pasting \"%s\" and \"%s\" does not give a valid token",
                 lpc_pp_printable(lx, lhs->spell, lhs->spell_len),
                 lpc_pp_printable(lx, rhs->spell, rhs->spell_len));
        pp_token_t r = *rhs;
        r.flags &= (uint16_t)~PPF_SPACE;
        return emit(lx, out, lhs) && emit(lx, out, &r);
    }
    t.flags = lhs->flags & PPF_SPACE;
    return emit(lx, out, &t);
}

typedef struct macro_args {
    pp_vec_t toks;       /* all arguments' tokens, commas dropped */
    size_t *start;       /* argument k is toks[start[k] .. start[k+1]) */
    size_t nstart, capstart;
    pp_vec_t *expanded;  /* per argument, computed on first use */
    bool *have_expanded;
} macro_args_t;

/* Argument k's tokens (toks.v is NULL when every argument is empty). */
static const pp_token_t *arg_begin(const macro_args_t *a, int k)
{
    static const pp_token_t none;
    return a->toks.v ? a->toks.v + a->start[k] : &none;
}

static size_t arg_len(const macro_args_t *a, int k)
{
    return a->start[k + 1] - a->start[k];
}

static void args_mark(macro_args_t *a)
{
    if (a->nstart == a->capstart) {
        size_t cap = a->capstart ? a->capstart * 2 : 8;
        size_t *s = realloc(a->start, cap * sizeof *s);
        if (s == NULL)
            lpc_pp_oom();
        a->start = s;
        a->capstart = cap;
    }
    a->start[a->nstart++] = a->toks.n;
}

static void args_free(lpc_lexer_t *lx, macro_args_t *a, int nparams)
{
    vec_release(lx, &a->toks);
    if (a->expanded) {
        for (int i = 0; i < nparams; i++)
            vec_release(lx, &a->expanded[i]);
    }
    free(a->expanded);
    free(a->have_expanded);
    free(a->start);
}

/* Reads "( args )" after a function-like macro's name (the '(' is already
 * read).  Reports and returns false on an unterminated list or a wrong
 * argument count. */
static bool collect_args(lpc_lexer_t *lx, const pp_macro_t *m,
                         const pp_token_t *name, macro_args_t *a)
{
    int depth = 0;
    args_mark(a);
    for (;;) {
        pp_token_t t;
        pp_read(lx, &t);
        if ((int)t.t.kind == PP_EOD || t.t.kind == LPC_TOK_EOF) {
            lpc_pp_error(lx, &name->t.loc,
                     "unterminated argument list invoking macro \"%s\"", m->name->text);
            return false;
        }
        /* A macro name read while that macro is being expanded stays
         * painted even if the argument outlives the expansion. */
        if (t.id && t.id->macro && t.id->macro->busy)
            t.flags |= PPF_NOEXPAND;
        if (t.t.kind == LPC_TOK_LPAREN) {
            depth++;
        } else if (t.t.kind == LPC_TOK_RPAREN) {
            if (depth == 0)
                break;
            depth--;
        } else if (t.t.kind == LPC_TOK_COMMA && depth == 0) {
            args_mark(a);
            continue;
        }
        if (!emit(lx, &a->toks, &t))
            return false;
    }
    args_mark(a);
    int nargs = (int)a->nstart - 1;
    if (m->nparams == 0 && nargs == 1 && a->toks.n == 0)
        nargs = 0;
    if (nargs != m->nparams) {
        lpc_pp_error(lx, &name->t.loc, "macro \"%s\" expects %d argument%s, but %d given",
                 m->name->text, m->nparams, m->nparams == 1 ? "" : "s", nargs);
        return false;
    }
    return true;
}

/* An argument fully macro-expanded on its own: pushed behind a barrier
 * so that expansion cannot read past its end. */
static void expand_arg(lpc_lexer_t *lx, const pp_token_t *toks, size_t n,
                       const lpc_srcloc_t *loc, pp_vec_t *out)
{
    if (lx->expand_nesting >= PP_MAX_EXPAND_NESTING) {
        if (!lx->nesting_reported) {
            lx->nesting_reported = true;
            lpc_pp_error(lx, loc, "macro arguments nested too deeply (limit %d)",
                     PP_MAX_EXPAND_NESTING);
        }
        for (size_t i = 0; i < n; i++)
            if (!emit(lx, out, &toks[i]))
                break;
        return;
    }
    lx->expand_nesting++;
    pp_vec_t in = vec_get(lx);
    for (size_t i = 0; i < n; i++)
        lpc_pp_vec_push(&in, &toks[i]);
    size_t base = barrier_push(lx, &in, loc);
    for (;;) {
        pp_token_t t;
        lpc_pp_get(lx, &t);
        if ((int)t.t.kind == PP_EOD || !emit(lx, out, &t))
            break;
    }
    barrier_pop(lx, base);
    lx->expand_nesting--;
}

static const pp_vec_t *arg_expanded(lpc_lexer_t *lx, macro_args_t *a, int nparams,
                                    int k, const lpc_srcloc_t *loc)
{
    if (a->expanded == NULL) {
        a->expanded = calloc((size_t)nparams, sizeof *a->expanded);
        a->have_expanded = calloc((size_t)nparams, sizeof *a->have_expanded);
        if (a->expanded == NULL || a->have_expanded == NULL)
            lpc_pp_oom();
    }
    if (!a->have_expanded[k]) {
        a->have_expanded[k] = true;
        a->expanded[k] = vec_get(lx);
        expand_arg(lx, arg_begin(a, k), arg_len(a, k), loc, &a->expanded[k]);
    }
    return &a->expanded[k];
}

/* Builds m's replacement for the use `name` into out. */
static void substitute(lpc_lexer_t *lx, const pp_macro_t *m, const pp_token_t *name,
                       macro_args_t *a, pp_vec_t *out)
{
    const lpc_srcloc_t *loc = &name->t.loc;
    pp_token_t placemarker;
    memset(&placemarker, 0, sizeof placemarker);
    placemarker.t.kind = (lpc_token_kind_t)PP_PLACEMARKER;
    placemarker.t.loc = *loc;
    placemarker.spell = "";

    for (int j = 0; j < m->nbody; j++) {
        const pp_token_t *bt = &m->body[j];
        bool before_paste = j + 1 < m->nbody && (int)m->body[j + 1].t.kind == PP_HASHHASH;
        size_t first = out->n;
        switch ((int)bt->t.kind) {
        case PP_STRINGIFY: {
            int k = (int)bt->t.i;
            pp_token_t t;
            stringify(lx, arg_begin(a, k), arg_len(a, k), bt, loc, &t);
            if (!emit(lx, out, &t))
                return;
            break;
        }
        case PP_PARAM: {
            int k = (int)bt->t.i;
            const pp_token_t *src;
            size_t n;
            if (before_paste) {
                src = arg_begin(a, k);
                n = arg_len(a, k);
            } else {
                const pp_vec_t *e = arg_expanded(lx, a, m->nparams, k, loc);
                src = e->v;
                n = e->n;
            }
            if (n == 0 && before_paste && !emit(lx, out, &placemarker))
                return;
            for (size_t i = 0; i < n; i++)
                if (!emit(lx, out, &src[i]))
                    return;
            if (out->n > first) {
                out->v[first].flags &= (uint16_t)~PPF_SPACE;
                out->v[first].flags |= bt->flags & PPF_SPACE;
            }
            break;
        }
        case PP_HASHHASH: {
            const pp_token_t *rb = &m->body[++j];
            pp_token_t tmp;
            const pp_token_t *rt = &tmp;
            size_t rn = 1;
            if ((int)rb->t.kind == PP_PARAM) {
                int k = (int)rb->t.i;
                rt = arg_begin(a, k);
                rn = arg_len(a, k);
            } else if ((int)rb->t.kind == PP_STRINGIFY) {
                int k = (int)rb->t.i;
                stringify(lx, arg_begin(a, k), arg_len(a, k), rb, loc, &tmp);
            } else {
                tmp = *rb;
                tmp.t.loc = *loc;
            }
            pp_token_t lhs = out->v[--out->n];
            size_t i = 0;
            if ((int)lhs.t.kind == PP_PLACEMARKER) {
                if (rn == 0 && !emit(lx, out, &placemarker))
                    return;
            } else if (rn == 0) {
                if (!emit(lx, out, &lhs))
                    return;
            } else {
                if (!paste(lx, &lhs, &rt[0], loc, out))
                    return;
                i = 1;
            }
            for (; i < rn; i++)
                if (!emit(lx, out, &rt[i]))
                    return;
            break;
        }
        default: {
            pp_token_t t = *bt;
            t.t.loc = *loc;
            if (!emit(lx, out, &t))
                return;
            break;
        }
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < out->n; i++)
        if ((int)out->v[i].t.kind != PP_PLACEMARKER)
            out->v[o++] = out->v[i];
    out->n = o;
    if (o > 0) {
        out->v[0].flags &= (uint16_t)~PPF_SPACE;
        out->v[0].flags |= name->flags & PPF_SPACE;
    }
}

/* Expands the macro m used by `name` (just read): pushes the result as a
 * context.  Returns false if name is not a use after all (a
 * function-like macro without '('), and the name stands for itself. */
static bool expand(lpc_lexer_t *lx, pp_macro_t *m, const pp_token_t *name)
{
    if (m->builtin) {
        pp_token_t t;
        builtin_token(lx, m, name, &t);
        pp_vec_t v = vec_get(lx);
        lpc_pp_vec_push(&v, &t);
        ctx_push(lx, &v, NULL, false, NULL);
        return true;
    }
    macro_args_t a;
    memset(&a, 0, sizeof a);
    if (m->nparams >= 0) {
        pp_token_t next;
        pp_read(lx, &next);
        if (next.t.kind != LPC_TOK_LPAREN) {
            if ((int)next.t.kind != PP_EOD && next.t.kind != LPC_TOK_EOF)
                pp_unread(lx, &next);
            return false;
        }
        a.toks = vec_get(lx);
        if (!collect_args(lx, m, name, &a)) {
            args_free(lx, &a, m->nparams);
            return true;
        }
    }
    pp_vec_t out = vec_get(lx);
    substitute(lx, m, name, &a, &out);
    args_free(lx, &a, m->nparams);
    ctx_push(lx, &out, m, false, NULL);
    return true;
}

void lpc_pp_get(lpc_lexer_t *lx, pp_token_t *out)
{
    /* No context left: the previous top-level macro use is consumed, so
     * the next one starts a fresh per-use budget. */
    if (lx->nctx == 0)
        lx->expanded_tokens = 0;
    for (;;) {
        pp_read(lx, out);
        pp_ident_t *id = out->id;
        if (id == NULL || id->macro == NULL || (out->flags & PPF_NOEXPAND))
            return;
        pp_macro_t *m = id->macro;
        if (m->busy) {
            out->flags |= PPF_NOEXPAND;
            return;
        }
        if (lx->expansion_budget_reported)
            return;
        pp_token_t name = *out;
        if (!expand(lx, m, &name))
            return;
    }
}

/* ------------------------------------------------------------ setup */

static void add_builtin(lpc_lexer_t *lx, const char *name, int kind)
{
    pp_ident_t *id = lpc_pp_intern(lx, name, strlen(name));
    pp_macro_t *m = lpc_pp_alloc(lx, sizeof *m);
    memset(m, 0, sizeof *m);
    m->name = id;
    m->nparams = -1;
    m->builtin = kind;
    m->loc.file = "<builtin>";
    id->macro = m;
}

typedef struct textbuf {
    char *s;
    size_t n, cap;
} textbuf_t;

static void tb_add(textbuf_t *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL)
            lpc_pp_oom();
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static void tb_str(textbuf_t *b, const char *s) { tb_add(b, s, strlen(s)); }

/* The predefined macros as a buffer of #define lines (see lpc_lex.h for
 * the list); caller defines come last and replace predefined ones. */
static char *predefines(lpc_lexer_t *lx, size_t *len)
{
    textbuf_t b = {NULL, 0, 0};
    tb_str(&b,
           "#define __NEOLITH__ 1\n"
           "#define __VERSION__ \"neolith " PACKAGE_VERSION "\"\n"
           "#define __NO_SHADOWS__ 1\n"
           "#define __NO_BUFFER_TYPE__ 1\n"
           "#define __NO_CLASSES__ 1\n"
           "#define __SENSIBLE_MODIFIERS__ 1\n");
    for (const char *const *d = lx->opts.defines; d && *d; d++) {
        const char *eq = strchr(*d, '=');
        size_t nlen = eq ? (size_t)(eq - *d) : strlen(*d);
        tb_str(&b, "#undef ");
        tb_add(&b, *d, nlen);
        tb_str(&b, "\n#define ");
        tb_add(&b, *d, nlen);
        tb_str(&b, " ");
        if (eq) {
            for (const char *p = eq + 1; *p; p++)
                tb_add(&b, (*p == '\n' || *p == '\r') ? " " : p, 1);
        } else {
            tb_str(&b, "1");
        }
        tb_str(&b, "\n");
    }
    *len = b.n;
    return b.s;
}

bool lpc_pp_init(lpc_lexer_t *lx, const char *path)
{
    size_t ndirs = 0;
    for (const char *const *d = lx->opts.include_dirs; d && *d; d++)
        ndirs++;
    const char **dirs = lpc_pp_alloc(lx, (ndirs + 1) * sizeof *dirs);
    for (size_t i = 0; i < ndirs; i++) {
        pp_ident_t *p = normalize_path(lx, "", lx->opts.include_dirs[i],
                                       strlen(lx->opts.include_dirs[i]));
        if (p->len > 1) {
            char *s = lpc_pp_alloc(lx, p->len + 2);
            memcpy(s, p->text, p->len);
            s[p->len] = '/';
            s[p->len + 1] = '\0';
            dirs[i] = s;
        } else {
            dirs[i] = "/";
        }
    }
    dirs[ndirs] = NULL;
    lx->include_dirs = dirs;
    lx->ninclude_dirs = ndirs;

    add_builtin(lx, "__FILE__", PP_BUILTIN_FILE);
    add_builtin(lx, "__LINE__", PP_BUILTIN_LINE);
    add_builtin(lx, "__DIR__", PP_BUILTIN_DIR);

    pp_ident_t *main = normalize_path(lx, "", path, strlen(path));
    lpc_srcloc_t none = {main->text, 0, 0};
    lx->eof_loc = none;
    size_t len;
    char *buf = read_source(lx, main->text, &len);
    if (buf == NULL) {
        lpc_pp_error(lx, &none, "cannot open source file \"%s\"", main->text);
        return false;
    }
    note_file_read(lx, main);
    if (!charge_source(lx, &none, len)) {
        free(buf);
        return false;
    }
    push_file(lx, main->text, buf, len, true);

    if (lx->opts.auto_include) {
        pp_ident_t *ai = normalize_path(lx, "", lx->opts.auto_include,
                                        strlen(lx->opts.auto_include));
        buf = read_source(lx, ai->text, &len);
        if (buf == NULL) {
            lpc_srcloc_t l = {ai->text, 0, 0};
            lpc_pp_error(lx, &l, "cannot open auto-include file \"%s\"", ai->text);
        } else {
            lpc_srcloc_t l = {ai->text, 0, 0};
            note_file_read(lx, ai);
            if (charge_source(lx, &l, len))
                push_file(lx, ai->text, buf, len, true);
            else
                free(buf);
        }
    }

    buf = predefines(lx, &len);
    push_file(lx, lpc_pp_intern(lx, "<predefined>", 12)->text, buf, len, false);
    return true;
}

void lpc_pp_fini(lpc_lexer_t *lx)
{
    while (lx->nctx > 0)
        ctx_pop(lx);
    free(lx->ctx);
    free(lx->conds);
}
