// if/else, while, do-while, for, break and continue, && || ?: values.
#include "assert.h"

int calls;
int touch(int v) { calls++; return v; }

int main(string *args)
{
    int n = 0;
    if (1) n = 1; else n = 2;
    ASSERT_EQ(n, 1);
    if (0) n = 1; else if (0) n = 2; else n = 3;
    ASSERT_EQ(n, 3);

    int i = 0, sum = 0;
    while (i < 10) { sum += i; i++; }
    ASSERT_EQ(sum, 45);

    i = 0;
    do { i++; } while (i < 5);
    ASSERT_EQ(i, 5);
    do { i++; } while (0);
    ASSERT_EQ(i, 6);

    sum = 0;
    for (int j = 0; j < 100; j++) {
        if (j % 2) continue;
        if (j >= 10) break;
        sum += j;
    }
    ASSERT_EQ(sum, 0 + 2 + 4 + 6 + 8);

    // nested loops: break leaves the inner one only
    int count = 0;
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            if (b == 2) break;
            count++;
        }
    ASSERT_EQ(count, 10);

    // for without parts
    int k = 0;
    for (;;) { if (++k == 7) break; }
    ASSERT_EQ(k, 7);

    // continue in while and do
    i = 0; sum = 0;
    while (i < 10) { i++; if (i == 5) continue; sum += i; }
    ASSERT_EQ(sum, 50);
    i = 0; sum = 0;
    do { i++; if (i % 2) continue; sum += i; } while (i < 6);
    ASSERT_EQ(sum, 12);

    // && and || short-circuit and give their operand's value
    calls = 0;
    ASSERT_EQ(0 && touch(1), 0);
    ASSERT_EQ(calls, 0);
    ASSERT_EQ(2 && touch(3), 3);
    ASSERT_EQ(0 || "x", "x");
    ASSERT_EQ(4 || touch(5), 4);
    ASSERT_EQ(calls, 1);
    ASSERT_EQ(1 ? "a" : "b", "a");
    ASSERT_EQ(0 ? "a" : 1 ? "b" : "c", "b");
    if (!(0 || 0) && (1 && 2)) n = 10;
    ASSERT_EQ(n, 10);

    // comma operator
    int c = (1, 2, 3);
    ASSERT_EQ(c, 3);
    for (i = 0, k = 10; i < k; i++, k--)
        ;
    ASSERT_EQ(i, 5);

    // locals declared anywhere; a block's variable goes out of scope
    { int inner = 5; n = inner; }
    int inner = 6;
    ASSERT_EQ(n + inner, 11);
    // a declaration without initialiser is 0 each time it is reached
    for (int r = 0; r < 3; r++) {
        int fresh;
        ASSERT_EQ(fresh, 0);
        fresh = r + 1;
    }
    return 0;
}
