/*
 * lpc_program.h - a compiled LPC program.
 *
 * A program is the compiled form of one source file: bytecode, a
 * constant pool, the functions it defines, its global variables, the
 * programs it inherits, and the tables the VM needs to run it fast.
 *
 * Function table (virtual dispatch).  Every program has a flattened
 * table of all functions visible in it: first the whole table of each
 * inherited program, in inherit order (so inherited program #k's
 * function i sits at inherits[k].fn_offset + i), then the functions
 * defined here.  When this program defines a function that an inherited
 * one also has, every inherited slot of that name (except private ones)
 * is redirected to the new definition: that is how "most derived wins"
 * costs nothing at run time.  Code of any program calls function i of
 * its own table as table[frame.fn_offset + i] of the running object's
 * program, where fn_offset is where the running code's program sits in
 * that table.
 *
 * Variables are laid out the same way: each inherited program's
 * variables (at inherits[k].var_offset), then this program's.
 *
 * Programs are reference counted: the master object holds one, every
 * clone one, every program inheriting it one, function pointers into it
 * one.  A program is immutable once built, except for the call-site
 * caches (mutable, single-threaded).
 */
#ifndef LPC_PROGRAM_H
#define LPC_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_value.h"

typedef struct lpc_program lpc_program_t;

/* Function flags (def and table entry). */
#define LPC_FN_PRIVATE    0x0001
#define LPC_FN_STATIC     0x0002   /* also "protected" */
#define LPC_FN_PUBLIC     0x0004
#define LPC_FN_NOMASK     0x0008
#define LPC_FN_VARARGS    0x0010
#define LPC_FN_ELLIPSIS   0x0020   /* last parameter collects the rest */
#define LPC_FN_UNDEFINED  0x0040   /* prototype only: no code */
#define LPC_FN_CLOSURE    0x0080   /* anonymous function / (: :) body */
#define LPC_FN_INHERITED  0x0100   /* table entry: comes from an inherit */
#define LPC_FN_HIDDEN     0x0200   /* table entry: private in an inherit,
                                      invisible by name here */

typedef struct lpc_function {
    const char *name;          /* owned by the program's string arena */
    lpc_program_t *prog;       /* defining program (not a reference) */
    uint32_t code;             /* start offset in prog->code */
    uint16_t nparams;
    uint16_t ncaptured;        /* closures: captured values after params */
    uint16_t nlocals;          /* local slots after params and captures */
    uint16_t max_stack;        /* deepest expression stack in the body */
    uint16_t flags;            /* LPC_FN_* */
    uint16_t ret_type;         /* LPC_DTYPE */
    int line;                  /* where it is defined */
    uint16_t *param_types;     /* nparams LPC_DTYPEs (for warnings) */
} lpc_function_t;

typedef struct lpc_func_entry {
    const lpc_function_t *def;
    uint32_t fn_offset;        /* where def->prog's table starts here */
    uint32_t var_offset;       /* where def->prog's variables start */
    uint16_t flags;            /* visibility as seen in this program */
    const char *name;
} lpc_func_entry_t;

typedef struct lpc_inherit {
    lpc_program_t *prog;       /* owned reference */
    const char *label;         /* "room" for "/std/room.c" (or explicit) */
    uint32_t fn_offset;
    uint32_t var_offset;
} lpc_inherit_t;

typedef struct lpc_var_def {
    const char *name;
    uint16_t type;             /* LPC_DTYPE */
    uint16_t flags;            /* LPC_FN_PRIVATE / LPC_FN_STATIC / NOSAVE */
} lpc_var_def_t;

#define LPC_VAR_NOSAVE 0x0400
#define LPC_VAR_HIDDEN 0x0800      /* private in an inherit: no name here */

/* Line table: code offset -> (file, line), sorted by offset. */
typedef struct lpc_line_entry {
    uint32_t pc;
    uint16_t file;             /* index into files[] */
    uint16_t pad;
    int32_t line;
} lpc_line_entry_t;

/* A switch: int cases (ranges, sorted by lo, non-overlapping) and
 * string cases (sorted by lpc_string_compare).  Targets are absolute
 * code offsets. */
typedef struct lpc_switch_range {
    int64_t lo, hi;
    uint32_t target;
} lpc_switch_range_t;

typedef struct lpc_switch_str {
    lpc_string_t *s;           /* owned */
    uint32_t target;
} lpc_switch_str_t;

typedef struct lpc_switch {
    lpc_switch_range_t *ranges;
    uint32_t nranges;
    lpc_switch_str_t *strs;
    uint32_t nstrs;
    uint32_t deflt;            /* default target (the end when none) */
    /* Dense jump table for int switches whose values span little room:
     * dense[v - dense_lo] for dense_lo <= v < dense_lo + ndense. */
    int64_t dense_lo;
    uint32_t ndense;
    uint32_t *dense;
} lpc_switch_t;

/* A call_other / simul_efun call site's cache: valid when prog_id
 * matches the target object's program. */
typedef struct lpc_callsite {
    uint64_t prog_id;
    int32_t index;             /* table index, -1: no such function */
} lpc_callsite_t;

struct lpc_program {
    uint32_t ref;
    uint64_t id;               /* unique for the run (call-site caches) */
    char *path;                /* "/std/room.c", owned */

    uint32_t *code;
    uint32_t code_len;

    lpc_value_t *consts;       /* owned values */
    uint32_t nconsts;

    lpc_function_t *defs;      /* defined here, including closures */
    uint32_t ndefs;

    lpc_func_entry_t *table;   /* flattened virtual table (see above) */
    uint32_t ntable;
    uint32_t own_fn_offset;    /* where defs with names start in table */

    lpc_inherit_t *inherits;
    uint32_t ninherits;

    lpc_var_def_t *vars;       /* all variables, flattened: inherited
                                  ones first (private ones flagged
                                  LPC_VAR_HIDDEN), own ones last */
    uint32_t nvars;            /* own variables */
    uint32_t nvars_total;      /* entries in vars */

    int32_t init_def;          /* defs index of the variable initialiser
                                  (also calls the inherits'), or -1 */

    /* Name -> table index for call_other (most derived first). */
    uint32_t *name_hash;       /* open addressing, table indices + 1 */
    uint32_t name_hash_size;   /* power of two */

    lpc_line_entry_t *lines;
    uint32_t nlines;
    char **files;              /* file names for lines, owned */
    uint32_t nfiles;

    lpc_switch_t *switches;
    uint32_t nswitches;

    lpc_callsite_t *callsites;
    uint32_t ncallsites;

    char **deps;               /* every file read (source, includes), owned,
                                  NULL-terminated */
    struct lpc_strarena *strings;   /* names */
};

lpc_program_t *lpc_program_new(const char *path);
void lpc_program_incref(lpc_program_t *p);
void lpc_program_decref(lpc_program_t *p);

/* Copies a name into the program's string arena. */
const char *lpc_program_intern(lpc_program_t *p, const char *name);

/* Builds name_hash from table (call after the table is final). */
void lpc_program_build_name_hash(lpc_program_t *p);

/* The table index of the function `name` as call_other sees it (not
 * hidden, defined or prototyped), or -1. */
int lpc_program_find_function(const lpc_program_t *p, const char *name);

/* The source position of code offset pc: file name and line (line 0
 * and the program path when unknown). */
void lpc_program_line_of(const lpc_program_t *p, uint32_t pc,
                         const char **file, int *line);

/* True when the program or anything it inherits read `file`. */
bool lpc_program_depends_on(const lpc_program_t *p, const char *file);

#endif /* LPC_PROGRAM_H */
