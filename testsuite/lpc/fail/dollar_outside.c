int main(string *args)
{
    return $1;
}
