/*
 * mcp_transport_test.c - waiting for the MCP transport's inputs (see
 * mcp_transport_test.h).
 */
#include "config.h"
#include "mcp_transport_test.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcp_test_wait_bytes_read(mcp_test_pipes_t *p, uint64_t want)
{
    mcp_transport_stats_t st;
    for (int i = 0; i < 10000; i++) {
        mcp_transport_get_stats(p->t, &st);
        if (st.bytes_read >= want)
            break;
        /* a completion that comes meanwhile is an input, left for
         * mcp_test_next_input (which asks the transport first) */
        io_event_t ev[8];
        struct timeval tv = { 0, 1000 };
        int n = async_runtime_wait(p->rt, ev, 8, &tv);
        ck_assert_int_ge(n, 0);
        for (int k = 0; k < n; k++)
            ck_assert_uint_eq(ev[k].completion_key, MCP_TEST_KEY);
    }
    ck_assert_uint_eq(st.bytes_read, want);
}

mcp_input_t *mcp_test_next_input(mcp_test_pipes_t *p, uintptr_t *event)
{
    for (int tries = 0; tries < 100; tries++) {
        mcp_input_t *in = mcp_transport_next_input(p->t);
        if (in != NULL)
            return in;
        io_event_t ev[8];
        struct timeval tv = { 5, 0 };
        int n = async_runtime_wait(p->rt, ev, 8, &tv);
        ck_assert_int_ge(n, 0);
        ck_assert_msg(n > 0, "no completion from the reader within 5 s");
        for (int i = 0; i < n; i++) {
            ck_assert_uint_eq(ev[i].completion_key, MCP_TEST_KEY);
            if (event != NULL && ev[i].value != MCP_TRANSPORT_EVENT_INPUT)
                *event = ev[i].value;
        }
        if (event != NULL && *event == MCP_TRANSPORT_EVENT_OUTPUT_FAILED)
            return NULL;
    }
    ck_abort_msg("no input");
    return NULL;
}

void mcp_test_expect_input_id(mcp_test_pipes_t *p, json_int_t id)
{
    mcp_input_t *in = mcp_test_next_input(p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_MESSAGE);
    ck_assert_int_eq(json_integer_value(json_object_get(in->json, "id")), id);
    mcp_input_free(in);
}

void mcp_test_send_numbered(mcp_test_pipes_t *p, int count, int big_at)
{
    char *big = malloc(1 << 20);
    ck_assert_ptr_nonnull(big);
    memset(big, 'b', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    for (int i = 0; i < count; i++) {
        json_t *m = i == big_at ? json_pack("{s:i, s:s}", "n", i, "big", big)
                                : json_pack("{s:i}", "n", i);
        ck_assert_int_eq(mcp_transport_send(p->t, mcp_out_msg_new(m, MCP_OUT_RESPONSE)),
                         MCP_SEND_OK);
        json_decref(m);
    }
    free(big);
}

void mcp_test_stop_expect_written(mcp_test_pipes_t *p, size_t count)
{
    ck_assert(mcp_transport_stop(p->t, 5000));
    mcp_transport_stats_t st;
    mcp_transport_get_stats(p->t, &st);
    ck_assert_uint_eq(st.messages_written, count);
    mcp_transport_destroy(p->t);
    p->t = NULL;
}

void mcp_test_expect_numbered_lines(const char *data, size_t len, int count)
{
    int lines = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        char want[32];
        int w = snprintf(want, sizeof want, "{\"n\":%d", lines);
        ck_assert_msg(strncmp(data + start, want, (size_t)w) == 0, "line %d", lines);
        lines++;
        start = i + 1;
    }
    ck_assert_int_eq(lines, count);
    ck_assert_uint_eq(start, len);
}

void mcp_test_expect_output_fails(mcp_test_pipes_t *p)
{
    json_t *m = json_pack("{s:s}", "x", "y");
    ck_assert_int_eq(mcp_transport_send(p->t, mcp_out_msg_new(m, MCP_OUT_RESPONSE)), MCP_SEND_OK);
    uintptr_t event = 0;
    ck_assert_ptr_null(mcp_test_next_input(p, &event));
    ck_assert_uint_eq(event, MCP_TRANSPORT_EVENT_OUTPUT_FAILED);
    ck_assert_int_eq(mcp_transport_send(p->t, mcp_out_msg_new(m, MCP_OUT_RESPONSE)),
                     MCP_SEND_CLOSED);
    json_decref(m);
    mcp_transport_stats_t st;
    mcp_transport_get_stats(p->t, &st);
    ck_assert(st.output_failed);
}
