"""Spend limits that hold for every multiplier, and absurd numbers from
clients and upstreams, through the real eugate: n (in every form the API
reads) and the max_choices cap, the clamp per choice, arrays of inputs,
OCR pages, speech characters, batch jobs, priority capacity; usage above
the reservation
(charged, flagged, refused after); usage out of bounds (the reservation
charged, reports still work); client numbers refused with 400."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body  # noqa: E402

# Exact micro-euros: 100 per input token, 200 per output token.
IN_EUR, OUT_EUR = 100, 200
PRICES = """[prices]
date = test
batch_factor = 0.5
[model m-test]
input_eur = 100
output_eur = 200
context = 4000
max_output = 500
[model m-emb]
input_eur = 100
output_eur = 0
context = 100
[model m-ocr]
per_page_eur = 0.001
per_annotated_page_eur = 0.002
[model m-tts]
per_million_chars_eur = 1
"""
INT64_MAX = 2**63 - 1

tap = Tap()
env = Env("limits-")
prices = os.path.join(env.dir, "prices.ini")
with open(prices, "w") as f:
    f.write(PRICES)
up = env.upstream(name="up")
# Spend, not PII or ownership: documents pass unscanned, file ids made
# outside eugate are reachable.
gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                 gateway="prices = %s\nmax_choices = 20\n" % prices,
                 policies="[policy default]\npii_unscannable = allow\n"
                          "shared_objects = on\n")


def team(name, budget="1000EUR/total"):
    st, _ = gw.admin("POST", "/admin/v1/teams", {"name": name,
                                                 "budget": budget})
    st2, res = gw.admin("POST", "/admin/v1/keys", {"team": name})
    if st != 201 or st2 != 201:
        raise RuntimeError("team %s: %d %d" % (name, st, st2))
    return res["key"]


def entry(h):
    rows = gw.rows("request_id = ?", (h["x-request-id"],), table="ledger",
                   order="ts")
    return rows[0] if rows else {}


def record(h):
    return gw.row(h["x-request-id"]) or {}


def code(data):
    try:
        return json.loads(data).get("code")
    except ValueError:
        return data[:100]


def metric(name):
    st, _, data = gw.http("GET", "/admin/v1/metrics", headers={
        "Authorization": "Bearer " + gw.admin_token}, port=gw.admin_port)
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def raw_size(body):
    """What the gateway reads as the body's size (the harness sends
    json.dumps of it)."""
    return len(body if isinstance(body, str) else json.dumps(body))


# -- class 5: every multiplier is reserved ------------------------------

def test_choices():
    key = team("multi")
    for n in (4, 20.0, "20", " 20 "):
        body = chat_body("count me", model="m-test", n=n, max_tokens=10)
        st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key)
        want = raw_size(body) * IN_EUR + int(float(n)) * 10 * OUT_EUR
        tap.eq((st, entry(h).get("reserved_eur")), (200, want),
               "n = %s: every choice is reserved" % json.dumps(n), data[:200])
    before = len(up.requests())
    for n in (21, 200, 10000, 0, -1, 2.5, "abc", "2e1", True, [2], "20.5"):
        body = chat_body("count me", model="m-test", n=n)
        st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key)
        tap.ok(st == 400 and code(data) == "invalid_parameter" and
               b"max_choices" in data,
               "n = %s: 400 invalid_parameter" % json.dumps(n), data[:200])
    tap.eq(len(up.requests()), before, "refused n: nothing reached the "
           "upstream")
    # Either output limit may be the one a server obeys: the larger counts.
    body = chat_body("limits", model="m-test", max_tokens=5,
                     max_completion_tokens=400)
    st, h, _ = gw.api("POST", "/v1/chat/completions", body, key=key)
    tap.eq(entry(h).get("reserved_eur"), raw_size(body) * IN_EUR +
           400 * OUT_EUR, "max_completion_tokens above max_tokens is "
           "reserved")


def test_clamp_per_choice():
    body = chat_body("clamp", model="m-test", n=4)
    prompt = raw_size(body) * IN_EUR
    key = team("clampn", "%d.%06dEUR/total" % divmod(
        prompt + 4 * 30 * OUT_EUR + 50, 10**6))
    st, h, _ = gw.api("POST", "/v1/chat/completions", body, key=key)
    sent = json.loads(up.last()["body"])
    tap.ok(st == 200 and sent.get("max_tokens") == 30 and
           h.get("x-eugate-max-tokens") == "30",
           "clamp: each of 4 choices gets 30 tokens", json.dumps(sent)[:200])
    tap.eq(entry(h).get("reserved_eur"), prompt + 4 * 30 * OUT_EUR,
           "clamp: the reservation covers all four choices")
    # Room for 3 tokens in all, not for one token for each of 4 choices.
    key = team("clamp3", "%d.%06dEUR/total" % divmod(
        prompt + 3 * OUT_EUR + 50, 10**6))
    before = len(up.requests())
    st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key)
    tap.ok(st == 429 and code(data) == "budget_exceeded" and
           len(up.requests()) == before,
           "clamp: no room for one token per choice is refused, not "
           "forwarded with max_tokens 1", data[:200])
    body1 = chat_body("clamp", model="m-test", max_completion_tokens=400)
    key = team("clampmct", "%d.%06dEUR/total" % divmod(
        raw_size(body1) * IN_EUR + 30 * OUT_EUR + 50, 10**6))
    st, h, _ = gw.api("POST", "/v1/chat/completions", body1, key=key)
    sent = json.loads(up.last()["body"])
    tap.ok(st == 200 and sent.get("max_tokens") == 30 and
           "max_completion_tokens" not in sent,
           "clamp: max_completion_tokens is lowered too",
           json.dumps(sent)[:200])


def test_inputs_pages_chars():
    key = team("inputs")
    body = {"model": "m-emb", "input": ["x" * 150 for _ in range(10)]}
    st, h, _ = gw.api("POST", "/v1/embeddings", body, key=key)
    tap.eq((st, entry(h).get("reserved_eur")),
           (200, min(raw_size(body), 10 * 100) * IN_EUR),
           "embeddings: ten inputs are bounded by ten contexts, not one")
    doc = {"type": "document_url", "document_url": "https://x.test/a.pdf"}
    for pages, ann, want in (("0-9", False, 10 * 1000),
                             ([1, 2, 3], False, 3 * 1000),
                             (" 0, 2-4 ", True, 4 * 2000),
                             (None, False, 1000 * 1000)):
        body = {"model": "m-ocr", "document": doc}
        if pages is not None:
            body["pages"] = pages
        if ann:
            body["document_annotation_format"] = {"type": "json_schema"}
        st, h, data = gw.api("POST", "/v1/ocr", body, key=key)
        e = entry(h)
        tap.ok(st == 200 and e.get("reserved_eur") == want and
               e.get("cost_eur") == (2000 if ann else 1000),
               "ocr: pages %s%s reserved, the pages processed charged" %
               (json.dumps(pages), " (annotated)" if ann else ""),
               "%d %r" % (st, e))
    img = {"type": "image_url", "image_url": "https://x.test/a.png"}
    st, h, data = gw.api("POST", "/v1/ocr", {"model": "m-ocr",
                                             "document": img}, key=key)
    tap.eq((st, entry(h).get("reserved_eur")), (200, 1000),
           "ocr: an image is one page")
    for pages in ("x", "5-2", {"a": 1}, "1,,2"):
        st, h, data = gw.api("POST", "/v1/ocr", {
            "model": "m-ocr", "document": doc, "pages": pages}, key=key)
        tap.ok(st == 400 and code(data) == "invalid_parameter",
               "ocr: pages %s refused" % json.dumps(pages), data[:200])
    text = "héllo wörld, ça va"
    st, h, data = gw.api("POST", "/v1/audio/speech", {
        "model": "m-tts", "input": text}, key=key)
    e = entry(h)
    tap.ok(st == 200 and e.get("reserved_eur") == len(text) and
           e.get("cost_eur") == len(text) and e.get("state") == "settled",
           "speech: reserved and charged by characters", "%d %r %r" % (
               st, e, data[:100]))
    st, h, data = gw.api("POST", "/v1/audio/speech", {
        "model": "mistral-small-latest", "input": text}, key=key)
    tap.eq((st, code(data)), (403, "price_unknown"),
           "speech: a model without a price per character is refused "
           "under a budget")


def test_batch():
    key = team("batch")
    lines = [{"custom_id": str(i), "body": {
        "messages": [{"role": "user", "content": "line %d" % i}],
        "max_tokens": 10, "n": 2}} for i in range(3)]
    body = {"endpoint": "/v1/chat/completions", "model": "m-test",
            "requests": lines}
    st, h, data = gw.api("POST", "/v1/batch/jobs", body, key=key)
    full = raw_size(body) * IN_EUR + 3 * 2 * 10 * OUT_EUR
    e = entry(h)
    tap.ok(st == 200 and e.get("reserved_eur") == (full + 1) // 2 and
           e.get("state") == "charged" and e.get("cost_eur") ==
           e.get("reserved_eur"),
           "batch: its lines are reserved at the batch price and charged",
           "%d %r want %d" % (st, e, (full + 1) // 2))
    bad = dict(body, requests=[{"custom_id": "0", "body": {
        "messages": [], "n": 500}}])
    st, h, data = gw.api("POST", "/v1/batch/jobs", bad, key=key)
    tap.ok(st == 400 and b"requests[0].body.n" in data,
           "batch: a line's n is read like a request's", data[:200])
    other = dict(body, requests=[{"custom_id": "0", "body": {
        "model": "mistral-large-latest", "messages": []}}])
    st, h, data = gw.api("POST", "/v1/batch/jobs", other, key=key)
    tap.eq((st, code(data)), (400, "invalid_parameter"),
           "batch: a line may not name another model than the job")
    files = {"endpoint": "/v1/chat/completions", "model": "m-test",
             "input_files": ["file-fake-1"]}
    st, h, data = gw.api("POST", "/v1/batch/jobs", files, key=key)
    tap.ok(st == 403 and code(data) == "price_unknown" and
           b"requests[]" in data,
           "batch: input files can not be reserved under a budget",
           data[:300])
    free = gw.new_key("nobudget")
    # A file of that team's, uploaded through the gateway.
    boundary = "b0undary"
    form = ("--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
            "batch\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"in.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
            "{}\r\n--%s--\r\n" % (boundary, boundary, boundary))
    st, _, data = gw.api("POST", "/v1/files", form, key=free, headers={
        "Content-Type": "multipart/form-data; boundary=" + boundary})
    files["input_files"] = [json.loads(data)["id"]] if st == 200 else []
    st, h, data = gw.api("POST", "/v1/batch/jobs", files, key=free)
    tap.ok(st == 200 and entry(h).get("reserved_eur") is None,
           "batch: input files without a budget pass, not priced",
           data[:200])
    st, h, data = gw.api("POST", "/v1/batch/jobs", dict(
        files, endpoint="/v1/files"), key=free)
    tap.eq((st, code(data)), (400, "invalid_parameter"),
           "batch: an endpoint that is not a batch endpoint is refused")


def test_excess():
    key = team("over", "1EUR/total")
    body = chat_body("expensive", model="m-test", max_tokens=10)
    usage = {"prompt_tokens": 10, "completion_tokens": 5000,
             "total_tokens": 5010}
    excess0 = metric("eugate_spend_excess_total")
    st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key,
                         headers={"x-fake-usage": json.dumps(usage)})
    e = entry(h)
    cost = 10 * IN_EUR + 5000 * OUT_EUR
    tap.ok(st == 200 and e.get("cost_eur") == cost and
           e.get("reserved_eur") < cost and e.get("state") == "settled",
           "excess: the actual cost is recorded, above the reservation",
           repr(e))
    rec = record(h)
    tap.ok("spend=excess" in (rec.get("verdicts") or ""),
           "excess: the audit record says so", repr(rec.get("verdicts")))
    tap.eq(metric("eugate_spend_excess_total"), excess0 + 1,
           "excess: counted in a metric")
    tap.ok("more than the" in gw.logtext() and h["x-request-id"] in
           gw.logtext(), "excess: logged")
    st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key)
    tap.eq((st, code(data)), (429, "budget_exceeded"),
           "excess: the team is refused while over its budget")
    st, rep = gw.admin("GET", "/admin/v1/spend?team=over")
    tap.ok(st == 200 and rep["data"][0]["cost_eur"] == "1.001",
           "excess: the report shows what was spent", json.dumps(rep)[:300])


def test_priority():
    """Priority capacity (service_tier auto with an entitlement) costs
    priority_factor times the list price."""
    p2 = os.path.join(env.dir, "prices2.ini")
    with open(p2, "w") as f:
        f.write(PRICES.replace("batch_factor = 0.5",
                               "priority_factor = 2"))
    g = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                    gateway="prices = %s\n" % p2, name="prio",
                    data_dir=os.path.join(env.dir, "prio"))
    g.admin("POST", "/admin/v1/teams", {"name": "prio",
                                        "budget": "1000EUR/total"})
    st, res = g.admin("POST", "/admin/v1/keys", {"team": "prio"})
    key = res["key"]

    def ledger(h):
        return g.rows("request_id = ?", (h["x-request-id"],),
                      table="ledger", order="ts")[0]

    for tier, usage_tier, res_factor, cost_factor in (
            (None, None, 2, 1), (None, "priority", 2, 2),
            ("auto", "standard", 2, 1), ("standard_only", None, 1, 1)):
        body = chat_body("tier", model="m-test", max_tokens=10)
        if tier:
            body["service_tier"] = tier
        usage = {"prompt_tokens": 10, "completion_tokens": 5,
                 "total_tokens": 15}
        if usage_tier:
            usage["service_tier"] = usage_tier
        st, h, data = g.api("POST", "/v1/chat/completions", body, key=key,
                            headers={"x-fake-usage": json.dumps(usage)})
        e = ledger(h)
        want = (res_factor * (raw_size(body) * IN_EUR + 10 * OUT_EUR),
                cost_factor * (10 * IN_EUR + 5 * OUT_EUR))
        tap.eq((st, e["reserved_eur"], e["cost_eur"]), (200,) + want,
               "priority: service_tier %s, usage %s: reserved x%d, "
               "charged x%d" % (tier, usage_tier, res_factor, cost_factor))
    g.stop()


# -- class 9: absurd numbers --------------------------------------------

ABSURD = [
    {"prompt_tokens": INT64_MAX, "completion_tokens": 5, "total_tokens": 5},
    {"prompt_tokens": -5, "completion_tokens": 5, "total_tokens": 0},
    {"prompt_tokens": 1.5, "completion_tokens": 5, "total_tokens": 6.5},
    {"prompt_tokens": 1e30, "completion_tokens": 5, "total_tokens": 1e30},
    {"prompt_tokens": "12", "completion_tokens": 5, "total_tokens": 17},
    {"completion_tokens": 5},
    {"prompt_tokens": 10, "completion_tokens": INT64_MAX},
]


def test_absurd_usage():
    key = team("absurd", "100EUR/month")
    invalid0 = metric("eugate_usage_invalid_total")
    n = 0
    for usage in ABSURD:
        for stream in (False, True):
            body = chat_body("absurd %d" % n, model="m-test", stream=stream,
                             max_tokens=10)
            st, h, data = gw.api("POST", "/v1/chat/completions", body,
                                 key=key, headers={
                                     "x-fake-usage": json.dumps(usage)})
            e, rec = entry(h), record(h)
            name = "usage %s%s" % (json.dumps(usage), " streamed"
                                   if stream else "")
            tap.ok(st == 200 and e.get("state") == "charged" and
                   e.get("cost_eur") == e.get("reserved_eur") and
                   e.get("prompt_tokens") is None,
                   "%s: the reservation is charged" % name, repr(e))
            tap.ok("spend=usage_invalid" in (rec.get("verdicts") or "") and
                   rec.get("prompt_tokens") is None,
                   "%s: the record says the usage was invalid" % name,
                   repr(rec)[:300])
            n += 1
    tap.eq(metric("eugate_usage_invalid_total"), invalid0 + n,
           "absurd usage: counted in a metric")
    st, rep = gw.admin("GET", "/admin/v1/spend?team=absurd&group_by=model")
    tap.ok(st == 200 and rep["data"][0]["requests"] == n,
           "absurd usage: the spend report answers", json.dumps(rep)[:300])
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         chat_body("after", model="m-test"), key=key)
    tap.eq(st, 200, "absurd usage: the budget check still works")
    st, _, data = gw.http("GET", "/admin/v1/audit?format=jsonl",
                          headers={"Authorization": "Bearer " +
                                   gw.admin_token}, port=gw.admin_port)
    tap.ok(st == 200 and b"spend=usage_invalid" in data,
           "absurd usage: the audit export answers", data[-200:])
    st, res = gw.admin("POST", "/admin/v1/audit/verify")
    tap.ok(st == 200 and res.get("first_bad") is None and
           res.get("records", 0) > n,
           "absurd usage: the audit chain verifies", json.dumps(res)[:300])


def test_stored_absurd():
    """Values an older version may have stored: sums saturate, reports
    and budget checks never fail on them."""
    key = team("legacy", "100EUR/month")
    gw.stop()
    db = sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"))
    now = int(time.time() * 1000)
    for i in range(3):
        db.execute("INSERT INTO ledger(id, request_id, ts, team, key_id, "
                   "model, state, reserved_eur, cost_eur, prompt_tokens, "
                   "completion_tokens) VALUES(?, ?, ?, 'legacy', 'k', "
                   "'m-test', 'settled', ?, ?, ?, ?)",
                   ("old%d" % i, "old%d" % i, now, INT64_MAX, INT64_MAX,
                    INT64_MAX, INT64_MAX))
        # An audit record with absurd counts (the chain is not the point
        # here: the reports must answer whatever is stored).
        db.execute("INSERT INTO audit(ts, kind, team, upstream, region, pii, "
                   "zdr, streamed, status, prompt_tokens, latency_us, prev, "
                   "hash) VALUES(?, 'request', 'legacy', 'up', 'eu', ?, ?, "
                   "0, 200, ?, 0, zeroblob(32), zeroblob(32))",
                   (now, "EMAIL:99999999999999999999,IBAN:%d" % INT64_MAX,
                    INT64_MAX, INT64_MAX))
    db.commit()
    db.close()
    gw.log.close()
    gw.out.close()
    gw.start()
    st, rep = gw.admin("GET", "/admin/v1/spend?team=legacy")
    row = rep["data"][0] if st == 200 and rep.get("data") else {}
    tap.ok(st == 200 and row.get("prompt_tokens") == INT64_MAX,
           "stored absurd values: the report saturates instead of failing",
           json.dumps(rep)[:300])
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         chat_body("x", model="m-test"), key=key)
    tap.eq((st, code(data)), (429, "budget_exceeded"),
           "stored absurd values: the budget check refuses, not 503")
    st, rep = gw.admin("GET", "/admin/v1/spend?group_by=team")
    tap.eq(st, 200, "stored absurd values: the report over all teams")
    st, rep = gw.admin("GET", "/admin/v1/reports/processing?team=legacy")
    t = (rep.get("teams") or rep.get("data") or [{}])[0] \
        if isinstance(rep, dict) else {}
    tap.ok(st == 200 and t.get("personal_data", {}).get("EMAIL", {}).get(
        "values") == INT64_MAX and t.get("zdr_requests") == 3,
        "stored absurd values: the processing report saturates",
        json.dumps(rep)[:400])


def test_client_numbers():
    key = team("numbers")
    before = len(up.requests())
    base = ('{"model": "m-test", "messages": [{"role": "user", '
            '"content": "x"}], %s}')
    for frag, want in (('"max_tokens": 1e400', "invalid_json"),
                       ('"max_tokens": 9223372036854775808', "invalid_json"),
                       ('"max_tokens": -1', "invalid_parameter"),
                       ('"max_tokens": 1.5', "invalid_parameter"),
                       ('"max_tokens": "abc"', "invalid_parameter"),
                       ('"max_tokens": true', "invalid_parameter"),
                       ('"max_completion_tokens": -3', "invalid_parameter"),
                       ('"temperature": 1e999', "invalid_json"),
                       ('"n": 1e999', "invalid_json"),
                       ('"n": 99999999999999999999', "invalid_json")):
        st, h, data = gw.api("POST", "/v1/chat/completions", base % frag,
                             key=key, headers={
                                 "Content-Type": "application/json"})
        tap.ok(st == 400 and code(data) == want,
               "%s: 400 %s" % (frag, want), data[:200])
    tap.eq(len(up.requests()), before, "refused numbers reached no upstream")
    for frag, mt in (('"max_tokens": "20"', 20), ('"max_tokens": 20.0', 20),
                     ('"max_tokens": 9223372036854775807', 500),
                     ('"max_tokens": 0', 500)):
        body = base % frag
        st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key,
                             headers={"Content-Type": "application/json"})
        tap.ok(st == 200 and entry(h).get("reserved_eur") ==
               len(body) * IN_EUR + mt * OUT_EUR,
               "%s: read as the upstream reads it (%d)" % (frag, mt),
               "%d %r" % (st, entry(h)))
    st, rep = gw.admin("GET", "/admin/v1/spend?team=numbers")
    tap.eq(st, 200, "client numbers: the report still answers")


tap.run(test_choices)
tap.run(test_clamp_per_choice)
tap.run(test_inputs_pages_chars)
tap.run(test_batch)
tap.run(test_excess)
tap.run(test_priority)
tap.run(test_absurd_usage)
tap.run(test_stored_absurd)
tap.run(test_client_numbers)
env.close(tap)
tap.done()
