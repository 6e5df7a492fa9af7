/*
 * interactive.h - interactive objects: the binding between an LPC object
 * and a telnet connection (comm.h), input_to, and the efuns exec,
 * input_to, interactive, users, query_idle, query_ip_number,
 * this_interactive, receive.
 *
 * An interactive_t is the connection's user data; the object's
 * world_data_t points at it while they are bound.  Destructing the
 * object closes the connection; closing the connection unbinds the
 * object (which stays, link-dead, after its net_dead() apply).
 *
 * Where an interactive's text goes is a sink: a telnet connection
 * (interactive_bind) or the operator's console (interactive_bind_sink,
 * src/console_mode.c).  Everything that talks to "the user's connection"
 * goes through interactive_write / _set_echo / _close, never to comm
 * directly.
 *
 * Main thread only.
 */
#ifndef NEOLITH_INTERACTIVE_H
#define NEOLITH_INTERACTIVE_H

#include "comm.h"
#include "lpc/lpc_vm.h"

#include <stdbool.h>

/* What an interactive's output goes to.  Every function gets the sink's
 * ctx.  set_prompt may be NULL: the prompt is then written as text. */
typedef struct interactive_sink {
    void (*write)(void *ctx, const char *text, size_t len);
    void (*set_echo)(void *ctx, bool on);
    void (*set_prompt)(void *ctx, const char *prompt);
    /* Hangs up; the sink's owner later calls interactive_release. */
    void (*close)(void *ctx);
    double (*idle_seconds)(void *ctx);
    const char *(*peer_address)(void *ctx);
} interactive_sink_t;

typedef struct interactive {
    comm_conn_t *conn;           /* telnet: the connection; else NULL */
    const interactive_sink_t *sink;
    void *sink_ctx;              /* the sink's; conn for telnet */
    lpc_object_t *ob;            /* borrowed; NULL once unbound */
    lpc_value_t input_fn;        /* pending input_to: string or function */
    lpc_object_t *input_ob;      /* whose function (string form) */
    lpc_value_t input_args;      /* array of extra arguments, or 0 */
    bool input_pending;
    bool input_noecho;
} interactive_t;

/* A new binding of conn to ob (ob becomes interactive). */
interactive_t *interactive_bind(comm_conn_t *conn, lpc_object_t *ob);
/* A new binding of ob to another sink (the console).  ctx is the
 * sink's, borrowed. */
interactive_t *interactive_bind_sink(const interactive_sink_t *sink, void *ctx,
                                     lpc_object_t *ob);
/* Output, echo and hang-up through ia's sink. */
void interactive_write(interactive_t *ia, const char *text, size_t len);
void interactive_printf(interactive_t *ia, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(LOG_PRINTF_FORMAT, 2, 3)))
#endif
    ;
void interactive_set_echo(interactive_t *ia, bool on);
/* Runs ob->fname() (write_prompt after each line, logon for the
 * console) for a sink with set_prompt: what it writes is collected; its
 * whole lines are then written, and the text after the last newline
 * becomes the sink's prompt (unless an input_to waits: then it is that
 * question and is written as text).  Other sinks: a plain apply. */
void interactive_apply_prompting(lpc_object_t *ob, const char *fname);
/* The connection is gone: unbinds and frees (the caller ran net_dead). */
void interactive_release(interactive_t *ia);
/* The interactive of ob, or NULL. */
interactive_t *interactive_of(const lpc_object_t *ob);

/* Takes the pending input_to (if any) and calls it with line, as
 * this_player ob.  Returns false when there was none.  Raises errors. */
bool interactive_run_input_to(lpc_vm_t *vm, interactive_t *ia, const char *line);

/* this_interactive(): the user whose input is being handled. */
lpc_object_t *interactive_this_interactive(void);
void interactive_set_this_interactive(lpc_object_t *ob);

/* Destruct clean-up: closes ob's connection (if any). */
void interactive_forget(lpc_object_t *ob);

void interactive_register_efuns(void);

#endif /* NEOLITH_INTERACTIVE_H */
