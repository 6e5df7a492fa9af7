/*
 * port_random_posix.c - port_random_bytes from getrandom(2), getentropy(3)
 * or /dev/urandom, whichever the system has (in that order).
 */
#include <config.h>
#include "port/port_random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#if defined(HAVE_GETRANDOM)
#include <sys/random.h>
#endif

int port_random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
#if defined(HAVE_GETRANDOM)
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOSYS)
                break;          /* old kernel: try /dev/urandom */
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    if (len == 0)
        return 0;
#elif defined(HAVE_GETENTROPY)
    while (len > 0) {
        size_t chunk = len < 256 ? len : 256;   /* getentropy's limit */
        if (getentropy(p, chunk) != 0)
            return errno;
        p += chunk;
        len -= chunk;
    }
    return 0;
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            close(fd);
            return err;
        }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return 0;
}
