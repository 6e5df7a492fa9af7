/*
 * mcp_test_provider.c - testsuite/neolith_mcp_test: the real driver, in
 * --mcp mode, around a test-only MCP provider whose tools and resources
 * exercise every part of the server.  Not shipped; the scripts in
 * testsuite/mcp/ drive it with the official MCP SDK clients.
 *
 * Tools:
 *   echo {text}              the text back
 *   add {a, b}               structuredContent {sum} (outputSchema)
 *   fail                     a tool error (isError)
 *   slow_count {steps, delay_ms}
 *                            answers LATER (backend timers): one progress
 *                            notification per step, the result at the end;
 *                            cancellable
 *   huge_output {bytes}      that much text (the server cuts it)
 *   raw_bytes                Latin-1, ESC and invalid UTF-8 bytes
 *   bump_counter             changes test://counter (resources/updated)
 *   toggle_extra_tool        adds or removes extra_tool (list_changed)
 *   emit_log {level, message, per_request}
 *                            notifications/message (for the session, or
 *                            tied to the request: 2026-07-28 logging)
 *   check_room {room}        semantic argument check ("no such room")
 *   filler_01 ... filler_60  so that tools/list has two pages
 * Resources: test://static/hello.txt, test://counter (subscribable),
 * test://binary (blob), test://broken (internal error), test://item/N
 * (N < 60 listed, any N through the template test://item/{n}).
 *
 * Telnet (with "mcp telnet: on"): a connecting client is logged to the
 * MCP session as a game event ("login"), told one line and disconnected.
 *
 * NEOLITH_MCP_TEST_LOAD_MS=N makes the provider "load" for N ms first, so
 * the tests see initialize answered while tools wait.
 */
#include <config.h>
#include "../src/backend.h"
#include "../src/comm.h"
#include "../src/driver.h"
#include "../src/mcp_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILLERS 60
#define ITEMS   60

typedef struct slow_call {
    mcp_request_t *req;
    backend_timer_t *timer;
    int step, steps;
} slow_call_t;

static struct test_provider {
    mcp_server_t *server;
    int counter;
    bool extra_tool;
    bool counter_watched;
    backend_timer_t *load_timer;
} tp;

/* ------------------------------------------------------------ lifecycle */

static void loaded(void *ctx)
{
    (void)ctx;
    tp.load_timer = NULL;
    mcp_server_provider_ready(tp.server);
}

static int tp_start(void *ctx, mcp_server_t *server)
{
    (void)ctx;
    tp.server = server;
    const char *ms = getenv("NEOLITH_MCP_TEST_LOAD_MS");
    int delay = ms != NULL ? atoi(ms) : 0;
    if (delay <= 0)
        return MCP_PROVIDER_READY;
    tp.load_timer = backend_timer_add(delay, 0, loaded, NULL);
    return MCP_PROVIDER_LOADING;
}

static void tp_stop(void *ctx)
{
    (void)ctx;
    if (tp.load_timer != NULL)
        backend_timer_cancel(tp.load_timer);
    tp.load_timer = NULL;
    tp.server = NULL;
}

static char *tp_instructions(void *ctx)
{
    (void)ctx;
    return strdup("Neolith MCP test provider: tools and resources that "
                  "exercise the server (not a game).");
}

/* ---------------------------------------------------------------- tools */

static json_t *no_args(void)
{
    return json_pack("{s:s, s:b}", "type", "object", "additionalProperties", 0);
}

static json_t *tool(const char *name, const char *description, json_t *input)
{
    return json_pack("{s:s, s:s, s:o}", "name", name, "description", description,
                     "inputSchema", input != NULL ? input : no_args());
}

static json_t *tp_list_tools(void *ctx)
{
    (void)ctx;
    json_t *a = json_array();
    json_array_append_new(a, json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s], s:b}, s:{s:b, s:b}}",
        "name", "echo", "title", "Echo", "description", "Returns the text.",
        "inputSchema", "type", "object", "properties", "text", "type", "string",
        "required", "text", "additionalProperties", 0,
        "annotations", "readOnlyHint", 1, "destructiveHint", 0));
    json_t *add = tool("add", "Adds two numbers.", json_pack(
        "{s:s, s:{s:{s:s}, s:{s:s}}, s:[s,s]}", "type", "object", "properties",
        "a", "type", "number", "b", "type", "number", "required", "a", "b"));
    json_object_set_new(add, "outputSchema", json_pack(
        "{s:s, s:{s:{s:s}}, s:[s]}", "type", "object", "properties", "sum",
        "type", "number", "required", "sum"));
    json_array_append_new(a, add);
    json_array_append_new(a, tool("fail", "Always fails (a tool error).", NULL));
    json_array_append_new(a, tool("slow_count", "Counts to steps, one step "
        "every delay_ms, with progress; answers at the end.", json_pack(
        "{s:s, s:{s:{s:s, s:i, s:i}, s:{s:s, s:i, s:i}}, s:b}", "type", "object",
        "properties", "steps", "type", "integer", "minimum", 1, "maximum", 50,
        "delay_ms", "type", "integer", "minimum", 1, "maximum", 5000,
        "additionalProperties", 0)));
    json_array_append_new(a, tool("huge_output", "Returns `bytes` bytes of text.",
        json_pack("{s:s, s:{s:{s:s, s:i, s:i}}}", "type", "object", "properties",
                  "bytes", "type", "integer", "minimum", 0, "maximum", 20000000)));
    json_array_append_new(a, tool("raw_bytes", "Returns Latin-1, ESC and "
                                  "invalid UTF-8 bytes.", NULL));
    json_array_append_new(a, tool("bump_counter", "Changes test://counter.", NULL));
    json_array_append_new(a, tool("toggle_extra_tool", "Adds or removes extra_tool.",
                                  NULL));
    json_array_append_new(a, tool("emit_log", "Sends a log message to the "
        "session, or tied to this request when per_request is true.",
        json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}, s:[s,s]}", "type", "object",
                  "properties", "level", "type", "string", "message", "type",
                  "string", "per_request", "type", "boolean",
                  "required", "level", "message")));
    json_array_append_new(a, tool("check_room", "Looks at a room (only 'hall' exists).",
        json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type", "object", "properties",
                  "room", "type", "string", "required", "room")));
    if (tp.extra_tool)
        json_array_append_new(a, tool("extra_tool", "Appears and disappears.", NULL));
    for (int i = 1; i <= FILLERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "filler_%02d", i);
        json_array_append_new(a, tool(name, "A filler tool (pagination).", NULL));
    }
    return a;
}

static void slow_step(void *ctx)
{
    slow_call_t *c = ctx;
    c->step++;
    if (c->step < c->steps) {
        char msg[64];
        snprintf(msg, sizeof msg, "step %d of %d", c->step, c->steps);
        mcp_request_progress(c->req, c->step, c->steps, msg);
        return;                              /* the timer repeats */
    }
    backend_timer_cancel(c->timer);
    char text[64];
    int n = snprintf(text, sizeof text, "counted to %d", c->steps);
    mcp_request_t *req = c->req;
    free(c);
    mcp_tool_text(req, text, (size_t)n, false);
}

static void tp_cancel(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    slow_call_t *c = mcp_request_get_data(req);
    if (c == NULL)
        return;
    backend_timer_cancel(c->timer);
    free(c);
    mcp_tool_text(req, "cancelled", 9, false);   /* dropped by the server */
}

static json_int_t int_arg(const json_t *args, const char *key, json_int_t dflt)
{
    json_t *v = json_object_get(args, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static void tp_call_tool(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *name = mcp_request_tool_name(req);
    const json_t *args = mcp_request_arguments(req);
    if (strcmp(name, "echo") == 0) {
        json_t *t = json_object_get(args, "text");
        mcp_tool_text(req, json_string_value(t), json_string_length(t), false);
    } else if (strcmp(name, "add") == 0) {
        double sum = json_number_value(json_object_get(args, "a")) +
                     json_number_value(json_object_get(args, "b"));
        mcp_tool_structured(req, json_pack("{s:f}", "sum", sum), NULL);
    } else if (strcmp(name, "fail") == 0) {
        static const char msg[] = "This tool always fails: nothing was done.";
        mcp_tool_text(req, msg, sizeof msg - 1, true);
    } else if (strcmp(name, "slow_count") == 0) {
        slow_call_t *c = calloc(1, sizeof *c);
        if (c == NULL) {
            mcp_request_fail(req, "out of memory");
            return;
        }
        c->req = req;
        c->steps = (int)int_arg(args, "steps", 5);
        double delay = (double)int_arg(args, "delay_ms", 100);
        c->timer = backend_timer_add(delay, delay, slow_step, c);
        mcp_request_set_data(req, c);
        /* answered later, from the timer: the loop goes on meanwhile */
    } else if (strcmp(name, "huge_output") == 0) {
        size_t n = (size_t)int_arg(args, "bytes", 200000);
        char *buf = malloc(n + 1);
        if (buf == NULL) {
            mcp_request_fail(req, "out of memory");
            return;
        }
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)('a' + i % 26);
        mcp_tool_text(req, buf, n, false);
        free(buf);
    } else if (strcmp(name, "raw_bytes") == 0) {
        static const char raw[] = "caf\xe9 \x1b[1;31mred\x1b[0m \xff\xfe\x80 tab\there "
                                  "nul[\x00] line1\nline2";
        mcp_tool_text(req, raw, sizeof raw - 1, false);
    } else if (strcmp(name, "bump_counter") == 0) {
        tp.counter++;
        mcp_server_resource_updated(tp.server, "test://counter");
        char text[32];
        int n = snprintf(text, sizeof text, "counter is %d", tp.counter);
        mcp_tool_text(req, text, (size_t)n, false);
    } else if (strcmp(name, "toggle_extra_tool") == 0) {
        tp.extra_tool = !tp.extra_tool;
        mcp_server_tools_changed(tp.server);
        const char *t = tp.extra_tool ? "extra_tool added" : "extra_tool removed";
        mcp_tool_text(req, t, strlen(t), false);
    } else if (strcmp(name, "emit_log") == 0) {
        const char *level = json_string_value(json_object_get(args, "level"));
        int l = mcp_log_level_from_name(level);
        if (l < 0) {
            mcp_tool_invalid_arguments(req, "level must be an RFC 5424 level name");
            return;
        }
        const char *msg = json_string_value(json_object_get(args, "message"));
        if (json_is_true(json_object_get(args, "per_request")))
            mcp_request_log(req, (mcp_log_level_t)l, "test", msg);
        else
            mcp_server_log(tp.server, (mcp_log_level_t)l, "test", msg);
        mcp_tool_text(req, "logged", 6, false);
    } else if (strcmp(name, "check_room") == 0) {
        const char *room = json_string_value(json_object_get(args, "room"));
        if (strcmp(room, "hall") != 0) {
            mcp_tool_invalid_arguments(req, "no such room; the only room is 'hall'");
            return;
        }
        mcp_tool_text(req, "A large hall.", 13, false);
    } else {
        mcp_tool_text(req, "filler", 6, false);
    }
}

/* ------------------------------------------------------------ resources */

static json_t *tp_list_resources(void *ctx)
{
    (void)ctx;
    json_t *a = json_pack(
        "[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}]",
        "uri", "test://static/hello.txt", "name", "hello", "mimeType", "text/plain",
        "uri", "test://counter", "name", "counter", "mimeType", "application/json",
        "uri", "test://binary", "name", "binary", "mimeType", "application/octet-stream",
        "uri", "test://broken", "name", "broken");
    for (int i = 0; i < ITEMS; i++) {
        char uri[32], name[32];
        snprintf(uri, sizeof uri, "test://item/%d", i);
        snprintf(name, sizeof name, "item %d", i);
        json_array_append_new(a, json_pack("{s:s, s:s}", "uri", uri, "name", name));
    }
    return a;
}

static json_t *tp_list_templates(void *ctx)
{
    (void)ctx;
    return json_pack("[{s:s, s:s, s:s}]", "uriTemplate", "test://item/{n}",
                     "name", "item", "description", "Item number n (any n >= 0).");
}

static void tp_read(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *uri = mcp_request_uri(req);
    if (strcmp(uri, "test://static/hello.txt") == 0) {
        static const char hello[] = "Hello from the test provider.\n";
        mcp_resource_text(req, "text/plain", hello, sizeof hello - 1);
    } else if (strcmp(uri, "test://counter") == 0) {
        char text[32];
        int n = snprintf(text, sizeof text, "{\"count\":%d}", tp.counter);
        mcp_resource_text(req, "application/json", text, (size_t)n);
    } else if (strcmp(uri, "test://binary") == 0) {
        static const unsigned char bytes[] = { 0x00, 0x01, 0xfe, 0xff, 'M', 'U', 'D' };
        mcp_resource_blob(req, "application/octet-stream", bytes, sizeof bytes);
    } else if (strcmp(uri, "test://broken") == 0) {
        mcp_request_fail(req, "the broken resource is broken on purpose");
    } else if (strncmp(uri, "test://item/", 12) == 0) {
        char *end;
        long n = strtol(uri + 12, &end, 10);
        if (end == uri + 12 || *end != '\0' || n < 0) {
            mcp_resource_not_found(req);
            return;
        }
        char text[64];
        int len = snprintf(text, sizeof text, "item %ld", n);
        mcp_resource_text(req, "text/plain", text, (size_t)len);
    } else {
        mcp_resource_not_found(req);
    }
}

static bool tp_subscribe(void *ctx, const char *uri)
{
    (void)ctx;
    if (strcmp(uri, "test://counter") != 0)
        return false;
    tp.counter_watched = true;
    return true;
}

static void tp_unsubscribe(void *ctx, const char *uri)
{
    (void)ctx;
    if (strcmp(uri, "test://counter") == 0)
        tp.counter_watched = false;
}

static const mcp_provider_t test_provider = {
    .name = "test",
    .start = tp_start,
    .stop = tp_stop,
    .instructions = tp_instructions,
    .list_tools = tp_list_tools,
    .call_tool = tp_call_tool,
    .list_resources = tp_list_resources,
    .list_resource_templates = tp_list_templates,
    .read_resource = tp_read,
    .subscribe = tp_subscribe,
    .unsubscribe = tp_unsubscribe,
    .cancel = tp_cancel,
};

/* -------------------------------------------------------------- telnet */

static void tel_connect(comm_conn_t *conn, void *ctx)
{
    (void)ctx;
    char text[128];
    snprintf(text, sizeof text, "a telnet client connected from %s",
             comm_peer_address(conn));
    if (tp.server != NULL)
        mcp_server_log(tp.server, MCP_LOG_NOTICE, "login", text);
    comm_printf(conn, "MCP test driver: nothing to do here.\n");
    comm_close(conn);
}

static void tel_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)conn;
    (void)line;
    (void)len;
    (void)ctx;
}

static void tel_close(comm_conn_t *conn, void *ctx)
{
    (void)conn;
    (void)ctx;
}

static int app_start(const driver_config_t *cfg, const driver_options_t *opts,
                     comm_handler_t *handler)
{
    (void)cfg;
    (void)opts;
    handler->on_connect = tel_connect;
    handler->on_line = tel_line;
    handler->on_close = tel_close;
    handler->ctx = NULL;
    return 0;
}

static void app_stop(void)
{
}

static const driver_app_t mcp_test_app = {
    .name = "mcp-test",
    .start = app_start,
    .stop = app_stop,
    .mcp_provider = &test_provider,
};

int main(int argc, char **argv)
{
    return driver_main(argc, argv, &mcp_test_app);
}
