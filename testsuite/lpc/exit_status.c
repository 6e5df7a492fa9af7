// main()'s return value is the exit status; write() goes to stdout.
int main(string *args)
{
    write("one ");
    write(2);
    write(" ");
    write(3.5);
    write("\n");
    write(({ 1 }));
    write("\n");
    return 7;
}
