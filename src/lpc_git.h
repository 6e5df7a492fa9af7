/*
 * lpc_git.h - the LPC side of the git update (docs/manual/git-update.md):
 * the reload of changed programs, the master apply mudlib_updated(), and
 * the efun git_update() that lets any mudlib start an update.
 *
 * The update itself (fetch, fast-forward, change list) is src/git_update.h.
 * This module only installs its reload hook and starts requests:
 *
 *   reload   for every update that ended GIT_UPDATE_OK (the timer's too):
 *            the loaded objects whose program read a changed .c/.h file
 *            (directly, through an include or through an inherited
 *            program) are compiled first and, when that worked, updated
 *            the "update" way (destruct + load), inherited programs before
 *            their heirs.  Living objects inside a reloaded object wait in
 *            master->reload_holding_room() meanwhile.  A file that does
 *            not compile is reported and its old object keeps running.
 *            Clones are reported, not reloaded.  Then
 *            master->mudlib_updated(mapping) is told.
 *   efun     git_update(): 1 when the update started, else a string saying
 *            why not.  Progress ("[git] Receiving objects: 45% (9/20)") and
 *            the result go to this_player() of the call.
 *
 * Main thread only.
 */
#ifndef NEOLITH_LPC_GIT_H
#define NEOLITH_LPC_GIT_H

#include "config.h"

/* Registers the efun git_update(); before the mudlib is compiled. */
void lpc_git_register_efuns(void);

/* git_update_init(cfg) and the reload hook; after the master is loaded.
 * Returns 0, or -1 when the git update module did not start (logged; the
 * game runs without it). */
int lpc_git_start(const driver_config_t *cfg);

#endif /* NEOLITH_LPC_GIT_H */
