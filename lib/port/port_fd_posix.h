/*
 * port_fd_posix.h - descriptor flags on POSIX systems: the one place that
 * spells the fallbacks for systems without pipe2(), accept4() or
 * SOCK_CLOEXEC.  For the *_posix.c files of the tree (the poll backend's
 * doorbell, the console's wake pipe, the driver's sockets, pipes and
 * self-pipe); include it after <config.h> (HAVE_PIPE2).  Windows has no
 * counterpart: its handles are made non-inheritable where they are
 * created.
 */
#ifndef PORT_FD_POSIX_H
#define PORT_FD_POSIX_H

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Adds FD_CLOEXEC to fd.  Returns 0, or -1 with errno set. */
static inline int port_fd_set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

/* Adds O_NONBLOCK to fd.  Returns 0, or -1 with errno set. */
static inline int port_fd_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* Both of the above.  Returns 0, or -1 with errno set. */
static inline int port_fd_set_nonblock_cloexec(int fd)
{
    return port_fd_set_nonblock(fd) == 0 && port_fd_set_cloexec(fd) == 0 ? 0 : -1;
}

/* A pipe whose two ends are non-blocking and close-on-exec.  Returns 0,
 * or -1 with errno set and nothing left open.  Without pipe2() the flags
 * follow in a second step: a process spawned by another thread in
 * between inherits the ends. */
static inline int port_fd_pipe_nonblock_cloexec(int fds[2])
{
#ifdef HAVE_PIPE2
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
#else
    if (pipe(fds) != 0)
        return -1;
    if (port_fd_set_nonblock_cloexec(fds[0]) != 0 || port_fd_set_nonblock_cloexec(fds[1]) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        fds[0] = fds[1] = -1;
        errno = e;
        return -1;
    }
    return 0;
#endif
}

#endif /* PORT_FD_POSIX_H */
