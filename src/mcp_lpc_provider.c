/*
 * mcp_lpc_provider.c - MCP content from the mudlib's master object (see
 * mcp_lpc_provider.h).  The driver-level provider stays underneath: its
 * driver_status tool and status resource are always offered, and they
 * are all there is when no master loaded.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_lpc_provider.h"

#include "efuns_driver.h"
#include "log.h"
#include "lpc_app.h"
#include "mcp_driver_provider.h"
#include "mcp_server.h"
#include "mudlib_path.h"

#include "lpc/lpc_efun.h"
#include "port/port_random.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Largest mudlib file resources/read returns. */
#define MCP_LPC_MAX_FILE (1024 * 1024)

/* A tools/call the master answers later (mcp_reply).  The id handed to
 * LPC is a random token, not a counter: mudlib code can only answer the
 * calls it was given (see new_token). */
typedef struct pending_call {
    int64_t id;
    mcp_request_t *req;    /* the server's; completed exactly once */
} pending_call_t;

/* What a watched (subscribed) URI is, for noticing its changes. */
typedef enum watch_kind {
    WATCH_FILE,     /* mudlib:///path: the file on disk (stat, then hash) */
    WATCH_VIEW,     /* a live view of the master (mcp_read_resource):
                     * read again on a hint and compared */
    WATCH_STATIC    /* neolith://driver/status: never reported */
} watch_kind_t;

/* The signature of a watched file.  stat's times have whole seconds on
 * some systems, so a write in the same second as the last look could
 * keep size and mtime: while taken_at <= mtime + 1 the contents' hash
 * decides (then the signature settles and stat alone is enough). */
typedef struct file_sig {
    bool exists;
    int64_t size, mtime, ino;
    uint64_t hash;          /* FNV-1a of the contents (0 when not read) */
    int64_t taken_at;       /* time() when this was taken */
} file_sig_t;

typedef struct watch {
    char *uri;
    watch_kind_t kind;
    char *host;             /* WATCH_FILE: the host path */
    file_sig_t sig;         /* WATCH_FILE */
    char *last;             /* WATCH_VIEW: the text last read, NULL: none */
    size_t last_len;
    bool dirty;             /* WATCH_VIEW: read again at the next flush */
} watch_t;

static struct {
    mcp_provider_t *driver;     /* the driver-level provider (ours) */
    mcp_server_t *server;       /* between start and stop */
    json_t *tools_seen;         /* the lists last given out, to notice a change */
    json_t *resources_seen;
    json_t *templates_seen;
    bool recheck_pending;       /* recheck_lists once LPC is back at top level */
    bool flushing;              /* in flush_changes (it runs LPC itself) */
    int busy;                   /* in master_apply: the server is inside one
                                 * of our callbacks, flush_changes waits */
    pending_call_t *pending;
    size_t npending, cap;
    watch_t *watches;           /* one per URI a client watches */
    size_t nwatches;
} lp;

static const char lpc_instructions[] =
    "This is a Neolith LPMud driver running a game world. The tools come "
    "from the mudlib's master object: see who is online, look at rooms "
    "and objects, run game commands as the agent character that lives in "
    "the game, read public player info and recent logs. driver_status "
    "reports on the driver itself. Mudlib files can be read as resources "
    "mudlib:///{path}.";

/* The master, or NULL when none is loaded. */
static lpc_object_t *master(void)
{
    lpc_vm_t *vm = lpc_app_vm();
    if (vm == NULL || vm->master == NULL || lpc_object_is_destructed(vm->master))
        return NULL;
    return vm->master;
}

static bool master_has(const char *fname)
{
    lpc_object_t *m = master();
    return m != NULL && lpc_program_find_function(m->prog, fname) >= 0;
}

/* master->fname(args) as a top-level call.  *ret (owned) gets the result;
 * on an LPC error returns false with its message in err. */
static bool master_apply(const char *fname, const lpc_value_t *args, int nargs,
                         lpc_value_t *ret, char *err, size_t errsize)
{
    *ret = lpc_int(0);
    lpc_object_t *m = master();
    if (m == NULL) {
        snprintf(err, errsize, "no master object is loaded");
        return false;
    }
    /* Changes the apply causes are flushed by the caller or at the next
     * top-level run, not from lpc_app_run's after_run in the middle of a
     * server callback (a tools/list being cached, a subscribe). */
    lp.busy++;
    bool ok = lpc_app_apply(NULL, m, fname, args, nargs, ret);
    lp.busy--;
    if (ok)
        return true;
    lpc_vm_t *vm = lpc_app_vm();
    snprintf(err, errsize, "%s", vm != NULL && vm->err_message != NULL
             ? vm->err_message : "error in the mudlib");
    return false;
}

/* valid_mcp(what, arg): the master's policy; no apply = allowed. */
static bool valid_mcp(const char *what, const char *arg)
{
    if (!master_has("valid_mcp"))
        return true;
    lpc_value_t a[2] = { lpc_value_string(lpc_string_from_cstr(what)),
                         lpc_value_string(lpc_string_from_cstr(arg)) };
    lpc_value_t r;
    char err[256];
    bool ok = master_apply("valid_mcp", a, 2, &r, err, sizeof err) &&
              !lpc_value_is_zero(&r);
    lpc_value_release(&a[0]);
    lpc_value_release(&a[1]);
    lpc_value_release(&r);
    return ok;
}

/* ---- pending calls ---------------------------------------------------- */

static pending_call_t *pending_find(int64_t id);

/* A fresh token for a pending call: 62 bits from the system's secure
 * random source (positive, so it is an ordinary LPC int), never 0 and
 * not in use.  0 when the random source failed. */
static int64_t new_token(void)
{
    for (int tries = 0; tries < 8; tries++) {
        uint64_t r;
        if (port_random_bytes(&r, sizeof r) != 0)
            return 0;
        int64_t id = (int64_t)(r >> 2);
        if (id != 0 && pending_find(id) == NULL)
            return id;
    }
    return 0;
}

static pending_call_t *pending_find(int64_t id)
{
    for (size_t i = 0; i < lp.npending; i++)
        if (lp.pending[i].id == id)
            return &lp.pending[i];
    return NULL;
}

static bool pending_add(int64_t id, mcp_request_t *req)
{
    if (lp.npending == lp.cap) {
        size_t cap = lp.cap ? lp.cap * 2 : 8;
        pending_call_t *p = realloc(lp.pending, cap * sizeof *p);
        if (p == NULL)
            return false;
        lp.pending = p;
        lp.cap = cap;
    }
    lp.pending[lp.npending++] = (pending_call_t){ id, req };
    return true;
}

/* Takes the request of call `id` out of the table (NULL: none). */
static mcp_request_t *pending_take(int64_t id)
{
    pending_call_t *p = pending_find(id);
    if (p == NULL)
        return NULL;
    mcp_request_t *req = p->req;
    *p = lp.pending[--lp.npending];
    return req;
}

/* LPC has no booleans: where `schema` says "boolean", an integer in v
 * becomes false/true (the server checks structuredContent against the
 * tool's outputSchema). */
static void coerce_to_schema(json_t *v, const json_t *schema, int depth)
{
    if (depth > 32 || !json_is_object(schema))
        return;
    if (json_is_object(v)) {
        json_t *props = json_object_get(schema, "properties");
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(v, tmp, key, val) {
            json_t *ps = json_object_get(props, key);
            const char *type = json_string_value(json_object_get(ps, "type"));
            if (type != NULL && strcmp(type, "boolean") == 0 && json_is_integer(val))
                json_object_set_new(v, key, json_boolean(json_integer_value(val) != 0));
            else
                coerce_to_schema(val, ps, depth + 1);
        }
    } else if (json_is_array(v)) {
        const json_t *items = json_object_get(schema, "items");
        const char *type = json_string_value(json_object_get(items, "type"));
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *val = json_array_get(v, i);
            if (type != NULL && strcmp(type, "boolean") == 0 && json_is_integer(val))
                json_array_set_new(v, i, json_boolean(json_integer_value(val) != 0));
            else
                coerce_to_schema(val, items, depth + 1);
        }
    }
}

/* Completes a tools/call with what LPC returned: a string, a mapping
 * ([ "text": string, "structured": mapping, "isError": int ]), anything
 * else as its JSON. */
static void flush_changes(void);
static void complete_tool_(mcp_request_t *req, const lpc_value_t *v);

/* After a tool ran (a recompile or a git update may have changed what
 * the master offers): the lists are asked again and compared - now, or
 * for mcp_reply once the LPC code that called it has returned. */
static void complete_tool(mcp_request_t *req, const lpc_value_t *v)
{
    complete_tool_(req, v);
    lp.recheck_pending = true;
    flush_changes();
}

static void complete_tool_(mcp_request_t *req, const lpc_value_t *v)
{
    char err[160] = "out of memory";
    if (v->type == LPC_T_STRING) {
        mcp_tool_text(req, v->u.s->data, v->u.s->len, false);
        return;
    }
    if (v->type == LPC_T_MAPPING) {
        lpc_value_t k = lpc_value_string(lpc_string_from_cstr("text"));
        const lpc_value_t *text = lpc_mapping_find(v->u.m, &k);
        lpc_value_release(&k);
        k = lpc_value_string(lpc_string_from_cstr("structured"));
        const lpc_value_t *st = lpc_mapping_find(v->u.m, &k);
        lpc_value_release(&k);
        k = lpc_value_string(lpc_string_from_cstr("isError"));
        const lpc_value_t *ie = lpc_mapping_find(v->u.m, &k);
        lpc_value_release(&k);
        bool is_error = ie != NULL && !lpc_value_is_zero(ie);
        const char *t = text != NULL && text->type == LPC_T_STRING ? text->u.s->data : NULL;
        size_t tlen = t != NULL ? text->u.s->len : 0;
        if (st != NULL && st->type == LPC_T_MAPPING && !is_error) {
            json_t *j = driver_lpc_to_json(st, err, sizeof err);
            if (j == NULL) {
                mcp_tool_text(req, err, strlen(err), true);
                return;
            }
            coerce_to_schema(j, json_object_get(mcp_request_tool(req), "outputSchema"), 0);
            mcp_tool_structured(req, j, t);
            return;
        }
        if (t == NULL) {
            t = is_error ? "the tool failed" : "";
            tlen = strlen(t);
        }
        mcp_tool_text(req, t, tlen, is_error);
        return;
    }
    json_t *j = driver_lpc_to_json(v, err, sizeof err);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (text == NULL) {
        mcp_tool_text(req, err, strlen(err), true);
        return;
    }
    mcp_tool_text(req, text, strlen(text), false);
    free(text);
}

/* ---- the provider ------------------------------------------------------ */

static bool lpcp_subscribe(void *ctx, const char *uri);
static void lpcp_unsubscribe(void *ctx, const char *uri);

static void on_object_destructed(lpc_object_t *ob);
static void watches_free(void);

static int lpcp_start(void *ctx, mcp_server_t *server)
{
    (void)ctx;
    lp.server = server;
    /* resources.subscribe only with a world whose users come and go */
    bool world = master() != NULL;
    mcp_lpc_provider.subscribe = world ? lpcp_subscribe : NULL;
    mcp_lpc_provider.unsubscribe = world ? lpcp_unsubscribe : NULL;
    /* reloads and destructs: lists and watched views are checked again */
    if (world)
        lpc_app_set_destruct_observer(on_object_destructed);
    if (lp.driver != NULL && lp.driver->start != NULL)
        lp.driver->start(lp.driver->ctx, server);
    return MCP_PROVIDER_READY;
}

/* The server frees the handles after this: forget them. */
static void lpcp_stop(void *ctx)
{
    (void)ctx;
    if (lp.driver != NULL && lp.driver->stop != NULL)
        lp.driver->stop(lp.driver->ctx);
    free(lp.pending);
    lp.pending = NULL;
    lp.npending = lp.cap = 0;
    lpc_app_set_destruct_observer(NULL);
    json_decref(lp.tools_seen);
    json_decref(lp.resources_seen);
    json_decref(lp.templates_seen);
    lp.tools_seen = lp.resources_seen = lp.templates_seen = NULL;
    lp.recheck_pending = false;
    watches_free();
    lp.server = NULL;
}

static char *lpcp_instructions(void *ctx)
{
    (void)ctx;
    if (master() == NULL)
        return lp.driver->instructions(lp.driver->ctx);
    return strdup(lpc_instructions);
}

/* Appends the array `v` of mappings (converted) to `list`; entries that
 * cannot be converted are logged and skipped.  keep(entry) filters. */
static void append_mappings(json_t *list, const lpc_value_t *v, const char *what,
                            bool (*keep)(const json_t *entry))
{
    if (v->type != LPC_T_ARRAY)
        return;
    for (uint32_t i = 0; i < v->u.a->size; i++) {
        char err[160] = "out of memory";
        json_t *j = driver_lpc_to_json(&v->u.a->items[i], err, sizeof err);
        if (j == NULL || !json_is_object(j)) {
            log_warn("mcp: entry %u of the master's %s: %s", (unsigned)i, what,
                     j == NULL ? err : "not a mapping");
            json_decref(j);
            continue;
        }
        if (keep == NULL || keep(j))
            json_array_append_new(list, j);
        else
            json_decref(j);
    }
}

/* LPC has no booleans: the flags of JSON Schema and of the annotations
 * arrive as 0/1 and become false/true here. */
static void schema_booleans(json_t *schema, int depth)
{
    static const char *const flags[] = { "additionalProperties", "uniqueItems", NULL };
    if (depth > 32)
        return;
    if (json_is_object(schema)) {
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(schema, tmp, key, val) {
            bool flag = false;
            for (int i = 0; flags[i] != NULL; i++)
                flag = flag || strcmp(key, flags[i]) == 0;
            if (flag && json_is_integer(val))
                json_object_set_new(schema, key, json_boolean(json_integer_value(val) != 0));
            else
                schema_booleans(val, depth + 1);
        }
    } else if (json_is_array(schema)) {
        for (size_t i = 0; i < json_array_size(schema); i++)
            schema_booleans(json_array_get(schema, i), depth + 1);
    }
}

static void tool_booleans(json_t *tool)
{
    schema_booleans(json_object_get(tool, "inputSchema"), 0);
    schema_booleans(json_object_get(tool, "outputSchema"), 0);
    json_t *ann = json_object_get(tool, "annotations");
    if (json_is_object(ann)) {
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(ann, tmp, key, val) {
            if (json_is_integer(val))
                json_object_set_new(ann, key, json_boolean(json_integer_value(val) != 0));
        }
    }
}

static bool tool_allowed(const json_t *tool)
{
    tool_booleans((json_t *)tool);
    const char *name = json_string_value(json_object_get(tool, "name"));
    return name != NULL && valid_mcp("tool", name);
}

static json_t *lpcp_list_tools(void *ctx)
{
    (void)ctx;
    json_t *list = lp.driver->list_tools(lp.driver->ctx);
    if (list == NULL)
        list = json_array();
    if (!master_has("mcp_tools"))
        return list;
    lpc_value_t r;
    char err[256];
    if (!master_apply("mcp_tools", NULL, 0, &r, err, sizeof err))
        log_warn("mcp: the master's mcp_tools() failed: %s", err);
    append_mappings(list, &r, "mcp_tools()", tool_allowed);
    lpc_value_release(&r);
    json_decref(lp.tools_seen);
    lp.tools_seen = json_deep_copy(list);
    return list;
}

/* The driver's status with its "lpc" part telling the truth about the
 * world (the driver provider alone knows no LPC).  NULL: out of memory. */
static json_t *lpc_status(void)
{
    json_t *status = mcp_driver_status(lp.driver);
    lpc_vm_t *vm = lpc_app_vm();
    if (status == NULL || master() == NULL)
        return status;
    char note[160];
    snprintf(note, sizeof note, "the mudlib's master %s is loaded; %u objects",
             lpc_object_name(vm->master)->data, (unsigned)vm->nobjects);
    json_object_set_new(status, "lpc", json_pack("{s:b, s:s}", "available", 1,
                                                 "note", note));
    return status;
}

static void lpcp_call_tool(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *name = mcp_request_tool_name(req);
    if (strcmp(name, "driver_status") == 0) {
        mcp_driver_status_tool_reply(req, lpc_status());
        return;
    }
    if (!master_has("mcp_call_tool")) {
        mcp_request_fail(req, "the mudlib's master has no mcp_call_tool()");
        return;
    }
    if (!valid_mcp("tool", name)) {
        static const char refused[] = "the mudlib does not allow this tool";
        mcp_tool_text(req, refused, sizeof refused - 1, true);
        return;
    }
    int64_t id = new_token();
    if (id == 0) {
        mcp_request_fail(req, "the system's random source failed");
        return;
    }
    if (!pending_add(id, req)) {
        mcp_request_fail(req, "out of memory");
        return;
    }
    lpc_value_t a[3];
    a[0] = lpc_value_string(lpc_string_from_cstr(name));
    driver_json_to_lpc(mcp_request_arguments(req), &a[1]);
    a[2] = lpc_int(id);
    lpc_value_t r;
    char err[512];
    bool ok = master_apply("mcp_call_tool", a, 3, &r, err, sizeof err);
    lpc_value_release(&a[0]);
    lpc_value_release(&a[1]);
    /* mcp_reply() may have answered already, from inside the call. */
    if (pending_find(id) != NULL) {
        if (!ok) {
            pending_take(id);
            char text[600];
            snprintf(text, sizeof text, "the tool failed: %s", err);
            mcp_tool_text(req, text, strlen(text), true);
        } else if (!lpc_value_is_zero(&r)) {
            pending_take(id);
            complete_tool(req, &r);
        }
        /* else 0: the mudlib answers later with mcp_reply(id, ...) */
    }
    lpc_value_release(&r);
    flush_changes();       /* what the tool changed (its own answer's recheck) */
}

static void lpcp_cancel(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    for (size_t i = 0; i < lp.npending; i++) {
        if (lp.pending[i].req == req) {
            pending_take(lp.pending[i].id);
            mcp_tool_text(req, "cancelled", 9, true);   /* discarded */
            return;
        }
    }
}

static bool resource_allowed(const json_t *r)
{
    const char *uri = json_string_value(json_object_get(r, "uri"));
    const char *tpl = json_string_value(json_object_get(r, "uriTemplate"));
    return (uri != NULL && tpl == NULL) ? valid_mcp("resource", uri) : false;
}

static bool template_entry(const json_t *r)
{
    return json_string_value(json_object_get(r, "uriTemplate")) != NULL;
}

static json_t *lpcp_list_resources(void *ctx)
{
    (void)ctx;
    json_t *list = lp.driver->list_resources(lp.driver->ctx);
    if (list == NULL)
        list = json_array();
    if (!master_has("mcp_resources"))
        return list;
    lpc_value_t r;
    char err[256];
    if (!master_apply("mcp_resources", NULL, 0, &r, err, sizeof err))
        log_warn("mcp: the master's mcp_resources() failed: %s", err);
    append_mappings(list, &r, "mcp_resources()", resource_allowed);
    lpc_value_release(&r);
    json_decref(lp.resources_seen);
    lp.resources_seen = json_deep_copy(list);
    return list;
}

static json_t *lpcp_list_templates(void *ctx)
{
    (void)ctx;
    json_t *list = json_array();
    if (master() == NULL)
        return list;
    json_array_append_new(list, json_pack(
        "{s:s, s:s, s:s, s:s}",
        "uriTemplate", "mudlib:///{+path}",
        "name", "mudlib-file",
        "title", "Mudlib file",
        "description", "A file of the mudlib, by its path inside the mudlib "
        "(mudlib:///std/room.c), as the master's valid_read allows."));
    if (master_has("mcp_resources")) {
        lpc_value_t r;
        char err[256];
        if (master_apply("mcp_resources", NULL, 0, &r, err, sizeof err))
            append_mappings(list, &r, "mcp_resources()", template_entry);
        lpc_value_release(&r);
    }
    json_decref(lp.templates_seen);
    lp.templates_seen = json_deep_copy(list);
    return list;
}

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return "text/plain";
    if (strcmp(dot, ".c") == 0 || strcmp(dot, ".h") == 0)
        return "text/x-c";
    if (strcmp(dot, ".md") == 0)
        return "text/markdown";
    if (strcmp(dot, ".json") == 0)
        return "application/json";
    return "text/plain";
}

/* The host path of a mudlib:///path URI when MCP may read it: the
 * sandbox, valid_mcp("read", path), the master's valid_read(path, "mcp",
 * "mcp_read").  *lpc gets the mudlib path.  false: not found/refused. */
static bool mudlib_file_host(const char *uri, char *lpc, size_t lpcsize,
                             char *host, size_t hostsize)
{
    char path[MUDLIB_PATH_MAX];
    char err[256];
    if (mcp_uri_path(uri, "mudlib", path, sizeof path, NULL, 0) != 0 ||
        mudlib_path_resolve(path, strlen(path), "/", lpc, lpcsize, host,
                            hostsize, err, sizeof err) != 0 ||
        !valid_mcp("read", lpc))
        return false;
    if (!master_has("valid_read"))
        return true;
    lpc_value_t a[3] = { lpc_value_string(lpc_string_from_cstr(lpc)),
                         lpc_value_string(lpc_string_from_cstr("mcp")),
                         lpc_value_string(lpc_string_from_cstr("mcp_read")) };
    lpc_value_t r;
    bool ok = master_apply("valid_read", a, 3, &r, err, sizeof err) &&
              !lpc_value_is_zero(&r);
    for (int i = 0; i < 3; i++)
        lpc_value_release(&a[i]);
    lpc_value_release(&r);
    return ok;
}

static void read_mudlib_file(mcp_request_t *req, const char *uri)
{
    char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
    if (!mudlib_file_host(uri, lpc, sizeof lpc, host, sizeof host)) {
        mcp_resource_not_found(req);
        return;
    }
    size_t len;
    char *data = driver_read_whole(host, MCP_LPC_MAX_FILE, &len);
    if (data == NULL) {
        mcp_resource_not_found(req);
        return;
    }
    if (memchr(data, '\0', len) != NULL)
        mcp_resource_blob(req, "application/octet-stream", data, len);
    else
        mcp_resource_text(req, mime_of(lpc), data, len);
    free(data);
}

/* A live view the master serves (mcp_read_resource), as resources/read
 * gives it.  VIEW_FOUND: text (malloc'd, len) and mime (malloc'd). */
typedef enum { VIEW_ERROR = -1, VIEW_NOT_FOUND = 0, VIEW_FOUND = 1 } view_status_t;
typedef struct view {
    view_status_t status;
    char *text;
    size_t len;
    char *mime;
    char err[256];              /* VIEW_ERROR: the mudlib's error */
} view_t;

static char *dup_bytes(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d != NULL) {
        memcpy(d, p, len);
        d[len] = '\0';
    }
    return d;
}

static void read_view(const char *uri, view_t *v)
{
    memset(v, 0, sizeof *v);
    if (master() == NULL || !master_has("mcp_read_resource") ||
        !valid_mcp("resource", uri))
        return;
    lpc_value_t a = lpc_value_string(lpc_string_from_cstr(uri));
    lpc_value_t r;
    bool ok = master_apply("mcp_read_resource", &a, 1, &r, v->err, sizeof v->err);
    lpc_value_release(&a);
    const lpc_value_t *t = NULL, *mt = NULL;
    if (!ok) {
        v->status = VIEW_ERROR;
    } else if (r.type == LPC_T_STRING) {
        t = &r;
    } else if (r.type == LPC_T_MAPPING) {
        lpc_value_t k = lpc_value_string(lpc_string_from_cstr("text"));
        t = lpc_mapping_find(r.u.m, &k);
        lpc_value_release(&k);
        k = lpc_value_string(lpc_string_from_cstr("mimeType"));
        mt = lpc_mapping_find(r.u.m, &k);
        lpc_value_release(&k);
    }
    if (t != NULL && t->type == LPC_T_STRING) {
        v->text = dup_bytes(t->u.s->data, t->u.s->len);
        v->len = t->u.s->len;
        v->mime = strdup(mt != NULL && mt->type == LPC_T_STRING
                         ? mt->u.s->data : "text/plain");
        if (v->text == NULL || v->mime == NULL) {
            free(v->text);
            free(v->mime);
            v->text = v->mime = NULL;
            v->status = VIEW_ERROR;
            snprintf(v->err, sizeof v->err, "out of memory");
        } else {
            v->status = VIEW_FOUND;
        }
    }
    lpc_value_release(&r);
}

static void lpcp_read_resource(void *ctx, mcp_request_t *req)
{
    (void)ctx;
    const char *uri = mcp_request_uri(req);
    if (strcmp(uri, MCP_DRIVER_STATUS_URI) == 0) {
        mcp_driver_status_resource_reply(req, lpc_status());
        return;
    }
    if (master() == NULL) {
        mcp_resource_not_found(req);
        return;
    }
    if (strncmp(uri, "mudlib:", 7) == 0) {
        read_mudlib_file(req, uri);
        return;
    }
    view_t v;
    read_view(uri, &v);
    if (v.status == VIEW_ERROR)
        mcp_request_fail(req, v.err);
    else if (v.status == VIEW_NOT_FOUND)
        mcp_resource_not_found(req);
    else
        mcp_resource_text(req, v.mime, v.text, v.len);
    free(v.text);
    free(v.mime);
}

/* ---- subscriptions ------------------------------------------------------ */

/* FNV-1a, 64 bits: enough to tell two versions of a file apart. */
static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The file's signature now; with_hash: its contents hashed too.
 * *readable (may be NULL) says whether resources/read could read it. */
static file_sig_t file_sig_take(const char *host, bool with_hash, bool *readable)
{
    file_sig_t sig;
    memset(&sig, 0, sizeof sig);
    sig.taken_at = (int64_t)time(NULL);
    if (readable != NULL)
        *readable = false;
    struct stat st;
    if (stat(host, &st) != 0)
        return sig;
    sig.exists = true;
    sig.size = (int64_t)st.st_size;
    sig.mtime = (int64_t)st.st_mtime;
    sig.ino = (int64_t)st.st_ino;
    if (with_hash) {
        size_t len;
        char *data = driver_read_whole(host, MCP_LPC_MAX_FILE, &len);
        if (data != NULL)
            sig.hash = fnv1a(data, len);
        if (readable != NULL)
            *readable = data != NULL;
        free(data);
    }
    return sig;
}

/* Did the watched file change since w->sig?  The signature is renewed. */
static bool file_changed(watch_t *w)
{
    file_sig_t now = file_sig_take(w->host, false, NULL);
    bool changed = now.exists != w->sig.exists ||
                   (now.exists && (now.size != w->sig.size ||
                                   now.mtime != w->sig.mtime ||
                                   now.ino != w->sig.ino));
    /* same second as the last look: stat cannot tell, the hash can */
    bool ambiguous = now.exists && w->sig.taken_at <= w->sig.mtime + 1;
    if (!changed && !ambiguous)
        return false;
    if (now.exists)
        now = file_sig_take(w->host, true, NULL);
    if (!changed)
        changed = now.hash != w->sig.hash;
    w->sig = now;
    return changed;
}

static watch_t *watch_find(const char *uri)
{
    for (size_t i = 0; i < lp.nwatches; i++)
        if (strcmp(lp.watches[i].uri, uri) == 0)
            return &lp.watches[i];
    return NULL;
}

static void watch_clear(watch_t *w)
{
    free(w->uri);
    free(w->host);
    free(w->last);
}

static void watches_free(void)
{
    for (size_t i = 0; i < lp.nwatches; i++)
        watch_clear(&lp.watches[i]);
    free(lp.watches);
    lp.watches = NULL;
    lp.nwatches = 0;
}

/* Every watched view is read again at the next flush (the world changed
 * in a way the driver cannot map to URIs: the comparison decides). */
static void views_mark_dirty(void)
{
    for (size_t i = 0; i < lp.nwatches; i++)
        if (lp.watches[i].kind == WATCH_VIEW)
            lp.watches[i].dirty = true;
}

/* Reads a watched view again: true when the text differs from the last. */
static bool view_changed(watch_t *w)
{
    view_t v;
    /* runs LPC; the watch table changes only on client requests, which
     * never come in while LPC runs, so w stays valid */
    read_view(w->uri, &v);
    free(v.mime);
    if (v.status == VIEW_ERROR)
        return false;                 /* an error says nothing new */
    bool same = (v.text == NULL && w->last == NULL) ||
                (v.text != NULL && w->last != NULL && v.len == w->last_len &&
                 memcmp(v.text, w->last, v.len) == 0);
    if (same) {
        free(v.text);
        return false;
    }
    free(w->last);
    w->last = v.text;
    w->last_len = v.len;
    return true;
}

/* The server's subscribe: a watch for every URI a client watches.  A URI
 * that names nothing readable now is refused (resource not found). */
static bool lpcp_subscribe(void *ctx, const char *uri)
{
    (void)ctx;
    watch_t w;
    memset(&w, 0, sizeof w);
    if (strcmp(uri, MCP_DRIVER_STATUS_URI) == 0) {
        w.kind = WATCH_STATIC;
    } else if (strncmp(uri, "mudlib:", 7) == 0) {
        char lpc[MUDLIB_PATH_MAX], host[MUDLIB_PATH_MAX];
        bool readable;
        if (!mudlib_file_host(uri, lpc, sizeof lpc, host, sizeof host))
            return false;
        w.kind = WATCH_FILE;
        w.sig = file_sig_take(host, true, &readable);
        if (!readable || (w.host = strdup(host)) == NULL)
            return false;
    } else {
        view_t v;
        read_view(uri, &v);
        free(v.mime);
        if (v.status != VIEW_FOUND) {
            free(v.text);
            return false;
        }
        w.kind = WATCH_VIEW;
        w.last = v.text;
        w.last_len = v.len;
    }
    watch_t *grown = realloc(lp.watches, (lp.nwatches + 1) * sizeof *grown);
    if (grown == NULL || (w.uri = strdup(uri)) == NULL) {
        if (grown != NULL)
            lp.watches = grown;
        watch_clear(&w);
        return false;
    }
    lp.watches = grown;
    lp.watches[lp.nwatches++] = w;
    return true;
}

static void lpcp_unsubscribe(void *ctx, const char *uri)
{
    (void)ctx;
    watch_t *w = watch_find(uri);
    if (w == NULL)
        return;
    watch_clear(w);
    *w = lp.watches[--lp.nwatches];
}

/* Asks the master for its lists again; when one differs from what the
 * client was last given, the server is told (list_changed).  A list the
 * client never asked for is not compared.  Called by flush_changes. */
static void recheck_lists(void)
{
    lp.recheck_pending = false;
    if (lp.server == NULL)
        return;
    if (lp.tools_seen != NULL) {
        json_t *old = lp.tools_seen;
        lp.tools_seen = NULL;
        json_t *now = lpcp_list_tools(NULL);       /* stores the new one */
        if (now != NULL && !json_equal(old, now))
            mcp_server_tools_changed(lp.server);
        json_decref(now);
        json_decref(old);
    }
    bool resources = false;
    if (lp.resources_seen != NULL) {
        json_t *old = lp.resources_seen;
        lp.resources_seen = NULL;
        json_t *now = lpcp_list_resources(NULL);
        resources = now != NULL && !json_equal(old, now);
        json_decref(now);
        json_decref(old);
    }
    if (lp.templates_seen != NULL) {
        json_t *old = lp.templates_seen;
        lp.templates_seen = NULL;
        json_t *now = lpcp_list_templates(NULL);
        resources = resources || (now != NULL && !json_equal(old, now));
        json_decref(now);
        json_decref(old);
    }
    if (resources)
        mcp_server_resources_changed(lp.server);
}

/* Everything noted meanwhile, at the top level (never inside LPC code,
 * whose half-done changes are not worth reporting, and never nested: it
 * runs LPC itself): the lists when a reload asked for it, every watched
 * file (a stat, cheap), the watched views marked dirty.  A notification
 * goes out only for a real difference, once per URI per flush. */
static void flush_changes(void)
{
    lpc_vm_t *vm = lpc_app_vm();
    if (lp.server == NULL || lp.flushing || lp.busy > 0 || vm == NULL ||
        vm->nframes > 0)
        return;
    lp.flushing = true;
    if (lp.recheck_pending)
        recheck_lists();
    /* by index, re-reading lp.watches each turn (view_changed runs LPC) */
    for (size_t i = 0; i < lp.nwatches; i++) {
        bool changed = false;
        if (lp.watches[i].kind == WATCH_FILE) {
            changed = file_changed(&lp.watches[i]);
        } else if (lp.watches[i].kind == WATCH_VIEW && lp.watches[i].dirty) {
            lp.watches[i].dirty = false;
            changed = view_changed(&lp.watches[i]);
        }
        if (changed)
            mcp_server_resource_updated(lp.server, lp.watches[i].uri);
    }
    lp.flushing = false;
}

/* The destruct observer (lpc_app.h), inside LPC or the driver: only
 * marks.  A loaded object destructed is a reload or an unload, which may
 * change what the master lists; any destruct may change a view. */
static void on_object_destructed(lpc_object_t *ob)
{
    if (lp.server == NULL)
        return;
    if (!(ob->flags & LPC_OBJ_CLONE) &&
        (lp.tools_seen != NULL || lp.resources_seen != NULL ||
         lp.templates_seen != NULL))
        lp.recheck_pending = true;
    views_mark_dirty();
}

void mcp_lpc_provider_lists_may_have_changed(void)
{
    lp.recheck_pending = true;
    flush_changes();
}

void mcp_lpc_provider_after_run(void)
{
    if (lp.server != NULL)
        flush_changes();
}

/* Not const: lpcp_start sets subscribe when there is a world. */
mcp_provider_t mcp_lpc_provider = {
    .name = "lpc master",
    .ctx = NULL,
    .start = lpcp_start,
    .stop = lpcp_stop,
    .instructions = lpcp_instructions,
    .list_tools = lpcp_list_tools,
    .call_tool = lpcp_call_tool,
    .list_resources = lpcp_list_resources,
    .list_resource_templates = lpcp_list_templates,
    .read_resource = lpcp_read_resource,
    .cancel = lpcp_cancel,
    .subscribe = lpcp_subscribe,
    .unsubscribe = lpcp_unsubscribe,
};

int mcp_lpc_provider_configure(const driver_config_t *cfg)
{
    if (lp.driver != NULL)
        mcp_driver_provider_free(lp.driver);
    lp.driver = mcp_driver_provider_create(cfg);
    return lp.driver != NULL ? 0 : -1;
}

/* ---- game events --------------------------------------------------------- */

void mcp_lpc_provider_user_event(lpc_object_t *ob, const char *what)
{
    if (lp.server == NULL)
        return;
    char text[256];
    lpc_value_t r = lpc_int(0);
    if (ob != NULL && !lpc_object_is_destructed(ob))
        lpc_app_apply(NULL, ob, "query_name", NULL, 0, &r);
    snprintf(text, sizeof text, "%s: %s", what,
             r.type == LPC_T_STRING ? r.u.s->data : "a user");
    lpc_value_release(&r);
    mcp_server_log(lp.server, MCP_LOG_INFO, "game", text);
    mcp_lpc_provider_who_changed();
}

void mcp_lpc_provider_who_changed(void)
{
    if (lp.server == NULL)
        return;
    views_mark_dirty();
    flush_changes();               /* inside LPC: when the run ends */
}

void mcp_lpc_provider_runtime_error(const char *message)
{
    if (lp.server == NULL)
        return;
    char text[512];
    snprintf(text, sizeof text, "runtime error: %s", message);
    mcp_server_log(lp.server, MCP_LOG_ERROR, "game", text);
}

/* ---- efuns ------------------------------------------------------------- */

/* mcp_reply(int request_id, mixed result): 1 when it answered a pending
 * call; 0 when `request_id` is no open call - already answered, cancelled
 * by the client, never handed out (a guessed or forged token), or not in
 * --mcp mode.  Not an error: a late answer after a cancel is normal. */
static void efun_mcp_reply(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    mcp_request_t *req = pending_take(args[0].u.i);
    if (req == NULL)
        return;
    if (lpc_value_is_zero(&args[1]))
        mcp_tool_text(req, "", 0, false);
    else
        complete_tool(req, &args[1]);
    *ret = lpc_int(1);
}

/* mcp_progress(int request_id, int progress, int total, string message) */
static void efun_mcp_progress(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm;
    pending_call_t *p = pending_find(args[0].u.i);
    if (p == NULL)
        return;
    const char *msg = nargs > 3 && args[3].type == LPC_T_STRING ? args[3].u.s->data : NULL;
    *ret = lpc_int(mcp_request_progress(p->req, (double)args[1].u.i,
                                        args[2].u.i > 0 ? (double)args[2].u.i : -1.0,
                                        msg) ? 1 : 0);
}

/* mcp_log(string level, string text): a game event for the MCP session. */
static void efun_mcp_log(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)nargs;
    int level = mcp_log_level_from_name(args[0].u.s->data);
    if (level < 0)
        lpc_error(vm, "mcp_log: no log level '%s'", args[0].u.s->data);
    if (lp.server == NULL)
        return;
    mcp_server_log(lp.server, (mcp_log_level_t)level, "game", args[1].u.s->data);
    /* a game event (a login completing, ...): the who view may have changed */
    mcp_lpc_provider_who_changed();
    *ret = lpc_int(1);
}

/* mcp_resource_changed(string uri): the mudlib's hint that the live view
 * `uri` may have changed (a thing moved into a room).  A watched view is
 * read again when the current top-level run ends and reported only when
 * its text differs.  1 when a client watches `uri`, else 0. */
static void efun_mcp_resource_changed(lpc_vm_t *vm, lpc_value_t *args, int nargs,
                                      lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    watch_t *w = lp.server != NULL ? watch_find(args[0].u.s->data) : NULL;
    if (w == NULL || w->kind == WATCH_STATIC)
        return;
    w->dirty = true;
    *ret = lpc_int(1);
    flush_changes();               /* inside LPC: when the run ends */
}

/* mcp_lists_changed(): the mudlib's hint that what mcp_tools() or
 * mcp_resources() return may differ now without any reload (a tool
 * registered at run time, say).  The lists are re-asked when the LPC run
 * ends and list_changed goes out only for a real difference.  1 when a
 * session has fetched a list (something to compare), else 0. */
static void efun_mcp_lists_changed(lpc_vm_t *vm, lpc_value_t *args, int nargs,
                                   lpc_value_t *ret)
{
    (void)vm; (void)args; (void)nargs;
    if (lp.server == NULL ||
        (lp.tools_seen == NULL && lp.resources_seen == NULL && lp.templates_seen == NULL))
        return;
    lp.recheck_pending = true;
    *ret = lpc_int(1);
    flush_changes();               /* inside LPC: when the run ends */
}

/* efun_exists(string name): is there an efun of that name? */
static void efun_efun_exists(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    (void)vm; (void)nargs;
    *ret = lpc_int(lpc_efun_lookup(args[0].u.s->data) >= 0 ? 1 : 0);
}

static const lpc_efun_def_t mcp_efuns[] = {
    { "mcp_reply", efun_mcp_reply, 2, 2, 0, 0, LPC_TM_INT, { LPC_TM_INT, 0 } },
    { "mcp_progress", efun_mcp_progress, 3, 4, 0, 0, LPC_TM_INT,
      { LPC_TM_INT, LPC_TM_INT, LPC_TM_INT, LPC_TM_STRING | LPC_TM_ZERO } },
    { "mcp_log", efun_mcp_log, 2, 2, 0, 0, LPC_TM_INT, { LPC_TM_STRING, LPC_TM_STRING } },
    { "mcp_resource_changed", efun_mcp_resource_changed, 1, 1, 0, 0, LPC_TM_INT,
      { LPC_TM_STRING } },
    { "mcp_lists_changed", efun_mcp_lists_changed, 0, 0, 0, 0, LPC_TM_INT, { 0 } },
    { "efun_exists", efun_efun_exists, 1, 1, 0, 0, LPC_TM_INT, { LPC_TM_STRING } },
};

void mcp_lpc_provider_register_efuns(void)
{
    lpc_efun_register(mcp_efuns, sizeof mcp_efuns / sizeof mcp_efuns[0]);
}
