/*
 * net.h - the socket operations comm.c needs, one implementation per OS
 * (net_posix.c: BSD sockets; net_win32.c: Winsock 2).
 *
 * A socket is an async_socket_t (an int on POSIX, a SOCKET on Windows);
 * NET_NO_SOCKET is the "none" value, never -1 compared by hand.  Every
 * socket made here is non-blocking and not inherited by child processes.
 *
 * Errors: functions that fail return -1 (or NET_NO_SOCKET) and leave an
 * errno-style code in errno: Winsock's WSAE* codes are mapped to the
 * POSIX names (WSAEWOULDBLOCK -> EAGAIN, WSAECONNRESET -> ECONNRESET...),
 * so callers test errno the same way on every OS.  net_strerror() gives
 * the text for such a code (the Windows C library has none for the
 * network ones).
 *
 * Main thread only (comm.c's thread), except net_strerror.
 */
#ifndef NEOLITH_NET_H
#define NEOLITH_NET_H

#include "async/async_runtime.h"   /* async_socket_t */

#include <stdbool.h>
#include <stddef.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#define NET_NO_SOCKET INVALID_SOCKET
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#define NET_NO_SOCKET (-1)
#endif

/* Starts / stops the socket library (WSAStartup / WSACleanup; nothing on
 * POSIX).  Counted: every successful net_startup needs one net_cleanup.
 * Returns 0, or -1 with errno. */
int  net_startup(void);
void net_cleanup(void);

/* A listening socket on ai: SO_REUSEADDR where that only allows a quick
 * restart (POSIX; Windows gets SO_EXCLUSIVEADDRUSE so no other process
 * can steal the port), IPV6_V6ONLY for IPv6.  NET_NO_SOCKET + errno. */
async_socket_t net_listen(const struct addrinfo *ai, int backlog);

/* Accepts one pending connection, non-blocking, TCP_NODELAY set, with
 * the peer's address in *peer.  NET_NO_SOCKET + errno (EAGAIN: none
 * pending; EMFILE/ENFILE: out of descriptors; ECONNABORTED: the client
 * gave up). */
async_socket_t net_accept(async_socket_t listener, struct sockaddr_storage *peer);

/* One send / recv.  Returns the byte count (recv: 0 at orderly EOF), or
 * -1 + errno (EAGAIN when it would block).  send never raises SIGPIPE. */
long net_send(async_socket_t s, const void *data, size_t len);
long net_recv(async_socket_t s, void *buf, size_t len);

/* Ends our sending side (FIN) / closes the socket. */
void net_shutdown_write(async_socket_t s);
void net_close(async_socket_t s);

/* The socket as a number for log lines. */
long long net_socket_number(async_socket_t s);

/* Waits up to timeout_ms for the n sockets to become writable; sets
 * state[i] to 0 (nothing yet), 1 (writable) or 2 (error / hang-up).
 * Returns how many are not 0 (0 on timeout), or -1 + errno. */
int  net_wait_writable(const async_socket_t *socks, unsigned char *state,
                       size_t n, int timeout_ms);

/* A descriptor held in reserve for the moment the process runs out of
 * them (POSIX: /dev/null kept open; Windows has no such per-process
 * limit: nothing is held).  -1 when none is held. */
int  net_reserve_take(void);
void net_reserve_release(int reserve);

/* Text for an errno-style code, including the network ones. */
const char *net_strerror(int err);

#endif /* NEOLITH_NET_H */
