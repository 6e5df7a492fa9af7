/*
 * test_socketpair.c - see test_socketpair.h.  One small file for both
 * platforms: the differences are a handful of calls, each behind one
 * #ifdef, and this is test support, not library code.
 */
#include "config.h"
#include "test_socketpair.h"

#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include "port/port_thread.h"
#else
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#ifdef _WIN32
static port_once_t winsock_once = PORT_ONCE_INIT;

static void winsock_init(void)
{
    WSADATA data;
    (void)WSAStartup(MAKEWORD(2, 2), &data);  /* never cleaned up: test process */
}
#define INVALID_SOCK INVALID_SOCKET
#define close_socket closesocket
#else
#define INVALID_SOCK (-1)
#define close_socket close
#endif

static void sockets_ready(void)
{
#ifdef _WIN32
    port_once(&winsock_once, winsock_init);
#endif
}

int test_listener(async_socket_t *listener)
{
    sockets_ready();
    async_socket_t l = socket(AF_INET, SOCK_STREAM, 0);
    if (l == INVALID_SOCK)
        return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(l, 8) != 0) {
        close_socket(l);
        return -1;
    }
    *listener = l;
    return 0;
}

int test_connect_to(async_socket_t listener, async_socket_t *client)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
        return -1;
    async_socket_t c = socket(AF_INET, SOCK_STREAM, 0);
    if (c == INVALID_SOCK)
        return -1;
    if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close_socket(c);
        return -1;
    }
    int one = 1;
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    *client = c;
    return 0;
}

async_socket_t test_accept(async_socket_t listener)
{
    async_socket_t s = accept(listener, NULL, NULL);
    if (s != INVALID_SOCK) {
        int one = 1;
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    }
    return s;
}

int test_socketpair(async_socket_t sv[2])
{
#ifdef _WIN32
    async_socket_t l, c, a;
    if (test_listener(&l) != 0)
        return -1;
    if (test_connect_to(l, &c) != 0) {
        closesocket(l);
        return -1;
    }
    a = test_accept(l);
    closesocket(l);
    if (a == INVALID_SOCKET) {
        closesocket(c);
        return -1;
    }
    /* The accepted peer must be our client, not a stranger that found the
     * port: compare the client's own address with the peer's. */
    struct sockaddr_in mine, peer;
    int mlen = sizeof(mine), plen = sizeof(peer);
    if (getsockname(c, (struct sockaddr *)&mine, &mlen) != 0 ||
        getpeername(a, (struct sockaddr *)&peer, &plen) != 0 ||
        mine.sin_port != peer.sin_port) {
        closesocket(a);
        closesocket(c);
        return -1;
    }
    sv[0] = a;
    sv[1] = c;
    return 0;
#else
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return -1;
    sv[0] = fds[0];
    sv[1] = fds[1];
    return 0;
#endif
}

long test_sock_send(async_socket_t s, const void *buf, size_t len)
{
#ifdef _WIN32
    return send(s, buf, (int)len, 0);
#else
    return (long)write(s, buf, len);
#endif
}

long test_sock_recv(async_socket_t s, void *buf, size_t len)
{
#ifdef _WIN32
    return recv(s, buf, (int)len, 0);
#else
    return (long)read(s, buf, len);
#endif
}

void test_sock_close(async_socket_t s)
{
    close_socket(s);
}

int test_sock_set_nonblocking(async_socket_t s)
{
#ifdef _WIN32
    u_long on = 1;
    return ioctlsocket(s, FIONBIO, &on) == 0 ? 0 : -1;
#else
    int fl = fcntl(s, F_GETFL);
    return fl >= 0 && fcntl(s, F_SETFL, fl | O_NONBLOCK) == 0 ? 0 : -1;
#endif
}

bool test_sock_would_block(void)
{
#ifdef _WIN32
    return WSAGetLastError() == WSAEWOULDBLOCK;
#else
    return errno == EAGAIN || errno == EWOULDBLOCK;
#endif
}

bool test_sock_wait_readable(async_socket_t s, int timeout_ms)
{
#ifdef _WIN32
    WSAPOLLFD p = { s, POLLRDNORM, 0 };
    return WSAPoll(&p, 1, timeout_ms) == 1;
#else
    struct pollfd p = { s, POLLIN, 0 };
    int rc;
    do {
        rc = poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc == 1;
#endif
}

async_socket_t test_closed_socket(void)
{
    sockets_ready();
    async_socket_t s = socket(AF_INET, SOCK_STREAM, 0);
    if (s != INVALID_SOCK)
        close_socket(s);
    return s;
}
