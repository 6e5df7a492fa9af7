-- bench/lpc/fib.lua - the same as fib.c in Lua, for the ratio.
local function fib(n)
    if n < 2 then
        return n
    end
    return fib(n - 1) + fib(n - 2)
end

local r
for _ = 1, 10 do
    r = fib(27)
end
io.write("fib(27) = " .. r .. "\n")
