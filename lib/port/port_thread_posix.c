/*
 * port_thread_posix.c - threads and TLS on pthreads.
 */
#include "config.h"
#include "port/port_thread.h"

#include <limits.h>
#include <sched.h>
#include <signal.h>

int port_thread_create(port_thread_t *t, port_thread_proc_t proc, void *arg,
                       size_t stack_size)
{
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
    if (stack_size > 0) {
        if (stack_size < (size_t)PTHREAD_STACK_MIN)
            stack_size = (size_t)PTHREAD_STACK_MIN;
        rc = pthread_attr_setstacksize(&attr, stack_size);
        if (rc != 0) {
            pthread_attr_destroy(&attr);
            return rc;
        }
    }
    /* The new thread inherits the creator's signal mask: block everything
     * around the create so it starts with all signals blocked, then put
     * the creator's mask back.  (SIGSEGV and friends stay synchronous.) */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    rc = pthread_create(&t->thread, &attr, proc, arg);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

int port_thread_join(port_thread_t *t, void **result)
{
    return pthread_join(t->thread, result);
}

int port_thread_detach(port_thread_t *t)
{
    return pthread_detach(t->thread);
}

bool port_thread_is_current(const port_thread_t *t)
{
    return pthread_equal(t->thread, pthread_self()) != 0;
}

void port_thread_yield(void)
{
    sched_yield();
}

void port_once(port_once_t *once, void (*init)(void))
{
    pthread_once(&once->once, init);
}

int port_tls_create(port_tls_t *tls)
{
    return pthread_key_create(&tls->key, NULL);
}

void port_tls_destroy(port_tls_t *tls)
{
    pthread_key_delete(tls->key);
}

void *port_tls_get(const port_tls_t *tls)
{
    return pthread_getspecific(tls->key);
}

int port_tls_set(port_tls_t *tls, void *value)
{
    return pthread_setspecific(tls->key, value);
}
