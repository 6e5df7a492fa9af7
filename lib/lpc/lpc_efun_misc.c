/*
 * lpc_efun_misc.c - random, time, ctime; and lpc_efun_std_register(),
 * which registers the whole standard efun set (every lpc_efun_*.c table,
 * sprintf's and sscanf's).
 */
#include "config.h"
#include "lpc/lpc_efun_std.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "port/port_clock.h"
#include "port/port_random.h"

/* -------------------------------------------------------------- random */

/*
 * xoshiro256** (Blackman & Vigna, public domain algorithm), seeded once
 * from the clock through splitmix64.  Not cryptographic: random() is for
 * game play.  Single-threaded like the interpreter.
 */
static uint64_t rng_state[4];
static bool rng_seeded;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
    if (!rng_seeded) {
        uint64_t seed;
        if (port_random_bytes(&seed, sizeof seed) != 0) {
            /* no OS randomness: time, the monotonic clock and ASLR */
            seed = (uint64_t)time(NULL) * UINT64_C(1000000007)
                 ^ (uint64_t)port_clock_now_ns() ^ (uint64_t)(uintptr_t)&seed;
        }
        for (int i = 0; i < 4; i++)
            rng_state[i] = splitmix64(&seed);
        rng_seeded = true;
    }
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/*
 * int random(int n): a uniformly distributed integer in 0..n-1; n must be
 * positive.  Unbiased (rejection sampling), whatever n is.
 */
static void efun_random(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    int64_t n = args[0].u.i;
    if (n <= 0)
        lpc_error(vm, "random: the argument must be positive, got %lld", (long long)n);
    uint64_t range = (uint64_t)n;
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;   /* multiple of range */
    uint64_t x;
    do
        x = rng_next();
    while (x >= limit);
    *ret = lpc_int((int64_t)(x % range));
}

/* ---------------------------------------------------------------- time */

/* int time(): seconds since the Unix epoch. */
static void efun_time(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)args; (void)nargs;
    *ret = lpc_int((int64_t)time(NULL));
}

/*
 * string ctime(int clock = time())
 *
 * The local time of `clock` in the C ctime() layout without its newline,
 * always in English whatever the locale: "Thu Jan  1 00:00:00 1970"
 * (24 bytes for years 1000..9999; the day of the month is padded with a
 * space).  A clock the C library cannot convert is an error.
 */
static void efun_ctime(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    int64_t clock = nargs >= 1 ? args[0].u.i : (int64_t)time(NULL);
    time_t t = (time_t)clock;
    struct tm tm;
    bool ok = (int64_t)t == clock;
#if defined(_WIN32)
    ok = ok && localtime_s(&tm, &t) == 0;
#else
    ok = ok && localtime_r(&t, &tm) != NULL;
#endif
    if (!ok || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
        lpc_error(vm, "ctime: time %lld cannot be converted", (long long)clock);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %lld", days[tm.tm_wday],
                     months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long long)tm.tm_year + 1900);
    *ret = lpc_value_string(lpc_string_new(buf, (size_t)(n > 0 ? n : 0)));
}

static const lpc_efun_def_t misc_efuns[] = {
    { "random", efun_random, 1, 1, 0, 0, LPC_TM_INT, { LPC_TM_INT } },
    { "time", efun_time, 0, 0, 0, 0, LPC_TM_INT, { 0 } },
    { "ctime", efun_ctime, 0, 1, 0, 0, LPC_TM_STRING, { LPC_TM_INT } },
};

const lpc_efun_def_t *lpc_efun_misc_table(size_t *count)
{
    *count = sizeof misc_efuns / sizeof misc_efuns[0];
    return misc_efuns;
}

/* ------------------------------------------------------- registration */

/*
 * Registers the standard set.  The tables are static and well-formed, so
 * lpc_efun_register() cannot refuse them; a refusal would be a bug in
 * one of them, reported on stderr (the efuns of that table are missing).
 */
void lpc_efun_std_register(void)
{
    static const lpc_efun_def_t *(*const tables[])(size_t *) = {
        lpc_efun_string_table,
        lpc_efun_sprintf_table,
        lpc_efun_sscanf_table,
        lpc_efun_container_table,
        lpc_efun_type_table,
        lpc_efun_misc_table,
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        size_t count;
        const lpc_efun_def_t *defs = tables[i](&count);
        if (lpc_efun_register(defs, count) != 0)
            fprintf(stderr, "lpc: efun table starting with %s() was refused\n",
                    defs[0].name);
    }
}
