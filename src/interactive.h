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
 * Main thread only.
 */
#ifndef NEOLITH_INTERACTIVE_H
#define NEOLITH_INTERACTIVE_H

#include "comm.h"
#include "lpc/lpc_vm.h"

#include <stdbool.h>

typedef struct interactive {
    comm_conn_t *conn;
    lpc_object_t *ob;            /* borrowed; NULL once unbound */
    lpc_value_t input_fn;        /* pending input_to: string or function */
    lpc_object_t *input_ob;      /* whose function (string form) */
    lpc_value_t input_args;      /* array of extra arguments, or 0 */
    bool input_pending;
    bool input_noecho;
} interactive_t;

/* A new binding of conn to ob (ob becomes interactive). */
interactive_t *interactive_bind(comm_conn_t *conn, lpc_object_t *ob);
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
