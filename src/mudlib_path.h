/*
 * mudlib_path.h - the file sandbox: LPC paths to host paths under the
 * mudlib root.
 *
 * Every file efun (efun_files.c, efun_save.c) turns its LPC path into a
 * host path here, and nowhere else.  The rules:
 *  - "/a/b" is relative to the mudlib root; "a/b" is relative to the
 *    folder of the current object ("/d/x/room" -> "/d/x/a/b"), as in
 *    MudOS;
 *  - "." and empty components are dropped, ".." removes the previous
 *    component; a ".." that would climb above the root is refused, as
 *    is a path containing a NUL byte or longer than MUDLIB_PATH_MAX;
 *  - symbolic links are followed only when they stay inside the root:
 *    the longest existing prefix of the host path is resolved with
 *    realpath() and must be the root or under it; a dangling link in the
 *    path (whose target cannot be checked) is refused.
 * The host path handed back is the root joined with the normalised LPC
 * path, not the resolved one, so rm() of a link removes the link.
 *
 * Not defended against: a host process racing the driver to swap a
 * folder for a link between the check and the use (LPC code itself can
 * create no links).
 *
 * The root is process-wide (the driver has one mudlib).  Main thread
 * only.
 */
#ifndef NEOLITH_MUDLIB_PATH_H
#define NEOLITH_MUDLIB_PATH_H

#include <stddef.h>

#define MUDLIB_PATH_MAX 4096

/* Sets the mudlib root to host folder `dir` (resolved with realpath, so
 * it must exist).  Returns 0, or -1 with errno set. */
int mudlib_path_set_root(const char *dir);

/* The resolved root, or NULL before mudlib_path_set_root. */
const char *mudlib_path_root(void);

/* Normalises `path` (len bytes, may hold anything) into an absolute LPC
 * path "/a/b" ("/" for the root itself) in out.  `cur_dir` is the LPC
 * folder relative paths start from (NULL: "/").  Returns 0, or -1 with
 * a message in err ("illegal path: ..." and why). */
int mudlib_path_normalize(const char *path, size_t len, const char *cur_dir,
                          char *out, size_t outsize, char *err, size_t errsize);

/* mudlib_path_normalize, then the host path in host (root + LPC path)
 * after the symlink check above.  lpc_out may be NULL.  Returns 0, or
 * -1 with a message in err (no root set, illegal path, link outside the
 * mudlib). */
int mudlib_path_resolve(const char *path, size_t len, const char *cur_dir,
                        char *lpc_out, size_t lpc_size,
                        char *host, size_t hostsize, char *err, size_t errsize);

#endif /* NEOLITH_MUDLIB_PATH_H */
