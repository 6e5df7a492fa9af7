/*
 * os_fs_win32.c - os_fs.h on Windows.
 *
 * Paths arrive as UTF-8 with '/' or '\\' and are converted to UTF-16 for
 * the wide APIs; paths handed back are UTF-8 with '/'.  The canonical
 * path comes from GetFinalPathNameByHandleW on a handle opened with
 * links followed, which resolves symbolic links, junctions and other
 * reparse points the way the file system itself will when the path is
 * used, so the sandbox's "still inside the root" test (mudlib_path.c)
 * sees where a path really leads.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "os_fs.h"
#include "port/port_random.h"

#include <direct.h>
#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

/* Wide paths up to this many UTF-16 units (the long-path limit). */
#define OS_FS_WPATH_MAX 32768

static int os_fs_map_error(DWORD err)
{
    switch (err) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_CANT_RESOLVE_FILENAME:  return ENOENT;
    case ERROR_DIRECTORY:              return ENOTDIR;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:         return EACCES;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:            return EEXIST;
    case ERROR_DIR_NOT_EMPTY:          return ENOTEMPTY;
    case ERROR_FILENAME_EXCED_RANGE:   return ENAMETOOLONG;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:            return ENOMEM;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:       return ENOSPC;
    case ERROR_NOT_SAME_DEVICE:        return EXDEV;
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_PARAMETER:      return EINVAL;
    default:                           return EIO;
    }
}

/* UTF-8 -> UTF-16, malloc'd; NULL with errno. */
static wchar_t *to_wide(const char *path)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    if (n <= 0 || n > OS_FS_WPATH_MAX) {
        errno = n > OS_FS_WPATH_MAX ? ENAMETOOLONG : EINVAL;
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
    return w;
}

/* UTF-16 -> UTF-8 into out with '/' separators; false (errno) when it
 * does not fit. */
static bool from_wide(const wchar_t *w, char *out, size_t outsize)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0 || (size_t)n > outsize) {
        errno = n <= 0 ? EINVAL : ENAMETOOLONG;
        return false;
    }
    WideCharToMultiByte(CP_UTF8, 0, w, -1, out, n, NULL, NULL);
    os_fs_path_to_slashes(out);
    return true;
}

char *os_fs_realpath(const char *path, char *out, size_t outsize)
{
    wchar_t *wpath = to_wide(path);
    if (wpath == NULL)
        return NULL;
    /* No access rights needed to ask for the name; BACKUP_SEMANTICS opens
     * folders too; links are followed (no OPEN_REPARSE_POINT). */
    HANDLE h = CreateFileW(wpath, 0,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    DWORD err = GetLastError();
    free(wpath);
    if (h == INVALID_HANDLE_VALUE) {
        errno = os_fs_map_error(err);
        return NULL;
    }
    wchar_t *final = malloc(OS_FS_WPATH_MAX * sizeof *final);
    if (final == NULL) {
        CloseHandle(h);
        errno = ENOMEM;
        return NULL;
    }
    DWORD n = GetFinalPathNameByHandleW(h, final, OS_FS_WPATH_MAX,
                                        FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    err = GetLastError();
    CloseHandle(h);
    if (n == 0 || n >= OS_FS_WPATH_MAX) {
        free(final);
        errno = n == 0 ? os_fs_map_error(err) : ENAMETOOLONG;
        return NULL;
    }
    /* "\\?\C:\x" -> "C:\x"; "\\?\UNC\server\share" -> "\\server\share" */
    const wchar_t *p = final;
    if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
        p += 6;
        final[6] = L'\\';
    } else if (wcsncmp(p, L"\\\\?\\", 4) == 0) {
        p += 4;
    }
    bool ok = from_wide(p, out, outsize);
    free(final);
    return ok ? out : NULL;
}

bool os_fs_exists_nofollow(const char *path)
{
    wchar_t *wpath = to_wide(path);
    if (wpath == NULL)
        return false;
    /* GetFileAttributes looks at the entry itself, not a link's target,
     * so a dangling link exists.  (Under wine a dangling Unix symbolic
     * link is invisible to Windows programs altogether: nothing here can
     * see it there.) */
    DWORD attrs = GetFileAttributesW(wpath);
    free(wpath);
    return attrs != INVALID_FILE_ATTRIBUTES;
}

int os_fs_mkdir(const char *path)
{
    wchar_t *wpath = to_wide(path);
    if (wpath == NULL)
        return -1;
    BOOL ok = CreateDirectoryW(wpath, NULL);
    DWORD err = GetLastError();
    free(wpath);
    if (!ok) {
        errno = os_fs_map_error(err);
        return -1;
    }
    return 0;
}

int os_fs_replace(const char *from, const char *to)
{
    wchar_t *wfrom = to_wide(from);
    if (wfrom == NULL)
        return -1;
    wchar_t *wto = to_wide(to);
    if (wto == NULL) {
        free(wfrom);
        return -1;
    }
    BOOL ok = MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    DWORD err = GetLastError();
    free(wfrom);
    free(wto);
    if (!ok) {
        errno = os_fs_map_error(err);
        return -1;
    }
    return 0;
}

int os_fs_create_temp(char *tmpl)
{
    size_t len = strlen(tmpl);
    if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[6];
        if (port_random_bytes(rnd, sizeof rnd) != 0) {
            errno = EIO;
            return -1;
        }
        for (int i = 0; i < 6; i++)
            tmpl[len - 6 + i] = letters[rnd[i] % (sizeof letters - 1)];
        wchar_t *w = to_wide(tmpl);
        if (w == NULL)
            return -1;
        int fd = _wopen(w, _O_RDWR | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT,
                        _S_IREAD | _S_IWRITE);
        int saved = errno;
        free(w);
        if (fd >= 0)
            return fd;
        if (saved != EEXIST) {
            errno = saved;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

int os_fs_sync_close(int fd)
{
    if (_commit(fd) != 0) {
        int saved = errno;
        _close(fd);
        errno = saved;
        return -1;
    }
    return _close(fd);
}

char *os_fs_getcwd(char *buf, size_t size)
{
    wchar_t *w = malloc(OS_FS_WPATH_MAX * sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    DWORD n = GetCurrentDirectoryW(OS_FS_WPATH_MAX, w);
    if (n == 0 || n >= OS_FS_WPATH_MAX) {
        errno = n == 0 ? os_fs_map_error(GetLastError()) : ENAMETOOLONG;
        free(w);
        return NULL;
    }
    bool ok = from_wide(w, buf, size);
    free(w);
    return ok ? buf : NULL;
}

size_t os_fs_root_length(const char *path)
{
    bool sep0 = path[0] == '/' || path[0] == '\\';
    if (sep0)
        return 1;
    if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) &&
        path[1] == ':' && (path[2] == '/' || path[2] == '\\'))
        return 3;
    return 0;
}

void os_fs_path_to_slashes(char *path)
{
    for (char *p = path; *p != '\0'; p++)
        if (*p == '\\')
            *p = '/';
}

static bool is_device_name(const char *name, size_t n)
{
    /* the stem before the first dot is what counts: "nul.txt" is NUL */
    size_t stem = 0;
    while (stem < n && name[stem] != '.')
        stem++;
    static const char *const devices[] = { "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$" };
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if (strlen(devices[i]) == stem && _strnicmp(name, devices[i], stem) == 0)
            return true;
    if (stem == 4 && (_strnicmp(name, "COM", 3) == 0 || _strnicmp(name, "LPT", 3) == 0) &&
        name[3] >= '1' && name[3] <= '9')
        return true;
    return false;
}

bool os_fs_name_allowed(const char *name, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || strchr("\\:*?\"<>|", c) != NULL)
            return false;
    }
    if (name[n - 1] == '.' || name[n - 1] == ' ')
        return false;
    return !is_device_name(name, n);
}

void os_time_now(int64_t *sec, long *nsec)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    /* 100 ns ticks since 1601-01-01 */
    uint64_t ticks = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    const uint64_t epoch_ticks = UINT64_C(116444736000000000);
    if (ticks < epoch_ticks)
        ticks = epoch_ticks;
    ticks -= epoch_ticks;
    *sec = (int64_t)(ticks / 10000000u);
    *nsec = (long)(ticks % 10000000u) * 100;
}

void os_time_local(time_t t, struct tm *out)
{
    if (localtime_s(out, &t) != 0)
        memset(out, 0, sizeof *out);
}
