/*
 * efuns_driver.h - efuns the driver adds to the LPC core: files, saving,
 * crypt, JSON (docs/manual/driver-efuns.md lists them and their rules).
 *
 * Each register function adds one group to the efun registry
 * (lpc_efun_register); call them once, after lpc_runtime_init (which
 * registers the core and standard sets) and before compiling anything.
 * The file groups also need the sandbox root: mudlib_path_set_root()
 * (mudlib_path.h) before any LPC runs.
 *
 * Main thread only, like the interpreter.
 */
#ifndef NEOLITH_EFUNS_DRIVER_H
#define NEOLITH_EFUNS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lpc/lpc_vm.h"

/* read_file, write_file, file_size, get_dir, rm, rmdir, mkdir, rename,
 * stat (efun_files.c). */
void driver_efuns_files_register(void);
/* save_object, restore_object, save_variable, restore_variable
 * (efun_save.c). */
void driver_efuns_save_register(void);
/* crypt (efun_crypt.c). */
void driver_efuns_crypt_register(void);
/* to_json, from_json (efun_json.c). */
void driver_efuns_json_register(void);
/* All four groups. */
void driver_efuns_register_all(void);

/* ---- shared by the file efuns (efun_files.c) ----------------------- */

/* Resolves LPC path `path` for the running efun: the sandbox
 * (mudlib_path_resolve, relative to the current object's folder), then
 * the master's valid_read / valid_write(path, this_object(), efun name)
 * when a master is loaded (no master, or the master itself calling:
 * allowed).  On success fills lpc
 * (normalised LPC path) and host (MUDLIB_PATH_MAX bytes each) and
 * returns true.  On refusal: raises an LPC error when `raise`, else
 * returns false.  Errors raised by the master's apply propagate. */
bool driver_efun_path(lpc_vm_t *vm, const lpc_string_t *path, bool write,
                      bool raise, char *lpc, char *host);

/* Writes len bytes to host path `host` atomically: a temporary file in
 * the same folder, fsync, rename over the target (then fsync of the
 * folder).  A crash leaves the old file or the new one, never a part.
 * Returns 0, or -1 with errno set (the temporary file removed). */
int driver_write_atomic(const char *host, const char *data, size_t len);

/* Reads the whole regular file at host path `host` into a malloc'd
 * buffer (NUL-terminated; the caller frees it) and its length into
 * *len.  NULL with errno set when it cannot (EISDIR for a folder, EFBIG
 * when larger than max bytes). */
char *driver_read_whole(const char *host, size_t max, size_t *len);

/* ---- LPC <-> JSON, shared with the MCP provider (efun_json.c) ------- */

struct json_t;
/* The JSON form of v, as to_json() builds it (a new reference), or NULL
 * with the reason in err. */
struct json_t *driver_lpc_to_json(const lpc_value_t *v, char *err, size_t errsize);
/* The LPC value of j, as from_json() makes it, into *out (owned). */
void driver_json_to_lpc(const struct json_t *j, lpc_value_t *out);

#endif /* NEOLITH_EFUNS_DRIVER_H */
