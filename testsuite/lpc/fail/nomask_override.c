inherit "/lib/fixed";
int fixed() { return 2; }
int main(string *args) { return 0; }
