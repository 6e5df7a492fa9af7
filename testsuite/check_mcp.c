/*
 * check_mcp.c - the Model Context Protocol server: the protocol core
 * (src/mcp_server.c) fed JSON lines through a fake transport, the JSON
 * helpers (src/mcp_json.c), and the stdio transport's worker threads
 * (src/mcp_transport.c) on real pipes.
 *
 * Test names start with the rule id of ../shared/spec/mcp-checklist.md
 * they prove (A1, B1, ...).  Responses are compared exactly where the
 * byte form matters (ids, the initialize result, errors without id) and
 * through jansson elsewhere.
 *
 * The fake transport records every line the server sends (and the "not
 * before" time it asked for); the fake provider answers at once or holds
 * a request for the test to complete later, like an LPC call_out would.
 */
#include "config.h"             /* autoconf's (testsuite/ has no config.h) */
#include "src/mcp_json.h"
#include "src/mcp_provider.h"
#include "src/mcp_server.h"
#include "src/mcp_transport.h"
#include "mcp_transport_test.h"

#include "async/async_runtime.h"
#include "port/port_clock.h"
#include "port/port_thread.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/types.h>
#include <unistd.h>

/* ================================================================ fixture */

#define MAX_LINES 4096

typedef struct fake_io {
    char *lines[MAX_LINES];        /* what the server sent, '\n' stripped */
    int64_t not_before[MAX_LINES];
    mcp_out_class_t cls[MAX_LINES];
    size_t count;
    size_t taken;                  /* lines consumed by take() */
    mcp_send_result_t answer;      /* what send returns (OK by default) */
    int disconnects;
    int idles;
} fake_io_t;

static fake_io_t fio;

static mcp_send_result_t fake_send(void *ctx, mcp_out_msg_t *msg)
{
    (void)ctx;
    ck_assert_ptr_nonnull(msg);
    /* A1/A2: exactly one line. */
    ck_assert_uint_gt(msg->len, 0);
    ck_assert_int_eq(msg->data[msg->len - 1], '\n');
    ck_assert_ptr_null(memchr(msg->data, '\n', msg->len - 1));
    ck_assert(mcp_utf8_is_valid(msg->data, msg->len));
    mcp_send_result_t r = fio.answer;
    if (r == MCP_SEND_OK || (r == MCP_SEND_DROPPED && msg->cls == MCP_OUT_RESPONSE)) {
        ck_assert_uint_lt(fio.count, MAX_LINES);
        fio.lines[fio.count] = strndup(msg->data, msg->len - 1);
        fio.not_before[fio.count] = msg->not_before_ms;
        fio.cls[fio.count] = msg->cls;
        fio.count++;
        r = MCP_SEND_OK;
    }
    free(msg);
    return r;
}

static void fake_disconnect(void *ctx, const char *why)
{
    (void)ctx;
    (void)why;
    fio.disconnects++;
}

static void fake_idle(void *ctx)
{
    (void)ctx;
    fio.idles++;
}

static const mcp_server_io_t fake_io_ops = {
    .send = fake_send, .disconnect = fake_disconnect, .idle = fake_idle,
};

/* ---- the fake provider ---------------------------------------------- */

typedef struct fake_provider {
    int start_state;
    mcp_server_t *server;
    int fillers;                /* extra tools filler_00 ... */
    bool bad_entries;           /* list malformed tools too */
    bool lists_fail;            /* list_tools returns NULL */
    mcp_request_t *held;        /* the "later" tool's open request */
    int cancels;
    bool cancel_keeps;          /* cancel does not complete the request */
    int stops;
    int subscribes, unsubscribes;
    const char *instructions;
} fake_provider_t;

static fake_provider_t fk;
static mcp_provider_t prov;
static mcp_server_t *srv;

static int fp_start(void *ctx, mcp_server_t *server)
{
    (void)ctx;
    fk.server = server;
    return fk.start_state;
}

static void fp_stop(void *ctx)
{
    (void)ctx;
    fk.stops++;
}

static char *fp_instructions(void *ctx)
{
    (void)ctx;
    return fk.instructions != NULL ? strdup(fk.instructions) : NULL;
}

static json_t *no_args_schema(void)
{
    return json_pack("{s:s, s:b}", "type", "object", "additionalProperties", 0);
}

static json_t *sum_schema(void)
{
    return json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type", "object",
                     "properties", "sum", "type", "number", "required", "sum");
}

static json_t *fp_list_tools(void *ctx)
{
    (void)ctx;
    if (fk.lists_fail)
        return NULL;
    json_t *a = json_array();
    json_array_append_new(a, json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s], s:b}, s:{s:b}}",
        "name", "echo", "title", "Echo", "description", "Says text back.",
        "inputSchema", "type", "object", "properties", "text", "type", "string",
        "required", "text", "additionalProperties", 0,
        "annotations", "readOnlyHint", 1));
    json_array_append_new(a, json_pack(
        "{s:s, s:{s:s, s:{s:{s:s}, s:{s:s}}, s:[s,s]}, s:o}",
        "name", "add",
        "inputSchema", "type", "object", "properties", "a", "type", "number",
        "b", "type", "number", "required", "a", "b",
        "outputSchema", sum_schema()));
    json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "name", "add_wrong",
                                       "inputSchema", no_args_schema(),
                                       "outputSchema", sum_schema()));
    json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "name", "no_struct",
                                       "inputSchema", no_args_schema(),
                                       "outputSchema", sum_schema()));
    const char *plain[] = { "fail", "later", "big", "bytes", "picky", "link" };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        json_array_append_new(a, json_pack("{s:s, s:o}", "name", plain[i],
                                           "inputSchema", no_args_schema()));
    for (int i = 0; i < fk.fillers; i++) {
        char name[32];
        snprintf(name, sizeof name, "filler_%02d", i);
        json_array_append_new(a, json_pack("{s:s, s:o}", "name", name,
                                           "inputSchema", no_args_schema()));
    }
    if (fk.bad_entries) {
        json_array_append_new(a, json_pack("{s:s}", "name", "bad name!"));
        json_array_append_new(a, json_pack("{s:s, s:{s:s}}", "name", "bad_schema",
                                           "inputSchema", "type", "string"));
        json_array_append_new(a, json_string("not a tool"));
        json_array_append_new(a, json_pack("{s:s}", "name", "echo"));  /* dup */
        json_array_append_new(a, json_pack("{s:s}", "name", "no_schema"));
    }
    return a;
}

static void fp_call_tool(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *name = mcp_request_tool_name(req);
    const json_t *args = mcp_request_arguments(req);
    if (strcmp(name, "echo") == 0) {
        const char *t = json_string_value(json_object_get(args, "text"));
        mcp_tool_text(req, t, strlen(t), false);
    } else if (strcmp(name, "add") == 0) {
        double sum = json_number_value(json_object_get(args, "a")) +
                     json_number_value(json_object_get(args, "b"));
        mcp_tool_structured(req, json_pack("{s:f}", "sum", sum), NULL);
    } else if (strcmp(name, "add_wrong") == 0) {
        mcp_tool_structured(req, json_pack("{s:s}", "sum", "many"), "many");
    } else if (strcmp(name, "no_struct") == 0) {
        mcp_tool_text(req, "3", 1, false);
    } else if (strcmp(name, "fail") == 0) {
        mcp_tool_text(req, "it broke", 8, true);
    } else if (strcmp(name, "later") == 0) {
        fk.held = req;
    } else if (strcmp(name, "big") == 0) {
        size_t n = 100000;
        char *buf = malloc(n);
        for (size_t i = 0; i < n; i += 2) {   /* "é" = C3 A9: cuts must not split it */
            buf[i] = (char)0xC3;
            buf[i + 1] = (char)0xA9;
        }
        mcp_tool_text(req, buf, n, false);
        free(buf);
    } else if (strcmp(name, "bytes") == 0) {
        static const char raw[] = "caf\xe9 \x1b[31mred\x1b[0m line1\nline2 \xff\xfe end";
        mcp_tool_text(req, raw, sizeof raw - 1, false);
    } else if (strcmp(name, "picky") == 0) {
        mcp_tool_invalid_arguments(req, "no such room");
    } else if (strcmp(name, "link") == 0) {
        mcp_tool_result(req, json_pack("{s:[{s:s, s:s, s:s}]}", "content", "type",
                                       "resource_link", "uri", "test://a", "name", "a"));
    } else {
        mcp_tool_text(req, "filler", 6, false);
    }
}

static void fp_cancel(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    fk.cancels++;
    if (req == fk.held && !fk.cancel_keeps) {
        fk.held = NULL;
        mcp_tool_text(req, "too late", 8, false);   /* discarded */
    }
}

static json_t *fp_list_resources(void *ctx)
{
    (void)ctx;
    json_t *a = json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s}, {s:s, s:s}]",
                          "uri", "test://a", "name", "a", "title", "The A",
                          "mimeType", "text/plain",
                          "uri", "test://blob", "name", "blob",
                          "uri", "test://fails", "name", "fails");
    for (int i = 0; i < fk.fillers; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "test://item/%d", i);
        json_array_append_new(a, json_pack("{s:s, s:s}", "uri", uri, "name", uri));
    }
    if (fk.bad_entries)
        json_array_append_new(a, json_pack("{s:s}", "name", "no uri"));
    return a;
}

static json_t *fp_list_templates(void *ctx)
{
    (void)ctx;
    return json_pack("[{s:s, s:s}]", "uriTemplate", "test://item/{n}", "name", "item");
}

static void fp_read(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *uri = mcp_request_uri(req);
    if (strcmp(uri, "test://a") == 0) {
        mcp_resource_text(req, "text/plain", "hello", 5);
    } else if (strcmp(uri, "test://blob") == 0) {
        static const unsigned char b[] = { 0, 1, 2, 0xff };
        mcp_resource_blob(req, "application/octet-stream", b, sizeof b);
    } else if (strcmp(uri, "test://fails") == 0) {
        mcp_request_fail(req, "the disk is on fire");
    } else {
        mcp_resource_not_found(req);
    }
}

static bool fp_subscribe(void *ctx, const char *uri)
{
    (void)ctx;
    if (strcmp(uri, "test://a") != 0)
        return false;
    fk.subscribes++;
    return true;
}

static void fp_unsubscribe(void *ctx, const char *uri)
{
    (void)ctx;
    (void)uri;
    fk.unsubscribes++;
}

static void make_provider(void)
{
    prov = (mcp_provider_t){
        .name = "fake", .ctx = &fk, .start = fp_start, .stop = fp_stop,
        .instructions = fp_instructions, .list_tools = fp_list_tools,
        .call_tool = fp_call_tool, .list_resources = fp_list_resources,
        .list_resource_templates = fp_list_templates, .read_resource = fp_read,
        .subscribe = fp_subscribe, .unsubscribe = fp_unsubscribe,
        .cancel = fp_cancel,
    };
}

static void reset_io(void)
{
    for (size_t i = 0; i < fio.count; i++)
        free(fio.lines[i]);
    memset(&fio, 0, sizeof fio);
    fio.answer = MCP_SEND_OK;
}

/* Starts a server around the current prov and fk. */
static void server_start(void)
{
    mcp_server_config_t cfg = {
        .name = "neolith", .title = "Neolith test", .version = "9.9",
        .page_size = 5, .max_tool_text = 1000, .progress_gap_ms = 25,
    };
    srv = mcp_server_create(&cfg, &prov, &fake_io_ops);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(mcp_server_start(srv), 0);
}

static void setup(void)
{
    memset(&fk, 0, sizeof fk);
    fk.instructions = "Test instructions.";
    make_provider();
    reset_io();
    server_start();
}

static void teardown(void)
{
    if (fk.held != NULL) {
        mcp_tool_text(fk.held, "x", 1, false);
        fk.held = NULL;
    }
    mcp_server_destroy(srv);
    srv = NULL;
    reset_io();
}

/* ---- feeding and reading -------------------------------------------- */

/* One line from the "client", as the reader would parse it. */
static void feed(const char *line)
{
    mcp_input_t *in = mcp_input_parse_line(line, strlen(line));
    if (in != NULL) {
        mcp_server_handle_input(srv, in);
        mcp_input_free(in);
    }
}

static void feedf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void feedf(const char *fmt, ...)
{
    char *line;
    va_list ap;
    va_start(ap, fmt);
    ck_assert_int_ge(vasprintf(&line, fmt, ap), 0);
    va_end(ap);
    feed(line);
    free(line);
}

static void feed_kind(mcp_input_kind_t kind, const char *text)
{
    mcp_input_t *in = mcp_input_new(kind, text);
    mcp_server_handle_input(srv, in);
    mcp_input_free(in);
}

static size_t pending(void)
{
    return fio.count - fio.taken;
}

/* The next line the server sent (test fails when there is none). */
static const char *take(void)
{
    ck_assert_msg(fio.taken < fio.count, "expected another line from the server");
    return fio.lines[fio.taken++];
}

static json_t *take_json(void)
{
    const char *line = take();
    json_error_t err;
    json_t *j = json_loads(line, JSON_DECODE_ANY, &err);
    ck_assert_msg(j != NULL, "not JSON: %s", line);
    return j;
}

static void expect_line(const char *want)
{
    const char *got = take();
    ck_assert_str_eq(got, want);
}

static void expect_nothing(void)
{
    ck_assert_msg(pending() == 0, "unexpected line: %s", fio.lines[fio.taken]);
}

/* The error code of the next line (which must be an error response). */
static int take_error_code(json_t **out)
{
    json_t *j = take_json();
    json_t *err = json_object_get(j, "error");
    ck_assert_msg(json_is_object(err), "not an error response");
    ck_assert(json_is_string(json_object_get(err, "message")));
    int code = (int)json_integer_value(json_object_get(err, "code"));
    if (out != NULL)
        *out = j;
    else
        json_decref(j);
    return code;
}

/* The result object of the next line (caller decrefs the message). */
static json_t *take_result(json_t **msg)
{
    json_t *j = take_json();
    json_t *r = json_object_get(j, "result");
    ck_assert_msg(json_is_object(r), "not a result response: %s",
                  fio.lines[fio.taken - 1]);
    *msg = j;
    return r;
}

static void initialize(const char *version)
{
    feedf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":"
          "{\"name\":\"check\",\"version\":\"1\"}}}", version);
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert(json_is_string(json_object_get(r, "protocolVersion")));
    json_decref(msg);
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    expect_nothing();
}

/* The _meta envelope of a 2026-07-28 request. */
#define ENVELOPE "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
                 "\"io.modelcontextprotocol/clientCapabilities\":{}}"

/* ====================================================== A: transport form */

START_TEST(test_A1_A2_every_message_is_one_line_without_embedded_newlines)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"echo\",\"arguments\":{\"text\":\"a\\nb\\r\\nc\"}}}");
    /* fake_send asserted one line each; the newline travels escaped. */
    const char *line = take();
    ck_assert_ptr_nonnull(strstr(line, "\"a\\nb\\r\\nc\""));
    ck_assert_ptr_null(strstr(line, ": "));          /* compact: no pretty print */
}
END_TEST

START_TEST(test_A3_invalid_utf8_is_repaired_and_control_characters_escaped)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"bytes\"}}");
    const char *line = take();
    ck_assert(mcp_utf8_is_valid(line, strlen(line)));
    ck_assert_ptr_nonnull(strstr(line, "caf\xef\xbf\xbd "));      /* \xe9 -> U+FFFD */
    ck_assert_ptr_nonnull(strstr(line, "\\u001B[31mred\\u001B[0m"));  /* ESC */
    ck_assert_ptr_nonnull(strstr(line, "line1\\nline2"));
    ck_assert_ptr_nonnull(strstr(line, "\xef\xbf\xbd\xef\xbf\xbd end"));
}
END_TEST

START_TEST(test_A3_utf8_repair_rules)
{
    size_t n;
    char *s = mcp_utf8_repair("ok\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82", 13, &n);
    /* overlong, surrogate, above U+10FFFF, truncated: every byte replaced */
    ck_assert(mcp_utf8_is_valid(s, n));
    ck_assert_uint_eq(n, 2 + 11 * 3);
    ck_assert_str_eq(s, "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    ck_assert(mcp_utf8_is_valid("\xf0\x9f\x98\x80 \xc3\xa9", 7));
    ck_assert(!mcp_utf8_is_valid("\xc3", 1));
    ck_assert_uint_eq(mcp_utf8_cut("a\xc3\xa9", 3, 2), 1);   /* not mid-character */
    ck_assert_uint_eq(mcp_utf8_cut("a\xc3\xa9", 3, 3), 3);
    /* a string built without checks is still repaired on the wire */
    json_t *j = json_pack("{s:o}", "t", json_stringn_nocheck("x\xff", 2));
    size_t len;
    char *line = mcp_json_encode_line(j, &len);
    ck_assert_str_eq(line, "{\"t\":\"x\xef\xbf\xbd\"}\n");
    free(line);
    json_decref(j);
}
END_TEST

/* =========================================================== B: JSON-RPC */

START_TEST(test_B1_ids_echoed_exactly_with_type)
{
    static const char *const ids[] = {
        "0", "\"0\"", "\"42\"", "-1", "2147483648", "9007199254740993",
        "9223372036854775807", "-9223372036854775808", "\"\"",
        "\"caf\xc3\xa9 \\\"q\\\" \xf0\x9f\x98\x80\"",
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        feedf("{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", ids[i]);
        char want[256];
        snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}", ids[i]);
        expect_line(want);
    }
    /* an escaped string id comes back as the same string */
    feed("{\"jsonrpc\":\"2.0\",\"id\":\"\\u0041\\u00e9\",\"method\":\"ping\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":\"A\xc3\xa9\",\"result\":{}}");
}
END_TEST

START_TEST(test_B1_null_and_fractional_ids_are_invalid_requests_without_id)
{
    static const char *const bad[] = { "null", "1.5", "true", "{}", "[1]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        feedf("{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", bad[i]);
        json_t *j;
        ck_assert_int_eq(take_error_code(&j), -32600);
        ck_assert_ptr_null(json_object_get(j, "id"));
        json_decref(j);
    }
}
END_TEST

START_TEST(test_B2_responses_carry_result_or_error_never_both)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}");
    for (int i = 0; i < 2; i++) {
        json_t *j = take_json();
        bool r = json_object_get(j, "result") != NULL;
        bool e = json_object_get(j, "error") != NULL;
        ck_assert(r != e);
        ck_assert_str_eq(json_string_value(json_object_get(j, "jsonrpc")), "2.0");
        json_decref(j);
    }
}
END_TEST

START_TEST(test_B3_B5_parse_error_omits_id_and_server_lives_on)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"");    /* cut short */
    const char *line = take();
    ck_assert_str_eq(line, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,"
                     "\"message\":\"Parse error: '}' expected near end of file "
                     "(at byte 39)\"}}");
    feed("not json at all");
    ck_assert_int_eq(take_error_code(NULL), -32700);
    feed("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}");
}
END_TEST

START_TEST(test_B4_notifications_get_no_response_even_unknown_or_invalid)
{
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":7}");
    feed("{\"jsonrpc\":\"1.0\",\"method\":\"ping\"}");
    feed("{\"method\":42}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\"}");   /* a request without id */
    feed("");
    feed("   \r");
    expect_nothing();
}
END_TEST

START_TEST(test_B6_invalid_requests)
{
    feed("{\"hello\":\"world\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: not a JSON-RPC 2.0 message\"}}");
    feed("42");
    expect_line("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: a JSON-RPC message is an object\"}}");
    feed("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"ping\"}");   /* id readable: kept */
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: \\\"jsonrpc\\\" must be \\\"2.0\\\"\"}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":[]}");
    ck_assert_int_eq(take_error_code(NULL), -32600);
    feed("{\"jsonrpc\":\"2.0\",\"id\":7}");
    ck_assert_int_eq(take_error_code(NULL), -32600);
    /* a response from the client (we never asked): ignored */
    feed("{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{}}");
    expect_nothing();
}
END_TEST

START_TEST(test_B7_unknown_method_is_32601)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"prompts/list\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,"
                "\"message\":\"Method not found: prompts/list\"}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"completion/complete\",\"params\":{}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
    /* server/discover on a process a legacy initialize claimed (C10) */
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"server/discover\",\"params\":{" ENVELOPE "}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
}
END_TEST

START_TEST(test_B8_invalid_params_are_32602_never_32603)
{
    initialize("2025-11-25");
    static const char *const reqs[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":5}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":[1]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"no scheme here\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":7}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1,2]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":3}}",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        feed(reqs[i]);
        ck_assert_msg(take_error_code(NULL) == -32602, "request %zu", i);
    }
}
END_TEST

START_TEST(test_B9_internal_errors_are_32603)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://fails\"}}");
    json_t *j;
    ck_assert_int_eq(take_error_code(&j), -32603);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
        json_object_get(j, "error"), "message")), "the disk is on fire"));
    json_decref(j);
    fk.lists_fail = true;
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    ck_assert_int_eq(take_error_code(NULL), -32603);
}
END_TEST

START_TEST(test_B10_F5_missing_resource_is_32002_with_uri_in_legacy)
{
    initialize("2025-06-18");
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://missing\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,\"message\":"
                "\"Resource not found: test://missing\",\"data\":{\"uri\":\"test://missing\"}}}");
}
END_TEST

START_TEST(test_B12_unknown_fields_and_meta_are_tolerated)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"extra\":1,\"params\":"
         "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"x\":{}},\"clientInfo\":"
         "{\"name\":\"c\",\"version\":\"1\",\"weird\":[]},\"_meta\":{\"a.mcp/b\":1}}}");
    json_t *msg;
    take_result(&msg);
    json_decref(msg);
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"_meta\":{\"k\":[1]}},\"z\":null}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":\"odd\",\"more\":1}}");
    take_result(&msg);
    json_decref(msg);
}
END_TEST

/* ============================================================ C: lifecycle */

START_TEST(test_C1_C3_initialize_result_exactly)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":"
         "{\"name\":\"c\",\"version\":\"1\"}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":"
                "\"2025-11-25\",\"capabilities\":{\"logging\":{},\"tools\":"
                "{\"listChanged\":true},\"resources\":{\"subscribe\":true,"
                "\"listChanged\":true}},\"serverInfo\":{\"name\":\"neolith\","
                "\"title\":\"Neolith test\",\"version\":\"9.9\"},\"instructions\":"
                "\"Test instructions.\"}}");
}
END_TEST

START_TEST(test_C2_version_negotiation_echoes_supported_versions)
{
    static const char *const cases[][2] = {
        { "2024-11-05", "2024-11-05" }, { "2025-03-26", "2025-03-26" },
        { "2025-06-18", "2025-06-18" }, { "2025-11-25", "2025-11-25" },
        { "2024-10-07", "2025-11-25" }, { "1999-01-01", "2025-11-25" },
        { "2026-07-28", "2025-11-25" }, { "2027-01-01", "2025-11-25" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        teardown();
        setup();
        feedf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
              "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":"
              "{\"name\":\"c\",\"version\":\"1\"}}}", cases[i][0]);
        json_t *msg;
        json_t *r = take_result(&msg);
        ck_assert_str_eq(json_string_value(json_object_get(r, "protocolVersion")),
                         cases[i][1]);
        /* title arrived with 2025-06-18 */
        bool has_title = json_object_get(json_object_get(r, "serverInfo"), "title") != NULL;
        ck_assert(has_title == (strcmp(cases[i][1], "2025-06-18") >= 0));
        json_decref(msg);
    }
}
END_TEST

START_TEST(test_C2_initialize_without_protocol_version_is_32602)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":[]}}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
    /* still unused: a good initialize works */
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\"}}");
    ck_assert_int_eq(take_error_code(NULL), -32600);         /* only once */
}
END_TEST

START_TEST(test_C3_capabilities_only_for_what_the_provider_has)
{
    teardown();
    memset(&fk, 0, sizeof fk);
    make_provider();
    prov.subscribe = NULL;
    prov.unsubscribe = NULL;
    prov.list_resources = NULL;
    prov.list_resource_templates = NULL;
    prov.read_resource = NULL;
    reset_io();
    server_start();
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    json_t *caps = json_object_get(r, "capabilities");
    ck_assert(json_is_object(json_object_get(caps, "logging")));
    ck_assert(json_is_object(json_object_get(caps, "tools")));
    ck_assert_ptr_null(json_object_get(caps, "resources"));
    ck_assert_ptr_null(json_object_get(caps, "prompts"));
    ck_assert_ptr_null(json_object_get(r, "instructions"));
    json_decref(msg);
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/list\"}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
    /* with resources but no subscribe: no "subscribe", and -32601 for it */
    teardown();
    memset(&fk, 0, sizeof fk);
    make_provider();
    prov.subscribe = NULL;
    reset_io();
    server_start();
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":"
                "\"2025-11-25\",\"capabilities\":{\"logging\":{},\"tools\":"
                "{\"listChanged\":true},\"resources\":{\"listChanged\":true}},"
                "\"serverInfo\":{\"name\":\"neolith\",\"title\":\"Neolith test\","
                "\"version\":\"9.9\"}}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://a\"}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
}
END_TEST

START_TEST(test_C4_initialized_notification_gets_no_response)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\"}}");
    take();
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    expect_nothing();
    mcp_server_stats_t st;
    mcp_server_get_stats(srv, &st);
    ck_assert(st.initialized);
    ck_assert_str_eq(st.protocol_version, "2025-11-25");
}
END_TEST

START_TEST(test_C5_ping_is_answered_before_initialize)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
    /* other requests need a session (or the 2026 envelope) */
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
}
END_TEST

START_TEST(test_C6_no_game_notifications_before_initialized)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\"}}");
    take();
    mcp_server_tools_changed(srv);
    mcp_server_resources_changed(srv);
    mcp_server_log(srv, MCP_LOG_ERROR, "game", "too early");
    expect_nothing();
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    mcp_server_tools_changed(srv);
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
}
END_TEST

START_TEST(test_C8_instructions_are_cut_at_2_kb)
{
    char *big = malloc(5000);
    memset(big, 'i', 4999);
    big[4999] = '\0';
    fk.instructions = big;
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
         "{\"protocolVersion\":\"2025-11-25\"}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert_uint_eq(json_string_length(json_object_get(r, "instructions")), 2048);
    json_decref(msg);
    fk.instructions = NULL;
    free(big);
}
END_TEST

START_TEST(test_C9_initialize_is_answered_while_the_provider_loads)
{
    teardown();
    memset(&fk, 0, sizeof fk);
    fk.start_state = MCP_PROVIDER_LOADING;
    make_provider();
    reset_io();
    server_start();
    initialize("2025-11-25");          /* answered at once */
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");   /* not held */
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://a\"}}");
    expect_nothing();
    mcp_server_provider_ready(fk.server);
    json_t *msg;
    take_result(&msg);
    ck_assert_int_eq(json_integer_value(json_object_get(msg, "id")), 2);   /* in order */
    json_decref(msg);
    take_result(&msg);
    ck_assert_int_eq(json_integer_value(json_object_get(msg, "id")), 4);
    json_decref(msg);
}
END_TEST

START_TEST(test_C9_a_provider_that_fails_to_load_gets_32603)
{
    teardown();
    memset(&fk, 0, sizeof fk);
    fk.start_state = MCP_PROVIDER_LOADING;
    make_provider();
    reset_io();
    server_start();
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    mcp_server_provider_failed(fk.server, "master.c does not compile");
    json_t *j;
    ck_assert_int_eq(take_error_code(&j), -32603);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
        json_object_get(j, "error"), "message")), "master.c does not compile"));
    json_decref(j);
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}");
    ck_assert_int_eq(take_error_code(NULL), -32603);
}
END_TEST

START_TEST(test_C10_discover_probe_then_initialize_on_the_same_process)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"server/discover\",\"params\":{" ENVELOPE "}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert(json_is_array(json_object_get(r, "supportedVersions")));
    json_decref(msg);
    initialize("2025-06-18");
    feed("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
    r = take_result(&msg);
    ck_assert_ptr_null(json_object_get(r, "resultType"));    /* legacy answer */
    json_decref(msg);
}
END_TEST

/* ================================================================= D: ping */

START_TEST(test_D1_ping_answers_empty_result_with_meta_params)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"_meta\":{}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}");
}
END_TEST

START_TEST(test_D2_ping_is_gone_in_2026_07_28)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{" ENVELOPE "}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
}
END_TEST

/* ================================================================ E: tools */

START_TEST(test_E2_E3_tools_list_validates_entries)
{
    fk.bad_entries = true;
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    json_t *msg;
    json_t *r = take_result(&msg);
    json_t *tools = json_object_get(r, "tools");
    ck_assert_uint_eq(json_array_size(tools), 5);           /* page size */
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        json_t *in = json_object_get(t, "inputSchema");
        ck_assert(json_is_object(in));
        ck_assert_str_eq(json_string_value(json_object_get(in, "type")), "object");
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tools, 0), "name")), "echo");
    json_decref(msg);
    /* walk all pages: no bad entry, "no_schema" got an object schema */
    int seen = 0;
    bool no_schema = false;
    char *cursor = NULL;
    do {
        if (cursor == NULL)
            feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}");
        else
            feedf("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", cursor);
        free(cursor);
        cursor = NULL;
        r = take_result(&msg);
        json_array_foreach(json_object_get(r, "tools"), i, t) {
            const char *n = json_string_value(json_object_get(t, "name"));
            ck_assert_str_ne(n, "bad name!");
            ck_assert_str_ne(n, "bad_schema");
            if (strcmp(n, "no_schema") == 0)
                no_schema = true;
            seen++;
        }
        if (json_object_get(r, "nextCursor") != NULL)
            cursor = strdup(json_string_value(json_object_get(r, "nextCursor")));
        json_decref(msg);
    } while (cursor != NULL);
    ck_assert_int_eq(seen, 11);     /* 10 tools + no_schema; the echo duplicate dropped */
    ck_assert(no_schema);
}
END_TEST

START_TEST(test_E2_tools_are_shaped_for_the_revision)
{
    initialize("2024-11-05");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    json_t *msg;
    json_t *r = take_result(&msg);
    json_t *echo = json_array_get(json_object_get(r, "tools"), 0);
    json_t *add = json_array_get(json_object_get(r, "tools"), 1);
    ck_assert_ptr_null(json_object_get(echo, "title"));          /* 2025-06-18 */
    ck_assert_ptr_null(json_object_get(echo, "annotations"));    /* 2025-03-26 */
    ck_assert_ptr_null(json_object_get(add, "outputSchema"));    /* 2025-06-18 */
    ck_assert_ptr_nonnull(json_object_get(echo, "description"));
    json_decref(msg);
}
END_TEST

START_TEST(test_E4_tools_call_returns_text_content)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"hi\"}]}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"it broke\"}],\"isError\":true}}");
}
END_TEST

START_TEST(test_E4_resource_link_becomes_text_before_2025_06_18)
{
    initialize("2025-06-18");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"link\"}}");
    ck_assert_ptr_nonnull(strstr(take(), "\"type\":\"resource_link\""));
    teardown();
    setup();
    initialize("2025-03-26");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"link\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"Resource: test://a\"}]}}");
}
END_TEST

START_TEST(test_E5_unknown_tool_is_32602)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602,"
                "\"message\":\"Unknown tool: nope\"}}");
}
END_TEST

START_TEST(test_E5_invalid_arguments_follow_the_revision)
{
    /* 2025-11-25 (SEP-1303): a tool error the model can read */
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"echo\",\"arguments\":{\"text\":5}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"Invalid arguments for tool 'echo': "
                "arguments.text: expected a string, got an integer. Check the "
                "tool's inputSchema and call it again.\"}],\"isError\":true}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"picky\"}}");
    ck_assert_ptr_nonnull(strstr(take(), "\"isError\":true"));
    teardown();
    setup();
    /* 2025-06-18: a protocol error */
    initialize("2025-06-18");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"echo\",\"arguments\":{}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602,\"message\":"
                "\"Invalid params: invalid arguments for tool 'echo': arguments: "
                "missing required property 'text'\"}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"echo\",\"arguments\":{\"text\":\"a\",\"extra\":1}}}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"picky\"}}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
}
END_TEST

START_TEST(test_E6_structured_content_is_checked_and_mirrored_as_text)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2.5}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"{\\\"sum\\\":3.5}\"}],\"structuredContent\":"
                "{\"sum\":3.5}}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"add_wrong\"}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert(json_is_true(json_object_get(r, "isError")));
    ck_assert_ptr_null(json_object_get(r, "structuredContent"));
    json_decref(msg);
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"no_struct\"}}");
    r = take_result(&msg);
    ck_assert(json_is_true(json_object_get(r, "isError")));
    json_decref(msg);
}
END_TEST

START_TEST(test_E6_structured_content_is_left_out_before_2025_06_18)
{
    initialize("2025-03-26");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":"
                "\"text\",\"text\":\"{\\\"sum\\\":3.0}\"}]}}");
}
END_TEST

START_TEST(test_E9_large_output_is_cut_with_a_note)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"big\"}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    const char *text = json_string_value(json_object_get(
        json_array_get(json_object_get(r, "content"), 0), "text"));
    ck_assert_ptr_nonnull(text);
    ck_assert(mcp_utf8_is_valid(text, strlen(text)));   /* not cut mid-character */
    ck_assert_ptr_nonnull(strstr(text, "[neolith: output cut: 1000 of 100000 bytes shown."));
    ck_assert_uint_lt(strlen(text), 1200);
    json_decref(msg);
}
END_TEST

/* ============================================================ F: resources */

START_TEST(test_F2_F3_F4_resources_list_read_and_templates)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/list\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"resources\":[{\"uri\":"
                "\"test://a\",\"name\":\"a\",\"title\":\"The A\",\"mimeType\":"
                "\"text/plain\"},{\"uri\":\"test://blob\",\"name\":\"blob\"},"
                "{\"uri\":\"test://fails\",\"name\":\"fails\"}]}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://a\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"contents\":[{\"uri\":"
                "\"test://a\",\"mimeType\":\"text/plain\",\"text\":\"hello\"}]}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://blob\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"contents\":[{\"uri\":"
                "\"test://blob\",\"mimeType\":\"application/octet-stream\","
                "\"blob\":\"AAEC/w==\"}]}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/templates/list\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"resourceTemplates\":"
                "[{\"uriTemplate\":\"test://item/{n}\",\"name\":\"item\"}]}}");
}
END_TEST

START_TEST(test_F4_templates_list_is_empty_not_32601_without_templates)
{
    teardown();
    memset(&fk, 0, sizeof fk);
    make_provider();
    prov.list_resource_templates = NULL;
    reset_io();
    server_start();
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/templates/list\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"resourceTemplates\":[]}}");
}
END_TEST

START_TEST(test_F6_updates_only_for_subscribed_uris)
{
    initialize("2025-11-25");
    mcp_server_resource_updated(srv, "test://a");
    expect_nothing();
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://a\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
    ck_assert_int_eq(fk.subscribes, 1);
    mcp_server_resource_updated(srv, "test://a");
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\","
                "\"params\":{\"uri\":\"test://a\"}}");
    mcp_server_resource_updated(srv, "test://blob");
    expect_nothing();
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/unsubscribe\",\"params\":{\"uri\":\"test://a\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");
    ck_assert_int_eq(fk.unsubscribes, 1);
    mcp_server_resource_updated(srv, "test://a");
    expect_nothing();
    /* a URI the provider does not know */
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://zzz\"}}");
    ck_assert_int_eq(take_error_code(NULL), -32002);
}
END_TEST

START_TEST(test_F7_list_changed_notifications)
{
    initialize("2025-11-25");
    mcp_server_resources_changed(srv);
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/list_changed\"}");
    mcp_server_tools_changed(srv);
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
}
END_TEST

START_TEST(test_F8_uri_paths_refuse_traversal)
{
    char path[256], host[64];
    ck_assert_int_eq(mcp_uri_path("mudlib:///std/room.c", "mudlib", path, sizeof path,
                                  host, sizeof host), 0);
    ck_assert_str_eq(path, "/std/room.c");
    ck_assert_str_eq(host, "");
    ck_assert_int_eq(mcp_uri_path("MUD://who/list", "mud", path, sizeof path,
                                  host, sizeof host), 0);
    ck_assert_str_eq(host, "who");
    ck_assert_str_eq(path, "/list");
    ck_assert_int_eq(mcp_uri_path("mudlib:///a%20b/c.c", "mudlib", path, sizeof path,
                                  NULL, 0), 0);
    ck_assert_str_eq(path, "/a b/c.c");
    static const char *const bad[] = {
        "mudlib:///../etc/passwd", "mudlib:///std/../../x", "mudlib:///%2e%2e/x",
        "mudlib:///a/%2E%2e", "mudlib:///a/./b", "mudlib:///a//b", "mudlib:///a%00b",
        "mudlib:///a%zz", "mudlib:///a?x=1", "mudlib:///a#f", "file:///etc/passwd",
        "mudlib:/x", "mudlib:///a\\..\\b", "mudlib:///a%2f..%2fb",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mcp_uri_path(bad[i], "mudlib", path, sizeof path, NULL, 0) != 0,
                      "accepted %s", bad[i]);
    ck_assert_int_ne(mcp_uri_path("mudlib:///long/path", "mudlib", path, 5, NULL, 0), 0);
}
END_TEST

/* ============================================================== H: logging */

START_TEST(test_H1_H2_set_level_filters_messages)
{
    initialize("2025-11-25");
    mcp_server_log(srv, MCP_LOG_DEBUG, "game", "hidden at info");
    expect_nothing();
    mcp_server_log(srv, MCP_LOG_NOTICE, "game", "alice logs in");
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":"
                "{\"level\":\"notice\",\"logger\":\"game\",\"data\":\"alice logs in\"}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"error\"}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
    mcp_server_log(srv, MCP_LOG_WARNING, "game", "below");
    expect_nothing();
    mcp_server_log_json(srv, MCP_LOG_CRITICAL, NULL, json_pack("{s:i}", "errors", 3));
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":"
                "{\"level\":\"critical\",\"data\":{\"errors\":3}}}");
}
END_TEST

START_TEST(test_H3_log_messages_are_rate_limited)
{
    initialize("2025-11-25");
    for (int i = 0; i < 200; i++)
        mcp_server_log(srv, MCP_LOG_INFO, "flood", "x");
    ck_assert_uint_le(pending(), 41);          /* the burst, not 200 */
    ck_assert_uint_ge(pending(), 39);
    mcp_server_stats_t st;
    mcp_server_get_stats(srv, &st);
    ck_assert_uint_ge(st.notifications_dropped, 159);
}
END_TEST

START_TEST(test_H4_modern_requests_log_only_with_their_own_level)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"," ENVELOPE "}}");
    ck_assert_ptr_nonnull(fk.held);
    mcp_request_log(fk.held, MCP_LOG_EMERGENCY, "t", "no level asked");
    mcp_server_log(srv, MCP_LOG_EMERGENCY, "t", "no session");
    expect_nothing();
    mcp_tool_text(fk.held, "ok", 2, false);
    fk.held = NULL;
    take();
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"later\","
         "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
         "\"io.modelcontextprotocol/clientCapabilities\":{},"
         "\"io.modelcontextprotocol/logLevel\":\"warning\"}}}");
    mcp_request_log(fk.held, MCP_LOG_INFO, "t", "below");
    expect_nothing();
    mcp_request_log(fk.held, MCP_LOG_ERROR, "t", "shown");
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":"
                "{\"level\":\"error\",\"logger\":\"t\",\"data\":\"shown\"}}");
}
END_TEST

/* ============================================================= I: progress */

START_TEST(test_I2_progress_strictly_increases)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"later\",\"_meta\":{\"progressToken\":\"tok\"}}}");
    ck_assert_ptr_nonnull(fk.held);
    ck_assert(mcp_request_progress(fk.held, 1, 4, "one"));
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                "{\"progressToken\":\"tok\",\"progress\":1,\"total\":4,\"message\":\"one\"}}");
    ck_assert(!mcp_request_progress(fk.held, 1, 4, "again"));
    ck_assert(!mcp_request_progress(fk.held, 0.5, 4, NULL));
    ck_assert(mcp_request_progress(fk.held, 1.5, -1, NULL));
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                "{\"progressToken\":\"tok\",\"progress\":1.5}}");
    expect_nothing();
}
END_TEST

START_TEST(test_I3_progress_only_with_a_token_and_while_active)
{
    initialize("2024-11-05");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}}");
    ck_assert(!mcp_request_progress(fk.held, 1, 2, NULL));     /* no token */
    mcp_tool_text(fk.held, "x", 1, false);
    fk.held = NULL;
    take();
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"later\",\"_meta\":{\"progressToken\":77}}}");
    ck_assert(mcp_request_progress(fk.held, 1, 2, "no message field in 2024-11-05"));
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                "{\"progressToken\":77,\"progress\":1,\"total\":2}}");
    fk.cancel_keeps = true;                    /* the provider answers later */
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}");
    ck_assert_int_eq(fk.cancels, 1);
    ck_assert(mcp_request_is_cancelled(fk.held));
    ck_assert(!mcp_request_progress(fk.held, 2, 2, NULL));     /* cancelled */
    mcp_tool_text(fk.held, "late", 4, false);                  /* dropped */
    fk.held = NULL;
    expect_nothing();
}
END_TEST

START_TEST(test_I4_response_after_progress_waits_for_a_gap)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
         "{\"name\":\"later\",\"_meta\":{\"progressToken\":1}}}");
    int64_t before = port_clock_now_ms();
    ck_assert(mcp_request_progress(fk.held, 1, 2, NULL));
    mcp_tool_text(fk.held, "done", 4, false);
    fk.held = NULL;
    take();
    take();
    size_t p = fio.taken - 2, r = fio.taken - 1;
    ck_assert_int_eq(fio.cls[p], MCP_OUT_NOTIFICATION);
    ck_assert_int_eq(fio.cls[r], MCP_OUT_RESPONSE);
    ck_assert_int_eq(fio.not_before[p], 0);
    ck_assert_int_ge(fio.not_before[r], before + 25);
    ck_assert_int_le(fio.not_before[r], port_clock_now_ms() + 25);
}
END_TEST

/* ========================================================= J: cancellation */

START_TEST(test_J1_cancelled_request_gets_no_response)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}}");
    ck_assert_ptr_nonnull(fk.held);
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
         "{\"requestId\":\"c1\",\"reason\":\"user pressed stop\"}}");
    ck_assert_int_eq(fk.cancels, 1);
    ck_assert_ptr_null(fk.held);            /* the provider completed it */
    expect_nothing();
    /* the id is free again */
    feed("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"ping\"}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"result\":{}}");
}
END_TEST

START_TEST(test_J2_unknown_stale_and_malformed_cancellations_are_ignored)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":99}}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{}}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":null}}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
    take();
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}}");
    /* the integer 7 and the string "7" are different ids */
    feed("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}}");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"7\"}}");
    ck_assert_int_eq(fk.cancels, 0);
    expect_nothing();
    mcp_tool_text(fk.held, "ok", 2, false);
    fk.held = NULL;
    ck_assert_ptr_nonnull(strstr(take(), "\"id\":7"));
}
END_TEST

START_TEST(test_J_shutdown_cancels_open_requests)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}}");
    mcp_server_stop(srv, true);
    ck_assert_int_eq(fk.cancels, 1);
    ck_assert_int_eq(fk.stops, 1);
    expect_nothing();
}
END_TEST

/* ============================================================ K: pagination */

START_TEST(test_K1_pages_cover_the_list_in_order_and_end_without_cursor)
{
    fk.fillers = 12;                          /* 10 + 12 tools, pages of 5 */
    initialize("2025-11-25");
    char *cursor = NULL;
    int pages = 0, count = 0;
    char last[64] = "";
    for (;;) {
        if (cursor == NULL)
            feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
        else
            feedf("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", cursor);
        free(cursor);
        cursor = NULL;
        json_t *msg;
        json_t *r = take_result(&msg);
        pages++;
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(r, "tools"), i, t) {
            count++;
            snprintf(last, sizeof last, "%s", json_string_value(json_object_get(t, "name")));
        }
        json_t *next = json_object_get(r, "nextCursor");
        if (next != NULL)
            cursor = strdup(json_string_value(next));
        json_decref(msg);
        if (cursor == NULL)
            break;
    }
    ck_assert_int_eq(count, 22);
    ck_assert_int_eq(pages, 5);
    ck_assert_str_eq(last, "filler_11");
    /* the same for resources */
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\"}");
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "resources")), 5);
    ck_assert(json_is_string(json_object_get(r, "nextCursor")));
    json_decref(msg);
}
END_TEST

START_TEST(test_K2_bad_and_stale_cursors_are_32602)
{
    fk.fillers = 12;
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    json_t *msg;
    json_t *r = take_result(&msg);
    char *cursor = strdup(json_string_value(json_object_get(r, "nextCursor")));
    json_decref(msg);
    /* a tools cursor is not a resources cursor */
    feedf("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\",\"params\":{\"cursor\":\"%s\"}}", cursor);
    ck_assert_int_eq(take_error_code(NULL), -32602);
    /* stable while the list is */
    feedf("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", cursor);
    take_result(&msg);
    json_decref(msg);
    mcp_server_tools_changed(srv);
    take();                                    /* list_changed */
    feedf("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", cursor);
    ck_assert_int_eq(take_error_code(NULL), -32602);
    free(cursor);
    static const char *const bad[] = { "", "dC4wLjU", "dC4wLjA", "dC4wLjk5OQ", "!!!!", "dC4wLjV4" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        feedf("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}", bad[i]);
        ck_assert_msg(take_error_code(NULL) == -32602, "cursor '%s'", bad[i]);
    }
}
END_TEST

/* =============================================================== M: batches */

START_TEST(test_M_batches_are_answered_with_an_array_under_2025_03_26)
{
    initialize("2025-03-26");
    feed("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"},"
         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"},"
         "5]");
    expect_line("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},{\"jsonrpc\":\"2.0\","
                "\"id\":2,\"error\":{\"code\":-32601,\"message\":\"Method not found: "
                "nope\"}},{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: a batch member must be an object\"}}]");
    /* only notifications: no answer at all */
    feed("[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/a\"},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/b\"}]");
    expect_nothing();
    feed("[]");
    expect_line("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: empty batch\"}}");
}
END_TEST

START_TEST(test_M_batch_waits_for_members_answered_later)
{
    initialize("2025-03-26");
    feed("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}},"
         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]");
    expect_nothing();
    mcp_tool_text(fk.held, "late", 4, false);
    fk.held = NULL;
    expect_line("[{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}},{\"jsonrpc\":\"2.0\","
                "\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"late\"}]}}]");
    /* a cancelled member leaves the others */
    feed("[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}},"
         "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}]");
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}");
    expect_line("[{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}]");
    /* initialize may not be in a batch */
    feed("[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}]");
    ck_assert_ptr_nonnull(strstr(take(), "may not be part of a batch"));
}
END_TEST

START_TEST(test_M_batches_are_refused_without_array_outside_2025_03_26)
{
    static const char *const versions[] = { NULL, "2024-11-05", "2025-06-18", "2025-11-25" };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        teardown();
        setup();
        if (versions[i] != NULL)
            initialize(versions[i]);
        feed("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
        expect_line("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                    "\"Invalid Request: batches are accepted only under protocol "
                    "revision 2025-03-26\"}}");
    }
    /* nor under 2026-07-28 */
    teardown();
    setup();
    feed("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" ENVELOPE "}}]");
    ck_assert_int_eq(take_error_code(NULL), -32600);
}
END_TEST

/* ====================================================== O: 2026-07-28 */

START_TEST(test_O_discover_result_shape)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" ENVELOPE "}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"supportedVersions\":"
                "[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-26\","
                "\"2024-11-05\"],\"capabilities\":{\"logging\":{},\"tools\":"
                "{\"listChanged\":true},\"resources\":{\"subscribe\":true,"
                "\"listChanged\":true}},\"instructions\":\"Test instructions.\","
                "\"ttlMs\":0,\"cacheScope\":\"private\",\"resultType\":\"complete\","
                "\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":"
                "\"neolith\",\"title\":\"Neolith test\",\"version\":\"9.9\"}}}}");
}
END_TEST

START_TEST(test_O_envelope_is_required_and_checked_on_every_request)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}");
    ck_assert_int_eq(take_error_code(NULL), -32602);
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"_meta\":"
         "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}");
    ck_assert_int_eq(take_error_code(NULL), -32602);          /* no capabilities */
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":"
         "{\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\","
         "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32022,\"message\":"
                "\"Unsupported protocol version: 2099-01-01\",\"data\":{\"supported\":"
                "[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-26\","
                "\"2024-11-05\"],\"requested\":\"2099-01-01\"}}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"," ENVELOPE "}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
    feed("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://a\"," ENVELOPE "}}");
    ck_assert_int_eq(take_error_code(NULL), -32601);
}
END_TEST

START_TEST(test_O_results_carry_result_type_cache_fields_and_server_info)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://a\"," ENVELOPE "}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"contents\":[{\"uri\":"
                "\"test://a\",\"mimeType\":\"text/plain\",\"text\":\"hello\"}],"
                "\"ttlMs\":0,\"cacheScope\":\"private\",\"resultType\":\"complete\","
                "\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":"
                "\"neolith\",\"title\":\"Neolith test\",\"version\":\"9.9\"}}}}");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
         "\"arguments\":{\"text\":\"m\"}," ENVELOPE "}}");
    json_t *msg;
    json_t *r = take_result(&msg);
    ck_assert_str_eq(json_string_value(json_object_get(r, "resultType")), "complete");
    ck_assert_ptr_null(json_object_get(r, "ttlMs"));
    json_decref(msg);
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{" ENVELOPE "}}");
    r = take_result(&msg);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "ttlMs")), 0);
    json_decref(msg);
    /* F5 under 2026-07-28: -32602 with data.uri */
    feed("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://no\"," ENVELOPE "}}");
    json_t *j;
    ck_assert_int_eq(take_error_code(&j), -32602);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
        json_object_get(j, "error"), "data"), "uri")), "test://no");
    json_decref(j);
}
END_TEST

START_TEST(test_O_listen_acknowledges_and_tags_notifications)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":\"listen:1\",\"method\":\"subscriptions/listen\",\"params\":{"
         ENVELOPE ",\"notifications\":{\"toolsListChanged\":true,\"promptsListChanged\":true,"
         "\"resourceSubscriptions\":[\"test://a\",\"test://nope\"]}}}");
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\","
                "\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"listen:1\"},"
                "\"notifications\":{\"toolsListChanged\":true,\"resourceSubscriptions\":"
                "[\"test://a\"]}}}");
    mcp_server_tools_changed(srv);
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\","
                "\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"listen:1\"}}}");
    mcp_server_resources_changed(srv);             /* not asked for */
    expect_nothing();
    mcp_server_resource_updated(srv, "test://a");
    expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\","
                "\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"listen:1\"},"
                "\"uri\":\"test://a\"}}");
    /* cancelled: no response, nothing more, the provider told */
    feed("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"listen:1\"}}");
    ck_assert_int_eq(fk.unsubscribes, 1);
    mcp_server_tools_changed(srv);
    expect_nothing();
}
END_TEST

START_TEST(test_O_listen_gets_its_result_at_a_graceful_shutdown)
{
    feed("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"subscriptions/listen\",\"params\":{"
         ENVELOPE ",\"notifications\":{}}}");
    take();
    mcp_server_stop(srv, true);
    expect_line("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"_meta\":{"
                "\"io.modelcontextprotocol/subscriptionId\":9,"
                "\"io.modelcontextprotocol/serverInfo\":{\"name\":\"neolith\","
                "\"title\":\"Neolith test\",\"version\":\"9.9\"}},\"resultType\":\"complete\"}}");
}
END_TEST

/* ===================================================== session end, overflow */

START_TEST(test_A7_end_of_input_is_idle_once_open_requests_finish)
{
    initialize("2025-11-25");
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"later\"}}");
    feed_kind(MCP_INPUT_EOF, "end of input");
    ck_assert_int_eq(fio.idles, 0);
    mcp_tool_text(fk.held, "finished", 8, false);      /* in flight: still answered */
    fk.held = NULL;
    ck_assert_int_eq(fio.idles, 1);
    ck_assert_ptr_nonnull(strstr(take(), "finished"));
    /* nothing after end of input is read */
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
    expect_nothing();
}
END_TEST

START_TEST(test_A7_end_of_input_with_nothing_open_is_idle_at_once)
{
    feed_kind(MCP_INPUT_EOF, "end of input");
    ck_assert_int_eq(fio.idles, 1);
}
END_TEST

START_TEST(test_A6_line_too_long_is_an_error_without_id)
{
    feed_kind(MCP_INPUT_TOO_LONG, "a line over 1024 bytes");
    expect_line("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                "\"Invalid Request: a line over 1024 bytes was discarded unread (the "
                "limit is the config key \\\"mcp max line\\\")\"}}");
}
END_TEST

START_TEST(test_overflow_drops_notifications_and_disconnects_on_responses)
{
    initialize("2025-11-25");
    fio.answer = MCP_SEND_DROPPED;
    mcp_server_log(srv, MCP_LOG_ERROR, "x", "dropped");
    mcp_server_stats_t st;
    mcp_server_get_stats(srv, &st);
    ck_assert_uint_eq(st.notifications_dropped, 1);
    ck_assert_int_eq(fio.disconnects, 0);
    fio.answer = MCP_SEND_OVERFLOW;
    feed("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
    ck_assert_int_eq(fio.disconnects, 1);
    fio.answer = MCP_SEND_OK;
    feed("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
    expect_nothing();                        /* output is closed for good */
}
END_TEST

/* ======================================================== the JSON helpers */

START_TEST(test_schema_subset)
{
    json_t *schema = json_loads(
        "{\"type\":\"object\",\"required\":[\"n\"],\"additionalProperties\":false,"
        "\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
        "\"s\":{\"type\":\"string\",\"maxLength\":2},\"e\":{\"enum\":[\"a\",\"b\"]},"
        "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"maxItems\":2},"
        "\"o\":{\"type\":[\"string\",\"null\"]}}}", 0, NULL);
    static const struct { const char *value; const char *err; } cases[] = {
        { "{\"n\":3}", NULL },
        { "{\"n\":3.0,\"s\":\"\xc3\xa9\xc3\xa9\",\"e\":\"b\",\"l\":[1,2.5],\"o\":null}", NULL },
        { "{}", "args: missing required property 'n'" },
        { "{\"n\":0}", "args.n: 0 is below the minimum 1" },
        { "{\"n\":9}", "args.n: 9 is above the maximum 5" },
        { "{\"n\":1.5}", "args.n: expected an integer, got a number" },
        { "{\"n\":1,\"s\":\"abc\"}", "args.s: 3 character(s), at most 2 allowed" },
        { "{\"n\":1,\"e\":\"c\"}", "args.e: not one of the allowed values" },
        { "{\"n\":1,\"l\":[1,\"x\"]}", "args.l[1]: expected a number, got a string" },
        { "{\"n\":1,\"l\":[1,2,3]}", "args.l: 3 item(s), at most 2 allowed" },
        { "{\"n\":1,\"o\":5}", "args.o: an integer is not one of the allowed types" },
        { "{\"n\":1,\"zz\":5}", "args: unexpected property 'zz'" },
        { "[]", "args: expected an object, got an array" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(v);
        char err[256];
        bool ok = mcp_schema_check(schema, v, "args", err, sizeof err);
        if (cases[i].err == NULL) {
            ck_assert_msg(ok, "case %zu: %s", i, err);
        } else {
            ck_assert_msg(!ok, "case %zu passed", i);
            ck_assert_str_eq(err, cases[i].err);
        }
        json_decref(v);
    }
    json_decref(schema);
}
END_TEST

START_TEST(test_base64)
{
    char *s = mcp_base64_encode("\x00\x01\x02\xff", 4, false);
    ck_assert_str_eq(s, "AAEC/w==");
    free(s);
    s = mcp_base64_encode("t.0.5", 5, true);
    ck_assert_str_eq(s, "dC4wLjU");
    size_t n;
    char *d = mcp_base64url_decode(s, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(d, "t.0.5");
    free(d);
    free(s);
    ck_assert_ptr_null(mcp_base64url_decode("a", &n));
    ck_assert_ptr_null(mcp_base64url_decode("ab+c", &n));
    ck_assert_ptr_null(mcp_base64url_decode("dC4wLjV", &n));   /* non-zero leftover bits */
}
END_TEST

/* ================================================ the transport, real threads */

#define KEY MCP_TEST_KEY

typedef mcp_test_pipes_t pipes_t;

static void transport_open(pipes_t *p, size_t max_line, size_t capacity, size_t budget)
{
    ck_assert_int_eq(pipe2(p->to_reader, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(p->from_writer, O_CLOEXEC), 0);
    p->rt = async_runtime_init();
    ck_assert_ptr_nonnull(p->rt);
    mcp_transport_config_t cfg = {
        .in_fd = p->to_reader[0], .out_fd = p->from_writer[1], .max_line = max_line,
        .runtime = p->rt, .key = KEY, .out_capacity = capacity, .out_budget = budget,
    };
    p->t = mcp_transport_start(&cfg);
    ck_assert_ptr_nonnull(p->t);
}

static void transport_close(pipes_t *p)
{
    mcp_transport_destroy(p->t);        /* closes to_reader[0], from_writer[1] */
    if (p->to_reader[1] >= 0)
        close(p->to_reader[1]);
    close(p->from_writer[0]);
    async_runtime_destroy(p->rt);
}

static void write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        ck_assert_int_gt(w, 0);
        s += w;
        n -= (size_t)w;
    }
}

START_TEST(test_A6_reader_handles_partial_reads_several_messages_and_crlf)
{
    pipes_t p;
    transport_open(&p, 1024, 0, 0);
    /* two messages in one write, the second with \r\n */
    static const char first[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
                                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\r\n";
    write_str(p.to_reader[1], first);
    mcp_test_expect_input_id(&p, 1);
    mcp_test_expect_input_id(&p, 2);
    /* one message split over three writes: each part is read (and goes
     * through the line splitter) before the next is written, so the
     * reader really sees partial lines, and none of them is delivered */
    static const char *const parts[] = {
        "{\"jsonrpc\":\"2.0\",", "\"id\":3,\"method\"", ":\"ping\"}\n\n  \n",  /* blank lines: nothing */
    };
    mcp_transport_stats_t st;
    uint64_t want = sizeof first - 1;       /* every byte written so far */
    for (size_t i = 0; i < 3; i++) {
        write_str(p.to_reader[1], parts[i]);
        want += strlen(parts[i]);
        mcp_test_wait_bytes_read(&p, want);
        if (i < 2) {
            mcp_transport_get_stats(p.t, &st);
            ck_assert_uint_eq(st.inputs, 2);        /* the part is held, not delivered */
        }
    }
    mcp_test_expect_input_id(&p, 3);
    /* a line over the limit is discarded whole, the next one is read */
    char big[3000];
    memset(big, 'x', sizeof big - 2);
    big[0] = '{';
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    write_str(p.to_reader[1], big);
    write_str(p.to_reader[1], "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}\n");
    mcp_input_t *in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_TOO_LONG);
    ck_assert_str_eq(in->text, "a line over 1024 bytes");
    mcp_input_free(in);
    mcp_test_expect_input_id(&p, 4);
    /* a long line arriving in pieces, over the limit only at the end */
    write_str(p.to_reader[1], "{\"a\":\"");
    for (int i = 0; i < 30; i++)
        write_str(p.to_reader[1], "0123456789012345678901234567890123456789");
    write_str(p.to_reader[1], "\"}\nnot json\n");
    in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_TOO_LONG);
    mcp_input_free(in);
    in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_PARSE_ERROR);
    mcp_input_free(in);
    /* end of input: a last line without newline still counts, then EOF */
    write_str(p.to_reader[1], "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
    close(p.to_reader[1]);
    p.to_reader[1] = -1;
    mcp_test_expect_input_id(&p, 5);
    in = mcp_test_next_input(&p, NULL);
    ck_assert_int_eq(in->kind, MCP_INPUT_EOF);
    mcp_input_free(in);
    mcp_transport_get_stats(p.t, &st);
    ck_assert_uint_eq(st.lines_too_long, 2);
    transport_close(&p);
}
END_TEST

/* Reads everything the writer wrote until it closes its end. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

typedef struct drain {
    int fd;
    char *data;
    size_t len;
} drain_t;

static void *drain_proc(void *arg)
{
    drain_t *d = arg;
    d->data = read_all(d->fd, &d->len);
    return NULL;
}

START_TEST(test_A1_writer_writes_whole_lines_in_order)
{
    pipes_t p;
    transport_open(&p, 1024, 0, 0);
    drain_t d = { p.from_writer[0], NULL, 0 };
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, drain_proc, &d, 0), 0);
    /* a 1 MB message and small ones around it: order kept, nothing torn */
    mcp_test_send_numbered(&p, 50, 25);
    /* stop drains what is queued; destroy closes the write end */
    mcp_test_stop_expect_written(&p, 50);
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    mcp_test_expect_numbered_lines(d.data, d.len, 50);
    free(d.data);
    close(p.to_reader[1]);
    close(p.from_writer[0]);
    async_runtime_destroy(p.rt);
}
END_TEST

START_TEST(test_A9_epipe_is_a_disconnect_not_a_crash)
{
    signal(SIGPIPE, SIG_IGN);
    pipes_t p;
    transport_open(&p, 1024, 0, 0);
    close(p.from_writer[0]);                 /* the client went away */
    p.from_writer[0] = open("/dev/null", O_RDONLY);
    mcp_test_expect_output_fails(&p);
    transport_close(&p);
}
END_TEST

START_TEST(test_overflow_policy_with_a_client_that_stops_reading)
{
    pipes_t p;
    transport_open(&p, 1024, 16, 1 << 20);
    /* Fill the pipe: the writer blocks in poll, messages pile up. */
    int fl = fcntl(p.from_writer[1], F_GETPIPE_SZ);
    ck_assert_int_gt(fl, 0);
    char *fill = malloc((size_t)fl * 2);
    memset(fill, 'f', (size_t)fl * 2 - 1);
    fill[(size_t)fl * 2 - 1] = '\0';
    json_t *m = json_pack("{s:s}", "fill", fill);
    free(fill);
    ck_assert_int_eq(mcp_transport_send(p.t, mcp_out_msg_new(m, MCP_OUT_RESPONSE)), MCP_SEND_OK);
    json_decref(m);
    /* wait until the writer took it (it is stuck writing it) */
    mcp_transport_stats_t st;
    for (int i = 0; i < 500; i++) {
        mcp_transport_get_stats(p.t, &st);
        if (st.queued_messages == 0)
            break;
        usleep(2000);
    }
    ck_assert_uint_eq(st.queued_messages, 0);
    json_t *small = json_pack("{s:i}", "n", 1);
    /* notifications: accepted up to half the queue (8), then dropped */
    int ok = 0, dropped = 0;
    for (int i = 0; i < 12; i++) {
        mcp_send_result_t r = mcp_transport_send(p.t, mcp_out_msg_new(small, MCP_OUT_NOTIFICATION));
        if (r == MCP_SEND_OK)
            ok++;
        else if (r == MCP_SEND_DROPPED)
            dropped++;
    }
    ck_assert_int_eq(ok, 8);
    ck_assert_int_eq(dropped, 4);
    /* responses: the rest of the queue, then overflow */
    ok = 0;
    mcp_send_result_t r;
    while ((r = mcp_transport_send(p.t, mcp_out_msg_new(small, MCP_OUT_RESPONSE))) == MCP_SEND_OK)
        ok++;
    ck_assert_int_eq(ok, 8);
    ck_assert_int_eq(r, MCP_SEND_OVERFLOW);
    json_decref(small);
    mcp_transport_get_stats(p.t, &st);
    ck_assert_uint_eq(st.notifications_dropped, 4);
    /* the main thread never blocked; stop gives up on the stuck client */
    int64_t t0 = port_clock_now_ms();
    ck_assert(mcp_transport_stop(p.t, 200));
    ck_assert_int_lt(port_clock_now_ms() - t0, 1500);
    transport_close(&p);
}
END_TEST

START_TEST(test_A7_stop_ends_a_reader_waiting_on_a_silent_client)
{
    pipes_t p;
    transport_open(&p, 1024, 0, 0);
    int64_t t0 = port_clock_now_ms();
    ck_assert(mcp_transport_stop(p.t, 100));     /* stdin still open, nothing sent */
    ck_assert_int_lt(port_clock_now_ms() - t0, 1000);
    transport_close(&p);
}
END_TEST

START_TEST(test_A4_claim_stdio_moves_stdout_to_stderr)
{
    int out[2], err[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        close(out[1]);
        close(err[1]);
        int in_fd, out_fd;
        if (mcp_transport_claim_stdio(&in_fd, &out_fd) != 0)
            _exit(1);
        printf("stray print\n");               /* must land on stderr */
        fflush(stdout);
        if (write(out_fd, "{}\n", 3) != 3)
            _exit(2);
        char c;
        if (read(0, &c, 1) != 0)               /* fd 0 is /dev/null now */
            _exit(3);
        if (fcntl(out_fd, F_GETFD) != FD_CLOEXEC)
            _exit(4);
        _exit(0);
    }
    close(out[1]);
    close(err[1]);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    char buf[64];
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    ck_assert_int_eq(n, 3);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "{}\n");
    n = read(err[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "stray print\n");
    close(out[0]);
    close(err[0]);
}
END_TEST

/* =================================================================== suite */

static Suite *mcp_suite(void)
{
    Suite *s = suite_create("mcp");
    TCase *tc = tcase_create("protocol");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_A1_A2_every_message_is_one_line_without_embedded_newlines);
    tcase_add_test(tc, test_A3_invalid_utf8_is_repaired_and_control_characters_escaped);
    tcase_add_test(tc, test_B1_ids_echoed_exactly_with_type);
    tcase_add_test(tc, test_B1_null_and_fractional_ids_are_invalid_requests_without_id);
    tcase_add_test(tc, test_B2_responses_carry_result_or_error_never_both);
    tcase_add_test(tc, test_B3_B5_parse_error_omits_id_and_server_lives_on);
    tcase_add_test(tc, test_B4_notifications_get_no_response_even_unknown_or_invalid);
    tcase_add_test(tc, test_B6_invalid_requests);
    tcase_add_test(tc, test_B7_unknown_method_is_32601);
    tcase_add_test(tc, test_B8_invalid_params_are_32602_never_32603);
    tcase_add_test(tc, test_B9_internal_errors_are_32603);
    tcase_add_test(tc, test_B10_F5_missing_resource_is_32002_with_uri_in_legacy);
    tcase_add_test(tc, test_B12_unknown_fields_and_meta_are_tolerated);
    tcase_add_test(tc, test_C1_C3_initialize_result_exactly);
    tcase_add_test(tc, test_C2_version_negotiation_echoes_supported_versions);
    tcase_add_test(tc, test_C2_initialize_without_protocol_version_is_32602);
    tcase_add_test(tc, test_C3_capabilities_only_for_what_the_provider_has);
    tcase_add_test(tc, test_C4_initialized_notification_gets_no_response);
    tcase_add_test(tc, test_C5_ping_is_answered_before_initialize);
    tcase_add_test(tc, test_C6_no_game_notifications_before_initialized);
    tcase_add_test(tc, test_C8_instructions_are_cut_at_2_kb);
    tcase_add_test(tc, test_C9_initialize_is_answered_while_the_provider_loads);
    tcase_add_test(tc, test_C9_a_provider_that_fails_to_load_gets_32603);
    tcase_add_test(tc, test_C10_discover_probe_then_initialize_on_the_same_process);
    tcase_add_test(tc, test_D1_ping_answers_empty_result_with_meta_params);
    tcase_add_test(tc, test_D2_ping_is_gone_in_2026_07_28);
    tcase_add_test(tc, test_E2_E3_tools_list_validates_entries);
    tcase_add_test(tc, test_E2_tools_are_shaped_for_the_revision);
    tcase_add_test(tc, test_E4_tools_call_returns_text_content);
    tcase_add_test(tc, test_E4_resource_link_becomes_text_before_2025_06_18);
    tcase_add_test(tc, test_E5_unknown_tool_is_32602);
    tcase_add_test(tc, test_E5_invalid_arguments_follow_the_revision);
    tcase_add_test(tc, test_E6_structured_content_is_checked_and_mirrored_as_text);
    tcase_add_test(tc, test_E6_structured_content_is_left_out_before_2025_06_18);
    tcase_add_test(tc, test_E9_large_output_is_cut_with_a_note);
    tcase_add_test(tc, test_F2_F3_F4_resources_list_read_and_templates);
    tcase_add_test(tc, test_F4_templates_list_is_empty_not_32601_without_templates);
    tcase_add_test(tc, test_F6_updates_only_for_subscribed_uris);
    tcase_add_test(tc, test_F7_list_changed_notifications);
    tcase_add_test(tc, test_H1_H2_set_level_filters_messages);
    tcase_add_test(tc, test_H3_log_messages_are_rate_limited);
    tcase_add_test(tc, test_H4_modern_requests_log_only_with_their_own_level);
    tcase_add_test(tc, test_I2_progress_strictly_increases);
    tcase_add_test(tc, test_I3_progress_only_with_a_token_and_while_active);
    tcase_add_test(tc, test_I4_response_after_progress_waits_for_a_gap);
    tcase_add_test(tc, test_J1_cancelled_request_gets_no_response);
    tcase_add_test(tc, test_J2_unknown_stale_and_malformed_cancellations_are_ignored);
    tcase_add_test(tc, test_J_shutdown_cancels_open_requests);
    tcase_add_test(tc, test_K1_pages_cover_the_list_in_order_and_end_without_cursor);
    tcase_add_test(tc, test_K2_bad_and_stale_cursors_are_32602);
    tcase_add_test(tc, test_M_batches_are_answered_with_an_array_under_2025_03_26);
    tcase_add_test(tc, test_M_batch_waits_for_members_answered_later);
    tcase_add_test(tc, test_M_batches_are_refused_without_array_outside_2025_03_26);
    tcase_add_test(tc, test_O_discover_result_shape);
    tcase_add_test(tc, test_O_envelope_is_required_and_checked_on_every_request);
    tcase_add_test(tc, test_O_results_carry_result_type_cache_fields_and_server_info);
    tcase_add_test(tc, test_O_listen_acknowledges_and_tags_notifications);
    tcase_add_test(tc, test_O_listen_gets_its_result_at_a_graceful_shutdown);
    tcase_add_test(tc, test_A7_end_of_input_is_idle_once_open_requests_finish);
    tcase_add_test(tc, test_A7_end_of_input_with_nothing_open_is_idle_at_once);
    tcase_add_test(tc, test_A6_line_too_long_is_an_error_without_id);
    tcase_add_test(tc, test_overflow_drops_notifications_and_disconnects_on_responses);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_test(tc, test_A3_utf8_repair_rules);
    tcase_add_test(tc, test_F8_uri_paths_refuse_traversal);
    tcase_add_test(tc, test_schema_subset);
    tcase_add_test(tc, test_base64);
    suite_add_tcase(s, tc);

    tc = tcase_create("transport");
    tcase_add_test(tc, test_A6_reader_handles_partial_reads_several_messages_and_crlf);
    tcase_add_test(tc, test_A1_writer_writes_whole_lines_in_order);
    tcase_add_test(tc, test_A9_epipe_is_a_disconnect_not_a_crash);
    tcase_add_test(tc, test_overflow_policy_with_a_client_that_stops_reading);
    tcase_add_test(tc, test_A7_stop_ends_a_reader_waiting_on_a_silent_client);
    tcase_add_test(tc, test_A4_claim_stdio_moves_stdout_to_stderr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mcp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
