-- bench/lpc/workload.lua - the same work as workload.c, for the ratio.
local checksum = 0
for _ = 1, 300 do
    local counts = {}
    local items = {}
    for i = 0, 999 do
        local key = "key" .. (i % 97)
        items[i + 1] = key .. ":" .. i
        counts[key] = (counts[key] or 0) + 1
    end
    for k, v in pairs(counts) do
        checksum = checksum + v * #k
    end
    for i = 1, #items do
        checksum = checksum + #items[i]
    end
    local s = ""
    for i = 1, 200 do
        s = s .. string.sub(items[i], 1, 3)
    end
    checksum = checksum + #s
    local nums = {}
    for i = 0, 499 do
        nums[i + 1] = (i * 7919) % 1000
    end
    local best = 0
    for _, n in ipairs(nums) do
        if n > best then
            best = n
        end
    end
    checksum = checksum + best
    local inv = {}
    local size = 0
    for i = 0, 499 do
        if inv[nums[i + 1]] == nil then
            size = size + 1
        end
        inv[nums[i + 1]] = i
    end
    checksum = checksum + size
end
io.write("checksum = " .. checksum .. "\n")
