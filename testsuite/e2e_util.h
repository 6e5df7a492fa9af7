/*
 * e2e_util.h - shared helpers of the end-to-end suites
 * (check_driver_e2e, check_runtime_e2e, check_git_e2e, check_mudlib_e2e):
 * starting src/neolith (or testsuite/neolith_echo) on a temporary config
 * with its stderr drained by a thread, waiting for its log lines,
 * stopping it with SIGTERM, cleaning up, copying a mudlib, and a raw
 * telnet client.
 *
 * Every helper fails the running Check test (ck_assert / ck_abort) on
 * an unexpected error.  Synchronisation is on data, never on time: the
 * bound e2e_hang_ms only turns a hang into a failure.
 */
#ifndef E2E_UTIL_H
#define E2E_UTIL_H

#include "port/port_sync.h"
#include "port/port_thread.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* telnet bytes */
#define T_IAC   255
#define T_DONT  254
#define T_DO    253
#define T_WONT  252
#define T_WILL  251
#define T_SB    250
#define T_NOP   241
#define T_SE    240
#define T_ECHO  1
#define T_TTYPE 24
#define T_NAWS  31

/* Folder of the test binary; main() sets it.  The binaries are found
 * there (neolith_echo) and in ../src (neolith). */
extern char e2e_bin_dir[PATH_MAX];

/* Sets e2e_bin_dir to the folder of the binary argv0 (realpath, else
 * argv0 as given; "." when it has no '/'). */
void e2e_set_bin_dir(const char *argv0);

/* Finds a folder of the source tree: $srcdir/<in_srcdir> under make
 * check (VPATH builds), else e2e_bin_dir/<beside_bin>; its realpath goes
 * to out (PATH_MAX bytes).  When it is missing, prints "<suite>: no
 * <what> at <path>" to stderr and returns false. */
bool e2e_find_source_dir(char *out, const char *in_srcdir, const char *beside_bin,
                         const char *suite, const char *what);

/* The hang bound (ms) of the helpers' waits (default 30000); a suite
 * may change it in main() before running its tests. */
extern int e2e_hang_ms;

/* ================================================================ driver */

typedef struct e2e_driver {
    pid_t pid;
    int port;
    char dir[256];             /* temp folder */
    char mudlib[512];          /* dir/mudlib, when the suite uses it */
    char conf[PATH_MAX];
    int err_fd;                /* read end of the driver's stderr */
    port_thread_t reader;
    bool reader_started;
    bool sync_ready;           /* mu and cv initialised (a run happened) */
    port_mutex_t mu;           /* guards log, log_len, log_eof */
    port_cond_t cv;
    char *log;
    size_t log_len;
    bool log_eof;
} e2e_driver_t;

/* A port nobody listens on right now (bind to 0 on loopback, read, close). */
int e2e_free_port(void);

/* Writes `text` to `path` (created or truncated). */
void e2e_write_file(const char *path, const char *text);

/* The whole file (caller frees), or NULL when it cannot be read. */
char *e2e_read_whole_file(const char *path);

/* Copies the tree `src` into the existing folder `dst` (regular files
 * and folders only).  skip(rel), if not NULL, is given each path
 * relative to src ("" for src itself, else starting with '/') and
 * returns true for what is not copied. */
void e2e_copy_tree(const char *src, const char *dst, bool (*skip)(const char *rel));

/* Removes the tree `dir` (errors ignored). */
void e2e_remove_tree(const char *dir);

/* Initialises *d (no process: pid and err_fd -1), makes the temp folder
 * d->dir "/tmp/neolith-e2e-XXXXXX" (empty) and picks a free loopback
 * port (d->port).  d->mudlib and d->conf are left for the caller. */
void e2e_driver_init(e2e_driver_t *d);

/* e2e_driver_init(), then in d->dir an empty mudlib/ and neolith.conf:
 * a comment "# written by <tag>", the port, "bind address: 127.0.0.1" unless
 * `extra` sets its own, "log directory: log", then `extra` lines. */
void e2e_driver_prepare(e2e_driver_t *d, const char *tag, const char *extra);

/* Starts `which` ("echo": testsuite/neolith_echo, else src/neolith)
 * with argv[1..] = args (NULL terminated), under NEOLITH_E2E_WRAPPER if
 * set (sh -c 'exec WRAPPER ...', so d->pid is the driver's).  stderr
 * goes into a pipe drained by a thread into d->log; stdout to /dev/null
 * unless out_fd is not NULL (then the read end of a pipe is stored
 * there).  The child dies with the test process.  Called again on the
 * same d after e2e_driver_stop()/e2e_driver_wait(), it forgets the
 * previous run's log.  d must be prepared or zeroed. */
void e2e_driver_spawn(e2e_driver_t *d, const char *which, const char *const *args,
                      int *out_fd);

/* e2e_driver_spawn(d, which, {"-f", d->conf}) then waits for
 * "listening on port <d->port>" on its stderr; fails showing the stderr
 * when that does not come within e2e_hang_ms. */
void e2e_driver_start(e2e_driver_t *d, const char *which);

/* Waits until the driver's stderr contains `needle` (true), or it ends
 * without it or e2e_hang_ms passes (false). */
bool e2e_driver_wait_log(e2e_driver_t *d, const char *needle);

/* Whether the driver's stderr so far contains `needle` (no waiting). */
bool e2e_driver_log_contains(e2e_driver_t *d, const char *needle);

/* A copy of the driver's stderr so far (caller frees). */
char *e2e_driver_log_copy(e2e_driver_t *d);

/* Waits for the process to end (and the stderr reader to finish);
 * returns its wait status. */
int e2e_driver_wait(e2e_driver_t *d);

/* The exit code of a wait status; fails if the process did not exit
 * normally. */
int e2e_exit_code(int status);

/* Sends SIGTERM and waits; the driver must exit 0, else the test fails
 * showing the last 4000 bytes of its stderr.  Returns the code (0). */
int e2e_driver_stop(e2e_driver_t *d);

/* Kills the driver (SIGKILL) if it still runs, frees everything and
 * removes d->dir if set. */
void e2e_driver_cleanup(e2e_driver_t *d);

/* ================================================================ client */

typedef struct e2e_negotiation {
    unsigned char cmd;      /* WILL/WONT/DO/DONT, SB, or another command */
    unsigned char opt;
    unsigned char sb[64];   /* SB payload (after the option byte) */
    size_t sb_len;
    size_t at;              /* data bytes received before it */
} e2e_negotiation_t;

typedef enum e2e_client_mode {
    /* records every telnet command in neg[] (at most 64), answers none */
    E2E_CLIENT_RAW,
    /* like a telnet client: answers WILL/WONT ECHO with DO/DONT ECHO,
     * counts them, skips the other commands, and keeps every data byte
     * ever received in `seen` */
    E2E_CLIENT_PLAYER
} e2e_client_mode_t;

typedef struct e2e_client {
    int fd;
    e2e_client_mode_t mode;
    const char *who;        /* for failure messages (NULL: none) */
    unsigned char *data;    /* data bytes received and not yet consumed */
    size_t len, cap;
    size_t total;           /* data bytes received in all */
    char *seen;             /* PLAYER: every data byte ever received (NUL ended) */
    size_t seen_len, seen_cap;
    int state;              /* telnet reader state */
    unsigned char cmd;
    e2e_negotiation_t neg[64];   /* RAW: the commands received */
    int nneg;
    bool will_echo;         /* PLAYER: the driver's last word on ECHO: WILL */
    int will_echo_count;    /* PLAYER: IAC WILL ECHO received */
    int wont_echo_count;    /* PLAYER: IAC WONT ECHO received */
    int passwords_typed;    /* PLAYER: for the suite's password typing */
    bool eof;
    int error;              /* errno of a failed recv (ECONNRESET) */
} e2e_client_t;

/* A TCP socket connected to loopback (AF_INET or AF_INET6) `port`, with
 * TCP_NODELAY; rcvbuf > 0 sets SO_RCVBUF before connecting. */
int e2e_connect_with(int family, int port, int rcvbuf);

/* e2e_connect_with(family, port, 0). */
int e2e_connect_to(int family, int port);

/* A RAW client on the connected socket fd (it takes fd). */
e2e_client_t *e2e_client_new_fd(int fd);

/* A RAW client connected to the driver's IPv4 loopback port. */
e2e_client_t *e2e_client_connect(e2e_driver_t *d);

/* A PLAYER client connected to the driver; `who` names it in failures. */
e2e_client_t *e2e_client_connect_player(e2e_driver_t *d, const char *who);

/* Closes the connection and frees c (NULL is fine). */
void e2e_client_free(e2e_client_t *c);

/* Reads once, waiting up to timeout_ms.  Returns the bytes read, 0 at
 * EOF or reset (c->eof / c->error set), -1 when nothing came in time. */
ssize_t e2e_client_read_some(e2e_client_t *c, int timeout_ms);

/* e2e_client_read_some() waiting until the port_clock deadline. */
ssize_t e2e_client_read_some_until(e2e_client_t *c, int64_t deadline);

/* Sends all of data (fails on a send error). */
void e2e_send_all(int fd, const void *data, size_t len);

/* Sends `text` as it is. */
void e2e_client_send(e2e_client_t *c, const char *text);

/* Sends `line` and the telnet end of line "\r\n". */
void e2e_client_send_line(e2e_client_t *c, const char *line);

/* Sends `cmd` and "\r\n" in one send (cmd cut to 509 bytes), then
 * e2e_client_wait_for(c, reply). */
void e2e_client_command(e2e_client_t *c, const char *cmd, const char *reply);

/* p[0..n) with bytes outside printable ASCII and '\\' as \xNN (caller frees). */
char *e2e_printable(const unsigned char *p, size_t n);

/* Drops the first n unconsumed data bytes. */
void e2e_client_consume(e2e_client_t *c, size_t n);

/* Waits until at least n data bytes are unconsumed (true) or EOF/reset
 * (false); fails when e2e_hang_ms passes without data. */
bool e2e_client_fill(e2e_client_t *c, size_t n);

/* The next data bytes must be exactly `expected`; consumes them. */
void e2e_client_expect(e2e_client_t *c, const char *expected);

/* Waits until the unconsumed data contains `needle`, then consumes
 * everything up to and including it.  Fails (showing what came) when the
 * connection ends or no data arrives for e2e_hang_ms. */
void e2e_client_wait_for(e2e_client_t *c, const char *needle);

/* Waits at most timeout_ms in all until the unconsumed data contains
 * `needle`; returns everything up to and including it (caller frees)
 * and consumes it.  Fails, showing what came, when the connection ends
 * or the time is up. */
char *e2e_client_read_until_ms(e2e_client_t *c, const char *needle, int timeout_ms);

/* Reads until EOF or reset (true; the bytes are kept), false when no
 * data comes for e2e_hang_ms. */
bool e2e_client_read_to_eof(e2e_client_t *c);

/* Reads until the connection closes; fails when it does not within
 * e2e_hang_ms in all. */
void e2e_client_wait_eof(e2e_client_t *c);

/* RAW: reads until a command (cmd, opt) has arrived; returns it. */
e2e_negotiation_t *e2e_client_wait_negotiation(e2e_client_t *c, unsigned char cmd,
                                               unsigned char opt);

/* RAW: the first command (cmd, opt) received so far, or NULL. */
e2e_negotiation_t *e2e_client_find_negotiation(e2e_client_t *c, unsigned char cmd,
                                               unsigned char opt);

#endif
