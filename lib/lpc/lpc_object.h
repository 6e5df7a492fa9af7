/*
 * lpc_object.h - LPC objects: the object table, master copies and clones,
 * loading, cloning, destructing.
 *
 * An object is an instance of a compiled program: its global variables
 * plus a name.  The master copy of "/std/room.c" is named "/std/room";
 * clones are "/std/room#1", "/std/room#2", ... (numbers never reused in a
 * run).  The object table maps names to live objects and holds one
 * reference to each; destruct() removes the object from the table,
 * releases its variables and marks it destructed, after which every value
 * that still points at it reads as 0 (lpc_value_fix_destructed).  The
 * struct itself is freed when its last reference goes.
 *
 * The program cache is the table of master objects: loading a path whose
 * master exists reuses its program; inheriting a file loads (and keeps)
 * its master.  Recompiling ("update") is destruct + load: clones of the
 * old master keep the old program alive by reference count until they go.
 *
 * Single-threaded.
 */
#ifndef LPC_OBJECT_H
#define LPC_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpc_value.h"

typedef struct lpc_vm lpc_vm_t;
typedef struct lpc_program lpc_program_t;

#define LPC_OBJ_DESTRUCTED 0x01
#define LPC_OBJ_CLONE      0x02
#define LPC_OBJ_CREATED    0x04   /* create() has been called */

struct lpc_object {
    uint32_t ref;
    uint32_t flags;            /* LPC_OBJ_* */
    lpc_program_t *prog;       /* owned reference, kept until the struct is
                                  freed (frames may still run its code) */
    lpc_string_t *name;        /* "/std/room" or "/std/room#3", owned */
    lpc_value_t *vars;         /* prog->num_vars_total slots, owned; the
                                  array outlives destruct (values reset
                                  to 0) so that running frames stay valid */
    uint32_t num_vars;
    uint64_t clone_no;         /* 0 for a master */
    struct lpc_object *hash_next;   /* object table chain */
    struct lpc_object *next, *prev; /* list of live objects, load order */
    void *driver_data;         /* for the driver (interactive, heart
                                  beat, ...); the library never reads it */
};

/* The object's name, with its leading slash ("/std/room", "/obj/x#3").
 * Borrowed. */
static inline const lpc_string_t *lpc_object_name(const lpc_object_t *o)
{
    return o->name;
}

/* Finds a loaded object by name ("/a/b", "a/b", "/a/b.c" and "/a/b#3"
 * are accepted and normalised).  Borrowed pointer or NULL. */
lpc_object_t *lpc_object_find(lpc_vm_t *vm, const char *name);

/* find_object, then compile and load the master copy when absent
 * (running its variable initialisers and create()).  Raises an LPC error
 * when the file cannot be compiled (the message names the first compile
 * error) or create() fails (the object is destructed).  Borrowed pointer
 * (the object table owns the object); NULL when create() destructed it. */
lpc_object_t *lpc_object_load(lpc_vm_t *vm, const char *name);

/* A new clone of `name` (loading the master first); create(args...) has
 * run (args borrowed).  Returns a NEW reference (the table holds
 * another), or NULL when create() destructed it.  Raises LPC errors. */
lpc_object_t *lpc_object_clone(lpc_vm_t *vm, const char *name,
                               const lpc_value_t *args, int nargs);

/* Destructs `o` (no-op if already destructed). */
void lpc_object_destruct(lpc_vm_t *vm, lpc_object_t *o);

/* Iteration over live objects in load order: first, then next (NULL at
 * the end).  Do not destruct while iterating unless you fetched next
 * first. */
lpc_object_t *lpc_object_first(lpc_vm_t *vm);
static inline lpc_object_t *lpc_object_next(const lpc_object_t *o) { return o->next; }

/* For the compiler: the program of `name`'s master object, loading it
 * when needed, as a NEW reference.  Never raises: on failure returns NULL
 * with the reason in err. */
lpc_program_t *lpc_object_inherit_program(lpc_vm_t *vm, const char *name,
                                          char *err, size_t errsize);

/* Normalises an object or file name into buf: leading '/', no ".c", no
 * "//" or "/./"; ".." is rejected.  Returns false when the name is not
 * acceptable. */
bool lpc_object_normalize_name(const char *name, char *buf, size_t size);

#endif /* LPC_OBJECT_H */
