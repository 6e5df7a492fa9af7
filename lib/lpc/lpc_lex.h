/*
 * lpc_lex.h - the LPC preprocessor and lexer: source files in, tokens out.
 *
 * One lpc_lexer_t compiles one object's source: it reads the file (and
 * what it #includes) through a caller-supplied reader, runs the
 * preprocessor (#include, #define with arguments, #undef, #if / #ifdef /
 * #ifndef / #elif / #else / #endif with defined() and integer
 * expressions, #pragma (ignored with a warning if unknown), #error,
 * #warning), and hands the parser a stream of tokens.  Adjacent
 * string literals are joined into one token.  Predefined macros:
 * __FILE__, __LINE__, __DIR__, __VERSION__, __NEOLITH__, plus the feature
 * predefines (__NO_SHADOWS__, __NO_BUFFER_TYPE__, __NO_CLASSES__, ...) and
 * whatever the caller adds.  A global auto-include file, when configured,
 * is read before the source file.
 *
 * Every token carries its location (file, line, column, 1-based).
 * Diagnostics go through a callback as "FILE:LINE:COL: error: message".
 *
 * Predefined macros (all are ordinary macros except the first three):
 *   __FILE__     "/dir/file.c": the file being read, mudlib-absolute
 *   __LINE__     the line being read
 *   __DIR__      "/dir/": the folder of __FILE__, with a trailing '/'
 *   __VERSION__  "neolith " PACKAGE_VERSION
 *   __NEOLITH__  1
 *   __SENSIBLE_MODIFIERS__ 1   (nosave/protected are keywords, as in
 *                FluffOS, so mudlibs need not map them from static)
 *   feature predefines for what the language does NOT have, each 1:
 *   __NO_SHADOWS__, __NO_BUFFER_TYPE__, __NO_CLASSES__
 * Within a macro expansion __FILE__/__LINE__ give the place of the
 * outermost macro use.  __FILE__, __LINE__ and __DIR__ cannot be
 * redefined or undefined; the others can (options.defines does so
 * silently).
 *
 * Token rules the parser may rely on:
 *  - "({", "([" and "(:" are one token each, even with whitespace,
 *    comments or line breaks between the two characters (as in MudOS);
 *    "(::" is "(" then "::".  ":)" is FUNC_CLOSE even when spaced, since
 *    ':' followed by ')' occurs in no other valid construct.
 *  - "$1" is DOLLAR then INT; "1..2" is INT RANGE INT.
 *  - IDENT and keyword texts are interned: equal names have equal
 *    pointers (and lpc_lexer_intern returns the same pointers).
 *  - Keyword tokens carry their name in text; INT, FLOAT and punctuation
 *    have text == NULL.  STRING text is NUL-terminated after len bytes.
 *  - Integer literals: decimal (up to INT64_MAX), 0x hex and 0b binary
 *    (up to 64 bits, so 0xFFFFFFFFFFFFFFFF is -1); no octal (017 == 17).
 */
#ifndef LPC_LEX_H
#define LPC_LEX_H

#include "port/port_format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X-macro list of token kinds: X(NAME, "spelling") */
#define LPC_TOKEN_LIST(X) \
    X(EOF, "end of file") \
    X(IDENT, "identifier") \
    X(INT, "integer") \
    X(FLOAT, "float") \
    X(STRING, "string") \
    /* keywords */ \
    X(KW_IF, "if") X(KW_ELSE, "else") X(KW_FOR, "for") X(KW_WHILE, "while") \
    X(KW_DO, "do") X(KW_SWITCH, "switch") X(KW_CASE, "case") \
    X(KW_DEFAULT, "default") X(KW_BREAK, "break") X(KW_CONTINUE, "continue") \
    X(KW_RETURN, "return") X(KW_FOREACH, "foreach") X(KW_IN, "in") \
    X(KW_INHERIT, "inherit") X(KW_CATCH, "catch") X(KW_NEW, "new") \
    X(KW_EFUN, "efun") X(KW_SSCANF, "sscanf") \
    X(KW_INT, "int") X(KW_FLOAT, "float") X(KW_STRING, "string") \
    X(KW_OBJECT, "object") X(KW_MAPPING, "mapping") X(KW_MIXED, "mixed") \
    X(KW_VOID, "void") X(KW_STATUS, "status") X(KW_FUNCTION, "function") \
    X(KW_PRIVATE, "private") X(KW_STATIC, "static") X(KW_PROTECTED, "protected") \
    X(KW_PUBLIC, "public") X(KW_NOMASK, "nomask") X(KW_VARARGS, "varargs") \
    X(KW_NOSAVE, "nosave") \
    /* punctuation and operators */ \
    X(LPAREN, "(") X(RPAREN, ")") X(LBRACKET, "[") X(RBRACKET, "]") \
    X(LBRACE, "{") X(RBRACE, "}") \
    X(ARRAY_OPEN, "({") X(MAPPING_OPEN, "([") \
    X(FUNC_OPEN, "(:") X(FUNC_CLOSE, ":)") \
    X(SEMICOLON, ";") X(COMMA, ",") X(DOT, ".") X(RANGE, "..") \
    X(ELLIPSIS, "...") X(QUESTION, "?") X(COLON, ":") X(SCOPE, "::") \
    X(ARROW, "->") X(DOLLAR, "$") \
    X(PLUS, "+") X(MINUS, "-") X(STAR, "*") X(SLASH, "/") X(PERCENT, "%") \
    X(INC, "++") X(DEC, "--") \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(GT, ">") X(LE, "<=") X(GE, ">=") \
    X(ANDAND, "&&") X(OROR, "||") X(NOT, "!") X(TILDE, "~") \
    X(AMP, "&") X(PIPE, "|") X(CARET, "^") X(SHL, "<<") X(SHR, ">>") \
    X(ASSIGN, "=") X(ADD_ASSIGN, "+=") X(SUB_ASSIGN, "-=") \
    X(MUL_ASSIGN, "*=") X(DIV_ASSIGN, "/=") X(MOD_ASSIGN, "%=") \
    X(AND_ASSIGN, "&=") X(OR_ASSIGN, "|=") X(XOR_ASSIGN, "^=") \
    X(SHL_ASSIGN, "<<=") X(SHR_ASSIGN, ">>=") \
    X(ANDAND_ASSIGN, "&&=") X(OROR_ASSIGN, "||=")

typedef enum lpc_token_kind {
#define LPC_TOKEN_ENUM(name, spelling) LPC_TOK_##name,
    LPC_TOKEN_LIST(LPC_TOKEN_ENUM)
#undef LPC_TOKEN_ENUM
    LPC_TOK_COUNT
} lpc_token_kind_t;

/* "identifier", "(", "+=", ... for messages. */
const char *lpc_token_kind_name(lpc_token_kind_t kind);

/* Binding power of a binary operator token (1 for || up to 10 for * / %,
 * C's levels), 0 if the kind is not one.  The parser and the #if
 * evaluator share it. */
int lpc_token_binary_precedence(lpc_token_kind_t kind);

typedef struct lpc_srcloc {
    const char *file;   /* interned by the lexer; valid while it lives */
    int line;
    int col;
} lpc_srcloc_t;

typedef struct lpc_token {
    lpc_token_kind_t kind;
    lpc_srcloc_t loc;
    int64_t i;          /* INT (character constants 'a' are INT too) */
    double f;           /* FLOAT */
    const char *text;   /* IDENT: the name; STRING: the bytes (escapes
                           decoded, may contain NUL); owned by the lexer,
                           valid while it lives */
    size_t len;         /* length of text */
} lpc_token_t;

typedef enum lpc_diag_severity {
    LPC_DIAG_WARNING,
    LPC_DIAG_ERROR
} lpc_diag_severity_t;

/* Receives each diagnostic: `message` has no location prefix; the
 * location is passed separately.  Default when NULL: print
 * "FILE:LINE:COL: error: message" to stderr ("FILE: error: message" when
 * line is 0, as for a source file that cannot be read). */
typedef void (*lpc_diag_fn)(void *ctx, lpc_diag_severity_t severity,
                            const lpc_srcloc_t *loc, const char *message);

/* Reads a whole file for the compiler.  `path` is as resolved by the
 * lexer (mudlib-absolute, "/std/room.h").  Returns a malloc'd buffer
 * (caller frees) and its length, or NULL if the file cannot be read (the
 * lexer then reports "cannot open include file ..."). */
typedef char *(*lpc_read_file_fn)(void *ctx, const char *path, size_t *len);

typedef struct lpc_lex_options {
    lpc_read_file_fn read_file;  /* required */
    void *read_ctx;
    lpc_diag_fn diag;            /* NULL: stderr */
    void *diag_ctx;
    /* Directories searched for #include <x> (and for "x" after the
     * including file's own folder), mudlib-absolute, NULL-terminated. */
    const char *const *include_dirs;
    const char *auto_include;    /* file read before every source, or NULL */
    /* Extra predefined macros as "NAME" or "NAME=VALUE", NULL-terminated. */
    const char *const *defines;
} lpc_lex_options_t;

typedef struct lpc_lexer lpc_lexer_t;

/* Most files open at once: the source plus nested #includes.  A deeper
 * #include is reported as "#include nested too deeply (limit 64)". */
#define LPC_LEX_MAX_INCLUDE_DEPTH 64

/* Opens `path` (mudlib-absolute, e.g. "/room/start.c") for lexing.
 * Returns NULL on out of memory; a file that cannot be read is reported
 * through diag and gives a lexer whose first token is EOF with
 * lpc_lexer_error_count() > 0. */
lpc_lexer_t *lpc_lexer_open(const char *path, const lpc_lex_options_t *opts);
void lpc_lexer_close(lpc_lexer_t *lx);

/* The next token (valid until the call after the next lpc_lexer_next;
 * lpc_lexer_peek(lx, n) looks n tokens ahead, n < 4, without consuming:
 * peek(lx, 0) is the token the next lpc_lexer_next returns).  After the
 * end, every call returns an EOF token (at the end of the source file). */
const lpc_token_t *lpc_lexer_next(lpc_lexer_t *lx);
const lpc_token_t *lpc_lexer_peek(lpc_lexer_t *lx, int n);

/* Reports through the lexer's diag callback (used by the parser too, so
 * error counting is in one place). */
void lpc_lexer_diag(lpc_lexer_t *lx, lpc_diag_severity_t severity,
                    const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 4, 5)))
#endif
    ;
int  lpc_lexer_error_count(const lpc_lexer_t *lx);
int  lpc_lexer_warning_count(const lpc_lexer_t *lx);

/* Every file read while lexing (the source, its includes, the
 * auto-include), for dependency tracking (git update recompiles the
 * programs that include a changed header).  NULL-terminated, owned by
 * the lexer. */
const char *const *lpc_lexer_files_read(const lpc_lexer_t *lx);

/* Interns a string in the lexer's arena (for the parser's own names);
 * valid while the lexer lives. */
const char *lpc_lexer_intern(lpc_lexer_t *lx, const char *text, size_t len);

/* Whether `#pragma name` is in effect at the lexer's current position
 * (up to four tokens ahead of the parser).  Known pragmas, accepted
 * silently, each also as no_NAME which turns it off: strict_types,
 * save_types, save_binary, warnings, optimize, show_error_context,
 * error_context, efun.  Unknown pragmas are a warning.  `#pragma
 * no_warnings` suppresses (and does not count) later warnings, the
 * parser's included, until `#pragma warnings`. */
bool lpc_lexer_pragma(const lpc_lexer_t *lx, const char *name);

#endif /* LPC_LEX_H */
