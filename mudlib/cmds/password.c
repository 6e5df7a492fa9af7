// password: change your password (old one first, new one twice; no echo).
string help() { return "password             change your password\n"; }

int main(string arg)
{
    write("Old password: ");
    input_to("get_old", 1);
    return 1;
}

void get_old(string old_pw)
{
    write("\nNew password (at least 6 characters): ");
    input_to("get_new", 1, old_pw);
}

void get_new(string new_pw, string old_pw)
{
    write("\n");
    if (!new_pw || strlen(new_pw) < 6) {
        write("That is too short; password unchanged.\n");
        return;
    }
    write("Type it again: ");
    input_to("confirm", 1, old_pw, new_pw);
}

void confirm(string again, string old_pw, string new_pw)
{
    write("\n");
    if (again != new_pw) {
        write("Those were different; password unchanged.\n");
        return;
    }
    if (this_player()->change_password(old_pw, crypt(new_pw, crypt_salt())))
        write("Password changed.\n");
    else
        write("The old password was wrong; password unchanged.\n");
}
