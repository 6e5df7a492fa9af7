/*
 * lpc_compile.c - resolver and code generator (lpc_compile.h).
 *
 * Two passes over the AST of a file:
 *   1. declarations, in source order: inherits (load the inherited
 *      program, copy its function table and variable layout), globals,
 *      functions (prototypes and definitions; a definition overriding an
 *      inherited function redirects the inherited table slots);
 *   2. code: the variable initialiser function (__INIT: the inherits'
 *      initialisers, then ours), then every function body.
 *
 * Each function is generated into its own buffer with jump targets
 * relative to its start; when it is finished the buffer is appended to
 * the program's code and its jump targets, switch tables and line
 * entries are rebased.  Closures (anonymous functions, (: expr :)) are
 * generated when met, into a nested function state, so the enclosing
 * function knows what they capture when it emits MAKE_CLOSURE.  A
 * closure's frame is [params][captures][locals]; since captures are only
 * known at the end of its body, locals and captures get provisional
 * slot numbers that the rebasing pass rewrites.
 *
 * Stack depth is tracked at every emit, so each function knows the
 * deepest expression stack it needs (the VM checks the room once per
 * call).
 */
#include "lpc_compile.h"
#include "lpc_ast.h"
#include "lpc_efun.h"
#include "lpc_lex.h"
#include "lpc_object.h"
#include "lpc_opcodes.h"
#include "lpc_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_BASE      0x4000     /* provisional slot of capture i */
#define MAX_LOCALS    0x3fff
#define MAX_ARGS      255

/* ---- small containers ------------------------------------------------ */

typedef struct u32vec {
    uint32_t *v;
    uint32_t n, cap;
} u32vec_t;

static void u32_push(u32vec_t *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = lpc_realloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

#define VEC_GROW(ptr, n, cap) do { \
        if ((n) == (cap)) { \
            (cap) = (cap) ? (cap) * 2 : 8; \
            (ptr) = lpc_realloc((ptr), (size_t)(cap) * sizeof *(ptr)); \
        } \
    } while (0)

/* A string -> int map (open addressing) for names. */
typedef struct name_map {
    const char **keys;
    int *vals;
    uint32_t size, count;
} name_map_t;

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void map_put(name_map_t *m, const char *key, int val);

static void map_grow(name_map_t *m)
{
    name_map_t old = *m;
    m->size = old.size ? old.size * 2 : 64;
    m->count = 0;
    m->keys = lpc_malloc(m->size * sizeof *m->keys);
    m->vals = lpc_malloc(m->size * sizeof *m->vals);
    memset(m->keys, 0, m->size * sizeof *m->keys);
    for (uint32_t i = 0; i < old.size; i++)
        if (old.keys[i] != NULL)
            map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

/* Inserts or replaces. */
static void map_put(name_map_t *m, const char *key, int val)
{
    if ((m->count + 1) * 2 > m->size)
        map_grow(m);
    uint32_t h = str_hash(key) & (m->size - 1);
    while (m->keys[h] != NULL) {
        if (strcmp(m->keys[h], key) == 0) {
            m->vals[h] = val;
            return;
        }
        h = (h + 1) & (m->size - 1);
    }
    m->keys[h] = key;
    m->vals[h] = val;
    m->count++;
}

static int map_get(const name_map_t *m, const char *key)
{
    if (m->size == 0)
        return -1;
    uint32_t h = str_hash(key) & (m->size - 1);
    while (m->keys[h] != NULL) {
        if (strcmp(m->keys[h], key) == 0)
            return m->vals[h];
        h = (h + 1) & (m->size - 1);
    }
    return -1;
}

static void map_free(name_map_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- compiler state ------------------------------------------------------ */

typedef struct local_var {
    const char *name;
    uint16_t type;
    int slot;
    int depth;
} local_var_t;

enum { CAP_LOCAL, CAP_EXPR };

typedef struct capture {
    int kind;
    int outer_slot;            /* CAP_LOCAL: slot in the enclosing frame */
    const char *name;          /* CAP_LOCAL: the variable */
    uint16_t type;
    lpc_node_t *expr;          /* CAP_EXPR: $(expr) */
} capture_t;

typedef struct case_entry {
    int kind;                  /* 0 int range, 1 string, 2 default */
    int64_t lo, hi;
    lpc_string_t *s;
    uint32_t target;           /* relative code offset */
    lpc_srcloc_t loc;
} case_entry_t;

typedef struct switch_ctx {
    case_entry_t *cases;
    int ncases, cap;
    bool has_default;
} switch_ctx_t;

typedef struct loop_ctx {
    struct loop_ctx *outer;
    u32vec_t brk;              /* positions of jumps to patch */
    u32vec_t cont;
    switch_ctx_t *sw;          /* non-NULL: a switch (continue passes) */
    int stack;                 /* stack depth at the statement */
} loop_ctx_t;

typedef struct fstate {
    struct fstate *outer;
    u32vec_t code;
    lpc_line_entry_t *lines;
    uint32_t nlines, capl;
    int last_line;
    const char *last_file;
    u32vec_t switch_ids;       /* switches whose targets to rebase */
    u32vec_t scope_marks;      /* next_slot at each open scope */
    local_var_t *locals;
    int nlocals, capv;
    int next_slot, max_slot;
    int depth;
    int nparams;
    bool is_closure;
    bool is_expr_closure;      /* (: :) body: $n are the params */
    capture_t *caps;
    int ncaps, capc;
    int stack, max_stack;
    loop_ctx_t *loops;
    uint16_t ret_type;
    const char *name;
} fstate_t;

typedef struct comp {
    lpc_vm_t *vm;
    lpc_lexer_t *lx;
    lpc_ast_t ast;
    lpc_program_t *prog;
    const char *path;
    jmp_buf fatal;             /* a limit was exceeded: stop compiling */

    u32vec_t code;             /* the program's code */
    lpc_line_entry_t *lines;
    uint32_t nlines, capl;
    const char **files;
    uint32_t nfiles, capf;

    lpc_value_t *consts;
    uint32_t nconsts, capc;
    name_map_t str_consts;     /* string constants by content (NUL-free) */

    lpc_function_t *defs;
    uint32_t ndefs, capd;
    uint32_t nnamed;           /* defs 0..nnamed-1 are named functions */
    lpc_node_t **def_nodes;    /* FUNCTION node with the body, per named def */

    lpc_func_entry_t *table;
    uint32_t ntable, capt;
    uint32_t own_fn_offset;
    name_map_t fn_names;       /* name -> table index (what a call binds) */

    lpc_inherit_t *inherits;
    uint32_t ninherits, capi;

    lpc_var_def_t *vars;       /* flattened */
    uint32_t nvars, capvars;
    uint32_t own_var_offset;
    name_map_t var_names;      /* visible globals -> index */
    lpc_node_t **var_inits;    /* initialiser node per own variable */

    lpc_switch_t *switches;
    uint32_t nswitches, caps;
    uint32_t ncallsites;

    fstate_t *fs;
    int errors;
    char *first_error;
    size_t first_error_size;
    bool have_first_error;
} comp_t;

/* ---- diagnostics ----------------------------------------------------- */

static void cerror(comp_t *c, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void cwarn(comp_t *c, const lpc_srcloc_t *loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void cerror(comp_t *c, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    lpc_lexer_diag(c->lx, LPC_DIAG_ERROR, loc, "%s", msg);
}

static void cwarn(comp_t *c, const lpc_srcloc_t *loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lpc_lexer_diag(c->lx, LPC_DIAG_WARNING, loc, "%s", msg);
}

/* A limit the bytecode format cannot express: report and stop. */
static void cfatal(comp_t *c, const lpc_srcloc_t *loc, const char *what)
{
    cerror(c, loc, "%s", what);
    longjmp(c->fatal, 1);
}

/* ---- emitting ------------------------------------------------------- */

static void adjust_stack(comp_t *c, int delta)
{
    fstate_t *fs = c->fs;
    fs->stack += delta;
    if (fs->stack > fs->max_stack)
        fs->max_stack = fs->stack;
}

/* Emits one instruction; returns its position (relative to the function). */
static uint32_t emit(comp_t *c, int op, uint32_t a, int stack_delta)
{
    if (a > 0xffffffu)
        cfatal(c, NULL, "operand too large for the bytecode (function or program too big)");
    uint32_t pos = c->fs->code.n;
    u32_push(&c->fs->code, LPC_INS(op, a));
    adjust_stack(c, stack_delta);
    return pos;
}

static void emit_word(comp_t *c, uint32_t w)
{
    u32_push(&c->fs->code, w);
}

static uint32_t here(comp_t *c)
{
    return c->fs->code.n;
}

/* Sets the A operand of the instruction at pos (a forward jump). */
static void patch(comp_t *c, uint32_t pos, uint32_t target)
{
    uint32_t w = c->fs->code.v[pos];
    c->fs->code.v[pos] = LPC_INS(LPC_INS_OP(w), target);
}

static void patch_list(comp_t *c, u32vec_t *l, uint32_t target)
{
    for (uint32_t i = 0; i < l->n; i++)
        patch(c, l->v[i], target);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static uint16_t file_index(comp_t *c, const char *file)
{
    for (uint32_t i = 0; i < c->nfiles; i++)
        if (c->files[i] == file || strcmp(c->files[i], file) == 0)
            return (uint16_t)i;
    VEC_GROW(c->files, c->nfiles, c->capf);
    c->files[c->nfiles] = file;
    return (uint16_t)c->nfiles++;
}

/* Records that code from here on comes from loc's line. */
static void mark_line(comp_t *c, const lpc_srcloc_t *loc)
{
    fstate_t *fs = c->fs;
    if (loc->file == NULL || (loc->line == fs->last_line && loc->file == fs->last_file))
        return;
    fs->last_line = loc->line;
    fs->last_file = loc->file;
    if (fs->nlines > 0 && fs->lines[fs->nlines - 1].pc == fs->code.n)
        fs->nlines--;            /* nothing emitted for the previous one */
    VEC_GROW(fs->lines, fs->nlines, fs->capl);
    lpc_line_entry_t *e = &fs->lines[fs->nlines++];
    e->pc = fs->code.n;
    e->file = file_index(c, loc->file);
    e->pad = 0;
    e->line = loc->line;
}

/* ---- constants ------------------------------------------------------ */

static uint32_t add_const(comp_t *c, lpc_value_t v)
{
    VEC_GROW(c->consts, c->nconsts, c->capc);
    c->consts[c->nconsts] = v;
    return c->nconsts++;
}

/* The constant index of a string (deduplicated when it has no NUL). */
static uint32_t string_const(comp_t *c, const char *text, size_t len)
{
    bool plain = memchr(text, '\0', len) == NULL;
    if (plain) {
        int k = map_get(&c->str_consts, text);
        if (k >= 0)
            return (uint32_t)k;
    }
    lpc_string_t *s = lpc_string_new(text, len);
    uint32_t k = add_const(c, lpc_value_string(s));
    if (plain)
        map_put(&c->str_consts, s->data, (int)k);
    return k;
}

static void emit_push_int(comp_t *c, int64_t i)
{
    if (i >= LPC_IMM_MIN && i <= LPC_IMM_MAX)
        emit(c, LPC_OP_PUSH_INT, (uint32_t)(i & 0xffffff), 1);
    else
        emit(c, LPC_OP_PUSH_CONST, add_const(c, lpc_int(i)), 1);
}

/* ---- types ------------------------------------------------------------ */

#define T_UNKNOWN LPC_DTYPE(LPC_DT_UNKNOWN, 0)
#define T_INT     LPC_DTYPE(LPC_DT_INT, 0)
#define T_FLOAT   LPC_DTYPE(LPC_DT_FLOAT, 0)
#define T_STRING  LPC_DTYPE(LPC_DT_STRING, 0)
#define T_OBJECT  LPC_DTYPE(LPC_DT_OBJECT, 0)
#define T_MAPPING LPC_DTYPE(LPC_DT_MAPPING, 0)
#define T_FUNC    LPC_DTYPE(LPC_DT_FUNCTION, 0)
#define T_MIXED   LPC_DTYPE(LPC_DT_MIXED, 0)

static uint16_t normalize_type(uint16_t t)
{
    if (LPC_DTYPE_BASE(t) == LPC_DT_STATUS)
        return LPC_DTYPE(LPC_DT_INT, LPC_DTYPE_DEPTH(t));
    return t;
}

/* May a value of static type `from` be stored where `to` is declared?
 * Lenient: unknown, mixed and 0 go anywhere. */
static bool type_compatible(uint16_t to, uint16_t from)
{
    to = normalize_type(to);
    from = normalize_type(from);
    if (to == from)
        return true;
    unsigned tb = LPC_DTYPE_BASE(to), fb = LPC_DTYPE_BASE(from);
    unsigned td = LPC_DTYPE_DEPTH(to), fd = LPC_DTYPE_DEPTH(from);
    if (tb == LPC_DT_UNKNOWN || fb == LPC_DT_UNKNOWN)
        return true;
    if (tb == LPC_DT_MIXED && td <= fd)
        return true;
    if (fb == LPC_DT_MIXED && fd <= td)
        return true;
    if (tb == LPC_DT_VOID || fb == LPC_DT_VOID)
        return false;
    return false;
}

static uint16_t efun_ret_type(const lpc_efun_def_t *d)
{
    switch (d->ret_types & ~LPC_TM_ZERO) {
    case LPC_TM_INT: return T_INT;
    case LPC_TM_FLOAT: return T_FLOAT;
    case LPC_TM_STRING: return T_STRING;
    case LPC_TM_OBJECT: return T_OBJECT;
    case LPC_TM_MAPPING: return T_MAPPING;
    case LPC_TM_FUNCTION: return T_FUNC;
    case LPC_TM_ARRAY: return LPC_DTYPE(LPC_DT_MIXED, 1);
    default: return T_UNKNOWN;
    }
}

/* ---- constant folding ----------------------------------------------- */

static bool is_int_zero(const lpc_node_t *n)
{
    return n->kind == LPC_N_INT && n->i == 0;
}

/* Evaluates a constant expression (numbers, strings, unary and binary
 * operators on them).  On success *out holds an owned value. */
static bool const_eval(comp_t *c, const lpc_node_t *n, lpc_value_t *out)
{
    switch (n->kind) {
    case LPC_N_INT:
        *out = lpc_int(n->i);
        return true;
    case LPC_N_FLOAT:
        *out = lpc_float(n->f);
        return true;
    case LPC_N_STRING:
        *out = lpc_value_string(lpc_string_new(n->text, n->len));
        return true;
    case LPC_N_UNARY: {
        lpc_value_t a;
        if (!const_eval(c, n->a, &a))
            return false;
        if (n->op == LPC_TOK_PLUS && (a.type == LPC_T_INT || a.type == LPC_T_FLOAT)) {
            *out = a;
            return true;
        }
        if (a.type == LPC_T_INT) {
            uint64_t u = (uint64_t)a.u.i;
            switch (n->op) {
            case LPC_TOK_MINUS: *out = lpc_int((int64_t)(0 - u)); return true;
            case LPC_TOK_TILDE: *out = lpc_int((int64_t)~u); return true;
            case LPC_TOK_NOT: *out = lpc_int(a.u.i == 0); return true;
            default: break;
            }
        } else if (a.type == LPC_T_FLOAT && n->op == LPC_TOK_MINUS) {
            *out = lpc_float(-a.u.f);
            return true;
        }
        lpc_value_release(&a);
        return false;
    }
    case LPC_N_BINARY: {
        int op;
        switch (n->op) {
        case LPC_TOK_PLUS: op = LPC_OP_ADD; break;
        case LPC_TOK_MINUS: op = LPC_OP_SUB; break;
        case LPC_TOK_STAR: op = LPC_OP_MUL; break;
        case LPC_TOK_SLASH: op = LPC_OP_DIV; break;
        case LPC_TOK_PERCENT: op = LPC_OP_MOD; break;
        case LPC_TOK_AMP: op = LPC_OP_BAND; break;
        case LPC_TOK_PIPE: op = LPC_OP_BOR; break;
        case LPC_TOK_CARET: op = LPC_OP_BXOR; break;
        case LPC_TOK_SHL: op = LPC_OP_SHL; break;
        case LPC_TOK_SHR: op = LPC_OP_SHR; break;
        default: return false;
        }
        lpc_value_t a, b;
        if (!const_eval(c, n->a, &a))
            return false;
        if (!const_eval(c, n->b, &b)) {
            lpc_value_release(&a);
            return false;
        }
        bool ok = false;
        if (op == LPC_OP_ADD && a.type == LPC_T_STRING && b.type == LPC_T_STRING) {
            *out = lpc_value_string(lpc_string_concat(a.u.s, b.u.s));
            ok = true;
        } else {
            ok = lpc_vm_fold_binary(op, &a, &b, out);
        }
        lpc_value_release(&a);
        lpc_value_release(&b);
        return ok;
    }
    default:
        return false;
    }
}

/* ---- function states and locals ------------------------------------- */

static void fstate_init(fstate_t *fs, fstate_t *outer, const char *name)
{
    memset(fs, 0, sizeof *fs);
    fs->outer = outer;
    fs->name = name;
    fs->last_line = -1;
}

static fstate_t *fstate_new(fstate_t *outer, const char *name)
{
    fstate_t *fs = lpc_malloc(sizeof *fs);
    fstate_init(fs, outer, name);
    return fs;
}

/* Frees a function state (heap-allocated, so that a fatal error can free
 * the chain from c->fs after longjmp). */
static void fstate_free(fstate_t *fs)
{
    free(fs->code.v);
    free(fs->lines);
    free(fs->switch_ids.v);
    free(fs->scope_marks.v);
    free(fs->locals);
    free(fs->caps);
    free(fs);
}

static local_var_t *find_local_in(fstate_t *fs, const char *name)
{
    for (int i = fs->nlocals - 1; i >= 0; i--)
        if (strcmp(fs->locals[i].name, name) == 0)
            return &fs->locals[i];
    return NULL;
}

static int add_local(comp_t *c, const char *name, uint16_t type, const lpc_srcloc_t *loc)
{
    fstate_t *fs = c->fs;
    for (int i = fs->nlocals - 1; i >= 0 && fs->locals[i].depth == fs->depth; i--)
        if (name != NULL && strcmp(fs->locals[i].name, name) == 0)
            cerror(c, loc, "redeclaration of local variable '%s'", name);
    if (fs->next_slot >= MAX_LOCALS)
        cfatal(c, loc, "too many local variables in one function");
    int slot = fs->next_slot++;
    if (fs->next_slot > fs->max_slot)
        fs->max_slot = fs->next_slot;
    if (name != NULL) {
        VEC_GROW(fs->locals, fs->nlocals, fs->capv);
        local_var_t *l = &fs->locals[fs->nlocals++];
        l->name = name;
        l->type = type;
        l->slot = slot;
        l->depth = fs->depth;
    }
    return slot;
}

static void scope_enter(comp_t *c)
{
    fstate_t *fs = c->fs;
    u32_push(&fs->scope_marks, (uint32_t)fs->next_slot);
    fs->depth++;
}

/* Drops the scope's names and frees its slots (named or hidden) for
 * reuse by later blocks. */
static void scope_leave(comp_t *c)
{
    fstate_t *fs = c->fs;
    while (fs->nlocals > 0 && fs->locals[fs->nlocals - 1].depth == fs->depth)
        fs->nlocals--;
    fs->next_slot = (int)fs->scope_marks.v[--fs->scope_marks.n];
    fs->depth--;
}

/* Where a name used in the current function lives. */
typedef enum { VAR_NONE, VAR_LOCAL, VAR_GLOBAL } var_kind_t;

/* A capture of `name` from the enclosing functions into closure fs
 * (recursively through intermediate closures).  Returns the provisional
 * slot, or -1 when no enclosing function has such a local. */
static int capture_local(comp_t *c, fstate_t *fs, const char *name, uint16_t *type)
{
    if (!fs->is_closure || fs->outer == NULL)
        return -1;
    for (int i = 0; i < fs->ncaps; i++)
        if (fs->caps[i].kind == CAP_LOCAL && strcmp(fs->caps[i].name, name) == 0) {
            *type = fs->caps[i].type;
            return CAP_BASE + i;
        }
    fstate_t *outer = fs->outer;
    int outer_slot;
    local_var_t *l = find_local_in(outer, name);
    if (l != NULL) {
        outer_slot = l->slot;
        *type = l->type;
    } else {
        outer_slot = capture_local(c, outer, name, type);
        if (outer_slot < 0)
            return -1;
    }
    if (fs->ncaps >= 255)
        cfatal(c, NULL, "too many captured variables in one closure");
    VEC_GROW(fs->caps, fs->ncaps, fs->capc);
    capture_t *cap = &fs->caps[fs->ncaps];
    cap->kind = CAP_LOCAL;
    cap->outer_slot = outer_slot;
    cap->name = name;
    cap->type = *type;
    cap->expr = NULL;
    return CAP_BASE + fs->ncaps++;
}

static var_kind_t resolve_var(comp_t *c, const char *name, int *index, uint16_t *type)
{
    local_var_t *l = find_local_in(c->fs, name);
    if (l != NULL) {
        *index = l->slot;
        *type = l->type;
        return VAR_LOCAL;
    }
    int slot = capture_local(c, c->fs, name, type);
    if (slot >= 0) {
        *index = slot;
        return VAR_LOCAL;
    }
    int g = map_get(&c->var_names, name);
    if (g >= 0) {
        *index = g;
        *type = c->vars[g].type;
        return VAR_GLOBAL;
    }
    return VAR_NONE;
}

/* ---- expressions ------------------------------------------------------ */

static uint16_t compile_expr(comp_t *c, lpc_node_t *n);
static void compile_void(comp_t *c, lpc_node_t *n);
static void compile_statement(comp_t *c, lpc_node_t *n);
static void compile_block_list(comp_t *c, lpc_node_t *list);

static int binop_opcode(int tok)
{
    switch (tok) {
    case LPC_TOK_PLUS: case LPC_TOK_ADD_ASSIGN: return LPC_OP_ADD;
    case LPC_TOK_MINUS: case LPC_TOK_SUB_ASSIGN: return LPC_OP_SUB;
    case LPC_TOK_STAR: case LPC_TOK_MUL_ASSIGN: return LPC_OP_MUL;
    case LPC_TOK_SLASH: case LPC_TOK_DIV_ASSIGN: return LPC_OP_DIV;
    case LPC_TOK_PERCENT: case LPC_TOK_MOD_ASSIGN: return LPC_OP_MOD;
    case LPC_TOK_AMP: case LPC_TOK_AND_ASSIGN: return LPC_OP_BAND;
    case LPC_TOK_PIPE: case LPC_TOK_OR_ASSIGN: return LPC_OP_BOR;
    case LPC_TOK_CARET: case LPC_TOK_XOR_ASSIGN: return LPC_OP_BXOR;
    case LPC_TOK_SHL: case LPC_TOK_SHL_ASSIGN: return LPC_OP_SHL;
    case LPC_TOK_SHR: case LPC_TOK_SHR_ASSIGN: return LPC_OP_SHR;
    case LPC_TOK_EQ: return LPC_OP_EQ;
    case LPC_TOK_NE: return LPC_OP_NE;
    case LPC_TOK_LT: return LPC_OP_LT;
    case LPC_TOK_LE: return LPC_OP_LE;
    case LPC_TOK_GT: return LPC_OP_GT;
    case LPC_TOK_GE: return LPC_OP_GE;
    default: return -1;
    }
}

/* The static type of a binary arithmetic result. */
static uint16_t arith_type(int op, uint16_t a, uint16_t b)
{
    a = normalize_type(a);
    b = normalize_type(b);
    if (op >= LPC_OP_EQ && op <= LPC_OP_GE)
        return T_INT;
    if (op == LPC_OP_BAND || op == LPC_OP_BOR || op == LPC_OP_BXOR ||
        op == LPC_OP_SHL || op == LPC_OP_SHR || op == LPC_OP_MOD) {
        if (a == T_INT && b == T_INT)
            return T_INT;
        return T_UNKNOWN;
    }
    if (a == T_INT && b == T_INT)
        return T_INT;
    if ((a == T_FLOAT || a == T_INT) && (b == T_FLOAT || b == T_INT))
        return T_FLOAT;
    if (op == LPC_OP_ADD && (a == T_STRING || b == T_STRING))
        return T_STRING;
    if (a == b && LPC_DTYPE_DEPTH(a) > 0)
        return a;
    return T_UNKNOWN;
}

/* Pushes the condition and jumps to a position added to `false_jumps`
 * when it is false (short-circuiting && || !). */
static void compile_cond_false(comp_t *c, lpc_node_t *n, u32vec_t *false_jumps);

/* For a comparison node: its CJ_* (jump when false) or LOOP_* (jump
 * back when true) opcode; -1 for anything else. */
static int fused_compare(const lpc_node_t *n, bool loop)
{
    if (n->kind != LPC_N_BINARY)
        return -1;
    int base;
    switch (n->op) {
    case LPC_TOK_EQ: base = 0; break;
    case LPC_TOK_NE: base = 1; break;
    case LPC_TOK_LT: base = 2; break;
    case LPC_TOK_LE: base = 3; break;
    case LPC_TOK_GT: base = 4; break;
    case LPC_TOK_GE: base = 5; break;
    default: return -1;
    }
    return (loop ? LPC_OP_LOOP_EQ : LPC_OP_CJ_EQ) + base;
}

/* Jumps (op JNZ, or LOOP_JNZ for a loop's back edge) to a position
 * added to true_jumps when the condition is true. */
static void compile_cond_true_op(comp_t *c, lpc_node_t *n, u32vec_t *true_jumps, int jop)
{
    if (n->kind == LPC_N_UNARY && n->op == LPC_TOK_NOT && jop == LPC_OP_JNZ) {
        compile_cond_false(c, n->a, true_jumps);
        return;
    }
    if (n->kind == LPC_N_LOR) {
        compile_cond_true_op(c, n->a, true_jumps, jop);
        compile_cond_true_op(c, n->b, true_jumps, jop);
        return;
    }
    if (n->kind == LPC_N_LAND) {
        u32vec_t skip = {0};
        compile_cond_false(c, n->a, &skip);
        compile_cond_true_op(c, n->b, true_jumps, jop);
        patch_list(c, &skip, here(c));
        return;
    }
    int fop = jop == LPC_OP_LOOP_JNZ ? fused_compare(n, true) : -1;
    if (fop >= 0) {
        compile_expr(c, n->a);
        compile_expr(c, n->b);
        mark_line(c, &n->loc);
        u32_push(true_jumps, emit(c, fop, 0, -2));
        return;
    }
    compile_expr(c, n);
    u32_push(true_jumps, emit(c, jop, 0, -1));
}

static void compile_cond_true(comp_t *c, lpc_node_t *n, u32vec_t *true_jumps)
{
    compile_cond_true_op(c, n, true_jumps, LPC_OP_JNZ);
}

static void compile_cond_false(comp_t *c, lpc_node_t *n, u32vec_t *false_jumps)
{
    if (n->kind == LPC_N_UNARY && n->op == LPC_TOK_NOT) {
        compile_cond_true(c, n->a, false_jumps);
        return;
    }
    if (n->kind == LPC_N_LAND) {
        compile_cond_false(c, n->a, false_jumps);
        compile_cond_false(c, n->b, false_jumps);
        return;
    }
    if (n->kind == LPC_N_LOR) {
        u32vec_t taken = {0};
        compile_cond_true(c, n->a, &taken);
        compile_cond_false(c, n->b, false_jumps);
        patch_list(c, &taken, here(c));
        return;
    }
    int fop = fused_compare(n, false);
    if (fop >= 0) {
        compile_expr(c, n->a);
        compile_expr(c, n->b);
        mark_line(c, &n->loc);
        u32_push(false_jumps, emit(c, fop, 0, -2));
        return;
    }
    compile_expr(c, n);
    u32_push(false_jumps, emit(c, LPC_OP_JZ, 0, -1));
}

/* Arguments: pushes each, returns the count. */
static int compile_args(comp_t *c, lpc_node_t *args)
{
    int n = 0;
    for (lpc_node_t *a = args; a != NULL; a = a->next) {
        compile_expr(c, a);
        n++;
    }
    if (n > MAX_ARGS)
        cfatal(c, args != NULL ? &args->loc : NULL, "too many arguments (at most 255)");
    return n;
}

static bool is_lvalue(const lpc_node_t *n)
{
    return n->kind == LPC_N_IDENT || n->kind == LPC_N_INDEX;
}

/* For an INDEX node's container: the lvalue of a variable (so that
 * assigning a character can replace the string in the variable), any
 * other expression as a value. */
static void compile_container(comp_t *c, lpc_node_t *n)
{
    if (n->kind == LPC_N_IDENT) {
        int idx;
        uint16_t type;
        var_kind_t k = resolve_var(c, n->name, &idx, &type);
        if (k == VAR_LOCAL) {
            emit(c, LPC_OP_LV_LOCAL, (uint32_t)idx, 1);
            return;
        }
        if (k == VAR_GLOBAL) {
            emit(c, LPC_OP_LV_GLOBAL, (uint32_t)idx, 1);
            return;
        }
    }
    compile_expr(c, n);
}

/* Stores the value on top of the stack into lvalue `n`; with keep the
 * value stays on the stack, else it is popped. */
static void store_top(comp_t *c, lpc_node_t *n, bool keep)
{
    if (n->kind == LPC_N_IDENT) {
        int idx;
        uint16_t type;
        var_kind_t k = resolve_var(c, n->name, &idx, &type);
        if (k == VAR_NONE) {
            cerror(c, &n->loc, "undefined variable '%s'", n->name);
            if (!keep)
                emit(c, LPC_OP_POP, 0, -1);
            return;
        }
        if (k == VAR_LOCAL)
            emit(c, keep ? LPC_OP_SET_LOCAL : LPC_OP_SET_LOCAL_POP, (uint32_t)idx, keep ? 0 : -1);
        else
            emit(c, keep ? LPC_OP_SET_GLOBAL : LPC_OP_SET_GLOBAL_POP, (uint32_t)idx, keep ? 0 : -1);
        return;
    }
    if (n->kind == LPC_N_INDEX) {
        compile_container(c, n->a);
        compile_expr(c, n->b);
        emit(c, LPC_OP_ROT3, 0, 0);
        emit(c, (n->flags & LPC_NF_REVERSE) ? LPC_OP_RINDEX_ASSIGN : LPC_OP_INDEX_ASSIGN, 0, -2);
        if (!keep)
            emit(c, LPC_OP_POP, 0, -1);
        return;
    }
    cerror(c, &n->loc, "cannot assign to this expression");
}

static uint16_t compile_assign(comp_t *c, lpc_node_t *n, bool want)
{
    lpc_node_t *lhs = n->a;
    if (lhs->kind == LPC_N_RANGE) {
        cerror(c, &n->loc, "assignment to a range is not supported");
        compile_expr(c, n->b);
        if (!want)
            emit(c, LPC_OP_POP, 0, -1);
        return T_UNKNOWN;
    }
    if (!is_lvalue(lhs)) {
        cerror(c, &lhs->loc, "the left side of '%s' is not assignable",
               lpc_token_kind_name((lpc_token_kind_t)n->op));
        compile_expr(c, n->b);
        if (!want)
            emit(c, LPC_OP_POP, 0, -1);
        return T_UNKNOWN;
    }
    uint16_t ltype = T_UNKNOWN;
    int idx = 0;
    var_kind_t vk = VAR_NONE;
    if (lhs->kind == LPC_N_IDENT) {
        vk = resolve_var(c, lhs->name, &idx, &ltype);
        if (vk == VAR_NONE) {
            cerror(c, &lhs->loc, "undefined variable '%s'", lhs->name);
            compile_expr(c, n->b);
            if (!want)
                emit(c, LPC_OP_POP, 0, -1);
            return T_UNKNOWN;
        }
    }

    if (n->op == LPC_TOK_ASSIGN) {
        uint16_t rtype = compile_expr(c, n->b);
        if (lhs->kind == LPC_N_IDENT && !is_int_zero(n->b) && !type_compatible(ltype, rtype)) {
            char b1[32], b2[32];
            cwarn(c, &n->loc, "assigning %s to '%s', declared %s",
                  lpc_dtype_name(rtype, b1, sizeof b1), lhs->name,
                  lpc_dtype_name(ltype, b2, sizeof b2));
        }
        if (lhs->kind == LPC_N_IDENT) {
            if (vk == VAR_LOCAL)
                emit(c, want ? LPC_OP_SET_LOCAL : LPC_OP_SET_LOCAL_POP, (uint32_t)idx, want ? 0 : -1);
            else
                emit(c, want ? LPC_OP_SET_GLOBAL : LPC_OP_SET_GLOBAL_POP, (uint32_t)idx, want ? 0 : -1);
            return rtype;
        }
        /* c[i] = v: container, index, value */
        compile_container(c, lhs->a);
        compile_expr(c, lhs->b);
        emit(c, LPC_OP_ROT3, 0, 0);
        emit(c, (lhs->flags & LPC_NF_REVERSE) ? LPC_OP_RINDEX_ASSIGN : LPC_OP_INDEX_ASSIGN, 0, -2);
        if (!want)
            emit(c, LPC_OP_POP, 0, -1);
        return rtype;
    }

    /* Compound: old value, (rhs, op | short circuit), store. */
    bool logical = n->op == LPC_TOK_ANDAND_ASSIGN || n->op == LPC_TOK_OROR_ASSIGN;
    int op = logical ? -1 : binop_opcode(n->op);
    if (lhs->kind == LPC_N_IDENT) {
        emit(c, vk == VAR_LOCAL ? LPC_OP_LOCAL : LPC_OP_GLOBAL, (uint32_t)idx, 1);
    } else {
        compile_container(c, lhs->a);
        compile_expr(c, lhs->b);
        emit(c, LPC_OP_DUP2, 0, 2);
        emit(c, (lhs->flags & LPC_NF_REVERSE) ? LPC_OP_RINDEX : LPC_OP_INDEX, 0, -1);
    }
    uint16_t rtype;
    if (logical) {
        uint32_t j = emit(c, n->op == LPC_TOK_ANDAND_ASSIGN ? LPC_OP_JZ_KEEP : LPC_OP_JNZ_KEEP, 0, -1);
        rtype = compile_expr(c, n->b);
        patch(c, j, here(c));
    } else {
        uint16_t rt = compile_expr(c, n->b);
        emit(c, op, 0, -1);
        rtype = arith_type(op, ltype, rt);
    }
    if (lhs->kind == LPC_N_IDENT) {
        if (vk == VAR_LOCAL)
            emit(c, want ? LPC_OP_SET_LOCAL : LPC_OP_SET_LOCAL_POP, (uint32_t)idx, want ? 0 : -1);
        else
            emit(c, want ? LPC_OP_SET_GLOBAL : LPC_OP_SET_GLOBAL_POP, (uint32_t)idx, want ? 0 : -1);
    } else {
        emit(c, (lhs->flags & LPC_NF_REVERSE) ? LPC_OP_RINDEX_ASSIGN : LPC_OP_INDEX_ASSIGN, 0, -2);
        if (!want)
            emit(c, LPC_OP_POP, 0, -1);
    }
    return rtype;
}

static uint16_t compile_incdec(comp_t *c, lpc_node_t *n, bool want)
{
    int mode = 0;
    if (n->kind == LPC_N_PREDEC || n->kind == LPC_N_POSTDEC)
        mode |= LPC_INCDEC_DEC;
    if (n->kind == LPC_N_POSTINC || n->kind == LPC_N_POSTDEC)
        mode |= LPC_INCDEC_POST;
    if (!want)
        mode |= LPC_INCDEC_DISCARD;
    lpc_node_t *lhs = n->a;
    if (lhs->kind == LPC_N_IDENT) {
        int idx;
        uint16_t type;
        var_kind_t k = resolve_var(c, lhs->name, &idx, &type);
        if (k == VAR_NONE) {
            cerror(c, &lhs->loc, "undefined variable '%s'", lhs->name);
            if (want)
                emit_push_int(c, 0);
            return T_UNKNOWN;
        }
        emit(c, k == VAR_LOCAL ? LPC_OP_INCDEC_LOCAL : LPC_OP_INCDEC_GLOBAL,
             (uint32_t)idx | (uint32_t)mode << 16, want ? 1 : 0);
        return type;
    }
    if (lhs->kind == LPC_N_INDEX) {
        if (lhs->flags & LPC_NF_REVERSE)
            mode |= LPC_INCDEC_REVERSE;
        compile_container(c, lhs->a);
        compile_expr(c, lhs->b);
        emit(c, LPC_OP_INCDEC_INDEX, (uint32_t)mode, want ? -1 : -2);
        return T_UNKNOWN;
    }
    cerror(c, &n->loc, "'%s' needs a variable or an element",
           (mode & LPC_INCDEC_DEC) ? "--" : "++");
    if (want)
        emit_push_int(c, 0);
    return T_UNKNOWN;
}

/* A function entry a plain call f() binds to, or -1. */
static int find_function(comp_t *c, const char *name)
{
    return map_get(&c->fn_names, name);
}

/* Checks the argument count of a call to a table entry at compile time. */
static void check_call_args(comp_t *c, const lpc_srcloc_t *loc, const char *name,
                            const lpc_function_t *def, uint16_t flags, int nargs)
{
    int np = def->nparams;
    if (def->flags & LPC_FN_ELLIPSIS) {
        if (nargs < np - 1 && !(flags & LPC_FN_VARARGS))
            cerror(c, loc, "too few arguments to %s() (expected at least %d, got %d)",
                   name, np - 1, nargs);
        return;
    }
    if (nargs > np)
        cerror(c, loc, "too many arguments to %s() (expected %d, got %d)", name, np, nargs);
    else if (nargs < np && !(flags & LPC_FN_VARARGS))
        cerror(c, loc, "too few arguments to %s() (expected %d, got %d)", name, np, nargs);
}

static int new_callsite(comp_t *c)
{
    return (int)c->ncallsites++;
}

/* Does the simul_efun object define `name` (visible)? */
static bool simul_has(comp_t *c, const char *name)
{
    lpc_object_t *se = c->vm->simul_efun;
    if (se == NULL || lpc_object_is_destructed(se) || se->prog == NULL)
        return false;
    int i = lpc_program_find_function(se->prog, name);
    if (i < 0)
        return false;
    return !(se->prog->table[i].flags & (LPC_FN_PRIVATE | LPC_FN_STATIC | LPC_FN_HIDDEN));
}

static uint16_t compile_efun_call(comp_t *c, lpc_node_t *n, int efun)
{
    const lpc_efun_def_t *d = lpc_efun_get(efun);
    int nargs = lpc_ast_list_length(n->a);
    if (nargs < d->min_args)
        cerror(c, &n->loc, "too few arguments to %s() (expected at least %d, got %d)",
               d->name, d->min_args, nargs);
    else if (d->max_args != LPC_EFUN_VARARGS && nargs > d->max_args)
        cerror(c, &n->loc, "too many arguments to %s() (expected at most %d, got %d)",
               d->name, d->max_args, nargs);
    if (nargs > MAX_ARGS)
        cfatal(c, &n->loc, "too many arguments (at most 255)");

    if (d->lvalue_from > 0 && nargs >= d->lvalue_from) {
        /* Output arguments: pushed by the VM as "unset" markers, stored
         * back into each lvalue after the call (see lpc_efun.h). */
        int nplain = d->lvalue_from - 1;
        int nlv = nargs - nplain;
        lpc_node_t *a = n->a;
        for (int i = 0; i < nplain; i++, a = a->next)
            compile_expr(c, a);
        lpc_node_t *lvs[MAX_ARGS];
        for (int i = 0; i < nlv; i++, a = a->next) {
            if (!is_lvalue(a))
                cerror(c, &a->loc, "argument %d to %s() must be a variable or an element",
                       nplain + i + 1, d->name);
            lvs[i] = a;
        }
        mark_line(c, &n->loc);
        emit(c, LPC_OP_CALL_EFUN_LV, (uint32_t)efun | (uint32_t)nargs << 16, 0);
        emit_word(c, (uint32_t)nlv);
        adjust_stack(c, 1 + nlv - nplain);   /* [ret lv1..lvk] */
        for (int i = nlv - 1; i >= 0; i--) {
            uint32_t j = emit(c, LPC_OP_SKIP_IF_UNSET, 0, 0);
            if (is_lvalue(lvs[i]))
                store_top(c, lvs[i], false);
            else
                emit(c, LPC_OP_POP, 0, -1);
            patch(c, j, here(c));       /* both paths leave one value fewer */
        }
        return efun_ret_type(d);
    }

    compile_args(c, n->a);
    mark_line(c, &n->loc);
    if (strcmp(d->name, "this_object") == 0 && nargs == 0)
        emit(c, LPC_OP_THIS_OBJECT, 0, 1);
    else if (strcmp(d->name, "sizeof") == 0 && nargs == 1)
        emit(c, LPC_OP_SIZEOF, 0, 0);
    else
        emit(c, LPC_OP_CALL_EFUN, (uint32_t)efun | (uint32_t)nargs << 16, 1 - nargs);
    return efun_ret_type(d);
}

static uint16_t compile_call(comp_t *c, lpc_node_t *n)
{
    const char *name = n->name;
    const char *scope = n->text;

    if (scope != NULL && strcmp(scope, "efun") == 0) {
        int e = lpc_efun_lookup(name);
        if (e < 0) {
            cerror(c, &n->loc, "unknown efun '%s'", name);
            compile_args(c, n->a);
            return T_UNKNOWN;
        }
        return compile_efun_call(c, n, e);
    }

    if (scope != NULL) {
        /* ::f() or label::f(): a non-virtual call into an inherit. */
        for (uint32_t k = 0; k < c->ninherits; k++) {
            lpc_inherit_t *inh = &c->inherits[k];
            if (scope[0] != '\0' && strcmp(inh->label, scope) != 0)
                continue;
            int idx = lpc_program_find_function(inh->prog, name);
            if (idx < 0 || (inh->prog->table[idx].flags & LPC_FN_PRIVATE)) {
                if (scope[0] != '\0') {
                    cerror(c, &n->loc, "no function %s() in inherited '%s'", name, scope);
                    compile_args(c, n->a);
                    return T_UNKNOWN;
                }
                continue;
            }
            const lpc_func_entry_t *e = &inh->prog->table[idx];
            int nargs = compile_args(c, n->a);
            check_call_args(c, &n->loc, name, e->def, e->flags, nargs);
            mark_line(c, &n->loc);
            emit(c, LPC_OP_CALL_SUPER, k, 1 - nargs);
            emit_word(c, (uint32_t)idx | (uint32_t)nargs << 16);
            return e->def->ret_type;
        }
        if (scope[0] != '\0')
            cerror(c, &n->loc, "no inherited program labelled '%s'", scope);
        else
            cerror(c, &n->loc, "no inherited function %s()", name);
        compile_args(c, n->a);
        return T_UNKNOWN;
    }

    int idx = find_function(c, name);
    if (idx >= 0) {
        const lpc_func_entry_t *e = &c->table[idx];
        const lpc_function_t *def = e->def;
        if (def == NULL) {
            /* one of ours, def not final yet: use the def array */
            def = &c->defs[idx - (int)c->own_fn_offset];
        }
        int nargs = compile_args(c, n->a);
        check_call_args(c, &n->loc, name, def, e->flags, nargs);
        mark_line(c, &n->loc);
        if (idx > 0xffff)
            cfatal(c, &n->loc, "too many functions in one program");
        emit(c, LPC_OP_CALL, (uint32_t)idx | (uint32_t)nargs << 16, 1 - nargs);
        return def->ret_type;
    }
    if (simul_has(c, name)) {
        int nargs = compile_args(c, n->a);
        mark_line(c, &n->loc);
        emit(c, LPC_OP_CALL_SIMUL, string_const(c, name, strlen(name)), 1 - nargs);
        emit_word(c, (uint32_t)nargs);
        emit_word(c, (uint32_t)new_callsite(c));
        return T_UNKNOWN;
    }
    int e = lpc_efun_lookup(name);
    if (e >= 0) {
        /* call_other(ob, "name", args) with a literal name: the fast op */
        if (strcmp(name, "call_other") == 0 && n->a != NULL && n->a->next != NULL &&
            n->a->next->kind == LPC_N_STRING) {
            lpc_node_t *ob = n->a, *fname = n->a->next;
            compile_expr(c, ob);
            int nargs = compile_args(c, fname->next);
            mark_line(c, &n->loc);
            emit(c, LPC_OP_CALL_OTHER, string_const(c, fname->text, fname->len), -nargs);
            emit_word(c, (uint32_t)nargs);
            emit_word(c, (uint32_t)new_callsite(c));
            return T_UNKNOWN;
        }
        return compile_efun_call(c, n, e);
    }
    cerror(c, &n->loc, "undefined function '%s'", name);
    compile_args(c, n->a);
    emit_push_int(c, 0);
    return T_UNKNOWN;
}

static uint16_t compile_closure(comp_t *c, lpc_node_t *n);

static uint16_t compile_funcptr(comp_t *c, lpc_node_t *n)
{
    if (n->a == NULL && find_function(c, n->name) < 0 && lpc_efun_lookup(n->name) < 0) {
        int idx;
        uint16_t type;
        if (resolve_var(c, n->name, &idx, &type) != VAR_NONE) {
            /* (: var :) is an expression closure returning the variable */
            lpc_node_t *id = lpc_ast_node(&c->ast, LPC_N_IDENT, &n->loc);
            id->name = n->name;
            lpc_node_t *ret = lpc_ast_node(&c->ast, LPC_N_RETURN, &n->loc);
            ret->a = id;
            lpc_node_t *cl = lpc_ast_node(&c->ast, LPC_N_CLOSURE, &n->loc);
            cl->b = ret;
            cl->i = 0;
            return compile_closure(c, cl);
        }
    }
    int nbound = 0;
    for (lpc_node_t *a = n->a; a != NULL; a = a->next) {
        compile_expr(c, a);
        nbound++;
    }
    if (nbound > 255)
        cfatal(c, &n->loc, "too many bound arguments");
    int idx = find_function(c, n->name);
    if (idx >= 0) {
        if (idx > 0xffff)
            cfatal(c, &n->loc, "too many functions in one program");
        emit(c, LPC_OP_MAKE_FP_LOCAL, (uint32_t)idx | (uint32_t)nbound << 16, 1 - nbound);
        return T_FUNC;
    }
    int e = lpc_efun_lookup(n->name);
    if (e >= 0) {
        emit(c, LPC_OP_MAKE_FP_EFUN, (uint32_t)e | (uint32_t)nbound << 16, 1 - nbound);
        return T_FUNC;
    }
    cerror(c, &n->loc, "undefined function '%s' in function pointer", n->name);
    emit_push_int(c, 0);
    return T_FUNC;
}

static uint16_t compile_ident(comp_t *c, lpc_node_t *n)
{
    int idx;
    uint16_t type;
    var_kind_t k = resolve_var(c, n->name, &idx, &type);
    if (k == VAR_LOCAL) {
        emit(c, LPC_OP_LOCAL, (uint32_t)idx, 1);
        return type;
    }
    if (k == VAR_GLOBAL) {
        emit(c, LPC_OP_GLOBAL, (uint32_t)idx, 1);
        return type;
    }
    cerror(c, &n->loc, "undefined variable '%s'", n->name);
    emit_push_int(c, 0);
    return T_UNKNOWN;
}

static uint16_t compile_cast(comp_t *c, lpc_node_t *n)
{
    uint16_t from = compile_expr(c, n->a);
    uint16_t to = normalize_type(n->type);
    if (LPC_DTYPE_DEPTH(to) == 0) {
        unsigned b = LPC_DTYPE_BASE(to);
        if ((b == LPC_DT_INT || b == LPC_DT_FLOAT || b == LPC_DT_STRING) &&
            normalize_type(from) != to)
            emit(c, LPC_OP_CAST, b, 0);
    }
    return to;
}

static uint16_t compile_expr(comp_t *c, lpc_node_t *n)
{
    switch (n->kind) {
    case LPC_N_INT:
        emit_push_int(c, n->i);
        return n->i == 0 ? T_UNKNOWN : T_INT;
    case LPC_N_FLOAT:
        emit(c, LPC_OP_PUSH_CONST, add_const(c, lpc_float(n->f)), 1);
        return T_FLOAT;
    case LPC_N_STRING:
        emit(c, LPC_OP_PUSH_CONST, string_const(c, n->text, n->len), 1);
        return T_STRING;
    case LPC_N_IDENT:
        return compile_ident(c, n);
    case LPC_N_UNARY: {
        lpc_value_t v;
        if (const_eval(c, n, &v)) {
            if (v.type == LPC_T_INT)
                emit_push_int(c, v.u.i);
            else
                emit(c, LPC_OP_PUSH_CONST, add_const(c, v), 1);
            return v.type == LPC_T_INT ? T_INT : v.type == LPC_T_FLOAT ? T_FLOAT : T_UNKNOWN;
        }
        uint16_t t = compile_expr(c, n->a);
        switch (n->op) {
        case LPC_TOK_MINUS: emit(c, LPC_OP_NEG, 0, 0); return t;
        case LPC_TOK_NOT: emit(c, LPC_OP_NOT, 0, 0); return T_INT;
        case LPC_TOK_TILDE: emit(c, LPC_OP_COMPL, 0, 0); return T_INT;
        default: return t;       /* unary + */
        }
    }
    case LPC_N_BINARY: {
        lpc_value_t v;
        if (const_eval(c, n, &v)) {
            uint16_t t = v.type == LPC_T_INT ? T_INT : v.type == LPC_T_FLOAT ? T_FLOAT : T_STRING;
            if (v.type == LPC_T_INT)
                emit_push_int(c, v.u.i);
            else if (v.type == LPC_T_STRING) {
                emit(c, LPC_OP_PUSH_CONST, string_const(c, v.u.s->data, v.u.s->len), 1);
                lpc_value_release(&v);
            } else
                emit(c, LPC_OP_PUSH_CONST, add_const(c, v), 1);
            return t;
        }
        int op = binop_opcode(n->op);
        uint16_t ta = compile_expr(c, n->a);
        /* x + small constant: one instruction */
        if ((op == LPC_OP_ADD || op == LPC_OP_SUB) && n->b->kind == LPC_N_INT &&
            n->b->i >= LPC_IMM_MIN && n->b->i <= LPC_IMM_MAX) {
            mark_line(c, &n->loc);
            emit(c, op == LPC_OP_ADD ? LPC_OP_ADD_IMM : LPC_OP_SUB_IMM,
                 (uint32_t)(n->b->i & 0xffffff), 0);
            return arith_type(op, ta, T_INT);
        }
        uint16_t tb = compile_expr(c, n->b);
        mark_line(c, &n->loc);
        emit(c, op, 0, -1);
        return arith_type(op, ta, tb);
    }
    case LPC_N_LAND:
    case LPC_N_LOR: {
        compile_expr(c, n->a);
        uint32_t j = emit(c, n->kind == LPC_N_LAND ? LPC_OP_JZ_KEEP : LPC_OP_JNZ_KEEP, 0, -1);
        compile_expr(c, n->b);
        patch(c, j, here(c));
        return T_UNKNOWN;
    }
    case LPC_N_COND: {
        u32vec_t f = {0};
        compile_cond_false(c, n->a, &f);
        uint16_t t1 = compile_expr(c, n->b);
        uint32_t j = emit(c, LPC_OP_JUMP, 0, -1);
        patch_list(c, &f, here(c));
        uint16_t t2 = compile_expr(c, n->c);
        patch(c, j, here(c));
        return t1 == t2 ? t1 : T_UNKNOWN;
    }
    case LPC_N_COMMA:
        compile_void(c, n->a);
        return compile_expr(c, n->b);
    case LPC_N_ASSIGN:
        return compile_assign(c, n, true);
    case LPC_N_PREINC: case LPC_N_PREDEC: case LPC_N_POSTINC: case LPC_N_POSTDEC:
        return compile_incdec(c, n, true);
    case LPC_N_INDEX: {
        uint16_t t = compile_expr(c, n->a);
        compile_expr(c, n->b);
        mark_line(c, &n->loc);
        emit(c, (n->flags & LPC_NF_REVERSE) ? LPC_OP_RINDEX : LPC_OP_INDEX, 0, -1);
        t = normalize_type(t);
        if (t == T_STRING)
            return T_INT;
        if (LPC_DTYPE_DEPTH(t) > 0)
            return LPC_DTYPE(LPC_DTYPE_BASE(t), LPC_DTYPE_DEPTH(t) - 1);
        return T_UNKNOWN;
    }
    case LPC_N_RANGE: {
        uint16_t t = compile_expr(c, n->a);
        uint32_t flags = 0;
        if (n->b != NULL)
            compile_expr(c, n->b);
        else
            emit_push_int(c, 0);
        if (n->flags & LPC_NF_LO_REVERSE)
            flags |= LPC_RANGE_LO_REV;
        if (n->c != NULL) {
            compile_expr(c, n->c);
            if (n->flags & LPC_NF_HI_REVERSE)
                flags |= LPC_RANGE_HI_REV;
        } else {
            flags |= LPC_RANGE_NO_HI;
        }
        mark_line(c, &n->loc);
        emit(c, LPC_OP_RANGE, flags, (flags & LPC_RANGE_NO_HI) ? -1 : -2);
        return t;
    }
    case LPC_N_CALL:
        return compile_call(c, n);
    case LPC_N_CALL_OTHER: {
        compile_expr(c, n->a);
        int nargs = compile_args(c, n->b);
        mark_line(c, &n->loc);
        emit(c, LPC_OP_CALL_OTHER, string_const(c, n->name, strlen(n->name)), -nargs);
        emit_word(c, (uint32_t)nargs);
        emit_word(c, (uint32_t)new_callsite(c));
        return T_UNKNOWN;
    }
    case LPC_N_ARRAY: {
        int k = 0;
        for (lpc_node_t *a = n->a; a != NULL; a = a->next) {
            compile_expr(c, a);
            k++;
        }
        emit(c, LPC_OP_AGGREGATE, (uint32_t)k, 1 - k);
        return LPC_DTYPE(LPC_DT_MIXED, 1);
    }
    case LPC_N_MAPPING: {
        int k = 0;
        for (lpc_node_t *a = n->a; a != NULL; a = a->next) {
            compile_expr(c, a);
            k++;
        }
        mark_line(c, &n->loc);
        emit(c, LPC_OP_MAP_AGGREGATE, (uint32_t)(k / 2), 1 - k);
        return T_MAPPING;
    }
    case LPC_N_CAST:
        return compile_cast(c, n);
    case LPC_N_CATCH: {
        uint32_t j = emit(c, LPC_OP_CATCH, 0, 0);
        compile_expr(c, n->a);
        emit(c, LPC_OP_END_CATCH, 0, -1);
        patch(c, j, here(c));
        adjust_stack(c, 1);
        return T_UNKNOWN;
    }
    case LPC_N_FUNCPTR:
        return compile_funcptr(c, n);
    case LPC_N_CLOSURE:
        return compile_closure(c, n);
    case LPC_N_DOLLAR:
        if (!c->fs->is_expr_closure) {
            cerror(c, &n->loc, "'$%lld' outside a (: :) function pointer", (long long)n->i);
            emit_push_int(c, 0);
            return T_UNKNOWN;
        }
        emit(c, LPC_OP_LOCAL, (uint32_t)(n->i - 1), 1);
        return T_UNKNOWN;
    case LPC_N_DOLLAR_EXPR: {
        fstate_t *fs = c->fs;
        if (!fs->is_closure) {
            cerror(c, &n->loc, "'$(...)' outside a function pointer");
            emit_push_int(c, 0);
            return T_UNKNOWN;
        }
        if (fs->ncaps >= 255)
            cfatal(c, &n->loc, "too many captured values in one closure");
        VEC_GROW(fs->caps, fs->ncaps, fs->capc);
        capture_t *cap = &fs->caps[fs->ncaps];
        memset(cap, 0, sizeof *cap);
        cap->kind = CAP_EXPR;
        cap->expr = n->a;
        cap->name = "";
        emit(c, LPC_OP_LOCAL, (uint32_t)(CAP_BASE + fs->ncaps++), 1);
        return T_UNKNOWN;
    }
    default:
        cerror(c, &n->loc, "not an expression");
        emit_push_int(c, 0);
        return T_UNKNOWN;
    }
}

/* Compiles an expression whose value is not used. */
static void compile_void(comp_t *c, lpc_node_t *n)
{
    switch (n->kind) {
    case LPC_N_ASSIGN:
        compile_assign(c, n, false);
        return;
    case LPC_N_PREINC: case LPC_N_PREDEC: case LPC_N_POSTINC: case LPC_N_POSTDEC:
        compile_incdec(c, n, false);
        return;
    case LPC_N_COMMA:
        compile_void(c, n->a);
        compile_void(c, n->b);
        return;
    default:
        compile_expr(c, n);
        emit(c, LPC_OP_POP, 0, -1);
        return;
    }
}

/* ---- closures ------------------------------------------------------- */

static uint32_t new_def(comp_t *c, const char *name, const lpc_srcloc_t *loc)
{
    VEC_GROW(c->defs, c->ndefs, c->capd);
    lpc_function_t *d = &c->defs[c->ndefs];
    memset(d, 0, sizeof *d);
    d->name = lpc_program_intern(c->prog, name);
    d->line = loc != NULL ? loc->line : 0;
    d->ret_type = T_MIXED;
    return c->ndefs++;
}

static void finish_function(comp_t *c, fstate_t *fs, uint32_t def_index, int ncaps);

/* Parameters of a FUNCTION or CLOSURE node into fs: returns nparams,
 * sets *ellipsis. */
static int declare_params(comp_t *c, lpc_node_t *params, bool *ellipsis, uint16_t **types)
{
    int np = lpc_ast_list_length(params);
    *types = np > 0 ? lpc_malloc((size_t)np * sizeof **types) : NULL;
    int i = 0;
    *ellipsis = false;
    for (lpc_node_t *p = params; p != NULL; p = p->next, i++) {
        (*types)[i] = p->type;
        add_local(c, p->name, p->type, &p->loc);
        if (p->flags & LPC_NF_ELLIPSIS)
            *ellipsis = true;
    }
    return np;
}

static uint16_t compile_closure(comp_t *c, lpc_node_t *n)
{
    fstate_t *fsp = fstate_new(c->fs, "<closure>");
    fstate_t *outer = c->fs;
    fsp->is_closure = true;
    fsp->is_expr_closure = n->i >= 0;
    c->fs = fsp;

    uint32_t di = new_def(c, "<closure>", &n->loc);
    bool ellipsis = false;
    uint16_t *types = NULL;
    int np;
    if (fsp->is_expr_closure) {
        np = (int)n->i;
        for (int i = 0; i < np; i++)
            add_local(c, NULL, T_UNKNOWN, &n->loc);
    } else {
        np = declare_params(c, n->a, &ellipsis, &types);
    }
    fsp->nparams = np;
    fsp->ret_type = T_MIXED;
    mark_line(c, &n->loc);
    if (fsp->is_expr_closure) {
        /* body: RETURN expr */
        compile_expr(c, n->b->a);
        emit(c, LPC_OP_RETURN, 0, -1);
    } else {
        scope_enter(c);
        compile_block_list(c, n->b->a);
        scope_leave(c);
        emit(c, LPC_OP_RETURN_ZERO, 0, 0);
    }
    lpc_function_t *d = &c->defs[di];
    d->nparams = (uint16_t)np;
    d->flags = LPC_FN_CLOSURE | LPC_FN_VARARGS | (ellipsis ? LPC_FN_ELLIPSIS : 0);
    d->param_types = types;
    int ncaps = fsp->ncaps;
    finish_function(c, fsp, di, ncaps);
    c->fs = outer;

    /* In the enclosing function: push the captured values, then make. */
    for (int i = 0; i < ncaps; i++) {
        capture_t *cap = &fsp->caps[i];
        if (cap->kind == CAP_LOCAL)
            emit(c, LPC_OP_LOCAL, (uint32_t)cap->outer_slot, 1);
        else
            compile_expr(c, cap->expr);
    }
    emit(c, LPC_OP_MAKE_CLOSURE, di, 1 - ncaps);
    fstate_free(fsp);
    return T_FUNC;
}

/* ---- statements ----------------------------------------------------- */

static void loop_push(comp_t *c, loop_ctx_t *l, switch_ctx_t *sw)
{
    memset(l, 0, sizeof *l);
    l->outer = c->fs->loops;
    l->sw = sw;
    l->stack = c->fs->stack;
    c->fs->loops = l;
}

static void loop_pop(comp_t *c, loop_ctx_t *l, uint32_t brk_target, uint32_t cont_target)
{
    patch_list(c, &l->brk, brk_target);
    if (l->sw == NULL)
        patch_list(c, &l->cont, cont_target);
    c->fs->loops = l->outer;
}

static void compile_local_decl(comp_t *c, lpc_node_t *d)
{
    /* The initialiser sees the variables declared before, not this one. */
    if (d->b != NULL) {
        uint16_t rt = compile_expr(c, d->b);
        if (!is_int_zero(d->b) && !type_compatible(d->type, rt)) {
            char b1[32], b2[32];
            cwarn(c, &d->loc, "initialising '%s' (%s) with %s", d->name,
                  lpc_dtype_name(d->type, b1, sizeof b1), lpc_dtype_name(rt, b2, sizeof b2));
        }
        int slot = add_local(c, d->name, d->type, &d->loc);
        emit(c, LPC_OP_SET_LOCAL_POP, (uint32_t)slot, -1);
    } else {
        int slot = add_local(c, d->name, d->type, &d->loc);
        emit(c, LPC_OP_CLEAR_LOCAL, (uint32_t)slot, 0);
    }
}

static void compile_if(comp_t *c, lpc_node_t *n)
{
    u32vec_t f = {0};
    compile_cond_false(c, n->a, &f);
    compile_statement(c, n->b);
    if (n->c != NULL) {
        uint32_t j = emit(c, LPC_OP_JUMP, 0, 0);
        patch_list(c, &f, here(c));
        compile_statement(c, n->c);
        patch(c, j, here(c));
    } else {
        patch_list(c, &f, here(c));
    }
}

/* while (a) b  ==>  JUMP cond; top: b; cond: if a LOOP_JNZ top */
static void compile_loop_cond_back(comp_t *c, lpc_node_t *cond, uint32_t top)
{
    if (cond == NULL) {
        emit(c, LPC_OP_LOOP_JUMP, top, 0);
        return;
    }
    lpc_value_t v;
    if (const_eval(c, cond, &v)) {
        bool truth = !lpc_value_is_zero(&v);
        lpc_value_release(&v);
        if (truth)
            emit(c, LPC_OP_LOOP_JUMP, top, 0);
        return;
    }
    u32vec_t t = {0};
    compile_cond_true_op(c, cond, &t, LPC_OP_LOOP_JNZ);
    patch_list(c, &t, top);
}

static void compile_while(comp_t *c, lpc_node_t *n)
{
    loop_ctx_t l;
    uint32_t j = emit(c, LPC_OP_JUMP, 0, 0);
    uint32_t top = here(c);
    loop_push(c, &l, NULL);
    compile_statement(c, n->b);
    uint32_t cond = here(c);
    patch(c, j, cond);
    mark_line(c, &n->loc);
    compile_loop_cond_back(c, n->a, top);
    loop_pop(c, &l, here(c), cond);
}

static void compile_do(comp_t *c, lpc_node_t *n)
{
    loop_ctx_t l;
    uint32_t top = here(c);
    loop_push(c, &l, NULL);
    compile_statement(c, n->b);
    uint32_t cond = here(c);
    mark_line(c, &n->a->loc);
    compile_loop_cond_back(c, n->a, top);
    loop_pop(c, &l, here(c), cond);
}

static void compile_for(comp_t *c, lpc_node_t *n)
{
    scope_enter(c);
    if (n->a != NULL) {
        if (n->a->kind == LPC_N_DECL || (n->a->kind == LPC_N_BLOCK && n->a->flags == 1))
            compile_statement(c, n->a);
        else
            compile_void(c, n->a);
    }
    loop_ctx_t l;
    uint32_t j = emit(c, LPC_OP_JUMP, 0, 0);
    uint32_t top = here(c);
    loop_push(c, &l, NULL);
    compile_statement(c, n->d);
    uint32_t step = here(c);
    if (n->c != NULL) {
        mark_line(c, &n->c->loc);
        compile_void(c, n->c);
    }
    patch(c, j, here(c));
    if (n->b != NULL)
        mark_line(c, &n->b->loc);
    compile_loop_cond_back(c, n->b, top);
    loop_pop(c, &l, here(c), step);
    scope_leave(c);
}

static uint32_t foreach_var(comp_t *c, lpc_node_t *v)
{
    if (v == NULL)
        return LPC_FE_NONE << 24;
    if (v->kind == LPC_N_DECL) {
        int slot = add_local(c, v->name, v->type, &v->loc);
        return LPC_FE_LOCAL << 24 | (uint32_t)slot;
    }
    int idx;
    uint16_t type;
    var_kind_t k = resolve_var(c, v->name, &idx, &type);
    if (k == VAR_LOCAL)
        return LPC_FE_LOCAL << 24 | (uint32_t)idx;
    if (k == VAR_GLOBAL)
        return LPC_FE_GLOBAL << 24 | (uint32_t)idx;
    cerror(c, &v->loc, "undefined variable '%s'", v->name);
    return LPC_FE_NONE << 24;
}

static void compile_foreach(comp_t *c, lpc_node_t *n)
{
    scope_enter(c);
    compile_expr(c, n->c);
    int base = add_local(c, NULL, T_UNKNOWN, &n->loc);
    add_local(c, NULL, T_UNKNOWN, &n->loc);
    add_local(c, NULL, T_UNKNOWN, &n->loc);
    mark_line(c, &n->loc);
    emit(c, LPC_OP_FOREACH_INIT, (uint32_t)base, -1);
    uint32_t v1 = foreach_var(c, n->a);
    uint32_t v2 = foreach_var(c, n->b);
    loop_ctx_t l;
    uint32_t next = here(c);
    uint32_t pos = emit(c, LPC_OP_FOREACH_NEXT, (uint32_t)base, 0);
    emit_word(c, v1);
    emit_word(c, v2);
    emit_word(c, 0);                  /* exit, patched below */
    loop_push(c, &l, NULL);
    compile_statement(c, n->d);
    emit(c, LPC_OP_LOOP_JUMP, next, 0);
    uint32_t exit_pc = here(c);
    c->fs->code.v[pos + 3] = exit_pc;
    loop_pop(c, &l, exit_pc, next);
    emit(c, LPC_OP_CLEAR_LOCAL, (uint32_t)base, 0);
    emit(c, LPC_OP_CLEAR_LOCAL, (uint32_t)base + 1, 0);
    scope_leave(c);
}

static int cmp_ranges(const void *a, const void *b)
{
    const lpc_switch_range_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

static int cmp_strs(const void *a, const void *b)
{
    const lpc_switch_str_t *x = a, *y = b;
    return lpc_string_compare(x->s, y->s);
}

static void compile_switch(comp_t *c, lpc_node_t *n)
{
    compile_expr(c, n->a);
    mark_line(c, &n->loc);
    if (c->nswitches >= 0xffffff)
        cfatal(c, &n->loc, "too many switch statements");
    VEC_GROW(c->switches, c->nswitches, c->caps);
    uint32_t swi = c->nswitches++;
    memset(&c->switches[swi], 0, sizeof c->switches[swi]);
    u32_push(&c->fs->switch_ids, swi);
    emit(c, LPC_OP_SWITCH, swi, -1);

    switch_ctx_t sw;
    memset(&sw, 0, sizeof sw);
    loop_ctx_t l;
    loop_push(c, &l, &sw);
    /* continue inside a switch belongs to the enclosing loop */
    scope_enter(c);
    compile_block_list(c, n->b->a);
    scope_leave(c);
    uint32_t end = here(c);
    loop_pop(c, &l, end, 0);
    if (l.cont.n > 0) {
        /* hand the continues to the enclosing context */
        loop_ctx_t *outer = c->fs->loops;
        for (uint32_t i = 0; i < l.cont.n; i++)
            if (outer != NULL)
                u32_push(&outer->cont, l.cont.v[i]);
    }
    free(l.cont.v);

    /* Build the tables (targets relative; rebased with the function). */
    lpc_switch_t *st = &c->switches[swi];
    st->deflt = end;
    int nr = 0, ns = 0;
    for (int i = 0; i < sw.ncases; i++) {
        if (sw.cases[i].kind == 0) nr++;
        else if (sw.cases[i].kind == 1) ns++;
        else st->deflt = sw.cases[i].target;
    }
    st->ranges = nr ? lpc_malloc((size_t)nr * sizeof *st->ranges) : NULL;
    st->strs = ns ? lpc_malloc((size_t)ns * sizeof *st->strs) : NULL;
    for (int i = 0; i < sw.ncases; i++) {
        case_entry_t *ce = &sw.cases[i];
        if (ce->kind == 0) {
            lpc_switch_range_t *r = &st->ranges[st->nranges++];
            r->lo = ce->lo;
            r->hi = ce->hi;
            r->target = ce->target;
        } else if (ce->kind == 1) {
            lpc_switch_str_t *s = &st->strs[st->nstrs++];
            s->s = ce->s;
            s->target = ce->target;
        }
    }
    if (st->nranges > 1)
        qsort(st->ranges, st->nranges, sizeof *st->ranges, cmp_ranges);
    if (st->nstrs > 1)
        qsort(st->strs, st->nstrs, sizeof *st->strs, cmp_strs);
    for (uint32_t i = 1; i < st->nranges; i++)
        if (st->ranges[i].lo <= st->ranges[i - 1].hi) {
            /* report it at whichever of the two comes later in the file */
            lpc_srcloc_t loc = n->loc;
            bool found = false;
            for (int k = 0; k < sw.ncases; k++) {
                const case_entry_t *ce = &sw.cases[k];
                if (ce->kind != 0 || (ce->target != st->ranges[i].target &&
                                      ce->target != st->ranges[i - 1].target))
                    continue;
                if (!found || ce->loc.line > loc.line ||
                    (ce->loc.line == loc.line && ce->loc.col > loc.col))
                    loc = ce->loc;
                found = true;
            }
            cerror(c, &loc, "duplicate case value %lld", (long long)st->ranges[i].lo);
            break;
        }
    for (uint32_t i = 1; i < st->nstrs; i++)
        if (lpc_string_equal(st->strs[i].s, st->strs[i - 1].s)) {
            cerror(c, &n->loc, "duplicate case value \"%s\"", st->strs[i].s->data);
            break;
        }
    /* A dense jump table when the int cases are compact. */
    if (st->nranges >= 4) {
        int64_t lo = st->ranges[0].lo, hi = st->ranges[st->nranges - 1].hi;
        uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
        if (span <= 1024 && span <= 4 * (uint64_t)st->nranges + 16) {
            st->dense_lo = lo;
            st->ndense = (uint32_t)span;
            st->dense = lpc_malloc(span * sizeof *st->dense);
            for (uint64_t k = 0; k < span; k++)
                st->dense[k] = st->deflt;
            for (uint32_t i = 0; i < st->nranges; i++)
                for (int64_t v = st->ranges[i].lo; v <= st->ranges[i].hi; v++)
                    st->dense[v - lo] = st->ranges[i].target;
        }
    }
    free(sw.cases);
}

static void compile_case(comp_t *c, lpc_node_t *n)
{
    loop_ctx_t *l = c->fs->loops;
    while (l != NULL && l->sw == NULL)
        l = l->outer;
    if (l == NULL) {
        cerror(c, &n->loc, "'%s' outside a switch", n->kind == LPC_N_CASE ? "case" : "default");
        return;
    }
    switch_ctx_t *sw = l->sw;
    case_entry_t ce;
    memset(&ce, 0, sizeof ce);
    ce.target = here(c);
    ce.loc = n->loc;
    if (n->kind == LPC_N_DEFAULT) {
        if (sw->has_default) {
            cerror(c, &n->loc, "more than one 'default' in a switch");
            return;
        }
        sw->has_default = true;
        ce.kind = 2;
    } else {
        lpc_value_t lo, hi;
        if (!const_eval(c, n->a, &lo)) {
            cerror(c, &n->a->loc, "case value must be a constant");
            return;
        }
        if (lo.type == LPC_T_STRING) {
            if (n->b != NULL) {
                cerror(c, &n->loc, "a case range needs integer bounds");
                lpc_value_release(&lo);
                return;
            }
            ce.kind = 1;
            ce.s = lo.u.s;
        } else if (lo.type == LPC_T_INT) {
            ce.kind = 0;
            ce.lo = ce.hi = lo.u.i;
            if (n->b != NULL) {
                if (!const_eval(c, n->b, &hi) || hi.type != LPC_T_INT) {
                    cerror(c, &n->b->loc, "case range bound must be an integer constant");
                    return;
                }
                ce.hi = hi.u.i;
                if (ce.hi < ce.lo) {
                    cerror(c, &n->loc, "empty case range %lld..%lld",
                           (long long)ce.lo, (long long)ce.hi);
                    return;
                }
            }
        } else {
            cerror(c, &n->a->loc, "case value must be an integer or a string");
            lpc_value_release(&lo);
            return;
        }
    }
    if (sw->ncases == sw->cap) {
        sw->cap = sw->cap ? sw->cap * 2 : 8;
        sw->cases = lpc_realloc(sw->cases, (size_t)sw->cap * sizeof *sw->cases);
    }
    sw->cases[sw->ncases++] = ce;
}

static void compile_return(comp_t *c, lpc_node_t *n)
{
    fstate_t *fs = c->fs;
    if (n->a == NULL) {
        emit(c, LPC_OP_RETURN_ZERO, 0, 0);
        return;
    }
    uint16_t t = compile_expr(c, n->a);
    if (LPC_DTYPE_BASE(fs->ret_type) == LPC_DT_VOID && !fs->is_closure)
        cwarn(c, &n->loc, "returning a value from void function %s()", fs->name);
    else if (!is_int_zero(n->a) && !type_compatible(fs->ret_type, t)) {
        char b1[32], b2[32];
        cwarn(c, &n->loc, "returning %s from %s() declared %s",
              lpc_dtype_name(t, b1, sizeof b1), fs->name,
              lpc_dtype_name(fs->ret_type, b2, sizeof b2));
    }
    emit(c, LPC_OP_RETURN, 0, -1);
}

static void compile_block_list(comp_t *c, lpc_node_t *list)
{
    for (lpc_node_t *s = list; s != NULL; s = s->next)
        compile_statement(c, s);
}

static void compile_statement(comp_t *c, lpc_node_t *n)
{
    if (n->kind != LPC_N_BLOCK && n->kind != LPC_N_EMPTY)
        mark_line(c, &n->loc);
    switch (n->kind) {
    case LPC_N_BLOCK:
        if (n->flags == 1) {            /* "int a, b;": same scope */
            compile_block_list(c, n->a);
            return;
        }
        scope_enter(c);
        compile_block_list(c, n->a);
        scope_leave(c);
        return;
    case LPC_N_EMPTY:
        return;
    case LPC_N_DECL:
        compile_local_decl(c, n);
        return;
    case LPC_N_EXPR:
        compile_void(c, n->a);
        return;
    case LPC_N_IF:
        compile_if(c, n);
        return;
    case LPC_N_WHILE:
        compile_while(c, n);
        return;
    case LPC_N_DO:
        compile_do(c, n);
        return;
    case LPC_N_FOR:
        compile_for(c, n);
        return;
    case LPC_N_FOREACH:
        compile_foreach(c, n);
        return;
    case LPC_N_SWITCH:
        compile_switch(c, n);
        return;
    case LPC_N_CASE:
    case LPC_N_DEFAULT:
        compile_case(c, n);
        return;
    case LPC_N_BREAK: {
        loop_ctx_t *l = c->fs->loops;
        if (l == NULL) {
            cerror(c, &n->loc, "'break' outside a loop or switch");
            return;
        }
        u32_push(&l->brk, emit(c, LPC_OP_JUMP, 0, 0));
        return;
    }
    case LPC_N_CONTINUE: {
        /* Inside a switch the jump is recorded on the switch, which hands
         * it to the enclosing context when it ends. */
        loop_ctx_t *loop = c->fs->loops;
        while (loop != NULL && loop->sw != NULL)
            loop = loop->outer;
        if (loop == NULL) {
            cerror(c, &n->loc, "'continue' outside a loop");
            return;
        }
        u32_push(&c->fs->loops->cont, emit(c, LPC_OP_JUMP, 0, 0));
        return;
    }
    case LPC_N_RETURN:
        compile_return(c, n);
        return;
    default:
        cerror(c, &n->loc, "not a statement");
        return;
    }
}

/* ---- function finishing: append and rebase ------------------------- */

static bool op_has_target(int op)
{
    switch (op) {
    case LPC_OP_JUMP: case LPC_OP_JZ: case LPC_OP_JNZ: case LPC_OP_JZ_KEEP:
    case LPC_OP_JNZ_KEEP: case LPC_OP_LOOP_JNZ: case LPC_OP_LOOP_JUMP:
    case LPC_OP_CATCH: case LPC_OP_SKIP_IF_UNSET:
    case LPC_OP_CJ_EQ: case LPC_OP_CJ_NE: case LPC_OP_CJ_LT:
    case LPC_OP_CJ_LE: case LPC_OP_CJ_GT: case LPC_OP_CJ_GE:
    case LPC_OP_LOOP_EQ: case LPC_OP_LOOP_NE: case LPC_OP_LOOP_LT:
    case LPC_OP_LOOP_LE: case LPC_OP_LOOP_GT: case LPC_OP_LOOP_GE:
        return true;
    default:
        return false;
    }
}

static bool op_has_slot(int op)
{
    switch (op) {
    case LPC_OP_LOCAL: case LPC_OP_SET_LOCAL: case LPC_OP_SET_LOCAL_POP:
    case LPC_OP_CLEAR_LOCAL: case LPC_OP_LV_LOCAL: case LPC_OP_INCDEC_LOCAL:
    case LPC_OP_FOREACH_INIT: case LPC_OP_FOREACH_NEXT:
        return true;
    default:
        return false;
    }
}

static uint32_t remap_slot(uint32_t slot, int np, int ncaps)
{
    if (slot >= CAP_BASE)
        return (uint32_t)np + (slot - CAP_BASE);
    if ((int)slot >= np)
        return slot + (uint32_t)ncaps;
    return slot;
}

/* Appends fs's code to the program, rebasing targets (and closure slot
 * numbers), and fills in def `def_index`. */
static void finish_function(comp_t *c, fstate_t *fs, uint32_t def_index, int ncaps)
{
    uint32_t base = c->code.n;
    uint32_t *code = fs->code.v;
    int np = fs->nparams;
    bool closure = fs->is_closure;
    for (uint32_t pc = 0; pc < fs->code.n;) {
        uint32_t w = code[pc];
        int op = (int)LPC_INS_OP(w);
        uint32_t a = LPC_INS_A(w);
        if (op_has_target(op))
            code[pc] = LPC_INS(op, a + base);
        if (closure && op_has_slot(op)) {
            if (op == LPC_OP_INCDEC_LOCAL)
                code[pc] = LPC_INS(op, remap_slot(a & 0xffff, np, ncaps) | (a & 0xff0000));
            else
                code[pc] = LPC_INS(op, remap_slot(a, np, ncaps));
            if (op == LPC_OP_FOREACH_NEXT) {
                for (int k = 1; k <= 2; k++) {
                    uint32_t v = code[pc + (uint32_t)k];
                    if ((v >> 24) == LPC_FE_LOCAL)
                        code[pc + (uint32_t)k] = LPC_FE_LOCAL << 24 |
                                                 remap_slot(v & 0xffffff, np, ncaps);
                }
            }
        }
        if (op == LPC_OP_FOREACH_NEXT)
            code[pc + 3] += base;
        pc += 1 + (uint32_t)lpc_opcode_extra(op);
    }
    for (uint32_t i = 0; i < fs->switch_ids.n; i++) {
        lpc_switch_t *sw = &c->switches[fs->switch_ids.v[i]];
        sw->deflt += base;
        for (uint32_t k = 0; k < sw->nranges; k++)
            sw->ranges[k].target += base;
        for (uint32_t k = 0; k < sw->nstrs; k++)
            sw->strs[k].target += base;
        for (uint32_t k = 0; k < sw->ndense; k++)
            sw->dense[k] += base;
    }
    for (uint32_t i = 0; i < fs->nlines; i++) {
        VEC_GROW(c->lines, c->nlines, c->capl);
        c->lines[c->nlines] = fs->lines[i];
        c->lines[c->nlines].pc += base;
        c->nlines++;
    }
    for (uint32_t pc = 0; pc < fs->code.n; pc++)
        u32_push(&c->code, code[pc]);

    lpc_function_t *d = &c->defs[def_index];
    d->code = base;
    d->ncaptured = (uint16_t)ncaps;
    int nlocals = fs->max_slot - np;
    d->nlocals = (uint16_t)(nlocals > 0 ? nlocals : 0);
    d->max_stack = (uint16_t)(fs->max_stack > 0xfff0 ? 0xfff0 : fs->max_stack);
    if (fs->max_stack > 0xfff0)
        cerror(c, NULL, "expression too deep in %s()", fs->name);
}

/* ---- declarations (pass 1) ----------------------------------------- */

static const char *inherit_label(comp_t *c, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 2 && strcmp(base + n - 2, ".c") == 0)
        n -= 2;
    char buf[256];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, base, n);
    buf[n] = '\0';
    return lpc_program_intern(c->prog, buf);
}

static void declare_inherit(comp_t *c, lpc_node_t *n)
{
    char name[1024];
    if (memchr(n->text, '\0', n->len) != NULL || n->len >= sizeof name - 3) {
        cerror(c, &n->loc, "bad file name to inherit");
        return;
    }
    char raw[1024];
    memcpy(raw, n->text, n->len);
    raw[n->len] = '\0';
    if (!lpc_object_normalize_name(raw, name, sizeof name)) {
        cerror(c, &n->loc, "bad file name to inherit: \"%s\"", raw);
        return;
    }
    for (uint32_t k = 0; k < c->ninherits; k++) {
        char other[1024];
        snprintf(other, sizeof other, "%s", c->inherits[k].prog->path);
        size_t ol = strlen(other);
        if (ol > 2)
            other[ol - 2] = '\0';
        if (strcmp(other, name) == 0) {
            cerror(c, &n->loc, "\"%s\" is inherited twice", name);
            return;
        }
    }
    char err[512];
    lpc_program_t *ip = lpc_object_inherit_program(c->vm, name, err, sizeof err);
    if (ip == NULL) {
        cerror(c, &n->loc, "cannot inherit \"%s\": %s", name, err);
        return;
    }
    VEC_GROW(c->inherits, c->ninherits, c->capi);
    lpc_inherit_t *inh = &c->inherits[c->ninherits++];
    inh->prog = ip;                      /* reference from lpc_object_inherit_program */
    inh->label = n->name != NULL ? lpc_program_intern(c->prog, n->name)
                                 : inherit_label(c, ip->path);
    inh->fn_offset = c->ntable;
    inh->var_offset = c->nvars;

    for (uint32_t i = 0; i < ip->ntable; i++) {
        VEC_GROW(c->table, c->ntable, c->capt);
        lpc_func_entry_t e = ip->table[i];
        e.fn_offset += inh->fn_offset;
        e.var_offset += inh->var_offset;
        e.flags |= LPC_FN_INHERITED;
        if (e.flags & LPC_FN_PRIVATE)
            e.flags |= LPC_FN_HIDDEN;
        c->table[c->ntable++] = e;
        /* first visible definition of a name wins for plain calls */
        if (!(e.flags & LPC_FN_HIDDEN) && map_get(&c->fn_names, e.name) < 0)
            map_put(&c->fn_names, e.name, (int)(c->ntable - 1));
    }
    for (uint32_t i = 0; i < ip->nvars_total; i++) {
        VEC_GROW(c->vars, c->nvars, c->capvars);
        lpc_var_def_t v = ip->vars[i];
        if (v.flags & LPC_FN_PRIVATE)
            v.flags |= LPC_VAR_HIDDEN;
        c->vars[c->nvars++] = v;
        if (!(v.flags & LPC_VAR_HIDDEN) && map_get(&c->var_names, v.name) < 0)
            map_put(&c->var_names, v.name, (int)(c->nvars - 1));
    }
}

static uint16_t mods_to_flags(uint16_t mods)
{
    uint16_t f = 0;
    if (mods & LPC_MOD_PRIVATE) f |= LPC_FN_PRIVATE;
    if (mods & (LPC_MOD_STATIC | LPC_MOD_PROTECTED)) f |= LPC_FN_STATIC;
    if (mods & LPC_MOD_PUBLIC) f |= LPC_FN_PUBLIC;
    if (mods & LPC_MOD_NOMASK) f |= LPC_FN_NOMASK;
    if (mods & LPC_MOD_VARARGS) f |= LPC_FN_VARARGS;
    return f;
}

static void declare_global(comp_t *c, lpc_node_t *n)
{
    int prev = map_get(&c->var_names, n->name);
    if (prev >= 0) {
        if ((uint32_t)prev >= c->own_var_offset)
            cerror(c, &n->loc, "redeclaration of global variable '%s'", n->name);
        else
            cerror(c, &n->loc, "global variable '%s' is already declared in an inherited program",
                   n->name);
        return;
    }
    if (find_function(c, n->name) >= 0 &&
        (uint32_t)find_function(c, n->name) >= c->own_fn_offset)
        cwarn(c, &n->loc, "global variable '%s' has the name of a function", n->name);
    VEC_GROW(c->vars, c->nvars, c->capvars);
    lpc_var_def_t *v = &c->vars[c->nvars];
    v->name = lpc_program_intern(c->prog, n->name);
    v->type = n->type;
    v->flags = mods_to_flags(n->mods) & (LPC_FN_PRIVATE | LPC_FN_STATIC);
    if (n->mods & (LPC_MOD_NOSAVE | LPC_MOD_STATIC))
        v->flags |= LPC_VAR_NOSAVE;
    map_put(&c->var_names, v->name, (int)c->nvars);
    uint32_t own = c->nvars - c->own_var_offset;
    c->var_inits = lpc_realloc(c->var_inits, (own + 1) * sizeof *c->var_inits);
    c->var_inits[own] = n->b;
    c->nvars++;
}

/* Are two declarations of a function compatible (prototype vs body)? */
static bool same_signature(const lpc_function_t *d, lpc_node_t *n)
{
    int np = lpc_ast_list_length(n->a);
    if (np != d->nparams)
        return false;
    return true;
}

static void declare_function(comp_t *c, lpc_node_t *n)
{
    int existing = find_function(c, n->name);
    uint16_t flags = mods_to_flags(n->mods);
    if (n->b == NULL)
        flags |= LPC_FN_UNDEFINED;

    if (existing >= 0 && (uint32_t)existing >= c->own_fn_offset) {
        /* declared before in this file */
        uint32_t di = (uint32_t)existing - c->own_fn_offset;
        lpc_function_t *d = &c->defs[di];
        if (!same_signature(d, n))
            cerror(c, &n->loc, "declaration of %s() does not match its prototype "
                   "(%d parameters, the prototype has %d)", n->name,
                   lpc_ast_list_length(n->a), d->nparams);
        if (n->b != NULL) {
            if (!(d->flags & LPC_FN_UNDEFINED)) {
                cerror(c, &n->loc, "redefinition of function %s()", n->name);
                return;
            }
            d->flags = (uint16_t)((d->flags & ~LPC_FN_UNDEFINED) | flags);
            d->line = n->loc.line;
            c->def_nodes[di] = n;
            c->table[existing].flags = d->flags;
        }
        return;
    }
    if (existing >= 0 && n->b == NULL) {
        /* A prototype of an inherited function: keeps the inherited one. */
        return;
    }
    if (existing >= 0 && (c->table[existing].flags & LPC_FN_NOMASK)) {
        cerror(c, &n->loc, "cannot redefine nomask function %s()", n->name);
        return;
    }
    uint32_t di = new_def(c, n->name, &n->loc);
    if (c->ndefs != c->ntable - c->own_fn_offset + 1) {
        /* defs and own table entries must stay parallel */
        cfatal(c, &n->loc, "internal error: function table out of step");
    }
    lpc_function_t *d = &c->defs[di];
    d->flags = flags;
    d->ret_type = n->type;
    int np = 0;
    bool ellipsis = false;
    for (lpc_node_t *p = n->a; p != NULL; p = p->next) {
        np++;
        if (p->flags & LPC_NF_ELLIPSIS)
            ellipsis = true;
    }
    d->nparams = (uint16_t)np;
    if (ellipsis)
        d->flags |= LPC_FN_ELLIPSIS;
    if (np > 0) {
        d->param_types = lpc_malloc((size_t)np * sizeof *d->param_types);
        int i = 0;
        for (lpc_node_t *p = n->a; p != NULL; p = p->next)
            d->param_types[i++] = p->type;
    }
    c->def_nodes = lpc_realloc(c->def_nodes, c->ndefs * sizeof *c->def_nodes);
    c->def_nodes[di] = n->b != NULL ? n : NULL;
    c->nnamed = c->ndefs;

    VEC_GROW(c->table, c->ntable, c->capt);
    lpc_func_entry_t *e = &c->table[c->ntable];
    e->def = NULL;                       /* set when the defs are final */
    e->fn_offset = 0;
    e->var_offset = 0;
    e->flags = d->flags;
    e->name = d->name;
    map_put(&c->fn_names, d->name, (int)c->ntable);
    c->ntable++;
}

/* ---- pass 2 ------------------------------------------------------------ */

static void compile_function_body(comp_t *c, uint32_t di, lpc_node_t *n)
{
    fstate_t *fs = fstate_new(NULL, c->defs[di].name);
    c->fs = fs;
    fs->ret_type = n->type;
    bool ellipsis;
    uint16_t *types;
    fs->nparams = declare_params(c, n->a, &ellipsis, &types);
    free(types);
    mark_line(c, &n->loc);
    scope_enter(c);
    compile_block_list(c, n->b->a);
    scope_leave(c);
    emit(c, LPC_OP_RETURN_ZERO, 0, 0);
    finish_function(c, fs, di, 0);
    fstate_free(fs);
    c->fs = NULL;
}

/* __INIT: the inherits' initialisers, then ours.  Only made when there is
 * something to do. */
static void compile_initializer(comp_t *c, const lpc_srcloc_t *loc)
{
    bool needed = false;
    for (uint32_t k = 0; k < c->ninherits; k++)
        if (c->inherits[k].prog->init_def >= 0)
            needed = true;
    uint32_t nown = c->nvars - c->own_var_offset;
    for (uint32_t i = 0; i < nown; i++)
        if (c->var_inits[i] != NULL)
            needed = true;
    if (!needed)
        return;
    uint32_t di = new_def(c, "__INIT", loc);
    c->defs[di].flags = LPC_FN_STATIC;
    c->defs[di].ret_type = LPC_DTYPE(LPC_DT_VOID, 0);
    fstate_t *fs = fstate_new(NULL, "__INIT");
    c->fs = fs;
    for (uint32_t k = 0; k < c->ninherits; k++)
        if (c->inherits[k].prog->init_def >= 0)
        {
            emit(c, LPC_OP_CALL_INIT, k, 1);
            emit(c, LPC_OP_POP, 0, -1);
        }
    for (uint32_t i = 0; i < nown; i++) {
        lpc_node_t *init = c->var_inits[i];
        if (init == NULL)
            continue;
        mark_line(c, &init->loc);
        uint16_t t = compile_expr(c, init);
        lpc_var_def_t *v = &c->vars[c->own_var_offset + i];
        if (!is_int_zero(init) && !type_compatible(v->type, t)) {
            char b1[32], b2[32];
            cwarn(c, &init->loc, "initialising '%s' (%s) with %s", v->name,
                  lpc_dtype_name(v->type, b1, sizeof b1), lpc_dtype_name(t, b2, sizeof b2));
        }
        emit(c, LPC_OP_SET_GLOBAL_POP, c->own_var_offset + i, -1);
    }
    emit(c, LPC_OP_RETURN_ZERO, 0, 0);
    finish_function(c, fs, di, 0);
    fstate_free(fs);
    c->fs = NULL;
    c->prog->init_def = (int32_t)di;
}

/* Redirects inherited table slots to the functions defined here. */
static void apply_overrides(comp_t *c, lpc_function_t *defs)
{
    for (uint32_t i = 0; i < c->own_fn_offset; i++) {
        lpc_func_entry_t *e = &c->table[i];
        if (e->flags & LPC_FN_HIDDEN)
            continue;
        int own = map_get(&c->fn_names, e->name);
        if (own < 0 || (uint32_t)own < c->own_fn_offset)
            continue;
        uint32_t di = (uint32_t)own - c->own_fn_offset;
        if (defs[di].flags & LPC_FN_UNDEFINED)
            continue;
        e->def = &defs[di];
        e->fn_offset = 0;
        e->var_offset = 0;
        e->flags = (uint16_t)(defs[di].flags | LPC_FN_INHERITED);
    }
}

/* Moves everything into the program. */
static void finalize_program(comp_t *c, const char *const *files_read)
{
    lpc_program_t *p = c->prog;
    p->code = c->code.v;
    p->code_len = c->code.n;
    c->code.v = NULL;
    p->consts = c->consts;
    p->nconsts = c->nconsts;
    c->consts = NULL;
    c->nconsts = 0;
    p->defs = c->defs;
    p->ndefs = c->ndefs;
    c->defs = NULL;
    c->ndefs = 0;
    for (uint32_t i = 0; i < p->ndefs; i++)
        p->defs[i].prog = p;
    /* own entries point at the final defs */
    for (uint32_t i = c->own_fn_offset; i < c->ntable; i++)
        c->table[i].def = &p->defs[i - c->own_fn_offset];
    apply_overrides(c, p->defs);
    p->table = c->table;
    p->ntable = c->ntable;
    c->table = NULL;
    p->own_fn_offset = c->own_fn_offset;
    p->inherits = c->inherits;
    p->ninherits = c->ninherits;
    c->inherits = NULL;
    c->ninherits = 0;
    p->vars = c->vars;
    p->nvars_total = c->nvars;
    p->nvars = c->nvars - c->own_var_offset;
    c->vars = NULL;
    p->lines = c->lines;
    p->nlines = c->nlines;
    c->lines = NULL;
    p->nfiles = c->nfiles;
    p->files = lpc_malloc((c->nfiles + 1) * sizeof *p->files);
    for (uint32_t i = 0; i < c->nfiles; i++) {
        size_t n = strlen(c->files[i]) + 1;
        p->files[i] = lpc_malloc(n);
        memcpy(p->files[i], c->files[i], n);
    }
    p->switches = c->switches;
    p->nswitches = c->nswitches;
    c->switches = NULL;
    c->nswitches = 0;
    p->ncallsites = c->ncallsites;
    if (p->ncallsites > 0) {
        p->callsites = lpc_malloc(p->ncallsites * sizeof *p->callsites);
        memset(p->callsites, 0, p->ncallsites * sizeof *p->callsites);
    }
    size_t nd = 0;
    if (files_read != NULL)
        while (files_read[nd] != NULL)
            nd++;
    p->deps = lpc_malloc((nd + 1) * sizeof *p->deps);
    for (size_t i = 0; i < nd; i++) {
        size_t n = strlen(files_read[i]) + 1;
        p->deps[i] = lpc_malloc(n);
        memcpy(p->deps[i], files_read[i], n);
    }
    p->deps[nd] = NULL;
    lpc_program_build_name_hash(p);
}

static void comp_free(comp_t *c)
{
    free(c->code.v);
    free(c->lines);
    free(c->files);
    for (uint32_t i = 0; i < c->nconsts; i++)
        lpc_value_release(&c->consts[i]);
    free(c->consts);
    map_free(&c->str_consts);
    for (uint32_t i = 0; i < c->ndefs; i++)
        free(c->defs[i].param_types);
    free(c->defs);
    free(c->def_nodes);
    free(c->table);
    map_free(&c->fn_names);
    for (uint32_t i = 0; i < c->ninherits; i++)
        lpc_program_decref(c->inherits[i].prog);
    free(c->inherits);
    free(c->vars);
    map_free(&c->var_names);
    free(c->var_inits);
    for (uint32_t i = 0; i < c->nswitches; i++) {
        lpc_switch_t *sw = &c->switches[i];
        for (uint32_t k = 0; k < sw->nstrs; k++)
            lpc_string_decref(sw->strs[k].s);
        free(sw->strs);
        free(sw->ranges);
        free(sw->dense);
    }
    free(c->switches);
}

/* Diagnostics from the lexer, parser and compiler: forwarded to the VM's
 * callback (or stderr), the first error kept for the caller. */
static void comp_diag(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                      const char *message)
{
    comp_t *c = ctx;
    if (sev == LPC_DIAG_ERROR && !c->have_first_error && c->first_error != NULL) {
        if (loc != NULL && loc->file != NULL)
            snprintf(c->first_error, c->first_error_size, "%s:%d:%d: %s",
                     loc->file, loc->line, loc->col, message);
        else
            snprintf(c->first_error, c->first_error_size, "%s", message);
        c->have_first_error = true;
    }
    if (c->vm->diag != NULL) {
        c->vm->diag(c->vm->diag_ctx, sev, loc, message);
        return;
    }
    const char *what = sev == LPC_DIAG_ERROR ? "error" : "warning";
    if (loc != NULL && loc->file != NULL)
        fprintf(stderr, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col, what, message);
    else
        fprintf(stderr, "%s: %s\n", what, message);
}

lpc_program_t *lpc_compile(lpc_vm_t *vm, const char *path, char *err, size_t errsize)
{
    comp_t *c = lpc_malloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->vm = vm;
    c->path = path;
    c->first_error = err;
    c->first_error_size = errsize;
    if (err != NULL && errsize > 0)
        err[0] = '\0';

    lpc_lex_options_t lo;
    memset(&lo, 0, sizeof lo);
    lo.read_file = vm->read_file;
    lo.read_ctx = vm->read_ctx;
    lo.diag = comp_diag;
    lo.diag_ctx = c;
    lo.include_dirs = (const char *const *)vm->include_dirs;
    lo.auto_include = vm->auto_include;
    lo.defines = (const char *const *)vm->defines;
    c->lx = lpc_lexer_open(path, &lo);
    if (c->lx == NULL) {
        if (err != NULL)
            snprintf(err, errsize, "%s: out of memory", path);
        free(c);
        return NULL;
    }
    c->prog = lpc_program_new(path);
    lpc_program_t *result = NULL;

    int perr = lpc_parse(c->lx, &c->ast);
    if (perr == 0 && lpc_lexer_error_count(c->lx) == 0 && setjmp(c->fatal) == 0) {
        lpc_srcloc_t start = { path, 1, 1 };
        /* Inherits first, wherever they are: the inherited tables and
         * variables come before ours. */
        for (lpc_node_t *d = c->ast.decls; d != NULL; d = d->next)
            if (d->kind == LPC_N_INHERIT)
                declare_inherit(c, d);
        c->own_fn_offset = c->ntable;
        c->own_var_offset = c->nvars;
        for (lpc_node_t *d = c->ast.decls; d != NULL; d = d->next) {
            switch (d->kind) {
            case LPC_N_GLOBAL:
                declare_global(c, d);
                break;
            case LPC_N_FUNCTION:
                declare_function(c, d);
                break;
            default:
                break;
            }
        }
        if (c->errors == 0) {
            compile_initializer(c, &start);
            for (uint32_t i = 0; i < c->nnamed; i++) {
                if (c->def_nodes[i] != NULL)
                    compile_function_body(c, i, c->def_nodes[i]);
                else
                    c->defs[i].code = 0;
            }
        }
        if (c->errors == 0 && lpc_lexer_error_count(c->lx) == 0) {
            finalize_program(c, lpc_lexer_files_read(c->lx));
            result = c->prog;
            c->prog = NULL;
        }
    }
    if (result == NULL && err != NULL && err[0] == '\0')
        snprintf(err, errsize, "%s: compilation failed", path);
    if (c->fs != NULL) {
        /* a fatal error in the middle of a function */
        fstate_t *fs = c->fs;
        while (fs != NULL) {
            fstate_t *outer = fs->outer;
            fstate_free(fs);
            fs = outer;
        }
    }
    if (c->prog != NULL)
        lpc_program_decref(c->prog);
    comp_free(c);
    lpc_ast_free(&c->ast);
    lpc_lexer_close(c->lx);
    free(c);
    return result;
}

/* ---- disassembler ----------------------------------------------------- */

static const char *const opcode_names[] = {
#define LPC_OPCODE_NAME(name, extra, desc) #name,
    LPC_OPCODE_LIST(LPC_OPCODE_NAME)
#undef LPC_OPCODE_NAME
};

static const unsigned char opcode_extra[] = {
#define LPC_OPCODE_EXTRA(name, extra, desc) extra,
    LPC_OPCODE_LIST(LPC_OPCODE_EXTRA)
#undef LPC_OPCODE_EXTRA
};

const char *lpc_opcode_name(int op)
{
    if (op < 0 || op >= LPC_OP_COUNT)
        return "?";
    return opcode_names[op];
}

int lpc_opcode_extra(int op)
{
    if (op < 0 || op >= LPC_OP_COUNT)
        return 0;
    return opcode_extra[op];
}

void lpc_disassemble(const lpc_program_t *p, lpc_strbuf_t *b)
{
    for (uint32_t d = 0; d < p->ndefs; d++) {
        const lpc_function_t *f = &p->defs[d];
        if (f->flags & LPC_FN_UNDEFINED)
            continue;
        lpc_strbuf_printf(b, "%s: params %u, captured %u, locals %u, stack %u\n",
                          f->name, f->nparams, f->ncaptured, f->nlocals, f->max_stack);
        uint32_t end = p->code_len;
        for (uint32_t k = 0; k < p->ndefs; k++)
            if (p->defs[k].code > f->code && p->defs[k].code < end &&
                !(p->defs[k].flags & LPC_FN_UNDEFINED))
                end = p->defs[k].code;
        for (uint32_t pc = f->code; pc < end;) {
            uint32_t w = p->code[pc];
            int op = (int)LPC_INS_OP(w);
            lpc_strbuf_printf(b, "  %4u %s %d", pc, lpc_opcode_name(op), (int)LPC_INS_SA(w));
            if (op == LPC_OP_PUSH_INT || op == LPC_OP_ADD_IMM)
                ;
            else if (op == LPC_OP_PUSH_CONST || op == LPC_OP_CALL_OTHER || op == LPC_OP_CALL_SIMUL) {
                const lpc_value_t *v = &p->consts[LPC_INS_A(w)];
                if (v->type == LPC_T_STRING)
                    lpc_strbuf_printf(b, " \"%s\"", v->u.s->data);
            }
            for (int k = 0; k < lpc_opcode_extra(op); k++)
                lpc_strbuf_printf(b, " %u", p->code[pc + 1 + (uint32_t)k]);
            lpc_strbuf_append_char(b, '\n');
            pc += 1 + (uint32_t)lpc_opcode_extra(op);
        }
    }
}
