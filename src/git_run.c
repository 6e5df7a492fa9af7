/*
 * git_run.c - the part of git_run that is the same on every system: what
 * happens to the child's output (git_run_output.h) and the result.  The
 * process handling is in git_run_posix.c and git_run_win32.c.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "git_run.h"
#include "git_run_output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* First allocation for stdout; doubles up to stdout_limit. */
#define GIT_RUN_OUT_INITIAL 4096

bool git_run_output_begin(git_run_output_t *o, const git_run_spec_t *spec,
                          git_run_result_t *result)
{
    memset(result, 0, sizeof *result);
    memset(o, 0, sizeof *o);
    o->spec = spec;
    o->result = result;
    o->out_cap = GIT_RUN_OUT_INITIAL;
    result->out = malloc(o->out_cap);
    if (result->out == NULL) {
        result->outcome = GIT_RUN_FAILED;
        result->error = ENOMEM;
        return false;
    }
    result->out[0] = '\0';
    return true;
}

static void tail_append(git_run_output_t *o, const char *line, size_t len)
{
    char *tail = o->result->err_tail;
    const size_t room = GIT_RUN_TAIL_SIZE - 1;    /* keep the NUL */
    if (len + 1 > room)
        len = room - 1;
    /* Drop whole old lines until the new one fits. */
    while (o->tail_len + len + 1 > room) {
        char *nl = memchr(tail, '\n', o->tail_len);
        size_t drop = nl != NULL ? (size_t)(nl - tail) + 1 : o->tail_len;
        memmove(tail, tail + drop, o->tail_len - drop);
        o->tail_len -= drop;
    }
    memcpy(tail + o->tail_len, line, len);
    o->tail_len += len;
    tail[o->tail_len++] = '\n';
    tail[o->tail_len] = '\0';
}

/* Ends the line being assembled; newline says it ended in '\n' (kept in
 * the tail) rather than '\r' or a split. */
static void line_emit(git_run_output_t *o, bool newline)
{
    if (o->line_len == 0)
        return;
    o->line[o->line_len] = '\0';
    if (o->spec->on_stderr_line != NULL)
        o->spec->on_stderr_line(o->line, o->line_len, o->spec->ctx);
    if (newline)
        tail_append(o, o->line, o->line_len);
    o->line_len = 0;
}

void git_run_output_stderr(git_run_output_t *o, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\n' || c == '\r') {
            line_emit(o, c == '\n');
        } else {
            o->line[o->line_len++] = c;
            if (o->line_len == GIT_RUN_LINE_MAX)
                line_emit(o, false);
        }
    }
}

void git_run_output_stdout(git_run_output_t *o, const char *buf, size_t n)
{
    git_run_result_t *r = o->result;
    size_t limit = o->spec->stdout_limit;
    if (r->out_len + n > limit) {
        r->out_truncated = true;
        n = limit > r->out_len ? limit - r->out_len : 0;
    }
    if (n == 0)
        return;
    if (r->out_len + n + 1 > o->out_cap) {
        size_t cap = o->out_cap;
        while (r->out_len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(r->out, cap);
        if (grown == NULL) {            /* keep what we have; say it is cut */
            r->out_truncated = true;
            return;
        }
        r->out = grown;
        o->out_cap = cap;
    }
    memcpy(r->out + r->out_len, buf, n);
    r->out_len += n;
    r->out[r->out_len] = '\0';
}

void git_run_output_end(git_run_output_t *o)
{
    line_emit(o, true);
}

void git_run_result_free(git_run_result_t *result)
{
    if (result == NULL)
        return;
    free(result->out);
    result->out = NULL;
    result->out_len = 0;
}

void git_run_env_free(char **env)
{
    if (env == NULL)
        return;
    for (size_t i = 0; env[i] != NULL; i++)
        free(env[i]);
    free(env);
}
