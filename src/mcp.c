/*
 * mcp.c - --mcp mode glue (see mcp.h): transport + server + provider in
 * the backend loop.
 *
 * One session per process, so the state is one static struct, touched
 * only on the main thread.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "mcp.h"
#include "backend.h"
#include "log.h"
#include "mcp_driver_provider.h"
#include "mcp_server.h"
#include "mcp_transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct mcp_glue {
    int in_fd;                  /* from mcp_claim_stdio; -1 before */
    int out_fd;
    mcp_transport_t *transport;
    mcp_server_t *server;
    mcp_provider_t *own_provider;   /* the driver provider, when ours */
    backend_timer_t *grace_timer;   /* end of input with requests open */
    bool shutting_down;
} glue = { .in_fd = -1, .out_fd = -1 };

int mcp_claim_stdio(void)
{
    if (glue.in_fd >= 0)
        return 0;
    if (mcp_transport_claim_stdio(&glue.in_fd, &glue.out_fd) != 0) {
        fprintf(stderr, "neolith: --mcp needs stdin and stdout: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ server io */

static mcp_send_result_t glue_send(void *ctx, mcp_out_msg_t *msg)
{
    (void)ctx;
    return mcp_transport_send(glue.transport, msg);
}

static void glue_request_shutdown(const char *why)
{
    if (glue.shutting_down)
        return;
    glue.shutting_down = true;
    log_info("mcp: %s; shutting down", why);
    backend_request_shutdown(0);
}

static void glue_disconnect(void *ctx, const char *why)
{
    (void)ctx;
    log_error("%s", why);
    glue_request_shutdown("the MCP client is gone");
}

static void glue_idle(void *ctx)
{
    (void)ctx;
    if (glue.grace_timer != NULL) {
        backend_timer_cancel(glue.grace_timer);
        glue.grace_timer = NULL;
    }
    glue_request_shutdown("the MCP client closed its input and nothing is open");
}

static void grace_expired(void *ctx)
{
    (void)ctx;
    glue.grace_timer = NULL;         /* one-shot: freed after this returns */
    mcp_server_stats_t st;
    mcp_server_get_stats(glue.server, &st);
    log_warn("mcp: %zu request(s) still open %d ms after the client closed "
             "its input; they are cancelled", st.open_requests, MCP_EOF_GRACE_MS);
    glue_request_shutdown("end of MCP input");
}

/* ----------------------------------------------------------- completion */

/*
** BACKEND_KEY_MCP: the reader queued input(s), or the writer failed.  All
** queued inputs are handled (a completion whose post failed is covered by
** the next one).
*/
static void on_completion(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key;
    (void)ctx;
    if (glue.server == NULL)
        return;
    if (value == MCP_TRANSPORT_EVENT_OUTPUT_FAILED) {
        mcp_server_output_closed(glue.server);
        glue_request_shutdown("the MCP client stopped reading (its end of "
                              "stdout is closed)");
        return;
    }
    mcp_input_t *in;
    while ((in = mcp_transport_next_input(glue.transport)) != NULL) {
        bool eof = in->kind == MCP_INPUT_EOF;
        if (eof && !glue.shutting_down && glue.grace_timer == NULL)
            glue.grace_timer = backend_timer_add(MCP_EOF_GRACE_MS, 0,
                                                 grace_expired, NULL);
        mcp_server_handle_input(glue.server, in);   /* may call glue_idle */
        mcp_input_free(in);
    }
}

/* --------------------------------------------------------------- shutdown */

static void on_shutdown(void *ctx)
{
    (void)ctx;
    if (glue.grace_timer != NULL) {
        backend_timer_cancel(glue.grace_timer);
        glue.grace_timer = NULL;
    }
    mcp_server_stats_t st;
    mcp_server_get_stats(glue.server, &st);
    /* A shutdown the client did not start (a signal, the game): listen
     * streams get their closing result.  After end of input nobody reads
     * them. */
    mcp_server_stop(glue.server, !glue.shutting_down);
    mcp_transport_stop(glue.transport, MCP_DRAIN_MS);
    mcp_transport_stats_t ts;
    mcp_transport_get_stats(glue.transport, &ts);
    log_info("mcp: session over: %llu request(s), %llu message(s) written, "
             "%llu notification(s) dropped", (unsigned long long)st.requests,
             (unsigned long long)ts.messages_written,
             (unsigned long long)(ts.notifications_dropped + st.notifications_dropped));
    mcp_server_destroy(glue.server);
    glue.server = NULL;
    mcp_transport_destroy(glue.transport);      /* closes the protocol fds */
    glue.transport = NULL;
    glue.in_fd = glue.out_fd = -1;
    backend_unregister_completion(BACKEND_KEY_MCP);
    mcp_driver_provider_free(glue.own_provider);
    glue.own_provider = NULL;
}

/* ------------------------------------------------------------------ start */

static const mcp_server_io_t glue_io = {
    .send = glue_send,
    .disconnect = glue_disconnect,
    .idle = glue_idle,
    .ctx = NULL,
};

int mcp_start(const driver_config_t *cfg, const mcp_provider_t *provider)
{
    if (glue.in_fd < 0) {
        log_error("mcp: mcp_start without mcp_claim_stdio");
        return -1;
    }
    if (provider == NULL) {
        glue.own_provider = mcp_driver_provider_create(cfg);
        if (glue.own_provider == NULL) {
            log_error("mcp: out of memory creating the driver provider");
            return -1;
        }
        provider = glue.own_provider;
    }
    mcp_server_config_t scfg = {
        .name = "neolith",
        .title = "Neolith LPMud driver",
        .version = PACKAGE_VERSION,
    };
    glue.server = mcp_server_create(&scfg, provider, &glue_io);
    if (glue.server == NULL) {
        log_error("mcp: out of memory creating the server");
        goto fail;
    }
    if (backend_register_completion(BACKEND_KEY_MCP, on_completion, NULL) != 0) {
        log_error("mcp: the completion key %d is taken", BACKEND_KEY_MCP);
        goto fail;
    }
    mcp_transport_config_t tcfg = {
        .in_fd = glue.in_fd,
        .out_fd = glue.out_fd,
        .max_line = cfg->mcp_max_line,
        .runtime = backend_runtime(),
        .key = BACKEND_KEY_MCP,
    };
    glue.transport = mcp_transport_start(&tcfg);
    if (glue.transport == NULL) {
        backend_unregister_completion(BACKEND_KEY_MCP);
        goto fail;
    }
    /* The transport owns the fds from here on. */
    if (mcp_server_start(glue.server) != 0 ||
        backend_add_shutdown_hook(on_shutdown, NULL) != 0) {
        mcp_server_destroy(glue.server);
        glue.server = NULL;
        mcp_transport_destroy(glue.transport);
        glue.transport = NULL;
        glue.in_fd = glue.out_fd = -1;
        backend_unregister_completion(BACKEND_KEY_MCP);
        mcp_driver_provider_free(glue.own_provider);
        glue.own_provider = NULL;
        return -1;
    }
    log_info("mcp: Model Context Protocol server on stdin/stdout (provider "
             "'%s', max line %zu bytes)", provider->name, cfg->mcp_max_line);
    return 0;

fail:
    mcp_server_destroy(glue.server);
    glue.server = NULL;
    mcp_driver_provider_free(glue.own_provider);
    glue.own_provider = NULL;
    return -1;
}
