int main(string *args)
{
    int a;
    string a;
    return 0;
}
