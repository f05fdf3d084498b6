-- wrk script of scripts/bench-load. Sends GET with "Authorization: Bearer
-- <token>", tokens read from the file named by WRK_TOKENS:
--   WRK_MODE=static  the first token on every request (wrk's precomputed
--                    request: no Lua per request)
--   WRK_MODE=cycle   thread i of n sends tokens i, i+n, i+2n, ... of the file,
--                    wrapping at its end
-- At the end, writes one line of JSON to the file named by WRK_RESULT.
local mode = os.getenv("WRK_MODE") or "static"
local file = os.getenv("WRK_TOKENS")

local function read_tokens()
  local list = {}
  for line in io.lines(file) do
    if #line > 0 then list[#list + 1] = line end
  end
  assert(#list > 0, "no tokens in " .. file)
  return list
end

if mode == "static" then
  local list = read_tokens()
  wrk.headers["Authorization"] = "Bearer " .. list[1]
else
  local threads = {}
  local counter = 0
  function setup(thread)
    thread:set("id", counter)
    threads[#threads + 1] = thread
    counter = counter + 1
  end
  local tokens, pos, step
  function init(args)
    tokens = read_tokens()
    step = tonumber(os.getenv("WRK_THREADS") or "1")
    pos = id + 1
  end
  function request()
    local t = tokens[pos]
    pos = pos + step
    if pos > #tokens then pos = pos - #tokens end
    return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. t })
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_RESULT"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  out:close()
end
