int main(string *args)
{
    return no_such_function(1);
}
