/*
 * check_config.c - the driver's start-up plumbing: the config file
 * (src/config.c), the command line (src/options.c) and the log
 * (src/log.c).
 *
 * Config tests write their files under a fresh mkdtemp() folder and
 * remove it afterwards.  Every error path is checked with its exact
 * message, "FILE:LINE: what is wrong", because that line is all an
 * operator gets when the driver refuses to start.
 *
 * Links only config.o, options.o and log.o from libdriver.a: nothing
 * here needs the backend or comm.
 */
#include "config.h"             /* autoconf's (testsuite/ has no config.h) */
#include "src/config.h"
#include "src/driver.h"
#include "src/log.h"
#include "port/port_thread.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ fixture */

static char tmp_dir[PATH_MAX];      /* as mkdtemp made it */
static char tmp_real[PATH_MAX];     /* its real path (/tmp may be a link) */
static char saved_cwd[PATH_MAX];

/* a + "/" + b into buf; the test fails rather than truncate. */
static void join_into(char *buf, size_t size, const char *a, const char *b)
{
    int n = snprintf(buf, size, "%s/%s", a, b);
    ck_assert(n > 0 && (size_t)n < size);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    join_into(tmp_dir, sizeof tmp_dir, base, "neolith-check-config-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    ck_assert_ptr_nonnull(realpath(tmp_dir, tmp_real));
    ck_assert_ptr_nonnull(getcwd(saved_cwd, sizeof saved_cwd));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    ck_assert_int_eq(chdir(saved_cwd), 0);
    nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmp_dir + "/" + rel, in a static rotating buffer (enough for one
 * assertion's worth of paths). */
static const char *tmp_path(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    join_into(b, PATH_MAX, tmp_dir, rel);
    return b;
}

/* The same under the real path of tmp_dir ("" = tmp_dir itself). */
static const char *real_path(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    if (rel[0] == '\0')
        strcpy(b, tmp_real);
    else
        join_into(b, PATH_MAX, tmp_real, rel);
    return b;
}

static void make_dir(const char *rel)
{
    ck_assert_int_eq(mkdir(tmp_path(rel), 0755), 0);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes `text` to tmp_dir/rel and returns the full path. */
static const char *write_conf(const char *rel, const char *text)
{
    const char *path = tmp_path(rel);
    write_bytes(path, text, strlen(text));
    return path;
}

static bool cfg_is_zeroed(const driver_config_t *cfg)
{
    static const driver_config_t zero;
    return memcmp(cfg, &zero, sizeof zero) == 0;
}

/* Loads `text` as tmp_dir/neolith.conf, expects it to be refused with
 * exactly "<path>:<message>" (message built from fmt), and checks the
 * contract on failure: cfg zeroed, config_free safe. */
static void expect_error(const char *text, const char *fmt, ...)
{
    const char *path = write_conf("neolith.conf", text);
    char message[1024], expected[2048], err[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(expected, sizeof expected, "%s:%s", path, message);

    driver_config_t cfg;
    memset(&cfg, 0xAB, sizeof cfg);     /* output only: garbage is fine */
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    ck_assert_str_eq(err, expected);
    ck_assert(cfg_is_zeroed(&cfg));
    config_free(&cfg);
    config_free(&cfg);
}

/* Loads `text` as tmp_dir/neolith.conf and expects success. */
static void load_ok(const char *text, driver_config_t *cfg)
{
    const char *path = write_conf("neolith.conf", text);
    char err[1024] = "";
    int r = config_load(path, cfg, err, sizeof err);
    ck_assert_msg(r == 0, "config_load failed: %s", err);
    ck_assert_str_eq(err, "");
}

/* ------------------------------------------------------------ defaults */

START_TEST(test_defaults_are_the_documented_values)
{
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, tmp_dir), 0);
    ck_assert_ptr_null(cfg.config_path);
    ck_assert_str_eq(cfg.config_dir, tmp_dir);
    ck_assert_str_eq(cfg.mudlib_dir, tmp_dir);
    ck_assert_str_eq(cfg.log_dir, tmp_path("log"));
    ck_assert_int_eq(cfg.port, 4000);
    ck_assert_ptr_null(cfg.bind_address);
    ck_assert_str_eq(cfg.master_file, "/secure/master.c");
    ck_assert_str_eq(cfg.simul_efun_file, "/secure/simul_efun.c");
    ck_assert_int_eq(cfg.heartbeat_ms, 2000);
    ck_assert_int_eq(cfg.max_connections, 1000);
    ck_assert_uint_eq(cfg.max_input_line, 4096);
    ck_assert_uint_eq(cfg.max_output_buffer, 1024 * 1024);
    config_free(&cfg);
    ck_assert(cfg_is_zeroed(&cfg));
    config_free(&cfg);                  /* twice is safe */
}
END_TEST

START_TEST(test_defaults_without_base_dir_use_current_directory)
{
    ck_assert_int_eq(chdir(tmp_dir), 0);
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, NULL), 0);
    ck_assert_str_eq(cfg.config_dir, real_path(""));
    ck_assert_str_eq(cfg.mudlib_dir, real_path(""));
    ck_assert_str_eq(cfg.log_dir, real_path("log"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_defaults_with_relative_base_dir_are_made_absolute)
{
    make_dir("game");
    ck_assert_int_eq(chdir(tmp_dir), 0);
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, "./game/"), 0);
    ck_assert_str_eq(cfg.config_dir, real_path("game"));
    ck_assert_str_eq(cfg.log_dir, real_path("game/log"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_empty_file_gives_defaults_relative_to_its_folder)
{
    driver_config_t cfg;
    load_ok("", &cfg);
    ck_assert_str_eq(cfg.config_path, real_path("neolith.conf"));
    ck_assert_str_eq(cfg.config_dir, real_path(""));
    ck_assert_str_eq(cfg.mudlib_dir, real_path(""));
    ck_assert_str_eq(cfg.log_dir, real_path("log"));
    ck_assert_int_eq(cfg.port, 4000);
    ck_assert_ptr_null(cfg.bind_address);
    ck_assert_int_eq(cfg.heartbeat_ms, 2000);
    ck_assert_uint_eq(cfg.max_output_buffer, 1024 * 1024);
    config_free(&cfg);
}
END_TEST

START_TEST(test_comments_and_blank_lines_only_give_defaults)
{
    driver_config_t cfg;
    load_ok("# a comment\n\n   \t\n   # indented comment: port: 1\n#port: 2\n",
            &cfg);
    ck_assert_int_eq(cfg.port, 4000);
    config_free(&cfg);
}
END_TEST

START_TEST(test_every_key_is_read)
{
    make_dir("lib");
    driver_config_t cfg;
    load_ok("mudlib directory: lib\n"
            "port: 5555\n"
            "bind address: 127.0.0.1\n"
            "log directory: logs\n"
            "master file: /obj/master.c\n"
            "simul_efun file: /obj/sefun.c\n"
            "heartbeat interval: 500\n"
            "max connections: 20\n"
            "max input line length: 100\n"
            "max output buffered: 65536\n", &cfg);
    ck_assert_str_eq(cfg.mudlib_dir, real_path("lib"));
    ck_assert_int_eq(cfg.port, 5555);
    ck_assert_str_eq(cfg.bind_address, "127.0.0.1");
    ck_assert_str_eq(cfg.log_dir, real_path("logs"));
    ck_assert_str_eq(cfg.master_file, "/obj/master.c");
    ck_assert_str_eq(cfg.simul_efun_file, "/obj/sefun.c");
    ck_assert_int_eq(cfg.heartbeat_ms, 500);
    ck_assert_int_eq(cfg.max_connections, 20);
    ck_assert_uint_eq(cfg.max_input_line, 100);
    ck_assert_uint_eq(cfg.max_output_buffer, 65536);
    config_free(&cfg);
}
END_TEST

START_TEST(test_shipped_example_config_states_the_defaults)
{
    /* mudlib/neolith.conf documents every key with its default: loading
     * it must give exactly what loading an empty file there gives. */
    const char *srcdir = getenv("srcdir");
    char shipped[PATH_MAX], folder[PATH_MAX], err[1024];
    snprintf(shipped, sizeof shipped, "%s/mudlib/neolith.conf",
             srcdir != NULL ? srcdir : ".");
    ck_assert_ptr_nonnull(realpath(shipped, folder));
    *strrchr(folder, '/') = '\0';

    driver_config_t cfg, def;
    int r = config_load(shipped, &cfg, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_int_eq(config_set_defaults(&def, folder), 0);
    ck_assert_str_eq(cfg.mudlib_dir, def.mudlib_dir);
    ck_assert_str_eq(cfg.log_dir, def.log_dir);
    ck_assert_int_eq(cfg.port, def.port);
    ck_assert_ptr_null(cfg.bind_address);
    ck_assert_str_eq(cfg.master_file, def.master_file);
    ck_assert_str_eq(cfg.simul_efun_file, def.simul_efun_file);
    ck_assert_int_eq(cfg.heartbeat_ms, def.heartbeat_ms);
    ck_assert_int_eq(cfg.max_connections, def.max_connections);
    ck_assert_uint_eq(cfg.max_input_line, def.max_input_line);
    ck_assert_uint_eq(cfg.max_output_buffer, def.max_output_buffer);
    config_free(&cfg);
    config_free(&def);
}
END_TEST

/* ------------------------------------------------------------ paths */

START_TEST(test_relative_paths_resolve_against_config_folder_not_cwd)
{
    make_dir("game");
    make_dir("game/lib");
    make_dir("elsewhere");
    write_conf("game/neolith.conf",
               "mudlib directory: lib\nlog directory: ../logs/driver\n");
    ck_assert_int_eq(chdir(tmp_path("elsewhere")), 0);

    driver_config_t cfg;
    char err[1024];
    int r = config_load("../game/neolith.conf", &cfg, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_str_eq(cfg.config_path, real_path("game/neolith.conf"));
    ck_assert_str_eq(cfg.config_dir, real_path("game"));
    ck_assert_str_eq(cfg.mudlib_dir, real_path("game/lib"));
    ck_assert_str_eq(cfg.log_dir, real_path("logs/driver"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_defaults_resolve_against_config_folder_from_another_cwd)
{
    make_dir("game");
    make_dir("elsewhere");
    write_conf("game/neolith.conf", "port: 4001\n");
    ck_assert_int_eq(chdir(tmp_path("elsewhere")), 0);

    driver_config_t cfg;
    char err[1024];
    ck_assert_int_eq(config_load("../game/neolith.conf", &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.mudlib_dir, real_path("game"));
    ck_assert_str_eq(cfg.log_dir, real_path("game/log"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_config_file_named_without_a_folder_is_in_cwd)
{
    write_conf("neolith.conf", "mudlib directory: .\n");
    ck_assert_int_eq(chdir(tmp_dir), 0);
    driver_config_t cfg;
    char err[1024];
    ck_assert_int_eq(config_load("neolith.conf", &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.config_path, real_path("neolith.conf"));
    ck_assert_str_eq(cfg.mudlib_dir, real_path(""));
    config_free(&cfg);
}
END_TEST

START_TEST(test_absolute_paths_are_kept_and_cleaned)
{
    make_dir("abs");
    char text[PATH_MAX * 3];
    snprintf(text, sizeof text,
             "mudlib directory: %s/abs/\nlog directory: %s//abs/./x/../logs/\n",
             tmp_real, tmp_real);
    driver_config_t cfg;
    load_ok(text, &cfg);
    ck_assert_str_eq(cfg.mudlib_dir, real_path("abs"));
    ck_assert_str_eq(cfg.log_dir, real_path("abs/logs"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_mudlib_files_are_stored_with_a_leading_slash)
{
    driver_config_t cfg;
    load_ok("master file: secure/master.c\nsimul_efun file: /sefun.c\n", &cfg);
    ck_assert_str_eq(cfg.master_file, "/secure/master.c");
    ck_assert_str_eq(cfg.simul_efun_file, "/sefun.c");
    config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------ syntax */

START_TEST(test_trailing_comments_and_whitespace_are_ignored)
{
    driver_config_t cfg;
    load_ok("  port:\t 4001   # the telnet port\t \n"
            "heartbeat interval:1000#no spaces\n"
            "\tmax connections : 7 \t\n", &cfg);
    ck_assert_int_eq(cfg.port, 4001);
    ck_assert_int_eq(cfg.heartbeat_ms, 1000);
    ck_assert_int_eq(cfg.max_connections, 7);
    config_free(&cfg);
}
END_TEST

START_TEST(test_crlf_line_endings_are_accepted)
{
    driver_config_t cfg;
    load_ok("# written on Windows\r\nport: 4002\r\n\r\nmax input line length: 2K\r\n",
            &cfg);
    ck_assert_int_eq(cfg.port, 4002);
    ck_assert_uint_eq(cfg.max_input_line, 2048);
    config_free(&cfg);
}
END_TEST

START_TEST(test_utf8_byte_order_mark_is_skipped)
{
    driver_config_t cfg;
    load_ok("\xEF\xBB\xBFport: 4003\n", &cfg);
    ck_assert_int_eq(cfg.port, 4003);
    config_free(&cfg);
}
END_TEST

START_TEST(test_last_line_without_newline_is_read)
{
    driver_config_t cfg;
    load_ok("port: 1\nmax connections: 9", &cfg);
    ck_assert_int_eq(cfg.max_connections, 9);
    config_free(&cfg);
}
END_TEST

START_TEST(test_runs_of_blanks_inside_a_key_count_as_one_space)
{
    driver_config_t cfg;
    load_ok("max \t  connections: 3\n", &cfg);
    ck_assert_int_eq(cfg.max_connections, 3);
    config_free(&cfg);
}
END_TEST

START_TEST(test_port_bounds_zero_and_65535_are_accepted)
{
    driver_config_t cfg;
    load_ok("port: 0\n", &cfg);
    ck_assert_int_eq(cfg.port, 0);
    config_free(&cfg);
    load_ok("port: 65535\n", &cfg);
    ck_assert_int_eq(cfg.port, 65535);
    config_free(&cfg);
}
END_TEST

static const struct {
    const char *text;
    size_t value;
} size_cases[] = {
    { "4096", 4096 },
    { "4096B", 4096 },
    { "4K", 4096 },
    { "4k", 4096 },
    { "4 K", 4096 },
    { "4KB", 4096 },
    { "4KiB", 4096 },
    { "2M", 2 * 1024 * 1024 },
    { "2MiB", 2 * 1024 * 1024 },
    { "16M", 16 * 1024 * 1024 },
    { "16", 16 },
};

START_TEST(test_sizes_accept_binary_suffixes)
{
    char text[128];
    snprintf(text, sizeof text, "max input line length: %s\n", size_cases[_i].text);
    driver_config_t cfg;
    load_ok(text, &cfg);
    ck_assert_uint_eq(cfg.max_input_line, size_cases[_i].value);
    config_free(&cfg);
}
END_TEST

START_TEST(test_output_cap_accepts_gigabyte_suffix_up_to_1g)
{
    driver_config_t cfg;
    load_ok("max output buffered: 1G\n", &cfg);
    ck_assert_uint_eq(cfg.max_output_buffer, (size_t)1 << 30);
    config_free(&cfg);
    load_ok("max output buffered: 1K\n", &cfg);
    ck_assert_uint_eq(cfg.max_output_buffer, 1024);
    config_free(&cfg);
}
END_TEST

START_TEST(test_bind_address_accepts_ipv4_ipv6_and_star)
{
    driver_config_t cfg;
    load_ok("bind address: ::1\n", &cfg);
    ck_assert_str_eq(cfg.bind_address, "::1");
    config_free(&cfg);
    load_ok("bind address: 0.0.0.0\n", &cfg);
    ck_assert_str_eq(cfg.bind_address, "0.0.0.0");
    config_free(&cfg);
    load_ok("bind address: *\n", &cfg);
    ck_assert_ptr_null(cfg.bind_address);
    config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(test_missing_file_is_reported_with_strerror)
{
    const char *path = tmp_path("nope.conf");
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: cannot read: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err, expected);
    ck_assert(cfg_is_zeroed(&cfg));
    config_free(&cfg);
}
END_TEST

START_TEST(test_missing_file_in_missing_folder_is_reported)
{
    const char *path = tmp_path("no/such/dir/neolith.conf");
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: cannot read: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_directory_given_as_config_file_is_refused)
{
    make_dir("a.conf");
    const char *path = tmp_path("a.conf");
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: cannot read: %s", path, strerror(EISDIR));
    ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_unreadable_file_is_reported_with_strerror)
{
    if (geteuid() == 0)
        return;     /* root reads anything: nothing to prove here */
    const char *path = write_conf("neolith.conf", "port: 1\n");
    ck_assert_int_eq(chmod(path, 0), 0);
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: cannot read: %s", path, strerror(EACCES));
    ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_oversized_file_is_refused)
{
    size_t len = 1024 * 1024 + 100;
    char *big = malloc(len);
    ck_assert_ptr_nonnull(big);
    memset(big, '#', len);
    const char *path = tmp_path("neolith.conf");
    write_bytes(path, big, len);
    free(big);
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected,
             "%s: too large for a config file (over 1024 KiB)", path);
    ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_unknown_key_is_reported_with_its_line)
{
    expect_error("# comment\n\nport: 4000\ncolour: blue\n",
                 "4: unknown key 'colour'");
}
END_TEST

START_TEST(test_misspelt_key_gets_a_suggestion)
{
    expect_error("prot: 4000\n", "1: unknown key 'prot' (did you mean 'port'?)");
}
END_TEST

START_TEST(test_keys_are_case_sensitive)
{
    expect_error("Port: 4000\n", "1: unknown key 'Port' (did you mean 'port'?)");
}
END_TEST

START_TEST(test_line_without_colon_is_reported)
{
    expect_error("port: 1\nport 4000   # forgot the colon\n",
                 "2: missing ':' in 'port 4000': expected 'key: value'");
}
END_TEST

START_TEST(test_colon_without_key_is_reported)
{
    expect_error("  : 4000\n", "1: missing key before ':'");
}
END_TEST

START_TEST(test_duplicate_key_names_both_lines)
{
    expect_error("port: 4000\n# again\nmax connections: 3\nport: 4001\n",
                 "4: duplicate key 'port' (already set on line 1)");
}
END_TEST

START_TEST(test_duplicate_key_is_found_through_blank_variations)
{
    expect_error("max connections: 3\nmax  connections: 4\n",
                 "2: duplicate key 'max connections' (already set on line 1)");
}
END_TEST

START_TEST(test_empty_value_is_reported_with_what_was_expected)
{
    expect_error("port:\n",
                 "1: empty value for 'port': expected an integer 0-65535 "
                 "(0 = no listener)");
}
END_TEST

START_TEST(test_value_that_is_only_a_comment_is_empty)
{
    expect_error("\n\nmudlib directory:   # to be decided\n",
                 "3: empty value for 'mudlib directory': expected an existing "
                 "directory (relative to the config file's folder)");
}
END_TEST

START_TEST(test_non_numeric_port_is_a_bad_value)
{
    expect_error("port: abc\n",
                 "1: bad value 'abc' for 'port': expected an integer 0-65535 "
                 "(0 = no listener)");
}
END_TEST

static const char *const bad_port_values[] = {
    "4000x", "40 00", "0x10", "4K", "+4000", "4000.0", "-", "--1",
};

START_TEST(test_malformed_numbers_are_bad_values)
{
    char text[64];
    snprintf(text, sizeof text, "port: %s\n", bad_port_values[_i]);
    expect_error(text, "1: bad value '%s' for 'port': expected an integer "
                 "0-65535 (0 = no listener)", bad_port_values[_i]);
}
END_TEST

static const char *const out_of_range_ports[] = {
    "65536", "-1", "99999999999999999999999999",
};

START_TEST(test_port_out_of_range_is_reported)
{
    char text[64];
    snprintf(text, sizeof text, "port: %s\n", out_of_range_ports[_i]);
    expect_error(text, "1: value '%s' for 'port' is out of range: expected "
                 "an integer 0-65535 (0 = no listener)", out_of_range_ports[_i]);
}
END_TEST

START_TEST(test_reset_interval_is_read_and_defaults_to_an_hour)
{
    driver_config_t cfg;
    load_ok("", &cfg);
    ck_assert_int_eq(cfg.reset_interval, 3600);
    config_free(&cfg);
    load_ok("reset interval: 0\n", &cfg);
    ck_assert_int_eq(cfg.reset_interval, 0);
    config_free(&cfg);
    load_ok("reset interval: 90\n", &cfg);
    ck_assert_int_eq(cfg.reset_interval, 90);
    config_free(&cfg);
}
END_TEST

START_TEST(test_reset_interval_out_of_range_is_reported)
{
    expect_error("reset interval: -1\n",
                 "1: value '-1' for 'reset interval' is out of range: "
                 "expected an integer number of seconds 0-31536000 (0 = never)");
}
END_TEST

START_TEST(test_heartbeat_out_of_range_is_reported)
{
    expect_error("heartbeat interval: 0\n",
                 "1: value '0' for 'heartbeat interval' is out of range: "
                 "expected an integer number of milliseconds 1-3600000");
    expect_error("heartbeat interval: 3600001\n",
                 "1: value '3600001' for 'heartbeat interval' is out of range: "
                 "expected an integer number of milliseconds 1-3600000");
}
END_TEST

START_TEST(test_heartbeat_with_unit_is_a_bad_value)
{
    expect_error("heartbeat interval: 2s\n",
                 "1: bad value '2s' for 'heartbeat interval': expected an "
                 "integer number of milliseconds 1-3600000");
}
END_TEST

START_TEST(test_max_connections_out_of_range_is_reported)
{
    expect_error("max connections: 0\n",
                 "1: value '0' for 'max connections' is out of range: "
                 "expected an integer 1-1000000");
}
END_TEST

START_TEST(test_size_below_minimum_is_out_of_range)
{
    expect_error("max input line length: 15\n",
                 "1: value '15' for 'max input line length' is out of range: "
                 "expected a size in bytes 16-16M (suffix K or M allowed)");
}
END_TEST

START_TEST(test_size_above_maximum_is_out_of_range)
{
    expect_error("max input line length: 17M\n",
                 "1: value '17M' for 'max input line length' is out of range: "
                 "expected a size in bytes 16-16M (suffix K or M allowed)");
    expect_error("max output buffered: 2G\n",
                 "1: value '2G' for 'max output buffered' is out of range: "
                 "expected a size in bytes 1K-1G (suffix K, M or G allowed)");
}
END_TEST

START_TEST(test_huge_size_with_suffix_does_not_wrap)
{
    expect_error("max output buffered: 99999999999999999999G\n",
                 "1: value '99999999999999999999G' for 'max output buffered' "
                 "is out of range: expected a size in bytes 1K-1G "
                 "(suffix K, M or G allowed)");
}
END_TEST

START_TEST(test_negative_size_is_out_of_range)
{
    expect_error("max output buffered: -1K\n",
                 "1: value '-1K' for 'max output buffered' is out of range: "
                 "expected a size in bytes 1K-1G (suffix K, M or G allowed)");
}
END_TEST

static const char *const bad_sizes[] = { "1.5K", "4X", "K", "4KK", "4 K B", "4Ki" };

START_TEST(test_malformed_sizes_are_bad_values)
{
    char text[64];
    snprintf(text, sizeof text, "max input line length: %s\n", bad_sizes[_i]);
    expect_error(text, "1: bad value '%s' for 'max input line length': "
                 "expected a size in bytes 16-16M (suffix K or M allowed)",
                 bad_sizes[_i]);
}
END_TEST

START_TEST(test_missing_mudlib_directory_is_reported_with_full_path)
{
    expect_error("port: 1\nmudlib directory: nowhere\n",
                 "2: mudlib directory 'nowhere' (%s) does not exist",
                 real_path("nowhere"));
}
END_TEST

START_TEST(test_mudlib_directory_that_is_a_file_is_reported)
{
    write_conf("plain", "x");
    expect_error("mudlib directory: plain\n",
                 "1: mudlib directory 'plain' (%s) is not a directory",
                 real_path("plain"));
}
END_TEST

START_TEST(test_log_directory_that_is_a_file_is_reported)
{
    write_conf("plain", "x");
    expect_error("log directory: plain\n",
                 "1: log directory 'plain' (%s) is not a directory",
                 real_path("plain"));
}
END_TEST

START_TEST(test_missing_log_directory_is_accepted)
{
    driver_config_t cfg;
    load_ok("log directory: not/yet/there\n", &cfg);
    ck_assert_str_eq(cfg.log_dir, real_path("not/yet/there"));
    config_free(&cfg);
}
END_TEST

START_TEST(test_console_history_is_a_file_relative_to_the_config_folder)
{
    driver_config_t cfg;
    load_ok("\n", &cfg);
    ck_assert_ptr_null(cfg.console_history);     /* default: in the log dir */
    config_free(&cfg);
    load_ok("console history: state/history\n", &cfg);
    ck_assert_str_eq(cfg.console_history, real_path("state/history"));
    config_free(&cfg);
    make_dir("histdir");
    expect_error("console history: histdir\n",
                 "1: console history 'histdir' (%s) is a directory; expected "
                 "a file (relative to the config file's folder)",
                 real_path("histdir"));
}
END_TEST

START_TEST(test_mudlib_file_leaving_the_mudlib_is_refused)
{
    expect_error("master file: /secure/../../etc/passwd\n",
                 "1: bad value '/secure/../../etc/passwd' for 'master file': "
                 "'..' would leave the mudlib; expected a file inside the "
                 "mudlib, such as /secure/master.c");
}
END_TEST

START_TEST(test_bad_bind_address_is_reported)
{
    expect_error("bind address: 1.2.3.256\n",
                 "1: bad value '1.2.3.256' for 'bind address': expected a "
                 "numeric IPv4 or IPv6 address, or '*' for all interfaces");
    expect_error("bind address: localhost\n",
                 "1: bad value 'localhost' for 'bind address': expected a "
                 "numeric IPv4 or IPv6 address, or '*' for all interfaces");
}
END_TEST

START_TEST(test_nul_byte_is_reported_with_its_line)
{
    const char *path = tmp_path("neolith.conf");
    static const char text[] = "port: 1\nmax connections: 2\0\n";
    write_bytes(path, text, sizeof text - 1);
    char err[1024], expected[PATH_MAX + 64];
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected,
             "%s:2: line contains a NUL byte: is this a text file?", path);
    ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_error_line_numbers_count_crlf_and_comment_lines)
{
    expect_error("# one\r\n\r\n# three\r\nport: 1\r\nbogus: 5\r\n",
                 "5: unknown key 'bogus'");
}
END_TEST

START_TEST(test_first_error_wins)
{
    expect_error("port: x\nbogus: 1\n",
                 "1: bad value 'x' for 'port': expected an integer 0-65535 "
                 "(0 = no listener)");
}
END_TEST

START_TEST(test_small_error_buffer_is_truncated_not_overrun)
{
    const char *path = write_conf("neolith.conf", "colour: blue\n");
    char err[16];
    memset(err, 'x', sizeof err);
    driver_config_t cfg;
    ck_assert_int_eq(config_load(path, &cfg, err, 8), -1);
    ck_assert_uint_eq(strlen(err), 7);
    ck_assert_int_eq(err[8], 'x');
    /* No buffer at all is allowed too. */
    ck_assert_int_eq(config_load(path, &cfg, NULL, 0), -1);
}
END_TEST

START_TEST(test_error_message_names_the_file_as_given)
{
    make_dir("game");
    write_conf("game/neolith.conf", "prot: 1\n");
    ck_assert_int_eq(chdir(tmp_dir), 0);
    char err[1024];
    driver_config_t cfg;
    ck_assert_int_eq(config_load("game/neolith.conf", &cfg, err, sizeof err), -1);
    ck_assert_str_eq(err, "game/neolith.conf:1: unknown key 'prot' "
                     "(did you mean 'port'?)");
}
END_TEST

/* ------------------------------------------------------------ options */

typedef struct captured {
    int  status;
    char out[4096];
    char err[4096];
} captured_t;

static void read_back(int fd, char *buf, size_t size)
{
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ssize_t n = read(fd, buf, size - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
}

/* Runs driver_parse_options on a NULL-terminated argument list with
 * stdout and stderr captured. */
static captured_t parse_args(driver_options_t *opts, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, opts);
    argv[argc++] = (char *)"neolith";
    for (char *a; (a = va_arg(ap, char *)) != NULL; )
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    captured_t c;
    char out_path[PATH_MAX], err_path[PATH_MAX];
    join_into(out_path, sizeof out_path, tmp_dir, "stdout");
    join_into(err_path, sizeof err_path, tmp_dir, "stderr");
    int out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(out_fd, 0);
    ck_assert_int_ge(err_fd, 0);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    c.status = driver_parse_options(argc, argv, opts);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    read_back(out_fd, c.out, sizeof c.out);
    read_back(err_fd, c.err, sizeof c.err);
    close(out_fd);
    close(err_fd);
    return c;
}

START_TEST(test_no_options_gives_defaults)
{
    driver_options_t o;
    memset(&o, 0xAB, sizeof o);
    captured_t c = parse_args(&o, NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert_ptr_null(o.config_file);
    ck_assert_int_eq(o.port_override, -1);
    ck_assert(!o.console);
    ck_assert(!o.mcp);
    ck_assert_str_eq(c.out, "");
    ck_assert_str_eq(c.err, "");
}
END_TEST

START_TEST(test_every_option_is_read)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-f", "x.conf", "-p", "4001", "-c", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert_str_eq(o.config_file, "x.conf");
    ck_assert_int_eq(o.port_override, 4001);
    ck_assert(o.console);
    ck_assert(!o.mcp);

    c = parse_args(&o, "--console", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert(o.console);

    c = parse_args(&o, "--mcp", "-f", "/abs/n.conf", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert(o.mcp);
    ck_assert_str_eq(o.config_file, "/abs/n.conf");
    ck_assert_str_eq(c.err, "");
}
END_TEST

START_TEST(test_attached_option_values_are_accepted)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-fgame.conf", "-p0", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert_str_eq(o.config_file, "game.conf");
    ck_assert_int_eq(o.port_override, 0);
}
END_TEST

START_TEST(test_port_option_bounds_are_0_and_65535)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-p", "0", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert_int_eq(o.port_override, 0);
    c = parse_args(&o, "-p", "65535", NULL);
    ck_assert_int_eq(c.status, 0);
    ck_assert_int_eq(o.port_override, 65535);
}
END_TEST

static const char *const bad_port_options[] = {
    "65536", "-1", "abc", "4000x", "+1", "123456", "99999999999",
};

START_TEST(test_bad_port_option_exits_2_naming_the_value)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-p", bad_port_options[_i], NULL);
    char expected[256];
    snprintf(expected, sizeof expected, "neolith: bad value '%s' for -p: "
             "expected a port number 0-65535\n", bad_port_options[_i]);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, expected);
    ck_assert_str_eq(c.out, "");
}
END_TEST

START_TEST(test_port_option_without_value_exits_2)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-p", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -p needs a port number\n");
    c = parse_args(&o, "-p", "", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -p needs a port number\n");
}
END_TEST

START_TEST(test_file_option_without_value_exits_2)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-f", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -f needs a file name\n");
    c = parse_args(&o, "-f", "", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -f needs a file name\n");
}
END_TEST

START_TEST(test_repeated_option_exits_2)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "-f", "a", "-f", "b", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -f given twice\n");
    c = parse_args(&o, "-p", "1", "-p2", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: option -p given twice\n");
}
END_TEST

START_TEST(test_unknown_option_exits_2_naming_it)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "--bogus", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: unknown option '--bogus' (try 'neolith --help')\n");
    c = parse_args(&o, "-c", "-x", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: unknown option '-x' (try 'neolith --help')\n");
    c = parse_args(&o, "--port=4000", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: unknown option '--port=4000' (try 'neolith --help')\n");
}
END_TEST

START_TEST(test_stray_argument_exits_2)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "neolith.conf", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: unexpected argument 'neolith.conf' (the "
                     "driver takes options only; try 'neolith --help')\n");
    c = parse_args(&o, "--", "x", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: unexpected argument 'x' (the "
                     "driver takes options only; try 'neolith --help')\n");
    c = parse_args(&o, "-c", "--", NULL);
    ck_assert_int_eq(c.status, 0);
}
END_TEST

START_TEST(test_console_and_mcp_together_exit_2)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "--mcp", "-c", NULL);
    ck_assert_int_eq(c.status, 2);
    ck_assert_str_eq(c.err, "neolith: -c/--console cannot be combined with --mcp\n");
}
END_TEST

START_TEST(test_help_prints_usage_to_stdout_and_returns_1)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "--help", NULL);
    ck_assert_int_eq(c.status, 1);
    ck_assert_str_eq(c.out, driver_usage());
    ck_assert_ptr_nonnull(strstr(c.out, "Usage: neolith"));
    ck_assert_ptr_nonnull(strstr(c.out, "-f FILE"));
    ck_assert_ptr_nonnull(strstr(c.out, "--mcp"));
    ck_assert_str_eq(c.err, "");
    c = parse_args(&o, "-h", NULL);
    ck_assert_int_eq(c.status, 1);
    ck_assert_str_eq(c.out, driver_usage());
}
END_TEST

START_TEST(test_version_prints_package_version_and_returns_1)
{
    driver_options_t o;
    captured_t c = parse_args(&o, "--version", NULL);
    ck_assert_int_eq(c.status, 1);
    ck_assert_str_eq(c.out, "neolith " PACKAGE_VERSION "\n");
    ck_assert_str_eq(c.err, "");
}
END_TEST

/* ------------------------------------------------------------ log */

/* "2026-11-30 12:00:00.123 [info] message" */
#define LOG_LINE_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} " \
                    "\\[(debug|info|warn|error)\\] "

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - 1 - len, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Checks every line of `text` has the timestamp + level prefix. */
static void assert_all_lines_well_formed(char *text)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, LOG_LINE_RE, REG_EXTENDED | REG_NOSUB), 0);
    for (char *line = text, *nl; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        ck_assert_msg(nl != NULL, "last line has no newline: '%s'", line);
        *nl = '\0';
        ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad line '%s'", line);
        *nl = '\n';
    }
    regfree(&re);
}

/* Redirects fd (1 or 2) into tmp_dir/name until capture_end. */
static int capture_begin(int fd, const char *name)
{
    int file = open(tmp_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(file, 0);
    int saved = dup(fd);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(file, fd), 0);
    close(file);
    return saved;
}

static void capture_end(int fd, int saved)
{
    ck_assert_int_ge(dup2(saved, fd), 0);
    close(saved);
}

START_TEST(test_log_open_creates_missing_folders_and_writes_lines)
{
    const char *dir = tmp_path("a/b/logs");
    int saved = capture_begin(STDERR_FILENO, "stderr");
    ck_assert_int_eq(log_open(dir, "neolith.log", LOG_LEVEL_INFO), 0);
    log_info("listening on port %d", 4000);
    log_warn("second");
    log_close();
    capture_end(STDERR_FILENO, saved);

    char *text = slurp(tmp_path("a/b/logs/neolith.log"));
    ck_assert_uint_eq(count_lines(text), 2);
    ck_assert_ptr_nonnull(strstr(text, " [info] listening on port 4000\n"));
    ck_assert_ptr_nonnull(strstr(text, " [warn] second\n"));
    assert_all_lines_well_formed(text);
    /* stderr got the same lines. */
    char *err = slurp(tmp_path("stderr"));
    ck_assert_str_eq(err, text);
    free(err);
    free(text);
}
END_TEST

START_TEST(test_log_appends_to_an_existing_file)
{
    write_conf("old.log", "earlier line\n");
    ck_assert_int_eq(log_open(tmp_dir, "old.log", LOG_LEVEL_ERROR + 1), 0);
    log_error("later line");
    log_close();
    char *text = slurp(tmp_path("old.log"));
    ck_assert(strncmp(text, "earlier line\n", 13) == 0);
    ck_assert_ptr_nonnull(strstr(text + 13, "[error] later line\n"));
    free(text);
}
END_TEST

START_TEST(test_log_levels_filter_file_and_stderr_separately)
{
    int saved = capture_begin(STDERR_FILENO, "stderr");
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_WARN), 0);
    log_debug("d1");                /* file default INFO: nowhere */
    log_info("i1");                 /* file only */
    log_warn("w1");                 /* both */
    log_set_file_level(LOG_LEVEL_DEBUG);
    log_debug("d2");                /* file only */
    log_set_file_level(LOG_LEVEL_ERROR);
    log_warn("w2");                 /* stderr only */
    log_error("e1");                /* both */
    log_close();
    log_set_file_level(LOG_LEVEL_INFO);
    capture_end(STDERR_FILENO, saved);

    char *file = slurp(tmp_path("n.log"));
    char *err = slurp(tmp_path("stderr"));
    ck_assert_ptr_null(strstr(file, "d1"));
    ck_assert_ptr_nonnull(strstr(file, "[info] i1\n"));
    ck_assert_ptr_nonnull(strstr(file, "[warn] w1\n"));
    ck_assert_ptr_nonnull(strstr(file, "[debug] d2\n"));
    ck_assert_ptr_null(strstr(file, "w2"));
    ck_assert_ptr_nonnull(strstr(file, "[error] e1\n"));
    ck_assert_uint_eq(count_lines(file), 4);

    ck_assert_ptr_null(strstr(err, "i1"));
    ck_assert_ptr_null(strstr(err, "d2"));
    ck_assert_ptr_nonnull(strstr(err, "[warn] w1\n"));
    ck_assert_ptr_nonnull(strstr(err, "[warn] w2\n"));
    ck_assert_ptr_nonnull(strstr(err, "[error] e1\n"));
    ck_assert_uint_eq(count_lines(err), 3);
    free(file);
    free(err);
}
END_TEST

START_TEST(test_log_never_writes_to_stdout)
{
    int saved_out = capture_begin(STDOUT_FILENO, "stdout");
    int saved_err = capture_begin(STDERR_FILENO, "stderr");
    log_info("before open");
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_DEBUG), 0);
    log_set_file_level(LOG_LEVEL_DEBUG);
    for (int i = 0; i < 100; i++)
        log_message((log_level_t)(i % 4), "message %d", i);
    log_close();
    log_error("after close");
    log_set_file_level(LOG_LEVEL_INFO);
    fflush(stdout);
    capture_end(STDERR_FILENO, saved_err);
    capture_end(STDOUT_FILENO, saved_out);

    char *out = slurp(tmp_path("stdout"));
    ck_assert_str_eq(out, "");
    free(out);
    char *err = slurp(tmp_path("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "[info] before open\n"));
    ck_assert_ptr_nonnull(strstr(err, "[error] after close\n"));
    ck_assert_uint_eq(count_lines(err), 102);
    free(err);
    char *file = slurp(tmp_path("n.log"));
    ck_assert_uint_eq(count_lines(file), 100);
    ck_assert_ptr_null(strstr(file, "before open"));
    ck_assert_ptr_null(strstr(file, "after close"));
    free(file);
}
END_TEST

START_TEST(test_log_escapes_control_characters_to_keep_one_line)
{
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_ERROR + 1), 0);
    log_info("user typed 'a\nb\r\x1b[31m'\tend");
    log_info("trailing newline is dropped\n");
    log_close();
    char *text = slurp(tmp_path("n.log"));
    ck_assert_uint_eq(count_lines(text), 2);
    ck_assert_ptr_nonnull(strstr(text, "[info] user typed 'a\\nb\\r\\x1b[31m'\tend\n"));
    ck_assert_ptr_nonnull(strstr(text, "[info] trailing newline is dropped\n"));
    free(text);
}
END_TEST

START_TEST(test_log_writes_long_messages_whole)
{
    size_t len = 100000;
    char *msg = malloc(len + 1);
    ck_assert_ptr_nonnull(msg);
    for (size_t i = 0; i < len; i++)
        msg[i] = (char)('a' + i % 26);
    msg[len] = '\0';
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_ERROR + 1), 0);
    log_info("%s", msg);
    log_close();
    char *text = slurp(tmp_path("n.log"));
    ck_assert_uint_eq(count_lines(text), 1);
    ck_assert_ptr_nonnull(strstr(text, msg));
    free(text);
    free(msg);
}
END_TEST

START_TEST(test_log_preserves_errno)
{
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_ERROR + 1), 0);
    errno = ECONNRESET;
    log_info("reset");
    ck_assert_int_eq(errno, ECONNRESET);
    log_close();
}
END_TEST

START_TEST(test_log_open_fails_when_the_folder_is_a_file)
{
    write_conf("plain", "x");
    errno = 0;
    ck_assert_int_eq(log_open(tmp_path("plain"), "n.log", LOG_LEVEL_INFO), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    errno = 0;
    ck_assert_int_eq(log_open(tmp_path("plain/sub"), "n.log", LOG_LEVEL_INFO), -1);
    ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

START_TEST(test_log_reopen_moves_to_the_new_file)
{
    ck_assert_int_eq(log_open(tmp_dir, "one.log", LOG_LEVEL_ERROR + 1), 0);
    log_info("first");
    ck_assert_int_eq(log_open(tmp_dir, "two.log", LOG_LEVEL_ERROR + 1), 0);
    log_info("second");
    log_close();
    char *one = slurp(tmp_path("one.log"));
    char *two = slurp(tmp_path("two.log"));
    ck_assert_uint_eq(count_lines(one), 1);
    ck_assert_uint_eq(count_lines(two), 1);
    ck_assert_ptr_nonnull(strstr(one, "first"));
    ck_assert_ptr_nonnull(strstr(two, "second"));
    free(one);
    free(two);
}
END_TEST

#define LOG_THREADS 8
#define LOG_LINES_PER_THREAD 2000

static void *log_flood_proc(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LOG_LINES_PER_THREAD; i++)
        log_info("thread %d line %d %s", id, i,
                 "padding-padding-padding-padding-padding-padding-padding");
    return NULL;
}

START_TEST(test_log_lines_from_many_threads_are_whole_and_none_lost)
{
    /* Property: every line written by every thread is in the file exactly
     * once and intact (no interleaving inside a line). */
    ck_assert_int_eq(log_open(tmp_dir, "n.log", LOG_LEVEL_ERROR + 1), 0);
    port_thread_t t[LOG_THREADS];
    for (int i = 0; i < LOG_THREADS; i++)
        ck_assert_int_eq(port_thread_create(&t[i], log_flood_proc,
                                            (void *)(intptr_t)i, 0), 0);
    for (int i = 0; i < LOG_THREADS; i++)
        ck_assert_int_eq(port_thread_join(&t[i], NULL), 0);
    log_close();

    char *text = slurp(tmp_path("n.log"));
    ck_assert_uint_eq(count_lines(text), LOG_THREADS * LOG_LINES_PER_THREAD);
    static unsigned char seen[LOG_THREADS][LOG_LINES_PER_THREAD];
    memset(seen, 0, sizeof seen);
    for (char *line = text, *nl; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        int id, n, used = 0;
        char *msg = strstr(line, "[info] ");
        ck_assert_ptr_nonnull(msg);
        ck_assert_int_eq(sscanf(msg, "[info] thread %d line %d %n", &id, &n, &used), 2);
        ck_assert_str_eq(msg + used,
                         "padding-padding-padding-padding-padding-padding-padding");
        ck_assert(id >= 0 && id < LOG_THREADS && n >= 0 && n < LOG_LINES_PER_THREAD);
        ck_assert_int_eq(seen[id][n]++, 0);
    }
    free(text);
}
END_TEST

/* ------------------------------------------------------------ git update */
/* The "git ..." keys of src/git_update.c (docs/manual/git-update.md). */

START_TEST(test_git_keys_default_to_off_on_demand_and_120_seconds)
{
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, tmp_dir), 0);
    ck_assert(!cfg.git_update);
    ck_assert_ptr_null(cfg.git_remote);
    ck_assert_ptr_null(cfg.git_branch);
    ck_assert_int_eq(cfg.git_update_interval, 0);
    ck_assert_int_eq(cfg.git_timeout, 120);
    config_free(&cfg);
}
END_TEST

START_TEST(test_git_keys_are_read)
{
    driver_config_t cfg;
    load_ok("git update: on\n"
            "git remote: https://example.org/mud/lib.git\n"
            "git branch: live\n"
            "git update interval: 600\n"
            "git timeout: 30\n", &cfg);
    ck_assert(cfg.git_update);
    ck_assert_str_eq(cfg.git_remote, "https://example.org/mud/lib.git");
    ck_assert_str_eq(cfg.git_branch, "live");
    ck_assert_int_eq(cfg.git_update_interval, 600);
    ck_assert_int_eq(cfg.git_timeout, 30);
    config_free(&cfg);
    load_ok("git update: off\ngit update interval: 0\ngit timeout: 3600\n", &cfg);
    ck_assert(!cfg.git_update);
    ck_assert_int_eq(cfg.git_update_interval, 0);
    ck_assert_int_eq(cfg.git_timeout, 3600);
    config_free(&cfg);
}
END_TEST

START_TEST(test_shipped_example_config_leaves_git_update_off)
{
    const char *srcdir = getenv("srcdir");
    char shipped[PATH_MAX], err[1024];
    snprintf(shipped, sizeof shipped, "%s/mudlib/neolith.conf",
             srcdir != NULL ? srcdir : ".");
    driver_config_t cfg;
    int r = config_load(shipped, &cfg, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert(!cfg.git_update);
    ck_assert_ptr_null(cfg.git_remote);
    ck_assert_ptr_null(cfg.git_branch);
    ck_assert_int_eq(cfg.git_update_interval, 0);
    ck_assert_int_eq(cfg.git_timeout, 120);
    config_free(&cfg);
}
END_TEST

/* ------------------------------------------------------------ admins */
/* "admins" is read by the mudlib's master, not the driver; the driver
 * still checks it so a typo is caught at start-up. */

START_TEST(test_admins_are_lower_cased_and_joined_by_commas)
{
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, tmp_dir), 0);
    ck_assert_ptr_null(cfg.admins);
    config_free(&cfg);
    load_ok("admins: Alice, bob ,CAROL\n", &cfg);
    ck_assert_str_eq(cfg.admins, "alice,bob,carol");
    config_free(&cfg);
}
END_TEST

START_TEST(test_admins_that_are_not_names_are_a_bad_value)
{
    expect_error("admins: alice,,bob\n",
                 "1: bad value 'alice,,bob' for 'admins': expected character "
                 "names of letters, separated by commas");
    expect_error("admins: al ice\n",
                 "1: bad value 'al ice' for 'admins': expected character "
                 "names of letters, separated by commas");
    expect_error("admins: root1\n",
                 "1: bad value 'root1' for 'admins': expected character "
                 "names of letters, separated by commas");
}
END_TEST

START_TEST(test_git_update_that_is_not_on_or_off_is_a_bad_value)
{
    expect_error("git update: sometimes\n",
                 "1: bad value 'sometimes' for 'git update': expected on or off");
}
END_TEST

START_TEST(test_git_remote_and_branch_must_be_one_word)
{
    expect_error("git remote: my remote\n",
                 "1: bad value 'my remote' for 'git remote': expected a git "
                 "remote name or URL (one word, not starting with '-')");
    expect_error("\ngit branch: main\tline\n",
                 "2: bad value 'main\tline' for 'git branch': expected a "
                 "branch name (one word, not starting with '-')");
}
END_TEST

/* A leading '-' would reach git's command line as an option. */
START_TEST(test_git_remote_and_branch_may_not_start_with_a_dash)
{
    expect_error("git remote: --upload-pack=touch /tmp/x\n",
                 "1: bad value '--upload-pack=touch /tmp/x' for 'git remote': "
                 "expected a git remote name or URL (one word, not starting "
                 "with '-')");
    expect_error("git branch: -b\n",
                 "1: bad value '-b' for 'git branch': expected a branch name "
                 "(one word, not starting with '-')");
}
END_TEST

START_TEST(test_git_remote_without_value_is_reported)
{
    expect_error("git remote:   # later\n",
                 "1: empty value for 'git remote': expected a git remote name "
                 "or URL (one word, not starting with '-')");
}
END_TEST

START_TEST(test_git_update_interval_out_of_range_is_reported)
{
    expect_error("git update interval: 604801\n",
                 "1: value '604801' for 'git update interval' is out of range: "
                 "expected an integer number of seconds 0-604800 (0 = only on "
                 "demand)");
    expect_error("git update interval: -1\n",
                 "1: value '-1' for 'git update interval' is out of range: "
                 "expected an integer number of seconds 0-604800 (0 = only on "
                 "demand)");
    expect_error("git update interval: 10m\n",
                 "1: bad value '10m' for 'git update interval': expected an "
                 "integer number of seconds 0-604800 (0 = only on demand)");
}
END_TEST

START_TEST(test_git_timeout_out_of_range_is_reported)
{
    expect_error("git timeout: 0\n",
                 "1: value '0' for 'git timeout' is out of range: expected an "
                 "integer number of seconds 1-3600");
    expect_error("git timeout: 3601\n",
                 "1: value '3601' for 'git timeout' is out of range: expected "
                 "an integer number of seconds 1-3600");
    expect_error("git timeout: 2min\n",
                 "1: bad value '2min' for 'git timeout': expected an integer "
                 "number of seconds 1-3600");
}
END_TEST

START_TEST(test_duplicate_git_branch_names_both_lines)
{
    /* The first value was stored (a string): the error path frees it. */
    expect_error("git branch: main\ngit branch: live\n",
                 "2: duplicate key 'git branch' (already set on line 1)");
}
END_TEST

START_TEST(test_misspelt_git_key_gets_a_suggestion)
{
    expect_error("git timout: 30\n",
                 "1: unknown key 'git timout' (did you mean 'git timeout'?)");
}
END_TEST

/* ------------------------------------------------------------ suite */

/* ------------------------------------------------------------ mcp keys */

START_TEST(test_mcp_keys_default_to_10_mib_lines_and_telnet_off)
{
    driver_config_t cfg;
    ck_assert_int_eq(config_set_defaults(&cfg, tmp_dir), 0);
    ck_assert_uint_eq(cfg.mcp_max_line, 10 * 1024 * 1024);
    ck_assert(!cfg.mcp_telnet);
    config_free(&cfg);
}
END_TEST

START_TEST(test_mcp_keys_are_read)
{
    driver_config_t cfg;
    load_ok("mcp max line: 64K\nmcp telnet: on\n", &cfg);
    ck_assert_uint_eq(cfg.mcp_max_line, 65536);
    ck_assert(cfg.mcp_telnet);
    config_free(&cfg);
    static const char *const offs[] = { "off", "OFF", "no", "false" };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "mcp telnet: %s\n", offs[i]);
        load_ok(text, &cfg);
        ck_assert(!cfg.mcp_telnet);
        config_free(&cfg);
    }
    load_ok("mcp telnet: Yes\nmcp max line: 1G\n", &cfg);
    ck_assert(cfg.mcp_telnet);
    ck_assert_uint_eq(cfg.mcp_max_line, 1024u * 1024 * 1024);
    config_free(&cfg);
}
END_TEST

START_TEST(test_shipped_example_config_states_the_mcp_defaults)
{
    const char *srcdir = getenv("srcdir");
    char shipped[PATH_MAX], err[1024];
    snprintf(shipped, sizeof shipped, "%s/mudlib/neolith.conf",
             srcdir != NULL ? srcdir : ".");
    driver_config_t cfg;
    int r = config_load(shipped, &cfg, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_uint_eq(cfg.mcp_max_line, 10 * 1024 * 1024);
    ck_assert(!cfg.mcp_telnet);
    config_free(&cfg);
}
END_TEST

START_TEST(test_mcp_telnet_that_is_not_on_or_off_is_a_bad_value)
{
    expect_error("mcp telnet: maybe\n",
                 "1: bad value 'maybe' for 'mcp telnet': expected on or off");
    expect_error("\nmcp telnet: 1\n",
                 "2: bad value '1' for 'mcp telnet': expected on or off");
}
END_TEST

START_TEST(test_mcp_max_line_out_of_range_is_reported)
{
    expect_error("mcp max line: 512\n", "1: value '512' for 'mcp max line' is "
                 "out of range: expected a size in bytes 1K-1G (suffix K, M or G "
                 "allowed)");
    expect_error("mcp max line: 2G\n", "1: value '2G' for 'mcp max line' is "
                 "out of range: expected a size in bytes 1K-1G (suffix K, M or G "
                 "allowed)");
    expect_error("mcp max line: ten\n", "1: bad value 'ten' for 'mcp max line': "
                 "expected a size in bytes 1K-1G (suffix K, M or G allowed)");
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc;

    tc = tcase_create("defaults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_are_the_documented_values);
    tcase_add_test(tc, test_defaults_without_base_dir_use_current_directory);
    tcase_add_test(tc, test_defaults_with_relative_base_dir_are_made_absolute);
    tcase_add_test(tc, test_empty_file_gives_defaults_relative_to_its_folder);
    tcase_add_test(tc, test_comments_and_blank_lines_only_give_defaults);
    tcase_add_test(tc, test_every_key_is_read);
    tcase_add_test(tc, test_shipped_example_config_states_the_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("paths");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_relative_paths_resolve_against_config_folder_not_cwd);
    tcase_add_test(tc, test_defaults_resolve_against_config_folder_from_another_cwd);
    tcase_add_test(tc, test_config_file_named_without_a_folder_is_in_cwd);
    tcase_add_test(tc, test_absolute_paths_are_kept_and_cleaned);
    tcase_add_test(tc, test_mudlib_files_are_stored_with_a_leading_slash);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_trailing_comments_and_whitespace_are_ignored);
    tcase_add_test(tc, test_crlf_line_endings_are_accepted);
    tcase_add_test(tc, test_utf8_byte_order_mark_is_skipped);
    tcase_add_test(tc, test_last_line_without_newline_is_read);
    tcase_add_test(tc, test_runs_of_blanks_inside_a_key_count_as_one_space);
    tcase_add_test(tc, test_port_bounds_zero_and_65535_are_accepted);
    tcase_add_loop_test(tc, test_sizes_accept_binary_suffixes, 0,
                        (int)(sizeof size_cases / sizeof size_cases[0]));
    tcase_add_test(tc, test_output_cap_accepts_gigabyte_suffix_up_to_1g);
    tcase_add_test(tc, test_bind_address_accepts_ipv4_ipv6_and_star);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_missing_file_is_reported_with_strerror);
    tcase_add_test(tc, test_missing_file_in_missing_folder_is_reported);
    tcase_add_test(tc, test_directory_given_as_config_file_is_refused);
    tcase_add_test(tc, test_unreadable_file_is_reported_with_strerror);
    tcase_add_test(tc, test_oversized_file_is_refused);
    tcase_add_test(tc, test_unknown_key_is_reported_with_its_line);
    tcase_add_test(tc, test_misspelt_key_gets_a_suggestion);
    tcase_add_test(tc, test_keys_are_case_sensitive);
    tcase_add_test(tc, test_line_without_colon_is_reported);
    tcase_add_test(tc, test_colon_without_key_is_reported);
    tcase_add_test(tc, test_duplicate_key_names_both_lines);
    tcase_add_test(tc, test_duplicate_key_is_found_through_blank_variations);
    tcase_add_test(tc, test_empty_value_is_reported_with_what_was_expected);
    tcase_add_test(tc, test_value_that_is_only_a_comment_is_empty);
    tcase_add_test(tc, test_non_numeric_port_is_a_bad_value);
    tcase_add_loop_test(tc, test_malformed_numbers_are_bad_values, 0,
                        (int)(sizeof bad_port_values / sizeof bad_port_values[0]));
    tcase_add_loop_test(tc, test_port_out_of_range_is_reported, 0,
                        (int)(sizeof out_of_range_ports / sizeof out_of_range_ports[0]));
    tcase_add_test(tc, test_heartbeat_out_of_range_is_reported);
    tcase_add_test(tc, test_heartbeat_with_unit_is_a_bad_value);
    tcase_add_test(tc, test_max_connections_out_of_range_is_reported);
    tcase_add_test(tc, test_size_below_minimum_is_out_of_range);
    tcase_add_test(tc, test_size_above_maximum_is_out_of_range);
    tcase_add_test(tc, test_huge_size_with_suffix_does_not_wrap);
    tcase_add_test(tc, test_negative_size_is_out_of_range);
    tcase_add_loop_test(tc, test_malformed_sizes_are_bad_values, 0,
                        (int)(sizeof bad_sizes / sizeof bad_sizes[0]));
    tcase_add_test(tc, test_missing_mudlib_directory_is_reported_with_full_path);
    tcase_add_test(tc, test_mudlib_directory_that_is_a_file_is_reported);
    tcase_add_test(tc, test_log_directory_that_is_a_file_is_reported);
    tcase_add_test(tc, test_missing_log_directory_is_accepted);
    tcase_add_test(tc, test_console_history_is_a_file_relative_to_the_config_folder);
    tcase_add_test(tc, test_mudlib_file_leaving_the_mudlib_is_refused);
    tcase_add_test(tc, test_bad_bind_address_is_reported);
    tcase_add_test(tc, test_nul_byte_is_reported_with_its_line);
    tcase_add_test(tc, test_error_line_numbers_count_crlf_and_comment_lines);
    tcase_add_test(tc, test_first_error_wins);
    tcase_add_test(tc, test_small_error_buffer_is_truncated_not_overrun);
    tcase_add_test(tc, test_error_message_names_the_file_as_given);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_no_options_gives_defaults);
    tcase_add_test(tc, test_every_option_is_read);
    tcase_add_test(tc, test_attached_option_values_are_accepted);
    tcase_add_test(tc, test_port_option_bounds_are_0_and_65535);
    tcase_add_loop_test(tc, test_bad_port_option_exits_2_naming_the_value, 0,
                        (int)(sizeof bad_port_options / sizeof bad_port_options[0]));
    tcase_add_test(tc, test_port_option_without_value_exits_2);
    tcase_add_test(tc, test_file_option_without_value_exits_2);
    tcase_add_test(tc, test_repeated_option_exits_2);
    tcase_add_test(tc, test_unknown_option_exits_2_naming_it);
    tcase_add_test(tc, test_stray_argument_exits_2);
    tcase_add_test(tc, test_console_and_mcp_together_exit_2);
    tcase_add_test(tc, test_help_prints_usage_to_stdout_and_returns_1);
    tcase_add_test(tc, test_version_prints_package_version_and_returns_1);
    suite_add_tcase(s, tc);

    tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_log_open_creates_missing_folders_and_writes_lines);
    tcase_add_test(tc, test_log_appends_to_an_existing_file);
    tcase_add_test(tc, test_log_levels_filter_file_and_stderr_separately);
    tcase_add_test(tc, test_log_never_writes_to_stdout);
    tcase_add_test(tc, test_log_escapes_control_characters_to_keep_one_line);
    tcase_add_test(tc, test_log_writes_long_messages_whole);
    tcase_add_test(tc, test_log_preserves_errno);
    tcase_add_test(tc, test_log_open_fails_when_the_folder_is_a_file);
    tcase_add_test(tc, test_log_reopen_moves_to_the_new_file);
    tcase_add_test(tc, test_log_lines_from_many_threads_are_whole_and_none_lost);
    suite_add_tcase(s, tc);

    tc = tcase_create("git update keys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_git_keys_default_to_off_on_demand_and_120_seconds);
    tcase_add_test(tc, test_git_keys_are_read);
    tcase_add_test(tc, test_shipped_example_config_leaves_git_update_off);
    tcase_add_test(tc, test_git_update_that_is_not_on_or_off_is_a_bad_value);
    tcase_add_test(tc, test_admins_are_lower_cased_and_joined_by_commas);
    tcase_add_test(tc, test_admins_that_are_not_names_are_a_bad_value);
    tcase_add_test(tc, test_git_remote_and_branch_must_be_one_word);
    tcase_add_test(tc, test_git_remote_and_branch_may_not_start_with_a_dash);
    tcase_add_test(tc, test_git_remote_without_value_is_reported);
    tcase_add_test(tc, test_git_update_interval_out_of_range_is_reported);
    tcase_add_test(tc, test_git_timeout_out_of_range_is_reported);
    tcase_add_test(tc, test_duplicate_git_branch_names_both_lines);
    tcase_add_test(tc, test_misspelt_git_key_gets_a_suggestion);
    suite_add_tcase(s, tc);

    tc = tcase_create("mcp keys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mcp_keys_default_to_10_mib_lines_and_telnet_off);
    tcase_add_test(tc, test_mcp_keys_are_read);
    tcase_add_test(tc, test_shipped_example_config_states_the_mcp_defaults);
    tcase_add_test(tc, test_mcp_telnet_that_is_not_on_or_off_is_a_bad_value);
    tcase_add_test(tc, test_mcp_max_line_out_of_range_is_reported);
    tcase_add_test(tc, test_reset_interval_is_read_and_defaults_to_an_hour);
    tcase_add_test(tc, test_reset_interval_out_of_range_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
