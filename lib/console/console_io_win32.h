/*
 * console_io_win32.h - INTERNAL to lib/console on Windows: what
 * console_win32.c (the line editor) needs from console_io_win32.c.
 */
#ifndef CONSOLE_IO_WIN32_H
#define CONSOLE_IO_WIN32_H

#include "console/console_impl.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

/* The OS handle behind a C runtime fd (INVALID_HANDLE_VALUE if none). */
HANDLE console_io_handle(int fd);

/* Sleeps until the console input handle has records, the wake-up rings
 * or timeout_ms passes (-1: no timeout).  CONSOLE_IO_IN / _WAKE bits. */
unsigned console_io_wait_console(HANDLE in, console_wake_t *wake, int timeout_ms);

/* Takes the console for the line editor: saves both modes (for the end
 * and for console_restore_terminal_emergency), then sets the input to
 * raw key events (no line input, no echo, Ctrl-C a key) and the output
 * to VT processing.  0, or -1 with a message in err. */
int  console_io_console_claim(HANDLE in, HANDLE out, char *err, size_t err_size);
/* Puts both saved modes back.  The worker calls it last. */
void console_io_console_release(void);

/* Writes UTF-8 text to a console as UTF-16 (WriteConsoleW), so every
 * character shows whatever the console's code page.  Invalid bytes show
 * as U+FFFD.  False when the console refuses. */
bool console_io_console_write_utf8(HANDLE out, const char *s, size_t len);

/* Columns of the console's screen buffer (where text wraps), 0 when
 * unknown. */
int  console_io_console_columns(HANDLE out);

#endif /* CONSOLE_IO_WIN32_H */
