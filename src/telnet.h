/*
 * telnet.h - the telnet protocol of one connection, without the socket.
 *
 * A telnet session turns the bytes a client sends into input lines and
 * the text the driver writes into bytes for the client.  It never touches
 * a socket: received bytes are fed in with telnet_session_feed(), and
 * every byte for the peer (replies to option negotiation, escaped text)
 * comes out through the `send` callback.  That keeps it unit-testable
 * byte for byte; comm.c owns the socket and the buffers.
 *
 * The protocol engine is libtelnet: it strips IAC sequences (IAC IAC is a
 * data byte 0xFF), runs the RFC 1143 option negotiation and parses
 * subnegotiations.  What we add:
 *
 *  - Options.  The peer may enable NAWS and TTYPE on its side (we ask for
 *    both at start) and SGA on ours; ECHO is ours to offer, only for
 *    password input (telnet_session_set_echo).  Anything else the peer
 *    offers or asks for is refused (DONT / WONT).
 *
 *  - Line assembly.  LF, CR LF and CR NUL end a line.  A CR followed by
 *    any other byte also ends the line (some clients send a bare CR for
 *    Enter); that byte then starts the next line.  The line is delivered
 *    as soon as its CR arrives, and an LF or NUL that follows the CR is
 *    swallowed, so CR LF split across two reads is still one line and a
 *    bare CR never waits for more input.
 *
 *  - Line length.  A line longer than max_line bytes is cut: the first
 *    max_line bytes are kept, the `line_too_long` callback fires once (at
 *    the moment the limit is crossed, so the user is told at once), the
 *    rest is discarded up to the end of the line, and at the end of the
 *    line the cut line is delivered like any other.  Memory per session is
 *    bounded by max_line whatever the client sends.
 *
 *  - Output.  telnet_session_send_text() sends "\n" as CR LF, keeps an
 *    existing CR LF as it is, sends a bare CR as CR NUL (RFC 854) and
 *    doubles IAC bytes.
 *
 *  - Compression.  libtelnet, when built with zlib (Debian's is), starts
 *    inflating a peer's input as soon as the peer sends SB COMPRESS2,
 *    whether or not it was negotiated.  We never offer MCCP, so a client
 *    that does this is broken or hostile: the session reports a protocol
 *    error and ignores everything after it.
 *
 * Names: libtelnet owns the telnet_* namespace (telnet_init, telnet_send,
 * telnet_recv, and newer releases add telnet_send_text), so everything
 * here is telnet_session_*.
 *
 * A session belongs to one thread (the main loop).  Callbacks run inside
 * telnet_session_feed(), telnet_session_send_text() and the other calls
 * that send; they must not destroy the session.
 */
#ifndef NEOLITH_TELNET_H
#define NEOLITH_TELNET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct telnet_session telnet_session_t;

typedef struct telnet_session_callbacks {
    /* Bytes for the peer, already in wire form.  Required. */
    void (*send)(void *ctx, const char *data, size_t len);
    /* One complete input line without its terminator.  `line` is
     * NUL-terminated but may contain NUL bytes: use len.  Valid only
     * during the call.  Required. */
    void (*line)(void *ctx, const char *line, size_t len);
    /* The line being assembled crossed max_line bytes and is being cut.
     * Optional. */
    void (*line_too_long)(void *ctx, size_t max_line);
    /* NAWS: the client's window is width x height (0 = unknown).
     * Optional. */
    void (*window_size)(void *ctx, int width, int height);
    /* TTYPE IS: the client's terminal type, printable ASCII, at most
     * TELNET_SESSION_TTYPE_MAX bytes.  Optional. */
    void (*terminal_type)(void *ctx, const char *name);
    /* The peer broke the protocol in a way we cannot recover from
     * (compressed input we never negotiated).  The session ignores all
     * further input; the owner should close the connection.  Optional. */
    void (*protocol_error)(void *ctx, const char *what);
} telnet_session_callbacks_t;

#define TELNET_SESSION_TTYPE_MAX 63

/* Creates a session.  `callbacks` is copied; `ctx` is passed to every
 * callback.  max_line: longest input line in bytes (at least 1).
 * Returns NULL when out of memory. */
telnet_session_t *telnet_session_create(const telnet_session_callbacks_t *callbacks,
                                        void *ctx, size_t max_line);

/* Frees the session.  Sends nothing.  NULL is ignored. */
void telnet_session_destroy(telnet_session_t *session);

/* Opens negotiation: asks the client for NAWS and TTYPE (IAC DO NAWS,
 * IAC DO TTYPE).  Call once, right after create. */
void telnet_session_start(telnet_session_t *session);

/* Feeds bytes received from the peer.  Calls `line` for every line they
 * complete, `send` for negotiation replies. */
void telnet_session_feed(telnet_session_t *session, const char *data, size_t len);

/* Sends text: "\n" -> CR LF, bare CR -> CR NUL, IAC -> IAC IAC. */
void telnet_session_send_text(telnet_session_t *session, const char *text, size_t len);

/* Password input.  echo_on = false: IAC WILL ECHO (the client stops
 * echoing locally and we do not echo either); true: IAC WONT ECHO.
 * Repeating the current state sends nothing. */
void telnet_session_set_echo(telnet_session_t *session, bool echo_on);

/* True after protocol_error was reported. */
bool telnet_session_failed(const telnet_session_t *session);

/* What the peer told us so far. */
int         telnet_session_width(const telnet_session_t *session);   /* 0: unknown */
int         telnet_session_height(const telnet_session_t *session);  /* 0: unknown */
const char *telnet_session_terminal_type(const telnet_session_t *session); /* "" unknown */

#endif /* NEOLITH_TELNET_H */
