/*
 * options.c - the command line (driver_parse_options, see driver.h).
 *
 * Kept apart from driver.c so that code needing only the option parser
 * (the config tests) does not pull the backend and comm into its link.
 *
 * Hand-written rather than getopt_long: the option set is tiny, getopt's
 * global state (optind) makes repeated calls from tests awkward, and
 * getopt_long is not available everywhere the driver should build.
 * Accepted forms: "-f FILE" and "-fFILE", "-p PORT" and "-pPORT", "--"
 * before nothing.  Every problem is one line "neolith: ..." on stderr.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "driver.h"
#include "log.h"        /* LOG_PRINTF_FORMAT */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char driver_usage_text[] =
    "Usage: neolith [-f FILE] [-p PORT] [-c | --mcp]\n"
    "       neolith [-f FILE] --run PROGRAM.c [ARGS...]\n"
    "Runs the Neolith LPMud driver, or one LPC program.\n"
    "\n"
    "  -f FILE        config file (default: mudlib/neolith.conf, else\n"
    "                 neolith.conf, in the current directory)\n"
    "  -p PORT        listen on PORT (0-65535; 0 = no listener) instead of\n"
    "                 the config file's \"port\"\n"
    "  -c, --console  the terminal becomes a logged-in user (the operator)\n"
    "                 while telnet players play; with -p 0 the driver ends\n"
    "                 when the console session does; see docs/manual/console.md\n"
    "  --mcp          Model Context Protocol server on stdin/stdout, for AI\n"
    "                 clients (telnet listener off unless \"mcp telnet: on\"\n"
    "                 or -p); see docs/manual/mcp.md\n"
    "  --run FILE [ARGS...]\n"
    "                 run the LPC program FILE: its int main(string *args)\n"
    "                 gets ARGS, write() goes to stdout, errors to stderr;\n"
    "                 the mudlib root is FILE's folder (with -f: the\n"
    "                 config's mudlib); exit status: main's return value,\n"
    "                 1 after a runtime error, 2 for a compile error\n"
    "  -h, --help     print this help and exit\n"
    "  --version      print the version and exit\n"
    "\n"
    "Exit status: 0 after a clean shutdown (SIGINT and SIGTERM shut down\n"
    "cleanly), 1 when start-up fails, 2 for a bad option or config file.\n"
    "See docs/manual/admin.md.\n";

const char *driver_usage(void)
{
    return driver_usage_text;
}

static int option_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(LOG_PRINTF_FORMAT, 1, 2)))
#endif
    ;

/* Prints "neolith: <problem>" as one line on stderr; returns 2. */
static int option_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "neolith: %s\n", msg);
    return 2;
}

/* A port number: 1-5 decimal digits, at most 65535; -1 otherwise. */
static int parse_port(const char *s)
{
    int v = 0;
    size_t digits = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++digits > 5)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (*s != '\0' || digits == 0 || v > 65535)
        return -1;
    return v;
}

/* The value of option `name` at argv[*i]: attached ("-fFILE") or the
 * next argument.  NULL when there is none (or it is empty). */
static const char *option_value(int argc, char **argv, int *i)
{
    const char *attached = argv[*i] + 2;
    if (*attached != '\0')
        return attached;
    if (*i + 1 >= argc || argv[*i + 1][0] == '\0')
        return NULL;
    return argv[++*i];
}

int driver_parse_options(int argc, char **argv, driver_options_t *opts)
{
    opts->config_file = NULL;
    opts->port_override = -1;
    opts->console = false;
    opts->mcp = false;
    opts->run_file = NULL;
    opts->run_argc = 0;
    opts->run_argv = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (i + 1 < argc)
                return option_error("unexpected argument '%s' (the driver "
                                    "takes options only; try 'neolith --help')",
                                    argv[i + 1]);
            break;
        } else if (strncmp(a, "-f", 2) == 0) {
            if (opts->config_file != NULL)
                return option_error("option -f given twice");
            opts->config_file = option_value(argc, argv, &i);
            if (opts->config_file == NULL)
                return option_error("option -f needs a file name");
        } else if (strncmp(a, "-p", 2) == 0) {
            if (opts->port_override >= 0)
                return option_error("option -p given twice");
            const char *v = option_value(argc, argv, &i);
            if (v == NULL)
                return option_error("option -p needs a port number");
            opts->port_override = parse_port(v);
            if (opts->port_override < 0)
                return option_error("bad value '%s' for -p: expected a port "
                                    "number 0-65535", v);
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--console") == 0) {
            opts->console = true;
        } else if (strcmp(a, "--mcp") == 0) {
            opts->mcp = true;
        } else if (strcmp(a, "--run") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return option_error("option --run needs an LPC file name");
            opts->run_file = argv[i + 1];
            opts->run_argc = argc - (i + 2);
            opts->run_argv = argv + i + 2;
            break;              /* the rest belongs to the program */
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(driver_usage_text, stdout);
            fflush(stdout);
            return 1;
        } else if (strcmp(a, "--version") == 0) {
            printf("neolith %s\n", PACKAGE_VERSION);
            fflush(stdout);
            return 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return option_error("unknown option '%s' (try 'neolith --help')", a);
        } else {
            return option_error("unexpected argument '%s' (the driver takes "
                                "options only; try 'neolith --help')", a);
        }
    }
    if (opts->console && opts->mcp)
        return option_error("-c/--console cannot be combined with --mcp");
    if (opts->run_file != NULL && (opts->console || opts->mcp))
        return option_error("--run cannot be combined with -c/--console or --mcp");
    if (opts->run_file != NULL && opts->port_override >= 0)
        return option_error("--run does not listen: -p makes no sense with it");
    return 0;
}
