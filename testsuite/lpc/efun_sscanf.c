// sscanf(): MudOS semantics -- literals match exactly, %s is non-greedy
// (it ends where what follows it first matches), no backtracking; the
// result counts the variables assigned.
#include "assert.h"

int main(string *args)
{
    string s1, s2, s3;
    int i1, i2, i3;
    float f1;

    // %s and %d
    ASSERT_EQ(sscanf("good morning", "%s %s", s1, s2), 2);
    ASSERT_EQ(s1, "good");
    ASSERT_EQ(s2, "morning");
    ASSERT_EQ(sscanf("a b c", "%s %s", s1, s2), 2);     // the last %s takes the rest
    ASSERT_EQ(({ s1, s2 }), ({ "a", "b c" }));
    ASSERT_EQ(sscanf("10 hi", "%d ", i1), 1);
    ASSERT_EQ(i1, 10);
    ASSERT_EQ(sscanf("throw frisbee to rover", "throw %s to %s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "frisbee", "rover" }));
    ASSERT_EQ(sscanf("x=12,y=-7", "x=%d,y=%d", i1, i2), 2);
    ASSERT_EQ(({ i1, i2 }), ({ 12, -7 }));
    ASSERT_EQ(sscanf("+5", "%d", i1), 1);
    ASSERT_EQ(i1, 5);
    ASSERT_EQ(sscanf("   42abc", "%d%s", i1, s1), 2);   // %d skips leading blanks
    ASSERT_EQ(({ i1, s1 }), ({ 42, "abc" }));
    ASSERT_EQ(sscanf("9223372036854775807", "%d", i1), 1);
    ASSERT_EQ(i1, 9223372036854775807);
    ASSERT_EQ(sscanf("-9223372036854775808", "%d", i1), 1);
    ASSERT_EQ(i1, -9223372036854775807 - 1);
    ASSERT_EQ(sscanf("99999999999999999999", "%d", i1), 1);   // saturates
    ASSERT_EQ(i1, 9223372036854775807);

    // %s ends at the first place the next literal or number matches
    ASSERT_EQ(sscanf("abc123def", "%s%d%s", s1, i1, s2), 3);
    ASSERT_EQ(({ s1, i1, s2 }), ({ "abc", 123, "def" }));
    ASSERT_EQ(sscanf("key: value: more", "%s: %s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "key", "value: more" }));
    ASSERT_EQ(sscanf("abc", "%s", s1), 1);
    ASSERT_EQ(s1, "abc");
    ASSERT_EQ(sscanf("abc", "abc%s", s1), 1);          // the rest may be empty
    ASSERT_EQ(s1, "");
    ASSERT_EQ(sscanf("", "%s", s1), 1);
    ASSERT_EQ(s1, "");
    ASSERT_EQ(sscanf("a-b", "%s-%s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "a", "b" }));
    ASSERT_EQ(sscanf("-b", "%s-%s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "", "b" }));
    ASSERT_EQ(sscanf("a b", "%s %d", s1, i1), 1);      // no number after
    ASSERT_EQ(s1, "a");
    ASSERT_EQ(sscanf("item 12 x", "%s%d", s1, i1), 2);
    ASSERT_EQ(({ s1, i1 }), ({ "item", 12 }));

    // %x %f %c
    ASSERT_EQ(sscanf("ff 0x1A -10", "%x %x %x", i1, i2, i3), 3);
    ASSERT_EQ(({ i1, i2, i3 }), ({ 255, 26, -16 }));
    ASSERT_EQ(sscanf("ffffffffffffffff", "%x", i1), 1);
    ASSERT_EQ(i1, -1);
    ASSERT_EQ(sscanf("3.25", "%f", f1), 1);
    ASSERT_EQ(f1, 3.25);
    ASSERT_EQ(sscanf("-1e3x", "%f%s", f1, s1), 2);
    ASSERT_EQ(({ f1, s1 }), ({ -1000.0, "x" }));
    ASSERT_EQ(sscanf(".5", "%f", f1), 1);
    ASSERT_EQ(f1, 0.5);
    ASSERT_EQ(sscanf("7", "%f", f1), 1);               // an int still gives a float
    ASSERT_EQ(f1, 7.0);
    ASSERT_EQ(sscanf("0x1p3", "%f%s", f1, s1), 2);     // decimal only
    ASSERT_EQ(({ f1, s1 }), ({ 0.0, "x1p3" }));
    ASSERT_EQ(sscanf("width 2.5m", "width %f%s", f1, s1), 2);
    ASSERT_EQ(({ f1, s1 }), ({ 2.5, "m" }));
    ASSERT_EQ(sscanf("AB", "%c%c", i1, i2), 2);
    ASSERT_EQ(({ i1, i2 }), ({ 'A', 'B' }));
    ASSERT_EQ(sscanf("xy", "%s%c", s1, i1), 2);         // %s before %c is empty
    ASSERT_EQ(({ s1, i1 }), ({ "", 'x' }));
    ASSERT_EQ(sscanf("", "%c", i1), 0);

    // %*: match without assigning (not counted)
    ASSERT_EQ(sscanf("/obj/torch#12", "%*s#%d", i1), 1);
    ASSERT_EQ(i1, 12);
    ASSERT_EQ(sscanf("1 2 3", "%*d %*d %d", i1), 1);
    ASSERT_EQ(i1, 3);
    ASSERT_EQ(sscanf("abc", "%*s"), 0);

    // %% is a literal percent
    ASSERT_EQ(sscanf("50% off", "%d%% %s", i1, s1), 2);
    ASSERT_EQ(({ i1, s1 }), ({ 50, "off" }));
    ASSERT_EQ(sscanf("a%b", "%s%%%s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "a", "b" }));

    // partial matches: the count so far; later variables untouched
    s1 = "old"; i1 = -1;
    ASSERT_EQ(sscanf("from bag", "%s %d", s1, i1), 1);
    ASSERT_EQ(({ s1, i1 }), ({ "from", -1 }));
    i1 = -1; i2 = -2;
    ASSERT_EQ(sscanf("10 apples", "%d pears %d", i1, i2), 1);   // literal mismatch
    ASSERT_EQ(({ i1, i2 }), ({ 10, -2 }));
    i1 = -1;
    ASSERT_EQ(sscanf("abc", "%d", i1), 0);
    ASSERT_EQ(i1, -1);
    ASSERT_EQ(sscanf("abc", "x%s", s1), 0);
    ASSERT_EQ(sscanf("abc", "abc"), 0);                // literals only: nothing assigned
    s1 = "keep";
    ASSERT_EQ(sscanf("no colon", "%s:", s1), 0);       // literal after %s absent
    ASSERT_EQ(s1, "keep");
    ASSERT_EQ(sscanf("a-b-1", "%s-%d", s1, i1), 1);    // no backtracking
    ASSERT_EQ(s1, "a");
    ASSERT_EQ(sscanf("ab", "a b", s1), 0);            // a space matches only a space

    // lvalues: array elements and mapping values
    mixed *arr = ({ 0, 0 });
    mapping m = ([ ]);
    ASSERT_EQ(sscanf("3 x", "%d %s", arr[0], m["k"]), 2);
    ASSERT_EQ(arr, ({ 3, 0 }));
    ASSERT_EQ(m, ([ "k" : "x" ]));

    // bytes, including NUL
    ASSERT_EQ(sscanf("a\0b", "%s\0%s", s1, s2), 2);
    ASSERT_EQ(({ s1, s2 }), ({ "a", "b" }));

    // errors in the format or the arguments
    ASSERT_ERROR(sscanf("1", "%d"), "sscanf: too few arguments");
    ASSERT_ERROR(sscanf("1 2", "%d %d", i1), "assigns 2 variables, 1 given");
    ASSERT_ERROR(sscanf("ab", "%s%s", s1, s2), "two adjacent %s");
    ASSERT_ERROR(sscanf("ab", "%q", s1), "unknown conversion '%q'");
    ASSERT_ERROR(sscanf("ab", "ab%", s1), "lone '%'");
    ASSERT_ERROR(sscanf(1, "%d", i1), "Bad argument 1 to sscanf()");
    return 0;
}
