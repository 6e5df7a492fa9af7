/*
 * lpc_runtime.h - the LPC runtime facade for the driver and tools.
 *
 * One call sets up a world (efun registry, VM, compiler settings, hooks);
 * the rest are "safe" entry points that never longjmp into the caller:
 * they run LPC under a handler, report an uncaught error (to the master's
 * error_handler apply when a master is loaded, else to the report hook,
 * else to stderr) and return a status.
 *
 * Files are read through a caller-supplied reader given mudlib-absolute
 * paths ("/std/room.c"); the driver's reader enforces the mudlib root.
 * lpc_runtime_dir_reader is a plain reader rooted at a folder (for
 * `neolith --run`).
 *
 * Master object hooks, once lpc_runtime_load_master succeeded:
 *  - compile errors and warnings: master->log_error(file, message) with
 *    message "FILE:LINE:COL: error: text\n" (stderr too when the master
 *    has no log_error);
 *  - uncaught runtime errors: master->error_handler(mapping, 0) with
 *    keys "error", "program", "object", "line", "trace" (a string).
 *
 * Single-threaded: the driver's main thread only.
 */
#ifndef LPC_RUNTIME_H
#define LPC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_lex.h"
#include "lpc_object.h"
#include "lpc_value.h"
#include "lpc_vm.h"

typedef struct lpc_runtime_options {
    lpc_read_file_fn read_file;       /* required */
    void *read_ctx;
    const char *const *include_dirs;  /* mudlib-absolute, NULL-terminated */
    const char *auto_include;         /* or NULL */
    const char *const *defines;       /* "NAME" / "NAME=VALUE" */
    int64_t max_eval_cost;            /* 0: LPC_VM_DEFAULT_EVAL */
    int max_call_depth;               /* 0: LPC_VM_MAX_FRAMES */
    lpc_output_fn output;             /* write(); NULL: stdout */
    void *output_ctx;
    lpc_error_report_fn report_error; /* uncaught errors; NULL: stderr */
    void *report_ctx;
    lpc_diag_fn diag;                 /* compile diagnostics; NULL: stderr */
    void *diag_ctx;
    /* Told of every destruct before the object is marked (NULL: none);
     * must not run LPC code.  See lpc_vm_t.destruct_hook. */
    void (*destruct_hook)(lpc_vm_t *vm, lpc_object_t *ob);
} lpc_runtime_options_t;

/* Registers the efuns (core and standard; once per process) and makes a
 * VM.  The options' arrays are copied.  Never NULL (out of memory is
 * fatal). */
lpc_vm_t *lpc_runtime_init(const lpc_runtime_options_t *opts);

/* Destructs every object and frees the VM. */
void lpc_runtime_shutdown(lpc_vm_t *vm);

/* Loads the master / simul_efun object.  Returns true on success; on
 * failure the error has been reported and false is returned. */
bool lpc_runtime_load_master(lpc_vm_t *vm, const char *path);
bool lpc_runtime_load_simul_efun(lpc_vm_t *vm, const char *path);

/* load_object under a handler: the object (borrowed) or NULL after
 * reporting the error.  A compile error leaves the first message in
 * vm->err_message. */
lpc_object_t *lpc_runtime_load(lpc_vm_t *vm, const char *path);

/* Calls ob->fname(args) as the driver (an apply: static functions too)
 * with a fresh eval budget.  Returns true when it ran (result in *ret,
 * owned, if ret != NULL); false when the function does not exist
 * (*found = false) or raised an error (reported; *found = true). */
bool lpc_runtime_call(lpc_vm_t *vm, lpc_object_t *ob, const char *fname,
                      const lpc_value_t *args, int nargs, lpc_value_t *ret,
                      bool *found);

/* update: destructs the master of `path` (if loaded) and loads it again.
 * Clones of the old master keep the old program.  Returns the new
 * master or NULL after reporting the error. */
lpc_object_t *lpc_runtime_update(lpc_vm_t *vm, const char *path);

/* Compiles `path` ("/std/room" or "/std/room.c") without loading or
 * changing any object: a test before lpc_runtime_update, so that a file
 * with an error never costs the running object.  Inherited programs
 * that are not loaded yet are loaded (as a normal compile would).
 * Returns true when it compiled; false with the first error in err
 * ("FILE:LINE:COL: message"; the diagnostics were reported as usual). */
bool lpc_runtime_compile_check(lpc_vm_t *vm, const char *path, char *err,
                               size_t errsize);

/* Calls fn for every loaded object whose program (or an inherited one)
 * read `file` (a source or an include, mudlib-absolute).  Returns how
 * many there were.  fn must not destruct objects other than the one it
 * is given. */
int lpc_runtime_dependents(lpc_vm_t *vm, const char *file,
                           void (*fn)(void *ctx, lpc_object_t *ob), void *ctx);

/* A reader for files under a host folder: ctx is the folder (a C string
 * that outlives the VM).  Paths with ".." are refused. */
char *lpc_runtime_dir_reader(void *ctx, const char *path, size_t *len);

#endif /* LPC_RUNTIME_H */
