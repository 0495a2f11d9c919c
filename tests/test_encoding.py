"""Compressed upstream answers through the real eugate: gzip and deflate
are asked for and decoded before the policies see them (pseudonyms
restored in JSON and in streams, event by event), the client gets
identity, any other coding (br, zstd, unknown) is refused, and a
compression bomb stops at the caps with memory bounded, also while a slow
client pauses it."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, SSEReader, Tap, chat_body  # noqa: E402

tap = Tap()
env = Env("enc-")
up = env.upstream(name="up")
# Refused codings count as failures of the upstream: a high threshold
# keeps its breaker closed through this file's many of them.
gw = env.gateway([{"name": "up", "url": up.url, "models": "*",
                   "fail_threshold": 100}],
                 gateway="max_response_bytes = 1m\nmax_event_bytes = 64k\n",
                 policies="[policy default]\npii = pseudonymize\n")
key = gw.new_key("enc")
SECRET = "jane.doe@example.com"
PROMPT = "Please write to %s today." % SECRET
CODINGS = ("gzip", "deflate")


def code(data):
    try:
        return json.loads(data).get("code")
    except ValueError:
        return data[:100]


def test_json():
    for enc in CODINGS:
        st, h, data = gw.api("POST", "/v1/chat/completions",
                             chat_body(PROMPT), key=key,
                             headers={"x-fake-encoding": enc})
        sent = up.last()["body"]
        try:
            got = json.loads(data)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError):
            got = data[:200]
        tap.ok(st == 200 and got == "echo: " + PROMPT and SECRET not in sent,
               "%s: the answer is decoded and the pseudonym restored" % enc,
               repr(got))
        tap.ok("content-encoding" not in h and
               h.get("content-length") == str(len(data)),
               "%s: the client gets it uncompressed" % enc, repr(h))
        row = gw.row(h["x-request-id"])
        tap.eq((row["prompt_tokens"], row["completion_tokens"]), (10, 5),
               "%s: the usage in the compressed answer is read" % enc)


def test_stream():
    for enc in CODINGS:
        body = chat_body(PROMPT, stream=True)
        r = SSEReader(gw.port, body, key, headers={
            "x-fake-encoding": enc, "x-fake-events": "4",
            "x-fake-event-delay-ms": "30"})
        first = r.next_event()
        events = [first] + r.rest()
        r.close()
        text = "".join(json.loads(e[6:])["choices"][0]["delta"].get(
            "content", "") for e in events if e and e.startswith("data: {"))
        tap.ok(r.status == 200 and r.header("content-encoding") is None and
               first is not None and first.startswith("data: {"),
               "%s stream: relayed decoded, event by event" % enc,
               repr(events[:2]))
        tap.ok(SECRET in text and events[-1] == "data: [DONE]",
               "%s stream: the pseudonym is restored" % enc, repr(text))


def test_slow_client():
    """A slow client pauses a coded stream: nothing is lost or reordered
    when it resumes (the held piece and the rest of the chunk)."""
    for enc in CODINGS:
        r = SSEReader(gw.port, chat_body("slow", stream=True), key, headers={
            "x-fake-encoding": enc, "x-fake-events": "400",
            "x-fake-event-bytes": "60000"}, timeout=30)
        r.read_head()
        time.sleep(1.0)     # 24 MB decoded: the gateway pauses
        events = r.rest()
        r.close()
        data = [json.loads(e[6:]) for e in events
                if e.startswith("data: {")]
        sizes = [len(d["choices"][0]["delta"]["content"]) for d in data]
        tap.ok(len(data) == 400 and set(sizes) == {60000} and
               events[-1] == "data: [DONE]",
               "%s: a paused stream resumes whole, in order" % enc,
               "%d events, sizes %r" % (len(data), sorted(set(sizes))))


def test_refused():
    sent = up.last()["headers"].get("accept-encoding")
    tap.eq(sent, "gzip, deflate", "the upstream is asked for what the "
           "gateway decodes only")
    for enc in ("bogus", "br", "zstd"):
        before = len(up.requests())
        st, h, data = gw.api("POST", "/v1/chat/completions",
                             chat_body(PROMPT), key=key,
                             headers={"x-fake-encoding": enc,
                                      "Accept-Encoding": enc})
        tap.ok(st == 502 and code(data) == "upstream_bad_encoding" and
               SECRET not in data.decode(errors="replace"),
               "%s: refused with 502 upstream_bad_encoding" % enc,
               data[:200])
        tap.eq(up.last()["headers"].get("accept-encoding"), "gzip, deflate",
               "%s: the client's Accept-Encoding does not reach the "
               "upstream" % enc)
        row = gw.row(h["x-request-id"])
        tap.eq((row["status"], row["error"]), (502, "upstream_bad_encoding"),
               "%s: the record says why" % enc)
        r = SSEReader(gw.port, chat_body(PROMPT, stream=True), key,
                      headers={"x-fake-encoding": enc})
        r.read_head()
        r.close()
        tap.eq(r.status, 502, "%s, streamed: refused before the stream "
               "begins" % enc)
        tap.eq(len(up.requests()), before + 2, "%s: each reached the "
               "upstream once" % enc)


def test_bomb():
    rss0 = gw.rss_kb()
    peak = rss0
    for enc in ("gzip", "deflate"):
        for stream in (False, True):
            # 64 MB of zeros: 64 KB on the wire.
            n = 64 << 20
            st, h, data = gw.api("POST", "/v1/chat/completions",
                                 chat_body("x", stream=stream), key=key,
                                 headers={"x-fake-bomb": str(n),
                                          "x-fake-encoding": enc})
            peak = max(peak, gw.rss_kb())
            if stream:
                ok = st == 200 and b"event_too_large" in data
            else:
                ok = st == 502 and code(data) == "response_too_large"
            tap.ok(ok, "%s bomb%s: stopped at the cap" % (
                enc, " (stream)" if stream else ""), data[:200])
    # Endless small events to a client that reads nothing: the upstream
    # is paused with one decoded piece held, not the rest of the bomb.
    readers = []
    for _ in range(4):
        r = SSEReader(gw.port, chat_body("x", stream=True), key, headers={
            "x-fake-bomb": str(64 << 20), "x-fake-bomb-events": "1"})
        r.read_head()
        readers.append(r)
    time.sleep(2)
    paused = gw.rss_kb()
    peak = max(peak, paused)
    tap.ok(all(r.status == 200 for r in readers) and
           paused - rss0 < 24 * 1024,
           "bombs of events to slow clients: paused with memory bounded",
           "rss %d -> %d kB" % (rss0, paused))
    for r in readers:
        r.close()
    st, h, data = gw.api("POST", "/v1/chat/completions", chat_body("after"),
                         key=key)
    tap.eq(st, 200, "the gateway serves on after the bombs")
    peak = max(peak, gw.rss_kb())
    print("# rss before %d kB, peak %d kB" % (rss0, peak))
    tap.ok(peak - rss0 < 48 * 1024, "bombs: memory stays bounded",
           "rss %d -> %d kB" % (rss0, peak))


tap.run(test_json)
tap.run(test_stream)
tap.run(test_slow_client)
tap.run(test_refused)
tap.run(test_bomb)
env.close(tap)
tap.done()
