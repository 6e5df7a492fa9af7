/*
 * lpc_efun_std.h - internal to the standard efun set: the tables each
 * lpc_efun_*.c file contributes, collected by lpc_efun_std_register()
 * (lpc_efun_misc.c), and small helpers the files share.
 *
 * Not for use outside lib/lpc/lpc_efun_*.c, lpc_sprintf.c and
 * lpc_sscanf.c: everything else goes through lpc_efun.h.
 */
#ifndef LPC_EFUN_STD_H
#define LPC_EFUN_STD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_efun.h"

/* Each returns its static table and stores the number of entries. */
const lpc_efun_def_t *lpc_efun_string_table(size_t *count);    /* lpc_efun_string.c */
const lpc_efun_def_t *lpc_efun_sprintf_table(size_t *count);   /* lpc_sprintf.c */
const lpc_efun_def_t *lpc_efun_sscanf_table(size_t *count);    /* lpc_sscanf.c */
const lpc_efun_def_t *lpc_efun_container_table(size_t *count); /* lpc_efun_container.c */
const lpc_efun_def_t *lpc_efun_type_table(size_t *count);      /* lpc_efun_type.c */
const lpc_efun_def_t *lpc_efun_misc_table(size_t *count);      /* lpc_efun_misc.c */

/* Eval cost of work proportional to an input: one unit per this many
 * bytes of string processed (one unit per element for arrays). */
#define LPC_EFUN_BYTES_PER_COST 32

/* Charges the eval cost of touching `bytes` bytes.  May raise ("Too long
 * evaluation"), so call it while holding no C memory. */
static inline void lpc_efun_charge_bytes(lpc_vm_t *vm, size_t bytes)
{
    if (bytes >= LPC_EFUN_BYTES_PER_COST)
        lpc_vm_charge(vm, (int64_t)(bytes / LPC_EFUN_BYTES_PER_COST));
}

/* The number at s[*pos..len) after optional whitespace and sign, as
 * sscanf's %d/%x and %f read it.  Base 10 saturates at the int64 limits;
 * base 16 keeps the 64-bit pattern (-1 past 64 bits); floats are decimal
 * only (no inf, nan or hex floats).  On success store the value, advance
 * *pos past the number and return true; false (nothing changed) when no
 * digit is there.  In lpc_sscanf.c; to_int() and to_float() use them. */
bool lpc_scan_int(const char *s, size_t len, size_t *pos, int base, int64_t *out);
bool lpc_scan_float(const char *s, size_t len, size_t *pos, double *out);

#endif /* LPC_EFUN_STD_H */
