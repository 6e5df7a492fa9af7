# lib/port: the only code that calls the OS thread and sync APIs.
noinst_LIBRARIES += lib/port/libport.a
lib_port_libport_a_SOURCES = \
	lib/port/port_atomic.h \
	lib/port/port_clock.h lib/port/port_clock.c \
	lib/port/port_sync.h lib/port/port_sync.c \
	lib/port/port_thread.h \
	lib/port/port_random.h \
	lib/port/port_format.h
if PLATFORM_POSIX
lib_port_libport_a_SOURCES += \
	lib/port/port_clock_posix.c \
	lib/port/port_sync_posix.c \
	lib/port/port_thread_posix.c \
	lib/port/port_random_posix.c \
	lib/port/port_fd_posix.h
endif
if PLATFORM_WIN32
lib_port_libport_a_SOURCES += \
	lib/port/port_clock_win32.c \
	lib/port/port_sync_win32.c \
	lib/port/port_thread_win32.c \
	lib/port/port_random_win32.c
endif
