/*
 * mcp_transport.h - the Model Context Protocol stdio transport: a reader
 * worker and a writer worker around the main loop.
 *
 *   stdin --> [reader] --parsed message--> in-queue --completion--> main
 *   main --encoded line--> out-queue --> [writer] --> protocol fd (stdout)
 *
 * READER.  Reads the input fd (partial reads, several messages per read,
 * "\r\n" or "\n"), cuts lines, parses each with jansson and hands the
 * result to the main loop as an mcp_input_t through a bounded queue,
 * posting one completion (value MCP_TRANSPORT_EVENT_INPUT) per input.
 * A line longer than `max_line` is never half-parsed: its bytes are
 * dropped up to the next newline and one MCP_INPUT_TOO_LONG input stands
 * for it.  End of input (or a read error) is the last input,
 * MCP_INPUT_EOF.  When the main loop falls behind the queue fills and the
 * reader waits: the client's pipe then fills and the client waits too.
 *
 * WRITER.  Owns the protocol fd.  Writes each queued message - already
 * one line of valid UTF-8 ending in '\n' (mcp_json_encode_line) - whole,
 * in queue order, so messages never interleave.  A message may carry a
 * "not before" time (a gap after a progress notification, checklist I4);
 * the writer waits for it without blocking anyone else.  A write error
 * (EPIPE, or on Windows ERROR_NO_DATA / ERROR_BROKEN_PIPE: the client
 * went away) posts MCP_TRANSPORT_EVENT_OUTPUT_FAILED
 * once; later messages are discarded.
 *
 * OVERFLOW POLICY (a client that stops reading must not block the game).
 * mcp_transport_send never blocks.  The queue is bounded by a message
 * count and a byte budget:
 *  - a NOTIFICATION (progress, log, list_changed, updated) is accepted
 *    only while the queue is under HALF of both bounds; beyond that it is
 *    dropped and counted (MCP_SEND_DROPPED).  Notifications are advisory,
 *    and dropping them first keeps room for the answers;
 *  - a RESPONSE may use the whole queue; when even that is full the
 *    session cannot go on correctly (a request would never be answered),
 *    so MCP_SEND_OVERFLOW tells the caller to disconnect - the MCP glue
 *    logs it and shuts the session down.  A single message bigger than the
 *    budget is accepted when the queue is empty, so no answer is refused
 *    for its size alone.
 *
 * OWNERSHIP across threads:
 *  - mcp_input_t: allocated by the reader, owned by the queue, then by
 *    the main thread from mcp_transport_next_input on; freed with
 *    mcp_input_free.  Its json_t was built by the reader and is never
 *    touched by the reader again: the main thread owns the only
 *    reference.
 *  - mcp_out_msg_t: allocated by the main thread (mcp_out_msg_new),
 *    owned by the transport from mcp_transport_send on (also when the
 *    send is refused), freed by the writer after writing (or by stop).
 *    It holds bytes, not jansson objects: no json_t crosses to the
 *    writer.
 *
 * THREADS.  mcp_transport_start, _send, _next_input, _stop, _destroy:
 * the main thread.  The workers touch only the queues, their fds, their
 * wake objects (mcp_stdio.h) and the atomics documented in
 * mcp_transport.c.
 *
 * SYSTEMS.  The fds are POSIX descriptors, or on Windows C runtime fds
 * (_dup, _pipe, _open_osfhandle) whose handles the workers use directly.
 */
#ifndef NEOLITH_MCP_TRANSPORT_H
#define NEOLITH_MCP_TRANSPORT_H

#include "async/async_runtime.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mcp_transport mcp_transport_t;

/* ---- input ----------------------------------------------------------- */

typedef enum mcp_input_kind {
    MCP_INPUT_MESSAGE,      /* json: an object or an array (a batch) */
    MCP_INPUT_PARSE_ERROR,  /* not JSON (text says why) */
    MCP_INPUT_NOT_MESSAGE,  /* JSON, but a string/number/true/false/null */
    MCP_INPUT_TOO_LONG,     /* a line over max_line, discarded */
    MCP_INPUT_EOF           /* end of input or a read error (text) */
} mcp_input_kind_t;

typedef struct mcp_input {
    mcp_input_kind_t kind;
    json_t *json;           /* MESSAGE: owned by whoever owns the input */
    size_t line_bytes;      /* length of the line it came from */
    char text[160];         /* PARSE_ERROR / EOF: why, for the log and the
                             * error message */
} mcp_input_t;

/* Parses one line (without its newline; a trailing '\r' is stripped) the
 * way the reader does.  Returns a new input (MESSAGE, PARSE_ERROR or
 * NOT_MESSAGE), NULL for a blank line (nothing to answer) or on out of
 * memory.  Any thread; used by the unit tests to feed the server. */
mcp_input_t *mcp_input_parse_line(const char *line, size_t len);
/* An input of another kind (TOO_LONG, EOF), with optional text. */
mcp_input_t *mcp_input_new(mcp_input_kind_t kind, const char *text);
void         mcp_input_free(mcp_input_t *in);

/* ---- output ---------------------------------------------------------- */

typedef enum mcp_out_class {
    MCP_OUT_RESPONSE,       /* must be delivered, or the session ends */
    MCP_OUT_NOTIFICATION    /* may be dropped under pressure */
} mcp_out_class_t;

typedef struct mcp_out_msg {
    mcp_out_class_t cls;
    int64_t not_before_ms;  /* port_clock_now_ms() time; 0: at once */
    size_t len;             /* bytes in data, the final '\n' included */
    char data[];            /* one line of valid UTF-8 */
} mcp_out_msg_t;

/* Encodes msg (mcp_json_encode_line) into a new out message.  NULL on out
 * of memory.  msg is not modified or freed. */
mcp_out_msg_t *mcp_out_msg_new(const json_t *msg, mcp_out_class_t cls);

typedef enum mcp_send_result {
    MCP_SEND_OK = 0,
    MCP_SEND_DROPPED,       /* a notification refused: queue over half */
    MCP_SEND_OVERFLOW,      /* a response refused: disconnect */
    MCP_SEND_CLOSED         /* output failed or transport stopping */
} mcp_send_result_t;

/* ---- the transport --------------------------------------------------- */

/* What a completion posted by the workers means (its value). */
enum {
    MCP_TRANSPORT_EVENT_INPUT = 1,          /* an input is queued */
    MCP_TRANSPORT_EVENT_OUTPUT_FAILED = 2   /* the writer hit an error */
};

typedef struct mcp_transport_config {
    int in_fd;                  /* read by the reader; closed by destroy */
    int out_fd;                 /* written by the writer; closed by destroy */
    size_t max_line;            /* longest accepted line, bytes */
    async_runtime_t *runtime;   /* where completions are posted */
    uintptr_t key;              /* their key */
    size_t out_capacity;        /* out-queue messages; 0: default 4096 */
    size_t out_budget;          /* out-queue bytes; 0: default 64 MiB */
} mcp_transport_config_t;

/* Starts both workers.  NULL (after logging why) when they cannot start;
 * the fds are then still the caller's. */
mcp_transport_t *mcp_transport_start(const mcp_transport_config_t *cfg);

/* The next input, or NULL when none is queued. */
mcp_input_t *mcp_transport_next_input(mcp_transport_t *t);

/* Queues msg for the writer (the transport owns msg from here on, also
 * when it is refused).  Never blocks.  See OVERFLOW POLICY. */
mcp_send_result_t mcp_transport_send(mcp_transport_t *t, mcp_out_msg_t *msg);

/* Stops the reader, lets the writer write what is queued for up to
 * drain_ms, then stops it; joins both.  Returns true when both workers
 * ended in time (a worker that did not is detached and logged).
 * Idempotent. */
bool mcp_transport_stop(mcp_transport_t *t, int drain_ms);

/* Frees everything (stops first if needed) and closes both fds. */
void mcp_transport_destroy(mcp_transport_t *t);

typedef struct mcp_transport_stats {
    uint64_t inputs;             /* inputs queued by the reader */
    uint64_t bytes_read;         /* bytes read from the input and split */
    uint64_t lines_too_long;
    uint64_t messages_written;
    uint64_t bytes_written;
    uint64_t notifications_dropped;
    size_t   queued_messages;    /* waiting for the writer now */
    size_t   queued_bytes;
    bool     output_failed;
} mcp_transport_stats_t;

void mcp_transport_get_stats(mcp_transport_t *t, mcp_transport_stats_t *stats);

/*
 * Start-up of --mcp mode, before anything else runs: takes private,
 * close-on-exec duplicates of stdin and stdout for the protocol
 * (*in_fd, *out_fd), then points fd 1 at stderr - so a stray printf can
 * never corrupt the protocol stream - and fd 0 at /dev/null - so no child
 * process (git) can read protocol bytes.  stdout's stdio buffer is flushed
 * first.  On Windows the duplicates are not inheritable and in binary
 * mode, fd 0 is NUL, and STD_OUTPUT_HANDLE / STD_INPUT_HANDLE follow fds
 * 1 and 0.  Returns 0, or -1 with errno (nothing changed).
 */
int mcp_transport_claim_stdio(int *in_fd, int *out_fd);

#endif /* NEOLITH_MCP_TRANSPORT_H */
