"""The command lines: eugate -t on good and bad files, and eugatectl
against the real admin API (output, --json, exit status, errors)."""
import json
import os
import re
import subprocess
import sys

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


for t in (test_config_check, test_eugatectl):
    tap.run(t)
tap.done()
