int main(string *args)
{
    break;
    return 0;
}
