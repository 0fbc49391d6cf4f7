-- wrk script: POST a real Alertmanager v4 webhook (bench/live/alert.json) with the
-- bearer token (one alert per post; SELFHEAL_PAYLOAD picks another file), and report latency
-- percentiles. Any non-202 (e.g. 503 back-pressure) is counted as a status error.
--   wrk -t2 -c32 -d20s -s bench/live/post.lua http://127.0.0.1:9095/api/v1/alerts
local f = assert(io.open(os.getenv("SELFHEAL_PAYLOAD") or "bench/live/alert.json", "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("SELFHEAL_TOKEN") or "bench-token-0123456789")

-- SELFHEAL_DELAY_MS paces each connection (wrk's delay() hook: the pause before its next
-- request), so C connections offer about C * 1000 / (delay + latency) posts/s: a
-- rate-controlled load below saturation instead of wrk's default as-fast-as-answered loop.
local pace = tonumber(os.getenv("SELFHEAL_DELAY_MS") or "0")
if pace > 0 then
  function delay()
    return pace
  end
end

local non2xx = 0
function response(status, headers, body)
  if status ~= 202 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%g: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("errors: connect %d read %d write %d timeout %d status %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
