/*
 * lpc_vm.h - the interpreter: value stack, call frames, errors.
 *
 * One lpc_vm_t is one LPC world: the stacks, the object table, the
 * compiler settings and the master/simul_efun hooks (lpc_runtime.h is
 * the facade the driver uses; this header is for the library's own
 * modules and for tests).
 *
 * Stack discipline.  All live temporaries are on the value stack
 * (vm->stack .. vm->sp inclusive); locals of a frame are stack slots
 * (arguments first, then captured values for closures, then locals).
 * An error longjmps to the innermost handler, which releases every value
 * above its saved stack pointer and drops the frames above its saved
 * depth: nothing else needs cleaning, which is why efuns keep results in
 * their *ret stack slot (see lpc_efun.h).
 *
 * Calling convention.  The caller pushes the arguments and executes
 * CALL; the callee's frame starts at the first argument; missing
 * arguments are pushed as undefined 0, extra ones dropped (or collected
 * into an array for an ellipsis parameter), locals are pushed as 0.  On
 * return the result replaces the first argument's slot and everything
 * above it is released.
 */
#ifndef LPC_VM_H
#define LPC_VM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_efun.h"
#include "lpc_lex.h"
#include "lpc_object.h"
#include "lpc_program.h"
#include "lpc_value.h"

#define LPC_VM_STACK_SIZE     65536   /* values */
#define LPC_VM_MAX_FRAMES     1000
#define LPC_VM_DEFAULT_EVAL   200000000

/* Frame flags. */
#define LPC_FRAME_OWNS_OB   0x01   /* holds a reference on ob */
#define LPC_FRAME_C_ENTRY   0x02   /* returning from it returns to C */
#define LPC_FRAME_OTHER     0x04   /* entered by call_other (or from C):
                                      prev_ob is a previous_object() */

typedef struct lpc_frame {
    const uint32_t *pc;
    lpc_value_t *locals;
    const lpc_function_t *def;
    lpc_program_t *prog;           /* def->prog: code and constants */
    lpc_object_t *ob;              /* this_object() */
    const lpc_func_entry_t *table; /* ob->prog->table */
    lpc_value_t *vars;             /* ob->vars + var_offset */
    lpc_object_t *prev_ob;         /* the caller's object (borrowed) */
    uint32_t fn_offset;
    uint32_t var_offset;
    uint32_t flags;                /* LPC_FRAME_* */
} lpc_frame_t;

typedef struct lpc_handler {
    jmp_buf env;
    struct lpc_handler *prev;
    lpc_value_t *sp;               /* stack pointer to restore */
    int nframes;                   /* frames to keep */
    int efun;                      /* vm->cur_efun to restore */
} lpc_handler_t;

/* Receives runtime errors that reach the top level (not caught):
 * `message` is the error text, `trace` the LPC stack trace (lines
 * "FILE:LINE: in function()", innermost first).  Default: stderr. */
typedef void (*lpc_error_report_fn)(void *ctx, const char *message,
                                    const char *trace);
typedef void (*lpc_output_fn)(void *ctx, const char *data, size_t len);

struct lpc_vm {
    /* ---- interpreter ---- */
    lpc_value_t *stack;
    lpc_value_t *stack_limit;      /* last usable slot */
    lpc_value_t *sp;               /* top of stack (stack - 1 when empty) */
    lpc_frame_t *frames;
    int nframes;
    int max_frames;
    lpc_handler_t *handler;
    int64_t eval_left;
    int64_t eval_limit;
    int cur_efun;                  /* -1 outside efuns */
    int c_depth;                   /* nested entries from C */

    /* The error being raised / just caught. */
    lpc_value_t err_value;         /* what catch() returns (owned) */
    lpc_strbuf_t err_trace;        /* trace text of the last error */
    char *err_message;             /* message of the last error (malloc) */
    lpc_string_t *err_program;     /* where it happened, for error_handler */
    lpc_string_t *err_object;
    int err_line;

    /* ---- objects ---- */
    lpc_object_t **obj_hash;
    uint32_t obj_hash_size;
    uint32_t nobjects;
    lpc_object_t *obj_first, *obj_last;
    uint64_t next_clone_no;
    lpc_object_t *master;          /* borrowed (the table owns it) */
    lpc_object_t *simul_efun;

    /* ---- compiler settings ---- */
    lpc_read_file_fn read_file;
    void *read_ctx;
    char **include_dirs;           /* NULL-terminated, owned */
    char *auto_include;
    char **defines;
    int compile_depth;             /* nested compiles (inherit chains) */
    const char *compiling[32];     /* paths being compiled (cycle check) */

    /* ---- hooks ---- */
    lpc_output_fn output;
    void *output_ctx;
    lpc_error_report_fn report_error;
    void *report_ctx;
    lpc_diag_fn diag;              /* compile diagnostics; NULL: stderr */
    void *diag_ctx;
    void *runtime_data;            /* lpc_runtime.c's state */
    /* Called by lpc_object_destruct before the object is marked
     * destructed (NULL: none): the driver drops its own references
     * (environment, interactive, call_outs).  Must not run LPC code. */
    void (*destruct_hook)(lpc_vm_t *vm, lpc_object_t *ob);
};

lpc_vm_t *lpc_vm_new(void);
void lpc_vm_free(lpc_vm_t *vm);

/* Runs `fn` with a handler: returns true when it finished, false after an
 * error (reported through vm->report_error when `report`, and kept in
 * vm->err_value / err_message / err_trace either way).  Everything the
 * call pushed is released on error.  The way C code calls LPC safely. */
bool lpc_vm_protect(lpc_vm_t *vm, void (*fn)(lpc_vm_t *vm, void *arg),
                    void *arg, bool report);

/* Calls table entry `index` of ob's program with args (borrowed);
 * result into *ret (owned; *ret must hold no reference).  `prev` is
 * previous_object() for the call (NULL: none).  Raises errors. */
void lpc_vm_call_index(lpc_vm_t *vm, lpc_object_t *ob, int index,
                       const lpc_value_t *args, int nargs, lpc_value_t *ret,
                       lpc_object_t *prev);

/* Calls def (with program offsets) in ob, no visibility checks: used
 * for variable initialisers and driver applies. */
void lpc_vm_call_def(lpc_vm_t *vm, lpc_object_t *ob, const lpc_function_t *def,
                     uint32_t fn_offset, uint32_t var_offset,
                     const lpc_value_t *args, int nargs, lpc_value_t *ret,
                     lpc_object_t *prev);

/* Driver "apply": calls function `name` in ob if it exists (any
 * visibility but private), as if from the driver.  Returns false when
 * there is no such function.  Raises errors. */
bool lpc_vm_apply(lpc_vm_t *vm, lpc_object_t *ob, const char *name,
                  const lpc_value_t *args, int nargs, lpc_value_t *ret);

/* throw(value): raises an error whose catch() value is *value itself
 * (consumed: *value is reset to 0).  Never returns. */
void lpc_vm_throw(lpc_vm_t *vm, lpc_value_t *value)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* Raises again the error kept in vm->err_* (after lpc_vm_protect
 * returned false), with its original message and trace. */
void lpc_vm_rethrow(lpc_vm_t *vm)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* Pushes a copy of v (new reference).  Raises "stack overflow". */
void lpc_vm_push(lpc_vm_t *vm, const lpc_value_t *v);

/* The current LPC stack trace as text, innermost frame first. */
void lpc_vm_trace(lpc_vm_t *vm, lpc_strbuf_t *out);

/* Resets the eval-cost budget (the runtime does this before each
 * top-level call). */
static inline void lpc_vm_reset_eval(lpc_vm_t *vm) { vm->eval_left = vm->eval_limit; }

/* Arithmetic shared with constant folding: the binary operator `op`
 * (an LPC_OP_ADD.. opcode) on two numbers, without side effects.
 * Returns false when it cannot be folded (not numbers, division by zero). */
bool lpc_vm_fold_binary(int op, const lpc_value_t *a, const lpc_value_t *b,
                        lpc_value_t *out);

#endif /* LPC_VM_H */
