// crypt() (src/efun_crypt.c): a fresh random salt per hash in the
// system's preferred method, verification by crypt(pw, hash) == hash.
#include "assert.h"

int main(string *args)
{
    string h1 = crypt("secret");
    string h2 = crypt("secret");
    ASSERT(stringp(h1) && sizeof(h1) > 20);
    ASSERT_EQ(h1[0..0], "$");               // a modular crypt format hash
    ASSERT(h1 != h2);                       // fresh salt each time
    // verify
    ASSERT_EQ(crypt("secret", h1), h1);
    ASSERT_EQ(crypt("secret", h2), h2);
    ASSERT(crypt("Secret", h1) != h1);
    ASSERT(crypt("secret ", h1) != h1);
    ASSERT(crypt("", h1) != h1);
    // 0 or "" as the setting: a fresh hash
    string h3 = crypt("secret", 0);
    ASSERT(h3 != h1 && crypt("secret", h3) == h3);
    ASSERT(crypt("secret", "") != h1);
    // the empty password hashes and verifies too
    string he = crypt("");
    ASSERT_EQ(crypt("", he), he);
    ASSERT(crypt("x", he) != he);
    // a setting libcrypt does not know: 0
    ASSERT_EQ(crypt("secret", "$bogus$"), 0);
    ASSERT_EQ(crypt("secret", "*"), 0);
    // classic settings still verify (SHA-512 "$6$" when the library has it)
    string h6 = crypt("pw", "$6$saltsalt$");
    if (h6) {
        ASSERT_EQ(h6[0..11], "$6$saltsalt$");
        ASSERT_EQ(crypt("pw", h6), h6);
        ASSERT(crypt("pW", h6) != h6);
    }
    // NUL bytes would be cut silently by crypt(3): refused
    ASSERT_ERROR(crypt("a\0b"), "NUL byte");
    // many salts, no repeats
    mapping seen = ([ ]);
    for (int i = 0; i < 20; i++)
        seen[crypt("same")] = 1;
    ASSERT_EQ(sizeof(seen), 20);
    return 0;
}
