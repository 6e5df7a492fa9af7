/*
 * log.h - the driver's log: a file in the log directory plus stderr.
 *
 * Each line: "2026-11-30 12:00:00.123 [info] message".  Lines are written
 * whole (one write per line) under a lock, so any thread may log.  Nothing
 * is ever written to stdout (stdout carries the MCP protocol in MCP mode).
 */
#ifndef NEOLITH_LOG_H
#define NEOLITH_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "port/port_format.h"
/* printf-like driver functions declare format(LOG_PRINTF_FORMAT, ...) */
#define LOG_PRINTF_FORMAT PORT_PRINTF_FORMAT

typedef enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR
} log_level_t;

/* Opens (appends to) log_dir/file_name, creating log_dir if needed.
 * stderr_level: the lowest level also copied to stderr (a level above
 * LOG_LEVEL_ERROR, e.g. LOG_LEVEL_ERROR + 1, silences stderr).  Before
 * log_open, messages go to stderr only.  Returns 0 or -1 with errno. */
int  log_open(const char *log_dir, const char *file_name, log_level_t stderr_level);
/* Lowest level written to the file (default INFO). */
void log_set_file_level(log_level_t level);
/* Closes the file; later messages go to stderr only, at INFO, as before
 * log_open. */
void log_close(void);

void log_message(log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(LOG_PRINTF_FORMAT, 2, 3)))
#endif
    ;

#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif /* NEOLITH_LOG_H */
