/*
 * port_clock_win32.c - monotonic clock for Windows: QueryPerformanceCounter.
 *
 * QPC never jumps with wall-clock changes and is consistent across
 * processors on every Windows version we support (Vista and later).  The
 * counter frequency is fixed at boot, so it is read once (InitOnce) and
 * cached.  Conversion splits whole seconds from the remainder so that
 * count * 10^9 never overflows, whatever the frequency.
 */
#include "config.h"
#include "port/port_clock.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

static INIT_ONCE qpc_once = INIT_ONCE_STATIC_INIT;
static int64_t qpc_frequency;  /* ticks per second; written once under qpc_once */

static BOOL CALLBACK qpc_frequency_init(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once;
    (void)param;
    (void)context;
    LARGE_INTEGER f;
    /* Cannot fail on XP and later; a zero would divide by zero below. */
    QueryPerformanceFrequency(&f);
    qpc_frequency = f.QuadPart > 0 ? f.QuadPart : 1;
    return TRUE;
}

int64_t port_clock_now_ns(void)
{
    /* InitOnceExecuteOnce orders the write of qpc_frequency before every
     * caller's read (it is a full barrier for the losers too). */
    InitOnceExecuteOnce(&qpc_once, qpc_frequency_init, NULL, NULL);
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    int64_t sec = c.QuadPart / qpc_frequency;
    int64_t rem = c.QuadPart % qpc_frequency;
    return sec * PORT_NS_PER_SEC + rem * PORT_NS_PER_SEC / qpc_frequency;
}
