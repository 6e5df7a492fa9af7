/*
 * port_thread.h - threads and thread-local storage.
 *
 * POSIX implementation in port_thread_posix.c, Win32 in
 * port_thread_win32.c.
 *
 * POSIX: threads started here begin with every asynchronous signal
 * blocked (SIGINT, SIGTERM, SIGPIPE, ...), so process signals are
 * delivered only to the main thread, where the driver's handler records
 * them.  Windows has no signal masks (console control events run on a
 * thread of their own), so there is nothing to block there.
 */
#ifndef PORT_THREAD_H
#define PORT_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
/* start: the record the thread's return value travels through (see
 * port_thread_win32.c); id: for port_thread_is_current. */
typedef struct port_thread {
    HANDLE handle;
    struct port_thread_start *start;
    DWORD id;
} port_thread_t;
typedef struct port_tls { DWORD index; } port_tls_t;
typedef struct port_once { INIT_ONCE once; } port_once_t;
#define PORT_ONCE_INIT { INIT_ONCE_STATIC_INIT }
#else
#include <pthread.h>
typedef struct port_thread { pthread_t thread; } port_thread_t;
typedef struct port_tls { pthread_key_t key; } port_tls_t;
typedef struct port_once { pthread_once_t once; } port_once_t;
#define PORT_ONCE_INIT { PTHREAD_ONCE_INIT }
#endif

typedef void *(*port_thread_proc_t)(void *arg);

/* Starts proc(arg) on a new thread.  stack_size 0 = platform default; a
 * size below the platform minimum is raised to it.  Returns 0 or an
 * errno-style code (the thread did not start). */
int  port_thread_create(port_thread_t *t, port_thread_proc_t proc, void *arg,
                        size_t stack_size);
/* Waits for the thread to end; stores its return value in *result when
 * result is not NULL.  Exactly one join or detach per thread. */
int  port_thread_join(port_thread_t *t, void **result);
/* Lets the thread release its own OS resources when it ends. */
int  port_thread_detach(port_thread_t *t);
/* True when called on thread t. */
bool port_thread_is_current(const port_thread_t *t);

/* Gives the rest of the calling thread's time slice to another ready
 * thread.  A courtesy inside retry loops, never a way to wait. */
void port_thread_yield(void);

/* Runs init exactly once per port_once_t (static, PORT_ONCE_INIT), however
 * many threads call at once; every caller returns after init finished. */
void port_once(port_once_t *once, void (*init)(void));

/* Thread-local slots (no destructor: owners clear their slot). */
int   port_tls_create(port_tls_t *tls);
void  port_tls_destroy(port_tls_t *tls);
void *port_tls_get(const port_tls_t *tls);
int   port_tls_set(port_tls_t *tls, void *value);

#endif /* PORT_THREAD_H */
