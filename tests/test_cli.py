"""The command lines: eugate -t on good and bad files, and eugatectl
against the real admin API (output, --json, exit status, errors), its
tables (columns as wide as their cells, ISO-8601 times), its command
table (help, dispatch, argument checks) and the escaping of what it
puts into paths and queries (seen by a recording stand-in server)."""
import calendar
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_TOKEN, BUILD, SRC, Env, Tap,  # noqa: E402
                     chat_body)

tap = Tap()
EUGATE = os.path.join(BUILD, "eugate")
CTL = os.path.join(BUILD, "eugatectl")


def run(args, env=None):
    e = dict(os.environ)
    e.pop("MISTRAL_API_KEY", None)
    e.update(env or {})
    p = subprocess.run(args, capture_output=True, text=True, env=e,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_config_check():
    rc, out, err = run([EUGATE, "-t", "-c",
                        os.path.join(SRC, "conf", "eugate.ini")])
    tap.ok(rc == 0 and out.strip() == "configuration OK",
           "eugate -t: the shipped configuration is valid", err)
    rc, out, err = run([EUGATE, "-t"])
    tap.ok(rc == 0 and "configuration OK" in out,
           "eugate -t: the built-in defaults are valid", err)
    env = Env("cli-")
    bad = os.path.join(env.dir, "bad.ini")
    with open(bad, "w") as f:
        f.write("[gateway]\nlisten = 127.0.0.1:1\n\nlisen = 1\n")
    rc, out, err = run([EUGATE, "-t", "-c", bad])
    tap.ok(rc != 0 and err.strip() == "%s:4: unknown key 'lisen' in "
           "[gateway]" % bad, "eugate -t: FILE:LINE: message on error", err)
    rc, out, err = run([EUGATE, "-c", bad])
    tap.ok(rc != 0 and "unknown key" in err,
           "eugate refuses to start on a bad file")
    rc, out, err = run([EUGATE, "-k"])
    tap.ok(rc == 0 and "upstream url" in out, "eugate -k lists the keys")
    # The keys that need a restart: the table's list (--print-config)
    # is the one conf/eugate.ini documents.
    rc, out, err = run([EUGATE, "-t", "--print-config"])
    m = re.search(r"needs a restart\):([^.]*)\.", out.replace("\n;", ""))
    table = sorted(k.strip() for k in m.group(1).split(",")) if m else []
    with open(os.path.join(SRC, "conf", "eugate.ini")) as f:
        conf = f.read().replace("\n;", "")
    m = re.search(r"keeps the running value\):([^.]*)\.", conf)
    documented = sorted(k.strip() for k in m.group(1).split(",")) if m \
        else []
    tap.ok(rc == 0 and "listen" in table and table == documented,
           "conf/eugate.ini lists the keys that need a restart, as the "
           "key table has them", (table, documented))
    rc, out, err = run([EUGATE, "-x"])
    tap.ok(rc == 2 and "usage" in err, "eugate: unknown flag is a usage error")
    env.close(tap)


def test_eugatectl():
    env = Env("ctl-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy strict]\nmodels = mistral-*\n")
    url = "http://127.0.0.1:%d" % gw.admin_port
    e = {"EUGATE_ADMIN_URL": url, "EUGATE_ADMIN_TOKEN": ADMIN_TOKEN}
    rc, out, err = run([CTL, "team", "create", "finance", "--policy",
                        "strict"], e)
    tap.ok(rc == 0 and out.strip() == "team finance created (policy strict)",
           "team create", out + err)
    rc, out, err = run([CTL, "key", "create", "--team", "finance",
                        "--name", "ci-bot"], e)
    key = out.strip()
    tap.ok(rc == 0 and re.fullmatch(r"egk_[0-9A-Za-z]{50}", key) and
           out.count("\n") == 1, "key create prints the key alone", out)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "the printed key works")
    rc, out, err = run([CTL, "--json", "key", "list", "--team", "finance"],
                       e)
    data = json.loads(out) if rc == 0 else {}
    tap.ok(rc == 0 and data["data"][0]["id"] == key[4:16] and
           data["data"][0]["name"] == "ci-bot", "key list --json", out)
    rc, out, err = run([CTL, "team", "list"], e)
    tap.ok(rc == 0 and "finance" in out and "strict" in out, "team list", out)
    rc, out, err = run([CTL, "key", "list"], e)
    tap.ok(rc == 0 and key[4:16] in out and key not in out,
           "key list: ids, never keys")
    rc, out, err = run([CTL, "key", "revoke", key[4:16]], e)
    tap.ok(rc == 0 and "revoked" in out, "key revoke")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 401, "the revoked key is refused")
    rc, out, err = run([CTL, "key", "revoke", key[4:16]], e)
    tap.ok(rc != 0 and err.count("\n") == 1 and "404" in err,
           "revoking twice: non-zero, one line on stderr", err)
    rc, out, err = run([CTL, "requests", "--limit", "5"], e)
    tap.ok(rc == 0 and "/v1/chat/completions" in out, "requests", out)
    rc, out, err = run([CTL, "health"], e)
    tap.ok(rc == 0 and out.startswith("ok"), "health", out)
    rc, out, err = run([CTL, "metrics"], e)
    tap.ok(rc == 0 and "eugate_requests_total 2" in out, "metrics", out)
    rc, out, err = run([CTL, "--token", "wrong", "health"], {
        "EUGATE_ADMIN_URL": url})
    tap.ok(rc != 0 and "401" in err and err.count("\n") == 1,
           "a wrong token: non-zero with the reason", err)
    rc, out, err = run([CTL, "--url", "http://127.0.0.1:1", "--token", "x",
                        "health"])
    tap.ok(rc != 0 and "127.0.0.1:1" in err, "an unreachable admin API", err)
    rc, out, err = run([CTL, "frobnicate"], e)
    tap.ok(rc == 2 and "usage" in err, "unknown command: usage, exit 2")
    rc, out, err = run([CTL, "team", "create", "x", "--policy", "nope"], e)
    tap.ok(rc != 0 and "nope" in err, "unknown policy named in the error",
           err)

    # Budgets and limits, as the issue spells them.
    rc, out, err = run([CTL, "team", "create", "ops", "--budget",
                        "100EUR/month", "--rpm", "60"], e)
    tap.ok(rc == 0, "team create --budget --rpm", err)
    rc, out, err = run([CTL, "key", "create", "--team", "ops", "--budget",
                        "5EUR/day"], e)
    k2 = out.strip()
    tap.ok(rc == 0 and k2.startswith("egk_"), "key create --budget", err)
    rc, out, err = run([CTL, "team", "list"], e)
    line = [l for l in out.splitlines() if l.startswith("ops")]
    tap.ok(line and "100.00EUR/monthly" in line[0] and " 60 " in line[0],
           "team list shows budget and rpm", out)
    rc, out, err = run([CTL, "--json", "key", "list", "--team", "ops"], e)
    tap.eq(json.loads(out)["data"][0]["budget"], {
        "amount": "5.00", "currency": "EUR", "period": "daily"},
        "key list --json: the budget as decimal strings")
    rc, out, err = run([CTL, "team", "set", "ops", "--budget", "none",
                        "--tpm", "1000"], e)
    tap.ok(rc == 0 and "updated" in out, "team set", err)
    rc, out, err = run([CTL, "--json", "team", "list"], e)
    ops = [t for t in json.loads(out)["data"] if t["name"] == "ops"][0]
    tap.ok("budget" not in ops or ops["budget"] is None,
           "team set --budget none removes it", out)
    tap.eq(ops["tpm"], 1000, "team set --tpm")
    rc, out, err = run([CTL, "team", "set", "ops", "--budget", "5EUR/week"],
                       e)
    tap.ok(rc != 0 and "budget" in err and err.count("\n") == 1,
           "a bad budget: one line naming it", err)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=k2)
    tap.eq(st, 200, "a request under the key's budget")
    rc, out, err = run([CTL, "spend", "--team", "ops", "--group-by",
                        "model"], e)
    tap.ok(rc == 0 and "mistral-small-latest" in out and
           out.splitlines()[0].split()[:2] == ["model", "requests"],
           "spend --group-by model", out)
    rc, out, err = run([CTL, "--json", "spend", "--key", k2[4:16], "--from",
                        "2020-01-01"], e)
    data = json.loads(out)["data"] if rc == 0 else []
    tap.ok(len(data) == 1 and data[0]["requests"] == 1 and
           isinstance(data[0]["cost_eur"], str), "spend --json --key --from",
           out + err)
    kid = k2[4:16]
    rc, out, err = run([CTL, "key", "set", kid, "--models",
                        "ministral-*,codestral-*"], e)
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(), key=k2)
    tap.ok(rc == 0 and st == 403 and b"model_not_allowed" in body,
           "key set --models: other models refused", (err, body))
    rc, out, err = run([CTL, "key", "list", "--team", "ops"], e)
    tap.ok("ministral-*,codestral-*" in out, "key list shows the globs", out)
    rc, out, err = run([CTL, "key", "set", kid, "--models", "none"], e)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=k2)
    tap.ok(rc == 0 and st == 200, "key set --models none lifts it", err)
    rc, out, err = run([CTL, "spend", "--from", "yesterday"], e)
    tap.ok(rc != 0 and "from" in err, "spend: a bad date is refused", err)
    env.close(tap)


ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def iso_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def table(out):
    """A table's rows as lists of cells, and whether every column starts
    where its header does, two spaces after the widest cell before it."""
    lines = out.splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])] \
        if lines else []
    rows, aligned = [], bool(lines)
    for line in lines:
        cells = []
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            if s > 0 and (line[s - 2:s] != "  " or line[s:s + 1] in
                          ("", " ")):
                aligned = False
            cells.append(line[s:end].rstrip())
        rows.append(cells)
    return rows, aligned


def test_tables():
    env = Env("ctl-tables-")
    try:
        check_tables(env)
    finally:
        env.close(tap)


def check_tables(env):
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    e = {"EUGATE_ADMIN_URL": "http://127.0.0.1:%d" % gw.admin_port,
         "EUGATE_ADMIN_TOKEN": ADMIN_TOKEN}
    long_team = "research-and-development.team_" + "x" * 34   # 64 bytes
    t0 = int(time.time())
    for team in (long_team, "ops"):
        rc, out, err = run([CTL, "team", "create", team], e)
        tap.eq(rc, 0, "team create %s" % team[:20], err)
    keys = {}
    for team in (long_team, "ops"):
        rc, out, err = run([CTL, "key", "create", "--team", team, "--name",
                            "bot-" + team[:3], "--budget", "5EUR/day"], e)
        keys[team] = out.strip()[4:16]
    rc, out, err = run([CTL, "key", "revoke", keys["ops"]], e)
    rc, out, err = run([CTL, "key", "list"], e)
    rows, aligned = table(out)
    head = rows[0] if rows else []
    by_id = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    tap.ok(rc == 0 and head == ["id", "team", "name", "created_at",
                                "expires_at", "last_used_at", "state",
                                "budget", "models"] and
           aligned and len(rows) == 3,
           "key list: each column starts where its header does, after a "
           "64-byte team name too", out)
    mine = by_id.get(keys[long_team], {})
    tap.ok(mine.get("team") == long_team and
           mine.get("budget") == "5.00EUR/daily" and
           mine.get("name") == "bot-res", "key list: whole cells", mine)
    ops = by_id.get(keys["ops"], {})
    tap.ok(re.fullmatch(ISO, mine.get("created_at", "")) and
           ops.get("state") == "revoked" and
           mine.get("state") == "active" and
           mine.get("expires_at") == "-" and
           abs(iso_seconds(mine["created_at"]) - t0) < 120,
           "key list: created_at as ISO-8601 UTC, the state, "
           "- when it never expires", (mine, ops))
    rc, out, err = run([CTL, "--json", "key", "list"], e)
    js = {k["id"]: k for k in json.loads(out)["data"]} if rc == 0 else {}
    tap.ok(isinstance(js.get(keys[long_team], {}).get("created_at"), int) and
           iso_seconds(mine.get("created_at", "1970-01-01T00:00:00Z")) ==
           js[keys[long_team]]["created_at"],
           "key list --json: Unix seconds as the API gives them, the "
           "same time as the table's", out)

    rc, out, err = run([CTL, "team", "list"], e)
    rows, aligned = table(out)
    ops = [r for r in rows if r[:1] == ["ops"]]
    tap.ok(rc == 0 and aligned and rows[0][-1] == "created_at" and
           [r[0] for r in rows[1:]] == sorted([long_team, "ops"]) and
           ops and re.fullmatch(ISO, ops[0][-1]),
           "team list: aligned after a 64-byte name; created_at in ISO",
           out)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                      key=gw.new_key(team="ops"))
    rc, out, err = run([CTL, "requests"], e)
    rows, aligned = table(out)
    tap.ok(st == 200 and rc == 0 and aligned and rows[0][0] == "ts" and
           len(rows) == 2 and re.fullmatch(ISO, rows[1][0]) and
           abs(iso_seconds(rows[1][0]) - time.time()) < 120 and
           rows[1][3] == "/v1/chat/completions",
           "requests: the time first, in ISO-8601 (from milliseconds)", out)
    rc, out, err = run([CTL, "--json", "requests"], e)
    tap.ok(rc == 0 and json.loads(out)["data"][0]["ts"] > 10 ** 12,
           "requests --json: milliseconds, unchanged", out)


def test_command_table():
    """Every command of the table is in the help and dispatched by it;
    arguments are checked against the command's spec."""
    with open(os.path.join(SRC, "admin", "eugatectl.c")) as f:
        src = f.read()
    block = src[src.index("cmds[] = {"):]
    block = block[:block.index("\n};")]
    words = re.findall(r'\{ "([a-z0-9 -]+)", "', block)
    rc, out, err = run([CTL, "--help"])
    listed = re.findall(r"(?m)^  ([a-z0-9]+(?: [a-z0-9]+)?)(?: |$)", out)
    tap.ok(rc == 0 and len(words) >= 19 and listed == words,
           "--help lists every command of the table, in its order",
           (words, listed))
    rc2, out2, _ = run([CTL, "help"])
    tap.ok(rc2 == 0 and out2 == out, "eugatectl help: the same text")
    e = {"EUGATE_ADMIN_TOKEN": "x", "EUGATE_ADMIN_URL": "http://127.0.0.1:1"}
    bad = []
    for w in words:
        rc, out, err = run([CTL] + w.split() + ["--no-such", "1"], e)
        if rc != 2 or err.count("\n") != 1 or \
                not err.startswith("eugatectl: %s: unknown option "
                                   "--no-such (usage: eugatectl %s" % (w, w)):
            bad.append((w, rc, err))
    tap.ok(not bad, "each command is dispatched by the table and checks "
           "its options (exit 2, one line with its usage)", bad)
    for args, why in ((["team", "create"], "an argument is missing"),
                      (["key", "create", "--name", "x"], "missing --team"),
                      (["team", "set", "ops"], "at least one limit"),
                      (["key", "list", "--team"], "a value is missing"),
                      (["key", "list", "--team", "a", "--team", "b"],
                       "given twice"),
                      (["health", "now"], "too many arguments")):
        rc, out, err = run([CTL] + args, e)
        tap.ok(rc == 2 and why in err and err.count("\n") == 1,
               "%s: %s" % (" ".join(args), why), err)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every call with an empty list and records its target."""
    seen = []

    def answer(self):
        Recorder.seen.append((self.command, self.path))
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = b'{"data": [], "id": "x", "name": "x", "policy": "p"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


def test_escaping():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    e = {"EUGATE_ADMIN_URL": "http://127.0.0.1:%d" % srv.server_port,
         "EUGATE_ADMIN_TOKEN": "x"}
    cases = [
        (["spend", "--team", "r&d team", "--from", "2026-01-01+01:00",
          "--group-by", "model"],
         "/admin/v1/spend?team=r%26d%20team&from=2026-01-01%2B01%3A00"
         "&group_by=model"),
        (["audit", "export", "--format", "csv&team=other", "--to", "1#2"],
         "/admin/v1/audit?to=1%232&format=csv%26team%3Dother"),
        (["key", "list", "--team", "caf\u00e9=1"],
         "/admin/v1/keys?team=caf%C3%A9%3D1"),
        (["objects", "--team", "-ops.team_~1"],
         "/admin/v1/objects?team=-ops.team_~1"),
        (["requests", "--limit", "5?x"], "/admin/v1/requests?limit=5%3Fx"),
        (["report", "processing", "--team", "a/b"],
         "/admin/v1/reports/processing?team=a%2Fb"),
        (["key", "revoke", "../teams/x?y"],
         "/admin/v1/keys/..%2Fteams%2Fx%3Fy"),
        (["team", "set", "a b", "--rpm", "5"], "/admin/v1/teams/a%20b"),
    ]
    for args, want in cases:
        del Recorder.seen[:]
        rc, out, err = run([CTL] + args, e)
        got = Recorder.seen[-1][1] if Recorder.seen else None
        tap.ok(rc == 0 and got == want, "escaped: %s" % " ".join(args),
               (got, want, err))
    srv.shutdown()
    srv.server_close()
    env = Env("ctl-escape-")
    try:
        check_no_splice(env)
    finally:
        env.close(tap)


def check_no_splice(env):
    """Against the real admin API: a value can not add a parameter."""
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    e = {"EUGATE_ADMIN_URL": "http://127.0.0.1:%d" % gw.admin_port,
         "EUGATE_ADMIN_TOKEN": ADMIN_TOKEN}
    key = gw.new_key(team="t1")
    gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    rc, out, err = run([CTL, "--json", "spend", "--from", "2020-01-01"], e)
    tap.ok(rc == 0 and json.loads(out)["data"][0]["requests"] == 1,
           "spend --from a date", out + err)
    rc, out, err = run([CTL, "--json", "spend", "--from",
                        "2020-01-01&key=%s" % ("0" * 12)], e)
    tap.ok(rc != 0 and "HTTP 400" in err and "from" in err,
           "a --from holding '&key=...' stays the value of from (refused), "
           "not a key filter", out + err)


for t in (test_config_check, test_eugatectl, test_tables, test_command_table,
          test_escaping):
    tap.run(t)
tap.done()
