int two(int a, int b) { return a + b; }
int main(string *args)
{
    return two(1, 2, 3);
}
