/*
 * lpc_app.h - the shipped driver's application: the LPC runtime on a
 * mudlib (docs/manual/mudlib.md "Driver applies").
 *
 * start: the LPC runtime with a reader confined to the mudlib folder
 * (no "..", no symlink out of it), the driver efuns, the simul_efun and
 * master objects from the config, master->epilog() and a preload of each
 * file it lists, timers, the git update with its reload (lpc_git.h).
 * Connections: master->connect(port) gives the
 * login object, which becomes interactive and gets logon().  Lines go to
 * a pending input_to, else the process_input apply, else the command
 * parser; then write_prompt().  Closing: net_dead().  Shutdown: master
 * driver_shutdown(), then every object is destructed.
 *
 * Main thread only.
 */
#ifndef NEOLITH_LPC_APP_H
#define NEOLITH_LPC_APP_H

#include "driver.h"
#include "lpc/lpc_vm.h"

#include <stdbool.h>

extern const driver_app_t lpc_app;

/* The world's VM (NULL before start / after stop). */
lpc_vm_t *lpc_app_vm(void);

/* Runs fn(vm, arg) as a top-level evaluation (fresh eval budget) with
 * this_player `player`.  An error is reported to the player (the
 * master's error_handler's string, else "Something went wrong: ...")
 * and logged; returns false then. */
bool lpc_app_run(lpc_object_t *player, void (*fn)(lpc_vm_t *vm, void *arg), void *arg);

/* Top-level apply: ob->fname(args) under lpc_app_run; *ret (may be
 * NULL) gets the result, owned.  Returns true when it ran without error
 * (found or not). */
bool lpc_app_apply(lpc_object_t *player, lpc_object_t *ob, const char *fname,
                   const lpc_value_t *args, int nargs, lpc_value_t *ret);

/* Told of every destruct (a reload destructs the old object first),
 * before the object is marked destructed: its name and flags are still
 * there.  Must not run LPC code (only note what to do later).  One
 * observer at a time (the MCP provider while its server runs); NULL
 * removes it. */
typedef void (*lpc_app_destruct_observer_fn)(lpc_object_t *ob);
void lpc_app_set_destruct_observer(lpc_app_destruct_observer_fn fn);

/* A user's input line and a user's hang-up, as for a telnet connection
 * (input_to, process_input or a command, then write_prompt; net_dead).
 * For other sinks than telnet: the console (console_mode.c).
 * lpc_app_user_gone releases ia. */
typedef struct interactive interactive_t;
void lpc_app_user_line(interactive_t *ia, const char *line);
void lpc_app_user_gone(interactive_t *ia);

#endif /* NEOLITH_LPC_APP_H */
