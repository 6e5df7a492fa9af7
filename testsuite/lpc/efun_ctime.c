// ctime(): "Www Mmm dd hh:mm:ss yyyy" in local time, English names, no
// newline; the day of the month is padded with a space.
#include "assert.h"

private int check_format(string s)
{
    string day, mon;
    int d, h, m, sec, y;
    if (strlen(s) != 24)
        return 0;
    if (member_array(s[0..2], ({ "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" })) < 0)
        return 0;
    if (member_array(s[4..6], ({ "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" })) < 0)
        return 0;
    if (s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':'
        || s[19] != ' ')
        return 0;
    if (sscanf(s[8..], "%d %d:%d:%d %d", d, h, m, sec, y) != 5)
        return 0;
    return d >= 1 && d <= 31 && h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0
        && sec < 61 && y >= 1000;
}

int main(string *args)
{
    ASSERT(check_format(ctime(time())));
    ASSERT(check_format(ctime()));
    ASSERT(check_format(ctime(0)));                 // 1969 or 1970 depending on TZ
    ASSERT(check_format(ctime(1000000000)));
    ASSERT_EQ(ctime(1000000000)[20..], "2001");     // 2001-09-09, any time zone
    ASSERT_EQ(ctime(1000000000)[4..6], "Sep");
    ASSERT(ctime(1000000000)[8..9] == " 8" || ctime(1000000000)[8..9] == " 9"
           || ctime(1000000000)[8..9] == "10");
    // a day below 10 is padded with a space: 2001-01-05 12:00 UTC, which
    // is January 4, 5 or 6 depending on the time zone
    ASSERT_EQ(ctime(978696000)[8], ' ');
    ASSERT(member_array(ctime(978696000)[9], "456") >= 0);
    // no newline at the end
    ASSERT(ctime(0)[<1] != '\n');
    // a time the C library cannot convert is an error
    ASSERT_ERROR(ctime(9223372036854775807), "ctime: time 9223372036854775807 cannot be converted");
    ASSERT_ERROR(ctime("0"), "Bad argument 1 to ctime()");
    return 0;
}
