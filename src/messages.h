/*
 * messages.h - text to objects: write (the VM's output hook), tell_object,
 * say, tell_room, shout, message, and printf through write.
 *
 * Delivery to one object (messages_tell): an object that defines
 * catch_tell(string) gets it called; otherwise an interactive object's
 * connection gets the text; anything else drops it.  message() calls
 * receive_message(class, msg) when the object defines it, else delivers
 * as above.
 *
 * Main thread only.
 */
#ifndef NEOLITH_MESSAGES_H
#define NEOLITH_MESSAGES_H

#include "lpc/lpc_vm.h"

#include <stddef.h>

/* Delivers text to ob (see above).  May run LPC (catch_tell): raises
 * errors. */
void messages_tell(lpc_vm_t *vm, lpc_object_t *ob, const char *text, size_t len);

/* The VM's output hook: write() and printf() go to this_player. */
void messages_output(void *ctx, const char *data, size_t len);

void messages_register_efuns(void);

#endif /* NEOLITH_MESSAGES_H */
