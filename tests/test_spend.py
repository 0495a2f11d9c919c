"""Spend control through the real eugate: budgets that cannot be
overspent by concurrent or streamed requests, an exact ledger, settlement
after kill -9, max_tokens clamping, rate limits, reports and headers."""
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, Env, Tap, chat_body, wait_for)  # noqa: E402

# Prices chosen so that costs are exact integers of micro-euros:
# 100 EUR per 1M input tokens = 100 micro-EUR per token, output 200.
IN_EUR, OUT_EUR = 100, 200
PRICES = """[prices]
date = test
[model m-test]
input_eur = 100
output_eur = 200
input_usd = 110
output_usd = 220
context = 4000
max_output = 500
[model m-free]
input_eur = 0
output_eur = 0
[upstream selfhosted]
input_eur = 1
output_eur = 1
"""
MAX_TOKENS = 8

tap = Tap()
env = Env("spend-")
prices = os.path.join(env.dir, "prices.ini")
with open(prices, "w") as f:
    f.write(PRICES)
up = env.upstream(name="up")


def start_gateway(name, extra=""):
    return env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                       gateway="prices = %s\n%s" % (prices, extra),
                       name=name, data_dir=os.path.join(env.dir, name))


def ledger(gw, where="1=1", args=()):
    return gw.rows(where, args, table="ledger", order="ts")


def committed_eur(rows):
    """What the budgets see: open reservations plus settled costs."""
    return sum((r["reserved_eur"] if r["state"] == "reserved"
                else r["cost_eur"]) or 0 for r in rows)


def body_for(i, stream):
    return chat_body("question number %03d" % i, model="m-test",
                     stream=stream, max_tokens=MAX_TOKENS)


def reservation(body):
    """The gateway's worst case for a body: one token per body byte plus
    max_tokens of output (see gateway/charge.c)."""
    return len(json.dumps(body)) * IN_EUR + MAX_TOKENS * OUT_EUR


def micros(s):
    """A decimal money string as integer micro-units."""
    whole, _, frac = s.partition(".")
    return int(whole) * 10**6 + int((frac + "000000")[:6])


def usage_cost(u):
    return u["prompt"] * IN_EUR + u["completion"] * OUT_EUR


def fire(gw, key, n, stream_every=2, extra_headers=None, results=None):
    """n concurrent requests (every stream_every-th streamed); returns
    [(status, headers, body)] in request order."""
    results = results if results is not None else [None] * n
    start = threading.Barrier(n)

    def one(i):
        body = body_for(i, i % stream_every == 0)
        # The upstream reports nearly as many prompt tokens as the body
        # has bytes: the estimate's worst case, so that little is left
        # over to release and the budget really runs out.
        hdrs = {"x-fake-prompt-tokens": str(len(json.dumps(body)) - i % 7),
                "x-fake-events": str(MAX_TOKENS)}
        hdrs.update(extra_headers or {})
        try:
            start.wait(10)
            results[i] = gw.api("POST", "/v1/chat/completions", body, key=key,
                                headers=hdrs)
        except Exception as e:  # the gateway was killed
            results[i] = (0, {}, repr(e).encode())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


# -- 200 concurrent requests against a budget that fits 50 -------------

def test_concurrent_budget():
    gw = start_gateway("burst")
    worst = max(reservation(body_for(i, i % 2 == 0)) for i in range(200))
    budget = 50 * worst
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "burst", "budget": {"amount": "%d.%06d" % divmod(budget,
                                                                 10**6),
                                    "currency": "EUR", "period": "monthly"}})
    tap.eq(st, 201, "burst: team with a budget created")
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "burst"})
    key = res["key"]

    peak = [0]
    stop = threading.Event()

    def watch():    # the budget holds at every moment, not only at the end
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], committed_eur(ledger(gw)))
            except sqlite3.OperationalError:
                pass
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads, results = fire(gw, key, 200)
    for t in threads:
        t.join(60)
    stop.set()
    watcher.join()
    peak[0] = max(peak[0], committed_eur(ledger(gw)))

    ok = [r for r in results if r and r[0] == 200]
    refused = [r for r in results if r and r[0] != 200]
    tap.ok(len(ok) >= 50, "burst: at least the 50 that fit were served",
           "%d served" % len(ok))
    tap.ok(len(refused) > 0, "burst: the rest was refused",
           "%d refused" % len(refused))
    codes = set()
    for st, h, body in refused:
        try:
            codes.add((st, json.loads(body)["code"], "retry-after" in h))
        except ValueError:
            codes.add((st, body[:80], False))
    tap.eq(codes, {(429, "budget_exceeded", True)},
           "burst: every refusal is 429 budget_exceeded with Retry-After")

    rows = ledger(gw)
    spent = sum(r["cost_eur"] for r in rows)
    tap.ok(spent <= budget, "burst: spent never exceeds the budget",
           "spent %d of %d micro-EUR" % (spent, budget))
    tap.ok(peak[0] <= budget, "burst: reserved + spent stayed within the "
           "budget while requests ran", "peak %d of %d" % (peak[0], budget))
    print("# burst: %d served, %d refused, spent %d of %d micro-EUR, peak "
          "committed %d, max overshoot %d" % (
              len(ok), len(refused), spent, budget, peak[0],
              max(0, peak[0] - budget)))
    tap.eq(len(rows), len(ok), "burst: one ledger entry per served request")
    tap.eq({r["state"] for r in rows}, {"settled"},
           "burst: every entry settled")
    ids = {r["request_id"] for r in rows}
    served_ids = {h["x-request-id"] for _, h, _ in ok}
    tap.eq(ids, served_ids, "burst: the ledger holds exactly the served "
           "requests")
    usage = {u["request_id"]: u for u in up.events()
             if u["event"] == "usage" and u["request_id"] in ids}
    tap.eq(len(usage), len(ok), "burst: the upstream reported usage for "
           "each served request")
    tap.eq(spent, sum(usage_cost(u) for u in usage.values()),
           "burst: the ledger sum equals the cost of the usage the "
           "upstream reported")
    exact = all(r["cost_eur"] == usage_cost(usage[r["request_id"]]) and
                r["prompt_tokens"] == usage[r["request_id"]]["prompt"] and
                r["completion_tokens"] ==
                usage[r["request_id"]]["completion"]
                for r in rows)
    tap.ok(exact, "burst: each entry has its request's tokens and cost")
    usd = all(r["cost_usd"] == usage[r["request_id"]]["prompt"] * 110 +
              usage[r["request_id"]]["completion"] * 220 for r in rows)
    tap.ok(usd, "burst: the USD cost is kept alongside")

    # The report agrees with the ledger, money as strings.
    st, rep = gw.admin("GET", "/admin/v1/spend?team=burst&group_by=model")
    tap.eq(st, 200, "burst: spend report 200")
    row = rep["data"][0] if rep.get("data") else {}
    tap.eq((row.get("model"), row.get("requests"),
            micros(row.get("cost_eur", "0"))), ("m-test", len(ok), spent),
           "burst: report groups by model with the exact sum",
           json.dumps(rep)[:300])
    gw.stop()


# -- kill -9 during 100 streamed requests, then restart ----------------

def test_kill_and_restart():
    gw = start_gateway("crash")
    worst = max(reservation(body_for(i, True)) for i in range(100))
    budget = 80 * worst
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "crash", "budget": "%d.%06dEUR/day" % divmod(budget, 10**6)})
    tap.eq(st, 201, "crash: team created with a daily budget")
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "crash"})
    key = res["key"]
    before = len([r for r in up.requests()])
    # Slow streams: 8 events 150 ms apart, so all are in flight at the kill.
    threads, results = fire(gw, key, 100, stream_every=1, extra_headers={
        "x-fake-event-delay-ms": "150"})
    reached = wait_for(lambda: len(up.requests()) - before >= 80, 20)
    tap.ok(reached, "crash: 80 streams reached the upstream")
    time.sleep(0.2)
    gw.proc.kill()
    gw.proc.wait()
    for t in threads:
        t.join(30)
    open_rows = ledger(gw, "state = 'reserved'")
    tap.ok(len(open_rows) > 0, "crash: reservations were open at the kill",
           "%d open" % len(open_rows))
    forwarded = {r["headers"].get("x-request-id") for r in up.requests()[
        before:]}

    gw.log.close()
    gw.out.close()
    gw.start()
    rows = ledger(gw)
    tap.eq(len(ledger(gw, "state = 'reserved'")), 0,
           "crash: no reservation is left open after the restart")
    by_req = {}
    for r in rows:
        by_req.setdefault(r["request_id"], []).append(r)
    tap.ok(all(len(v) == 1 for v in by_req.values()),
           "crash: no ledger entry doubled")
    tap.eq(set(by_req), forwarded, "crash: no ledger entry lost: one per "
           "request the upstream got")
    charged = [r for r in rows if r["state"] == "charged"]
    tap.ok(len(charged) == len(open_rows) and all(
        r["cost_eur"] == r["reserved_eur"] for r in charged),
        "crash: the open reservations were charged in full")
    tap.ok("settled as charged" in gw.logtext(),
           "crash: the restart says what it settled")
    spent = sum(r["cost_eur"] for r in rows)
    tap.ok(spent <= budget, "crash: the budget holds after the crash",
           "%d of %d" % (spent, budget))

    # The restarted gateway counts what the crash charged: fill the rest.
    served = 0
    for i in range(100):
        st, h, _ = gw.api("POST", "/v1/chat/completions", body_for(i, False),
                          key=key, headers={"x-fake-prompt-tokens": "50"})
        if st != 200:
            break
        served += 1
    tap.eq(st, 429, "crash: after the restart the budget runs out again")
    spent = sum(r["cost_eur"] for r in ledger(gw))
    tap.ok(spent <= budget, "crash: and is still not exceeded",
           "%d of %d after %d more" % (spent, budget, served))
    gw.stop()


# -- clamping, refusing, headers, prices, limits ------------------------

def test_clamp_and_refuse():
    gw = start_gateway("clamp")
    # Room for the prompt and about 100 output tokens, not for 500.
    body = chat_body("short", model="m-test")
    prompt_worst = len(json.dumps(body)) * IN_EUR
    budget = prompt_worst + 100 * OUT_EUR + 50
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "clamp", "budget": "%d.%06dEUR/total" % divmod(budget,
                                                               10**6)})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "clamp"})
    key = res["key"]
    st, h, data = gw.api("POST", "/v1/chat/completions", body, key=key,
                         headers={"x-fake-prompt-tokens": "3"})
    tap.eq(st, 200, "clamp: a request without max_tokens is served")
    sent = json.loads(up.last()["body"])
    tap.eq(sent.get("max_tokens"), 100, "clamp: max_tokens was lowered to "
           "what the budget allows", json.dumps(sent)[:200])
    tap.eq(h.get("x-eugate-max-tokens"), "100",
           "clamp: the client is told the lowered max_tokens")
    tap.ok(h.get("x-eugate-spend-remaining", "").endswith(" EUR"),
           "clamp: the answer carries the remaining budget",
           repr(h.get("x-eugate-spend-remaining")))
    rem = micros(h["x-eugate-spend-remaining"].split()[0])
    cost = 3 * IN_EUR + 5 * OUT_EUR
    tap.eq(rem, budget - cost,
           "clamp: the remaining budget is the settled one")
    gw.stop()

    gw = start_gateway("refuse", "over_budget = refuse\n")
    gw.admin("POST", "/admin/v1/teams", {
        "name": "refuse", "budget": "%d.%06dEUR/total" % divmod(budget,
                                                                10**6)})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "refuse"})
    n_up = len(up.requests())
    st, h, data = gw.api("POST", "/v1/chat/completions", body,
                         key=res["key"])
    tap.eq((st, json.loads(data)["code"]), (429, "budget_exceeded"),
           "refuse: over_budget = refuse answers 429 instead of clamping")
    tap.ok("retry-after" not in h, "refuse: no Retry-After for a total "
           "budget (it never resets)")
    tap.eq(len(up.requests()), n_up, "refuse: nothing reached the upstream")
    gw.stop()


def test_prices_and_limits():
    gw = start_gateway("misc", "budget = 1000USD/month\n")
    key = gw.new_key("misc")
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         chat_body("x", model="m-unknown"), key=key)
    tap.eq((st, json.loads(data)["code"]), (403, "price_unknown"),
           "prices: a model without a price is refused under a budget")
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         chat_body("x", model="m-free"), key=key)
    tap.eq((st, json.loads(data)["code"]), (403, "price_unknown"),
           "prices: a model priced only in EUR is refused under a USD "
           "budget")
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         chat_body("x", model="m-test"), key=key)
    tap.eq(st, 200, "prices: a priced model passes the global budget")
    tap.ok(h.get("x-eugate-spend-remaining", "").endswith(" USD"),
           "prices: the global budget speaks in USD")
    gw.stop()

    gw = start_gateway("limits")
    st, _ = gw.admin("POST", "/admin/v1/teams", {"name": "lim", "rpm": 3})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "lim"})
    key = res["key"]
    got = [gw.api("POST", "/v1/chat/completions",
                  chat_body("x", model="m-test"), key=key)
           for _ in range(4)]
    tap.eq([g[0] for g in got], [200, 200, 200, 429],
           "rpm: the fourth request in a minute is refused")
    st, h, data = got[3]
    tap.eq(json.loads(data)["code"], "rate_limited", "rpm: code rate_limited")
    tap.ok(int(h.get("retry-after", "0")) >= 1, "rpm: Retry-After is set")
    tap.eq((got[0][1].get("x-ratelimit-limit-req-minute"),
            got[0][1].get("x-ratelimit-remaining-req-minute")), ("3", "2"),
           "rpm: x-ratelimit headers in Mistral's naming replace the "
           "upstream's")
    # Without a budget a request still leaves a ledger entry.
    tap.eq(len(ledger(gw)), 3, "ledger: unbudgeted requests are recorded "
           "too")

    # tpm: the first answer's tokens empty the bucket.
    gw.admin("POST", "/admin/v1/teams", {"name": "lim2"})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "lim2",
                                                  "tpm": 20})
    k2 = res["key"]
    st1 = gw.api("POST", "/v1/chat/completions",
                 chat_body("x", model="m-test"), key=k2,
                 headers={"x-fake-prompt-tokens": "30"})[0]
    st2, h2, d2 = gw.api("POST", "/v1/chat/completions",
                         chat_body("x", model="m-test"), key=k2)
    tap.eq((st1, st2), (200, 429), "tpm: tokens used close the bucket")
    tap.ok(b"tokens per minute" in d2, "tpm: the message says tokens")

    # PATCH changes limits at once; bad input is refused clearly.
    st, res = gw.admin("PATCH", "/admin/v1/teams/lim", {"rpm": None})
    tap.eq(st, 200, "admin: PATCH a team's limits")
    st, h, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body("x", model="m-test"), key=key)
    tap.eq(st, 200, "admin: the removed limit no longer applies")
    for bad in ({"budget": 5}, {"budget": {"amount": 5, "currency": "EUR",
                                           "period": "monthly"}},
                {"budget": "5EUR/week"}, {"rpm": -1}, {"color": 1}, {}):
        st, res = gw.admin("PATCH", "/admin/v1/teams/lim", bad)
        tap.eq(st, 400, "admin: PATCH refuses %s" % json.dumps(bad))
    st, res = gw.admin("PATCH", "/admin/v1/teams/nosuch", {"rpm": 1})
    tap.eq(st, 404, "admin: PATCH of an unknown team is 404")
    st, res = gw.admin("GET", "/admin/v1/spend?from=2020-13-01")
    tap.eq(st, 400, "admin: a bad date is refused")
    # Paths and queries are percent-decoded: escaped names are the same
    # names; an escape that does not decode is refused.
    st, res = gw.admin("PATCH", "/admin/v1/teams/%6Cim", {"rpm": 7})
    tap.eq(st, 200, "admin: an escaped team name in the path is the name")
    st, res = gw.admin("GET", "/admin/v1/teams")
    tap.eq([t.get("rpm") for t in res["data"] if t["name"] == "lim"], [7],
           "admin: ... and the change reached that team")
    st, plain = gw.admin("GET", "/admin/v1/spend?team=lim&from=2020-01-01")
    st2, esc = gw.admin("GET", "/admin/v1/spend?team=%6C%69m&from=2020%2D01-01")
    tap.ok(st == st2 == 200 and esc == plain and plain["data"],
           "admin: escaped query values are the values", json.dumps(esc)[:200])
    for bad in ("/admin/v1/spend?team=%6", "/admin/v1/spend?team=a%00b",
                "/admin/v1/spend?from=2020-01-01%26team%3Dlim2x"):
        st, res = gw.admin("GET", bad)
        tap.eq(st, 400, "admin: %s is refused" % bad)
    st, res = gw.admin("GET", "/admin/v1/spend?group_by=day&from=2020-01-01")
    tap.ok(st == 200 and len(res["data"]) == 1 and
           res["data"][0]["requests"] >= 5,
           "admin: spend grouped by day", json.dumps(res)[:300])
    # Two levels: each team's spend per day (the console's chart).
    st, res = gw.admin("GET", "/admin/v1/spend?group_by=day,team"
                       "&from=2020-01-01")
    rows = sorted((r.get("day") is not None, r.get("team"), r["requests"])
                  for r in res["data"])
    tap.ok(st == 200 and [r[:2] for r in rows] == [(True, "lim"),
                                                    (True, "lim2")] and
           sum(r[2] for r in rows) == sum(r["requests"] for r in
                                          gw.admin("GET", "/admin/v1/spend?"
                                                   "group_by=day&from="
                                                   "2020-01-01")[1]["data"]),
           "admin: spend grouped by day and team", json.dumps(res)[:300])
    st, res = gw.admin("GET", "/admin/v1/spend?group_by=day,model")
    tap.ok(st == 200 and all("day" in r and "model" in r
                             for r in res["data"]),
           "admin: spend grouped by day and model", json.dumps(res)[:300])
    for bad in ("day,", "day,day,team", "day,color", ",team"):
        st, _ = gw.admin("GET", "/admin/v1/spend?group_by=" + bad)
        tap.eq(st, 400, "admin: group_by=%s is refused" % bad)
    # The request log: cost as decimal strings, filtered by team.
    st, res = gw.admin("GET", "/admin/v1/requests?team=lim2")
    tap.ok(st == 200 and res["data"] and
           all(r["team"] == "lim2" for r in res["data"]) and
           all("cost_eur" in r for r in res["data"]),
           "admin: requests of one team, with their cost",
           json.dumps(res)[:300])
    gw.stop()


def test_timezone():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    zone = "Pacific/Kiritimati"     # UTC+14: its days are not UTC's
    gw = start_gateway("tz", "budget_timezone = %s\n" % zone)
    gw.admin("POST", "/admin/v1/teams", {"name": "tz",
                                         "budget": "0.000001EUR/day"})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "tz"})
    st, h, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body("x", model="m-test"), key=res["key"])
    now = datetime.now(ZoneInfo(zone))
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                 microsecond=0)
    want = (midnight - now).total_seconds()
    got = int(h.get("retry-after", "-1"))
    tap.ok(st == 429 and abs(got - want) <= 3, "timezone: a daily budget "
           "ends at local midnight of budget_timezone",
           "Retry-After %d, want %d" % (got, want))
    gw.stop()
    bad = os.path.join(env.dir, "badtz.ini")
    with open(bad, "w") as f:
        f.write("[gateway]\nbudget_timezone = Mars/Olympus\n"
                "[upstream a]\nurl = http://127.0.0.1:1\nregion = eu\n")
    p = subprocess.run([os.path.join(BUILD, "eugate"), "-t", "-c", bad],
                       capture_output=True, text=True)
    tap.ok(p.returncode != 0 and "Mars/Olympus" in p.stderr,
           "timezone: an unknown zone is a configuration error", p.stderr)


tap.run(test_concurrent_budget)
tap.run(test_kill_and_restart)
tap.run(test_clamp_and_refuse)
tap.run(test_prices_and_limits)
tap.run(test_timezone)
env.close(tap)
tap.done()
