# Check unit tests: one program per module.  Output of each goes to
# testsuite/<name>.log (automake's parallel harness).
if HAVE_CHECK
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = lib/async/libasync.a lib/port/libport.a $(CHECK_LIBS)

check_PROGRAMS += \
	testsuite/check_port \
	testsuite/check_async_queue \
	testsuite/check_async_worker \
	testsuite/check_async_runtime

testsuite_check_port_SOURCES = testsuite/check_port.c
testsuite_check_port_CFLAGS = $(TEST_CFLAGS)
testsuite_check_port_LDADD = $(TEST_LDADD)

testsuite_check_async_queue_SOURCES = testsuite/check_async_queue.c
testsuite_check_async_queue_CFLAGS = $(TEST_CFLAGS)
testsuite_check_async_queue_LDADD = $(TEST_LDADD)

testsuite_check_async_worker_SOURCES = testsuite/check_async_worker.c
testsuite_check_async_worker_CFLAGS = $(TEST_CFLAGS)
testsuite_check_async_worker_LDADD = $(TEST_LDADD)

testsuite_check_async_runtime_SOURCES = testsuite/check_async_runtime.c \
	testsuite/test_socketpair.h testsuite/test_socketpair.c
testsuite_check_async_runtime_CFLAGS = $(TEST_CFLAGS)
testsuite_check_async_runtime_LDADD = $(TEST_LDADD)

ASYNC_TESTS = \
	testsuite/check_port \
	testsuite/check_async_queue \
	testsuite/check_async_worker \
	testsuite/check_async_runtime
TESTS += $(ASYNC_TESTS)

# Check's per-test timeout: generous, sanitizer builds are slow.  Tests
# synchronise on events, never on time, so this only bounds a hang.
AM_TESTS_ENVIRONMENT = CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT;

# A cross build for Windows runs its test programs under wine
# (TEST_RUNNER from configure; empty for native builds).  Check cannot fork
# there, so each program runs its cases in one process (CK_FORK=no).
LOG_COMPILER = $(TEST_RUNNER)
if CROSS_WIN32
AM_TESTS_ENVIRONMENT += WINEDEBUG=-all; export WINEDEBUG; CK_FORK=no; export CK_FORK;
endif

# `make check-async`: only the async library's tests (CI reruns them
# against the poll backend and under TSan).
check-async:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(ASYNC_TESTS)"

# `make check-threads`: every suite whose code runs worker threads (CI
# runs these under ThreadSanitizer).
THREAD_TESTS = $(ASYNC_TESTS) \
	testsuite/check_backend \
	testsuite/check_console \
	testsuite/check_mcp \
	testsuite/check_git_update
check-threads:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(THREAD_TESTS)"
else
check-local:
	@echo "Check (libcheck) was not found by configure: install it (Debian: apt-get install check) and re-run ./configure" >&2; exit 1
endif

# ---------------------------------------------------------------- driver
if HAVE_CHECK
if PLATFORM_POSIX
DRIVER_TEST_LDADD = $(DRIVER_LDADD) $(CHECK_LIBS)
DRIVER_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBTELNET_CFLAGS)

check_PROGRAMS += \
	testsuite/check_config \
	testsuite/check_backend \
	testsuite/check_comm \
	testsuite/check_driver_e2e \
	testsuite/neolith_echo

testsuite_check_config_SOURCES = testsuite/check_config.c
testsuite_check_config_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_config_LDADD = $(DRIVER_TEST_LDADD)

testsuite_check_backend_SOURCES = testsuite/check_backend.c \
	testsuite/proc_count_posix.c testsuite/proc_count.h
testsuite_check_backend_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_backend_LDADD = $(DRIVER_TEST_LDADD)

testsuite_check_comm_SOURCES = testsuite/check_comm.c
testsuite_check_comm_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_comm_LDADD = $(DRIVER_TEST_LDADD)

# The real driver around a test-only echo application (not shipped).
testsuite_neolith_echo_SOURCES = testsuite/echo_app.c
testsuite_neolith_echo_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_neolith_echo_LDADD = $(DRIVER_LDADD)

# End-to-end: starts testsuite/neolith_echo and src/neolith, talks to them
# over real sockets.
testsuite_check_driver_e2e_SOURCES = testsuite/check_driver_e2e.c testsuite/e2e_util.c
testsuite_check_driver_e2e_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_driver_e2e_LDADD = $(DRIVER_TEST_LDADD)

TESTS += \
	testsuite/check_config \
	testsuite/check_backend \
	testsuite/check_comm \
	testsuite/check_driver_e2e
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- LPC
# Each LPC engineer adds only to the block of their own suite.
if HAVE_CHECK
LPC_TEST_LDADD = lib/lpc/liblpc.a lib/port/libport.a $(CHECK_LIBS) -lm
LPC_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += testsuite/check_lpc_value
testsuite_check_lpc_value_SOURCES = testsuite/check_lpc_value.c
testsuite_check_lpc_value_CFLAGS = $(LPC_TEST_CFLAGS)
testsuite_check_lpc_value_LDADD = $(LPC_TEST_LDADD)
TESTS += testsuite/check_lpc_value

check_PROGRAMS += testsuite/check_lpc_lex
testsuite_check_lpc_lex_SOURCES = testsuite/check_lpc_lex.c
testsuite_check_lpc_lex_CFLAGS = $(LPC_TEST_CFLAGS)
testsuite_check_lpc_lex_LDADD = $(LPC_TEST_LDADD)
TESTS += testsuite/check_lpc_lex

# Compiler and VM: parser errors with exact positions; code generation
# and interpreter behaviour through the runtime with in-memory sources.
check_PROGRAMS += testsuite/check_lpc_parse
testsuite_check_lpc_parse_SOURCES = testsuite/check_lpc_parse.c
testsuite_check_lpc_parse_CFLAGS = $(LPC_TEST_CFLAGS)
testsuite_check_lpc_parse_LDADD = $(LPC_TEST_LDADD)
TESTS += testsuite/check_lpc_parse

check_PROGRAMS += testsuite/check_lpc_vm
testsuite_check_lpc_vm_SOURCES = testsuite/check_lpc_vm.c
testsuite_check_lpc_vm_CFLAGS = $(LPC_TEST_CFLAGS)
testsuite_check_lpc_vm_LDADD = $(LPC_TEST_LDADD)
TESTS += testsuite/check_lpc_vm

# The LPC test programs (testsuite/lpc/*.c, must-not-compile ones in
# testsuite/lpc/fail/) run through `src/neolith --run`; the runner ends
# its log with a Check-style summary line.
if PLATFORM_POSIX
TESTS += testsuite/run_lpc_tests
endif
EXTRA_DIST += testsuite/run_lpc_tests testsuite/lpc
endif

# ---------------------------------------------------------------- git update
# src/git_update.c and src/git_run.c against real git: scratch repositories
# under mkdtemp dirs, the real backend loop.
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_git_update
testsuite_check_git_update_SOURCES = testsuite/check_git_update.c testsuite/git_run_test.h \
	testsuite/proc_count_posix.c testsuite/proc_count.h
testsuite_check_git_update_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_git_update_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_git_update
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- console
# lib/console: Check suite (pipes in process; a real pseudo-terminal and
# tmux around testsuite/console_driver for the terminal).
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_console testsuite/console_driver
testsuite_console_driver_SOURCES = testsuite/console_driver.c \
	testsuite/proc_count_posix.c testsuite/proc_count.h
testsuite_console_driver_LDADD = $(CONSOLE_LIBS)
testsuite_check_console_SOURCES = testsuite/check_console.c \
	testsuite/proc_count_posix.c testsuite/proc_count.h \
	testsuite/tty_util.c testsuite/tty_util.h
testsuite_check_console_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
testsuite_check_console_LDADD = $(CONSOLE_LIBS) $(CHECK_LIBS)
if HAVE_LIBEDIT
# the terminal tests run only where the console can edit lines
testsuite_check_console_CPPFLAGS = $(AM_CPPFLAGS) -DCONSOLE_HAVE_LIBEDIT
endif
TESTS += testsuite/check_console
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- mcp
# The Model Context Protocol server (src/mcp*.c, --mcp).  check_mcp: the
# protocol core fed through a fake transport, the JSON helpers, and the
# transport's worker threads on pipes.  testsuite/mcp/run.sh: the real
# driver (testsuite/neolith_mcp_test: driver + test provider, and
# src/neolith) driven by the official MCP TypeScript SDK clients; it needs
# node and npm (installs testsuite/mcp/node_modules with `npm ci` when
# missing) and fails loudly without them.  Building the driver never needs
# node.
#
# testsuite/neolith_mcp_test is built on every platform: a cross build's
# .exe is what testsuite/mcp/run_wine.sh drives under wine (CI's Windows
# stage).  It links statically there like the other test programs.
if HAVE_CHECK
check_PROGRAMS += testsuite/neolith_mcp_test
testsuite_neolith_mcp_test_SOURCES = testsuite/mcp_test_provider.c
testsuite_neolith_mcp_test_CFLAGS = $(AM_CFLAGS) $(LIBTELNET_CFLAGS) $(JANSSON_CFLAGS)
testsuite_neolith_mcp_test_LDADD = $(DRIVER_LDADD)
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_mcp
testsuite_check_mcp_SOURCES = testsuite/check_mcp.c \
	testsuite/mcp_transport_test.c testsuite/mcp_transport_test.h
testsuite_check_mcp_CFLAGS = $(DRIVER_TEST_CFLAGS) $(JANSSON_CFLAGS)
testsuite_check_mcp_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_mcp testsuite/mcp/run.sh
endif # PLATFORM_POSIX
endif
EXTRA_DIST += testsuite/mcp/package.json testsuite/mcp/package-lock.json \
	testsuite/mcp/run.sh testsuite/mcp/run_wine.sh testsuite/mcp/lib.mjs testsuite/mcp/sdk_v1.mjs \
	testsuite/mcp/sdk_v2.mjs testsuite/mcp/raw.mjs testsuite/mcp/mudlib.mjs

# ---------------------------------------------------------------- mudlib_path
# The file sandbox (src/mudlib_path.c) with real temp folders and symbolic
# links pointing inside and outside the root, and the atomic write of the
# save efuns.  The efuns themselves are tested by the LPC programs
# testsuite/lpc/driver_{files,save,crypt,json}.c.
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_mudlib_path
testsuite_check_mudlib_path_SOURCES = testsuite/check_mudlib_path.c
testsuite_check_mudlib_path_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_mudlib_path_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_mudlib_path
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- LPC runtime
# End-to-end tests of the LPC application (src/lpc_app.h): src/neolith on
# the test mudlib testsuite/mudlib_rt/, played over telnet sockets.
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_runtime_e2e
testsuite_check_runtime_e2e_SOURCES = testsuite/check_runtime_e2e.c testsuite/e2e_util.c
testsuite_check_runtime_e2e_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_runtime_e2e_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_runtime_e2e
endif # PLATFORM_POSIX
endif
EXTRA_DIST += testsuite/mudlib_rt

# ---------------------------------------------------------------- git e2e
# The git update in the game (src/lpc_git.h, docs/manual/git-update.md):
# src/neolith on a clone of the bundled mudlib/ with a bare repository as
# the remote; an admin runs "gitupdate" over telnet.  Needs git.
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_git_e2e
testsuite_check_git_e2e_SOURCES = testsuite/check_git_e2e.c testsuite/e2e_util.c
testsuite_check_git_e2e_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_git_e2e_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_git_e2e
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- console mode
# neolith -c end to end (src/console_mode.c): src/neolith on a temporary
# copy of the bundled mudlib/, piped and on a real pseudo-terminal with a
# telnet player alongside.
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_console_e2e
testsuite_check_console_e2e_SOURCES = testsuite/check_console_e2e.c testsuite/e2e_util.c \
	testsuite/e2e_util.h testsuite/tty_util.c testsuite/tty_util.h
testsuite_check_console_e2e_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
testsuite_check_console_e2e_LDADD = lib/port/libport.a $(CHECK_LIBS)
if HAVE_LIBEDIT
# the terminal tests run only where the console can edit lines
testsuite_check_console_e2e_CPPFLAGS = $(AM_CPPFLAGS) -DCONSOLE_HAVE_LIBEDIT
endif
TESTS += testsuite/check_console_e2e
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- mudlib
# End-to-end tests of the bundled mudlib (mudlib/): src/neolith on a copy
# of it, played over telnet sockets (characters, passwords, say, moving,
# who, saving across a restart, runtime errors, the eval limit, the file
# sandbox).
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_mudlib_e2e
testsuite_check_mudlib_e2e_SOURCES = testsuite/check_mudlib_e2e.c testsuite/e2e_util.c \
	testsuite/e2e_mudlib.c testsuite/e2e_mudlib.h testsuite/e2e_util.h
testsuite_check_mudlib_e2e_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_mudlib_e2e_LDADD = $(DRIVER_TEST_LDADD)
TESTS += testsuite/check_mudlib_e2e
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- console on Windows
# testsuite/console_driver.exe in a cross build: only lib/console,
# lib/async and lib/port, so it links before the rest of the driver is
# ported.  The native testsuite/check_console_wine runs it under wine
# (piped, and on a tmux pseudo-terminal that wine turns into its
# console); it skips, saying so, unless NEOLITH_WIN32_BUILD names the
# cross build tree.
if PLATFORM_WIN32
check_PROGRAMS += testsuite/console_driver
testsuite_console_driver_SOURCES = testsuite/console_driver.c \
	testsuite/proc_count_win32.c testsuite/proc_count.h
testsuite_console_driver_LDADD = $(CONSOLE_LIBS)
endif
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_console_wine
testsuite_check_console_wine_SOURCES = testsuite/check_console_wine.c \
	testsuite/tty_util.c testsuite/tty_util.h
testsuite_check_console_wine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
testsuite_check_console_wine_LDADD = lib/port/libport.a $(CHECK_LIBS)
# not in TESTS: .ci/run's Windows stage runs it with NEOLITH_WIN32_BUILD
endif # PLATFORM_POSIX
endif
# The pipe cases of check_console, in process, under wine.
if HAVE_CHECK
if PLATFORM_WIN32
check_PROGRAMS += testsuite/check_console
testsuite_check_console_SOURCES = testsuite/check_console.c \
	testsuite/proc_count_win32.c testsuite/proc_count.h
testsuite_check_console_CPPFLAGS = $(AM_CPPFLAGS)
testsuite_check_console_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
testsuite_check_console_LDADD = $(CONSOLE_LIBS) $(CHECK_LIBS)
TESTS += testsuite/check_console
endif # PLATFORM_WIN32
endif

# ---------------------------------------------------------------- driver on Windows
# testsuite/check_wine_e2e: a native program, run by hand (not in TESTS):
# the cross-built neolith.exe under wine on a copy of the bundled
# mudlib, played over TCP from Linux, stopped by an admin's shutdown.
#   NEOLITH_WIN32_BUILD=/path/to/win-build ./testsuite/check_wine_e2e
if HAVE_CHECK
if PLATFORM_POSIX
check_PROGRAMS += testsuite/check_wine_e2e
testsuite_check_wine_e2e_SOURCES = testsuite/check_wine_e2e.c testsuite/e2e_util.c \
	testsuite/e2e_mudlib.c testsuite/e2e_mudlib.h testsuite/e2e_util.h
testsuite_check_wine_e2e_CFLAGS = $(DRIVER_TEST_CFLAGS)
testsuite_check_wine_e2e_LDADD = $(DRIVER_TEST_LDADD)
endif # PLATFORM_POSIX
endif

# ---------------------------------------------------------------- git_run and MCP stdio on Windows
# src/git_run_win32.c and src/mcp_stdio_win32.c on real processes and
# pipes, run under wine by `make check` in a cross build.  No git there:
# the child is the test program itself (testsuite/check_gitmcp_win32.c).
if HAVE_CHECK
if PLATFORM_WIN32
check_PROGRAMS += testsuite/check_gitmcp_win32
testsuite_check_gitmcp_win32_SOURCES = testsuite/check_gitmcp_win32.c \
	testsuite/git_run_test.h testsuite/mcp_transport_test.c testsuite/mcp_transport_test.h
testsuite_check_gitmcp_win32_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
testsuite_check_gitmcp_win32_LDADD = $(DRIVER_LDADD) $(CHECK_LIBS)
TESTS += testsuite/check_gitmcp_win32
endif # PLATFORM_WIN32
endif
