/*
 * mudlib_path.c - the file sandbox (mudlib_path.h).
 */
#include <config.h>
#include "mudlib_path.h"
#include "os_fs.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Host paths built here: PATH_MAX is only 260 on Windows, so a size of
 * our own. */
#define MUDLIB_HOST_MAX 4096

static char mudlib_root[MUDLIB_HOST_MAX];
static size_t mudlib_root_len;     /* 0: not set */

int mudlib_path_set_root(const char *dir)
{
    char real[MUDLIB_HOST_MAX];
    if (os_fs_realpath(dir, real, sizeof real) == NULL)
        return -1;
    struct stat st;
    if (stat(real, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    /* "/" as root: keep it as "" so that joining gives "/a/b" */
    size_t n = strlen(real);
    if (n == 1)
        n = 0, real[0] = '\0';
    memcpy(mudlib_root, real, n + 1);
    mudlib_root_len = n == 0 ? 1 : n;
    return 0;
}

const char *mudlib_path_root(void)
{
    if (mudlib_root_len == 0)
        return NULL;
    return mudlib_root[0] == '\0' ? "/" : mudlib_root;
}

/* Appends component [c, c+n) to the normalised path out (length *olen),
 * applying "." and "..".  Returns false when ".." climbs above the root
 * or the result does not fit. */
static bool push_component(char *out, size_t outsize, size_t *olen,
                           const char *c, size_t n)
{
    if (n == 0 || (n == 1 && c[0] == '.'))
        return true;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        if (*olen == 0)
            return false;
        while (*olen > 0 && out[*olen - 1] != '/')
            (*olen)--;
        if (*olen > 0)
            (*olen)--;          /* the slash before the removed component */
        out[*olen] = '\0';
        return true;
    }
    /* A name the host would read as something else (Windows: "a\..",
     * "C:", "nul") could leave the root or reach a device. */
    if (!os_fs_name_allowed(c, n))
        return false;
    if (*olen + 1 + n + 1 > outsize)
        return false;
    out[(*olen)++] = '/';
    memcpy(out + *olen, c, n);
    *olen += n;
    out[*olen] = '\0';
    return true;
}

/* Splits [p, p+len) at slashes and pushes every component. */
static bool push_path(char *out, size_t outsize, size_t *olen,
                      const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        if (!push_component(out, outsize, olen, p + i, j - i))
            return false;
        i = j + 1;
    }
    return true;
}

/* Does [p, p+len) hold a component os_fs_name_allowed refuses?  (For
 * the error message: push_path says only that it failed.) */
static bool has_refused_name(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        size_t n = j - i;
        bool dots = (n == 1 && p[i] == '.') || (n == 2 && p[i] == '.' && p[i + 1] == '.');
        if (n > 0 && !dots && !os_fs_name_allowed(p + i, n))
            return true;
        i = j + 1;
    }
    return false;
}

int mudlib_path_normalize(const char *path, size_t len, const char *cur_dir,
                          char *out, size_t outsize, char *err, size_t errsize)
{
    if (outsize < 2) {
        snprintf(err, errsize, "illegal path: no room");
        return -1;
    }
    if (memchr(path, '\0', len) != NULL) {
        snprintf(err, errsize, "illegal path: contains a NUL byte");
        return -1;
    }
    if (len >= MUDLIB_PATH_MAX) {
        snprintf(err, errsize, "illegal path: longer than %d bytes", MUDLIB_PATH_MAX - 1);
        return -1;
    }
    size_t olen = 0;
    out[0] = '\0';
    if ((len == 0 || path[0] != '/') && cur_dir != NULL &&
        !push_path(out, outsize, &olen, cur_dir, strlen(cur_dir))) {
        snprintf(err, errsize, "illegal path: bad current folder '%s'", cur_dir);
        return -1;
    }
    if (!push_path(out, outsize, &olen, path, len)) {
        snprintf(err, errsize, "illegal path: '%.*s' %s",
                 (int)(len > 200 ? 200 : len), path,
                 has_refused_name(path, len) ? "holds a name this system cannot use"
                                             : "leaves the mudlib");
        return -1;
    }
    if (olen == 0) {
        out[0] = '/';
        out[1] = '\0';
    }
    return 0;
}

/* Is the resolved host path `real` the root or under it? */
static bool inside_root(const char *real)
{
    if (mudlib_root[0] == '\0')
        return true;            /* root is "/" */
    return strncmp(real, mudlib_root, mudlib_root_len) == 0 &&
           (real[mudlib_root_len] == '\0' || real[mudlib_root_len] == '/');
}

int mudlib_path_resolve(const char *path, size_t len, const char *cur_dir,
                        char *lpc_out, size_t lpc_size,
                        char *host, size_t hostsize, char *err, size_t errsize)
{
    char lpc[MUDLIB_PATH_MAX];
    if (mudlib_root_len == 0) {
        snprintf(err, errsize, "no mudlib root is set");
        return -1;
    }
    if (mudlib_path_normalize(path, len, cur_dir, lpc, sizeof lpc, err, errsize) != 0)
        return -1;
    char full[MUDLIB_HOST_MAX];
    int n = snprintf(full, sizeof full, "%s%s", mudlib_root,
                     strcmp(lpc, "/") == 0 ? "" : lpc);
    if (n < 0 || (size_t)n >= sizeof full || (size_t)n >= hostsize) {
        snprintf(err, errsize, "illegal path: '%s' is too long", lpc);
        return -1;
    }
    if (n == 0)
        full[n++] = '/', full[n] = '\0';

    /* The longest existing prefix, resolved, must stay inside.  Every
     * component past it must not exist at all (lstat): a dangling link
     * there could point anywhere. */
    char probe[MUDLIB_HOST_MAX];
    memcpy(probe, full, (size_t)n + 1);
    size_t plen = (size_t)n;
    for (;;) {
        char real[MUDLIB_HOST_MAX];
        if (os_fs_realpath(probe, real, sizeof real) != NULL) {
            if (!inside_root(real)) {
                snprintf(err, errsize, "illegal path: '%s' leads outside the mudlib", lpc);
                return -1;
            }
            break;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(err, errsize, "cannot resolve '%s': %s", lpc, strerror(errno));
            return -1;
        }
        if (os_fs_exists_nofollow(probe)) {
            snprintf(err, errsize, "illegal path: '%s' goes through a dangling link", lpc);
            return -1;
        }
        char *slash = strrchr(probe, '/');
        if (slash == NULL || plen <= mudlib_root_len)
            break;              /* reached the root (which exists) */
        plen = (size_t)(slash - probe);
        if (plen == 0)
            plen = 1;
        probe[plen] = '\0';
    }
    memcpy(host, full, (size_t)n + 1);
    if (lpc_out != NULL) {
        if (strlen(lpc) >= lpc_size) {
            snprintf(err, errsize, "illegal path: '%s' is too long", lpc);
            return -1;
        }
        strcpy(lpc_out, lpc);
    }
    return 0;
}
