/*
 * bench_stats.h - latency samples, percentiles, timing and formatting
 * helpers for the benchmarks.
 *
 * Nothing here allocates on a measured path: sample sets are sized once
 * before a run, and adding a sample is a bounds check and a store.  A
 * sample set belongs to one thread at a time (the consumer that fills it,
 * then the main thread that reads it after joining the producers).
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- latency samples ------------------------------------------------ */

typedef struct bench_samples {
    int64_t *values_ns;  /* owned; capacity entries, allocated at init */
    size_t   count;      /* samples stored */
    size_t   capacity;
    uint64_t overflow;   /* samples offered after the array was full */
    bool     sorted;     /* values_ns[0..count) is in ascending order */
} bench_samples_t;

/* Allocates room for `capacity` samples.  Returns 0, or -1 when out of
 * memory (the set is then empty and safe to free). */
int  bench_samples_init(bench_samples_t *samples, size_t capacity);
void bench_samples_free(bench_samples_t *samples);
/* Forgets every sample; keeps the allocation. */
void bench_samples_reset(bench_samples_t *samples);

/* Records one sample; when the set is full the sample is counted in
 * `overflow` and dropped (never reallocates). */
static inline void bench_samples_add(bench_samples_t *samples, int64_t value_ns)
{
    if (samples->count < samples->capacity) {
        samples->values_ns[samples->count++] = value_ns;
        samples->sorted = false;
    } else {
        samples->overflow++;
    }
}

/* Nearest-rank percentile (0 < pct <= 100) of the stored samples; sorts
 * them in place the first time it is called after an add.  Returns -1
 * when the set is empty. */
int64_t bench_samples_percentile(bench_samples_t *samples, double pct);

/* ---- plain statistics ----------------------------------------------- */

/* Median of values[0..n); sorts the array in place.  NaN when n == 0. */
double bench_median(double *values, size_t n);

/* count / elapsed in events per second; 0 when elapsed_ns <= 0. */
double bench_rate_per_sec(uint64_t count, int64_t elapsed_ns);

/* a / b, or NaN when either is not a positive finite number (so a missing
 * measurement prints as "n/a" instead of a misleading ratio). */
double bench_ratio(double a, double b);

/* ---- machine load ---------------------------------------------------- */
/* The machines are shared: a neighbour that keeps a core busy skews every
 * ratio (our threads end up sharing the other core).  Two snapshots tell
 * how much CPU OTHER processes used in between, so a report can say how
 * far to trust itself.  Machine-wide figures come from /proc/stat (Linux);
 * elsewhere they are NaN. */
typedef struct bench_cpu_snapshot {
    int64_t wall_ns;          /* port_clock_now_ns() */
    double  machine_busy_s;   /* CPU seconds used by everything, all CPUs */
    double  machine_steal_s;  /* CPU seconds the hypervisor took away */
    double  self_s;           /* CPU seconds used by this process */
} bench_cpu_snapshot_t;

void bench_cpu_snapshot(bench_cpu_snapshot_t *snapshot);

/* Average number of CPUs kept busy by other processes (steal included)
 * between two snapshots; NaN when unknown. */
double bench_cpu_used_by_others(const bench_cpu_snapshot_t *before,
                                const bench_cpu_snapshot_t *after);

/* ---- formatting ----------------------------------------------------- */
/* Each writes into buf (at least BENCH_FMT_LEN bytes) and returns it, so
 * calls can sit directly in a printf argument list. */
#define BENCH_FMT_LEN 32

/* "850 ns", "12.3 us", "4.56 ms", "1.20 s"; "-" for a negative value. */
const char *bench_format_ns(char *buf, int64_t ns);
/* "12.34 M", "850.1 k", "999"; the caller prints the unit. */
const char *bench_format_rate(char *buf, double per_sec);
/* "2.31x"; "n/a" for NaN. */
const char *bench_format_ratio(char *buf, double ratio);

#endif /* BENCH_STATS_H */
