/*
 * config.c - the driver's configuration file (see config.h).
 *
 * The whole file is read into memory (config files are small; anything
 * over CONFIG_MAX_FILE_SIZE is refused as "not a config file"), split
 * into lines and each line parsed on its own.  Every key is described by
 * one row of config_keys[]: its name, how its value is parsed, its range
 * and the phrase used in error messages ("expected an integer 0-65535"),
 * so a new key is one row plus one field in driver_config_t.
 *
 * The first error ends the load: the message names the file and line,
 * the key and the value, and says what was expected.
 *
 * Paths: config_dir is the real path (symlinks resolved) of the folder
 * the config file is in, as named on the command line; config_path is
 * config_dir plus the file's own name.  "mudlib directory" must exist
 * and is stored as its real path.  "log directory" may not exist yet
 * (log_open creates it), so it is joined to config_dir and cleaned
 * lexically ("." and ".." components, repeated slashes).
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "config.h"     /* src/config.h: the driver configuration */
#include "log.h"        /* LOG_PRINTF_FORMAT */
#include "net.h"        /* inet_pton */
#include "os_fs.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Room for the real and absolute paths built here (PATH_MAX is only 260
 * on Windows). */
#define CONFIG_PATH_MAX 4096

/* A config file is a few dozen lines; a megabyte is something else. */
#define CONFIG_MAX_FILE_SIZE (1024 * 1024)

#define CONFIG_DEFAULT_PORT            4000
#define CONFIG_DEFAULT_LOG_DIR         "log"
#define CONFIG_DEFAULT_MASTER          "/secure/master.c"
#define CONFIG_DEFAULT_SIMUL_EFUN      "/secure/simul_efun.c"
#define CONFIG_DEFAULT_HEARTBEAT_MS    2000
#define CONFIG_DEFAULT_RESET_INTERVAL  3600
#define CONFIG_DEFAULT_MAX_CONNECTIONS 1000
#define CONFIG_DEFAULT_MAX_INPUT_LINE  4096
#define CONFIG_DEFAULT_MAX_OUTPUT      (1024 * 1024)
#define CONFIG_DEFAULT_MCP_MAX_LINE    (10 * 1024 * 1024)

#define CONFIG_DEFAULT_GIT_TIMEOUT    120

/* ------------------------------------------------------------ key table */

typedef enum value_kind {
    KIND_MUDLIB_DIR,    /* directory that must exist */
    KIND_DIR,           /* directory that may not exist yet */
    KIND_FILE,          /* file that may not exist yet, not a directory */
    KIND_MUDLIB_FILE,   /* path inside the mudlib, stored with a leading '/' */
    KIND_ADDRESS,       /* numeric IPv4/IPv6 address or '*' */
    KIND_INT,           /* plain decimal integer */
    KIND_SIZE,          /* decimal integer with optional K/M/G suffix */
    KIND_WORD,          /* one word: no blanks, not starting with '-' */
    KIND_BOOL,          /* on/off (also yes/no, true/false) */
    KIND_NAMES          /* comma-separated names of letters, lower-cased */
} value_kind_t;

typedef struct key_spec {
    const char  *name;
    value_kind_t kind;
    size_t       offset;     /* of the field in driver_config_t */
    int64_t      min, max;   /* KIND_INT, KIND_SIZE */
    const char  *expected;   /* "expected ..." in error messages */
} key_spec_t;

#define FIELD(f) offsetof(driver_config_t, f)

static const key_spec_t config_keys[] = {
    { "mudlib directory", KIND_MUDLIB_DIR, FIELD(mudlib_dir), 0, 0,
      "an existing directory (relative to the config file's folder)" },
    { "port", KIND_INT, FIELD(port), 0, 65535,
      "an integer 0-65535 (0 = no listener)" },
    { "bind address", KIND_ADDRESS, FIELD(bind_address), 0, 0,
      "a numeric IPv4 or IPv6 address, or '*' for all interfaces" },
    { "log directory", KIND_DIR, FIELD(log_dir), 0, 0,
      "a directory (relative to the config file's folder)" },
    { "master file", KIND_MUDLIB_FILE, FIELD(master_file), 0, 0,
      "a file inside the mudlib, such as /secure/master.c" },
    { "simul_efun file", KIND_MUDLIB_FILE, FIELD(simul_efun_file), 0, 0,
      "a file inside the mudlib, such as /secure/simul_efun.c" },
    { "heartbeat interval", KIND_INT, FIELD(heartbeat_ms), 1, 3600000,
      "an integer number of milliseconds 1-3600000" },
    { "reset interval", KIND_INT, FIELD(reset_interval), 0, 31536000,
      "an integer number of seconds 0-31536000 (0 = never)" },
    { "max connections", KIND_INT, FIELD(max_connections), 1, 1000000,
      "an integer 1-1000000" },
    { "max input line length", KIND_SIZE, FIELD(max_input_line),
      16, 16 * 1024 * 1024,
      "a size in bytes 16-16M (suffix K or M allowed)" },
    { "max output buffered", KIND_SIZE, FIELD(max_output_buffer),
      1024, 1024 * 1024 * 1024,
      "a size in bytes 1K-1G (suffix K, M or G allowed)" },
    { "mcp max line", KIND_SIZE, FIELD(mcp_max_line),
      1024, 1024 * 1024 * 1024,
      "a size in bytes 1K-1G (suffix K, M or G allowed)" },
    { "mcp telnet", KIND_BOOL, FIELD(mcp_telnet), 0, 0,
      "on or off" },
    { "git update", KIND_BOOL, FIELD(git_update), 0, 0,
      "on or off" },
    { "git remote", KIND_WORD, FIELD(git_remote), 0, 0,
      "a git remote name or URL (one word, not starting with '-')" },
    { "git branch", KIND_WORD, FIELD(git_branch), 0, 0,
      "a branch name (one word, not starting with '-')" },
    { "git update interval", KIND_INT, FIELD(git_update_interval), 0, 604800,
      "an integer number of seconds 0-604800 (0 = only on demand)" },
    { "git timeout", KIND_INT, FIELD(git_timeout), 1, 3600,
      "an integer number of seconds 1-3600" },
    { "console history", KIND_FILE, FIELD(console_history), 0, 0,
      "a file (relative to the config file's folder)" },
    { "admins", KIND_NAMES, FIELD(admins), 0, 0,
      "character names of letters, separated by commas" },
};

#define CONFIG_KEY_COUNT (sizeof config_keys / sizeof config_keys[0])

/* ------------------------------------------------------------ errors */

/* Where messages go: the file name as the caller spelled it, so the
 * message points where the user looks ("mudlib/neolith.conf:12: ..."). */
typedef struct parse_ctx {
    const char *file;
    int   line;            /* 0 = about the whole file */
    char *err;
    size_t err_size;
} parse_ctx_t;

static int fail(parse_ctx_t *pc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(LOG_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* Writes "file:line: message" (or "file: message") into the caller's
 * buffer and returns -1, so error paths read `return fail(...)`. */
static int fail(parse_ctx_t *pc, const char *fmt, ...)
{
    if (pc->err == NULL || pc->err_size == 0)
        return -1;
    int n;
    if (pc->line > 0)
        n = snprintf(pc->err, pc->err_size, "%s:%d: ", pc->file, pc->line);
    else
        n = snprintf(pc->err, pc->err_size, "%s: ", pc->file);
    if (n < 0 || (size_t)n >= pc->err_size)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pc->err + n, pc->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------ paths */

static bool path_is_absolute(const char *p)
{
    return os_fs_root_length(p) > 0;
}

/* The real path of an existing file or directory (malloc'd), or NULL
 * with errno. */
static char *path_real(const char *p)
{
    char buf[CONFIG_PATH_MAX];
    if (os_fs_realpath(p, buf, sizeof buf) == NULL)
        return NULL;
    return strdup(buf);
}

/* The first n bytes of s, malloc'd (strndup is not everywhere). */
static char *copy_prefix(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c != NULL) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Cleans an absolute path in place, lexically: repeated slashes, "."
 * and ".." (never above the root) and a trailing slash go.  The root
 * ("/", "C:/") is kept as it is. */
static void path_clean(char *path)
{
    size_t root = os_fs_root_length(path);
    if (root == 0)
        return;
    char *p = path + root - 1;  /* the root's final '/' */
    char *out = p;          /* write position; p[0] is '/' */
    const char *in = p;
    while (*in != '\0') {
        while (*in == '/')
            in++;
        if (*in == '\0')
            break;
        const char *end = in;
        while (*end != '\0' && *end != '/')
            end++;
        size_t len = (size_t)(end - in);
        if (len == 1 && in[0] == '.') {
            /* nothing */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > p && *--out != '/')
                ;
        } else {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in = end;
    }
    if (out == p)
        *out++ = '/';
    *out = '\0';
}

/* dir + "/" + rel, or rel alone when it is absolute; cleaned.  malloc'd,
 * NULL on out of memory. */
static char *path_join(const char *dir, const char *rel)
{
    size_t dlen = path_is_absolute(rel) ? 0 : strlen(dir);
    size_t rlen = strlen(rel);
    char *p = malloc(dlen + 1 + rlen + 1);
    if (p == NULL)
        return NULL;
    if (dlen > 0) {
        memcpy(p, dir, dlen);
        p[dlen] = '/';
        memcpy(p + dlen + 1, rel, rlen + 1);
    } else {
        memcpy(p, rel, rlen + 1);
    }
    os_fs_path_to_slashes(p);
    path_clean(p);
    return p;
}

/* The absolute form of `dir` (NULL = the current directory), cleaned
 * lexically; it need not exist.  malloc'd, NULL on failure. */
static char *path_absolute_dir(const char *dir)
{
    char cwd[CONFIG_PATH_MAX];
    if (dir != NULL && path_is_absolute(dir))
        return path_join("", dir);
    if (os_fs_getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    return path_join(cwd, dir != NULL ? dir : ".");
}

/* ------------------------------------------------------------ defaults */

int config_set_defaults(driver_config_t *cfg, const char *base_dir)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->config_dir = path_absolute_dir(base_dir);
    if (cfg->config_dir == NULL)
        goto fail;
    cfg->mudlib_dir = strdup(cfg->config_dir);
    cfg->log_dir = path_join(cfg->config_dir, CONFIG_DEFAULT_LOG_DIR);
    cfg->master_file = strdup(CONFIG_DEFAULT_MASTER);
    cfg->simul_efun_file = strdup(CONFIG_DEFAULT_SIMUL_EFUN);
    if (cfg->mudlib_dir == NULL || cfg->log_dir == NULL ||
        cfg->master_file == NULL || cfg->simul_efun_file == NULL)
        goto fail;
    cfg->port = CONFIG_DEFAULT_PORT;
    cfg->bind_address = NULL;
    cfg->heartbeat_ms = CONFIG_DEFAULT_HEARTBEAT_MS;
    cfg->reset_interval = CONFIG_DEFAULT_RESET_INTERVAL;
    cfg->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
    cfg->max_input_line = CONFIG_DEFAULT_MAX_INPUT_LINE;
    cfg->max_output_buffer = CONFIG_DEFAULT_MAX_OUTPUT;
    cfg->mcp_max_line = CONFIG_DEFAULT_MCP_MAX_LINE;
    cfg->mcp_telnet = false;
    cfg->git_update = false;
    cfg->git_remote = NULL;
    cfg->git_branch = NULL;
    cfg->git_update_interval = 0;
    cfg->git_timeout = CONFIG_DEFAULT_GIT_TIMEOUT;
    cfg->admins = NULL;
    return 0;
fail:
    config_free(cfg);
    return -1;
}

void config_free(driver_config_t *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->config_path);
    free(cfg->config_dir);
    free(cfg->mudlib_dir);
    free(cfg->bind_address);
    free(cfg->log_dir);
    free(cfg->master_file);
    free(cfg->simul_efun_file);
    free(cfg->git_remote);
    free(cfg->git_branch);
    free(cfg->admins);
    free(cfg->console_history);
    memset(cfg, 0, sizeof *cfg);
}

/* ------------------------------------------------------------ values */

/* "Alice, bob" -> "alice,bob": names of ASCII letters separated by
 * commas, blanks around them ignored.  NULL for an empty name, any other
 * character, or out of memory (the value is short: the caller reports
 * it as a bad value). */
static char *parse_names(const char *value)
{
    char *out = malloc(strlen(value) + 1);
    size_t n = 0, name_len = 0;
    if (out == NULL)
        return NULL;
    for (const char *p = value;; p++) {
        char c = *p;
        if (c == ' ' || c == '\t')
            continue;
        if (c == ',' || c == '\0') {
            if (name_len == 0) {
                free(out);
                return NULL;
            }
            if (c == '\0')
                break;
            out[n++] = ',';
            name_len = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            free(out);
            return NULL;
        }
        if (name_len > 0 && p > value && (p[-1] == ' ' || p[-1] == '\t')) {
            free(out);             /* "al ice": a blank inside a name */
            return NULL;
        }
        out[n++] = (char)(c | 0x20);
        name_len++;
    }
    out[n] = '\0';
    return out;
}

typedef enum number_status {
    NUMBER_OK,
    NUMBER_SYNTAX,      /* not a number */
    NUMBER_RANGE        /* a number, outside [min, max] */
} number_status_t;

/* Parses an optional '-', decimal digits and, when allow_suffix, one of
 * K M G (powers of 1024, case-insensitive, optionally followed by "B" or
 * "iB", optionally after a space).  Out-of-range values, however many
 * digits, are NUMBER_RANGE rather than wrapping. */
static number_status_t parse_number(const char *s, bool allow_suffix,
                                    int64_t min, int64_t max, int64_t *out)
{
    bool negative = false;
    if (*s == '-') {
        negative = true;
        s++;
    }
    if (*s < '0' || *s > '9')
        return NUMBER_SYNTAX;
    /* Saturate at a bound above any max we use, keep checking syntax. */
    const int64_t cap = INT64_C(1) << 62;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v < cap / 10 ? v * 10 + (*s - '0') : cap;
        s++;
    }
    if (allow_suffix) {
        while (*s == ' ' || *s == '\t')
            s++;
        int64_t mult = 1;
        switch (*s) {
        case 'k': case 'K': mult = INT64_C(1) << 10; s++; break;
        case 'm': case 'M': mult = INT64_C(1) << 20; s++; break;
        case 'g': case 'G': mult = INT64_C(1) << 30; s++; break;
        default: break;
        }
        if (mult > 1 && s[0] == 'i' && s[1] == 'B')
            s += 2;                                 /* KiB, MiB, GiB */
        else if (*s == 'b' || *s == 'B')
            s++;                                    /* KB, MB, GB, B */
        v = v >= cap / mult ? cap : v * mult;
    }
    if (*s != '\0')
        return NUMBER_SYNTAX;
    if (negative)
        v = -v;
    if (v < min || v > max)
        return NUMBER_RANGE;
    *out = v;
    return NUMBER_OK;
}

/* on/off, yes/no, true/false, any case: 1 true, 0 false, -1 neither. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

static bool address_is_valid(const char *s)
{
    unsigned char buf[16];
    return strcmp(s, "*") == 0 ||
           inet_pton(AF_INET, s, buf) == 1 ||
           inet_pton(AF_INET6, s, buf) == 1;
}

/* True when a mudlib-relative path has a ".." component: it would name
 * something outside the mudlib. */
static bool path_escapes(const char *s)
{
    const char *p = s;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *end = p;
        while (*end != '\0' && *end != '/')
            end++;
        if (end - p == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p = end;
    }
    return false;
}

static void set_string(driver_config_t *cfg, const key_spec_t *k, char *value)
{
    char **field = (char **)((char *)cfg + k->offset);
    free(*field);
    *field = value;
}

/* Applies one `key: value` to cfg.  `value` is trimmed and non-empty. */
static int apply_value(parse_ctx_t *pc, driver_config_t *cfg,
                       const key_spec_t *k, const char *value)
{
    char *s = NULL;
    int64_t n = 0;
    struct stat st;

    switch (k->kind) {
    case KIND_MUDLIB_DIR: {
        char *joined = path_join(cfg->config_dir, value);
        if (joined == NULL)
            return fail(pc, "out of memory");
        s = path_real(joined);
        if (s == NULL || stat(s, &st) != 0) {
            int e = errno;
            int r = fail(pc, "%s '%.200s' (%s) %s", k->name, value, joined,
                         e == ENOENT ? "does not exist" : strerror(e));
            free(joined);
            free(s);
            return r;
        }
        free(joined);
        if (!S_ISDIR(st.st_mode)) {
            int r = fail(pc, "%s '%.200s' (%s) is not a directory",
                         k->name, value, s);
            free(s);
            return r;
        }
        set_string(cfg, k, s);
        return 0;
    }
    case KIND_DIR:
        s = path_join(cfg->config_dir, value);
        if (s == NULL)
            return fail(pc, "out of memory");
        if (stat(s, &st) == 0 && !S_ISDIR(st.st_mode)) {
            int r = fail(pc, "%s '%.200s' (%s) is not a directory",
                         k->name, value, s);
            free(s);
            return r;
        }
        set_string(cfg, k, s);
        return 0;
    case KIND_FILE:
        s = path_join(cfg->config_dir, value);
        if (s == NULL)
            return fail(pc, "out of memory");
        if (stat(s, &st) == 0 && S_ISDIR(st.st_mode)) {
            int r = fail(pc, "%s '%.200s' (%s) is a directory; expected %s",
                         k->name, value, s, k->expected);
            free(s);
            return r;
        }
        set_string(cfg, k, s);
        return 0;
    case KIND_MUDLIB_FILE:
        if (path_escapes(value))
            return fail(pc, "bad value '%.200s' for '%s': '..' would leave "
                        "the mudlib; expected %s", value, k->name, k->expected);
        if (value[0] == '/') {
            s = strdup(value);
        } else {
            s = malloc(strlen(value) + 2);
            if (s != NULL) {
                s[0] = '/';
                strcpy(s + 1, value);
            }
        }
        if (s == NULL)
            return fail(pc, "out of memory");
        set_string(cfg, k, s);
        return 0;
    case KIND_ADDRESS:
        if (!address_is_valid(value))
            return fail(pc, "bad value '%.200s' for '%s': expected %s",
                        value, k->name, k->expected);
        if (strcmp(value, "*") == 0) {
            set_string(cfg, k, NULL);
            return 0;
        }
        s = strdup(value);
        if (s == NULL)
            return fail(pc, "out of memory");
        set_string(cfg, k, s);
        return 0;
    case KIND_BOOL: {
        int b = parse_bool(value);
        if (b < 0)
            return fail(pc, "bad value '%.200s' for '%s': expected %s",
                        value, k->name, k->expected);
        *(bool *)((char *)cfg + k->offset) = b == 1;
        return 0;
    }
    case KIND_WORD:
        if (value[0] == '-' || value[strcspn(value, " \t")] != '\0')
            return fail(pc, "bad value '%.200s' for '%s': expected %s",
                        value, k->name, k->expected);
        s = strdup(value);
        if (s == NULL)
            return fail(pc, "out of memory");
        set_string(cfg, k, s);
        return 0;
    case KIND_NAMES:
        s = parse_names(value);
        if (s == NULL)
            return fail(pc, "bad value '%.200s' for '%s': expected %s",
                        value, k->name, k->expected);
        set_string(cfg, k, s);
        return 0;
    case KIND_INT:
    case KIND_SIZE:
        switch (parse_number(value, k->kind == KIND_SIZE, k->min, k->max, &n)) {
        case NUMBER_SYNTAX:
            return fail(pc, "bad value '%.200s' for '%s': expected %s",
                        value, k->name, k->expected);
        case NUMBER_RANGE:
            return fail(pc, "value '%.200s' for '%s' is out of range: "
                        "expected %s", value, k->name, k->expected);
        case NUMBER_OK:
            break;
        }
        if (k->kind == KIND_INT)
            *(int *)((char *)cfg + k->offset) = (int)n;
        else
            *(size_t *)((char *)cfg + k->offset) = (size_t)n;
        return 0;
    }
    return fail(pc, "internal error: key '%s' has no parser", k->name);
}

/* ------------------------------------------------------------ lines */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Levenshtein distance, case-insensitive, for "did you mean" hints;
 * keys are short (< 32 characters), longer strings are "far". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= 32 || lb >= 32)
        return SIZE_MAX;
    size_t row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'A' && ca <= 'Z') ca += 'a' - 'A';
            if (cb >= 'A' && cb <= 'Z') cb += 'a' - 'A';
            size_t best = diag + (ca != cb);
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const key_spec_t *find_key(const char *name)
{
    for (size_t i = 0; i < CONFIG_KEY_COUNT; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

static const char *suggest_key(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;      /* at most two edits away */
    for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
        size_t d = edit_distance(name, config_keys[i].name);
        if (d < best_d) {
            best_d = d;
            best = config_keys[i].name;
        }
    }
    return best;
}

/* Parses one line (NUL-terminated, without its line ending; modified in
 * place).  seen[] holds the line each key was first set on. */
static int parse_line(parse_ctx_t *pc, driver_config_t *cfg, char *line,
                      int seen[CONFIG_KEY_COUNT])
{
    char *hash = strchr(line, '#');
    if (hash != NULL)
        *hash = '\0';
    char *end = line + strlen(line);
    while (end > line && is_blank(end[-1]))
        *--end = '\0';
    while (is_blank(*line))
        line++;
    if (*line == '\0')
        return 0;

    char *colon = strchr(line, ':');
    if (colon == NULL)
        return fail(pc, "missing ':' in '%.80s': expected 'key: value'", line);
    *colon = '\0';
    char *value = colon + 1;
    while (is_blank(*value))
        value++;

    /* The key, with trailing blanks dropped and inner runs of blanks
     * read as one space ("max   connections" is "max connections"). */
    char *w = line;
    for (const char *r = line; *r != '\0'; r++) {
        if (is_blank(*r)) {
            if (w > line && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    if (w > line && w[-1] == ' ')
        w--;
    *w = '\0';
    if (*line == '\0')
        return fail(pc, "missing key before ':'");

    const key_spec_t *k = find_key(line);
    if (k == NULL) {
        const char *hint = suggest_key(line);
        if (hint != NULL)
            return fail(pc, "unknown key '%.80s' (did you mean '%s'?)", line, hint);
        return fail(pc, "unknown key '%.80s'", line);
    }
    size_t idx = (size_t)(k - config_keys);
    if (seen[idx] != 0)
        return fail(pc, "duplicate key '%s' (already set on line %d)",
                    k->name, seen[idx]);
    seen[idx] = pc->line;
    if (*value == '\0')
        return fail(pc, "empty value for '%s': expected %s", k->name, k->expected);
    return apply_value(pc, cfg, k, value);
}

/* ------------------------------------------------------------ loading */

/* Reads the whole file into a NUL-terminated malloc'd buffer. */
static char *read_file(parse_ctx_t *pc, const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail(pc, "cannot read: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        fail(pc, "out of memory");
        return NULL;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                fail(pc, "out of memory");
                goto fail;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (len > CONFIG_MAX_FILE_SIZE) {
            fail(pc, "too large for a config file (over %d KiB)",
                 CONFIG_MAX_FILE_SIZE / 1024);
            goto fail;
        }
        if (n == 0) {
            if (ferror(f)) {
                /* fopen succeeds on a directory; the read says EISDIR. */
                fail(pc, "cannot read: %s", strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    *len_out = len;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

/* The config file's folder, as its real path, and the file's absolute
 * path (that folder plus the file's own name, so a symlinked config file
 * keeps its place).  Both malloc'd. */
static int locate_file(parse_ctx_t *pc, const char *path, char **dir_out,
                       char **path_out)
{
    char *slashed = strdup(path);   /* Windows: backslashes become slashes */
    if (slashed == NULL)
        return fail(pc, "out of memory");
    os_fs_path_to_slashes(slashed);
    const char *slash = strrchr(slashed, '/');
    const char *name = slash != NULL ? slash + 1 : slashed;
    size_t root = os_fs_root_length(slashed);
    char *dir;
    if (slash == NULL)
        dir = strdup(".");
    else if ((size_t)(slash - slashed) < root)
        dir = copy_prefix(slashed, root);     /* a file in "/" or "C:/" */
    else
        dir = copy_prefix(slashed, (size_t)(slash - slashed));
    if (dir == NULL) {
        free(slashed);
        return fail(pc, "out of memory");
    }
    char *real = path_real(dir);
    int e = errno;
    free(dir);
    if (real == NULL) {
        free(slashed);
        return fail(pc, "cannot read: %s", strerror(e));
    }
    *path_out = path_join(real, name);
    free(slashed);
    if (*path_out == NULL) {
        free(real);
        return fail(pc, "out of memory");
    }
    *dir_out = real;
    return 0;
}

int config_load(const char *path, driver_config_t *cfg, char *err, size_t err_size)
{
    parse_ctx_t pc = { path, 0, err, err_size };
    driver_config_t c;
    char *text = NULL, *dir = NULL, *abs_path = NULL;
    size_t len = 0;

    if (err != NULL && err_size > 0)
        err[0] = '\0';
    memset(cfg, 0, sizeof *cfg);
    text = read_file(&pc, path, &len);
    if (text == NULL)
        return -1;
    if (locate_file(&pc, path, &dir, &abs_path) != 0) {
        free(text);
        return -1;
    }
    /* Defaults are relative to the config file's folder. */
    int r = config_set_defaults(&c, dir);
    free(dir);
    if (r != 0) {
        free(text);
        free(abs_path);
        return fail(&pc, "out of memory");
    }
    c.config_path = abs_path;

    int seen[CONFIG_KEY_COUNT] = { 0 };
    char *p = text;
    /* A UTF-8 byte order mark (some Windows editors write one). */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    char *file_end = text + len;
    while (p < file_end) {
        pc.line++;
        char *eol = memchr(p, '\n', (size_t)(file_end - p));
        char *next = eol != NULL ? eol + 1 : file_end;
        char *line_end = eol != NULL ? eol : file_end;
        if (line_end > p && line_end[-1] == '\r')   /* CRLF */
            line_end--;
        if (memchr(p, '\0', (size_t)(line_end - p)) != NULL) {
            fail(&pc, "line contains a NUL byte: is this a text file?");
            goto fail;
        }
        *line_end = '\0';
        if (parse_line(&pc, &c, p, seen) != 0)
            goto fail;
        p = next;
    }
    free(text);
    *cfg = c;
    return 0;
fail:
    free(text);
    config_free(&c);
    return -1;
}
