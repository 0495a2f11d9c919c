-- wrk script for bench/run: a ~1 KB chat completion request.
-- PII=1: the prompt carries a few personal values (to pseudonymize).
-- STREAM=1: the request asks for a streamed (SSE) answer.
local content = string.rep("The quarterly report lists revenue by region. ", 19)
if os.getenv("PII") == "1" then
	content = string.rep("The quarterly report lists revenue by region. ", 16)
		.. "Contact Jane Doe at jane.doe@example.com or +49 30 1234567, "
		.. "IBAN DE89 3704 0044 0532 0130 00."
end
local stream = os.getenv("STREAM") == "1" and ',"stream":true' or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("EUGATE_KEY") or "none")
wrk.body = '{"model":"mistral-small-latest","messages":[{"role":"user","content":"'
	.. content .. '"}],"temperature":0.3,"max_tokens":64' .. stream .. '}'
