// An uncaught runtime error: exit status 1, the message and the LPC stack
// trace on stderr (checked by errors_uncaught.err), output so far kept.
int divide(int a, int b)
{
    return a / b;
}

int main(string *args)
{
    write("before\n");
    divide(1, 0);
    write("after\n");
    return 0;
}
