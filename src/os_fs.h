/*
 * os_fs.h - the file-system operations that differ between POSIX and
 * Windows (os_fs_posix.c, os_fs_win32.c).
 *
 * Paths: '/' separates components on every OS.  The Windows functions
 * accept '\\' too and hand back '/' ("C:/mud/lib", "//server/share/x"),
 * so code that splits or joins at '/' works unchanged; Windows APIs take
 * '/' as well.  Paths are bytes in UTF-8 on Windows (converted to UTF-16
 * for the wide APIs this file calls).
 *
 * Errors: -1 / NULL with errno set, as the POSIX calls do.
 *
 * The open(2) flags the tree uses are given a value on every OS below:
 * O_BINARY (Windows: no CR LF translation; 0 on POSIX), O_CLOEXEC
 * (Windows: O_NOINHERIT), O_NONBLOCK (no meaning for Windows files: 0).
 */
#ifndef NEOLITH_OS_FS_H
#define NEOLITH_OS_FS_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#ifdef O_NOINHERIT
#define O_CLOEXEC O_NOINHERIT
#else
#define O_CLOEXEC 0
#endif
#endif
#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif

/* The canonical absolute path of an existing file or folder, every link
 * (Windows: symbolic link, junction, any reparse point) resolved, in out
 * (outsize bytes).  Returns out, or NULL with errno (ENOENT, ENOTDIR,
 * EACCES, ENAMETOOLONG...). */
char *os_fs_realpath(const char *path, char *out, size_t outsize);

/* True when `path` names an existing entry itself, links not followed
 * (lstat): a dangling link exists. */
bool os_fs_exists_nofollow(const char *path);

/* Creates one folder (POSIX mode 0755 before the umask). */
int os_fs_mkdir(const char *path);

/* Moves `from` over `to` in one step, replacing `to` if it exists: an
 * observer sees the old or the new file, never neither (rename(2);
 * Windows MoveFileExW with MOVEFILE_REPLACE_EXISTING).  POSIX also
 * syncs the folder so that the rename itself survives a crash. */
int os_fs_replace(const char *from, const char *to);

/* Creates and opens (read-write, binary, not inherited) a new file from
 * tmpl, whose last six characters "XXXXXX" are replaced in place.
 * Returns the descriptor, or -1 with errno. */
int os_fs_create_temp(char *tmpl);

/* Gives the file mode 0644 (POSIX), flushes it to the disk and closes
 * it.  Returns 0, or -1 with errno (the descriptor is closed either way). */
int os_fs_sync_close(int fd);

/* The current folder, '/'-separated.  Returns buf or NULL with errno. */
char *os_fs_getcwd(char *buf, size_t size);

/* Length of the root prefix of an absolute path, which always ends in
 * '/': 1 for "/a" (and for "//server/..." on Windows), 3 for "C:/a" on
 * Windows; 0 when the path is relative. */
size_t os_fs_root_length(const char *path);

/* Turns the OS's own separators into '/', in place (Windows: '\\';
 * nothing on POSIX). */
void os_fs_path_to_slashes(char *path);

/* May a file or folder have this name (one path component, n bytes, not
 * "." or "..")?  POSIX: always (the sandbox already split at '/' and
 * refused NUL).  Windows refuses what the OS would read as something
 * else: '\\' (a separator), ':' (a drive or a stream), wildcard and
 * reserved characters, control characters, a trailing dot or space
 * (which Windows strips), and device names (CON, NUL, COM1, ...). */
bool os_fs_name_allowed(const char *name, size_t n);

/* Wall-clock time now, as seconds since the epoch and nanoseconds, and
 * a time_t in local time (localtime_r / localtime_s). */
void os_time_now(int64_t *sec, long *nsec);
void os_time_local(time_t t, struct tm *out);

#endif /* NEOLITH_OS_FS_H */
