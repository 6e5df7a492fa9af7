/*
 * net_posix.c - net.h on BSD sockets (Linux, the BSDs, macOS).
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "net.h"
#include "port/port_fd_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0      /* SIGPIPE is ignored by the backend anyway */
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

int net_startup(void)
{
    return 0;
}

void net_cleanup(void)
{
}

async_socket_t net_listen(const struct addrinfo *ai, int backlog)
{
    int type = ai->ai_socktype;
#ifdef SOCK_CLOEXEC
    type |= SOCK_NONBLOCK | SOCK_CLOEXEC;
#endif
    int fd = socket(ai->ai_family, type, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1;
#ifndef SOCK_CLOEXEC
    if (port_fd_set_nonblock_cloexec(fd) != 0)
        goto fail;
#endif
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        goto fail;
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
        goto fail;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        goto fail;
    if (listen(fd, backlog) != 0)
        goto fail;
    return fd;

fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

async_socket_t net_accept(async_socket_t listener, struct sockaddr_storage *peer)
{
    socklen_t sl = sizeof *peer;
#ifdef HAVE_ACCEPT4
    int fd = accept4(listener, (struct sockaddr *)peer, &sl,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int fd = accept(listener, (struct sockaddr *)peer, &sl);
    if (fd >= 0 && port_fd_set_nonblock_cloexec(fd) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
#endif
    if (fd < 0) {
        if (errno == EPROTO)
            errno = ECONNABORTED;   /* both mean: that client gave up */
        return -1;
    }
    int one = 1;
    /* Fails with EOPNOTSUPP for non-TCP sockets; nothing to do then. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

long net_send(async_socket_t s, const void *data, size_t len)
{
    return (long)send(s, data, len, MSG_NOSIGNAL);
}

long net_recv(async_socket_t s, void *buf, size_t len)
{
    return (long)recv(s, buf, len, 0);
}

void net_shutdown_write(async_socket_t s)
{
    shutdown(s, SHUT_WR);
}

void net_close(async_socket_t s)
{
    close(s);
}

long long net_socket_number(async_socket_t s)
{
    return (long long)s;
}

int net_wait_writable(const async_socket_t *socks, unsigned char *state,
                      size_t n, int timeout_ms)
{
    struct pollfd *pfds = calloc(n > 0 ? n : 1, sizeof *pfds);
    if (pfds == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        pfds[i].fd = socks[i];
        pfds[i].events = POLLOUT;
        state[i] = 0;
    }
    int rc = poll(pfds, (nfds_t)n, timeout_ms);
    if (rc < 0) {
        int saved = errno;
        free(pfds);
        errno = saved;
        return errno == EINTR ? 0 : -1;
    }
    int ready = 0;
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].revents == 0)
            continue;
        state[i] = (pfds[i].revents & POLLOUT) ? 1 : 2;
        ready++;
    }
    free(pfds);
    return ready;
}

int net_reserve_take(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void net_reserve_release(int reserve)
{
    if (reserve >= 0)
        close(reserve);
}

const char *net_strerror(int err)
{
    return strerror(err);
}
