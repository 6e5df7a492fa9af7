int main(string *args)
{
    return y + 1;
}
