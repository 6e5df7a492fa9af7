/*
 * git_run_test.h - a git_run spec for the tests of src/git_run (POSIX in
 * check_git_update, Windows in check_gitmcp_win32).
 */
#ifndef GIT_RUN_TEST_H
#define GIT_RUN_TEST_H

#include "../src/git_run.h"
#include "port/port_clock.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

/* *spec zeroed, then: run argv with the environment envp, no deadline,
 * no cancel, keep stdout_limit bytes of stdout (envp NULL: the child
 * inherits this process's environment).  A test sets what else
 * it needs afterwards. */
static inline void git_run_test_spec(git_run_spec_t *spec, const char *const *argv,
                                     char *const *envp, size_t stdout_limit)
{
    memset(spec, 0, sizeof *spec);
    spec->argv = argv;
    spec->envp = envp;
    spec->deadline_ns = PORT_DEADLINE_NEVER;
    spec->cancel = NULL;
    spec->stdout_limit = stdout_limit;
}

/* The first 16 stderr lines git_run delivered (cut to 127 bytes). */
typedef struct git_run_test_lines {
    char text[16][128];
    int count;
} git_run_test_lines_t;

/* A git_run_line_fn collecting into the git_run_test_lines_t at ctx
 * (zeroed by the test); checks len is the line's length. */
static inline void git_run_test_collect_line(const char *line, size_t len, void *ctx)
{
    git_run_test_lines_t *l = ctx;
    ck_assert_uint_eq(strlen(line), len);
    if (l->count < 16)
        snprintf(l->text[l->count++], sizeof l->text[0], "%s", line);
}

#endif
