"""Streaming through eugate: event by event, cuts, client aborts,
back-pressure from a stopped client, idle timeouts."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, SSEReader, Tap, chat_body, wait_for  # noqa: E402

tap = Tap()
env = Env("stream-")
up = env.upstream(name="up")
gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                 gateway="client_buffer_bytes = 64k\n"
                 "upstream_idle_timeout = 700ms\n")
key = gw.new_key()


def content(ev):
    return json.loads(ev[6:])["choices"][0]["delta"]["content"]


def test_stream_in_order():
    r = SSEReader(gw.port, chat_body("stream me", stream=True), key)
    events = r.rest()
    r.close()
    tap.eq(len(events), 6, "stream: 5 chunks and [DONE]")
    tap.eq([content(e) for e in events[:5]],
           ["echo: stream me", " w1", " w2", " w3", " w4"],
           "stream: events in order, unchanged")
    tap.eq(events[-1], "data: [DONE]", "stream: [DONE] last")
    tap.ok("Transfer-Encoding: chunked" in r.head and
           "text/event-stream" in r.head, "stream: chunked SSE response")
    rid = r.header("x-request-id")
    row = gw.row(rid)
    tap.eq((row["status"], row["streamed"], row["prompt_tokens"],
            row["completion_tokens"]), (200, 1, 10, 5),
           "stream: usage from the last chunk recorded")


def test_first_event_early():
    n_done = len([e for e in up.events() if e["event"] == "done"])
    t0 = time.time()
    r = SSEReader(gw.port, chat_body("early", stream=True), key,
                  headers={"x-fake-events": "5",
                           "x-fake-event-delay-ms": "400"})
    first = r.next_event()
    t_first = time.time() - t0
    done_yet = len([e for e in up.events() if e["event"] == "done"])
    tap.ok(content(first) == "echo: early" and t_first < 0.35,
           "stream: the first event arrives at once (%.3fs)" % t_first)
    tap.eq(done_yet, n_done, "stream: ...before the upstream has finished")
    while r.next_event() is not None:
        pass
    tap.ok(time.time() - t0 > 1.5, "stream: the rest came as it was made")
    r.close()


def test_upstream_cut():
    r = SSEReader(gw.port, chat_body("cut", stream=True), key,
                  headers={"x-fake-events": "10", "x-fake-cut-after": "2"})
    events = r.rest()
    tap.eq(len(events), 3, "cut: two events then one error event", events)
    err = json.loads(events[-1][6:]) if events else {}
    tap.ok(err.get("object") == "error" and
           err.get("code") == "upstream_error",
           "cut: the error event names the failure", events[-1:])
    tap.ok(r.ended, "cut: the client stream still ends cleanly (last chunk)")
    tap.ok("data: [DONE]" not in events, "cut: no [DONE] after a cut")
    r.close()
    rid = r.header("x-request-id")
    tap.eq(gw.row(rid)["error"], "upstream_error", "cut: recorded")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "cut: the gateway serves on")


def test_client_disconnect():
    r = SSEReader(gw.port, chat_body("bye", stream=True), key,
                  headers={"x-fake-events": "50",
                           "x-fake-event-delay-ms": "100",
                           "X-Request-Id": "disconnect-1"})
    r.next_event()
    r.close()
    closed = wait_for(lambda: [e for e in up.events()
                               if e["event"] == "client_closed"], 5)
    tap.ok(closed and closed[-1]["sent"] < 50,
           "disconnect: the upstream transfer was aborted", closed)
    row = gw.row("disconnect-1")
    tap.ok(row and row["status"] == 499 and row["error"] == "client_closed",
           "disconnect: recorded as 499 client_closed", row)


def test_idle_timeout():
    r = SSEReader(gw.port, chat_body("slow", stream=True), key,
                  headers={"x-fake-events": "3",
                           "x-fake-event-delay-ms": "2000"})
    t0 = time.time()
    events = r.rest()
    r.close()
    tap.ok(len(events) == 2 and '"upstream_timeout"' in events[-1] and
           time.time() - t0 < 1.8,
           "idle upstream: the stream ends with upstream_timeout", events)


def test_backpressure():
    """kill -STOP of a client: memory stays bounded, the upstream waits."""
    total = 2000
    size = 32768
    base_rss = gw.rss_kb()
    body = json.dumps(chat_body("big", stream=True))
    out = os.path.join(env.dir, "curl.out")
    with open(out, "wb") as f:
        curl = subprocess.Popen(
            ["curl", "-sN", "-o", "-", "-H", "Authorization: Bearer " + key,
             "-H", "Content-Type: application/json",
             "-H", "x-fake-events: %d" % total,
             "-H", "x-fake-event-bytes: %d" % size,
             "-H", "X-Request-Id: backpressure-1",
             "--data-binary", body,
             "http://127.0.0.1:%d/v1/chat/completions" % gw.port],
            stdout=f)
    wait_for(lambda: os.path.getsize(out) > 1000000, 10)
    curl.send_signal(signal.SIGSTOP)
    time.sleep(1.0)
    rss1 = gw.rss_kb()
    time.sleep(2.0)
    rss2 = gw.rss_kb()
    done = [e for e in up.events() if e["event"] == "done"]
    streams = wait_for(lambda: [r for r in up.requests()
                                if r["headers"].get("x-request-id") ==
                                "backpressure-1"], 2)
    tap.ok(streams, "backpressure: the stream started")
    tap.ok(rss2 - rss1 < 1024,
           "backpressure: no growth while the client is stopped "
           "(%d KiB -> %d KiB)" % (rss1, rss2))
    tap.ok(rss2 - base_rss < 16 * 1024,
           "backpressure: %d KiB over the start for a %d MiB stream" %
           (rss2 - base_rss, total * size // 1048576))
    sent_before = os.path.getsize(out)
    tap.ok(sent_before < total * size // 2,
           "backpressure: the client got a fraction while stopped (%d)" %
           sent_before)
    n_done = len(done)
    curl.send_signal(signal.SIGCONT)
    rc = curl.wait(60)
    tap.eq(rc, 0, "backpressure: the stream completes after SIGCONT")
    with open(out, "rb") as f:
        data = f.read()
    tap.eq(data.count(b"\n\ndata: ") + 1, total + 1,
           "backpressure: every event arrived")
    tap.ok(data.endswith(b"data: [DONE]\n\n"), "backpressure: [DONE] last")
    tap.ok(len([e for e in up.events() if e["event"] == "done"]) == n_done + 1,
           "backpressure: the upstream finished only after the resume")
    row = gw.row("backpressure-1")
    tap.ok(row and row["completion_tokens"] == total,
           "backpressure: usage recorded", row)


def test_slow_reader_json():
    """A whole answer larger than the socket takes at once: the rest is
    written as the client reads, and the connection serves again."""
    import socket
    size = 3000000
    body = json.dumps(chat_body("big answer")).encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n" % (key, len(body))).encode()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect(("127.0.0.1", gw.port))
    s.sendall(head + b"x-fake-answer-bytes: %d\r\n\r\n" % size + body)
    time.sleep(0.5)  # eugate has written what the socket took, and waits

    def answer():
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        h, rest = data.split(b"\r\n\r\n", 1)
        n = int([line.split(b":")[1] for line in h.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")][0])
        while len(rest) < n:
            rest += s.recv(65536)
            time.sleep(0.0005)
        return h, rest
    h1, b1 = answer()
    s.sendall(head + b"\r\n" + body)
    h2, b2 = answer()
    s.close()
    c1 = json.loads(b1)["choices"][0]["message"]["content"]
    c2 = json.loads(b2)["choices"][0]["message"]["content"]
    tap.ok(h1.startswith(b"HTTP/1.1 200") and c1 == "x" * size,
           "slow reader: the %d-byte answer arrives whole" % size)
    tap.ok(h2.startswith(b"HTTP/1.1 200") and c2 == "echo: big answer",
           "slow reader: the same connection answers the next request", c2)


def test_burst_new_connections():
    """A burst of streams arriving together, to a plain-http upstream:
    they run side by side, none waits for another's transfer."""
    import socket
    n, delay = 200, 400
    body = json.dumps(chat_body("burst", stream=True)).encode()
    req = ("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"
           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
           "x-fake-events: 2\r\nx-fake-event-delay-ms: %d\r\n"
           "Connection: close\r\nContent-Length: %d\r\n\r\n" %
           (key, delay, len(body))).encode() + body
    socks = [socket.create_connection(("127.0.0.1", gw.port), timeout=30)
             for _ in range(n)]
    t0 = time.time()
    for s in socks:
        s.sendall(req)
    done = 0
    for s in socks:
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        done += b"data: [DONE]" in data
    wall = time.time() - t0
    tap.ok(done == n and wall < 2 * (2 * delay) / 1000.0 + 1.0,
           "burst: %d streams of 2 events %d ms apart, sent together, all "
           "done in %.2f s" % (n, delay, wall), done)


for t in (test_stream_in_order, test_first_event_early, test_upstream_cut,
          test_client_disconnect, test_idle_timeout, test_backpressure,
          test_slow_reader_json, test_burst_new_connections):
    tap.run(t)
env.close(tap)
tap.done()
