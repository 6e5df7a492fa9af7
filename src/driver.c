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
 * application, listeners), 2 bad option or config file.
 *
 * -c (console_mode.h, started by the application): the terminal is the
 * console's; only warnings and errors go to stderr, whose lines would
 * otherwise cut through the line being edited.
 *
 * --mcp (mcp.h): before anything else stdout is taken for the protocol
 * (fd 1 then points at stderr); the telnet listener is off unless the
 * config says "mcp telnet: on" or -p names a port, and a port that cannot
 * be bound leaves MCP running without telnet (clients start several
 * copies at once); the MCP session starts once comm is up.
 *
 * This file knows the backend and comm only through their headers.
 *
 * --run skips all of the above but the option parser (and the config
 * file, with -f): driver_run_lpc loads one LPC program through the LPC
 * runtime (lib/lpc/lpc_runtime.h) and calls its main().
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "driver.h"
#include "backend.h"
#include "comm.h"
#include "config.h"
#include "efuns_driver.h"
#include "log.h"
#include "mcp.h"
#include "mudlib_path.h"
#include "os_fs.h"

#include "lpc/lpc_runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- --run ------------------------------------------------------------ */

typedef struct run_state {
    bool loading;              /* the program itself is being loaded */
    bool compile_failed;
} run_state_t;

/* Uncaught runtime errors: the message and the LPC stack trace on
 * stderr.  A failed load of the program is a compile error, already
 * reported line by line by the compiler. */
static void run_report_error(void *ctx, const char *message, const char *trace)
{
    run_state_t *rs = ctx;
    if (rs->loading && strncmp(message, "Error in loading object", 23) == 0) {
        rs->compile_failed = true;
        return;
    }
    fflush(stdout);             /* what the program wrote comes first */
    fprintf(stderr, "error: %s\n%s", message, trace);
    fflush(stderr);
}

static void run_output(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    fwrite(data, 1, len, stdout);
}

/* Splits FILE into the host folder (absolute) and the mudlib path, or
 * with a config into the config's mudlib and FILE's path inside it. */
static int run_locate(const driver_options_t *opts, const char *mudlib_dir,
                      char *root, size_t rootsize, char *path, size_t pathsize)
{
    char real[PATH_MAX];
    if (os_fs_realpath(opts->run_file, real, sizeof real) == NULL) {
        fprintf(stderr, "neolith: cannot open %s: %s\n", opts->run_file, strerror(errno));
        return -1;
    }
    if (mudlib_dir == NULL) {
        char *slash = strrchr(real, '/');
        size_t n = (size_t)(slash - real);
        if (n == 0)
            n = 1;            /* a file in / */
        snprintf(root, rootsize, "%.*s", (int)n, real);
        snprintf(path, pathsize, "/%s", slash + 1);
        return 0;
    }
    char mud[PATH_MAX];
    if (os_fs_realpath(mudlib_dir, mud, sizeof mud) == NULL) {
        fprintf(stderr, "neolith: cannot open the mudlib %s: %s\n", mudlib_dir,
                strerror(errno));
        return -1;
    }
    size_t ml = strlen(mud);
    if (strncmp(real, mud, ml) != 0 || real[ml] != '/') {
        fprintf(stderr, "neolith: %s is not inside the mudlib %s\n", opts->run_file, mud);
        return -1;
    }
    snprintf(root, rootsize, "%s", mud);
    snprintf(path, pathsize, "%s", real + ml);
    return 0;
}

int driver_run_lpc(const driver_options_t *opts)
{
    driver_config_t cfg;
    char err[1024];
    bool have_cfg = false;
    if (opts->config_file != NULL) {
        if (config_load(opts->config_file, &cfg, err, sizeof err) != 0) {
            fprintf(stderr, "neolith: %s\n", err);
            config_free(&cfg);
            return 2;
        }
        have_cfg = true;
    }
    static char root[PATH_MAX];
    char path[PATH_MAX];
    if (run_locate(opts, have_cfg ? cfg.mudlib_dir : NULL, root, sizeof root,
                   path, sizeof path) != 0) {
        if (have_cfg)
            config_free(&cfg);
        return 2;
    }

    run_state_t rs = { false, false };
    static const char *const include_dirs[] = { "/include", NULL };
    lpc_runtime_options_t ro;
    memset(&ro, 0, sizeof ro);
    ro.read_file = lpc_runtime_dir_reader;
    ro.read_ctx = root;
    ro.include_dirs = include_dirs;
    ro.output = run_output;
    ro.report_error = run_report_error;
    ro.report_ctx = &rs;
    lpc_vm_t *vm = lpc_runtime_init(&ro);
    /* the driver's efuns (files, saves, crypt, JSON), sandboxed to the
     * same root the program is read from */
    driver_efuns_register_all();
    if (mudlib_path_set_root(root) != 0) {
        fprintf(stderr, "neolith: cannot use the mudlib %s: %s\n", root, strerror(errno));
        lpc_runtime_shutdown(vm);
        if (have_cfg)
            config_free(&cfg);
        return 2;
    }

    int status;
    rs.loading = true;
    lpc_object_t *ob = lpc_runtime_load(vm, path);
    rs.loading = false;
    if (ob == NULL) {
        status = rs.compile_failed ? 2 : 1;
    } else {
        lpc_array_t *a = lpc_array_new((size_t)opts->run_argc);
        for (int i = 0; i < opts->run_argc; i++)
            a->items[i] = lpc_value_string(lpc_string_from_cstr(opts->run_argv[i]));
        lpc_value_t arg = lpc_value_array(a);
        lpc_value_t ret = lpc_int(0);
        bool found = false;
        bool ok = lpc_runtime_call(vm, ob, "main", &arg, 1, &ret, &found);
        lpc_value_release(&arg);
        if (ok)
            status = ret.type == LPC_T_INT ? (int)(ret.u.i & 0xff) : 0;
        else {
            if (!found)
                fprintf(stderr, "neolith: %s has no main() function\n", path);
            status = 1;
        }
        lpc_value_release(&ret);
    }
    fflush(stdout);
    lpc_runtime_shutdown(vm);
    if (have_cfg)
        config_free(&cfg);
    return status;
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
    if (opts.run_file != NULL)
        return driver_run_lpc(&opts);

    /* From here on nothing but the MCP writer may reach the client's
     * stdout: a stray print lands on stderr (checklist A4). */
    if (opts.mcp && mcp_claim_stdio() != 0)
        return 1;

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
    bool mcp_no_telnet = opts.mcp && !cfg.mcp_telnet && opts.port_override < 0;
    if (mcp_no_telnet)
        cfg.port = 0;

    /* In MCP mode stdout is the protocol and stderr is often shown to a
     * user by the MCP client: only warnings and errors go there. */
    log_level_t stderr_level = opts.mcp || opts.console ? LOG_LEVEL_WARN
                                                         : LOG_LEVEL_INFO;
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
    int comm_status = comm_init(&cfg, &handler);
    if (comm_status != 0 && opts.mcp && cfg.port != 0) {
        log_warn("cannot listen on port %d: serving MCP without telnet",
                 cfg.port);
        cfg.port = 0;
        comm_status = comm_init(&cfg, &handler);
    }
    if (comm_status != 0) {
        log_error("start-up failed: cannot listen on port %d", cfg.port);
        app->stop();
        goto out_backend;
    }
    if (opts.mcp && mcp_start(&cfg, app->mcp_provider) != 0) {
        log_error("start-up failed: the MCP server could not start");
        comm_shutdown(0);
        app->stop();
        goto out_backend;
    }
    if (mcp_no_telnet)
        log_info("not listening: telnet is off in --mcp mode (\"mcp telnet: "
                 "on\" in the config turns it on)");
    else if (cfg.port == 0)
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
