/*
 * port_clock_posix.c - monotonic clock for POSIX systems.
 */
#include "config.h"
#include "port/port_clock.h"

#include <time.h>

int64_t port_clock_now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC exists on Linux, the BSDs and macOS >= 10.12. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * PORT_NS_PER_SEC + ts.tv_nsec;
}
