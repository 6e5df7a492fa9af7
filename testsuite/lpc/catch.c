// catch(): 0 without error, "*message\n" after error(), the value itself
// after throw(); unwinding through calls; nested catches; limits.
#include "assert.h"

int depth;

int fails(int n) { if (n == 0) error("deep failure"); return fails(n - 1); }
int recurse(int n) { depth = n; return recurse(n + 1) + 1; }
void spin() { while (1) ; }
mixed thrower(mixed v) { throw(v); }

int main(string *args)
{
    ASSERT_EQ(catch(1 + 1), 0);
    ASSERT_EQ(catch(error("boom")), "*boom\n");
    ASSERT_EQ(catch(error("line\n")), "*line\n");
    ASSERT_EQ(catch(thrower(({ 1, "x" }))), ({ 1, "x" }));
    ASSERT_EQ(catch(thrower(0)), 0);
    ASSERT_EQ(catch(fails(10)), "*deep failure\n");

    // the stack is intact after a caught error
    int *a = ({ 1, 2, 3 });
    mixed r = a[0] + (catch(a[10]) ? 100 : 0) + a[2];
    ASSERT_EQ(r, 104);
    string s = "x" + catch(error("y"));
    ASSERT_EQ(s, "x*y\n");

    // nested catch
    mixed inner;
    mixed outer = catch((inner = catch(error("in"))) + error("out"));
    ASSERT_EQ(inner, "*in\n");
    ASSERT_EQ(outer, "*out\n");

    // catch in a loop
    int errors = 0;
    for (int i = -3; i <= 3; i++)
        if (catch(100 / i))
            errors++;
    ASSERT_EQ(errors, 1);

    // runaway recursion is an error, not a crash
    mixed e = catch(recurse(0));
    ASSERT(e);
    ASSERT(contains_(e, "Too deep recursion"));
    ASSERT(depth > 100);

    // type errors
    ASSERT_ERROR(1 + ({ }), "Bad arguments to '+'");
    ASSERT_ERROR(({ }) * 2, "Bad arguments to '*'");
    ASSERT_ERROR("a" - "b", "Bad arguments to '-'");
    ASSERT_ERROR(-"x", "unary '-'");
    ASSERT_ERROR(call_other(this_object(), 5), "Bad argument 2 to call_other()");
    return 0;
}
