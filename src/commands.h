/*
 * commands.h - living objects and their commands: enable_commands,
 * living, set_living_name, find_living, find_player, add_action,
 * notify_fail, query_verb, command, and the command parser the
 * application runs on each input line.
 *
 * Actions live on the living object that may use them (its list in
 * world_data_t); each names the object that added it (its owner).  They
 * are added by the owner's init(), which move_object calls when objects
 * meet, and dropped when the owner and the living part (world.c) or the
 * owner is destructed.
 *
 * this_player() is the "command giver": the living whose command runs,
 * the living an init() is called for, the interactive whose input is
 * handled, or the object whose heart beat / call_out runs.
 *
 * Main thread only.
 */
#ifndef NEOLITH_COMMANDS_H
#define NEOLITH_COMMANDS_H

#include "lpc/lpc_vm.h"

#include <stdbool.h>

/* this_player(): the command giver, or NULL. */
lpc_object_t *commands_this_player(void);
/* Sets the command giver and returns the previous one. */
lpc_object_t *commands_set_this_player(lpc_object_t *ob);

/* Parses `line` as a command of `ob` and runs the matching action.
 * Returns true when an action took it; false after telling ob the
 * notify_fail message or "What?".  Raises LPC errors (call it
 * protected). */
bool commands_execute(lpc_vm_t *vm, lpc_object_t *ob, const char *line);

/* After `moved` moved: every living drops the actions whose owner is
 * no longer near it (the living itself, its environment, its inventory,
 * or beside it in the same environment). */
void commands_drop_distant(lpc_object_t *moved);
/* Destruct clean-up: every action owned by ob, ob's own list, the
 * living registry entry, and this_player if it is ob. */
void commands_forget(lpc_object_t *ob);

/* After an error unwound a command: drops the verb / notify_fail state
 * the unwinding skipped. */
void commands_reset_top_level(void);

void commands_register_efuns(void);

#endif /* NEOLITH_COMMANDS_H */
