/*
 * os_fs_posix.c - os_fs.h on POSIX.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "os_fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_DIRECTORY
#define O_DIRECTORY 0
#endif

char *os_fs_realpath(const char *path, char *out, size_t outsize)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        return NULL;
    size_t n = strlen(real);
    if (n >= outsize) {
        free(real);
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(out, real, n + 1);
    free(real);
    return out;
}

bool os_fs_exists_nofollow(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int os_fs_mkdir(const char *path)
{
    return mkdir(path, 0755);
}

int os_fs_replace(const char *from, const char *to)
{
    if (rename(from, to) != 0)
        return -1;
    /* make the rename itself durable: sync the folder holding `to` */
    const char *slash = strrchr(to, '/');
    char dir[PATH_MAX];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == to)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - to), to);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

int os_fs_create_temp(char *tmpl)
{
    return mkstemp(tmpl);
}

int os_fs_sync_close(int fd)
{
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return close(fd);
}

char *os_fs_getcwd(char *buf, size_t size)
{
    return getcwd(buf, size);
}

size_t os_fs_root_length(const char *path)
{
    return path[0] == '/' ? 1 : 0;
}

void os_fs_path_to_slashes(char *path)
{
    (void)path;
}

bool os_fs_name_allowed(const char *name, size_t n)
{
    (void)name;
    (void)n;
    return true;
}

void os_time_now(int64_t *sec, long *nsec)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        ts.tv_sec = time(NULL);
        ts.tv_nsec = 0;
    }
    *sec = (int64_t)ts.tv_sec;
    *nsec = ts.tv_nsec;
}

void os_time_local(time_t t, struct tm *out)
{
    localtime_r(&t, out);
}
