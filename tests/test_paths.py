#!/usr/bin/env python3
"""The path that is checked is the path that is forwarded.

Request targets that a server or client library could read another way
(dot-segments, encoded dots, slashes and backslashes, doubled slashes,
control bytes) are refused with 400 invalid_path before anything else;
targets over max_target_bytes with 414 uri_too_long, never cut; paths
that are no operation of the Mistral API with 404 from the gateway
itself. Nothing of those reaches the upstream; what does reach it is
byte for byte the path that was checked, and the audit record names it.
"""
import hashlib
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body, raw_exchange, statuses  # noqa: E402

tap = Tap()
env = Env("paths")


def code_of(body):
    try:
        return json.loads(body).get("code")
    except ValueError:
        return None


def raw_request(gw, method, target, key, body=b""):
    """Sends a request with exactly these target bytes; returns
    (status, parsed body or None)."""
    head = (b"%s %s HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (method.encode(), target,
                                            key.encode(), len(body)))
    got, _ = raw_exchange(gw.port, head + body, timeout=10)
    st = statuses(got)
    payload = got.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in got else b""
    return (st[0] if st else None), code_of(payload)


def upload(up):
    """A file in the fake upstream (directly): its id."""
    form = (b'--b\r\nContent-Disposition: form-data; name="file"; '
            b'filename="a.jsonl"\r\n\r\n{}\n\r\n--b--\r\n')
    conn = http.client.HTTPConnection("127.0.0.1", up.port, timeout=10)
    conn.request("POST", "/v1/files", form, {
        "Content-Type": "multipart/form-data; boundary=b"})
    fid = json.loads(conn.getresponse().read())["id"]
    conn.close()
    return fid.encode()


def test_smuggled_paths(gw, up, key):
    """The class of the reported bypass, in many lengths and encodings:
    none is judged as one operation and sent as another."""
    chat = json.dumps(chat_body("hello")).encode()
    before = len(up.requests())
    pads = [0, 100, 1500, 5000, 8000]
    forms = [
        b"/v1/embeddings/%s/../../chat/completions",
        b"/v1/embeddings/%s/%%2e%%2e/%%2e%%2e/chat/completions",
        b"/v1/embeddings/%s/%%2E%%2E/%%2E%%2E/chat/completions",
        b"/v1/embeddings/%s/.%%2e/%%2e./chat/completions",
        b"/v1/embeddings/%s/..%%2fchat/completions",
        b"/v1/embeddings/%s/..%%2Fchat%%2Fcompletions",
        b"/v1/embeddings/%s\\..\\..\\chat\\completions",
        b"/v1/embeddings/%s%%5c..%%5c..%%5cchat/completions",
        b"/v1/embeddings/%s/./../chat/completions",
        b"/v1//embeddings/%s",
        b"/v1/embeddings/%s/..",
        b"/v1/embeddings/%s/.",
        b"/v1/embeddings/%s%%00/../chat/completions",
        b"/v1/embeddings/%s%%2e%%2e",
    ]
    for form in forms:
        for pad in pads:
            target = form % (b"a" * pad)
            if len(target) > 8192:
                continue
            st, code = raw_request(gw, "POST", target, key, chat)
            tap.ok(st == 400 and code == "invalid_path",
                   "%r (pad %d): 400 invalid_path" % (form[:40], pad),
                   (st, code))
    tap.eq(len(up.requests()), before,
           "none of the refused targets reached the upstream")


def test_leaving_v1(gw, up, key):
    """The upstream's other paths are never reached with its key."""
    before = len(up.requests())
    for target in [b"/v1/models/x/../../../../metrics",
                   b"/v1/models/%s/../../../../metrics" % (b"p" * 2000),
                   b"/v1/models/x/%2e%2e/%2e%2e/metrics",
                   b"/v1/models/x/..%2f..%2fmetrics"]:
        st, code = raw_request(gw, "GET", target, key)
        tap.ok(st == 400 and code == "invalid_path",
               "GET %r...: 400 invalid_path" % target[:30], (st, code))
    for target in [b"/metrics", b"/v3/models", b"/v1", b"/v1/",
                   b"/v1/chat/completionsX", b"/v1/chat/completions/",
                   b"/v1/chat/completions/extra", b"/v1/unknown/path",
                   b"/v1/models/a/b/c", b"/admin/v1/health"]:
        st, code = raw_request(gw, "GET" if b"models" in target else "POST",
                               target, key, b"{}")
        tap.ok(st == 404 and code == "not_found",
               "%r: 404 not_found from the gateway" % target, (st, code))
    for method, target in [("GET", b"/v1/chat/completions"),
                           ("PUT", b"/v1/files"),
                           ("DELETE", b"/v1/embeddings"),
                           ("HEAD", b"/v1/models"),
                           ("OPTIONS", b"/v1/models")]:
        st, code = raw_request(gw, method, target, key)
        tap.ok(st == 405 and (method == "HEAD" or
                              code == "method_not_allowed"),
               "%s %r: 405" % (method, target), (st, code))
    for target in [b"/v1/files/a\x01b", b"/v1/files/a\x7fb",
                   b"/v1/files/\xc3\xa9", b"/v1/files?a=%zz",
                   b"/v1/files?a=%2"]:
        st, _ = raw_request(gw, "GET", target, key)
        tap.eq(st, 400, "control, non-ASCII or bad escape %r: 400" % target)
    tap.eq(len(up.requests()), before, "nothing of those was forwarded")


def test_too_long(gw, up, key):
    fid = upload(up)
    before = len(up.requests())
    base = b"/v1/files/"
    for n in (8193, 9000, 15000):
        target = base + b"f" * (n - len(base))
        st, code = raw_request(gw, "GET", target, key)
        tap.ok(st == 414 and code == "uri_too_long",
               "a %d-byte target: 414 uri_too_long" % n, (st, code))
    # Before authentication: no key at all still gets 414, not 401.
    target = base + b"f" * 9000
    head = (b"GET %s HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
            % target)
    got, _ = raw_exchange(gw.port, head)
    tap.eq(statuses(got)[:1], [414], "414 comes before authentication")
    # Exactly the limit is accepted and forwarded whole (a stored file,
    # the query pads).
    base = b"/v1/files/%s?pad=" % fid
    target = base + b"f" * (8192 - len(base))
    st, _ = raw_request(gw, "GET", target, key)
    last = up.last()
    tap.ok(st == 200 and last is not None and
           last["uri"].encode() == target,
           "an 8,192-byte target is forwarded whole", (st, last and
                                                       len(last["uri"])))
    tap.eq(len(up.requests()), before + 1, "only that one was forwarded")


def test_forwarded_as_checked(gw, up, key):
    """What reaches the upstream is the checked path and query, and the
    audit record names that path."""
    target = "/v1/files/file-abc_1.2~x/content"
    st, hdrs, _ = gw.api("GET", target + "?download=1&x=%41",
                         key=key)
    last = up.last()
    tap.ok(last is not None and
           last["uri"] == target + "?download=1&x=%41",
           "the upstream got the path and query as checked",
           last and last["uri"])
    row = gw.row(hdrs["x-request-id"])
    tap.eq(row and row["path"], target, "the record names that path")
    long_id = "f" * 400
    st, hdrs, _ = gw.api("GET", "/v1/files/%s" % long_id, key=key)
    row = gw.row(hdrs["x-request-id"])
    path = "/v1/files/" + long_id
    want = hashlib.sha256(path.encode()).hexdigest()
    tap.ok(row is not None and row["path"].endswith("#sha256:" + want) and
           path.startswith(row["path"].split("#")[0]) and
           len(row["path"]) <= 255,
           "a long path is recorded as a prefix and its SHA-256",
           row and row["path"])
    tap.eq(up.last()["uri"], path, "... and forwarded whole")


def test_spend_not_bypassed(gw, up, key):
    """The operation judged (here chat, with a budget) is the one sent."""
    st, hdrs, body = gw.api("POST", "/v1/chat/completions",
                            chat_body("hi"), key=key)
    tap.eq(st, 200, "chat through the budgeted team works")
    row = gw.row(hdrs["x-request-id"])
    led = gw.rows("request_id = ?", (hdrs["x-request-id"],), table="ledger",
                  order="ts")
    tap.ok(row and row["path"] == "/v1/chat/completions" and led and
           led[0]["reserved_eur"] is not None and led[0]["reserved_eur"] > 0,
           "chat is reserved as chat", (row, led))


def main():
    up = env.upstream()
    gw = env.gateway([{"name": "up", "url": up.url}],
                     policies="[policy default]\npii = off\n"
                              "shared_objects = on\n")
    key = gw.new_key("paths")
    st, _ = gw.admin("PATCH", "/admin/v1/teams/paths",
                     {"budget": {"amount": "100.00", "currency": "EUR",
                                 "period": "monthly"}})
    tap.eq(st, 200, "team budget set")
    tap.run(test_smuggled_paths, gw, up, key)
    tap.run(test_leaving_v1, gw, up, key)
    tap.run(test_too_long, gw, up, key)
    tap.run(test_forwarded_as_checked, gw, up, key)
    tap.run(test_spend_not_bypassed, gw, up, key)
    # A smaller limit from the configuration is applied too.
    gw2 = env.gateway([{"name": "up", "url": up.url}],
                      gateway="max_target_bytes = 1k\n", name="gw2",
                      policies="[policy default]\nshared_objects = on\n",
                      data_dir=os.path.join(env.dir, "var2"))
    key2 = gw2.new_key("t2")
    st, code = raw_request(gw2, "GET", b"/v1/files/" + b"f" * 1100, key2)
    tap.ok(st == 414 and code == "uri_too_long",
           "max_target_bytes = 1k: 1,110 bytes are refused", (st, code))
    target = b"/v1/files/%s?pad=" % upload(up)
    target += b"f" * (1010 - len(target))
    st, _ = raw_request(gw2, "GET", target, key2)
    tap.eq(st, 200, "max_target_bytes = 1k: 1,010 bytes pass")
    env.close(tap)
    tap.done()


if __name__ == "__main__":
    main()
