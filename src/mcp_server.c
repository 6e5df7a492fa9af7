/*
 * mcp_server.c - the Model Context Protocol server core (see
 * mcp_server.h; the rule ids in comments, A1 ... O, are those of the MCP
 * conformance checklist, ../shared/spec/mcp-checklist.md).
 *
 * MESSAGE PATH.  handle_input -> handle_message (or handle_batch) ->
 * handle_request / handle_notification.  A request gets a request
 * context (rctx_t: its id, revision, progress token, batch) and is
 * answered by reply_result / reply_error, either at once or later through
 * an open request (open_t) that waits for the provider.
 *
 * OPEN REQUESTS.  Every request not answered inside its handler is an
 * open_t on the server's list:
 *   OPEN_TOOL, OPEN_READ  handed to the provider as mcp_request_t (the two
 *                         names are one struct); answered when the
 *                         provider completes it;
 *   OPEN_PARKED           waiting for a provider still loading;
 *   OPEN_LISTEN           a 2026-07-28 subscriptions/listen stream: no
 *                         response until the server shuts down (or the
 *                         client cancels it).
 * `open` says the client still waits for the answer; a cancelled
 * provider request stays allocated (open false) until the provider
 * completes it, because the provider holds the handle (mcp_provider.h,
 * CANCELLATION).
 *
 * BATCHES (2025-03-26 only, M).  A batch_t collects the responses of its
 * members; `outstanding` counts members still to answer plus one while
 * the batch is being read.  When it drops to zero the array is sent (if
 * anything is in it: a batch of notifications gets no answer).
 *
 * ORDER.  Each message is encoded and queued when it is produced, so the
 * client sees them in production order: a request's progress
 * notifications always precede its response.  A response that follows
 * progress is queued with a "not before" time (I4) that the writer
 * honours.
 *
 * Main thread only.  jansson values built here are owned by the server
 * until encoded; none crosses to another thread (mcp_transport.h).
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_server.h"
#include "log.h"

#include "port/port_clock.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- revisions ------------------------------------------------------- */

enum {
    REV_2024_11_05 = 0,
    REV_2025_03_26,
    REV_2025_06_18,
    REV_2025_11_25,
    REV_2026_07_28,
    REV_COUNT
};
#define REV_LATEST_LEGACY REV_2025_11_25
#define REV_MODERN        REV_2026_07_28

static const char *const rev_names[REV_COUNT] = {
    "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28",
};

const char *const mcp_server_protocol_versions[] = {
    "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
};

/* ---- wire constants ---------------------------------------------------- */

#define ERR_PARSE            (-32700)
#define ERR_INVALID_REQUEST  (-32600)
#define ERR_METHOD_NOT_FOUND (-32601)
#define ERR_INVALID_PARAMS   (-32602)
#define ERR_INTERNAL         (-32603)
#define ERR_RESOURCE_NOT_FOUND (-32002)     /* legacy (B10) */
#define ERR_UNSUPPORTED_VERSION (-32022)    /* 2026-07-28 (O) */

#define META_PROTOCOL_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CLIENT_CAPS      "io.modelcontextprotocol/clientCapabilities"
#define META_LOG_LEVEL        "io.modelcontextprotocol/logLevel"
#define META_SERVER_INFO      "io.modelcontextprotocol/serverInfo"
#define META_SUBSCRIPTION_ID  "io.modelcontextprotocol/subscriptionId"

#define MCP_INSTRUCTIONS_MAX  2048      /* C8: hosts cut at 2 KB */
#define MCP_TOOL_NAME_ADVISED 50        /* E3: 60 with the server's name */
#define MCP_URI_MAX           8192
#define MCP_DEFAULT_PAGE      50
#define MCP_DEFAULT_TOOL_TEXT 40000
#define MCP_DEFAULT_GAP_MS    30
#define MCP_LOG_RATE_PER_SEC  20        /* H3: rate-limit notifications/message */
#define MCP_LOG_BURST         40

static const char *const log_level_names[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert",
    "emergency",
};

/* ---- types ----------------------------------------------------------- */

typedef struct batch {
    json_t *responses;         /* array of response objects */
    int outstanding;           /* members to answer (+1 while reading) */
    int64_t not_before_ms;     /* latest gap any member asked for */
} batch_t;

/* What a request is answered with.  Owns its references. */
typedef struct rctx {
    json_t *id;                /* string or integer; NULL: none (B3) */
    int rev;
    json_t *progress_token;    /* NULL: no progress asked for */
    int log_level;             /* 2026-07-28 per-request level; -1 none */
    batch_t *batch;            /* NULL: answered on its own */
    int64_t last_progress_ms;  /* when the last progress went out; 0 none */
    double last_progress;
} rctx_t;

typedef enum open_kind { OPEN_TOOL, OPEN_READ, OPEN_PARKED, OPEN_LISTEN } open_kind_t;

typedef struct mcp_request open_t;

struct mcp_request {
    open_t *prev, *next;       /* the server's list of everything open */
    mcp_server_t *server;
    open_kind_t kind;
    bool open;                 /* the client waits for the answer */
    rctx_t rc;
    /* OPEN_TOOL */
    char *tool_name;
    json_t *tool;              /* its list entry (own reference) */
    json_t *arguments;
    /* OPEN_READ */
    char *uri;
    /* OPEN_PARKED: the request to run once the provider is ready */
    char *method;
    json_t *params;
    /* OPEN_LISTEN: the honoured filter */
    json_t *filter;
    void *data;                /* mcp_request_set_data */
};

typedef struct list_cache {
    json_t *items;             /* validated array; NULL: not loaded */
    json_t *index;             /* tools: name -> position */
    unsigned generation;       /* bumped by every change */
} list_cache_t;

typedef enum session_state {
    SESSION_NONE,              /* no initialize yet */
    SESSION_ANSWERED,          /* initialize answered */
    SESSION_READY              /* notifications/initialized received */
} session_state_t;

typedef enum provider_state {
    PROVIDER_LOADING,
    PROVIDER_READY,
    PROVIDER_FAILED
} provider_state_t;

struct mcp_server {
    mcp_server_config_t cfg;
    const mcp_provider_t *provider;
    mcp_server_io_t io;

    provider_state_t provider_state;
    char *provider_failure;
    bool started;
    bool stopping;
    bool input_closed;
    bool idle_reported;
    bool output_closed;

    session_state_t session;
    int rev;                   /* negotiated legacy revision */
    char *client_name;
    int log_min;               /* legacy session log level */

    list_cache_t tools;
    list_cache_t resources;
    list_cache_t templates;

    json_t *legacy_subs;       /* uri -> true: resources/subscribe (legacy) */
    json_t *interest;          /* uri -> count of watchers (legacy + listens) */

    open_t *head, *tail;

    double log_tokens;
    int64_t log_refill_ms;
    uint64_t log_suppressed;   /* dropped by the rate limit, not yet told */
    uint64_t drop_reported;

    mcp_server_stats_t stats;
    bool instructions_warned;
};

static void batch_member_done(mcp_server_t *s, batch_t *b);
static void dispatch_request(mcp_server_t *s, rctx_t *rc, const char *method,
                             json_t *params);
static void maybe_idle(mcp_server_t *s);

/* =============================================================== helpers */

static json_t *jstr(const char *s)
{
    return mcp_json_text(s, s != NULL ? strlen(s) : 0);
}

/* A number as an integer when it is one (readable progress values). */
static json_t *jnum(double d)
{
    if (d > -9.0e15 && d < 9.0e15 && (double)(json_int_t)d == d)
        return json_integer((json_int_t)d);
    return json_real(d);
}

static bool has_tools(const mcp_server_t *s)
{
    return s->provider->list_tools != NULL;
}

static bool has_resources(const mcp_server_t *s)
{
    const mcp_provider_t *p = s->provider;
    return p->list_resources != NULL || p->list_resource_templates != NULL ||
           p->read_resource != NULL;
}

static bool can_subscribe(const mcp_server_t *s)
{
    return has_resources(s) && s->provider->subscribe != NULL;
}

static bool id_is_valid(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

static void rctx_release(rctx_t *rc)
{
    json_decref(rc->id);
    json_decref(rc->progress_token);
    rc->id = NULL;
    rc->progress_token = NULL;
}

/* ================================================================ output */

/*
** Encodes msg (stolen) and gives it to the transport.  A refused
** notification is counted (and logged now and then); a refused response
** ends the session through io->disconnect.
*/
static void send_msg(mcp_server_t *s, json_t *msg, mcp_out_class_t cls,
                     int64_t not_before_ms)
{
    if (s->output_closed || msg == NULL) {
        json_decref(msg);
        return;
    }
    mcp_out_msg_t *out = mcp_out_msg_new(msg, cls);
    json_decref(msg);
    if (out == NULL) {
        log_error("mcp: out of memory encoding a message; it is lost");
        return;
    }
    out->not_before_ms = not_before_ms;
    mcp_send_result_t r = s->io.send(s->io.ctx, out);
    switch (r) {
    case MCP_SEND_OK:
        if (cls == MCP_OUT_NOTIFICATION)
            s->stats.notifications_sent++;
        break;
    case MCP_SEND_DROPPED:
        s->stats.notifications_dropped++;
        if (s->stats.notifications_dropped >= s->drop_reported * 2 + 1) {
            s->drop_reported = s->stats.notifications_dropped;
            log_warn("mcp: the client reads its output slowly; %llu "
                     "notification(s) dropped so far",
                     (unsigned long long)s->stats.notifications_dropped);
        }
        break;
    case MCP_SEND_OVERFLOW:
        s->output_closed = true;
        if (s->io.disconnect != NULL)
            s->io.disconnect(s->io.ctx, "mcp: the client stopped reading: "
                             "its output queue is full and a response cannot "
                             "be queued; disconnecting");
        break;
    case MCP_SEND_CLOSED:
        s->output_closed = true;
        break;
    }
}

static void send_notification(mcp_server_t *s, const char *method, json_t *params)
{
    json_t *msg = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
    if (msg != NULL && params != NULL)
        json_object_set_new(msg, "params", params);
    else
        json_decref(params);
    send_msg(s, msg, MCP_OUT_NOTIFICATION, 0);
}

static json_t *server_info(const mcp_server_t *s, int rev)
{
    json_t *info = json_object();
    json_object_set_new(info, "name", jstr(s->cfg.name));
    if (rev >= REV_2025_06_18 && s->cfg.title != NULL)
        json_object_set_new(info, "title", jstr(s->cfg.title));
    json_object_set_new(info, "version", jstr(s->cfg.version));
    return info;
}

/* 2026-07-28: every result says resultType and who answered (O). */
static void stamp_modern(const mcp_server_t *s, json_t *result)
{
    json_object_set_new(result, "resultType", json_string("complete"));
    json_t *meta = json_object_get(result, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(result, "_meta", meta);
    }
    if (json_object_get(meta, META_SERVER_INFO) == NULL)
        json_object_set_new(meta, META_SERVER_INFO, server_info(s, REV_MODERN));
}

/* 2026-07-28 lists and reads carry a cache policy: none (the lists can
 * change at any time; clients learn of it through list_changed). */
static void stamp_cacheable(json_t *result, int rev)
{
    if (rev >= REV_MODERN) {
        json_object_set_new(result, "ttlMs", json_integer(0));
        json_object_set_new(result, "cacheScope", json_string("private"));
    }
}

/* The message for rc's answer: {"jsonrpc","id"?,key:value}. */
static json_t *response_object(const rctx_t *rc, const char *key, json_t *value)
{
    json_t *msg = json_object();
    json_object_set_new(msg, "jsonrpc", json_string("2.0"));
    if (rc != NULL && rc->id != NULL)
        json_object_set(msg, "id", rc->id);        /* B1: as received */
    json_object_set_new(msg, key, value);
    return msg;
}

static int64_t rctx_not_before(const mcp_server_t *s, const rctx_t *rc)
{
    if (rc->last_progress_ms == 0 || s->cfg.progress_gap_ms <= 0)
        return 0;
    return rc->last_progress_ms + s->cfg.progress_gap_ms;
}

/* Sends (or adds to its batch) the finished response of rc. */
static void deliver(mcp_server_t *s, rctx_t *rc, json_t *msg)
{
    if (rc->batch != NULL) {
        batch_t *b = rc->batch;
        json_array_append_new(b->responses, msg);
        int64_t nb = rctx_not_before(s, rc);
        if (nb > b->not_before_ms)
            b->not_before_ms = nb;
        rc->batch = NULL;
        batch_member_done(s, b);
        return;
    }
    send_msg(s, msg, MCP_OUT_RESPONSE, rctx_not_before(s, rc));
}

static void reply_result(mcp_server_t *s, rctx_t *rc, json_t *result)
{
    if (rc->rev >= REV_MODERN)
        stamp_modern(s, result);
    deliver(s, rc, response_object(rc, "result", result));
}

static void reply_error_data(mcp_server_t *s, rctx_t *rc, int code,
                             json_t *data, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* An error response; `data` (may be NULL) is stolen. */
static void reply_error_data(mcp_server_t *s, rctx_t *rc, int code,
                             json_t *data, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_t *err = json_object();
    json_object_set_new(err, "code", json_integer(code));
    json_object_set_new(err, "message", jstr(message));
    if (data != NULL)
        json_object_set_new(err, "data", data);
    s->stats.errors_sent++;
    log_debug("mcp: error %d: %s", code, message);
    deliver(s, rc, response_object(rc, "error", err));
}

#define reply_error(s, rc, code, ...) reply_error_data(s, rc, code, NULL, __VA_ARGS__)

/* An error for a message whose id could not be read (B3: no id). */
static void reply_error_noid(mcp_server_t *s, batch_t *b, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void reply_error_noid(mcp_server_t *s, batch_t *b, int code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    rctx_t rc;
    memset(&rc, 0, sizeof rc);
    rc.log_level = -1;
    rc.rev = s->session != SESSION_NONE ? s->rev : REV_LATEST_LEGACY;
    if (b != NULL) {
        b->outstanding++;
        rc.batch = b;
    }
    json_t *err = json_object();
    json_object_set_new(err, "code", json_integer(code));
    json_object_set_new(err, "message", jstr(message));
    s->stats.errors_sent++;
    deliver(s, &rc, response_object(&rc, "error", err));
}

/* ================================================================ batches */

static void batch_member_done(mcp_server_t *s, batch_t *b)
{
    if (--b->outstanding > 0)
        return;
    if (json_array_size(b->responses) > 0)
        send_msg(s, json_incref(b->responses), MCP_OUT_RESPONSE, b->not_before_ms);
    json_decref(b->responses);
    free(b);
}

/* ========================================================== open requests */

static open_t *open_new(mcp_server_t *s, open_kind_t kind, rctx_t *rc)
{
    open_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->server = s;
    o->kind = kind;
    o->open = true;
    o->rc = *rc;                       /* takes rc's references */
    memset(rc, 0, sizeof *rc);
    o->prev = s->tail;
    if (s->tail != NULL)
        s->tail->next = o;
    else
        s->head = o;
    s->tail = o;
    return o;
}

static void open_unlink(mcp_server_t *s, open_t *o)
{
    if (o->prev != NULL)
        o->prev->next = o->next;
    else
        s->head = o->next;
    if (o->next != NULL)
        o->next->prev = o->prev;
    else
        s->tail = o->prev;
    o->prev = o->next = NULL;
}

static void open_free(mcp_server_t *s, open_t *o)
{
    open_unlink(s, o);
    rctx_release(&o->rc);
    free(o->tool_name);
    json_decref(o->tool);
    json_decref(o->arguments);
    free(o->uri);
    free(o->method);
    json_decref(o->params);
    json_decref(o->filter);
    free(o);
}

static open_t *open_find(mcp_server_t *s, const json_t *id)
{
    for (open_t *o = s->head; o != NULL; o = o->next)
        if (o->open && o->rc.id != NULL && json_equal(o->rc.id, id))
            return o;
    return NULL;
}

/* Requests the client waits for that count against "idle" (listen
 * streams do not: they end only with the session). */
static size_t open_busy(const mcp_server_t *s)
{
    size_t n = 0;
    for (const open_t *o = s->head; o != NULL; o = o->next)
        if (o->open && o->kind != OPEN_LISTEN)
            n++;
    return n;
}

static void maybe_idle(mcp_server_t *s)
{
    if (s->input_closed && !s->idle_reported && open_busy(s) == 0) {
        s->idle_reported = true;
        if (s->io.idle != NULL)
            s->io.idle(s->io.ctx);
    }
}

/* ================================================================ caches */

static bool tool_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

static void drop_field_if(json_t *o, const char *key, bool (*ok)(const json_t *),
                          const char *what, const char *name)
{
    json_t *v = json_object_get(o, key);
    if (v != NULL && !ok(v)) {
        log_warn("mcp: %s '%s': '%s' is malformed and left out", what, name, key);
        json_object_del(o, key);
    }
}

static bool is_string_value(const json_t *v) { return json_is_string(v); }
static bool is_object_value(const json_t *v) { return json_is_object(v); }

/*
** Validates the provider's tool list into the cache: each entry copied
** (nothing the provider holds is shared with what we send), malformed
** entries left out with a warning (E2, E3), duplicates too.
*/
static json_t *validate_tools(json_t *list, json_t *index)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) {
        json_t *name = json_object_get(t, "name");
        if (!json_is_object(t) || !json_is_string(name) ||
            !tool_name_ok(json_string_value(name))) {
            log_warn("mcp: tool #%zu has no valid name (1-128 of "
                     "[A-Za-z0-9_.-]); it is left out", i);
            continue;
        }
        const char *n = json_string_value(name);
        if (json_object_get(index, n) != NULL) {
            log_warn("mcp: tool '%s' is listed twice; the first is kept", n);
            continue;
        }
        json_t *copy = json_deep_copy(t);
        if (copy == NULL)
            continue;
        json_t *in = json_object_get(copy, "inputSchema");
        if (in == NULL) {
            json_object_set_new(copy, "inputSchema",
                                json_pack("{s:s}", "type", "object"));
        } else if (!json_is_object(in) ||
                   !json_is_string(json_object_get(in, "type")) ||
                   strcmp(json_string_value(json_object_get(in, "type")), "object") != 0) {
            log_warn("mcp: tool '%s': inputSchema must be an object schema "
                     "with \"type\": \"object\"; the tool is left out", n);
            json_decref(copy);
            continue;
        }
        json_t *os = json_object_get(copy, "outputSchema");
        if (os != NULL) {
            json_t *ty = json_object_get(os, "type");
            bool ok = json_is_object(os) &&
                      (ty == NULL || (json_is_string(ty) &&
                                      strcmp(json_string_value(ty), "object") == 0));
            if (!ok) {
                log_warn("mcp: tool '%s': outputSchema must be an object "
                         "schema; it is left out", n);
                json_object_del(copy, "outputSchema");
            }
        }
        drop_field_if(copy, "title", is_string_value, "tool", n);
        drop_field_if(copy, "description", is_string_value, "tool", n);
        drop_field_if(copy, "annotations", is_object_value, "tool", n);
        /* C8: hosts cut descriptions at 2 KB; E3: and drop long names. */
        json_t *desc = json_object_get(copy, "description");
        if (json_string_length(desc) > MCP_INSTRUCTIONS_MAX) {
            log_warn("mcp: tool '%s': description cut to %d bytes", n,
                     MCP_INSTRUCTIONS_MAX);
            size_t keep = mcp_utf8_cut(json_string_value(desc),
                                       json_string_length(desc), MCP_INSTRUCTIONS_MAX);
            json_object_set_new(copy, "description",
                                json_stringn(json_string_value(desc), keep));
        }
        if (strlen(n) > MCP_TOOL_NAME_ADVISED)
            log_warn("mcp: tool '%s' has a long name: hosts drop tools whose "
                     "server and tool name pass 60 characters", n);
        json_object_set_new(index, n, json_integer((json_int_t)json_array_size(out)));
        json_array_append_new(out, copy);
    }
    return out;
}

static json_t *validate_entries(json_t *list, const char *key, const char *what)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, key)) ||
            !json_is_string(json_object_get(e, "name"))) {
            log_warn("mcp: %s #%zu needs string '%s' and 'name'; it is left out",
                     what, i, key);
            continue;
        }
        json_t *copy = json_deep_copy(e);
        if (copy == NULL)
            continue;
        const char *n = json_string_value(json_object_get(e, key));
        drop_field_if(copy, "title", is_string_value, what, n);
        drop_field_if(copy, "description", is_string_value, what, n);
        drop_field_if(copy, "mimeType", is_string_value, what, n);
        json_array_append_new(out, copy);
    }
    return out;
}

typedef enum list_kind { LIST_TOOLS, LIST_RESOURCES, LIST_TEMPLATES } list_kind_t;

static list_cache_t *cache_of(mcp_server_t *s, list_kind_t k)
{
    return k == LIST_TOOLS ? &s->tools : k == LIST_RESOURCES ? &s->resources
                                                             : &s->templates;
}

/* Loads the list into its cache if needed.  false: the provider could
 * not produce it. */
static bool cache_load(mcp_server_t *s, list_kind_t k)
{
    list_cache_t *c = cache_of(s, k);
    if (c->items != NULL)
        return true;
    const mcp_provider_t *p = s->provider;
    json_t *(*fn)(void *) = k == LIST_TOOLS ? p->list_tools
                          : k == LIST_RESOURCES ? p->list_resources
                                                : p->list_resource_templates;
    json_t *raw = fn != NULL ? fn(p->ctx) : json_array();
    if (raw == NULL)
        return false;
    if (!json_is_array(raw)) {
        log_warn("mcp: the %s provider's %s list is not an array", p->name,
                 k == LIST_TOOLS ? "tool" : k == LIST_RESOURCES ? "resource"
                                                                : "template");
        json_decref(raw);
        return false;
    }
    json_decref(c->index);
    c->index = NULL;
    if (k == LIST_TOOLS) {
        c->index = json_object();
        c->items = validate_tools(raw, c->index);
    } else if (k == LIST_RESOURCES) {
        c->items = validate_entries(raw, "uri", "resource");
    } else {
        c->items = validate_entries(raw, "uriTemplate", "resource template");
    }
    json_decref(raw);
    return c->items != NULL;
}

static void cache_drop(list_cache_t *c)
{
    json_decref(c->items);
    json_decref(c->index);
    c->items = NULL;
    c->index = NULL;
    c->generation++;
}

/* ---- cursors (K1, K2): opaque to the client -------------------------- */

static const char list_letters[] = { 't', 'r', 'p' };

static char *cursor_make(list_kind_t k, unsigned generation, size_t offset)
{
    char plain[64];
    int n = snprintf(plain, sizeof plain, "%c.%u.%zu", list_letters[k],
                     generation, offset);
    return mcp_base64_encode(plain, (size_t)n, true);
}

/* The offset a cursor names; false when it is not one of ours for this
 * list as it is now. */
static bool cursor_read(const char *cursor, list_kind_t k, unsigned generation,
                        size_t count, size_t *offset)
{
    size_t len;
    char *plain = mcp_base64url_decode(cursor, &len);
    if (plain == NULL)
        return false;
    char letter;
    unsigned gen;
    size_t off;
    int used = 0;
    bool ok = strlen(plain) == len &&
              sscanf(plain, "%c.%u.%zu%n", &letter, &gen, &off, &used) == 3 &&
              (size_t)used == len && letter == list_letters[k] &&
              gen == generation && off > 0 && off < count;
    free(plain);
    if (ok)
        *offset = off;
    return ok;
}

/* ======================================================== shaping by rev */

/* What a client of revision rev knows of a tool (N). */
static json_t *shape_tool(const json_t *tool, int rev)
{
    json_t *t = json_deep_copy(tool);
    if (rev < REV_2025_03_26)
        json_object_del(t, "annotations");
    if (rev < REV_2025_06_18) {
        json_object_del(t, "title");
        json_object_del(t, "outputSchema");
        json_object_del(t, "_meta");
    }
    if (rev < REV_2025_11_25)
        json_object_del(t, "icons");
    json_object_del(t, "execution");
    return t;
}

static json_t *shape_entry(const json_t *e, int rev)
{
    json_t *c = json_deep_copy(e);
    if (rev < REV_2025_06_18) {
        json_object_del(c, "title");
        json_object_del(c, "_meta");
    }
    if (rev < REV_2025_11_25)
        json_object_del(c, "icons");
    return c;
}

/* ================================================================ logging */

int mcp_log_level_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i <= MCP_LOG_EMERGENCY; i++)
        if (strcmp(name, log_level_names[i]) == 0)
            return i;
    return -1;
}

const char *mcp_log_level_name(mcp_log_level_t level)
{
    if ((int)level < 0 || level > MCP_LOG_EMERGENCY)
        return "error";
    return log_level_names[level];
}

/* Token bucket: true when one more message may go now (H3). */
static bool log_rate_ok(mcp_server_t *s)
{
    int64_t now = port_clock_now_ms();
    if (s->log_refill_ms == 0) {
        s->log_refill_ms = now;
        s->log_tokens = MCP_LOG_BURST;
    }
    s->log_tokens += (double)(now - s->log_refill_ms) * MCP_LOG_RATE_PER_SEC / 1000.0;
    if (s->log_tokens > MCP_LOG_BURST)
        s->log_tokens = MCP_LOG_BURST;
    s->log_refill_ms = now;
    if (s->log_tokens < 1.0) {
        s->log_suppressed++;
        s->stats.notifications_dropped++;
        return false;
    }
    s->log_tokens -= 1.0;
    return true;
}

static void send_log(mcp_server_t *s, mcp_log_level_t level, const char *logger,
                     json_t *data)
{
    if (!log_rate_ok(s)) {
        json_decref(data);
        return;
    }
    if (s->log_suppressed > 0) {
        char text[128];
        snprintf(text, sizeof text, "%llu log message(s) were dropped "
                 "(more than %d a second)",
                 (unsigned long long)s->log_suppressed, MCP_LOG_RATE_PER_SEC);
        s->log_suppressed = 0;
        send_notification(s, "notifications/message",
                          json_pack("{s:s, s:s, s:s}", "level", "warning",
                                    "logger", "neolith", "data", text));
    }
    json_t *params = json_object();
    json_object_set_new(params, "level", json_string(mcp_log_level_name(level)));
    if (logger != NULL)
        json_object_set_new(params, "logger", jstr(logger));
    json_object_set_new(params, "data", data != NULL ? data : json_null());
    send_notification(s, "notifications/message", params);
}

void mcp_server_log_json(mcp_server_t *s, mcp_log_level_t level,
                         const char *logger, json_t *data)
{
    /* Game events go to an initialized legacy session only (C6); the
     * modern revision has no session-wide log (H4). */
    if (s == NULL || s->stopping || s->session != SESSION_READY ||
        (int)level < s->log_min) {
        json_decref(data);
        return;
    }
    send_log(s, level, logger, data);
}

void mcp_server_log(mcp_server_t *s, mcp_log_level_t level, const char *logger,
                    const char *text)
{
    mcp_server_log_json(s, level, logger, jstr(text));
}

/* ====================================================== change notices */

/* Sends `method` (with optional params, stolen) to every listen stream
 * whose filter has `flag` true (or names uri in resourceSubscriptions). */
static void notify_listens(mcp_server_t *s, const char *method, const char *flag,
                           const char *uri)
{
    for (open_t *o = s->head; o != NULL; o = o->next) {
        if (o->kind != OPEN_LISTEN || !o->open)
            continue;
        bool wanted = false;
        if (flag != NULL) {
            wanted = json_is_true(json_object_get(o->filter, flag));
        } else {
            json_t *uris = json_object_get(o->filter, "resourceSubscriptions");
            size_t i;
            json_t *u;
            json_array_foreach(uris, i, u) {
                if (strcmp(json_string_value(u), uri) == 0)
                    wanted = true;
            }
        }
        if (!wanted)
            continue;
        json_t *params = json_object();
        json_t *meta = json_object();
        json_object_set(meta, META_SUBSCRIPTION_ID, o->rc.id);
        json_object_set_new(params, "_meta", meta);
        if (uri != NULL)
            json_object_set_new(params, "uri", jstr(uri));
        send_notification(s, method, params);
    }
}

void mcp_server_tools_changed(mcp_server_t *s)
{
    if (s == NULL || s->stopping)
        return;
    cache_drop(&s->tools);
    if (!has_tools(s))
        return;
    if (s->session == SESSION_READY)
        send_notification(s, "notifications/tools/list_changed", NULL);
    notify_listens(s, "notifications/tools/list_changed", "toolsListChanged", NULL);
}

void mcp_server_resources_changed(mcp_server_t *s)
{
    if (s == NULL || s->stopping)
        return;
    cache_drop(&s->resources);
    cache_drop(&s->templates);
    if (!has_resources(s))
        return;
    if (s->session == SESSION_READY)
        send_notification(s, "notifications/resources/list_changed", NULL);
    notify_listens(s, "notifications/resources/list_changed",
                   "resourcesListChanged", NULL);
}

void mcp_server_resource_updated(mcp_server_t *s, const char *uri)
{
    if (s == NULL || s->stopping || uri == NULL)
        return;
    if (s->session == SESSION_READY && json_object_get(s->legacy_subs, uri) != NULL)
        send_notification(s, "notifications/resources/updated",
                          json_pack("{s:o}", "uri", jstr(uri)));
    notify_listens(s, "notifications/resources/updated", NULL, uri);
}

/* ---- watchers of a URI (legacy subscriptions and listen filters) ---- */

/* One more watcher for uri; the provider is asked on the first.  false:
 * the provider knows no such resource. */
static bool interest_add(mcp_server_t *s, const char *uri)
{
    json_t *n = json_object_get(s->interest, uri);
    if (n == NULL) {
        if (!s->provider->subscribe(s->provider->ctx, uri))
            return false;
        json_object_set_new(s->interest, uri, json_integer(1));
    } else {
        json_integer_set(n, json_integer_value(n) + 1);
    }
    return true;
}

static void interest_remove(mcp_server_t *s, const char *uri)
{
    json_t *n = json_object_get(s->interest, uri);
    if (n == NULL)
        return;
    if (json_integer_value(n) > 1) {
        json_integer_set(n, json_integer_value(n) - 1);
        return;
    }
    json_object_del(s->interest, uri);
    if (s->provider->unsubscribe != NULL && !s->stopping)
        s->provider->unsubscribe(s->provider->ctx, uri);
}

static void listen_release(mcp_server_t *s, open_t *o)
{
    json_t *uris = json_object_get(o->filter, "resourceSubscriptions");
    size_t i;
    json_t *u;
    json_array_foreach(uris, i, u)
        interest_remove(s, json_string_value(u));
}

/* ============================================================ lifecycle */

static json_t *capabilities(const mcp_server_t *s)
{
    json_t *caps = json_object();
    /* C3: each an object, only what is implemented.  Logging: H1 (under
     * 2026-07-28 per request, H4). */
    json_object_set_new(caps, "logging", json_object());
    if (has_tools(s))
        json_object_set_new(caps, "tools", json_pack("{s:b}", "listChanged", 1));
    if (has_resources(s)) {
        json_t *r = json_object();
        if (can_subscribe(s))
            json_object_set_new(r, "subscribe", json_true());
        json_object_set_new(r, "listChanged", json_true());
        json_object_set_new(caps, "resources", r);
    }
    return caps;
}

static json_t *instructions(mcp_server_t *s)
{
    if (s->provider->instructions == NULL)
        return NULL;
    char *text = s->provider->instructions(s->provider->ctx);
    if (text == NULL)
        return NULL;
    size_t len;
    char *fixed = mcp_utf8_repair(text, strlen(text), &len);
    free(text);
    if (fixed == NULL)
        return NULL;
    if (len > MCP_INSTRUCTIONS_MAX) {
        if (!s->instructions_warned) {
            s->instructions_warned = true;
            log_warn("mcp: the %s provider's instructions are %zu bytes; "
                     "cut to %d (hosts truncate there)", s->provider->name,
                     len, MCP_INSTRUCTIONS_MAX);
        }
        len = mcp_utf8_cut(fixed, len, MCP_INSTRUCTIONS_MAX);
    }
    json_t *j = json_stringn(fixed, len);
    free(fixed);
    return j;
}

static int legacy_rev(const char *version)
{
    for (int r = REV_2024_11_05; r <= REV_LATEST_LEGACY; r++)
        if (strcmp(version, rev_names[r]) == 0)
            return r;
    return -1;
}

static void handle_initialize(mcp_server_t *s, rctx_t *rc, json_t *params)
{
    if (s->session != SESSION_NONE) {
        reply_error(s, rc, ERR_INVALID_REQUEST,
                    "Invalid Request: initialize was already received; "
                    "this process serves one session");
        return;
    }
    json_t *pv = json_object_get(params, "protocolVersion");
    json_t *caps = json_object_get(params, "capabilities");
    json_t *info = json_object_get(params, "clientInfo");
    if (!json_is_string(pv)) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: initialize needs params.protocolVersion "
                    "(a string)");
        return;
    }
    if ((caps != NULL && !json_is_object(caps)) || (info != NULL && !json_is_object(info))) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: initialize params.capabilities and "
                    "params.clientInfo must be objects");
        return;
    }
    /* C2: echo a version we speak, else offer our latest legacy one. */
    int rev = legacy_rev(json_string_value(pv));
    if (rev < 0)
        rev = REV_LATEST_LEGACY;
    s->rev = rev;
    rc->rev = rev;
    s->session = SESSION_ANSWERED;
    const char *cname = json_string_value(json_object_get(info, "name"));
    const char *cver = json_string_value(json_object_get(info, "version"));
    free(s->client_name);
    s->client_name = strdup(cname != NULL ? cname : "unnamed client");
    log_info("mcp: initialize from %s %s: protocol %s (asked for %.40s)",
             s->client_name, cver != NULL ? cver : "", rev_names[rev],
             json_string_value(pv));

    json_t *result = json_object();
    json_object_set_new(result, "protocolVersion", json_string(rev_names[rev]));
    json_object_set_new(result, "capabilities", capabilities(s));
    json_object_set_new(result, "serverInfo", server_info(s, rev));
    json_t *instr = instructions(s);
    if (instr != NULL)
        json_object_set_new(result, "instructions", instr);
    reply_result(s, rc, result);
}

static void handle_discover(mcp_server_t *s, rctx_t *rc)
{
    json_t *result = json_object();
    json_t *versions = json_array();
    for (int i = 0; mcp_server_protocol_versions[i] != NULL; i++)
        json_array_append_new(versions, json_string(mcp_server_protocol_versions[i]));
    json_object_set_new(result, "supportedVersions", versions);
    json_object_set_new(result, "capabilities", capabilities(s));
    json_t *instr = instructions(s);
    if (instr != NULL)
        json_object_set_new(result, "instructions", instr);
    json_object_set_new(result, "ttlMs", json_integer(0));
    json_object_set_new(result, "cacheScope", json_string("private"));
    reply_result(s, rc, result);
}

/* =========================================================== list methods */

/* The cursor of a list request: true with *offset (0 without one), or
 * false after answering -32602. */
static bool read_cursor(mcp_server_t *s, rctx_t *rc, json_t *params,
                        list_kind_t k, size_t *offset)
{
    *offset = 0;
    json_t *cursor = json_object_get(params, "cursor");
    if (cursor == NULL || json_is_null(cursor))
        return true;
    list_cache_t *c = cache_of(s, k);
    if (!json_is_string(cursor) ||
        !cursor_read(json_string_value(cursor), k, c->generation,
                     json_array_size(c->items), offset)) {
        reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: unknown or "
                    "stale cursor (the list may have changed); list again "
                    "without a cursor");
        return false;
    }
    return true;
}

static void handle_list(mcp_server_t *s, rctx_t *rc, json_t *params, list_kind_t k)
{
    static const char *const keys[] = { "tools", "resources", "resourceTemplates" };
    if (!cache_load(s, k)) {
        reply_error(s, rc, ERR_INTERNAL, "Internal error: the %s provider "
                    "could not list its %s", s->provider->name, keys[k]);
        return;
    }
    size_t offset;
    if (!read_cursor(s, rc, params, k, &offset))
        return;
    list_cache_t *c = cache_of(s, k);
    size_t count = json_array_size(c->items);
    size_t end = offset + s->cfg.page_size;
    if (end > count)
        end = count;
    json_t *page = json_array();
    for (size_t i = offset; i < end; i++) {
        json_t *e = json_array_get(c->items, i);
        json_array_append_new(page, k == LIST_TOOLS ? shape_tool(e, rc->rev)
                                                    : shape_entry(e, rc->rev));
    }
    json_t *result = json_object();
    json_object_set_new(result, keys[k], page);
    if (end < count) {
        char *next = cursor_make(k, c->generation, end);
        json_object_set_new(result, "nextCursor", json_string(next));
        free(next);
    }
    stamp_cacheable(result, rc->rev);
    reply_result(s, rc, result);
}

/* ============================================================= tools/call */

static bool revision_wants_tool_error_for_arguments(int rev)
{
    return rev >= REV_2025_11_25;      /* SEP-1303; before: -32602 (E5) */
}

static json_t *text_block(const char *text)
{
    return json_pack("{s:s, s:o}", "type", "text", "text", jstr(text));
}

static json_t *error_result(const char *text)
{
    return json_pack("{s:[o], s:b}", "content", text_block(text), "isError", 1);
}

static void reply_invalid_arguments(mcp_server_t *s, rctx_t *rc, const char *tool,
                                    const char *problem)
{
    if (revision_wants_tool_error_for_arguments(rc->rev)) {
        char text[1200];
        snprintf(text, sizeof text, "Invalid arguments for tool '%s': %s. "
                 "Check the tool's inputSchema and call it again.", tool, problem);
        reply_result(s, rc, error_result(text));
    } else {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: invalid arguments for tool '%s': %s",
                    tool, problem);
    }
}

static void handle_tools_call(mcp_server_t *s, rctx_t *rc, json_t *params)
{
    json_t *name = json_object_get(params, "name");
    json_t *args = json_object_get(params, "arguments");
    if (!json_is_string(name)) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: tools/call needs params.name (a string)");
        return;
    }
    if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: tools/call params.arguments must be an object");
        return;
    }
    if (!cache_load(s, LIST_TOOLS)) {
        reply_error(s, rc, ERR_INTERNAL, "Internal error: the %s provider "
                    "could not list its tools", s->provider->name);
        return;
    }
    const char *n = json_string_value(name);
    json_t *pos = json_object_get(s->tools.index, n);
    if (pos == NULL) {
        reply_error(s, rc, ERR_INVALID_PARAMS, "Unknown tool: %.200s", n);
        return;
    }
    json_t *tool = json_array_get(s->tools.items, (size_t)json_integer_value(pos));
    json_t *arguments = json_is_object(args) ? json_incref(args) : json_object();
    char problem[512];
    if (!mcp_schema_check(json_object_get(tool, "inputSchema"), arguments,
                          "arguments", problem, sizeof problem)) {
        reply_invalid_arguments(s, rc, n, problem);
        json_decref(arguments);
        return;
    }
    open_t *o = open_new(s, OPEN_TOOL, rc);
    if (o == NULL) {
        json_decref(arguments);
        reply_error(s, rc, ERR_INTERNAL, "Internal error: out of memory");
        return;
    }
    o->tool_name = strdup(n);
    o->tool = json_incref(tool);
    o->arguments = arguments;
    s->provider->call_tool(s->provider->ctx, o);
    /* o may be gone: the provider may have completed it already. */
}

/* Cuts the text blocks of a result to the configured total (E9), with a
 * note saying so.  Returns true when something was cut. */
static bool cut_text(json_t *content, size_t budget)
{
    size_t total = 0;
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b) {
        json_t *t = json_object_get(b, "text");
        if (json_is_string(t) && json_is_string(json_object_get(b, "type")) &&
            strcmp(json_string_value(json_object_get(b, "type")), "text") == 0)
            total += json_string_length(t);
    }
    if (total <= budget)
        return false;
    size_t left = budget;
    for (i = 0; i < json_array_size(content);) {
        b = json_array_get(content, i);
        json_t *t = json_object_get(b, "text");
        const char *ty = json_string_value(json_object_get(b, "type"));
        if (!json_is_string(t) || ty == NULL || strcmp(ty, "text") != 0) {
            i++;
            continue;
        }
        size_t len = json_string_length(t);
        if (len <= left) {
            left -= len;
            i++;
            continue;
        }
        if (left == 0) {
            json_array_remove(content, i);
            continue;
        }
        size_t keep = mcp_utf8_cut(json_string_value(t), len, left);
        char note[256];
        int nn = snprintf(note, sizeof note, "\n\n[neolith: output cut: %zu of "
                          "%zu bytes shown. Ask for less at a time (a smaller "
                          "range or a narrower query).]", budget - left + keep,
                          total);
        char *buf = malloc(keep + (size_t)nn + 1);
        if (buf != NULL) {
            memcpy(buf, json_string_value(t), keep);
            memcpy(buf + keep, note, (size_t)nn + 1);
            json_object_set_new(b, "text", json_stringn_nocheck(buf, keep + (size_t)nn));
            free(buf);
        }
        left = 0;
        i++;
    }
    return true;
}

/* Makes content blocks a client of revision rev understands (N). */
static void shape_content(json_t *content, int rev)
{
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b) {
        const char *ty = json_string_value(json_object_get(b, "type"));
        if (ty == NULL)
            continue;
        if (rev < REV_2025_06_18 && strcmp(ty, "resource_link") == 0) {
            const char *uri = json_string_value(json_object_get(b, "uri"));
            char text[1024];
            snprintf(text, sizeof text, "Resource: %.900s", uri != NULL ? uri : "?");
            json_array_set_new(content, i, text_block(text));
        } else if (rev < REV_2025_03_26 && strcmp(ty, "audio") == 0) {
            json_array_set_new(content, i, text_block("[audio content: "
                               "not available in protocol 2024-11-05]"));
        }
    }
}

/*
** Turns what the provider returned into the CallToolResult a client of
** the request's revision accepts: E4, E6 (structuredContent required and
** checked against outputSchema, and mirrored as text), E9 (cut).
*/
static json_t *finish_tool_result(mcp_server_t *s, open_t *o, json_t *result)
{
    char why[700];
    if (!json_is_object(result)) {
        log_warn("mcp: tool '%s' returned a malformed result", o->tool_name);
        json_decref(result);
        return error_result("Internal error: the tool returned a malformed result.");
    }
    json_t *content = json_object_get(result, "content");
    if (content == NULL) {
        content = json_array();
        json_object_set_new(result, "content", content);
    } else if (!json_is_array(content)) {
        log_warn("mcp: tool '%s' returned content that is not an array", o->tool_name);
        json_decref(result);
        return error_result("Internal error: the tool returned a malformed result.");
    }
    bool is_error = json_is_true(json_object_get(result, "isError"));
    json_t *sc = json_object_get(result, "structuredContent");
    json_t *os = json_object_get(o->tool, "outputSchema");
    if (os != NULL && !is_error) {
        if (sc == NULL) {
            snprintf(why, sizeof why, "Internal error: tool '%s' declares an "
                     "outputSchema but returned no structuredContent.", o->tool_name);
            log_warn("mcp: %s", why);
            json_decref(result);
            return error_result(why);
        }
        char problem[512];
        if (!mcp_schema_check(os, sc, "structuredContent", problem, sizeof problem)) {
            snprintf(why, sizeof why, "Internal error: tool '%s' returned "
                     "structuredContent that does not match its outputSchema "
                     "(%s).", o->tool_name, problem);
            log_warn("mcp: %s", why);
            json_decref(result);
            return error_result(why);
        }
    }
    if (sc != NULL) {
        bool has_text = false;
        size_t i;
        json_t *b;
        json_array_foreach(content, i, b) {
            const char *ty = json_string_value(json_object_get(b, "type"));
            if (ty != NULL && strcmp(ty, "text") == 0)
                has_text = true;
        }
        if (!has_text) {
            char *dump = json_dumps(sc, JSON_COMPACT);
            if (dump != NULL) {
                json_array_append_new(content, text_block(dump));
                free(dump);
            }
        }
        if (o->rc.rev < REV_2025_06_18)
            json_object_del(result, "structuredContent");
    }
    shape_content(content, o->rc.rev);
    if (cut_text(content, s->cfg.max_tool_text))
        log_info("mcp: the result of tool '%s' was cut to %zu bytes of text",
                 o->tool_name, s->cfg.max_tool_text);
    return result;
}

/* =========================================================== resources */

/* F8: something that can be a URI: a scheme, then printable characters
 * without spaces. */
static bool uri_plausible(const char *uri)
{
    size_t n = strlen(uri);
    if (n == 0 || n > MCP_URI_MAX || !isalpha((unsigned char)uri[0]))
        return false;
    size_t i = 1;
    while (i < n && (isalnum((unsigned char)uri[i]) || uri[i] == '+' ||
                     uri[i] == '-' || uri[i] == '.'))
        i++;
    if (i >= n || uri[i] != ':')
        return false;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static void reply_not_found(mcp_server_t *s, rctx_t *rc, const char *uri)
{
    /* B10, F5: -32002 before 2026-07-28, -32602 from then on; data.uri. */
    int code = rc->rev >= REV_MODERN ? ERR_INVALID_PARAMS : ERR_RESOURCE_NOT_FOUND;
    reply_error_data(s, rc, code, json_pack("{s:o}", "uri", jstr(uri)),
                     "Resource not found: %.300s", uri);
}

/* The uri param of a resources request, or NULL after answering. */
static const char *read_uri(mcp_server_t *s, rctx_t *rc, json_t *params,
                            const char *method)
{
    json_t *uri = json_object_get(params, "uri");
    if (!json_is_string(uri)) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: %s needs params.uri (a string)", method);
        return NULL;
    }
    if (!uri_plausible(json_string_value(uri))) {
        reply_error(s, rc, ERR_INVALID_PARAMS,
                    "Invalid params: '%.200s' is not a URI", json_string_value(uri));
        return NULL;
    }
    return json_string_value(uri);
}

static void handle_resources_read(mcp_server_t *s, rctx_t *rc, json_t *params)
{
    const char *uri = read_uri(s, rc, params, "resources/read");
    if (uri == NULL)
        return;
    if (s->provider->read_resource == NULL) {
        reply_not_found(s, rc, uri);
        return;
    }
    char *copy = strdup(uri);
    open_t *o = copy != NULL ? open_new(s, OPEN_READ, rc) : NULL;
    if (o == NULL) {
        free(copy);
        reply_error(s, rc, ERR_INTERNAL, "Internal error: out of memory");
        return;
    }
    o->uri = copy;
    s->provider->read_resource(s->provider->ctx, o);
}

static void handle_subscribe(mcp_server_t *s, rctx_t *rc, json_t *params, bool on)
{
    const char *uri = read_uri(s, rc, params, on ? "resources/subscribe"
                                                 : "resources/unsubscribe");
    if (uri == NULL)
        return;
    bool subscribed = json_object_get(s->legacy_subs, uri) != NULL;
    if (on && !subscribed) {
        if (!interest_add(s, uri)) {
            reply_not_found(s, rc, uri);
            return;
        }
        json_object_set_new(s->legacy_subs, uri, json_true());
    } else if (!on && subscribed) {
        json_object_del(s->legacy_subs, uri);
        interest_remove(s, uri);
    }
    reply_result(s, rc, json_object());
}

static void handle_listen(mcp_server_t *s, rctx_t *rc, json_t *params)
{
    json_t *want = json_object_get(params, "notifications");
    if (!json_is_object(want)) {
        reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: "
                    "subscriptions/listen needs params.notifications (an object)");
        return;
    }
    json_t *honoured = json_object();
    if (has_tools(s) && json_is_true(json_object_get(want, "toolsListChanged")))
        json_object_set_new(honoured, "toolsListChanged", json_true());
    if (has_resources(s) &&
        json_is_true(json_object_get(want, "resourcesListChanged")))
        json_object_set_new(honoured, "resourcesListChanged", json_true());
    json_t *uris = json_object_get(want, "resourceSubscriptions");
    if (can_subscribe(s) && json_is_array(uris)) {
        json_t *granted = json_array();
        size_t i;
        json_t *u;
        json_array_foreach(uris, i, u) {
            if (json_is_string(u) && uri_plausible(json_string_value(u)) &&
                interest_add(s, json_string_value(u)))
                json_array_append(granted, u);
        }
        json_object_set_new(honoured, "resourceSubscriptions", granted);
    }
    json_t *id = json_incref(rc->id);
    open_t *o = open_new(s, OPEN_LISTEN, rc);
    if (o == NULL) {
        json_t *granted = json_object_get(honoured, "resourceSubscriptions");
        size_t i;
        json_t *u;
        json_array_foreach(granted, i, u)
            interest_remove(s, json_string_value(u));
        json_decref(id);
        json_decref(honoured);
        reply_error(s, rc, ERR_INTERNAL, "Internal error: out of memory");
        return;
    }
    o->filter = honoured;
    /* The acknowledgement must arrive: the client's listen() waits for it,
     * so it travels as a response would (never dropped). */
    json_t *meta = json_object();
    json_object_set_new(meta, META_SUBSCRIPTION_ID, id);
    json_t *ack = json_pack("{s:s, s:s, s:{s:o, s:O}}", "jsonrpc", "2.0",
                            "method", "notifications/subscriptions/acknowledged",
                            "params", "_meta", meta, "notifications", honoured);
    send_msg(s, ack, MCP_OUT_RESPONSE, 0);
}

/* ============================================================ dispatching */

typedef enum method_id {
    M_UNKNOWN, M_INITIALIZE, M_PING, M_DISCOVER, M_TOOLS_LIST, M_TOOLS_CALL,
    M_RESOURCES_LIST, M_TEMPLATES_LIST, M_RESOURCES_READ, M_SUBSCRIBE,
    M_UNSUBSCRIBE, M_SET_LEVEL, M_LISTEN
} method_id_t;

static method_id_t method_of(const char *m)
{
    static const struct { const char *name; method_id_t id; } table[] = {
        { "initialize", M_INITIALIZE },
        { "ping", M_PING },
        { "server/discover", M_DISCOVER },
        { "tools/list", M_TOOLS_LIST },
        { "tools/call", M_TOOLS_CALL },
        { "resources/list", M_RESOURCES_LIST },
        { "resources/templates/list", M_TEMPLATES_LIST },
        { "resources/read", M_RESOURCES_READ },
        { "resources/subscribe", M_SUBSCRIBE },
        { "resources/unsubscribe", M_UNSUBSCRIBE },
        { "logging/setLevel", M_SET_LEVEL },
        { "subscriptions/listen", M_LISTEN },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(m, table[i].name) == 0)
            return table[i].id;
    return M_UNKNOWN;
}

/* Methods that need the provider (held while it loads). */
static bool needs_provider(method_id_t m)
{
    return m == M_TOOLS_LIST || m == M_TOOLS_CALL || m == M_RESOURCES_LIST ||
           m == M_TEMPLATES_LIST || m == M_RESOURCES_READ || m == M_SUBSCRIBE ||
           m == M_UNSUBSCRIBE || m == M_LISTEN;
}

static void park(mcp_server_t *s, rctx_t *rc, const char *method, json_t *params)
{
    char *m = strdup(method);
    open_t *o = m != NULL ? open_new(s, OPEN_PARKED, rc) : NULL;
    if (o == NULL) {
        free(m);
        reply_error(s, rc, ERR_INTERNAL, "Internal error: out of memory");
        return;
    }
    o->method = m;
    o->params = json_incref(params);
    log_debug("mcp: %s waits for the %s provider to finish loading", method,
              s->provider->name);
}

static void method_not_found(mcp_server_t *s, rctx_t *rc, const char *method,
                             const char *why)
{
    if (why != NULL)
        reply_error(s, rc, ERR_METHOD_NOT_FOUND, "Method not found: %.100s (%s)",
                    method, why);
    else
        reply_error(s, rc, ERR_METHOD_NOT_FOUND, "Method not found: %.100s", method);
}

/* Runs a request whose era and revision are settled (rc->rev). */
static void dispatch_request(mcp_server_t *s, rctx_t *rc, const char *method,
                             json_t *params)
{
    method_id_t m = method_of(method);
    bool modern = rc->rev >= REV_MODERN;

    if (needs_provider(m) && s->provider_state != PROVIDER_READY) {
        if (s->provider_state == PROVIDER_LOADING) {
            park(s, rc, method, params);
        } else {
            reply_error(s, rc, ERR_INTERNAL, "Internal error: the %s provider "
                        "is not available: %s", s->provider->name,
                        s->provider_failure != NULL ? s->provider_failure : "it failed");
        }
        return;
    }
    switch (m) {
    case M_PING:
        if (modern) {
            method_not_found(s, rc, method, "removed in 2026-07-28");
            return;
        }
        reply_result(s, rc, json_object());            /* D1 */
        return;
    case M_DISCOVER:
        if (!modern) {
            method_not_found(s, rc, method, "this process was initialized "
                             "with a 2025 revision");
            return;
        }
        handle_discover(s, rc);
        return;
    case M_INITIALIZE:
        handle_initialize(s, rc, params);
        return;
    case M_TOOLS_LIST:
    case M_TOOLS_CALL:
        if (!has_tools(s))
            break;
        if (m == M_TOOLS_LIST)
            handle_list(s, rc, params, LIST_TOOLS);
        else
            handle_tools_call(s, rc, params);
        return;
    case M_RESOURCES_LIST:
    case M_TEMPLATES_LIST:
    case M_RESOURCES_READ:
        if (!has_resources(s))
            break;
        if (m == M_RESOURCES_READ)
            handle_resources_read(s, rc, params);
        else
            handle_list(s, rc, params, m == M_RESOURCES_LIST ? LIST_RESOURCES
                                                              : LIST_TEMPLATES);
        return;
    case M_SUBSCRIBE:
    case M_UNSUBSCRIBE:
        if (modern) {
            method_not_found(s, rc, method, "removed in 2026-07-28: use "
                             "subscriptions/listen");
            return;
        }
        if (!can_subscribe(s))
            break;
        handle_subscribe(s, rc, params, m == M_SUBSCRIBE);
        return;
    case M_SET_LEVEL: {
        if (modern) {
            method_not_found(s, rc, method, "removed in 2026-07-28: send "
                             "_meta " META_LOG_LEVEL " with each request");
            return;
        }
        json_t *level = json_object_get(params, "level");
        int l = mcp_log_level_from_name(json_string_value(level));
        if (l < 0) {
            reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: "
                        "logging/setLevel needs params.level, one of debug, "
                        "info, notice, warning, error, critical, alert, "
                        "emergency");
            return;
        }
        s->log_min = l;
        reply_result(s, rc, json_object());
        return;
    }
    case M_LISTEN:
        if (!modern) {
            method_not_found(s, rc, method, "a 2026-07-28 method; 2025 "
                             "sessions get notifications without it");
            return;
        }
        handle_listen(s, rc, params);
        return;
    case M_UNKNOWN:
        break;
    }
    method_not_found(s, rc, method, NULL);             /* B7 */
}

/*
** Settles the era of a request and runs it: a legacy session serves all
** in its revision; otherwise initialize is legacy, the _meta envelope (or
** a modern-only method) is modern, and a plain ping is answered (C5).
*/
static void handle_request(mcp_server_t *s, rctx_t *rc, const char *method,
                           json_t *params)
{
    s->stats.requests++;
    json_t *meta = json_object_get(params, "_meta");
    if (!json_is_object(meta))
        meta = NULL;
    json_t *token = json_object_get(meta, "progressToken");
    if (id_is_valid(token))                            /* I1 */
        rc->progress_token = json_incref(token);

    if (s->session != SESSION_NONE) {
        rc->rev = s->rev;
        dispatch_request(s, rc, method, params);
        return;
    }
    method_id_t m = method_of(method);
    json_t *version = json_object_get(meta, META_PROTOCOL_VERSION);
    if (m == M_INITIALIZE) {
        rc->rev = REV_LATEST_LEGACY;
        dispatch_request(s, rc, method, params);
        return;
    }
    if (version == NULL && m != M_DISCOVER && m != M_LISTEN) {
        rc->rev = REV_LATEST_LEGACY;
        if (m == M_PING) {
            dispatch_request(s, rc, method, params);
            return;
        }
        reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: no session: "
                    "send initialize first (protocol 2025-11-25 and older), or "
                    "give each request params._meta \"" META_PROTOCOL_VERSION
                    "\" and \"" META_CLIENT_CAPS "\" (2026-07-28)");
        return;
    }
    /* 2026-07-28: the envelope is checked on every request (O). */
    rc->rev = REV_MODERN;
    if (!json_is_string(version)) {
        reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: %s needs "
                    "params._meta \"" META_PROTOCOL_VERSION "\" (a string)", method);
        return;
    }
    if (strcmp(json_string_value(version), rev_names[REV_MODERN]) != 0) {
        json_t *supported = json_array();
        for (int i = 0; mcp_server_protocol_versions[i] != NULL; i++)
            json_array_append_new(supported, json_string(mcp_server_protocol_versions[i]));
        reply_error_data(s, rc, ERR_UNSUPPORTED_VERSION,
                         json_pack("{s:o, s:O}", "supported", supported,
                                   "requested", version),
                         "Unsupported protocol version: %.40s",
                         json_string_value(version));
        return;
    }
    if (!json_is_object(json_object_get(meta, META_CLIENT_CAPS))) {
        reply_error(s, rc, ERR_INVALID_PARAMS, "Invalid params: %s needs "
                    "params._meta \"" META_CLIENT_CAPS "\" (an object)", method);
        return;
    }
    rc->log_level = mcp_log_level_from_name(
        json_string_value(json_object_get(meta, META_LOG_LEVEL)));
    dispatch_request(s, rc, method, params);
}

/* Ends an open request without an answer (J1: the client cancelled it,
 * or the server stops) and takes it off its batch.  A tool call or read
 * stays with the provider, which completes it (the result is dropped),
 * maybe from inside cancel; a parked request is freed; a listen stream is
 * left to the caller, which ends it its own way. */
static void open_abandon(mcp_server_t *s, open_t *o)
{
    o->open = false;
    if (o->rc.batch != NULL) {
        batch_t *b = o->rc.batch;
        o->rc.batch = NULL;
        batch_member_done(s, b);
    }
    switch (o->kind) {
    case OPEN_TOOL:
    case OPEN_READ:
        if (s->provider->cancel != NULL)
            s->provider->cancel(s->provider->ctx, o);
        break;
    case OPEN_PARKED:
        open_free(s, o);
        break;
    case OPEN_LISTEN:
        break;
    }
}

static void handle_cancelled(mcp_server_t *s, json_t *params)
{
    json_t *id = json_object_get(params, "requestId");
    if (!id_is_valid(id))
        return;                                        /* J2: ignored */
    open_t *o = open_find(s, id);
    if (o == NULL) {
        log_debug("mcp: cancellation of a request that is not open; ignored");
        return;                                        /* J2 */
    }
    const char *reason = json_string_value(json_object_get(params, "reason"));
    log_info("mcp: the client cancelled a request%s%.200s",
             reason != NULL ? ": " : "", reason != NULL ? reason : "");
    bool listen = o->kind == OPEN_LISTEN;
    open_abandon(s, o);                                /* J1: no response */
    if (listen) {                                      /* still ours */
        listen_release(s, o);
        open_free(s, o);
    }
    maybe_idle(s);
}

static void handle_notification(mcp_server_t *s, const char *method, json_t *params)
{
    s->stats.notifications++;
    if (strcmp(method, "notifications/initialized") == 0) {
        if (s->session == SESSION_ANSWERED) {
            s->session = SESSION_READY;                /* C4 */
            log_debug("mcp: session initialized");
        }
    } else if (strcmp(method, "notifications/cancelled") == 0) {
        handle_cancelled(s, params);
    }
    /* B4: anything else, known or not, valid or not, gets no answer. */
}

/* One message object (perhaps a member of batch b). */
static void handle_message(mcp_server_t *s, json_t *msg, batch_t *b)
{
    json_t *jsonrpc = json_object_get(msg, "jsonrpc");
    json_t *method = json_object_get(msg, "method");
    json_t *id = json_object_get(msg, "id");
    json_t *params = json_object_get(msg, "params");
    bool is_request = id != NULL;

    if (method == NULL && (json_object_get(msg, "result") != NULL ||
                           json_object_get(msg, "error") != NULL)) {
        /* A response: we never send requests (A10), so nothing waits
         * for it. */
        log_debug("mcp: a response from the client with no request; ignored");
        return;
    }
    if (!is_request && json_is_string(method) && json_is_string(jsonrpc) &&
        strcmp(json_string_value(jsonrpc), "2.0") == 0) {
        handle_notification(s, json_string_value(method),
                            json_is_object(params) ? params : NULL);
        return;
    }
    if (!is_request) {
        if (method != NULL) {
            s->stats.notifications++;
            return;                                    /* B4 */
        }
        reply_error_noid(s, b, ERR_INVALID_REQUEST,    /* B6 */
                         "Invalid Request: not a JSON-RPC 2.0 message");
        return;
    }
    if (!id_is_valid(id)) {                            /* B1, B3 */
        reply_error_noid(s, b, ERR_INVALID_REQUEST, "Invalid Request: the id "
                         "must be a string or an integer");
        return;
    }

    rctx_t rc;
    memset(&rc, 0, sizeof rc);
    rc.id = json_incref(id);
    rc.log_level = -1;
    rc.rev = s->session != SESSION_NONE ? s->rev : REV_LATEST_LEGACY;
    if (b != NULL) {
        b->outstanding++;
        rc.batch = b;
    }
    if (!json_is_string(jsonrpc) || strcmp(json_string_value(jsonrpc), "2.0") != 0) {
        reply_error(s, &rc, ERR_INVALID_REQUEST,
                    "Invalid Request: \"jsonrpc\" must be \"2.0\"");
    } else if (!json_is_string(method)) {
        reply_error(s, &rc, ERR_INVALID_REQUEST,
                    "Invalid Request: \"method\" must be a string");
    } else if (params != NULL && !json_is_object(params)) {
        reply_error(s, &rc, ERR_INVALID_PARAMS,
                    "Invalid params: \"params\" must be an object");
    } else if (s->input_closed || s->stopping) {
        reply_error(s, &rc, ERR_INTERNAL, "Internal error: the server is "
                    "shutting down");
    } else if (open_find(s, id) != NULL) {
        reply_error(s, &rc, ERR_INVALID_REQUEST, "Invalid Request: id is "
                    "already in use by an open request");
    } else if (b != NULL && strcmp(json_string_value(method), "initialize") == 0) {
        reply_error(s, &rc, ERR_INVALID_REQUEST,
                    "Invalid Request: initialize may not be part of a batch");
    } else {
        handle_request(s, &rc, json_string_value(method), params);
    }
    rctx_release(&rc);         /* what an open request did not take */
}

static void handle_batch(mcp_server_t *s, json_t *array)
{
    /* M: only a 2025-03-26 session takes batches; no array answers else. */
    if (s->session == SESSION_NONE || s->rev != REV_2025_03_26) {
        reply_error_noid(s, NULL, ERR_INVALID_REQUEST, "Invalid Request: "
                         "batches are accepted only under protocol revision "
                         "2025-03-26");
        return;
    }
    if (json_array_size(array) == 0) {
        reply_error_noid(s, NULL, ERR_INVALID_REQUEST,
                         "Invalid Request: empty batch");
        return;
    }
    batch_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return;
    b->responses = json_array();
    b->outstanding = 1;                /* held while reading the members */
    size_t i;
    json_t *m;
    json_array_foreach(array, i, m) {
        if (json_is_object(m))
            handle_message(s, m, b);
        else
            reply_error_noid(s, b, ERR_INVALID_REQUEST,
                             "Invalid Request: a batch member must be an object");
    }
    batch_member_done(s, b);
}

void mcp_server_handle_input(mcp_server_t *s, const mcp_input_t *in)
{
    if (s == NULL || in == NULL)
        return;
    switch (in->kind) {
    case MCP_INPUT_MESSAGE:
        if (s->input_closed)
            return;
        if (json_is_array(in->json))
            handle_batch(s, in->json);
        else
            handle_message(s, in->json, NULL);
        return;
    case MCP_INPUT_PARSE_ERROR:                        /* B5 */
        log_info("mcp: a line that is not JSON (%s); answered -32700", in->text);
        reply_error_noid(s, NULL, ERR_PARSE, "Parse error: %s", in->text);
        return;
    case MCP_INPUT_NOT_MESSAGE:                        /* B6 */
        reply_error_noid(s, NULL, ERR_INVALID_REQUEST,
                         "Invalid Request: a JSON-RPC message is an object");
        return;
    case MCP_INPUT_TOO_LONG:
        log_warn("mcp: %s from the client was discarded (\"mcp max line\")",
                 in->text);
        reply_error_noid(s, NULL, ERR_INVALID_REQUEST, "Invalid Request: %s was "
                         "discarded unread (the limit is the config key \"mcp "
                         "max line\")", in->text);
        return;
    case MCP_INPUT_EOF:
        if (!s->input_closed) {
            s->input_closed = true;
            log_info("mcp: input closed (%s); %zu request(s) still open",
                     in->text, open_busy(s));
        }
        maybe_idle(s);
        return;
    }
}

/* ============================================================ lifecycle */

mcp_server_t *mcp_server_create(const mcp_server_config_t *cfg,
                                const mcp_provider_t *provider,
                                const mcp_server_io_t *io)
{
    mcp_server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = *cfg;
    if (s->cfg.name == NULL)
        s->cfg.name = "neolith";
    if (s->cfg.version == NULL)
        s->cfg.version = PACKAGE_VERSION;
    if (s->cfg.page_size == 0)
        s->cfg.page_size = MCP_DEFAULT_PAGE;
    if (s->cfg.max_tool_text == 0)
        s->cfg.max_tool_text = MCP_DEFAULT_TOOL_TEXT;
    if (s->cfg.progress_gap_ms == 0)
        s->cfg.progress_gap_ms = MCP_DEFAULT_GAP_MS;
    s->provider = provider;
    s->io = *io;
    s->provider_state = PROVIDER_READY;
    s->log_min = MCP_LOG_INFO;
    s->rev = REV_LATEST_LEGACY;
    s->legacy_subs = json_object();
    s->interest = json_object();
    if (s->legacy_subs == NULL || s->interest == NULL) {
        json_decref(s->legacy_subs);
        json_decref(s->interest);
        free(s);
        return NULL;
    }
    return s;
}

int mcp_server_start(mcp_server_t *s)
{
    if (s->started)
        return 0;
    s->started = true;
    int st = MCP_PROVIDER_READY;
    if (s->provider->start != NULL)
        st = s->provider->start(s->provider->ctx, s);
    if (st == MCP_PROVIDER_FAILED) {
        s->provider_state = PROVIDER_FAILED;
        log_error("mcp: the %s provider failed to start", s->provider->name);
        return -1;
    }
    if (st == MCP_PROVIDER_LOADING && s->provider_state == PROVIDER_READY)
        s->provider_state = PROVIDER_LOADING;  /* unless ready was called */
    log_info("mcp: server started with the %s provider (%s)", s->provider->name,
             s->provider_state == PROVIDER_LOADING ? "loading" : "ready");
    return 0;
}

/* Runs (or fails) every parked request, in arrival order. */
static void unpark_all(mcp_server_t *s)
{
    open_t *o = s->head;
    while (o != NULL) {
        open_t *next = o->next;
        if (o->kind == OPEN_PARKED && o->open) {
            rctx_t rc = o->rc;
            memset(&o->rc, 0, sizeof o->rc);
            char *method = o->method;
            json_t *params = o->params;
            o->method = NULL;
            o->params = NULL;
            open_free(s, o);
            dispatch_request(s, &rc, method, params);
            rctx_release(&rc);
            free(method);
            json_decref(params);
            next = s->head;            /* the list may have changed: rescan */
        }
        o = next;
    }
    maybe_idle(s);
}

void mcp_server_provider_ready(mcp_server_t *s)
{
    if (s == NULL || s->stopping || s->provider_state == PROVIDER_FAILED)
        return;
    bool was_loading = s->provider_state == PROVIDER_LOADING;
    s->provider_state = PROVIDER_READY;
    if (was_loading) {
        log_info("mcp: the %s provider is ready", s->provider->name);
        unpark_all(s);
    }
}

void mcp_server_provider_failed(mcp_server_t *s, const char *why)
{
    if (s == NULL || s->stopping)
        return;
    s->provider_state = PROVIDER_FAILED;
    free(s->provider_failure);
    s->provider_failure = strdup(why != NULL ? why : "it failed");
    log_error("mcp: the %s provider failed: %s", s->provider->name,
              why != NULL ? why : "no reason given");
    unpark_all(s);
}

void mcp_server_output_closed(mcp_server_t *s)
{
    if (s != NULL)
        s->output_closed = true;
}

void mcp_server_stop(mcp_server_t *s, bool graceful)
{
    if (s == NULL || s->stopping)
        return;
    s->stopping = true;
    open_t *o = s->head;
    while (o != NULL) {
        open_t *next = o->next;
        if (!o->open) {
            o = next;
            continue;
        }
        open_kind_t kind = o->kind;
        open_abandon(s, o);
        if (kind == OPEN_TOOL || kind == OPEN_READ) {
            next = s->head;            /* cancel may complete (free) it */
        } else if (kind == OPEN_LISTEN) {
            if (graceful) {
                json_t *result = json_object();
                json_t *meta = json_object();
                json_object_set(meta, META_SUBSCRIPTION_ID, o->rc.id);
                json_object_set_new(result, "_meta", meta);
                reply_result(s, &o->rc, result);
            }
            open_free(s, o);
        }
        o = next;
    }
    if (s->started && s->provider->stop != NULL)
        s->provider->stop(s->provider->ctx);
}

void mcp_server_destroy(mcp_server_t *s)
{
    if (s == NULL)
        return;
    mcp_server_stop(s, false);
    size_t leaked = 0;
    while (s->head != NULL) {
        leaked++;
        open_free(s, s->head);
    }
    if (leaked > 0)
        log_warn("mcp: the %s provider left %zu request(s) uncompleted at "
                 "shutdown", s->provider->name, leaked);
    cache_drop(&s->tools);
    cache_drop(&s->resources);
    cache_drop(&s->templates);
    json_decref(s->legacy_subs);
    json_decref(s->interest);
    free(s->client_name);
    free(s->provider_failure);
    free(s);
}

void mcp_server_get_stats(const mcp_server_t *s, mcp_server_stats_t *stats)
{
    *stats = s->stats;
    stats->open_requests = open_busy(s);
    stats->protocol_version = s->session != SESSION_NONE ? rev_names[s->rev] : NULL;
    stats->client_name = s->client_name;
    stats->initialized = s->session == SESSION_READY;
}

/* ======================================================= request handle */

mcp_request_kind_t mcp_request_kind(const mcp_request_t *r)
{
    return r->kind == OPEN_READ ? MCP_REQUEST_RESOURCE_READ : MCP_REQUEST_TOOL_CALL;
}

const char *mcp_request_tool_name(const mcp_request_t *r) { return r->tool_name; }
const json_t *mcp_request_tool(const mcp_request_t *r) { return r->tool; }
const json_t *mcp_request_arguments(const mcp_request_t *r) { return r->arguments; }
const char *mcp_request_uri(const mcp_request_t *r) { return r->uri; }
const char *mcp_request_protocol_version(const mcp_request_t *r) { return rev_names[r->rc.rev]; }
bool mcp_request_is_cancelled(const mcp_request_t *r) { return !r->open; }
void mcp_request_set_data(mcp_request_t *r, void *data) { r->data = data; }
void *mcp_request_get_data(const mcp_request_t *r) { return r->data; }

bool mcp_request_progress(mcp_request_t *r, double progress, double total,
                          const char *message)
{
    mcp_server_t *s = r->server;
    if (!r->open || s->stopping || r->rc.progress_token == NULL)
        return false;
    if (r->rc.last_progress_ms != 0 && !(progress > r->rc.last_progress)) {
        log_debug("mcp: progress %g after %g dropped (values must increase)",
                  progress, r->rc.last_progress);     /* I2 */
        return false;
    }
    json_t *params = json_object();
    json_object_set(params, "progressToken", r->rc.progress_token);
    json_object_set_new(params, "progress", jnum(progress));
    if (total >= 0)
        json_object_set_new(params, "total", jnum(total));
    if (message != NULL && r->rc.rev >= REV_2025_03_26)
        json_object_set_new(params, "message", jstr(message));
    uint64_t before = s->stats.notifications_sent;
    send_notification(s, "notifications/progress", params);
    if (s->stats.notifications_sent == before)
        return false;
    r->rc.last_progress = progress;
    r->rc.last_progress_ms = port_clock_now_ms();
    return true;
}

void mcp_request_log(mcp_request_t *r, mcp_log_level_t level, const char *logger,
                     const char *text)
{
    mcp_server_t *s = r->server;
    if (!r->open || s->stopping)
        return;
    int min = r->rc.rev >= REV_MODERN ? r->rc.log_level : s->log_min;
    if (min < 0 || (int)level < min)
        return;                          /* H4: no level, no message */
    send_log(s, level, logger, jstr(text));
}

/* Common end of every completion: answer (when still open) and release. */
static void finish(open_t *o, json_t *result)
{
    mcp_server_t *s = o->server;
    if (o->open) {
        o->open = false;
        reply_result(s, &o->rc, result);
    } else {
        json_decref(result);
    }
    open_free(s, o);
    maybe_idle(s);
}

static void finish_error(open_t *o, int code, json_t *data, const char *message)
{
    mcp_server_t *s = o->server;
    if (o->open) {
        o->open = false;
        reply_error_data(s, &o->rc, code, data, "%s", message);
    } else {
        json_decref(data);
    }
    open_free(s, o);
    maybe_idle(s);
}

void mcp_tool_result(mcp_request_t *r, json_t *result)
{
    if (r->kind != OPEN_TOOL) {
        log_error("mcp: mcp_tool_result on a resources/read request");
        json_decref(result);
        finish_error(r, ERR_INTERNAL, NULL, "Internal error: the provider "
                     "answered with the wrong kind of result");
        return;
    }
    if (r->open)
        result = finish_tool_result(r->server, r, result);
    finish(r, result);
}

void mcp_tool_text(mcp_request_t *r, const char *text, size_t len, bool is_error)
{
    json_t *block = json_object();
    json_object_set_new(block, "type", json_string("text"));
    json_object_set_new(block, "text", mcp_json_text(text, len));
    json_t *result = json_object();
    json_object_set_new(result, "content", json_pack("[o]", block));
    if (is_error)
        json_object_set_new(result, "isError", json_true());
    mcp_tool_result(r, result);
}

void mcp_tool_structured(mcp_request_t *r, json_t *structured, const char *text)
{
    json_t *result = json_object();
    json_t *content = json_array();
    if (text != NULL)
        json_array_append_new(content, text_block(text));
    json_object_set_new(result, "content", content);
    json_object_set_new(result, "structuredContent", structured);
    mcp_tool_result(r, result);
}

void mcp_tool_invalid_arguments(mcp_request_t *r, const char *message)
{
    mcp_server_t *s = r->server;
    if (r->open) {
        r->open = false;
        reply_invalid_arguments(s, &r->rc, r->tool_name != NULL ? r->tool_name : "?",
                                message != NULL ? message : "invalid arguments");
    }
    open_free(s, r);
    maybe_idle(s);
}

/* F3: an array of {uri, mimeType?, text | blob}, exactly one of the two. */
static bool contents_ok(const json_t *contents)
{
    if (!json_is_array(contents))
        return false;
    size_t i;
    json_t *c;
    json_array_foreach(contents, i, c) {
        if (!json_is_object(c) || !json_is_string(json_object_get(c, "uri")))
            return false;
        bool text = json_is_string(json_object_get(c, "text"));
        bool blob = json_is_string(json_object_get(c, "blob"));
        if (text == blob)
            return false;
    }
    return true;
}

void mcp_resource_result(mcp_request_t *r, json_t *contents)
{
    if (r->kind != OPEN_READ || !contents_ok(contents)) {
        log_warn("mcp: the %s provider returned malformed contents for %s",
                 r->server->provider->name, r->uri != NULL ? r->uri : "a tool");
        json_decref(contents);
        finish_error(r, ERR_INTERNAL, NULL, "Internal error: the provider "
                     "returned malformed resource contents");
        return;
    }
    json_t *result = json_object();
    json_object_set_new(result, "contents", contents);
    stamp_cacheable(result, r->rc.rev);
    finish(r, result);
}

static json_t *content_entry(const char *uri, const char *mime_type)
{
    json_t *e = json_object();
    json_object_set_new(e, "uri", jstr(uri));
    if (mime_type != NULL)
        json_object_set_new(e, "mimeType", jstr(mime_type));
    return e;
}

void mcp_resource_text(mcp_request_t *r, const char *mime_type, const char *text,
                       size_t len)
{
    json_t *e = content_entry(r->uri != NULL ? r->uri : "", mime_type);
    json_object_set_new(e, "text", mcp_json_text(text, len));
    mcp_resource_result(r, json_pack("[o]", e));
}

void mcp_resource_blob(mcp_request_t *r, const char *mime_type, const void *data,
                       size_t len)
{
    char *b64 = mcp_base64_encode(data, len, false);
    if (b64 == NULL) {
        mcp_request_fail(r, "out of memory encoding the resource");
        return;
    }
    json_t *e = content_entry(r->uri != NULL ? r->uri : "", mime_type);
    json_object_set_new(e, "blob", json_string(b64));
    free(b64);
    mcp_resource_result(r, json_pack("[o]", e));
}

void mcp_resource_not_found(mcp_request_t *r)
{
    mcp_server_t *s = r->server;
    if (r->open) {
        r->open = false;
        reply_not_found(s, &r->rc, r->uri != NULL ? r->uri : "");
    }
    open_free(s, r);
    maybe_idle(s);
}

void mcp_request_fail(mcp_request_t *r, const char *message)
{
    char text[600];
    snprintf(text, sizeof text, "Internal error: %.560s",
             message != NULL ? message : "the provider failed");
    finish_error(r, ERR_INTERNAL, NULL, text);
}

/* ============================================================ URI paths */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int mcp_uri_path(const char *uri, const char *scheme, char *out, size_t out_size,
                 char *host_out, size_t host_size)
{
    size_t sl = strlen(scheme);
    if (out_size < 2 || strncasecmp(uri, scheme, sl) != 0 ||
        strncmp(uri + sl, "://", 3) != 0)
        return -1;
    const char *p = uri + sl + 3;
    const char *host_end = strchr(p, '/');
    size_t host_len = host_end != NULL ? (size_t)(host_end - p) : strlen(p);
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == 0x7f || c == '%' || c == '?' || c == '#')
            return -1;
    }
    if (host_out != NULL) {
        if (host_len + 1 > host_size)
            return -1;
        memcpy(host_out, p, host_len);
        host_out[host_len] = '\0';
    }
    p += host_len;
    size_t w = 0;
    out[w++] = '/';
    if (*p == '/')
        p++;
    for (; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '?' || c == '#')
            return -1;
        if (c == '%') {
            int hi = hexval(p[1]), lo = p[1] != '\0' ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            p += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            return -1;
        if (w + 1 >= out_size)
            return -1;
        out[w++] = (char)c;
    }
    out[w] = '\0';
    /* Segments: no "", ".", ".." (a trailing '/' is allowed). */
    const char *seg = out + 1;
    while (*seg != '\0') {
        const char *end = strchr(seg, '/');
        size_t len = end != NULL ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return -1;
        if (end == NULL)
            break;
        seg = end + 1;
    }
    return 0;
}
