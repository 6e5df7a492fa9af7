inherit "/lib/missing";
int main(string *args) { return 0; }
