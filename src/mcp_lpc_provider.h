/*
 * mcp_lpc_provider.h - the MCP provider of the LPC application: the
 * mudlib's master object decides what the Model Context Protocol server
 * offers (docs/manual/mcp.md "How a mudlib defines its tools").
 *
 * Master applies (all optional; a master without them offers only the
 * driver-level driver_status tool and neolith://driver/status):
 *   mapping *mcp_tools()                      the tool list
 *   mixed mcp_call_tool(string name, mapping args, int request_id)
 *         a string (text), a mapping ([ "text", "structured", "isError" ]),
 *         or 0: "I answer later" with mcp_reply(request_id, result).
 *         request_id is an unguessable token (62 random bits), so mudlib
 *         code cannot answer a call it was not handed.
 *   mapping *mcp_resources()                  extra resources
 *   mixed mcp_read_resource(string uri)       a non-file resource: string,
 *         or ([ "text", "mimeType" ]); 0 = no such resource
 *   int valid_mcp(string what, mixed arg)     the policy: what is "tool"
 *         (arg: the name), "read" (arg: the mudlib path) or "resource"
 *         (arg: the URI); 0 refuses.  No valid_mcp: everything allowed.
 * Efuns (always there, so a mudlib compiles in every mode):
 *   int mcp_reply(int request_id, mixed result)   answer a pending call;
 *         0 for a token that is not an open call (answered, cancelled,
 *         forged), never an error
 *   int mcp_progress(int request_id, int progress, int total, string msg)
 *   int mcp_log(string level, string text)        a game event
 *   int mcp_resource_changed(string uri)  the mudlib's hint that a live
 *         view may have changed: re-read and compared if watched
 *   int efun_exists(string name)
 * Files under mudlib:///{path} are read through the sandbox and the
 * master's valid_read(path, "mcp", "mcp_read").
 *
 * Main thread only.
 */
#ifndef NEOLITH_MCP_LPC_PROVIDER_H
#define NEOLITH_MCP_LPC_PROVIDER_H

#include "config.h"
#include "mcp_provider.h"
#include "lpc/lpc_vm.h"

/* The provider lpc_app hands the driver (driver_app_t.mcp_provider). */
extern mcp_provider_t mcp_lpc_provider;

/* Keeps what the driver-level part needs (paths are copied).  Call from
 * the application's start, before mcp_start.  Returns 0 or -1. */
int mcp_lpc_provider_configure(const driver_config_t *cfg);

/* Registers the mcp_* efuns (before anything is compiled). */
void mcp_lpc_provider_register_efuns(void);

/* Game events for the MCP session (no-ops outside --mcp): a user
 * connected / disconnected (ob may be NULL), a runtime error. */
void mcp_lpc_provider_user_event(lpc_object_t *ob, const char *what);
void mcp_lpc_provider_runtime_error(const char *message);

/* The list of users changed (a login completed): the watched live views
 * (mud://who among them) are read again and compared. */
void mcp_lpc_provider_who_changed(void);

/* The master's tool or resource list may have changed (the master or
 * an object it reads was reloaded): asks again and sends list_changed
 * when a list the client has seen differs.  Tool calls do it themselves,
 * and so does every destruct of a loaded (not cloned) object - a reload
 * by `update`, the recompile tool or a git update - through the destruct
 * observer (lpc_app_set_destruct_observer) the provider sets while the
 * server runs.  Inside LPC code it only marks; the check runs when the
 * top-level run ends. */
void mcp_lpc_provider_lists_may_have_changed(void);

/* Called when a top-level run of LPC code ends: list rechecks and
 * watched-resource checks asked for meanwhile happen now, and the
 * watched mudlib files are looked at (stat) for changes. */
void mcp_lpc_provider_after_run(void);

#endif /* NEOLITH_MCP_LPC_PROVIDER_H */
