-- Shared by every wrk script of `make bench`: at the end, one line of JSON
-- the driver reads (latencies in microseconds), with the HTTP statuses seen
-- when the script counted them.
local report = {}

function report.json(summary, latency, statuses)
	local parts = {}
	for status, count in pairs(statuses or {}) do
		parts[#parts + 1] = string.format('"%d": %d', status, count)
	end
	local e = summary.errors
	io.write(string.format(
		'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
		'"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
		'"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
		'"statuses": {%s}}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.max, latency.mean, table.concat(parts, ", ")))
end

return report
