// Functions: prototypes, calls before the definition, varargs, unnamed
// parameters, "..." parameters, missing arguments, recursion, modifiers.
#include "assert.h"

int later(int x);
varargs int opt(int a, int b);

int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }

int main(string *args)
{
    ASSERT_EQ(later(4), 8);
    ASSERT_EQ(before_definition(), "ok");
    ASSERT_EQ(opt(1), 1);
    ASSERT_EQ(opt(1, 2), 3);
    ASSERT_EQ(missing_is_undefined(), 1);
    ASSERT_EQ(unnamed(1, 2), 2);
    ASSERT_EQ(rest(1), ({ }));
    ASSERT_EQ(rest(1, 2, 3), ({ 2, 3 }));
    ASSERT_EQ(fact(10), 3628800);
    ASSERT_EQ(no_return(), 0);
    ASSERT_EQ(untyped(3), 6);
    ASSERT_EQ(priv(), "private");
    ASSERT_EQ(stat(), "static");
    ASSERT_EQ(args, ({ }));
    ASSERT_EQ(ackermann(2, 3), 9);
    int depth = 0;
    ASSERT_EQ(count_down(500), 0);
    return 0;
}

int later(int x) { return x * 2; }
string before_definition() { return "ok"; }
varargs int opt(int a, int b) { return a + b; }

varargs int undefined_check(int a) { return undefinedp_(a); }
int undefinedp_(mixed a) { return a == 0; }
int missing_is_undefined() { return undefined_check(); }

int unnamed(int, int b) { return b; }
int *rest(int first, int *more...) { return more; }
void no_return() { }
untyped(x) { return x * 2; }
private string priv() { return "private"; }
static string stat() { return "static"; }
int ackermann(int m, int n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
int count_down(int n) { return n == 0 ? 0 : count_down(n - 1); }
