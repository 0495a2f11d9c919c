#!/usr/bin/env python3
"""Tenant isolation: a team's key reaches its own objects, and never the
upstream account.

Against the real daemon and a fake upstream that keeps objects: team A
uploads a file, starts a batch job, a conversation, an agent and a
library; team B can not read, download, change, delete or list any of
them (404, nothing forwarded), in paths or in bodies, while A can; every
admin and observability operation answers 403 and reaches no upstream;
lists page over the team's own objects; the batch job's output file
becomes A's; a restart keeps ownership; endpoints = all with
shared_objects = on reaches what was made outside eugate; a policy's own
upstream key is used; x-api-key works and never goes upstream; a deleted
team's objects stay out of reach; a data subject's erasure deletes its
objects upstream.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, Tap, chat_body  # noqa: E402

tap = Tap()
env = Env("isolation")


def code(data):
    try:
        return json.loads(data).get("code")
    except (ValueError, AttributeError):
        return None


def form(path_files=None, name="in.jsonl", data=b'{"custom_id":"1"}\n',
         purpose=b"batch"):
    b = "----iso"
    body = (b"--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n"
            b"\r\n%s\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"%s\"\r\nContent-Type: application/jsonl\r\n\r\n%s\r\n"
            b"--%s--\r\n" % (b.encode(), purpose, b.encode(), name.encode(),
                             data, b.encode()))
    return body, {"Content-Type": "multipart/form-data; boundary=" + b}


class Team:
    def __init__(self, gw, name, policy="default"):
        self.gw = gw
        self.key = gw.new_key(name, policy)

    def call(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (dict, list, bytes)):
            body = json.dumps(body)
        return self.gw.api(method, path, body, key=self.key, headers=hdrs)

    def upload(self, data=b'{"custom_id":"1"}\n', subject=None):
        body, h = form(data=data)
        if subject:
            h["X-Eugate-Subject"] = subject
        st, _, d = self.call("POST", "/v1/files", body, h)
        assert st == 200, (st, d)
        return json.loads(d)["id"]


def forwarded(up):
    return len(up.requests())


def test_objects(gw, up, a, b):
    fid = a.upload(b'{"custom_id":"a","body":{}}\n')
    st, _, d = a.call("POST", "/v1/batch/jobs", {
        "input_files": [fid], "endpoint": "/v1/chat/completions",
        "model": "mistral-small-latest"})
    tap.eq(st, 200, "A starts a batch job on its file")
    job = json.loads(d)["id"]
    st, _, d = a.call("POST", "/v1/conversations", {
        "inputs": "hello", "model": "mistral-medium-latest"})
    tap.eq(st, 200, "A starts a conversation")
    conv = json.loads(d)["conversation_id"]
    st, _, d = a.call("POST", "/v1/agents", {
        "name": "a-agent", "model": "mistral-small-latest"})
    agent = json.loads(d)["id"] if st == 200 else None
    st2, _, d2 = a.call("POST", "/v1/libraries", {"name": "a-lib"})
    lib = json.loads(d2)["id"] if st2 in (200, 201) else None
    tap.ok(agent is not None and lib is not None,
           "A makes an agent and a library", (st, d[:300], st2))

    before = forwarded(up)
    probes = [
        ("GET", "/v1/files/%s" % fid), ("GET", "/v1/files/%s/content" % fid),
        ("GET", "/v1/files/%s/url" % fid), ("DELETE", "/v1/files/%s" % fid),
        ("GET", "/v1/batch/jobs/%s" % job),
        ("POST", "/v1/batch/jobs/%s/cancel" % job),
        ("DELETE", "/v1/batch/jobs/%s" % job),
        ("GET", "/v1/conversations/%s" % conv),
        ("GET", "/v1/conversations/%s/history" % conv),
        ("GET", "/v1/conversations/%s/messages" % conv),
        ("POST", "/v1/conversations/%s" % conv),
        ("POST", "/v1/conversations/%s/restart" % conv),
        ("DELETE", "/v1/conversations/%s" % conv),
        ("GET", "/v1/agents/%s" % agent), ("PATCH", "/v1/agents/%s" % agent),
        ("DELETE", "/v1/agents/%s" % agent),
        ("GET", "/v1/libraries/%s" % lib),
        ("GET", "/v1/libraries/%s/documents" % lib),
        ("DELETE", "/v1/libraries/%s" % lib),
    ]
    for method, path in probes:
        body = {"inputs": "x"} if method in ("POST", "PATCH") else None
        st, _, d = b.call(method, path, body)
        tap.ok(st == 404 and code(d) == "not_found",
               "B: %s %s -> 404 not_found" % (method, path.split("/")[2]),
               (method, path, st, d[:200]))
    # Another team's objects named in bodies.
    refs = [
        ("/v1/chat/completions", {"model": "mistral-small-latest",
                                  "messages": [{"role": "user", "content": [
                                      {"type": "text", "text": "read"},
                                      {"type": "file", "file_id": fid}]}]}),
        ("/v1/batch/jobs", {"input_files": [fid], "model":
                            "mistral-small-latest",
                            "endpoint": "/v1/chat/completions"}),
        ("/v1/agents/completions", {"agent_id": agent, "messages": [
            {"role": "user", "content": "hi"}]}),
        ("/v1/conversations", {"agent_id": agent, "inputs": "hi"}),
    ]
    for path, body in refs:
        st, _, d = b.call("POST", path, body)
        tap.ok(st == 404 and code(d) == "not_found",
               "B names A's object in a body of %s: 404" % path, d[:200])
    tap.eq(forwarded(up), before, "none of B's attempts reached the upstream")
    # Lists: B sees none of A's.
    for path in ("/v1/files", "/v1/batch/jobs", "/v1/conversations",
                 "/v1/agents", "/v1/libraries"):
        st, _, d = b.call("GET", path)
        items = json.loads(d)
        items = items if isinstance(items, list) else items.get("data", [])
        tap.ok(st == 200 and items == [], "B lists %s: empty" % path, d[:300])
    # A reaches all of them.
    st, _, d = a.call("GET", "/v1/files/%s/content" % fid)
    tap.ok(st == 200 and d.startswith(b'{"custom_id":"a"'),
           "A downloads its file")
    st, _, d = a.call("GET", "/v1/batch/jobs/%s" % job)
    out = json.loads(d).get("output_file")
    tap.ok(st == 200 and out, "A reads its job; it names an output file", d)
    st, _, d = a.call("GET", "/v1/files/%s/content" % out)
    tap.eq(st, 200, "the job's output file became A's")
    st, _, d = b.call("GET", "/v1/files/%s/content" % out)
    tap.eq(st, 404, "... and not B's")
    st, _, d = a.call("GET", "/v1/conversations/%s" % conv)
    tap.eq(st, 200, "A reads its conversation")
    st, _, d = a.call("GET", "/v1/files")
    ids = [x["id"] for x in json.loads(d)["data"]]
    tap.ok(fid in ids and out in ids and json.loads(d)["total"] == len(ids),
           "A lists its files, the job's among them, total counted", d)
    return fid, job, conv


def test_pages(gw, up, a, b):
    """Pages over the team's own objects, with the other team's in
    between upstream."""
    mine = []
    for i in range(5):
        mine.append(a.upload(b"a%d\n" % i))
        b.upload(b"b%d\n" % i)
        b.upload(b"c%d\n" % i)
    st, _, d = a.call("GET", "/v1/files?page_size=100")
    every = [x["id"] for x in json.loads(d)["data"]]
    got = []
    totals = set()
    for page in range(4):
        st, _, d = a.call("GET", "/v1/files?page=%d&page_size=2" % page)
        res = json.loads(d)
        got += [x["id"] for x in res["data"]]
        totals.add(res["total"])
    tap.eq(got, every, "A's pages of 2 hold its files in order, no gap and "
           "no repeat")
    tap.ok(len(every) >= 5 and set(mine) <= set(every) and
           totals == {len(every)}, "every page says A's total",
           (totals, len(every)))
    st, _, d = b.call("GET", "/v1/files?page=1&page_size=4")
    res = json.loads(d)
    tap.ok(len(res["data"]) == 4 and res["total"] >= 10 and
           not set(x["id"] for x in res["data"]) & set(every),
           "B's page 1 of 4 holds 4 of B's own", d[:300])


def test_groups(gw, up, a):
    out = subprocess.run([os.path.join(BUILD, "eugate"),
                          "--list-endpoints"], capture_output=True,
                         text=True).stdout.splitlines()
    ops = [l.split()[:3] for l in out]
    closed = [(m, p) for m, p, g in ops if g in ("admin", "observability")]
    tap.ok(len(closed) > 100, "the table has %d admin and observability "
           "operations" % len(closed))
    before = forwarded(up)
    bad = []
    for method, path in closed:
        path = path.replace("{}", "x1")
        body = {} if method in ("POST", "PUT", "PATCH") else None
        if path == "/v1/admin/users" and method == "POST":
            body = []
        st, _, d = a.call(method, path, body)
        if st != 403 or code(d) != "endpoint_not_allowed":
            bad.append((method, path, st))
    tap.eq(bad, [], "every admin and observability operation: 403 "
           "endpoint_not_allowed")
    tap.eq(forwarded(up), before, "none reached the upstream")
    rows = gw.rows("error = 'endpoint_not_allowed'")
    tap.ok(len(rows) == len(closed) and all("scope=block" in r["verdicts"]
                                            for r in rows),
           "each is recorded, scope=block", len(rows))
    st, _, d = a.call("POST", "/v1/admin/api-keys", {"name": "escape"})
    tap.ok(st == 403 and code(d) == "endpoint_not_allowed",
           "a team can not mint an upstream key")


def test_open_policy(gw, up):
    """endpoints = all and shared_objects = on: what was made outside
    eugate is reachable, and admin operations pass (today's
    pass-through); another team's objects stay out of reach."""
    t = Team(gw, "open", "open")
    st, _, d = up_call(up, "POST", "/v1/agents", {"name": "outside",
                                                  "model": "m"})
    outside = json.loads(d)["id"]
    st, _, d = t.call("GET", "/v1/agents/%s" % outside)
    tap.eq(st, 200, "shared_objects: an agent made outside eugate is "
           "reachable")
    st, _, d = t.call("GET", "/v1/agents")
    tap.ok(outside in [x["id"] for x in json.loads(d)],
           "... and listed", d[:300])
    before = forwarded(up)
    st, _, d = t.call("GET", "/v1/admin/users")
    tap.ok(st != 403 and forwarded(up) == before + 1,
           "endpoints = all: an admin operation is forwarded", (st, d[:100]))
    return t


def up_call(up, method, path, body):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", up.port, timeout=10)
    c.request(method, path, json.dumps(body),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    d = r.read()
    c.close()
    return r.status, None, d


def test_credentials(gw, up, a):
    before = forwarded(up)
    st, _, _ = gw.api("GET", "/v1/models", headers={"x-api-key": a.key})
    last = up.last()
    tap.ok(st == 200 and forwarded(up) == before + 1 and
           a.key not in json.dumps(last) and "x-api-key" not in
           last["headers"], "x-api-key works and never goes upstream")
    tap.eq(last["headers"].get("authorization"), "Bearer sk-company",
           "the upstream got the company's key")


def test_own_key(gw, up):
    t = Team(gw, "fin", "finance")
    st, _, _ = t.call("GET", "/v1/models")
    tap.eq(up.last()["headers"].get("authorization"), "Bearer sk-finance",
           "upstream_key_env: the policy's own upstream key is used")


def test_team_delete(gw, up):
    t = Team(gw, "gone")
    fid = t.upload(b"gone\n")
    st, res = gw.admin("DELETE", "/admin/v1/teams/gone")
    tap.ok(st == 200 and res["keys_revoked"] == 1 and
           [o["id"] for o in res["objects_left"]] == [fid],
           "team delete: keys revoked, the objects left named", res)
    st, _, _ = t.call("GET", "/v1/files/%s" % fid)
    tap.eq(st, 401, "its key stops working")
    again = Team(gw, "gone")
    st, _, d = again.call("GET", "/v1/files/%s" % fid)
    tap.eq(st, 404, "a new team of the same name does not inherit them")
    st, res = gw.admin("GET", "/admin/v1/objects?team=gone")
    tap.eq(res["data"], [], "... nor owns them")


def test_erasure(gw, up, a):
    fid = a.upload(b"about a person\n", subject="subject-42")
    st, _, d = a.call("POST", "/v1/agents", {"name": "s", "model": "m"},
                      headers={"X-Eugate-Subject": "subject-42"})
    agent = json.loads(d)["id"]
    st, res = gw.admin("POST", "/admin/v1/subjects/erase",
                       {"subject": "subject-42"})
    results = {o["id"]: o["result"] for o in res.get("objects", [])}
    tap.ok(st == 200 and results.get(fid) == "deleted" and
           results.get(agent) == "deleted",
           "erasure: the subject's file and agent deleted upstream", res)
    st, _, _ = up_call(up, "GET", "/v1/files/%s" % fid, None)
    tap.eq(st, 404, "the file is gone from the upstream")
    st, _, _ = a.call("GET", "/v1/files/%s" % fid)
    tap.eq(st, 404, "and from the owner cache")


def main():
    up = env.upstream()
    policies = ("[policy default]\npii = off\n"
                "[policy open]\npii = off\nendpoints = all\n"
                "shared_objects = on\n"
                "[policy finance]\npii = off\n"
                "upstream_key_env = FIN_KEY\n")
    gw = env.gateway([{"name": "up", "url": up.url, "api_key_env":
                       "UP_KEY"}], policies=policies,
                     env={"UP_KEY": "sk-company", "FIN_KEY": "sk-finance"})
    a = Team(gw, "team-a")
    b = Team(gw, "team-b")
    fid, job, conv = test_objects(gw, up, a, b)
    tap.run(test_pages, gw, up, a, b)
    tap.run(test_groups, gw, up, a)
    tap.run(test_open_policy, gw, up)
    tap.run(test_credentials, gw, up, a)
    tap.run(test_own_key, gw, up)
    # A restart keeps ownership.
    gw.stop()
    gw.start()
    st, _, _ = a.call("GET", "/v1/files/%s" % fid)
    tap.eq(st, 200, "after a restart A still reaches its file")
    st, _, _ = b.call("GET", "/v1/files/%s" % fid)
    tap.eq(st, 404, "... and B still does not")
    tap.run(test_team_delete, gw, up)
    tap.run(test_erasure, gw, up, a)
    env.close(tap)
    tap.done()


if __name__ == "__main__":
    main()
