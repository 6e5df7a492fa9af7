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

/* ThreadSanitizer does not model atomic_thread_fence (gcc warns with
 * -Wtsan), so fence-based handshakes need another spelling under it. */
#if defined(__SANITIZE_THREAD__)
#define PORT_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PORT_UNDER_TSAN 1
#endif
#endif
#ifndef PORT_UNDER_TSAN
#define PORT_UNDER_TSAN 0
#endif

/*
 * The full barrier of a sleeper/waker handshake (Dekker): each side stores
 * to one variable, calls this, then loads the other's variable; at least
 * one side then sees the other's store.  A seq_cst fence in real builds.
 * Under ThreadSanitizer, which does not model fences, a seq_cst
 * read-modify-write of `word`, a word both sides share: such RMWs are
 * totally ordered and each synchronises with the one before, which gives
 * the same guarantee in a form the tool checks.  `word` is unused (and may
 * be any atomic_uint of the object) in real builds.
 */
static inline void port_fence_seq_cst(atomic_uint *word)
{
#if PORT_UNDER_TSAN
    atomic_fetch_add_explicit(word, 0, memory_order_seq_cst);
#else
    (void)word;
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

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
