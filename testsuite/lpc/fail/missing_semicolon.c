int main(string *args)
{
    int x = 1
    return x;
}
