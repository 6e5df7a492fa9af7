/*
 * check_lpc_vm.c - code generation and the interpreter (lib/lpc): what
 * the compiler emits (constant folding, immediate operands, slots, call
 * kinds), how the VM runs it (results, errors that leave the stacks
 * balanced, eval-cost and depth limits), the object model (update,
 * clones keeping their program, call-site caches, dependencies), the
 * master hooks, simul_efuns, and the efun calling convention (type
 * checks with exact messages, lvalue arguments, calling back into LPC).
 *
 * Every program comes from an in-memory file table that a test can
 * change between compiles (to test recompiling).
 */
#include "config.h"
#include "lpc/lpc_compile.h"
#include "lpc/lpc_efun.h"
#include "lpc/lpc_object.h"
#include "lpc/lpc_program.h"
#include "lpc/lpc_runtime.h"
#include "lpc/lpc_vm.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ harness */

#define MAX_FILES 16

static struct {
    const char *path;
    const char *text;
} files[MAX_FILES];

static void set_file(const char *path, const char *text)
{
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].path == NULL || strcmp(files[i].path, path) == 0) {
            files[i].path = path;
            files[i].text = text;
            return;
        }
    ck_abort_msg("file table full");
}

static char *read_mem(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    for (int i = 0; i < MAX_FILES && files[i].path != NULL; i++)
        if (strcmp(files[i].path, path) == 0 && files[i].text != NULL) {
            size_t n = strlen(files[i].text);
            char *b = malloc(n + 1);
            memcpy(b, files[i].text, n + 1);
            *len = n;
            return b;
        }
    return NULL;
}

static char output[4096];
static char reported[4096];
static char diag_text[4096];

static void append(char *buf, size_t size, const char *s, size_t n)
{
    size_t used = strlen(buf);
    if (used + n + 1 > size)
        n = size - used - 1;
    memcpy(buf + used, s, n);
    buf[used + n] = '\0';
}

static void on_output(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    append(output, sizeof output, data, len);
}

static void on_report(void *ctx, const char *message, const char *trace)
{
    (void)ctx;
    append(reported, sizeof reported, message, strlen(message));
    append(reported, sizeof reported, "\n", 1);
    append(reported, sizeof reported, trace, strlen(trace));
}

static void on_diag(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                    const char *message)
{
    (void)ctx;
    char line[600];
    snprintf(line, sizeof line, "%s:%d:%d: %s: %s\n", loc && loc->file ? loc->file : "?",
             loc ? loc->line : 0, loc ? loc->col : 0,
             sev == LPC_DIAG_ERROR ? "error" : "warning", message);
    append(diag_text, sizeof diag_text, line, strlen(line));
}

static lpc_vm_t *vm;

static void vm_start_with(int64_t eval_cost, int depth)
{
    output[0] = reported[0] = diag_text[0] = '\0';
    lpc_runtime_options_t o;
    memset(&o, 0, sizeof o);
    o.read_file = read_mem;
    o.output = on_output;
    o.report_error = on_report;
    o.diag = on_diag;
    o.max_eval_cost = eval_cost;
    o.max_call_depth = depth;
    vm = lpc_runtime_init(&o);
}

static void setup(void)
{
    memset(files, 0, sizeof files);
    vm_start_with(0, 0);
}

static void teardown(void)
{
    lpc_runtime_shutdown(vm);
    vm = NULL;
}

static lpc_object_t *load(const char *path)
{
    lpc_object_t *o = lpc_runtime_load(vm, path);
    ck_assert_msg(o != NULL, "load %s failed: %s %s", path, reported, diag_text);
    return o;
}

/* Calls ob->fn() with no arguments; the result as an int. */
static int64_t call_int(lpc_object_t *ob, const char *fn)
{
    lpc_value_t r;
    bool ok = lpc_runtime_call(vm, ob, fn, NULL, 0, &r, NULL);
    ck_assert_msg(ok, "%s() failed: %s", fn, reported);
    ck_assert_msg(r.type == LPC_T_INT, "%s() returned a %s", fn, lpc_type_name(r.type));
    int64_t v = r.u.i;
    lpc_value_release(&r);
    return v;
}

/* The disassembly of a program, for "the compiler emitted X" checks. */
static char *disassembly(lpc_object_t *ob)
{
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_disassemble(ob->prog, &b);
    lpc_string_t *s = lpc_strbuf_finish(&b);
    char *out = strdup(s->data);
    lpc_string_decref(s);
    return out;
}

static bool stacks_are_empty(void)
{
    return vm->sp == vm->stack && vm->nframes == 0 && vm->handler == NULL;
}

/* ------------------------------------------------------------ master */

START_TEST(test_destruct_refuses_the_master_and_simul_efun_objects)
{
    set_file("/master.c", "int ping() { return 1; }\n");
    set_file("/sefun.c", "int helper() { return 2; }\n");
    set_file("/killer.c",
             "int kill(string path) { destruct(find_object(path)); return 1; }\n"
             "int try_kill(string path) {\n"
             "  string err = catch(kill(path));\n"
             "  return err && strsrch(err, \"refusing to destruct\") >= 0;\n"
             "}\n"
             "int kill_other() { return kill(\"/other\"); }\n");
    set_file("/other.c", "int x;\n");
    lpc_object_t *master = load("/master.c");
    lpc_object_t *sefun = load("/sefun.c");
    vm->master = master;
    vm->simul_efun = sefun;
    lpc_object_t *killer = load("/killer.c");
    load("/other.c");

    lpc_value_t arg = lpc_value_string(lpc_string_from_cstr("/master"));
    lpc_value_t r;
    ck_assert(lpc_runtime_call(vm, killer, "try_kill", &arg, 1, &r, NULL));
    ck_assert_int_eq(r.u.i, 1);
    lpc_value_release(&arg);
    arg = lpc_value_string(lpc_string_from_cstr("/sefun"));
    ck_assert(lpc_runtime_call(vm, killer, "try_kill", &arg, 1, &r, NULL));
    ck_assert_int_eq(r.u.i, 1);
    lpc_value_release(&arg);
    ck_assert(!lpc_object_is_destructed(master));
    ck_assert(!lpc_object_is_destructed(sefun));
    ck_assert_int_eq(call_int(master, "ping"), 1);
    /* any other object still goes */
    ck_assert_int_eq(call_int(killer, "kill_other"), 1);
    ck_assert_ptr_null(lpc_object_find(vm, "/other"));
    ck_assert(stacks_are_empty());
}
END_TEST

/* ------------------------------------------------------------ codegen */

START_TEST(test_constants_are_folded)
{
    set_file("/a.c", "int f() { return 1 + 2 * 3 - (8 >> 1); }\n"
                     "string g() { return \"ab\" + \"cd\"; }\n");
    lpc_object_t *o = load("/a");
    char *d = disassembly(o);
    ck_assert_msg(strstr(d, "PUSH_INT 3") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "ADD") == NULL && strstr(d, "MUL") == NULL, "%s", d);
    ck_assert_msg(strstr(d, "\"abcd\"") != NULL, "%s", d);
    free(d);
    ck_assert_int_eq(call_int(o, "f"), 3);
}
END_TEST

START_TEST(test_small_constants_are_immediate_operands)
{
    set_file("/a.c", "int f(int x) { return x + 5 - 2; }\n"
                     "int big() { return 9000000000; }\n");
    lpc_object_t *o = load("/a");
    char *d = disassembly(o);
    ck_assert_msg(strstr(d, "ADD_IMM 5") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "SUB_IMM 2") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "PUSH_CONST") != NULL, "%s", d);   /* 9e9 is a constant */
    free(d);
    ck_assert_int_eq(call_int(o, "big"), 9000000000LL);
}
END_TEST

START_TEST(test_locals_live_in_slots_reused_by_blocks)
{
    set_file("/a.c", "int f(int a, int b) {\n"
                     "  { int x = a; int y = b; a = x + y; }\n"
                     "  { int z = a; return z; }\n"
                     "}\n");
    lpc_object_t *o = load("/a");
    const lpc_function_t *def = o->prog->table[lpc_program_find_function(o->prog, "f")].def;
    ck_assert_int_eq(def->nparams, 2);
    ck_assert_int_eq(def->nlocals, 2);       /* z reuses x's slot */
    char *d = disassembly(o);
    ck_assert_msg(strstr(d, "SET_LOCAL_POP 2") != NULL, "%s", d);
    free(d);
}
END_TEST

START_TEST(test_calls_bind_to_their_kind)
{
    set_file("/se.c", "string shout(string s) { return s + \"!\"; }\n");
    ck_assert(lpc_runtime_load_simul_efun(vm, "/se"));
    set_file("/a.c", "int local() { return 1; }\n"
                     "mixed f(object o) {\n"
                     "  local();\n"
                     "  shout(\"x\");\n"
                     "  o->g();\n"
                     "  this_object();\n"
                     "  return sizeof(({}));\n"
                     "}\n");
    lpc_object_t *o = load("/a");
    char *d = disassembly(o);
    ck_assert_msg(strstr(d, "CALL 0") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "CALL_SIMUL") != NULL && strstr(d, "\"shout\"") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "CALL_OTHER") != NULL && strstr(d, "\"g\"") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "THIS_OBJECT") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "SIZEOF") != NULL, "%s", d);
    free(d);
}
END_TEST

START_TEST(test_switch_tables)
{
    set_file("/a.c", "int f(int x) { switch (x) { case 1: return 10; case 2: return 20;\n"
                     "  case 3: return 30; case 4: return 40; case 100..200: return 5; }\n"
                     "  return -1; }\n"
                     "int g(int x) { switch (x) { case 1: return 10; case 2: return 20;\n"
                     "  case 3: return 30; case 4: return 40; case 5: return 50; }\n"
                     "  return -1; }\n");
    lpc_object_t *o = load("/a");
    ck_assert_int_eq(o->prog->nswitches, 2);
    ck_assert_ptr_null(o->prog->switches[0].dense);      /* sparse: binary search */
    ck_assert_ptr_nonnull(o->prog->switches[1].dense);   /* compact: jump table */
    lpc_value_t arg = lpc_int(150), r;
    ck_assert(lpc_runtime_call(vm, o, "f", &arg, 1, &r, NULL));
    ck_assert_int_eq(r.u.i, 5);
    arg = lpc_int(5);
    ck_assert(lpc_runtime_call(vm, o, "g", &arg, 1, &r, NULL));
    ck_assert_int_eq(r.u.i, 50);
}
END_TEST

START_TEST(test_line_table_maps_code_to_lines)
{
    set_file("/a.c", "int f()\n{\n  int x = 1;\n\n  return x / 0;\n}\n");
    lpc_object_t *o = load("/a");
    lpc_value_t r;
    ck_assert(!lpc_runtime_call(vm, o, "f", NULL, 0, &r, NULL));
    ck_assert_msg(strstr(reported, "Division by zero\n/a.c:5: in f() (object /a)\n") != NULL,
                  "%s", reported);
}
END_TEST

START_TEST(test_warnings_are_lenient)
{
    set_file("/a.c", "int x = \"s\";\nvoid f() { return 1; }\nint g() { string s = 1; return 0; }\n");
    load("/a");
    ck_assert_msg(strstr(diag_text, "/a.c:1:9: warning: initialising 'x' (int) with string") != NULL,
                  "%s", diag_text);
    ck_assert_msg(strstr(diag_text, "warning: returning a value from void function f()") != NULL,
                  "%s", diag_text);
    ck_assert_msg(strstr(diag_text, "/a.c:3:18: warning: initialising 's' (string) with int") != NULL,
                  "%s", diag_text);
}
END_TEST

/* ------------------------------------------------------------ VM */

START_TEST(test_errors_leave_the_stacks_balanced)
{
    set_file("/a.c", "int deep(int n) { return n == 0 ? ({})[1] : deep(n - 1) + 1; }\n"
                     "int f() { return 1 + deep(50); }\n"
                     "int g() { return catch(deep(10)) ? 7 : 0; }\n");
    lpc_object_t *o = load("/a");
    lpc_value_t r;
    for (int i = 0; i < 3; i++) {
        ck_assert(!lpc_runtime_call(vm, o, "f", NULL, 0, &r, NULL));
        ck_assert(stacks_are_empty());
    }
    ck_assert_int_eq(call_int(o, "g"), 7);
    ck_assert(stacks_are_empty());
    ck_assert_msg(strstr(reported, "Array index 1 out of bounds (size 0)") != NULL, "%s", reported);
}
END_TEST

START_TEST(test_eval_cost_limit_stops_loops)
{
    lpc_runtime_shutdown(vm);
    vm_start_with(10000, 0);
    set_file("/a.c", "int f() { int n; while (1) n++; }\n"
                     "int g() { int n; for (int i = 0; i < 100; i++) n += i; return n; }\n"
                     "int h() { return catch(f()) ? 1 : 0; }\n");
    lpc_object_t *o = load("/a");
    lpc_value_t r;
    ck_assert(!lpc_runtime_call(vm, o, "f", NULL, 0, &r, NULL));
    ck_assert_msg(strstr(reported, "Too long evaluation") != NULL, "%s", reported);
    /* each top-level call gets a fresh budget */
    ck_assert_int_eq(call_int(o, "g"), 4950);
    ck_assert_int_eq(call_int(o, "h"), 1);
}
END_TEST

START_TEST(test_call_depth_limit_stops_recursion)
{
    lpc_runtime_shutdown(vm);
    vm_start_with(0, 50);
    set_file("/a.c", "int f(int n) { return f(n + 1); }\n"
                     "int ok(int n) { return n ? ok(n - 1) + 1 : 0; }\n");
    lpc_object_t *o = load("/a");
    lpc_value_t r, arg = lpc_int(0);
    ck_assert(!lpc_runtime_call(vm, o, "f", &arg, 1, &r, NULL));
    ck_assert_msg(strstr(reported, "Too deep recursion (more than 50 nested calls)") != NULL,
                  "%s", reported);
    arg = lpc_int(45);
    ck_assert(lpc_runtime_call(vm, o, "ok", &arg, 1, &r, NULL));
    ck_assert_int_eq(r.u.i, 45);
    ck_assert(stacks_are_empty());
}
END_TEST

START_TEST(test_arguments_are_padded_and_trimmed)
{
    set_file("/a.c", "mixed f(int a, int b) { return ({ a, b }); }\n"
                     "int undefined_b(int a, int b) { return b == 0; }\n");
    lpc_object_t *o = load("/a");
    lpc_value_t args[3] = { lpc_int(1), lpc_int(2), lpc_int(3) }, r;
    ck_assert(lpc_runtime_call(vm, o, "f", args, 3, &r, NULL));
    ck_assert_int_eq(r.type, LPC_T_ARRAY);
    ck_assert_int_eq(r.u.a->size, 2);
    ck_assert_int_eq(r.u.a->items[1].u.i, 2);
    lpc_value_release(&r);
    ck_assert(lpc_runtime_call(vm, o, "f", args, 1, &r, NULL));
    ck_assert_int_eq(r.u.a->items[1].u.i, 0);
    ck_assert(r.u.a->items[1].flags & LPC_F_UNDEFINED);
    lpc_value_release(&r);
}
END_TEST

START_TEST(test_write_goes_to_the_output_hook)
{
    set_file("/a.c", "void create() { write(\"made \"); }\n"
                     "void f() { write(\"n=\" + 3 + \"\\n\"); }\n");
    lpc_object_t *o = load("/a");
    lpc_runtime_call(vm, o, "f", NULL, 0, NULL, NULL);
    ck_assert_str_eq(output, "made n=3\n");
}
END_TEST

START_TEST(test_missing_function_is_reported_not_an_error)
{
    set_file("/a.c", "int f() { return 1; }\n");
    lpc_object_t *o = load("/a");
    bool found = true;
    ck_assert(!lpc_runtime_call(vm, o, "nope", NULL, 0, NULL, &found));
    ck_assert(!found);
    ck_assert_str_eq(reported, "");
}
END_TEST

/* ------------------------------------------------------------ objects */

START_TEST(test_update_recompiles_and_clones_keep_the_old_program)
{
    set_file("/a.c", "int version() { return 1; }\n");
    lpc_object_t *m = load("/a");
    lpc_program_t *old_prog = m->prog;
    set_file("/c.c", "object make() { return clone_object(\"/a\"); }\n");
    lpc_object_t *maker = load("/c");
    lpc_value_t r;
    ck_assert(lpc_runtime_call(vm, maker, "make", NULL, 0, &r, NULL));
    lpc_object_t *clone = r.u.o;           /* we hold a reference */
    ck_assert_int_eq(call_int(clone, "version"), 1);

    set_file("/a.c", "int version() { return 2; }\n");
    lpc_object_t *m2 = lpc_runtime_update(vm, "/a");
    ck_assert_ptr_nonnull(m2);
    ck_assert_ptr_ne(m2->prog, old_prog);
    ck_assert_int_eq(call_int(m2, "version"), 2);
    ck_assert_int_eq(call_int(clone, "version"), 1);     /* old program */
    ck_assert_ptr_eq(clone->prog, old_prog);
    lpc_value_release(&r);
}
END_TEST

START_TEST(test_call_site_cache_follows_program_changes)
{
    set_file("/a.c", "int v() { return 1; }\n");
    set_file("/b.c", "int f() { return \"/a\"->v(); }\n");
    lpc_object_t *b = load("/b");
    ck_assert_int_eq(call_int(b, "f"), 1);
    ck_assert_int_eq(call_int(b, "f"), 1);
    const lpc_callsite_t *cs = &b->prog->callsites[0];
    ck_assert_uint_eq(cs->prog_id, lpc_object_find(vm, "/a")->prog->id);
    set_file("/a.c", "int other() { return 0; }\nint v() { return 2; }\n");
    lpc_runtime_update(vm, "/a");
    ck_assert_int_eq(call_int(b, "f"), 2);                /* new index found */
    set_file("/a.c", "int other() { return 0; }\n");
    lpc_runtime_update(vm, "/a");
    ck_assert_int_eq(call_int(b, "f"), 0);                /* missing: 0 */
}
END_TEST

static int dependents_seen;
static void count_dep(void *ctx, lpc_object_t *ob)
{
    (void)ctx;
    (void)ob;
    dependents_seen++;
}

START_TEST(test_dependencies_list_includes_and_inherits)
{
    set_file("/h.h", "#define X 1\n");
    set_file("/base.c", "#include \"/h.h\"\nint x() { return X; }\n");
    set_file("/d.c", "inherit \"/base\";\nint y() { return x(); }\n");
    set_file("/other.c", "int z;\n");
    load("/d");
    load("/other");
    dependents_seen = 0;
    ck_assert_int_eq(lpc_runtime_dependents(vm, "/h.h", count_dep, NULL), 2);
    ck_assert_int_eq(dependents_seen, 2);
    ck_assert_int_eq(lpc_runtime_dependents(vm, "/other.c", NULL, NULL), 1);
    ck_assert_int_eq(lpc_runtime_dependents(vm, "/none.h", NULL, NULL), 0);
}
END_TEST

START_TEST(test_inheritance_cycle_is_an_error)
{
    set_file("/a.c", "inherit \"/b\";\n");
    set_file("/b.c", "inherit \"/a\";\n");
    ck_assert_ptr_null(lpc_runtime_load(vm, "/a"));
    ck_assert_msg(strstr(diag_text, "Inheritance cycle") != NULL, "%s", diag_text);
    ck_assert(stacks_are_empty());
}
END_TEST

START_TEST(test_error_in_create_destructs_the_object)
{
    set_file("/a.c", "void create() { error(\"no\"); }\n");
    ck_assert_ptr_null(lpc_runtime_load(vm, "/a"));
    ck_assert_ptr_null(lpc_object_find(vm, "/a"));
    ck_assert_msg(strstr(reported, "no\n/a.c:1: in create() (object /a)") != NULL, "%s",
                  reported);
}
END_TEST

START_TEST(test_destructed_objects_read_as_zero)
{
    set_file("/a.c", "object keep;\n"
                     "int f() { keep = clone_object(\"/b\"); destruct(keep); return keep == 0; }\n");
    set_file("/b.c", "int x;\n");
    lpc_object_t *o = load("/a");
    ck_assert_int_eq(call_int(o, "f"), 1);
}
END_TEST

/* ------------------------------------------------------------ master */

START_TEST(test_master_receives_compile_and_runtime_errors)
{
    set_file("/master.c",
             "string *log = ({ });\n"
             "void log_error(string file, string msg) { log += ({ file + \"|\" + msg }); }\n"
             "void error_handler(mapping e, int caught) {\n"
             "  log += ({ e[\"error\"] + \"@\" + e[\"program\"] + \":\" + e[\"line\"] }); }\n"
             "string *query_log() { return log; }\n");
    ck_assert(lpc_runtime_load_master(vm, "/master"));
    set_file("/bad.c", "int f() { return x; }\n");
    ck_assert_ptr_null(lpc_runtime_load(vm, "/bad"));
    set_file("/rt.c", "int f() { return 1 / 0; }\n");
    lpc_object_t *rt = load("/rt");
    lpc_runtime_call(vm, rt, "f", NULL, 0, NULL, NULL);

    lpc_value_t r;
    ck_assert(lpc_runtime_call(vm, vm->master, "query_log", NULL, 0, &r, NULL));
    ck_assert_int_eq(r.type, LPC_T_ARRAY);
    ck_assert_int_ge(r.u.a->size, 2);
    ck_assert_str_eq(r.u.a->items[0].u.s->data,
                     "/bad.c|/bad.c:1:18: error: undefined variable 'x'\n");
    ck_assert_str_eq(r.u.a->items[r.u.a->size - 1].u.s->data, "Division by zero@/rt.c:1");
    lpc_value_release(&r);
    /* nothing reached the fallback hooks */
    ck_assert_str_eq(diag_text, "");
}
END_TEST

START_TEST(test_simul_efuns_are_called_with_the_caller_as_previous_object)
{
    set_file("/se.c", "object who() { return previous_object(); }\n");
    ck_assert(lpc_runtime_load_simul_efun(vm, "/se"));
    set_file("/a.c", "int f() { return who() == this_object(); }\n");
    lpc_object_t *o = load("/a");
    ck_assert_int_eq(call_int(o, "f"), 1);
}
END_TEST

/* ------------------------------------------------------------ efuns */

static void efun_twice(lpc_vm_t *v, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)v;
    (void)nargs;
    *ret = lpc_int(args[0].u.s->len * 2);
}

/* split_pair(str, lv_a, lv_b): stores the halves; leaves lv_b alone for
 * a string of length 1. */
static void efun_split_pair(lpc_vm_t *v, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)v;
    const lpc_string_t *s = args[0].u.s;
    size_t half = (s->len + 1) / 2;
    int n = 0;
    if (nargs > 1 && s->len > 0) {
        lpc_efun_lvalue_set(&args[1], lpc_value_string(lpc_string_new(s->data, half)));
        n++;
    }
    if (nargs > 2 && s->len > 1) {
        lpc_efun_lvalue_set(&args[2], lpc_value_string(lpc_string_new(s->data + half,
                                                                      s->len - half)));
        n++;
    }
    *ret = lpc_int(n);
}

/* apply_twice(f, x): f(f(x)), keeping the intermediate in *ret. */
static void efun_apply_twice(lpc_vm_t *v, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_vm_call_function(v, &args[0], &args[1], 1, ret);
    lpc_value_t tmp = *ret;
    *ret = lpc_int(0);
    lpc_vm_push(v, &tmp);          /* kept on the stack while calling */
    lpc_value_release(&tmp);
    lpc_vm_call_function(v, &args[0], v->sp, 1, ret);
    lpc_value_release(v->sp);
    v->sp--;
}

static const lpc_efun_def_t test_efuns[] = {
    { "twice_len", efun_twice, 1, 1, 0, 0, LPC_TM_INT, { LPC_TM_STRING } },
    { "split_pair", efun_split_pair, 1, 3, 2, 0, LPC_TM_INT, { LPC_TM_STRING } },
    { "apply_twice", efun_apply_twice, 2, 2, 0, 0, 0, { LPC_TM_FUNCTION, 0 } },
};

START_TEST(test_efun_argument_types_are_checked_with_exact_messages)
{
    ck_assert_int_eq(lpc_efun_register(test_efuns, 3), 0);
    set_file("/a.c", "int f() { return twice_len(\"abc\"); }\n"
                     "int g(mixed x) { return twice_len(x); }\n"
                     "int h() { return evaluate((: twice_len :), 5); }\n");
    lpc_object_t *o = load("/a");
    ck_assert_int_eq(call_int(o, "f"), 6);
    lpc_value_t arg = lpc_int(3), r;
    ck_assert(!lpc_runtime_call(vm, o, "g", &arg, 1, &r, NULL));
    ck_assert_msg(strstr(reported, "Bad argument 1 to twice_len(): expected string, got int\n")
                  != NULL, "%s", reported);
    reported[0] = '\0';
    ck_assert(!lpc_runtime_call(vm, o, "h", NULL, 0, &r, NULL));
    ck_assert_msg(strstr(reported, "Bad argument 1 to twice_len(): expected string, got int\n")
                  != NULL, "%s", reported);
    ck_assert(stacks_are_empty());
}
END_TEST

START_TEST(test_efun_argument_counts_are_checked_when_compiling)
{
    ck_assert_int_eq(lpc_efun_register(test_efuns, 3), 0);
    set_file("/a.c", "int f() { return twice_len(); }\n");
    ck_assert_ptr_null(lpc_runtime_load(vm, "/a"));
    ck_assert_msg(strstr(diag_text, "/a.c:1:18: error: too few arguments to twice_len() "
                         "(expected at least 1, got 0)") != NULL, "%s", diag_text);
}
END_TEST

START_TEST(test_lvalue_arguments_store_only_what_the_efun_set)
{
    ck_assert_int_eq(lpc_efun_register(test_efuns, 3), 0);
    set_file("/a.c",
             "string g1 = \"g\";\n"
             "mixed f() {\n"
             "  string a = \"a\", b = \"b\";\n"
             "  string *arr = ({ \"x\", \"y\" });\n"
             "  mapping m = ([ ]);\n"
             "  int n1 = split_pair(\"abcd\", a, b);\n"
             "  int n2 = split_pair(\"z\", arr[1], g1);\n"
             "  int n3 = split_pair(\"pq\", m[\"k\"], m[\"l\"]);\n"
             "  return ({ n1, a, b, n2, arr, g1, n3, m[\"k\"], m[\"l\"] });\n"
             "}\n");
    lpc_object_t *o = load("/a");
    lpc_value_t r;
    ck_assert_msg(lpc_runtime_call(vm, o, "f", NULL, 0, &r, NULL), "%s", reported);
    lpc_array_t *a = r.u.a;
    ck_assert_int_eq(a->items[0].u.i, 2);
    ck_assert_str_eq(a->items[1].u.s->data, "ab");
    ck_assert_str_eq(a->items[2].u.s->data, "cd");
    ck_assert_int_eq(a->items[3].u.i, 1);
    ck_assert_str_eq(a->items[4].u.a->items[1].u.s->data, "z");
    ck_assert_str_eq(a->items[5].u.s->data, "g");            /* untouched */
    ck_assert_int_eq(a->items[6].u.i, 2);
    ck_assert_str_eq(a->items[7].u.s->data, "p");
    ck_assert_str_eq(a->items[8].u.s->data, "q");
    lpc_value_release(&r);
}
END_TEST

START_TEST(test_lvalue_arguments_must_be_assignable)
{
    ck_assert_int_eq(lpc_efun_register(test_efuns, 3), 0);
    set_file("/a.c", "int f() { return split_pair(\"ab\", 1); }\n");
    ck_assert_ptr_null(lpc_runtime_load(vm, "/a"));
    ck_assert_msg(strstr(diag_text, "/a.c:1:35: error: argument 2 to split_pair() must be "
                         "a variable or an element") != NULL, "%s", diag_text);
}
END_TEST

START_TEST(test_efuns_call_back_into_lpc_and_errors_unwind_them)
{
    ck_assert_int_eq(lpc_efun_register(test_efuns, 3), 0);
    set_file("/a.c", "int f() { return apply_twice((: $1 * 3 :), 2); }\n"
                     "mixed g() { return catch(apply_twice((: $1 / 0 :), 2)); }\n"
                     "mixed h() { return apply_twice((: ({ $1 }) :), \"s\"); }\n");
    lpc_object_t *o = load("/a");
    ck_assert_int_eq(call_int(o, "f"), 18);
    lpc_value_t r;
    ck_assert(lpc_runtime_call(vm, o, "g", NULL, 0, &r, NULL));
    ck_assert_str_eq(r.u.s->data, "*Division by zero\n");
    lpc_value_release(&r);
    ck_assert(lpc_runtime_call(vm, o, "h", NULL, 0, &r, NULL));
    ck_assert_int_eq(r.u.a->items[0].u.a->items[0].type, LPC_T_STRING);
    lpc_value_release(&r);
    ck_assert(stacks_are_empty());
}
END_TEST

START_TEST(test_reregistering_an_efun_replaces_it_in_place)
{
    static const lpc_efun_def_t mine[] = {
        { "write", efun_twice, 1, 1, 0, 0, 0, { LPC_TM_STRING } },
    };
    int before = lpc_efun_lookup("write");
    ck_assert_int_ge(before, 0);
    ck_assert_int_eq(lpc_efun_register(mine, 1), 0);
    ck_assert_int_eq(lpc_efun_lookup("write"), before);
    ck_assert_ptr_eq(lpc_efun_get(before), &mine[0]);
    static const lpc_efun_def_t bad[] = {
        { "bad", efun_twice, 3, 1, 0, 0, 0, { 0 } },
    };
    ck_assert_int_eq(lpc_efun_register(bad, 1), -1);
    ck_assert_int_eq(lpc_efun_lookup("bad"), -1);
}
END_TEST

static Suite *lpc_vm_suite(void)
{
    Suite *s = suite_create("lpc_vm");
    TCase *tc = tcase_create("codegen");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_constants_are_folded);
    tcase_add_test(tc, test_destruct_refuses_the_master_and_simul_efun_objects);
    tcase_add_test(tc, test_small_constants_are_immediate_operands);
    tcase_add_test(tc, test_locals_live_in_slots_reused_by_blocks);
    tcase_add_test(tc, test_calls_bind_to_their_kind);
    tcase_add_test(tc, test_switch_tables);
    tcase_add_test(tc, test_line_table_maps_code_to_lines);
    tcase_add_test(tc, test_warnings_are_lenient);
    suite_add_tcase(s, tc);

    tc = tcase_create("vm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_errors_leave_the_stacks_balanced);
    tcase_add_test(tc, test_eval_cost_limit_stops_loops);
    tcase_add_test(tc, test_call_depth_limit_stops_recursion);
    tcase_add_test(tc, test_arguments_are_padded_and_trimmed);
    tcase_add_test(tc, test_write_goes_to_the_output_hook);
    tcase_add_test(tc, test_missing_function_is_reported_not_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("objects");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_update_recompiles_and_clones_keep_the_old_program);
    tcase_add_test(tc, test_call_site_cache_follows_program_changes);
    tcase_add_test(tc, test_dependencies_list_includes_and_inherits);
    tcase_add_test(tc, test_inheritance_cycle_is_an_error);
    tcase_add_test(tc, test_error_in_create_destructs_the_object);
    tcase_add_test(tc, test_destructed_objects_read_as_zero);
    tcase_add_test(tc, test_master_receives_compile_and_runtime_errors);
    tcase_add_test(tc, test_simul_efuns_are_called_with_the_caller_as_previous_object);
    suite_add_tcase(s, tc);

    tc = tcase_create("efuns");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_efun_argument_types_are_checked_with_exact_messages);
    tcase_add_test(tc, test_efun_argument_counts_are_checked_when_compiling);
    tcase_add_test(tc, test_lvalue_arguments_store_only_what_the_efun_set);
    tcase_add_test(tc, test_lvalue_arguments_must_be_assignable);
    tcase_add_test(tc, test_efuns_call_back_into_lpc_and_errors_unwind_them);
    tcase_add_test(tc, test_reregistering_an_efun_replaces_it_in_place);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lpc_vm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
