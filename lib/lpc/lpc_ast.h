/*
 * lpc_ast.h - the abstract syntax tree the parser builds and the
 * compiler walks.
 *
 * One node type for everything (expressions, statements, declarations):
 * a kind, an operator, a location and up to four children plus a `next`
 * link for lists (statements of a block, arguments, parameters, top-level
 * declarations).  Nodes live in an arena owned by lpc_ast_t and are freed
 * all at once with it; strings in nodes belong to the lexer (valid while
 * it lives) or to the arena.
 *
 * Node layout by kind (children not listed are NULL):
 *   INT i; FLOAT f; STRING text/len; IDENT name
 *   UNARY op a               (op: MINUS NOT TILDE PLUS)
 *   BINARY op a b            (op: the operator token)
 *   LAND a b; LOR a b; COND a b c; COMMA a b
 *   ASSIGN op a b            (op: ASSIGN or a compound-assignment token)
 *   PREINC/PREDEC/POSTINC/POSTDEC a
 *   INDEX a b, flags REVERSE (a[<b])
 *   RANGE a b c              (b, c may be NULL = open; flags LO_REVERSE,
 *                             HI_REVERSE)
 *   CALL name args           (scope NULL: plain; "" for ::f; "efun" for
 *                             efun::f; else the inherit label)
 *   CALL_OTHER a name args   (a->name(args))
 *   ARRAY args; MAPPING args (alternating key, value)
 *   CAST type a; CATCH a
 *   FUNCPTR name args        ((: name, args :), name is a function/efun)
 *   CLOSURE type params body ((: expr :) has body = RETURN expr and
 *                             i = highest $n used; function(...) {...})
 *   DOLLAR i ($1) ; DOLLAR_EXPR a ($(expr), evaluated at creation)
 *   BLOCK a (statement list); EMPTY
 *   DECL type name b (initialiser or NULL)  -- local variable
 *   EXPR a; IF a b c; WHILE a b; DO b a (body b, condition a)
 *   FOR a b c d (init, cond, step, body; any but d may be NULL)
 *   FOREACH a b c d (var1, var2 or NULL, collection, body); var nodes are
 *       DECL (declared in the foreach) or IDENT
 *   SWITCH a b (value, body block); CASE a b (b non-NULL: range a..b);
 *   DEFAULT; BREAK; CONTINUE; RETURN a (NULL: no value)
 *   INHERIT text/len (path) name (label or NULL)
 *   GLOBAL type mods name b (initialiser)
 *   FUNCTION type mods name a (params) b (body BLOCK; NULL = prototype)
 *   PARAM type name (NULL = unnamed), flags ELLIPSIS
 */
#ifndef LPC_AST_H
#define LPC_AST_H

#include <stddef.h>
#include <stdint.h>

#include "lpc_lex.h"

typedef enum lpc_node_kind {
    LPC_N_INT, LPC_N_FLOAT, LPC_N_STRING, LPC_N_IDENT,
    LPC_N_UNARY, LPC_N_BINARY, LPC_N_LAND, LPC_N_LOR, LPC_N_COND, LPC_N_COMMA,
    LPC_N_ASSIGN, LPC_N_PREINC, LPC_N_PREDEC, LPC_N_POSTINC, LPC_N_POSTDEC,
    LPC_N_INDEX, LPC_N_RANGE, LPC_N_CALL, LPC_N_CALL_OTHER,
    LPC_N_ARRAY, LPC_N_MAPPING, LPC_N_CAST, LPC_N_CATCH,
    LPC_N_FUNCPTR, LPC_N_CLOSURE, LPC_N_DOLLAR, LPC_N_DOLLAR_EXPR,
    LPC_N_BLOCK, LPC_N_EMPTY, LPC_N_DECL, LPC_N_EXPR, LPC_N_IF, LPC_N_WHILE,
    LPC_N_DO, LPC_N_FOR, LPC_N_FOREACH, LPC_N_SWITCH, LPC_N_CASE,
    LPC_N_DEFAULT, LPC_N_BREAK, LPC_N_CONTINUE, LPC_N_RETURN,
    LPC_N_INHERIT, LPC_N_GLOBAL, LPC_N_FUNCTION, LPC_N_PARAM,
    LPC_N_COUNT
} lpc_node_kind_t;

/* Node flags. */
#define LPC_NF_REVERSE     0x01   /* INDEX: a[<b] */
#define LPC_NF_LO_REVERSE  0x01   /* RANGE: a[<b..] */
#define LPC_NF_HI_REVERSE  0x02   /* RANGE: a[..<c] */
#define LPC_NF_ELLIPSIS    0x04   /* PARAM: "type name..." */
#define LPC_NF_PARENS      0x08   /* expression was parenthesised */

/* Declared types: a base type plus an array depth ("string **": STRING,
 * depth 2).  LPC_DT_UNKNOWN is what an expression has when the compiler
 * cannot tell; it never produces warnings. */
typedef enum lpc_decl_base {
    LPC_DT_UNKNOWN = 0, LPC_DT_VOID, LPC_DT_INT, LPC_DT_FLOAT,
    LPC_DT_STRING, LPC_DT_OBJECT, LPC_DT_MAPPING, LPC_DT_FUNCTION,
    LPC_DT_MIXED, LPC_DT_STATUS
} lpc_decl_base_t;
#define LPC_DTYPE(base, depth)   ((uint16_t)((base) | ((depth) << 4)))
#define LPC_DTYPE_BASE(t)        ((t) & 0x0f)
#define LPC_DTYPE_DEPTH(t)       ((t) >> 4)

/* Modifiers. */
#define LPC_MOD_PRIVATE    0x0001
#define LPC_MOD_STATIC     0x0002
#define LPC_MOD_PROTECTED  0x0004
#define LPC_MOD_PUBLIC     0x0008
#define LPC_MOD_NOMASK     0x0010
#define LPC_MOD_VARARGS    0x0020
#define LPC_MOD_NOSAVE     0x0040

typedef struct lpc_node lpc_node_t;
struct lpc_node {
    uint8_t  kind;      /* lpc_node_kind_t */
    uint8_t  op;        /* lpc_token_kind_t for operators */
    uint16_t flags;     /* LPC_NF_* */
    uint16_t type;      /* LPC_DTYPE(...) for declarations and casts */
    uint16_t mods;      /* LPC_MOD_* */
    lpc_srcloc_t loc;
    lpc_node_t *a, *b, *c, *d;
    lpc_node_t *next;   /* next in a list */
    const char *name;   /* identifiers, called names, labels */
    const char *text;   /* STRING bytes, INHERIT path */
    size_t len;
    int64_t i;
    double f;
};

typedef struct lpc_ast {
    lpc_node_t *decls;         /* top-level declarations, in order */
    struct lpc_ast_chunk *arena;
} lpc_ast_t;

/* A zeroed node from the AST's arena (never NULL: out of memory is fatal). */
lpc_node_t *lpc_ast_node(lpc_ast_t *ast, lpc_node_kind_t kind,
                         const lpc_srcloc_t *loc);
/* Arena memory for the parser (zeroed). */
void *lpc_ast_alloc(lpc_ast_t *ast, size_t size);
void lpc_ast_free(lpc_ast_t *ast);

/* Number of nodes in a `next` list. */
int lpc_ast_list_length(const lpc_node_t *list);

/* "int", "string *", "mixed", ... into buf (for messages). */
const char *lpc_dtype_name(uint16_t type, char *buf, size_t size);

#endif /* LPC_AST_H */
