/*
 * lpc_efun.h - efuns: the registry, the calling convention, and the
 * services an efun may use (errors, calling back into LPC, objects).
 *
 * An efun is a C function with one signature:
 *
 *     void efun_strlen(lpc_vm_t *vm, lpc_value_t *args, int nargs,
 *                      lpc_value_t *ret);
 *
 *  - args[0..nargs-1] are the arguments, BORROWED: they live on the VM's
 *    value stack and the VM releases them after the call.  The efun may
 *    overwrite an argument slot (e.g. to steal its reference: copy it,
 *    then set the slot to lpc_int(0)), never free it otherwise.
 *  - *ret is a stack slot holding int 0 on entry; store the result there
 *    as an OWNED value (a new reference).  Leaving it alone returns 0.
 *  - Argument counts and the types listed in the efun's definition are
 *    checked by the VM before the call, and destructed objects in the
 *    arguments already read as 0: an efun only checks what the table
 *    cannot express (value ranges, "array of strings", ...).
 *  - Errors: call lpc_error() / lpc_efun_bad_arg(); they do not return
 *    (longjmp to the innermost catch() or the top level).  Everything on
 *    the VM stack, including args and *ret, is released by the unwinding;
 *    C memory the efun holds is NOT.  So: raise errors before allocating,
 *    free C temporaries before raising, and when an efun calls back into
 *    LPC (map, filter, sort_array, ...), which may raise, keep partial
 *    results in *ret (not in C locals) so the unwinding frees them.
 *  - Lvalue arguments (sscanf's): an efun whose definition sets
 *    lvalue_from = k receives arguments k, k+1, ... (1-based) as output
 *    parameters: each arrives with type LPC_T_LVALUE meaning "not assigned
 *    yet".  Assign with lpc_efun_lvalue_set(&args[i], value); after the
 *    efun returns, the compiled code stores each assigned one into the
 *    variable / element written at the call site, and leaves the ones
 *    still LPC_T_LVALUE unchanged (sscanf leaves unmatched variables
 *    alone).  Never read an LPC_T_LVALUE argument's payload.
 *
 * Registration: an efun table is an array of lpc_efun_def_t in static
 * storage, registered once at start-up (before anything is compiled) with
 * lpc_efun_register().  Registering a name that already exists replaces
 * the earlier definition in place (same index), so the driver can
 * override a core efun (e.g. `write`, which the core sends to stdout).
 * The compiler binds a call to an efun index at compile time.
 *
 * Single-threaded, like the rest of the interpreter.
 */
#ifndef LPC_EFUN_H
#define LPC_EFUN_H

#include "port/port_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_value.h"

typedef struct lpc_vm lpc_vm_t;         /* lpc_vm.h */

typedef void (*lpc_efun_fn)(lpc_vm_t *vm, lpc_value_t *args, int nargs,
                            lpc_value_t *ret);

/* ---- type masks (for argument checks) ------------------------------ */
#define LPC_TM_INT      (1u << LPC_T_INT)
#define LPC_TM_FLOAT    (1u << LPC_T_FLOAT)
#define LPC_TM_STRING   (1u << LPC_T_STRING)
#define LPC_TM_ARRAY    (1u << LPC_T_ARRAY)
#define LPC_TM_MAPPING  (1u << LPC_T_MAPPING)
#define LPC_TM_OBJECT   (1u << LPC_T_OBJECT)
#define LPC_TM_FUNCTION (1u << LPC_T_FUNCTION)
#define LPC_TM_ZERO     (1u << 8)   /* int 0 only ("string or 0": STRING|ZERO) */
#define LPC_TM_NUMBER   (LPC_TM_INT | LPC_TM_FLOAT)
#define LPC_TM_ANY      (LPC_TM_INT | LPC_TM_FLOAT | LPC_TM_STRING | LPC_TM_ARRAY | \
                         LPC_TM_MAPPING | LPC_TM_OBJECT | LPC_TM_FUNCTION)

#define LPC_EFUN_MAX_CHECKED 8      /* arguments with a type mask */
#define LPC_EFUN_VARARGS     (-1)   /* max_args: no upper bound */

/* Flags. */
#define LPC_EFUN_F_REST_TYPES 0x01  /* arguments past the last listed mask
                                       are checked against that last mask */
#define LPC_EFUN_F_PURE       0x02  /* no side effects: may be folded at
                                       compile time on constant arguments */

typedef struct lpc_efun_def {
    const char *name;
    lpc_efun_fn fn;
    int8_t   min_args;
    int8_t   max_args;       /* LPC_EFUN_VARARGS: any number >= min_args */
    uint8_t  lvalue_from;    /* 0, or 1-based first lvalue argument */
    uint8_t  flags;          /* LPC_EFUN_F_* */
    uint16_t ret_types;      /* LPC_TM_* it may return; 0 = unknown (used
                                only for compile-time warnings) */
    /* arg_types[i]: mask of accepted types for argument i+1; 0 = any. */
    uint16_t arg_types[LPC_EFUN_MAX_CHECKED];
} lpc_efun_def_t;

/* ---- registry ------------------------------------------------------ */

/* Registers `count` definitions (they must stay valid for the life of the
 * process: use static tables).  Same name as an existing efun: replaces
 * it in place.  Returns 0, or -1 (nothing registered) when a definition
 * is malformed (NULL name/fn, min_args > max_args, ...). */
int lpc_efun_register(const lpc_efun_def_t *defs, size_t count);

/* The index of efun `name`, or -1. */
int lpc_efun_lookup(const char *name);
const lpc_efun_def_t *lpc_efun_get(int index);   /* NULL if out of range */
int lpc_efun_count(void);

/* The core set the language itself needs (write, error, throw,
 * this_object, previous_object, call_other, load_object, find_object,
 * clone_object, new, destruct, file_name, clonep, evaluate, bind,
 * functionp, sizeof, typeof).  Implemented in lpc_efun_core.c. */
void lpc_efun_register_core(void);

/* The standard set (strings, containers, types, misc: strlen, sprintf,
 * sscanf, explode, implode, map, filter, sort_array, ...), implemented by
 * the standard efun files; lpc_runtime_init() calls it after the core
 * set. */
void lpc_efun_std_register(void);

/* ---- errors -------------------------------------------------------- */

/* Raises an LPC run-time error with a printf-style message (no trailing
 * newline needed).  Never returns. */
void lpc_error(lpc_vm_t *vm, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(PORT_PRINTF_FORMAT, 2, 3)))
#endif
    ;
void lpc_verror(lpc_vm_t *vm, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((noreturn, format(PORT_PRINTF_FORMAT, 2, 0)))
#endif
    ;

/* "Bad argument N to NAME(): expected EXPECTED, got TYPE" for the efun
 * being called (argn is 1-based).  Never returns. */
void lpc_efun_bad_arg(lpc_vm_t *vm, int argn, const char *expected,
                      const lpc_value_t *got)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* The name of the efun being executed ("?" outside an efun). */
const char *lpc_efun_current_name(const lpc_vm_t *vm);

/* Charges `cost` units against the eval-cost limit (raising "Too long
 * evaluation" when it runs out): efuns doing work proportional to their
 * input on large inputs may call it.  Optional. */
void lpc_vm_charge(lpc_vm_t *vm, int64_t cost);

/* ---- lvalue arguments ---------------------------------------------- */

/* Assigns to an lvalue argument (see the top of this file).  Consumes
 * `value` (the caller's reference moves into the argument). */
void lpc_efun_lvalue_set(lpc_value_t *arg, lpc_value_t value);

/* ---- calling back into LPC ----------------------------------------- */

/* Calls a function value (a function pointer: (: f :), (: efun :),
 * closures) with args[0..nargs-1] (borrowed; extra arguments bound in the
 * pointer come first).  *ret must be a slot the caller owns holding no
 * reference (int 0): the result is stored there, owned.  Errors in the
 * call propagate (longjmp) to the caller's catch; see the note above on
 * keeping partial results in *ret.  `fn` not a function: error. */
void lpc_vm_call_function(lpc_vm_t *vm, const lpc_value_t *fn,
                          const lpc_value_t *args, int nargs,
                          lpc_value_t *ret);

/* call_other: calls function `name` in object `ob` as if from the
 * current object.  Returns true and stores the result in *ret (owned);
 * returns false (leaving *ret 0) when ob has no such public function.
 * Errors in the call propagate. */
bool lpc_vm_call_other(lpc_vm_t *vm, lpc_object_t *ob, const char *name,
                       const lpc_value_t *args, int nargs, lpc_value_t *ret);

/* The current object (NULL outside any LPC call) and previous_object(n)
 * (n = 0: the caller's object; NULL when there is none).  Borrowed. */
lpc_object_t *lpc_vm_this_object(const lpc_vm_t *vm);
lpc_object_t *lpc_vm_previous_object(const lpc_vm_t *vm, int n);

/* ---- output -------------------------------------------------------- */

/* Sends text to "the user" the way the write efun does: stdout for
 * --run, the current player's connection in the driver (see
 * lpc_runtime_set_output in lpc_runtime.h). */
void lpc_vm_write(lpc_vm_t *vm, const char *data, size_t len);

/* ---- conversions shared by efuns and the VM ------------------------ */

/* Appends the text form of a number the way string + number does
 * ("12", "1.5"). */
void lpc_strbuf_append_number(lpc_strbuf_t *b, const lpc_value_t *v);

#endif /* LPC_EFUN_H */
