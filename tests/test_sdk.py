"""Drop-in proof: the official Mistral TypeScript SDK and the openai
client, pinned in tests/sdk/package.json (and its lock file), call eugate
against the fake upstream, endpoint by endpoint (tests/sdk/conformance.mjs
prints one TAP line per SDK method; the SDKs validate the answers'
shapes themselves). Here: install them with npm when needed, run them,
and check what reached the upstream."""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SRC, Env, Tap  # noqa: E402

tap = Tap()
SDK_DIR = os.path.join(SRC, "tests", "sdk")
EMAIL = "anna.schmidt@example.com"


def installed():
    """1 when node_modules holds exactly the pinned versions."""
    with open(os.path.join(SDK_DIR, "package.json")) as f:
        want = json.load(f)["dependencies"]
    for name, version in want.items():
        p = os.path.join(SDK_DIR, "node_modules", name, "package.json")
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
                        "--loglevel=error"], cwd=SDK_DIR,
                       capture_output=True, text=True, timeout=600)
    tap.ok(p.returncode == 0 and installed(), "npm ci: the pinned SDKs "
           "installed into tests/sdk/node_modules", p.stdout + p.stderr)
    return p.returncode == 0


def test_sdks():
    env = Env("sdk-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy default]\npii = off\n"
                              "shared_objects = on\n"
                              "[policy pii]\npii = pseudonymize\n"
                              "shared_objects = on\n")
    key = gw.new_key()
    pii_key = gw.new_key(team="p", policy="pii")
    p = subprocess.run(
        ["node", os.path.join(SDK_DIR, "conformance.mjs")], cwd=SDK_DIR,
        env=dict(os.environ, EUGATE_URL="http://127.0.0.1:%d" % gw.port,
                 EUGATE_KEY=key, EUGATE_PII_KEY=pii_key),
        capture_output=True, text=True, timeout=150)
    results = 0
    for line in p.stdout.splitlines():
        if line.startswith("ok ") or line.startswith("not ok "):
            results += 1
            tap.ok(line.startswith("ok "), "sdk: " + line.split(" - ", 1)[-1])
        elif line.startswith("#"):
            print(line)     # a failure's diagnostics, under it
    tap.ok(p.returncode == 0 and results >= 15, "the conformance script ran "
           "to its end (%d checks)" % results, p.stderr[-2000:])
    sent = [r for r in up.requests() if r["uri"] == "/v1/chat/completions" and
            "mail " in (r["body"] or "")]
    tap.ok(len(sent) == 1 and EMAIL not in sent[0]["body"] and
           "<EMAIL_" in sent[0]["body"], "PII: the upstream saw the "
           "pseudonym, never the address the SDK sent", sent)
    retried = [r for r in up.requests()
               if r["headers"].get("x-fake-429-once") == "retry-1"]
    tap.ok(len(retried) == 2 and retried[0]["body"] == retried[1]["body"],
           "429 then 200: the upstream saw the same request twice",
           len(retried))
    ua = {r["headers"].get("user-agent", "") for r in up.requests()
          if "uri" in r}
    tap.ok(any(u.startswith("mistral-client-typescript/") for u in ua) and
           any(u.startswith("OpenAI/JS") for u in ua),
           "both clients reached the upstream through eugate", ua)
    test_curl(gw, key)
    env.close(tap)


def test_curl(gw, key):
    """curl -N shows each event as it comes, not at the end."""
    body = json.dumps({"model": "mistral-small-latest", "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]})
    p = subprocess.Popen(
        ["curl", "-sN", "http://127.0.0.1:%d/v1/chat/completions" % gw.port,
         "-H", "Authorization: Bearer " + key, "-H",
         "Content-Type: application/json", "-H", "x-fake-events: 5", "-H",
         "x-fake-event-delay-ms: 300", "-d", body],
        stdout=subprocess.PIPE, text=True)
    t0 = time.time()
    arrivals = []
    for line in p.stdout:
        if line.startswith("data: "):
            arrivals.append((time.time() - t0, line.strip()))
    p.wait(30)
    tap.ok(p.returncode == 0 and len(arrivals) == 6 and
           arrivals[-1][1] == "data: [DONE]" and
           arrivals[-1][0] - arrivals[0][0] > 0.9,
           "curl -N: 5 events and [DONE], each as it is produced",
           [(round(t, 2), d[:40]) for t, d in arrivals])


if shutil.which("node") is None or shutil.which("npm") is None:
    print("1..0 # SKIP node and npm are not installed (scripts/install-deps "
          "installs them)")
    sys.exit(0)
if install():
    tap.run(test_sdks)
tap.done()
