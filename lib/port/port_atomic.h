/*
 * port_atomic.h - the one place the tree gets its atomics from.
 *
 * C11 <stdatomic.h> is available on every compiler we target (gcc, clang,
 * mingw-w64 gcc).  Code outside lib/port includes this header rather than
 * <stdatomic.h> directly, so a compiler without C11 atomics (MSVC before
 * 17.5) can be served here without touching callers.
 *
 * Every atomic operation in the tree names its memory order explicitly and
 * carries a comment saying why that order is enough.
 */
#ifndef PORT_ATOMIC_H
#define PORT_ATOMIC_H

#include <stdatomic.h>
#include <stddef.h>

/* Size used to keep independently written hot fields on separate cache
 * lines (false sharing costs more than the padding). */
#define PORT_CACHE_LINE 64

#if defined(__GNUC__) || defined(__clang__)
#define PORT_ALIGNED_CACHE_LINE __attribute__((aligned(PORT_CACHE_LINE)))
#else
#define PORT_ALIGNED_CACHE_LINE _Alignas(PORT_CACHE_LINE)
#endif

/* A hint to the CPU inside a retry loop (CAS failure).  Never used to wait
 * for another thread: waiting always sleeps on a condition variable. */
static inline void port_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif /* PORT_ATOMIC_H */
