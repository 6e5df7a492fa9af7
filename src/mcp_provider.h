/*
 * mcp_provider.h - what the Model Context Protocol server offers, and how
 * it is asked for it.
 *
 * The server core (mcp_server.h) speaks the protocol: lifecycle, version
 * negotiation, ids, errors, pagination, progress, cancellation, logging,
 * subscriptions.  A PROVIDER supplies the content: the tool list, the
 * resource list, and the answers to tools/call and resources/read.  The
 * shipped driver has a driver-level provider (mcp_driver_provider.h); the
 * LPC runtime will supply one backed by the master object; the tests have
 * their own (testsuite/mcp_test_provider.c).
 *
 * THREADS.  Every callback runs on the main thread (the backend loop),
 * and every function below is for the main thread only.  A provider that
 * needs a worker (git) posts its own completion and answers from there.
 *
 * JSON.  Objects cross this interface as jansson values.  "Steals" means
 * the callee takes the caller's reference (the caller must not use or
 * decref it afterwards); "borrowed" means valid until the callback
 * returns (or, for request accessors, until the request is completed) and
 * not to be decref'd.  Strings handed to the server may hold any bytes:
 * the server repairs invalid UTF-8 to U+FFFD on the way out
 * (mcp_json_text builds a repaired string for values the provider puts
 * into its own objects).
 *
 * LISTS.  list_tools / list_resources / list_resource_templates return
 * the WHOLE list; the server caches it, validates it, pages it for the
 * client (opaque cursors) and shapes it for the client's protocol
 * revision.  The cache is dropped when the provider calls
 * mcp_server_tools_changed() / mcp_server_resources_changed(), which also
 * tells subscribed clients (notifications/.../list_changed).
 *
 * REQUESTS that may take time (tools/call, resources/read) are handed to
 * the provider as an mcp_request_t handle.  The provider answers by
 * calling exactly one completion function (mcp_tool_*, mcp_resource_*,
 * mcp_request_fail) on it - inside the callback or at any later turn of
 * the loop (after a call_out, when a git update finishes): the loop is
 * never blocked waiting.  Completing releases the handle.  Until then the
 * provider may send progress (mcp_request_progress) and log lines tied to
 * the request (mcp_request_log).
 *
 * CANCELLATION.  When the client cancels a request (notifications/
 * cancelled) or the server shuts down, the server calls `cancel` (when
 * set) with the handle.  The request is then dead for the client: no
 * response will be sent, progress is no longer forwarded.  The handle
 * stays valid and the provider still completes it (any completion; it is
 * discarded) - possibly from inside `cancel`.  After `stop` returns the
 * server frees any handle still open, so a provider must forget its
 * handles in `stop`.
 */
#ifndef NEOLITH_MCP_PROVIDER_H
#define NEOLITH_MCP_PROVIDER_H

#include "mcp_json.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

typedef struct mcp_server mcp_server_t;
typedef struct mcp_request mcp_request_t;

/* RFC 5424 severities, in increasing order (MCP logging levels). */
typedef enum mcp_log_level {
    MCP_LOG_DEBUG = 0,
    MCP_LOG_INFO,
    MCP_LOG_NOTICE,
    MCP_LOG_WARNING,
    MCP_LOG_ERROR,
    MCP_LOG_CRITICAL,
    MCP_LOG_ALERT,
    MCP_LOG_EMERGENCY
} mcp_log_level_t;

/* What start() says about the provider. */
enum {
    MCP_PROVIDER_READY   = 0,   /* serve now */
    MCP_PROVIDER_LOADING = 1,   /* tools/resources requests wait until
                                 * mcp_server_provider_ready() */
    MCP_PROVIDER_FAILED  = -1   /* do not start the server */
};

typedef struct mcp_provider {
    /* For log lines ("driver", "lpc master", "test"). */
    const char *name;
    /* Passed back to every callback. */
    void *ctx;

    /* Called once when the server starts, before any request.  Returns
     * MCP_PROVIDER_READY, MCP_PROVIDER_LOADING (the mudlib is still
     * loading: initialize and ping are answered meanwhile, requests for
     * tools and resources are held until mcp_server_provider_ready or
     * mcp_server_provider_failed), or MCP_PROVIDER_FAILED.  Optional. */
    int  (*start)(void *ctx, mcp_server_t *server);

    /* Called once at shutdown after every open request was cancelled.
     * The provider forgets its request handles here.  Optional. */
    void (*stop)(void *ctx);

    /* The initialize / server/discover `instructions`: a malloc'd string
     * the server frees, or NULL for none.  Cut at 2 KB (hosts truncate
     * there).  Optional. */
    char *(*instructions)(void *ctx);

    /* The whole tool list: a new reference to a JSON array (the server
     * steals it), or NULL when it cannot be produced (the request gets
     * -32603).  Each entry is an MCP Tool object:
     *   name         required, 1-128 of [A-Za-z0-9_.-]; keep it short
     *                (hosts drop tools whose server+tool name passes 60)
     *   title, description          optional strings
     *   inputSchema  required JSON Schema object with "type":"object"
     *                (for no arguments: {"type":"object",
     *                "additionalProperties":false})
     *   outputSchema optional; when present every successful result must
     *                carry structuredContent matching it
     *   annotations  optional hints: readOnlyHint, destructiveHint,
     *                idempotentHint, openWorldHint
     * Entries that break these rules are left out with a warning in the
     * log; fields a client's revision does not know are left out for it.
     * NULL callback: the server has no tools capability. */
    json_t *(*list_tools)(void *ctx);

    /* tools/call for a tool of the list.  The server has already checked
     * the name and the arguments against the tool's inputSchema (the
     * subset in mcp_json.h).  Complete with mcp_tool_result/_text/
     * _structured/_error/_invalid_arguments, now or later. */
    void (*call_tool)(void *ctx, mcp_request_t *req);

    /* The whole resource list / template list, as for list_tools.
     * Resource: {uri, name, title?, description?, mimeType?, size?}.
     * Template: {uriTemplate (RFC 6570), name, title?, description?,
     * mimeType?}.  Either may be NULL (an empty list). */
    json_t *(*list_resources)(void *ctx);
    json_t *(*list_resource_templates)(void *ctx);

    /* resources/read of any URI (listed or matching a template): complete
     * with mcp_resource_text/_blob/_result, mcp_resource_not_found, or
     * mcp_request_fail.  The provider validates the URI (mcp_uri_path
     * helps with path traversal).  NULL with no lists: no resources
     * capability. */
    void (*read_resource)(void *ctx, mcp_request_t *req);

    /* A client started / stopped watching a resource.  subscribe returns
     * true when the URI names something that can change (the server then
     * forwards mcp_server_resource_updated for it), false when there is no
     * such resource (the client gets resource-not-found).  Called once per
     * URI when the first watcher comes and unsubscribe when the last one
     * goes.  NULL: no subscriptions (resources.subscribe is not declared). */
    bool (*subscribe)(void *ctx, const char *uri);
    void (*unsubscribe)(void *ctx, const char *uri);

    /* See CANCELLATION above.  Optional. */
    void (*cancel)(void *ctx, mcp_request_t *req);
} mcp_provider_t;

/* ---- the request handle --------------------------------------------- */

typedef enum mcp_request_kind {
    MCP_REQUEST_TOOL_CALL,
    MCP_REQUEST_RESOURCE_READ
} mcp_request_kind_t;

mcp_request_kind_t mcp_request_kind(const mcp_request_t *req);
/* tools/call: the tool's name, its list entry (borrowed) and the
 * arguments (borrowed; an object, {} when the client sent none). */
const char   *mcp_request_tool_name(const mcp_request_t *req);
const json_t *mcp_request_tool(const mcp_request_t *req);
const json_t *mcp_request_arguments(const mcp_request_t *req);
/* resources/read: the URI asked for. */
const char   *mcp_request_uri(const mcp_request_t *req);
/* The revision the request is served under ("2025-11-25", ...). */
const char   *mcp_request_protocol_version(const mcp_request_t *req);
/* True once the client cancelled it or the server is shutting down. */
bool          mcp_request_is_cancelled(const mcp_request_t *req);
/* A pointer of the provider's own, kept with the request. */
void          mcp_request_set_data(mcp_request_t *req, void *data);
void         *mcp_request_get_data(const mcp_request_t *req);

/* Sends notifications/progress when the client asked for progress (a
 * progressToken) and `progress` is greater than the last value sent
 * (values must strictly increase).  total < 0: unknown; message may be
 * NULL.  Returns true when a notification was queued. */
bool mcp_request_progress(mcp_request_t *req, double progress, double total,
                          const char *message);

/* A log line tied to the request: notifications/message when the client's
 * level (logging/setLevel, or the request's own log level under
 * 2026-07-28) lets it through. */
void mcp_request_log(mcp_request_t *req, mcp_log_level_t level,
                     const char *logger, const char *text);

/* ---- completing a request (exactly one call per request) ------------ */

/* tools/call: a whole CallToolResult {content, structuredContent?,
 * isError?} (steals `result`).  The server fills in what a client needs:
 * a text block for structuredContent, the cut of over-long text with a
 * note, the check against the tool's outputSchema. */
void mcp_tool_result(mcp_request_t *req, json_t *result);
/* tools/call: one text block (copied; any bytes), as a success or as a
 * tool error (isError: the model reads `text` to correct itself). */
void mcp_tool_text(mcp_request_t *req, const char *text, size_t len,
                   bool is_error);
/* tools/call: structured output (steals `structured`, an object), with
 * `text` as its text block, or its JSON when text is NULL. */
void mcp_tool_structured(mcp_request_t *req, json_t *structured,
                         const char *text);
/* tools/call: the arguments are wrong in a way the schema could not say
 * ("no such room").  Sent as the revision wants it: a tool error
 * (isError) from 2025-11-25 on, a -32602 error before. */
void mcp_tool_invalid_arguments(mcp_request_t *req, const char *message);

/* resources/read: the contents array (steals; each entry {uri,
 * mimeType?, text} or {uri, mimeType?, blob}). */
void mcp_resource_result(mcp_request_t *req, json_t *contents);
/* resources/read: one text / binary entry for the request's URI. */
void mcp_resource_text(mcp_request_t *req, const char *mime_type,
                       const char *text, size_t len);
void mcp_resource_blob(mcp_request_t *req, const char *mime_type,
                       const void *data, size_t len);
/* resources/read: no such resource (-32002 before 2026-07-28, -32602
 * after, with data.uri). */
void mcp_resource_not_found(mcp_request_t *req);

/* Any request: an internal error (-32603) with `message`. */
void mcp_request_fail(mcp_request_t *req, const char *message);

/* ---- telling the server about changes -------------------------------- */

/* The provider finished loading (after MCP_PROVIDER_LOADING): held
 * requests are served now. */
void mcp_server_provider_ready(mcp_server_t *server);
/* The provider cannot serve (the master failed to load): held and later
 * tools/resources requests get -32603 with `why`. */
void mcp_server_provider_failed(mcp_server_t *server, const char *why);
/* The tool / resource list changed: the cached list is dropped (cursors
 * into it become invalid) and clients are notified. */
void mcp_server_tools_changed(mcp_server_t *server);
void mcp_server_resources_changed(mcp_server_t *server);
/* The contents of `uri` changed: notifications/resources/updated to the
 * clients watching it. */
void mcp_server_resource_updated(mcp_server_t *server, const char *uri);
/* A log line for the session (game events, driver messages):
 * notifications/message at `level`, when the client's level lets it
 * through and the session is initialized.  Rate-limited.  `text` is any
 * bytes; the _json form sends `data` as is (steals it). */
void mcp_server_log(mcp_server_t *server, mcp_log_level_t level,
                    const char *logger, const char *text);
void mcp_server_log_json(mcp_server_t *server, mcp_log_level_t level,
                         const char *logger, json_t *data);

/* ---- helpers for providers ------------------------------------------- */

/*
 * The path of a hierarchical URI `scheme://[host]/path`, percent-decoded,
 * checked for traversal: returns 0 and writes the path ("/std/room.c",
 * always starting with '/') into out, or -1 when the URI has another
 * scheme, a query or fragment, a NUL or control character, a bad %-escape,
 * a "." or ".." segment, an empty segment, or does not fit.  The scheme
 * is compared without case; host (may be empty) is written to host_out
 * when that is not NULL.
 */
int mcp_uri_path(const char *uri, const char *scheme, char *out, size_t out_size,
                 char *host_out, size_t host_size);

/* The log level named `name` ("debug" ... "emergency"), or -1. */
int mcp_log_level_from_name(const char *name);
const char *mcp_log_level_name(mcp_log_level_t level);

#endif /* NEOLITH_MCP_PROVIDER_H */
