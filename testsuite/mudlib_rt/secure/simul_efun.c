// Test simul_efun: one helper.
string capitalize_word(string s) {
    return upper_case(s[0..0]) + s[1..];
}
