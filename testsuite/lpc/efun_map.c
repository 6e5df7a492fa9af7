// map(): arrays, mappings and strings, with a function pointer or a
// function name (+ object), and extra arguments.
#include "assert.h"

int twice(int x) { return 2 * x; }
int add(int x, int y) { return x + y; }
string tag(mixed k, mixed v, string sep) { return k + sep + v; }
int upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
int calls;
int count_call(int x) { calls++; return x; }

int main(string *args)
{
    // arrays
    ASSERT_EQ(map(({ 1, 2, 3 }), (: $1 * 2 :)), ({ 2, 4, 6 }));
    ASSERT_EQ(map(({ }), (: $1 * 2 :)), ({ }));
    ASSERT_EQ(map(({ 1, 2 }), (: twice :)), ({ 2, 4 }));
    ASSERT_EQ(map(({ 1, 2 }), (: add :), 10), ({ 11, 12 }));            // extra args
    ASSERT_EQ(map(({ 1, 2 }), (: $1 + $2 + $3 :), 10, 100), ({ 111, 112 }));
    ASSERT_EQ(map(({ "a", "b" }), (: $1 + "!" :)), ({ "a!", "b!" }));
    ASSERT_EQ(map(({ 1, "x", ({ }) }), (: typeof :)), ({ "int", "string", "array" }));
    ASSERT_EQ(map(({ "ab", "c" }), (: strlen :)), ({ 2, 1 }));           // an efun
    ASSERT_EQ(map(({ 3 }), function(int x) { return x * x; }), ({ 9 }));

    // by name: in this_object(), in an object, in a file
    ASSERT_EQ(map(({ 1, 2 }), "twice"), ({ 2, 4 }));
    ASSERT_EQ(map(({ 1, 2 }), "twice", this_object()), ({ 2, 4 }));
    ASSERT_EQ(map(({ 1, 2 }), "add", this_object(), 5), ({ 6, 7 }));
    ASSERT_EQ(map(({ 1 }), "twice", file_name(this_object())), ({ 2 }));
    object other = clone_object(file_name(this_object()));
    ASSERT_EQ(map(({ 4 }), "twice", other), ({ 8 }));

    // the source is not changed, the result is new
    int *src = ({ 1, 2 });
    int *dst = map(src, (: $1 + 1 :));
    ASSERT_EQ(src, ({ 1, 2 }));
    ASSERT_EQ(dst, ({ 2, 3 }));

    // mappings: same keys, values f(key, value, extra...)
    ASSERT_EQ(map(([ "a" : 1, "b" : 2 ]), (: $2 * 10 :)), ([ "a" : 10, "b" : 20 ]));
    ASSERT_EQ(map(([ "a" : 1 ]), (: tag :), "="), ([ "a" : "a=1" ]));
    ASSERT_EQ(map(([ "a" : 1 ]), "tag", this_object(), ":"), ([ "a" : "a:1" ]));
    ASSERT_EQ(map(([ ]), (: $2 :)), ([ ]));
    ASSERT_EQ(keys(map(([ "z" : 1, "a" : 2 ]), (: $2 :))), ({ "z", "a" }));
    // the function may change the mapping: map works on a snapshot
    mapping m = ([ "a" : 1, "b" : 2 ]);
    ASSERT_EQ(map(m, (: m[$1 + $1] = 0, $2 :)), ([ "a" : 1, "b" : 2 ]));
    ASSERT_EQ(sizeof(m), 4);

    // strings: byte by byte, the function returns an int
    ASSERT_EQ(map("hello", (: upper :)), "HELLO");
    ASSERT_EQ(map("abc", (: $1 + $2 :), 1), "bcd");
    ASSERT_EQ(map("", (: $1 :)), "");
    ASSERT_EQ(map("a", (: $1 + 256 :)), "a");          // low 8 bits
    ASSERT_ERROR(map("abc", (: "x" :)), "map: the function returned string");

    // each element once, in order
    calls = 0;
    map(({ 1, 2, 3 }), (: count_call :));
    ASSERT_EQ(calls, 3);

    // errors: raised from the function, missing functions, bad arguments
    ASSERT_ERROR(map(({ 1, 2 }), (: $1 == 2 ? error("stop at 2") : $1 :)), "stop at 2");
    ASSERT_ERROR(map(([ 1 : 2 ]), (: error("in mapping") :)), "in mapping");
    ASSERT_ERROR(map(({ 1 }), "no_such_function"), "map: no function 'no_such_function'");
    ASSERT_ERROR(map(({ 1 }), "twice", 42), "Bad argument 3 to map()");
    ASSERT_ERROR(map(({ 1 }), 5), "Bad argument 2 to map()");
    ASSERT_ERROR(map(5, (: $1 :)), "Bad argument 1 to map()");
    ASSERT_ERROR(map(({ 1 }), (: $1 :), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
                 "too many extra arguments");
    return 0;
}
