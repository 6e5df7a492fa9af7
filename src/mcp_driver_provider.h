/*
 * mcp_driver_provider.h - the MCP provider of a driver without a mudlib
 * provider: driver-level facts only, all of them real.
 *
 *   tool      driver_status            uptime, telnet port and
 *                                      connections, event loop counters,
 *                                      the MCP session, the config
 *   resource  neolith://driver/status  the same, as application/json
 *
 * Its instructions say that mudlib tools come from the master object.
 * The LPC runtime's provider (mcp_lpc_provider.h) uses this one when no
 * master is loaded, and keeps offering driver_status through it.
 *
 * Main thread only.
 */
#ifndef NEOLITH_MCP_DRIVER_PROVIDER_H
#define NEOLITH_MCP_DRIVER_PROVIDER_H

#include "config.h"
#include "mcp_provider.h"

#define MCP_DRIVER_STATUS_URI "neolith://driver/status"

/* A new provider reporting on the driver configured by cfg (the paths are
 * copied).  NULL on out of memory; free with mcp_driver_provider_free. */
mcp_provider_t *mcp_driver_provider_create(const driver_config_t *cfg);
void mcp_driver_provider_free(mcp_provider_t *provider);

/* The status object driver_status returns (a new reference). */
json_t *mcp_driver_status(const mcp_provider_t *provider);

/* Complete req with status (taken over; NULL means out of memory) as the
 * driver_status tool's result, or as the MCP_DRIVER_STATUS_URI resource:
 * this provider's answers, which the LPC runtime's gives too. */
void mcp_driver_status_tool_reply(mcp_request_t *req, json_t *status);
void mcp_driver_status_resource_reply(mcp_request_t *req, json_t *status);

#endif /* NEOLITH_MCP_DRIVER_PROVIDER_H */
