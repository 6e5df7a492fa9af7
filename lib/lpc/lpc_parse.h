/*
 * lpc_parse.h - the LPC parser: tokens in, AST out.
 *
 * Recursive descent with precedence climbing for binary operators (C
 * precedence).  The parser knows nothing about names: whether `foo` is a
 * local, a global, a function or an efun is the compiler's business, so
 * one pass over the tokens builds the whole file's AST and the compiler
 * can resolve calls to functions defined further down.
 *
 * Syntax errors are reported through the lexer's diagnostic callback as
 * "FILE:LINE:COL: error: expected ';' after expression, found '}'"; after
 * an error the parser skips to the next top-level declaration and goes
 * on (at most LPC_PARSE_MAX_ERRORS errors are reported).
 */
#ifndef LPC_PARSE_H
#define LPC_PARSE_H

#include "lpc_ast.h"
#include "lpc_lex.h"

#define LPC_PARSE_MAX_ERRORS 20

/* Parses the whole token stream of `lx` into ast->decls (ast must be
 * zeroed or freed before).  Returns the number of syntax errors (0 on
 * success; lexer errors are counted by the lexer, see
 * lpc_lexer_error_count).  The AST refers to lexer-owned strings: keep
 * the lexer open while the AST is used. */
int lpc_parse(lpc_lexer_t *lx, lpc_ast_t *ast);

#endif /* LPC_PARSE_H */
