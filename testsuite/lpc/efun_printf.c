// printf(): sprintf() written to the user (stdout under --run); the exact
// output is in efun_printf.out.  It returns nothing and raises sprintf's
// errors (writing nothing).
#include "assert.h"

int main(string *args)
{
    printf("");
    printf("plain\n");
    printf("%s=%d|%-4s|%5.2f|%%\n", "x", 42, "ab", 3.14159);
    printf("%O\n", ({ 1, ([ "k" : "v" ]) }));
    printf("%-=6s|\n", "aa bb cc");
    ASSERT_EQ(printf(""), 0);
    ASSERT_ERROR(printf("never %d"), "sprintf: too few arguments");
    ASSERT_ERROR(printf("%d", "x"), "%d expects int");
    ASSERT_ERROR(printf(1), "Bad argument 1 to printf()");
    printf("end\n");
    return 0;
}
