int main(string *args)
{
    1 = 2;
    return 0;
}
