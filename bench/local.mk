# Benchmarks: `make bench` builds and runs them; tables go to stdout.
noinst_PROGRAMS += bench/bench_async
bench_bench_async_SOURCES = bench/bench_async.c bench/bench_stats.h bench/bench_stats.c
bench_bench_async_LDADD = lib/async/libasync.a lib/port/libport.a

bench: bench/bench_async$(EXEEXT)
	bench/bench_async$(EXEEXT)
