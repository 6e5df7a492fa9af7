/*
 * efun_files.c - the file efuns: read_file, write_file, file_size,
 * get_dir, rm, rmdir, mkdir, rename, stat (docs/manual/driver-efuns.md).
 *
 * Every path goes through driver_efun_path: the sandbox
 * (mudlib_path.h), then the master's valid_read / valid_write.  Efuns
 * that only look (read_file, file_size, get_dir, stat) answer a refused
 * path with their "not there" value; efuns that change something raise
 * an error, so a mudlib bug or an attack is never silent.
 *
 * Memory: C buffers are freed before any lpc_error, and no C memory is
 * held across a call into LPC (the master's applies run before anything
 * is allocated).
 */
#include <config.h>
#include "efuns_driver.h"
#include "mudlib_path.h"
#include "os_fs.h"

#include "lpc/lpc_efun.h"
#include "lpc/lpc_object.h"
#include "lpc/lpc_vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* read_file refuses files larger than this (the whole file is read). */
#define EFUN_READ_MAX ((size_t)64 << 20)

/* ---- paths ------------------------------------------------------------ */

/* The LPC folder of the current object: "/d/x" for "/d/x/room#3". */
static void current_dir(lpc_vm_t *vm, char *buf, size_t size)
{
    lpc_object_t *ob = lpc_vm_this_object(vm);
    buf[0] = '\0';
    if (ob == NULL) {
        snprintf(buf, size, "/");
        return;
    }
    const lpc_string_t *name = lpc_object_name(ob);
    const char *slash = strrchr(name->data, '/');
    size_t n = slash != NULL ? (size_t)(slash - name->data) : 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, name->data, n);
    buf[n] = '\0';
}

bool driver_efun_path(lpc_vm_t *vm, const lpc_string_t *path, bool write,
                      bool raise, char *lpc, char *host)
{
    char dir[MUDLIB_PATH_MAX];
    char err[MUDLIB_PATH_MAX + 128];
    const char *fname = lpc_efun_current_name(vm);
    current_dir(vm, dir, sizeof dir);
    if (mudlib_path_resolve(path->data, path->len, dir, lpc, MUDLIB_PATH_MAX,
                            host, MUDLIB_PATH_MAX, err, sizeof err) != 0) {
        if (raise)
            lpc_error(vm, "%s: %s", fname, err);
        return false;
    }
    lpc_object_t *master = vm->master;
    if (master == NULL || lpc_object_is_destructed(master))
        return true;
    /* The master is the authority: it is not asked about its own file
     * accesses (which would also recurse when valid_read reads a file). */
    if (lpc_vm_this_object(vm) == master)
        return true;
    /* The apply may run any LPC: only stack values here (see the top). */
    if (vm->stack_limit - vm->sp < 8)
        lpc_error(vm, "Stack overflow");
    lpc_value_t argv[3];
    argv[0] = lpc_value_string(lpc_string_from_cstr(lpc));
    lpc_object_t *me = lpc_vm_this_object(vm);
    if (me != NULL && !lpc_object_is_destructed(me)) {
        lpc_object_incref(me);
        argv[1] = lpc_value_object(me);
    } else {
        argv[1] = lpc_int(0);
    }
    argv[2] = lpc_value_string(lpc_string_from_cstr(fname));
    /* Push them so an error in the apply releases them. */
    for (int i = 0; i < 3; i++) {
        lpc_vm_push(vm, &argv[i]);
        lpc_value_release(&argv[i]);
    }
    lpc_value_t *base = vm->sp - 2;
    lpc_value_t r = lpc_int(0);
    lpc_vm_push(vm, &r);
    bool found = lpc_vm_apply(vm, master, write ? "valid_write" : "valid_read",
                              base, 3, vm->sp);
    bool ok = !found || !lpc_value_is_zero(vm->sp);
    for (int i = 0; i < 4; i++) {
        lpc_value_release(vm->sp);
        vm->sp--;
    }
    if (!ok) {
        if (raise)
            lpc_error(vm, "%s: permission denied: %s", fname, lpc);
        return false;
    }
    return true;
}

/* ---- atomic write ----------------------------------------------------- */

int driver_write_atomic(const char *host, const char *data, size_t len)
{
    char tmp[MUDLIB_PATH_MAX + 16];
    const char *slash = strrchr(host, '/');
    size_t dlen = slash != NULL ? (size_t)(slash - host) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", (int)dlen, host,
                 slash != NULL ? slash + 1 : host) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = os_fs_create_temp(tmp);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    {
        int synced = os_fs_sync_close(fd);    /* closes fd either way */
        fd = -1;
        if (synced != 0)
            goto fail;
    }
    if (os_fs_replace(tmp, host) != 0)
        goto fail;
    return 0;
fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

/* ---- read_file -------------------------------------------------------- */

char *driver_read_whole(const char *host, size_t max, size_t *lenp)
{
    /* O_NONBLOCK: a FIFO in the mudlib must not hang the driver (it is
     * refused below anyway; regular files ignore the flag) */
    int fd = open(host, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_BINARY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = lpc_malloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            buf = lpc_realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    *lenp = len;
    return buf;
}

/* read_file(file, start_line, num_lines): the file, or lines
 * [start, start + num) of it (1-based; num 0 or absent: to the end).
 * 0 when the file is missing, refused, a folder, or start is past the
 * last line. */
static void efun_read_file(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t start = nargs > 1 ? args[1].u.i : 0;
    int64_t count = nargs > 2 ? args[2].u.i : 0;
    if (count < 0)
        lpc_efun_bad_arg(vm, 3, "a count >= 0", &args[2]);
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    if (!driver_efun_path(vm, args[0].u.s, false, false, lpc, host))
        return;
    size_t len = 0;
    char *buf = driver_read_whole(host, EFUN_READ_MAX, &len);
    if (buf == NULL) {
        if (errno == EFBIG)
            lpc_error(vm, "read_file: %s is larger than %zu bytes", lpc, EFUN_READ_MAX);
        return;
    }
    size_t from = 0, to = len;
    if (start > 1 || count > 0) {
        int64_t line = 1;
        if (start < 1)
            start = 1;
        while (line < start && from < len) {
            const char *nl = memchr(buf + from, '\n', len - from);
            if (nl == NULL) {
                from = len;
                break;
            }
            from = (size_t)(nl - buf) + 1;
            line++;
        }
        if (line < start || from >= len) {
            free(buf);
            return;             /* past the end */
        }
        if (count > 0) {
            to = from;
            for (int64_t k = 0; k < count && to < len; k++) {
                const char *nl = memchr(buf + to, '\n', len - to);
                to = nl == NULL ? len : (size_t)(nl - buf) + 1;
            }
        }
    }
    *ret = lpc_value_string(lpc_string_new(buf + from, to - from));
    free(buf);
}

/* ---- write_file ------------------------------------------------------- */

/* write_file(file, text, flag): appends text (flag 0 or absent), or
 * replaces the file (flag 1, atomically).  1 on success, 0 when the
 * write fails; an error when the path is refused. */
static void efun_write_file(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t flag = nargs > 2 ? args[2].u.i : 0;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    driver_efun_path(vm, args[0].u.s, true, true, lpc, host);
    const lpc_string_t *s = args[1].u.s;
    if (flag & 1) {
        *ret = lpc_int(driver_write_atomic(host, s->data, s->len) == 0);
        return;
    }
    int fd = open(host, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_BINARY,
                  0644);
    if (fd < 0)
        return;
    size_t off = 0;
    while (off < s->len) {
        ssize_t w = write(fd, s->data + off, s->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return;
        }
        off += (size_t)w;
    }
    *ret = lpc_int(close(fd) == 0);
}

/* ---- file_size, stat -------------------------------------------------- */

/* file_size(file): bytes; -2 for a folder; -1 when missing or refused. */
static void efun_file_size(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    struct stat st;
    if (!driver_efun_path(vm, args[0].u.s, false, false, lpc, host) ||
        stat(host, &st) != 0) {
        *ret = lpc_int(-1);
        return;
    }
    *ret = lpc_int(S_ISDIR(st.st_mode) ? -2 : (int64_t)st.st_size);
}

/* stat(file): ({ size, mtime, 0 }) (size -2 for a folder; the third
 * element, MudOS's load time, is always 0), or 0 when missing/refused. */
static void efun_stat(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    struct stat st;
    if (!driver_efun_path(vm, args[0].u.s, false, false, lpc, host) ||
        stat(host, &st) != 0)
        return;
    lpc_array_t *a = lpc_array_new(3);
    a->items[0] = lpc_int(S_ISDIR(st.st_mode) ? -2 : (int64_t)st.st_size);
    a->items[1] = lpc_int((int64_t)st.st_mtime);
    a->items[2] = lpc_int(0);
    *ret = lpc_value_array(a);
}

/* ---- get_dir ---------------------------------------------------------- */

/* Bracket expression matching: p is just past the '['.  Returns 1 when
 * c is in the set, 0 when not (*end then points past the ']'), -1 when
 * the bracket is never closed (the '[' is then an ordinary character). */
static int glob_bracket(const char *p, unsigned char c, const char **end)
{
    bool negate = false;
    if (*p == '!' || *p == '^') {
        negate = true;
        p++;
    }
    bool matched = false;
    bool first = true;          /* a ']' right after '[' is a member */
    while (*p != '\0' && (first || *p != ']')) {
        first = false;
        unsigned char lo = (unsigned char)*p;
        if (lo == '\\' && p[1] != '\0')
            lo = (unsigned char)*++p;
        p++;
        unsigned char hi = lo;
        if (*p == '-' && p[1] != '\0' && p[1] != ']') {
            p++;
            hi = (unsigned char)*p;
            if (hi == '\\' && p[1] != '\0')
                hi = (unsigned char)*++p;
            p++;
        }
        if (lo <= c && c <= hi)
            matched = true;
    }
    if (*p != ']')
        return -1;
    *end = p + 1;
    return matched != negate;
}

/* Shell pattern match of one file name, as fnmatch(pat, name,
 * FNM_PERIOD) does it (and the same on every OS): '*' any run, '?' any
 * one character, [a-z] [!x] sets, '\\' quotes the next character; a
 * leading '.' in the name only matches a literal '.'.  '*' backtracks
 * to its last position only, so the match is linear in practice. */
static bool glob_match(const char *pat, const char *name)
{
    const char *p = pat, *n = name;
    const char *star_p = NULL, *star_n = NULL;
    while (*n != '\0') {
        bool leading_dot = n == name && *n == '.';
        if (*p == '*' && !leading_dot) {
            while (*p == '*')
                p++;
            star_p = p;
            star_n = n;
            continue;
        }
        if (*p == '?' && !leading_dot) {
            p++;
            n++;
            continue;
        }
        if (*p == '[' && !leading_dot) {
            const char *end = NULL;
            int r = glob_bracket(p + 1, (unsigned char)*n, &end);
            if (r == 1) {
                p = end;
                n++;
                continue;
            }
            if (r == 0)
                goto backtrack;
            /* unclosed: a literal '[', below */
        }
        {
            char lit = *p;
            const char *next = p + 1;
            if (lit == '\\' && p[1] != '\0') {
                lit = p[1];
                next = p + 2;
            }
            if (lit != '\0' && lit == *n) {
                p = next;
                n++;
                continue;
            }
        }
    backtrack:
        if (star_p == NULL)
            return false;
        p = star_p;
        n = ++star_n;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* get_dir(path, flag): path ending in "/" (or the root): the folder's
 * entries; otherwise the last component is a glob (fnmatch: * ? [..])
 * over its folder ("/d/x" names just x when it exists).  "." and ".."
 * are never listed; names are sorted.  flag -1: each entry is
 * ({ name, size (-2 folder), mtime }).  0 when the folder is missing or
 * refused. */
static void efun_get_dir(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    int64_t flag = nargs > 1 ? args[1].u.i : 0;
    const lpc_string_t *p = args[0].u.s;
    /* split into folder and pattern before normalising (which would eat
     * a trailing slash) */
    const char *slash = NULL;
    for (size_t i = p->len; i > 0; i--)
        if (p->data[i - 1] == '/') {
            slash = p->data + i - 1;
            break;
        }
    lpc_string_t *dirpart;
    char pattern[NAME_MAX + 1];
    size_t plen = slash != NULL ? p->len - (size_t)(slash - p->data) - 1 : p->len;
    if (plen > NAME_MAX)
        return;
    memcpy(pattern, slash != NULL ? slash + 1 : p->data, plen);
    pattern[plen] = '\0';
    if (slash != NULL)
        dirpart = lpc_string_new(p->data, (size_t)(slash - p->data) + 1);
    else
        dirpart = lpc_string_new("", 0);
    /* keep dirpart on the stack so an error in the apply frees it */
    lpc_value_t dv = lpc_value_string(dirpart);
    lpc_vm_push(vm, &dv);
    lpc_value_release(&dv);
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    bool ok = driver_efun_path(vm, vm->sp->u.s, false, false, lpc, host);
    lpc_value_release(vm->sp);
    vm->sp--;
    if (!ok)
        return;
    /* "." or ".." as the last component: the folder itself */
    if (strcmp(pattern, ".") == 0 || strcmp(pattern, "..") == 0)
        return;
    DIR *d = opendir(host);
    if (d == NULL)
        return;
    size_t n = 0, cap = 16;
    char **names = lpc_malloc(cap * sizeof *names);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (pattern[0] != '\0' && !glob_match(pattern, e->d_name))
            continue;
        if (n == cap) {
            cap *= 2;
            names = lpc_realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
        if (names[n - 1] == NULL)
            lpc_fatal_oom(strlen(e->d_name));
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    lpc_array_t *a = lpc_array_new(n);
    size_t hlen = strlen(host);
    for (size_t i = 0; i < n; i++) {
        lpc_string_t *name = lpc_string_from_cstr(names[i]);
        if (flag == -1) {
            char full[MUDLIB_PATH_MAX + NAME_MAX + 2];
            struct stat st;
            lpc_array_t *ent = lpc_array_new(3);
            ent->items[0] = lpc_value_string(name);
            snprintf(full, sizeof full, "%.*s/%s", (int)hlen, host, names[i]);
            if (stat(full, &st) == 0) {
                ent->items[1] = lpc_int(S_ISDIR(st.st_mode) ? -2 : (int64_t)st.st_size);
                ent->items[2] = lpc_int((int64_t)st.st_mtime);
            } else {
                ent->items[1] = lpc_int(-1);
            }
            a->items[i] = lpc_value_array(ent);
        } else {
            a->items[i] = lpc_value_string(name);
        }
        free(names[i]);
    }
    free(names);
    *ret = lpc_value_array(a);
}

/* ---- rm, rmdir, mkdir, rename ----------------------------------------- */

/* rm(file): 1 when removed, 0 otherwise (missing, a folder). */
static void efun_rm(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    driver_efun_path(vm, args[0].u.s, true, true, lpc, host);
    *ret = lpc_int(strcmp(lpc, "/") != 0 && unlink(host) == 0);
}

/* rmdir(dir): 1 when removed, 0 otherwise (missing, not empty). */
static void efun_rmdir(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    driver_efun_path(vm, args[0].u.s, true, true, lpc, host);
    *ret = lpc_int(strcmp(lpc, "/") != 0 && rmdir(host) == 0);
}

/* mkdir(dir): 1 when created, 0 otherwise (exists, no parent). */
static void efun_mkdir(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    driver_efun_path(vm, args[0].u.s, true, true, lpc, host);
    *ret = lpc_int(os_fs_mkdir(host) == 0);
}

/* rename(from, to): MudOS's convention: 0 on success, 1 on failure.
 * Replaces an existing file `to`.  Both paths need valid_write. */
static void efun_rename(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    char lpc1[MUDLIB_PATH_MAX], host1[MUDLIB_PATH_MAX];
    char lpc2[MUDLIB_PATH_MAX], host2[MUDLIB_PATH_MAX];
    driver_efun_path(vm, args[0].u.s, true, true, lpc1, host1);
    driver_efun_path(vm, args[1].u.s, true, true, lpc2, host2);
    if (strcmp(lpc1, "/") == 0 || strcmp(lpc2, "/") == 0) {
        *ret = lpc_int(1);
        return;
    }
    *ret = lpc_int(os_fs_replace(host1, host2) == 0 ? 0 : 1);
}

/* ---- registration ----------------------------------------------------- */

#define S LPC_TM_STRING
#define I LPC_TM_INT
static const lpc_efun_def_t files_efuns[] = {
    { "read_file",  efun_read_file,  1, 3, 0, 0, S | LPC_TM_ZERO, { S, I, I } },
    { "write_file", efun_write_file, 2, 3, 0, 0, I, { S, S, I } },
    { "file_size",  efun_file_size,  1, 1, 0, 0, I, { S } },
    { "stat",       efun_stat,       1, 1, 0, 0, LPC_TM_ARRAY | LPC_TM_ZERO, { S } },
    { "get_dir",    efun_get_dir,    1, 2, 0, 0, LPC_TM_ARRAY | LPC_TM_ZERO, { S, I } },
    { "rm",         efun_rm,         1, 1, 0, 0, I, { S } },
    { "rmdir",      efun_rmdir,      1, 1, 0, 0, I, { S } },
    { "mkdir",      efun_mkdir,      1, 1, 0, 0, I, { S } },
    { "rename",     efun_rename,     2, 2, 0, 0, I, { S, S } },
};
#undef S
#undef I

void driver_efuns_files_register(void)
{
    lpc_efun_register(files_efuns, sizeof files_efuns / sizeof files_efuns[0]);
}

void driver_efuns_register_all(void)
{
    driver_efuns_files_register();
    driver_efuns_save_register();
    driver_efuns_crypt_register();
    driver_efuns_json_register();
}
