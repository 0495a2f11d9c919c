#!/usr/bin/env python3
"""Where data may go: region routing, data-classification routing, ZDR,
model policy, circuit breakers and balancing, with fake upstreams labelled
eu, us and onprem. Asserts what each upstream received, what the client
got and what the requests table holds."""
import glob
import json
import os
import re
import subprocess
import time

from harness import BUILD, SRC, Env, Tap, chat_body, wait_for

tap = Tap()
BSN = "111222333"		# a valid Dutch citizen service number

POLICIES = """
[policy eu-only]
regions = eu
pii = off
[policy hybrid]
regions = eu, onprem
pii = pseudonymize
pii_detect = NL_BSN
pii_unscannable = allow
sensitive = raw
sensitive_regions = onprem
[policy natid]
regions = eu, onprem
pii = pseudonymize
sensitive = NATIONAL_ID
sensitive_regions = onprem
[policy nowhere]
pii = detect
sensitive = IBAN
sensitive_regions = block
[policy forced]
pii = off
service_tier = standard_only
safe_prompt = on
store = off
"""


def code(body):
    try:
        return json.loads(body)["code"]
    except (ValueError, KeyError, TypeError):
        return None


def texts(up):
    """Every body the upstream received, as one string."""
    return "\n".join(r.get("body") or "" for r in up.requests())


def test_regions():
    e = Env("region-")
    eu = e.upstream(name="eu")
    us = e.upstream(name="us")
    onprem = e.upstream(name="onprem", openai=True)
    g = e.gateway([
        {"name": "eu", "url": eu.url, "region": "eu", "endpoints":
         "inference", "models": "mistral-*", "fail_threshold": 3,
         "cooldown": "30s"},
        {"name": "us", "url": us.url, "region": "us", "models": "*"},
        {"name": "onprem", "url": onprem.url, "region": "onprem",
         "kind": "openai", "training": "none", "models": "*"}],
        policies=POLICIES)
    k_eu = g.new_key("team-eu", "eu-only")

    ids = []
    for i in range(12):
        st, h, _ = g.api("POST", "/v1/chat/completions",
                         chat_body("eu traffic %d" % i), key=k_eu)
        ids.append(h["x-request-id"])
        if st != 200:
            break
    tap.eq(st, 200, "eu-only: answered")
    tap.eq((len(eu.requests()), len(us.requests()), len(onprem.requests())),
           (12, 0, 0), "eu-only: every request reached the eu upstream, none "
           "the us or onprem one")
    row = g.row(ids[-1])
    tap.ok(row["region"] == "eu" and row["upstream"] == "eu" and
           row["route"].startswith("regions=eu ") and
           "us:region" in row["route"] and "onprem:region" in row["route"],
           "eu-only: the record names region, upstream and why the others "
           "were left", row)

    st, h, body = g.api("POST", "/v1/chat/completions",
                        chat_body("x", model="llama-3-70b"), key=k_eu)
    tap.ok(st == 403 and code(body) == "region_unavailable" and
           json.loads(body)["object"] == "error",
           "eu-only, a model served only in us/onprem: 403 "
           "region_unavailable in Mistral's envelope", body)
    tap.eq(len(us.requests()) + len(onprem.requests()), 0,
           "... and nothing reached us or onprem")
    row = g.row(h["x-request-id"])
    tap.ok(row["error"] == "region_unavailable" and "eu:model" in
           row["route"], "... recorded with the decision", row)

    st, _, body = g.api("GET", "/v1/files", key=k_eu)
    tap.ok(st == 403 and code(body) == "region_unavailable" and
           len(us.requests()) == 0, "eu-only, files while the eu upstream "
           "serves inference only (us would): region_unavailable", body)

    # Data classification: raw personal data only on-prem.
    k_hy = g.new_key("team-hybrid", "hybrid")
    n_eu = len(eu.requests())
    st, h, body = g.api("POST", "/v1/chat/completions", chat_body(
        "My BSN is %s. Please check it." % BSN), key=k_hy)
    tap.eq(st, 200, "hybrid: a prompt with a raw national ID is answered")
    tap.ok(BSN in texts(onprem) and len(eu.requests()) == n_eu and
           BSN not in texts(us), "hybrid: the raw national ID reached only "
           "the onprem upstream")
    row = g.row(h["x-request-id"])
    tap.ok(row["region"] == "onprem" and "sensitive=onprem" in row["route"]
           and "eu:sensitive" in row["route"] and "NL_BSN" in row["pii"],
           "hybrid: recorded as sensitive, routed on-prem", row)
    n_on = len(onprem.requests())
    # eu and onprem are drawn at random with equal weights: 24 requests
    # miss eu with probability 2^-24 (6 did in 1 of 64 runs)
    for i in range(24):
        st, h, _ = g.api("POST", "/v1/chat/completions", chat_body(
            "Write to anna.schmidt%d@example.org please" % i), key=k_hy)
    got = texts(eu) + texts(onprem)
    tap.ok(st == 200 and "anna.schmidt" not in got and "<EMAIL_" in got,
           "hybrid: pseudonymized prompts leave without the address")
    tap.ok(len(eu.requests()) > n_eu, "hybrid: pseudonymized prompts may "
           "go to the EU cloud (%d of 24 did)" % (len(eu.requests()) - n_eu))
    tap.eq(len(us.requests()), 0, "hybrid: never the us upstream")

    n_eu = len(eu.requests())
    n_on = len(onprem.requests())
    st, h, _ = g.api("POST", "/v1/chat/completions", {
        "model": "mistral-small-latest", "messages": [{
            "role": "user", "content": [
                {"type": "text", "text": "what is on this scan?"},
                {"type": "image_url",
                 "image_url": "data:image/png;base64,iVBORw0KGgo="}]}]},
        key=k_hy)
    tap.ok(st == 200 and len(eu.requests()) == n_eu and
           len(onprem.requests()) == n_on + 1, "hybrid: an image that could "
           "not be scanned counts as raw data: on-prem only")

    k_nat = g.new_key("team-natid", "natid")
    n_eu = len(eu.requests())
    n_on = len(onprem.requests())
    st, h, _ = g.api("POST", "/v1/chat/completions", chat_body(
        "Mijn BSN is %s." % BSN), key=k_nat)
    tap.ok(st == 200 and len(eu.requests()) == n_eu and
           len(onprem.requests()) == n_on + 1 and
           BSN not in onprem.requests()[-1]["body"],
           "NATIONAL_ID: even pseudonymized, a national ID goes on-prem only")

    k_no = g.new_key("team-nowhere", "nowhere")
    n_all = len(eu.requests()) + len(us.requests()) + len(onprem.requests())
    st, h, body = g.api("POST", "/v1/chat/completions", chat_body(
        "IBAN DE89 3704 0044 0532 0130 00"), key=k_no)
    tap.ok(st == 403 and code(body) == "pii_blocked" and
           len(eu.requests()) + len(us.requests()) +
           len(onprem.requests()) == n_all,
           "sensitive_regions = block: refused, nothing forwarded", body)

    # Model policy: labs-* by default, globs per key.
    k_def = g.new_key("team-default", "default")
    st, _, body = g.api("POST", "/v1/chat/completions", chat_body(
        "x", model="labs-devstral-small-2512"), key=k_def)
    tap.ok(st == 403 and code(body) == "model_not_allowed",
           "labs-* models are refused by default", body)
    st, res = g.admin("POST", "/admin/v1/keys", {
        "team": "team-default", "models": ["mistral-small-*"],
        "models_deny": ["mistral-small-2409"]})
    tap.ok(st == 201 and res["models"] == ["mistral-small-*"],
           "a key with model globs is created", res)
    k_narrow = res["key"]
    st1, _, _ = g.api("POST", "/v1/chat/completions", chat_body(
        "x", model="mistral-small-latest"), key=k_narrow)
    st2, _, b2 = g.api("POST", "/v1/chat/completions", chat_body(
        "x", model="mistral-large-latest"), key=k_narrow)
    st3, _, b3 = g.api("POST", "/v1/chat/completions", chat_body(
        "x", model="mistral-small-2409"), key=k_narrow)
    tap.ok(st1 == 200 and st2 == 403 and code(b2) == "model_not_allowed" and
           st3 == 403, "key globs: allowed passes, others and denied refused",
           (st1, st2, st3))
    st, res = g.admin("PATCH", "/admin/v1/keys/" + k_narrow[4:16],
                      {"models": None})
    st2, _, _ = g.api("POST", "/v1/chat/completions", chat_body(
        "x", model="mistral-large-latest"), key=k_narrow)
    tap.ok(st == 200 and st2 == 200, "PATCH models null lifts the key's "
           "allow list", res)
    st, res = g.admin("GET", "/admin/v1/keys?team=team-default")
    tap.ok(st == 200 and any(r.get("models_deny") == ["mistral-small-2409"]
                             for r in res["data"]),
           "the key list shows model globs as lists", res)
    st, res = g.admin("POST", "/admin/v1/teams", {"name": "t-m",
                                                  "models": ["x"]})
    st2, res2 = g.admin("POST", "/admin/v1/keys", {"team": "team-default",
                                                   "models": "mistral-*"})
    tap.ok(st == 400 and st2 == 400 and "list" in res2["message"],
           "models on a team, or not a list: 400", (res, res2))

    # Forced fields.
    k_f = g.new_key("team-forced", "forced")
    st, _, _ = g.api("POST", "/v1/chat/completions", chat_body(
        "forced fields", service_tier="auto", safe_prompt=False), key=k_f)
    sent = [json.loads(r["body"]) for r in eu.requests() + us.requests() +
            onprem.requests() if "forced fields" in (r["body"] or "")][-1]
    tap.ok(st == 200 and sent.get("service_tier") == "standard_only" and
           sent.get("safe_prompt") is True,
           "service_tier and safe_prompt forced as the policy says", sent)
    g.api("POST", "/v1/conversations", {"model": "mistral-small-latest",
                                        "inputs": "hi", "store": True},
          key=k_f)
    sent = [json.loads(r["body"]) for r in eu.requests() + us.requests()
            if r["uri"] == "/v1/conversations"][-1]
    tap.ok(sent.get("store") is False, "store = off: conversations reach "
           "the upstream with store false", sent)

    # The eu upstream goes down: eu-only traffic never moves to us.
    n_us = len(us.requests())
    eu.stop()
    sts = []
    for i in range(6):
        st, h, body = g.api("POST", "/v1/chat/completions",
                            chat_body("while eu is down"), key=k_eu)
        sts.append((st, code(body), h.get("retry-after")))
    tap.ok(all((s[0], s[1]) in ((502, "upstream_error"),
                                (503, "upstream_unavailable"))
               for s in sts), "eu down: eu-only requests fail (502 "
           "upstream_error, then 503 upstream_unavailable)", sts)
    tap.eq(len(us.requests()), n_us, "eu down: not one went to us")
    tap.ok(sts[-1][0] == 503 and sts[-1][2] is not None and
           int(sts[-1][2]) > 0, "after fail_threshold failures the breaker "
           "answers 503 with Retry-After", sts)
    row = g.row(h["x-request-id"])
    tap.ok("eu:breaker" in row["route"], "the record says the breaker is "
           "open", row)
    st, health = g.admin("GET", "/admin/v1/health")
    eu_h = [u for u in health["upstreams"] if u["name"] == "eu"][0]
    tap.ok(eu_h["breaker"] == "open" and eu_h["region"] == "eu",
           "admin health shows the open breaker", eu_h)
    st, metrics = g.admin("GET", "/admin/v1/metrics")
    tap.ok('eugate_upstream_up{upstream="eu",region="eu"} 0' in metrics and
           'eugate_upstream_breaker_opened_total{upstream="eu"} 1' in
           metrics, "metrics show the upstream down", metrics[-600:])
    e.close(tap)


def test_zdr():
    e = Env("zdr-")
    plain = e.upstream(name="plain")
    zdr = e.upstream(name="zdr")
    g = e.gateway([
        {"name": "plain", "url": plain.url, "region": "eu"},
        {"name": "zdr", "url": zdr.url, "region": "eu", "zdr": "on"}],
        policies="[policy zdr]\nzdr = on\npii = pseudonymize\n")
    k = g.new_key("team-zdr", "zdr")
    secret = "zdr-canary-prompt-4711 about the Lindqvist merger"
    answer_secret = "fake answer"     # what the fake upstream echoes
    for i in range(5):
        st, h, body = g.api("POST", "/v1/chat/completions",
                            chat_body(secret, stream=(i % 2 == 1)), key=k)
    tap.ok(st == 200 and len(zdr.requests()) == 5 and
           len(plain.requests()) == 0,
           "zdr: every request went to the zdr upstream only")
    tap.ok("plain:zdr" in g.row(h["x-request-id"])["route"],
           "zdr: the record says why the other was skipped")
    for method, path in (("POST", "/v1/files"), ("GET", "/v1/files"),
                         ("POST", "/v1/batch/jobs"),
                         ("POST", "/v1/agents/completions"),
                         ("POST", "/v1/conversations"),
                         ("GET", "/v1/libraries")):
        st, _, body = g.api(method, path, {"model": "mistral-small-latest",
                                           "inputs": "x"}
                            if method == "POST" else None, key=k)
        if not tap.ok(st == 403 and code(body) == "zdr_not_covered",
                      "zdr: %s %s refused" % (method, path), body):
            break
    tap.eq(len(zdr.requests()) + len(plain.requests()), 5,
           "zdr: refused endpoints reached no upstream")
    st, _, _ = g.api("GET", "/v1/models", key=k)
    tap.eq(st, 200, "zdr: model cards pass")
    g.stop()
    files = [f for f in glob.glob(os.path.join(g.data_dir, "*"))
             if os.path.isfile(f)] + [g.logpath, g.outpath]
    leaked = []
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        for needle in (secret, "canary-prompt", "Lindqvist"):
            if needle.encode() in data:
                leaked.append((os.path.basename(f), needle))
    tap.ok(len(files) >= 3 and not leaked, "zdr: no prompt text in the "
           "database, its WAL, or the logs (%d files)" % len(files), leaked)
    e.close(tap)


def test_breaker_and_balance():
    e = Env("breaker-")
    a = e.upstream(name="a")
    b = e.upstream(name="b")
    c = e.upstream(name="c")
    w1 = e.upstream(name="w1")
    w3 = e.upstream(name="w3")
    g = e.gateway([
        {"name": "a", "url": a.url, "models": "mistral-*",
         "fail_threshold": 2, "cooldown": "1500ms"},
        {"name": "b", "url": b.url, "models": "mistral-*", "priority": 1},
        {"name": "c", "url": c.url, "models": "probe-*",
         "health_path": "/v1/models", "health_interval": "100ms",
         "fail_threshold": 2, "cooldown": "1s"},
        {"name": "w1", "url": w1.url, "models": "bal-*"},
        {"name": "w3", "url": w3.url, "models": "bal-*", "weight": 3}],
        policies="[policy default]\npii = off\n")
    k = g.new_key()

    def ask(model="mistral-small-latest"):
        st, h, _ = g.api("POST", "/v1/chat/completions",
                         chat_body("x", model=model), key=k)
        return st, g.row(h["x-request-id"])

    port_a = a.port
    a.stop()
    r1 = ask()
    r2 = ask()
    tap.ok(r1[0] == 200 and r1[1]["upstream"] == "b" and
           "a:unreachable" in r1[1]["route"],
           "a failing upstream: the request fails over to b", r1)
    r3 = ask()
    tap.ok(r3[0] == 200 and r3[1]["upstream"] == "b" and
           "a:breaker" in r3[1]["route"], "after 2 failures a is skipped "
           "without being tried", r3)
    a = e.upstream(name="a", port=port_a)
    n_a = len(a.requests())
    r4 = ask()
    tap.ok(r4[1]["upstream"] == "b" and len(a.requests()) == n_a,
           "a is back, but the cool-down still skips it", r4)
    time.sleep(1.6)
    r5 = ask()
    r6 = ask()
    tap.ok(r5[1]["upstream"] == "a" and r6[1]["upstream"] == "a",
           "after the cool-down a takes requests again", (r5, r6))

    # Active checks open c's breaker with no request at all.
    def c_state():
        st, health = g.admin("GET", "/admin/v1/health")
        return [u for u in health["upstreams"] if u["name"] == "c"][0][
            "breaker"]
    tap.eq(c_state(), "closed", "active checks: c is healthy")
    port_c = c.port
    n_checks = len(c.requests())
    c.stop()
    tap.ok(n_checks > 0 and all(r["uri"] == "/v1/models"
                                for r in c.requests()),
           "active checks: GET /v1/models was sent (%d)" % n_checks)
    tap.ok(wait_for(lambda: c_state() == "open", 5),
           "active checks: c's breaker opens without any request")
    st, _ = ask("probe-1")
    tap.eq(st, 503, "active checks: a request for c's model gets 503")
    c = e.upstream(name="c", port=port_c)
    tap.ok(wait_for(lambda: c_state() == "closed", 5),
           "active checks: c closes again after the cool-down")

    for i in range(100):
        ask("bal-model")
    n1, n3 = len(w1.requests()), len(w3.requests())
    tap.ok(n1 + n3 == 100 and 55 <= n3 <= 92 and n1 >= 8,
           "weights 1:3 share the load (%d:%d)" % (n1, n3))
    e.close(tap)


def test_config_errors():
    e = Env("regcfg-")
    up = e.upstream(name="u")
    g = e.gateway([{"name": "u", "url": up.url}])
    g.write_config(g.config_text().replace("region = eu\n", ""))
    p = subprocess.run([os.path.join(BUILD, "eugate"), "-t", "-c", g.conf],
                       capture_output=True, text=True)
    tap.ok(p.returncode != 0 and "region is required" in p.stderr,
           "an upstream without region is a configuration error", p.stderr)
    # The README's three example setups are valid configurations.
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    block = readme[readme.index("; EU-only cloud"):]
    block = block[:block.index("```")]
    examples = re.split(r"\n(?=; (?:EU-only|Hybrid|On-prem only))", block)
    for i, text in enumerate(examples):
        path = os.path.join(e.dir, "example%d.ini" % i)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([os.path.join(BUILD, "eugate"), "-t", "-c", path],
                           capture_output=True, text=True,
                           env=dict(os.environ, MISTRAL_API_KEY="sk-x"))
        tap.ok(p.returncode == 0, "README example %d is a valid "
               "configuration" % (i + 1), p.stderr)
    tap.eq(len(examples), 3, "README: three example setups")
    e.close(tap)


for t in (test_regions, test_zdr, test_breaker_and_balance,
          test_config_errors):
    tap.run(t)
tap.done()
