#!/usr/bin/env python3
"""Large bodies: worker threads and the memory they may hold.

Bodies of worker_min_bytes and more are parsed, scanned and serialized on
worker threads (requests and whole JSON answers): the result is the same
as on the event loop, refusals are the same, a client that leaves while a
worker has its request is recorded, and max_bodies_bytes bounds the
memory that many large bodies in flight take.
"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body  # noqa: E402

tap = Tap()
env = Env("bodies")
SECRET = "bodies-test-secret-0123456789abcdef0123"


def big_text(n, pii=True):
    line = ("Please write to ada.lovelace@example.com or call +49 30 "
            "12345678 about IBAN DE89370400440532013000. " if pii else
            "Nothing personal in this line of filler text at all. ")
    return (line * (n // len(line) + 1))[:n]


def gateway(name, up, extra, policy="pseudonymize"):
    return env.gateway([{"name": "up", "url": up.url}], gateway=extra,
                       policies="[policy default]\npii = %s\n" % policy,
                       name=name, data_dir=os.path.join(env.dir, name),
                       env={"EUGATE_SECRET": SECRET})


def test_same_result(up):
    """A worker gives the bytes that the loop gives."""
    got = {}
    for name, extra in (("gwwork", "workers = 2\nworker_min_bytes = 1k\n"),
                        ("gwloop", "workers = 0\n")):
        gw = gateway(name, up, extra)
        key = gw.new_key("t")
        body = chat_body(big_text(300000))
        st, _, data = gw.api("POST", "/v1/chat/completions", body, key=key,
                             headers={"x-fake-answer-repeat": "1000"})
        sent = up.last()["body"]
        got[name] = (st, sent, data)
        gw.stop()
    st, sent, data = got["gwwork"]
    tap.eq(st, 200, "a 300 KB request through a worker: 200")
    tap.ok("ada.lovelace@example.com" not in sent and
           "DE89370400440532013000" not in sent and "<EMAIL_" in sent,
           "its personal data was pseudonymized before it left")
    answer = json.loads(data)["choices"][0]["message"]["content"]
    tap.ok(len(data) > 200000 and
           answer.count("ada.lovelace@example.com") > 1000 and
           "<EMAIL_" not in answer,
           "a %d KB answer was restored (on a worker too)" % (len(data) //
                                                             1024))
    tap.eq(got["gwwork"][1], got["gwloop"][1],
           "the upstream got the same bytes from a worker as from the loop")
    tap.eq(got["gwwork"][2], got["gwloop"][2],
           "the client got the same bytes from a worker as from the loop")


def test_refusals(up):
    gw = gateway("gwref", up, "workers = 1\nworker_min_bytes = 1k\n",
                 policy="block")
    key = gw.new_key("t")
    before = len(up.requests())
    st, _, data = gw.api("POST", "/v1/chat/completions",
                         '{"model":"m","messages":[' + "1," * 100000,
                         key=key,
                         headers={"Content-Type": "application/json"})
    tap.ok(st == 400 and json.loads(data)["code"] == "invalid_json",
           "200 KB of broken JSON on a worker: 400 invalid_json", data[:200])
    st, _, data = gw.api("POST", "/v1/chat/completions",
                         chat_body(big_text(200000)), key=key)
    tap.ok(st == 403 and json.loads(data)["code"] == "pii_blocked",
           "200 KB with personal data under pii = block: 403", data[:200])
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(big_text(200000, pii=False)), key=key)
    tap.eq(st, 200, "200 KB without personal data: 200")
    tap.eq(len(up.requests()), before + 1, "only that one went upstream")
    rows = gw.rows("status IN (400, 403)")
    tap.eq(sorted(r["error"] for r in rows), ["invalid_json", "pii_blocked"],
           "the refusals are recorded")
    gw.stop()


def test_client_leaves(up):
    gw = gateway("gwleave", up, "workers = 1\nworker_min_bytes = 1k\n")
    key = gw.new_key("t")
    payload = json.dumps(chat_body(big_text(8000000))).encode()
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"
            b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (key.encode(), len(payload)))
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
    s.sendall(head + payload)
    time.sleep(0.05)
    s.close()
    rows = None
    end = time.time() + 30
    while time.time() < end and not rows:
        rows = gw.rows("status = 499")
        time.sleep(0.1)
    tap.ok(rows and rows[0]["error"] == "client_closed",
           "a client that left while a worker scanned its 8 MB: recorded "
           "as 499", rows)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body("hi"),
                      key=key)
    tap.eq(st, 200, "the gateway serves on")
    gw.stop()


def test_memory_bound(up):
    """24 clients send 4 MB each at once; with max_bodies_bytes = 8m, at
    most two bodies are held (and scanned) at a time, and every request
    still gets its answer."""
    gw = gateway("gwmem", up, "max_bodies_bytes = 8m\n"
                 "client_header_timeout = 60s\nworkers = 2\n",
                 policy="off")
    key = gw.new_key("t")
    payload = json.dumps(chat_body(big_text(4000000, pii=False))).encode()
    base = gw.rss_kb()
    peak = [base]
    stop = [False]
    codes = []

    def sample():
        while not stop[0]:
            peak[0] = max(peak[0], gw.rss_kb())
            time.sleep(0.01)

    def one():
        st, _, _ = gw.http("POST", "/v1/chat/completions", payload,
                           {"Authorization": "Bearer " + key,
                            "Content-Type": "application/json",
                            "x-fake-answer-bytes": "10"}, timeout=120)
        codes.append(st)

    t = threading.Thread(target=sample)
    t.start()
    ths = [threading.Thread(target=one) for _ in range(24)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    stop[0] = True
    t.join()
    tap.eq(sorted(set(codes)), [200], "all 24 got 200")
    grown = (peak[0] - base) / 1024
    tap.ok(grown < 80, "memory grew by %.0f MB (96 MB of bodies sent; "
           "at most 8 MB held at once)" % grown)
    gw.stop()


def main():
    up = env.upstream()
    tap.run(test_same_result, up)
    tap.run(test_refusals, up)
    tap.run(test_client_leaves, up)
    tap.run(test_memory_bound, up)
    env.close(tap)
    tap.done()


if __name__ == "__main__":
    main()
