"""Tracing: spans exported as OTLP/HTTP JSON to a small receiver run by
the test. One server span per request and a client span per upstream
attempt, with the GenAI and eugate attributes; an incoming traceparent
is continued (same trace id, the caller's span as parent) and a
traceparent naming the upstream span goes upstream, tracestate with it;
a malformed traceparent is ignored; refusals and upstream failures are
errors; sampling is parent-based with otlp_sample_ratio for new traces.
No prompt text, e-mail address or key reaches a span or a log line, and
the JSON log line's request and trace ids are the span's. A collector
that hangs or refuses costs requests no latency: spans are dropped and
counted."""
import http.server
import json
import os
import signal
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Env, SSEReader, Tap, chat_body, closed_port, wait_for  # noqa: E402,E501

tap = Tap()
EMAIL = "jane.doe.trace@example.org"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


class Receiver:
    """An OTLP/HTTP JSON receiver on an ephemeral port."""

    def __init__(self):
        self.posts = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                owner.posts.append((self.path, dict(
                    (k.lower(), v) for k, v in self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def spans(self):
        out = []
        for _, _, body in self.posts:
            doc = json.loads(body)
            for rs in doc["resourceSpans"]:
                res = attrs(rs["resource"])
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        s["_resource"] = res
                        s["_attrs"] = attrs(s)
                        out.append(s)
        return out

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Hanger:
    """A collector that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def attrs(obj):
    """OTLP attributes as a dict of plain values."""
    out = {}
    for a in obj.get("attributes", []):
        v = a["value"]
        if "stringValue" in v:
            out[a["key"]] = v["stringValue"]
        elif "intValue" in v:
            out[a["key"]] = int(v["intValue"])
        elif "doubleValue" in v:
            out[a["key"]] = float(v["doubleValue"])
        else:
            out[a["key"]] = v
    return out


def by_request(spans, rid):
    """The server span of a request and its client spans."""
    server = [s for s in spans if s["kind"] == 2 and
              s["_attrs"].get("eugate.request_id") == rid]
    if len(server) != 1:
        return None, []
    kids = [s for s in spans if s["kind"] == 3 and
            s.get("parentSpanId") == server[0]["spanId"]]
    return server[0], kids


def parent_of(rec):
    """The traceparent an upstream received, split."""
    tp = rec["headers"].get("traceparent", "")
    return tp.split("-") if tp.count("-") == 3 else None


def test_spans():
    env = Env("trace-")
    try:
        check_spans(env)
    finally:
        env.close(tap)


def check_spans(env):
    rx = Receiver()
    up = env.upstream(name="up")
    down = env.upstream(name="down", status=503)
    gw = env.gateway(
        [{"name": "up", "url": up.url, "models": "mistral-*"},
         {"name": "down", "url": down.url, "models": "broken-*",
          "region": "us"}],
        gateway="otlp_endpoint = %s/\notlp_headers_env = OTLP_HEADERS\n"
        "otlp_interval = 50ms\nlog_format = json\n" % rx.url,
        env={"OTLP_HEADERS": "authorization=Bearer tok-123, x-tenant = eu"})
    key = gw.new_key("tracers")

    # 1. A caller's trace, continued, with an e-mail address in the prompt.
    st, h, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body("write to %s please" % EMAIL), key=key,
                      headers={"traceparent": "00-%s-%s-01" % (TRACE, PARENT),
                               "tracestate": "vendor=abc,other=1",
                               "X-Request-Id": "trace-cont"})
    tap.eq(st, 200, "a traced chat is answered")
    rec = up.last()
    tp = parent_of(rec)
    tap.ok(tp is not None and tp[0] == "00" and tp[1] == TRACE and
           tp[2] != PARENT and tp[3] == "01",
           "upstream traceparent: the same trace, the gateway's span, "
           "sampled", rec["headers"])
    tap.eq(rec["headers"].get("tracestate"), "vendor=abc,other=1",
           "tracestate goes upstream with it")
    # 2. A stream without trace context: a new trace.
    r = SSEReader(gw.port, chat_body("stream it", stream=True), key,
                  headers={"X-Request-Id": "trace-new"})
    r.rest()
    r.close()
    tp_new = parent_of(up.last())
    tap.ok(tp_new is not None and tp_new[1] != TRACE and
           tp_new[3] == "01" and "tracestate" not in up.last()["headers"],
           "without a traceparent a new trace starts", up.last()["headers"])
    # 3. Malformed traceparents are ignored, never an error.
    bad = ["00-%s-%s-01" % (TRACE.upper(), PARENT),
           "00-%s-%s-01" % ("0" * 32, PARENT),
           "00-%s-%s-01" % (TRACE, "0" * 16),
           "ff-%s-%s-01" % (TRACE, PARENT), "00-xyz", "",
           "00-%s-%s-01-extra" % (TRACE, PARENT)]
    for i, v in enumerate(bad):
        st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                          key=key, headers={"traceparent": v,
                                            "X-Request-Id": "trace-bad%d" % i})
        tp = parent_of(up.last())
        tap.ok(st == 200 and tp is not None and tp[1] != TRACE and
               tp[1] != TRACE.upper(),
               "malformed traceparent %r: ignored, a new trace" % v)
    # A later version's longer form is read as version 00.
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"traceparent": "01-%s-%s-01-future" % (
                          TRACE, PARENT), "X-Request-Id": "trace-v1"})
    tap.ok(st == 200 and parent_of(up.last())[1] == TRACE,
           "a later version's traceparent is continued")
    # 4. A refusal and an upstream failure are errors.
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                      key="egk_" + "x" * 50,
                      headers={"X-Request-Id": "trace-401"})
    tap.eq(st, 401, "a bad key is refused")
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body(model="broken-1"), key=key,
                      headers={"X-Request-Id": "trace-503"})
    tap.eq(st, 503, "the failing upstream's 503 is relayed")

    spans = wait_for(lambda: (lambda s: s if by_request(
        s, "trace-503")[0] is not None and by_request(
        s, "trace-401")[0] is not None else None)(rx.spans()), 10) or []
    srv, kids = by_request(spans, "trace-cont")
    tap.ok(srv is not None and srv["traceId"] == TRACE and
           srv.get("parentSpanId") == PARENT and
           srv.get("traceState") == "vendor=abc,other=1" and
           srv["name"] == "POST /v1/chat/completions",
           "server span: the caller's trace, its span as parent", srv)
    tap.ok(len(kids) == 1 and kids[0]["traceId"] == TRACE and
           kids[0]["spanId"] == parent_of(
               [x for x in up.requests()
                if x["headers"].get("x-request-id") == "trace-cont"][0])[2]
           and kids[0]["name"] == "chat mistral-small-latest",
           "client span: a child of the server span, the id sent upstream",
           kids)
    a = srv["_attrs"] if srv else {}
    want = {"gen_ai.system": "mistral_ai",
            "gen_ai.provider.name": "mistral_ai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "mistral-small-latest",
            "gen_ai.response.model": "mistral-small-latest",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
            "http.request.method": "POST",
            "http.route": "/v1/chat/completions",
            "http.response.status_code": 200,
            "eugate.team": "tracers", "eugate.upstream": "up",
            "eugate.region": "eu", "eugate.pii.count": 1,
            "eugate.pii.types": "EMAIL", "eugate.request_id": "trace-cont",
            "eugate.cost.currency": "EUR"}
    tap.ok(all(a.get(k) == v for k, v in want.items()) and
           a.get("eugate.cost", 0) > 0 and len(a.get("eugate.key_id", "")) ==
           12 and key[4:16] == a["eugate.key_id"] and
           "status" in srv and srv["status"].get("code", 0) != 2,
           "server span attributes (GenAI, http, eugate)",
           {k: (a.get(k), v) for k, v in want.items() if a.get(k) != v})
    ka = kids[0]["_attrs"] if kids else {}
    tap.ok(ka.get("server.address") == "127.0.0.1" and
           ka.get("server.port") == up.port and
           ka.get("http.response.status_code") == 200 and
           ka.get("gen_ai.system") == "mistral_ai" and
           ka.get("eugate.upstream") == "up" and
           int(kids[0]["startTimeUnixNano"]) >= int(srv["startTimeUnixNano"])
           and int(kids[0]["endTimeUnixNano"]) <=
           int(srv["endTimeUnixNano"]), "client span attributes and times",
           ka)
    srv2, kids2 = by_request(spans, "trace-new")
    tap.ok(srv2 is not None and "parentSpanId" not in srv2 and
           srv2["traceId"] == tp_new[1] and len(kids2) == 1 and
           kids2[0]["spanId"] == tp_new[2],
           "a new trace: a root server span, its upstream child", srv2)
    s401, k401 = by_request(spans, "trace-401")
    tap.ok(s401 is not None and s401["status"].get("code") == 2 and
           s401["_attrs"].get("eugate.refusal.code") == "invalid_api_key"
           and not k401 and s401["status"].get("message") ==
           "invalid_api_key", "a refusal: error status, its code", s401)
    s503, k503 = by_request(spans, "trace-503")
    tap.ok(s503 is not None and s503["status"].get("code") == 2 and
           len(k503) == 1 and k503[0]["status"].get("code") == 2 and
           k503[0]["_attrs"].get("http.response.status_code") == 503 and
           k503[0]["_attrs"].get("error.type") == "503" and
           k503[0]["_attrs"].get("server.address") == "127.0.0.1",
           "an upstream failure: both spans errors", (s503, k503))
    tap.ok(spans and all(s["_resource"].get("service.name") == "eugate"
                         for s in spans), "resource: service.name")
    path, hdrs, _ = rx.posts[0]
    tap.ok(path == "/v1/traces" and hdrs.get("authorization") ==
           "Bearer tok-123" and hdrs.get("x-tenant") == "eu" and
           hdrs.get("content-type") == "application/json",
           "export: POST URL/v1/traces with otlp_headers_env's headers",
           (path, hdrs))
    everything = b"".join(b for _, _, b in rx.posts)
    tap.ok(EMAIL.encode() not in everything and b"write to" not in
           everything and key.encode() not in everything and
           key[16:48].encode() not in everything,
           "no prompt text, e-mail address or key in any span (a URL "
           "with credentials is refused at start: test_config)")

    # The JSON log: the request line's ids are the span's.
    log = gw.logtext()
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{")]
    mine = [l for l in lines if l.get("req") == "trace-cont"]
    tap.ok(len(mine) == 1 and mine[0].get("trace") == TRACE and
           mine[0].get("team") == "tracers" and
           mine[0].get("key") == a.get("eugate.key_id") and
           mine[0].get("route") == "/v1/chat/completions" and
           mine[0].get("status") == "200" and int(mine[0].get("us")) > 0,
           "the JSON log line: request id, trace id, team, key, route, "
           "status, duration", mine)
    row = gw.row("trace-cont")
    tap.ok(row is not None and row["request_id"] == a.get(
        "eugate.request_id"), "the audit record has the span's request id")
    tap.ok(EMAIL not in log and "write to" not in log and key not in log,
           "no e-mail address, prompt or key in the log")
    st, text = gw.admin("GET", "/admin/v1/metrics")
    exported = [l for l in text.splitlines()
                if l.startswith("eugate_trace_spans_exported_total ")]
    tap.ok(exported and int(exported[0].split()[1]) >= len(spans) - 2,
           "exported spans are counted", exported)

    # Sampling: parent-based; otlp_sample_ratio for new traces (reload).
    n0 = len(rx.spans())
    gw.write_config(gw.config_text().replace("otlp_interval",
                                             "otlp_sample_ratio = 0\n"
                                             "otlp_interval"))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in gw.logtext(), 5)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"X-Request-Id": "trace-unsampled"})
    tp = parent_of(up.last())
    tap.ok(st == 200 and tp is not None and tp[3] == "00",
           "ratio 0: a new trace is not sampled, traceparent still sent",
           up.last()["headers"])
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"traceparent": "00-%s-%s-01" % (
                          "1" * 32, PARENT), "X-Request-Id": "trace-parent"})
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key,
                      headers={"traceparent": "00-%s-%s-00" % (
                          "2" * 32, PARENT), "X-Request-Id": "trace-unsamp2"})
    tap.eq(parent_of(up.last())[3], "00", "an unsampled parent stays so")
    wait_for(lambda: by_request(rx.spans(), "trace-parent")[0], 5)
    spans = rx.spans()
    tap.ok(by_request(spans, "trace-parent")[0] is not None and
           by_request(spans, "trace-unsampled")[0] is None and
           by_request(spans, "trace-unsamp2")[0] is None and
           len(spans) == n0 + 2,
           "a sampled parent is followed; unsampled traces export nothing")
    rx.stop()


def metric(gw, name):
    st, text = gw.admin("GET", "/admin/v1/metrics")
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            yield line


def dropped(gw, reason):
    for line in metric(gw, "eugate_trace_spans_dropped_total"):
        if 'reason="%s"' % reason in line:
            return int(line.split()[1])
    return 0


def latencies(gw, key, n):
    """n requests over about n * 15 ms: the exporter's ticks (every 50 ms)
    fall among them."""
    out = []
    for _ in range(n):
        time.sleep(0.01)
        t = time.time()
        st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(),
                          key=key)
        out.append(time.time() - t)
        if st != 200:
            raise RuntimeError("status %d" % st)
    return out


def test_slow_collectors():
    env = Env("tracehang-")
    try:
        check_slow_collectors(env)
    finally:
        env.close(tap)


def check_slow_collectors(env):
    up = env.upstream(name="up")
    hang = Hanger()
    ups = [{"name": "up", "url": up.url, "models": "*"}]
    base = env.gateway(ups, name="plain")
    key = base.new_key("t")
    t_plain = latencies(base, key, 40)
    base.stop()
    gw = env.gateway(ups, name="hung", data_dir=base.data_dir,
                     gateway="otlp_endpoint = %s\notlp_timeout = 1s\n"
                     "otlp_interval = 50ms\notlp_queue_spans = 16\n"
                     % hang.url)
    t_hung = latencies(gw, key, 40)
    tap.ok(max(t_hung) < 0.5 and statistics.median(t_hung) <
           3 * statistics.median(t_plain) + 0.02,
           "a hanging collector: requests keep their latency",
           "median %.4f s vs %.4f s without tracing, max %.4f s" % (
               statistics.median(t_hung), statistics.median(t_plain),
               max(t_hung)))
    tap.ok(dropped(gw, "queue_full") > 0,
           "a hanging collector: spans that do not fit are dropped, counted")
    tap.ok(wait_for(lambda: dropped(gw, "export_failed") > 0, 5),
           "a hanging collector: the timed-out batch is counted")
    hang.stop()
    gw.stop()

    port = closed_port()
    gw = env.gateway(ups, name="refused", data_dir=base.data_dir,
                     gateway="otlp_endpoint = http://127.0.0.1:%d\n"
                     "otlp_interval = 50ms\n" % port)
    t_ref = latencies(gw, key, 20)
    tap.ok(max(t_ref) < 0.5, "a refusing collector: requests keep their "
           "latency", t_ref)
    tap.ok(wait_for(lambda: dropped(gw, "export_failed") >= 40, 5),
           "a refusing collector: every span is dropped and counted",
           list(metric(gw, "eugate_trace_spans_dropped_total")))
    tap.eq(len([l for l in gw.logtext().splitlines()
                if "trace export" in l]), 1,
           "export failures are logged once a minute, not per batch")


tap.run(test_spans)
tap.run(test_slow_collectors)
tap.done()
