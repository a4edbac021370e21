-- rest_post.lua — wrk script for bench/rest_bench.sh: POSTs the body in the
-- file named by $BODY_FILE with Content-Type $CTYPE, and counts non-200
-- answers so a run that only produced errors is visible.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CTYPE") or "application/vnd.kafka.binary.v2+json"

local threads = {}
function setup(thread)
    table.insert(threads, thread)
end
function init(args)
    bad = 0
end
function response(status, headers, body)
    if status ~= 200 or string.find(body, '"error_code":5', 1, true) then
        bad = bad + 1
    end
end
function done(summary, latency, requests)
    local n = 0
    for _, t in ipairs(threads) do
        n = n + t:get("bad")
    end
    io.write(string.format("BAD %d\n", n))
end
