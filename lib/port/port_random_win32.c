/*
 * port_random_win32.c - port_random_bytes from BCryptGenRandom with the
 * system-preferred generator (no algorithm handle to open or leak).
 */
#include <config.h>
#include "port/port_random.h"

#include <errno.h>
#include <stdint.h>
#include <windows.h>
#include <bcrypt.h>

int port_random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ULONG chunk = len > 0x10000000u ? 0x10000000u : (ULONG)len;
        NTSTATUS st = BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
        if (st != 0)
            return EIO;
        p += chunk;
        len -= chunk;
    }
    return 0;
}
