"""The configuration file through the eugate binary. Defaults are what
conf/eugate.ini documents: every key of `eugate -k` has its line in the
first section of its kind there (see the convention at the top of that
file), a configuration that sets every documented default prints
(`eugate -t --print-config`) exactly like one that leaves every key out,
and a policy without a pii line pseudonymizes what reaches the upstream.
A repeated key or section is refused by `eugate -t` and at start."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SRC, Env, Tap, chat_body  # noqa: E402

tap = Tap()
EUGATE = os.path.join(BUILD, "eugate")
CONF = os.path.join(SRC, "conf", "eugate.ini")
# Set in the test's upstream: required keys, no default.
UPSTREAM = "url = http://127.0.0.1:9\nregion = eu\n"


def run(args):
    env = dict(os.environ)
    env.pop("MISTRAL_API_KEY", None)
    p = subprocess.run([EUGATE] + args, capture_output=True, text=True,
                       env=env, timeout=30)
    return p.returncode, p.stdout, p.stderr


def table_keys():
    rc, out, _ = run(["-k"])
    keys = [tuple(line.split()) for line in out.splitlines()]
    return rc, keys


def documented(path):
    """{(kind, key): default, or None for no default}, and the problems:
    keys documented twice in a kind."""
    docs, problems, seen = {}, [], set()
    kind, first = None, False
    for n, raw in enumerate(open(path), 1):
        line = raw.rstrip("\n")
        m = re.match(r"\[(\w+)[^\]]*\]", line)
        if m:
            kind = m.group(1)
            first = kind not in seen
            seen.add(kind)
            continue
        if not first:
            continue
        m = re.match(r"([a-z_]+) = (.*)$", line)
        if m:
            key, rest = m.groups()
            value, _, comment = re.split(r"\s(;)", rest + " ;", 1)
            value, comment = value.strip(), comment.rstrip(" ;").strip()
            if comment.startswith("default:"):
                value = comment[len("default:"):].strip()
            elif comment.startswith("no default"):
                value = None
        else:
            m = re.match(r"; ([a-z_]+) = ", line)
            if not m:
                continue
            key, value = m.group(1), None
        if (kind, key) in docs:
            problems.append("%d: [%s] %s documented twice" % (n, kind, key))
        docs[(kind, key)] = value
    return docs, problems


def sections(text):
    """{section header: [lines]} of printed configuration, comments of
    unset keys kept ("; key =")."""
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            cur = out.setdefault(line, [])
        elif cur is not None and line:
            cur.append(line)
    return out


def test_documented_defaults():
    env = Env("defaults-")
    rc, keys = table_keys()
    docs, problems = documented(CONF)
    tap.ok(rc == 0 and len(keys) > 60, "eugate -k lists the key table")
    missing = ["[%s] %s" % k for k in keys if k not in docs]
    unknown = ["[%s] %s" % k for k in docs if k not in keys]
    tap.ok(not missing and not unknown and not problems,
           "every key has one documenting line in the first section of its "
           "kind in conf/eugate.ini, and nothing else looks like one",
           "missing %s, unknown %s, %s" % (missing, unknown, problems))

    empty = os.path.join(env.dir, "empty.ini")
    with open(empty, "w") as f:
        f.write("[upstream u]\n" + UPSTREAM + "[policy p]\n")
    full = os.path.join(env.dir, "full.ini")
    with open(full, "w") as f:
        for kind, head in (("gateway", "[gateway]\n"),
                           ("upstream", "[upstream u]\n" + UPSTREAM),
                           ("policy", "[policy p]\n")):
            f.write(head)
            for (k, key), value in sorted(docs.items()):
                if k == kind and value is not None:
                    f.write("%s = %s\n" % (key, value))
    rc1, out1, err1 = run(["-t", "-c", empty, "--print-config"])
    rc2, out2, err2 = run(["-t", "-c", full, "--print-config"])
    tap.ok(rc1 == 0 and rc2 == 0, "both files load", err1 + err2)
    got, want = sections(out1), sections(out2)
    for head in ("[gateway]", "[upstream u]", "[policy p]"):
        diff = [(a, b) for a, b in zip(got.get(head, []),
                                       want.get(head, [])) if a != b]
        tap.ok(head in got and got.get(head) == want.get(head),
               "%s: a key left out takes the documented default" % head,
               "left out / documented: %s" % diff)
    unset = []
    for (kind, key), value in docs.items():
        head = {"gateway": "[gateway]", "upstream": "[upstream u]",
                "policy": "[policy p]"}[kind]
        if value is None and "%s = " % key not in UPSTREAM and \
                "; %s =" % key not in got.get(head, []):
            unset.append(key)
    tap.ok(not unset, "keys documented without a default are not set",
           "set anyway: %s" % unset)
    tap.ok("pii = pseudonymize" in got.get("[policy p]", []),
           "an empty [policy p] pseudonymizes")

    rc, out, err = run(["-t", "-c", empty, "--print-policies"])
    heads = [l for l in out.splitlines() if l.startswith("[")]
    tap.ok(rc == 0 and heads == ["[policy p]", "[policy default]"] and
           sections(out)["[policy p]"] == got["[policy p]"],
           "--print-policies prints the policies only", out + err)
    rc, out, err = run(["-t", "--print-policies"])
    tap.ok(rc == 0 and "[policy default]" in out and
           "pii = pseudonymize" in sections(out).get("[policy default]", []),
           "the built-in defaults print: their default policy pseudonymizes",
           out + err)

    # What --print-config prints is a configuration: it loads, to the
    # same settings.
    rc, out, err = run(["-t", "-c", CONF, "--print-config"])
    again = os.path.join(env.dir, "again.ini")
    with open(again, "w") as f:
        f.write(out)
    rc2, out2, err2 = run(["-t", "-c", again, "--print-config"])
    tap.ok(rc == 0 and rc2 == 0 and
           out.split("\n", 1)[1] == out2.split("\n", 1)[1],
           "the shipped file, printed, loads and prints the same", err2)
    env.close(tap)


def test_policy_without_pii_line():
    env = Env("defaults-pii-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy nopii]\nregions = *\n")
    for team, policy in (("t-nopii", "nopii"), ("t-default", "default")):
        key = gw.new_key(team, policy=policy)
        st, _, body = gw.api("POST", "/v1/chat/completions",
                             chat_body("mail jane.doe@example.com please"),
                             key=key)
        sent = json.dumps(up.last())
        tap.ok(st == 200 and "jane.doe@example.com" not in sent and
               "<EMAIL_" in sent,
               "policy %s (no pii line): the upstream got a pseudonym, not "
               "the address" % policy, sent)
        got = json.loads(body)["choices"][0]["message"]["content"]
        tap.ok("jane.doe@example.com" in got,
               "policy %s: the client gets the address back" % policy, got)
    env.close(tap)


def test_repeats_refused():
    env = Env("repeats-")
    cases = [
        ("[upstream u]\n" + UPSTREAM + "[policy p]\npii = off\n"
         "pii = block\n", 6, "duplicate key 'pii' (first at line 5)"),
        ("[upstream u]\n" + UPSTREAM + "[policy p]\n[upstream u]\n"
         + UPSTREAM, 5, "duplicate section [upstream u] (first at line 1)"),
    ]
    for i, (text, line, msg) in enumerate(cases):
        path = os.path.join(env.dir, "bad%d.ini" % i)
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = run(["-t", "-c", path])
        tap.ok(rc != 0 and err.strip() == "%s:%d: %s" % (path, line, msg),
               "eugate -t: %s" % msg, err)
        rc, out, err = run(["-c", path])
        tap.ok(rc != 0 and "%s:%d: %s" % (path, line, msg) in err,
               "eugate refuses to start: %s" % msg, err)
    env.close(tap)


for t in (test_documented_defaults, test_policy_without_pii_line,
          test_repeats_refused):
    tap.run(t)
tap.done()
