/*
 * port_thread_win32.c - threads, once and TLS on the Win32 API.
 *
 * Threads start with _beginthreadex (not CreateThread) so the C runtime
 * sets up its per-thread state (errno, strtok, ...) for them.
 *
 * Return values: a Win32 exit code is a 32-bit DWORD and proc returns a
 * pointer, so the pointer travels through a small heap record,
 * port_thread_start, shared by the thread and its owner.  `refs` counts
 * the two: the thread drops its share after storing the result, the owner
 * drops its share in join (after reading it) or detach.  Whoever drops the
 * last reference frees the record, so neither side ever reads freed
 * memory whatever the order.
 */
#include "config.h"
#include "port/port_thread.h"
#include "port/port_atomic.h"

#include <errno.h>
#include <limits.h>
#include <process.h>
#include <stdlib.h>

/* Below this a thread could not even run the C runtime's start-up. */
#define PORT_THREAD_MIN_STACK ((size_t)64 * 1024)

struct port_thread_start {
    port_thread_proc_t proc;
    void *arg;
    void *result;     /* written by the thread before it drops its ref */
    atomic_int refs;  /* thread + owner */
};

static void start_release(struct port_thread_start *s)
{
    /* acq_rel: the releasing side's writes (the thread's `result`) happen
     * before the reads and the free of the side that drops the last one. */
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        free(s);
}

static unsigned __stdcall thread_trampoline(void *arg)
{
    struct port_thread_start *s = arg;
    s->result = s->proc(s->arg);
    start_release(s);
    return 0;
}

int port_thread_create(port_thread_t *t, port_thread_proc_t proc, void *arg,
                       size_t stack_size)
{
    struct port_thread_start *s = malloc(sizeof(*s));
    if (s == NULL)
        return ENOMEM;
    s->proc = proc;
    s->arg = arg;
    s->result = NULL;
    atomic_init(&s->refs, 2);
    if (stack_size > 0 && stack_size < PORT_THREAD_MIN_STACK)
        stack_size = PORT_THREAD_MIN_STACK;
    if (stack_size > UINT_MAX)
        stack_size = UINT_MAX;
    unsigned id = 0;
    errno = 0;
    /* The size is a reservation (like a pthread stack size), not the
     * initially committed part. */
    uintptr_t h = _beginthreadex(NULL, (unsigned)stack_size, thread_trampoline, s,
                                 stack_size > 0 ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0,
                                 &id);
    if (h == 0) {
        int rc = errno != 0 ? errno : EAGAIN;
        free(s);
        return rc;
    }
    t->handle = (HANDLE)h;
    t->start = s;
    t->id = id;
    return 0;
}

int port_thread_join(port_thread_t *t, void **result)
{
    if (WaitForSingleObject(t->handle, INFINITE) != WAIT_OBJECT_0)
        return EINVAL;
    CloseHandle(t->handle);
    t->handle = NULL;
    /* The thread has ended, so it dropped its reference after writing
     * result; the acq_rel decrement in start_release makes it visible. */
    if (result != NULL)
        *result = t->start->result;
    start_release(t->start);
    t->start = NULL;
    return 0;
}

int port_thread_detach(port_thread_t *t)
{
    /* Closing the handle does not stop the thread; it only lets Windows
     * free the thread object once the thread ends. */
    CloseHandle(t->handle);
    t->handle = NULL;
    start_release(t->start);
    t->start = NULL;
    return 0;
}

bool port_thread_is_current(const port_thread_t *t)
{
    return t->id == GetCurrentThreadId();
}

void port_thread_yield(void)
{
    SwitchToThread();
}

/* InitOnceExecuteOnce passes one pointer: the init function travels in a
 * box so no function pointer is cast to void *. */
typedef struct once_box {
    void (*init)(void);
} once_box_t;

static BOOL CALLBACK once_trampoline(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once;
    (void)context;
    ((once_box_t *)param)->init();
    return TRUE;
}

void port_once(port_once_t *once, void (*init)(void))
{
    once_box_t box = { init };
    InitOnceExecuteOnce(&once->once, once_trampoline, &box, NULL);
}

int port_tls_create(port_tls_t *tls)
{
    DWORD index = TlsAlloc();
    if (index == TLS_OUT_OF_INDEXES)
        return EAGAIN;
    tls->index = index;
    return 0;
}

void port_tls_destroy(port_tls_t *tls)
{
    TlsFree(tls->index);
}

void *port_tls_get(const port_tls_t *tls)
{
    return TlsGetValue(tls->index);
}

int port_tls_set(port_tls_t *tls, void *value)
{
    return TlsSetValue(tls->index, value) ? 0 : EINVAL;
}
