// Loaded by the sandbox test: proves the file was readable.
