"""The audit log through the real daemon: one record per request and per
admin call, the hash chain and signed checkpoints (verify catches every
kind of tampering and names the record), streamed exports, the
processing report, retention, crash recovery and data-subject erasure;
no personal data anywhere on disk or in the logs."""
import csv
import hashlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_TOKEN, BUILD, Env, SSEReader, Tap,  # noqa: E402
                     chat_body, wait_for)

tap = Tap()
CTL = os.path.join(BUILD, "eugatectl")
EMAIL = "anna.schmidt@example.com"
IBAN = "DE89 3704 0044 0532 0130 00"
SUBJECT = "patient-4711@clinic.example"
PII_VALUES = [EMAIL, IBAN, "DE89370400440532013000", SUBJECT]
POLICY = "[policy default]\npii = pseudonymize\n"
# The columns the hash chain covers (all but subject).
CHAINED = ["ts", "kind", "request_id", "key_id", "team", "client", "method",
           "path", "model", "upstream", "region", "policy", "verdicts",
           "route", "pii", "zdr", "streamed", "status", "error",
           "prompt_tokens", "completion_tokens", "cost_eur", "cost_usd",
           "latency_us", "request_hash", "response_hash", "prev", "hash"]


def ctl(gw, *args, check=True):
    env = dict(os.environ, EUGATE_ADMIN_URL="http://127.0.0.1:%d" %
               gw.admin_port, EUGATE_ADMIN_TOKEN=ADMIN_TOKEN)
    p = subprocess.run([CTL] + list(args), capture_output=True, env=env,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def verify(gw, body=None):
    st, res = gw.admin("POST", "/admin/v1/audit/verify", body)
    if st != 200:
        raise RuntimeError("verify: %d %r" % (st, res))
    bad = res.get("first_bad")
    return res, (bad or {}).get("seq", 0), (bad or {}).get("reason", "")


def db(gw):
    gw.synced()
    return sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"),
                           timeout=10)


def start(env, extra="", name="gw", data_dir=None):
    up = env.upstream(name=name + "-up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="audit_checkpoint_records = 100\n" + extra,
                     policies=POLICY, name=name, data_dir=data_dir)
    return up, gw


def tamper(value):
    """The value with one byte changed (as SQLite would store it)."""
    if value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, bytes):
        return bytes([value[0] ^ 1]) + value[1:]
    return chr(ord(value[0]) ^ 1) + value[1:]


def test_chain():
    env = Env("audit-")
    up, gw = start(env)
    key = gw.new_key()
    st, _ = gw.admin("GET", "/admin/v1/teams", token="wrong-token")
    tap.eq(st, 401, "a call without the admin token is refused")

    sent = {}

    def one(i):
        content = "note %d" % i
        if i % 5 == 0:
            content += " mail %s, IBAN %s" % (EMAIL, IBAN)
        body = chat_body(content, stream=(i % 7 == 0))
        raw = json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + key,
                   "Content-Type": "application/json",
                   "X-Request-Id": "audit-%d" % i}
        if i % 50 == 0:
            headers["X-Eugate-Subject"] = SUBJECT
        st, h, data = gw.http("POST", "/v1/chat/completions", raw, headers)
        sent[i] = (raw, st, data, body.get("stream", False))

    # 1,000 requests from 4 clients at once.
    def worker(k):
        for i in range(k, 1000, 4):
            one(i)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    tap.ok(all(v[1] == 200 for v in sent.values()) and len(sent) == 1000,
           "1,000 requests answered 200")
    rows = gw.rows("kind = 'request'")
    tap.eq(len(rows), 1000, "one audit record per request")
    by_id = {r["request_id"]: r for r in rows}
    r = by_id["audit-5"]
    tap.ok(r["client"].startswith("127.0.0.1:") and r["team"] == "t1" and
           r["policy"] == "default" and r["upstream"] == "up" and
           r["region"] == "eu" and r["verdicts"] == "auth=pass "
           "scope=pass rates=pass access=pass pii=modified routing=pass "
           "spend=pass" and r["pii"] == "EMAIL:1,IBAN:1" and
           r["status"] == 200 and r["zdr"] == 0 and
           r["prompt_tokens"] is not None and r["cost_eur"] is not None,
           "a record holds who, where, policy verdicts, PII types and "
           "counts, tokens, cost", r)
    ok = True
    for i in (5, 6, 7, 14):
        raw, _, data, streamed = sent[i]
        rec = by_id["audit-%d" % i]
        ok &= rec["request_hash"] == hashlib.sha256(raw).digest()
        ok &= rec["response_hash"] == hashlib.sha256(data).digest()
        ok &= rec["streamed"] == int(streamed)
    tap.ok(ok, "request and response hashes are SHA-256 of the bodies as "
           "received and as answered (streams too)")
    admin_rows = gw.rows("kind = 'admin'")
    tap.ok(any(a["path"] == "/admin/v1/keys" and a["status"] == 201 and
               a["team"] == "t1" and a["key_id"] for a in admin_rows) and
           any(a["status"] == 401 for a in admin_rows),
           "admin calls are recorded, refused ones too",
           [(a["path"], a["status"]) for a in admin_rows])
    all_rows = gw.rows()
    tap.eq([a["seq"] for a in all_rows], list(range(1, len(all_rows) + 1)),
           "the chain has no gap")
    tap.ok(all(all_rows[i]["prev"] == all_rows[i - 1]["hash"]
               for i in range(1, len(all_rows))),
           "each record holds the hash of the one before")

    rc, out, err = ctl(gw, "audit", "verify")
    tap.ok(rc == 0 and out.startswith("ok: %d records" % len(all_rows)),
           "eugatectl audit verify: ok", out + err)
    res, bad, _ = verify(gw)
    tap.ok(res["ok"] and bad == 0 and res["checkpoints"] >= 10 and
           res["signed_through"] >= 1000, "POST /admin/v1/audit/verify: "
           "ok, signed every 100 records", res)

    # Exports: JSON lines and CSV, whole and filtered, parsed here.
    rc, out, err = ctl(gw, "audit", "export")
    lines = [json.loads(x) for x in out.splitlines()]
    tap.ok(rc == 0 and len(lines) >= len(all_rows) and
           [x["seq"] for x in lines] == list(range(1, len(lines) + 1)),
           "export (JSON lines): every record, in order, over several pages",
           (rc, err, len(lines)))
    x = [x for x in lines if x["request_id"] == "audit-5"][0]
    tap.ok(x["hash"] == by_id["audit-5"]["hash"].hex() and
           x["pii"] == "EMAIL:1,IBAN:1" and "subject" not in x,
           "an exported record has its hashes in hex, no subject link", x)
    rc, out, err = ctl(gw, "audit", "export", "--format", "csv", "--team",
                       "t1")
    table = list(csv.DictReader(io.StringIO(out)))
    tap.ok(rc == 0 and len(table) >= 1000 and
           all(t["team"] == "t1" for t in table) and
           set(CHAINED) - {"cost_eur", "cost_usd"} <= set(table[0]),
           "export (CSV) filtered by team parses", (rc, err, len(table)))
    t0 = by_id["audit-500"]["ts"]
    rc, out, err = ctl(gw, "audit", "export", "--from", str(t0 // 1000 + 1),
                       "--to", str(t0 // 1000 + 2))
    got = [json.loads(x) for x in out.splitlines()]
    tap.ok(rc == 0 and all(t0 // 1000 + 1 <= g["ts"] // 1000 < t0 // 1000 + 2
                           for g in got), "export --from --to keeps the "
           "window", len(got))
    st, _ = gw.admin("GET", "/admin/v1/audit?format=xml")
    tap.eq(st, 400, "an unknown export format is refused")

    # Tampering with any field of a random record is found and named.
    rnd = random.Random(6)
    target = rnd.choice(rows)["seq"]
    h = db(gw)
    h.row_factory = sqlite3.Row
    orig = dict(h.execute("SELECT * FROM audit WHERE seq = ?",
                          (target,)).fetchone())
    missed = []
    for col in CHAINED:
        h.execute("UPDATE audit SET %s = ? WHERE seq = ?" % col,
                  (tamper(orig[col]), target))
        h.commit()
        _, bad, why = verify(gw)
        if bad != target:
            missed.append((col, bad, why))
        h.execute("UPDATE audit SET %s = ? WHERE seq = ?" % col,
                  (orig[col], target))
        h.commit()
    tap.eq(missed, [], "one byte changed in any of the %d chained fields of "
           "record %d: found, and the record named" % (len(CHAINED), target))
    h.execute("UPDATE audit SET subject = x'00' WHERE seq = ?", (target,))
    h.commit()
    tap.eq(verify(gw)[1], 0, "the subject link is outside the chain (so "
           "that it can be erased)")
    h.execute("UPDATE audit SET subject = ? WHERE seq = ?",
              (orig["subject"], target))
    h.commit()

    h.execute("CREATE TEMP TABLE keep AS SELECT * FROM audit WHERE seq = ?",
              (target,))
    h.execute("DELETE FROM audit WHERE seq = ?", (target,))
    h.commit()
    _, bad, why = verify(gw)
    tap.eq(bad, target, "a deleted record is named", why)
    h.execute("INSERT INTO audit SELECT * FROM keep")
    h.execute("DROP TABLE keep")
    h.commit()

    a, b = target, target + 1
    h.execute("UPDATE audit SET seq = -1 WHERE seq = ?", (a,))
    h.execute("UPDATE audit SET seq = ? WHERE seq = ?", (a, b))
    h.execute("UPDATE audit SET seq = ? WHERE seq = -1", (b,))
    h.commit()
    _, bad, why = verify(gw)
    tap.eq(bad, a, "two records reordered: the first is named", why)
    h.execute("UPDATE audit SET seq = -1 WHERE seq = ?", (a,))
    h.execute("UPDATE audit SET seq = ? WHERE seq = ?", (a, b))
    h.execute("UPDATE audit SET seq = ? WHERE seq = -1", (b,))
    h.commit()
    res, bad, why = verify(gw)
    tap.ok(res["ok"], "restored: verifies again", why)

    # Checkpoints kept elsewhere, then a truncated tail.
    rc, out, err = ctl(gw, "audit", "checkpoints")
    cps = json.loads(out)
    tap.ok(rc == 0 and len(cps["public_key"]) == 64 and
           len(cps["checkpoints"]) >= 10, "eugatectl audit checkpoints")
    cpfile = os.path.join(env.dir, "checkpoints.json")
    with open(cpfile, "w") as f:
        f.write(out)
    gw.stop()    # a clean stop signs the last head
    h.close()
    h = db(gw)
    last_cp = h.execute("SELECT max(seq) FROM audit_checkpoints").fetchone()[0]
    cut = last_cp - 150
    h.execute("DELETE FROM audit WHERE seq > ?", (cut,))
    h.commit()
    gw.log.close()
    gw.out.close()
    gw.start()
    _, bad, why = verify(gw)
    tap.eq(bad, cut + 1, "the tail cut after a checkpoint: the first "
           "missing record is named", why)
    gw.stop()
    h.execute("DELETE FROM audit_checkpoints WHERE seq > ?", (cut,))
    h.commit()
    h.close()
    gw.log.close()
    gw.out.close()
    gw.start()
    rc, out, err = ctl(gw, "audit", "verify", "--checkpoints", cpfile)
    tap.ok(rc == 1 and "FAILED at record" in out,
           "the checkpoints too: the copy kept elsewhere still finds it",
           out + err)
    rc, out, err = ctl(gw, "audit", "verify")
    tap.ok(rc == 0, "(without the copy the shortened chain looks whole)",
           out + err)

    # Nothing personal anywhere: database, WAL, logs.
    gw.stop()
    leaks = []
    for root, _, files in os.walk(env.dir):
        for name in files:
            if name.endswith(".jsonl"):
                continue    # the fake upstream's record of what it got
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            for v in PII_VALUES:
                if v.encode() in data:
                    leaks.append((name, v))
    tap.eq(leaks, [], "no PII value or subject id in the database, its WAL, "
           "the key files or the logs")
    env.close(tap)


def test_report_and_subjects():
    env = Env("audit-report-")
    up, gw = start(env)
    key = gw.new_key(team="clinic")
    key2 = gw.new_key(team="legal")
    for i in range(6):
        hdr = {"X-Eugate-Subject": SUBJECT} if i < 3 else {}
        st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(
            "hi %s" % EMAIL if i % 2 == 0 else "hi"), key=key, headers=hdr)
    gw.api("POST", "/v1/chat/completions", chat_body("x"), key=key2,
           headers={"X-Eugate-Subject": "someone-else"})
    tap.ok(all("x-eugate-subject" not in r["headers"]
               for r in up.requests()), "X-Eugate-Subject never goes "
           "upstream")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"X-Eugate-Subject": "x" * 300})
    tap.eq(st, 400, "an overlong subject id is refused")

    st, rep = gw.admin("GET", "/admin/v1/reports/processing?team=clinic")
    t = rep["teams"][0] if st == 200 and rep["teams"] else {}
    tap.ok(st == 200 and len(rep["teams"]) == 1 and t["team"] == "clinic" and
           t["requests"] == 7 and
           t["personal_data"]["EMAIL"] == {"values": 3, "requests": 3} and
           [{k: r[k] for k in ("upstream", "region", "requests",
                                "zdr_requests")}
            for r in t["recipients"]] == [{"upstream": "up", "region": "eu",
                                           "requests": 6,
                                           "zdr_requests": 0}] and
           t["policies"] == ["default"] and
           rep["retention"]["days"] is None,
           "processing report: categories with counts, recipients, ZDR, "
           "retention", rep)
    rc, out, err = ctl(gw, "report", "processing", "--format", "html")
    tap.ok(rc == 0 and out.startswith("<!DOCTYPE html>") and
           "Team clinic" in out and "Team legal" in out and
           "<td>EMAIL</td><td>3</td>" in out, "the report as an HTML page",
           out[:400] + err)
    rc, out, err = ctl(gw, "report", "processing", "--team", "legal")
    tap.ok(rc == 0 and [x["team"] for x in json.loads(out)["teams"]] ==
           ["legal"], "eugatectl report processing --team")

    rc, out, err = ctl(gw, "subject", "export", SUBJECT)
    mine = [json.loads(x) for x in out.splitlines()]
    tap.ok(rc == 0 and len(mine) == 3 and
           all(m["team"] == "clinic" for m in mine),
           "subject export lists that subject's records only", out + err)
    rc, out, err = ctl(gw, "subject", "erase", SUBJECT)
    tap.ok(rc == 0 and out.startswith("3 records unlinked"),
           "subject erase", out + err)
    rc, out, err = ctl(gw, "subject", "export", SUBJECT)
    tap.ok(rc == 0 and out == "", "after erasure nothing links to the "
           "subject", out)
    tap.eq(len(gw.rows("subject IS NOT NULL")), 1, "other subjects keep "
           "their link")
    tap.eq(len(gw.rows("kind = 'request'")), 8, "the records themselves "
           "stay")
    res, bad, why = verify(gw)
    tap.ok(res["ok"], "the chain verifies after the erasure", why)
    st, _ = gw.admin("POST", "/admin/v1/subjects/erase", {"who": "x"})
    tap.eq(st, 400, "subject erase without a subject: 400")
    erase = gw.rows("path = '/admin/v1/subjects/erase' AND status = 200")
    tap.ok(len(erase) == 1 and erase[0]["request_hash"] is None,
           "the erasure is recorded, without a hash of the subject id")
    env.close(tap)


def test_retention():
    env = Env("audit-retention-")
    # 0.00004 days = 3.5 s; checkpoints every 10 records.
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="audit_checkpoint_records = 10\n"
                     "audit_retention_days = 0.00004\n", policies=POLICY)
    key = gw.new_key()
    for i in range(30):
        gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    first = gw.rows()[0]["seq"]
    gone = wait_for(lambda: gw.rows() and gw.rows()[0]["seq"] > 30, 12, 0.2)
    tap.ok(first == 1 and gone, "records older than the retention are "
           "removed in the background", gw.rows()[:1])
    purges = gw.rows("kind = 'system' AND path = 'retention'")
    tap.ok(len(purges) >= 1 and purges[0]["verdicts"].startswith("purged=1.."),
           "the purge is itself a record of the chain", purges[:1])
    res, bad, why = verify(gw)
    tap.ok(res["ok"] and res["first_seq"] > 30, "the chain verifies from the "
           "oldest kept checkpoint", res)
    st, rep = gw.admin("GET", "/admin/v1/reports/processing")
    tap.ok(abs(rep["retention"]["days"] - 0.00004) < 1e-9,
           "the report states the retention in force", rep["retention"])
    env.close(tap)


def test_crash():
    env = Env("audit-crash-")
    up, gw = start(env)
    key = gw.new_key()
    readers = [SSEReader(gw.port, chat_body("slow", stream=True), key,
                         headers={"x-fake-event-delay-ms": "1000",
                                  "x-fake-events": "20",
                                  "X-Request-Id": "slow-%d" % i})
               for i in range(5)]
    tap.ok(wait_for(lambda: len(gw.rows("state = 'reserved'", table="ledger",
                                        order="ts")) == 5, 5),
           "5 streams in flight")
    gw.proc.kill()
    gw.proc.wait()
    for r in readers:
        r.close()
    gw.log.close()
    gw.out.close()
    gw.start()
    rows = gw.rows("error = 'interrupted'")
    tap.ok(sorted(r["request_id"] for r in rows) ==
           ["slow-%d" % i for i in range(5)] and
           all(r["status"] == 0 and r["path"] == "/v1/chat/completions" and
               r["method"] == "POST" and r["client"].startswith("127.0.0.1:")
               for r in rows),
           "after kill -9 each request in flight is recorded as interrupted",
           rows)
    res, bad, why = verify(gw)
    tap.ok(res["ok"], "and the chain verifies", why)
    env.close(tap)


tap.run(test_chain)
tap.run(test_report_and_subjects)
tap.run(test_retention)
tap.run(test_crash)
tap.done()
