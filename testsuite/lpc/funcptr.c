// Function pointers: (: f :), bound arguments, (: efun :), (: expr $n :),
// function(...) { } closures with copied locals, $(expr), evaluate, bind,
// functionp.
#include "assert.h"

int base = 100;

int add(int a, int b) { return a + b; }
int add_base(int a) { return a + base; }
string greet(string who) { return "hi " + who; }

function make_adder(int n) { return (: $1 + n :); }

int main(string *args)
{
    function f = (: add :);
    ASSERT_EQ(evaluate(f, 2, 3), 5);
    function g = (: add, 10 :);
    ASSERT_EQ(evaluate(g, 5), 15);
    ASSERT_EQ(evaluate((: greet :), "bob"), "hi bob");
    ASSERT_EQ(evaluate((: sizeof :), ({ 1, 2, 3 })), 3);
    ASSERT_EQ(evaluate((: typeof, 1 :)), "int");

    // expression closures
    function sq = (: $1 * $1 :);
    ASSERT_EQ(evaluate(sq, 7), 49);
    ASSERT_EQ(evaluate((: $2 - $1 :), 1, 10), 9);
    ASSERT_EQ(evaluate((: base + $1 :), 1), 101);     // globals are live
    base = 200;
    ASSERT_EQ(evaluate((: add_base($1) :), 1), 201);

    // captured locals are copied when the pointer is made
    int local = 5;
    function cap = (: local * 2 :);
    local = 6;
    ASSERT_EQ(evaluate(cap), 10);
    function adder = make_adder(3);
    ASSERT_EQ(evaluate(adder, 4), 7);
    ASSERT_EQ(evaluate(make_adder(10), 4), 14);

    // $(expr) is evaluated at creation
    int counter = 1;
    function snap = (: $(counter + 1) :);
    counter = 50;
    ASSERT_EQ(evaluate(snap), 2);

    // anonymous functions
    function fact = function(int n) {
        int r = 1;
        for (int i = 2; i <= n; i++)
            r *= i;
        return r;
    };
    ASSERT_EQ(evaluate(fact, 5), 120);
    int outside = 7;
    function uses = function(int x) { return x + outside; };
    outside = 0;
    ASSERT_EQ(evaluate(uses, 1), 8);
    // writes inside do not persist between calls
    function inc = function() { outside++; return outside; };
    ASSERT_EQ(evaluate(inc), 1);
    ASSERT_EQ(evaluate(inc), 1);
    ASSERT_EQ(outside, 0);
    // nested closures capture through the middle one
    function outer = function(int a) {
        return function(int b) { return a * 10 + b + outside; };
    };
    ASSERT_EQ(evaluate(evaluate(outer, 4), 2), 42);
    function noargs = function() { return "none"; };
    ASSERT_EQ(evaluate(noargs, 1, 2, 3), "none");

    // (*f)(args) is evaluate(f, args)
    ASSERT_EQ((*f)(4, 5), 9);
    ASSERT_EQ((*make_adder(1))(1), 2);

    // evaluate of a non-function returns it
    ASSERT_EQ(evaluate(5), 5);

    // functionp
    ASSERT_EQ(functionp(5), 0);
    ASSERT(functionp(f));
    ASSERT(functionp(sq));
    ASSERT(functionp((: sizeof :)));
    ASSERT(functionp(g) & 0x10);

    // pointers in containers, and as values
    mixed *ops = ({ (: $1 + $2 :), (: $1 * $2 :) });
    ASSERT_EQ(evaluate(ops[1], 3, 4), 12);
    mapping table = ([ "twice": (: $1 * 2 :) ]);
    ASSERT_EQ(evaluate(table["twice"], 21), 42);

    // bind to another object running the same program
    object other = clone_object("/lib/counter");
    object another = clone_object("/lib/counter");
    other->set(5);
    another->set(9);
    function q = other->getter();
    ASSERT_EQ(evaluate(q), 5);
    ASSERT_EQ(evaluate(bind(q, another)), 9);
    ASSERT_ERROR(bind(q, this_object()), "does not run the program");
    destruct(other);
    ASSERT_ERROR(evaluate(q), "destructed");
    ASSERT(functionp(q) & 0x20);
    return 0;
}
