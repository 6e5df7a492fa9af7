/*
 * port_clock.c - deadline arithmetic shared by every platform.  The clock
 * itself is per platform (port_clock_posix.c, port_clock_win32.c).
 */
#include "config.h"
#include "port/port_clock.h"

int64_t port_clock_now_ms(void)
{
    return port_clock_now_ns() / PORT_NS_PER_MS;
}

int64_t port_deadline_after_ns(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return PORT_DEADLINE_NEVER;
    int64_t now = port_clock_now_ns();
    if (timeout_ns > PORT_DEADLINE_NEVER - now)  /* saturate, never wrap */
        return PORT_DEADLINE_NEVER;
    return now + timeout_ns;
}

int64_t port_deadline_after_ms(int64_t timeout_ms)
{
    if (timeout_ms < 0)
        return PORT_DEADLINE_NEVER;
    if (timeout_ms > INT64_MAX / PORT_NS_PER_MS)
        return PORT_DEADLINE_NEVER;
    return port_deadline_after_ns(timeout_ms * PORT_NS_PER_MS);
}

int64_t port_deadline_remaining_ns(int64_t deadline_ns)
{
    if (deadline_ns == PORT_DEADLINE_NEVER)
        return INT64_MAX;
    int64_t left = deadline_ns - port_clock_now_ns();
    return left > 0 ? left : 0;
}

int64_t port_deadline_remaining_ms_ceil(int64_t deadline_ns)
{
    if (deadline_ns == PORT_DEADLINE_NEVER)
        return -1;
    int64_t left = port_deadline_remaining_ns(deadline_ns);
    return (left + PORT_NS_PER_MS - 1) / PORT_NS_PER_MS;
}

bool port_deadline_expired(int64_t deadline_ns)
{
    return deadline_ns != PORT_DEADLINE_NEVER &&
           port_clock_now_ns() >= deadline_ns;
}
