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

testsuite_check_async_runtime_SOURCES = testsuite/check_async_runtime.c
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

# `make check-async`: only the async library's tests (CI reruns them
# against the poll backend and under TSan).
check-async:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(ASYNC_TESTS)"
else
check-local:
	@echo "Check (libcheck) was not found by configure: install it (Debian: apt-get install check) and re-run ./configure" >&2; exit 1
endif
