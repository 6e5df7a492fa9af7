/*
 * test_socketpair.h - the socket calls the async tests need, the same on
 * POSIX and Windows.
 *
 * POSIX: a socketpair(AF_UNIX, SOCK_STREAM) and plain read/write/close.
 * Windows has no socketpair: a connected loopback TCP pair (listener on
 * 127.0.0.1, port 0, accepted and closed again), with TCP_NODELAY so a
 * one-byte write is sent at once.  Listeners for the accept tests are
 * loopback TCP everywhere.
 *
 * Everything returns -1 (or false) on failure with the reason in errno
 * (POSIX) or WSAGetLastError() (Windows); the tests only assert success.
 */
#ifndef TEST_SOCKETPAIR_H
#define TEST_SOCKETPAIR_H

#include "async/async_runtime.h"  /* async_socket_t */

#include <stdbool.h>
#include <stddef.h>

/* A connected pair of stream sockets, blocking. */
int test_socketpair(async_socket_t sv[2]);

/* send / recv of up to len bytes: the count, 0 at EOF (recv), -1 on error. */
long test_sock_send(async_socket_t s, const void *buf, size_t len);
long test_sock_recv(async_socket_t s, void *buf, size_t len);
void test_sock_close(async_socket_t s);

/* Puts s in non-blocking mode.  0 or -1. */
int test_sock_set_nonblocking(async_socket_t s);

/* True when the last failed send/recv/accept only meant "would block". */
bool test_sock_would_block(void);

/* Blocks (up to timeout_ms) until s is readable; true when it is.  Used to
 * make sure data a test wrote has arrived before a wait that must see it
 * (loopback TCP on Windows may take a moment). */
bool test_sock_wait_readable(async_socket_t s, int timeout_ms);

/* A TCP listener on 127.0.0.1 with an OS-chosen port, blocking. */
int test_listener(async_socket_t *listener);
/* A blocking TCP client connected to the listener (not yet accepted). */
int test_connect_to(async_socket_t listener, async_socket_t *client);
/* accept(): the new socket, or the platform's invalid socket. */
async_socket_t test_accept(async_socket_t listener);

/* A value that was a socket of this process and is closed now. */
async_socket_t test_closed_socket(void);

#endif /* TEST_SOCKETPAIR_H */
