"""Strict HTTP/1.1 framing on the wire: smuggling vectors are refused
with the connection closed and nothing forwarded; pipelining, chunked
bodies, Expect, limits and timeouts behave."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, raw_exchange, statuses  # noqa: E402

tap = Tap()
env = Env("framing-")
up = env.upstream(name="up")
gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                 gateway="client_header_timeout = 1s\n"
                 "client_idle_timeout = 1500ms\nmax_connections = 20\n"
                 "max_body_bytes = 4k\n")
key = gw.new_key()
BODY = json.dumps({"model": "m", "messages": [
    {"role": "user", "content": "hi"}]}).encode()
AUTH = ("Authorization: Bearer %s\r\n" % key).encode()


def req(extra=b"", body=BODY, cl=True, line=b"POST /v1/chat/completions "
        b"HTTP/1.1\r\n", host=b"Host: gw\r\n"):
    head = line + host + AUTH + b"Content-Type: application/json\r\n"
    if cl:
        head += b"Content-Length: %d\r\n" % len(body)
    return head + extra + b"\r\n" + body


SMUGGLE = b"GET /v1/models HTTP/1.1\r\nHost: gw\r\n" + AUTH + b"\r\n"
VECTORS = [
    ("CL.TE", req(b"Transfer-Encoding: chunked\r\n",
                  b"0\r\n\r\n" + SMUGGLE), 400),
    ("TE.CL", req(b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                  b"5c\r\n" + SMUGGLE + b"\r\n0\r\n\r\n", cl=False), 400),
    ("two Content-Length", req(b"Content-Length: 3\r\n"), 400),
    ("Content-Length list", req(b"", cl=False).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 2, 2\r\n\r\n", 1), 400),
    ("TE xchunked", req(b"Transfer-Encoding: xchunked\r\n", cl=False), 501),
    ("TE gzip, chunked", req(b"Transfer-Encoding: gzip, chunked\r\n",
                             cl=False), 400),
    ("TE twice", req(b"Transfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n", cl=False), 400),
    ("TE with a space before the colon",
     req(b"Transfer-Encoding : chunked\r\n", cl=False), 400),
    ("obs-fold", req(b"X-A: 1\r\n folded\r\n"), 400),
    ("bare LF", req().replace(b"Host: gw\r\n", b"Host: gw\n"), 400),
    ("bare CR", req(b"X-A: a\rb\r\n"), 400),
    ("TE in HTTP/1.0", req(b"Transfer-Encoding: chunked\r\n", cl=False,
                           line=b"POST /v1/chat/completions HTTP/1.0\r\n"),
     400),
    ("two Hosts", req(b"Host: other\r\n"), 400),
    ("no Host", req(host=b""), 400),
    ("absolute-form target", req(
        line=b"POST http://evil/v1/chat/completions HTTP/1.1\r\n"), 400),
    ("HTTP/1.2", req(line=b"POST /v1/chat/completions HTTP/1.2\r\n"), 505),
    ("bad chunk size", req(b"Transfer-Encoding: chunked\r\n",
                           b"0x5\r\nhello\r\n0\r\n\r\n", cl=False), 400),
    ("chunk without CRLF", req(b"Transfer-Encoding: chunked\r\n",
                               b"2\r\nhiXX0\r\n\r\n", cl=False), 400),
    ("header over the cap", req(b"X-Big: " + b"a" * 20000 + b"\r\n"), 431),
    ("body over the cap", req(b"", b"x" * 5000), 413),
]


def test_vectors():
    for name, data, want in VECTORS:
        before = len(up.requests())
        got, closed = raw_exchange(gw.port, data, timeout=3)
        st = statuses(got)
        tap.ok(st[:1] == [want] and len(st) == 1,
               "%s: %d" % (name, want), got[:200])
        tap.ok(closed, "%s: connection closed" % name)
        tap.eq(len(up.requests()), before, "%s: nothing forwarded" % name)


def test_byte_by_byte():
    data = VECTORS[0][1]
    before = len(up.requests())
    got, closed = raw_exchange(gw.port, [data[i:i + 1] for i in
                                         range(len(data))], timeout=5)
    tap.ok(statuses(got) == [400] and closed and
           len(up.requests()) == before,
           "CL.TE sent byte by byte: same verdict", got[:100])


def test_chunked_body():
    chunked = b"10\r\n" + BODY[:16] + b"\r\n" + (b"%x" % (len(BODY) - 16)) + \
        b"\r\n" + BODY[16:] + b"\r\n0\r\n\r\n"
    got, _ = raw_exchange(gw.port, req(b"Transfer-Encoding: chunked\r\n"
                                       b"Connection: close\r\n", chunked,
                                       cl=False))
    last = up.last()
    tap.ok(statuses(got) == [200], "chunked body: accepted", got[:200])
    tap.ok(json.loads(last["body"]) == json.loads(BODY) and
           "transfer-encoding" not in last["headers"],
           "chunked body: the upstream got the decoded body", last)


def test_pipelining():
    reqs = b"".join(req(b"X-Request-Id: p%d\r\n" % i) for i in range(3))
    got, _ = raw_exchange(gw.port, reqs + b"", timeout=2)
    ids = [l.split(b": ")[1] for l in got.split(b"\r\n")
           if l.lower().startswith(b"x-request-id")]
    tap.eq(ids, [b"p0", b"p1", b"p2"], "pipelining: 3 answers in order")
    before = len(up.requests())
    bad = req(b"Content-Length: 1\r\n")
    got, closed = raw_exchange(gw.port, req() + bad + req(), timeout=3)
    tap.eq(statuses(got), [200, 400], "pipelining: valid, invalid, valid -> "
           "200, 400")
    tap.ok(closed and len(up.requests()) == before + 1,
           "pipelining: then the connection closes; the third is not run")


def test_expect():
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=3)
    head = req(b"Expect: 100-continue\r\nContent-Length: %d\r\n" % len(BODY),
               b"", cl=False)
    s.sendall(head)
    first = s.recv(100)
    tap.ok(first.startswith(b"HTTP/1.1 100 Continue"),
           "Expect: 100 Continue before the body", first)
    s.sendall(BODY)
    rest = s.recv(65536)
    tap.ok(b"HTTP/1.1 200" in rest, "Expect: then the answer")
    s.close()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=3)
    s.sendall(req(b"Expect: 100-continue\r\nContent-Length: 99999\r\n", b"",
                  cl=False))
    first = s.recv(200)
    tap.ok(first.startswith(b"HTTP/1.1 413"),
           "Expect over the body cap: 413 without 100", first)
    s.close()


def test_timeouts():
    t0 = time.time()
    got, closed = raw_exchange(gw.port, b"POST /v1/chat/compl", timeout=4)
    tap.ok(statuses(got) == [408] and closed and time.time() - t0 < 2.5,
           "slow head: 408 after client_header_timeout", got[:100])
    t0 = time.time()
    got, closed = raw_exchange(gw.port, req(b"Content-Length: %d\r\n" %
                                            len(BODY), BODY[:10], cl=False),
                               timeout=4)
    tap.ok(statuses(got) == [408] and closed, "slow body: 408")
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    t0 = time.time()
    data = s.recv(10)
    tap.ok(data == b"" and 0.8 < time.time() - t0 < 1.4,
           "a silent new connection is closed after client_header_timeout")
    s.close()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    s.sendall(req())
    data = b""
    while b"}" not in data:
        data += s.recv(65536)
    t0 = time.time()
    rest = s.recv(10)
    tap.ok(data.startswith(b"HTTP/1.1 200") and rest == b"" and
           1.3 < time.time() - t0 < 2.5,
           "a kept-alive connection is closed after client_idle_timeout "
           "(%.2fs)" % (time.time() - t0))
    s.close()


def test_max_connections():
    socks = [socket.create_connection(("127.0.0.1", gw.port), timeout=3)
             for _ in range(20)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", gw.port), timeout=3)
    try:
        data = extra.recv(10)
    except ConnectionResetError:
        data = b""
    tap.eq(data, b"", "max_connections: the next connection is closed")
    extra.close()
    for s in socks:
        s.close()
    time.sleep(0.2)
    got, _ = raw_exchange(gw.port, req(b"Connection: close\r\n"))
    tap.eq(statuses(got), [200], "max_connections: room again after closes")


for t in (test_vectors, test_byte_by_byte, test_chunked_body,
          test_pipelining, test_expect, test_timeouts, test_max_connections):
    tap.run(t)
env.close(tap)
tap.done()
