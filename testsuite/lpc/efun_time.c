// time(): seconds since the epoch, a 64-bit int.
#include "assert.h"

int main(string *args)
{
    int t = time();
    ASSERT(t > 1600000000);             // after September 2020
    int t2 = time();
    ASSERT(t2 >= t && t2 - t < 60);
    ASSERT(intp(time()));
    return 0;
}
