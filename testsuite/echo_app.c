/*
 * echo_app.c - testsuite/neolith_echo: the real driver around a test-only
 * application that echoes lines.  Not shipped; check_driver_e2e.c starts
 * it and talks to it over sockets.
 *
 * The conversation:
 *   on connect      "Welcome to the echo test.\n> "
 *   any line        "echo: <line>\n> "
 *   "quit"          "bye\n", then the connection is closed
 *   "password"      echo off (WILL ECHO), "pw> "; the next line is
 *                   answered "secret accepted\n> " and echo is back on
 *   "flood N"       N lines of 80 characters, then "> " (fills output
 *                   buffers: the slow-reader test)
 *   "info"          "peer: ADDR\nsize: WxH\nterm: TYPE\n> "
 * All text goes through comm_write, so "\n" leaves as CR LF.
 */
#include <config.h>
#include "../src/comm.h"
#include "../src/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_PROMPT "> "
#define ECHO_FLOOD_MAX 1000000L

/* Per connection.  Owned by the connection: allocated on connect, freed
 * in on_close (comm frees the connection right after). */
typedef struct echo_session {
    bool awaiting_password;
} echo_session_t;

static bool line_is(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len == n && memcmp(line, word, n) == 0;
}

static void echo_on_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    echo_session_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        comm_close(conn);
        return;
    }
    comm_set_user_data(conn, s);
    comm_printf(conn, "Welcome to the echo test.\n" ECHO_PROMPT);
}

/* "flood N": N lines of 80 characters (79 + '\n'), stopping early once
 * comm_write refuses (the output cap was hit and the connection is being
 * closed). */
static void echo_flood(comm_conn_t *conn, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || n < 0 || n > ECHO_FLOOD_MAX) {
        comm_printf(conn, "flood: expected a count 0-%ld\n" ECHO_PROMPT, ECHO_FLOOD_MAX);
        return;
    }
    char row[81];
    for (long i = 0; i < n; i++) {
        int len = snprintf(row, sizeof(row), "%08ld ", i);
        memset(row + len, 'x', 79 - (size_t)len);
        row[79] = '\n';
        if (!comm_write(conn, row, 80))
            return;
    }
    comm_write(conn, ECHO_PROMPT, strlen(ECHO_PROMPT));
}

static void echo_on_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)ctx;
    echo_session_t *s = comm_get_user_data(conn);
    if (s != NULL && s->awaiting_password) {
        s->awaiting_password = false;
        comm_set_echo(conn, true);
        comm_printf(conn, "secret accepted\n" ECHO_PROMPT);
        return;
    }
    if (line_is(line, len, "quit")) {
        comm_printf(conn, "bye\n");
        comm_close(conn);
        return;
    }
    if (line_is(line, len, "password")) {
        if (s != NULL)
            s->awaiting_password = true;
        comm_set_echo(conn, false);
        comm_printf(conn, "pw> ");
        return;
    }
    if (len > 6 && memcmp(line, "flood ", 6) == 0 && memchr(line, '\0', len) == NULL) {
        echo_flood(conn, line + 6);
        return;
    }
    if (line_is(line, len, "info")) {
        comm_printf(conn, "peer: %s\nsize: %dx%d\nterm: %s\n" ECHO_PROMPT,
                    comm_peer_address(conn), comm_window_width(conn),
                    comm_window_height(conn), comm_terminal_type(conn));
        return;
    }
    comm_write(conn, "echo: ", 6);
    comm_write(conn, line, len);
    comm_write(conn, "\n" ECHO_PROMPT, 1 + strlen(ECHO_PROMPT));
}

static void echo_on_close(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    free(comm_get_user_data(conn));
    comm_set_user_data(conn, NULL);
}

static int echo_start(const driver_config_t *cfg, const driver_options_t *opts,
                      comm_handler_t *handler)
{
    (void)cfg;
    (void)opts;
    handler->on_connect = echo_on_connect;
    handler->on_line = echo_on_line;
    handler->on_close = echo_on_close;
    handler->ctx = NULL;
    return 0;
}

static void echo_stop(void)
{
}

static const driver_app_t echo_app = {
    "neolith_echo",
    echo_start,
    echo_stop,
};

int main(int argc, char **argv)
{
    return driver_main(argc, argv, &echo_app);
}
