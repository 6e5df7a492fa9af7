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
 *   --mcp          Model Context Protocol stdio mode (its own issue)
 *   --help, --version
 * Unknown options and bad values: one line on stderr naming the problem,
 * exit status 2.
 */
#ifndef NEOLITH_DRIVER_H
#define NEOLITH_DRIVER_H

#include "comm.h"
#include "config.h"

typedef struct driver_options {
    const char *config_file;   /* NULL: the default */
    int  port_override;        /* -1: none */
    bool console;
    bool mcp;
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
} driver_app_t;

/* Parses argv into opts.  Returns 0 to run, 1 when --help/--version was
 * printed (exit 0), or 2 after printing "neolith: <problem>" to stderr. */
int  driver_parse_options(int argc, char **argv, driver_options_t *opts);

/* The --help text (several lines, ending in a newline). */
const char *driver_usage(void);

/* The whole driver: returns the process exit status (0 after a clean
 * shutdown, 1 when start-up fails, 2 for a bad option or config file). */
int  driver_main(int argc, char **argv, const driver_app_t *app);

#endif /* NEOLITH_DRIVER_H */
