// Test master for check_runtime_e2e: the smallest master that uses every
// driver apply.

object connect(int port) {
    return clone_object("/obj/login");
}

string *epilog(int load_empty) {
    return ({ "/room/start" });
}

void preload(string file) {
    load_object(file);
}

// Errors whose text says "plain" fall back to the driver's default
// message; the others get this one.
mixed error_handler(mapping err, int caught) {
    if (strsrch(err["error"], "plain") >= 0)
        return 0;
    return "Oops: " + err["error"] + "\n";
}

void driver_shutdown() {
    write_file("/data/shutdown.txt", "saved " + sizeof(users()) + "\n", 1);
}
