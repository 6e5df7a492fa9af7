/*
 * port_sync.c - synchronisation built from the per-platform primitives,
 * the same on every platform: events.
 */
#include "config.h"
#include "port/port_sync.h"
#include "port/port_clock.h"

int port_event_init(port_event_t *e, bool manual_reset, bool initially_set)
{
    int rc = port_mutex_init(&e->mutex);
    if (rc != 0)
        return rc;
    rc = port_cond_init(&e->cond);
    if (rc != 0) {
        port_mutex_destroy(&e->mutex);
        return rc;
    }
    e->is_set = initially_set;
    e->manual_reset = manual_reset;
    return 0;
}

void port_event_destroy(port_event_t *e)
{
    port_cond_destroy(&e->cond);
    port_mutex_destroy(&e->mutex);
}

void port_event_set(port_event_t *e)
{
    port_mutex_lock(&e->mutex);
    e->is_set = true;
    /* A manual-reset event releases everyone; an auto-reset one releases
     * exactly one waiter, which clears the flag as it leaves. */
    if (e->manual_reset)
        port_cond_broadcast(&e->cond);
    else
        port_cond_signal(&e->cond);
    port_mutex_unlock(&e->mutex);
}

void port_event_reset(port_event_t *e)
{
    port_mutex_lock(&e->mutex);
    e->is_set = false;
    port_mutex_unlock(&e->mutex);
}

bool port_event_is_set(port_event_t *e)
{
    port_mutex_lock(&e->mutex);
    bool set = e->is_set;
    port_mutex_unlock(&e->mutex);
    return set;
}

bool port_event_wait(port_event_t *e, int64_t timeout_ms)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    port_mutex_lock(&e->mutex);
    while (!e->is_set && timeout_ms != 0) {
        if (!port_cond_wait_until(&e->cond, &e->mutex, deadline))
            break;  /* timed out; is_set is checked once more below */
    }
    bool got = e->is_set;
    if (got && !e->manual_reset)
        e->is_set = false;
    port_mutex_unlock(&e->mutex);
    return got;
}
