/*
 * net_win32.c - net.h on Winsock 2.
 *
 * Sockets are made with WSA_FLAG_NO_HANDLE_INHERIT (the Windows spelling
 * of close-on-exec) and FIONBIO (non-blocking).  Winsock reports errors
 * through WSAGetLastError(); every failure here is translated into errno
 * (net_map_error) so comm.c tests EAGAIN, ECONNRESET... on every OS.
 * A send to a reset connection fails with WSAECONNRESET: Windows has no
 * SIGPIPE to suppress.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "net.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

/* WSAE* -> errno.  Codes without a POSIX twin become EIO. */
static int net_map_error(int wsa)
{
    switch (wsa) {
    case WSAEWOULDBLOCK:     return EAGAIN;
    case WSAEINPROGRESS:     return EINPROGRESS;
    case WSAEALREADY:        return EALREADY;
    case WSAEINTR:           return EINTR;
    case WSAEBADF:
    case WSAENOTSOCK:        return EBADF;
    case WSAEACCES:          return EACCES;
    case WSAEFAULT:          return EFAULT;
    case WSAEINVAL:          return EINVAL;
    case WSAEMFILE:          return EMFILE;
    case WSAENOBUFS:         return ENOBUFS;
    case WSAEMSGSIZE:        return EMSGSIZE;
    case WSAENOPROTOOPT:     return ENOPROTOOPT;
    case WSAEPROTONOSUPPORT: return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP:      return EOPNOTSUPP;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:    return EAFNOSUPPORT;
    case WSAEADDRINUSE:      return EADDRINUSE;
    case WSAEADDRNOTAVAIL:   return EADDRNOTAVAIL;
    case WSAENETDOWN:        return ENETDOWN;
    case WSAENETUNREACH:     return ENETUNREACH;
    case WSAENETRESET:       return ENETRESET;
    case WSAECONNABORTED:    return ECONNABORTED;
    case WSAECONNRESET:      return ECONNRESET;
    case WSAEISCONN:         return EISCONN;
    case WSAENOTCONN:        return ENOTCONN;
    case WSAESHUTDOWN:       return EPIPE;
    case WSAETIMEDOUT:       return ETIMEDOUT;
    case WSAECONNREFUSED:    return ECONNREFUSED;
    case WSAEHOSTUNREACH:    return EHOSTUNREACH;
    case WSANOTINITIALISED:  return EINVAL;
    default:                 return EIO;
    }
}

static void net_set_errno(void)
{
    errno = net_map_error(WSAGetLastError());
}

int net_startup(void)
{
    WSADATA data;
    int rc = WSAStartup(MAKEWORD(2, 2), &data);
    if (rc != 0) {
        errno = net_map_error(rc);
        return -1;
    }
    return 0;
}

void net_cleanup(void)
{
    WSACleanup();
}

static int net_set_nonblocking(SOCKET s)
{
    u_long on = 1;
    if (ioctlsocket(s, FIONBIO, &on) != 0) {
        net_set_errno();
        return -1;
    }
    return 0;
}

async_socket_t net_listen(const struct addrinfo *ai, int backlog)
{
    SOCKET s = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        net_set_errno();
        return INVALID_SOCKET;
    }
    BOOL on = TRUE;
    if (net_set_nonblocking(s) != 0)
        goto fail_errno_set;
    /* SO_REUSEADDR on Windows would let another process bind the same
     * port; exclusive use is what POSIX SO_REUSEADDR amounts to for a
     * server.  Best effort: an emulator may not know the option. */
    (void)setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on);
    if (ai->ai_family == AF_INET6 &&
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, sizeof on) != 0)
        goto fail;
    if (bind(s, ai->ai_addr, (int)ai->ai_addrlen) != 0)
        goto fail;
    if (listen(s, backlog) != 0)
        goto fail;
    return s;

fail:
    net_set_errno();
fail_errno_set:;
    int saved = errno;
    closesocket(s);
    errno = saved;
    return INVALID_SOCKET;
}

async_socket_t net_accept(async_socket_t listener, struct sockaddr_storage *peer)
{
    int sl = (int)sizeof *peer;
    SOCKET s = accept(listener, (struct sockaddr *)peer, &sl);
    if (s == INVALID_SOCKET) {
        net_set_errno();
        return INVALID_SOCKET;
    }
    /* An accepted socket inherits the listener's non-blocking mode on
     * Windows, but not its inheritance flag: clear both explicitly. */
    (void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    if (net_set_nonblocking(s) != 0) {
        int saved = errno;
        closesocket(s);
        errno = saved;
        return INVALID_SOCKET;
    }
    BOOL on = TRUE;
    (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on, sizeof on);
    return s;
}

long net_send(async_socket_t s, const void *data, size_t len)
{
    int chunk = len > INT_MAX ? INT_MAX : (int)len;
    int n = send(s, data, chunk, 0);
    if (n == SOCKET_ERROR) {
        net_set_errno();
        return -1;
    }
    return n;
}

long net_recv(async_socket_t s, void *buf, size_t len)
{
    int chunk = len > INT_MAX ? INT_MAX : (int)len;
    int n = recv(s, buf, chunk, 0);
    if (n == SOCKET_ERROR) {
        net_set_errno();
        return -1;
    }
    return n;
}

void net_shutdown_write(async_socket_t s)
{
    shutdown(s, SD_SEND);
}

void net_close(async_socket_t s)
{
    closesocket(s);
}

long long net_socket_number(async_socket_t s)
{
    return (long long)s;
}

int net_wait_writable(const async_socket_t *socks, unsigned char *state,
                      size_t n, int timeout_ms)
{
    if (n == 0) {
        Sleep(timeout_ms > 0 ? (DWORD)timeout_ms : 0);
        return 0;
    }
    WSAPOLLFD *pfds = calloc(n, sizeof *pfds);
    if (pfds == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        pfds[i].fd = socks[i];
        pfds[i].events = POLLWRNORM;
        state[i] = 0;
    }
    int rc = WSAPoll(pfds, (ULONG)n, timeout_ms);
    if (rc == SOCKET_ERROR) {
        net_set_errno();
        int saved = errno;
        free(pfds);
        errno = saved;
        return -1;
    }
    int ready = 0;
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].revents == 0)
            continue;
        state[i] = (pfds[i].revents & POLLWRNORM) ? 1 : 2;
        ready++;
    }
    free(pfds);
    return ready;
}

int net_reserve_take(void)
{
    return -1;
}

void net_reserve_release(int reserve)
{
    (void)reserve;
}

/* The C library knows the classic codes; the network ones (which the
 * Windows CRT numbers from 100 up) get their text here. */
const char *net_strerror(int err)
{
    switch (err) {
    case EAGAIN:        return "Resource temporarily unavailable";
    case EADDRINUSE:    return "Address already in use";
    case EADDRNOTAVAIL: return "Cannot assign requested address";
    case EAFNOSUPPORT:  return "Address family not supported by protocol";
    case ECONNABORTED:  return "Software caused connection abort";
    case ECONNRESET:    return "Connection reset by peer";
    case ECONNREFUSED:  return "Connection refused";
    case ENOBUFS:       return "No buffer space available";
    case ENOTCONN:      return "Transport endpoint is not connected";
    case ETIMEDOUT:     return "Connection timed out";
    case ENETDOWN:      return "Network is down";
    case ENETUNREACH:   return "Network is unreachable";
    case EHOSTUNREACH:  return "No route to host";
    case EPIPE:         return "Broken pipe";
    default:            return strerror(err);
    }
}
