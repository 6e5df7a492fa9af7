/*
 * bench_connections.c - connection load generator for the driver.
 *
 * Opens N telnet connections to a driver running the echo test
 * application (testsuite/neolith_echo: every line comes back as
 * "echo: LINE" followed by the prompt "> "), waits for each welcome
 * prompt, then sends lines at a fixed total rate spread round-robin over
 * the connections for a given time, and reports:
 *   - connections requested, established, held to the end, errors;
 *   - round trip per line (send -> the complete "echo: LINE" reply):
 *     p50, p90, p99, p99.9, max;
 *   - lines sent / answered / lost, the rate achieved, and how late the
 *     generator itself was against its schedule (so a slow generator is
 *     not mistaken for a slow driver);
 *   - with --spawn, the driver's CPU time during the measured phase and
 *     its resident memory with all connections open.
 *
 * The generator is open-loop: line k is due at start + k / rate whatever
 * the replies do, so a stalled driver shows up as latency rather than as
 * a politely reduced rate.  Replies on one connection come back in the
 * order sent, so each connection keeps a small FIFO of send times.
 *
 * --spawn PATH starts PATH (testsuite/neolith_echo) itself with a
 * temporary config on a free loopback port, raises RLIMIT_NOFILE for both
 * processes, and stops it with SIGTERM at the end (its exit status is
 * reported: a clean shutdown with N connections open is part of the
 * test).  Without --spawn it connects to --host/--port.
 *
 * One thread, epoll + timerfd (Linux).  Elsewhere it says so and exits 77
 * (automake's "skipped").
 *
 * Exit status: 0 when every connection was established and held and every
 * line answered (and, with --max-p99-us, the p99 met it); 1 otherwise;
 * 2 for a bad command line.
 */
#include "config.h"

#include "bench/bench_stats.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- parameters ------------------------------------------------------ */

#define DEFAULT_CONNECTIONS 1000
#define DEFAULT_RATE        1000.0
#define DEFAULT_SECONDS     10.0
#define CONNECT_IN_FLIGHT   256     /* connects outstanding at once */
#define CONNECT_TIMEOUT_MS  60000   /* for the whole connect phase */
#define DRAIN_TIMEOUT_MS    3000    /* waiting for the last replies */
#define READ_BUFFER         4096
#define LINE_MAX_LEN        64      /* our lines are "pNNNNNNNNN" */
#define SEND_FIFO           16      /* outstanding lines per connection */
#define MAX_EVENTS          512
#define SPAWN_READY_MS      10000

typedef enum client_state {
    CLIENT_IDLE,        /* not yet connecting */
    CLIENT_CONNECTING,  /* non-blocking connect in flight */
    CLIENT_WELCOME,     /* connected, waiting for the first prompt */
    CLIENT_READY,
    CLIENT_DEAD
} client_state_t;

typedef struct client {
    int fd;
    client_state_t state;
    uint32_t index;
    uint64_t next_seq;      /* sequence of the next line sent */
    uint64_t expect_seq;    /* sequence the next reply must carry */
    int64_t sent_ns[SEND_FIFO];
    unsigned fifo_head, fifo_count;
    char buf[READ_BUFFER];  /* partial reply line */
    size_t buf_len;
} client_t;

typedef struct options {
    const char *host;
    int port;
    int connections;
    double rate;
    double seconds;
    const char *spawn;
    int64_t max_p99_us;     /* 0: no check */
} options_t;

static struct bench {
    options_t opt;
    client_t *clients;
    int epfd;
    int timerfd;

    int connecting;         /* CLIENT_CONNECTING now */
    int next_to_connect;
    int established;        /* reached CLIENT_WELCOME */
    int ready;              /* reached CLIENT_READY */
    int connect_errors;
    int lost;               /* died after being established */
    char first_error[160];

    bool measuring;
    uint64_t sent, answered, mismatched, send_errors;
    bench_samples_t rtt;
    bench_samples_t lag;    /* generator lateness vs schedule */

    pid_t child;
    char tmpdir[64];
} B = { .epfd = -1, .timerfd = -1, .child = -1 };

/* ---- small helpers ----------------------------------------------------- */

/* Keeps the first error for the report: "what: strerror(err)", or just
 * "what" when err is 0. */
static void note_error(const char *what, int err)
{
    if (B.first_error[0] != '\0')
        return;
    if (err != 0)
        snprintf(B.first_error, sizeof B.first_error, "%s: %s", what, strerror(err));
    else
        snprintf(B.first_error, sizeof B.first_error, "%s", what);
}

static void usage(FILE *to)
{
    fprintf(to,
        "usage: bench_connections [--host H] [--port P] [--connections N]\n"
        "                         [--rate LINES_PER_SEC] [--seconds S]\n"
        "                         [--spawn PATH_TO_neolith_echo] [--max-p99-us US]\n"
        "  defaults: --host 127.0.0.1 --port 4000 --connections %d --rate %.0f"
        " --seconds %.0f\n"
        "  --rate 0 only holds the connections for the given time.\n",
        DEFAULT_CONNECTIONS, DEFAULT_RATE, DEFAULT_SECONDS);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    o->host = "127.0.0.1";
    o->port = 4000;
    o->connections = DEFAULT_CONNECTIONS;
    o->rate = DEFAULT_RATE;
    o->seconds = DEFAULT_SECONDS;
    o->spawn = NULL;
    o->max_p99_us = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long l;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (v == NULL) {
            fprintf(stderr, "bench_connections: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--host") == 0) {
            o->host = v;
        } else if (strcmp(a, "--port") == 0) {
            if (!parse_long(v, 1, 65535, &l))
                goto bad;
            o->port = (int)l;
        } else if (strcmp(a, "--connections") == 0) {
            if (!parse_long(v, 1, 1000000, &l))
                goto bad;
            o->connections = (int)l;
        } else if (strcmp(a, "--rate") == 0) {
            if (!parse_double(v, 0, 10e6, &o->rate))
                goto bad;
        } else if (strcmp(a, "--seconds") == 0) {
            if (!parse_double(v, 0.1, 86400, &o->seconds))
                goto bad;
        } else if (strcmp(a, "--spawn") == 0) {
            o->spawn = v;
        } else if (strcmp(a, "--max-p99-us") == 0) {
            if (!parse_long(v, 1, 100000000, &l))
                goto bad;
            o->max_p99_us = l;
        } else {
            fprintf(stderr, "bench_connections: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        continue;
bad:
        fprintf(stderr, "bench_connections: bad value '%s' for %s\n", v, a);
        return 2;
    }
    return 0;
}

/* Raises the soft RLIMIT_NOFILE to `need` (up to the hard limit).
 * Returns the limit now in force. */
static rlim_t raise_fd_limit(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur >= need)
        return rl.rlim_cur;
    rl.rlim_cur = need <= rl.rlim_max ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *sl)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "bench_connections: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* ---- the spawned driver ------------------------------------------------ */

static int free_loopback_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof a;
    int port = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &sl) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* Writes a config into a fresh temporary folder and starts the driver
 * on a free loopback port; waits until it accepts connections. */
static int spawn_driver(options_t *o)
{
    snprintf(B.tmpdir, sizeof B.tmpdir, "/tmp/bench_connections.XXXXXX");
    if (mkdtemp(B.tmpdir) == NULL) {
        perror("bench_connections: mkdtemp");
        return -1;
    }
    int port = free_loopback_port();
    if (port < 0) {
        perror("bench_connections: no free port");
        return -1;
    }
    char path[160];
    snprintf(path, sizeof path, "%s/neolith.conf", B.tmpdir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror("bench_connections: writing the config");
        return -1;
    }
    fprintf(f, "# written by bench_connections\n"
               "mudlib directory: .\n"
               "port: %d\n"
               "bind address: 127.0.0.1\n"
               "log directory: log\n"
               "max connections: %d\n",
            port, o->connections + 64);
    fclose(f);

    char err_path[160];
    snprintf(err_path, sizeof err_path, "%s/stderr.log", B.tmpdir);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_connections: fork");
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        if (err >= 0)
            dup2(err, 2);
        execl(o->spawn, o->spawn, "-f", path, (char *)NULL);
        fprintf(stderr, "bench_connections: cannot run %s: %s\n", o->spawn, strerror(errno));
        _exit(127);
    }
    B.child = pid;
    o->host = "127.0.0.1";
    o->port = port;

    /* Ready when a connect succeeds. */
    int64_t deadline = port_deadline_after_ms(SPAWN_READY_MS);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (!port_deadline_expired(deadline)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            B.child = -1;
            fprintf(stderr, "bench_connections: %s exited at start-up (see %s)\n",
                    o->spawn, err_path);
            return -1;
        }
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
            close(s);
            return 0;
        }
        if (s >= 0)
            close(s);
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bench_connections: %s did not start listening in %d ms\n",
            o->spawn, SPAWN_READY_MS);
    return -1;
}

/* utime + stime of the child in nanoseconds, from /proc; -1 if unknown. */
static int64_t child_cpu_ns(void)
{
    if (B.child <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)B.child);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    int64_t result = -1;
    if (fgets(line, sizeof line, f) != NULL) {
        /* Fields after the ")" that closes the command name: state is
         * field 3; utime and stime are fields 14 and 15. */
        char *p = strrchr(line, ')');
        unsigned long long ut, st;
        if (p != NULL &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                   &ut, &st) == 2) {
            long hz = sysconf(_SC_CLK_TCK);
            result = (int64_t)((ut + st) * (PORT_NS_PER_SEC / hz));
        }
    }
    fclose(f);
    return result;
}

/* The child's resident set in KiB from /proc; -1 if unknown. */
static long child_rss_kib(void)
{
    if (B.child <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)B.child);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static int stop_driver(void)
{
    if (B.child <= 0)
        return -1;
    kill(B.child, SIGTERM);
    int status = 0;
    int64_t deadline = port_deadline_after_ms(15000);
    for (;;) {
        pid_t r = waitpid(B.child, &status, WNOHANG);
        if (r == B.child)
            break;
        if (port_deadline_expired(deadline)) {
            kill(B.child, SIGKILL);
            waitpid(B.child, &status, 0);
            B.child = -1;
            return -2;
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    B.child = -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Removes what spawn_driver and the driver put in the temporary folder:
 * the config, the driver's stderr, its log folder. */
static void remove_tmpdir(void)
{
    if (B.tmpdir[0] == '\0')
        return;
    static const char *const files[] = {
        "neolith.conf", "stderr.log", "log/neolith.log",
    };
    char path[160];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", B.tmpdir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/log", B.tmpdir);
    rmdir(path);
    if (rmdir(B.tmpdir) != 0)
        fprintf(stderr, "bench_connections: could not remove %s: %s\n", B.tmpdir,
                strerror(errno));
    B.tmpdir[0] = '\0';
}

/* ---- clients ----------------------------------------------------------- */

static void client_kill(client_t *c, bool counted_as_lost)
{
    if (c->state == CLIENT_DEAD)
        return;
    if (c->state == CLIENT_CONNECTING)
        B.connecting--;
    if (c->state == CLIENT_READY || c->state == CLIENT_WELCOME) {
        if (counted_as_lost)
            B.lost++;
    } else if (counted_as_lost) {
        B.connect_errors++;
    }
    if (c->fd >= 0) {
        epoll_ctl(B.epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = CLIENT_DEAD;
}

static void client_start_connect(client_t *c, const struct sockaddr_storage *ss, socklen_t sl)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        note_error("socket", errno);
        c->state = CLIENT_DEAD;
        B.connect_errors++;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    int rc = connect(fd, (const struct sockaddr *)ss, sl);
    if (rc != 0 && errno != EINPROGRESS) {
        note_error("connect", errno);
        close(fd);
        c->fd = -1;
        c->state = CLIENT_DEAD;
        B.connect_errors++;
        return;
    }
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = c->index };
    if (epoll_ctl(B.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        note_error("epoll_ctl", errno);
        close(fd);
        c->fd = -1;
        c->state = CLIENT_DEAD;
        B.connect_errors++;
        return;
    }
    c->state = CLIENT_CONNECTING;
    B.connecting++;
}

static void client_connected(client_t *c)
{
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) {
        note_error("connect", err);
        client_kill(c, true);
        return;
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = c->index };
    epoll_ctl(B.epfd, EPOLL_CTL_MOD, c->fd, &ev);
    B.connecting--;
    B.established++;
    c->state = CLIENT_WELCOME;
}

/* One complete line from the driver (telnet commands removed). */
static void client_line(client_t *c, const char *line, size_t len, int64_t now)
{
    const char *p = memchr(line, 'e', len);
    while (p != NULL && (size_t)(line + len - p) >= 7 && memcmp(p, "echo: p", 7) != 0)
        p = memchr(p + 1, 'e', (size_t)(line + len - p - 1));
    if (p == NULL || (size_t)(line + len - p) < 7)
        return;     /* welcome text and the like */
    uint64_t seq = strtoull(p + 7, NULL, 10);
    if (c->fifo_count == 0 || seq != c->expect_seq) {
        B.mismatched++;
        return;
    }
    int64_t sent = c->sent_ns[c->fifo_head];
    c->fifo_head = (c->fifo_head + 1) % SEND_FIFO;
    c->fifo_count--;
    c->expect_seq++;
    B.answered++;
    if (B.measuring)
        bench_samples_add(&B.rtt, now - sent);
}

static void client_readable(client_t *c)
{
    char in[READ_BUFFER];
    for (;;) {
        ssize_t n = recv(c->fd, in, sizeof in, 0);
        if (n == 0) {
            note_error("the driver closed a connection", 0);
            client_kill(c, true);
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            note_error("recv", errno);
            client_kill(c, true);
            return;
        }
        int64_t now = port_clock_now_ns();
        for (ssize_t i = 0; i < n; i++) {
            unsigned char b = (unsigned char)in[i];
            if (b == 0xff) {
                /* The driver only sends 3-byte negotiation commands
                 * (IAC DO/DONT/WILL/WONT opt); skip them. */
                i += 2;
                continue;
            }
            if (c->state == CLIENT_WELCOME && b == '>') {
                c->state = CLIENT_READY;
                B.ready++;
            }
            if (b == '\n') {
                client_line(c, c->buf, c->buf_len, now);
                c->buf_len = 0;
            } else if (c->buf_len < sizeof c->buf) {
                c->buf[c->buf_len++] = (char)b;
            }
        }
        if ((size_t)n < sizeof in)
            return;
    }
}

static void client_send_line(client_t *c, int64_t due_ns)
{
    if (c->fifo_count == SEND_FIFO) {
        B.send_errors++;    /* too many unanswered: the driver is stuck */
        return;
    }
    char line[LINE_MAX_LEN];
    int len = snprintf(line, sizeof line, "p%llu\r\n", (unsigned long long)c->next_seq);
    int64_t now = port_clock_now_ns();
    ssize_t n = send(c->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != len) {
        B.send_errors++;
        if (n < 0 && errno != EAGAIN)
            client_kill(c, true);
        return;
    }
    unsigned slot = (c->fifo_head + c->fifo_count) % SEND_FIFO;
    c->sent_ns[slot] = now;
    c->fifo_count++;
    c->next_seq++;
    B.sent++;
    if (B.measuring && due_ns > 0)
        bench_samples_add(&B.lag, now - due_ns);
}

/* Handles one epoll batch.  Returns the number of timer expirations. */
static uint64_t handle_events(struct epoll_event *evs, int n)
{
    uint64_t ticks = 0;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u32 == UINT32_MAX) {
            uint64_t t;
            if (read(B.timerfd, &t, sizeof t) == (ssize_t)sizeof t)
                ticks += t;
            continue;
        }
        client_t *c = &B.clients[evs[i].data.u32];
        if (c->state == CLIENT_DEAD)
            continue;
        if (c->state == CLIENT_CONNECTING) {
            client_connected(c);
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            client_readable(c);
    }
    return ticks;
}

static void arm_timer_ns(int64_t interval_ns)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_interval.tv_sec = interval_ns / PORT_NS_PER_SEC;
    its.it_interval.tv_nsec = interval_ns % PORT_NS_PER_SEC;
    its.it_value = its.it_interval;
    timerfd_settime(B.timerfd, 0, &its, NULL);
}

/* ---- phases ------------------------------------------------------------ */

static int connect_all(const struct sockaddr_storage *ss, socklen_t sl)
{
    struct epoll_event evs[MAX_EVENTS];
    int64_t deadline = port_deadline_after_ms(CONNECT_TIMEOUT_MS);
    int n_conn = B.opt.connections;
    while (B.ready + B.connect_errors + B.lost < n_conn) {
        while (B.connecting < CONNECT_IN_FLIGHT && B.next_to_connect < n_conn)
            client_start_connect(&B.clients[B.next_to_connect++], ss, sl);
        if (port_deadline_expired(deadline))
            break;
        int n = epoll_wait(B.epfd, evs, MAX_EVENTS, 100);
        if (n < 0 && errno != EINTR) {
            perror("bench_connections: epoll_wait");
            return -1;
        }
        if (n > 0)
            handle_events(evs, n);
    }
    return 0;
}

/* Sends at opt.rate for opt.seconds (or just holds), measuring. */
static void run_load(void)
{
    struct epoll_event evs[MAX_EVENTS];
    int n_conn = B.opt.connections;
    int64_t start = port_clock_now_ns();
    int64_t end = start + (int64_t)(B.opt.seconds * 1e9);
    double interval = B.opt.rate > 0 ? 1e9 / B.opt.rate : 0;
    /* The timer ticks at most every 100 us; each tick sends whatever is
     * due, so rates above 10,000/s send small bursts. */
    int64_t tick = interval > 0 ? (int64_t)interval : 100 * PORT_NS_PER_MS;
    if (tick < 100 * PORT_NS_PER_US)
        tick = 100 * PORT_NS_PER_US;
    arm_timer_ns(tick);
    uint64_t k = 0;         /* lines scheduled so far */
    int rr = 0;             /* round-robin cursor */
    B.measuring = true;
    for (;;) {
        int64_t now = port_clock_now_ns();
        if (now >= end)
            break;
        if (interval > 0) {
            while (start + (int64_t)((double)k * interval) <= now) {
                int64_t due = start + (int64_t)((double)k * interval);
                k++;
                for (int tries = 0; tries < n_conn; tries++) {
                    client_t *c = &B.clients[rr];
                    rr = (rr + 1) % n_conn;
                    if (c->state == CLIENT_READY) {
                        client_send_line(c, due);
                        break;
                    }
                }
            }
        }
        int n = epoll_wait(B.epfd, evs, MAX_EVENTS, 100);
        if (n > 0)
            handle_events(evs, n);
    }
    B.measuring = false;
    arm_timer_ns(0);
    /* Drain: the replies still on their way (lines sent just before the
     * end) are waited for and sampled like the others. */
    int64_t deadline = port_deadline_after_ms(DRAIN_TIMEOUT_MS);
    B.measuring = true;
    while (B.answered + B.mismatched < B.sent && !port_deadline_expired(deadline)) {
        int n = epoll_wait(B.epfd, evs, MAX_EVENTS, 10);
        if (n > 0)
            handle_events(evs, n);
    }
    B.measuring = false;
}

static void print_report(double elapsed_s, int64_t server_cpu_ns, long server_rss_kib,
                         int driver_status)
{
    char a[BENCH_FMT_LEN], b[BENCH_FMT_LEN], c[BENCH_FMT_LEN], d[BENCH_FMT_LEN],
         e[BENCH_FMT_LEN];
    int held = 0;
    for (int i = 0; i < B.opt.connections; i++)
        if (B.clients[i].state == CLIENT_READY)
            held++;
    printf("\n== bench_connections: %d connections, %.0f lines/s, %.1f s ==\n",
           B.opt.connections, B.opt.rate, B.opt.seconds);
    printf("  connections: requested %d, established %d, welcomed %d, "
           "held to the end %d, connect errors %d, lost %d\n",
           B.opt.connections, B.established, B.ready, held, B.connect_errors, B.lost);
    if (B.first_error[0] != '\0')
        printf("  first error: %s\n", B.first_error);
    if (B.opt.rate > 0) {
        printf("  lines: sent %llu, answered %llu, mismatched %llu, send errors %llu; "
               "achieved %.1f lines/s\n",
               (unsigned long long)B.sent, (unsigned long long)B.answered,
               (unsigned long long)B.mismatched, (unsigned long long)B.send_errors,
               elapsed_s > 0 ? (double)B.sent / elapsed_s : 0.0);
        printf("  round trip: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%zu samples)\n",
               bench_format_ns(a, bench_samples_percentile(&B.rtt, 50)),
               bench_format_ns(b, bench_samples_percentile(&B.rtt, 90)),
               bench_format_ns(c, bench_samples_percentile(&B.rtt, 99)),
               bench_format_ns(d, bench_samples_percentile(&B.rtt, 99.9)),
               bench_format_ns(e, bench_samples_percentile(&B.rtt, 100)),
               B.rtt.count);
        printf("  generator lag behind schedule: p50 %s  p99 %s  max %s\n",
               bench_format_ns(a, bench_samples_percentile(&B.lag, 50)),
               bench_format_ns(b, bench_samples_percentile(&B.lag, 99)),
               bench_format_ns(c, bench_samples_percentile(&B.lag, 100)));
    }
    if (server_cpu_ns >= 0)
        printf("  driver CPU during the run: %s (%.1f%% of one core)\n",
               bench_format_ns(a, server_cpu_ns),
               elapsed_s > 0 ? 100.0 * (double)server_cpu_ns / (elapsed_s * 1e9) : 0.0);
    if (server_rss_kib >= 0)
        printf("  driver resident memory with the connections open: %.1f MiB "
               "(%.1f KiB per connection, including the process baseline)\n",
               (double)server_rss_kib / 1024.0,
               (double)server_rss_kib / (B.opt.connections > 0 ? B.opt.connections : 1));
    if (driver_status != -1)
        printf("  driver exit status after SIGTERM with %d connections open: %d\n",
               held, driver_status);
}

int main(int argc, char **argv)
{
    int rc = parse_options(argc, argv, &B.opt);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);

    /* Each connection is one descriptor here and one in the driver
     * (which inherits the raised limit when spawned); 64 spare. */
    rlim_t need = (rlim_t)B.opt.connections + 64;
    rlim_t have = raise_fd_limit(need);
    if (have < need) {
        if (have <= 64 + 16) {
            fprintf(stderr, "bench_connections: the file descriptor limit is %llu: "
                    "too low to run\n", (unsigned long long)have);
            return 1;
        }
        int fit = (int)(have - 64);
        printf("bench_connections: NOTE: the file descriptor hard limit (%llu) allows %d "
               "of the %d connections asked for; measuring with %d (raise it with "
               "ulimit -Hn to reach the goal)\n",
               (unsigned long long)have, fit, B.opt.connections, fit);
        B.opt.connections = fit;
    }
    if (B.opt.spawn != NULL && spawn_driver(&B.opt) != 0) {
        if (B.child > 0)
            stop_driver();
        remove_tmpdir();
        return 1;
    }

    struct sockaddr_storage ss;
    socklen_t sl;
    int status = 1;
    int driver_status = -1;
    if (resolve(B.opt.host, B.opt.port, &ss, &sl) != 0)
        goto out;

    size_t expected = (size_t)(B.opt.rate * (B.opt.seconds + 1)) + 1024;
    B.clients = calloc((size_t)B.opt.connections, sizeof *B.clients);
    B.epfd = epoll_create1(EPOLL_CLOEXEC);
    B.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (B.clients == NULL || B.epfd < 0 || B.timerfd < 0 ||
        bench_samples_init(&B.rtt, expected) != 0 ||
        bench_samples_init(&B.lag, expected) != 0) {
        fprintf(stderr, "bench_connections: out of memory or descriptors\n");
        goto out;
    }
    struct epoll_event tev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
    epoll_ctl(B.epfd, EPOLL_CTL_ADD, B.timerfd, &tev);
    for (int i = 0; i < B.opt.connections; i++) {
        B.clients[i].fd = -1;
        B.clients[i].index = (uint32_t)i;
    }

    printf("bench_connections: %s:%d, %d connections, %.0f lines/s for %.1f s%s\n",
           B.opt.host, B.opt.port, B.opt.connections, B.opt.rate, B.opt.seconds,
           B.opt.spawn != NULL ? " (driver spawned)" : "");
    fflush(stdout);
    int64_t t0 = port_clock_now_ns();
    if (connect_all(&ss, sl) != 0)
        goto out;
    int64_t t1 = port_clock_now_ns();
    char fa[BENCH_FMT_LEN];
    printf("  connect phase: %d of %d welcomed in %s\n", B.ready, B.opt.connections,
           bench_format_ns(fa, t1 - t0));
    fflush(stdout);

    int64_t cpu0 = child_cpu_ns();
    int64_t r0 = port_clock_now_ns();
    run_load();
    int64_t r1 = port_clock_now_ns();
    int64_t cpu1 = child_cpu_ns();
    int64_t server_cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    long server_rss = child_rss_kib();

    if (B.opt.spawn != NULL)
        driver_status = stop_driver();
    print_report((double)(r1 - r0) / 1e9, server_cpu, server_rss, driver_status);

    int held = 0;
    for (int i = 0; i < B.opt.connections; i++)
        if (B.clients[i].state == CLIENT_READY)
            held++;
    status = 0;
    if (held != B.opt.connections || B.mismatched != 0 || B.send_errors != 0 ||
        B.answered != B.sent)
        status = 1;
    if (B.opt.spawn != NULL && driver_status != 0)
        status = 1;
    if (B.opt.max_p99_us > 0 && B.opt.rate > 0) {
        int64_t p99 = bench_samples_percentile(&B.rtt, 99);
        bool ok = p99 >= 0 && p99 <= B.opt.max_p99_us * PORT_NS_PER_US;
        printf("  p99 target %lld us: %s\n", (long long)B.opt.max_p99_us,
               ok ? "met" : "MISSED");
        if (!ok)
            status = 1;
    }

out:
    if (B.clients != NULL)
        for (int i = 0; i < B.opt.connections; i++)
            if (B.clients[i].fd >= 0)
                close(B.clients[i].fd);
    free(B.clients);
    if (B.epfd >= 0)
        close(B.epfd);
    if (B.timerfd >= 0)
        close(B.timerfd);
    bench_samples_free(&B.rtt);
    bench_samples_free(&B.lag);
    if (B.child > 0)
        stop_driver();
    remove_tmpdir();
    return status;
}

#else /* !__linux__ */

int main(void)
{
    fprintf(stderr, "bench_connections: needs Linux (epoll, timerfd); skipped\n");
    return 77;
}

#endif
