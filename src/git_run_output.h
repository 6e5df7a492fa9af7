/*
 * git_run_output.h - what git_run does with the child's output, shared by
 * git_run_posix.c and git_run_win32.c (internal to git_run).
 *
 * stdout goes into result->out up to spec->stdout_limit; stderr is cut
 * into lines at '\r' or '\n' for spec->on_stderr_line, and the
 * '\n'-ended lines are kept in result->err_tail.  One git_run_output_t
 * per run, on git_run's stack, used by that thread alone.
 */
#ifndef NEOLITH_GIT_RUN_OUTPUT_H
#define NEOLITH_GIT_RUN_OUTPUT_H

#include "git_run.h"

typedef struct git_run_output {
    const git_run_spec_t *spec;
    git_run_result_t *result;
    size_t out_cap;
    char line[GIT_RUN_LINE_MAX + 1];    /* the stderr line being assembled */
    size_t line_len;
    size_t tail_len;
} git_run_output_t;

/* Zeroes *result and gives it an empty out buffer.  False on out of
 * memory, with result->outcome GIT_RUN_FAILED and error ENOMEM. */
bool git_run_output_begin(git_run_output_t *o, const git_run_spec_t *spec,
                          git_run_result_t *result);

void git_run_output_stdout(git_run_output_t *o, const char *buf, size_t n);
void git_run_output_stderr(git_run_output_t *o, const char *buf, size_t n);

/* Ends the run's output: a last stderr line without its '\n' counts as
 * a whole line. */
void git_run_output_end(git_run_output_t *o);

#endif /* NEOLITH_GIT_RUN_OUTPUT_H */
