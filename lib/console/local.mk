# lib/console: the operator's console (line editing on a terminal, plain
# reading otherwise).  One worker owns the terminal; see console.h.
# Users link $(CONSOLE_LIBS).
noinst_LIBRARIES += lib/console/libconsole.a
lib_console_libconsole_a_SOURCES = \
	lib/console/console.h lib/console/console_impl.h \
	lib/console/console.c \
	lib/console/console_pipe.c \
	lib/console/console_redraw.c
lib_console_libconsole_a_CPPFLAGS = $(AM_CPPFLAGS)
if PLATFORM_POSIX
lib_console_libconsole_a_SOURCES += lib/console/console_io_posix.c
if HAVE_LIBEDIT
# libedit edits lines on a Unix terminal.
lib_console_libconsole_a_SOURCES += lib/console/console_unix.c
lib_console_libconsole_a_CPPFLAGS += -DCONSOLE_HAVE_LIBEDIT -DCONSOLE_HAVE_LINE_EDITING $(LIBEDIT_CFLAGS)
endif
endif
if PLATFORM_WIN32
# Windows: our own line editor on the console (VT output, key events).
lib_console_libconsole_a_SOURCES += \
	lib/console/console_io_win32.h \
	lib/console/console_io_win32.c \
	lib/console/console_win32.c
lib_console_libconsole_a_CPPFLAGS += -DCONSOLE_HAVE_LINE_EDITING
endif

CONSOLE_LIBS = lib/console/libconsole.a lib/async/libasync.a lib/port/libport.a $(LIBEDIT_LIBS)
