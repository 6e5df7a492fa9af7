// An endless loop hits the eval-cost limit: an error, not a hang.
int main(string *args)
{
    int n;
    while (1)
        n++;
    return 0;
}
