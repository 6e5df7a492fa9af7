/*
 * lpc_funcptr.h - function pointers: (: f :), (: efun :), closures.
 *
 * Three kinds, one struct:
 *  - LOCAL:   (: f :) / (: f, args... :): a function of the owner object,
 *             resolved (virtually) when the pointer is made; `values`
 *             are the bound leading arguments;
 *  - EFUN:    (: efun_name :) / (: efun_name, args... :);
 *  - CLOSURE: (: expr with $1..$n :) and function(int a) { ... }: a
 *             compiled anonymous function of the owner's program; `values`
 *             are the captured values (enclosing locals copied when the
 *             pointer is made, and $(expr) values), which each call starts
 *             from (writes inside the body do not persist).
 *
 * The pointer holds a reference to its owner object: calling a pointer
 * whose owner has been destructed is an error ("function pointer's
 * object was destructed").  bind(f, ob) makes a copy with another owner
 * that must run the same program.
 */
#ifndef LPC_FUNCPTR_H
#define LPC_FUNCPTR_H

#include <stdint.h>

#include "lpc_program.h"
#include "lpc_value.h"

typedef enum lpc_funcptr_kind {
    LPC_FP_LOCAL,
    LPC_FP_EFUN,
    LPC_FP_CLOSURE
} lpc_funcptr_kind_t;

struct lpc_funcptr {
    uint32_t ref;
    uint8_t kind;              /* lpc_funcptr_kind_t */
    uint16_t nvalues;
    lpc_object_t *owner;       /* owned reference (never NULL) */
    const lpc_function_t *def; /* LOCAL, CLOSURE (kept alive by owner) */
    uint32_t fn_offset;        /* LOCAL, CLOSURE: offsets of def->prog */
    uint32_t var_offset;       /*   in the owner's program */
    int efun;                  /* EFUN: registry index */
    lpc_value_t values[];      /* owned */
};

/* A new pointer with `nvalues` value slots set to int 0 and a NEW
 * reference to owner. */
lpc_funcptr_t *lpc_funcptr_new(lpc_funcptr_kind_t kind, lpc_object_t *owner,
                               int nvalues);

/* "(: strlen :)", "(: query_name :)", "(: <closure> :)" for %O. */
void lpc_funcptr_describe(const lpc_funcptr_t *f, lpc_strbuf_t *b);

#endif /* LPC_FUNCPTR_H */
