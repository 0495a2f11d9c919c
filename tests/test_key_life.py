#!/usr/bin/env python3
"""Keys' lives, against the real daemon: rotation with a grace period,
expiry, IP allowlists, last use, and deleting a team.

Rotation: both secrets work during the grace, only the new one after; the
id stays and spend and audit records go on under it; rotating again ends
the earlier grace; a grace of 0 ends the old secret at once. Expiry: 401
key_expired saying when; a date in the past, or one that does not parse,
is a 400 naming the field with nothing stored. Allowlists: other
addresses get 403 ip_not_allowed and nothing reaches the upstream. Last
use is written in batches (not by the request) and shows in key list.
A deleted team's keys stop, its stream in flight finishes, its team
admins lose it, its ledger and audit records stay.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_TOKEN, BUILD, Env, SSEReader, Tap,  # noqa: E402
                     chat_body, wait_for)

tap = Tap()
env = Env("keylife")
CTL = os.path.join(BUILD, "eugatectl")


def run(gw, args, token=ADMIN_TOKEN):
    e = dict(os.environ)
    e.update({"EUGATE_ADMIN_URL": "http://127.0.0.1:%d" % gw.admin_port,
              "EUGATE_ADMIN_TOKEN": token})
    p = subprocess.run([CTL] + args, capture_output=True, text=True, env=e,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def chat(gw, key):
    st, _, data = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, {}


def key_row(gw, kid):
    st, res = gw.admin("GET", "/admin/v1/keys")
    rows = [k for k in res["data"] if k["id"] == kid] if st == 200 else []
    return rows[0] if rows else None


def snapshot(gw):
    gw.synced()
    c = sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"), timeout=10)
    try:
        return {t: sorted(repr(r) for r in c.execute("SELECT * FROM " + t))
                for t in ("teams", "keys", "admins", "admin_teams", "meta")}
    finally:
        c.close()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_rotation(gw, up):
    k1 = gw.new_key("rot")
    kid = k1[4:16]
    st1, _ = chat(gw, k1)
    rc, out, err = run(gw, ["key", "rotate", kid, "--grace", "3s"])
    k2 = out.strip()
    tap.ok(rc == 0 and out.count("\n") == 1 and k2.startswith("egk_") and
           k2 != k1, "key rotate prints the new key alone", out + err)
    tap.eq(k2[4:16], kid, "the id stays")
    row = key_row(gw, kid)
    tap.ok(row and row["state"] == "rotating" and
           abs(row["rotating_until"] - (time.time() + 3)) < 2,
           "key list: rotating, until the grace ends", row)
    rc, out, err = run(gw, ["key", "list", "--team", "rot"])
    tap.ok(rc == 0 and "rotating until " + iso(row["rotating_until"]) in out,
           "eugatectl key list: 'rotating until' the time", out)
    st_old, _ = chat(gw, k1)
    st_new, _ = chat(gw, k2)
    tap.ok(st1 == 200 and st_old == 200 and st_new == 200,
           "during the grace both secrets work", (st1, st_old, st_new))
    wait_for(lambda: time.time() > row["rotating_until"] + 0.3, 6, 0.1)
    st_old, res = chat(gw, k1)
    st_new, _ = chat(gw, k2)
    tap.ok(st_old == 401 and res.get("code") == "invalid_api_key" and
           st_new == 200, "after it only the new one (the old: 401 "
           "invalid_api_key)", (st_old, res, st_new))
    tap.eq(key_row(gw, kid)["state"], "active", "key list: active again")
    st, res = gw.admin("GET", "/admin/v1/spend?key=" + kid)
    tap.ok(st == 200 and res["data"][0]["requests"] == 4,
           "spend goes on under the same key (4 requests, both secrets)", res)
    recs = gw.rows("kind = 'request' AND team = 'rot'")
    tap.ok(len(recs) == 4 and {r["key_id"] for r in recs} == {kid},
           "audit records: one key id for both secrets (the old secret after "
           "the grace names no key: it is a wrong secret)",
           [(r["key_id"], r["status"]) for r in recs])

    # Rotating again during a grace ends the earlier grace.
    st, r3 = gw.admin("POST", "/admin/v1/keys/%s/rotate" % kid)
    st2, r4 = gw.admin("POST", "/admin/v1/keys/%s/rotate" % kid,
                       {"grace": "1h"})
    s2, _ = chat(gw, k2)
    s3, _ = chat(gw, r3["key"])
    s4, _ = chat(gw, r4["key"])
    tap.ok(st == 200 and st2 == 200 and s2 == 401 and s3 == 200 and
           s4 == 200, "rotating again ends the earlier grace: the first "
           "secret stops, the one just replaced works", (s2, s3, s4))
    tap.ok(abs(r3["rotating_until"] - time.time() - 86400) < 5,
           "the default grace is 24h", r3)
    rc, out, err = run(gw, ["key", "rotate", kid, "--grace", "0"])
    s4, _ = chat(gw, r4["key"])
    s5, _ = chat(gw, out.strip())
    tap.ok(rc == 0 and s4 == 401 and s5 == 200 and
           key_row(gw, kid)["state"] == "active",
           "--grace 0: the old secret stops at once", (s4, s5))
    before = snapshot(gw)
    for grace in ("5y", "91d", -1, "1h30", True):
        st, res = gw.admin("POST", "/admin/v1/keys/%s/rotate" % kid,
                           {"grace": grace})
        tap.ok(st == 400 and res["param"] == "grace" and
               snapshot(gw) == before,
               "grace %r: 400 naming it, nothing stored" % (grace,), res)
    gw.admin("DELETE", "/admin/v1/keys/" + kid)
    st, res = gw.admin("POST", "/admin/v1/keys/%s/rotate" % kid)
    tap.eq(st, 404, "a revoked key is not rotated")


def test_expiry(gw, up):
    gw.admin("POST", "/admin/v1/teams", {"name": "exp"})
    before = snapshot(gw)
    for bad in ("2020-01-01", "tomorrow", "2027-02-30", "30x", "-5d",
                "2030-01-01T00:00:00", 12):
        st, res = gw.admin("POST", "/admin/v1/keys", {"team": "exp",
                                                       "expires": bad})
        tap.ok(st == 400 and res["param"] == "expires" and
               snapshot(gw) == before,
               "expires %r: 400 naming it, nothing stored" % (bad,), res)
    for name in ("bell\u0007", "new\nline", "x" * 65, ""):
        st, res = gw.admin("POST", "/admin/v1/keys", {"team": "exp",
                                                       "name": name})
        tap.ok(st == 400 and res["param"] == "name" and
               snapshot(gw) == before,
               "key name %r: 400 naming it, nothing stored" % name[:8], res)
    rc, out, err = run(gw, ["key", "create", "--team", "exp", "--expires",
                            "2001-01-01"])
    tap.ok(rc == 1 and "expires" in err and err.count("\n") == 1 and
           out == "", "eugatectl: a past date, one line naming expires", err)
    year = time.gmtime().tm_year + 1
    rc, out, err = run(gw, ["key", "create", "--team", "exp", "--expires",
                            "%d-03-31" % year, "--name", "CI bot (prod)"])
    row = key_row(gw, out.strip()[4:16]) if rc == 0 else None
    want = int(time.mktime(time.strptime("%d-03-31" % year, "%Y-%m-%d")) -
               time.timezone)
    tap.ok(row and row["expires_at"] == want and row["name"] ==
           "CI bot (prod)" and row["created_by"] == "owner",
           "--expires DATE: 00:00 UTC that day; a name with spaces; "
           "created_by", row)
    end = int(time.time()) + 2
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "exp",
                                                   "expires": iso(end)})
    key = res["key"]
    tap.ok(st == 201 and res["expires_at"] == end,
           "expires as RFC 3339", res)
    tap.eq(chat(gw, key)[0], 200, "the key works until then")
    wait_for(lambda: time.time() >= end + 0.2, 5, 0.1)
    n_up = len(up.requests())
    st, res = chat(gw, key)
    tap.ok(st == 401 and res.get("code") == "key_expired" and
           iso(end) in res.get("message", "") and len(up.requests()) == n_up,
           "then 401 key_expired saying when; nothing forwarded", res)
    rec = gw.rows("kind = 'request' AND error = 'key_expired'")
    tap.ok(rec and rec[-1]["key_id"] == key[4:16] and rec[-1]["team"] == "exp",
           "the refusal's record names the key and its team",
           rec[-1:] if rec else rec)
    tap.eq(key_row(gw, key[4:16])["state"], "expired", "key list: expired")
    rc, out, err = run(gw, ["key", "set", key[4:16], "--expires", "30d"])
    tap.ok(rc == 0 and chat(gw, key)[0] == 200 and
           abs(key_row(gw, key[4:16])["expires_at"] - time.time() -
               30 * 86400) < 5, "key set --expires 30d: it works again",
           out + err)
    rc, out, err = run(gw, ["key", "set", key[4:16], "--expires", "never"])
    tap.ok(rc == 0 and key_row(gw, key[4:16])["expires_at"] is None,
           "key set --expires never", out + err)


def test_allowlist(gw, up):
    st, res = gw.admin("POST", "/admin/v1/teams", {"name": "ips"})
    st, res = gw.admin("POST", "/admin/v1/keys", {
        "team": "ips", "allow_ips": ["10.0.0.0/8", "2001:DB8::/32"]})
    key, kid = res["key"], res["id"]
    tap.eq(res["allow_ips"], ["10.0.0.0/8", "2001:db8::/32"],
           "the allowlist, in canonical form")
    n_up = len(up.requests())
    st, body = chat(gw, key)
    tap.ok(st == 403 and body.get("code") == "ip_not_allowed" and
           len(up.requests()) == n_up,
           "a client outside it: 403 ip_not_allowed, nothing forwarded",
           body)
    rc, out, err = run(gw, ["key", "set", kid, "--allow-ip",
                            "10.0.0.0/8,127.0.0.0/8"])
    tap.ok(rc == 0 and chat(gw, key)[0] == 200,
           "--allow-ip with 127.0.0.0/8: the loopback client passes", err)
    rc, out, err = run(gw, ["key", "set", kid, "--allow-ip", "::1/128"])
    tap.ok(rc == 0 and chat(gw, key)[0] == 403,
           "an IPv6 network does not hold an IPv4 client", err)
    rc, out, err = run(gw, ["key", "set", kid, "--allow-ip", "none"])
    tap.ok(rc == 0 and chat(gw, key)[0] == 200 and
           key_row(gw, kid)["allow_ips"] == [], "--allow-ip none: anywhere",
           err)
    before = snapshot(gw)
    for bad in (["10.0.0.0/33"], ["10.1.2.3/8"], ["example.org"], [""],
                ["10.%d.0.0/16" % i for i in range(17)], "1.2.3.4/8", 5):
        st, res = gw.admin("PATCH", "/admin/v1/keys/" + kid,
                           {"allow_ips": bad})
        tap.ok(st == 400 and res["param"] == "allow_ips" and
               snapshot(gw) == before,
               "allow_ips %r: 400 naming it, nothing stored" % (
                   bad if len(str(bad)) < 40 else "17 networks",), res)


def test_last_use(env, up):
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="key_last_used_flush = 1h\n", name="lu",
                     data_dir=os.path.join(env.dir, "lu"))
    k = gw.new_key("lu")
    kid = k[4:16]
    for _ in range(5):
        chat(gw, k)

    def stored():
        return gw.rows("id = ?", (kid,), table="keys",
                       order="id")[0]["last_used_at"]
    tap.ok(stored() is None, "5 requests wrote no last use: it is in memory")
    t = int(time.time())
    row = key_row(gw, kid)
    tap.ok(row["last_used_at"] is not None and
           abs(row["last_used_at"] - t) <= 2 and stored() ==
           row["last_used_at"], "key list writes the batch first, and "
           "shows it", row)
    k2 = gw.new_key("lu")
    chat(gw, k2)
    gw.stop()
    tap.ok(gw.rows("id = ?", (k2[4:16],), table="keys",
                   order="id")[0]["last_used_at"] is not None,
           "a stop writes what is left")


def test_team_delete(gw, up):
    kg = gw.new_key("gone")
    gw.new_key("kept")
    st, res = gw.admin("POST", "/admin/v1/admins", {
        "name": "gina", "role": "team-admin", "teams": ["gone", "kept"]})
    gina = res["token"]
    tap.eq(chat(gw, kg)[0], 200, "the team's key works")
    sse = SSEReader(gw.port, chat_body(stream=True), kg,
                    headers={"x-fake-events": "6",
                             "x-fake-event-delay-ms": "250"})
    sse.read_head()
    first = sse.next_event()
    rc, out, err = run(gw, ["team", "delete", "gone"])
    tap.ok(rc == 0 and "1 keys revoked" in out, "team delete", out + err)
    rest = sse.rest()
    sse.close()
    tap.ok(sse.status == 200 and first and rest and
           rest[-1] == "data: [DONE]",
           "a stream in flight finishes (%d events after the deletion)" %
           len(rest), rest[-2:])
    st, res = chat(gw, kg)
    tap.ok(st == 401 and res.get("code") == "invalid_api_key",
           "new requests with its key: 401", res)
    st, me = gw.admin("GET", "/admin/v1/me", token=gina)
    tap.eq(me.get("teams"), ["kept"], "its team admins lose it")
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "gone"},
                       token=gina)
    tap.ok(st == 403 and res["code"] == "team_not_allowed",
           "... and can not make keys for it", res)
    gw.admin("POST", "/admin/v1/teams", {"name": "gone"})
    st, me = gw.admin("GET", "/admin/v1/me", token=gina)
    tap.eq(me.get("teams"), ["kept"], "a new team of that name is not theirs")
    ledger = gw.rows("team = 'gone'", table="ledger", order="ts")
    recs = gw.rows("kind = 'request' AND team = 'gone'")
    tap.ok(len(ledger) == 2 and len(recs) == 2,
           "its ledger entries and audit records stay (evidence)",
           (len(ledger), len(recs)))


up = env.upstream(name="up")
gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
try:
    tap.run(test_rotation, gw, up)
    tap.run(test_expiry, gw, up)
    tap.run(test_allowlist, gw, up)
    tap.run(test_team_delete, gw, up)
    tap.run(test_last_use, env, up)
finally:
    env.close(tap)
tap.done()
