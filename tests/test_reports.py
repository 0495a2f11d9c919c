"""The compliance reports through the real daemon: the GDPR posture per
team changes check by check as one fact changes at a time, in the
configuration (reloaded with SIGHUP), in storage (a budget, a key) or in
the audit log (requests that went without ZDR, sensitive data that went to
a provider, a tampered record); the Art. 30 record holds every item Art.
30(1) asks for, its figures match the audit log and name the checkpoint
they were verified against; both HTML documents escape every value and
need no script."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_TOKEN, BUILD, SRC, Env, Tap,  # noqa: E402
                     chat_body, wait_for)

tap = Tap()
CTL = os.path.join(BUILD, "eugatectl")
IBAN = "DE89 3704 0044 0532 0130 00"
EMAIL = "anna.schmidt@example.com"
CHECKS = ["dpa", "region", "subprocessors", "retention", "training", "zdr",
          "logging", "access_controls", "spend_limits", "self_deployment"]
HOSTILE = "Example Health GmbH <script>alert(1)</script> & \"Co\""


def ctl(gw, *args):
    env = dict(os.environ, EUGATE_ADMIN_URL="http://127.0.0.1:%d" %
               gw.admin_port, EUGATE_ADMIN_TOKEN=ADMIN_TOKEN)
    p = subprocess.run([CTL] + list(args), capture_output=True, env=env,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def reload(gw):
    """Writes the gateway's configuration and waits for SIGHUP to apply
    it."""
    n = gw.logtext().count("configuration reloaded")
    gw.write_config()
    gw.proc.send_signal(signal.SIGHUP)
    if not wait_for(lambda: gw.logtext().count("configuration reloaded") >
                    n, 5):
        raise RuntimeError("reload: %s" % gw.logtext()[-500:])


def html(gw, path):
    st, hdr, data = gw.http("GET", path, headers={
        "Authorization": "Bearer " + ADMIN_TOKEN}, port=gw.admin_port)
    return st, hdr.get("content-type", ""), data.decode()


def policy(**over):
    keys = dict(regions="eu, onprem", zdr="on", training="allowed",
                sensitive="IBAN", sensitive_regions="onprem",
                endpoints="inference, models",
                purpose="answering customer e-mails",
                legal_basis="Art. 6(1)(b) GDPR", data_subjects="customers")
    keys.update(over)
    return "[policy p]\n" + "".join("%s = %s\n" % (k, v) for k, v in
                                    keys.items() if v is not None)


def test_posture():
    env = Env("reports-posture-")
    up_eu = env.upstream(name="up-eu")
    up_op = env.upstream(name="up-op")
    eu = {"name": "eu", "url": up_eu.url, "models": "*", "region": "eu",
          "zdr": "on", "training": "none", "provider": "Mistral AI SAS",
          "location": "FR",
          "dpa": "https://legal.mistral.ai/terms/data-processing-addendum",
          "subprocessors": "https://trust.mistral.ai",
          "provider_retention": "0d", "priority": "0"}
    op = {"name": "op", "url": up_op.url, "models": "*", "region": "onprem",
          "zdr": "on", "training": "none", "priority": "1"}
    base_gw = ("audit_retention_days = 30\ncontroller = Example GmbH\n"
               "dpo = dpo@example.com\n")
    gw = env.gateway([dict(eu), dict(op)], gateway=base_gw,
                     policies=policy())
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "fin", "policy": "p", "budget": "100EUR/month"})
    st2, res = gw.admin("POST", "/admin/v1/keys", {"team": "fin"})
    key = res["key"]
    for i in range(3):
        gw.api("POST", "/v1/chat/completions", chat_body("hi %s" % EMAIL),
               key=key)
    for i in range(2):
        gw.api("POST", "/v1/chat/completions", chat_body("pay to %s" % IBAN),
               key=key)
    tap.ok(st == 201 and st2 == 201 and len(up_eu.requests()) == 3 and
           len(up_op.requests()) == 2, "3 requests went to eu, the 2 with "
           "an IBAN (sensitive) on premises")

    def posture(team="fin", query=""):
        st, rep = gw.admin("GET", "/admin/v1/reports/posture?team=%s%s" %
                           (team, query))
        if st != 200:
            raise RuntimeError("posture: %d %r" % (st, rep))
        t = rep["teams"][0]
        return {c["check"]: c["status"] for c in t["checks"]}, \
            {c["check"]: c["reason"] for c in t["checks"]}, rep

    base, why, rep = posture()
    want = dict((c, "ok") for c in CHECKS)
    want["access_controls"] = "warn"     # keys without an expiry date
    tap.eq(base, want, "the base: every check ok but access controls "
           "(the key never expires)", why)
    tap.ok([c["check"] for c in rep["teams"][0]["checks"]] == CHECKS and
           rep["teams"][0]["summary"] == {"ok": 9, "warn": 1, "fail": 0} and
           rep["controller"] == "Example GmbH" and rep["warnings"] == [],
           "the JSON shape: checks in order, a summary, no warnings", rep)
    tap.ok("eu (Mistral AI SAS: https://legal.mistral.ai/terms/data-"
           "processing-addendum)" in why["dpa"] and "op (self-hosted, no "
           "processor)" in why["dpa"] and "eu (FR (EEA))" in why["region"]
           and "3 of the team's requests" not in why["logging"] and
           "5 of the team's requests reached an upstream" in why["logging"]
           and "100.00 EUR monthly" in why["spend_limits"] and
           "goes only to on-premises upstreams: op" in
           why["self_deployment"], "the reasons name the evidence", why)

    gw.admin("POST", "/admin/v1/teams", {"name": "fresh", "policy": "p"})

    def one(change, check, status, words, what, team="fin"):
        got, why, _ = posture(team)
        exp = dict(base)
        exp[check] = status
        if team != "fin":
            got = {check: got[check]}
            exp = {check: status}
        tap.ok(got == exp and words in why[check],
               "%s: %s turns %s" % (what, check, status),
               "%r\n%s" % (got, why[check]))

    def variant(what, check, status, words, ups=None, gwx=None, pol=None,
                team="fin"):
        gw.upstreams = ups or [dict(eu), dict(op)]
        gw.gateway_extra = base_gw + (gwx or "")
        gw.policies = policy(**(pol or {}))
        reload(gw)
        one(None, check, status, words, what, team)

    def eu_with(**kv):
        u = dict(eu)
        for k, v in kv.items():
            if v is None:
                u.pop(k)
            else:
                u[k] = v
        return [u, dict(op)]

    variant("dpa removed, requests went there", "dpa", "fail",
            "eu (no dpa =, 3 requests)", ups=eu_with(dpa=None))
    variant("dpa removed, a team without requests", "dpa", "warn",
            "eu (no dpa =)", ups=eu_with(dpa=None), team="fresh")
    variant("location US, no transfer basis", "region", "fail",
            "US (its adequacy decision covers certified recipients only",
            ups=eu_with(location="US"))
    variant("location US under SCC", "region", "ok", "eu (US (scc))",
            ups=eu_with(location="US", transfer="scc"))
    variant("location left out", "region", "warn", "location not stated",
            ups=eu_with(location=None))
    variant("subprocessors removed", "subprocessors", "fail",
            "no subprocessors =", ups=eu_with(subprocessors=None))
    variant("the provider keeps 30 days under ZDR", "retention", "fail",
            "zdr = on, yet provider_retention = 30d",
            ups=eu_with(provider_retention="30d"))
    gw.gateway_extra = "controller = Example GmbH\ndpo = dpo@example.com\n"
    gw.upstreams = [dict(eu), dict(op)]
    gw.policies = policy()
    reload(gw)
    one(None, "retention", "warn", "without a time limit", "audit records "
        "kept forever")
    variant("training allowed", "training", "fail", "eu (training = "
            "allowed)", ups=eu_with(training="allowed"))
    variant("training opt-out", "training", "warn", "eu (training = "
            "opt-out)", ups=eu_with(training="opt-out"))
    variant("endpoints = all", "access_controls", "fail", "administration",
            pol={"endpoints": "all"})
    variant("sensitive data may go to eu", "self_deployment", "fail",
            "go to third-party upstreams: eu",
            pol={"sensitive_regions": "eu, onprem"})
    variant("no data class kept in-house", "self_deployment", "warn",
            "sensitive is not set", pol={"sensitive": None,
                                          "sensitive_regions": None})

    # Storage: the team's budget, its keys.
    variant("back to the base", "dpa", "ok", "A DPA is on file")
    st, _ = gw.admin("PATCH", "/admin/v1/teams/fin", {"budget": None})
    one(None, "spend_limits", "fail", "No budget caps", "the team's budget "
        "removed (admin API)")
    variant("only the gateway's budget", "spend_limits", "warn",
            "1000EUR/month", gwx="budget = 1000EUR/month\n")
    gw.admin("PATCH", "/admin/v1/teams/fin", {"budget": "100EUR/month"})
    variant("back to the base", "spend_limits", "ok", "100.00 EUR")
    st, keys = gw.admin("GET", "/admin/v1/keys?team=fin")
    gw.admin("DELETE", "/admin/v1/keys/%s" % keys["data"][0]["id"])
    got, why, _ = posture()
    tap.ok(got["access_controls"] == "ok" and "no usable key" in
           why["access_controls"], "the key revoked: access controls ok",
           why["access_controls"])
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "fin"})
    key = res["key"]

    # The audit log: requests without ZDR, then ZDR required.
    variant("zdr off", "zdr", "warn", "does not require zero data "
            "retention", pol={"zdr": "off"})
    for i in range(2):
        gw.api("POST", "/v1/chat/completions", chat_body("x"), key=key)
    variant("zdr on again, the audit log holds 2 requests without it",
            "zdr", "fail", "2 of the team's 7 requests sent without it")
    base["zdr"] = "fail"
    after = int(time.time()) + 1
    wait_for(lambda: time.time() > after + 0.05, 3)
    got, why, _ = posture(query="&from=%d" % after)
    tap.ok(got["zdr"] == "ok", "... from a time after them: ok", why["zdr"])

    # The audit log: sensitive data that went to a provider.
    gw.policies = policy(sensitive_regions="eu, onprem")
    reload(gw)
    gw.api("POST", "/v1/chat/completions", chat_body("to %s" % IBAN),
           key=key)
    variant("sensitive_regions fixed, but one sensitive request went to eu",
            "self_deployment", "fail", "The audit log shows 1 requests of "
            "the team with sensitive data (IBAN) that went to third-party "
            "upstreams: eu (1)")
    got, _, _ = posture(query="&from=%d" % (int(time.time()) + 1))
    tap.eq(got["self_deployment"], "ok", "... from a later time: ok")

    # The audit log, tampered with: logging fails.
    gw.synced()
    db = sqlite3.connect(os.path.join(gw.data_dir, "eugate.db"), timeout=10)
    db.execute("UPDATE audit SET model = 'tampered' WHERE seq = 3")
    db.commit()
    db.close()
    got, why, _ = posture()
    tap.ok(got["logging"] == "fail" and "record 3" in why["logging"],
           "a changed record: logging fails, naming it", why["logging"])

    st, rep = gw.admin("GET", "/admin/v1/reports/posture?team=nobody")
    tap.eq(st, 404, "posture of an unknown team: 404")
    st, rep = gw.admin("GET", "/admin/v1/reports/posture")
    tap.eq(sorted(t["team"] for t in rep["teams"]), ["fin", "fresh"],
           "without team=: every team")
    rc, out, err = ctl(gw, "report", "posture", "--team", "fin")
    tap.ok(rc == 0 and "team fin (policy p):" in out and
           re.search(r"\n  logging +fail +The audit chain does not verify",
                     out), "eugatectl report posture: a line per check",
           out + err)
    rc, out, err = ctl(gw, "report", "posture", "--format", "json")
    tap.ok(rc == 0 and json.loads(out)["object"] == "posture",
           "eugatectl report posture --format json", err)
    rc, out, err = ctl(gw, "report", "posture", "--format", "xml")
    tap.ok(rc == 2 and "json, html or text" in err, "a bad --format", err)
    env.close(tap)


def audit_figures(gw, last_seq):
    """What the audit log says, per team, up to last_seq."""
    teams = {}
    for r in gw.rows("kind = 'request' AND seq <= ?", (last_seq,)):
        t = teams.setdefault(r["team"] or "", {
            "requests": 0, "zdr_requests": 0, "personal_data": {},
            "recipients": {}, "policy_requests": {}})
        t["requests"] += 1
        t["zdr_requests"] += 1 if r["zdr"] else 0
        t["policy_requests"][r["policy"]] = \
            t["policy_requests"].get(r["policy"], 0) + 1
        for part in (r["pii"] or "").split(","):
            if not part:
                continue
            typ, n = part.split(":")
            e = t["personal_data"].setdefault(typ, {"values": 0,
                                                    "requests": 0})
            e["values"] += int(n)
            e["requests"] += 1
        if r["upstream"]:
            t["recipients"][r["upstream"]] = \
                t["recipients"].get(r["upstream"], 0) + 1
    return teams


def test_art30():
    env = Env("reports-art30-")
    ups = {n: env.upstream(name="up-" + n) for n in ("eu", "us", "op")}
    mistral = {"provider": "Mistral AI SAS",
               "dpa": "https://legal.mistral.ai/terms/data-processing-"
               "addendum", "subprocessors": "https://trust.mistral.ai"}
    gw = env.gateway([
        dict(mistral, name="eu", url=ups["eu"].url, models="*", region="eu",
             location="FR", provider_retention="0d", zdr="on"),
        dict(mistral, name="us", url=ups["us"].url, models="*", region="us",
             location="US", transfer="scc", provider_retention="30d"),
        {"name": "op", "url": ups["op"].url, "models": "*",
         "region": "onprem", "training": "none", "priority": "1"},
    ], gateway="controller = %s\ndpo = Dr. Eva Weber, dpo@example-health.eu\n"
       "audit_retention_days = 30\naudit_checkpoint_interval = 100ms\n"
       % HOSTILE,
        policies="[policy support]\nregions = eu, onprem\n"
        "purpose = answering <img src=x onerror=alert(1)> e-mails\n"
        "legal_basis = Art. 6(1)(b) GDPR\ndata_subjects = customers, "
        "employees\nsensitive = IBAN\nsensitive_regions = onprem\n"
        "[policy research]\nregions = us\npurpose = literature search\n")
    k1 = gw.new_key("clinic", policy="support")
    k2 = gw.new_key("lab", policy="research")
    for body in ("mail %s" % EMAIL, "mail %s" % EMAIL, "mail %s" % EMAIL,
                 "pay %s" % IBAN, "hello", "hello"):
        gw.api("POST", "/v1/chat/completions", chat_body(body), key=k1)
    for i in range(2):
        gw.api("POST", "/v1/chat/completions", chat_body("%s" % EMAIL),
               key=k2)

    def signed():
        last = gw.rows()[-1]["seq"]
        cps = gw.rows(table="audit_checkpoints", order="seq")
        return cps and cps[-1]["seq"] == last
    tap.ok(wait_for(signed, 10), "a checkpoint signs the head")
    last = gw.rows()[-1]["seq"]
    st, rep = gw.admin("GET", "/admin/v1/reports/art30")
    tap.eq(st, 200, "GET /admin/v1/reports/art30")
    v = rep["verification"]
    cp = gw.rows("seq = ?", (v["signed_through"],), table="audit_checkpoints",
                 order="seq")
    tap.ok(v["ok"] and v["last_seq"] == last and
           v["signed_through"] == last and v["checkpoint"]["seq"] == last and
           cp and v["checkpoint"]["head"] == cp[0]["head"].hex() and
           re.match(r"\d{4}-\d\d-\d\dT", v["checkpoint"]["time"]),
           "verification: the chain verified through the last record and the "
           "signed checkpoint it was held to (seq, time, head)", v)

    tap.ok(rep["controller"] == HOSTILE and
           rep["dpo"] == "Dr. Eva Weber, dpo@example-health.eu",
           "controller and DPO")
    figures = audit_figures(gw, v["last_seq"])
    got = {t["team"]: {
        "requests": t["requests"], "zdr_requests": t["zdr_requests"],
        "personal_data": t["personal_data"],
        "recipients": {r["upstream"]: r["requests"] for r in t["recipients"]},
        "policy_requests": t["policy_requests"]} for t in rep["teams"]}
    tap.eq(got, figures, "per team: requests, ZDR, categories of personal "
           "data (types and counts) and recipients match the audit log")
    tap.ok(figures["clinic"]["personal_data"] == {
        "EMAIL": {"values": 3, "requests": 3},
        "IBAN": {"values": 1, "requests": 1}} and
        figures["clinic"]["recipients"] == {"eu": 5, "op": 1} and
        figures["lab"]["recipients"] == {"us": 2},
        "(the figures are what the test sent: 3 e-mails and an IBAN, "
        "the IBAN on premises, lab in the US)", figures)
    teams = {t["team"]: t for t in rep["teams"]}
    proc = teams["clinic"]["processing"][0]
    tap.ok(proc == {"policy": "support", "requests": 6, "purpose":
                    "answering <img src=x onerror=alert(1)> e-mails",
                    "legal_basis": "Art. 6(1)(b) GDPR",
                    "data_subjects": ["customers", "employees"],
                    "configured": True},
           "per team and policy: purpose, legal basis, data subjects", proc)
    rcp = {r["upstream"]: r for r in teams["clinic"]["recipients"]}
    tap.ok(rcp["eu"]["provider"] == "Mistral AI SAS" and
           rcp["op"]["self_hosted"] and
           teams["lab"]["recipients"][0]["provider"] == "Mistral AI SAS",
           "recipients by the provider's legal name", rcp)
    allr = {r["upstream"]: r for r in rep["recipients"]}
    tap.ok(sorted(allr) == ["eu", "op", "us"] and
           allr["us"]["dpa"] == mistral["dpa"] and
           allr["eu"]["transfer"] == "FR (EEA)" and allr["us"]["requests"] == 2,
           "every recipient with its DPA, location and requests", allr)
    tap.eq([(t["upstream"], t["country"], t["safeguard"], t["ok"])
            for t in rep["transfers"]], [("us", "US", "scc", True)],
           "transfers to third countries, with the safeguard")
    ret = rep["retention"]
    prov = {p["upstream"]: p["retention"] for p in ret["providers"]}
    tap.ok(ret["days"] == 30 and "removed after 30 days" in ret["text"] and
           prov == {"eu": "inputs and outputs kept 0 days",
                    "us": "inputs and outputs kept 30 days",
                    "op": "self-hosted: the company's own retention applies"},
           "time limits for erasure: eugate's and each provider's", ret)
    names = [m["measure"] for m in rep["measures"]]
    audit_m = [m for m in rep["measures"] if m["measure"] == "Audit trail"]
    tap.ok(names == ["Pseudonymisation and minimisation",
                     "Zero data retention", "Encryption in transit",
                     "Access control", "Audit trail", "Data subject rights"]
           and "signed through %d" % last in audit_m[0]["description"],
           "technical and organisational measures", names)
    tap.ok("[policy research]: legal_basis, data_subjects not set" in
           rep["warnings"] and not any("controller" in w for w in
                                       rep["warnings"]),
           "what the configuration leaves out is a warning", rep["warnings"])

    st, alias = gw.admin("GET", "/admin/v1/reports/processing?team=lab")
    tap.ok(st == 200 and alias["object"] == "art30_record" and
           [t["team"] for t in alias["teams"]] == ["lab"],
           "/admin/v1/reports/processing: the former name, with team=")
    st, rep2 = gw.admin("GET", "/admin/v1/reports/art30?from=2000-01-01&"
                        "to=2000-01-02")
    tap.ok(st == 200 and rep2["teams"] == [] and
           rep2["to"].startswith("2000-01-02"), "a period without requests")
    st, _ = gw.admin("GET", "/admin/v1/reports/art30?format=pdf")
    tap.eq(st, 400, "format: json or html")

    st, ctype, doc = html(gw, "/admin/v1/reports/art30?format=html")
    tap.ok(st == 200 and ctype.startswith("text/html") and
           "<h1>Record of processing activities</h1>" in doc and
           all(h in doc for h in (
               "1. Controller", "2. Processing per team", "3. Recipients",
               "4. Transfers to third countries",
               "5. Time limits for erasure",
               "6. Technical and organisational measures",
               "7. Verification")) and
           "@page{size:A4" in doc,
           "the HTML record: every section, A4 pages", doc[:600])
    # The checkpoint it names: the one of the JSON record or a later one
    # (the reads above are audit records too, signed 100 ms on).
    m = re.search(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([0-9a-f]{64})</td>",
                  doc)
    hcp = m and gw.rows("seq = ?", (int(m.group(1)),),
                        table="audit_checkpoints", order="seq")
    tap.ok(m and int(m.group(1)) >= last and hcp and
           hcp[0]["head"].hex() == m.group(2),
           "the HTML record names a signed checkpoint (seq, head) at or "
           "after the last record counted", m and m.group(0))
    st, ctype, pdoc = html(gw, "/admin/v1/reports/posture?format=html")
    for name, d in (("art30", doc), ("posture", pdoc)):
        tap.ok("<script" not in d.lower() and "<img" not in d and
               "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"
               in d and "Content-Security-Policy\" content=\"default-src "
               "'none'; style-src 'unsafe-inline'\"" in d,
               "%s HTML: values escaped, no script, a CSP of its own" % name)
    tap.ok("&lt;img src=x onerror=alert(1)&gt;" in doc,
           "a policy's purpose is escaped too")

    rc, out, err = ctl(gw, "report", "art30", "--team", "lab")
    tap.ok(rc == 0 and "team lab: 2 requests" in out and
           "transfers to third countries:\n  us -> the United States: scc"
           in out and "policy research (2 requests): purpose: literature "
           "search; legal basis: not stated" in out,
           "eugatectl report art30: text", out + err)
    rc, out, err = ctl(gw, "report", "art30", "--format", "html")
    tap.ok(rc == 0 and out.startswith("<!DOCTYPE html>"),
           "eugatectl report art30 --format html")
    rc, out, err = ctl(gw, "report", "processing", "--team", "clinic")
    tap.ok(rc == 0 and json.loads(out)["teams"][0]["team"] == "clinic",
           "eugatectl report processing still answers JSON")
    env.close(tap)


def test_readme_demo():
    """README's posture table is what the demo configuration gives."""
    p = subprocess.run([os.path.join(SRC, "scripts", "demo-evidence"),
                        "--table", BUILD], capture_output=True, text=True,
                       timeout=120)
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    m = re.search(r"<!-- posture:begin -->\n(.*?)<!-- posture:end -->",
                  readme, re.S)
    tap.ok(p.returncode == 0 and m is not None and
           m.group(1) == p.stdout, "README's posture table is the demo "
           "configuration's (scripts/demo-evidence --table)",
           "%s\n%s" % (p.stdout + p.stderr, m.group(1) if m else None))


for t in (test_posture, test_art30, test_readme_demo):
    tap.run(t)
tap.done()
