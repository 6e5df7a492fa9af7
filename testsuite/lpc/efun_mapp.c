// mapp(): 1 for mappings only.
#include "assert.h"

int main(string *args)
{
    ASSERT_EQ(mapp(([ ])), 1);
    ASSERT_EQ(mapp(([ 1 : 2 ])), 1);
    ASSERT_EQ(mapp(allocate_mapping(4)), 1);
    ASSERT_EQ(mapp(0), 0);
    ASSERT_EQ(mapp(({ })), 0);
    ASSERT_EQ(mapp("m"), 0);
    return 0;
}
