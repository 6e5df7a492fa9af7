int main(string *args)
{
    if (1) {
        return 0;
}
