// sprintf(): conversions, flags, width/precision, %O dumps, errors.
#include "assert.h"

int main(string *args)
{
    // plain text and %%
    ASSERT_EQ(sprintf(""), "");
    ASSERT_EQ(sprintf("plain"), "plain");
    ASSERT_EQ(sprintf("100%%"), "100%");
    ASSERT_EQ(sprintf("a\0b%s", "c"), "a\0bc");

    // %s
    ASSERT_EQ(sprintf("%s", "abc"), "abc");
    ASSERT_EQ(sprintf("[%5s]", "abc"), "[  abc]");
    ASSERT_EQ(sprintf("[%-5s]", "abc"), "[abc  ]");
    ASSERT_EQ(sprintf("[%|7s]", "abc"), "[  abc  ]");
    ASSERT_EQ(sprintf("[%|6s]", "abc"), "[ abc  ]");      // odd: extra on the right
    ASSERT_EQ(sprintf("[%2s]", "abcdef"), "[abcdef]");     // width is a minimum
    ASSERT_EQ(sprintf("[%.2s]", "abcdef"), "[ab]");        // precision truncates
    ASSERT_EQ(sprintf("[%5.2s]", "abcdef"), "[   ab]");
    ASSERT_EQ(sprintf("[%:4s]", "abcdef"), "[abcd]");
    ASSERT_EQ(sprintf("[%'.'8s]", "abc"), "[.....abc]");
    ASSERT_EQ(sprintf("[%-'.'8s]", "abc"), "[abc.....]");
    ASSERT_EQ(sprintf("[%'-='7s]", "abc"), "[-=-=abc]");    // pad strings repeat
    ASSERT_EQ(sprintf("[%'\\''5s]", "a"), "[''''a]");      // \' in a pad string
    ASSERT_EQ(sprintf("[%05s]", "ab"), "[000ab]");
    ASSERT_EQ(sprintf("%s %s", 12, 1.5), "12 1.5");         // numbers as text
    ASSERT_EQ(sprintf("%s", ({ 1 })), "({ /* sizeof() == 1 */\n  1\n})");

    // %d %i
    ASSERT_EQ(sprintf("%d", 42), "42");
    ASSERT_EQ(sprintf("%i", -42), "-42");
    ASSERT_EQ(sprintf("%d", 0), "0");
    ASSERT_EQ(sprintf("%d", 9223372036854775807), "9223372036854775807");
    ASSERT_EQ(sprintf("%d", -9223372036854775807 - 1), "-9223372036854775808");
    ASSERT_EQ(sprintf("[%5d]", 42), "[   42]");
    ASSERT_EQ(sprintf("[%-5d]", 42), "[42   ]");
    ASSERT_EQ(sprintf("[%|5d]", 42), "[ 42  ]");
    ASSERT_EQ(sprintf("[%05d]", 42), "[00042]");
    ASSERT_EQ(sprintf("[%05d]", -42), "[-0042]");          // zeros after the sign
    ASSERT_EQ(sprintf("[%-05d]", 42), "[42   ]");          // '-' wins over 0
    ASSERT_EQ(sprintf("[%+d|%+d]", 5, -5), "[+5|-5]");
    ASSERT_EQ(sprintf("[% d|% d]", 5, -5), "[ 5|-5]");
    ASSERT_EQ(sprintf("[%+05d]", 5), "[+0005]");
    ASSERT_EQ(sprintf("[%'*'6d]", -3), "[****-3]");

    // * width and precision from the arguments
    ASSERT_EQ(sprintf("[%*d]", 6, 42), "[    42]");
    ASSERT_EQ(sprintf("[%*d]", -6, 42), "[42    ]");       // negative: left
    ASSERT_EQ(sprintf("[%-*s]", 4, "x"), "[x   ]");
    ASSERT_EQ(sprintf("[%.*s]", 2, "abcdef"), "[ab]");
    ASSERT_EQ(sprintf("[%*.*f]", 8, 2, 3.14159), "[    3.14]");
    ASSERT_EQ(sprintf("[%.*s]", -1, "abc"), "[abc]");      // negative: no precision

    // %c %o %x %X
    ASSERT_EQ(sprintf("%c%c%c", 'a', 'b', 'c'), "abc");
    ASSERT_EQ(sprintf("[%3c]", 'x'), "[  x]");
    ASSERT_EQ(sprintf("%c", 0), "\0");
    ASSERT_EQ(sprintf("%x %X %o", 255, 255, 8), "ff FF 10");
    ASSERT_EQ(sprintf("%x", -1), "ffffffffffffffff");
    ASSERT_EQ(sprintf("[%04x]", 10), "[000a]");

    // floats
    ASSERT_EQ(sprintf("%f", 1.5), "1.500000");
    ASSERT_EQ(sprintf("%.2f", 3.14159), "3.14");
    ASSERT_EQ(sprintf("%.0f", 2.5), "2");                   // round half to even
    ASSERT_EQ(sprintf("%f", 2), "2.000000");                // ints convert
    ASSERT_EQ(sprintf("[%8.3f]", -1.5), "[  -1.500]");
    ASSERT_EQ(sprintf("[%08.3f]", -1.5), "[-001.500]");
    ASSERT_EQ(sprintf("[%-8.1f]", 1.25), "[1.2     ]");
    ASSERT_EQ(sprintf("%+.1f %+.1f", 1.0, -1.0), "+1.0 -1.0");
    ASSERT_EQ(sprintf("%e", 12345.678), "1.234568e+04");
    ASSERT_EQ(sprintf("%.2E", 0.000123), "1.23E-04");
    ASSERT_EQ(sprintf("%g %g %g", 0.5, 100000.0, 1e20), "0.5 100000 1e+20");
    ASSERT_EQ(sprintf("%G", 1e-10), "1E-10");

    // %O
    ASSERT_EQ(sprintf("%O", 1), "1");
    ASSERT_EQ(sprintf("%O", 1.5), "1.5");
    ASSERT_EQ(sprintf("%O", 2.0), "2.0");                   // never looks like an int
    ASSERT_EQ(sprintf("%O", -0.25), "-0.25");
    ASSERT_EQ(sprintf("%O", 1e20), "1e+20");
    ASSERT_EQ(sprintf("%O", ({ 1, 1.0 })), "({ /* sizeof() == 2 */\n  1,\n  1.0\n})");
    ASSERT_EQ(sprintf("%O", "a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\x01\"");
    ASSERT_EQ(sprintf("%O", ({ })), "({ })");
    ASSERT_EQ(sprintf("%O", ([ ])), "([ ])");
    ASSERT_EQ(sprintf("%O", ({ 1, "two" })),
              "({ /* sizeof() == 2 */\n  1,\n  \"two\"\n})");
    ASSERT_EQ(sprintf("%O", ([ "a" : 1, 2 : ({ }) ])),
              "([ /* sizeof() == 2 */\n  \"a\" : 1,\n  2 : ({ }),\n])");
    ASSERT_EQ(sprintf("%O", ({ 1, ({ 2, ({ 3 }) }), ([ "k" : ({ 4 }) ]) })),
              "({ /* sizeof() == 3 */\n"
              "  1,\n"
              "  ({ /* sizeof() == 2 */\n"
              "    2,\n"
              "    ({ /* sizeof() == 1 */\n"
              "      3\n"
              "    })\n"
              "  }),\n"
              "  ([ /* sizeof() == 1 */\n"
              "    \"k\" : ({ /* sizeof() == 1 */\n"
              "      4\n"
              "    }),\n"
              "  ])\n"
              "})");
    ASSERT_EQ(sprintf("%O", this_object()), file_name(this_object()));
    ASSERT_EQ(sprintf("%O", (: strlen :)), "(: strlen :)");
    ASSERT_EQ(sprintf("[%-4O]", 7), "[7   ]");

    // a cycle is cut, shared (acyclic) parts are printed each time
    mixed *loop = ({ 1, 0 });
    loop[1] = loop;
    ASSERT_EQ(sprintf("%O", loop),
              "({ /* sizeof() == 2 */\n  1,\n  ({ /* circular */ })\n})");
    loop[1] = 0;                              // break the cycle (no GC)
    mapping mloop = ([ ]);
    mloop["self"] = mloop;
    ASSERT_EQ(sprintf("%O", mloop),
              "([ /* sizeof() == 1 */\n  \"self\" : ([ /* circular */ ]),\n])");
    map_delete(mloop, "self");
    mixed *shared = ({ 5 });
    ASSERT_EQ(sprintf("%O", ({ shared, shared })),
              "({ /* sizeof() == 2 */\n"
              "  ({ /* sizeof() == 1 */\n    5\n  }),\n"
              "  ({ /* sizeof() == 1 */\n    5\n  })\n"
              "})");

    // %@: the directive for each element
    ASSERT_EQ(sprintf("%@d", ({ 1, 2, 3 })), "123");
    ASSERT_EQ(sprintf("%@-3d|", ({ 1, 2 })), "1  2  |");
    ASSERT_EQ(sprintf("%@s", ({ })), "");

    // column mode (%=): word-wrapped to the width, continuation lines at
    // the field's column when the format's line ends
    ASSERT_EQ(sprintf("%-=10s\n", "the quick brown fox jumps"),
              "the quick \nbrown fox \njumps     \n");
    ASSERT_EQ(sprintf("%-=10s", "short"), "short     ");
    ASSERT_EQ(sprintf("%=6s|", "ab cd ef"), " ab cd|\n    ef");    // right-aligned lines
    ASSERT_EQ(sprintf("%-=5s|", "abcdefghijkl"), "abcde|\nfghij\nkl   ");   // long words cut
    ASSERT_EQ(sprintf("%-=10s\n", "one\ntwo three"), "one       \ntwo three \n");
    ASSERT_EQ(sprintf("> %-=6s <\n", "aa bb cc"), "> aa bb  <\n  cc    \n");
    // two columns side by side; the separator is not repeated
    ASSERT_EQ(sprintf("%-=8s | %-=8s|\n", "aaa bbb ccc ddd", "one two"),
              "aaa bbb  | one two |\nccc ddd \n");
    ASSERT_EQ(sprintf("%-=4s %-=4s\n", "a", "b c d"), "a    b c \n     d   \n");
    ASSERT_EQ(sprintf("%-=5s", ""), "     ");
    ASSERT_EQ(sprintf("%-=*s", 3, "ab cd"), "ab \ncd ");

    // table mode (%#): '\n'-separated words in columns, top to bottom
    ASSERT_EQ(sprintf("%-#20s\n", "one\ntwo\nthree\nfour\nfive\nsix\nseven"),
              "one   four  seven   \n"
              "two   five          \n"
              "three six           \n");
    ASSERT_EQ(sprintf("%-#20.2s\n", "one\ntwo\nthree\nfour\nfive"),   // 2 columns
              "one       four      \n"
              "two       five      \n"
              "three               \n");
    ASSERT_EQ(sprintf("%-#10s\n", "a\nb"), "a    b    \n");
    ASSERT_EQ(sprintf("%#s", "x\ny"), "x\ny");                       // no width: one column

    // several arguments; extra arguments are ignored
    ASSERT_EQ(sprintf("%s=%d;", "x", 1, "ignored"), "x=1;");
    ASSERT_EQ(sprintf("%s-%s-%s", "a", "b", "c"), "a-b-c");

    // destructed objects read as 0
    object ob = clone_object(file_name(this_object()));
    destruct(ob);
    ASSERT_EQ(sprintf("%O|%s", ({ ob }), ob), "({ /* sizeof() == 1 */\n  0\n})|0");

    // errors
    ASSERT_ERROR(sprintf("%d"), "sprintf: too few arguments");
    ASSERT_ERROR(sprintf("%s %s", "a"), "too few arguments (1 given, %s needs one more)");
    ASSERT_ERROR(sprintf("%*d", 5), "too few arguments");
    ASSERT_ERROR(sprintf("%d", "x"), "sprintf: argument 1 is string, %d expects int");
    ASSERT_ERROR(sprintf("%d", 1.5), "%d expects int");
    ASSERT_ERROR(sprintf("%c", "x"), "%c expects int");
    ASSERT_ERROR(sprintf("%x", ({ })), "%x expects int");
    ASSERT_ERROR(sprintf("%f", "1.5"), "%f expects float or int");
    ASSERT_ERROR(sprintf("%*d", "5", 1), "'*' expects int");
    ASSERT_ERROR(sprintf("%q", 1), "sprintf: unknown conversion '%q'");
    ASSERT_ERROR(sprintf("abc%"), "incomplete directive");
    ASSERT_ERROR(sprintf("%5"), "incomplete directive");
    ASSERT_ERROR(sprintf("%'ab", "x"), "unterminated pad string");
    ASSERT_ERROR(sprintf("%@d", 5), "%@d expects an array");
    ASSERT_ERROR(sprintf("%@d", ({ 1, "x" })), "%d expects int");
    ASSERT_ERROR(sprintf("%=d", 5), "column (%=) and table (%#) modes are for %s only");
    ASSERT_ERROR(sprintf("%@=s", ({ "a" })), "modes are for %s only");
    ASSERT_ERROR(sprintf("%999999999999d", 1), "too large");
    ASSERT_ERROR(sprintf(0), "Bad argument 1 to sprintf()");
    return 0;
}
