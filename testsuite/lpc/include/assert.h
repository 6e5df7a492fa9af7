// assert.h - assertions for the LPC test programs (testsuite/lpc/).
//
// ASSERT(cond) and ASSERT_EQ(got, want) raise an error naming the file,
// line and expression when they fail; --run then exits with status 1 and
// the runner reports the message.  Equality is deep for arrays and
// mappings; ints and floats are different types (1 != 1.0).
#ifndef TEST_ASSERT_H
#define TEST_ASSERT_H

private string assert_repr(mixed v)
{
    string t = typeof(v);
    if (t == "string")
        return "\"" + v + "\"";
    if (t == "int" || t == "float")
        return "" + v;
    if (t == "array") {
        string s = "({ ";
        for (int i = 0; i < sizeof(v); i++)
            s += (i ? ", " : "") + assert_repr(v[i]);
        return s + " })";
    }
    if (t == "mapping") {
        string s = "([ ";
        int first = 1;
        foreach (mixed k, mixed val in v) {
            s += (first ? "" : ", ") + assert_repr(k) + ": " + assert_repr(val);
            first = 0;
        }
        return s + " ])";
    }
    if (t == "object")
        return "OBJ(" + file_name(v) + ")";
    return "<" + t + ">";
}

private int assert_equal(mixed a, mixed b)
{
    if (typeof(a) != typeof(b))
        return 0;
    if (typeof(a) == "array") {
        if (sizeof(a) != sizeof(b))
            return 0;
        for (int i = 0; i < sizeof(a); i++)
            if (!assert_equal(a[i], b[i]))
                return 0;
        return 1;
    }
    if (typeof(a) == "mapping") {
        if (sizeof(a) != sizeof(b))
            return 0;
        foreach (mixed k, mixed v in a) {
            if (!assert_equal(v, b[k]))
                return 0;
        }
        return 1;
    }
    return a == b;
}

private void assert_fail(string file, int line, string what)
{
    error(file + ":" + line + ": " + what);
}

#define ASSERT(x) if (!(x)) assert_fail(__FILE__, __LINE__, "assertion failed: " #x)
#define ASSERT_EQ(got, want) do { mixed assert_g_ = (got), assert_w_ = (want); \
    if (!assert_equal(assert_g_, assert_w_)) assert_fail(__FILE__, __LINE__, \
        #got " is " + assert_repr(assert_g_) + ", expected " + assert_repr(assert_w_)); } while (0)
// catch() of an expression that must raise an error whose text contains msg
#define ASSERT_ERROR(expr, msg) do { mixed assert_e_ = catch(expr); \
    if (!stringp_(assert_e_) || !contains_(assert_e_, msg)) assert_fail(__FILE__, __LINE__, \
        #expr " raised " + assert_repr(assert_e_) + ", expected an error with \"" + msg + "\""); } while (0)

private int stringp_(mixed v) { return typeof(v) == "string"; }
private int contains_(string s, string part)
{
    int n = sizeof(part);
    for (int i = 0; i + n <= sizeof(s); i++)
        if (s[i..i + n - 1] == part)
            return 1;
    return 0;
}

#endif
