// bench/lpc/workload.c - strings, arrays and mappings: building keys by
// concatenation, counting in a mapping, filling and scanning an array,
// substrings, iterating a mapping.  Same work as workload.lua.
int main(string *args)
{
    int checksum = 0;
    for (int round = 0; round < 300; round++) {
        mapping counts = ([ ]);
        mixed *items = allocate(1000);
        for (int i = 0; i < 1000; i++) {
            string key = "key" + (i % 97);
            items[i] = key + ":" + i;
            counts[key] += 1;
        }
        foreach (string k, int v in counts)
            checksum += v * sizeof(k);
        for (int i = 0; i < sizeof(items); i++)
            checksum += sizeof(items[i]);
        string s = "";
        for (int i = 0; i < 200; i++)
            s += items[i][0..2];
        checksum += sizeof(s);
        int *nums = allocate(500);
        for (int i = 0; i < 500; i++)
            nums[i] = (i * 7919) % 1000;
        int best = 0;
        foreach (int n in nums)
            if (n > best)
                best = n;
        checksum += best;
        mapping inv = ([ ]);
        for (int i = 0; i < 500; i++)
            inv[nums[i]] = i;
        checksum += sizeof(inv);
    }
    write("checksum = " + checksum + "\n");
    return 0;
}
