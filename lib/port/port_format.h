/*
 * port_format.h - the archetype for printf-style format checking.
 *
 * gcc checks `__attribute__((format(PORT_PRINTF_FORMAT, i, j)))` against
 * the printf the program really calls: glibc's on Linux, mingw-w64's own
 * C99 printf on Windows (we build with __USE_MINGW_ANSI_STDIO=1, which
 * accepts %zu and %lld where msvcrt's would not).
 */
#ifndef PORT_FORMAT_H
#define PORT_FORMAT_H

#include <stdio.h>      /* on mingw-w64 also defines __MINGW_PRINTF_FORMAT */

#if defined(__MINGW_PRINTF_FORMAT)
#define PORT_PRINTF_FORMAT __MINGW_PRINTF_FORMAT
#else
#define PORT_PRINTF_FORMAT printf
#endif

#endif /* PORT_FORMAT_H */
