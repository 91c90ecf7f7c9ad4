-- `make bench`: FAQ searches, cycling through the queries given after `--`:
--   wrk ... -s search.lua URL -- PATH QUERY...
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local report = require("report")

local requests, next_request = {}, 0

function init(args)
	local path = args[1]
	for i = 2, #args do
		requests[#requests + 1] = wrk.format("GET", path .. "?q=" .. args[i])
	end
end

function request()
	next_request = next_request % #requests + 1
	return requests[next_request]
end

function done(summary, latency, requests)
	report.json(summary, latency)
end
