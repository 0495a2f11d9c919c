"""The upstream client on plain http:// upstreams, through the real eugate,
against a scripted upstream written here on raw sockets (each request's
x-fake-script header says how it answers): keep-alive reuse, an idle
connection the upstream closes, a request lost on a reused connection
retried once on a fresh one, Connection: close, chunked and
read-until-close answers, 1xx before the final head, and hostile or cut
framing refused as an upstream error."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body  # noqa: E402

ANSWER = json.dumps({
    "id": "x", "object": "chat.completion", "created": 1,
    "model": "mistral-small-latest",
    "choices": [{"index": 0, "message": {"role": "assistant",
                                         "content": "scripted"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2,
              "total_tokens": 5}}).encode()


def ok_cl(extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
            extra + b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)


def chunked():
    half = len(ANSWER) // 2
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" +
            b"%x;ext=1\r\n" % half + ANSWER[:half] + b"\r\n" +
            b"%X\r\n" % (len(ANSWER) - half) + ANSWER[half:] + b"\r\n" +
            b"0\r\nX-Trailer: t\r\n\r\n")


class Scripted:
    """A one-thread-per-connection upstream that keeps every request head
    it read, per connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.lock = threading.Lock()
        self.conns = []		# per connection: list of request heads
        self.dropped = set()	# scripts already dropped once
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append([])
                heads = self.conns[-1]
            threading.Thread(target=self.serve, args=(c, heads),
                             daemon=True).start()

    def serve(self, c, heads):
        buf = b""
        c.settimeout(20)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                head = head.decode("latin-1")
                hdrs = {}
                for line in head.split("\r\n")[1:]:
                    k, v = line.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
                n = int(hdrs.get("content-length", "0"))
                while len(buf) < n:
                    buf += c.recv(65536)
                body, buf = buf[:n], buf[n:]
                with self.lock:
                    heads.append((head, body))
                if not self.answer(c, hdrs.get("x-fake-script", "ok"),
                                   len(heads)):
                    return
        except OSError:
            return
        finally:
            c.close()

    def answer(self, c, script, nth):
        """Answers; False when the connection is to close."""
        if script == "drop-reused" and nth > 1 and \
                script not in self.dropped:
            self.dropped.add(script)
            return False	# a reused connection lost its request
        if script == "idle-close":
            c.sendall(ok_cl())
            time.sleep(0.3)
            return False	# the upstream closes its idle end
        if script == "close":
            # Says close but keeps the connection open: only the
            # gateway's honouring it keeps the next request off it.
            c.sendall(ok_cl(b"Connection: close\r\n"))
            return True
        if script == "chunked":
            c.sendall(chunked())
        elif script == "until-close":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                      b"\r\nConnection: close\r\n\r\n" + ANSWER[:10])
            time.sleep(0.1)
            c.sendall(ANSWER[10:])
            return False
        elif script == "continue":
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                      b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
                      ok_cl())
        elif script == "cut":
            c.sendall(ok_cl()[:-20])
            time.sleep(0.1)
            return False
        elif script == "cut-chunked":
            c.sendall(chunked()[:-30])
            time.sleep(0.1)
            return False
        elif script == "cl-te":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                      b"0\r\n\r\n")
            return False
        elif script == "two-cl":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                      b"Content-Length: 5\r\n\r\n" % len(ANSWER) + ANSWER)
            return False
        elif script == "bare-lf":
            c.sendall(b"HTTP/1.1 200 OK\nContent-Length: %d\n\n"
                      % len(ANSWER) + ANSWER)
            return False
        elif script == "bad-chunk":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                      b"\r\nzz\r\nhello\r\n0\r\n\r\n")
            return False
        elif script == "te-gzip":
            c.sendall(b"HTTP/1.1 200 OK\r\n"
                      b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
            return False
        elif script == "nothing":
            return False
        else:
            c.sendall(ok_cl())
        return True

    def snapshot(self):
        with self.lock:
            return [list(h) for h in self.conns]


tap = Tap()
env = Env("ucl-")
up = Scripted()
gw = env.gateway([{"name": "up", "url": up.url, "models": "*",
                   "fail_threshold": 1000}])
key = gw.new_key("ucl")


def chat(script, body=None):
    st, h, data = gw.api("POST", "/v1/chat/completions",
                         body or chat_body("hello"), key=key,
                         headers={"x-fake-script": script})
    try:
        j = json.loads(data)
    except ValueError:
        j = {}
    return st, j


def content(j):
    try:
        return j["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None


def test_reuse_and_request():
    before = len(up.snapshot())
    st1, j1 = chat("ok")
    st2, j2 = chat("ok")
    conns = up.snapshot()[before:]
    tap.ok(st1 == 200 and st2 == 200 and content(j2) == "scripted",
           "keep-alive: two answers", repr((st1, st2, j2)))
    tap.eq([len(c) for c in conns], [2],
           "keep-alive: both on one connection")
    head, body = conns[0][0]
    lines = head.split("\r\n")
    tap.eq(lines[0], "POST /v1/chat/completions HTTP/1.1",
           "the request line")
    tap.ok("Host: 127.0.0.1:%d" % up.port in lines and
           "Accept-Encoding: gzip, deflate" in lines and
           "Content-Length: %d" % len(body) in lines and
           json.loads(body)["messages"][0]["content"] == "hello",
           "Host as libcurl sent it, the codings decoded, the body framed",
           repr(lines))
    tap.ok(not any(l.lower().startswith("expect") for l in lines),
           "no Expect header")


def test_target_as_is():
    st, _, _ = gw.api("GET", "/v1/files?purpose=fine-tune&q=%41%2Fb",
                      key=key)
    heads = [h for c in up.snapshot() for h, _ in c]
    tap.ok(any(h.startswith("GET /v1/files?") and "q=%41%2Fb" in
               h.split("\r\n")[0] for h in heads),
           "the target is sent byte for byte (no normalizing)",
           repr([h.split("\r\n")[0] for h in heads[-2:]]))


def close_wait():
    """Sockets to the upstream in CLOSE_WAIT (its end closed, ours not)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == up.port and \
                    fields[3] == "08":
                n += 1
    return n


def test_idle_close():
    st1, _ = chat("idle-close")
    time.sleep(0.8)		# the upstream has closed its end
    tap.eq(close_wait(), 0, "an idle connection the upstream closed is "
           "closed by the gateway at once (no CLOSE_WAIT)")
    n = len(up.snapshot())
    st2, j2 = chat("ok")
    tap.ok(st1 == 200 and st2 == 200 and content(j2) == "scripted",
           "an idle connection the upstream closed: the next request "
           "succeeds", repr((st1, st2)))
    tap.eq(len(up.snapshot()), n + 1, "...on a new connection")


def where(script):
    """(connection, position) of the requests with that script."""
    return [(i, k) for i, c in enumerate(up.snapshot())
            for k, (h, _) in enumerate(c)
            if "x-fake-script: %s\r\n" % script in h + "\r\n"]


def test_retry_reused():
    chat("ok")
    st, j = chat("drop-reused")
    seen = where("drop-reused")
    tap.ok(st == 200 and content(j) == "scripted",
           "a request lost on a reused connection is retried on a fresh "
           "one", repr((st, j)))
    tap.ok(len(seen) == 2 and seen[0][1] > 0 and seen[1][1] == 0 and
           seen[1][0] == len(up.snapshot()) - 1,
           "...once: the lost try on the reused connection, the answered "
           "one first on a new one", repr(seen))


def test_connection_close():
    st1, _ = chat("close")
    st2, _ = chat("after-close")
    c1, c2 = where("close"), where("after-close")
    conns = up.snapshot()
    tap.ok(st1 == 200 and st2 == 200 and len(c1) == 1 and len(c2) == 1 and
           c1[0][0] != c2[0][0] and len(conns[c1[0][0]]) == c1[0][1] + 1,
           "Connection: close is honoured: the connection serves no more, "
           "the next request opens another", repr((st1, st2, c1, c2)))


def test_framings():
    for script in ("chunked", "until-close", "continue"):
        st, j = chat(script)
        tap.ok(st == 200 and content(j) == "scripted" and
               j["usage"]["total_tokens"] == 5,
               "%s answer: relayed whole" % script, repr((st, j)))


def test_refused():
    for script, want in (("cut", "upstream_error"),
                         ("cut-chunked", "upstream_error"),
                         ("cl-te", "upstream_error"),
                         ("two-cl", "upstream_error"),
                         ("bare-lf", "upstream_error"),
                         ("bad-chunk", "upstream_error"),
                         ("nothing", "upstream_error"),
                         ("te-gzip", "upstream_bad_encoding")):
        st, j = chat(script)
        got = j.get("code") or (j.get("error") or {}).get("code") \
            if isinstance(j, dict) else None
        tap.ok(st == 502 and want in json.dumps(j),
               "%s: 502 %s" % (script, want), repr((st, j, got)))
    st, j = chat("ok")
    tap.ok(st == 200, "the gateway serves on")


tap.run(test_reuse_and_request)
tap.run(test_target_as_is)
tap.run(test_idle_close)
tap.run(test_retry_reused)
tap.run(test_connection_close)
tap.run(test_framings)
tap.run(test_refused)
env.close(tap)
sys.exit(tap.done())
