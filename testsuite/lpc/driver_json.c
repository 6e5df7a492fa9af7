// to_json / from_json (src/efun_json.c, jansson).
#include "assert.h"

int main(string *args)
{
    // scalars
    ASSERT_EQ(to_json(0), "0");
    ASSERT_EQ(to_json(-12), "-12");
    ASSERT_EQ(to_json(9223372036854775807), "9223372036854775807");
    ASSERT_EQ(to_json(1.5), "1.5");
    ASSERT_EQ(to_json("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
    ASSERT_EQ(to_json("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    // containers; mappings keep their order
    ASSERT_EQ(to_json(({ })), "[]");
    ASSERT_EQ(to_json(([ ])), "{}");
    ASSERT_EQ(to_json(({ 1, "x", ({ 2.5 }), ([ "k": 0 ]) })), "[1,\"x\",[2.5],{\"k\":0}]");
    ASSERT_EQ(to_json(([ "b": 1, "a": ({ }) ])), "{\"b\":1,\"a\":[]}");
    // invalid UTF-8 is repaired (U+FFFD per bad byte), in keys too
    ASSERT_EQ(to_json("a\xffz"), "\"a\xef\xbf\xbdz\"");
    ASSERT_EQ(to_json("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");   // overlong
    ASSERT_EQ(to_json("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); // surrogate
    ASSERT_EQ(to_json(([ "k\xfe": 1 ])), "{\"k\xef\xbf\xbd\":1}");
    // NUL bytes in strings are escaped
    ASSERT_EQ(to_json("a\0b"), "\"a\\u0000b\"");
    // errors
    ASSERT_ERROR(to_json(([ 1: 2 ])), "not a string");
    ASSERT_ERROR(to_json(([ ({ }): 2 ])), "not a string");
    ASSERT_ERROR(to_json(this_object()), "object has no JSON form");
    ASSERT_ERROR(to_json((: 1 :)), "no JSON form");
    ASSERT_ERROR(to_json(({ 1, ({ this_object() }) })), "no JSON form");
    mixed deep = 1;
    for (int i = 0; i < 250; i++)
        deep = ({ deep });
    ASSERT_ERROR(to_json(deep), "nested deeper");

    // from_json
    ASSERT_EQ(from_json("{\"a\": [1, 2.5, \"s\", null, true, false, {}]}"),
              ([ "a": ({ 1, 2.5, "s", 0, 1, 0, ([ ]) }) ]));
    ASSERT_EQ(from_json("42"), 42);
    ASSERT_EQ(from_json("-1.25e2"), -125.0);
    ASSERT_EQ(typeof(from_json("2.0")), "float");
    ASSERT_EQ(from_json("\"\\u00e9\\n\""), "\xc3\xa9\n");
    ASSERT_EQ(from_json("\"a\\u0000b\""), "a\0b");
    ASSERT_EQ(from_json("null"), 0);
    ASSERT_EQ(from_json(" [ ] "), ({ }));
    // round trips
    mixed *vals = ({ 0, -5, 0.5, "", "x\ny", ({ 1, ({ 2 }) }),
                     ([ "a": ([ "b": ({ 1, "c" }) ]), "d": 1.25 ]) });
    foreach (mixed v in vals)
        ASSERT_EQ(from_json(to_json(v)), v);
    // errors name the position
    ASSERT_ERROR(from_json(""), "from_json: line 1");
    ASSERT_ERROR(from_json("[1, 2"), "column");
    ASSERT_ERROR(from_json("{\"a\" 1}"), "line 1, column 6");
    ASSERT_ERROR(from_json("[1,\n2,\n?]"), "line 3");
    ASSERT_ERROR(from_json("[1] x"), "end of file expected");
    ASSERT_ERROR(from_json("\"\xff\""), "unable to decode byte 0xff");
    return 0;
}
