int f() { return 1; }
int f() { return 2; }
int main(string *args) { return f(); }
