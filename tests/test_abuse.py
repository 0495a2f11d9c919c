#!/usr/bin/env python3
"""Headers and connection-level abuse.

- Client headers go upstream by an allow-list (forward_headers), each name
  once; the gateway's own (Authorization with the upstream's key,
  X-Request-Id, Content-Type) are always set and can not be pushed out or
  overridden by many or duplicate client headers; more headers than
  max_headers answer 431.
- Expect: 100-continue is answered only after the target, the key, the
  subject tag and the rate limits pass; otherwise the final status comes
  at once and the body is never read. Without Expect, too.
- max_connections_per_ip: one address cannot take every connection;
  refusals are logged at most once a second, with a count.
- max_bodies_bytes: request bodies held at once are capped; a body that
  does not fit waits (not read) until room frees, or gets 503 overloaded.
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body, raw_exchange, statuses  # noqa: E402

tap = Tap()
env = Env("abuse")


def head_bytes(key, length, extra=b"", target=b"/v1/chat/completions"):
    return (b"POST %s HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (target, key.encode(), length, extra))


def recv_some(s, timeout):
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b"\r\n\r\n" in got and not got.startswith(b"HTTP/1.1 100"):
                # a final head: read what follows briefly
                s.settimeout(0.3)
    except socket.timeout:
        pass
    return got


def test_headers(gw, up, key):
    body = json.dumps(chat_body("hi")).encode()
    extra = b""
    for i in range(150):
        extra += b"X-Junk-%d: %d\r\n" % (i, i)
    extra += (b"Authorization: Bearer evil-override\r\n"
              b"X-Request-Id: forged-id-2\r\n"
              b"Cookie: session=1\r\nTraceparent: 00-abc-def-01\r\n"
              b"Accept: application/json\r\nAccept: text/evil\r\n"
              b"Proxy-Authorization: Basic eA==\r\n"
              b"X-Fake-Ignored: 1\r\nUser-Agent: ua/1\r\n")
    # Two Authorization headers: ambiguous credentials are refused.
    got, _ = raw_exchange(gw.port, head_bytes(key, len(body), extra) + body)
    tap.eq(statuses(got), [401], "a second Authorization header: 401")
    # Authorization and x-api-key together: ambiguous too.
    got, _ = raw_exchange(gw.port, head_bytes(key, len(body),
                                              b"X-Api-Key: %s\r\n" %
                                              key.encode()) + body)
    tap.eq(statuses(got), [401], "Authorization and x-api-key: 401")
    extra = extra.replace(b"Authorization: Bearer evil-override\r\n", b"")
    before = len(up.requests())
    got, _ = raw_exchange(gw.port, head_bytes(
        key, len(body), b"X-Request-Id: cli-1\r\n" + extra) + body)
    tap.eq(statuses(got), [200], "155 headers with forged ones: 200")
    tap.eq(len(up.requests()), before + 1, "one request went upstream")
    h = up.last()["headers"]
    tap.eq(h.get("authorization"), "Bearer sk-up", "the upstream's own key "
           "is set, whatever the client sent")
    tap.eq(h.get("x-request-id"), "cli-1",
           "X-Request-Id is the gateway's (the client's first, validated)")
    tap.eq(h.get("accept"), "application/json", "a listed header once: "
           "the first")
    tap.eq(h.get("user-agent"), "ua/1", "user-agent is forwarded")
    for name in ("x-api-key", "cookie", "traceparent", "x-junk-0",
                 "x-junk-149", "proxy-authorization"):
        tap.ok(name not in h, "%s is not forwarded" % name, sorted(h))
    tap.ok("sk-client" not in json.dumps(up.last()) and
           key not in json.dumps(up.last()),
           "no client credential reached the upstream")
    # More than max_headers (200 here) answers 431.
    extra = b"".join(b"X-N-%d: 1\r\n" % i for i in range(201))
    got, _ = raw_exchange(gw.port, head_bytes(key, len(body), extra) + body)
    tap.eq(statuses(got), [431], "201 headers over max_headers = 200: 431")


def test_expect(gw, up, key, slow_key):
    body = json.dumps(chat_body("hi")).encode()
    before = len(up.requests())
    cases = [
        ("a wrong key", head_bytes("egk_wrong", len(body),
                                   b"Expect: 100-continue\r\n"), 401),
        ("an invalid path", head_bytes(key, len(body),
                                       b"Expect: 100-continue\r\n",
                                       b"/v1/x/../chat/completions"), 400),
        ("an unknown path", head_bytes(key, len(body),
                                       b"Expect: 100-continue\r\n",
                                       b"/v1/nothing"), 404),
    ]
    for what, head, want in cases:
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        s.sendall(head)
        got = recv_some(s, 3)
        s.close()
        tap.ok(statuses(got) == [want] and b"100 Continue" not in got,
               "Expect with %s: %d at once, no 100 Continue" % (what, want),
               got[:200])
    # The rate limit is checked before 100-continue too.
    gw.api("POST", "/v1/chat/completions", chat_body("x"), key=slow_key)
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(head_bytes(slow_key, len(body), b"Expect: 100-continue\r\n"))
    got = recv_some(s, 3)
    s.close()
    tap.ok(statuses(got) == [429] and b"100 Continue" not in got,
           "Expect over the rate limit: 429 at once", got[:200])
    # Without Expect, a refused request's body is not read either: the
    # answer comes after the head alone.
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(head_bytes("egk_wrong", 5000000))
    got = recv_some(s, 3)
    s.close()
    tap.eq(statuses(got), [401], "a wrong key with a 5 MB body announced: "
           "401 before the body")
    tap.ok(b"Connection: close" in got, "... and the connection closes")
    tap.eq(len(up.requests()), before + 1, "only the counted request "
           "went upstream")
    # A good request gets 100 Continue, then its answer.
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(head_bytes(key, len(body), b"Expect: 100-continue\r\n"))
    s.settimeout(3)
    first = s.recv(65536)
    tap.ok(first.startswith(b"HTTP/1.1 100 Continue"), "a good request: "
           "100 Continue", first)
    s.sendall(body)
    got = recv_some(s, 3)
    s.close()
    tap.eq(statuses(first + got), [100, 200], "... then 200")


def test_per_ip(env):
    up = env.upstream(name="up2")
    gw = env.gateway([{"name": "up", "url": up.url}],
                     gateway="max_connections_per_ip = 4\n", name="gwip",
                     data_dir=os.path.join(env.dir, "varip"))
    held = [socket.create_connection(("127.0.0.1", gw.port), timeout=5)
            for _ in range(4)]
    time.sleep(0.2)
    refused = 0
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        s.settimeout(2)
        try:
            refused += s.recv(10) == b""
        except (socket.timeout, ConnectionResetError):
            refused += 1
        s.close()
    tap.eq(refused, 10, "a fifth connection from the address is refused")
    # Another loopback address is another client.
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", gw.port))
    s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n")
    s.settimeout(3)
    tap.ok(s.recv(100).startswith(b"HTTP/1.1 401"),
           "127.0.0.2 still gets served")
    s.close()
    held.pop().close()
    time.sleep(0.2)
    got, _ = raw_exchange(gw.port, b"GET /v1/models HTTP/1.1\r\nHost: gw\r\n"
                          b"Connection: close\r\n\r\n")
    tap.eq(statuses(got), [401], "after one closes, a new one is served")
    for s in held:
        s.close()
    lines = [l for l in gw.logtext().splitlines()
             if "max_connections_per_ip" in l]
    tap.ok(1 <= len(lines) <= 2 and re.search(r"refused \d+ connection",
                                              lines[0]),
           "the refusals are logged once a second at most, with a count",
           lines)


def test_body_room(env):
    up = env.upstream(name="up3")
    gw = env.gateway([{"name": "up", "url": up.url}],
                     gateway="max_bodies_bytes = 1m\n"
                             "client_header_timeout = 2s\n",
                     policies="[policy default]\npii = off\n", name="gwb",
                     data_dir=os.path.join(env.dir, "varb"))
    key = gw.new_key("room")
    big = json.dumps(chat_body("a" * 700000)).encode()
    # A holds 700 KB of room and sends its body slowly.
    a = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    a.sendall(head_bytes(key, len(big)) + big[:1000])
    time.sleep(0.3)
    # B does not fit next to A: it waits, unread, for A to finish.
    b = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    b.sendall(head_bytes(key, len(big)))
    b.settimeout(0.5)
    try:
        early = b.recv(100)
    except socket.timeout:
        early = b""
    tap.eq(early, b"", "a body that does not fit waits (no answer yet)")
    b.sendall(big)
    time.sleep(0.3)
    tap.eq(len(up.requests()), 0, "... and is not forwarded")
    a.sendall(big[1000:])
    got_a = recv_some(a, 5)
    got_b = recv_some(b, 5)
    a.close()
    b.close()
    tap.eq(statuses(got_a), [200], "A completes")
    tap.eq(statuses(got_b), [200], "then B gets room and completes")
    tap.eq(len(up.requests()), 2, "both were forwarded")
    # A body that waits longer than client_header_timeout gets 503, while
    # A keeps its room by sending a byte now and then.
    a = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    a.sendall(head_bytes(key, len(big)) + big[:1000])
    time.sleep(0.3)
    b = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    b.sendall(head_bytes(key, len(big)))
    b.settimeout(0.5)
    got_b = b""
    sent = 1000
    for _ in range(8):
        a.sendall(big[sent:sent + 1])
        sent += 1
        try:
            got_b += b.recv(65536)
        except socket.timeout:
            pass
        if got_b:
            break
    got_b += recv_some(b, 1)
    b.close()
    tap.eq(statuses(got_b), [503], "waiting too long: 503")
    tap.ok(b"overloaded" in got_b and b"Retry-After" in got_b,
           "... overloaded, with Retry-After", got_b[:400])
    # A chunked body that does not fit is refused at once.
    c = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    c.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"
              b"Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n"
              b"\r\n%x\r\n%s\r\n" % (key.encode(), len(big), big))
    a.sendall(big[sent:sent + 1])
    got_c = recv_some(c, 1.5)
    c.close()
    tap.eq(statuses(got_c), [503], "a chunked body without room: 503")
    a.close()
    time.sleep(0.5)
    rows = gw.rows("status = 503")
    tap.ok(len(rows) >= 2 and all(r["error"] == "overloaded" for r in rows),
           "the refusals are in the audit log as overloaded",
           [(r["status"], r["error"]) for r in rows])


def main():
    up = env.upstream()
    gw = env.gateway([{"name": "up", "url": up.url,
                       "api_key_env": "UP_KEY"}],
                     gateway="max_headers = 200\n",
                     policies="[policy default]\npii = off\n",
                     env={"UP_KEY": "sk-up"})
    key = gw.new_key("abuse")
    st, _ = gw.admin("POST", "/admin/v1/teams", {"name": "slow", "rpm": 1})
    st, res = gw.admin("POST", "/admin/v1/keys", {"team": "slow"})
    slow_key = res["key"]
    tap.run(test_headers, gw, up, key)
    tap.run(test_expect, gw, up, key, slow_key)
    tap.run(test_per_ip, env)
    tap.run(test_body_room, env)
    env.close(tap)
    tap.done()


if __name__ == "__main__":
    main()
