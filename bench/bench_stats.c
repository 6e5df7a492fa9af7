/*
 * bench_stats.c - percentiles (qsort), rates, ratios, formatting.
 */
#include "config.h"
#include "bench/bench_stats.h"

#include "port/port_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>  /* GetProcessTimes */
#else
#include <sys/resource.h>
#include <unistd.h>
#endif

int bench_samples_init(bench_samples_t *samples, size_t capacity)
{
    samples->count = 0;
    samples->overflow = 0;
    samples->sorted = true;
    samples->capacity = 0;
    samples->values_ns = NULL;
    if (capacity == 0)
        return 0;
    samples->values_ns = malloc(capacity * sizeof *samples->values_ns);
    if (samples->values_ns == NULL)
        return -1;
    samples->capacity = capacity;
    return 0;
}

void bench_samples_free(bench_samples_t *samples)
{
    free(samples->values_ns);
    samples->values_ns = NULL;
    samples->capacity = 0;
    samples->count = 0;
}

void bench_samples_reset(bench_samples_t *samples)
{
    samples->count = 0;
    samples->overflow = 0;
    samples->sorted = true;
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int64_t bench_samples_percentile(bench_samples_t *samples, double pct)
{
    if (samples->count == 0)
        return -1;
    if (!samples->sorted) {
        qsort(samples->values_ns, samples->count, sizeof *samples->values_ns,
              compare_int64);
        samples->sorted = true;
    }
    /* Nearest rank: the smallest value with at least pct% of the samples
     * at or below it. */
    double exact_rank = pct / 100.0 * (double)samples->count;
    size_t rank = exact_rank > 0.0 ? (size_t)exact_rank : 0;
    if ((double)rank < exact_rank)
        rank++;  /* ceil without libm */
    size_t index = rank == 0 ? 0 : rank - 1;
    if (index >= samples->count)
        index = samples->count - 1;
    return samples->values_ns[index];
}

double bench_median(double *values, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(values, n, sizeof *values, compare_double);
    if (n % 2 == 1)
        return values[n / 2];
    return (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

double bench_rate_per_sec(uint64_t count, int64_t elapsed_ns)
{
    if (elapsed_ns <= 0)
        return 0.0;
    return (double)count * (double)PORT_NS_PER_SEC / (double)elapsed_ns;
}

double bench_ratio(double a, double b)
{
    if (!(a > 0.0) || !(b > 0.0) || !isfinite(a) || !isfinite(b))
        return NAN;
    return a / b;
}

/* Reads the machine-wide CPU counters (the "cpu" line of /proc/stat, in
 * clock ticks).  False when there is no such file. */
static bool read_machine_cpu(double *busy_s, double *steal_s)
{
#ifdef _WIN32
    (void)busy_s;  /* no /proc/stat: the report says "unknown on this OS" */
    (void)steal_s;
    return false;
#else
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return false;
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
    int fields = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                        &user, &nice, &system, &idle, &iowait, &irq,
                        &softirq, &steal);
    fclose(f);
    long ticks_per_s = sysconf(_SC_CLK_TCK);
    if (fields != 8 || ticks_per_s <= 0)
        return false;
    /* guest time is already part of user time. */
    *busy_s = (double)(user + nice + system + irq + softirq) / (double)ticks_per_s;
    *steal_s = (double)steal / (double)ticks_per_s;
    return true;
#endif
}

/* CPU seconds this process used (user + system), or NAN. */
static double self_cpu_seconds(void)
{
#ifdef _WIN32
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
        return NAN;
    ULARGE_INTEGER k = { .u = { kernel.dwLowDateTime, kernel.dwHighDateTime } };
    ULARGE_INTEGER u = { .u = { user.dwLowDateTime, user.dwHighDateTime } };
    return (double)(k.QuadPart + u.QuadPart) / 1e7;  /* 100 ns units */
#else
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return NAN;
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6
         + (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
#endif
}

void bench_cpu_snapshot(bench_cpu_snapshot_t *snapshot)
{
    snapshot->wall_ns = port_clock_now_ns();
    if (!read_machine_cpu(&snapshot->machine_busy_s, &snapshot->machine_steal_s)) {
        snapshot->machine_busy_s = NAN;
        snapshot->machine_steal_s = NAN;
    }
    snapshot->self_s = self_cpu_seconds();
}

double bench_cpu_used_by_others(const bench_cpu_snapshot_t *before,
                                const bench_cpu_snapshot_t *after)
{
    double wall_s = (double)(after->wall_ns - before->wall_ns) / 1e9;
    if (!(wall_s > 0.0))
        return NAN;
    double busy = after->machine_busy_s - before->machine_busy_s;
    double steal = after->machine_steal_s - before->machine_steal_s;
    double self = after->self_s - before->self_s;
    double others = (busy + steal - self) / wall_s;
    /* Tick accounting is coarse: clamp the small negative noise. */
    return others < 0.0 ? 0.0 : others;  /* NaN propagates */
}

const char *bench_format_ns(char *buf, int64_t ns)
{
    if (ns < 0)
        snprintf(buf, BENCH_FMT_LEN, "-");
    else if (ns < 10 * PORT_NS_PER_US)
        snprintf(buf, BENCH_FMT_LEN, "%.2f us", (double)ns / 1e3);
    else if (ns < PORT_NS_PER_MS)
        snprintf(buf, BENCH_FMT_LEN, "%.1f us", (double)ns / 1e3);
    else if (ns < PORT_NS_PER_SEC)
        snprintf(buf, BENCH_FMT_LEN, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(buf, BENCH_FMT_LEN, "%.2f s", (double)ns / 1e9);
    return buf;
}

const char *bench_format_rate(char *buf, double per_sec)
{
    if (!(per_sec > 0.0))
        snprintf(buf, BENCH_FMT_LEN, "-");
    else if (per_sec >= 1e6)
        snprintf(buf, BENCH_FMT_LEN, "%.2f M", per_sec / 1e6);
    else if (per_sec >= 1e3)
        snprintf(buf, BENCH_FMT_LEN, "%.1f k", per_sec / 1e3);
    else
        snprintf(buf, BENCH_FMT_LEN, "%.0f", per_sec);
    return buf;
}

const char *bench_format_ratio(char *buf, double ratio)
{
    if (isnan(ratio))
        snprintf(buf, BENCH_FMT_LEN, "n/a");
    else
        snprintf(buf, BENCH_FMT_LEN, "%.2fx", ratio);
    return buf;
}
