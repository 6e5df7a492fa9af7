/*
 * console_mode.h - neolith -c: the operator's terminal as an interactive
 * user of the LPC world (docs/manual/console.md, "Driver integration").
 *
 * console_mode_init starts lib/console on the backend's runtime
 * (completion key BACKEND_KEY_CONSOLE, history in <log dir>/
 * console_history); an atexit handler restores the terminal on any
 * other exit.  The application's stop calls console_mode_stop after the
 * backend's shutdown (hooks, master driver_shutdown(), flush), so the
 * operator sees everything the shutdown printed before the terminal is
 * given back.  console_mode_connect (at the first loop turn) asks the
 * master for the console user (connect_console(), else connect(0)),
 * binds it through an
 * interactive sink (interactive.h) and calls its logon().  Lines then
 * take the telnet path (lpc_app_user_line), Tab calls the user's
 * complete(line) apply, and the end of the session (EOF or the user
 * object hanging up) works like a telnet close; with no telnet listener
 * (port 0) the driver then shuts down.
 *
 * Main thread only.
 */
#ifndef NEOLITH_CONSOLE_MODE_H
#define NEOLITH_CONSOLE_MODE_H

#include "config.h"

/* Returns 0, or -1 after logging why. */
int  console_mode_init(const driver_config_t *cfg);
/* Connects the console user in the loop's first turn, after the
 * listeners are open (input typed meanwhile waits and is handled then);
 * call after the LPC runtime is up. */
void console_mode_connect(void);
/* Stops the console if it still runs (idempotent). */
void console_mode_stop(void);

#endif /* NEOLITH_CONSOLE_MODE_H */
