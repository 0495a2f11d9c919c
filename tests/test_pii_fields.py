"""Personal data in any field of a request, and behind formatting tricks,
through the real daemon: for each field shape and each Unicode trick, no
fragment of the value reaches the upstream; texts without personal data
reach it unchanged; structural keys with other values are read."""
import json
import os
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap, chat_body  # noqa: E402

tap = Tap()
env = Env("piif-")
up = env.upstream(name="up")
gw = env.gateway(
    [{"name": "up", "url": up.url, "models": "*"}],
    # PII, not ownership: ids made outside eugate are reachable.
    policies="[policy default]\npii = pseudonymize\nshared_objects = on\n"
             "[policy loose]\npii = pseudonymize\npii_unscannable = allow\n"
             "shared_objects = on\n")
key = gw.new_key("fields")
loose = gw.new_key("loose", policy="loose")

EMAIL = "jane.doe@example.com"
IBAN = "DE89 3704 0044 0532 0130 00"
PHONE = "+49 30 1234567"

# Latin look-alikes of the tests' tricks, as a reader would take them.
LOOKALIKE = {"\u043e": "o", "\u0430": "a", "\u0435": "e", "\u0440": "p",
             "\u0441": "c", "\u03bf": "o"}


def plain(text):
    """What a person reads: NFKC, invisible characters gone, look-alike
    letters Latin."""
    t = unicodedata.normalize("NFKC", text)
    t = "".join(c for c in t if unicodedata.category(c) not in ("Cf", "Mn"))
    return "".join(LOOKALIKE.get(c, c) for c in t).lower()


def digit_runs(text):
    """Runs of digits with their separators removed."""
    t = plain(text)
    runs = re.findall(r"\d(?:[\d\s\-./()]|\u2010|\u2011|\u2212)*", t)
    return ["".join(str(unicodedata.digit(c)) for c in r if c.isdigit())
            for r in runs]


def leaks(value, text):
    """The fragments of value found in text: a run of 6 of its digits,
    or its local part."""
    v = plain(value)
    found = []
    digits = "".join(c for c in v if c.isdigit())
    runs = digit_runs(text)
    for i in range(len(digits) - 5):
        if any(digits[i:i + 6] in r for r in runs):
            found.append(digits[i:i + 6])
            break
    if "@" in v:
        local = v.split("@")[0]
        if local in plain(text) or local.split(".")[0] in plain(text):
            found.append(local)
    return found


def sent():
    """The text of the last request the upstream got, decoded."""
    rec = up.last()
    body = rec.get("body") or ""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return body


def check(name, path, body, values=(EMAIL, IBAN, PHONE), k=None,
          headers=None, want=200):
    before = len(up.requests())
    st, _, res = gw.api("POST", path, body, key=k or key, headers=headers)
    if len(up.requests()) == before:
        tap.ok(False, "%s: reached the upstream" % name, (st, res[:300]))
        return
    text = sent()
    bad = [(v, leaks(v, text)) for v in values if leaks(v, text)]
    tap.ok(st == want and not bad, "%s: no fragment reached the upstream"
           % name, (st, bad, text[:600]))


def fields_chat():
    """A chat body with the values in every field shape of the issue."""
    return {
        "messages": [
            {"role": "user", "name": EMAIL, "content": "hello"},
            {"role": "user", "content": [
                {"type": "text", "text": "see", "extra": {
                    "deep": {"note": "IBAN " + IBAN}}},
                {"type": "note_v9", "body": "call " + PHONE}]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "DE89370400440532013000", "type": "function",
                 "function": {"name": "mail_" + EMAIL,
                              "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "DE89370400440532013000",
             "name": "mail", "content": "ok"}],
    }


def test_field_shapes():
    b = chat_body("hello")
    b["messages"][0]["name"] = EMAIL
    check("messages[].name", "/v1/chat/completions", b, (EMAIL,))
    tool = {"type": "function", "function": {
        "name": "lookup", "description": "Escalate to " + EMAIL,
        "parameters": {"type": "object", "properties": {
            "iban": {"type": "string", "description": "e.g. " + IBAN,
                     "examples": [IBAN]},
            "who": {"type": "string", "enum": [EMAIL, "other"],
                    "default": PHONE}}}}}
    check("tools[].function description, schema descriptions, enum, "
          "examples, default", "/v1/chat/completions",
          chat_body("hello", tools=[tool]))
    rf = {"type": "json_schema", "json_schema": {
        "name": "answer", "schema": {"type": "object", "properties": {
            "a": {"type": "string", "description": "like " + EMAIL}}},
        "description": "for " + PHONE}}
    check("response_format json_schema", "/v1/chat/completions",
          chat_body("hello", response_format=rf), (EMAIL, PHONE))
    check("stop strings", "/v1/chat/completions",
          chat_body("hello", stop=[EMAIL, "IBAN " + IBAN]), (EMAIL, IBAN))
    check("prediction", "/v1/chat/completions",
          chat_body("hello", prediction={"type": "content",
                                         "content": "Dear " + EMAIL}),
          (EMAIL,))
    check("unknown top-level field", "/v1/chat/completions",
          chat_body("hello", x_customer={"contact": PHONE, "mail": EMAIL}),
          (EMAIL, PHONE))
    b = fields_chat()
    b["model"] = "mistral-small-latest"
    check("unknown part type, nested objects in content, tool-call names "
          "and ids", "/v1/chat/completions", b)
    check("metadata keys", "/v1/chat/completions",
          chat_body("hello", metadata={EMAIL: "vip", "iban " + IBAN: 1}),
          (EMAIL, IBAN))
    check("JSON text with escapes in any field", "/v1/chat/completions",
          chat_body("hello", metadata={"payload": json.dumps(
              {"to": EMAIL}).replace("@", "\\u0040")}), (EMAIL,))
    batch = {"endpoint": "/v1/chat/completions",
             "model": "mistral-small-latest", "requests": [
                 {"custom_id": EMAIL, "body": {
                     "messages": [{"role": "user", "content": "hi",
                                   "name": "IBAN " + IBAN}],
                     "stop": [PHONE]}}]}
    check("inline batch request bodies", "/v1/batch/jobs", batch)
    conv = {"model": "mistral-small-latest", "inputs": [
        {"type": "message.input", "role": "user", "content": "hi",
         "prefix": False},
        {"type": "function.result", "tool_call_id": EMAIL,
         "result": "IBAN " + IBAN}],
        "completion_args": {"stop": PHONE},
        "tools": [{"type": "function", "function": {
            "name": "f", "description": "mail " + EMAIL,
            "parameters": {}}}]}
    check("conversation inputs, completion_args, tools",
          "/v1/conversations", conv)
    check("moderation input", "/v1/moderations",
          {"model": "mistral-moderation-latest",
           "input": ["call " + PHONE, {"x": EMAIL}]}, (EMAIL, PHONE))
    check("OCR annotation prompt and format", "/v1/ocr",
          {"model": "mistral-ocr-latest", "document": {
              "type": "document_url",
              "document_url": "https://x.example/a.pdf",
              "document_name": "cv of " + EMAIL},
           "document_annotation_prompt": "find " + PHONE,
           "document_annotation_format": {"type": "json_schema",
                                          "json_schema": {
                                              "name": "n", "schema": {
                                                  "description": IBAN}}}},
          k=loose)


def test_structural_keys():
    b = chat_body("hello")
    b["messages"][0]["role"] = "bob@example.com"
    check("a role that is no role is read", "/v1/chat/completions", b,
          ("bob@example.com",))
    check("a model holding an address is read", "/v1/chat/completions",
          chat_body("hello", model="bob@example.com"), ("bob@example.com",))
    b = chat_body("hello")
    b["messages"][0]["content"] = [{"type": "call " + PHONE, "text": "x"}]
    check("a type that is no type is read", "/v1/chat/completions", b,
          (PHONE,))
    check("a file_id that is no id is read", "/v1/chat/completions",
          chat_body("hello", metadata={"file_id": EMAIL}), (EMAIL,))


TRICKS = [
    ("zero-width space inside an e-mail", "jane.d\u200boe@exam\u200cple.com",
     "jane.doe@example.com"),
    ("soft hyphens inside an IBAN",
     "DE89\u00ad3704\u00ad0044\u00ad0532\u00ad0130\u00ad00", IBAN),
    ("fullwidth digits of a phone",
     "\uff0b\uff14\uff19 \uff13\uff10 \uff11\uff12\uff13\uff14\uff15\uff16"
     "\uff17", PHONE),
    ("fullwidth at sign", "jane.doe\uff20example.com", EMAIL),
    ("NBSP between IBAN groups",
     "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", IBAN),
    ("narrow NBSP and thin space in a phone", "+49\u202f30\u20091234567",
     PHONE),
    ("U+2011 in a phone", "+49\u201130\u20111234567", PHONE),
    ("Cyrillic o inside an e-mail", "jane.d\u043ee@example.com", EMAIL),
    ("Greek omicron and Cyrillic a in an e-mail",
     "j\u0430ne.d\u03bfe@example.com", EMAIL),
    ("word joiner and BOM in an IBAN",
     "DE89 3704\u2060 0044 \ufeff0532 0130 00", IBAN),
    ("Arabic-Indic digits of a phone",
     "+\u0664\u0669 \u0663\u0660 \u0661\u0662\u0663\u0664\u0665\u0666"
     "\u0667", PHONE),
    ("combining marks on digits", "+4\u03019 30 12\u030134567", PHONE),
]


def test_tricks():
    for name, value, orig in TRICKS:
        text = "please contact %s today" % value
        st, _, res = gw.api("POST", "/v1/chat/completions", chat_body(text),
                            key=key)
        got = sent()
        bad = leaks(value, got) + leaks(orig, got)
        tap.ok(st == 200 and not bad and "<" in got,
               "%s: no fragment reached the upstream" % name, (bad, got))
        echo = json.loads(res)["choices"][0]["message"]["content"]
        tap.eq(echo, "echo: " + text,
               "%s: the client gets its own bytes back" % name)
        # The same trick in a field that is not message content.
        check("%s, in a tool description" % name, "/v1/chat/completions",
              chat_body("hi", tools=[{"type": "function", "function": {
                  "name": "f", "description": "ask " + value,
                  "parameters": {}}}]), (orig,))


def test_same_token():
    gw.api("POST", "/v1/chat/completions",
           chat_body("a jane.doe@example.com b "
                     "j\u200bane.doe\uff20example.com"), key=key)
    toks = re.findall(r"<EMAIL_[0-9A-Z]+>", sent())
    tap.ok(len(toks) == 2 and toks[0] == toks[1],
           "a value and its disguised form get the same token", toks)


def test_unchanged():
    body = {
        "model": "mistral-large-2411", "temperature": 0.3, "top_p": 1,
        "max_tokens": 128, "random_seed": 42, "safe_prompt": False,
        "stream": False, "n": 1, "reasoning_effort": "high",
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "weather", "strict": True, "schema": {
                "type": "object", "additionalProperties": False,
                "required": ["city"], "properties": {
                    "city": {"type": "string", "description": "A city"},
                    "unit": {"type": "string",
                             "enum": ["celsius", "fahrenheit"]}}}}},
        "tool_choice": "auto", "parallel_tool_calls": True,
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {
                "city": {"type": "string"}}}}}],
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Lyon, 2024-05-14?"},
                {"type": "file",
                 "file_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}]},
            {"role": "assistant", "content": "", "tool_calls": [{
                "id": "D681PevKs", "type": "function", "function": {
                    "name": "get_weather",
                    "arguments": "{\"city\": \"Lyon\"}"}}, {
                "id": "AB1234567", "type": "function", "function": {
                    "name": "get_weather",
                    "arguments": "{\"city\": \"Turin\"}"}}]},
            {"role": "tool", "tool_call_id": "D681PevKs",
             "name": "get_weather", "content": "12 C, cloudy"},
            {"role": "tool", "tool_call_id": "AB1234567",
             "name": "get_weather", "content": "9 C, rain"}],
        "metadata": {"request_source": "ci", "build": "v1.2.3"},
        "prompt_mode": "reasoning",
    }
    raw = json.dumps(body, separators=(",", ":"))
    st, _, _ = gw.api("POST", "/v1/chat/completions", raw, key=loose,
                      headers={"Content-Type": "application/json"})
    got = up.last()["body"]
    tap.ok(st == 200 and json.loads(got) == body,
           "no personal data: ids, model names, enums, schemas and "
           "arguments reach the upstream unchanged",
           got if json.loads(got) != body else None)
    tap.eq(got, raw, "no personal data: forwarded byte for byte")
    for model in ("ft:open-mistral-7b:587a6b29:20240514:7e773925",
                  "mistral-embed", "codestral-2501", "pixtral-12b-2409",
                  "meta-llama/Llama-3.1-8B-Instruct"):
        gw.api("POST", "/v1/chat/completions", chat_body("hi", model=model),
               key=key)
        tap.eq(json.loads(up.last()["body"])["model"], model,
               "model name %s unchanged" % model)


def form(parts, boundary="----eugatepiif"):
    body = b"preamble\r\n"
    for name, value, filename in parts:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"%s\r\n"
                 % (boundary, name, '; filename="%s"' % filename
                    if filename else "")).encode()
        body += b"\r\n" + value + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def test_multipart():
    body, hdrs = form([("model", b"voxtral-mini-latest", None),
                       ("file_url", b"https://x.example/a.mp3", None),
                       ("language", b"en", None),
                       ("speaker_hint", ("mail " + EMAIL + " or "
                                         "j\u200bane.doe\uff20example.com")
                        .encode(), None),
                       ("timestamp_granularities[]", PHONE.encode(), None),
                       ("context_bias", IBAN.encode(), None)])
    st, _, _ = gw.api("POST", "/v1/audio/transcriptions", body, key=key,
                      headers=hdrs)
    got = up.last()
    bad = [(v, leaks(v, got["body"])) for v in (EMAIL, IBAN, PHONE)
           if leaks(v, got["body"])]
    tap.ok(st == 200 and not bad and "voxtral-mini-latest" in got["body"]
           and 'name="language"\r\n\r\nen\r\n' in got["body"],
           "multipart: every text field read, structural ones kept",
           (bad, got["body"]))
    body, hdrs = form([("model", b"voxtral-mini-latest", None),
                       ("file", b"RIFF fake audio", "call-%s.wav" % EMAIL)])
    gw.api("POST", "/v1/audio/transcriptions", body, key=loose, headers=hdrs)
    got = up.last()["body"]
    tap.ok(not leaks(EMAIL, got) and "RIFF fake audio" in got,
           "multipart: a file name is read, the file goes as it is", got)


def test_unscannable():
    img = chat_body("hello")
    img["messages"][0]["content"] = [{"type": "text", "text": "x"}, {
        "type": "mystery", "payload": "data:image/png;base64,iVBORw0KGgo="}]
    st, _, res = gw.api("POST", "/v1/chat/completions", img, key=key)
    tap.ok(st == 403 and json.loads(res)["code"] == "unscannable_content",
           "a data: URI anywhere is unscannable (blocked by default)", res)
    st, _, _ = gw.api("POST", "/v1/chat/completions", img, key=loose)
    tap.ok(st == 200 and "iVBORw0KGgo=" in up.last()["body"],
           "pii_unscannable = allow: the data: URI goes unread")


for t in (test_field_shapes, test_structural_keys, test_tricks,
          test_same_token, test_unchanged, test_multipart,
          test_unscannable):
    tap.run(t)
env.close(tap)
tap.done()
