/*
 * mcp_server.h - the Model Context Protocol server core: JSON-RPC, the
 * lifecycle, version negotiation and everything the client can ask,
 * running on the main thread.
 *
 * The core is transport-free: it takes parsed inputs
 * (mcp_server_handle_input, one per line the reader read) and gives its
 * messages, each already encoded as one line, to an I/O interface
 * (mcp_server_io_t) - the stdio transport in the driver, a fake that
 * records lines in the unit tests.  What there is to list, call and read
 * comes from a provider (mcp_provider.h).
 *
 * REVISIONS.  Legacy (stateful) revisions 2024-11-05, 2025-03-26,
 * 2025-06-18 and 2025-11-25: `initialize` negotiates one for the process
 * (the client's when it is one of these, else 2025-11-25).  Modern
 * 2026-07-28 (stateless): a request carrying the per-request _meta
 * envelope (io.modelcontextprotocol/protocolVersion and
 * clientCapabilities) is served on its own, `server/discover` included,
 * as long as no `initialize` has made the process legacy.  Batches
 * (arrays) are accepted only when 2025-03-26 was negotiated.
 *
 * Main thread only.
 */
#ifndef NEOLITH_MCP_SERVER_H
#define NEOLITH_MCP_SERVER_H

#include "mcp_provider.h"
#include "mcp_transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the server's messages go. */
typedef struct mcp_server_io {
    /* Queues one encoded message; takes msg (also when refused).  A
     * response refused with MCP_SEND_OVERFLOW makes the server call
     * disconnect; MCP_SEND_CLOSED stops all output. */
    mcp_send_result_t (*send)(void *ctx, mcp_out_msg_t *msg);
    /* The session cannot go on (a response could not be queued): the
     * owner ends it.  `why` is a log line. */
    void (*disconnect)(void *ctx, const char *why);
    /* Called once after end of input, as soon as no request is open any
     * more (at once when none was): the owner may shut down. */
    void (*idle)(void *ctx);
    void *ctx;
} mcp_server_io_t;

typedef struct mcp_server_config {
    const char *name;       /* serverInfo.name, e.g. "neolith" */
    const char *title;      /* serverInfo.title (2025-06-18 on); may be NULL */
    const char *version;    /* serverInfo.version */
    size_t page_size;       /* entries per tools/resources list page; 0: 50 */
    size_t max_tool_text;   /* text bytes in one tool result before it is
                             * cut with a note; 0: 40000 */
    int progress_gap_ms;    /* gap between a progress notification and the
                             * response of its request (checklist I4); 0:
                             * 30, negative: none */
} mcp_server_config_t;

/* Creates a server around provider and io (both must outlive it).
 * NULL on out of memory. */
mcp_server_t *mcp_server_create(const mcp_server_config_t *cfg,
                                const mcp_provider_t *provider,
                                const mcp_server_io_t *io);

/* Starts the provider (provider->start).  Returns 0, or -1 when the
 * provider failed. */
int  mcp_server_start(mcp_server_t *server);

/* Handles one input from the transport (borrowed: the caller frees it).
 * MCP_INPUT_EOF means end of input: no new requests; io->idle follows
 * once the open ones are done. */
void mcp_server_handle_input(mcp_server_t *server, const mcp_input_t *in);

/* The output is gone (the writer failed): nothing more is sent. */
void mcp_server_output_closed(mcp_server_t *server);

/* Ends the session: open requests are cancelled (provider->cancel), then
 * provider->stop.  graceful: open subscriptions/listen streams get their
 * closing result first (a shutdown the client did not start).  The server
 * ignores provider calls afterwards.  Idempotent. */
void mcp_server_stop(mcp_server_t *server, bool graceful);

/* Frees the server (stops it first if needed). */
void mcp_server_destroy(mcp_server_t *server);

typedef struct mcp_server_stats {
    uint64_t requests;          /* requests received */
    uint64_t notifications;     /* notifications received */
    uint64_t errors_sent;       /* error responses */
    uint64_t notifications_sent;
    uint64_t notifications_dropped;  /* refused by the transport or the
                                      * log rate limit */
    size_t   open_requests;     /* waiting for the provider */
    const char *protocol_version;    /* negotiated by initialize, or NULL */
    const char *client_name;         /* clientInfo.name, or NULL */
    bool     initialized;       /* notifications/initialized received */
} mcp_server_stats_t;

void mcp_server_get_stats(const mcp_server_t *server, mcp_server_stats_t *stats);

/* The revisions the server speaks, newest first (NULL-terminated). */
extern const char *const mcp_server_protocol_versions[];

#endif /* NEOLITH_MCP_SERVER_H */
