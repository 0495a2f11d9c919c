"""The admin console in a real browser: headless Chromium (Debian's
chromium) driven by puppeteer-core (pinned in tests/browser/package.json
and its lock file, installed with npm ci when needed). Here: a gateway
with teams, keys, requests and two weeks of spend, one team and one key
renamed in the database to a hostile name and one request with a
hostile model name; then tests/browser/console.mjs uses the console as a
person would and prints TAP lines, and this checks what storage holds
after it. Screenshots of every page go to BUILDDIR/tests/console-browser/
(spend.png is README's docs/console-spend.png)."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ADMIN_TOKEN, BUILD, SRC, Env, Tap, chat_body  # noqa

tap = Tap()
DIR = os.path.join(SRC, "tests", "browser")
OUT = os.path.join(BUILD, "tests", "console-browser")
HOSTILE = "<img src=x onerror=alert(1)>"
MODELS = ["mistral-small-latest", "mistral-large-latest", "codestral-latest"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def installed():
    with open(os.path.join(DIR, "package.json")) as f:
        want = json.load(f)["dependencies"]
    for name, version in want.items():
        p = os.path.join(DIR, "node_modules", name, "package.json")
        try:
            with open(p) as f:
                if json.load(f)["version"] != version:
                    return False
        except (OSError, ValueError):
            return False
    return True


def install():
    if installed():
        return True
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                        "--loglevel=error"], cwd=DIR, capture_output=True,
                       text=True, timeout=600)
    return tap.ok(p.returncode == 0 and installed(), "npm ci: puppeteer-core "
                  "installed into tests/browser/node_modules",
                  p.stdout + p.stderr)


def seed_history(db, teams):
    """Two weeks of settled spend before today, per team and model, so
    that the chart has days to show (demo data: the ledger only)."""
    now = int(time.time()) // 86400 * 86400
    rows = []
    for d in range(1, 15):
        for i, team in enumerate(teams):
            for j, model in enumerate(MODELS):
                n = (d * 7 + i * 5 + j * 3) % 11 + 1
                cost = n * (20000 + 10000 * i + 30000 * j)
                rows.append(("hist-%d-%d-%d" % (d, i, j),
                             "hist-%d-%d-%d" % (d, i, j),
                             (now - d * 86400 + 3600 * (i + 1)) * 1000,
                             team, model, cost, cost * 108 // 100,
                             n * 900, n * 300))
    db.executemany("INSERT INTO ledger(id, request_id, ts, team, model, "
                   "upstream, state, cost_eur, cost_usd, prompt_tokens, "
                   "completion_tokens) VALUES (?, ?, ?, ?, ?, 'up', "
                   "'settled', ?, ?, ?, ?)", rows)


def run():
    env = Env("console-browser-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy default]\npii = pseudonymize\n")
    keys = {}
    for team, budget in (("finance", "100EUR/month"),
                         ("research", "40EUR/month"), ("evil", None)):
        body = {"name": team}
        if budget:
            body["budget"] = budget
        st, _ = gw.admin("POST", "/admin/v1/teams", body)
        st2, res = gw.admin("POST", "/admin/v1/keys", {"team": team,
                                                       "name": "app"})
        if st != 201 or st2 != 201:
            raise RuntimeError("seed: %d %d %r" % (st, st2, res))
        keys[team] = res
    # A team and a key named by something hostile: the API refuses such
    # names, a database restored from elsewhere need not.
    gw.stop()
    db = sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"))
    with db:
        db.execute("UPDATE teams SET name = ? WHERE name = 'evil'",
                   (HOSTILE,))
        db.execute("UPDATE keys SET name = ? WHERE id = ?",
                   (HOSTILE, keys["evil"]["id"]))
        seed_history(db, ["finance", "research"])
    db.close()
    gw.start()
    for i, model in enumerate(MODELS * 2):
        team = ("finance", "research")[i % 2]
        gw.api("POST", "/v1/chat/completions",
               chat_body("mail anna.schmidt@example.com" if i == 0 else
                         "hello", model=model), key=keys[team]["key"])
    gw.api("POST", "/v1/chat/completions", chat_body("hi", model=HOSTILE),
           key=keys["evil"]["key"])
    gw.api("POST", "/v1/chat/completions", chat_body("hi"),
           key=keys["evil"]["key"])

    # Built with Chart.js or without (configure --with-chartjs=no).
    _, _, data = gw.http("GET", "/ui/session", port=gw.admin_port)
    chart = json.loads(data)["chart"]
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    p = subprocess.run(
        ["node", os.path.join(DIR, "console.mjs")], cwd=DIR,
        env=dict(os.environ, ADMIN_URL="http://127.0.0.1:%d" % gw.admin_port,
                 API_URL="http://127.0.0.1:%d" % gw.port,
                 ADMIN_TOKEN=ADMIN_TOKEN, CHROMIUM=CHROMIUM, OUT_DIR=OUT,
                 HOSTILE=HOSTILE, TEAM="finance", MODELS=",".join(MODELS),
                 CHART="1" if chart else "0"),
        capture_output=True, text=True, timeout=240)
    results = 0
    for line in p.stdout.splitlines():
        if line.startswith("ok ") or line.startswith("not ok "):
            results += 1
            name = line.split(" - ", 1)[-1]
            if " # SKIP " in name:
                print("ok %d - %s" % (tap.n + 1, name))
                tap.n += 1
            else:
                tap.ok(line.startswith("ok "), "browser: " + name)
        elif line.startswith("#"):
            print(line)
    tap.ok(p.returncode == 0 and results >= 30, "the browser script ran to "
           "its end (%d checks)" % results, p.stderr[-3000:])

    # What the console did reached storage, and left its evidence.
    made = gw.rows("name = 'console-made'", table="teams", order="id")
    tap.ok(len(made) == 1 and made[0]["budget"] == 25000000,
           "storage: the team created in the console, with its budget", made)
    revoked = gw.rows("team_id = ? AND name = 'from-the-console'",
                      (made[0]["id"] if made else -1,), table="keys",
                      order="id")
    tap.ok(len(revoked) == 1 and revoked[0]["revoked_at"] is not None,
           "storage: the key issued in the console is revoked", revoked)
    calls = gw.rows("kind = 'admin' AND method = 'DELETE' AND path LIKE "
                    "'/admin/v1/keys/%'")
    tap.ok(len(calls) == 1 and calls[0]["status"] == 200,
           "audit: the revocation is an admin record like any other",
           calls)
    logins = gw.rows("kind = 'admin' AND path = '/admin/v1/me'")
    tap.ok(any(r["status"] == 401 for r in logins) and
           any(r["status"] in (200, 404) for r in logins),
           "audit: logins are recorded, the refused one too",
           [(r["status"], r["client"]) for r in logins])
    log = gw.logtext()
    tap.ok(ADMIN_TOKEN not in log and "eugate_session" not in log,
           "logs: neither the admin token nor a session id")
    st, res = gw.admin("POST", "/admin/v1/audit/verify")
    tap.ok(st == 200 and res["ok"], "audit: the log verifies after the run",
           res)
    shots = sorted(f for f in os.listdir(OUT) if f.endswith(".png"))
    tap.ok({"login.png", "overview.png", "teams.png", "keys.png",
            "spend.png", "requests.png", "audit.png", "reports.png"} <=
           set(shots), "screenshots of every page in %s" % OUT, shots)
    env.close(tap)


def main():
    if CHROMIUM is None:
        print("1..0 # SKIP chromium is not installed (scripts/install-deps "
              "installs it)")
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("1..0 # SKIP node and npm are not installed "
              "(scripts/install-deps installs them)")
        return
    if not install():
        tap.done()
    tap.run(run)
    tap.done()


main()
