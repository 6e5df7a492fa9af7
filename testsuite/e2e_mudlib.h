/*
 * e2e_mudlib.h - playing the bundled mudlib (mudlib/) end to end, on top
 * of e2e_util: a temp copy of it with its own config, files of the copy,
 * and a player creating a character with the password typed the way a
 * telnet client does.  Shared by check_mudlib_e2e (src/neolith) and
 * check_wine_e2e (neolith.exe under wine).
 *
 * Every helper fails the running Check test on an unexpected error.
 */
#ifndef E2E_MUDLIB_H
#define E2E_MUDLIB_H

#include "e2e_util.h"

#include <stdbool.h>

#define E2E_NAME_PROMPT "Enter your character's name (a new name creates a character): "
#define E2E_SQUARE "The village square\r\n"

/* The source of a command with a bug, for a test to write as
 * /cmds/oops.c in the copy: `oops` indexes an empty array ("Array index
 * 1 out of bounds (size 0)"). */
extern const char E2E_OOPS_COMMAND[];

/* What of mudlib/ a test does not take: the developer's log/ and saved
 * players, eval scratch files, and the config (each test writes its
 * own).  `rel` as e2e_copy_tree() gives it. */
bool e2e_mudlib_copy_skips(const char *rel);

/* e2e_driver_init(), then d->mudlib (d->dir/mudlib) a copy of the
 * bundled mudlib at `mudlib_src` (without what e2e_mudlib_copy_skips
 * names) and d->conf its /neolith.conf, because the master reads the
 * "admins:" line from there: a comment "# written by <tag>", "mudlib
 * directory: .", the port, bind address 127.0.0.1, "log directory: log"
 * and "admins: root".  The driver is not started. */
void e2e_mudlib_prepare(e2e_driver_t *d, const char *tag, const char *mudlib_src);

/* The file `rel` ("/..." in the mudlib) of the copy (caller frees), or NULL. */
char *e2e_mudlib_read(e2e_driver_t *d, const char *rel);

/* Writes `text` to the file `rel` of the copy. */
void e2e_mudlib_write(e2e_driver_t *d, const char *rel, const char *text);

/* Fails unless `needle` is in `text` (NULL text fails too). */
void e2e_assert_contains(const char *text, const char *needle);

/* Types a password at a no-echo prompt the way a telnet client does:
 * only once the driver has said WILL ECHO for this prompt (one more
 * time than for the passwords typed before on this connection) and not
 * taken it back.  Fails when that does not come within timeout_ms or
 * the connection ends.  c is a PLAYER client. */
void e2e_type_password(e2e_client_t *c, const char *password, int timeout_ms);

/* Connects a PLAYER client and creates the character `name` (lower
 * case) with `password`; returns it once the player stands in the
 * square at the prompt, the password never echoed.  The text from the
 * password to the prompt goes to *welcome (caller frees) unless welcome
 * is NULL.  Each reply is awaited at most timeout_ms. */
e2e_client_t *e2e_create_character(e2e_driver_t *d, const char *name, const char *password,
                                   int timeout_ms, char **welcome);

#endif
