/*
 * e2e_mudlib.c - playing the bundled mudlib end to end (see e2e_mudlib.h).
 */
#include <config.h>
#include "e2e_mudlib.h"
#include "port/port_clock.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char E2E_OOPS_COMMAND[] =
    "// oops: a command with a bug (written by the end-to-end tests).\n"
    "string help() { return \"oops                 fails\\n\"; }\n"
    "\n"
    "int main(string arg)\n"
    "{\n"
    "    mixed *none = ({ });\n"
    "    return none[1];\n"
    "}\n";

static bool ends_with(const char *s, size_t n, const char *tail)
{
    size_t t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

bool e2e_mudlib_copy_skips(const char *rel)
{
    if (strcmp(rel, "/log") == 0 || strncmp(rel, "/log/", 5) == 0)
        return true;
    if (strcmp(rel, "/neolith.conf") == 0)
        return true;
    size_t n = strlen(rel);
    if (strncmp(rel, "/data/players/", 14) == 0 && ends_with(rel, n, ".o"))
        return true;
    if (strncmp(rel, "/tmp_eval/", 10) == 0 && ends_with(rel, n, ".c"))
        return true;
    return false;
}

void e2e_mudlib_prepare(e2e_driver_t *d, const char *tag, const char *mudlib_src)
{
    e2e_driver_init(d);
    snprintf(d->mudlib, sizeof(d->mudlib), "%s/mudlib", d->dir);
    ck_assert_int_eq(mkdir(d->mudlib, 0755), 0);
    e2e_copy_tree(mudlib_src, d->mudlib, e2e_mudlib_copy_skips);
    snprintf(d->conf, sizeof(d->conf), "%s/neolith.conf", d->mudlib);
    char text[512];
    snprintf(text, sizeof(text),
             "# written by %s\n"
             "mudlib directory: .\n"
             "port: %d\n"
             "bind address: 127.0.0.1\n"
             "log directory: log\n"
             "admins: root\n",
             tag, d->port);
    e2e_write_file(d->conf, text);
}

char *e2e_mudlib_read(e2e_driver_t *d, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s%s", d->mudlib, rel);
    return e2e_read_whole_file(path);
}

void e2e_mudlib_write(e2e_driver_t *d, const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s%s", d->mudlib, rel);
    e2e_write_file(path, text);
}

void e2e_assert_contains(const char *text, const char *needle)
{
    ck_assert_msg(text != NULL && strstr(text, needle) != NULL,
                  "\"%s\" not in \"%s\"", needle, text != NULL ? text : "(null)");
}

void e2e_type_password(e2e_client_t *c, const char *password, int timeout_ms)
{
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    while (c->will_echo_count <= c->passwords_typed || !c->will_echo) {
        ssize_t r = c->eof || c->error ? 0 : e2e_client_read_some_until(c, deadline);
        if (r <= 0) {
            char *got = e2e_printable(c->data, c->len);
            ck_abort_msg("%s: no IAC WILL ECHO before password %d (%d WILL, %d WONT): %s; "
                         "got \"%s\"", c->who, c->passwords_typed + 1, c->will_echo_count,
                         c->wont_echo_count, r < 0 ? "timed out" : "connection ended", got);
        }
    }
    c->passwords_typed++;
    e2e_client_send_line(c, password);
}

e2e_client_t *e2e_create_character(e2e_driver_t *d, const char *name, const char *password,
                                   int timeout_ms, char **welcome)
{
    e2e_client_t *c = e2e_client_connect_player(d, name);
    e2e_client_wait_for(c, E2E_NAME_PROMPT);
    e2e_client_send_line(c, name);
    char expect[128];
    snprintf(expect, sizeof(expect), "Creating the new character '%c%s'.\r\n"
             "Choose a password (at least 6 characters): ",
             name[0] - 'a' + 'A', name + 1);
    e2e_client_wait_for(c, expect);
    e2e_type_password(c, password, timeout_ms);
    e2e_client_wait_for(c, "Type it again: ");
    e2e_type_password(c, password, timeout_ms);
    char *text = e2e_client_read_until_ms(c, "Welcome!  Type 'help' for the commands.\r\n> ",
                                          timeout_ms);
    e2e_assert_contains(text, E2E_SQUARE);
    ck_assert_msg(strstr(c->seen, password) == NULL, "%s: the password was echoed", name);
    if (welcome != NULL)
        *welcome = text;
    else
        free(text);
    return c;
}
