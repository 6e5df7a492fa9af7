# lib/async: queue, worker, runtime.  One runtime backend file per OS.
noinst_LIBRARIES += lib/async/libasync.a
lib_async_libasync_a_SOURCES = \
	lib/async/async_queue.h lib/async/async_queue.c \
	lib/async/async_worker.h lib/async/async_worker_wait.h \
	lib/async/async_runtime.h lib/async/async_runtime_backend.h \
	lib/async/async_runtime.c \
	lib/async/async_worker.c
if ASYNC_BACKEND_EPOLL
lib_async_libasync_a_SOURCES += lib/async/async_runtime_epoll.c
endif
if ASYNC_BACKEND_POLL
lib_async_libasync_a_SOURCES += lib/async/async_runtime_poll.c
endif
if ASYNC_BACKEND_IOCP
lib_async_libasync_a_SOURCES += lib/async/async_runtime_iocp.c
endif
