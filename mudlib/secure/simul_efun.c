// simul_efun.c - functions every object can call as if they were efuns.
//
// Keep this small: a simul_efun is a promise to every file in the mudlib.

#include <mudlib.h>

// "  hello world \n" -> "hello world"
string trim(string s)
{
    int from = 0, to = strlen(s) - 1;
    while (from <= to && member_array(s[from], ({ ' ', '\t', '\r', '\n' })) >= 0)
        from++;
    while (to >= from && member_array(s[to], ({ ' ', '\t', '\r', '\n' })) >= 0)
        to--;
    return s[from..to];
}

// Is `who` (a player object or a character name) an admin?
int is_admin(mixed who)
{
    if (objectp(who))
        who = who->query_name();
    return MASTER_OB->is_admin(who);
}

// Appends a time-stamped line to /log/<name>.
void log_file(string name, string text)
{
    MASTER_OB->log_file(name, text);
}

// ({ "a", "b", "c" }) -> "a, b and c".
string list_words(string *words)
{
    int n = sizeof(words);
    if (n == 0)
        return "";
    if (n == 1)
        return words[0];
    return implode(words[0..n - 2], ", ") + " and " + words[n - 1];
}

// A fresh salt for crypt(): SHA-512 ("$6$") and 16 random characters.
string crypt_salt()
{
    string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";
    string salt = "$6$";
    for (int i = 0; i < 16; i++) {
        int k = random(strlen(chars));
        salt += chars[k..k];
    }
    return salt;
}
