-- wrk script: POSTs realistic Recall transcript.data events, each unique.
--
--   wrk ... -s recall_event.lua URL -- NONCE SIZE MODE [RATE]
--
-- NONCE  a string unique to this run; every body carries it (the sink
--        drain measurement counts the lines that hold it)
-- SIZE   target body size in bytes (1126 for the ~1.1 KB event, 4096)
-- MODE   keepalive | close ("Connection: close": one request per connection)
-- RATE   optional pacing: RATE requests/s in total (per wrk thread).
--        Every request gets the next slot of a fixed schedule, 1/RATE
--        apart, and wrk's delay() holds its connection until that slot:
--        an open-loop schedule, so a slow answer does not lower the rate
--        (after a stall at most 10 ms worth of slots is caught up).
--
-- Every body differs: the thread's id and a fixed-width counter are
-- spoken words of the utterance, so a receiver's dedup by body digest
-- never hits and every request is a new event. The shape follows
-- RECALL_EVENTS.md (envelope, words with relative/absolute timestamps,
-- a null end_timestamp, participant, realtime_endpoint, transcript,
-- recording and bot with metadata). The request bytes are built once;
-- each request only formats the counter, so the generator stays cheap.

local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("thread_id", thread_counter)
end

local vocabulary = {
   "so", "the", "Q3", "numbers", "look", "better", "than", "we", "planned",
   "let's", "review", "roadmap", "before", "Friday", "Zoë", "said", "that",
   "migration", "is", "done", "and", "latency", "dropped", "by", "half",
}

local function word(text, i)
   local start = 14 + i * 0.25
   local ts = string.format('{"relative":%.2f,"absolute":' ..
      '"2026-11-26T16:20:%06.3fZ"}', start, (start % 60))
   local stop = i % 5 == 4 and "null" or
      string.format('{"relative":%.2f}', start + 0.2)
   return string.format('{"text":"%s","start_timestamp":%s,' ..
      '"end_timestamp":%s}', text, ts, stop)
end

-- The envelope around the words array.
local head_json = '{"event":"transcript.data","data":{"data":{"words":['
local tail_json = '],"participant":{"id":100,"name":"Zoë Ångström",' ..
   '"is_host":true,"platform":"desktop","extra_data":{},"email":null}},' ..
   '"realtime_endpoint":{"id":"8d1c2f9e-5b7a-4c3d-9e21-0a6b4c8d2e11",' ..
   '"metadata":{"team":"research"}},"transcript":{"id":' ..
   '"c3b8a1d4-7e62-4f90-8a15-2d9e6f0b4c77","metadata":{}},"recording":' ..
   '{"id":"f47ac10b-58cc-4372-a567-0e02b2c3d479","metadata":' ..
   '{"customer":"acme"}},"bot":{"id":"2d0a6c3e-9f14-4b8e-a7c2-' ..
   '5e1f0b9d3a86","metadata":{"meeting":"weekly sync"}}}}'

local COUNTER_DIGITS = 12
local CATCH_UP_MS = 10
local prefix, suffix, interval_ms, next_slot

-- Wall-clock milliseconds (LuaJIT's FFI: plain Lua has only seconds).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- Splits the body around the counter: prefix .. counter .. suffix, with
-- words added until the body reaches the target size.
local function build_body(nonce, target)
   local first = word("ticket-" .. nonce .. "-" .. thread_id, 0) .. "," ..
      '{"text":"'
   local rest = '","start_timestamp":{"relative":14.25},' ..
      '"end_timestamp":{"relative":14.45}}'
   local words, i = {}, 2
   local fixed = #head_json + #first + COUNTER_DIGITS + #rest + #tail_json
   while fixed + #table.concat(words) < target do
      local w = "," .. word(vocabulary[(i % #vocabulary) + 1], i)
      if fixed + #table.concat(words) + #w > target + 64 then break end
      words[#words + 1] = w
      i = i + 1
   end
   return head_json .. first, rest .. table.concat(words) .. tail_json
end

function init(args)
   local nonce, size, mode = args[1], tonumber(args[2]), args[3]
   local rate = tonumber(args[4])
   if not (nonce and size and (mode == "keepalive" or mode == "close")) then
      error("usage: -- NONCE SIZE keepalive|close [RATE]")
   end
   local body_head, body_tail = build_body(nonce, size)
   local length = #body_head + COUNTER_DIGITS + #body_tail
   local headers = "Host: " .. wrk.host .. ":" .. wrk.port .. "\r\n" ..
      "Content-Type: application/json\r\n" ..
      "Content-Length: " .. length .. "\r\n" ..
      (mode == "close" and "Connection: close\r\n" or "")
   prefix = "POST " .. wrk.path .. " HTTP/1.1\r\n" .. headers .. "\r\n" ..
      body_head
   suffix = body_tail
   if rate then
      -- wrk arms its per-request timer only when a global delay exists.
      interval_ms, next_slot = 1000 / rate, now_ms()
      delay = paced_delay
   end
   if thread_id == 1 then
      io.stderr:write(string.format("recall_event.lua: body %d bytes\n",
         length))
   end
end

local counter = 0

function request()
   counter = counter + 1
   return prefix .. string.format("%012d", counter) .. suffix
end

-- Installed as delay() by init only when pacing: how long this request
-- waits for its slot, in whole milliseconds (wrk's timer unit).
function paced_delay()
   local now = now_ms()
   next_slot = math.max(next_slot + interval_ms, now - CATCH_UP_MS)
   return math.max(0, math.floor(next_slot - now))
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk_result requests=%d duration_us=%d non2xx=%d connect_err=%d " ..
      "read_err=%d write_err=%d timeouts=%d p50_us=%d p99_us=%d " ..
      "max_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect, e.read,
      e.write, e.timeout, latency:percentile(50), latency:percentile(99),
      latency.max))
end
