# src: the driver.  Everything but main.c goes into libdriver.a so the
# tests can link the real driver around a test application.
noinst_LIBRARIES += src/libdriver.a
src_libdriver_a_SOURCES = \
	src/config.h src/config.c \
	src/log.h src/log.c \
	src/backend.h src/backend.c \
	src/comm.h src/comm.c \
	src/telnet.h src/telnet.c \
	src/driver.h src/driver.c src/options.c
src_libdriver_a_CFLAGS = $(AM_CFLAGS) $(LIBTELNET_CFLAGS)
# What differs between operating systems, one file per OS behind one
# header: sockets (net.h), stop requests (os_signals.h), file system and
# clock (os_fs.h).
src_libdriver_a_SOURCES += src/net.h src/os_signals.h src/os_fs.h
if PLATFORM_WIN32
src_libdriver_a_SOURCES += src/net_win32.c src/os_signals_win32.c src/os_fs_win32.c
else
src_libdriver_a_SOURCES += \
	src/net_posix.c src/os_signals_posix.c src/os_fs_posix.c
endif
# git update: the worker module and its process runner.
src_libdriver_a_SOURCES += \
	src/git_run.h src/git_run_output.h src/git_run.c \
	src/git_update.h src/git_update.c
# The OS side of the git process runner (git_run.h) and of the MCP stdio
# transport (mcp_stdio.h).
src_libdriver_a_SOURCES += src/mcp_stdio.h
if PLATFORM_WIN32
src_libdriver_a_SOURCES += src/git_run_win32.c src/mcp_stdio_win32.c
else
src_libdriver_a_SOURCES += src/git_run_posix.c src/mcp_stdio_posix.c
endif

DRIVER_LDADD = src/libdriver.a lib/lpc/liblpc.a lib/async/libasync.a lib/port/libport.a $(LIBTELNET_LIBS) -lm

bin_PROGRAMS += src/neolith
src_neolith_SOURCES = src/main.c
src_neolith_LDADD = $(DRIVER_LDADD)

# MCP: the Model Context Protocol server of --mcp mode (docs/manual/mcp.md):
# glue, stdio transport workers, protocol core, provider interface, and the
# driver-level provider.  jansson parses and builds the JSON.
src_libdriver_a_SOURCES += \
	src/mcp.h src/mcp.c \
	src/mcp_json.h src/mcp_json.c \
	src/mcp_provider.h \
	src/mcp_server.h src/mcp_server.c \
	src/mcp_transport.h src/mcp_transport.c \
	src/mcp_driver_provider.h src/mcp_driver_provider.c \
	src/mcp_lpc_provider.h src/mcp_lpc_provider.c
src_libdriver_a_CFLAGS += $(JANSSON_CFLAGS)
DRIVER_LDADD += $(JANSSON_LIBS)

# Driver efuns (docs/manual/driver-efuns.md): the file sandbox, file
# efuns, save/restore in the MudOS .o format, crypt (libcrypt), JSON
# (jansson, flags above).
src_libdriver_a_SOURCES += \
	src/efuns_driver.h \
	src/mudlib_path.h src/mudlib_path.c \
	src/efun_files.c \
	src/save_format.h src/save_format.c src/efun_save.c \
	src/efun_crypt.c \
	src/efun_json.c
src_libdriver_a_CFLAGS += $(LIBCRYPT_CFLAGS)
DRIVER_LDADD += $(LIBCRYPT_LIBS)

# The LPC runtime application (src/lpc_app.h): the world (environment,
# inventory), livings and commands, interactive users, messages, timers.
src_libdriver_a_SOURCES += \
	src/lpc_app.h src/lpc_app.c \
	src/lpc_git.h src/lpc_git.c \
	src/world.h src/world.c \
	src/commands.h src/commands.c \
	src/interactive.h src/interactive.c \
	src/messages.h src/messages.c \
	src/callouts.h src/callouts.c

# Console mode (neolith -c, docs/manual/console.md): the operator's
# terminal as an interactive user, on lib/console.
src_libdriver_a_SOURCES += src/console_mode.h src/console_mode.c
DRIVER_LDADD += $(CONSOLE_LIBS)
