"""Proxying through the real eugate: what the upstream got, what the
client got, what storage holds; routing, failover, translation, errors."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Env, Tap, chat_body, closed_port, wait_for)  # noqa: E402

tap = Tap()
env = Env("proxy-")
up = env.upstream(name="eu1")
oai = env.upstream(name="vllm", openai=True)
gw = env.gateway(
    [{"name": "eu1", "url": up.url, "kind": "mistral", "region": "eu",
      "api_key_env": "UPSTREAM_EU1_KEY", "models": "mistral-*, codestral-*"},
     {"name": "vllm", "url": oai.url, "kind": "openai", "region": "onprem",
      "models": "open-*"}],
    gateway="max_body_bytes = 64k\n",
    # Proxying, not PII: the default policy forwards files untouched.
    policies="[policy default]\npii = off\nshared_objects = on\n"
             "[policy strict]\nmodels = mistral-small*\n",
    env={"UPSTREAM_EU1_KEY": "sk-upstream-eu1-secret"})
key = gw.new_key("team-a")


def n_requests(u):
    return len(u.requests())


def test_chat():
    st, h, body = gw.api("POST", "/v1/chat/completions",
                         chat_body("hello there", temperature=0.7),
                         key=key, headers={
                             "Connection": "keep-alive, X-Fake-Drop-Me",
                             "X-Fake-Drop-Me": "1", "X-Not-Listed": "2",
                             "User-Agent": "sdk/1", "Keep-Alive": "timeout=5"})
    tap.eq(st, 200, "chat: 200")
    res = json.loads(body)
    tap.eq(res["choices"][0]["message"]["content"], "echo: hello there",
           "chat: the upstream's answer reaches the client")
    rid = h.get("x-request-id")
    tap.ok(rid and len(rid) == 32, "chat: a request id is returned")
    tap.ok(h.get("x-ratelimit-remaining-req-minute") == "999",
           "chat: x-ratelimit-* headers pass through")
    tap.ok("set-cookie" not in h and "x-upstream-name" not in h,
           "chat: other upstream headers do not", h)
    got = up.last()
    tap.eq(got["headers"].get("authorization"), "Bearer sk-upstream-eu1-secret",
           "chat: the upstream got its own key")
    tap.ok(key not in json.dumps(got), "chat: the client key never reached it")
    tap.eq(got["headers"].get("x-request-id"), rid,
           "chat: the upstream saw the same request id")
    tap.ok("x-fake-drop-me" not in got["headers"] and
           "keep-alive" not in got["headers"] and
           "x-not-listed" not in got["headers"] and
           got["headers"].get("user-agent") == "sdk/1",
           "chat: hop-by-hop, Connection-listed and unlisted headers "
           "dropped, listed ones forwarded",
           got["headers"])
    sent = json.loads(got["body"])
    tap.eq(sent, chat_body("hello there", temperature=0.7),
           "chat: the body reached the upstream unchanged in meaning")
    tap.eq(got["body"], json.dumps(chat_body("hello there", temperature=0.7)),
           "chat: a body no policy changed goes as it came, byte for byte")
    row = gw.row(rid)
    tap.ok(row is not None, "chat: storage has a row")
    tap.eq((row["status"], row["prompt_tokens"], row["completion_tokens"],
            row["team"], row["model"], row["upstream"], row["method"],
            row["path"], row["streamed"]),
           (200, 10, 5, "team-a", "mistral-small-latest", "eu1", "POST",
            "/v1/chat/completions", 0), "chat: the row holds the request")
    tap.eq(row["key_id"], key[4:16], "chat: the row holds the key id")


def test_request_id_from_client():
    st, h, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"X-Request-Id": "client-req.42"})
    tap.eq(h.get("x-request-id"), "client-req.42",
           "request id: a well-formed client id is kept")
    tap.eq(up.last()["headers"].get("x-request-id"), "client-req.42",
           "request id: and forwarded")
    st, h, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"X-Request-Id": "bad id with spaces"})
    tap.ok(h.get("x-request-id") != "bad id with spaces",
           "request id: a malformed one is replaced")


def test_endpoints():
    st, _, body = gw.api("POST", "/v1/fim/completions",
                         {"model": "codestral-latest", "prompt": "def f(",
                          "suffix": "return 1"}, key=key)
    tap.eq(st, 200, "fim: 200")
    tap.eq(up.last()["uri"], "/v1/fim/completions", "fim: forwarded path")
    st, h, body = gw.api("POST", "/v1/embeddings",
                         {"model": "mistral-embed", "input": ["a", "b"]},
                         key=key)
    tap.eq(st, 200, "embeddings: 200")
    tap.eq(gw.row(h["x-request-id"])["prompt_tokens"], 7,
           "embeddings: usage recorded")
    st, _, body = gw.api("GET", "/v1/models", key=key)
    tap.ok(st == 200 and json.loads(body)["object"] == "list", "models: list")

    payload = bytes(range(256)) * 4
    boundary = "----eugatetest"
    form = ("--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
            "batch\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n"
            "\r\n" % (boundary, boundary)).encode() + payload + \
        ("\r\n--%s--\r\n" % boundary).encode()
    st, _, body = gw.api("POST", "/v1/files", form, key=key, headers={
        "Content-Type": "multipart/form-data; boundary=" + boundary})
    tap.eq(st, 200, "files upload: 200")
    got = up.last()
    tap.eq(got["body_len"], len(form), "files upload: every byte forwarded")
    tap.eq(got["headers"].get("content-type"),
           "multipart/form-data; boundary=" + boundary,
           "files upload: the boundary is kept")
    fid = json.loads(body)["id"]
    tap.eq(json.loads(body)["bytes"], len(payload),
           "files upload: the upstream's answer returns")
    st, _, _ = gw.api("GET", "/v1/files?purpose=batch&page=0", key=key)
    tap.ok(st == 200 and up.last()["uri"] ==
           "/v1/files?purpose=batch&page=0&page_size=100",
           "files list: the client's filters forwarded, pages the gateway's "
           "(it walks lists for the team)", up.last()["uri"])
    st, h, body = gw.api("GET", "/v1/files/%s/content" % fid, key=key)
    tap.ok(st == 200 and h.get("content-type") == "application/octet-stream"
           and 'filename="x.bin"' in h.get("content-disposition", "") and
           body == payload, "files download: bytes and headers relayed",
           (st, h, body[:80]))
    st, _, body = gw.api("POST", "/v1/batch/jobs/job-1/cancel", key=key)
    got = up.last()
    tap.ok(got["method"] == "POST" and got["body_len"] == 0 and
           got["uri"] == "/v1/batch/jobs/job-1/cancel",
           "a POST without a body is forwarded as one", got)
    st, _, body = gw.api("DELETE", "/v1/files/%s" % fid, key=key)
    tap.ok(st == 200 and up.last()["method"] == "DELETE" and
           json.loads(body)["deleted"] is True, "files delete")
    st, _, _ = gw.api("GET", "/v1/files/%s" % fid, key=key)
    tap.eq(st, 404, "files delete: the upstream's 404 after it is relayed")
    # libcurl's easy handles are reset and used again: nothing of the
    # DELETE (its method) or of a POST (its body) may stay for the next.
    st, _, _ = gw.api("GET", "/v1/models", key=key)
    got = up.last()
    tap.ok(st == 200 and got["method"] == "GET" and got["body_len"] == 0,
           "a reused transfer handle: a GET after a DELETE is a GET", got)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    st2, _, _ = gw.api("GET", "/v1/models", key=key)
    got = up.last()
    tap.ok(st == 200 and st2 == 200 and got["method"] == "GET" and
           got["body_len"] == 0 and got["uri"] == "/v1/models",
           "a reused transfer handle: a GET after a POST sends no body", got)


def test_auth():
    before = n_requests(up)
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(),
                         key="egk_" + "A" * 50)
    err = json.loads(body)
    tap.ok(st == 401 and err["code"] == "invalid_api_key" and
           err["object"] == "error", "unknown key: 401 invalid_api_key")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body())
    tap.eq(st, 401, "no key: 401")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                      key=key[:-1] + ("x" if key[-1] != "x" else "y"))
    tap.eq(st, 401, "key with a bad checksum: 401")
    tap.eq(n_requests(up), before, "auth failures never reach the upstream")
    k2 = gw.new_key("team-b")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=k2)
    tap.eq(st, 200, "new key works at once")
    st, _ = gw.admin("DELETE", "/admin/v1/keys/" + k2[4:16])
    tap.eq(st, 200, "revoke: 200")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=k2)
    tap.eq(st, 401, "revoked key: 401 on the very next request")


def test_upstream_errors():
    for code in (500, 422):
        st, h, body = gw.api("POST", "/v1/chat/completions", chat_body(),
                             key=key, headers={"x-fake-status": str(code)})
        tap.ok(st == code and json.loads(body)["message"] ==
               "scripted failure", "upstream %d relayed with its body" % code)
        tap.eq(gw.row(h["x-request-id"])["status"], code,
               "upstream %d recorded" % code)
    st, h, body = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                         headers={"x-fake-status": "429"})
    tap.ok(st == 429 and h.get("retry-after") == "7" and
           json.loads(body)["type"] == "rate_limited",
           "upstream 429 relayed with Retry-After", (st, h))


def test_translation():
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(seed=5, user="u-1", stream_options={
                          "include_usage": True}, max_completion_tokens=9),
                      key=key)
    sent = json.loads(up.last()["body"])
    tap.ok(st == 200 and "stream_options" not in sent and "user" not in sent
           and sent.get("random_seed") == 5 and sent.get("max_tokens") == 9,
           "mistral kind: OpenAI-only fields stripped or renamed", sent)
    st, h, body = gw.api("POST", "/v1/chat/completions",
                         chat_body(model="open-llama", random_seed=3),
                         key=key)
    sent = json.loads(oai.last()["body"])
    tap.ok(st == 200 and sent.get("seed") == 3 and "random_seed" not in sent,
           "openai kind: random_seed -> seed", sent)
    tap.eq(gw.row(h["x-request-id"])["upstream"], "vllm",
           "routing: the model glob picked the openai upstream")
    st, _, body = gw.api("POST", "/v1/fim/completions",
                         {"model": "open-coder", "prompt": "x"}, key=key)
    tap.ok(st == 404 and json.loads(body)["code"] == "endpoint_not_supported",
           "openai kind: FIM is a Mistral-shaped 404", body)
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body(model="gpt-4o"), key=key)
    tap.ok(st == 404 and json.loads(body)["code"] == "model_not_found",
           "no upstream serves the model: 404 model_not_found")


def test_openai_stream_usage():
    st, h, body = gw.api("POST", "/v1/chat/completions",
                         chat_body(model="open-llama", stream=True), key=key)
    sent = json.loads(oai.last()["body"])
    tap.ok(sent.get("stream_options") == {"include_usage": True},
           "openai stream: include_usage injected", sent)
    events = [e for e in body.decode().split("\n\n") if e]
    chunks = [json.loads(e[6:]) for e in events if e != "data: [DONE]"]
    tap.ok(all(c["choices"] for c in chunks),
           "openai stream: no usage-only chunk reaches the client", events)
    tap.ok(chunks[-1].get("usage", {}).get("prompt_tokens") == 10 and
           chunks[-1]["choices"][0]["finish_reason"] == "stop",
           "openai stream: usage folded into the finish chunk (Mistral "
           "shape)", chunks[-1])
    tap.eq(events[-1], "data: [DONE]", "openai stream: [DONE] last")
    row = gw.row(h["x-request-id"])
    tap.eq((row["prompt_tokens"], row["completion_tokens"], row["streamed"]),
           (10, 5, 1), "openai stream: usage recorded")


def test_bad_requests():
    before = n_requests(up)
    st, h, body = gw.api("POST", "/v1/chat/completions", "{not json", key=key,
                         headers={"Content-Type": "application/json"})
    tap.ok(st == 400 and json.loads(body)["code"] == "invalid_json",
           "invalid JSON: 400")
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         '{"model":"mistral-small","model":"open-x",'
                         '"messages":[]}', key=key,
                         headers={"Content-Type": "application/json"})
    tap.ok(st == 400 and json.loads(body)["code"] == "invalid_json",
           "duplicate JSON keys: 400", body)
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body("x" * 70000), key=key)
    tap.ok(st == 413 and json.loads(body)["code"] == "request_too_large",
           "body over max_body_bytes: 413", (st, body))
    st, _, _ = gw.api("GET", "/admin/v1/health", key=key)
    tap.eq(st, 404, "admin paths are not on the client port")
    st, _, _ = gw.api("GET", "/v1/../admin/v1/health", key=key)
    tap.eq(st, 400, "dot segments refused")
    st, _, _ = gw.api("GET", "/v1/files/%2e%2e/x", key=key)
    tap.eq(st, 400, "encoded dot segments refused")
    tap.eq(n_requests(up), before, "none of these reached the upstream")


def test_policy_models():
    k = gw.new_key("team-strict", policy="strict")
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body(model="mistral-large-latest"), key=k)
    tap.ok(st == 403 and json.loads(body)["code"] == "model_not_allowed",
           "policy: a model outside the policy's globs is refused")
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model="mistral-small-latest"), key=k)
    tap.eq(st, 200, "policy: an allowed model passes")


def test_logs_hold_no_secrets():
    log = gw.logtext()
    tap.ok(key not in log and key[16:48] not in log,
           "logs: no client key material")
    tap.ok("hello there" not in log, "logs: no prompt text")
    tap.ok("sk-upstream-eu1-secret" not in log, "logs: no upstream key")


for t in (test_chat, test_request_id_from_client, test_endpoints, test_auth,
          test_upstream_errors, test_translation, test_openai_stream_usage,
          test_bad_requests, test_policy_models, test_logs_hold_no_secrets):
    tap.run(t)


def test_failover():
    e = Env("failover-")
    bad = e.upstream(name="broken", status=503)
    good = e.upstream(name="good")
    g = e.gateway([{"name": "dead", "url": "http://127.0.0.1:%d" %
                    closed_port(), "models": "*"},
                   {"name": "broken", "url": bad.url, "models": "*",
                    "priority": 1},
                   {"name": "good", "url": good.url, "models": "*",
                    "priority": 2}])
    k = g.new_key()
    st, h, body = g.api("POST", "/v1/chat/completions", chat_body("fo"),
                        key=k)
    tap.eq(st, 200, "failover: a dead and a 503 upstream are skipped")
    tap.eq(g.row(h["x-request-id"])["upstream"], "good",
           "failover: the third upstream served it")
    tap.eq(len(bad.requests()), 1, "failover: the 503 one was tried once")
    tap.eq(g.row(h["x-request-id"])["route"], "regions=* dead:unreachable "
           "broken:503", "failover: the record says why each was left")
    st, _, body = g.api("GET", "/v1/models", key=k)
    tap.eq(st, 502, "a model-less path goes to the first upstream only")
    e.close(tap)

    e = Env("down-")
    g = e.gateway([{"name": "dead", "url": "http://127.0.0.1:%d" %
                    closed_port(), "models": "*"}])
    k = g.new_key()
    st, h, body = g.api("POST", "/v1/chat/completions", chat_body(), key=k)
    tap.ok(st == 502 and json.loads(body)["code"] == "upstream_error",
           "all upstreams down: 502 upstream_error (the attempt failed; "
           "503 upstream_unavailable is for open breakers)")
    tap.eq(g.row(h["x-request-id"])["error"], "upstream_error",
           "all upstreams down: recorded")
    e.close(tap)

    e = Env("slow-")
    slow = e.upstream(name="slow", delay_ms=1500)
    fast = e.upstream(name="fast")
    g = e.gateway([{"name": "slow", "url": slow.url, "models": "*"},
                   {"name": "fast", "url": fast.url, "models": "*",
                    "priority": 1}],
                  gateway="upstream_first_byte_timeout = 300ms\n")
    k = g.new_key()
    t0 = time.time()
    st, h, _ = g.api("POST", "/v1/chat/completions", chat_body(), key=k)
    tap.ok(st == 200 and g.row(h["x-request-id"])["upstream"] == "fast" and
           time.time() - t0 < 1.4, "first-byte timeout fails over to the "
           "next upstream")
    e.close(tap)


tap.run(test_failover)
env.close(tap)
tap.done()
