/*
 * port_sync_win32.c - mutex and condition variable on SRWLOCK and
 * CONDITION_VARIABLE (Vista and later).
 *
 * Neither object owns kernel resources, so init cannot fail and destroy
 * has nothing to free.  An SRWLOCK is not recursive, like the default
 * pthread mutex.
 *
 * Timed waits: SleepConditionVariableSRW takes a relative timeout in whole
 * milliseconds measured on the system tick, not on port_clock's
 * QueryPerformanceCounter.  The time left is rounded UP to milliseconds
 * (never down to 0, which would spin), and an OS timeout that fires before
 * our monotonic deadline has passed is not reported: the wait goes round
 * with what is left.  So port_cond_wait_until returns false only once
 * port_deadline_expired(deadline) is true, as on POSIX.
 */
#include "config.h"
#include "port/port_sync.h"
#include "port/port_clock.h"

int port_mutex_init(port_mutex_t *m)
{
    InitializeSRWLock(&m->lock);
    return 0;
}

void port_mutex_destroy(port_mutex_t *m)
{
    (void)m;  /* an SRWLOCK holds no resources */
}

void port_mutex_lock(port_mutex_t *m)
{
    AcquireSRWLockExclusive(&m->lock);
}

bool port_mutex_trylock(port_mutex_t *m)
{
    return TryAcquireSRWLockExclusive(&m->lock) != 0;
}

void port_mutex_unlock(port_mutex_t *m)
{
    ReleaseSRWLockExclusive(&m->lock);
}

int port_cond_init(port_cond_t *c)
{
    InitializeConditionVariable(&c->cv);
    return 0;
}

void port_cond_destroy(port_cond_t *c)
{
    (void)c;  /* a CONDITION_VARIABLE holds no resources */
}

void port_cond_wait(port_cond_t *c, port_mutex_t *m)
{
    SleepConditionVariableSRW(&c->cv, &m->lock, INFINITE, 0);
}

bool port_cond_wait_until(port_cond_t *c, port_mutex_t *m, int64_t deadline_ns)
{
    if (deadline_ns == PORT_DEADLINE_NEVER) {
        port_cond_wait(c, m);
        return true;
    }
    for (;;) {
        int64_t ms = port_deadline_remaining_ms_ceil(deadline_ns);
        if (ms == 0)
            return false;
        /* INFINITE is 0xFFFFFFFF: stay below it; a wait of ~49 days that
         * ends goes round for the rest. */
        DWORD wait_ms = ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms;
        if (SleepConditionVariableSRW(&c->cv, &m->lock, wait_ms, 0))
            return true;   /* woken (maybe spuriously): caller re-checks */
        if (GetLastError() != ERROR_TIMEOUT)
            return true;   /* cannot happen; treat as a spurious wake-up */
        /* The tick-based timer said "time's up": believe only our clock. */
    }
}

void port_cond_signal(port_cond_t *c)
{
    WakeConditionVariable(&c->cv);
}

void port_cond_broadcast(port_cond_t *c)
{
    WakeAllConditionVariable(&c->cv);
}
