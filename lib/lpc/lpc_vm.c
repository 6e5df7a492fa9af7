/*
 * lpc_vm.c - the bytecode interpreter (lpc_vm.h).
 *
 * Dispatch: computed goto (a label per opcode) with GCC/Clang, a switch
 * elsewhere.  The hot state (pc, sp, locals, the frame) lives in C locals
 * of vm_execute; it is written back (SYNC) before anything that can
 * raise an error or re-enter the interpreter, so that the error path
 * and nested calls see the true stack.
 *
 * Errors: lpc_error() formats the message, records the LPC stack trace
 * and longjmps to the innermost handler (a catch() or a C entry point
 * made with lpc_vm_protect), which releases every value above its saved
 * stack pointer and drops the frames above its saved depth.
 *
 * Integers: arithmetic wraps (two's complement), done in uint64_t so
 * that overflow is defined; division and modulo by zero raise an error;
 * INT64_MIN / -1 wraps to INT64_MIN, INT64_MIN % -1 is 0; shifts by a
 * count outside 0..63 give 0 (or -1 for >> of a negative number).
 */
#include "lpc_vm.h"
#include "lpc_funcptr.h"
#include "lpc_object.h"
#include "lpc_opcodes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NOINLINE    __attribute__((noinline))
#define VM_COMPUTED_GOTO 1
#else
#define LIKELY(x)   (x)
#define UNLIKELY(x) (x)
#define NOINLINE
#endif

#define STACK_SLACK 16     /* room kept above max_stack for the VM itself */

static void vm_execute(lpc_vm_t *vm);

/* ---- creation ------------------------------------------------------ */

lpc_vm_t *lpc_vm_new(void)
{
    lpc_vm_t *vm = lpc_calloc(1, sizeof *vm);
    vm->stack = lpc_calloc(LPC_VM_STACK_SIZE, sizeof *vm->stack);
    vm->stack_limit = vm->stack + LPC_VM_STACK_SIZE - 1;
    vm->sp = vm->stack;            /* slot 0 is never used */
    vm->max_frames = LPC_VM_MAX_FRAMES;
    vm->frames = lpc_calloc((size_t)vm->max_frames + 1, sizeof *vm->frames);
    vm->eval_limit = LPC_VM_DEFAULT_EVAL;
    vm->eval_left = vm->eval_limit;
    vm->cur_efun = -1;
    lpc_strbuf_init(&vm->err_trace);
    return vm;
}

void lpc_vm_free(lpc_vm_t *vm)
{
    if (vm == NULL)
        return;
    while (vm->sp > vm->stack) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    lpc_value_release(&vm->err_value);
    lpc_strbuf_free(&vm->err_trace);
    free(vm->err_message);
    if (vm->err_program != NULL)
        lpc_string_decref(vm->err_program);
    if (vm->err_object != NULL)
        lpc_string_decref(vm->err_object);
    free(vm->frames);
    free(vm->stack);
    free(vm);
}

/* ---- errors -------------------------------------------------------- */

static void append_frame_line(lpc_strbuf_t *b, const lpc_frame_t *f)
{
    const char *file;
    int line;
    uint32_t pc = (uint32_t)(f->pc - f->prog->code);
    lpc_program_line_of(f->prog, pc > 0 ? pc - 1 : 0, &file, &line);
    lpc_strbuf_printf(b, "%s:%d: in %s()", file, line, f->def->name);
    if (f->ob != NULL && f->ob->name != NULL)
        lpc_strbuf_printf(b, " (object %s)", f->ob->name->data);
    lpc_strbuf_append_char(b, '\n');
}

void lpc_vm_trace(lpc_vm_t *vm, lpc_strbuf_t *out)
{
    for (int i = vm->nframes - 1; i >= 0; i--)
        append_frame_line(out, &vm->frames[i]);
}

/* Drops everything above the handler's saved state. */
static void unwind_to(lpc_vm_t *vm, lpc_handler_t *h)
{
    while (vm->sp > h->sp) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    while (vm->nframes > h->nframes) {
        lpc_frame_t *f = &vm->frames[--vm->nframes];
        if (f->flags & LPC_FRAME_OWNS_OB)
            lpc_object_decref(f->ob);
    }
    vm->cur_efun = h->efun;
    vm->handler = h->prev;
}

/* Records the error (message, trace, value) and jumps to the handler.
 * `thrown` (consumed) is the value catch() returns; NULL: "*msg\n". */
static void raise_error(lpc_vm_t *vm, const char *msg, lpc_value_t *thrown)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

static void raise_error(lpc_vm_t *vm, const char *msg, lpc_value_t *thrown)
{
    free(vm->err_message);
    size_t n = strlen(msg);
    vm->err_message = lpc_malloc(n + 1);
    memcpy(vm->err_message, msg, n + 1);
    vm->err_trace.len = 0;
    if (vm->err_trace.data != NULL)
        vm->err_trace.data[0] = '\0';
    lpc_vm_trace(vm, &vm->err_trace);
    if (vm->err_program != NULL)
        lpc_string_decref(vm->err_program);
    if (vm->err_object != NULL)
        lpc_string_decref(vm->err_object);
    vm->err_program = NULL;
    vm->err_object = NULL;
    vm->err_line = 0;
    if (vm->nframes > 0) {
        lpc_frame_t *f = &vm->frames[vm->nframes - 1];
        const char *file;
        uint32_t pc = (uint32_t)(f->pc - f->prog->code);
        lpc_program_line_of(f->prog, pc > 0 ? pc - 1 : 0, &file, &vm->err_line);
        vm->err_program = lpc_string_from_cstr(file);
        if (f->ob != NULL && f->ob->name != NULL) {
            vm->err_object = f->ob->name;
            lpc_string_incref(vm->err_object);
        }
    }
    lpc_value_release(&vm->err_value);
    if (thrown != NULL) {
        vm->err_value = *thrown;
    } else {
        lpc_strbuf_t b;
        lpc_strbuf_init(&b);
        lpc_strbuf_append_char(&b, '*');
        lpc_strbuf_append(&b, msg, n);
        if (n == 0 || msg[n - 1] != '\n')
            lpc_strbuf_append_char(&b, '\n');
        vm->err_value = lpc_value_string(lpc_strbuf_finish(&b));
    }
    if (vm->handler == NULL) {
        fprintf(stderr, "lpc: uncaught error outside any handler: %s\n%s", msg,
                vm->err_trace.data != NULL ? vm->err_trace.data : "");
        abort();
    }
    longjmp(vm->handler->env, 1);
}

void lpc_verror(lpc_vm_t *vm, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    raise_error(vm, msg, NULL);
}

void lpc_error(lpc_vm_t *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lpc_verror(vm, fmt, ap);
}

void lpc_vm_throw(lpc_vm_t *vm, lpc_value_t *value)
{
    lpc_value_t v = *value;
    *value = lpc_int(0);
    raise_error(vm, "*throw", &v);
}

void lpc_vm_rethrow(lpc_vm_t *vm)
{
    if (vm->handler == NULL) {
        fprintf(stderr, "lpc: uncaught error outside any handler: %s\n",
                vm->err_message != NULL ? vm->err_message : "?");
        abort();
    }
    longjmp(vm->handler->env, 1);
}

const char *lpc_efun_current_name(const lpc_vm_t *vm)
{
    const lpc_efun_def_t *d = lpc_efun_get(vm->cur_efun);
    return d != NULL ? d->name : "?";
}

/* "string or int" for a type mask. */
static void mask_text(unsigned mask, char *buf, size_t size)
{
    static const char *const names[] = {
        "int", "float", "string", "array", "mapping", "object", "function"
    };
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned t = 0; t < 7; t++) {
        if (!(mask & (1u << t)))
            continue;
        n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
                              n ? " or " : "", names[t]);
    }
    if ((mask & LPC_TM_ZERO) && !(mask & LPC_TM_INT))
        n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s0", n ? " or " : "");
}

void lpc_efun_bad_arg(lpc_vm_t *vm, int argn, const char *expected, const lpc_value_t *got)
{
    lpc_error(vm, "Bad argument %d to %s(): expected %s, got %s", argn,
              lpc_efun_current_name(vm), expected,
              lpc_type_name((lpc_type_t)got->type));
}

void lpc_vm_charge(lpc_vm_t *vm, int64_t cost)
{
    vm->eval_left -= cost;
    if (vm->eval_left <= 0)
        lpc_error(vm, "Too long evaluation. Execution aborted.");
}

void lpc_efun_lvalue_set(lpc_value_t *arg, lpc_value_t value)
{
    if (arg->type != LPC_T_LVALUE)
        lpc_value_release(arg);
    *arg = value;
}

bool lpc_vm_protect(lpc_vm_t *vm, void (*fn)(lpc_vm_t *vm, void *arg),
                    void *arg, bool report)
{
    lpc_handler_t h;
    h.prev = vm->handler;
    h.sp = vm->sp;
    h.nframes = vm->nframes;
    h.efun = vm->cur_efun;
    int saved_depth = vm->c_depth;
    vm->handler = &h;
    if (setjmp(h.env) == 0) {
        fn(vm, arg);
        vm->handler = h.prev;
        return true;
    }
    unwind_to(vm, &h);
    vm->c_depth = saved_depth;
    if (report && vm->report_error != NULL)
        vm->report_error(vm->report_ctx, vm->err_message,
                         vm->err_trace.data != NULL ? vm->err_trace.data : "");
    else if (report)
        fprintf(stderr, "%s\n%s", vm->err_message,
                vm->err_trace.data != NULL ? vm->err_trace.data : "");
    return false;
}

/* ---- values on the stack ------------------------------------------- */

/* Copies *src to *dst (dst uninitialised) with a new reference; a
 * destructed object reads (and is rewritten in src) as 0. */
static inline void copy_value(lpc_value_t *dst, lpc_value_t *src)
{
    if (UNLIKELY(src->type == LPC_T_OBJECT) && lpc_object_is_destructed(src->u.o))
        lpc_value_release(src);
    *dst = *src;
    lpc_value_incref(dst);
}

void lpc_vm_push(lpc_vm_t *vm, const lpc_value_t *v)
{
    if (vm->sp >= vm->stack_limit)
        lpc_error(vm, "Stack overflow");
    *++vm->sp = *v;
    lpc_value_incref(vm->sp);
}

static bool truthy(const lpc_value_t *v)
{
    if (v->type == LPC_T_INT)
        return v->u.i != 0;
    if (v->type == LPC_T_OBJECT)
        return !lpc_object_is_destructed(v->u.o);
    return true;
}

/* The decimal text of a number into buf (at least 64 bytes); returns its
 * length.  Floats use the shortest of %.15g / %.17g that reads back
 * exactly. */
static size_t number_text(const lpc_value_t *v, char *buf)
{
    if (v->type == LPC_T_INT) {
        char tmp[24];
        size_t n = 0;
        uint64_t u = v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        do {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        size_t len = 0;
        if (v->u.i < 0)
            buf[len++] = '-';
        while (n > 0)
            buf[len++] = tmp[--n];
        buf[len] = '\0';
        return len;
    }
    if (v->type == LPC_T_FLOAT) {
        snprintf(buf, 64, "%.15g", v->u.f);
        if (strtod(buf, NULL) != v->u.f && !isnan(v->u.f))
            snprintf(buf, 64, "%.17g", v->u.f);
        return strlen(buf);
    }
    buf[0] = '\0';
    return 0;
}

void lpc_strbuf_append_number(lpc_strbuf_t *b, const lpc_value_t *v)
{
    char tmp[64];
    size_t n = number_text(v, tmp);
    lpc_strbuf_append(b, tmp, n);
}

/* ---- arithmetic ---------------------------------------------------- */

static double as_double(const lpc_value_t *v)
{
    return v->type == LPC_T_FLOAT ? v->u.f : (double)v->u.i;
}

static bool is_number(const lpc_value_t *v)
{
    return v->type == LPC_T_INT || v->type == LPC_T_FLOAT;
}

static int64_t int_shift(int op, int64_t a, int64_t b)
{
    if (op == LPC_OP_SHL) {
        if (b < 0 || b > 63)
            return 0;
        return (int64_t)((uint64_t)a << b);
    }
    if (b < 0 || b > 63)
        return a < 0 ? -1 : 0;
    return a >> b;    /* arithmetic on every compiler we support */
}

/* Integer binary operators; false for division by zero. */
static bool int_binary(int op, int64_t a, int64_t b, int64_t *out)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case LPC_OP_ADD: *out = (int64_t)(ua + ub); return true;
    case LPC_OP_SUB: *out = (int64_t)(ua - ub); return true;
    case LPC_OP_MUL: *out = (int64_t)(ua * ub); return true;
    case LPC_OP_DIV:
        if (b == 0) return false;
        *out = (b == -1) ? (int64_t)(0 - ua) : a / b;
        return true;
    case LPC_OP_MOD:
        if (b == 0) return false;
        *out = (b == -1) ? 0 : a % b;
        return true;
    case LPC_OP_BAND: *out = a & b; return true;
    case LPC_OP_BOR: *out = a | b; return true;
    case LPC_OP_BXOR: *out = a ^ b; return true;
    case LPC_OP_SHL: case LPC_OP_SHR: *out = int_shift(op, a, b); return true;
    case LPC_OP_EQ: *out = a == b; return true;
    case LPC_OP_NE: *out = a != b; return true;
    case LPC_OP_LT: *out = a < b; return true;
    case LPC_OP_LE: *out = a <= b; return true;
    case LPC_OP_GT: *out = a > b; return true;
    case LPC_OP_GE: *out = a >= b; return true;
    default: return false;
    }
}

bool lpc_vm_fold_binary(int op, const lpc_value_t *a, const lpc_value_t *b,
                        lpc_value_t *out)
{
    if (a->type == LPC_T_INT && b->type == LPC_T_INT) {
        int64_t r;
        if (!int_binary(op, a->u.i, b->u.i, &r))
            return false;
        *out = lpc_int(r);
        return true;
    }
    if (!is_number(a) || !is_number(b))
        return false;
    double x = as_double(a), y = as_double(b);
    switch (op) {
    case LPC_OP_ADD: *out = lpc_float(x + y); return true;
    case LPC_OP_SUB: *out = lpc_float(x - y); return true;
    case LPC_OP_MUL: *out = lpc_float(x * y); return true;
    case LPC_OP_DIV:
        if (y == 0.0) return false;
        *out = lpc_float(x / y);
        return true;
    case LPC_OP_EQ: *out = lpc_int(x == y); return true;
    case LPC_OP_NE: *out = lpc_int(x != y); return true;
    case LPC_OP_LT: *out = lpc_int(x < y); return true;
    case LPC_OP_LE: *out = lpc_int(x <= y); return true;
    case LPC_OP_GT: *out = lpc_int(x > y); return true;
    case LPC_OP_GE: *out = lpc_int(x >= y); return true;
    default: return false;
    }
}

static const char *op_symbol(int op)
{
    switch (op) {
    case LPC_OP_ADD: return "+"; case LPC_OP_SUB: return "-";
    case LPC_OP_MUL: return "*"; case LPC_OP_DIV: return "/";
    case LPC_OP_MOD: return "%"; case LPC_OP_BAND: return "&";
    case LPC_OP_BOR: return "|"; case LPC_OP_BXOR: return "^";
    case LPC_OP_SHL: return "<<"; case LPC_OP_SHR: return ">>";
    case LPC_OP_EQ: return "=="; case LPC_OP_NE: return "!=";
    case LPC_OP_LT: return "<"; case LPC_OP_LE: return "<=";
    case LPC_OP_GT: return ">"; case LPC_OP_GE: return ">=";
    default: return "?";
    }
}

static lpc_value_t number_to_string_value(const lpc_value_t *v)
{
    char tmp[64];
    size_t n = number_text(v, tmp);
    return lpc_value_string(lpc_string_new(tmp, n));
}

/* string + number or number + string, in one allocation. */
static lpc_value_t concat_values(const lpc_value_t *a, const lpc_value_t *b)
{
    char na[64], nb[64];
    const char *pa, *pb;
    size_t la, lb;
    if (a->type == LPC_T_STRING) {
        pa = a->u.s->data;
        la = a->u.s->len;
    } else {
        la = number_text(a, na);
        pa = na;
    }
    if (b->type == LPC_T_STRING) {
        pb = b->u.s->data;
        lb = b->u.s->len;
    } else {
        lb = number_text(b, nb);
        pb = nb;
    }
    lpc_string_t *s = lpc_string_alloc(la + lb);
    memcpy(s->data, pa, la);
    memcpy(s->data + la, pb, lb);
    return lpc_value_string(s);
}

/* a | b for arrays: a followed by the elements of b not in a. */
static lpc_array_t *array_union(const lpc_array_t *a, const lpc_array_t *b)
{
    lpc_array_t *extra = lpc_array_subtract(b, a);
    lpc_array_t *r = lpc_array_concat(a, extra);
    lpc_array_decref(extra);
    return r;
}

/* Binary operator on vm->sp[-1], vm->sp[0]: the general case.  Leaves
 * the result in sp[-1] and pops one.  Raises on bad operand types with
 * both operands still on the stack. */
static NOINLINE void vm_binary(lpc_vm_t *vm, int op)
{
    lpc_value_t *a = vm->sp - 1, *b = vm->sp;
    lpc_value_t r;
    lpc_value_fix_destructed(a);
    lpc_value_fix_destructed(b);

    if (a->type == LPC_T_INT && b->type == LPC_T_INT) {
        int64_t x;
        if (!int_binary(op, a->u.i, b->u.i, &x))
            lpc_error(vm, op == LPC_OP_MOD ? "Modulus by zero" : "Division by zero");
        r = lpc_int(x);
        goto done;
    }
    if (is_number(a) && is_number(b)) {
        if (op == LPC_OP_MOD || op == LPC_OP_BAND || op == LPC_OP_BOR ||
            op == LPC_OP_BXOR || op == LPC_OP_SHL || op == LPC_OP_SHR)
            goto bad;
        if (op == LPC_OP_DIV && as_double(b) == 0.0)
            lpc_error(vm, "Division by zero");
        if (!lpc_vm_fold_binary(op, a, b, &r))
            goto bad;
        goto done;
    }
    switch (op) {
    case LPC_OP_ADD:
        if (a->type == LPC_T_STRING && b->type == LPC_T_STRING) {
            r = lpc_value_string(lpc_string_concat(a->u.s, b->u.s));
            goto done;
        }
        if ((a->type == LPC_T_STRING && is_number(b)) ||
            (is_number(a) && b->type == LPC_T_STRING)) {
            r = concat_values(a, b);
            goto done;
        }
        if (a->type == LPC_T_ARRAY && b->type == LPC_T_ARRAY) {
            r = lpc_value_array(lpc_array_concat(a->u.a, b->u.a));
            goto done;
        }
        if (a->type == LPC_T_MAPPING && b->type == LPC_T_MAPPING) {
            r = lpc_value_mapping(lpc_mapping_union(a->u.m, b->u.m));
            goto done;
        }
        break;
    case LPC_OP_SUB:
        if (a->type == LPC_T_ARRAY && b->type == LPC_T_ARRAY) {
            r = lpc_value_array(lpc_array_subtract(a->u.a, b->u.a));
            goto done;
        }
        break;
    case LPC_OP_BAND:
        if (a->type == LPC_T_ARRAY && b->type == LPC_T_ARRAY) {
            r = lpc_value_array(lpc_array_intersect(a->u.a, b->u.a));
            goto done;
        }
        break;
    case LPC_OP_BOR:
        if (a->type == LPC_T_ARRAY && b->type == LPC_T_ARRAY) {
            r = lpc_value_array(array_union(a->u.a, b->u.a));
            goto done;
        }
        break;
    case LPC_OP_EQ:
    case LPC_OP_NE: {
        bool eq = (a->type == b->type) ? lpc_value_equal(a, b) : false;
        r = lpc_int(op == LPC_OP_EQ ? eq : !eq);
        goto done;
    }
    case LPC_OP_LT: case LPC_OP_LE: case LPC_OP_GT: case LPC_OP_GE:
        if (a->type == LPC_T_STRING && b->type == LPC_T_STRING) {
            int c = lpc_string_compare(a->u.s, b->u.s);
            bool res = op == LPC_OP_LT ? c < 0 : op == LPC_OP_LE ? c <= 0
                     : op == LPC_OP_GT ? c > 0 : c >= 0;
            r = lpc_int(res);
            goto done;
        }
        break;
    default:
        break;
    }
bad:
    lpc_error(vm, "Bad arguments to '%s': %s and %s", op_symbol(op),
              lpc_type_name((lpc_type_t)a->type), lpc_type_name((lpc_type_t)b->type));
done:
    lpc_value_release(b);
    lpc_value_release(a);
    *a = r;
    vm->sp--;
}

/* ---- indexing ------------------------------------------------------ */

static lpc_value_t *deref(lpc_value_t *c)
{
    return c->type == LPC_T_LVALUE ? c->u.lv : c;
}

/* c[i] (or c[<i] when reverse) into *out (owned). */
static void index_value(lpc_vm_t *vm, lpc_value_t *cv, const lpc_value_t *iv,
                        bool reverse, lpc_value_t *out)
{
    lpc_value_t *c = deref(cv);
    lpc_value_fix_destructed(c);
    switch (c->type) {
    case LPC_T_ARRAY: {
        if (iv->type != LPC_T_INT)
            lpc_error(vm, "Array index must be an int, not %s", lpc_type_name((lpc_type_t)iv->type));
        int64_t size = c->u.a->size, i = iv->u.i;
        if (reverse)
            i = (i > 0 && i <= size) ? size - i : -1;
        if (i < 0 || i >= size)
            lpc_error(vm, "Array index %s%lld out of bounds (size %lld)", reverse ? "<" : "",
                      (long long)iv->u.i, (long long)size);
        copy_value(out, &c->u.a->items[i]);
        return;
    }
    case LPC_T_STRING: {
        if (iv->type != LPC_T_INT)
            lpc_error(vm, "String index must be an int, not %s", lpc_type_name((lpc_type_t)iv->type));
        int64_t size = (int64_t)c->u.s->len, i = iv->u.i;
        if (reverse)
            i = (i > 0 && i <= size) ? size - i : -1;
        if (i < 0 || i >= size)
            lpc_error(vm, "String index %s%lld out of bounds (length %lld)", reverse ? "<" : "",
                      (long long)iv->u.i, (long long)size);
        *out = lpc_int((unsigned char)c->u.s->data[i]);
        return;
    }
    case LPC_T_MAPPING: {
        if (reverse)
            lpc_error(vm, "Cannot index a mapping with '<'");
        lpc_value_t *v = lpc_mapping_find(c->u.m, iv);
        if (v == NULL) {
            *out = lpc_undefined();
            return;
        }
        copy_value(out, v);
        return;
    }
    default:
        lpc_error(vm, "Value being indexed is %s%s", c->type == LPC_T_INT && c->u.i == 0 ? "zero" : "of type ",
                  c->type == LPC_T_INT && c->u.i == 0 ? "" : lpc_type_name((lpc_type_t)c->type));
    }
}

/* [c i] -> [c[i]] */
static NOINLINE void vm_index(lpc_vm_t *vm, bool reverse)
{
    lpc_value_t r;
    index_value(vm, vm->sp - 1, vm->sp, reverse, &r);
    lpc_value_release(vm->sp);
    vm->sp--;
    lpc_value_release(vm->sp);
    *vm->sp = r;
}

/* Stores v into container slot target[i]; v is borrowed. */
static void index_store(lpc_vm_t *vm, lpc_value_t *cv, const lpc_value_t *iv,
                        bool reverse, const lpc_value_t *v)
{
    bool via_lvalue = cv->type == LPC_T_LVALUE;
    lpc_value_t *c = deref(cv);
    lpc_value_fix_destructed(c);
    switch (c->type) {
    case LPC_T_ARRAY: {
        if (iv->type != LPC_T_INT)
            lpc_error(vm, "Array index must be an int, not %s", lpc_type_name((lpc_type_t)iv->type));
        int64_t size = c->u.a->size, i = iv->u.i;
        if (reverse)
            i = (i > 0 && i <= size) ? size - i : -1;
        if (i < 0 || i >= size)
            lpc_error(vm, "Array index %s%lld out of bounds (size %lld)", reverse ? "<" : "",
                      (long long)iv->u.i, (long long)size);
        lpc_value_assign(&c->u.a->items[i], v);
        return;
    }
    case LPC_T_MAPPING:
        if (reverse)
            lpc_error(vm, "Cannot index a mapping with '<'");
        lpc_mapping_set(c->u.m, iv, v);
        return;
    case LPC_T_STRING: {
        if (!via_lvalue)
            lpc_error(vm, "Cannot assign to a character of a string that is not in a variable");
        if (iv->type != LPC_T_INT)
            lpc_error(vm, "String index must be an int, not %s", lpc_type_name((lpc_type_t)iv->type));
        if (v->type != LPC_T_INT)
            lpc_error(vm, "Assigning %s to a character of a string (expected int)",
                      lpc_type_name((lpc_type_t)v->type));
        int64_t size = (int64_t)c->u.s->len, i = iv->u.i;
        if (reverse)
            i = (i > 0 && i <= size) ? size - i : -1;
        if (i < 0 || i >= size)
            lpc_error(vm, "String index %s%lld out of bounds (length %lld)", reverse ? "<" : "",
                      (long long)iv->u.i, (long long)size);
        lpc_string_t *s = c->u.s;
        if (s->ref != 1) {
            /* copy on write: the variable gets its own string */
            lpc_string_t *copy = lpc_string_new(s->data, s->len);
            lpc_string_decref(s);
            c->u.s = s = copy;
        }
        s->data[i] = (char)v->u.i;
        s->hash = 0;
        return;
    }
    default:
        lpc_error(vm, "Value being indexed is %s%s", c->type == LPC_T_INT && c->u.i == 0 ? "zero" : "of type ",
                  c->type == LPC_T_INT && c->u.i == 0 ? "" : lpc_type_name((lpc_type_t)c->type));
    }
}

/* [c i v] -> [v] */
static NOINLINE void vm_index_assign(lpc_vm_t *vm, bool reverse)
{
    lpc_value_t *sp = vm->sp;
    index_store(vm, sp - 2, sp - 1, reverse, sp);
    lpc_value_t v = *sp;
    vm->sp -= 2;
    lpc_value_release(sp - 1);
    lpc_value_release(sp - 2);
    sp[-2] = v;
}

static void incdec_value(lpc_vm_t *vm, lpc_value_t *v, int mode, lpc_value_t *result)
{
    lpc_value_fix_destructed(v);
    int64_t d = (mode & LPC_INCDEC_DEC) ? -1 : 1;
    if (v->type == LPC_T_INT) {
        int64_t old = v->u.i;
        v->u.i = (int64_t)((uint64_t)old + (uint64_t)d);
        v->flags = 0;
        *result = lpc_int((mode & LPC_INCDEC_POST) ? old : v->u.i);
    } else if (v->type == LPC_T_FLOAT) {
        double old = v->u.f;
        v->u.f = old + (double)d;
        *result = lpc_float((mode & LPC_INCDEC_POST) ? old : v->u.f);
    } else {
        lpc_error(vm, "Bad argument to %s: %s", d > 0 ? "++" : "--",
                  lpc_type_name((lpc_type_t)v->type));
    }
}

/* [c i] -> [result] or [] */
static NOINLINE void vm_incdec_index(lpc_vm_t *vm, int mode)
{
    lpc_value_t *ci = vm->sp - 1, *iv = vm->sp;
    lpc_value_t cur, result;
    bool reverse = (mode & LPC_INCDEC_REVERSE) != 0;
    index_value(vm, ci, iv, reverse, &cur);
    if (cur.type != LPC_T_INT && cur.type != LPC_T_FLOAT) {
        lpc_type_t t = (lpc_type_t)cur.type;
        lpc_value_release(&cur);
        lpc_error(vm, "Bad argument to %s: %s", (mode & LPC_INCDEC_DEC) ? "--" : "++",
                  lpc_type_name(t));
    }
    incdec_value(vm, &cur, mode, &result);
    index_store(vm, ci, iv, reverse, &cur);
    lpc_value_release(vm->sp);
    vm->sp--;
    lpc_value_release(vm->sp);
    if (mode & LPC_INCDEC_DISCARD)
        vm->sp--;
    else
        *vm->sp = result;
}

/* Clamps an index computation into a range the slice functions accept. */
static int64_t clamp_index(int64_t v)
{
    const int64_t lim = (int64_t)1 << 40;
    return v < -lim ? -lim : v > lim ? lim : v;
}

/* [c lo hi] or [c lo] -> [c[lo..hi]] */
static NOINLINE void vm_range(lpc_vm_t *vm, uint32_t flags)
{
    bool has_hi = !(flags & LPC_RANGE_NO_HI);
    lpc_value_t *cv = vm->sp - (has_hi ? 2 : 1);
    lpc_value_t *lov = cv + 1, *hiv = has_hi ? cv + 2 : NULL;
    lpc_value_t *c = deref(cv);
    lpc_value_fix_destructed(c);
    if (lov->type != LPC_T_INT || (hiv != NULL && hiv->type != LPC_T_INT))
        lpc_error(vm, "Range bounds must be ints");
    int64_t size;
    if (c->type == LPC_T_STRING)
        size = (int64_t)c->u.s->len;
    else if (c->type == LPC_T_ARRAY)
        size = c->u.a->size;
    else
        lpc_error(vm, "Range of %s (expected string or array)", lpc_type_name((lpc_type_t)c->type));
    int64_t lo = clamp_index(lov->u.i);
    int64_t hi = hiv != NULL ? clamp_index(hiv->u.i) : size - 1;
    if (flags & LPC_RANGE_LO_REV)
        lo = size - lo;
    if (hiv != NULL && (flags & LPC_RANGE_HI_REV))
        hi = size - hi;
    lpc_value_t r;
    if (c->type == LPC_T_STRING) {
        if (lo < 0)
            lo = 0;
        if (hi >= size)
            hi = size - 1;
        r = lpc_value_string(lo > hi ? lpc_string_empty()
                                     : lpc_string_substr(c->u.s, lo, hi + 1));
    } else {
        r = lpc_value_array(lpc_array_slice(c->u.a, lo, hi));
    }
    while (vm->sp > cv) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    lpc_value_release(cv);
    *cv = r;
}

static NOINLINE void vm_cast(lpc_vm_t *vm, unsigned base)
{
    lpc_value_t *v = vm->sp;
    lpc_value_t r;
    switch (base) {
    case 2: /* LPC_DT_INT */
        if (v->type == LPC_T_FLOAT) {
            double f = v->u.f;
            if (isnan(f))
                r = lpc_int(0);
            else if (f >= 9.2233720368547758e18)
                r = lpc_int(INT64_MAX);
            else if (f <= -9.2233720368547758e18)
                r = lpc_int(INT64_MIN);
            else
                r = lpc_int((int64_t)f);
        } else if (v->type == LPC_T_STRING) {
            r = lpc_int(strtoll(v->u.s->data, NULL, 10));
        } else {
            return;
        }
        break;
    case 3: /* LPC_DT_FLOAT */
        if (v->type == LPC_T_INT)
            r = lpc_float((double)v->u.i);
        else if (v->type == LPC_T_STRING)
            r = lpc_float(strtod(v->u.s->data, NULL));
        else
            return;
        break;
    case 4: /* LPC_DT_STRING */
        if (v->type == LPC_T_INT || v->type == LPC_T_FLOAT)
            r = number_to_string_value(v);
        else
            return;
        break;
    default:
        return;
    }
    lpc_value_release(v);
    *v = r;
}

/* ---- aggregates ---------------------------------------------------- */

static NOINLINE void vm_aggregate(lpc_vm_t *vm, uint32_t n)
{
    lpc_array_t *a;
    if (n == 0) {
        a = lpc_array_empty();
        *++vm->sp = lpc_value_array(a);
        return;
    }
    a = lpc_array_alloc(n);
    lpc_value_t *base = vm->sp - n + 1;
    memcpy(a->items, base, n * sizeof *base);   /* references move */
    vm->sp = base;
    *base = lpc_value_array(a);
}

static NOINLINE void vm_map_aggregate(lpc_vm_t *vm, uint32_t npairs)
{
    lpc_value_t *base = vm->sp - 2 * npairs + 1;
    for (uint32_t i = 0; i < npairs; i++) {
        lpc_value_fix_destructed(&base[2 * i]);
        lpc_value_fix_destructed(&base[2 * i + 1]);
    }
    lpc_mapping_t *m = lpc_mapping_new(npairs);
    for (uint32_t i = 0; i < npairs; i++)
        lpc_mapping_set(m, &base[2 * i], &base[2 * i + 1]);
    while (vm->sp >= base) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    *++vm->sp = lpc_value_mapping(m);
}

/* ---- calls ----------------------------------------------------------- */

/* Raised when a call cannot get its frame. */
static NOINLINE void call_limits_error(lpc_vm_t *vm)
{
    if (vm->nframes >= vm->max_frames)
        lpc_error(vm, "Too deep recursion (more than %d nested calls)", vm->max_frames);
    if (vm->eval_left <= 0)
        lpc_error(vm, "Too long evaluation. Execution aborted.");
    lpc_error(vm, "Stack overflow");
}

/* Arguments on the stack are nargs values ending at sp; makes them match
 * def: pads with undefined 0, drops extras, or gathers the rest into an
 * array for an ellipsis parameter.  Returns the new sp. */
static NOINLINE lpc_value_t *adjust_args(lpc_value_t *sp, int nargs, const lpc_function_t *def)
{
    int np = def->nparams;
    if (def->flags & LPC_FN_ELLIPSIS) {
        int fixed = np - 1;
        while (nargs < fixed) {
            *++sp = lpc_undefined();
            nargs++;
        }
        int rest = nargs - fixed;
        lpc_array_t *a = lpc_array_alloc((size_t)rest);
        lpc_value_t *first = sp - rest + 1;
        if (rest > 0)
            memcpy(a->items, first, (size_t)rest * sizeof *first);
        sp = first;
        *sp = lpc_value_array(a);
        return sp;
    }
    while (nargs < np) {
        *++sp = lpc_undefined();
        nargs++;
    }
    while (nargs > np) {
        lpc_value_release(sp);
        sp--;
        nargs--;
    }
    return sp;
}

/* Pushes a frame for def whose nargs arguments end at vm->sp.  Captured
 * values (closures) are pushed after the parameters. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline lpc_frame_t *frame_push(lpc_vm_t *vm, const lpc_function_t *def, int nargs,
                                      lpc_object_t *ob, uint32_t fn_offset,
                                      uint32_t var_offset, lpc_object_t *prev_ob,
                                      uint32_t flags, const lpc_value_t *captured)
{
    lpc_value_t *sp = vm->sp;
    lpc_value_t *locals = sp - nargs + 1;
    if (UNLIKELY(vm->nframes >= vm->max_frames || --vm->eval_left <= 0 ||
                 sp + def->nparams + def->ncaptured + def->nlocals + def->max_stack +
                 STACK_SLACK > vm->stack_limit))
        call_limits_error(vm);
    if (UNLIKELY(nargs != def->nparams || (def->flags & LPC_FN_ELLIPSIS)))
        sp = adjust_args(sp, nargs, def);
    for (int i = 0; i < def->ncaptured; i++) {
        *++sp = captured[i];
        lpc_value_incref(sp);
    }
    for (int i = def->nlocals; i > 0; i--) {
        ++sp;
        sp->type = LPC_T_INT;
        sp->flags = 0;
        sp->u.i = 0;
    }
    vm->sp = sp;
    lpc_frame_t *f = &vm->frames[vm->nframes++];
    f->pc = def->prog->code + def->code;
    f->locals = locals;
    f->def = def;
    f->prog = def->prog;
    f->ob = ob;
    f->table = ob->prog->table;
    f->vars = ob->vars + var_offset;
    f->prev_ob = prev_ob;
    f->fn_offset = fn_offset;
    f->var_offset = var_offset;
    f->flags = flags;
    if (flags & LPC_FRAME_OWNS_OB)
        lpc_object_incref(ob);
    return f;
}

static NOINLINE void undefined_function_error(lpc_vm_t *vm, const lpc_function_t *def)
{
    lpc_error(vm, "Undefined function %s() (declared but never defined)", def->name);
}

/* Runs a function from C: args (borrowed) are pushed, the frame is
 * entered and executed to its return; the result goes to *ret. */
static void call_from_c(lpc_vm_t *vm, lpc_object_t *ob, const lpc_function_t *def,
                        uint32_t fn_offset, uint32_t var_offset,
                        const lpc_value_t *bound, int nbound,
                        const lpc_value_t *args, int nargs, const lpc_value_t *captured,
                        lpc_value_t *ret, lpc_object_t *prev, uint32_t flags)
{
    if (def->flags & LPC_FN_UNDEFINED)
        undefined_function_error(vm, def);
    if (vm->sp + nbound + nargs + STACK_SLACK >= vm->stack_limit)
        lpc_error(vm, "Stack overflow");
    lpc_value_t *base = vm->sp + 1;
    for (int i = 0; i < nbound; i++)
        lpc_vm_push(vm, &bound[i]);
    for (int i = 0; i < nargs; i++)
        lpc_vm_push(vm, &args[i]);
    frame_push(vm, def, nbound + nargs, ob, fn_offset, var_offset, prev,
               flags | LPC_FRAME_C_ENTRY | LPC_FRAME_OWNS_OB, captured);
    vm->c_depth++;
    vm_execute(vm);
    vm->c_depth--;
    /* the result is at base */
    *ret = *base;
    vm->sp = base - 1;
}

void lpc_vm_call_def(lpc_vm_t *vm, lpc_object_t *ob, const lpc_function_t *def,
                     uint32_t fn_offset, uint32_t var_offset,
                     const lpc_value_t *args, int nargs, lpc_value_t *ret,
                     lpc_object_t *prev)
{
    call_from_c(vm, ob, def, fn_offset, var_offset, NULL, 0, args, nargs, NULL, ret, prev,
                LPC_FRAME_OTHER);
}

void lpc_vm_call_index(lpc_vm_t *vm, lpc_object_t *ob, int index,
                       const lpc_value_t *args, int nargs, lpc_value_t *ret,
                       lpc_object_t *prev)
{
    const lpc_func_entry_t *e = &ob->prog->table[index];
    call_from_c(vm, ob, e->def, e->fn_offset, e->var_offset, NULL, 0, args, nargs, NULL,
                ret, prev, LPC_FRAME_OTHER);
}

lpc_object_t *lpc_vm_this_object(const lpc_vm_t *vm)
{
    if (vm->nframes == 0)
        return NULL;
    return vm->frames[vm->nframes - 1].ob;
}

lpc_object_t *lpc_vm_previous_object(const lpc_vm_t *vm, int n)
{
    for (int i = vm->nframes - 1; i >= 0; i--) {
        const lpc_frame_t *f = &vm->frames[i];
        if (!(f->flags & LPC_FRAME_OTHER))
            continue;
        if (n-- == 0) {
            lpc_object_t *o = f->prev_ob;
            if (o != NULL && lpc_object_is_destructed(o))
                return NULL;
            return o;
        }
    }
    return NULL;
}

/* The table index call_other uses for name in prog, through the call
 * site cache when given. */
static int lookup_cached(lpc_program_t *prog, const char *name, lpc_callsite_t *cs)
{
    if (cs != NULL && cs->prog_id == prog->id)
        return cs->index;
    int idx = lpc_program_find_function(prog, name);
    if (cs != NULL) {
        cs->prog_id = prog->id;
        cs->index = idx;
    }
    return idx;
}

/* Can `caller` call table entry e of ob by name? */
static bool callable_from(const lpc_func_entry_t *e, lpc_object_t *ob, lpc_object_t *caller)
{
    if (e->flags & (LPC_FN_PRIVATE | LPC_FN_HIDDEN | LPC_FN_UNDEFINED))
        return false;
    if ((e->flags & LPC_FN_STATIC) && ob != caller)
        return false;
    return (e->def->flags & LPC_FN_UNDEFINED) == 0;
}

bool lpc_vm_call_other(lpc_vm_t *vm, lpc_object_t *ob, const char *name,
                       const lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    *ret = lpc_int(0);
    if (ob == NULL || lpc_object_is_destructed(ob))
        return false;
    int idx = lpc_program_find_function(ob->prog, name);
    if (idx < 0)
        return false;
    lpc_object_t *me = lpc_vm_this_object(vm);
    const lpc_func_entry_t *e = &ob->prog->table[idx];
    if (!callable_from(e, ob, me))
        return false;
    call_from_c(vm, ob, e->def, e->fn_offset, e->var_offset, NULL, 0, args, nargs, NULL, ret,
                me, LPC_FRAME_OTHER);
    return true;
}

bool lpc_vm_apply(lpc_vm_t *vm, lpc_object_t *ob, const char *name,
                  const lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    *ret = lpc_int(0);
    if (ob == NULL || lpc_object_is_destructed(ob))
        return false;
    int idx = lpc_program_find_function(ob->prog, name);
    if (idx < 0)
        return false;
    const lpc_func_entry_t *e = &ob->prog->table[idx];
    if ((e->flags & (LPC_FN_PRIVATE | LPC_FN_HIDDEN)) || (e->def->flags & LPC_FN_UNDEFINED))
        return false;
    call_from_c(vm, ob, e->def, e->fn_offset, e->var_offset, NULL, 0, args, nargs, NULL, ret,
                NULL, LPC_FRAME_OTHER);
    return true;
}

/* Checks the arguments of an efun call against its definition. */
static void check_efun_args(lpc_vm_t *vm, const lpc_efun_def_t *d, lpc_value_t *args,
                            int nargs, int nchecked)
{
    if (nargs < d->min_args)
        lpc_error(vm, "Too few arguments to %s() (expected at least %d, got %d)",
                  d->name, d->min_args, nargs);
    if (d->max_args != LPC_EFUN_VARARGS && nargs > d->max_args)
        lpc_error(vm, "Too many arguments to %s() (expected at most %d, got %d)",
                  d->name, d->max_args, nargs);
    int last = -1;                   /* last listed mask */
    for (int i = 0; i < LPC_EFUN_MAX_CHECKED; i++)
        if (d->arg_types[i] != 0)
            last = i;
    for (int i = 0; i < nchecked; i++) {
        unsigned mask = 0;
        if (i <= last)
            mask = d->arg_types[i];
        else if (last >= 0 && (d->flags & LPC_EFUN_F_REST_TYPES))
            mask = d->arg_types[last];
        lpc_value_t *v = &args[i];
        lpc_value_fix_destructed(v);
        if (mask == 0)
            continue;
        if (mask & (1u << v->type))
            continue;
        if ((mask & LPC_TM_ZERO) && v->type == LPC_T_INT && v->u.i == 0)
            continue;
        char expected[96];
        mask_text(mask, expected, sizeof expected);
        lpc_efun_bad_arg(vm, i + 1, expected, v);
    }
}

/* Calls efun `idx` whose nargs arguments end at vm->sp, leaving the
 * result in the first argument's slot. */
static NOINLINE void vm_call_efun(lpc_vm_t *vm, int idx, int nargs)
{
    const lpc_efun_def_t *d = lpc_efun_get(idx);
    lpc_value_t *args = vm->sp - nargs + 1;
    int saved = vm->cur_efun;
    vm->cur_efun = idx;
    check_efun_args(vm, d, args, nargs, nargs);
    lpc_value_t *ret = ++vm->sp;
    *ret = lpc_int(0);
    d->fn(vm, args, nargs, ret);
    vm->cur_efun = saved;
    lpc_value_t r = *ret;
    vm->sp = ret - 1;
    while (vm->sp >= args) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    *++vm->sp = r;
}

/* An efun with lvalue (output) arguments: nargs - nlv plain arguments
 * end at vm->sp; leaves [ret, out1..outk]. */
static NOINLINE void vm_call_efun_lv(lpc_vm_t *vm, int idx, int nargs, int nlv)
{
    const lpc_efun_def_t *d = lpc_efun_get(idx);
    int nplain = nargs - nlv;
    lpc_value_t *args = vm->sp - nplain + 1;
    if (vm->sp + nlv + STACK_SLACK >= vm->stack_limit)
        lpc_error(vm, "Stack overflow");
    for (int i = 0; i < nlv; i++) {
        ++vm->sp;
        vm->sp->type = LPC_T_LVALUE;
        vm->sp->flags = 0;
        vm->sp->u.lv = NULL;
    }
    int saved = vm->cur_efun;
    vm->cur_efun = idx;
    check_efun_args(vm, d, args, nargs, nplain);
    lpc_value_t *ret = ++vm->sp;
    *ret = lpc_int(0);
    d->fn(vm, args, nargs, ret);
    vm->cur_efun = saved;
    lpc_value_t r = *ret;
    for (int i = 0; i < nplain; i++)
        lpc_value_release(&args[i]);
    args[0] = r;
    memmove(args + 1, args + nplain, (size_t)nlv * sizeof *args);
    vm->sp = args + nlv;
}

/* Resolves the target of call_other: an object, or a file name to load.
 * Returns NULL for 0 / destructed. */
static lpc_object_t *call_other_target(lpc_vm_t *vm, lpc_value_t *v)
{
    lpc_value_fix_destructed(v);
    if (v->type == LPC_T_OBJECT)
        return v->u.o;
    if (v->type == LPC_T_STRING)
        return lpc_object_load(vm, v->u.s->data);
    return NULL;
}

/* The general call_other: [ob args] ending at vm->sp; result replaces
 * ob.  Returns the new frame when it entered LPC code (the caller's
 * loop continues in it), NULL when the result is already in place. */
static NOINLINE lpc_frame_t *vm_call_other(lpc_vm_t *vm, lpc_frame_t *fr,
                                           const lpc_string_t *name, int nargs,
                                           lpc_callsite_t *cs)
{
    lpc_value_t *obv = vm->sp - nargs;
    if (obv->type == LPC_T_ARRAY) {
        /* ({ obs })->f(args): an array of the results */
        lpc_array_t *obs = obv->u.a;
        lpc_array_t *res = lpc_array_new(obs->size);
        lpc_value_t resv = lpc_value_array(res);
        lpc_vm_push(vm, &resv);        /* keeps res alive across errors */
        lpc_array_decref(res);
        for (uint32_t i = 0; i < obs->size; i++) {
            lpc_object_t *o = call_other_target(vm, &obs->items[i]);
            lpc_value_t r = lpc_int(0);
            if (o != NULL)
                lpc_vm_call_other(vm, o, name->data, obv + 1, nargs, &r);
            lpc_value_release(&res->items[i]);
            res->items[i] = r;
        }
        lpc_value_t out = *vm->sp;
        vm->sp--;
        while (vm->sp >= obv) {
            lpc_value_release(vm->sp);
            vm->sp--;
        }
        *++vm->sp = out;
        return NULL;
    }
    lpc_object_t *ob = call_other_target(vm, obv);
    if (ob == NULL) {
        if (obv->type == LPC_T_INT)
            lpc_error(vm, "call_other() on 0 (calling %s())", name->data);
        lpc_error(vm, "call_other() on %s (calling %s())",
                  lpc_type_name((lpc_type_t)obv->type), name->data);
    }
    int idx = lookup_cached(ob->prog, name->data, cs);
    const lpc_func_entry_t *e = idx >= 0 ? &ob->prog->table[idx] : NULL;
    if (e == NULL || !callable_from(e, ob, fr->ob)) {
        while (vm->sp > obv) {
            lpc_value_release(vm->sp);
            vm->sp--;
        }
        lpc_value_release(obv);
        return NULL;                 /* result: 0 */
    }
    /* Shift the arguments down over the object slot.  Dropping the
     * slot's reference cannot free ob: a live object is held by the
     * object table.  The frame takes its own reference. */
    lpc_value_release(obv);
    memmove(obv, obv + 1, (size_t)nargs * sizeof *obv);
    vm->sp--;
    return frame_push(vm, e->def, nargs, ob, e->fn_offset, e->var_offset, fr->ob,
                      LPC_FRAME_OTHER | LPC_FRAME_OWNS_OB, NULL);
}

/* simul_efun call: [args] ending at vm->sp. */
static NOINLINE lpc_frame_t *vm_call_simul(lpc_vm_t *vm, lpc_frame_t *fr,
                                           const lpc_string_t *name, int nargs,
                                           lpc_callsite_t *cs)
{
    lpc_object_t *ob = vm->simul_efun;
    if (ob == NULL || lpc_object_is_destructed(ob))
        lpc_error(vm, "simul_efun %s() called but the simul_efun object is not loaded",
                  name->data);
    int idx = lookup_cached(ob->prog, name->data, cs);
    if (idx < 0 || !callable_from(&ob->prog->table[idx], ob, ob))
        lpc_error(vm, "simul_efun %s() no longer exists", name->data);
    const lpc_func_entry_t *e = &ob->prog->table[idx];
    return frame_push(vm, e->def, nargs, ob, e->fn_offset, e->var_offset, fr->ob,
                      LPC_FRAME_OTHER | LPC_FRAME_OWNS_OB, NULL);
}

/* Calls function pointer f with nargs arguments ending at vm->sp (the
 * pointer itself is not on the stack); result into *ret. */
static void call_funcptr(lpc_vm_t *vm, lpc_funcptr_t *f, const lpc_value_t *args, int nargs,
                         lpc_value_t *ret)
{
    lpc_object_t *owner = f->owner;
    if (f->kind != LPC_FP_EFUN && lpc_object_is_destructed(owner))
        lpc_error(vm, "Function pointer's object was destructed");
    switch (f->kind) {
    case LPC_FP_EFUN: {
        int total = f->nvalues + nargs;
        if (vm->sp + total + STACK_SLACK >= vm->stack_limit)
            lpc_error(vm, "Stack overflow");
        lpc_value_t *base = vm->sp + 1;
        for (int i = 0; i < f->nvalues; i++)
            lpc_vm_push(vm, &f->values[i]);
        for (int i = 0; i < nargs; i++)
            lpc_vm_push(vm, &args[i]);
        const lpc_efun_def_t *d = lpc_efun_get(f->efun);
        if (d->lvalue_from > 0)
            lpc_error(vm, "%s() cannot be called through a function pointer", d->name);
        vm_call_efun(vm, f->efun, total);
        *ret = *base;
        vm->sp = base - 1;
        return;
    }
    case LPC_FP_LOCAL:
        call_from_c(vm, owner, f->def, f->fn_offset, f->var_offset, f->values, f->nvalues,
                    args, nargs, NULL, ret, lpc_vm_this_object(vm), LPC_FRAME_OTHER);
        return;
    case LPC_FP_CLOSURE:
        call_from_c(vm, owner, f->def, f->fn_offset, f->var_offset, NULL, 0, args, nargs,
                    f->values, ret, lpc_vm_this_object(vm), LPC_FRAME_OTHER);
        return;
    default:
        lpc_error(vm, "Bad function pointer");
    }
}

void lpc_vm_call_function(lpc_vm_t *vm, const lpc_value_t *fn, const lpc_value_t *args,
                          int nargs, lpc_value_t *ret)
{
    *ret = lpc_int(0);
    if (fn->type != LPC_T_FUNCTION)
        lpc_error(vm, "Calling %s, not a function", lpc_type_name((lpc_type_t)fn->type));
    lpc_funcptr_t *f = fn->u.fp;
    lpc_funcptr_incref(f);          /* the caller's copy might be overwritten */
    lpc_value_t hold = lpc_value_funcptr(f);
    lpc_vm_push(vm, &hold);        /* released by unwinding on error */
    lpc_funcptr_decref(f);
    call_funcptr(vm, f, args, nargs, ret);
    lpc_value_release(vm->sp);
    vm->sp--;
}

/* ---- foreach and switch -------------------------------------------- */

static void foreach_store(lpc_frame_t *fr, uint32_t spec, lpc_value_t *v)
{
    uint32_t kind = spec >> 24, slot = spec & 0xffffff;
    if (kind == LPC_FE_LOCAL)
        lpc_value_assign(&fr->locals[slot], v);
    else if (kind == LPC_FE_GLOBAL)
        lpc_value_assign(&fr->vars[slot], v);
}

/* FOREACH_INIT: collection at vm->sp into hidden locals base..base+2. */
static NOINLINE void vm_foreach_init(lpc_vm_t *vm, lpc_frame_t *fr, uint32_t base)
{
    lpc_value_t *coll = vm->sp;
    lpc_value_fix_destructed(coll);
    lpc_value_t *h = &fr->locals[base];
    switch (coll->type) {
    case LPC_T_ARRAY:
    case LPC_T_STRING:
        break;
    case LPC_T_MAPPING:
        lpc_value_release(&h[1]);
        h[1] = lpc_value_array(lpc_mapping_keys(coll->u.m));
        break;
    case LPC_T_INT:
        if (coll->u.i == 0)
            break;
        /* fall through */
    default:
        lpc_error(vm, "foreach over %s (expected array, mapping or string)",
                  lpc_type_name((lpc_type_t)coll->type));
    }
    lpc_value_release(&h[0]);
    h[0] = *coll;                    /* the reference moves */
    vm->sp--;
    lpc_value_release(&h[2]);
    h[2] = lpc_int(-1);
}

/* FOREACH_NEXT: true with the variables set, false at the end. */
static NOINLINE bool vm_foreach_next(lpc_vm_t *vm, lpc_frame_t *fr, uint32_t base,
                                     uint32_t v1, uint32_t v2)
{
    lpc_value_t *h = &fr->locals[base];
    int64_t i = ++h[2].u.i;
    lpc_value_t *coll = &h[0];
    switch (coll->type) {
    case LPC_T_ARRAY:
        if (i >= coll->u.a->size)
            return false;
        if ((v2 >> 24) != LPC_FE_NONE) {
            lpc_value_t iv = lpc_int(i);
            foreach_store(fr, v1, &iv);
            lpc_value_t tmp;
            copy_value(&tmp, &coll->u.a->items[i]);
            foreach_store(fr, v2, &tmp);
            lpc_value_release(&tmp);
        } else {
            lpc_value_t tmp;
            copy_value(&tmp, &coll->u.a->items[i]);
            foreach_store(fr, v1, &tmp);
            lpc_value_release(&tmp);
        }
        return true;
    case LPC_T_STRING: {
        if ((size_t)i >= coll->u.s->len)
            return false;
        lpc_value_t c = lpc_int((unsigned char)coll->u.s->data[i]);
        if ((v2 >> 24) != LPC_FE_NONE) {
            lpc_value_t iv = lpc_int(i);
            foreach_store(fr, v1, &iv);
            foreach_store(fr, v2, &c);
        } else {
            foreach_store(fr, v1, &c);
        }
        return true;
    }
    case LPC_T_MAPPING: {
        lpc_array_t *keys = h[1].u.a;
        if (i >= keys->size)
            return false;
        foreach_store(fr, v1, &keys->items[i]);
        if ((v2 >> 24) != LPC_FE_NONE) {
            lpc_value_t *v = lpc_mapping_find(coll->u.m, &keys->items[i]);
            lpc_value_t tmp = lpc_int(0);
            if (v != NULL)
                copy_value(&tmp, v);
            foreach_store(fr, v2, &tmp);
            lpc_value_release(&tmp);
        }
        return true;
    }
    default:
        (void)vm;
        return false;
    }
}

static uint32_t switch_target(const lpc_switch_t *sw, const lpc_value_t *v)
{
    if (v->type == LPC_T_INT) {
        int64_t x = v->u.i;
        if (sw->dense != NULL) {
            uint64_t k = (uint64_t)x - (uint64_t)sw->dense_lo;
            return k < sw->ndense ? sw->dense[k] : sw->deflt;
        }
        uint32_t lo = 0, hi = sw->nranges;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            const lpc_switch_range_t *r = &sw->ranges[mid];
            if (x < r->lo)
                hi = mid;
            else if (x > r->hi)
                lo = mid + 1;
            else
                return r->target;
        }
        return sw->deflt;
    }
    if (v->type == LPC_T_STRING) {
        uint32_t lo = 0, hi = sw->nstrs;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            int c = lpc_string_compare(v->u.s, sw->strs[mid].s);
            if (c < 0)
                hi = mid;
            else if (c > 0)
                lo = mid + 1;
            else
                return sw->strs[mid].target;
        }
    }
    return sw->deflt;
}

/* ---- catch ----------------------------------------------------------- */

/* Runs the body of a catch (the current frame's pc points at it) until
 * its END_CATCH; pushes 0, or the error value after an error. */
static NOINLINE void vm_run_catch(lpc_vm_t *vm)
{
    lpc_handler_t h;
    h.prev = vm->handler;
    h.sp = vm->sp;
    h.nframes = vm->nframes;
    h.efun = vm->cur_efun;
    int saved_depth = vm->c_depth;
    vm->handler = &h;
    if (setjmp(h.env) == 0) {
        vm_execute(vm);
        vm->handler = h.prev;
        *++vm->sp = lpc_int(0);
        return;
    }
    unwind_to(vm, &h);
    vm->c_depth = saved_depth;
    *++vm->sp = vm->err_value;
    vm->err_value = lpc_int(0);
}

/* ---- function pointer creation ------------------------------------- */

static NOINLINE void vm_make_fp(lpc_vm_t *vm, lpc_frame_t *fr, int op, uint32_t a)
{
    lpc_funcptr_t *f;
    int n;
    if (op == LPC_OP_MAKE_CLOSURE) {
        const lpc_function_t *def = &fr->prog->defs[a];
        n = def->ncaptured;
        f = lpc_funcptr_new(LPC_FP_CLOSURE, fr->ob, n);
        f->def = def;
        f->fn_offset = fr->fn_offset;
        f->var_offset = fr->var_offset;
    } else if (op == LPC_OP_MAKE_FP_LOCAL) {
        n = (int)(a >> 16);
        const lpc_func_entry_t *e = &fr->table[fr->fn_offset + (a & 0xffff)];
        f = lpc_funcptr_new(LPC_FP_LOCAL, fr->ob, n);
        f->def = e->def;
        f->fn_offset = e->fn_offset;
        f->var_offset = e->var_offset;
    } else {
        n = (int)(a >> 16);
        f = lpc_funcptr_new(LPC_FP_EFUN, fr->ob, n);
        f->efun = (int)(a & 0xffff);
    }
    lpc_value_t *base = vm->sp - n + 1;
    for (int i = 0; i < n; i++) {
        lpc_value_fix_destructed(&base[i]);
        f->values[i] = base[i];          /* references move */
    }
    vm->sp = base - 1;
    *++vm->sp = lpc_value_funcptr(f);
}

/* ---- the interpreter loop ------------------------------------------ */

#ifdef VM_COMPUTED_GOTO
#define VM_CASE(name)  L_##name:
#define VM_NEXT()      do { w = *pc++; goto *dispatch[LPC_INS_OP(w)]; } while (0)
#else
#define VM_CASE(name)  case LPC_OP_##name:
#define VM_NEXT()      goto next
#endif

#define SYNC()    (vm->sp = sp, fr->pc = pc)
#define RELOAD()  (sp = vm->sp)
#define A()       (w >> 8)
#define SA()      ((int32_t)w >> 8)

/* Re-reads the frame-derived locals after the current frame changed. */
#define LOAD_FRAME() do { \
        fr = &vm->frames[vm->nframes - 1]; \
        pc = fr->pc; \
        locals = fr->locals; \
        consts = fr->prog->consts; \
        code = fr->prog->code; \
    } while (0)

static void vm_execute(lpc_vm_t *vm)
{
#ifdef VM_COMPUTED_GOTO
    static const void *const dispatch[LPC_OP_COUNT] = {
#define LPC_OPCODE_LABEL(name, extra, desc) &&L_##name,
        LPC_OPCODE_LIST(LPC_OPCODE_LABEL)
#undef LPC_OPCODE_LABEL
    };
#endif
    lpc_frame_t *fr;
    const uint32_t *pc;
    const uint32_t *code;
    lpc_value_t *locals;
    const lpc_value_t *consts;
    lpc_value_t *sp = vm->sp;
    uint32_t w;

    LOAD_FRAME();

#ifdef VM_COMPUTED_GOTO
    VM_NEXT();
#else
next:
    w = *pc++;
    switch (LPC_INS_OP(w)) {
#endif

    VM_CASE(NOP)
        VM_NEXT();

    VM_CASE(PUSH_INT)
        ++sp;
        sp->type = LPC_T_INT;
        sp->flags = 0;
        sp->u.i = SA();
        VM_NEXT();

    VM_CASE(PUSH_CONST)
        *++sp = consts[A()];
        lpc_value_incref(sp);
        VM_NEXT();

    VM_CASE(PUSH_UNDEF)
        *++sp = lpc_undefined();
        VM_NEXT();

    VM_CASE(POP)
        lpc_value_release(sp);
        sp--;
        VM_NEXT();

    VM_CASE(DUP)
        sp[1] = sp[0];
        sp++;
        lpc_value_incref(sp);
        VM_NEXT();

    VM_CASE(DUP2)
        sp[1] = sp[-1];
        sp[2] = sp[0];
        lpc_value_incref(&sp[1]);
        lpc_value_incref(&sp[2]);
        sp += 2;
        VM_NEXT();

    VM_CASE(ROT3) {
        lpc_value_t x = sp[-2];
        sp[-2] = sp[-1];
        sp[-1] = sp[0];
        sp[0] = x;
        VM_NEXT();
    }

    VM_CASE(LOCAL) {
        lpc_value_t *v = &locals[A()];
        ++sp;
        if (LIKELY(v->type <= LPC_T_FLOAT)) {
            *sp = *v;
        } else {
            copy_value(sp, v);
        }
        VM_NEXT();
    }

    VM_CASE(SET_LOCAL) {
        lpc_value_t *v = &locals[A()];
        if (LIKELY(v->type <= LPC_T_FLOAT && sp->type <= LPC_T_FLOAT))
            *v = *sp;
        else
            lpc_value_assign(v, sp);
        VM_NEXT();
    }

    VM_CASE(SET_LOCAL_POP) {
        lpc_value_t *v = &locals[A()];
        lpc_value_release(v);
        *v = *sp;                    /* the reference moves */
        sp--;
        VM_NEXT();
    }

    VM_CASE(CLEAR_LOCAL)
        lpc_value_release(&locals[A()]);
        VM_NEXT();

    VM_CASE(GLOBAL) {
        lpc_value_t *v = &fr->vars[A()];
        ++sp;
        if (LIKELY(v->type <= LPC_T_FLOAT))
            *sp = *v;
        else
            copy_value(sp, v);
        VM_NEXT();
    }

    VM_CASE(SET_GLOBAL)
        lpc_value_assign(&fr->vars[A()], sp);
        VM_NEXT();

    VM_CASE(SET_GLOBAL_POP) {
        lpc_value_t *v = &fr->vars[A()];
        lpc_value_release(v);
        *v = *sp;
        sp--;
        VM_NEXT();
    }

    VM_CASE(LV_LOCAL)
        ++sp;
        sp->type = LPC_T_LVALUE;
        sp->flags = 0;
        sp->u.lv = &locals[A()];
        VM_NEXT();

    VM_CASE(LV_GLOBAL)
        ++sp;
        sp->type = LPC_T_LVALUE;
        sp->flags = 0;
        sp->u.lv = &fr->vars[A()];
        VM_NEXT();

    VM_CASE(INCDEC_LOCAL)
    VM_CASE(INCDEC_GLOBAL) {
        uint32_t a = A();
        int mode = (int)(a >> 16);
        lpc_value_t *v = LPC_INS_OP(w) == LPC_OP_INCDEC_LOCAL ? &locals[a & 0xffff]
                                                              : &fr->vars[a & 0xffff];
        if (LIKELY(v->type == LPC_T_INT)) {
            int64_t old = v->u.i;
            v->u.i = (int64_t)((uint64_t)old + ((mode & LPC_INCDEC_DEC) ? UINT64_MAX : 1));
            v->flags = 0;
            if (!(mode & LPC_INCDEC_DISCARD)) {
                ++sp;
                sp->type = LPC_T_INT;
                sp->flags = 0;
                sp->u.i = (mode & LPC_INCDEC_POST) ? old : v->u.i;
            }
        } else {
            lpc_value_t r;
            SYNC();
            incdec_value(vm, v, mode, &r);
            if (!(mode & LPC_INCDEC_DISCARD))
                *++sp = r;
        }
        VM_NEXT();
    }

    VM_CASE(INCDEC_INDEX)
        SYNC();
        vm_incdec_index(vm, (int)A());
        RELOAD();
        VM_NEXT();

#define BINARY_INT_FAST(name, expr) \
    VM_CASE(name) \
        if (LIKELY(sp[-1].type == LPC_T_INT && sp[0].type == LPC_T_INT)) { \
            int64_t x = sp[-1].u.i, y = sp[0].u.i; \
            (void)x; (void)y; \
            sp[-1].u.i = (expr); \
            sp[-1].flags = 0; \
            sp--; \
            VM_NEXT(); \
        } \
        SYNC(); \
        vm_binary(vm, LPC_OP_##name); \
        RELOAD(); \
        VM_NEXT();

    BINARY_INT_FAST(ADD, (int64_t)((uint64_t)x + (uint64_t)y))
    BINARY_INT_FAST(SUB, (int64_t)((uint64_t)x - (uint64_t)y))
    BINARY_INT_FAST(MUL, (int64_t)((uint64_t)x * (uint64_t)y))
    BINARY_INT_FAST(BAND, x & y)
    BINARY_INT_FAST(BXOR, x ^ y)
    BINARY_INT_FAST(EQ, x == y)
    BINARY_INT_FAST(NE, x != y)
    BINARY_INT_FAST(LT, x < y)
    BINARY_INT_FAST(LE, x <= y)
    BINARY_INT_FAST(GT, x > y)
    BINARY_INT_FAST(GE, x >= y)

    VM_CASE(BOR)
    VM_CASE(DIV)
    VM_CASE(MOD)
    VM_CASE(SHL)
    VM_CASE(SHR)
        SYNC();
        vm_binary(vm, (int)LPC_INS_OP(w));
        RELOAD();
        VM_NEXT();

    VM_CASE(ADD_IMM)
    VM_CASE(SUB_IMM)
        if (LIKELY(sp->type == LPC_T_INT)) {
            uint64_t imm = (uint64_t)(int64_t)SA();
            sp->u.i = LPC_INS_OP(w) == LPC_OP_ADD_IMM ? (int64_t)((uint64_t)sp->u.i + imm)
                                                      : (int64_t)((uint64_t)sp->u.i - imm);
            sp->flags = 0;
            VM_NEXT();
        }
        ++sp;
        sp->type = LPC_T_INT;
        sp->flags = 0;
        sp->u.i = SA();
        SYNC();
        vm_binary(vm, LPC_INS_OP(w) == LPC_OP_ADD_IMM ? LPC_OP_ADD : LPC_OP_SUB);
        RELOAD();
        VM_NEXT();

    VM_CASE(NEG)
        if (sp->type == LPC_T_INT) {
            sp->u.i = (int64_t)(0 - (uint64_t)sp->u.i);
            sp->flags = 0;
        } else if (sp->type == LPC_T_FLOAT) {
            sp->u.f = -sp->u.f;
        } else {
            SYNC();
            lpc_error(vm, "Bad argument to unary '-': %s", lpc_type_name((lpc_type_t)sp->type));
        }
        VM_NEXT();

    VM_CASE(NOT) {
        bool t = truthy(sp);
        lpc_value_release(sp);
        sp->u.i = !t;
        VM_NEXT();
    }

    VM_CASE(COMPL)
        if (sp->type != LPC_T_INT) {
            SYNC();
            lpc_error(vm, "Bad argument to '~': %s", lpc_type_name((lpc_type_t)sp->type));
        }
        sp->u.i = ~sp->u.i;
        sp->flags = 0;
        VM_NEXT();

    VM_CASE(JUMP)
        pc = code + A();
        VM_NEXT();

    VM_CASE(JZ)
        if (LIKELY(sp->type == LPC_T_INT)) {
            int64_t c = sp->u.i;
            sp--;
            if (c == 0)
                pc = code + A();
        } else {
            bool t = truthy(sp);
            lpc_value_release(sp);
            sp--;
            if (!t)
                pc = code + A();
        }
        VM_NEXT();

    VM_CASE(JNZ)
        if (LIKELY(sp->type == LPC_T_INT)) {
            int64_t c = sp->u.i;
            sp--;
            if (c != 0)
                pc = code + A();
        } else {
            bool t = truthy(sp);
            lpc_value_release(sp);
            sp--;
            if (t)
                pc = code + A();
        }
        VM_NEXT();

    VM_CASE(LOOP_JNZ) {
        bool t;
        if (LIKELY(sp->type == LPC_T_INT)) {
            t = sp->u.i != 0;
            sp--;
        } else {
            t = truthy(sp);
            lpc_value_release(sp);
            sp--;
        }
        if (t) {
            if (UNLIKELY(--vm->eval_left <= 0)) {
                SYNC();
                lpc_error(vm, "Too long evaluation. Execution aborted.");
            }
            pc = code + A();
        }
        VM_NEXT();
    }

    VM_CASE(LOOP_JUMP)
        if (UNLIKELY(--vm->eval_left <= 0)) {
            SYNC();
            lpc_error(vm, "Too long evaluation. Execution aborted.");
        }
        pc = code + A();
        VM_NEXT();

    VM_CASE(JZ_KEEP)
        if (!truthy(sp)) {
            pc = code + A();
        } else {
            lpc_value_release(sp);
            sp--;
        }
        VM_NEXT();

    VM_CASE(JNZ_KEEP)
        if (truthy(sp)) {
            pc = code + A();
        } else {
            lpc_value_release(sp);
            sp--;
        }
        VM_NEXT();

#define COMPARE_JUMP(name, opcode, expr, jump_when, charge) \
    VM_CASE(name) { \
        bool r_; \
        if (LIKELY(sp[-1].type == LPC_T_INT && sp[0].type == LPC_T_INT)) { \
            int64_t x = sp[-1].u.i, y = sp[0].u.i; \
            r_ = (expr); \
            sp -= 2; \
        } else { \
            SYNC(); \
            vm_binary(vm, opcode); \
            RELOAD(); \
            r_ = truthy(sp); \
            lpc_value_release(sp); \
            sp--; \
        } \
        if (r_ == (jump_when)) { \
            if ((charge) && UNLIKELY(--vm->eval_left <= 0)) { \
                SYNC(); \
                lpc_error(vm, "Too long evaluation. Execution aborted."); \
            } \
            pc = code + A(); \
        } \
        VM_NEXT(); \
    }

    COMPARE_JUMP(CJ_EQ, LPC_OP_EQ, x == y, false, 0)
    COMPARE_JUMP(CJ_NE, LPC_OP_NE, x != y, false, 0)
    COMPARE_JUMP(CJ_LT, LPC_OP_LT, x < y, false, 0)
    COMPARE_JUMP(CJ_LE, LPC_OP_LE, x <= y, false, 0)
    COMPARE_JUMP(CJ_GT, LPC_OP_GT, x > y, false, 0)
    COMPARE_JUMP(CJ_GE, LPC_OP_GE, x >= y, false, 0)
    COMPARE_JUMP(LOOP_EQ, LPC_OP_EQ, x == y, true, 1)
    COMPARE_JUMP(LOOP_NE, LPC_OP_NE, x != y, true, 1)
    COMPARE_JUMP(LOOP_LT, LPC_OP_LT, x < y, true, 1)
    COMPARE_JUMP(LOOP_LE, LPC_OP_LE, x <= y, true, 1)
    COMPARE_JUMP(LOOP_GT, LPC_OP_GT, x > y, true, 1)
    COMPARE_JUMP(LOOP_GE, LPC_OP_GE, x >= y, true, 1)

    VM_CASE(INDEX)
        if (LIKELY(sp[-1].type == LPC_T_ARRAY && sp->type == LPC_T_INT)) {
            lpc_array_t *arr = sp[-1].u.a;
            uint64_t i = (uint64_t)sp->u.i;
            if (LIKELY(i < arr->size)) {
                lpc_value_t *v = &arr->items[i];
                sp--;
                if (LIKELY(v->type <= LPC_T_FLOAT)) {
                    *sp = *v;
                } else {
                    copy_value(sp, v);
                }
                lpc_array_decref(arr);
                VM_NEXT();
            }
        }
        SYNC();
        vm_index(vm, false);
        RELOAD();
        VM_NEXT();

    VM_CASE(RINDEX)
        SYNC();
        vm_index(vm, true);
        RELOAD();
        VM_NEXT();

    VM_CASE(RANGE)
        SYNC();
        vm_range(vm, A());
        RELOAD();
        VM_NEXT();

    VM_CASE(INDEX_ASSIGN)
        SYNC();
        vm_index_assign(vm, false);
        RELOAD();
        VM_NEXT();

    VM_CASE(RINDEX_ASSIGN)
        SYNC();
        vm_index_assign(vm, true);
        RELOAD();
        VM_NEXT();

    VM_CASE(AGGREGATE)
        SYNC();
        vm_aggregate(vm, A());
        RELOAD();
        VM_NEXT();

    VM_CASE(MAP_AGGREGATE)
        SYNC();
        vm_map_aggregate(vm, A());
        RELOAD();
        VM_NEXT();

    VM_CASE(CALL) {
        uint32_t a = A();
        int nargs = (int)(a >> 16);
        const lpc_func_entry_t *e = &fr->table[fr->fn_offset + (a & 0xffff)];
        const lpc_function_t *def = e->def;
        SYNC();
        if (UNLIKELY(def->flags & LPC_FN_UNDEFINED))
            undefined_function_error(vm, def);
        frame_push(vm, def, nargs, fr->ob, e->fn_offset, e->var_offset, fr->prev_ob, 0, NULL);
        RELOAD();
        LOAD_FRAME();
        VM_NEXT();
    }

    VM_CASE(CALL_SUPER) {
        uint32_t w1 = *pc++;
        const lpc_inherit_t *inh = &fr->prog->inherits[A()];
        const lpc_func_entry_t *e = &inh->prog->table[w1 & 0xffff];
        int nargs = (int)(w1 >> 16);
        SYNC();
        if (UNLIKELY(e->def->flags & LPC_FN_UNDEFINED))
            undefined_function_error(vm, e->def);
        frame_push(vm, e->def, nargs, fr->ob,
                   fr->fn_offset + inh->fn_offset + e->fn_offset,
                   fr->var_offset + inh->var_offset + e->var_offset, fr->prev_ob, 0, NULL);
        RELOAD();
        LOAD_FRAME();
        VM_NEXT();
    }

    VM_CASE(CALL_INIT) {
        const lpc_inherit_t *inh = &fr->prog->inherits[A()];
        const lpc_function_t *def = &inh->prog->defs[inh->prog->init_def];
        SYNC();
        frame_push(vm, def, 0, fr->ob, fr->fn_offset + inh->fn_offset,
                   fr->var_offset + inh->var_offset, fr->prev_ob, 0, NULL);
        RELOAD();
        LOAD_FRAME();
        VM_NEXT();
    }

    VM_CASE(CALL_EFUN) {
        uint32_t a = A();
        SYNC();
        vm_call_efun(vm, (int)(a & 0xffff), (int)(a >> 16));
        RELOAD();
        VM_NEXT();
    }

    VM_CASE(CALL_EFUN_LV) {
        uint32_t a = A();
        uint32_t nlv = *pc++;
        SYNC();
        vm_call_efun_lv(vm, (int)(a & 0xffff), (int)(a >> 16), (int)nlv);
        RELOAD();
        VM_NEXT();
    }

    VM_CASE(CALL_SIMUL) {
        const lpc_string_t *name = consts[A()].u.s;
        int nargs = (int)pc[0];
        lpc_callsite_t *cs = &fr->prog->callsites[pc[1]];
        pc += 2;
        SYNC();
        vm_call_simul(vm, fr, name, nargs, cs);
        RELOAD();
        LOAD_FRAME();
        VM_NEXT();
    }

    VM_CASE(CALL_OTHER) {
        const lpc_string_t *name = consts[A()].u.s;
        int nargs = (int)pc[0];
        lpc_callsite_t *cs = &fr->prog->callsites[pc[1]];
        pc += 2;
        SYNC();
        vm_call_other(vm, fr, name, nargs, cs);
        RELOAD();
        LOAD_FRAME();           /* the callee's frame, or ours again */
        VM_NEXT();
    }

    VM_CASE(RETURN)
    VM_CASE(RETURN_ZERO) {
        lpc_value_t ret;
        if (LPC_INS_OP(w) == LPC_OP_RETURN) {
            ret = *sp;
            sp--;
        } else {
            ret = lpc_int(0);
        }
        lpc_value_t *base = fr->locals;
        while (sp >= base) {
            lpc_value_release(sp);
            sp--;
        }
        *++sp = ret;
        uint32_t flags = fr->flags;
        if (flags & LPC_FRAME_OWNS_OB)
            lpc_object_decref(fr->ob);
        vm->nframes--;
        if (flags & LPC_FRAME_C_ENTRY) {
            vm->sp = sp;
            return;
        }
        LOAD_FRAME();
        VM_NEXT();
    }

    VM_CASE(CATCH)
        fr->pc = pc;
        vm->sp = sp;
        vm_run_catch(vm);
        RELOAD();
        pc = code + A();
        VM_NEXT();

    VM_CASE(END_CATCH)
        lpc_value_release(sp);
        sp--;
        SYNC();
        return;

    VM_CASE(SWITCH) {
        const lpc_switch_t *swt = &fr->prog->switches[A()];
        uint32_t target = switch_target(swt, sp);
        lpc_value_release(sp);
        sp--;
        pc = code + target;
        VM_NEXT();
    }

    VM_CASE(FOREACH_INIT)
        SYNC();
        vm_foreach_init(vm, fr, A());
        RELOAD();
        VM_NEXT();

    VM_CASE(FOREACH_NEXT) {
        uint32_t v1 = pc[0], v2 = pc[1], exit_pc = pc[2];
        pc += 3;
        SYNC();
        if (!vm_foreach_next(vm, fr, A(), v1, v2))
            pc = code + exit_pc;
        VM_NEXT();
    }

    VM_CASE(MAKE_FP_LOCAL)
    VM_CASE(MAKE_FP_EFUN)
    VM_CASE(MAKE_CLOSURE)
        SYNC();
        vm_make_fp(vm, fr, (int)LPC_INS_OP(w), A());
        RELOAD();
        VM_NEXT();

    VM_CASE(THIS_OBJECT)
        ++sp;
        if (lpc_object_is_destructed(fr->ob)) {
            *sp = lpc_int(0);
        } else {
            *sp = lpc_value_object(fr->ob);
            lpc_object_incref(fr->ob);
        }
        VM_NEXT();

    VM_CASE(SKIP_IF_UNSET)
        if (sp->type == LPC_T_LVALUE) {
            sp--;
            pc = code + A();
        }
        VM_NEXT();

    VM_CASE(CAST)
        SYNC();
        vm_cast(vm, A());
        VM_NEXT();

    VM_CASE(SIZEOF) {
        int64_t n = 0;
        lpc_value_fix_destructed(sp);
        switch (sp->type) {
        case LPC_T_STRING: n = (int64_t)sp->u.s->len; break;
        case LPC_T_ARRAY: n = sp->u.a->size; break;
        case LPC_T_MAPPING: n = (int64_t)lpc_mapping_size(sp->u.m); break;
        default: break;
        }
        lpc_value_release(sp);
        sp->u.i = n;
        VM_NEXT();
    }

#ifndef VM_COMPUTED_GOTO
    default:
        abort();
    }
#endif
}

void lpc_vm_write(lpc_vm_t *vm, const char *data, size_t len)
{
    if (vm->output != NULL)
        vm->output(vm->output_ctx, data, len);
    else
        fwrite(data, 1, len, stdout);
}
