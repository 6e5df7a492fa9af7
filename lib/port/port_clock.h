/*
 * port_clock.h - monotonic clock and deadline arithmetic.
 *
 * All times are from a monotonic clock (never jumps with wall-clock
 * changes).  Deadlines are absolute monotonic nanoseconds; the value
 * PORT_DEADLINE_NEVER means "no deadline".  Any thread may call these.
 */
#ifndef PORT_CLOCK_H
#define PORT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define PORT_NS_PER_MS  INT64_C(1000000)
#define PORT_NS_PER_US  INT64_C(1000)
#define PORT_NS_PER_SEC INT64_C(1000000000)

/* A deadline that never expires. */
#define PORT_DEADLINE_NEVER INT64_MAX

/* Monotonic time in nanoseconds / milliseconds since an arbitrary origin. */
int64_t port_clock_now_ns(void);
int64_t port_clock_now_ms(void);

/* Absolute deadline timeout_ms from now.  A negative timeout means
 * "forever" and yields PORT_DEADLINE_NEVER; 0 yields "now". */
int64_t port_deadline_after_ms(int64_t timeout_ms);

/* Same from a nanosecond timeout (negative = forever). */
int64_t port_deadline_after_ns(int64_t timeout_ns);

/* Nanoseconds left until deadline: 0 when expired, INT64_MAX for NEVER. */
int64_t port_deadline_remaining_ns(int64_t deadline_ns);

/* Milliseconds left, rounded UP so that a caller sleeping that long never
 * wakes before the deadline (0.5 ms left -> 1 ms, not 0).  -1 for NEVER. */
int64_t port_deadline_remaining_ms_ceil(int64_t deadline_ns);

/* True once the deadline has passed. */
bool port_deadline_expired(int64_t deadline_ns);

#endif /* PORT_CLOCK_H */
