# lib/console: the operator's console (libedit line editing on a terminal,
# plain reading otherwise).  One worker owns the terminal; see console.h.
# Users link $(CONSOLE_LIBS).
noinst_LIBRARIES += lib/console/libconsole.a
lib_console_libconsole_a_SOURCES = \
	lib/console/console.h lib/console/console_impl.h \
	lib/console/console.c \
	lib/console/console_pipe.c \
	lib/console/console_io_posix.c
lib_console_libconsole_a_CPPFLAGS = $(AM_CPPFLAGS)
if HAVE_LIBEDIT
lib_console_libconsole_a_SOURCES += lib/console/console_unix.c
lib_console_libconsole_a_CPPFLAGS += -DCONSOLE_HAVE_LIBEDIT $(LIBEDIT_CFLAGS)
endif

CONSOLE_LIBS = lib/console/libconsole.a lib/async/libasync.a lib/port/libport.a $(LIBEDIT_LIBS)
