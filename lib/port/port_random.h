/*
 * port_random.h - bytes from the operating system's secure random source.
 *
 * POSIX: getrandom(2) (or getentropy, or /dev/urandom) in
 * port_random_posix.c; Win32: BCryptGenRandom in port_random_win32.c.
 * Used where unpredictability matters (password salts, request ids handed
 * to LPC code); never for game dice, which use the LPC random().
 */
#ifndef PORT_RANDOM_H
#define PORT_RANDOM_H

#include <stddef.h>

/* Fills buf with len random bytes.  Returns 0, or an errno-style code
 * when the source failed (buf is then unspecified).  Any thread. */
int port_random_bytes(void *buf, size_t len);

#endif /* PORT_RANDOM_H */
