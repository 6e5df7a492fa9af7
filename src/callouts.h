/*
 * callouts.h - timers for LPC: call_out / remove_call_out /
 * find_call_out, heart beats, and the periodic reset().  Every one is a
 * backend timer (backend_timer_add): no fixed tick, an idle driver
 * sleeps until the next deadline.
 *
 *  - call_out(fn, delay, args...): delay in seconds, int or float
 *    (0.1 = 100 ms); fn a function name in this_object() or a function
 *    pointer.  this_player() during the call is the command giver at
 *    the time call_out was called (MudOS), or 0 if it is gone.
 *  - set_heart_beat(flag): heart_beat() every "heartbeat interval" ms
 *    while flag is non-zero; this_player() is the object when it is
 *    living.  An error in heart_beat() turns the heart beat off.
 *  - reset(): every "reset interval" seconds each loaded object gets
 *    reset() (0: never).
 *
 * Main thread only.
 */
#ifndef NEOLITH_CALLOUTS_H
#define NEOLITH_CALLOUTS_H

#include "lpc/lpc_vm.h"

/* Records the heart beat interval (its timer runs only while some object
 * has a heart beat) and starts the reset timer. */
int  callouts_start(int heartbeat_ms, int reset_seconds);
/* Cancels every timer and frees every call_out. */
void callouts_stop(void);
/* Destruct clean-up: ob's call_outs and heart beat. */
void callouts_forget(lpc_object_t *ob);

void callouts_register_efuns(void);

#endif /* NEOLITH_CALLOUTS_H */
