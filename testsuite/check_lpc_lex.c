/*
 * check_lpc_lex.c - the LPC preprocessor and lexer (lib/lpc/lpc_lex.h):
 * every token kind, numbers and their limits, escapes, string joining,
 * comments, each directive and its error paths with exact
 * "file:line:col" messages, include search order and depth limit, macro
 * expansion (arguments, #, ##, recursion guard), #if expressions,
 * predefined macros, the auto-include, files_read and peek.
 *
 * Sources come from an in-memory file table through the reader callback;
 * diagnostics are collected as "FILE:LINE:COL: error: message" lines.
 * Token streams are compared as text: identifiers and keywords by name,
 * INT as a number, FLOAT as F<number>, STRING quoted with escapes, other
 * tokens by their spelling.
 */
#include "config.h"
#include "lpc/lpc_lex.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

typedef struct sb {
    char *s;
    size_t n, cap;
} sb_t;

static void sb_add(sb_t *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        ck_assert_ptr_nonnull(b->s);
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static void sb_printf(sb_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sb_add(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *sb_str(sb_t *b)
{
    if (b->s == NULL)
        sb_add(b, "", 0);
    return b->s;
}

/* An in-memory mudlib: path -> bytes (len 0 means strlen). */
typedef struct memfile {
    const char *path;
    const char *text;
    size_t len;
} memfile_t;

typedef struct memfs {
    const memfile_t *files;
    sb_t opened;   /* every path the lexer asked for, one per line */
} memfs_t;

static char *mem_read(void *ctx, const char *path, size_t *len)
{
    memfs_t *fs = ctx;
    sb_printf(&fs->opened, "%s\n", path);
    for (const memfile_t *f = fs->files; f->path; f++) {
        if (strcmp(f->path, path) == 0) {
            size_t n = f->len ? f->len : strlen(f->text);
            char *b = malloc(n ? n : 1);
            memcpy(b, f->text, n);
            *len = n;
            return b;
        }
    }
    return NULL;
}

static void collect_diag(void *ctx, lpc_diag_severity_t sev,
                         const lpc_srcloc_t *loc, const char *msg)
{
    sb_printf((sb_t *)ctx, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col,
              sev == LPC_DIAG_ERROR ? "error" : "warning", msg);
}

static void render_token(sb_t *b, const lpc_token_t *t)
{
    switch (t->kind) {
    case LPC_TOK_INT:
        sb_printf(b, "%lld", (long long)t->i);
        break;
    case LPC_TOK_FLOAT:
        sb_printf(b, "F%.17g", t->f);
        break;
    case LPC_TOK_STRING:
        sb_add(b, "\"", 1);
        for (size_t i = 0; i < t->len; i++) {
            unsigned char c = (unsigned char)t->text[i];
            if (c == '"' || c == '\\')
                sb_printf(b, "\\%c", c);
            else if (c < 0x20 || c >= 0x7f)
                sb_printf(b, "\\x%02x", c);
            else
                sb_add(b, (const char *)&c, 1);
        }
        sb_add(b, "\"", 1);
        break;
    case LPC_TOK_IDENT:
        sb_add(b, t->text, t->len);
        break;
    default:
        sb_printf(b, "%s", lpc_token_kind_name(t->kind));
        break;
    }
}

/* One compile: the tokens as text, the diagnostics, the counts. */
typedef struct run {
    sb_t toks;
    sb_t diags;
    sb_t files;    /* lpc_lexer_files_read, one per line */
    sb_t opened;   /* every read attempt */
    int errors, warnings;
} run_t;

static const char *const default_dirs[] = {"/include", "/sys", NULL};

static void run_opts(run_t *r, const memfile_t *files, const char *main_path,
                     const lpc_lex_options_t *base)
{
    memset(r, 0, sizeof *r);
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o;
    if (base) {
        o = *base;
    } else {
        memset(&o, 0, sizeof o);
        o.include_dirs = default_dirs;
    }
    o.read_file = mem_read;
    o.read_ctx = &fs;
    o.diag = collect_diag;
    o.diag_ctx = &r->diags;
    lpc_lexer_t *lx = lpc_lexer_open(main_path, &o);
    ck_assert_ptr_nonnull(lx);
    for (int i = 0;; i++) {
        const lpc_token_t *t = lpc_lexer_next(lx);
        if (t->kind == LPC_TOK_EOF)
            break;
        if (i)
            sb_add(&r->toks, " ", 1);
        render_token(&r->toks, t);
    }
    r->errors = lpc_lexer_error_count(lx);
    r->warnings = lpc_lexer_warning_count(lx);
    for (const char *const *f = lpc_lexer_files_read(lx); *f; f++)
        sb_printf(&r->files, "%s\n", *f);
    lpc_lexer_close(lx);
    r->opened = fs.opened;
    sb_str(&r->toks);
    sb_str(&r->diags);
    sb_str(&r->files);
    sb_str(&r->opened);
}

static void run_files(run_t *r, const memfile_t *files)
{
    run_opts(r, files, files[0].path, NULL);
}

/* Lexes one source text as /w/test.c. */
static void run_src(run_t *r, const char *src)
{
    memfile_t files[] = {{"/w/test.c", src, 0}, {NULL, NULL, 0}};
    run_files(r, files);
}

static void run_free(run_t *r)
{
    free(r->toks.s);
    free(r->diags.s);
    free(r->files.s);
    free(r->opened.s);
}

/* Asserts the tokens and the diagnostics of one source text. */
#define EXPECT_LEX(src, toks_, diags_)                                       \
    do {                                                                     \
        run_t r_;                                                            \
        run_src(&r_, (src));                                                 \
        ck_assert_str_eq(r_.toks.s, (toks_));                                \
        ck_assert_str_eq(r_.diags.s, (diags_));                              \
        run_free(&r_);                                                       \
    } while (0)

/* ------------------------------------------------------------ tokens */

START_TEST(test_every_operator_and_punctuation_token)
{
    static const struct { const char *src; lpc_token_kind_t kind; } cases[] = {
        {"(", LPC_TOK_LPAREN}, {")", LPC_TOK_RPAREN}, {"[", LPC_TOK_LBRACKET},
        {"]", LPC_TOK_RBRACKET}, {"{", LPC_TOK_LBRACE}, {"}", LPC_TOK_RBRACE},
        {"({", LPC_TOK_ARRAY_OPEN}, {"([", LPC_TOK_MAPPING_OPEN},
        {"(:", LPC_TOK_FUNC_OPEN}, {":)", LPC_TOK_FUNC_CLOSE},
        {";", LPC_TOK_SEMICOLON}, {",", LPC_TOK_COMMA}, {".", LPC_TOK_DOT},
        {"..", LPC_TOK_RANGE}, {"...", LPC_TOK_ELLIPSIS}, {"?", LPC_TOK_QUESTION},
        {":", LPC_TOK_COLON}, {"::", LPC_TOK_SCOPE}, {"->", LPC_TOK_ARROW},
        {"$", LPC_TOK_DOLLAR}, {"+", LPC_TOK_PLUS}, {"-", LPC_TOK_MINUS},
        {"*", LPC_TOK_STAR}, {"/", LPC_TOK_SLASH}, {"%", LPC_TOK_PERCENT},
        {"++", LPC_TOK_INC}, {"--", LPC_TOK_DEC}, {"==", LPC_TOK_EQ},
        {"!=", LPC_TOK_NE}, {"<", LPC_TOK_LT}, {">", LPC_TOK_GT},
        {"<=", LPC_TOK_LE}, {">=", LPC_TOK_GE}, {"&&", LPC_TOK_ANDAND},
        {"||", LPC_TOK_OROR}, {"!", LPC_TOK_NOT}, {"~", LPC_TOK_TILDE},
        {"&", LPC_TOK_AMP}, {"|", LPC_TOK_PIPE}, {"^", LPC_TOK_CARET},
        {"<<", LPC_TOK_SHL}, {">>", LPC_TOK_SHR}, {"=", LPC_TOK_ASSIGN},
        {"+=", LPC_TOK_ADD_ASSIGN}, {"-=", LPC_TOK_SUB_ASSIGN},
        {"*=", LPC_TOK_MUL_ASSIGN}, {"/=", LPC_TOK_DIV_ASSIGN},
        {"%=", LPC_TOK_MOD_ASSIGN}, {"&=", LPC_TOK_AND_ASSIGN},
        {"|=", LPC_TOK_OR_ASSIGN}, {"^=", LPC_TOK_XOR_ASSIGN},
        {"<<=", LPC_TOK_SHL_ASSIGN}, {">>=", LPC_TOK_SHR_ASSIGN},
        {"&&=", LPC_TOK_ANDAND_ASSIGN}, {"||=", LPC_TOK_OROR_ASSIGN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memfile_t files[] = {{"/t.c", cases[i].src, 0}, {NULL, NULL, 0}};
        memfs_t fs = {files, {NULL, 0, 0}};
        sb_t d = {NULL, 0, 0};
        lpc_lex_options_t o = {mem_read, &fs, collect_diag, &d, NULL, NULL, NULL};
        lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
        const lpc_token_t *t = lpc_lexer_next(lx);
        ck_assert_msg(t->kind == cases[i].kind, "\"%s\" lexed as %s", cases[i].src,
                      lpc_token_kind_name(t->kind));
        ck_assert_int_eq(t->loc.col, 1);
        ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_EOF);
        ck_assert_int_eq(lpc_lexer_error_count(lx), 0);
        ck_assert_str_eq(lpc_token_kind_name(cases[i].kind), cases[i].src);
        lpc_lexer_close(lx);
        free(fs.opened.s);
        free(d.s);
    }
}
END_TEST

START_TEST(test_maximal_munch_splits_operator_runs)
{
    EXPECT_LEX("a+++b a--->b x<<=y>>=z a&&=b||=c !!x a....b",
               "a ++ + b a -- -> b x <<= y >>= z a &&= b ||= c ! ! x a ... . b", "");
}
END_TEST

START_TEST(test_every_keyword_and_near_misses_are_identifiers)
{
    run_t r;
    run_src(&r, "if else for while do switch case default break continue return "
                "foreach in inherit catch new efun sscanf int float string object "
                "mapping mixed void status function private static protected public "
                "nomask varargs nosave iff In _if if_ int64 x1");
    ck_assert_str_eq(r.diags.s, "");
    run_free(&r);

    memfile_t files[] = {{"/t.c", "if nosave iff in int64", 0}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_KW_IF);
    const lpc_token_t *t = lpc_lexer_next(lx);
    ck_assert_int_eq(t->kind, LPC_TOK_KW_NOSAVE);
    ck_assert_str_eq(t->text, "nosave");
    t = lpc_lexer_next(lx);
    ck_assert_int_eq(t->kind, LPC_TOK_IDENT);
    ck_assert_str_eq(t->text, "iff");
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_KW_IN);
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_IDENT);
    lpc_lexer_close(lx);
    free(fs.opened.s);

    /* Every keyword kind round-trips through its spelling. */
    for (int k = LPC_TOK_KW_IF; k <= LPC_TOK_KW_NOSAVE; k++) {
        memfile_t kf[] = {{"/k.c", lpc_token_kind_name((lpc_token_kind_t)k), 0},
                          {NULL, NULL, 0}};
        memfs_t kfs = {kf, {NULL, 0, 0}};
        lpc_lex_options_t ko = {mem_read, &kfs, NULL, NULL, NULL, NULL, NULL};
        lx = lpc_lexer_open("/k.c", &ko);
        ck_assert_int_eq(lpc_lexer_next(lx)->kind, k);
        lpc_lexer_close(lx);
        free(kfs.opened.s);
    }
}
END_TEST

START_TEST(test_identifiers_are_interned_to_one_pointer)
{
    memfile_t files[] = {{"/t.c", "alpha beta alpha", 0}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    const char *a1 = lpc_lexer_next(lx)->text;
    const char *b = lpc_lexer_next(lx)->text;
    const char *a2 = lpc_lexer_next(lx)->text;
    ck_assert_ptr_eq(a1, a2);
    ck_assert_ptr_ne(a1, b);
    ck_assert_ptr_eq(lpc_lexer_intern(lx, "alpha", 5), a1);
    ck_assert_ptr_eq(lpc_lexer_intern(lx, "betamax", 4), b);
    const char *fresh = lpc_lexer_intern(lx, "gamma", 5);
    ck_assert_str_eq(fresh, "gamma");
    ck_assert_ptr_eq(lpc_lexer_intern(lx, "gamma", 5), fresh);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

/* ------------------------------------------------------------ numbers */

START_TEST(test_integers_decimal_hex_binary_and_leading_zero_is_decimal)
{
    EXPECT_LEX("0 7 42 0x1F 0XfF 0b101 0B1 017 00 0x0",
               "0 7 42 31 255 5 1 17 0 0", "");
}
END_TEST

START_TEST(test_integer_64_bit_limits_and_overflow_errors)
{
    EXPECT_LEX("9223372036854775807 0xFFFFFFFFFFFFFFFF 0x7fffffffffffffff "
               "0b1111111111111111111111111111111111111111111111111111111111111111",
               "9223372036854775807 -1 9223372036854775807 -1", "");
    EXPECT_LEX("x = 9223372036854775808;\ny = 0x10000000000000000;\n"
               "z = 0b11111111111111111111111111111111111111111111111111111111111111111;",
               "x = 0 ; y = 0 ; z = 0 ;",
               "/w/test.c:1:5: error: integer constant is too large\n"
               "/w/test.c:2:5: error: integer constant is too large\n"
               "/w/test.c:3:5: error: integer constant is too large\n");
}
END_TEST

START_TEST(test_malformed_numbers_are_errors_and_lexing_continues)
{
    EXPECT_LEX("a 123abc b 0x c 0b2 d 1.5f e 0x1g;",
               "a 123 b 0 c 0 d F1.5 e 1 ;",
               "/w/test.c:1:3: error: invalid suffix \"abc\" on integer constant\n"
               "/w/test.c:1:12: error: hexadecimal constant has no digits\n"
               "/w/test.c:1:17: error: binary constant has no digits\n"
               "/w/test.c:1:17: error: invalid suffix \"2\" on integer constant\n"
               "/w/test.c:1:23: error: invalid suffix \"f\" on floating constant\n"
               "/w/test.c:1:30: error: invalid suffix \"g\" on integer constant\n");
}
END_TEST

START_TEST(test_floats_and_ranges)
{
    EXPECT_LEX("1.5 1. .5 1e3 1.5e-3 2E+2 0.0 3.",
               "F1.5 F1 F0.5 F1000 F0.0015 F200 F0 F3", "");
    /* "1..2" is a range, never the float "1." followed by ".2". */
    EXPECT_LEX("a[1..2] a[1...] a[<1..<2] a[..3] a[1.5..2.]",
               "a [ 1 .. 2 ] a [ 1 ... ] a [ < 1 .. < 2 ] a [ .. 3 ] a [ F1.5 .. F2 ]",
               "");
    EXPECT_LEX("1e999 1e-999",
               "F0 F0", "/w/test.c:1:1: error: floating constant is out of range\n");
    /* An exponent needs digits: "1e" is 1 with a bad suffix. */
    EXPECT_LEX("1e", "1", "/w/test.c:1:1: error: invalid suffix \"e\" on integer constant\n");
}
END_TEST

START_TEST(test_dollar_digits_is_dollar_then_int)
{
    EXPECT_LEX("(: $1 + $22 :)", "(: $ 1 + $ 22 :)", "");
}
END_TEST

/* ------------------------------------------------------------ characters and strings */

START_TEST(test_character_constants_are_ints)
{
    EXPECT_LEX("'a' '\\n' '\\'' '\"' '\\\\' '\\x41' '\\101' '\\0' '\\e' ' ' '\\377' '\xe9'",
               "97 10 39 34 92 65 65 0 27 32 255 233", "");
}
END_TEST

START_TEST(test_bad_character_constants_are_errors)
{
    EXPECT_LEX("a = '';\nb = 'ab';\nc = 'x\nd;",
               "a = 0 ; b = 0 ; c = 0 d ;",
               "/w/test.c:1:5: error: empty character constant\n"
               "/w/test.c:2:5: error: multi-character character constant\n"
               "/w/test.c:3:5: error: unterminated character constant\n");
}
END_TEST

START_TEST(test_string_escapes_decode_to_bytes)
{
    memfile_t files[] = {
        {"/t.c", "\"\\n\\t\\r\\\"\\\\\\'\\a\\b\\e\\f\\v\\0\\x41\\x4a2\\101\\7\\1234\"", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    const lpc_token_t *t = lpc_lexer_next(lx);
    static const char want[] = "\n\t\r\"\\'\a\b\x1b\f\v\0A\x4a" "2A\a\123" "4";
    ck_assert_int_eq(t->kind, LPC_TOK_STRING);
    ck_assert_uint_eq(t->len, sizeof want - 1);
    ck_assert(memcmp(t->text, want, sizeof want - 1) == 0);
    ck_assert_int_eq(t->text[t->len], '\0');
    ck_assert_int_eq(lpc_lexer_error_count(lx), 0);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_bad_escapes)
{
    EXPECT_LEX("\"a\\qb\" \"\\x\" \"\\777\"",
               "\"aqbx\\xff\"",
               "/w/test.c:1:3: warning: unknown escape sequence '\\q'\n"
               "/w/test.c:1:9: error: \\x used with no following hex digits\n"
               "/w/test.c:1:14: error: octal escape sequence out of range\n");
}
END_TEST

START_TEST(test_strings_may_hold_any_byte)
{
    static const char src[] = "\"a\0b\x01\xff\x80\"";
    memfile_t files[] = {{"/t.c", src, sizeof src - 1}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    const lpc_token_t *t = lpc_lexer_next(lx);
    ck_assert_int_eq(t->kind, LPC_TOK_STRING);
    ck_assert_uint_eq(t->len, 6);
    ck_assert(memcmp(t->text, "a\0b\x01\xff\x80", 6) == 0);
    ck_assert_int_eq(lpc_lexer_error_count(lx), 0);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_unterminated_string_ends_at_end_of_line)
{
    EXPECT_LEX("s = \"abc\nint x;\nt = \"\\\n",
               "s = \"abc\" int x ; t = \"\"",
               "/w/test.c:1:5: error: unterminated string\n"
               "/w/test.c:3:5: error: unterminated string\n");
    EXPECT_LEX("\"abc", "\"abc\"", "/w/test.c:1:1: error: unterminated string\n");
}
END_TEST

START_TEST(test_backslash_newline_continues_a_string)
{
    EXPECT_LEX("\"ab\\\ncd\" x\n\"e\\\r\nf\" y", "\"abcd\" x \"ef\" y", "");
    /* ... and the lines still count. */
    run_t r;
    run_src(&r, "\"ab\\\ncd\"\n'");
    ck_assert_str_eq(r.diags.s, "/w/test.c:3:1: error: unterminated character constant\n");
    run_free(&r);
}
END_TEST

START_TEST(test_adjacent_strings_are_joined)
{
    EXPECT_LEX("\"a\" \"b\"\n  /* c */ \"c\" // d\n\"d\"; \"e\"",
               "\"abcd\" ; \"e\"", "");
    EXPECT_LEX("#define S \"mid\"\n\"a\" S \"z\"\n#define E\n\"x\" E \"y\"; \"p\" E \"q\"",
               "\"amidzxy\" ; \"pq\"", "");
    /* Directives between the pieces run in order. */
    EXPECT_LEX("\"a\"\n#define X \"b\"\nX", "\"ab\"", "");
}
END_TEST

/* ------------------------------------------------------------ comments */

START_TEST(test_comments_are_skipped_and_lines_counted)
{
    memfile_t files[] = {
        {"/t.c", "a // one\n/* two\n three */ b /**/c/***/d\n/* * / */ e //", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    static const struct { const char *name; int line, col; } want[] = {
        {"a", 1, 1}, {"b", 3, 11}, {"c", 3, 17}, {"d", 3, 23}, {"e", 4, 11}};
    for (size_t i = 0; i < 5; i++) {
        const lpc_token_t *t = lpc_lexer_next(lx);
        ck_assert_str_eq(t->text, want[i].name);
        ck_assert_int_eq(t->loc.line, want[i].line);
        ck_assert_int_eq(t->loc.col, want[i].col);
    }
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_EOF);
    ck_assert_int_eq(lpc_lexer_error_count(lx), 0);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_unterminated_block_comment_is_an_error)
{
    EXPECT_LEX("a\n  /* never\nclosed", "a", "/w/test.c:2:3: error: unterminated comment\n");
}
END_TEST

/* ------------------------------------------------------------ LPC openers */

START_TEST(test_lpc_openers_may_be_spaced_and_scope_is_not_func_open)
{
    EXPECT_LEX("({1}) ([1:2]) (:f:) ( { ( [ ( : f : )\n(\n/* c */{",
               "({ 1 } ) ([ 1 : 2 ] ) (: f :) ({ ([ (: f :) ({", "");
    /* "(::" is '(' then '::' (a parenthesised scope call); "(: ::f :)"
     * is a function pointer to an inherited function. */
    EXPECT_LEX("(::create()) (: ::create :) a ? b : (c)",
               "( :: create ( ) ) (: :: create :) a ? b : ( c )", "");
    /* '::' followed by ')' stays '::' ')'. */
    EXPECT_LEX("a::)", "a :: )", "");
    /* In LPC "([" always opens a mapping. */
    EXPECT_LEX("foo([1])", "foo ([ 1 ] )", "");
}
END_TEST

START_TEST(test_token_locations_are_where_written)
{
    memfile_t files[] = {{"/t.c", "int\tx;\n  y = \"s\"\n\n  z", 0}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    static const int want[][2] = {{1, 1}, {1, 5}, {1, 6}, {2, 3}, {2, 5}, {2, 7}, {4, 3}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const lpc_token_t *t = lpc_lexer_next(lx);
        ck_assert_str_eq(t->loc.file, "/t.c");
        ck_assert_int_eq(t->loc.line, want[i][0]);
        ck_assert_int_eq(t->loc.col, want[i][1]);
    }
    const lpc_token_t *eof = lpc_lexer_next(lx);
    ck_assert_int_eq(eof->kind, LPC_TOK_EOF);
    ck_assert_int_eq(eof->loc.line, 4);
    ck_assert_int_eq(eof->loc.col, 4);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_crlf_line_endings)
{
    EXPECT_LEX("#define A 1\r\nA\r\n#if A\r\nyes\r\n#endif\r\n\"s\"\r\n",
               "1 yes \"s\"", "");
}
END_TEST

START_TEST(test_utf8_byte_order_mark_is_skipped)
{
    memfile_t files[] = {
        {"/t.c", "\xef\xbb\xbf#include \"h.h\"\nx H", 0},
        {"/h.h", "\xef\xbb\xbf#define H h", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    sb_t d = {NULL, 0, 0};
    lpc_lex_options_t o = {mem_read, &fs, collect_diag, &d, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    const lpc_token_t *t = lpc_lexer_next(lx);
    ck_assert_str_eq(t->text, "x");
    ck_assert_int_eq(t->loc.line, 2);
    ck_assert_int_eq(t->loc.col, 1);
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "h");
    ck_assert_int_eq(lpc_lexer_error_count(lx), 0);
    lpc_lexer_close(lx);
    free(fs.opened.s);
    free(d.s);
}
END_TEST

START_TEST(test_default_diagnostics_go_to_stderr)
{
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    fflush(stderr);
    int saved = dup(fileno(stderr));
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(tmp), fileno(stderr)), 0);

    memfile_t files[] = {{"/t.c", "a\n  @\n#warning w\n", 0}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    while (lpc_lexer_next(lx)->kind != LPC_TOK_EOF)
        ;
    lpc_lexer_close(lx);
    lx = lpc_lexer_open("/missing.c", &o);
    lpc_lexer_close(lx);
    free(fs.opened.s);

    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    char buf[512] = {0};
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    ck_assert_str_eq(buf, "/t.c:2:3: error: stray '@' in program\n"
                          "/t.c:3:1: warning: #warning w\n"
                          "/missing.c: error: cannot open source file \"/missing.c\"\n");
}
END_TEST

START_TEST(test_stray_characters_are_errors)
{
    EXPECT_LEX("a @ b ` c \\ d # e ## f\n\x01", "a b c d e f",
               "/w/test.c:1:3: error: stray '@' in program\n"
               "/w/test.c:1:7: error: stray '`' in program\n"
               "/w/test.c:1:11: error: stray '\\' in program\n"
               "/w/test.c:1:15: error: stray '#' in program\n"
               "/w/test.c:1:19: error: stray '##' in program\n"
               "/w/test.c:2:1: error: stray '\\x01' in program\n");
}
END_TEST

/* ------------------------------------------------------------ #include */

START_TEST(test_include_quoted_searches_own_folder_then_include_dirs)
{
    memfile_t files[] = {
        {"/d/main.c", "#include \"a.h\"\n#include \"b.h\"\n#include \"sub/c.h\"\nA B C", 0},
        {"/d/a.h", "#define A local_a", 0},
        {"/include/a.h", "#define A global_a", 0},
        {"/include/b.h", "#define B global_b", 0},
        {"/sys/b.h", "#define B sys_b", 0},
        {"/d/sub/c.h", "#include \"c2.h\"\n", 0},
        {"/d/sub/c2.h", "#define C c2_beside_c", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "local_a global_b c2_beside_c");
    ck_assert_str_eq(r.diags.s, "");
    ck_assert_str_eq(r.opened.s, "/d/main.c\n/d/a.h\n/d/b.h\n/include/b.h\n"
                                 "/d/sub/c.h\n/d/sub/c2.h\n");
    run_free(&r);
}
END_TEST

START_TEST(test_include_angle_searches_only_include_dirs)
{
    memfile_t files[] = {
        {"/d/main.c", "#include <a.h>\n#include <only_sys.h>\nA S", 0},
        {"/d/a.h", "#define A local_a", 0},
        {"/include/a.h", "#define A global_a", 0},
        {"/sys/only_sys.h", "#define S from_sys", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "global_a from_sys");
    ck_assert_str_eq(r.opened.s, "/d/main.c\n/include/a.h\n/include/only_sys.h\n"
                                 "/sys/only_sys.h\n");
    run_free(&r);
}
END_TEST

START_TEST(test_include_paths_are_normalised)
{
    memfile_t files[] = {
        {"/d/e/main.c", "#include \"../x.h\"\n#include \"./../../../y.h\"\n"
                        "#include \"/abs//z.h\"\n#include <sub/../w.h>\nX Y Z W", 0},
        {"/d/x.h", "#define X x", 0},
        {"/y.h", "#define Y y", 0},
        {"/abs/z.h", "#define Z z", 0},
        {"/include/w.h", "#define W w", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "x y z w");
    ck_assert_str_eq(r.diags.s, "");
    run_free(&r);
}
END_TEST

START_TEST(test_include_errors_have_exact_locations)
{
    EXPECT_LEX("a\n  #include \"nope.h\"\nb\n#include <nope.h>\n#include \"unterminated\n"
               "#include\n#include x\n#include \"\"\n#include \"ok.h\" junk\nc",
               "a b c",
               "/w/test.c:2:3: error: cannot open include file \"nope.h\"\n"
               "/w/test.c:4:1: error: cannot open include file \"nope.h\"\n"
               "/w/test.c:5:1: error: missing terminating \" character in #include\n"
               "/w/test.c:6:1: error: #include expects \"FILENAME\" or <FILENAME>\n"
               "/w/test.c:7:1: error: #include expects \"FILENAME\" or <FILENAME>\n"
               "/w/test.c:8:1: error: empty file name in #include\n"
               "/w/test.c:9:17: warning: extra tokens at end of #include directive\n"
               "/w/test.c:9:1: error: cannot open include file \"ok.h\"\n");
}
END_TEST

START_TEST(test_include_of_a_macro_name)
{
    memfile_t files[] = {
        {"/d/main.c", "#define HDR \"h.h\"\n#define SYS <s.h>\n#include HDR\n#include SYS\nH S", 0},
        {"/d/h.h", "#define H from_h", 0},
        {"/include/s.h", "#define S from_s", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "from_h from_s");
    ck_assert_str_eq(r.diags.s, "");
    run_free(&r);
}
END_TEST

START_TEST(test_include_depth_limit_is_reported_once)
{
    memfile_t files[] = {
        {"/d/main.c", "#include \"self.h\"\nend", 0},
        {"/d/self.h", "x\n#include \"self.h\"\n", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.diags.s,
                     "/d/self.h:2:1: error: #include nested too deeply (limit 64)\n");
    /* main + 63 nested copies of self.h, each with one 'x'. */
    sb_t want = {NULL, 0, 0};
    for (int i = 0; i < LPC_LEX_MAX_INCLUDE_DEPTH - 1; i++)
        sb_add(&want, "x ", 2);
    sb_add(&want, "end", 3);
    ck_assert_str_eq(r.toks.s, want.s);
    ck_assert_str_eq(r.files.s, "/d/main.c\n/d/self.h\n");
    free(want.s);
    run_free(&r);
}
END_TEST

START_TEST(test_include_bomb_is_bounded)
{
    /* Each copy includes itself twice: without a cap this would open
     * 2^63 files.  The depth limit and the per-compile file limit stop
     * it, with errors. */
    memfile_t files[] = {
        {"/d/main.c", "#include \"two.h\"\nend", 0},
        {"/d/two.h", "#include \"two.h\"\n#include \"two.h\"\n", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "end");
    ck_assert_ptr_nonnull(strstr(r.diags.s,
                                 "/d/two.h:1:1: error: too many #include files (limit 1024)\n"));
    ck_assert_int_lt(r.errors, 2000);
    run_free(&r);
}
END_TEST

START_TEST(test_source_text_per_compile_is_limited)
{
    /* 40 MiB of blanks, included twice: the second would pass 64 MiB. */
    size_t big = (size_t)40 << 20;
    char *blank = malloc(big);
    ck_assert_ptr_nonnull(blank);
    memset(blank, ' ', big);
    memfile_t files[] = {
        {"/d/main.c", "a\n#include \"big.h\"\nb\n#include \"big.h\"\nc", 0},
        {"/d/big.h", blank, big},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "a b c");
    ck_assert_str_eq(r.diags.s,
                     "/d/main.c:4:1: error: more than 64 MiB of source text in one compile\n");
    run_free(&r);
    free(blank);
}
END_TEST

START_TEST(test_files_read_lists_every_file_once_in_order)
{
    memfile_t files[] = {
        {"/d/main.c", "#include \"a.h\"\n#include \"b.h\"\n#include \"a.h\"\n"
                      "#include \"missing.h\"\n", 0},
        {"/d/a.h", "", 0},
        {"/d/b.h", "#include <c.h>", 0},
        {"/include/c.h", "", 0},
        {"/auto.h", "", 0},
        {NULL, NULL, 0}};
    lpc_lex_options_t o;
    memset(&o, 0, sizeof o);
    o.include_dirs = default_dirs;
    o.auto_include = "/auto.h";
    run_t r;
    run_opts(&r, files, "/d/main.c", &o);
    ck_assert_str_eq(r.files.s, "/d/main.c\n/auto.h\n/d/a.h\n/d/b.h\n/include/c.h\n");
    ck_assert_int_eq(r.errors, 1);
    run_free(&r);
}
END_TEST

START_TEST(test_conditionals_must_close_in_their_own_file)
{
    memfile_t files[] = {
        {"/d/main.c", "#if 1\n#include \"open.h\"\nafter\n#endif\n", 0},
        {"/d/open.h", "inside\n\n  #ifdef NOPE\nhidden\n", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "inside after");
    ck_assert_str_eq(r.diags.s, "/d/open.h:3:3: error: unterminated #ifdef\n");
    run_free(&r);

    memfile_t files2[] = {
        {"/d/main.c", "#if 1\n#include \"close.h\"\nafter\n", 0},
        {"/d/close.h", "#endif\n", 0},
        {NULL, NULL, 0}};
    run_files(&r, files2);
    ck_assert_str_eq(r.toks.s, "after");
    ck_assert_str_eq(r.diags.s, "/d/close.h:1:1: error: #endif without #if\n"
                                "/d/main.c:1:1: error: unterminated #if\n");
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------ #define */

START_TEST(test_object_like_macros)
{
    EXPECT_LEX("#define ONE 1\n#define EMPTY\n#define EXPR (ONE + 2)\n"
               "ONE EMPTY EXPR x ONE2 one",
               "1 ( 1 + 2 ) x ONE2 one", "");
    /* A '(' after a space does not make a macro function-like. */
    EXPECT_LEX("#define P (x) x\nP", "( x ) x", "");
}
END_TEST

START_TEST(test_keywords_can_be_macro_names)
{
    EXPECT_LEX("#define private static\n#define nomask\n#ifdef int\n#else\n#define int float\n#endif\n"
               "private nomask int x;\n#undef int\nint y;",
               "static float x ; int y ;", "");
}
END_TEST

START_TEST(test_function_like_macros_with_nested_parens_and_commas)
{
    EXPECT_LEX("#define F(a, b) [a|b]\n"
               "F(1, 2) F((1, 2), 3) F(g(x, y), ({ 1, 2 })) F(, ) F(([ \"k\": v ]), \"a,b\")\n"
               "F\n(\n1\n,\n2\n)",
               "[ 1 | 2 ] [ ( 1 , 2 ) | 3 ] [ g ( x , y ) | ({ 1 , 2 } ) ] [ | ] "
               "[ ([ \"k\" : v ] ) | \"a,b\" ] [ 1 | 2 ]", "");
    EXPECT_LEX("#define Z() zero\n#define ONE(a) <a>\nZ() ONE() ONE( x )",
               "zero < > < x >", "");
}
END_TEST

START_TEST(test_function_like_macro_name_without_parens_is_an_identifier)
{
    EXPECT_LEX("#define F(x) x\nint F; F + 1; F(2)", "int F ; F + 1 ; 2", "");
}
END_TEST

START_TEST(test_arguments_are_expanded_before_substitution_except_for_hash)
{
    EXPECT_LEX("#define TWO 2\n#define ID(x) x\n#define STR(x) #x\n#define XSTR(x) STR(x)\n"
               "#define CAT(a, b) a ## b\n#define XCAT(a, b) CAT(a, b)\n"
               "ID(TWO) STR(TWO), XSTR(TWO) CAT(TW, O) CAT(TWO, 1) XCAT(TWO, 1) ID(ID(ID(TWO)))",
               "2 \"TWO\" , \"2\" 2 TWO1 21 2", "");
}
END_TEST

START_TEST(test_stringify_spells_the_argument)
{
    EXPECT_LEX("#define S(x) #x\n"
               "S(a), S(  a   +  b  ), S(\"q\\n\"), S('\\''), S(a\n  b), S(), S(1.50)",
               "\"a\" , \"a + b\" , \"\\\"q\\\\n\\\"\" , \"'\\\\''\" , \"a b\" , \"\" , \"1.50\"", "");
}
END_TEST

START_TEST(test_token_pasting)
{
    EXPECT_LEX("#define CAT(a, b) a ## b\n#define CAT3(a, b, c) a ## b ## c\n"
               "#define PFX(x) my_ ## x\n"
               "CAT(foo, bar) CAT(1, 2) CAT(+, =) CAT(, x) CAT(x, ) CAT(, ) "
               "CAT3(a, , c) PFX(name) CAT(<, <=) CAT(-, >)",
               "foobar 12 += x x ac my_name <<= ->", "");
    EXPECT_LEX("#define CAT(a, b) a ## b\nCAT(+, -) CAT(\"a\", \"b\")",
               "+ - \"ab\"",
               "/w/test.c:2:1: error: pasting \"+\" and \"-\" does not give a valid token\n"
               "/w/test.c:2:11: error: pasting \"\"a\"\" and \"\"b\"\" does not give a valid token\n");
    /* A pasted name is a macro name again. */
    EXPECT_LEX("#define CAT(a, b) a ## b\n#define foobar 42\nCAT(foo, bar)", "42", "");
}
END_TEST

START_TEST(test_recursive_macros_stop_at_blue_paint)
{
    EXPECT_LEX("#define x x + 1\n#define a b\n#define b a\n#define f(y) y f\n"
               "#define g(y) g(y + 1)\n"
               "x a b f(1)(2) g(0)",
               "x + 1 a b 1 f ( 2 ) g ( 0 + 1 )", "");
    /* A painted name stays painted when passed on as an argument. */
    EXPECT_LEX("#define ID(z) z\n#define r ID(r)\nr", "r", "");
}
END_TEST

START_TEST(test_expanded_tokens_are_located_at_the_macro_use)
{
    memfile_t files[] = {
        {"/t.c", "#define A(x) (x + y)\n#define B A(q)\n\n   B  A( z )", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    /* B -> A(q) -> (q + y): all at B's use, 4:4 (q too: it was written
     * in B's body, so it takes B's use location). */
    for (int i = 0; i < 5; i++) {
        const lpc_token_t *t = lpc_lexer_next(lx);
        ck_assert_int_eq(t->loc.line, 4);
        ck_assert_int_eq(t->loc.col, 4);
    }
    /* A( z ): the argument keeps where it was written (4:10). */
    static const int cols[] = {7, 10, 7, 7, 7};
    for (int i = 0; i < 5; i++) {
        const lpc_token_t *t = lpc_lexer_next(lx);
        ck_assert_int_eq(t->loc.line, 4);
        ck_assert_int_eq(t->loc.col, cols[i]);
    }
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_macro_invocation_errors)
{
    EXPECT_LEX("#define F(a, b) a b\n#define G() g\nx F(1) y F(1, 2, 3) z G(1) w\nF(1,\n",
               "x y z w",
               "/w/test.c:3:3: error: macro \"F\" expects 2 arguments, but 1 given\n"
               "/w/test.c:3:10: error: macro \"F\" expects 2 arguments, but 3 given\n"
               "/w/test.c:3:23: error: macro \"G\" expects 0 arguments, but 1 given\n"
               "/w/test.c:4:1: error: unterminated argument list invoking macro \"F\"\n");
}
END_TEST

START_TEST(test_define_errors)
{
    EXPECT_LEX("#define\n#define 3 x\n#define defined 1\n#define F(a, a) a\n"
               "#define G(a, ...) a\n#define H(a b) a\n#define I(a\n#define J(a) #b\n"
               "#define K ## x\n#define L x ##\n#define M(1) x\n#define __LINE__ 3\n"
               "#undef __FILE__\n#undef\n#undef 3\nF G H I J K L M",
               "F G H I J K L M",
               "/w/test.c:1:1: error: no macro name given in #define directive\n"
               "/w/test.c:2:9: error: macro names must be identifiers\n"
               "/w/test.c:3:9: error: \"defined\" cannot be used as a macro name\n"
               "/w/test.c:4:14: error: duplicate macro parameter \"a\"\n"
               "/w/test.c:5:14: error: variadic macros are not supported\n"
               "/w/test.c:6:13: error: expected ',' or ')' in macro parameter list, found \"b\"\n"
               "/w/test.c:7:11: error: missing ')' in macro parameter list\n"
               "/w/test.c:8:14: error: '#' is not followed by a macro parameter\n"
               "/w/test.c:9:11: error: '##' cannot appear at either end of a macro expansion\n"
               "/w/test.c:10:13: error: '##' cannot appear at either end of a macro expansion\n"
               "/w/test.c:11:11: error: expected parameter name, found \"1\"\n"
               "/w/test.c:12:9: error: cannot redefine builtin macro \"__LINE__\"\n"
               "/w/test.c:13:8: error: cannot undefine builtin macro \"__FILE__\"\n"
               "/w/test.c:14:1: error: no macro name given in #undef directive\n"
               "/w/test.c:15:8: error: macro names must be identifiers\n");
}
END_TEST

START_TEST(test_macro_parameter_limit)
{
    sb_t src = {NULL, 0, 0};
    sb_add(&src, "#define M(", 10);
    for (int i = 0; i < 256; i++)
        sb_printf(&src, "%sp%d", i ? "," : "", i);
    sb_add(&src, ") x\nM", 6);
    run_t r;
    run_src(&r, src.s);
    ck_assert_str_eq(r.toks.s, "M");
    ck_assert_ptr_nonnull(strstr(r.diags.s, ": error: too many macro parameters (limit 255)\n"));
    ck_assert_int_eq(r.errors, 1);
    run_free(&r);
    free(src.s);
}
END_TEST

START_TEST(test_redefinition_with_a_different_body_warns)
{
    EXPECT_LEX("#define A 1 + 2\n#define A 1 + 2\n#define A  1  +  2 \n#define A 1+2\n"
               "#define F(x) x\n#define F(y) y\n#define G(x) x\n#define G(x) x\nA F(3)",
               "1 + 2 3",
               "/w/test.c:4:9: warning: \"A\" redefined (previous definition at /w/test.c:3)\n"
               "/w/test.c:6:9: warning: \"F\" redefined (previous definition at /w/test.c:5)\n");
}
END_TEST

START_TEST(test_undef_removes_a_macro)
{
    EXPECT_LEX("#define A 1\nA\n#undef A\nA\n#undef A\n#undef NEVER\n#undef A junk\nA",
               "1 A A", "/w/test.c:7:10: warning: extra tokens at end of #undef directive\n");
}
END_TEST

START_TEST(test_directives_inside_macro_arguments_run_in_order)
{
    EXPECT_LEX("#define F(x) [x]\nF(1\n#ifdef NOPE\n2\n#else\n3\n#endif\n)",
               "[ 1 3 ]", "");
}
END_TEST

START_TEST(test_expansion_bomb_is_stopped_with_an_error)
{
    /* G would expand to 10^7 tokens: the compile's expansion budget
     * (2^20 tokens) stops it with one error. */
    memfile_t files[] = {
        {"/t.c", "#define A x x x x x x x x x x\n#define B A A A A A A A A A A\n"
                 "#define C B B B B B B B B B B\n#define D C C C C C C C C C C\n"
                 "#define E D D D D D D D D D D\n#define F E E E E E E E E E E\n"
                 "#define G F F F F F F F F F F\nG;", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    sb_t d = {NULL, 0, 0};
    lpc_lex_options_t o = {mem_read, &fs, collect_diag, &d, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    size_t n = 0;
    while (lpc_lexer_next(lx)->kind != LPC_TOK_EOF)
        n++;
    ck_assert_uint_le(n, 1048576 + 100);
    ck_assert_str_eq(d.s, "/t.c:8:1: error: macro expansion produces too many tokens "
                          "(limit 1048576)\n");
    lpc_lexer_close(lx);
    free(fs.opened.s);
    free(d.s);
}
END_TEST

START_TEST(test_deeply_nested_macro_arguments_are_limited)
{
    sb_t src = {NULL, 0, 0};
    sb_printf(&src, "#define F(x) x\n");
    for (int i = 0; i < 300; i++)
        sb_add(&src, "F(", 2);
    sb_add(&src, "1", 1);
    for (int i = 0; i < 300; i++)
        sb_add(&src, ")", 1);
    run_t r;
    run_src(&r, src.s);
    /* Past the limit the arguments stay unexpanded: an error, no crash. */
    ck_assert_int_eq(r.errors, 1);
    ck_assert_str_eq(r.diags.s,
                     "/w/test.c:2:401: error: macro arguments nested too deeply (limit 200)\n");
    run_free(&r);
    free(src.s);
}
END_TEST

/* ------------------------------------------------------------ conditionals */

/* "#if EXPR" must choose the branch `want`. */
static void expect_if(const char *expr, bool want)
{
    char src[512];
    snprintf(src, sizeof src,
             "#define TWO 2\n#define EMPTY\n#define F(x) (x * 10)\n"
             "#if %s\nyes\n#else\nno\n#endif\n", expr);
    run_t r;
    run_src(&r, src);
    ck_assert_msg(strcmp(r.toks.s, want ? "yes" : "no") == 0,
                  "#if %s gave \"%s\"", expr, r.toks.s);
    ck_assert_msg(strcmp(r.diags.s, "") == 0, "#if %s: %s", expr, r.diags.s);
    run_free(&r);
}

START_TEST(test_if_expressions_follow_c_rules)
{
    static const struct { const char *expr; bool want; } cases[] = {
        {"1", true}, {"0", false}, {"1 + 2 * 3 == 7", true}, {"(1 + 2) * 3 == 9", true},
        {"10 / 3 == 3 && 10 % 3 == 1", true}, {"-7 / 2 == -3", true},
        {"1 << 4 == 16 && 256 >> 4 == 16", true}, {"-16 >> 2 == -4", true},
        {"(5 & 3) == 1 && (5 | 3) == 7 && (5 ^ 3) == 6", true},
        {"~0 == -1 && !0 && !5 == 0", true}, {"1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3", true},
        {"1 != 1", false}, {"0 || 0", false}, {"0 || 3", true},
        {"1 ? 0 : 1", false}, {"0 ? 0 : 1 ? 1 : 0", true}, {"(1 ? 2 : 3) == 2", true},
        {"1 - 2 - 3 == -4", true}, {"2 * 3 % 4 == 2", true},
        {"UNDEFINED", false}, {"UNDEFINED == 0", true}, {"int", false},
        {"TWO == 2", true}, {"F(TWO) == 20", true}, {"F(1 + 1) == 11", true},
        {"defined TWO", true}, {"defined(TWO)", true}, {"defined ( TWO )", true},
        {"defined NOPE", false}, {"!defined(NOPE) && defined EMPTY", true},
        {"defined(F) && !defined(x)", true}, {"defined __FILE__", true},
        {"'a' == 97", true}, {"0x10 == 16 && 0b11 == 3", true},
        {"9223372036854775807 + 1 < 0", true},
        {"(-9223372036854775807 - 1) / -1 < 0", true},
        {"1 << 64 == 0 && 1 << -1 == 0", true},
        {"0 && 1 / 0", false}, {"1 || 1 % 0", true}, {"0 ? 1 / 0 : 1", true},
        {"__LINE__ == 4", true}, {"__NEOLITH__", true}, {"__NO_SHADOWS__", true},
        {"__NO_BUFFER_TYPE__ && __NO_CLASSES__", true},
        {"EMPTY 1", true}, {"+1", true}, {"- -1 == 1", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_if(cases[i].expr, cases[i].want);
}
END_TEST

START_TEST(test_if_expression_errors_make_the_condition_false)
{
    EXPECT_LEX("#if\na\n#endif\n#if 1 +\nb\n#endif\n#if (1\nc\n#endif\n#if 1.5\nd\n#endif\n"
               "#if \"s\"\ne\n#endif\n#if defined\nf\n#endif\n#if defined(X\ng\n#endif\n"
               "#if 1 2\nh\n#endif\n#if 1 / 0\ni\n#endif\n#if 1 ? 2\nj\n#endif\n"
               "#if 1 = 1\nk\n#endif\n#if 1 ) \nl\n#endif\nend",
               "end",
               "/w/test.c:1:1: error: #if with no expression\n"
               "/w/test.c:4:8: error: expected a value in #if expression, found \"end of line\"\n"
               "/w/test.c:7:7: error: missing ')' in #if expression\n"
               "/w/test.c:10:5: error: floating constant in #if expression\n"
               "/w/test.c:13:5: error: string literal in #if expression\n"
               "/w/test.c:16:5: error: operator \"defined\" requires an identifier\n"
               "/w/test.c:19:14: error: missing ')' after \"defined\"\n"
               "/w/test.c:22:7: error: unexpected \"2\" in #if expression\n"
               "/w/test.c:25:7: error: division by zero in #if\n"
               "/w/test.c:28:10: error: expected ':' in #if expression, found \"end of line\"\n"
               "/w/test.c:31:7: error: unexpected \"=\" in #if expression\n"
               "/w/test.c:34:7: error: unexpected \")\" in #if expression\n");
}
END_TEST

START_TEST(test_ifdef_ifndef_elif_else_chains)
{
    EXPECT_LEX("#define A\n"
               "#ifdef A\na1\n#else\na2\n#endif\n"
               "#ifndef A\nb1\n#else\nb2\n#endif\n"
               "#if 0\nc1\n#elif 0\nc2\n#elif 1\nc3\n#elif 1\nc4\n#else\nc5\n#endif\n"
               "#if 0\nd1\n#elif 0\nd2\n#else\nd3\n#endif\n"
               "#if 1\ne1\n#elif 1 / 0\ne2\n#else\ne3\n#endif\n"
               "#ifdef B\n#elif defined A\nf\n#endif",
               "a1 b2 c3 d3 e1 f", "");
}
END_TEST

START_TEST(test_false_branches_are_skipped_but_nesting_is_tracked)
{
    EXPECT_LEX("#if 0\n"
               "  # if garbage (((\n"
               "#  error hidden\n"
               "   #include \"nope.h\"\n"
               "#unknown_directive\n"
               "don't \"unterminated\n"
               "/* #endif inside a comment\n#endif */\n"
               "x = \"#endif in a string\";\n"
               "#  else\n"
               "#  elif 1 / 0\n"
               "# endif\n"
               "#define HIDDEN 1\n"
               "#else\n"
               "shown HIDDEN\n"
               "#endif\n"
               "#ifdef HIDDEN\nno\n#endif\nend",
               "shown HIDDEN end", "");
}
END_TEST

START_TEST(test_conditional_structure_errors)
{
    EXPECT_LEX("#else\n#endif\n#elif 1\n#if 1\n#else\n#else\n#elif 1\n#endif\n"
               "#ifdef\n#endif\n#ifdef 3\n#endif\n#ifdef A B\n#endif\n#if 0\n#else junk\n#endif junk\n"
               "\n #if 1\n#ifndef A\nend",
               "end",
               "/w/test.c:1:1: error: #else without #if\n"
               "/w/test.c:2:1: error: #endif without #if\n"
               "/w/test.c:3:1: error: #elif without #if\n"
               "/w/test.c:6:1: error: #else after #else\n"
               "/w/test.c:7:1: error: #elif after #else\n"
               "/w/test.c:9:1: error: no macro name given in #ifdef directive\n"
               "/w/test.c:11:8: error: macro names must be identifiers\n"
               "/w/test.c:13:10: warning: extra tokens at end of #ifdef directive\n"
               "/w/test.c:16:7: warning: extra tokens at end of #else directive\n"
               "/w/test.c:17:8: warning: extra tokens at end of #endif directive\n"
               "/w/test.c:19:2: error: unterminated #if\n"
               "/w/test.c:20:1: error: unterminated #ifndef\n");
}
END_TEST

/* ------------------------------------------------------------ other directives */

START_TEST(test_error_and_warning_directives)
{
    EXPECT_LEX("a\n  #error Stop: don't \"go\" // c\n#warning  careful /* x */ now  \n#error\n"
               "#warn short\nb",
               "a b",
               "/w/test.c:2:3: error: #error Stop: don't \"go\"\n"
               "/w/test.c:3:1: warning: #warning careful   now\n"
               "/w/test.c:4:1: error: #error\n"
               "/w/test.c:5:1: warning: #warning short\n");
    run_t r;
    run_src(&r, "#error x\n#warning y\n");
    ck_assert_int_eq(r.errors, 1);
    ck_assert_int_eq(r.warnings, 1);
    run_free(&r);
}
END_TEST

START_TEST(test_pragmas_known_silent_unknown_warn)
{
    EXPECT_LEX("#pragma strict_types\n#pragma save_types, warnings\n#pragma optimize\n"
               "#pragma no_warnings\n#pragma bogus\n#pragma warnings\n#pragma save_binary, bogus2\n"
               "#pragma\n#pragma 3\n#pragma a b\nx",
               "x",
               "/w/test.c:7:22: warning: unknown pragma \"bogus2\"\n"
               "/w/test.c:8:1: warning: #pragma with no name\n"
               "/w/test.c:9:9: warning: malformed #pragma: expected a name, found \"3\"\n"
               "/w/test.c:10:9: warning: unknown pragma \"a\"\n"
               "/w/test.c:10:11: warning: malformed #pragma: expected ',', found \"b\"\n");
}
END_TEST

START_TEST(test_pragma_state_is_queryable_and_no_warnings_silences)
{
    memfile_t files[] = {
        {"/t.c", "#pragma strict_types\na\n#pragma no_strict_types, no_warnings\n"
                 "b \"\\q\"\n#pragma warnings\nc", 0},
        {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    sb_t d = {NULL, 0, 0};
    lpc_lex_options_t o = {mem_read, &fs, collect_diag, &d, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    ck_assert(!lpc_lexer_pragma(lx, "strict_types"));
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "a");
    ck_assert(lpc_lexer_pragma(lx, "strict_types"));
    ck_assert(!lpc_lexer_pragma(lx, "save_types"));
    ck_assert(!lpc_lexer_pragma(lx, "never_heard_of_it"));
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "b");
    ck_assert(!lpc_lexer_pragma(lx, "strict_types"));
    ck_assert(lpc_lexer_pragma(lx, "no_strict_types"));
    /* Warnings (the lexer's and the parser's) are off here. */
    lpc_lexer_diag(lx, LPC_DIAG_WARNING, NULL, "parser warning %d", 1);
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_STRING);
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "c");
    ck_assert_int_eq(lpc_lexer_warning_count(lx), 0);
    lpc_srcloc_t loc = {"/t.c", 6, 1};
    lpc_lexer_diag(lx, LPC_DIAG_WARNING, &loc, "parser warning %d", 2);
    lpc_lexer_diag(lx, LPC_DIAG_ERROR, &loc, "parser error %s", "x");
    ck_assert_int_eq(lpc_lexer_warning_count(lx), 1);
    ck_assert_int_eq(lpc_lexer_error_count(lx), 1);
    ck_assert_str_eq(d.s, "/t.c:6:1: warning: parser warning 2\n"
                          "/t.c:6:1: error: parser error x\n");
    lpc_lexer_close(lx);
    free(fs.opened.s);
    free(d.s);
}
END_TEST

START_TEST(test_unknown_and_null_directives)
{
    EXPECT_LEX("#\n# \n#foo bar\n#line 3\n# 12 \"x\"\na # not a directive",
               "a not a directive",
               "/w/test.c:3:1: error: unknown directive #foo\n"
               "/w/test.c:4:1: error: unknown directive #line\n"
               "/w/test.c:5:1: error: invalid directive \"#12\"\n"
               "/w/test.c:6:3: error: stray '#' in program\n");
}
END_TEST

START_TEST(test_directive_lines_continue_after_backslash_newline)
{
    EXPECT_LEX("#define LONG 1 + \\\n  2\nLONG\n#if LONG == \\\n3\nyes\n#endif\nx",
               "1 + 2 yes x", "");
}
END_TEST

/* ------------------------------------------------------------ predefined macros */

START_TEST(test_file_line_dir_follow_the_current_file)
{
    memfile_t files[] = {
        {"/d/e/main.c", "__FILE__ __LINE__ __DIR__;\n#include <inc.h>\n"
                        "#define WHERE __FILE__ : __LINE__\n\n  WHERE", 0},
        {"/include/inc.h", "\n__FILE__ __LINE__ __DIR__ WHERE\n", 0},
        {"/top.c", "__DIR__", 0},
        {NULL, NULL, 0}};
    run_t r;
    run_files(&r, files);
    ck_assert_str_eq(r.toks.s, "\"/d/e/main.c\" 1 \"/d/e/\" ; "
                               "\"/include/inc.h\" 2 \"/include/\" WHERE "
                               "\"/d/e/main.c\" : 5");
    run_free(&r);
    run_opts(&r, files, "top.c", NULL);
    ck_assert_str_eq(r.toks.s, "\"/\"");
    run_free(&r);
}
END_TEST

START_TEST(test_version_and_feature_predefines)
{
    EXPECT_LEX("__VERSION__ __NEOLITH__ __NO_SHADOWS__ __NO_BUFFER_TYPE__ __NO_CLASSES__ "
               "__SENSIBLE_MODIFIERS__",
               "\"neolith " PACKAGE_VERSION "\" 1 1 1 1 1", "");
}
END_TEST

START_TEST(test_caller_defines)
{
    static const char *const defs[] = {"FOO", "BAR=2 + 3", "__VERSION__=\"custom\"",
                                       "MULTI=a\nb", NULL};
    memfile_t files[] = {{"/t.c", "FOO BAR __VERSION__ MULTI", 0}, {NULL, NULL, 0}};
    lpc_lex_options_t o;
    memset(&o, 0, sizeof o);
    o.defines = defs;
    run_t r;
    run_opts(&r, files, "/t.c", &o);
    ck_assert_str_eq(r.toks.s, "1 2 + 3 \"custom\" a b");
    ck_assert_str_eq(r.diags.s, "");
    run_free(&r);
}
END_TEST

START_TEST(test_auto_include_is_read_first)
{
    memfile_t files[] = {
        {"/d/main.c", "first AUTO __FILE__", 0},
        {"/secure/auto.h", "#define AUTO from_auto\nauto_token __FILE__\n#include \"near.h\"", 0},
        {"/secure/near.h", "near", 0},
        {NULL, NULL, 0}};
    lpc_lex_options_t o;
    memset(&o, 0, sizeof o);
    o.auto_include = "/secure/auto.h";
    run_t r;
    run_opts(&r, files, "/d/main.c", &o);
    ck_assert_str_eq(r.toks.s, "auto_token \"/secure/auto.h\" near first from_auto \"/d/main.c\"");
    ck_assert_str_eq(r.files.s, "/d/main.c\n/secure/auto.h\n/secure/near.h\n");
    run_free(&r);

    o.auto_include = "/missing.h";
    run_opts(&r, files, "/d/main.c", &o);
    ck_assert_str_eq(r.toks.s, "first AUTO \"/d/main.c\"");
    ck_assert_str_eq(r.diags.s, "/missing.h:0:0: error: cannot open auto-include file \"/missing.h\"\n");
    run_free(&r);
}
END_TEST

START_TEST(test_missing_source_file_gives_eof_and_an_error)
{
    memfile_t files[] = {{"/other.c", "x", 0}, {NULL, NULL, 0}};
    run_t r;
    run_opts(&r, files, "/nope.c", NULL);
    ck_assert_str_eq(r.toks.s, "");
    ck_assert_str_eq(r.diags.s, "/nope.c:0:0: error: cannot open source file \"/nope.c\"\n");
    ck_assert_int_eq(r.errors, 1);
    ck_assert_str_eq(r.files.s, "");
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------ the parser's view */

START_TEST(test_peek_looks_ahead_without_consuming)
{
    memfile_t files[] = {{"/t.c", "a \"x\" \"y\" ( { b c d e", 0}, {NULL, NULL, 0}};
    memfs_t fs = {files, {NULL, 0, 0}};
    lpc_lex_options_t o = {mem_read, &fs, NULL, NULL, NULL, NULL, NULL};
    lpc_lexer_t *lx = lpc_lexer_open("/t.c", &o);
    ck_assert_str_eq(lpc_lexer_peek(lx, 0)->text, "a");
    ck_assert_int_eq(lpc_lexer_peek(lx, 1)->kind, LPC_TOK_STRING);
    ck_assert_str_eq(lpc_lexer_peek(lx, 1)->text, "xy");
    ck_assert_int_eq(lpc_lexer_peek(lx, 2)->kind, LPC_TOK_ARRAY_OPEN);
    ck_assert_str_eq(lpc_lexer_peek(lx, 3)->text, "b");
    const lpc_token_t *a = lpc_lexer_next(lx);
    ck_assert_str_eq(a->text, "a");
    const lpc_token_t *s = lpc_lexer_next(lx);
    /* The previous token is still valid after one more next(). */
    ck_assert_str_eq(a->text, "a");
    ck_assert_int_eq(a->kind, LPC_TOK_IDENT);
    ck_assert_str_eq(s->text, "xy");
    ck_assert_str_eq(lpc_lexer_peek(lx, 3)->text, "d");
    ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_ARRAY_OPEN);
    ck_assert_str_eq(s->text, "xy");
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "b");
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "c");
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "d");
    ck_assert_str_eq(lpc_lexer_peek(lx, 0)->text, "e");
    ck_assert_int_eq(lpc_lexer_peek(lx, 1)->kind, LPC_TOK_EOF);
    ck_assert_int_eq(lpc_lexer_peek(lx, 3)->kind, LPC_TOK_EOF);
    ck_assert_str_eq(lpc_lexer_next(lx)->text, "e");
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(lpc_lexer_next(lx)->kind, LPC_TOK_EOF);
    lpc_lexer_close(lx);
    free(fs.opened.s);
}
END_TEST

START_TEST(test_lexing_continues_after_errors)
{
    EXPECT_LEX("int a = 'xy';\n@ string s = \"abc\nint b = 0x;\n#bogus\nint c = 1;",
               "int a = 0 ; string s = \"abc\" int b = 0 ; int c = 1 ;",
               "/w/test.c:1:9: error: multi-character character constant\n"
               "/w/test.c:2:1: error: stray '@' in program\n"
               "/w/test.c:2:14: error: unterminated string\n"
               "/w/test.c:3:9: error: hexadecimal constant has no digits\n"
               "/w/test.c:4:1: error: unknown directive #bogus\n");
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *lpc_lex_suite(void)
{
    Suite *s = suite_create("lpc_lex");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, test_every_operator_and_punctuation_token);
    tcase_add_test(tc, test_maximal_munch_splits_operator_runs);
    tcase_add_test(tc, test_every_keyword_and_near_misses_are_identifiers);
    tcase_add_test(tc, test_identifiers_are_interned_to_one_pointer);
    tcase_add_test(tc, test_integers_decimal_hex_binary_and_leading_zero_is_decimal);
    tcase_add_test(tc, test_integer_64_bit_limits_and_overflow_errors);
    tcase_add_test(tc, test_malformed_numbers_are_errors_and_lexing_continues);
    tcase_add_test(tc, test_floats_and_ranges);
    tcase_add_test(tc, test_dollar_digits_is_dollar_then_int);
    tcase_add_test(tc, test_character_constants_are_ints);
    tcase_add_test(tc, test_bad_character_constants_are_errors);
    tcase_add_test(tc, test_string_escapes_decode_to_bytes);
    tcase_add_test(tc, test_bad_escapes);
    tcase_add_test(tc, test_strings_may_hold_any_byte);
    tcase_add_test(tc, test_unterminated_string_ends_at_end_of_line);
    tcase_add_test(tc, test_backslash_newline_continues_a_string);
    tcase_add_test(tc, test_adjacent_strings_are_joined);
    tcase_add_test(tc, test_comments_are_skipped_and_lines_counted);
    tcase_add_test(tc, test_unterminated_block_comment_is_an_error);
    tcase_add_test(tc, test_lpc_openers_may_be_spaced_and_scope_is_not_func_open);
    tcase_add_test(tc, test_token_locations_are_where_written);
    tcase_add_test(tc, test_crlf_line_endings);
    tcase_add_test(tc, test_stray_characters_are_errors);
    tcase_add_test(tc, test_utf8_byte_order_mark_is_skipped);
    tcase_add_test(tc, test_default_diagnostics_go_to_stderr);
    tcase_add_test(tc, test_peek_looks_ahead_without_consuming);
    tcase_add_test(tc, test_lexing_continues_after_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("include");
    tcase_add_test(tc, test_include_quoted_searches_own_folder_then_include_dirs);
    tcase_add_test(tc, test_include_angle_searches_only_include_dirs);
    tcase_add_test(tc, test_include_paths_are_normalised);
    tcase_add_test(tc, test_include_errors_have_exact_locations);
    tcase_add_test(tc, test_include_of_a_macro_name);
    tcase_add_test(tc, test_include_depth_limit_is_reported_once);
    tcase_add_test(tc, test_include_bomb_is_bounded);
    tcase_add_test(tc, test_source_text_per_compile_is_limited);
    tcase_add_test(tc, test_files_read_lists_every_file_once_in_order);
    tcase_add_test(tc, test_conditionals_must_close_in_their_own_file);
    tcase_add_test(tc, test_auto_include_is_read_first);
    tcase_add_test(tc, test_missing_source_file_gives_eof_and_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("macros");
    tcase_add_test(tc, test_object_like_macros);
    tcase_add_test(tc, test_keywords_can_be_macro_names);
    tcase_add_test(tc, test_function_like_macros_with_nested_parens_and_commas);
    tcase_add_test(tc, test_function_like_macro_name_without_parens_is_an_identifier);
    tcase_add_test(tc, test_arguments_are_expanded_before_substitution_except_for_hash);
    tcase_add_test(tc, test_stringify_spells_the_argument);
    tcase_add_test(tc, test_token_pasting);
    tcase_add_test(tc, test_recursive_macros_stop_at_blue_paint);
    tcase_add_test(tc, test_expanded_tokens_are_located_at_the_macro_use);
    tcase_add_test(tc, test_macro_invocation_errors);
    tcase_add_test(tc, test_define_errors);
    tcase_add_test(tc, test_macro_parameter_limit);
    tcase_add_test(tc, test_redefinition_with_a_different_body_warns);
    tcase_add_test(tc, test_undef_removes_a_macro);
    tcase_add_test(tc, test_directives_inside_macro_arguments_run_in_order);
    tcase_add_test(tc, test_expansion_bomb_is_stopped_with_an_error);
    tcase_add_test(tc, test_deeply_nested_macro_arguments_are_limited);
    tcase_add_test(tc, test_file_line_dir_follow_the_current_file);
    tcase_add_test(tc, test_version_and_feature_predefines);
    tcase_add_test(tc, test_caller_defines);
    suite_add_tcase(s, tc);

    tc = tcase_create("directives");
    tcase_add_test(tc, test_if_expressions_follow_c_rules);
    tcase_add_test(tc, test_if_expression_errors_make_the_condition_false);
    tcase_add_test(tc, test_ifdef_ifndef_elif_else_chains);
    tcase_add_test(tc, test_false_branches_are_skipped_but_nesting_is_tracked);
    tcase_add_test(tc, test_conditional_structure_errors);
    tcase_add_test(tc, test_error_and_warning_directives);
    tcase_add_test(tc, test_pragmas_known_silent_unknown_warn);
    tcase_add_test(tc, test_pragma_state_is_queryable_and_no_warnings_silences);
    tcase_add_test(tc, test_unknown_and_null_directives);
    tcase_add_test(tc, test_directive_lines_continue_after_backslash_newline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lpc_lex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
