int main(string *args)
{
    switch (1) {
    case 1: break;
    case 0..3: break;
    }
    return 0;
}
