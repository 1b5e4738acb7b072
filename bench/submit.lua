-- wrk script of the submit benchmark: every request POSTs a form to a DIFFERENT link.
-- Arguments after "--": the requests file (one "path<TAB>urlencoded body[<TAB>Cookie]" per line) and the
-- number of wrk threads. Thread k sends lines k, k+n, k+2n, ... once each; a thread that runs
-- out stops itself (and done() says so: the run then had too few invitations to be valid).
local threads = {}
local requests = {}
local count = 0
exhausted = 0
sent = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      -- path TAB body [TAB Cookie header]: the session cookie that goes with the body's CSRF token
      local tab = line:find("\t", 1, true)
      local path, rest = line:sub(1, tab - 1), line:sub(tab + 1)
      local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
      local tab2 = rest:find("\t", 1, true)
      if tab2 then
        headers["Cookie"] = rest:sub(tab2 + 1)
        rest = rest:sub(1, tab2 - 1)
      end
      requests[#requests + 1] = wrk.format("POST", path, headers, rest)
    end
    i = i + 1
  end
end

function request()
  count = count + 1
  if count > #requests then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  sent = count
  return requests[count]
end

function done(summary, latency, reqs)
  local exhausted_threads, sent_total = 0, 0
  for _, t in ipairs(threads) do
    exhausted_threads = exhausted_threads + t:get("exhausted")
    sent_total = sent_total + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "sent": %d, "exhausted_threads": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, sent_total, exhausted_threads,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
