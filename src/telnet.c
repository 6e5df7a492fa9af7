/*
 * telnet.c - the telnet protocol of one connection (see telnet.h).
 *
 * libtelnet does the protocol: it hands us DATA events (IAC already
 * stripped), SEND events (bytes for the peer), negotiation and
 * subnegotiation events.  This file adds line assembly, the line length
 * limit, our option policy and output escaping.
 */
/* The autoconf header (feature macros such as _GNU_SOURCE) comes first.
 * Angle brackets: "config.h" would find src/config.h, the driver's. */
#include <config.h>

#include "telnet.h"

#include <stddef.h>     /* before libtelnet.h, which uses size_t without it */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

/* The line buffer starts small and doubles up to max_line + 1, so 10,000
 * idle connections do not each hold a max-length buffer. */
#define LINE_BUFFER_INITIAL 128
/* A buffer grown past this by a long line is released after the line. */
#define LINE_BUFFER_KEEP    1024

struct telnet_session {
    telnet_t *telnet;                 /* libtelnet's state; owned */
    telnet_session_callbacks_t cb;
    void *ctx;

    /* Line assembly.  Invariant: line_len <= max_line and, when line is
     * not NULL, line_cap >= line_len + 1 (room for the terminating NUL). */
    char  *line;
    size_t line_len;
    size_t line_cap;
    size_t max_line;
    bool   cutting;     /* over max_line: discarding up to end of line */
    bool   after_cr;    /* last data byte was a CR that ended a line */

    bool   echo_on;     /* what we last told the peer (starts on: WONT) */
    bool   failed;      /* protocol_error reported: input ignored */

    int    width;
    int    height;
    char   ttype[TELNET_SESSION_TTYPE_MAX + 1];
};

/* What we accept when the peer starts a negotiation.  Options we offer
 * ourselves (WILL ECHO for password input) need no entry: libtelnet's
 * RFC 1143 state machine accepts the peer's answer to our own request.
 * ECHO is WONT here so that an unprompted DO ECHO is refused: we only
 * echo-suppress on demand.  Anything not listed is refused. */
static const telnet_telopt_t session_telopts[] = {
    { TELNET_TELOPT_ECHO,  TELNET_WONT, TELNET_DONT },
    { TELNET_TELOPT_SGA,   TELNET_WILL, TELNET_DO   },
    { TELNET_TELOPT_NAWS,  TELNET_WONT, TELNET_DO   },
    { TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO   },
    { -1, 0, 0 }
};

static const char empty_line[1] = "";

/* ---- input: line assembly ------------------------------------------ */

static void session_fail(telnet_session_t *s, const char *what)
{
    if (s->failed)
        return;
    s->failed = true;
    if (s->cb.protocol_error != NULL)
        s->cb.protocol_error(s->ctx, what);
}

/* Makes room for line_len + extra bytes plus a NUL (extra already capped
 * at max_line - line_len).  Returns false when out of memory. */
static bool line_reserve(telnet_session_t *s, size_t extra)
{
    size_t need = s->line_len + extra + 1;
    if (s->line != NULL && need <= s->line_cap)
        return true;
    size_t cap = s->line_cap ? s->line_cap : LINE_BUFFER_INITIAL;
    while (cap < need)
        cap *= 2;
    if (cap > s->max_line + 1)
        cap = s->max_line + 1;
    char *p = realloc(s->line, cap);
    if (p == NULL)
        return false;
    s->line = p;
    s->line_cap = cap;
    return true;
}

/* Appends a run of line bytes (no CR / LF in it), cutting at max_line. */
static void line_append(telnet_session_t *s, const char *data, size_t len)
{
    if (s->cutting || len == 0)
        return;
    size_t room = s->max_line - s->line_len;
    size_t take = len < room ? len : room;
    bool cut = len > room;
    if (take > 0) {
        if (line_reserve(s, take)) {
            memcpy(s->line + s->line_len, data, take);
            s->line_len += take;
        } else {
            /* Out of memory: keep what we have and cut here, as if the
             * line had reached its limit (the user is told either way). */
            cut = true;
        }
    }
    if (cut) {
        s->cutting = true;
        if (s->cb.line_too_long != NULL)
            s->cb.line_too_long(s->ctx, s->max_line);
    }
}

static void line_deliver(telnet_session_t *s)
{
    const char *text = empty_line;
    if (s->line != NULL) {
        s->line[s->line_len] = '\0';
        text = s->line;
    }
    size_t len = s->line_len;
    s->line_len = 0;
    s->cutting = false;
    s->cb.line(s->ctx, text, len);
    /* A long line grew the buffer: give the memory back. */
    if (s->line_cap > LINE_BUFFER_KEEP) {
        free(s->line);
        s->line = NULL;
        s->line_cap = 0;
    }
}

/* Data bytes from libtelnet (IAC sequences already removed). */
static void line_assemble(telnet_session_t *s, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s->after_cr) {
            /* The CR already ended the line: its LF or NUL is part of
             * the same terminator.  Any other byte starts a new line. */
            s->after_cr = false;
            if (data[i] == '\n' || data[i] == '\0') {
                i++;
                continue;
            }
        }
        size_t start = i;
        while (i < len && data[i] != '\n' && data[i] != '\r')
            i++;
        line_append(s, data + start, i - start);
        if (i == len)
            break;
        s->after_cr = (data[i] == '\r');
        i++;
        line_deliver(s);
        if (s->failed)
            return;
    }
}

/* ---- libtelnet events ---------------------------------------------- */

static void session_naws(telnet_session_t *s, const unsigned char *b, size_t size)
{
    if (size != 4)
        return;  /* malformed: ignore, the peer will send another */
    s->width = (b[0] << 8) | b[1];
    s->height = (b[2] << 8) | b[3];
    if (s->cb.window_size != NULL)
        s->cb.window_size(s->ctx, s->width, s->height);
}

static void session_ttype(telnet_session_t *s, const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p != '\0' && n < TELNET_SESSION_TTYPE_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c < 0x7f)
            s->ttype[n++] = (char)c;
    }
    s->ttype[n] = '\0';
    if (s->cb.terminal_type != NULL)
        s->cb.terminal_type(s->ctx, s->ttype);
}

static void session_event(telnet_t *telnet, telnet_event_t *ev, void *user_data)
{
    telnet_session_t *s = user_data;

    switch (ev->type) {
    case TELNET_EV_DATA:
        if (!s->failed)
            line_assemble(s, ev->data.buffer, ev->data.size);
        break;
    case TELNET_EV_SEND:
        s->cb.send(s->ctx, ev->data.buffer, ev->data.size);
        break;
    case TELNET_EV_WILL:
        /* The peer agreed (or offered) to send its terminal type: ask. */
        if (ev->neg.telopt == TELNET_TELOPT_TTYPE)
            telnet_ttype_send(telnet);
        break;
    case TELNET_EV_WONT:
        if (ev->neg.telopt == TELNET_TELOPT_NAWS)
            s->width = s->height = 0;
        break;
    case TELNET_EV_SUBNEGOTIATION:
        if (ev->sub.telopt == TELNET_TELOPT_NAWS)
            session_naws(s, (const unsigned char *)ev->sub.buffer, ev->sub.size);
        break;
    case TELNET_EV_TTYPE:
        if (ev->ttype.cmd == TELNET_TTYPE_IS && ev->ttype.name != NULL)
            session_ttype(s, ev->ttype.name);
        break;
    case TELNET_EV_COMPRESS:
        if (ev->compress.state)
            session_fail(s, "telnet: client sent compressed input (MCCP) that was never negotiated");
        break;
    case TELNET_EV_ERROR:
        session_fail(s, "telnet: unrecoverable protocol error");
        break;
    default:
        /* DO/DONT (libtelnet answers them from the table), IAC commands
         * (NOP, GA, AYT, ...), warnings, ZMP, ENVIRON, MSSP: nothing to
         * do. */
        break;
    }
}

/* ---- public -------------------------------------------------------- */

telnet_session_t *telnet_session_create(const telnet_session_callbacks_t *callbacks,
                                        void *ctx, size_t max_line)
{
    if (callbacks == NULL || callbacks->send == NULL || callbacks->line == NULL)
        return NULL;
    telnet_session_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cb = *callbacks;
    s->ctx = ctx;
    s->max_line = max_line > 0 ? max_line : 1;
    s->echo_on = true;
    s->telnet = telnet_init(session_telopts, session_event, 0, s);
    if (s->telnet == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void telnet_session_destroy(telnet_session_t *session)
{
    if (session == NULL)
        return;
    telnet_free(session->telnet);
    free(session->line);
    free(session);
}

void telnet_session_start(telnet_session_t *session)
{
    telnet_negotiate(session->telnet, TELNET_DO, TELNET_TELOPT_NAWS);
    telnet_negotiate(session->telnet, TELNET_DO, TELNET_TELOPT_TTYPE);
}

void telnet_session_feed(telnet_session_t *session, const char *data, size_t len)
{
    if (session->failed || len == 0)
        return;
    telnet_recv(session->telnet, data, len);
}

void telnet_session_send_text(telnet_session_t *session, const char *text, size_t len)
{
    static const char crlf[2] = { '\r', '\n' };
    static const char crnul[2] = { '\r', '\0' };
    static const char iac[1] = { (char)0xff };
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            if (i > start)
                session->cb.send(session->ctx, text + start, i - start);
            session->cb.send(session->ctx, crlf, 2);
            start = i + 1;
        } else if (c == '\r') {
            if (i > start)
                session->cb.send(session->ctx, text + start, i - start);
            if (i + 1 < len && text[i + 1] == '\n') {
                session->cb.send(session->ctx, crlf, 2);
                i++;
            } else {
                session->cb.send(session->ctx, crnul, 2);
            }
            start = i + 1;
        } else if (c == 0xff) {
            /* Send the run including this IAC, then a second IAC. */
            session->cb.send(session->ctx, text + start, i + 1 - start);
            session->cb.send(session->ctx, iac, 1);
            start = i + 1;
        }
    }
    if (len > start)
        session->cb.send(session->ctx, text + start, len - start);
}

void telnet_session_set_echo(telnet_session_t *session, bool echo_on)
{
    if (session->echo_on == echo_on)
        return;
    session->echo_on = echo_on;
    /* libtelnet's RFC 1143 queue suppresses redundant requests. */
    telnet_negotiate(session->telnet, echo_on ? TELNET_WONT : TELNET_WILL,
                     TELNET_TELOPT_ECHO);
}

bool telnet_session_failed(const telnet_session_t *session)
{
    return session->failed;
}

int telnet_session_width(const telnet_session_t *session)
{
    return session->width;
}

int telnet_session_height(const telnet_session_t *session)
{
    return session->height;
}

const char *telnet_session_terminal_type(const telnet_session_t *session)
{
    return session->ttype;
}
