/*
 * lpc_compile.h - the compiler: source file -> program.
 *
 * Runs the lexer (with the VM's include dirs, auto-include and
 * defines), the parser, then resolves names and generates bytecode:
 * locals in numbered slots, calls to the program's own and inherited
 * functions by table index (virtual dispatch through the flattened
 * table, see lpc_program.h), ::f() and label::f() by inherit and index,
 * simul_efuns by name with a call-site cache, efuns by registry index,
 * globals by index; constants folded where both operands are literals.
 *
 * Inherited files are loaded through lpc_object (their master objects
 * are the program cache).  Diagnostics go through vm->diag as
 * "FILE:LINE:COL: error: message" (or warning).
 */
#ifndef LPC_COMPILE_H
#define LPC_COMPILE_H

#include <stddef.h>

#include "lpc_program.h"
#include "lpc_vm.h"

/* Compiles `path` (normalised, mudlib-absolute, ending in ".c").
 * Returns a new program (reference owned by the caller), or NULL after
 * reporting the errors; then `err` holds the first one
 * ("FILE:LINE:COL: message"). */
lpc_program_t *lpc_compile(lpc_vm_t *vm, const char *path, char *err,
                           size_t errsize);

/* A human-readable listing of a program's bytecode (for tests and
 * debugging).  Appends to b. */
void lpc_disassemble(const lpc_program_t *p, lpc_strbuf_t *b);

#endif /* LPC_COMPILE_H */
