/*
 * fuzz_lpc_compile.c - libFuzzer target for the LPC parser, compiler and
 * VM.
 *
 * The fuzz input is /main.c of an in-memory mudlib that also holds a
 * small inheritable /base.c and a header /inc.h.  Each input is compiled
 * and loaded (variable initialisers and create() run, under a small
 * eval-cost and depth budget so that loops and recursion end quickly),
 * then main() is called if it exists, then the world is shut down.
 * Compile errors and LPC runtime errors are expected; a crash, a
 * sanitizer report or a leak is a bug.
 *
 * Built and run only by `make fuzz-compile` (clang
 * -fsanitize=fuzzer,address,undefined); see bench/local.mk.
 */
#include "config.h"
#include "lpc/lpc_runtime.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_c[] =
    "int base_var = 1;\n"
    "void create() { base_var++; }\n"
    "string name() { return \"base\"; }\n"
    "int twice(int x) { return x * 2; }\n"
    "private int secret() { return 3; }\n";
static const char inc_h[] =
    "#define SQ(x) ((x) * (x))\n"
    "int inc_helper(mixed a) { return sizeof(a); }\n";

static const uint8_t *cur_data;
static size_t cur_size;

static char *dup_bytes(const void *p, size_t n, size_t *len)
{
    char *b = malloc(n ? n : 1);
    if (b == NULL)
        abort();
    memcpy(b, p, n);
    *len = n;
    return b;
}

static char *fuzz_read(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    if (strcmp(path, "/main.c") == 0)
        return dup_bytes(cur_data, cur_size, len);
    if (strcmp(path, "/base.c") == 0)
        return dup_bytes(base_c, sizeof base_c - 1, len);
    if (strcmp(path, "/inc.h") == 0)
        return dup_bytes(inc_h, sizeof inc_h - 1, len);
    return NULL;
}

static void quiet_diag(void *ctx, lpc_diag_severity_t sev, const lpc_srcloc_t *loc,
                       const char *message)
{
    (void)ctx;
    (void)sev;
    (void)loc;
    (void)message;
}

static void quiet_report(void *ctx, const char *message, const char *trace)
{
    (void)ctx;
    (void)message;
    (void)trace;
}

static void quiet_output(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cur_data = data;
    cur_size = size;
    lpc_runtime_options_t o;
    memset(&o, 0, sizeof o);
    o.read_file = fuzz_read;
    o.diag = quiet_diag;
    o.report_error = quiet_report;
    o.output = quiet_output;
    o.max_eval_cost = 20000;
    o.max_call_depth = 60;
    lpc_vm_t *vm = lpc_runtime_init(&o);
    lpc_object_t *ob = lpc_runtime_load(vm, "/main");
    if (ob != NULL) {
        lpc_array_t *args = lpc_array_new(1);
        args->items[0] = lpc_value_string(lpc_string_from_cstr("arg"));
        lpc_value_t argv = lpc_value_array(args);
        lpc_value_t ret = lpc_int(0);
        lpc_runtime_call(vm, ob, "main", &argv, 1, &ret, NULL);
        lpc_value_release(&ret);
        lpc_value_release(&argv);
    }
    lpc_runtime_shutdown(vm);
    return 0;
}
