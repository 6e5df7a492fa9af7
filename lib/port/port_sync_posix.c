/*
 * port_sync_posix.c - mutex and condition variable on pthreads.
 *
 * Timed waits run on CLOCK_MONOTONIC: pthread_condattr_setclock where the
 * system has it (Linux, the BSDs), pthread_cond_timedwait_relative_np on
 * macOS, which lacks it.
 */
#include "config.h"
#include "port/port_sync.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int port_mutex_init(port_mutex_t *m)
{
    return pthread_mutex_init(&m->mutex, NULL);
}

void port_mutex_destroy(port_mutex_t *m)
{
    pthread_mutex_destroy(&m->mutex);
}

void port_mutex_lock(port_mutex_t *m)
{
    if (pthread_mutex_lock(&m->mutex) != 0)
        abort();  /* only possible on a corrupted or destroyed mutex */
}

bool port_mutex_trylock(port_mutex_t *m)
{
    return pthread_mutex_trylock(&m->mutex) == 0;
}

void port_mutex_unlock(port_mutex_t *m)
{
    pthread_mutex_unlock(&m->mutex);
}

int port_cond_init(port_cond_t *c)
{
#if defined(HAVE_PTHREAD_CONDATTR_SETCLOCK) && !defined(__APPLE__)
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&c->cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
#else
    return pthread_cond_init(&c->cond, NULL);
#endif
}

void port_cond_destroy(port_cond_t *c)
{
    pthread_cond_destroy(&c->cond);
}

void port_cond_wait(port_cond_t *c, port_mutex_t *m)
{
    pthread_cond_wait(&c->cond, &m->mutex);
}

bool port_cond_wait_until(port_cond_t *c, port_mutex_t *m, int64_t deadline_ns)
{
    if (deadline_ns == PORT_DEADLINE_NEVER) {
        pthread_cond_wait(&c->cond, &m->mutex);
        return true;
    }
#if defined(__APPLE__)
    int64_t left = port_deadline_remaining_ns(deadline_ns);
    if (left <= 0)
        return false;
    struct timespec rel = { (time_t)(left / PORT_NS_PER_SEC),
                            (long)(left % PORT_NS_PER_SEC) };
    return pthread_cond_timedwait_relative_np(&c->cond, &m->mutex, &rel) != ETIMEDOUT;
#else
    struct timespec abs = { (time_t)(deadline_ns / PORT_NS_PER_SEC),
                            (long)(deadline_ns % PORT_NS_PER_SEC) };
    return pthread_cond_timedwait(&c->cond, &m->mutex, &abs) != ETIMEDOUT;
#endif
}

void port_cond_signal(port_cond_t *c)
{
    pthread_cond_signal(&c->cond);
}

void port_cond_broadcast(port_cond_t *c)
{
    pthread_cond_broadcast(&c->cond);
}
