/*
 * check_lpc_parse.c - the LPC parser (lib/lpc/lpc_parse.h): the AST it
 * builds (precedence, postfix forms, declarations, function pointers)
 * and its syntax errors, each checked as the exact
 * "FILE:LINE:COL: error: message" line, plus recovery after an error.
 *
 * Sources come from an in-memory reader; diagnostics are collected.
 */
#include "config.h"
#include "lpc/lpc_ast.h"
#include "lpc/lpc_lex.h"
#include "lpc/lpc_parse.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ harness */

static const char *source_text;
static char diags[8192];
static int ndiags;

static char *read_source(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    if (strcmp(path, "/t.c") != 0 || source_text == NULL)
        return NULL;
    size_t n = strlen(source_text);
    char *buf = malloc(n + 1);
    memcpy(buf, source_text, n + 1);
    *len = n;
    return buf;
}

static void collect(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                    const char *message)
{
    (void)ctx;
    size_t used = strlen(diags);
    snprintf(diags + used, sizeof diags - used, "%s:%d:%d: %s: %s\n",
             loc != NULL && loc->file ? loc->file : "?", loc ? loc->line : 0,
             loc ? loc->col : 0, sev == LPC_DIAG_ERROR ? "error" : "warning", message);
    ndiags++;
}

typedef struct parsed {
    lpc_lexer_t *lx;
    lpc_ast_t ast;
    int errors;
} parsed_t;

static void parse(parsed_t *p, const char *src)
{
    source_text = src;
    diags[0] = '\0';
    ndiags = 0;
    lpc_lex_options_t o;
    memset(&o, 0, sizeof o);
    o.read_file = read_source;
    o.diag = collect;
    memset(p, 0, sizeof *p);
    p->lx = lpc_lexer_open("/t.c", &o);
    ck_assert_ptr_nonnull(p->lx);
    p->errors = lpc_parse(p->lx, &p->ast);
}

static void done(parsed_t *p)
{
    lpc_ast_free(&p->ast);
    lpc_lexer_close(p->lx);
}

/* Parses src, expecting exactly the diagnostic text `want`. */
static void expect_errors(const char *src, const char *want)
{
    parsed_t p;
    parse(&p, src);
    ck_assert_str_eq(diags, want);
    ck_assert_int_gt(p.errors, 0);
    done(&p);
}

/* The body statements of the first function. */
static lpc_node_t *first_body(parsed_t *p)
{
    lpc_node_t *f = p->ast.decls;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->kind, LPC_N_FUNCTION);
    ck_assert_ptr_nonnull(f->b);
    return f->b->a;
}

/* The expression of "return EXPR;" as the first statement. */
static lpc_node_t *returned(parsed_t *p, const char *expr)
{
    static char src[1024];
    snprintf(src, sizeof src, "mixed f(mixed a, mixed b, mixed c) { return %s; }", expr);
    parse(p, src);
    ck_assert_msg(p->errors == 0, "errors for %s: %s", expr, diags);
    lpc_node_t *s = first_body(p);
    ck_assert_int_eq(s->kind, LPC_N_RETURN);
    return s->a;
}

/* ------------------------------------------------------------ AST shape */

START_TEST(test_binary_operators_follow_c_precedence)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "a + b * c");
    ck_assert_int_eq(e->kind, LPC_N_BINARY);
    ck_assert_int_eq(e->op, LPC_TOK_PLUS);
    ck_assert_int_eq(e->b->kind, LPC_N_BINARY);
    ck_assert_int_eq(e->b->op, LPC_TOK_STAR);
    done(&p);

    e = returned(&p, "a << b + c");
    ck_assert_int_eq(e->op, LPC_TOK_SHL);
    ck_assert_int_eq(e->b->op, LPC_TOK_PLUS);
    done(&p);

    e = returned(&p, "a & b == c");
    ck_assert_int_eq(e->op, LPC_TOK_AMP);
    ck_assert_int_eq(e->b->op, LPC_TOK_EQ);
    done(&p);

    e = returned(&p, "a || b && c");
    ck_assert_int_eq(e->kind, LPC_N_LOR);
    ck_assert_int_eq(e->b->kind, LPC_N_LAND);
    done(&p);

    /* left associative */
    e = returned(&p, "a - b - c");
    ck_assert_int_eq(e->op, LPC_TOK_MINUS);
    ck_assert_int_eq(e->a->kind, LPC_N_BINARY);
    ck_assert_int_eq(e->b->kind, LPC_N_IDENT);
    done(&p);
}
END_TEST

START_TEST(test_assignment_and_conditional_are_right_associative)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "a = b += c");
    ck_assert_int_eq(e->kind, LPC_N_ASSIGN);
    ck_assert_int_eq(e->op, LPC_TOK_ASSIGN);
    ck_assert_int_eq(e->b->kind, LPC_N_ASSIGN);
    ck_assert_int_eq(e->b->op, LPC_TOK_ADD_ASSIGN);
    done(&p);

    e = returned(&p, "a ? b : c ? 1 : 2");
    ck_assert_int_eq(e->kind, LPC_N_COND);
    ck_assert_int_eq(e->c->kind, LPC_N_COND);
    done(&p);
}
END_TEST

START_TEST(test_index_ranges_and_reverse_positions)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "a[<1]");
    ck_assert_int_eq(e->kind, LPC_N_INDEX);
    ck_assert(e->flags & LPC_NF_REVERSE);
    done(&p);

    e = returned(&p, "a[1..<2]");
    ck_assert_int_eq(e->kind, LPC_N_RANGE);
    ck_assert(!(e->flags & LPC_NF_LO_REVERSE));
    ck_assert(e->flags & LPC_NF_HI_REVERSE);
    ck_assert_ptr_nonnull(e->b);
    ck_assert_ptr_nonnull(e->c);
    done(&p);

    e = returned(&p, "a[<3..]");
    ck_assert_int_eq(e->kind, LPC_N_RANGE);
    ck_assert(e->flags & LPC_NF_LO_REVERSE);
    ck_assert_ptr_null(e->c);
    done(&p);

    e = returned(&p, "a[..2]");
    ck_assert_int_eq(e->kind, LPC_N_RANGE);
    ck_assert_ptr_null(e->b);
    done(&p);
}
END_TEST

START_TEST(test_calls_scoped_calls_and_call_other)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "::create()");
    ck_assert_int_eq(e->kind, LPC_N_CALL);
    ck_assert_str_eq(e->text, "");
    ck_assert_str_eq(e->name, "create");
    done(&p);

    e = returned(&p, "room::init(1, 2)");
    ck_assert_str_eq(e->text, "room");
    ck_assert_str_eq(e->name, "init");
    ck_assert_int_eq(lpc_ast_list_length(e->a), 2);
    done(&p);

    e = returned(&p, "efun::write(1)");
    ck_assert_str_eq(e->text, "efun");
    done(&p);

    e = returned(&p, "a->query(1)->name()");
    ck_assert_int_eq(e->kind, LPC_N_CALL_OTHER);
    ck_assert_str_eq(e->name, "name");
    ck_assert_int_eq(e->a->kind, LPC_N_CALL_OTHER);
    ck_assert_str_eq(e->a->name, "query");
    done(&p);

    e = returned(&p, "sscanf(a, \"%d\", b)");
    ck_assert_int_eq(e->kind, LPC_N_CALL);
    ck_assert_str_eq(e->name, "sscanf");
    done(&p);
}
END_TEST

START_TEST(test_literals_casts_and_catch)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "({ 1, 2, 3, })");
    ck_assert_int_eq(e->kind, LPC_N_ARRAY);
    ck_assert_int_eq(lpc_ast_list_length(e->a), 3);
    done(&p);

    e = returned(&p, "([ \"a\": 1, \"b\": 2 ])");
    ck_assert_int_eq(e->kind, LPC_N_MAPPING);
    ck_assert_int_eq(lpc_ast_list_length(e->a), 4);
    done(&p);

    e = returned(&p, "(string *)a");
    ck_assert_int_eq(e->kind, LPC_N_CAST);
    ck_assert_int_eq(e->type, LPC_DTYPE(LPC_DT_STRING, 1));
    done(&p);

    e = returned(&p, "catch(a(1))");
    ck_assert_int_eq(e->kind, LPC_N_CATCH);
    done(&p);

    e = returned(&p, "(a)");
    ck_assert_int_eq(e->kind, LPC_N_IDENT);
    ck_assert(e->flags & LPC_NF_PARENS);
    done(&p);
}
END_TEST

START_TEST(test_function_pointer_forms)
{
    parsed_t p;
    lpc_node_t *e = returned(&p, "(: foo :)");
    ck_assert_int_eq(e->kind, LPC_N_FUNCPTR);
    ck_assert_str_eq(e->name, "foo");
    ck_assert_ptr_null(e->a);
    done(&p);

    e = returned(&p, "(: foo, 1, \"x\" :)");
    ck_assert_int_eq(e->kind, LPC_N_FUNCPTR);
    ck_assert_int_eq(lpc_ast_list_length(e->a), 2);
    done(&p);

    e = returned(&p, "(: $1 + $3 :)");
    ck_assert_int_eq(e->kind, LPC_N_CLOSURE);
    ck_assert_int_eq(e->i, 3);
    done(&p);

    e = returned(&p, "(: $(a) + $1 :)");
    ck_assert_int_eq(e->kind, LPC_N_CLOSURE);
    ck_assert_int_eq(e->b->a->a->kind, LPC_N_DOLLAR_EXPR);
    done(&p);

    e = returned(&p, "function(int x, string) { return x; }");
    ck_assert_int_eq(e->kind, LPC_N_CLOSURE);
    ck_assert_int_eq(e->i, -1);
    ck_assert_int_eq(lpc_ast_list_length(e->a), 2);
    ck_assert_ptr_null(e->a->next->name);
    done(&p);
}
END_TEST

START_TEST(test_declarations_record_types_and_modifiers)
{
    parsed_t p;
    parse(&p, "inherit \"/std/room\";\n"
              "inherit base \"/std/base.c\";\n"
              "private nosave int *a, b = 2;\n"
              "varargs static string f(int x, mixed *rest...);\n"
              "old_style() { }\n");
    ck_assert_msg(p.errors == 0, "%s", diags);
    lpc_node_t *d = p.ast.decls;
    ck_assert_int_eq(d->kind, LPC_N_INHERIT);
    ck_assert_ptr_null(d->name);
    d = d->next;
    ck_assert_int_eq(d->kind, LPC_N_INHERIT);
    ck_assert_str_eq(d->name, "base");
    d = d->next;
    ck_assert_int_eq(d->kind, LPC_N_GLOBAL);
    ck_assert_str_eq(d->name, "a");
    ck_assert_int_eq(d->type, LPC_DTYPE(LPC_DT_INT, 1));
    ck_assert_int_eq(d->mods, LPC_MOD_PRIVATE | LPC_MOD_NOSAVE);
    d = d->next;
    ck_assert_str_eq(d->name, "b");
    ck_assert_int_eq(d->type, LPC_DTYPE(LPC_DT_INT, 0));
    ck_assert_ptr_nonnull(d->b);
    d = d->next;
    ck_assert_int_eq(d->kind, LPC_N_FUNCTION);
    ck_assert_ptr_null(d->b);                       /* prototype */
    ck_assert_int_eq(d->mods, LPC_MOD_VARARGS | LPC_MOD_STATIC);
    ck_assert(d->a->next->flags & LPC_NF_ELLIPSIS);
    d = d->next;
    ck_assert_int_eq(d->kind, LPC_N_FUNCTION);
    ck_assert_str_eq(d->name, "old_style");
    ck_assert_ptr_nonnull(d->b);
    done(&p);
}
END_TEST

START_TEST(test_statements_parse)
{
    parsed_t p;
    parse(&p, "void f(mixed m) {\n"
              "  int i, j = 1;\n"
              "  for (int k = 0; k < 3; k++) ;\n"
              "  foreach (string key, mixed v in m) continue;\n"
              "  foreach (i in ({ 1 })) break;\n"
              "  switch (i) { case 1..2: case 'a': break; default: }\n"
              "  do i++; while (i < 10);\n"
              "  while (0) ;\n"
              "  if (i) { } else ;\n"
              "  return;\n"
              "}\n");
    ck_assert_msg(p.errors == 0, "%s", diags);
    lpc_node_t *s = first_body(&p);
    ck_assert_int_eq(s->kind, LPC_N_BLOCK);       /* the declaration group */
    ck_assert_int_eq(s->next->kind, LPC_N_FOR);
    ck_assert_int_eq(s->next->next->kind, LPC_N_FOREACH);
    ck_assert_int_eq(s->next->next->a->kind, LPC_N_DECL);
    ck_assert_int_eq(s->next->next->next->a->kind, LPC_N_IDENT);
    done(&p);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(test_missing_semicolon_names_what_was_found)
{
    expect_errors("void f() {\n  int x = 1\n  x++;\n}\n",
                  "/t.c:3:3: error: expected ';' after the declaration, found 'x'\n");
    expect_errors("void f() {\n  f()\n}\n",
                  "/t.c:3:1: error: expected ';' after the expression, found '}'\n");
}
END_TEST

START_TEST(test_missing_operand_and_parentheses)
{
    expect_errors("int f() { return 1 + ; }",
                  "/t.c:1:22: error: expected an expression, found ';'\n");
    expect_errors("int f() { return (1 + 2; }",
                  "/t.c:1:24: error: expected ')' to match '(', found ';'\n");
    expect_errors("int f() { if 1) return 0; }",
                  "/t.c:1:14: error: expected '(' after 'if', found number 1\n");
    expect_errors("int f(int a { }",
                  "/t.c:1:13: error: expected ',' or ')' in the parameter list, found '{'\n");
}
END_TEST

START_TEST(test_unclosed_block_reports_end_of_file)
{
    expect_errors("void f() {\n  if (1) {\n}\n",
                  "/t.c:4:1: error: expected '}', found end of file\n");
}
END_TEST

START_TEST(test_literal_errors)
{
    expect_errors("mixed f() { return ([ 1 2 ]); }",
                  "/t.c:1:25: error: expected ':' between a mapping key and its value, "
                  "found number 2\n");
    expect_errors("mixed f() { return ({ 1, 2 ); }",
                  "/t.c:1:28: error: expected ',' or '})' in the array, found ')'\n");
    expect_errors("mixed f() { return (int 1); }",
                  "/t.c:1:25: error: expected ')' after the type in a cast, found number 1\n");
}
END_TEST

START_TEST(test_dollar_arguments_only_in_function_pointers)
{
    expect_errors("mixed f() { return $1; }",
                  "/t.c:1:20: error: '$' outside a (: :) function pointer\n");
    expect_errors("mixed f() { return (: $0 :); }",
                  "/t.c:1:24: error: $0: argument numbers go from $1 to $64\n");
    expect_errors("mixed f() { return function() { return $1; }; }",
                  "/t.c:1:40: error: '$' outside a (: :) function pointer\n");
}
END_TEST

START_TEST(test_bad_toplevel_declarations)
{
    expect_errors("x;", "/t.c:1:1: error: missing type for global variable 'x'\n");
    expect_errors("int 5;", "/t.c:1:5: error: expected a name in the declaration, found number 5\n");
    expect_errors("inherit room;",
                  "/t.c:1:9: error: expected the file name to inherit (a string), found 'room'\n");
    expect_errors("private inherit \"x\";",
                  "/t.c:1:9: error: modifiers before 'inherit' are not supported\n");
}
END_TEST

START_TEST(test_recovery_reports_errors_in_later_functions)
{
    parsed_t p;
    parse(&p, "void a() { int x = ; }\n"
              "void b() { return; }\n"
              "void c() { x = (1; }\n"
              "void d() { }\n");
    ck_assert_int_eq(p.errors, 2);
    ck_assert_str_eq(diags,
                     "/t.c:1:20: error: expected an expression, found ';'\n"
                     "/t.c:3:18: error: expected ')' to match '(', found ';'\n");
    /* the good functions are still there */
    int n = 0;
    for (lpc_node_t *d = p.ast.decls; d != NULL; d = d->next)
        n++;
    ck_assert_int_eq(n, 2);
    done(&p);
}
END_TEST

START_TEST(test_error_count_is_bounded)
{
    char src[8192] = "";
    for (int i = 0; i < 40; i++)
        strcat(src, "void f() { + ; }\n");
    parsed_t p;
    parse(&p, src);
    ck_assert_int_eq(ndiags, LPC_PARSE_MAX_ERRORS);
    done(&p);
}
END_TEST

static Suite *lpc_parse_suite(void)
{
    Suite *s = suite_create("lpc_parse");
    TCase *tc = tcase_create("ast");
    tcase_add_test(tc, test_binary_operators_follow_c_precedence);
    tcase_add_test(tc, test_assignment_and_conditional_are_right_associative);
    tcase_add_test(tc, test_index_ranges_and_reverse_positions);
    tcase_add_test(tc, test_calls_scoped_calls_and_call_other);
    tcase_add_test(tc, test_literals_casts_and_catch);
    tcase_add_test(tc, test_function_pointer_forms);
    tcase_add_test(tc, test_declarations_record_types_and_modifiers);
    tcase_add_test(tc, test_statements_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_missing_semicolon_names_what_was_found);
    tcase_add_test(tc, test_missing_operand_and_parentheses);
    tcase_add_test(tc, test_unclosed_block_reports_end_of_file);
    tcase_add_test(tc, test_literal_errors);
    tcase_add_test(tc, test_dollar_arguments_only_in_function_pointers);
    tcase_add_test(tc, test_bad_toplevel_declarations);
    tcase_add_test(tc, test_recovery_reports_errors_in_later_functions);
    tcase_add_test(tc, test_error_count_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lpc_parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
