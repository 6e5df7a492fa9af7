/*
 * efun_crypt.c - crypt(password, setting) with libcrypt (libxcrypt).
 *
 *   crypt(pw)          a new hash of pw with a fresh random salt, in the
 *                      system's preferred method (crypt_gensalt_ra with
 *                      no prefix: yescrypt "$y$" on current libxcrypt,
 *                      else what libcrypt prefers)
 *   crypt(pw, hash)    pw hashed with the method and salt of `hash`:
 *                      equal to hash exactly when pw is the password
 *                      (verify with `crypt(pw, h) == h`); 0 when hash is
 *                      not a setting libcrypt knows
 *
 * A setting of 0 or "" is the first form.  Passwords with NUL bytes are
 * refused (crypt would silently cut them short).
 *
 * The salt's randomness comes from port_random_bytes (the OS's secure
 * source: getrandom, BCryptGenRandom), handed to crypt_gensalt_ra: we
 * do not rely on libcrypt finding entropy itself, which a Windows build
 * of libxcrypt cannot.
 */
#include <config.h>
#include "efuns_driver.h"

#include "lpc/lpc_efun.h"
#include "port/port_random.h"

#include <crypt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The prefix crypt_gensalt_ra gets: NULL means "the preferred method"
 * in libxcrypt; older libraries get SHA-512. */
#ifdef CRYPT_GENSALT_IMPLEMENTS_DEFAULT_PREFIX
#define CRYPT_EFUN_PREFIX NULL
#else
#define CRYPT_EFUN_PREFIX "$6$"
#endif

#ifndef CRYPT_OUTPUT_SIZE
#error "crypt: needs libxcrypt's <crypt.h> (crypt_gensalt_ra, crypt_ra)"
#endif

/* Random bytes per salt: 16 is what every method libxcrypt offers asks
 * for at most (yescrypt, bcrypt); the others use a prefix of them. */
#define CRYPT_EFUN_SALT_BYTES 16

static void efun_crypt(lpc_vm_t *vm, lpc_value_t *args, int nargs, lpc_value_t *ret)
{
    const lpc_string_t *pw = args[0].u.s;
    if (memchr(pw->data, '\0', pw->len) != NULL)
        lpc_error(vm, "crypt: the password contains a NUL byte");
    const lpc_string_t *setting = NULL;
    if (nargs > 1 && args[1].type == LPC_T_STRING && args[1].u.s->len > 0) {
        setting = args[1].u.s;
        if (memchr(setting->data, '\0', setting->len) != NULL)
            return;             /* no valid setting holds a NUL */
    }
    char *salt = NULL;
    if (setting == NULL) {
        char entropy[CRYPT_EFUN_SALT_BYTES];
        if (port_random_bytes(entropy, sizeof entropy) != 0)
            lpc_error(vm, "crypt: no random bytes for a salt");
        salt = crypt_gensalt_ra(CRYPT_EFUN_PREFIX, 0, entropy, (int)sizeof entropy);
        if (salt == NULL)
            lpc_error(vm, "crypt: cannot make a salt");
    }
    void *data = NULL;
    int size = 0;
    const char *h = crypt_ra(pw->data, salt != NULL ? salt : setting->data, &data, &size);
    /* failure: NULL, or a string starting with '*' (libxcrypt) */
    if (h != NULL && h[0] != '*')
        *ret = lpc_value_string(lpc_string_from_cstr(h));
    bool fresh = salt != NULL;
    free(data);
    free(salt);
    if (ret->type != LPC_T_STRING && fresh)
        lpc_error(vm, "crypt: hashing failed");
}

static const lpc_efun_def_t crypt_efuns[] = {
    { "crypt", efun_crypt, 1, 2, 0, 0, LPC_TM_STRING | LPC_TM_ZERO,
      { LPC_TM_STRING, LPC_TM_STRING | LPC_TM_ZERO } },
};

void driver_efuns_crypt_register(void)
{
    lpc_efun_register(crypt_efuns, sizeof crypt_efuns / sizeof crypt_efuns[0]);
}
