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

DRIVER_LDADD = src/libdriver.a lib/async/libasync.a lib/port/libport.a $(LIBTELNET_LIBS)

bin_PROGRAMS += src/neolith
src_neolith_SOURCES = src/main.c
src_neolith_LDADD = $(DRIVER_LDADD)
