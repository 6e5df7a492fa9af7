/*
 * lpc_efun_type.c - type predicates and conversions: intp stringp
 * objectp mapp arrayp pointerp floatp undefinedp nullp to_int to_float.
 * (functionp and typeof are core efuns.)
 *
 * Destructed objects reach an efun as 0 (the VM rewrites them), so
 * objectp() of one is 0 and intp() of it is 1, as in MudOS.
 */
#include "config.h"
#include "lpc/lpc_efun_std.h"

#include <math.h>

/* ---------------------------------------------------------- predicates */

#define TYPE_PREDICATE(name, test)                                         \
    static void efun_##name(lpc_vm_t *vm, lpc_value_t *args, int nargs,    \
                            lpc_value_t *ret)                              \
    {                                                                      \
        (void)vm; (void)nargs;                                             \
        const lpc_value_t *v = &args[0];                                   \
        *ret = lpc_int((test) ? 1 : 0);                                    \
    }

TYPE_PREDICATE(intp, v->type == LPC_T_INT)
TYPE_PREDICATE(floatp, v->type == LPC_T_FLOAT)
TYPE_PREDICATE(stringp, v->type == LPC_T_STRING)
TYPE_PREDICATE(arrayp, v->type == LPC_T_ARRAY)
TYPE_PREDICATE(mapp, v->type == LPC_T_MAPPING)
TYPE_PREDICATE(objectp, v->type == LPC_T_OBJECT && !lpc_object_is_destructed(v->u.o))
/* undefinedp: the special 0 of a missing mapping key, an argument not
 * passed, call_other to a missing function. */
TYPE_PREDICATE(undefinedp, v->type == LPC_T_INT && (v->flags & LPC_F_UNDEFINED))
/* nullp (MudOS): "null" is any 0 -- never set, a destructed object, a
 * missing argument -- so unlike undefinedp it is also true for an
 * explicit 0. */
TYPE_PREDICATE(nullp, lpc_value_is_zero(v))

/* ---------------------------------------------------------- conversions */

/*
 * int to_int(int | float | string x)
 *
 * Floats are truncated toward zero (saturating at the int64 limits; NaN
 * gives 0).  Strings: the leading decimal integer, after optional
 * whitespace and sign ("12abc" -> 12, " -3" -> -3), saturating; a string
 * with no leading number gives an undefined 0 (so undefinedp() can tell
 * "0" from "abc").
 */
static void efun_to_int(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    const lpc_value_t *v = &args[0];
    switch (v->type) {
    case LPC_T_INT:
        *ret = lpc_int(v->u.i);
        break;
    case LPC_T_FLOAT: {
        double f = v->u.f;
        if (isnan(f))
            *ret = lpc_int(0);
        else if (f >= 9223372036854775808.0)
            *ret = lpc_int(INT64_MAX);
        else if (f <= -9223372036854775808.0)
            *ret = lpc_int(INT64_MIN);
        else
            *ret = lpc_int((int64_t)f);
        break;
    }
    default: {
        int64_t n;
        size_t pos = 0;
        lpc_efun_charge_bytes(vm, v->u.s->len);
        *ret = lpc_scan_int(v->u.s->data, v->u.s->len, &pos, 10, &n) ? lpc_int(n)
                                                                     : lpc_undefined();
        break;
    }
    }
}

/*
 * float to_float(int | float | string x)
 *
 * Ints convert to the nearest double; strings: the leading decimal number
 * ("1.5kg" -> 1.5, "3" -> 3.0, "x" -> 0.0).
 */
static void efun_to_float(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    const lpc_value_t *v = &args[0];
    switch (v->type) {
    case LPC_T_INT:
        *ret = lpc_float((double)v->u.i);
        break;
    case LPC_T_FLOAT:
        *ret = *v;
        break;
    default: {
        double d = 0.0;
        size_t pos = 0;
        lpc_efun_charge_bytes(vm, v->u.s->len);
        lpc_scan_float(v->u.s->data, v->u.s->len, &pos, &d);
        *ret = lpc_float(d);
        break;
    }
    }
}

/* --------------------------------------------------------------- table */

#define PRED(name) \
    { #name, efun_##name, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_INT, { 0 } }

static const lpc_efun_def_t type_efuns[] = {
    PRED(intp),
    PRED(floatp),
    PRED(stringp),
    PRED(arrayp),
    { "pointerp", efun_arrayp, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_INT, { 0 } },
    PRED(mapp),
    { "objectp", efun_objectp, 1, 1, 0, 0, LPC_TM_INT, { 0 } },
    { "undefinedp", efun_undefinedp, 1, 1, 0, 0, LPC_TM_INT, { 0 } },
    { "nullp", efun_nullp, 1, 1, 0, 0, LPC_TM_INT, { 0 } },
    { "to_int", efun_to_int, 1, 1, 0, 0, LPC_TM_INT,
      { LPC_TM_NUMBER | LPC_TM_STRING } },
    { "to_float", efun_to_float, 1, 1, 0, LPC_EFUN_F_PURE, LPC_TM_FLOAT,
      { LPC_TM_NUMBER | LPC_TM_STRING } },
};

const lpc_efun_def_t *lpc_efun_type_table(size_t *count)
{
    *count = sizeof type_efuns / sizeof type_efuns[0];
    return type_efuns;
}
