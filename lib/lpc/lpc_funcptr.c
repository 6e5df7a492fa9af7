/*
 * lpc_funcptr.c - function pointer values (lpc_funcptr.h).  Calling them
 * is the VM's job (lpc_vm.c).
 */
#include "lpc_funcptr.h"
#include "lpc_efun.h"
#include "lpc_object.h"

#include <stdlib.h>
#include <string.h>

lpc_funcptr_t *lpc_funcptr_new(lpc_funcptr_kind_t kind, lpc_object_t *owner,
                               int nvalues)
{
    lpc_funcptr_t *f = lpc_malloc(sizeof *f + (size_t)nvalues * sizeof(lpc_value_t));
    memset(f, 0, sizeof *f);
    f->ref = 1;
    f->kind = (uint8_t)kind;
    f->nvalues = (uint16_t)nvalues;
    f->owner = owner;
    lpc_object_incref(owner);
    f->efun = -1;
    for (int i = 0; i < nvalues; i++)
        f->values[i] = lpc_int(0);
    return f;
}

void lpc_funcptr_incref(lpc_funcptr_t *f)
{
    f->ref++;
}

void lpc_funcptr_decref(lpc_funcptr_t *f)
{
    if (--f->ref > 0)
        return;
    for (int i = 0; i < f->nvalues; i++)
        lpc_value_release(&f->values[i]);
    lpc_object_decref(f->owner);
    free(f);
}

void lpc_funcptr_describe(const lpc_funcptr_t *f, lpc_strbuf_t *b)
{
    switch (f->kind) {
    case LPC_FP_EFUN: {
        const lpc_efun_def_t *d = lpc_efun_get(f->efun);
        lpc_strbuf_printf(b, "(: %s :)", d != NULL ? d->name : "?");
        break;
    }
    case LPC_FP_LOCAL:
        lpc_strbuf_printf(b, "(: %s :)", f->def->name);
        break;
    default:
        lpc_strbuf_append_cstr(b, "(: <closure> :)");
        break;
    }
}
