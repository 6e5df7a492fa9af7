/*
 * config.h - the driver's configuration file.
 *
 * Format: one `key: value` per line; `#` starts a comment (whole line or
 * after the value); blank lines are ignored; keys are case-sensitive and
 * may contain spaces ("max connections").  Paths in the file are relative
 * to the folder of the config file, so a driver started from any working
 * directory (MCP clients start it in `/`) finds its mudlib.
 *
 * Errors name the place: "mudlib/neolith.conf:12: unknown key 'prot'".
 * Main thread only.
 */
#ifndef NEOLITH_CONFIG_H
#define NEOLITH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct driver_config {
    char  *config_path;        /* absolute path of the file read */
    char  *config_dir;         /* its folder, absolute */
    char  *mudlib_dir;         /* "mudlib directory", absolute */
    int    port;               /* "port": 0 = no listener; default 4000 */
    char  *bind_address;       /* "bind address": NULL = all (IPv4 and IPv6) */
    char  *log_dir;            /* "log directory", absolute */
    char  *master_file;        /* "master file", mudlib-relative */
    char  *simul_efun_file;    /* "simul_efun file", mudlib-relative */
    int    heartbeat_ms;       /* "heartbeat interval" in ms, default 2000 */
    int    reset_interval;     /* "reset interval" in s between reset() calls,
                                * 0 = never; default 3600 */
    int    max_connections;    /* "max connections", default 1000 */
    size_t max_input_line;     /* "max input line length" in bytes, default 4096 */
    size_t max_output_buffer;  /* "max output buffered" per connection, default 1 MiB */
    size_t mcp_max_line;       /* "mcp max line": longest MCP message line in
                                * bytes (--mcp), default 10 MiB */
    bool   mcp_telnet;         /* "mcp telnet": keep the telnet listener in
                                * --mcp mode, default off */
    /* mudlib updates from git (docs/manual/git-update.md) */
    bool   git_update;         /* "git update": on|off, default off */
    char  *git_remote;         /* "git remote": NULL = the checkout's upstream */
    char  *git_branch;         /* "git branch": NULL = the checkout's upstream */
    int    git_update_interval;/* "git update interval" in s, 0 = on demand only */
    int    git_timeout;        /* "git timeout" in s for a whole update, default 120 */
    char  *console_history;    /* "console history": the console's history
                                * file (neolith -c), absolute; NULL = the
                                * default, <log directory>/console_history */
    char  *admins;             /* "admins": character names, lower case,
                                * joined by ","; NULL = none.  The driver
                                * does not use it: the mudlib's master
                                * reads the line from neolith.conf */
} driver_config_t;

/* Fills cfg with the defaults (paths relative to `base_dir`, which may be
 * NULL for the current directory).  Returns 0, or -1 on out of memory. */
int  config_set_defaults(driver_config_t *cfg, const char *base_dir);

/* Reads `path` over the defaults.  Returns 0, or -1 with a one-line
 * message "file:line: what is wrong" (or "file: why it cannot be read")
 * in err.  On error cfg is left freed (config_free is still safe).
 * cfg is output only: what it held before is neither read nor freed.
 * The defaults' paths are relative to the config file's folder: mudlib
 * directory "." and log directory "log".  Sizes accept a K, M or G
 * suffix (powers of 1024).  The mudlib directory must exist; the log
 * directory need not (log_open creates it).  docs/manual/admin.md lists
 * every key, its range and its default. */
int  config_load(const char *path, driver_config_t *cfg, char *err, size_t err_size);

/* Frees every string in cfg and zeroes it.  Safe to call twice. */
void config_free(driver_config_t *cfg);

#endif /* NEOLITH_CONFIG_H */
