"""Several eugate instances on one PostgreSQL (a private cluster,
tests/pg-cluster): keys and revocations reach every instance within 1.5 s,
one budget under concurrent requests over three instances is never
overspent, kill -9 with streams in flight then a restart leaves chains
that verify, no open reservation and exact spend; a lost database fails
writes closed and comes back; startup errors name the host, never the
password; instances with different secrets are told apart."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, Env, PgCluster, Tap, chat_body,  # noqa: E402
                     closed_port, wait_for)

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
"""
MAX_TOKENS = 8

tap = Tap()
pg = PgCluster()
if pg.url is None:
    print("1..0 # SKIP PostgreSQL's server binaries are not installed")
    sys.exit(0)
env = Env("instances-")
env.procs.append(pg)    # stopped last
prices = os.path.join(env.dir, "prices.ini")
with open(prices, "w") as f:
    f.write(PRICES)
up = env.upstream(name="up")
KEY_FILES = ("secret.key", "audit_ed25519.pem")


def start(name, share_from=None, extra="", url=None):
    """An instance with its own data_dir; share_from copies another's key
    files (secret.key, the audit signing key) first."""
    d = os.path.join(env.dir, name)
    os.makedirs(d, mode=0o700, exist_ok=True)
    if share_from is not None:
        for f in KEY_FILES:
            shutil.copy2(os.path.join(share_from.data_dir, f),
                         os.path.join(d, f))
    return env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                       gateway="prices = %s\ndatabase_url_env = "
                       "EUGATE_DATABASE_URL\ninstance_name = %s\n%s" % (
                           prices, name, extra),
                       name=name, data_dir=d,
                       env={"EUGATE_DATABASE_URL": url or pg.url})


def body_for(i, stream):
    return chat_body("question number %03d" % i, model="m-test",
                     stream=stream, max_tokens=MAX_TOKENS)


def reservation(body):
    return len(json.dumps(body)) * IN_EUR + MAX_TOKENS * OUT_EUR


def chat(gw, key, i=0, headers=None):
    return gw.api("POST", "/v1/chat/completions", body_for(i, False),
                  key=key, headers=headers)[0]


def until(pred, timeout):
    """Seconds until pred() held (polled every 20 ms), or None."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return time.time() - t0
        time.sleep(0.02)
    return None


def fire(gws, key, n, stream_every=2, extra_headers=None):
    """n concurrent requests spread over gws; [(status, headers, body)]."""
    results = [None] * n
    start_line = threading.Barrier(n)

    def one(i):
        body = body_for(i, i % stream_every == 0)
        hdrs = {"x-fake-prompt-tokens": str(len(json.dumps(body)) - i % 7),
                "x-fake-events": str(MAX_TOKENS)}
        hdrs.update(extra_headers or {})
        try:
            start_line.wait(10)
            results[i] = gws[i % len(gws)].api(
                "POST", "/v1/chat/completions", body, key=key, headers=hdrs)
        except Exception as e:  # an instance was killed
            results[i] = (0, {}, repr(e).encode())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def ledger(team):
    rows = pg.sql("SELECT state, coalesce(reserved_eur, 0), "
                  "coalesce(cost_eur, 0), instance, request_id FROM ledger "
                  "WHERE team = '%s'" % team)
    return [{"state": r[0], "reserved": int(r[1]), "cost": int(r[2]),
             "instance": r[3], "request_id": r[4]} for r in rows]


def committed(rows):
    return sum(r["reserved"] if r["state"] == "reserved" else r["cost"]
               for r in rows)


def budget_used(team):
    v = pg.one("SELECT sum(used) FROM budget_used WHERE scope = 't' AND "
               "id = '%s'" % team)
    return int(v) if v else 0


try:
    gw1 = start("gw1")
    gw2 = start("gw2", share_from=gw1)
    gw3 = start("gw3", share_from=gw1)
except RuntimeError as e:   # nothing to test: stop the cluster and upstream
    logs = [os.path.join(env.dir, n + ".log") for n in ("gw1", "gw2", "gw3")]
    tap.ok(False, "three instances start on one database", "%s\n%s" % (
        e, "".join(open(f).read()[-600:] for f in logs
                   if os.path.exists(f))))
    env.close(tap)
    tap.done()
ALL = [gw1, gw2, gw3]


def test_keys():
    key = gw1.new_key("keys")
    t = [until(lambda g=g: chat(g, key) == 200, 5) for g in (gw2, gw3)]
    tap.ok(all(x is not None and x <= 1.5 for x in t), "a key issued on "
           "one instance works on the others within 1.5 s", repr(t))
    print("# key reached gw2 in %s s, gw3 in %s s" % tuple(
        "%.2f" % x if x is not None else "-" for x in t))
    st, keys = gw2.admin("GET", "/admin/v1/keys?team=keys")
    kid = keys["data"][0]["id"] if st == 200 and keys.get("data") else None
    st, _ = gw2.admin("DELETE", "/admin/v1/keys/%s" % kid)
    tap.eq(st, 200, "revoked on another instance")
    t = [until(lambda g=g: chat(g, key) == 401, 5) for g in (gw1, gw3)]
    tap.ok(all(x is not None and x <= 1.5 for x in t), "the revocation "
           "holds on the others within 1.5 s", repr(t))
    print("# revocation reached gw1 in %s s, gw3 in %s s" % tuple(
        "%.2f" % x if x is not None else "-" for x in t))


def test_admin_revoked():
    st, res = gw1.admin("POST", "/admin/v1/admins", {"name": "ada",
                                                      "role": "auditor"})
    tok = res.get("token", "") if st == 201 else ""
    t = until(lambda: all(g.admin("GET", "/admin/v1/me", token=tok)[0] ==
                          200 for g in (gw2, gw3)), 5)
    tap.ok(tok and t is not None, "an admin made on one instance works on "
           "the others", (st, res))
    st, _ = gw2.admin("DELETE", "/admin/v1/admins/ada")
    t0 = time.time()
    tap.eq(st, 200, "the admin revoked on another instance")
    t = []
    for g in (gw1, gw3):
        ok = until(lambda g=g: g.admin("GET", "/admin/v1/me",
                                       token=tok)[0] == 401, 5)
        t.append(time.time() - t0 if ok is not None else None)
    tap.ok(all(x is not None and x <= 1.5 for x in t), "an admin token "
           "revoked on one instance is refused on the others within 1.5 s",
           repr(t))
    print("# admin revocation reached gw1 in %s s, gw3 in %s s" % tuple(
        "%.2f" % x if x is not None else "-" for x in t))


def test_key_rotated():
    old = gw1.new_key("rotated")
    until(lambda: all(chat(g, old) == 200 for g in (gw2, gw3)), 5)
    st, res = gw3.admin("POST", "/admin/v1/keys/%s/rotate" % old[4:16],
                        {"grace": 0})
    new = res.get("key", "") if st == 200 else ""
    t0 = time.time()
    tap.ok(new.startswith("egk_") and new[4:16] == old[4:16], "a key "
           "rotated on one instance keeps its id", (st, res))
    t = []
    for g in (gw1, gw2):
        ok = until(lambda g=g: chat(g, new) == 200 and chat(g, old) == 401,
                   5)
        t.append(time.time() - t0 if ok is not None else None)
    tap.ok(all(x is not None and x <= 1.5 for x in t), "a key rotated on "
           "one instance works with its new secret on the others within "
           "1.5 s, and the old one (no grace) stops", repr(t))
    print("# key rotation reached gw1 in %s s, gw2 in %s s" % tuple(
        "%.2f" % x if x is not None else "-" for x in t))


def test_objects():
    ka, kb = gw1.new_key("obj-a"), gw1.new_key("obj-b")
    until(lambda: chat(gw2, kb) == 200 and chat(gw3, ka) == 200, 5)
    st, _, d = gw1.api("POST", "/v1/agents", {
        "name": "a-agent", "model": "mistral-small-latest"}, key=ka)
    agent = json.loads(d).get("id") if st == 200 else None
    tap.ok(agent is not None, "objects: team a makes an agent through gw1",
           (st, d[:200]))
    t = until(lambda: gw2.api("GET", "/v1/agents/%s" % agent,
                              key=ka)[0] == 200, 5)
    tap.ok(t is not None and t <= 1.5, "objects: the agent is team a's on "
           "gw2 within 1.5 s (%s s)" % ("%.2f" % t if t is not None
                                         else "-"))
    tap.eq(gw3.api("GET", "/v1/agents/%s" % agent, key=kb)[0], 404,
           "objects: ... and not team b's on gw3")


def test_budget():
    worst = max(reservation(body_for(i, i % 2 == 0)) for i in range(100))
    budget = 40 * worst
    st, _ = gw1.admin("POST", "/admin/v1/teams", {
        "name": "shared", "budget": {"amount": "%d.%06d" % divmod(
            budget, 10**6), "currency": "EUR", "period": "monthly"}})
    tap.eq(st, 201, "budget: team created on gw1")
    st, res = gw1.admin("POST", "/admin/v1/keys", {"team": "shared"})
    key = res["key"]
    reached = until(lambda: all(g.api("GET", "/v1/models", key=key)[0] ==
                                200 for g in ALL), 5)
    tap.ok(reached is not None, "budget: the key works everywhere")
    peak = [0]
    stop = threading.Event()

    def watch():    # the budget holds at every moment, not only at the end
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], committed(ledger("shared")))
            except RuntimeError:
                pass
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads, results = fire(ALL, key, 99)
    for t in threads:
        t.join(60)
    stop.set()
    watcher.join()
    rows = ledger("shared")
    peak[0] = max(peak[0], committed(rows))
    served = [r for r in results if r and r[0] == 200]
    codes = set()
    for st, h, body in results:
        if st != 200:
            try:
                codes.add((st, json.loads(body)["code"]))
            except ValueError:
                codes.add((st, body[:60]))
    tap.ok(len(served) >= 30 and codes == {(429, "budget_exceeded")},
           "budget: the first requests were served, the others refused "
           "with budget_exceeded", "%d served, refusals %r" % (
               len(served), codes))
    by = {g.name: 0 for g in ALL}
    for i, r in enumerate(results):
        if r and r[0] == 200:
            by[ALL[i % 3].name] += 1
    tap.ok(all(r and r[0] in (200, 429) for r in results), "budget: each "
           "of the three instances decided its third against the shared "
           "budget (200 or 429)")
    spent = sum(r["cost"] for r in rows)
    tap.ok(peak[0] <= budget and spent <= budget, "budget: never "
           "overspent, not even for a moment", "peak %d, spent %d, budget "
           "%d" % (peak[0], spent, budget))
    print("# budget over 3 instances: %d served (%r), spent %d of %d "
          "micro-EUR, peak committed %d, overshoot %d" % (
              len(served), by, spent, budget, peak[0],
              max(0, peak[0] - budget)))
    tap.eq({r["state"] for r in rows}, {"settled"}, "budget: every entry "
           "settled")
    tap.eq(budget_used("shared"), spent, "budget: the shared budget row "
           "is the ledger's sum")
    st, rep = gw3.admin("GET", "/admin/v1/spend?team=shared")
    got = rep["data"][0]["cost_eur"] if st == 200 and rep.get("data") else ""
    whole, _, frac = got.partition(".")
    tap.eq(int(whole or 0) * 10**6 + int((frac + "000000")[:6]), spent,
           "budget: any instance reports the shared spend")


def test_report_all_instances():
    """The Art. 30 record's figures: every instance's verified records."""
    where = "kind = 'request' AND team = 'shared'"
    n = int(pg.one("SELECT count(*) FROM audit WHERE " + where))
    chains = int(pg.one("SELECT count(DISTINCT instance) FROM audit "
                        "WHERE " + where))
    st, rep = gw2.admin("GET", "/admin/v1/reports/art30?team=shared")
    teams = {t["team"]: t for t in rep.get("teams", [])} if st == 200 else {}
    got = teams.get("shared", {}).get("requests")
    tap.ok(chains == 3 and got == n, "the Art. 30 record counts the "
           "requests of all three instances' chains", (st, got, n, chains))


def test_rates():
    rpm = 20
    key = gw1.new_key("rated")
    until(lambda: all(chat(g, key) == 200 for g in ALL), 5)
    st, _ = gw2.admin("PATCH", "/admin/v1/teams/rated", {"rpm": rpm})
    tap.eq(st, 200, "rates: a limit set on one instance")
    time.sleep(2.0)     # every instance's key snapshot has it
    t0 = time.time()
    threads, results = fire(ALL, key, 3 * rpm)
    for t in threads:
        t.join(60)
    elapsed = time.time() - t0
    served = len([r for r in results if r and r[0] == 200])
    limited = [r for r in results if r and r[0] == 429]
    allowed = rpm + rpm * elapsed / 60.0
    tap.ok(served <= int(allowed) and served >= rpm - 3,
           "rates: %d requests per minute hold over three instances" % rpm,
           "%d served in %.2f s, %.1f allowed" % (served, elapsed, allowed))
    tap.ok(limited and all(json.loads(r[2])["code"] == "rate_limited" and
                           "retry-after" in r[1] for r in limited),
           "rates: the others are 429 rate_limited with Retry-After")
    print("# rates: %d of %d served over 3 instances in %.2f s, %.1f "
          "allowed: overshoot %d" % (served, 3 * rpm, elapsed, allowed,
                                     max(0, served - int(allowed))))


def test_kill_and_restart():
    global gw3
    st, _ = gw1.admin("POST", "/admin/v1/teams", {
        "name": "crash", "budget": "100.00EUR/day"})
    st, res = gw1.admin("POST", "/admin/v1/keys", {"team": "crash"})
    key = res["key"]
    until(lambda: chat(gw3, key) == 200, 5)
    before = len(up.requests())
    threads, results = fire([gw3], key, 30, stream_every=1, extra_headers={
        "x-fake-event-delay-ms": "200"})
    reached = wait_for(lambda: len(up.requests()) - before >= 25, 20)
    tap.ok(reached, "crash: streams reached the upstream through gw3")
    time.sleep(0.2)
    gw3.proc.kill()
    gw3.proc.wait()
    for t in threads:
        t.join(30)
    open_rows = [r for r in ledger("crash") if r["state"] == "reserved"]
    tap.ok(len(open_rows) > 0 and {r["instance"] for r in open_rows} ==
           {"gw3"}, "crash: gw3's reservations were open at the kill",
           "%d open" % len(open_rows))
    gw3.log.close()
    gw3.out.close()
    gw3.start()
    rows = ledger("crash")
    tap.eq(len([r for r in rows if r["state"] == "reserved"]), 0,
           "crash: no reservation is left open after the restart")
    tap.ok(all(r["cost"] == r["reserved"] for r in rows
               if r["state"] == "charged") and len(
        [r for r in rows if r["state"] == "charged"]) == len(open_rows),
        "crash: the open reservations were charged in full")
    tap.eq(budget_used("crash"), sum(r["cost"] for r in rows),
           "crash: spend is exact: the budget row is the ledger's sum")
    st, res = gw1.admin("POST", "/admin/v1/audit/verify")
    inst = {i["instance"]: i["ok"] for i in res.get("instances", [])}
    tap.ok(st == 200 and res.get("ok") is True and inst.get("gw3") is True
           and len(inst) >= 3, "crash: every instance's chain verifies",
           json.dumps(res)[:600])
    ids = sorted(r["request_id"] for r in open_rows)
    rec = pg.sql("SELECT request_id, instance FROM audit WHERE error = "
                 "'interrupted' AND team = 'crash' ORDER BY request_id")
    tap.eq([r[0] for r in rec], ids, "crash: each interrupted request "
           "recorded once (by gw3 at its restart, or by a live instance "
           "first: %s)" % sorted({r[1] for r in rec}))
    p = subprocess.run([os.path.join(BUILD, "eugatectl"), "--url",
                        "http://127.0.0.1:%d" % gw2.admin_port, "--token",
                        gw2.admin_token, "audit", "verify"],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 0 and "gw3" in p.stdout and "gw1" in p.stdout,
           "crash: eugatectl audit verify reports per instance", p.stdout)


def test_export_merged():
    st, _, data = gw1.http("GET", "/admin/v1/audit?format=jsonl", headers={
        "Authorization": "Bearer " + gw1.admin_token}, port=gw1.admin_port)
    recs = [json.loads(x) for x in data.decode().splitlines() if x]
    insts = {r.get("instance") for r in recs}
    tap.ok(st == 200 and {"gw1", "gw2", "gw3"} <= insts, "export: one "
           "stream holds every instance's records", repr(insts))
    ts = [r["ts"] for r in recs]
    tap.ok(ts == sorted(ts), "export: merged in time order")


def test_storage_lost():
    key = gw2.new_key("lost")
    until(lambda: chat(gw2, key) == 200, 5)
    pg.pause()
    try:
        st, _, body = gw2.api("POST", "/v1/chat/completions", body_for(1,
                              False), key=key)
        code = json.loads(body).get("code") if body else None
        tap.eq((st, code), (503, "storage_unavailable"), "database down: "
               "a request that needs a write fails closed")
        n = len(up.requests())
        gw2.api("POST", "/v1/chat/completions", body_for(2, False), key=key)
        tap.eq(len(up.requests()), n, "database down: nothing is forwarded")
    finally:
        pg.resume()
    t = until(lambda: chat(gw2, key) == 200, 15)
    tap.ok(t is not None, "database back: requests are served again "
           "(after %s s)" % ("%.2f" % t if t is not None else "-"))
    tap.ok("lost the connection to PostgreSQL" in gw2.logtext() and
           "connected to PostgreSQL at" in gw2.logtext(), "the log says "
           "when the connection went and came back")


def test_secrets_differ():
    gw4 = start("gw4")     # its own secret.key
    log = gw4.logtext()
    tap.ok("hashes keys with another secret" in log, "a second secret is "
           "said at start", log[-600:])
    key = gw1.new_key("secrets")
    time.sleep(1.5)
    tap.eq(chat(gw4, key), 401, "a key issued by an instance with another "
           "secret fails")
    tap.ok(wait_for(lambda: "came with another secret" in gw4.logtext(), 3),
           "... with a logged warning")
    gw4.stop()


def test_migrate():
    """eugate --migrate-to: an SQLite gateway's data into PostgreSQL."""
    d = os.path.join(env.dir, "lite")
    lite = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                       gateway="prices = %s\n" % prices, name="lite",
                       data_dir=d)
    st, _ = lite.admin("POST", "/admin/v1/teams", {
        "name": "moved", "budget": "5.00EUR/month"})
    st, res = lite.admin("POST", "/admin/v1/keys", {"team": "moved"})
    key = res["key"]
    st, res = lite.admin("POST", "/admin/v1/keys", {
        "team": "moved", "expires": "30d", "allow_ips": "127.0.0.0/8"})
    lived = res.get("id")
    st, res = lite.admin("POST", "/admin/v1/admins", {
        "name": "carol", "role": "team-admin", "teams": ["moved"]})
    carol = res.get("token", "") if st == 201 else ""
    for i in range(4):
        lite.api("POST", "/v1/chat/completions", body_for(i, i % 2 == 0),
                 key=key)
    spent = sum(r["cost_eur"] for r in lite.rows(table="ledger",
                                                 order="ts"))
    records = len(lite.rows())
    lite.stop()
    pg.sql("CREATE DATABASE moved")
    url = pg.url.rsplit("/", 1)[0] + "/moved"
    conf = os.path.join(env.dir, "moved.ini")
    with open(conf, "w") as f:
        f.write(lite.config_text() + "\n")
    text = open(conf).read().replace(
        "[gateway]\n", "[gateway]\ndatabase_url_env = EUGATE_DATABASE_URL\n"
        "instance_name = moved\n", 1)
    with open(conf, "w") as f:
        f.write(text)
    run_env = dict(os.environ, EUGATE_DATABASE_URL=url)
    p = subprocess.run([os.path.join(BUILD, "eugate"), "-c", conf,
                        "--migrate-to", "env"], capture_output=True,
                       text=True, env=run_env, timeout=60)
    tap.ok(p.returncode == 0 and "%d audit records" % records in p.stdout
           and "the chain verifies" in p.stdout and "1 admins" in p.stdout,
           "migrate: the SQLite database is copied into PostgreSQL and "
           "verified", p.stdout + p.stderr[-600:])
    p2 = subprocess.run([os.path.join(BUILD, "eugate"), "-c", conf,
                         "--migrate-to", "env"], capture_output=True,
                        text=True, env=run_env, timeout=60)
    tap.ok(p2.returncode != 0 and "holds eugate data already" in p2.stderr,
           "migrate: a database that holds data is not overwritten",
           p2.stderr[-300:])
    db = sqlite3.connect(os.path.join(d, "eugate.db"))
    was = db.execute("SELECT status FROM audit WHERE seq = 2").fetchone()[0]
    db.execute("UPDATE audit SET status = 299 WHERE seq = 2")
    db.commit()
    pg.sql("CREATE DATABASE moved2")
    p3 = subprocess.run([os.path.join(BUILD, "eugate"), "-c", conf,
                         "--migrate-to", url + "2"], capture_output=True,
                        text=True, env=run_env, timeout=60)
    db.execute("UPDATE audit SET status = ? WHERE seq = 2", (was,))
    db.commit()
    db.close()
    tap.ok(p3.returncode != 0 and "does not verify" in p3.stderr,
           "migrate: a chain that does not verify is not moved",
           p3.stderr[-300:])
    moved = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                        gateway="prices = %s\ndatabase_url_env = "
                        "EUGATE_DATABASE_URL\ninstance_name = moved\n" %
                        prices, name="movedgw", data_dir=d,
                        env={"EUGATE_DATABASE_URL": url})
    tap.eq(chat(moved, key), 200, "migrate: the keys work on PostgreSQL")
    st, keys = moved.admin("GET", "/admin/v1/keys?team=moved")
    row = [k for k in keys.get("data", []) if k["id"] == lived]
    tap.ok(row and row[0].get("expires_at") and row[0].get("allow_ips") ==
           ["127.0.0.0/8"], "migrate: a key's expiry and allowlist "
           "carried over", row)
    st, me = moved.admin("GET", "/admin/v1/me", token=carol)
    tap.ok(st == 200 and me.get("role") == "team-admin" and
           me.get("teams") == ["moved"], "migrate: an admin's token and "
           "teams carried over", me)
    st, rep = moved.admin("GET", "/admin/v1/spend?team=moved")
    whole, _, frac = rep["data"][0]["cost_eur"].partition(".")
    tap.ok(int(whole) * 10**6 + int((frac + "000000")[:6]) > spent,
           "migrate: the spend carried over (and grows)", json.dumps(rep))
    st, res = moved.admin("POST", "/admin/v1/audit/verify")
    tap.ok(st == 200 and res.get("ok") is True and
           res.get("records", 0) > records, "migrate: the moved chain "
           "verifies and goes on", json.dumps(res)[:400])
    moved.stop()


def test_startup_errors():
    port = closed_port()
    bad = "postgresql://eugate:pw-s3cret-here@127.0.0.1:%d/db" % port
    for name, url in (("bad", bad), ("nourl", " ")):
        try:
            start(name, url=url)
            tap.ok(False, "%s: the start fails" % name)
        except RuntimeError:
            pass
    log = open(os.path.join(env.dir, "bad.log")).read()
    tap.ok("127.0.0.1:%d" % port in log and "pw-s3cret-here" not in log,
           "an unreachable database fails the start naming the host, "
           "never the password", log[-400:])
    log = open(os.path.join(env.dir, "nourl.log")).read()
    tap.ok("EUGATE_DATABASE_URL" in log, "an unusable URL fails the start "
           "naming its variable", log[-300:])


tap.run(test_keys)
tap.run(test_admin_revoked)
tap.run(test_key_rotated)
tap.run(test_objects)
tap.run(test_budget)
tap.run(test_report_all_instances)
tap.run(test_rates)
tap.run(test_kill_and_restart)
tap.run(test_export_merged)
tap.run(test_storage_lost)
tap.run(test_secrets_differ)
tap.run(test_migrate)
tap.run(test_startup_errors)
env.close(tap)
tap.done()
