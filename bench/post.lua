-- `make bench`: form posts, each thread cycling through its share of the
-- pre-built bodies in a file (one urlencoded body per line), counting every
-- HTTP status so the driver can compare 303s with committed rows:
--   wrk -t T ... -s post.lua URL -- PATH BODIES_FILE T
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local report = require("report")

local threads = {}

function setup(thread)
	threads[#threads + 1] = thread
	thread:set("id", #threads)
end

local bodies, next_body = {}, 0
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
counts = {}

function init(args)
	local path, file, nthreads = args[1], args[2], tonumber(args[3])
	-- Each thread takes every nthreads-th line, so no body is sent twice
	-- until the pool runs out.
	local line_no = 0
	for line in io.lines(file) do
		if line_no % nthreads == (id or 1) - 1 then
			bodies[#bodies + 1] = wrk.format("POST", path, headers, line)
		end
		line_no = line_no + 1
	end
	assert(#bodies > 0, "no bodies for this thread in " .. file)
end

function request()
	next_body = next_body % #bodies + 1
	return bodies[next_body]
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local statuses = {}
	for _, thread in ipairs(threads) do
		for status, count in pairs(thread:get("counts") or {}) do
			statuses[status] = (statuses[status] or 0) + count
		end
	end
	report.json(summary, latency, statuses)
end
