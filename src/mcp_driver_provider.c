/*
 * mcp_driver_provider.c - driver-level MCP content (see
 * mcp_driver_provider.h).  Everything it reports is read from the running
 * driver at the moment of the request: nothing is invented or cached.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp_driver_provider.h"
#include "backend.h"
#include "comm.h"
#include "mcp_server.h"

#include "async/async_runtime.h"
#include "port/port_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>     /* getpid (mingw-w64 has it too) */

typedef struct driver_provider {
    mcp_provider_t provider;   /* first: the provider's ctx is this struct */
    char *config_path;
    char *mudlib_dir;
    int64_t started_ms;        /* port_clock */
    time_t started_at;         /* wall clock, for people */
    mcp_server_t *server;      /* from start() */
} driver_provider_t;

static const char driver_instructions[] =
    "This is the Neolith LPMud driver's built-in MCP server. This build "
    "offers driver-level facts only: the tool driver_status and the "
    "resource " MCP_DRIVER_STATUS_URI " (uptime, telnet port and "
    "connections, event loop counters, this MCP session). The game's own "
    "tools and resources (who is online, rooms, commands, logs) are "
    "defined by the mudlib's master object, and no master object is "
    "loaded, so none are available: do not look for them.";

static int dp_start(void *ctx, mcp_server_t *server)
{
    driver_provider_t *dp = ctx;
    dp->server = server;
    return MCP_PROVIDER_READY;
}

static void dp_stop(void *ctx)
{
    driver_provider_t *dp = ctx;
    dp->server = NULL;
}

static char *dp_instructions(void *ctx)
{
    (void)ctx;
    return strdup(driver_instructions);
}

/* The outputSchema of driver_status: what mcp_driver_status returns. */
static json_t *status_schema(void)
{
    return json_pack(
        "{s:s, s:{"
        "s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s},"
        "s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}},"
        "s:{s:s},"
        "s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}},"
        "s:{s:s, s:{s:{s:[s,s]}, s:{s:[s,s]}, s:{s:s}, s:{s:s}}},"
        "s:{s:s, s:{s:{s:s}, s:{s:s}}}"
        "}, s:[s,s,s,s,s,s,s]}",
        "type", "object", "properties",
        "driver", "type", "string",
        "version", "type", "string",
        "pid", "type", "integer",
        "startedAt", "type", "string",
        "uptimeSeconds", "type", "integer",
        "configFile", "type", "string",
        "mudlibDirectory", "type", "string",
        "telnet", "type", "object", "properties",
            "listening", "type", "boolean",
            "port", "type", "integer",
            "connections", "type", "integer",
        "asyncBackend", "type", "string",
        "loop", "type", "object", "properties",
            "turns", "type", "integer",
            "completions", "type", "integer",
            "timerFires", "type", "integer",
        "mcp", "type", "object", "properties",
            "protocolVersion", "type", "string", "null",
            "client", "type", "string", "null",
            "requests", "type", "integer",
            "openRequests", "type", "integer",
        "lpc", "type", "object", "properties",
            "available", "type", "boolean",
            "note", "type", "string",
        "required", "driver", "version", "pid", "uptimeSeconds", "telnet",
        "mcp", "lpc");
}

static json_t *dp_list_tools(void *ctx)
{
    (void)ctx;
    json_t *tool = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:b}, s:o, s:{s:b, s:b, s:b, s:b}}",
        "name", "driver_status",
        "title", "Driver status",
        "description", "Reports the running Neolith driver: version, uptime, "
        "telnet port and connection count, event loop counters, and this MCP "
        "session. Read-only; takes no arguments.",
        "inputSchema", "type", "object", "additionalProperties", 0,
        "outputSchema", status_schema(),
        "annotations", "readOnlyHint", 1, "destructiveHint", 0,
        "idempotentHint", 0, "openWorldHint", 0);
    return json_pack("[o]", tool);
}

static json_t *dp_list_resources(void *ctx)
{
    (void)ctx;
    return json_pack("[{s:s, s:s, s:s, s:s, s:s}]",
                     "uri", MCP_DRIVER_STATUS_URI,
                     "name", "driver-status",
                     "title", "Driver status",
                     "description", "The running driver's status (what the "
                     "driver_status tool returns), as JSON.",
                     "mimeType", "application/json");
}

/*
** t as "YYYY-MM-DDTHH:MM:SSZ".  By arithmetic on the seconds since the
** epoch (every day has 86400 of them in time_t) rather than gmtime_r,
** which not every C library has.
*/
static void format_utc(time_t t, char *buf, size_t size)
{
    int64_t secs = (int64_t)t;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* Days since 1970-01-01 to a date in the proleptic Gregorian
     * calendar: count in 400-year eras (146097 days) of years that start
     * on March 1, so the leap day is the last day of a year. */
    int64_t z = days + 719468;              /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                 /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                               /* March = 0 */
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    snprintf(buf, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
             (long long)year, (long long)month, (long long)day,
             (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60));
}

json_t *mcp_driver_status(const mcp_provider_t *provider)
{
    const driver_provider_t *dp = (const driver_provider_t *)provider;
    char started[64];
    format_utc(dp->started_at, started, sizeof started);
    int64_t uptime = (port_clock_now_ms() - dp->started_ms) / 1000;

    backend_stats_t bs;
    backend_get_stats(&bs);
    mcp_server_stats_t ms;
    memset(&ms, 0, sizeof ms);
    if (dp->server != NULL)
        mcp_server_get_stats(dp->server, &ms);
    int port = comm_listen_port();

    return json_pack(
        "{s:s, s:s, s:I, s:s, s:I, s:s, s:s,"
        " s:{s:b, s:i, s:I},"
        " s:s,"
        " s:{s:I, s:I, s:I},"
        " s:{s:o, s:o, s:I, s:I},"
        " s:{s:b, s:s}}",
        "driver", "neolith",
        "version", PACKAGE_VERSION,
        "pid", (json_int_t)getpid(),
        "startedAt", started,
        "uptimeSeconds", (json_int_t)uptime,
        "configFile", dp->config_path,
        "mudlibDirectory", dp->mudlib_dir,
        "telnet", "listening", port > 0, "port", port,
        "connections", (json_int_t)comm_connection_count(),
        "asyncBackend", async_runtime_backend_name(),
        "loop", "turns", (json_int_t)bs.turns,
        "completions", (json_int_t)bs.completions,
        "timerFires", (json_int_t)bs.timer_fires,
        "mcp", "protocolVersion", ms.protocol_version != NULL
                   ? json_string(ms.protocol_version) : json_null(),
        "client", ms.client_name != NULL ? mcp_json_text(ms.client_name,
                                                         strlen(ms.client_name))
                                         : json_null(),
        "requests", (json_int_t)ms.requests,
        "openRequests", (json_int_t)ms.open_requests,
        "lpc", "available", 0,
        "note", "No mudlib master object is loaded: the mudlib's tools and "
        "resources come from its master object.");
}

void mcp_driver_status_tool_reply(mcp_request_t *req, json_t *status)
{
    char *text = status != NULL ? json_dumps(status, JSON_INDENT(2)) : NULL;
    if (text == NULL) {
        json_decref(status);
        mcp_request_fail(req, "out of memory building the status");
        return;
    }
    mcp_tool_structured(req, status, text);
    free(text);
}

void mcp_driver_status_resource_reply(mcp_request_t *req, json_t *status)
{
    char *text = status != NULL ? json_dumps(status, JSON_INDENT(2)) : NULL;
    json_decref(status);
    if (text == NULL) {
        mcp_request_fail(req, "out of memory building the status");
        return;
    }
    mcp_resource_text(req, "application/json", text, strlen(text));
    free(text);
}

static void dp_call_tool(void *ctx, mcp_request_t *req)
{
    driver_provider_t *dp = ctx;
    if (strcmp(mcp_request_tool_name(req), "driver_status") != 0) {
        mcp_request_fail(req, "the driver provider has no such tool");
        return;
    }
    mcp_driver_status_tool_reply(req, mcp_driver_status(&dp->provider));
}

static void dp_read_resource(void *ctx, mcp_request_t *req)
{
    driver_provider_t *dp = ctx;
    if (strcmp(mcp_request_uri(req), MCP_DRIVER_STATUS_URI) != 0) {
        mcp_resource_not_found(req);
        return;
    }
    mcp_driver_status_resource_reply(req, mcp_driver_status(&dp->provider));
}

mcp_provider_t *mcp_driver_provider_create(const driver_config_t *cfg)
{
    driver_provider_t *dp = calloc(1, sizeof *dp);
    if (dp == NULL)
        return NULL;
    dp->config_path = strdup(cfg->config_path != NULL ? cfg->config_path : "");
    dp->mudlib_dir = strdup(cfg->mudlib_dir != NULL ? cfg->mudlib_dir : "");
    if (dp->config_path == NULL || dp->mudlib_dir == NULL) {
        free(dp->config_path);
        free(dp->mudlib_dir);
        free(dp);
        return NULL;
    }
    dp->started_ms = port_clock_now_ms();
    dp->started_at = time(NULL);
    dp->provider = (mcp_provider_t){
        .name = "driver",
        .ctx = dp,
        .start = dp_start,
        .stop = dp_stop,
        .instructions = dp_instructions,
        .list_tools = dp_list_tools,
        .call_tool = dp_call_tool,
        .list_resources = dp_list_resources,
        .read_resource = dp_read_resource,
    };
    return &dp->provider;
}

void mcp_driver_provider_free(mcp_provider_t *provider)
{
    if (provider == NULL)
        return;
    driver_provider_t *dp = (driver_provider_t *)provider;
    free(dp->config_path);
    free(dp->mudlib_dir);
    free(dp);
}
