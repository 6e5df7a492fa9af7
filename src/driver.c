/*
 * driver.c - start-up and shut-down around an application (driver.h).
 *
 * Order, and why:
 *   1. options: nothing else is worth doing with a bad command line;
 *   2. config: everything below depends on it; a bad file stops here with
 *      the file:line message on stderr (the log is not open yet: its
 *      folder comes from the config);
 *   3. log: from here on everything goes to the log file and stderr;
 *   4. backend (runtime, signal handlers), then the application, which
 *      fills in the connection handler, then the listeners - so no client
 *      can connect before the application is ready for it;
 *   5. backend_run: the loop, and at its end the orderly shutdown
 *      (listeners closed, shutdown hooks, output flushed, connections
 *      closed: see backend.h);
 *   6. app->stop, backend_destroy, log_close, config_free.
 *
 * Exit statuses: 0 clean shutdown, 1 start-up failure (log, backend,
 * application, listeners), 2 bad option or config file - or a mode this
 * build does not have yet (console, MCP).
 *
 * This file knows the backend and comm only through their headers.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "driver.h"
#include "backend.h"
#include "comm.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRIVER_LOG_FILE "neolith.log"

/* Where the config file is looked for when -f is not given, in order,
 * relative to the current directory. */
static const char *const driver_default_configs[] = {
    "mudlib/neolith.conf",
    "neolith.conf",
};

static bool is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The config file to read: -f, else the first default that exists, else
 * NULL (after saying so on stderr). */
static const char *choose_config_file(const driver_options_t *opts)
{
    if (opts->config_file != NULL)
        return opts->config_file;
    size_t n = sizeof driver_default_configs / sizeof driver_default_configs[0];
    for (size_t i = 0; i < n; i++)
        if (is_regular_file(driver_default_configs[i]))
            return driver_default_configs[i];
    fprintf(stderr, "neolith: no config file: neither %s nor %s exists in "
            "the current directory; name one with -f FILE\n",
            driver_default_configs[0], driver_default_configs[1]);
    return NULL;
}

int driver_main(int argc, char **argv, const driver_app_t *app)
{
    driver_options_t opts;
    driver_config_t cfg;
    comm_handler_t handler;
    char err[1024];
    int status;

    status = driver_parse_options(argc, argv, &opts);
    if (status == 1)
        return 0;               /* --help, --version */
    if (status != 0)
        return 2;

    /* Honest about what this build lacks rather than silently running
     * something else: each mode arrives with its own issue. */
    if (opts.console) {
        fprintf(stderr, "neolith: console mode is not available in this "
                "build yet\n");
        return 2;
    }
    if (opts.mcp) {
        fprintf(stderr, "neolith: MCP mode is not available in this build "
                "yet\n");
        return 2;
    }

    const char *config_file = choose_config_file(&opts);
    if (config_file == NULL)
        return 2;
    if (config_load(config_file, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "neolith: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    if (opts.port_override >= 0)
        cfg.port = opts.port_override;

    /* In MCP mode stdout is the protocol and stderr is often shown to a
     * user by the MCP client: only warnings and errors go there. */
    log_level_t stderr_level = opts.mcp ? LOG_LEVEL_WARN : LOG_LEVEL_INFO;
    if (log_open(cfg.log_dir, DRIVER_LOG_FILE, stderr_level) != 0) {
        fprintf(stderr, "neolith: cannot open the log file %s/%s: %s\n",
                cfg.log_dir, DRIVER_LOG_FILE, strerror(errno));
        config_free(&cfg);
        return 1;
    }
    log_info("neolith %s starting (pid %ld, application '%s')",
             PACKAGE_VERSION, (long)getpid(), app->name);
    log_info("config %s; mudlib %s; log %s/%s", cfg.config_path,
             cfg.mudlib_dir, cfg.log_dir, DRIVER_LOG_FILE);

    status = 1;
    if (backend_init() != 0) {
        log_error("start-up failed: the backend could not start");
        goto out_log;
    }
    memset(&handler, 0, sizeof handler);
    if (app->start(&cfg, &opts, &handler) != 0) {
        log_error("start-up failed: application '%s' did not start", app->name);
        goto out_backend;
    }
    if (comm_init(&cfg, &handler) != 0) {
        log_error("start-up failed: cannot listen on port %d", cfg.port);
        app->stop();
        goto out_backend;
    }
    if (cfg.port == 0)
        log_info("not listening (port 0)");
    else
        log_info("listening on port %d (%s)", comm_listen_port(),
                 cfg.bind_address != NULL ? cfg.bind_address : "all interfaces");

    status = backend_run();
    app->stop();
    log_info("neolith stopped (exit status %d)", status);

out_backend:
    backend_destroy();
out_log:
    log_close();
    config_free(&cfg);
    return status;
}
