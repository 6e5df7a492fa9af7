nomask int fixed() { return 1; }
