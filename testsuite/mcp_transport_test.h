/*
 * mcp_transport_test.h - waiting for what the MCP transport (src/
 * mcp_transport.c) reads, for the tests that run it on real pipes with
 * its worker threads: check_mcp (POSIX) and check_gitmcp_win32
 * (Windows).  Opening the pipes is each test's own (pipe2 / _pipe);
 * this file has no platform code.
 *
 * The helpers fail the running Check test on an unexpected result.
 */
#ifndef MCP_TRANSPORT_TEST_H
#define MCP_TRANSPORT_TEST_H

#include "src/mcp_transport.h"
#include "async/async_runtime.h"

#include <jansson.h>
#include <stdint.h>

/* The completion key the tests give the transport. */
#define MCP_TEST_KEY 7

/* A transport on two pipes, and the runtime it posts completions to. */
typedef struct mcp_test_pipes {
    int to_reader[2];     /* test writes [1], the reader reads [0] */
    int from_writer[2];   /* the writer writes [1], the test reads [0] */
    async_runtime_t *rt;
    mcp_transport_t *t;
} mcp_test_pipes_t;

/* The next input, waiting on p->rt (5 s a wait, 100 waits at most) for
 * the reader's completion; every completion must carry MCP_TEST_KEY.
 * event, if not NULL, gets the last completion value that was not
 * MCP_TRANSPORT_EVENT_INPUT; after MCP_TRANSPORT_EVENT_OUTPUT_FAILED it
 * returns NULL.  Fails when no input comes. */
mcp_input_t *mcp_test_next_input(mcp_test_pipes_t *p, uintptr_t *event);

/* Waits until the reader has read (and split into lines) `want` bytes in
 * all, sleeping on p->rt 1 ms at a time, 10 s at most; fails otherwise.
 * Lets a test write a line in parts that the reader surely reads one by
 * one. */
void mcp_test_wait_bytes_read(mcp_test_pipes_t *p, uint64_t want);

/* The next input must be a message whose "id" is `id`; frees it. */
void mcp_test_expect_input_id(mcp_test_pipes_t *p, json_int_t id);

/* The client went away (the test closed its end of p->from_writer):
 * a response is still taken, the writer fails on it and says so
 * (MCP_TRANSPORT_EVENT_OUTPUT_FAILED), later sends are refused
 * (MCP_SEND_CLOSED), and the stats say output_failed. */
void mcp_test_expect_output_fails(mcp_test_pipes_t *p);

/* Sends `count` responses {"n": i} (i from 0) through p->t, the one at
 * big_at with a "big" member of 1 MB - 1 'b's as well. */
void mcp_test_send_numbered(mcp_test_pipes_t *p, int count, int big_at);

/* Stops p->t (draining what is queued, 5 s at most), checks it wrote
 * `count` messages, and destroys it (closing its two fds); p->t = NULL. */
void mcp_test_stop_expect_written(mcp_test_pipes_t *p, size_t count);

/* data[0..len) must be exactly `count` lines, line i starting {"n":i. */
void mcp_test_expect_numbered_lines(const char *data, size_t len, int count);

#endif
