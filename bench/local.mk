# Benchmarks: `make bench` builds and runs them; tables go to stdout.
# `make bench-async` and `make bench-connections` run one of them.
noinst_PROGRAMS += bench/bench_async
bench_bench_async_SOURCES = bench/bench_async.c bench/bench_stats.h bench/bench_stats.c
bench_bench_async_LDADD = lib/async/libasync.a lib/port/libport.a

bench-async: bench/bench_async$(EXEEXT)
	$(TEST_RUNNER) bench/bench_async$(EXEEXT)

if PLATFORM_POSIX
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

endif # PLATFORM_POSIX
.PHONY: bench-async bench-connections

# ---------------------------------------------------------------- fuzz-lex
# (issue 4, owned by the LPC lexer)  `make fuzz-lex`: builds the libFuzzer
# target bench/fuzz_lpc_lex with clang (-fsanitize=fuzzer,address,undefined)
# straight from the lexer's sources -- not from liblpc.a, whose objects
# are built by $(CC) without fuzzer instrumentation -- and runs it for
# FUZZ_LEX_SECONDS on the corpus in FUZZ_LEX_CORPUS (kept between runs).
# Findings are written as crash-*/timeout-* files in the build directory.
# Never part of `make`, `make check` or `make bench`.
FUZZ_CLANG = clang
FUZZ_LEX_SECONDS = 60
FUZZ_LEX_CORPUS = bench/fuzz-lex-corpus
FUZZ_LEX_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I$(top_srcdir)/lib -I$(top_builddir)
FUZZ_LEX_SRCS = $(top_srcdir)/bench/fuzz_lpc_lex.c \
	$(top_srcdir)/lib/lpc/lpc_lex.c $(top_srcdir)/lib/lpc/lpc_preproc.c
EXTRA_DIST += bench/fuzz_lpc_lex.c bench/fuzz_lpc_lex.dict
CLEANFILES += bench/fuzz_lpc_lex

bench/fuzz_lpc_lex: $(FUZZ_LEX_SRCS) $(top_srcdir)/lib/lpc/lpc_lex.h \
		$(top_srcdir)/lib/lpc/lpc_preproc.h config.h
	$(FUZZ_CLANG) $(FUZZ_LEX_FLAGS) $(FUZZ_LEX_SRCS) -o $@

fuzz-lex: bench/fuzz_lpc_lex
	@mkdir -p $(FUZZ_LEX_CORPUS)
	bench/fuzz_lpc_lex -max_total_time=$(FUZZ_LEX_SECONDS) -max_len=4096 \
		-timeout=10 -dict=$(top_srcdir)/bench/fuzz_lpc_lex.dict $(FUZZ_LEX_CORPUS)

.PHONY: fuzz-lex

# ---------------------------------------------------------------- LPC
# The LPC interpreter against Lua 5.4 (issue 4: goal ratio <= 2):
# bench/lpc/NAME.c and NAME.lua, best of 5 each (bench/bench_lpc.sh).
bench-lpc: src/neolith$(EXEEXT)
	$(srcdir)/bench/bench_lpc.sh src/neolith$(EXEEXT)

EXTRA_DIST += bench/bench_lpc.sh bench/lpc
.PHONY: bench-lpc

# ---------------------------------------------------------------- fuzz-compile
# (issue 4, owned by the LPC compiler/VM)  `make fuzz-compile`: the
# libFuzzer target bench/fuzz_lpc_compile (parser, compiler and VM: each
# input is compiled, loaded and its main() called under a small eval
# budget), built with clang straight from the library's sources and run
# for FUZZ_COMPILE_SECONDS on FUZZ_COMPILE_CORPUS, seeded from the LPC
# test programs.  Never part of `make`, `make check` or `make bench`.
FUZZ_COMPILE_SECONDS = 120
FUZZ_COMPILE_CORPUS = bench/fuzz-compile-corpus
EXTRA_DIST += bench/fuzz_lpc_compile.c
CLEANFILES += bench/fuzz_lpc_compile

# all of lib/lpc (liblpc.a stands for "a source changed")
bench/fuzz_lpc_compile: $(top_srcdir)/bench/fuzz_lpc_compile.c lib/lpc/liblpc.a config.h
	$(FUZZ_CLANG) $(FUZZ_LEX_FLAGS) $(top_srcdir)/bench/fuzz_lpc_compile.c \
		$(top_srcdir)/lib/lpc/*.c -lm -o $@

fuzz-compile: bench/fuzz_lpc_compile
	@mkdir -p $(FUZZ_COMPILE_CORPUS)
	@test -n "$$(ls $(FUZZ_COMPILE_CORPUS))" || \
		cp $(top_srcdir)/testsuite/lpc/*.c $(top_srcdir)/bench/lpc/*.c $(FUZZ_COMPILE_CORPUS)/
	bench/fuzz_lpc_compile -max_total_time=$(FUZZ_COMPILE_SECONDS) -max_len=4096 \
		-timeout=10 -rss_limit_mb=2048 -dict=$(top_srcdir)/bench/fuzz_lpc_lex.dict \
		$(FUZZ_COMPILE_CORPUS)

.PHONY: fuzz-compile
