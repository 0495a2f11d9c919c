"""Prometheus metrics of a live gateway after real traffic: the text passes
`promtool check metrics` (skipped with a message where promtool is not
installed), every family has HELP and TYPE, and each histogram and counter
moves as the traffic says: request duration by route and status class,
upstream time to first byte, tokens by team, model and direction, spend
by team and currency, the team's budget ratio, PII by type and action,
refusals by code, failovers and failures by upstream. Label sets are
bounded: past metrics_max_labels teams the rest count as "other"; a model
only a client named never becomes a label. README's metrics table lists
exactly the families the gateway writes."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SRC, Env, SSEReader, Tap, chat_body  # noqa: E402

tap = Tap()
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, ((label, value), ...)): float}, {family: type}, {family:
    help} and the lines that are neither samples nor comments."""
    samples, types, helps, bad = {}, {}, {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, h = line[7:].partition(" ")
            helps[name] = h
        elif line.startswith("# TYPE "):
            name, _, t = line[7:].partition(" ")
            types[name] = t
        elif line:
            m = SAMPLE.match(line)
            if not m:
                bad.append(line)
                continue
            labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
            samples[(m.group(1), labels)] = float(m.group(4))
    return samples, types, helps, bad


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name, **labels):
    """The sum over the series of name that have these labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items()
               if n == name and want <= set(ls))


def scrape(gw):
    st, text = gw.admin("GET", "/admin/v1/metrics")
    if st != 200:
        raise RuntimeError("metrics: %d" % st)
    return text


def test_metrics():
    env = Env("metrics-")
    try:
        check_metrics(env)
    finally:
        env.close(tap)


def check_metrics(env):
    bad = env.upstream(name="bad", status=503)
    good = env.upstream(name="good")
    gw = env.gateway([
        {"name": "bad", "url": bad.url, "models": "*", "priority": "0",
         "fail_threshold": "0"},
        {"name": "good", "url": good.url, "models": "*", "priority": "1"}],
        gateway="metrics_max_labels = 3\nover_budget = refuse\n")
    keys = {t: gw.new_key(t) for t in ("t1", "t2", "t3")}
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "rich", "budget": "1000EUR/month"})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "rich"})
    keys["rich"] = res["key"]
    st, _ = gw.admin("POST", "/admin/v1/teams", {
        "name": "poor", "budget": "0.000001EUR/total"})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "poor"})
    keys["poor"] = res["key"]
    before, _, _, _ = parse(scrape(gw))

    # t1: two chats (one with an e-mail address), failing over from bad.
    for content in ("hello", "mail me at jane.doe@example.com"):
        st, _, _ = gw.api("POST", "/v1/chat/completions",
                          chat_body(content), key=keys["t1"])
        tap.eq(st, 200, "a chat is answered (after a failover)")
    # t1: a stream.
    r = SSEReader(gw.port, chat_body("stream", stream=True), keys["t1"])
    r.rest()
    r.close()
    # A model only a client named: refused upstream (404), no label.
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model="x-made-up"), key=keys["t1"],
                      headers={"x-fake-status": "404"})
    # Other teams: t3 goes past metrics_max_labels = 3 (t1, rich, t2).
    for t in ("rich", "t2", "t3"):
        st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                          key=keys[t])
        tap.eq(st, 200, "%s: answered" % t)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                      key=keys["poor"])
    tap.eq(st, 429, "poor: over its budget")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                      key="egk_bad")
    tap.eq(st, 401, "a bad key: 401")
    st, _, _ = gw.api("GET", "/v1/models", key=keys["t2"])

    text = scrape(gw)
    after, types, helps, badlines = parse(text)
    tap.ok(not badlines, "every line is a sample or a comment", badlines)

    promtool = shutil.which("promtool")
    if promtool is None:
        print("# promtool is not installed: promtool check skipped "
              "(apt-get install prometheus)")
    else:
        p = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=60)
        tap.ok(p.returncode == 0 and p.stdout.strip() == "" and
               p.stderr.strip() == "",
               "promtool check metrics: no error, no warning",
               p.stdout + p.stderr)

        # eugatectl metrics prints the same text.
        ctl = subprocess.run([os.path.join(BUILD, "eugatectl"), "metrics"],
                             capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, EUGATE_ADMIN_TOKEN=gw.
                                      admin_token, EUGATE_ADMIN_URL="http://"
                                      "127.0.0.1:%d" % gw.admin_port))
        p = subprocess.run([promtool, "check", "metrics"], input=ctl.stdout,
                           capture_output=True, text=True, timeout=60)
        tap.ok(ctl.returncode == 0 and "eugate_tokens_total{" in ctl.stdout
               and p.returncode == 0 and p.stdout + p.stderr == "",
               "promtool check metrics on eugatectl metrics",
               ctl.stderr + p.stdout + p.stderr)

    families = set(types)
    tap.ok(families == set(helps) and len(families) >= 30,
           "every family has # HELP and # TYPE", families ^ set(helps))
    names = {n for (n, _) in after}
    orphans = [n for n in names if n not in families and
               re.sub(r"_(bucket|sum|count)$", "", n) not in families]
    tap.ok(not orphans, "every sample belongs to a family", orphans)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    d = "eugate_request_duration_seconds"
    tap.eq(delta(d + "_count", route="/v1/chat/completions", **{
        "class": "2xx"}), 6, "duration histogram: 6 answered chats")
    tap.eq(delta(d + "_count", route="/v1/chat/completions", **{
        "class": "4xx"}), 3, "duration histogram: 3 refused or 404 chats")
    tap.eq(total(after, d + "_count", route="/v1/models") -
           total(before, d + "_count", route="/v1/models"), 1,
           "duration histogram: the models list has its route")
    tap.ok(value(after, d + "_bucket", route="/v1/chat/completions",
                 le="+Inf", **{"class": "2xx"}) ==
           value(after, d + "_count", route="/v1/chat/completions",
                 **{"class": "2xx"}) and
           value(after, d + "_bucket", route="/v1/chat/completions",
                 le="0.00025", **{"class": "4xx"}) <=
           value(after, d + "_bucket", route="/v1/chat/completions",
                 le="0.001", **{"class": "4xx"}) and
           0 < value(after, d + "_sum", route="/v1/chat/completions",
                     **{"class": "2xx"}) < 30,
           "duration histogram: buckets cumulative, +Inf = count, sum in "
           "seconds")
    fb = "eugate_upstream_first_byte_seconds_count"
    tap.ok(delta(fb, upstream="bad") == 8 and delta(fb, upstream="good") == 6,
           "first byte histogram: each upstream's answers",
           (delta(fb, upstream="bad"), delta(fb, upstream="good")))
    tap.ok(delta("eugate_upstream_failovers_total", upstream="bad") >= 6 and
           delta("eugate_upstream_failovers_total", upstream="good") == 0,
           "failovers counted by the upstream they left")
    tap.ok(delta("eugate_upstream_failures_total", upstream="bad") >= 6,
           "failures counted by upstream")

    tok = "eugate_tokens_total"
    tap.eq((delta(tok, team="t1", model="mistral-small-latest",
                  direction="input"),
            delta(tok, team="t1", model="mistral-small-latest",
                  direction="output")), (30.0, 15.0),
           "tokens by team, model and direction (3 answers of 10 + 5)")
    tap.eq(total(after, tok, model="x-made-up"), 0,
           "a model no upstream served is no label")
    tap.ok(delta(tok, team="other", direction="input",
                 model="mistral-small-latest") >= 10 and
           total(after, tok, team="t3") == 0 and
           delta(tok, team="rich", direction="input",
                 model="mistral-small-latest") == 10,
           "past metrics_max_labels teams count as other",
           [k for k in after if k[0] == tok])
    tap.ok(delta("eugate_spend_total", team="t1", currency="EUR") > 0,
           "spend by team and currency")
    tap.ok(0 < value(after, "eugate_budget_used_ratio", team="rich") < 0.01
           and value(after, "eugate_budget_used_ratio", team="t1") == 0,
           "budget ratio of a team with a budget",
           [k for k in after if k[0] == "eugate_budget_used_ratio"])
    tap.eq(delta("eugate_pii_detections_total", type="EMAIL",
                 action="pseudonymize"), 1, "PII by type and action")
    tap.eq((delta("eugate_refusals_total", code="invalid_api_key"),
            delta("eugate_refusals_total", code="budget_exceeded")),
           (1.0, 1.0), "refusals by code")
    tap.eq(delta("eugate_requests_total"), 10, "requests counted")
    tap.eq(value(after, "eugate_upstream_up", upstream="good", region="eu"),
           1, "upstream up, by upstream and region")
    tap.ok(value(after, "process_open_fds") > 0 and
           value(after, "process_max_fds") >= value(after,
                                                    "process_open_fds"),
           "process file descriptors")

    # README lists every family, with its type.
    readme = open(os.path.join(SRC, "README.md")).read()
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (counter|gauge|histogram) "
                           r"\|", readme, re.M))
    tap.eq(rows, types, "README's metrics table: the families and types")
    out = subprocess.run([os.path.join(BUILD, "eugate"), "--list-metrics"],
                         capture_output=True, text=True).stdout
    listed = {l.split()[0]: l.split()[1] for l in out.splitlines() if l}
    tap.eq(listed, types, "eugate --list-metrics: the same families")


def test_contrib():
    """The alert rules load and fire on what they watch; the dashboard
    names only metrics the gateway writes."""
    out = subprocess.run([os.path.join(BUILD, "eugate"), "--list-metrics"],
                         capture_output=True, text=True).stdout
    names = {l.split()[0] for l in out.splitlines() if l}
    rules = os.path.join(SRC, "contrib", "prometheus-alerts.yml")
    dash = json.load(open(os.path.join(SRC, "contrib",
                                       "grafana-eugate.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    used = set(re.findall(r"\b((?:eugate|process)_[a-z_]+?)"
                          r"(?:_bucket|_sum|_count)?\b(?=[{\[)\s])",
                          " ".join(exprs)))
    tap.ok(len(exprs) >= 15 and used and used <= names,
           "the dashboard's queries name only metrics eugate writes",
           used - names)
    text = open(rules).read()
    used = set(re.findall(r"\b((?:eugate|process)_[a-z_]+)\b", text))
    tap.ok(used and used <= names, "the alert rules name only metrics eugate "
           "writes", used - names)
    promtool = shutil.which("promtool")
    if promtool is None:
        print("# promtool is not installed: rule checks skipped")
        return
    p = subprocess.run([promtool, "check", "rules", rules],
                       capture_output=True, text=True, timeout=60)
    tap.ok(p.returncode == 0 and "SUCCESS" in p.stdout,
           "promtool check rules contrib/prometheus-alerts.yml",
           p.stdout + p.stderr)
    p = subprocess.run([promtool, "test", "rules",
                        os.path.join(SRC, "tests", "alerts_test.yml")],
                       capture_output=True, text=True, timeout=60)
    tap.ok(p.returncode == 0, "promtool test rules: upstream down, budget "
           "over 90 %, audit write failures fire", p.stdout + p.stderr)


tap.run(test_metrics)
tap.run(test_contrib)
tap.done()
