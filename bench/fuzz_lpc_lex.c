/*
 * fuzz_lpc_lex.c - libFuzzer target for the LPC preprocessor and lexer.
 *
 * The fuzz input is the source file /main.c of an in-memory mudlib that
 * also holds a fixed include (/inc.h, found relative to main), a system
 * header (/sys/std.h, found through the include path) and an
 * auto-include, so the input can #include them, itself ("main.c"), or
 * names that do not exist.  The whole token stream is read, with peeks,
 * and a few invariants are checked; any crash, sanitizer report or
 * failed invariant is a bug.
 *
 * Built and run only by `make fuzz-lex` (clang -fsanitize=fuzzer,address,
 * undefined); see bench/local.mk.
 */
#include "config.h"
#include "lpc/lpc_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char inc_h[] =
    "#ifndef INC_H\n#define INC_H\n"
    "#define SQ(x) ((x) * (x))\n#define STR(x) #x\n#define CAT(a, b) a ## b\n"
    "#define F(a, b) ({ a, b })\n#define REC REC + 1\n"
    "#if defined(__NEOLITH__) && __LINE__ > 1\nint inc_line = __LINE__;\n#endif\n"
    "#endif\n";
static const char std_h[] =
    "#pragma strict_types\n#define STD_MAP ([ \"k\" : (: $1 :) ])\n"
    "string std_file = __FILE__ __DIR__;\n";
static const char auto_h[] =
    "#define AUTO_ON 1\n#if AUTO_ON\nstatic int auto_var;\n#else\n#error no\n#endif\n";

typedef struct fuzz_fs {
    const uint8_t *data;
    size_t size;
} fuzz_fs_t;

static char *dup_bytes(const void *p, size_t n, size_t *len)
{
    char *b = malloc(n ? n : 1);
    if (b == NULL)
        abort();
    memcpy(b, p, n);
    *len = n;
    return b;
}

static char *fuzz_read(void *ctx, const char *path, size_t *len)
{
    const fuzz_fs_t *fs = ctx;
    if (strcmp(path, "/main.c") == 0)
        return dup_bytes(fs->data, fs->size, len);
    if (strcmp(path, "/inc.h") == 0)
        return dup_bytes(inc_h, sizeof inc_h - 1, len);
    if (strcmp(path, "/sys/std.h") == 0)
        return dup_bytes(std_h, sizeof std_h - 1, len);
    if (strcmp(path, "/auto.h") == 0)
        return dup_bytes(auto_h, sizeof auto_h - 1, len);
    return NULL;
}

static void fuzz_diag(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                      const char *msg)
{
    (void)ctx;
    (void)sev;
    if (loc == NULL || loc->file == NULL || msg == NULL)
        abort();
}

static void check_token(const lpc_token_t *t)
{
    if ((unsigned)t->kind >= LPC_TOK_COUNT || t->loc.file == NULL)
        abort();
    if (t->kind != LPC_TOK_EOF && (t->loc.line < 1 || t->loc.col < 1))
        abort();
    if ((t->kind == LPC_TOK_IDENT || t->kind == LPC_TOK_STRING) &&
        (t->text == NULL || t->text[t->len] != '\0'))
        abort();
    if (t->kind == LPC_TOK_IDENT && strlen(t->text) != t->len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const dirs[] = {"/sys", NULL};
    static const char *const defines[] = {"FUZZ", "LEVEL=3", NULL};
    fuzz_fs_t fs = {data, size};
    lpc_lex_options_t o;
    memset(&o, 0, sizeof o);
    o.read_file = fuzz_read;
    o.read_ctx = &fs;
    o.diag = fuzz_diag;
    o.include_dirs = dirs;
    o.defines = defines;
    o.auto_include = "/auto.h";
    lpc_lexer_t *lx = lpc_lexer_open("/main.c", &o);
    if (lx == NULL)
        abort();
    const lpc_token_t *prev = NULL;
    lpc_token_kind_t prev_kind = LPC_TOK_EOF;
    for (unsigned n = 0;; n++) {
        const lpc_token_t *ahead = lpc_lexer_peek(lx, (int)(n % 4));
        check_token(ahead);
        const lpc_token_t *t = lpc_lexer_next(lx);
        check_token(t);
        /* The previous token must still be readable. */
        if (prev && prev->kind != prev_kind)
            abort();
        if (t->kind == LPC_TOK_EOF)
            break;
        prev = t;
        prev_kind = t->kind;
    }
    if (lpc_lexer_next(lx)->kind != LPC_TOK_EOF)
        abort();
    const char *a = lpc_lexer_intern(lx, "fuzz_name", 9);
    if (a != lpc_lexer_intern(lx, "fuzz_name", 9))
        abort();
    (void)lpc_lexer_pragma(lx, "strict_types");
    const char *const *files = lpc_lexer_files_read(lx);
    if (files == NULL || (files[0] && strcmp(files[0], "/main.c") != 0))
        abort();
    lpc_lexer_close(lx);
    return 0;
}
