/*
 * mcp.h - --mcp mode: the Model Context Protocol server on stdin/stdout,
 * wired into the driver's main loop.
 *
 * This is the glue: it owns the stdio transport (mcp_transport.h), the
 * server core (mcp_server.h) and, unless the application brings its own,
 * the driver-level provider (mcp_driver_provider.h).  The transport posts
 * BACKEND_KEY_MCP completions; their handler feeds the server.  The
 * session ends, and with it the process (the client owns it):
 *  - at end of input: open requests get up to MCP_EOF_GRACE_MS to
 *    finish, then the loop shuts down (exit 0);
 *  - when the client stops reading (EPIPE, or an output queue too full
 *    for a response): at once;
 *  - on SIGTERM/SIGINT, through the backend's shutdown like any mode.
 * The shutdown hook stops the server (open requests cancelled, listen
 * streams closed), lets the writer drain for up to MCP_DRAIN_MS and
 * joins both workers, so the whole exit stays well under the 2 s MCP
 * clients wait before SIGTERM.
 *
 * Main thread only.
 */
#ifndef NEOLITH_MCP_H
#define NEOLITH_MCP_H

#include "config.h"
#include "mcp_provider.h"

#define MCP_EOF_GRACE_MS 1000
#define MCP_DRAIN_MS     500

/* First thing in --mcp mode: keeps stdin/stdout for the protocol and
 * points fd 1 at stderr, fd 0 at /dev/null (mcp_transport_claim_stdio).
 * Returns 0, or -1 after saying why on stderr. */
int mcp_claim_stdio(void);

/* Starts the MCP session: transport workers, server, provider
 * (`provider` NULL: the driver-level provider).  Call after the backend
 * and comm are up.  Returns 0, or -1 after logging why. */
int mcp_start(const driver_config_t *cfg, const mcp_provider_t *provider);

#endif /* NEOLITH_MCP_H */
