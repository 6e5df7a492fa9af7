/*
 * driver.h - start-up and shut-down of the driver around an application.
 *
 * driver_main() parses the command line, reads the config file, opens the
 * log, starts the backend and the listeners, runs the loop and tears it
 * all down.  What the driver does with connections is the application's
 * business: the LPC runtime in the shipped binary (src/main.c), an echo
 * handler in the end-to-end tests (testsuite/echo_app.c).
 *
 * Command line (see driver_usage()):
 *   -f FILE        config file (default: mudlib/neolith.conf, else
 *                  neolith.conf, in the current directory)
 *   -p PORT        override "port"
 *   -c, --console  console mode (the console issue wires it up)
 *   --mcp          Model Context Protocol server on stdin/stdout
 *                  (docs/manual/mcp.md): the telnet listener is off
 *                  unless the config says "mcp telnet: on" or -p is given
 *   --run FILE [ARGS...]
 *                  run an LPC program standalone: no network, the mudlib
 *                  root is FILE's folder (or the config's mudlib with
 *                  -f), `int main(string *args)` is called with ARGS;
 *                  everything after FILE belongs to the program
 *   --help, --version
 * Unknown options and bad values: one line on stderr naming the problem,
 * exit status 2.
 */
#ifndef NEOLITH_DRIVER_H
#define NEOLITH_DRIVER_H

#include "comm.h"
#include "config.h"

struct mcp_provider;

typedef struct driver_options {
    const char *config_file;   /* NULL: the default */
    int  port_override;        /* -1: none */
    bool console;
    bool mcp;
    const char *run_file;      /* --run FILE, or NULL */
    int run_argc;              /* the program's arguments after FILE */
    char **run_argv;           /*   (point into argv) */
} driver_options_t;

typedef struct driver_app {
    const char *name;
    /* Called after config, log and backend are up and before the
     * listeners open: fill *handler with the connection callbacks and do
     * any start-up work.  Non-zero return aborts start-up (exit 1). */
    int  (*start)(const driver_config_t *cfg, const driver_options_t *opts,
                  comm_handler_t *handler);
    /* Called once after the loop ended and connections are closed. */
    void (*stop)(void);
    /* --mcp: what the MCP server offers (mcp_provider.h); NULL for the
     * driver-level provider.  Must live until stop. */
    const struct mcp_provider *mcp_provider;
} driver_app_t;

/* Parses argv into opts.  Returns 0 to run, 1 when --help/--version was
 * printed (exit 0), or 2 after printing "neolith: <problem>" to stderr. */
int  driver_parse_options(int argc, char **argv, driver_options_t *opts);

/* The --help text (several lines, ending in a newline). */
const char *driver_usage(void);

/* The whole driver: returns the process exit status (0 after a clean
 * shutdown, 1 when start-up fails, 2 for a bad option or config file).
 * With --run: main()'s return value, 1 after an uncaught LPC error, 2
 * for a compile error (see driver_run_lpc). */
int  driver_main(int argc, char **argv, const driver_app_t *app);

/* `neolith --run FILE [ARGS...]`: loads FILE and calls its
 * `int main(string *args)`; write() goes to stdout, compile errors
 * ("FILE:LINE:COL: error: ...") and runtime errors (message and LPC
 * stack trace) to stderr.  Returns the exit status: main's return value
 * (0 when it returns a non-int), 1 after an uncaught error (or no
 * main()), 2 for a compile error or an unreadable file. */
int  driver_run_lpc(const driver_options_t *opts);

#endif /* NEOLITH_DRIVER_H */
