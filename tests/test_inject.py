"""Values chosen by clients and admins can not inject into logs and exports.

Through the real daemon: models, paths, request ids, headers and JSON
fields carrying line breaks, escape sequences and forged `key=value`
pairs leave one log line per event, each parsed here by a strict
parser (text) or as a JSON object (log_format = json, after a reload
and from the start); the audit export as CSV, by the admin API and by
eugatectl, neutralizes formulas in client- and admin-chosen cells.
"""
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_TOKEN, BUILD, Env, SSEReader, Tap,  # noqa: E402
                     chat_body, raw_exchange, statuses, wait_for)

tap = Tap()
CTL = os.path.join(BUILD, "eugatectl")

# A model that tries every trick: a new line with its own timestamp, a
# carriage return, a terminal escape, a quote that would close a value
# and forged pairs, C1 NEL, LS and a bidirectional override.
FORGED = ('m\n2026-01-01T00:00:00.000Z info req=forged status=200\r'
          '\x1b[2J" status=200 team=root \u00e9\u0085\u2028\u202e')
FORGED_ID = 'rid" status=200 team=root'
PAIRS = "p status=200 team=root req=forged"
PATH = '/v1/models/a"b=c\'d<e>%0a%1b'
PATH_QUOTED = '"/v1/models/a\\"b=c\'d<e>%0a%1b"'    # as msg holds it

# -- the strict text-line parser ------------------------------------------

LINE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) "
                  r"(error|warn|info|debug) (.*)\Z", re.S)
QUOTED = re.compile(r'"((?:[^"\\]|\\["\\nrt]|\\x[0-9a-f]{2}|'
                    r'\\u[0-9a-f]{4})*)"')
KEY = re.compile(r"[A-Za-z0-9_.-]+=")
BARE = re.compile(r'[^ "]+')


def unescape(s):
    """The value of a quoted string's inside, as the log writer meant it."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif s[i + 1] in '"\\':
            out += s[i + 1].encode()
            i += 2
        elif s[i + 1] in "nrt":
            out += {"n": b"\n", "r": b"\r", "t": b"\t"}[s[i + 1]]
            i += 2
        elif s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += chr(int(s[i + 2:i + 6], 16)).encode()
            i += 6
    return out.decode("utf-8", errors="surrogateescape")


def parse_text(line):
    """(level, words, pairs) of one text line; ValueError if it is not
    strictly one line of bare tokens, quoted strings and key=value."""
    if any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or
           c in "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
           for c in line):
        raise ValueError("a control character in %r" % line)
    m = LINE.match(line)
    if not m:
        raise ValueError("no time and level: %r" % line)
    rest, i = m.group(3), 0
    words, pairs = [], []
    while i < len(rest):
        if rest[i] == " ":
            i += 1
            continue
        k = KEY.match(rest, i)
        if k:
            i = k.end()
            q = QUOTED.match(rest, i)
            if q:
                v, i = unescape(q.group(1)), q.end()
            elif rest.startswith('"', i):
                raise ValueError("unclosed quote: %r" % line)
            else:
                b = BARE.match(rest, i)
                v, i = (b.group(0), b.end()) if b else ("", i)
            if i < len(rest) and rest[i] != " ":
                raise ValueError("junk after a value: %r" % line)
            pairs.append((k.group(0)[:-1], v))
            continue
        q = QUOTED.match(rest, i)
        if q:
            words.append(unescape(q.group(1)))
            i = q.end()
            b = re.compile(r'[^ "]*').match(rest, i)  # "name": or "x")
            i = b.end()
        elif rest[i] == '"':
            raise ValueError("unclosed quote: %r" % line)
        else:
            b = BARE.match(rest, i)
            words.append(b.group(0))
            i = b.end()
        if i < len(rest) and rest[i] != " ":
            raise ValueError("a quote inside a word: %r" % line)
    return m.group(2), words, pairs


def read_log(gw):
    with open(gw.logpath, "rb") as f:
        return f.read().decode("utf-8")   # every line is valid UTF-8


def text_lines(gw):
    """The lines of the log that parse strictly, and the others."""
    good, bad = [], []
    for l in read_log(gw).split("\n")[:-1]:
        try:
            good.append(parse_text(l))
        except ValueError as e:
            bad.append(str(e))
    return good, bad


def json_lines(text):
    out = []
    for l in text.split("\n")[:-1]:
        o = json.loads(l)
        if not isinstance(o, dict):
            raise ValueError("not an object: %r" % l)
        out.append(o)
    return out


REQ_KEYS = {"req", "key", "team", "model", "upstream", "status",
            "prompt_tokens", "completion_tokens", "us"}


def send_vectors(gw, key, tag):
    """Requests whose client-chosen values try to forge lines and pairs;
    returns the request ids whose log lines must hold FORGED as model."""
    ids = []
    rid = "%s-chat" % tag
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model=FORGED,
                                user='u\n" status=200 team=root',
                                metadata={"k\n": "v\r\x1b"}),
                      key=key, headers={"X-Request-Id": rid,
                                        "User-Agent": 'ua" status=200',
                                        "X-Eugate-Subject": 's" x=1'})
    tap.eq(st, 200, "%s: a forged model is served" % tag)
    ids.append(rid)
    rid = "%s-stream" % tag
    r = SSEReader(gw.port, chat_body(model=FORGED, stream=True), key,
                  headers={"X-Request-Id": rid})
    r.rest()
    r.close()
    ids.append(rid)
    # Pairs alone, no quote nor control byte.
    rid = "%s-pairs" % tag
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model=PAIRS), key=key,
                      headers={"X-Request-Id": rid})
    tap.eq(st, 200, "%s: a model of pairs is served" % tag)
    ids.append(rid)
    # A malformed request id is replaced, never logged.
    st, h, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"X-Request-Id": FORGED_ID})
    tap.ok(st == 200 and h.get("x-request-id") != FORGED_ID,
           "%s: a forged request id is replaced" % tag)
    # Paths: quotes, =, < and non-letters are allowed in a target.
    got, _ = raw_exchange(gw.port, (
        'GET /v1/models/a"b=c\'d<e>%%0a%%1b?q="x"&team=root HTTP/1.1\r\n'
        'Host: x\r\n'
        'X-Request-Id: %s-path\r\nAuthorization: Bearer %s\r\n'
        'Connection: close\r\n\r\n' % (tag, key)).encode())
    tap.ok(statuses(got) != [], "%s: a forged path is answered" % tag)
    # A header with an escape byte is refused by the parser, not logged.
    got, _ = raw_exchange(gw.port, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                          b"X-A: \x1b[2J\" status=200\r\n\r\n")
    tap.eq(statuses(got), [400], "%s: an escape in a header: 400" % tag)
    # A refused model (models_deny) takes the failure path.
    rid = "%s-denied" % tag
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model="labs-" + FORGED), key=key,
                      headers={"X-Request-Id": rid})
    tap.eq(st, 403, "%s: a refused forged model: 403" % tag)
    ids.append(rid)
    return ids


def check_no_forgery(lines, tag):
    """lines: (level, words, pairs); no forged pair anywhere."""
    bad = [(w, p) for _, w, p in lines
           if ("team", "root") in p or ("req", "forged") in p or
           len({k for k, _ in p}) != len(p)]
    tap.ok(bad == [], "%s: no forged or repeated pair on any line" % tag, bad)


def check_request_lines(lines, ids, tag, path_word):
    """The one line of each request: its pairs, the model as sent."""
    for rid in ids:
        mine = [(w, dict(p)) for _, w, p in lines if ("req", rid) in p]
        want = {"denied": "labs-" + FORGED, "pairs": PAIRS}.get(
            rid.rsplit("-", 1)[1], FORGED)
        tap.ok(len(mine) == 1 and REQ_KEYS <= set(mine[0][1]) and
               set(mine[0][1]) - REQ_KEYS <= {"error", "pii", "route",
                                                   "trace"} and
               mine[0][1]["model"] == want and mine[0][1]["team"] == "t1",
               "%s: %s: one line, its pairs, the model whole" % (tag, rid),
               mine)
    n_status = sum(1 for _, _, p in lines if "status" in dict(p))
    n_req = sum(1 for _, w, p in lines if "req" in dict(p) and
                "model" in dict(p))
    tap.eq(n_status, n_req, "%s: one status pair per request line" % tag)
    prefix = ids[0].rsplit("-", 1)[0]
    path = [(w, dict(p)) for _, w, p in lines
            if ("req", prefix + "-path") in p]
    tap.ok(len(path) == 1 and path[0][0][-2:] == ["GET", path_word],
           "%s: the path is one word, as sent" % tag, path)


def test_text_and_reload(env):
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    key = gw.new_key()
    ids = send_vectors(gw, key, "text")
    wait_for(lambda: ("req=text-denied" in read_log(gw)), 5)
    lines, bad = text_lines(gw)
    tap.ok(bad == [], "text: every line parses strictly", bad)
    tap.ok(not any(l.startswith("2026-01-01T00:00:00.000Z")
                   for l in read_log(gw).split("\n")),
           "text: no line starts with the forged time")
    check_no_forgery(lines, "text")
    check_request_lines(lines, ids, "text", PATH)
    tap.ok(FORGED_ID not in read_log(gw) and 'rid\\"' not in read_log(gw),
           "text: the forged id is nowhere")

    # Reloaded into JSON: every line from the reload on is an object.
    n_before = read_log(gw).count("\n")
    gw.write_config(gw.config_text().replace(
        "[gateway]\n", "[gateway]\nlog_format = json\n", 1))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in read_log(gw), 5)
    ids = send_vectors(gw, key, "json")
    wait_for(lambda: '"req":"json-denied"' in read_log(gw), 5)
    after = "".join(read_log(gw).splitlines(True)[n_before:])
    try:
        objs = json_lines(after)
        tap.ok(len(objs) >= 6, "json (reload): every line is an object")
    except ValueError as e:
        tap.ok(False, "json (reload): every line is an object", e)
        objs = []
    tap.ok(all(isinstance(o.get("time"), str) and o["time"].endswith("Z")
               and o.get("level") in ("error", "warn", "info", "debug") and
               isinstance(o.get("msg"), str) and
               all(isinstance(v, str) for v in o.values()) for o in objs),
           "json (reload): time, level, msg, string values")
    tap.ok(any("configuration reloaded" in o["msg"] for o in objs),
           "json (reload): the reload's own line is JSON")
    lines = [(o["level"], o["msg"].split(" "),
              [(k, v) for k, v in o.items()
               if k not in ("time", "level", "msg")]) for o in objs]
    check_no_forgery(lines, "json")
    check_request_lines(lines, ids, "json", PATH_QUOTED)


def test_json_from_start(env):
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"},
                      {"name": "off", "url": up.url, "models": "x",
                       "api_key_env": "EUGATE_TEST_UNSET_KEY"}],
                     gateway="log_format = json")
    key = gw.new_key()
    ids = send_vectors(gw, key, "start")
    wait_for(lambda: '"req":"start-denied"' in read_log(gw), 5)
    try:
        objs = json_lines(read_log(gw))
        tap.ok(True, "json (start): every line is an object")
    except ValueError as e:
        tap.ok(False, "json (start): every line is an object", e)
        objs = []
    tap.ok(len(objs) > 0 and "disabled" in objs[0].get("msg", "") and
           objs[0].get("level") == "warn",
           "json (start): the configuration's notes are JSON too",
           objs[:1])
    lines = [(o["level"], o["msg"].split(" "),
              [(k, v) for k, v in o.items()
               if k not in ("time", "level", "msg")]) for o in objs]
    check_no_forgery(lines, "json (start)")
    check_request_lines(lines, ids, "json (start)", PATH_QUOTED)


# -- CSV ------------------------------------------------------------------

# Model -> the cell a spreadsheet must get (a ' before each formula start).
CSV_MODELS = {
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "+1+1": "'+1+1",
    "-1+1": "'-1+1",
    "@SUM(1+1)": "'@SUM(1+1)",
    "\t=1+1": "'\t'=1+1",
    "\r=1+1": "'\r'=1+1",
    " =1+1": " '=1+1",
    "a;=1+1": "a;'=1+1",
    "x\n-1+1": "x\n'-1+1",
    'q"u,o\r\nte': 'q"u,o\r\nte',
}


def ctl(gw, *args):
    env = dict(os.environ, EUGATE_ADMIN_URL="http://127.0.0.1:%d" %
               gw.admin_port, EUGATE_ADMIN_TOKEN=ADMIN_TOKEN)
    p = subprocess.run([CTL] + list(args), capture_output=True, env=env,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv(env):
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    team = "-ops.team"      # admin names allow a leading -
    key = gw.new_key(team=team)
    want = {}
    for i, (model, cell) in enumerate(CSV_MODELS.items()):
        rid = "csv-%d" % i
        st, _, _ = gw.api("POST", "/v1/chat/completions",
                          chat_body(model=model), key=key,
                          headers={"X-Request-Id": rid})
        tap.eq(st, 200, "csv: model %r served" % model)
        want[rid] = cell
    wait_for(lambda: len(gw.rows("request_id LIKE 'csv-%'")) ==
             len(CSV_MODELS), 5)
    st, _, body = gw.http("GET", "/admin/v1/audit?format=csv", headers={
        "Authorization": "Bearer " + ADMIN_TOKEN}, port=gw.admin_port)
    api_rows = csv_rows(body.decode())
    rc, out, err = ctl(gw, "audit", "export", "--format", "csv")
    ctl_rows = csv_rows(out)
    for name, rows in (("admin API", api_rows), ("eugatectl", ctl_rows)):
        mine = {r["request_id"]: r for r in rows
                if r["request_id"] in want}
        tap.ok(len(mine) == len(want) and
               all(mine[k]["model"] == v for k, v in want.items()),
               "csv (%s): formulas in models get a '" % name,
               [(k, mine[k]["model"]) for k in mine
                if mine[k]["model"] != want[k]])
        tap.ok(all(r["team"] == "'" + team for r in mine.values()),
               "csv (%s): an admin's team name -ops.team gets a '" % name)
        bad = [(r["seq"], k, v) for r in rows for k, v in r.items()
               if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
        tap.ok(bad == [], "csv (%s): no cell starts a formula" % name, bad)
        tap.ok(len(rows) > len(want) and all(
            len(r) == len(rows[0]) and None not in r for r in rows),
               "csv (%s): every row has every column" % name)
    tap.eq(rc, 0, "eugatectl audit export --format csv: exit 0", err)
    rows = gw.rows("request_id LIKE 'csv-%'")
    tap.ok(sorted(r["model"] for r in rows) == sorted(CSV_MODELS),
           "csv: storage keeps the models as sent")
    st, _, body = gw.http("GET", "/admin/v1/audit?format=jsonl", headers={
        "Authorization": "Bearer " + ADMIN_TOKEN}, port=gw.admin_port)
    js = [json.loads(l) for l in body.decode().splitlines()]
    tap.ok(sorted(j["model"] for j in js if j["request_id"] in want) ==
           sorted(CSV_MODELS), "csv: JSON lines export them as sent")


for t in (test_text_and_reload, test_json_from_start, test_csv):
    env = Env("inject-")
    try:
        tap.run(t, env)
    finally:
        env.close(tap)
tap.done()
