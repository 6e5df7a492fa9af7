// bench/lpc/fib.c - recursive Fibonacci: calls, int arithmetic,
// comparisons.  fib(27) ten times (about 6.4 million calls).
int fib(int n)
{
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

int main(string *args)
{
    int r;
    for (int i = 0; i < 10; i++)
        r = fib(27);
    write("fib(27) = " + r + "\n");
    return 0;
}
