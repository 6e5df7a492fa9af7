/*
 * proc_count_posix.c - proc_count.h from Linux /proc.
 */
#include "config.h"
#include "proc_count.h"

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* Entries of `dir` but "." and "..", or -1. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int proc_count_threads(void)
{
    return count_entries("/proc/self/task");
}

int proc_count_live_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], buf[256];
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;  /* gone while we looked */
        size_t len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "tid (comm) S ...": the state follows the last ')' */
        const char *close_paren = strrchr(buf, ')');
        char state = (close_paren != NULL && close_paren[1] == ' ') ? close_paren[2] : '?';
        if (state != 'Z' && state != 'X')
            n++;
    }
    closedir(d);
    return n;
}

int proc_count_fds(void)
{
    return count_entries("/proc/self/fd");
}

void proc_sleep_ms(int ms)
{
    struct pollfd none;
    (void)poll(&none, 0, ms);
}
