# Benchmarks: `make bench` builds and runs them; tables go to stdout.
# `make bench-async` and `make bench-connections` run one of them.
noinst_PROGRAMS += bench/bench_async
bench_bench_async_SOURCES = bench/bench_async.c bench/bench_stats.h bench/bench_stats.c
bench_bench_async_LDADD = lib/async/libasync.a lib/port/libport.a

# Connection load generator for the driver (issue 3): N connections,
# round-trip p50/p99 at a given line rate against testsuite/neolith_echo.
noinst_PROGRAMS += bench/bench_connections
bench_bench_connections_SOURCES = bench/bench_connections.c bench/bench_stats.h bench/bench_stats.c
bench_bench_connections_LDADD = lib/port/libport.a

# The two goals of issue 3, each against a driver the generator starts
# itself (testsuite/neolith_echo, a check program: built explicitly here):
#   1. 10,000 concurrent connections held (with 1,000 lines/s across them);
#   2. p99 round trip at 1,000 lines/s across 1,000 connections.
BENCH_CONNECTIONS = bench/bench_connections$(EXEEXT) --spawn testsuite/neolith_echo$(EXEEXT)
BENCH_CONNECTIONS_RUNS = \
	$(BENCH_CONNECTIONS) --connections 10000 --rate 1000 --seconds 5 && \
	$(BENCH_CONNECTIONS) --connections 1000 --rate 1000 --seconds 10

bench-async: bench/bench_async$(EXEEXT)
	bench/bench_async$(EXEEXT)

if HAVE_CHECK
BENCH_CONNECTIONS_DEPS = bench/bench_connections$(EXEEXT) testsuite/neolith_echo$(EXEEXT)
BENCH_CONNECTIONS_CMD = $(BENCH_CONNECTIONS_RUNS)
else
BENCH_CONNECTIONS_DEPS = bench/bench_connections$(EXEEXT)
BENCH_CONNECTIONS_CMD = echo "bench-connections: needs testsuite/neolith_echo, a check program: install Check and re-run ./configure" >&2
endif

bench-connections: $(BENCH_CONNECTIONS_DEPS)
	$(BENCH_CONNECTIONS_CMD)

# One after the other (never in parallel under make -j: they would
# measure each other).
bench: bench/bench_async$(EXEEXT) $(BENCH_CONNECTIONS_DEPS)
	bench/bench_async$(EXEEXT)
	$(BENCH_CONNECTIONS_CMD)

.PHONY: bench-async bench-connections
