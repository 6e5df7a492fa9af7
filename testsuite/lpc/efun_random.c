// random(n): 0 <= random(n) < n, every value reachable; n must be > 0.
#include "assert.h"

int main(string *args)
{
    for (int i = 0; i < 200; i++)
        ASSERT_EQ(random(1), 0);

    int *seen = allocate(6);
    for (int i = 0; i < 3000; i++) {
        int r = random(6);
        ASSERT(r >= 0 && r < 6);
        seen[r]++;
    }
    for (int i = 0; i < 6; i++)
        ASSERT(seen[i] > 300);          // expected 500 each; p(fail) is tiny

    // the whole 64-bit range works
    int big = 9223372036854775807;
    int any_high = 0;
    for (int i = 0; i < 64; i++) {
        int r = random(big);
        ASSERT(r >= 0 && r < big);
        if (r > big / 2)
            any_high = 1;
    }
    ASSERT(any_high);

    ASSERT_ERROR(random(0), "random: the argument must be positive");
    ASSERT_ERROR(random(-5), "random: the argument must be positive, got -5");
    ASSERT_ERROR(random("6"), "Bad argument 1 to random()");
    return 0;
}
