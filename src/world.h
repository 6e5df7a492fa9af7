/*
 * world.h - the driver's side of an LPC object: where it is (environment
 * and inventory), whether it is living / interactive, its actions, and
 * the world efuns (environment, move_object, all_inventory,
 * first_inventory, next_inventory, present, deep_inventory).
 *
 * Each object that takes part gets a world_data_t in its driver_data
 * slot, created on first use and freed by world_forget() from the
 * destruct hook.  Pointers between objects here are BORROWED: the
 * destruct hook removes every one of them before the object goes, so
 * none can dangle.
 *
 * Main thread only.
 */
#ifndef NEOLITH_WORLD_H
#define NEOLITH_WORLD_H

#include "lpc/lpc_vm.h"

#include <stdbool.h>

struct interactive;
struct action;

typedef struct world_data {
    lpc_object_t *ob;            /* back pointer (borrowed) */
    lpc_object_t *env;           /* environment or NULL */
    lpc_object_t *contents;      /* first object of the inventory */
    lpc_object_t *next_inv;      /* next sibling in env's inventory */
    struct interactive *user;    /* connection binding (interactive.c) */
    struct action *actions;      /* commands this living can use */
    char *living_name;           /* set_living_name, malloc'd */
    bool living;                 /* enable_commands() */
    bool player;                 /* has been interactive */
    bool heart_beat;             /* in callouts.c's heart beat list */
} world_data_t;

/* The object's data, created when missing (never NULL). */
world_data_t *world_data(lpc_object_t *ob);
/* The object's data or NULL. */
static inline world_data_t *world_peek(const lpc_object_t *ob)
{
    return (world_data_t *)ob->driver_data;
}

/* Destruct clean-up: moves the inventory out to ob's environment (or
 * nowhere), leaves the environment, frees the data. */
void world_forget(lpc_object_t *ob);

/* Registers the world efuns. */
void world_register_efuns(void);

#endif /* NEOLITH_WORLD_H */
