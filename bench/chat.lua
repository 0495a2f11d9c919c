-- wrk script: a ~1 KB non-streamed chat completion request.
local content = string.rep("The quarterly report lists revenue by region. ", 19)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("EUGATE_KEY") or "none")
wrk.body = '{"model":"mistral-small-latest","messages":[{"role":"user","content":"'
	.. content .. '"}],"temperature":0.3,"max_tokens":64}'
