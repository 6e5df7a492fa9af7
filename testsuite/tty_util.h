/*
 * tty_util.h - the terminal side of the console tests (check_console,
 * check_console_e2e, check_console_wine), POSIX only: a program run by
 * `sh -c` on a fresh pseudo-terminal, a growing buffer of what a file
 * descriptor (pty master, pipe, socket) said, and a screen seen through
 * tmux (send-keys in, capture-pane out).
 *
 * Synchronisation is on data, never on time: a wait returns as soon as
 * what it waits for has arrived; its hang bound only turns a hang into a
 * failure.  Every helper fails the running Check test on an error.
 */
#ifndef TTY_UTIL_H
#define TTY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whether `tool` is on PATH (`command -v`). */
bool tty_have(const char *tool);

/* Writes all of data to fd (retrying EINTR and short writes). */
void tty_write_all(int fd, const void *data, size_t len);

/* The whole file (caller frees), or NULL when it cannot be read: the
 * stty dumps, histories and outputs a session leaves behind. */
char *tty_read_file(const char *path);

/* ================================================================ pty */

/* Forks `sh -c cmd` as the session leader of a new pseudo-terminal of
 * cols x rows (its controlling terminal, stdin/stdout/stderr, TERM=xterm).
 * in_child, if not NULL, runs first in the child (e.g. to die with the
 * test process).  The master side goes to *master; returns the pid. */
pid_t tty_spawn_sh(const char *cmd, int cols, int rows, void (*in_child)(void), int *master);

/* ================================================================ stream */

/* A growing buffer of everything one fd said, NUL ended. */
typedef struct tty_stream {
    int fd;
    char *buf;
    size_t len, cap;
    bool eof;
    int hang_ms;     /* bound of tty_stream_expect and tty_stream_read_to_eof */
} tty_stream_t;

void tty_stream_init(tty_stream_t *s, int fd, int hang_ms);

/* Reads what arrives within timeout_ms; false at EOF (EIO on a pty
 * master: every slave fd is closed). */
bool tty_stream_read_some(tty_stream_t *s, int timeout_ms);

/* Waits until `needle` shows up at or after offset `from`; returns its
 * offset.  Fails (showing what came) at EOF or after s->hang_ms. */
size_t tty_stream_expect(tty_stream_t *s, size_t from, const char *needle);

/* Reads until EOF; fails when it does not come within s->hang_ms. */
void tty_stream_read_to_eof(tty_stream_t *s);

/* ================================================================ tmux */

/* The tmux server the calls below talk to: socket name `sock` (-L, no
 * user config), screen waits bounded by hang_ms.  One server at a time
 * per process: set by the test's own thread (main() before Check forks,
 * or the test case), read by the same thread. */
void tty_tmux_use(const char *sock, int hang_ms);

/* tty_tmux_use("<prefix>_<pid>", hang_ms): a server of this test run's
 * own (named in main(), before Check forks). */
void tty_tmux_use_own(const char *prefix, int hang_ms);

/* Kills that server, if tmux is installed (errors ignored). */
void tty_tmux_kill_server(void);

/* Runs "tmux <args>" on that server; returns system()'s status. */
int tty_tmux(const char *args);

/* The visible screen of the pane "con" on that server, one line per row,
 * trailing blanks of every row and trailing empty rows trimmed (caller
 * frees; "" when tmux cannot be run). */
char *tty_tmux_screen(void);

/* Waits until that screen contains `needle`; returns the screen (caller
 * frees).  Fails, showing the screen, after the hang bound. */
char *tty_tmux_expect(const char *needle);

#endif
