#!/usr/bin/env python3
"""Admin roles: the authorization matrix and what it rests on.

Against the real daemon. Every route of the admin route table (eugate
--list-admin-routes) is called as every role (owner, admin, team-admin,
auditor) for the team admin's own team and for another team; each call
answers the status of the matrix below, and a call that is refused (or
only reads) changes nothing in storage (teams, keys, admins, their
teams, ledger, objects, versions) while its audit record names the
principal and its role. A route without a row here fails the test.

Then: an admin can not make, revoke or rotate an owner; a team admin
sets no limits and sees its own teams only (lists, reports, audit); bad
input is a 400 naming the field with nothing stored; a revoked admin
token stops at once here and within 1 s on a second instance sharing
the database; the CLI prints tokens alone.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ADMIN_TOKEN, BUILD, Env, Tap, chat_body, wait_for  # noqa

tap = Tap()
env = Env("roles")
EUGATE = os.path.join(BUILD, "eugate")
CTL = os.path.join(BUILD, "eugatectl")
ROLES = ("owner", "admin", "team-admin", "auditor")

# The matrix: route -> how to call it for a case, and the status each
# role gets for (its own team, another team). A team admin's reads of
# another team answer 404 (it does not exist for it), its writes 403.
ALL_200 = {r: (200, 200) for r in ROLES}
READERS = {"owner": (200, 200), "admin": (200, 200),
           "team-admin": (403, 403), "auditor": (200, 200)}
SCOPED_READ = {"owner": (200, 200), "admin": (200, 200),
               "team-admin": (200, 404), "auditor": (200, 200)}
STAFF = {"owner": (200, 200), "admin": (200, 200),
         "team-admin": (403, 403), "auditor": (403, 403)}
STAFF_201 = {r: (201 if s == 200 else s, 201 if t == 200 else t)
             for r, (s, t) in STAFF.items()}
TEAM_WRITE = {"owner": (200, 200), "admin": (200, 200),
              "team-admin": (200, 403), "auditor": (403, 403)}
TEAM_WRITE_201 = {r: (201 if s == 200 else s, 201 if t == 200 else t)
                  for r, (s, t) in TEAM_WRITE.items()}

# (method, path pattern): (request builder, expectations). A builder
# gets the case (its fixtures: team, key, target admin) and returns
# (path, body).
MATRIX = {
    ("GET", "/admin/v1/health"): (lambda f: ("/admin/v1/health", None),
                                  ALL_200),
    ("GET", "/admin/v1/metrics"): (lambda f: ("/admin/v1/metrics", None),
                                   READERS),
    ("GET", "/admin/v1/me"): (lambda f: ("/admin/v1/me", None), ALL_200),
    ("POST", "/admin/v1/teams"): (
        lambda f: ("/admin/v1/teams", {"name": "new-" + f["team"]}),
        STAFF_201),
    ("GET", "/admin/v1/teams"): (
        lambda f: ("/admin/v1/teams?team=" + f["team"], None), SCOPED_READ),
    ("PATCH", "/admin/v1/teams/*"): (
        lambda f: ("/admin/v1/teams/" + f["team"], {"rpm": 10}), STAFF),
    ("DELETE", "/admin/v1/teams/*"): (
        lambda f: ("/admin/v1/teams/" + f["team"], None), STAFF),
    ("POST", "/admin/v1/keys"): (
        lambda f: ("/admin/v1/keys", {"team": f["team"]}), TEAM_WRITE_201),
    ("GET", "/admin/v1/keys"): (
        lambda f: ("/admin/v1/keys?team=" + f["team"], None), SCOPED_READ),
    ("DELETE", "/admin/v1/keys/*"): (
        lambda f: ("/admin/v1/keys/" + f["key"], None), TEAM_WRITE),
    ("PATCH", "/admin/v1/keys/*"): (
        lambda f: ("/admin/v1/keys/" + f["key"], {"name": "renamed"}),
        TEAM_WRITE),
    ("POST", "/admin/v1/keys/*/rotate"): (
        lambda f: ("/admin/v1/keys/%s/rotate" % f["key"], {"grace": "1h"}),
        TEAM_WRITE),
    ("GET", "/admin/v1/objects"): (
        lambda f: ("/admin/v1/objects?team=" + f["team"], None),
        SCOPED_READ),
    ("GET", "/admin/v1/spend"): (
        lambda f: ("/admin/v1/spend?team=" + f["team"], None), SCOPED_READ),
    ("GET", "/admin/v1/requests"): (
        lambda f: ("/admin/v1/requests?team=" + f["team"], None),
        SCOPED_READ),
    ("GET", "/admin/v1/audit"): (
        lambda f: ("/admin/v1/audit?team=" + f["team"], None), SCOPED_READ),
    ("POST", "/admin/v1/audit/verify"): (
        lambda f: ("/admin/v1/audit/verify", {}), READERS),
    ("GET", "/admin/v1/audit/checkpoints"): (
        lambda f: ("/admin/v1/audit/checkpoints", None), READERS),
    ("GET", "/admin/v1/reports/posture"): (
        lambda f: ("/admin/v1/reports/posture?team=" + f["team"], None),
        SCOPED_READ),
    ("GET", "/admin/v1/reports/art30"): (
        lambda f: ("/admin/v1/reports/art30?team=" + f["team"], None),
        SCOPED_READ),
    ("GET", "/admin/v1/reports/processing"): (
        lambda f: ("/admin/v1/reports/processing?team=" + f["team"], None),
        SCOPED_READ),
    ("POST", "/admin/v1/subjects/export"): (
        lambda f: ("/admin/v1/subjects/export", {"subject": "s-" + f["team"]}),
        READERS),
    ("POST", "/admin/v1/subjects/erase"): (
        lambda f: ("/admin/v1/subjects/erase", {"subject": "s-" + f["team"]}),
        STAFF),
    ("GET", "/admin/v1/admins"): (lambda f: ("/admin/v1/admins", None),
                                  READERS),
    ("POST", "/admin/v1/admins"): (
        lambda f: ("/admin/v1/admins", {"name": "new-" + f["team"],
                                        "role": "team-admin",
                                        "teams": [f["team"]]}), STAFF_201),
    ("DELETE", "/admin/v1/admins/*"): (
        lambda f: ("/admin/v1/admins/" + f["target"], None), STAFF),
    ("POST", "/admin/v1/admins/*/rotate"): (
        lambda f: ("/admin/v1/admins/%s/rotate" % f["target"], None), STAFF),
}
# Routes that leave storage as it was when they succeed (reads).
READS = {k for k in MATRIX if k[0] == "GET"} | {
    ("POST", "/admin/v1/audit/verify"), ("POST", "/admin/v1/subjects/export")}
# Polled routes keep no record of a success (a refusal is recorded).
UNRECORDED = {("GET", "/admin/v1/health"), ("GET", "/admin/v1/metrics")}
TABLES = ("teams", "keys", "admins", "admin_teams", "ledger", "objects",
          "meta")


def db(gw):
    gw.synced()
    return sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"), timeout=10)


def snapshot(gw):
    """Everything but the audit log, as sorted rows per table."""
    c = db(gw)
    try:
        return {t: sorted(repr(r) for r in c.execute("SELECT * FROM " + t))
                for t in TABLES}
    finally:
        c.close()


def audit_rows(gw, after):
    c = db(gw)
    c.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in c.execute(
            "SELECT * FROM audit WHERE seq > ? AND kind = 'admin' ORDER BY "
            "seq", (after,))]
    finally:
        c.close()


def last_seq(gw):
    c = db(gw)
    try:
        return c.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]
    finally:
        c.close()


def ok_admin(gw, method, path, body=None, want=(200, 201), token=None):
    st, res = gw.admin(method, path, body, token=token)
    if st not in want:
        raise RuntimeError("%s %s: %d %r" % (method, path, st, res))
    return res


def run(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(args, capture_output=True, text=True, env=e,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def routes_listed():
    out = subprocess.run([EUGATE, "--list-admin-routes"], capture_output=True,
                         text=True, check=True).stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line]


TOKENS = {}


def test_matrix(gw):
    listed = routes_listed()
    missing = [r for r in listed if r not in MATRIX]
    stale = [r for r in MATRIX if r not in listed]
    tap.ok(not missing, "every admin route has a row in the matrix "
           "(%d routes)" % len(listed), missing)
    tap.ok(not stale, "every row of the matrix is a route", stale)
    tokens = TOKENS
    tokens["owner"] = ADMIN_TOKEN
    for role, name in (("admin", "adm"), ("auditor", "aud")):
        tokens[role] = ok_admin(gw, "POST", "/admin/v1/admins", {
            "name": name, "role": role})["token"]
    bad, cases, refusals, t0 = [], 0, 0, time.time()
    n = 0
    for route in listed:
        if route not in MATRIX:
            continue
        build, want = MATRIX[route]
        for role in ROLES:
            for case in (0, 1):
                n += 1
                own, other = "own%d" % n, "oth%d" % n
                keys = {}
                for t in (own, other):
                    ok_admin(gw, "POST", "/admin/v1/teams", {"name": t})
                    keys[t] = ok_admin(gw, "POST", "/admin/v1/keys",
                                       {"team": t})["id"]
                token, who = tokens.get(role), {
                    "owner": "owner", "admin": "adm", "auditor": "aud"}.get(
                        role)
                if role == "team-admin":
                    who = "ta%d" % n
                    token = ok_admin(gw, "POST", "/admin/v1/admins", {
                        "name": who, "role": "team-admin",
                        "teams": [own]})["token"]
                team = own if case == 0 else other
                target = "tgt%d" % n
                if route[1].startswith("/admin/v1/admins/"):
                    ok_admin(gw, "POST", "/admin/v1/admins", {
                        "name": target, "role": "team-admin",
                        "teams": [team]})
                path, body = build({"team": team, "key": keys[team],
                                    "target": target})
                before, seq = snapshot(gw), last_seq(gw)
                st, res = gw.admin(route[0], path, body, token=token)
                after = snapshot(gw)
                expect = want[role][case]
                cases += 1
                label = "%s %s as %s, %s team" % (
                    route[0], route[1], role, ("own", "other")[case])
                why = []
                if st != expect:
                    why.append("status %d, want %d: %r" % (st, expect, res))
                if (st >= 300 or route in READS) and before != after:
                    why.append("storage changed: %r" % {
                        t: (before[t], after[t]) for t in TABLES
                        if before[t] != after[t]})
                if st >= 300:
                    refusals += 1
                recs = wait_for(lambda: audit_rows(gw, seq), 2) \
                    if route not in UNRECORDED or st == 403 else \
                    audit_rows(gw, seq)
                if route in UNRECORDED and st != 403:
                    if recs:
                        why.append("a polled route recorded: %r" % recs)
                elif len(recs) != 1 or recs[0]["status"] != st or \
                        recs[0]["verdicts"] != "admin=%s role=%s" % (
                            who, role) or recs[0]["method"] != route[0]:
                    why.append("audit records: %r" % recs)
                if why:
                    bad.append((label, why))
    tap.ok(not bad, "authorization matrix: %d routes x %d roles x 2 teams "
           "= %d calls, statuses as expected; %d refusals changed nothing; "
           "each call recorded with its principal and role (%.1fs)" % (
               len(listed), len(ROLES), cases, refusals, time.time() - t0),
           "\n".join("%s: %s" % (l, "; ".join(w)) for l, w in bad[:20]))
    tap.eq(cases, len(listed) * len(ROLES) * 2, "the matrix is complete")


def test_owners(gw, tokens):
    """An admin manages everyone but owners; the bootstrap owner stays."""
    adm = tokens["admin"]
    before = snapshot(gw)
    st, res = gw.admin("POST", "/admin/v1/admins", {
        "name": "olga", "role": "owner"}, token=adm)
    tap.ok(st == 403 and res["code"] == "insufficient_role" and
           snapshot(gw) == before, "an admin can not make an owner", res)
    olga = ok_admin(gw, "POST", "/admin/v1/admins", {
        "name": "olga", "role": "owner"})["token"]
    before = snapshot(gw)
    for what, method, path in (
            ("revoke", "DELETE", "/admin/v1/admins/olga"),
            ("rotate the token of", "POST", "/admin/v1/admins/olga/rotate")):
        st, res = gw.admin(method, path, token=adm)
        tap.ok(st == 403 and res["code"] == "insufficient_role" and
               snapshot(gw) == before,
               "an admin can not %s an owner" % what, res)
    st, me = gw.admin("GET", "/admin/v1/me", token=olga)
    tap.eq(me, {"object": "admin", "name": "olga", "role": "owner",
                "teams": []}, "GET /me: the contract's shape")
    st, res = gw.admin("POST", "/admin/v1/admins/olga/rotate", token=olga)
    new = res.get("token", "") if st == 200 else ""
    st1, _ = gw.admin("GET", "/admin/v1/me", token=olga)
    st2, _ = gw.admin("GET", "/admin/v1/me", token=new)
    tap.ok(new.startswith("ega_") and new != olga and st1 == 401 and
           st2 == 200, "an owner rotates its own token: the old one stops "
           "at once", (st1, st2))
    for method, path in (("DELETE", "/admin/v1/admins/owner"),
                         ("POST", "/admin/v1/admins/owner/rotate")):
        st, res = gw.admin(method, path)
        tap.ok(st == 400 and res["code"] == "invalid_name",
               "%s of the bootstrap owner: 400 (it is admin_token_env's)" %
               method, res)
    st, res = gw.admin("GET", "/admin/v1/admins", token=tokens["auditor"])
    rows = {r["name"]: r for r in res["data"]} if st == 200 else {}
    tap.ok(rows.get("owner", {}).get("role") == "owner" and
           set(rows.get("olga", {})) == {"name", "role", "teams",
                                         "created_at", "created_by",
                                         "revoked_at"} and
           rows["olga"]["created_by"] == "owner",
           "the admin list: its rows' fields, the bootstrap owner first",
           res)


def test_team_admin_view(gw):
    """A team admin sees its own teams only and sets no limits."""
    for t in ("red", "blue", "green"):
        ok_admin(gw, "POST", "/admin/v1/teams", {"name": t})
    kr = gw.new_key("red")
    kb = gw.new_key("blue")
    gw.new_key("green")
    for k in (kr, kb):
        st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=k)
    one = ok_admin(gw, "POST", "/admin/v1/admins", {
        "name": "rita", "role": "team-admin", "teams": ["red"]})["token"]
    two = ok_admin(gw, "POST", "/admin/v1/admins", {
        "name": "ron", "role": "team-admin", "teams": ["red", "blue"]})["token"]
    st, res = gw.admin("GET", "/admin/v1/keys", token=one)
    tap.ok(st == 200 and {k["team"] for k in res["data"]} == {"red"},
           "keys: a team admin lists its team's only", res)
    st, res = gw.admin("GET", "/admin/v1/keys", token=two)
    tap.ok(st == 200 and {k["team"] for k in res["data"]} == {"red", "blue"},
           "... of all its teams", res)
    st, res = gw.admin("GET", "/admin/v1/teams", token=two)
    tap.ok(st == 200 and sorted(t["name"] for t in res["data"]) ==
           ["blue", "red"], "teams: its own only", res)
    st, res = gw.admin("GET", "/admin/v1/requests", token=one)
    tap.ok(st == 200 and res["data"] and
           {r["team"] for r in res["data"]} == {"red"},
           "requests: its team's only", res)
    st, res = gw.admin("GET", "/admin/v1/spend?group_by=team", token=one)
    tap.ok(st == 200 and [r["team"] for r in res["data"]] == ["red"],
           "spend: its one team without naming it", res)
    st, res = gw.admin("GET", "/admin/v1/spend", token=two)
    tap.ok(st == 400 and res["param"] == "team",
           "spend: a team admin of several teams names one", res)
    st, text = gw.admin("GET", "/admin/v1/audit", token=one)
    lines = [json.loads(l) for l in text.splitlines()] if st == 200 else []
    tap.ok(lines and {l["team"] for l in lines} == {"red"},
           "audit export: its team's records only (%d)" % len(lines), text)
    st, me = gw.admin("GET", "/admin/v1/me", token=two)
    tap.eq(me, {"object": "admin", "name": "ron", "role": "team-admin",
                "teams": ["blue", "red"]}, "GET /me: a team admin's teams")
    kid = kr[4:16]
    before = snapshot(gw)
    for body in ({"budget": "5EUR/day"}, {"rpm": 5}, {"models": ["x-*"]}):
        st, res = gw.admin("PATCH", "/admin/v1/keys/" + kid, body, token=one)
        tap.ok(st == 403 and res["code"] == "insufficient_role" and
               snapshot(gw) == before,
               "a team admin can not set %s, nothing changed" % list(body),
               res)
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "red", "budget":
                                                  "1EUR/day"}, token=one)
    tap.ok(st == 403 and snapshot(gw) == before,
           "... nor create a key with a budget", res)
    st, res = gw.admin("PATCH", "/admin/v1/keys/" + kid, {
        "name": "red bot", "expires": "30d"}, token=one)
    tap.ok(st == 200, "it names its keys and sets their expiry", res)
    st, res = gw.admin("DELETE", "/admin/v1/keys/NOSUCHKEY000", token=one)
    tap.ok(st == 404, "an unknown key: 404", res)
    st, res = gw.admin("GET", "/admin/v1/keys?team=green", token=one)
    tap.ok(st == 404 and res["code"] == "not_found",
           "another team's list: 404 (it does not exist for it)", res)


def test_bad_input(gw):
    """A 400 naming the field; nothing stored."""
    cases = (
        ({"name": "x1", "role": "root"}, "role", "invalid_role"),
        ({"name": "x2", "role": "team-admin"}, "teams", "invalid_field"),
        ({"name": "x3", "role": "team-admin", "teams": []}, "teams",
         "invalid_field"),
        ({"name": "x4", "role": "auditor", "teams": ["red"]}, "teams",
         "invalid_field"),
        ({"name": "bad\u0007name", "role": "admin"}, "name", "invalid_name"),
        ({"name": "owner", "role": "admin"}, "name", "invalid_name"),
        ({"name": "x5", "role": "admin", "extra": 1}, "extra",
         "invalid_field"),
        ({"name": "x6", "role": "team-admin", "teams": ["nosuch"]}, "teams",
         "team_not_found"),
    )
    for body, field, code in cases:
        before = snapshot(gw)
        st, res = gw.admin("POST", "/admin/v1/admins", body)
        tap.ok(st in (400, 404) and res.get("param") == field and
               res.get("code") == code and snapshot(gw) == before,
               "admin create %r: %d %s naming %s, nothing stored" % (
                   body, st, code, field), res)


def test_revocation(env, gw):
    """A revoked token stops at once here, within 1 s on a second
    instance sharing the database; the CLI prints tokens alone."""
    e = {"EUGATE_ADMIN_URL": "http://127.0.0.1:%d" % gw.admin_port,
         "EUGATE_ADMIN_TOKEN": ADMIN_TOKEN}
    rc, out, err = run([CTL, "admin", "create", "vera", "--role",
                        "team-admin", "--team", "red", "--team", "blue"], e)
    tok = out.strip()
    tap.ok(rc == 0 and out.count("\n") == 1 and tok.startswith("ega_") and
           len(tok) == 36, "admin create prints the token alone", out + err)
    rc, out, err = run([CTL, "whoami"], dict(e, EUGATE_ADMIN_TOKEN=tok))
    tap.ok(rc == 0 and out.strip() == "vera (team-admin): teams blue, red",
           "whoami: name, role, teams (--team given twice)", out + err)
    rc, out, err = run([CTL, "admin", "list"], e)
    tap.ok(rc == 0 and out.splitlines()[0].split() == [
        "name", "role", "teams", "created_at", "created_by", "revoked_at"] and
        "vera" in out, "admin list: a table", out)
    gw2 = env.gateway(gw.upstreams, data_dir=gw.data_dir, name="gw2")
    st2, _ = gw2.admin("GET", "/admin/v1/me", token=tok)
    tap.eq(st2, 200, "a second instance on the same database knows vera")
    rc, out, err = run([CTL, "admin", "rotate", "vera"], e)
    new = out.strip()
    st1, _ = gw.admin("GET", "/admin/v1/me", token=tok)
    st2, _ = gw.admin("GET", "/admin/v1/me", token=new)
    tap.ok(rc == 0 and new.startswith("ega_") and new != tok and
           st1 == 401 and st2 == 200,
           "admin rotate prints the new token; the old one stops at once",
           (out, err, st1, st2))
    t0 = time.time()
    gone = wait_for(lambda: gw2.admin("GET", "/admin/v1/me",
                                      token=tok)[0] == 401, 3, 0.05)
    tap.ok(gone and time.time() - t0 <= 1.5,
           "... and on the other instance within 1 s (%.2fs)" % (
               time.time() - t0))
    t0 = time.time()
    known = wait_for(lambda: gw2.admin("GET", "/admin/v1/me",
                                       token=new)[0] == 200, 3, 0.05)
    tap.ok(known and time.time() - t0 <= 1.5,
           "... where the new token works within 1 s too (%.2fs)" % (
               time.time() - t0))
    rc, out, err = run([CTL, "admin", "revoke", "vera"], e)
    st1, _ = gw.admin("GET", "/admin/v1/me", token=new)
    tap.ok(rc == 0 and "revoked" in out and st1 == 401,
           "admin revoke: its token stops at once", (out, err, st1))
    t0 = time.time()
    gone = wait_for(lambda: gw2.admin("GET", "/admin/v1/me",
                                      token=new)[0] == 401, 3, 0.05)
    tap.ok(gone and time.time() - t0 <= 1.5,
           "... and on the other instance within 1 s (%.2fs)" % (
               time.time() - t0))
    recs = [r for r in gw.rows("kind = 'admin' AND status = 401")]
    tap.ok(any(r["path"] == "/admin/v1/me" for r in recs),
           "the refused token's calls are recorded")
    rc, out, err = run([CTL, "--json", "admin", "list"], e)
    rows = [r for r in json.loads(out)["data"] if r["name"] == "vera"]
    tap.ok(rc == 0 and len(rows) == 1 and rows[0]["revoked_at"] and
           rows[0]["teams"] == ["blue", "red"],
           "the revoked admin stays listed (evidence)", out)


up = env.upstream(name="up")
gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
try:
    tap.run(test_matrix, gw)
    tap.run(test_owners, gw, TOKENS)
    tap.run(test_team_admin_view, gw)
    tap.run(test_bad_input, gw)
    tap.run(test_revocation, env, gw)
finally:
    env.close(tap)
tap.done()
