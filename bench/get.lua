-- `make bench`: GET of the URL on wrk's command line. No request() or
-- response() here, so wrk stays on its fast path; statuses other than 2xx
-- and 3xx still show up in the report's errors.status.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local report = require("report")

function done(summary, latency, requests)
	report.json(summary, latency)
end
