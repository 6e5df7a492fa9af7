/*
 * main.c - the shipped binary's application: "no-mudlib".
 *
 * The LPC interpreter does not exist yet (it comes with the next
 * issues), so the shipped driver does not pretend to be a game: every
 * client is told so in one line and disconnected.  The LPC runtime
 * replaces this application; the end-to-end tests use their own echo
 * application (testsuite/echo_app.c) around the same driver.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "comm.h"
#include "driver.h"
#include "log.h"

static void no_mudlib_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    comm_printf(conn, "Neolith %s: this build has no LPC interpreter yet; "
                "see docs/manual/admin.md\n", PACKAGE_VERSION);
    comm_close(conn);           /* after the notice is flushed */
}

/* Lines can arrive before the close completes; there is nobody to
 * give them to. */
static void no_mudlib_line(comm_conn_t *conn, const char *line, size_t len,
                           void *ctx)
{
    (void)conn;
    (void)line;
    (void)len;
    (void)ctx;
}

static void no_mudlib_close(comm_conn_t *conn, void *ctx)
{
    (void)conn;
    (void)ctx;
}

static int no_mudlib_start(const driver_config_t *cfg,
                           const driver_options_t *opts,
                           comm_handler_t *handler)
{
    (void)cfg;
    (void)opts;
    handler->on_connect = no_mudlib_connect;
    handler->on_line = no_mudlib_line;
    handler->on_close = no_mudlib_close;
    handler->ctx = NULL;
    log_warn("this build has no LPC interpreter: each connection gets a "
             "notice and is closed");
    return 0;
}

static void no_mudlib_stop(void)
{
}

static const driver_app_t no_mudlib_app = {
    .name = "no-mudlib",
    .start = no_mudlib_start,
    .stop = no_mudlib_stop,
};

int main(int argc, char **argv)
{
    return driver_main(argc, argv, &no_mudlib_app);
}
