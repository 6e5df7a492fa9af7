/*
 * lpc_preproc.h - internals shared by the LPC tokenizer (lpc_lex.c) and
 * the preprocessor (lpc_preproc.c).  Private to those two files: the
 * parser only sees lpc_lex.h.
 *
 * Pipeline, bottom to top:
 *
 *   file bytes
 *     -> lpc_pp_raw_next: pp tokens of one file frame, no macros
 *     -> file_next:       directives executed, false branches skipped,
 *                         include frames pushed and popped
 *     -> lpc_pp_get:      macros expanded (context stack)
 *     -> cook_next:       adjacent strings joined, "( {" -> "({",
 *                         "( [" -> "([", "( :" -> "(:", ": )" -> ":)",
 *                         stray characters reported
 *     -> ring:            lpc_lexer_next / lpc_lexer_peek
 *
 * Memory: token text, interned names, macro definitions and file names
 * live in one arena freed by lpc_lexer_close; file buffers are kept for
 * the lexer's life because token spellings point into them; the token
 * arrays of macro expansions are recycled through a small pool.
 */
#ifndef LPC_PREPROC_H
#define LPC_PREPROC_H

#include "port/port_format.h"

#include "lpc/lpc_lex.h"

#include <stdarg.h>

/* Hard limits: each protects the driver from a source file that would
 * otherwise hang or exhaust it (a compile bomb), not a style rule. */
#define PP_MAX_INCLUDE_DEPTH  LPC_LEX_MAX_INCLUDE_DEPTH
#define PP_MAX_FILES_OPENED   1024        /* files #included per compile */
#define PP_MAX_MACRO_PARAMS   255         /* parameters of one macro */
#define PP_MAX_EXPAND_NESTING 200         /* nested argument pre-expansions */
#define PP_MAX_EXPANDED_TOKENS (1u << 20) /* buffered by one top-level use */
#define PP_MAX_EXPANDED_TOTAL (1u << 24)  /* produced by expansion, per compile */
#define PP_MAX_SOURCE_BYTES   (64u << 20) /* bytes read, all files together */

/* Preprocessing-only token kinds, after the parser's kinds.  They never
 * reach the parser: the cook stage reports HASH/HASHHASH/OTHER as stray. */
enum {
    PP_HASH = LPC_TOK_COUNT,  /* #  */
    PP_HASHHASH,              /* ## */
    PP_EOD,                   /* end of a directive line / of a barrier */
    PP_OTHER,                 /* a byte that starts no token ($i = byte) */
    PP_PARAM,                 /* macro body: parameter $i */
    PP_STRINGIFY,             /* macro body: # parameter $i */
    PP_PLACEMARKER            /* an empty argument next to ## */
};

/* pp_token_t.flags */
#define PPF_BOL      0x01  /* first token on its line (directive test) */
#define PPF_SPACE    0x02  /* whitespace or a comment came before it */
#define PPF_NOEXPAND 0x04  /* a macro name met inside its own expansion */

typedef struct pp_ident pp_ident_t;
typedef struct pp_macro pp_macro_t;

/* One preprocessing token: the parser's token plus what the preprocessor
 * needs (the source spelling for # and ##, the identifier entry). */
typedef struct pp_token {
    lpc_token_t t;            /* t.kind may be a PP_* kind */
    const char *spell;        /* source spelling (not NUL-terminated) */
    uint32_t spell_len;
    uint16_t flags;           /* PPF_* */
    pp_ident_t *id;           /* identifiers and keywords, else NULL */
} pp_token_t;

/* Interned name.  Keywords and directive names are pre-interned, so one
 * hash lookup while scanning an identifier classifies it completely. */
struct pp_ident {
    const char *text;         /* NUL-terminated, in the arena */
    uint32_t len;
    uint32_t hash;
    uint16_t kind;            /* LPC_TOK_IDENT or the keyword kind */
    uint8_t directive;        /* PP_DIR_* or 0 */
    uint8_t bits;             /* PPI_* */
    pp_macro_t *macro;        /* current definition or NULL */
    pp_ident_t *next;         /* hash chain */
};

#define PPI_FILE_READ  0x01   /* path already listed in files_read */
#define PPI_PRAGMA_ON  0x02   /* #pragma NAME in effect */
#define PPI_PRAGMA_KNOWN 0x04 /* a pragma we accept silently */

enum {
    PP_DIR_NONE = 0, PP_DIR_INCLUDE, PP_DIR_DEFINE, PP_DIR_UNDEF, PP_DIR_IF,
    PP_DIR_IFDEF, PP_DIR_IFNDEF, PP_DIR_ELIF, PP_DIR_ELSE, PP_DIR_ENDIF,
    PP_DIR_ERROR, PP_DIR_WARNING, PP_DIR_PRAGMA
};

enum { PP_BUILTIN_NONE = 0, PP_BUILTIN_FILE, PP_BUILTIN_LINE, PP_BUILTIN_DIR };

struct pp_macro {
    pp_ident_t *name;
    lpc_srcloc_t loc;         /* where it was defined */
    int nparams;              /* -1: object-like */
    pp_ident_t **params;
    pp_token_t *body;         /* PP_PARAM / PP_STRINGIFY refer to params */
    int nbody;
    int builtin;              /* PP_BUILTIN_* */
    int busy;                 /* expansions of it on the context stack */
};

/* A growable token array (expansion results, arguments, directive lines). */
typedef struct pp_vec {
    pp_token_t *v;
    size_t n, cap;
} pp_vec_t;

/* One open source file (or a temporary buffer being re-lexed). */
typedef struct pp_file {
    const char *path;         /* interned mudlib-absolute path */
    const char *dir;          /* interned folder with trailing '/' */
    const char *buf;
    size_t len, pos;
    size_t line_start;        /* offset of the current line */
    int line;
    bool bol;                 /* no token yet on this line */
    bool in_directive;        /* newline ends the line: return PP_EOD */
    bool quiet;               /* report nothing (skipped text) */
    bool counts_depth;        /* a real file (not the predefines) */
    const lpc_srcloc_t *fixed_loc;  /* all tokens get this location */
    size_t cond_base;         /* conditional stack depth at entry */
} pp_file_t;

/* An #if / #ifdef / #ifndef group being read. */
typedef struct pp_cond {
    lpc_srcloc_t loc;         /* the opening directive */
    const char *opener;       /* "#if", "#ifdef" or "#ifndef" */
    bool taken;               /* some branch was (or is) true */
    bool seen_else;
    bool skipping;            /* current branch is false */
    bool dead;                /* inside a skipped group: never true */
} pp_cond_t;

/* A macro expansion (or a barrier list) being read. */
typedef struct pp_context {
    pp_vec_t toks;
    size_t pos;
    pp_macro_t *macro;        /* disabled while this is on the stack */
    bool barrier;             /* exhausted: report PP_EOD, do not pop */
    lpc_srcloc_t end_loc;     /* location of that PP_EOD */
} pp_context_t;

typedef struct pp_arena_chunk pp_arena_chunk_t;

struct lpc_lexer {
    lpc_lex_options_t opts;
    const char *const *include_dirs;  /* interned, normalised, '/' ended */
    size_t ninclude_dirs;

    /* memory */
    pp_arena_chunk_t *arena;
    char **buffers;           /* file buffers, freed at close */
    size_t nbuffers, capbuffers;
    pp_vec_t pool[16];        /* recycled token arrays */
    int npool;

    /* names */
    pp_ident_t **idents;
    size_t nidents, capidents;
    pp_ident_t *id_defined;   /* "defined" */

    /* files */
    pp_file_t files[PP_MAX_INCLUDE_DEPTH + 4];
    int nfiles;
    int depth;                /* real files open (include depth) */
    int files_opened;
    size_t source_bytes;      /* read so far, all files */
    const char **files_read;
    size_t nfiles_read, capfiles_read;
    lpc_srcloc_t eof_loc;

    /* conditionals */
    pp_cond_t *conds;
    size_t nconds, capconds;

    /* macro expansion */
    pp_context_t *ctx;
    size_t nctx, capctx;
    int expand_nesting;
    size_t expanded_tokens;   /* by the current top-level macro use */
    size_t expanded_total;    /* by the whole compile */
    bool expansion_budget_reported;
    bool nesting_reported;

    /* cook stage and lookahead */
    pp_token_t pushback[4];
    int npushback;
    lpc_token_t ring[8];
    unsigned head, count;
    char *scratch;            /* string concatenation (cook stage) */
    size_t scratch_cap;
    char *strbuf;             /* decoding one literal (tokenizer) */
    size_t strbuf_cap;

    /* diagnostics */
    int errors, warnings;
    bool warnings_off;        /* #pragma no_warnings */
};

/* ---- lpc_lex.c: memory, names, the tokenizer, diagnostics ---------- */
/* Allocation failure is fatal, as everywhere in the LPC library. */
void lpc_pp_oom(void)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
void *lpc_pp_alloc(lpc_lexer_t *lx, size_t size);
const char *lpc_pp_strdup(lpc_lexer_t *lx, const char *s, size_t len);
pp_ident_t *lpc_pp_intern(lpc_lexer_t *lx, const char *text, size_t len);
pp_ident_t *lpc_pp_lookup(const lpc_lexer_t *lx, const char *text, size_t len);
/* The next token of frame f (PP_EOD ends a directive line, LPC_TOK_EOF
 * the buffer).  Errors in literals are reported unless f->quiet. */
void lpc_pp_raw_next(lpc_lexer_t *lx, pp_file_t *f, pp_token_t *out);
/* Skips a false conditional branch: returns true with f->pos just after
 * the '#' of the next directive line, or false at the end of f. */
bool lpc_pp_skip_to_directive(pp_file_t *f);
/* The rest of the directive line as raw text (continuations joined,
 * outer whitespace trimmed), consuming it and its newline. */
const char *lpc_pp_raw_rest_of_line(lpc_lexer_t *lx, pp_file_t *f, size_t *len);
/* Skips spaces/tabs/comments on the directive line; returns the next
 * byte (0 at end of line) without consuming it. */
int lpc_pp_raw_peek_char(lpc_lexer_t *lx, pp_file_t *f);
void lpc_pp_file_init(pp_file_t *f, const char *path, const char *dir,
                  const char *buf, size_t len);
lpc_srcloc_t lpc_pp_file_loc(const pp_file_t *f);
void lpc_pp_vdiag(lpc_lexer_t *lx, lpc_diag_severity_t sev,
              const lpc_srcloc_t *loc, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 4, 0)))
#endif
    ;
void lpc_pp_error(lpc_lexer_t *lx, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 3, 4)))
#endif
    ;
void lpc_pp_warning(lpc_lexer_t *lx, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(PORT_PRINTF_FORMAT, 3, 4)))
#endif
    ;
/* Quotes bytes for a message: printable ASCII as is, others as \xHH. */
const char *lpc_pp_printable(lpc_lexer_t *lx, const char *s, size_t len);

/* ---- lpc_preproc.c: files, directives, macros ---------------------- */
bool lpc_pp_init(lpc_lexer_t *lx, const char *path);
void lpc_pp_fini(lpc_lexer_t *lx);
/* The next macro-expanded token of the whole compile (LPC_TOK_EOF at the
 * end, repeatedly). */
void lpc_pp_get(lpc_lexer_t *lx, pp_token_t *out);

void lpc_pp_vec_push(pp_vec_t *v, const pp_token_t *t);

#endif /* LPC_PREPROC_H */
