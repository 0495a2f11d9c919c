"""The fake upstream keeps objects (tests/fake_objects.c): what one
request creates, later ones list (in pages), read, change and delete,
in Mistral's shapes and id forms; unknown ids are 404. Talks to
eugate-demo-upstream directly, without the gateway."""
import http.client
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, Tap  # noqa: E402

tap = Tap()
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                  r"[0-9a-f]{12}$")
AGENT = re.compile(r"^ag_[0-9a-f]{32}$")
CONV = re.compile(r"^conv_[0-9a-f]{32}$")
FT = re.compile(r"^ft:open-mistral-7b:[0-9a-f]{8}:20[0-9]{6}:[0-9a-f]{8}$")


class Fake:
    def __init__(self, up):
        self.port = up.port

    def call(self, method, path, body=None, headers=None):
        """(status, headers, parsed JSON or the bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        h = {k.lower(): v for k, v in resp.getheaders()}
        if h.get("content-type") == "application/json" and data:
            data = json.loads(data)
        return resp.status, h, data

    def form(self, path, parts):
        """POSTs multipart/form-data: parts are (name, filename, bytes)."""
        b = b"----fakeobjects"
        body = b""
        for name, filename, data in parts:
            body += b"--%s\r\nContent-Disposition: form-data; name=\"%s\"" % (
                b, name.encode())
            if filename is not None:
                body += b"; filename=\"%s\"\r\nContent-Type: text/plain" % (
                    filename.encode())
            body += b"\r\n\r\n" + data + b"\r\n"
        body += b"--%s--\r\n" % b
        return self.call("POST", path, body, {
            "Content-Type": "multipart/form-data; boundary=" + b.decode()})

    def upload(self, data, name="in.jsonl", purpose=b"batch"):
        st, _, f = self.form("/v1/files", [("purpose", None, purpose),
                                           ("file", name, data)])
        assert st == 200, (st, f)
        return f

    def gone(self, method, path):
        """A 404 in Mistral's envelope, code not_found."""
        st, _, e = self.call(method, path)
        return st == 404 and isinstance(e, dict) and \
            e.get("code") == "not_found" and e.get("object") == "error"


def test_files(f):
    a = f.upload(b'{"custom_id":"1"}\n{"custom_id":"2"}\n', "a.jsonl")
    tap.ok(UUID.match(a["id"]) and a["object"] == "file" and
           a["bytes"] == 36 and a["filename"] == "a.jsonl" and
           a["purpose"] == "batch" and a["sample_type"] == "batch_request" and
           a["source"] == "upload" and a["num_lines"] == 2 and
           isinstance(a["created_at"], int) and "_content" not in a,
           "files: an upload answers a file with a UUID and its bytes", a)
    b = f.upload(b"x" * 10, "b.txt", b"fine-tune")
    c = f.upload(b"\x00\xff binary", "c.bin", b"ocr")
    st, _, page0 = f.call("GET", "/v1/files?page=0&page_size=2")
    st1, _, page1 = f.call("GET", "/v1/files?page=1&page_size=2")
    tap.ok(st == 200 and st1 == 200 and page0["object"] == "list" and
           page0["total"] == 3 and page1["total"] == 3 and
           [x["id"] for x in page0["data"] + page1["data"]] ==
           [c["id"], b["id"], a["id"]],
           "files: listed newest first, in pages of page_size", (page0,
                                                                 page1))
    st, _, only = f.call("GET", "/v1/files?purpose=ocr")
    tap.ok(st == 200 and [x["id"] for x in only["data"]] == [c["id"]],
           "files: purpose filters the list", only)
    st, _, got = f.call("GET", "/v1/files/" + b["id"])
    tap.ok(st == 200 and got["id"] == b["id"] and got["bytes"] == 10 and
           got["deleted"] is False, "files: read one", got)
    st, h, data = f.call("GET", "/v1/files/%s/content" % c["id"])
    tap.ok(st == 200 and data == b"\x00\xff binary" and
           h["content-type"] == "application/octet-stream" and
           h["content-disposition"] == 'attachment; filename="c.bin"',
           "files: the content is the bytes uploaded", (st, h, data))
    st, _, url = f.call("GET", "/v1/files/%s/url" % a["id"])
    tap.ok(st == 200 and url["url"].startswith("https://fake/"),
           "files: a signed URL", url)
    st, _, d = f.call("DELETE", "/v1/files/" + b["id"])
    tap.ok(st == 200 and d == {"id": b["id"], "object": "file",
                               "deleted": True}, "files: delete", d)
    tap.ok(f.gone("GET", "/v1/files/" + b["id"]) and
           f.gone("GET", "/v1/files/%s/content" % b["id"]) and
           f.gone("DELETE", "/v1/files/" + b["id"]) and
           f.gone("GET", "/v1/files/%s/url" % b["id"]),
           "files: 404 not_found after the delete")
    st, _, lst = f.call("GET", "/v1/files")
    tap.eq(lst["total"], 2, "files: the list lost it")
    for query in ("page_size=101", "page_size=0", "page=-1", "page=x"):
        st, _, e = f.call("GET", "/v1/files?" + query)
        tap.ok(st == 422 and e["detail"][0]["loc"][0] == "query",
               "files: %s is a 422" % query, (st, e))
    st, _, e = f.form("/v1/files", [("purpose", None, b"batch")])
    tap.ok(st == 422 and e["detail"][0]["loc"] == ["body", "file"],
           "files: no file part is a 422", e)
    st, _, e = f.form("/v1/files", [("purpose", None, b"nope"),
                                    ("file", "a", b"x")])
    tap.eq(st, 422, "files: an unknown purpose is a 422", e)


def test_batch(f):
    inp = f.upload(b'{"custom_id":"ok","body":{"messages":[{"role":"user",'
                   b'"content":"hi batch"}]}}\n'
                   b'{"custom_id":"bad","body":{}}\n')
    st, _, job = f.call("POST", "/v1/batch/jobs", {
        "input_files": [inp["id"]], "endpoint": "/v1/chat/completions",
        "model": "mistral-small-latest"})
    tap.ok(st == 200 and UUID.match(job["id"]) and
           job["object"] == "batch" and job["status"] == "QUEUED" and
           job["input_files"] == [inp["id"]] and job["total_requests"] == 2
           and job["output_file"] is None and "_requests" not in job,
           "batch: created QUEUED from its input file", job)
    st, _, lst = f.call("GET", "/v1/batch/jobs")
    tap.ok(lst["total"] == 1 and lst["object"] == "list" and
           lst["data"][0]["status"] == "QUEUED", "batch: listed, queued",
           lst)
    st, _, done = f.call("GET", "/v1/batch/jobs/" + job["id"])
    tap.ok(st == 200 and done["status"] == "SUCCESS" and
           UUID.match(done["output_file"]) and UUID.match(done["error_file"])
           and done["succeeded_requests"] == 1 and
           done["failed_requests"] == 1 and done["completed_requests"] == 2,
           "batch: the first read runs it: SUCCESS, output and error files",
           done)
    st, _, out = f.call("GET", "/v1/files/%s/content" % done["output_file"])
    line = json.loads(out.decode())
    tap.ok(line["custom_id"] == "ok" and
           line["response"]["status_code"] == 200 and
           line["response"]["body"]["choices"][0]["message"]["content"] ==
           "echo: hi batch", "batch: the output file holds the answer", out)
    st, _, err = f.call("GET", "/v1/files/%s/content" % done["error_file"])
    tap.ok(json.loads(err.decode())["custom_id"] == "bad",
           "batch: the error file the failed request", err)
    st, _, meta = f.call("GET", "/v1/files/" + done["output_file"])
    tap.ok(meta["sample_type"] == "batch_result" and
           meta["source"] == "mistral" and meta["num_lines"] == 1,
           "batch: the output is a file object of its own", meta)
    st, _, lst = f.call("GET", "/v1/batch/jobs")
    tap.eq(lst["data"][0]["output_file"], done["output_file"],
           "batch: the listed job shows its output file once done")
    st, _, inline = f.call("POST", "/v1/batch/jobs", {
        "endpoint": "/v1/embeddings", "model": "mistral-embed",
        "requests": [{"custom_id": "e", "body": {"input": "x"}}]})
    st, _, cancel = f.call("POST", "/v1/batch/jobs/%s/cancel" % inline["id"])
    st2, _, after = f.call("GET", "/v1/batch/jobs/" + inline["id"])
    tap.ok(inline["total_requests"] == 1 and
           cancel["status"] == "CANCELLATION_REQUESTED" and
           after["status"] == "CANCELLED" and after["output_file"] is None,
           "batch: inline requests; cancel, then CANCELLED", (inline, cancel,
                                                              after))
    st, _, lst = f.call("GET", "/v1/batch/jobs?page=0&page_size=1")
    tap.ok(lst["total"] == 2 and [j["id"] for j in lst["data"]] ==
           [inline["id"]], "batch: pages, newest first", lst)
    st, _, d = f.call("DELETE", "/v1/batch/jobs/" + inline["id"])
    tap.ok(st == 200 and d["deleted"] is True and
           f.gone("GET", "/v1/batch/jobs/" + inline["id"]) and
           f.gone("POST", "/v1/batch/jobs/%s/cancel" % inline["id"]),
           "batch: delete, then 404", d)
    st, _, e = f.call("POST", "/v1/batch/jobs", {
        "input_files": ["00000000-0000-4000-8000-000000000000"],
        "endpoint": "/v1/chat/completions"})
    tap.ok(st == 404 and e["code"] == "not_found",
           "batch: an unknown input file is a 404", e)
    st, _, e = f.call("POST", "/v1/batch/jobs", {"requests": []})
    tap.eq(st, 422, "batch: no endpoint is a 422", e)


def test_fine_tuning(f):
    train = f.upload(b'{"messages":[]}\n', "train.jsonl", b"fine-tune")
    st, _, job = f.call("POST", "/v1/fine_tuning/jobs", {
        "model": "open-mistral-7b",
        "training_files": [{"file_id": train["id"], "weight": 1}]})
    tap.ok(st == 200 and UUID.match(job["id"]) and
           job["status"] == "QUEUED" and job["model"] == "open-mistral-7b" and
           job["training_files"] == [train["id"]] and
           job["fine_tuned_model"] is None,
           "fine-tuning: a job is created QUEUED", job)
    st, _, models = f.call("GET", "/v1/models")
    tap.eq([m["id"] for m in models["data"]], ["mistral-small-latest"],
           "models: the base models before")
    st, _, done = f.call("GET", "/v1/fine_tuning/jobs/" + job["id"])
    model = done["fine_tuned_model"]
    tap.ok(done["status"] == "SUCCESS" and FT.match(model or ""),
           "fine-tuning: the first read finishes it with a model id", done)
    st, _, models = f.call("GET", "/v1/models")
    card = [m for m in models["data"] if m["id"] == model]
    tap.ok(len(card) == 1 and card[0]["object"] == "model" and
           card[0]["type"] == "fine-tuned" and card[0]["job"] == job["id"] and
           card[0]["root"] == "open-mistral-7b" and
           UUID.match(card[0]["owned_by"]) and
           models["data"][0]["type"] == "base",
           "models: the fine-tuned model is listed, owned by the org", models)
    st, _, got = f.call("GET", "/v1/models/" + model)
    tap.ok(st == 200 and got["id"] == model, "models: read it", got)
    st, _, lst = f.call("GET", "/v1/fine_tuning/jobs")
    tap.ok(lst["object"] == "list" and lst["total"] == 1 and
           lst["data"][0]["fine_tuned_model"] == model,
           "fine-tuning: the job list", lst)
    st, _, upd = f.call("PATCH", "/v1/fine_tuning/models/" + model,
                        {"name": "mine", "description": "d"})
    tap.ok(st == 200 and upd["name"] == "mine" and
           upd["model_type"] == "completion", "models: PATCH name", upd)
    st, _, arc = f.call("POST", "/v1/fine_tuning/models/%s/archive" % model)
    st, _, got = f.call("GET", "/v1/models/" + model)
    st2, _, un = f.call("DELETE", "/v1/fine_tuning/models/%s/archive" % model)
    tap.ok(arc == {"id": model, "object": "model", "archived": True} and
           got["archived"] is True and got["name"] == "mine" and
           un["archived"] is False, "models: archive and unarchive",
           (arc, got, un))
    st, _, d = f.call("DELETE", "/v1/models/" + model)
    tap.ok(d == {"id": model, "object": "model", "deleted": True} and
           f.gone("GET", "/v1/models/" + model) and
           f.gone("PATCH", "/v1/fine_tuning/models/" + model),
           "models: delete, then 404", d)
    st, _, models = f.call("GET", "/v1/models")
    tap.eq(len(models["data"]), 1, "models: the list lost it")
    st, _, e = f.call("DELETE", "/v1/models/mistral-small-latest")
    tap.eq(st, 403, "models: a base model is not deleted", e)
    st, _, e = f.call("POST", "/v1/fine_tuning/jobs", {
        "model": "open-mistral-7b", "training_files": ["nope"]})
    tap.eq(st, 404, "fine-tuning: an unknown training file is a 404", e)
    tap.ok(f.gone("GET", "/v1/fine_tuning/jobs/nope"),
           "fine-tuning: an unknown job is a 404")


def test_agents(f, keep):
    ids = []
    for i in range(3):
        st, _, a = f.call("POST", "/v1/agents", {
            "model": "mistral-medium-latest", "name": "a%d" % i,
            "instructions": "be brief"})
        ids.append(a["id"])
    tap.ok(st == 200 and AGENT.match(a["id"]) and a["object"] == "agent" and
           a["version"] == 0 and a["instructions"] == "be brief" and
           a["name"] == "a2" and a["created_at"].endswith("Z"),
           "agents: created with an ag_ id, version 0", a)
    st, _, p0 = f.call("GET", "/v1/agents?page=0&page_size=2")
    st, _, p1 = f.call("GET", "/v1/agents?page=1&page_size=2")
    tap.ok(isinstance(p0, list) and [x["id"] for x in p0 + p1] ==
           ids[::-1], "agents: a bare array, newest first, in pages",
           (p0, p1))
    st, _, u = f.call("PATCH", "/v1/agents/" + ids[0],
                      {"instructions": "be long"})
    st, _, g = f.call("GET", "/v1/agents/" + ids[0])
    tap.ok(u["version"] == 1 and u["versions"] == [0, 1] and
           g["instructions"] == "be long" and g["name"] == "a0",
           "agents: PATCH makes a new version", (u, g))
    st, h, body = f.call("DELETE", "/v1/agents/" + ids[0])
    tap.ok(st == 204 and f.gone("GET", "/v1/agents/" + ids[0]) and
           f.gone("PATCH", "/v1/agents/" + ids[0]) and
           f.gone("DELETE", "/v1/agents/" + ids[0]),
           "agents: delete (204), then 404", st)
    st, _, e = f.call("POST", "/v1/agents", {"model": "m"})
    tap.eq(st, 422, "agents: no name is a 422", e)
    keep.append(ids[1])


def test_conversations(f, agent):
    st, _, r = f.call("POST", "/v1/conversations", {
        "model": "mistral-medium-latest", "inputs": "hello"})
    cid = r["conversation_id"]
    tap.ok(st == 200 and CONV.match(cid) and
           r["object"] == "conversation.response" and
           r["outputs"][0]["content"] == "echo: hello" and
           r["usage"]["total_tokens"] == 16,
           "conversations: start answers a conv_ id", r)
    st, _, r2 = f.call("POST", "/v1/conversations/" + cid, {
        "inputs": [{"role": "user", "content": "again"}]})
    tap.ok(r2["conversation_id"] == cid and
           r2["outputs"][0]["content"] == "echo: again",
           "conversations: append keeps the id", r2)
    st, _, g = f.call("GET", "/v1/conversations/" + cid)
    tap.ok(g["id"] == cid and g["object"] == "conversation" and
           g["model"] == "mistral-medium-latest" and "_entries" not in g,
           "conversations: read it", g)
    st, _, h = f.call("GET", "/v1/conversations/%s/history" % cid)
    tap.ok(h["object"] == "conversation.history" and
           [(e["type"], e["content"]) for e in h["entries"]] ==
           [("message.input", "hello"), ("message.output", "echo: hello"),
            ("message.input", "again"), ("message.output", "echo: again")],
           "conversations: the history holds every entry", h)
    st, _, ms = f.call("GET", "/v1/conversations/%s/messages" % cid)
    tap.ok(ms["object"] == "conversation.messages" and
           len(ms["messages"]) == 4, "conversations: messages", ms)
    st, _, rs = f.call("POST", "/v1/conversations/%s/restart" % cid, {
        "inputs": "redo", "from_entry_id": h["entries"][1]["id"]})
    st, _, rh = f.call("GET", "/v1/conversations/%s/history" %
                       rs["conversation_id"])
    tap.ok(CONV.match(rs["conversation_id"]) and rs["conversation_id"] != cid
           and [e["content"] for e in rh["entries"]] ==
           ["hello", "echo: hello", "redo", "echo: redo"],
           "conversations: restart from an entry is a new conversation",
           (rs, rh))
    st, h2, sse = f.call("POST", "/v1/conversations", {
        "model": "mistral-medium-latest", "inputs": "streamed",
        "stream": True})
    events = re.findall(rb"event: ([a-z.]+)\ndata: (.*)\n\n", sse)
    started = json.loads(events[0][1])
    text = "".join(json.loads(d)["content"] for e, d in events
                   if e == b"message.output.delta")
    tap.ok(h2["content-type"] == "text/event-stream" and
           [e for e, _ in events] == [b"conversation.response.started",
                                      b"message.output.delta",
                                      b"message.output.delta",
                                      b"conversation.response.done"] and
           text == "echo: streamed" and
           f.call("GET", "/v1/conversations/" +
                  started["conversation_id"])[0] == 200,
           "conversations: stream: named events, the started one names a "
           "kept conversation", sse)
    st, _, tmp = f.call("POST", "/v1/conversations", {
        "model": "m", "inputs": "x", "store": False})
    tap.ok(st == 200 and f.gone("GET", "/v1/conversations/" +
                                tmp["conversation_id"]),
           "conversations: store false is answered, not kept", tmp)
    st, _, ar = f.call("POST", "/v1/conversations", {
        "agent_id": agent, "inputs": "hi agent"})
    st, _, ag = f.call("GET", "/v1/conversations/" + ar["conversation_id"])
    tap.ok(ag["agent_id"] == agent and "model" not in ag,
           "conversations: one with an agent names it", ag)
    st, _, e = f.call("POST", "/v1/conversations", {
        "agent_id": "ag_" + "0" * 32, "inputs": "x"})
    tap.ok(st == 404 and e["code"] == "not_found",
           "conversations: an unknown agent is a 404", e)
    st, _, lst = f.call("GET", "/v1/conversations?page=0&page_size=2")
    st, _, alls = f.call("GET", "/v1/conversations")
    tap.ok(isinstance(lst, list) and len(lst) == 2 and len(alls) == 4 and
           alls[0]["id"] == ar["conversation_id"] and
           alls[-1]["id"] == cid,
           "conversations: a bare array, newest first, in pages", alls)
    st, _, _ = f.call("DELETE", "/v1/conversations/" + cid)
    tap.ok(st == 204 and all(f.gone(m, p % cid) for m, p in (
        ("GET", "/v1/conversations/%s"), ("GET",
                                          "/v1/conversations/%s/history"),
        ("GET", "/v1/conversations/%s/messages"),
        ("POST", "/v1/conversations/%s"),
        ("POST", "/v1/conversations/%s/restart"),
        ("DELETE", "/v1/conversations/%s"))),
        "conversations: delete (204), then 404")


def test_libraries(f):
    st, _, lib = f.call("POST", "/v1/libraries", {"name": "docs",
                                                  "description": "d"})
    st2, _, lib2 = f.call("POST", "/v1/libraries", {"name": "other"})
    tap.ok(st == 201 and UUID.match(lib["id"]) and lib["name"] == "docs" and
           lib["nb_documents"] == 0 and lib["total_size"] == 0,
           "libraries: created (201)", lib)
    st, _, p0 = f.call("GET", "/v1/libraries?page=0&page_size=1")
    tap.ok([x["id"] for x in p0["data"]] == [lib2["id"]] and
           p0["pagination"] == {"total_items": 2, "total_pages": 2,
                                "current_page": 0, "page_size": 1,
                                "has_more": True},
           "libraries: pages with their pagination", p0)
    st, _, u = f.call("PATCH", "/v1/libraries/" + lib["id"],
                      {"name": "docs2"})
    tap.ok(u["name"] == "docs2" and u["description"] == "d",
           "libraries: PATCH", u)
    path = "/v1/libraries/%s/documents" % lib["id"]
    st, _, doc = f.form(path, [("file", "notes.txt", b"the text")])
    st2, _, again = f.form(path, [("file", "notes.txt", b"the text")])
    tap.ok(st == 201 and UUID.match(doc["id"]) and
           doc["library_id"] == lib["id"] and doc["name"] == "notes.txt" and
           doc["size"] == 8 and doc["extension"] == "txt" and
           st2 == 200 and again["id"] == doc["id"],
           "documents: upload 201, the same bytes again 200", (doc, again))
    f.form(path, [("file", "b.txt", b"other")])
    st, _, lst = f.call("GET", path + "?page_size=1&page=1")
    st, _, g = f.call("GET", "/v1/libraries/" + lib["id"])
    tap.ok(lst["pagination"]["total_items"] == 2 and
           [x["id"] for x in lst["data"]] == [doc["id"]] and
           g["nb_documents"] == 2 and g["total_size"] == 13,
           "documents: listed in pages; the library counts them", (lst, g))
    dpath = "%s/%s" % (path, doc["id"])
    st, _, t = f.call("GET", dpath + "/text_content")
    st2, _, s = f.call("GET", dpath + "/status")
    tap.ok(t == {"text": "the text"} and s["process_status"] == "done",
           "documents: text_content and status", (t, s))
    tap.ok(f.gone("GET", "/v1/libraries/%s/documents/%s" % (lib2["id"],
                                                            doc["id"])),
           "documents: not found through another library")
    st, _, _ = f.call("DELETE", dpath)
    tap.ok(st == 204 and f.gone("GET", dpath) and
           f.gone("GET", dpath + "/text_content") and
           f.call("GET", "/v1/libraries/" + lib["id"])[2]["nb_documents"]
           == 1, "documents: delete (204), then 404")
    st, _, d = f.call("DELETE", "/v1/libraries/" + lib["id"])
    tap.ok(st == 200 and d["id"] == lib["id"] and
           f.gone("GET", "/v1/libraries/" + lib["id"]) and
           f.gone("GET", path), "libraries: delete, then 404", d)
    st, _, e = f.call("POST", "/v1/libraries", {})
    tap.eq(st, 422, "libraries: no name is a 422", e)


def test_voices(f):
    ids = []
    for i in range(3):
        st, _, v = f.call("POST", "/v1/audio/voices", {
            "name": "v%d" % i, "sample_audio": "UklGRg=="})
        ids.append(v["id"])
    tap.ok(st == 200 and UUID.match(v["id"]) and v["name"] == "v2" and
           v["retention_notice"] == 30 and "sample_audio" not in v,
           "voices: created", v)
    st, _, lst = f.call("GET", "/v1/audio/voices?limit=2&offset=2")
    tap.ok(lst["total"] == 3 and lst["page"] == 2 and
           lst["page_size"] == 2 and lst["total_pages"] == 2 and
           [x["id"] for x in lst["items"]] == [ids[0]],
           "voices: limit and offset, newest first", lst)
    st, _, u = f.call("PATCH", "/v1/audio/voices/" + ids[0],
                      {"description": "deep"})
    st, _, g = f.call("GET", "/v1/audio/voices/" + ids[0])
    tap.ok(u["description"] == "deep" and g["description"] == "deep",
           "voices: PATCH", g)
    st, _, d = f.call("DELETE", "/v1/audio/voices/" + ids[0])
    tap.ok(st == 200 and d["id"] == ids[0] and
           f.gone("GET", "/v1/audio/voices/" + ids[0]) and
           f.gone("DELETE", "/v1/audio/voices/" + ids[0]),
           "voices: delete, then 404", d)
    st, _, e = f.call("POST", "/v1/audio/voices", {"name": "x"})
    tap.eq(st, 422, "voices: no sample is a 422", e)


def test_reset_and_paths(f, up):
    st, _, e = f.call("GET", "/v1/files/a/b")
    tap.ok(st == 404 and e["message"] == "Not Found",
           "an unknown path keeps the fake's plain 404", e)
    st, _, lst = f.call("GET", "/v1/files", headers={"x-fake-reset": "1"})
    st2, _, agents = f.call("GET", "/v1/agents")
    tap.ok(lst["total"] == 0 and agents == [],
           "x-fake-reset: 1 clears the store first", (lst, agents))
    rec = up.requests()
    tap.ok(any(r["uri"] == "/v1/files" and r["method"] == "POST"
               for r in rec), "requests are still recorded", len(rec))


def test_openai_mode(env):
    """The vLLM stand-in has no stored objects."""
    f = Fake(env.upstream(name="vllm", openai=True))
    st, _, _ = f.call("GET", "/v1/files")
    st2, _, models = f.call("GET", "/v1/models")
    tap.ok(st == 404 and st2 == 200 and models["data"],
           "openai mode: no files, its model list stays", (st, models))


def main():
    env = Env("fakeobj-")
    up = env.upstream(name="objects")
    f = Fake(up)
    tap.run(test_files, f)
    tap.run(test_batch, f)
    tap.run(test_fine_tuning, f)
    agents = []
    tap.run(test_agents, f, agents)
    tap.run(test_conversations, f, agents[0] if agents else "ag_none")
    tap.run(test_libraries, f)
    tap.run(test_voices, f)
    tap.run(test_reset_and_paths, f, up)
    tap.run(test_openai_mode, env)
    with open(os.path.join(env.dir, "objects.log")) as log:
        text = log.read()
    tap.ok("Sanitizer" not in text and "runtime error" not in text and
           up.proc.poll() is None, "the fake lived through it, no sanitizer "
           "report in its log", text[-3000:])
    env.close(tap)
    tap.done()


main()
