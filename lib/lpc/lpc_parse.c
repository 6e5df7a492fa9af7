/*
 * lpc_parse.c - recursive-descent parser for LPC (lpc_parse.h).
 *
 * Grammar notes (MudOS dialect):
 *  - a declaration is modifiers, then a type (or none: old-style
 *    "create() { ... }"), then either a function (name followed by '(')
 *    or a comma-separated list of variables, each with its own '*'s and
 *    an optional initialiser;
 *  - inside a block, a statement starting with a type keyword is a local
 *    declaration, except "function (" which starts an anonymous function;
 *  - '(' followed by a type keyword is a cast;
 *  - "(:" opens a function pointer: "(: name :)" and "(: name, args :)"
 *    name a function (or efun), anything else is an expression closure
 *    in which $1..$n are its arguments and $(expr) is evaluated when the
 *    pointer is created;
 *  - "(*f)(args)" calls the function pointer f (efun::evaluate).
 *
 * Errors longjmp back to the top-level loop, which skips to a likely
 * declaration boundary; all nodes live in the AST arena, so nothing
 * leaks.
 */
#include "lpc_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    lpc_lexer_t *lx;
    lpc_ast_t *ast;
    lpc_token_t tok;        /* current token (copied: the lexer's buffer
                               moves on) */
    jmp_buf bail;
    int errors;
    int depth;              /* braces open (for error recovery) */
    int closure_depth;      /* > 0 inside (: ... :) */
    int64_t max_dollar;     /* highest $n in the innermost (: :) */
} parser_t;

static lpc_node_t *parse_expr(parser_t *p);
static lpc_node_t *parse_assign(parser_t *p);
static lpc_node_t *parse_unary(parser_t *p);
static lpc_node_t *parse_statement(parser_t *p);
static lpc_node_t *parse_block(parser_t *p);

/* ---- tokens ----------------------------------------------------------- */

static void advance(parser_t *p)
{
    p->tok = *lpc_lexer_next(p->lx);
}

/* The token after the current one (n = 0) or further. */
static const lpc_token_t *peek(parser_t *p, int n)
{
    return lpc_lexer_peek(p->lx, n);
}

static bool at(const parser_t *p, lpc_token_kind_t k)
{
    return p->tok.kind == k;
}

static bool accept(parser_t *p, lpc_token_kind_t k)
{
    if (p->tok.kind != k)
        return false;
    advance(p);
    return true;
}

/* How a token is named in "found X": the identifier or the spelling. */
static void describe_token(const lpc_token_t *t, char *buf, size_t size)
{
    switch (t->kind) {
    case LPC_TOK_IDENT:
        snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
        break;
    case LPC_TOK_INT:
        snprintf(buf, size, "number %lld", (long long)t->i);
        break;
    case LPC_TOK_FLOAT:
        snprintf(buf, size, "number %g", t->f);
        break;
    case LPC_TOK_STRING:
        snprintf(buf, size, "a string");
        break;
    case LPC_TOK_EOF:
        snprintf(buf, size, "end of file");
        break;
    default:
        snprintf(buf, size, "'%s'", lpc_token_kind_name(t->kind));
        break;
    }
}

static void syntax_error(parser_t *p, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 3, 4)))
#endif
    ;

/* Reports an error at loc and abandons the current declaration. */
static void syntax_error(parser_t *p, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->errors++;
    if (p->errors <= LPC_PARSE_MAX_ERRORS)
        lpc_lexer_diag(p->lx, LPC_DIAG_ERROR, loc, "%s", msg);
    longjmp(p->bail, 1);
}

/* "expected X WHAT, found Y" at the current token. */
static void expected(parser_t *p, const char *what)
{
    char found[96];
    describe_token(&p->tok, found, sizeof found);
    syntax_error(p, &p->tok.loc, "expected %s, found %s", what, found);
}

static void expect(parser_t *p, lpc_token_kind_t k, const char *context)
{
    if (p->tok.kind == k) {
        advance(p);
        return;
    }
    char what[96];
    snprintf(what, sizeof what, "'%s'%s%s", lpc_token_kind_name(k),
             context ? " " : "", context ? context : "");
    expected(p, what);
}

static lpc_node_t *node(parser_t *p, lpc_node_kind_t kind, const lpc_srcloc_t *loc)
{
    return lpc_ast_node(p->ast, kind, loc);
}

/* ---- types -------------------------------------------------------------- */

static int type_keyword_base(lpc_token_kind_t k)
{
    switch (k) {
    case LPC_TOK_KW_INT: return LPC_DT_INT;
    case LPC_TOK_KW_FLOAT: return LPC_DT_FLOAT;
    case LPC_TOK_KW_STRING: return LPC_DT_STRING;
    case LPC_TOK_KW_OBJECT: return LPC_DT_OBJECT;
    case LPC_TOK_KW_MAPPING: return LPC_DT_MAPPING;
    case LPC_TOK_KW_MIXED: return LPC_DT_MIXED;
    case LPC_TOK_KW_VOID: return LPC_DT_VOID;
    case LPC_TOK_KW_STATUS: return LPC_DT_STATUS;
    case LPC_TOK_KW_FUNCTION: return LPC_DT_FUNCTION;
    default: return -1;
    }
}

static int modifier_bit(lpc_token_kind_t k)
{
    switch (k) {
    case LPC_TOK_KW_PRIVATE: return LPC_MOD_PRIVATE;
    case LPC_TOK_KW_STATIC: return LPC_MOD_STATIC;
    case LPC_TOK_KW_PROTECTED: return LPC_MOD_PROTECTED;
    case LPC_TOK_KW_PUBLIC: return LPC_MOD_PUBLIC;
    case LPC_TOK_KW_NOMASK: return LPC_MOD_NOMASK;
    case LPC_TOK_KW_VARARGS: return LPC_MOD_VARARGS;
    case LPC_TOK_KW_NOSAVE: return LPC_MOD_NOSAVE;
    default: return 0;
    }
}

/* A basic type keyword (current token must be one); returns its base. */
static int parse_basic_type(parser_t *p)
{
    int base = type_keyword_base(p->tok.kind);
    if (base < 0)
        expected(p, "a type");
    advance(p);
    return base;
}

static int parse_stars(parser_t *p)
{
    int depth = 0;
    while (accept(p, LPC_TOK_STAR))
        depth++;
    if (depth > 15)
        syntax_error(p, &p->tok.loc, "array type nested too deeply");
    return depth;
}

/* ---- expressions ---------------------------------------------------- */

/* Comma-separated assignment expressions up to `close` (not consumed);
 * a trailing comma is allowed when allow_trailing. */
static lpc_node_t *parse_expr_list(parser_t *p, lpc_token_kind_t close,
                                   bool allow_trailing)
{
    lpc_node_t *head = NULL, **tail = &head;
    if (at(p, close))
        return NULL;
    for (;;) {
        lpc_node_t *e = parse_assign(p);
        *tail = e;
        tail = &e->next;
        if (!accept(p, LPC_TOK_COMMA))
            break;
        if (allow_trailing && at(p, close))
            break;
    }
    return head;
}

/* '(' args ')' ; the current token is '('. */
static lpc_node_t *parse_call_args(parser_t *p)
{
    expect(p, LPC_TOK_LPAREN, NULL);
    lpc_node_t *args = parse_expr_list(p, LPC_TOK_RPAREN, false);
    if (!at(p, LPC_TOK_RPAREN))
        expected(p, "',' or ')' in the argument list");
    advance(p);
    return args;
}

static lpc_node_t *parse_params(parser_t *p, bool *ellipsis_out);

/* (: ... :) ; the current token is "(:". */
static lpc_node_t *parse_funcptr(parser_t *p)
{
    lpc_srcloc_t loc = p->tok.loc;
    advance(p);
    /* (: name :) or (: name, args :) names a function or an efun. */
    if (at(p, LPC_TOK_IDENT)) {
        const lpc_token_t *nx = peek(p, 0);
        if (nx->kind == LPC_TOK_FUNC_CLOSE || nx->kind == LPC_TOK_COMMA) {
            lpc_node_t *n = node(p, LPC_N_FUNCPTR, &loc);
            n->name = p->tok.text;
            advance(p);
            if (accept(p, LPC_TOK_COMMA))
                n->a = parse_expr_list(p, LPC_TOK_FUNC_CLOSE, false);
            expect(p, LPC_TOK_FUNC_CLOSE, "to close the function pointer");
            return n;
        }
    }
    lpc_node_t *n = node(p, LPC_N_CLOSURE, &loc);
    int64_t saved_max = p->max_dollar;
    p->max_dollar = 0;
    p->closure_depth++;
    lpc_node_t *e = parse_expr(p);
    p->closure_depth--;
    expect(p, LPC_TOK_FUNC_CLOSE, "to close the function pointer");
    lpc_node_t *ret = node(p, LPC_N_RETURN, &e->loc);
    ret->a = e;
    n->b = ret;
    n->i = p->max_dollar;
    n->type = LPC_DTYPE(LPC_DT_MIXED, 0);
    p->max_dollar = saved_max;
    return n;
}

/* function (params) { body } ; the current token is "function". */
static lpc_node_t *parse_anon_function(parser_t *p)
{
    lpc_node_t *n = node(p, LPC_N_CLOSURE, &p->tok.loc);
    advance(p);
    bool ellipsis = false;
    expect(p, LPC_TOK_LPAREN, "after 'function'");
    n->a = parse_params(p, &ellipsis);
    expect(p, LPC_TOK_RPAREN, "after the parameters");
    if (!at(p, LPC_TOK_LBRACE))
        expected(p, "'{' to start the function body");
    int64_t saved_max = p->max_dollar;
    int saved_depth = p->closure_depth;
    p->closure_depth = 0;      /* $n means nothing in a function body */
    n->b = parse_block(p);
    p->closure_depth = saved_depth;
    p->max_dollar = saved_max;
    n->i = -1;                 /* not a (: :) expression */
    n->type = LPC_DTYPE(LPC_DT_MIXED, 0);
    return n;
}

static lpc_node_t *parse_primary(parser_t *p)
{
    lpc_srcloc_t loc = p->tok.loc;
    lpc_node_t *n;

    switch (p->tok.kind) {
    case LPC_TOK_INT:
        n = node(p, LPC_N_INT, &loc);
        n->i = p->tok.i;
        advance(p);
        return n;
    case LPC_TOK_FLOAT:
        n = node(p, LPC_N_FLOAT, &loc);
        n->f = p->tok.f;
        advance(p);
        return n;
    case LPC_TOK_STRING:
        n = node(p, LPC_N_STRING, &loc);
        n->text = p->tok.text;
        n->len = p->tok.len;
        advance(p);
        return n;
    case LPC_TOK_IDENT: {
        const char *name = p->tok.text;
        const lpc_token_t *nx = peek(p, 0);
        if (nx->kind == LPC_TOK_SCOPE) {          /* label::f() */
            advance(p);
            advance(p);
            if (!at(p, LPC_TOK_IDENT))
                expected(p, "a function name after '::'");
            n = node(p, LPC_N_CALL, &loc);
            n->text = name;
            n->name = p->tok.text;
            advance(p);
            if (!at(p, LPC_TOK_LPAREN))
                expected(p, "'(' after the function name");
            n->a = parse_call_args(p);
            return n;
        }
        advance(p);
        if (at(p, LPC_TOK_LPAREN)) {
            n = node(p, LPC_N_CALL, &loc);
            n->name = name;
            n->a = parse_call_args(p);
            return n;
        }
        n = node(p, LPC_N_IDENT, &loc);
        n->name = name;
        return n;
    }
    case LPC_TOK_SCOPE:                            /* ::f() */
        advance(p);
        if (!at(p, LPC_TOK_IDENT))
            expected(p, "a function name after '::'");
        n = node(p, LPC_N_CALL, &loc);
        n->text = "";
        n->name = p->tok.text;
        advance(p);
        if (!at(p, LPC_TOK_LPAREN))
            expected(p, "'(' after the function name");
        n->a = parse_call_args(p);
        return n;
    case LPC_TOK_KW_EFUN:                          /* efun::f() */
        advance(p);
        expect(p, LPC_TOK_SCOPE, "after 'efun'");
        if (!at(p, LPC_TOK_IDENT) && !at(p, LPC_TOK_KW_SSCANF) && !at(p, LPC_TOK_KW_NEW))
            expected(p, "an efun name after 'efun::'");
        n = node(p, LPC_N_CALL, &loc);
        n->text = "efun";
        n->name = at(p, LPC_TOK_IDENT) ? p->tok.text
                : at(p, LPC_TOK_KW_NEW) ? "new" : "sscanf";
        advance(p);
        if (!at(p, LPC_TOK_LPAREN))
            expected(p, "'(' after the efun name");
        n->a = parse_call_args(p);
        return n;
    case LPC_TOK_KW_SSCANF:
    case LPC_TOK_KW_NEW:
        n = node(p, LPC_N_CALL, &loc);
        n->name = at(p, LPC_TOK_KW_NEW) ? "new" : "sscanf";
        advance(p);
        if (!at(p, LPC_TOK_LPAREN))
            expected(p, "'('");
        n->a = parse_call_args(p);
        return n;
    case LPC_TOK_KW_CATCH:
        n = node(p, LPC_N_CATCH, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'catch'");
        n->a = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "to close 'catch('");
        return n;
    case LPC_TOK_LPAREN: {
        advance(p);
        if (at(p, LPC_TOK_STAR)) {
            /* (*f)(args): evaluate(f, args) */
            advance(p);
            lpc_node_t *fn = parse_expr(p);
            expect(p, LPC_TOK_RPAREN, "after the function in '(*f)'");
            if (!at(p, LPC_TOK_LPAREN))
                expected(p, "'(' with the arguments of '(*f)'");
            n = node(p, LPC_N_CALL, &loc);
            n->name = "evaluate";
            n->text = "efun";
            fn->next = parse_call_args(p);
            n->a = fn;
            return n;
        }
        if (type_keyword_base(p->tok.kind) >= 0 &&
            !(at(p, LPC_TOK_KW_FUNCTION) && peek(p, 0)->kind == LPC_TOK_LPAREN)) {
            n = node(p, LPC_N_CAST, &loc);
            int base = parse_basic_type(p);
            int depth = parse_stars(p);
            n->type = LPC_DTYPE(base, depth);
            expect(p, LPC_TOK_RPAREN, "after the type in a cast");
            n->a = parse_unary(p);
            return n;
        }
        n = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "to match '('");
        n->flags |= LPC_NF_PARENS;
        return n;
    }
    case LPC_TOK_ARRAY_OPEN:
        n = node(p, LPC_N_ARRAY, &loc);
        advance(p);
        n->a = parse_expr_list(p, LPC_TOK_RBRACE, true);
        if (!at(p, LPC_TOK_RBRACE))
            expected(p, "',' or '})' in the array");
        advance(p);
        expect(p, LPC_TOK_RPAREN, "to close '({'");
        return n;
    case LPC_TOK_MAPPING_OPEN: {
        n = node(p, LPC_N_MAPPING, &loc);
        advance(p);
        lpc_node_t **tail = &n->a;
        while (!at(p, LPC_TOK_RBRACKET)) {
            lpc_node_t *k = parse_assign(p);
            expect(p, LPC_TOK_COLON, "between a mapping key and its value");
            lpc_node_t *v = parse_assign(p);
            *tail = k;
            k->next = v;
            tail = &v->next;
            if (!accept(p, LPC_TOK_COMMA))
                break;
        }
        if (!at(p, LPC_TOK_RBRACKET))
            expected(p, "',' or '])' in the mapping");
        advance(p);
        expect(p, LPC_TOK_RPAREN, "to close '(['");
        return n;
    }
    case LPC_TOK_FUNC_OPEN:
        return parse_funcptr(p);
    case LPC_TOK_KW_FUNCTION:
        if (peek(p, 0)->kind == LPC_TOK_LPAREN)
            return parse_anon_function(p);
        break;
    case LPC_TOK_DOLLAR:
        if (p->closure_depth == 0)
            syntax_error(p, &loc, "'$' outside a (: :) function pointer");
        advance(p);
        if (at(p, LPC_TOK_INT)) {
            if (p->tok.i < 1 || p->tok.i > 64)
                syntax_error(p, &p->tok.loc, "$%lld: argument numbers go from $1 to $64",
                             (long long)p->tok.i);
            n = node(p, LPC_N_DOLLAR, &loc);
            n->i = p->tok.i;
            if (n->i > p->max_dollar)
                p->max_dollar = n->i;
            advance(p);
            return n;
        }
        if (at(p, LPC_TOK_LPAREN)) {
            advance(p);
            n = node(p, LPC_N_DOLLAR_EXPR, &loc);
            p->closure_depth--;         /* $(...) is evaluated outside */
            n->a = parse_expr(p);
            p->closure_depth++;
            expect(p, LPC_TOK_RPAREN, "to close '$('");
            return n;
        }
        expected(p, "a number or '(' after '$'");
        break;
    default:
        break;
    }
    expected(p, "an expression");
    return NULL;
}

/* a[...] after the '['. */
static lpc_node_t *parse_index(parser_t *p, lpc_node_t *base, const lpc_srcloc_t *loc)
{
    lpc_node_t *lo = NULL;
    uint16_t flags = 0;
    if (!at(p, LPC_TOK_RANGE)) {
        if (accept(p, LPC_TOK_LT))
            flags |= LPC_NF_LO_REVERSE;
        lo = parse_expr(p);
    }
    if (accept(p, LPC_TOK_RANGE)) {
        lpc_node_t *n = node(p, LPC_N_RANGE, loc);
        n->a = base;
        n->b = lo;
        n->flags = flags;
        if (!at(p, LPC_TOK_RBRACKET)) {
            if (accept(p, LPC_TOK_LT))
                n->flags |= LPC_NF_HI_REVERSE;
            n->c = parse_expr(p);
        }
        expect(p, LPC_TOK_RBRACKET, "to close the range");
        return n;
    }
    lpc_node_t *n = node(p, LPC_N_INDEX, loc);
    n->a = base;
    n->b = lo;
    n->flags = (flags & LPC_NF_LO_REVERSE) ? LPC_NF_REVERSE : 0;
    expect(p, LPC_TOK_RBRACKET, "to close the index");
    return n;
}

static lpc_node_t *parse_postfix(parser_t *p)
{
    lpc_node_t *e = parse_primary(p);
    for (;;) {
        lpc_srcloc_t loc = p->tok.loc;
        if (accept(p, LPC_TOK_LBRACKET)) {
            e = parse_index(p, e, &loc);
        } else if (accept(p, LPC_TOK_ARROW)) {
            lpc_node_t *n = node(p, LPC_N_CALL_OTHER, &loc);
            n->a = e;
            if (!at(p, LPC_TOK_IDENT))
                expected(p, "a function name after '->'");
            n->name = p->tok.text;
            advance(p);
            if (!at(p, LPC_TOK_LPAREN))
                expected(p, "'(' after the function name");
            n->b = parse_call_args(p);
            e = n;
        } else if (at(p, LPC_TOK_INC) || at(p, LPC_TOK_DEC)) {
            lpc_node_t *n = node(p, at(p, LPC_TOK_INC) ? LPC_N_POSTINC : LPC_N_POSTDEC, &loc);
            advance(p);
            n->a = e;
            e = n;
        } else {
            return e;
        }
    }
}

static lpc_node_t *parse_unary(parser_t *p)
{
    lpc_srcloc_t loc = p->tok.loc;
    switch (p->tok.kind) {
    case LPC_TOK_MINUS:
    case LPC_TOK_PLUS:
    case LPC_TOK_NOT:
    case LPC_TOK_TILDE: {
        lpc_node_t *n = node(p, LPC_N_UNARY, &loc);
        n->op = (uint8_t)p->tok.kind;
        advance(p);
        n->a = parse_unary(p);
        return n;
    }
    case LPC_TOK_INC:
    case LPC_TOK_DEC: {
        lpc_node_t *n = node(p, at(p, LPC_TOK_INC) ? LPC_N_PREINC : LPC_N_PREDEC, &loc);
        advance(p);
        n->a = parse_unary(p);
        return n;
    }
    default:
        return parse_postfix(p);
    }
}

/* Precedence climbing: operators binding at least min_prec, all left
 * associative. */
static lpc_node_t *parse_binary(parser_t *p, int min_prec)
{
    lpc_node_t *left = parse_unary(p);
    for (;;) {
        lpc_token_kind_t op = p->tok.kind;
        int prec = lpc_token_binary_precedence(op);
        if (prec == 0 || prec < min_prec)
            return left;
        lpc_srcloc_t loc = p->tok.loc;
        advance(p);
        lpc_node_t *right = parse_binary(p, prec + 1);
        lpc_node_t *n;
        if (op == LPC_TOK_OROR)
            n = node(p, LPC_N_LOR, &loc);
        else if (op == LPC_TOK_ANDAND)
            n = node(p, LPC_N_LAND, &loc);
        else {
            n = node(p, LPC_N_BINARY, &loc);
            n->op = (uint8_t)op;
        }
        n->a = left;
        n->b = right;
        left = n;
    }
}

static lpc_node_t *parse_conditional(parser_t *p)
{
    lpc_node_t *c = parse_binary(p, 1);
    if (!at(p, LPC_TOK_QUESTION))
        return c;
    lpc_node_t *n = node(p, LPC_N_COND, &p->tok.loc);
    advance(p);
    n->a = c;
    n->b = parse_expr(p);
    expect(p, LPC_TOK_COLON, "in the conditional expression");
    n->c = parse_conditional(p);
    return n;
}

static bool is_assign_op(lpc_token_kind_t k)
{
    switch (k) {
    case LPC_TOK_ASSIGN: case LPC_TOK_ADD_ASSIGN: case LPC_TOK_SUB_ASSIGN:
    case LPC_TOK_MUL_ASSIGN: case LPC_TOK_DIV_ASSIGN: case LPC_TOK_MOD_ASSIGN:
    case LPC_TOK_AND_ASSIGN: case LPC_TOK_OR_ASSIGN: case LPC_TOK_XOR_ASSIGN:
    case LPC_TOK_SHL_ASSIGN: case LPC_TOK_SHR_ASSIGN:
    case LPC_TOK_ANDAND_ASSIGN: case LPC_TOK_OROR_ASSIGN:
        return true;
    default:
        return false;
    }
}

static lpc_node_t *parse_assign(parser_t *p)
{
    lpc_node_t *lhs = parse_conditional(p);
    if (!is_assign_op(p->tok.kind))
        return lhs;
    lpc_node_t *n = node(p, LPC_N_ASSIGN, &p->tok.loc);
    n->op = (uint8_t)p->tok.kind;
    advance(p);
    n->a = lhs;
    n->b = parse_assign(p);
    return n;
}

static lpc_node_t *parse_expr(parser_t *p)
{
    lpc_node_t *e = parse_assign(p);
    while (at(p, LPC_TOK_COMMA)) {
        lpc_node_t *n = node(p, LPC_N_COMMA, &p->tok.loc);
        advance(p);
        n->a = e;
        n->b = parse_assign(p);
        e = n;
    }
    return e;
}

/* ---- statements ----------------------------------------------------- */

/* True when the current token starts a local declaration. */
static bool at_local_decl(parser_t *p)
{
    if (type_keyword_base(p->tok.kind) < 0)
        return false;
    if (at(p, LPC_TOK_KW_FUNCTION) && peek(p, 0)->kind == LPC_TOK_LPAREN)
        return false;
    return true;
}

/* type name [= init] {, [*]name [= init]} ; appends DECL nodes. */
static lpc_node_t *parse_local_decl(parser_t *p, bool need_semicolon)
{
    int base = parse_basic_type(p);
    lpc_node_t *head = NULL, **tail = &head;
    for (;;) {
        int depth = parse_stars(p);
        if (!at(p, LPC_TOK_IDENT))
            expected(p, "a variable name");
        lpc_node_t *d = node(p, LPC_N_DECL, &p->tok.loc);
        d->type = LPC_DTYPE(base, depth);
        d->name = p->tok.text;
        advance(p);
        if (accept(p, LPC_TOK_ASSIGN))
            d->b = parse_assign(p);
        *tail = d;
        tail = &d->next;
        if (!accept(p, LPC_TOK_COMMA))
            break;
    }
    if (need_semicolon)
        expect(p, LPC_TOK_SEMICOLON, "after the declaration");
    if (head->next == NULL)
        return head;
    lpc_node_t *blk = node(p, LPC_N_BLOCK, &head->loc);
    blk->a = head;
    blk->flags = 1;      /* declaration group: no new scope */
    return blk;
}

/* A foreach variable: "[type] name". */
static lpc_node_t *parse_foreach_var(parser_t *p)
{
    if (type_keyword_base(p->tok.kind) >= 0) {
        int base = parse_basic_type(p);
        int depth = parse_stars(p);
        if (!at(p, LPC_TOK_IDENT))
            expected(p, "a variable name");
        lpc_node_t *d = node(p, LPC_N_DECL, &p->tok.loc);
        d->type = LPC_DTYPE(base, depth);
        d->name = p->tok.text;
        advance(p);
        return d;
    }
    if (!at(p, LPC_TOK_IDENT))
        expected(p, "a variable in foreach");
    lpc_node_t *n = node(p, LPC_N_IDENT, &p->tok.loc);
    n->name = p->tok.text;
    advance(p);
    return n;
}

static lpc_node_t *parse_block(parser_t *p)
{
    lpc_node_t *blk = node(p, LPC_N_BLOCK, &p->tok.loc);
    expect(p, LPC_TOK_LBRACE, NULL);
    p->depth++;
    lpc_node_t **tail = &blk->a;
    while (!at(p, LPC_TOK_RBRACE)) {
        if (at(p, LPC_TOK_EOF))
            expected(p, "'}'");
        lpc_node_t *s = parse_statement(p);
        *tail = s;
        tail = &s->next;
    }
    advance(p);
    p->depth--;
    return blk;
}

static lpc_node_t *parse_statement(parser_t *p)
{
    lpc_srcloc_t loc = p->tok.loc;
    lpc_node_t *n;

    if (at_local_decl(p))
        return parse_local_decl(p, true);

    switch (p->tok.kind) {
    case LPC_TOK_LBRACE:
        return parse_block(p);
    case LPC_TOK_SEMICOLON:
        advance(p);
        return node(p, LPC_N_EMPTY, &loc);
    case LPC_TOK_KW_IF:
        n = node(p, LPC_N_IF, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'if'");
        n->a = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "after the condition");
        n->b = parse_statement(p);
        if (accept(p, LPC_TOK_KW_ELSE))
            n->c = parse_statement(p);
        return n;
    case LPC_TOK_KW_WHILE:
        n = node(p, LPC_N_WHILE, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'while'");
        n->a = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "after the condition");
        n->b = parse_statement(p);
        return n;
    case LPC_TOK_KW_DO:
        n = node(p, LPC_N_DO, &loc);
        advance(p);
        n->b = parse_statement(p);
        expect(p, LPC_TOK_KW_WHILE, "after the body of 'do'");
        expect(p, LPC_TOK_LPAREN, "after 'while'");
        n->a = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "after the condition");
        expect(p, LPC_TOK_SEMICOLON, "after 'do ... while (...)'");
        return n;
    case LPC_TOK_KW_FOR:
        n = node(p, LPC_N_FOR, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'for'");
        if (!at(p, LPC_TOK_SEMICOLON))
            n->a = at_local_decl(p) ? parse_local_decl(p, false) : parse_expr(p);
        expect(p, LPC_TOK_SEMICOLON, "after the initialisation of 'for'");
        if (!at(p, LPC_TOK_SEMICOLON))
            n->b = parse_expr(p);
        expect(p, LPC_TOK_SEMICOLON, "after the condition of 'for'");
        if (!at(p, LPC_TOK_RPAREN))
            n->c = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "to close 'for ('");
        n->d = parse_statement(p);
        return n;
    case LPC_TOK_KW_FOREACH:
        n = node(p, LPC_N_FOREACH, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'foreach'");
        n->a = parse_foreach_var(p);
        if (accept(p, LPC_TOK_COMMA))
            n->b = parse_foreach_var(p);
        expect(p, LPC_TOK_KW_IN, "in foreach");
        n->c = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "to close 'foreach ('");
        n->d = parse_statement(p);
        return n;
    case LPC_TOK_KW_SWITCH:
        n = node(p, LPC_N_SWITCH, &loc);
        advance(p);
        expect(p, LPC_TOK_LPAREN, "after 'switch'");
        n->a = parse_expr(p);
        expect(p, LPC_TOK_RPAREN, "after the switch value");
        if (!at(p, LPC_TOK_LBRACE))
            expected(p, "'{' to start the switch body");
        n->b = parse_block(p);
        return n;
    case LPC_TOK_KW_CASE:
        n = node(p, LPC_N_CASE, &loc);
        advance(p);
        n->a = parse_binary(p, 1);
        if (accept(p, LPC_TOK_RANGE))
            n->b = parse_binary(p, 1);
        expect(p, LPC_TOK_COLON, "after the case value");
        return n;
    case LPC_TOK_KW_DEFAULT:
        n = node(p, LPC_N_DEFAULT, &loc);
        advance(p);
        expect(p, LPC_TOK_COLON, "after 'default'");
        return n;
    case LPC_TOK_KW_BREAK:
        advance(p);
        expect(p, LPC_TOK_SEMICOLON, "after 'break'");
        return node(p, LPC_N_BREAK, &loc);
    case LPC_TOK_KW_CONTINUE:
        advance(p);
        expect(p, LPC_TOK_SEMICOLON, "after 'continue'");
        return node(p, LPC_N_CONTINUE, &loc);
    case LPC_TOK_KW_RETURN:
        n = node(p, LPC_N_RETURN, &loc);
        advance(p);
        if (!at(p, LPC_TOK_SEMICOLON))
            n->a = parse_expr(p);
        expect(p, LPC_TOK_SEMICOLON, "after the return value");
        return n;
    default:
        n = node(p, LPC_N_EXPR, &loc);
        n->a = parse_expr(p);
        expect(p, LPC_TOK_SEMICOLON, "after the expression");
        return n;
    }
}

/* ---- declarations --------------------------------------------------- */

/* Parameter list up to ')' (not consumed).  "(void)" is no parameters. */
static lpc_node_t *parse_params(parser_t *p, bool *ellipsis_out)
{
    lpc_node_t *head = NULL, **tail = &head;
    *ellipsis_out = false;
    if (at(p, LPC_TOK_RPAREN))
        return NULL;
    if (at(p, LPC_TOK_KW_VOID) && peek(p, 0)->kind == LPC_TOK_RPAREN) {
        advance(p);
        return NULL;
    }
    for (;;) {
        lpc_node_t *prm = node(p, LPC_N_PARAM, &p->tok.loc);
        while (modifier_bit(p->tok.kind) == LPC_MOD_VARARGS)
            advance(p);      /* "varargs int x": accepted, means nothing more */
        int base = LPC_DT_MIXED, depth = 0;
        if (type_keyword_base(p->tok.kind) >= 0) {
            base = parse_basic_type(p);
            depth = parse_stars(p);
        } else if (!at(p, LPC_TOK_IDENT)) {
            expected(p, "a parameter type or name");
        }
        prm->type = LPC_DTYPE(base, depth);
        if (at(p, LPC_TOK_IDENT)) {
            prm->loc = p->tok.loc;
            prm->name = p->tok.text;
            advance(p);
        }
        if (accept(p, LPC_TOK_ELLIPSIS)) {
            prm->flags |= LPC_NF_ELLIPSIS;
            *ellipsis_out = true;
        }
        *tail = prm;
        tail = &prm->next;
        if (*ellipsis_out)
            break;
        if (!accept(p, LPC_TOK_COMMA))
            break;
    }
    if (!at(p, LPC_TOK_RPAREN))
        expected(p, "',' or ')' in the parameter list");
    return head;
}

static void parse_inherit(parser_t *p, lpc_node_t ***tail)
{
    lpc_node_t *n = node(p, LPC_N_INHERIT, &p->tok.loc);
    advance(p);
    if (at(p, LPC_TOK_IDENT) && peek(p, 0)->kind == LPC_TOK_STRING) {
        n->name = p->tok.text;             /* inherit label "path"; */
        advance(p);
    }
    if (!at(p, LPC_TOK_STRING))
        expected(p, "the file name to inherit (a string)");
    n->text = p->tok.text;
    n->len = p->tok.len;
    n->loc = p->tok.loc;
    advance(p);
    expect(p, LPC_TOK_SEMICOLON, "after the inherit");
    **tail = n;
    *tail = &n->next;
}

/* One top-level declaration: appends its nodes at *tail. */
static void parse_toplevel(parser_t *p, lpc_node_t ***tail)
{
    if (accept(p, LPC_TOK_SEMICOLON))
        return;
    uint16_t mods = 0;
    int bit;
    while ((bit = modifier_bit(p->tok.kind)) != 0) {
        mods |= (uint16_t)bit;
        advance(p);
    }
    if (at(p, LPC_TOK_KW_INHERIT)) {
        if (mods != 0)
            syntax_error(p, &p->tok.loc, "modifiers before 'inherit' are not supported");
        parse_inherit(p, tail);
        return;
    }
    int base = LPC_DT_UNKNOWN;
    if (type_keyword_base(p->tok.kind) >= 0)
        base = parse_basic_type(p);
    else if (!at(p, LPC_TOK_IDENT) && !at(p, LPC_TOK_STAR))
        expected(p, mods ? "a type or a name after the modifiers"
                         : "a declaration");

    for (;;) {
        int depth = parse_stars(p);
        if (!at(p, LPC_TOK_IDENT))
            expected(p, "a name in the declaration");
        lpc_srcloc_t loc = p->tok.loc;
        const char *name = p->tok.text;
        advance(p);
        if (at(p, LPC_TOK_LPAREN)) {
            lpc_node_t *f = node(p, LPC_N_FUNCTION, &loc);
            f->type = LPC_DTYPE(base == LPC_DT_UNKNOWN ? LPC_DT_MIXED : base, depth);
            if (base == LPC_DT_UNKNOWN)
                f->flags |= LPC_NF_PARENS;   /* untyped (old style) */
            f->mods = mods;
            f->name = name;
            advance(p);
            bool ellipsis;
            f->a = parse_params(p, &ellipsis);
            advance(p);                      /* ')' */
            if (at(p, LPC_TOK_LBRACE))
                f->b = parse_block(p);
            else
                expect(p, LPC_TOK_SEMICOLON, "or a function body after the parameters");
            **tail = f;
            *tail = &f->next;
            return;
        }
        if (base == LPC_DT_UNKNOWN)
            syntax_error(p, &loc, "missing type for global variable '%s'", name);
        lpc_node_t *g = node(p, LPC_N_GLOBAL, &loc);
        g->type = LPC_DTYPE(base, depth);
        g->mods = mods;
        g->name = name;
        if (accept(p, LPC_TOK_ASSIGN))
            g->b = parse_assign(p);
        **tail = g;
        *tail = &g->next;
        if (accept(p, LPC_TOK_COMMA))
            continue;
        expect(p, LPC_TOK_SEMICOLON, "after the global variable");
        return;
    }
}

/* After an error: skip to just after the '}' that closes the braces
 * open at the error (or the next ';' when none is), where a new
 * declaration can start. */
static void recover(parser_t *p)
{
    int depth = p->depth;
    for (;;) {
        switch (p->tok.kind) {
        case LPC_TOK_EOF:
            return;
        case LPC_TOK_LBRACE:
            depth++;
            break;
        case LPC_TOK_RBRACE:
            if (depth > 0)
                depth--;
            if (depth == 0) {
                advance(p);
                return;
            }
            break;
        case LPC_TOK_SEMICOLON:
            if (depth == 0) {
                advance(p);
                return;
            }
            break;
        default:
            break;
        }
        advance(p);
    }
}

int lpc_parse(lpc_lexer_t *lx, lpc_ast_t *ast)
{
    parser_t p;
    memset(&p, 0, sizeof p);
    p.lx = lx;
    p.ast = ast;
    lpc_node_t **volatile tail = &ast->decls;
    advance(&p);
    while (!at(&p, LPC_TOK_EOF)) {
        lpc_node_t **volatile saved_tail = tail;
        if (setjmp(p.bail) != 0) {
            tail = saved_tail;
            *tail = NULL;
            if (p.errors >= LPC_PARSE_MAX_ERRORS)
                break;
            p.closure_depth = 0;
            recover(&p);
            continue;
        }
        p.depth = 0;
        lpc_node_t **t = tail;
        parse_toplevel(&p, &t);
        tail = t;
    }
    return p.errors;
}
