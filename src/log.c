/*
 * log.c - the driver's log (see log.h).
 *
 * A line is built whole in one buffer - "2026-11-30 12:00:00.123 [info]
 * message\n" - and handed to write(2) once for the file and once for
 * stderr, so lines from different threads never interleave mid-line (the
 * file is opened O_APPEND; stderr gets one write per line too).  The lock
 * (`log_lock`) guards the file descriptor and the two levels, and is held
 * around the writes so that lines reach the file in timestamp order.
 * The message text is formatted before the lock is taken.
 *
 * Control characters in a message (say, a newline in something a user
 * typed) are escaped ("\n", "\x1b"): one log call is one log line, and
 * nobody can forge a log line from outside.
 *
 * Nothing here writes to stdout: in MCP mode stdout is the protocol.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "log.h"
#include "os_fs.h"

#include "port/port_sync.h"
#include "port/port_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Room reserved in front of the message for the timestamp and level:
 * "YYYY-MM-DD HH:MM:SS.mmm [debug] " is 32 characters. */
#define LOG_PREFIX_MAX 48
/* Messages up to this size are built on the stack. */
#define LOG_STACK_LINE 1024

static port_once_t  log_once = PORT_ONCE_INIT;
static port_mutex_t log_lock;

/* All guarded by log_lock. */
static int         log_fd = -1;
static log_level_t log_stderr_level = LOG_LEVEL_INFO;
static log_level_t log_file_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = { "debug", "info", "warn", "error" };

static void log_init_lock(void)
{
    /* Cannot fail on Linux or Win32 for a default mutex; if it ever did
     * the driver could not log its own failure. */
    (void)port_mutex_init(&log_lock);
}

static void log_lock_acquire(void)
{
    port_once(&log_once, log_init_lock);
    port_mutex_lock(&log_lock);
}

/* Creates `dir` and any missing parents (like mkdir -p). */
static int make_dirs(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
        return -1;
    }
    char *path = strdup(dir);
    if (path == NULL)
        return -1;
    /* the root ("/", "C:/") exists: start after it */
    size_t root = os_fs_root_length(path);
    for (char *p = path + (root > 0 ? root : 1); ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (os_fs_mkdir(path) != 0 && errno != EEXIST) {
                int e = errno;
                free(path);
                errno = e;
                return -1;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(path);
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int log_open(const char *log_dir, const char *file_name, log_level_t stderr_level)
{
    if (make_dirs(log_dir) != 0)
        return -1;
    size_t len = strlen(log_dir) + 1 + strlen(file_name) + 1;
    char *path = malloc(len);
    if (path == NULL)
        return -1;
    snprintf(path, len, "%s/%s", log_dir, file_name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_BINARY, 0644);
    int e = errno;
    free(path);
    if (fd < 0) {
        errno = e;
        return -1;
    }

    log_lock_acquire();
    int old = log_fd;
    log_fd = fd;
    log_stderr_level = stderr_level;
    port_mutex_unlock(&log_lock);
    if (old >= 0)
        close(old);
    return 0;
}

void log_set_file_level(log_level_t level)
{
    log_lock_acquire();
    log_file_level = level;
    port_mutex_unlock(&log_lock);
}

/* Back to the state before log_open: stderr only, at INFO (the stderr
 * level came with log_open; the file level stays as it was set). */
void log_close(void)
{
    log_lock_acquire();
    int fd = log_fd;
    log_fd = -1;
    log_stderr_level = LOG_LEVEL_INFO;
    port_mutex_unlock(&log_lock);
    if (fd >= 0)
        close(fd);
}

/* Writes all of buf (a short write to a pipe or a full disk: try the
 * rest; EINTR: retry).  Failures are dropped: there is nowhere left to
 * report them. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Copies src into dst escaping control characters; returns the length
 * written.  dst must hold 4 * strlen(src) bytes. */
static size_t escape_controls(char *dst, const char *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = dst;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\n') {
            *out++ = '\\'; *out++ = 'n';
        } else if (c == '\r') {
            *out++ = '\\'; *out++ = 'r';
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            *out++ = '\\'; *out++ = 'x';
            *out++ = hex[c >> 4]; *out++ = hex[c & 15];
        } else {
            *out++ = (char)c;
        }
    }
    return (size_t)(out - dst);
}

/* "YYYY-MM-DD HH:MM:SS.mmm [level] " in local time; returns its length. */
static size_t format_prefix(char *buf, size_t size, log_level_t level)
{
    int64_t sec;
    long nsec;
    struct tm tm;
    os_time_now(&sec, &nsec);
    os_time_local((time_t)sec, &tm);
    int n = snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03ld [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, nsec / 1000000L,
                     log_level_names[level]);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

void log_message(log_level_t level, const char *fmt, ...)
{
    int saved_errno = errno;    /* callers often log, then use errno */
    if ((int)level < (int)LOG_LEVEL_DEBUG || (int)level > (int)LOG_LEVEL_ERROR)
        level = LOG_LEVEL_ERROR;

    /* The raw message. */
    char raw_stack[LOG_STACK_LINE];
    char *raw = raw_stack;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw_stack, sizeof raw_stack, fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
        raw_stack[0] = '\0';
    } else if ((size_t)n >= sizeof raw_stack) {
        raw = malloc((size_t)n + 1);
        if (raw != NULL) {
            va_start(ap, fmt);
            vsnprintf(raw, (size_t)n + 1, fmt, ap);
            va_end(ap);
        } else {
            raw = raw_stack;            /* out of memory: truncated */
            n = (int)sizeof raw_stack - 1;
        }
    }
    size_t raw_len = (size_t)n;
    while (raw_len > 0 && (raw[raw_len - 1] == '\n' || raw[raw_len - 1] == '\r'))
        raw_len--;                      /* a trailing newline is not content */

    /* prefix | escaped message | '\n' */
    char line_stack[LOG_PREFIX_MAX + 4 * LOG_STACK_LINE + 2];
    char *line = line_stack;
    size_t need = LOG_PREFIX_MAX + 4 * raw_len + 2;
    if (need > sizeof line_stack) {
        line = malloc(need);
        if (line == NULL) {
            line = line_stack;
            raw_len = LOG_STACK_LINE - 1;   /* out of memory: truncated */
        }
    }
    size_t msg_len = escape_controls(line + LOG_PREFIX_MAX, raw, raw_len);
    line[LOG_PREFIX_MAX + msg_len] = '\n';
    if (raw != raw_stack)
        free(raw);

    log_lock_acquire();
    bool to_file = log_fd >= 0 && level >= log_file_level;
    bool to_stderr = level >= log_stderr_level;
    if (to_file || to_stderr) {
        /* The prefix is formatted under the lock so that timestamps in
         * the file never go backwards, then moved to sit just before the
         * message. */
        char prefix[LOG_PREFIX_MAX];
        size_t plen = format_prefix(prefix, sizeof prefix, level);
        char *start = line + LOG_PREFIX_MAX - plen;
        memcpy(start, prefix, plen);
        size_t total = plen + msg_len + 1;
        if (to_file)
            write_all(log_fd, start, total);
        if (to_stderr)
            write_all(STDERR_FILENO, start, total);
    }
    port_mutex_unlock(&log_lock);

    if (line != line_stack)
        free(line);
    errno = saved_errno;
}
