/*
 * comm.h - telnet connections: listeners, input lines, buffered output.
 *
 * The telnet protocol itself is libtelnet's; comm feeds it bytes and acts
 * on its events: data bytes are assembled into lines (CR LF, CR NUL and
 * LF all end a line), IAC sequences never reach the application, ECHO is
 * negotiated for password input, NAWS and TTYPE are recorded, any other
 * option the client offers is refused.
 *
 * Input: each readable event reads a bounded amount; complete lines are
 * queued per connection.  Once per loop turn comm_process_input() hands
 * each connection at most one queued line (fair: a flood from one client
 * cannot starve the others).  A line longer than "max input line length"
 * is cut at the maximum, the rest of it discarded, and the user told.
 *
 * Output: comm_write() appends to the connection's buffer; comm_flush(),
 * once per turn, writes each buffer with one send where possible (a reply
 * and its prompt leave together; TCP_NODELAY is set, so nothing waits for
 * Nagle).  What the socket does not take waits for writability.  A
 * client that stops reading and lets its buffer exceed "max output
 * buffered" is disconnected with a log line: it can neither block the
 * driver nor grow memory without bound.
 *
 * Main thread only.
 */
#ifndef NEOLITH_COMM_H
#define NEOLITH_COMM_H

#include "config.h"
#include "log.h"        /* LOG_PRINTF_FORMAT */

#include <stdbool.h>
#include <stddef.h>

typedef struct comm_conn comm_conn_t;

/* What the application (the LPC runtime; in tests an echo handler) is
 * told.  All callbacks run on the main thread, from comm_process_input()
 * or the loop's socket dispatch.  A callback may call comm_write,
 * comm_close and the setters on any connection. */
typedef struct comm_handler {
    void (*on_connect)(comm_conn_t *conn, void *ctx);
    /* One input line without its terminator; `line` is NUL-terminated for
     * convenience but may contain NUL bytes: use len. */
    void (*on_line)(comm_conn_t *conn, const char *line, size_t len, void *ctx);
    /* The connection is gone (peer closed, reset, comm_close, output
     * overflow, shutdown).  conn is freed right after this returns. */
    void (*on_close)(comm_conn_t *conn, void *ctx);
    void *ctx;
} comm_handler_t;

/* Opens the listeners of cfg (port 0: none; bind address NULL: IPv4 and
 * IPv6 on every interface) and registers them with the backend.  Returns
 * 0, or -1 after logging why (port in use, bad address). */
int  comm_init(const driver_config_t *cfg, const comm_handler_t *handler);

/* The port listened on, or 0 when there is no listener. */
int  comm_listen_port(void);

/* Stops accepting: closes the listeners.  Connections stay. */
void comm_stop_listening(void);

/* Flushes what it can within deadline_ms, then closes every connection
 * (on_close is called for each) and frees everything. */
void comm_shutdown(int deadline_ms);

/* Per-turn work, called by the backend. */
void comm_process_input(void);   /* at most one line per connection */
bool comm_has_pending_input(void);  /* lines queued: the loop must not sleep */
void comm_flush(void);            /* write buffered output */

/* ---- per connection ------------------------------------------------ */

/* Queues text for the client ("\n" is sent as CR LF, IAC bytes are
 * escaped).  Returns false if the connection is closing or this write
 * overflowed its cap (the connection is then closed after the turn). */
bool comm_write(comm_conn_t *conn, const char *data, size_t len);
bool comm_printf(comm_conn_t *conn, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(LOG_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* Closes after pending output is flushed (on_close follows). */
void comm_close(comm_conn_t *conn);

/* Password input: echo off = the server says WILL ECHO and does not echo
 * (the client stops echoing locally); on = WONT ECHO. */
void comm_set_echo(comm_conn_t *conn, bool echo_on);

void  comm_set_user_data(comm_conn_t *conn, void *data);
void *comm_get_user_data(const comm_conn_t *conn);

const char *comm_peer_address(const comm_conn_t *conn);  /* "127.0.0.1" */
int         comm_peer_port(const comm_conn_t *conn);
int         comm_window_width(const comm_conn_t *conn);  /* NAWS, 0 unknown */
int         comm_window_height(const comm_conn_t *conn);
const char *comm_terminal_type(const comm_conn_t *conn); /* TTYPE, "" unknown */
double      comm_idle_seconds(const comm_conn_t *conn);   /* since last input line */
size_t      comm_output_pending(const comm_conn_t *conn);
size_t      comm_connection_count(void);

#endif /* NEOLITH_COMM_H */
