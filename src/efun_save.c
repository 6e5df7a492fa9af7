/*
 * efun_save.c - save_object, restore_object, save_variable,
 * restore_variable (docs/manual/driver-efuns.md).
 *
 * A save file is the MudOS ".o" text format (save_format.h for values):
 *
 *     #/std/player.c
 *     name "alice"
 *     stats (["str":12,"dex":9,])
 *
 * one line per global variable that is not nosave (or static), in the
 * program's variable order, inherited ones first.  Variables holding 0
 * are left out unless save_object's flag is 1.  save_object writes the
 * file atomically (driver_write_atomic): a crash leaves the old save or
 * the new one.  restore_object parses the whole file before touching
 * the object, so a damaged file raises an error and changes nothing;
 * names the program does not have are skipped (a variable removed since
 * the save), and without flag 1 every saveable variable not in the file
 * is reset to 0 first, as in MudOS.
 */
#include <config.h>
#include "efuns_driver.h"
#include "mudlib_path.h"
#include "save_format.h"

#include "lpc/lpc_efun.h"
#include "lpc/lpc_object.h"
#include "lpc/lpc_program.h"
#include "lpc/lpc_vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAVE_READ_MAX ((size_t)64 << 20)

/* Resolves args[0] + ".o" (unless it already ends in ".o"; a ".c" is
 * dropped first) through the file sandbox. */
static bool save_path(lpc_vm_t *vm, const lpc_string_t *name, bool write,
                      char *lpc, char *host)
{
    size_t n = name->len;
    if (n >= 2 && name->data[n - 2] == '.' && name->data[n - 1] == 'c')
        n -= 2;
    bool has_o = n >= 2 && name->data[n - 2] == '.' && name->data[n - 1] == 'o';
    lpc_string_t *s = lpc_string_alloc(n + (has_o ? 0 : 2));
    memcpy(s->data, name->data, n);
    if (!has_o)
        memcpy(s->data + n, ".o", 2);
    /* on the stack, so an error in the master's apply frees it */
    lpc_value_t v = lpc_value_string(s);
    lpc_vm_push(vm, &v);
    lpc_value_release(&v);
    bool ok = driver_efun_path(vm, vm->sp->u.s, write, write, lpc, host);
    lpc_value_release(vm->sp);
    vm->sp--;
    return ok;
}

static lpc_object_t *current_object(lpc_vm_t *vm)
{
    lpc_object_t *ob = lpc_vm_this_object(vm);
    if (ob == NULL || lpc_object_is_destructed(ob))
        lpc_error(vm, "%s: no current object", lpc_efun_current_name(vm));
    return ob;
}

/* save_object(name, flag): 1 when written, 0 when the write failed; an
 * error when the path is refused or a value nests too deep. */
static void efun_save_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t flag = nargs > 1 ? args[1].u.i : 0;
    lpc_object_t *ob = current_object(vm);
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    save_path(vm, args[0].u.s, true, lpc, host);

    const lpc_program_t *prog = ob->prog;
    lpc_strbuf_t b;
    lpc_strbuf_init(&b);
    lpc_strbuf_printf(&b, "#%s\n", prog->path);
    for (uint32_t i = 0; i < prog->nvars_total && i < ob->num_vars; i++) {
        const lpc_var_def_t *def = &prog->vars[i];
        lpc_value_t *v = &ob->vars[i];
        lpc_value_fix_destructed(v);
        if (def->flags & LPC_VAR_NOSAVE)
            continue;
        /* objects and functions save as 0: skipped like 0 */
        if (!(flag & 1) && ((v->type == LPC_T_INT && v->u.i == 0) ||
                            v->type == LPC_T_OBJECT || v->type == LPC_T_FUNCTION))
            continue;
        char err[128];
        lpc_strbuf_append_cstr(&b, def->name);
        lpc_strbuf_append_char(&b, ' ');
        if (save_format_encode(&b, v, err, sizeof err) != 0) {
            lpc_strbuf_free(&b);
            lpc_error(vm, "save_object: variable %s: %s", def->name, err);
        }
        lpc_strbuf_append_char(&b, '\n');
    }
    int rc = driver_write_atomic(host, b.data, b.len);
    lpc_strbuf_free(&b);
    *ret = lpc_int(rc == 0);
}

typedef struct restored {
    uint32_t index;
    lpc_value_t value;
} restored_t;

/* The saveable variable called name[0..n), searching from *cursor on
 * (then from the start): an inherited private variable may share its
 * name with a later one, and the file lists them in order. */
static int64_t find_var(const lpc_program_t *prog, const char *name, size_t n,
                        uint32_t *cursor)
{
    uint32_t total = prog->nvars_total;
    for (uint32_t k = 0; k < total; k++) {
        uint32_t i = (*cursor + k) % total;
        const lpc_var_def_t *def = &prog->vars[i];
        if ((def->flags & LPC_VAR_NOSAVE) || strlen(def->name) != n ||
            memcmp(def->name, name, n) != 0)
            continue;
        *cursor = i + 1;
        return i;
    }
    return -1;
}

/* restore_object(name, flag): 1 when restored, 0 when there is no such
 * file (or it is refused).  A damaged file: an error, nothing changed. */
static void efun_restore_object(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t flag = nargs > 1 ? args[1].u.i : 0;
    lpc_object_t *ob = current_object(vm);
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    if (!save_path(vm, args[0].u.s, false, lpc, host))
        return;
    size_t len = 0;
    char *text = driver_read_whole(host, SAVE_READ_MAX, &len);
    if (text == NULL) {
        if (errno == EFBIG)
            lpc_error(vm, "restore_object: %s is larger than %zu bytes", lpc, SAVE_READ_MAX);
        return;
    }
    const lpc_program_t *prog = ob->prog;
    size_t n = 0, cap = 16;
    restored_t *vals = lpc_malloc(cap * sizeof *vals);
    uint32_t cursor = 0;
    size_t pos = 0;
    char err[256];
    err[0] = '\0';
    while (pos < len) {
        size_t eol = pos;
        while (eol < len && text[eol] != '\n')
            eol++;
        if (text[pos] == '#' || eol == pos || (eol == pos + 1 && text[pos] == '\r')) {
            pos = eol + 1;
            continue;
        }
        size_t sp = pos;
        while (sp < eol && text[sp] != ' ')
            sp++;
        if (sp == eol) {
            snprintf(err, sizeof err, "no value after the name at offset %zu", pos);
            break;
        }
        int64_t idx = prog->nvars_total > 0
                          ? find_var(prog, text + pos, sp - pos, &cursor) : -1;
        if (idx < 0) {
            pos = eol + 1;      /* unknown variable: skipped */
            continue;
        }
        size_t vpos = sp + 1;
        lpc_value_t v;
        if (save_format_decode(text, eol, &vpos, &v, err, sizeof err) != 0)
            break;
        if (vpos < eol && !(vpos + 1 == eol && text[vpos] == '\r')) {
            lpc_value_release(&v);
            snprintf(err, sizeof err, "junk after the value at offset %zu", vpos);
            break;
        }
        if (n == cap) {
            cap *= 2;
            vals = lpc_realloc(vals, cap * sizeof *vals);
        }
        vals[n].index = (uint32_t)idx;
        vals[n].value = v;
        n++;
        pos = eol + 1;
    }
    free(text);
    if (err[0] != '\0') {
        for (size_t i = 0; i < n; i++)
            lpc_value_release(&vals[i].value);
        free(vals);
        lpc_error(vm, "restore_object: %s: %s", lpc, err);
    }
    if (!(flag & 1)) {
        for (uint32_t i = 0; i < prog->nvars_total && i < ob->num_vars; i++)
            if (!(prog->vars[i].flags & LPC_VAR_NOSAVE))
                lpc_value_release(&ob->vars[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (vals[i].index < ob->num_vars) {
            lpc_value_release(&ob->vars[vals[i].index]);
            ob->vars[vals[i].index] = vals[i].value;
        } else {
            lpc_value_release(&vals[i].value);
        }
    }
    free(vals);
    *ret = lpc_int(1);
}

/* save_variable(value): the value's save-file text. */
static void efun_save_variable(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    lpc_strbuf_t b;
    char err[128];
    lpc_strbuf_init(&b);
    if (save_format_encode(&b, &args[0], err, sizeof err) != 0) {
        lpc_strbuf_free(&b);
        lpc_error(vm, "save_variable: %s", err);
    }
    *ret = lpc_value_string(lpc_strbuf_finish(&b));
}

/* restore_variable(text): the value; an error when text is not exactly
 * one value (trailing blanks and newlines allowed). */
static void efun_restore_variable(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    const lpc_string_t *s = args[0].u.s;
    size_t pos = 0;
    char err[256];
    lpc_value_t v;
    if (save_format_decode(s->data, s->len, &pos, &v, err, sizeof err) != 0)
        lpc_error(vm, "restore_variable: %s", err);
    size_t end = pos;
    while (end < s->len && (s->data[end] == ' ' || s->data[end] == '\n' ||
                            s->data[end] == '\r' || s->data[end] == '\t'))
        end++;
    if (end != s->len) {
        lpc_value_release(&v);
        lpc_error(vm, "restore_variable: junk after the value at offset %zu", pos);
    }
    *ret = v;
}

static const lpc_efun_def_t save_efuns[] = {
    { "save_object",      efun_save_object,      1, 2, 0, 0, LPC_TM_INT,
      { LPC_TM_STRING, LPC_TM_INT } },
    { "restore_object",   efun_restore_object,   1, 2, 0, 0, LPC_TM_INT,
      { LPC_TM_STRING, LPC_TM_INT } },
    { "save_variable",    efun_save_variable,    1, 1, 0, 0, LPC_TM_STRING, { 0 } },
    { "restore_variable", efun_restore_variable, 1, 1, 0, 0, LPC_TM_ANY,
      { LPC_TM_STRING } },
};

void driver_efuns_save_register(void)
{
    lpc_efun_register(save_efuns, sizeof save_efuns / sizeof save_efuns[0]);
}
