"""Operations: reload (good and bad; keys that need a restart), SIGTERM
drain and its deadline, TLS, the admin API, several instances on one
database, first start."""
import json
import os
import signal
import ssl
import http.client
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Env, SSEReader, Tap, chat_body, closed_port,  # noqa
                     wait_for)

tap = Tap()


def test_reload():
    env = Env("reload-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    key = gw.new_key()
    good = gw.config_text()

    def gateway_keys(text):
        return good.replace("[gateway]\n", "[gateway]\n" + text, 1)

    def reload_fails(n):
        gw.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: gw.logtext().count("reload failed") >= n, 5)
        return gw.logtext()

    gw.write_config(gateway_keys("no_such_key = 1\n"))
    log = reload_fails(1)
    tap.ok("reload failed" in log and "no_such_key" in log,
           "bad reload: logged with the reason")
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "bad reload: the running configuration keeps serving")
    # Either value of a repeated key would refuse the model: neither is
    # taken, the file is refused, the old policy keeps serving.
    gw.write_config(good + "[policy default]\nmodels = other-*\n"
                    "models = none-*\n")
    line = good.count("\n") + 3
    log = reload_fails(2)
    tap.ok("%s:%d: duplicate key 'models' (first at line %d)" %
           (gw.conf, line, line - 1) in log,
           "reload with a duplicate key: refused, logged with its line",
           log[-600:])
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "duplicate key: the running configuration keeps serving")
    gw.write_config(good + "[policy default]\nregions = *\n"
                    "[policy default]\nmodels = other-*\n")
    log = reload_fails(3)
    tap.ok("duplicate section [policy default] (first at line %d)" %
           (good.count("\n") + 1) in log,
           "reload with a duplicate section: refused and logged", log[-600:])
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "duplicate section: the running configuration keeps "
           "serving")
    gw.write_config(good + "[policy default]\nmodels = other-*\n")
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in gw.logtext(), 5)
    st, _, body = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.ok(st == 403 and json.loads(body)["code"] == "model_not_allowed",
           "good reload: the new policy applies to new requests")
    # a connection opened before the reload parses with the new limits
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(12))
    head = b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + many + \
        b"Authorization: Bearer " + key.encode() + b"\r\n\r\n"
    s.sendall(head)
    first = s.recv(65536)
    gw.write_config(gateway_keys("max_headers = 8\n"))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: gw.logtext().count("configuration reloaded") >= 2, 5)
    s.sendall(head)
    second = s.recv(65536)
    s.close()
    tap.ok(first.startswith(b"HTTP/1.1 200") and
           second.startswith(b"HTTP/1.1 431"),
           "reload: max_headers applies to open connections (200, then 431)")
    env.close(tap)


def test_reload_restart_keys():
    """A reload that changes listen keeps the old listener and says so,
    and still applies what it can (a policy's pii)."""
    env = Env("reload-restart-")
    try:
        check_reload_restart_keys(env)
    finally:
        env.close(tap)


def check_reload_restart_keys(env):
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy default]\npii = pseudonymize\n")
    key = gw.new_key()
    email = "jane.roe@example.org"
    st, _, _ = gw.api("POST", "/v1/chat/completions",
                      chat_body("mail " + email), key=key)
    tap.ok(st == 200 and email not in json.dumps(up.last()["body"]),
           "before the reload: the email is pseudonymized")
    port = closed_port()
    text = gw.config_text()
    tap.ok("\nlisten = 127.0.0.1:0\n" in text and
           "pii = pseudonymize\n" in text, "the test's file has both keys")
    gw.write_config(text.replace("\nlisten = 127.0.0.1:0\n",
                                 "\nlisten = 127.0.0.1:%d\n" % port, 1)
                    .replace("pii = pseudonymize\n", "pii = block\n"))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in gw.logtext(), 5)
    log = gw.logtext()
    warned = [l for l in log.splitlines() if "reload: '" in l]
    tap.ok(len(warned) == 1 and "reload: 'listen' changed; it takes effect "
           "after a restart" in warned[0],
           "reload: one warning, naming listen", warned)
    n = len(up.requests())
    st, _, body = gw.api("POST", "/v1/chat/completions",
                         chat_body("mail " + email), key=key)
    tap.ok(st == 403 and json.loads(body)["code"] == "pii_blocked" and
           len(up.requests()) == n,
           "the old listener serves, with the reloaded policy's pii = block",
           (st, body))
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        opened = True
    except OSError:
        opened = False
    tap.ok(not opened, "nothing listens on the new address")
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: gw.logtext().count("configuration reloaded") >= 2, 5)
    tap.eq(gw.logtext().count("reload: 'listen' changed"), 2,
           "the next reload warns again: the running value is the old one")


def test_drain():
    env = Env("drain-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}])
    key = gw.new_key()
    r = SSEReader(gw.port, chat_body("drain", stream=True), key,
                  headers={"x-fake-events": "5",
                           "x-fake-event-delay-ms": "300",
                           "X-Request-Id": "drain-1"})
    r.next_event()
    gw.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    refused = False
    try:
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=1)
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        refused = s.recv(100) == b""
        s.close()
    except OSError:
        refused = True
    tap.ok(refused, "drain: new connections are refused")
    events = r.rest()
    tap.ok(events and events[-1] == "data: [DONE]",
           "drain: the stream in flight completes", events[-2:])
    rc = gw.proc.wait(10)
    tap.eq(rc, 0, "drain: eugate exits 0 after the last request")
    row = gw.row("drain-1")
    tap.ok(row and row["status"] == 200 and row["completion_tokens"] == 5,
           "drain: the request was recorded", row)
    env.close(tap)

    env = Env("deadline-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="drain_timeout = 500ms\n")
    key = gw.new_key()
    r = SSEReader(gw.port, chat_body("long", stream=True), key,
                  headers={"x-fake-events": "50",
                           "x-fake-event-delay-ms": "200",
                           "X-Request-Id": "deadline-1"})
    r.next_event()
    t0 = time.time()
    gw.proc.send_signal(signal.SIGTERM)
    gw.proc.wait(10)
    tap.ok(time.time() - t0 < 2.0, "drain deadline: exit after "
           "drain_timeout (%.2fs)" % (time.time() - t0))
    row = gw.row("deadline-1")
    tap.ok(row and row["status"] == 499,
           "drain deadline: the cut request is still recorded", row)
    env.close(tap)


def test_tls():
    env = Env("tls-")
    cert = os.path.join(env.dir, "cert.pem")
    keyf = os.path.join(env.dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", keyf, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="tls_cert = %s\ntls_key = %s\n" % (cert, keyf))
    key = gw.new_key()
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    conn = http.client.HTTPSConnection("127.0.0.1", gw.port, context=ctx,
                                       timeout=10)
    conn.request("POST", "/v1/chat/completions",
                 body=json.dumps(chat_body("over tls")),
                 headers={"Authorization": "Bearer " + key,
                          "Content-Type": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    tap.ok(resp.status == 200 and body["choices"][0]["message"]["content"] ==
           "echo: over tls", "tls: a request over HTTPS")
    conn.request("POST", "/v1/chat/completions",
                 body=json.dumps(chat_body("again", stream=True)),
                 headers={"Authorization": "Bearer " + key,
                          "Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    tap.ok(resp.status == 200 and data.endswith(b"data: [DONE]\n\n"),
           "tls: a stream on the same kept-alive connection")
    conn.close()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=3)
    s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = s.recv(100)
    except ConnectionResetError:
        data = b""
    tap.ok(not data.startswith(b"HTTP/1.1 200"), "tls: plain HTTP refused")
    s.close()
    env.close(tap)


def test_admin_api():
    env = Env("admin-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     policies="[policy strict]\nmodels = x\n")
    st, body = gw.admin("GET", "/admin/v1/health", token="wrong")
    tap.ok(st == 401 and body["code"] == "invalid_admin_token",
           "admin: a wrong token is 401")
    st, body = gw.admin("GET", "/admin/v1/health")
    tap.ok(st == 200 and body["status"] == "ok" and
           body["upstreams"][0]["name"] == "up", "admin: health")
    st, body = gw.admin("POST", "/admin/v1/teams",
                        {"name": "fin", "policy": "strict"})
    tap.ok(st == 201 and body["policy"] == "strict", "admin: team created")
    st, body = gw.admin("POST", "/admin/v1/teams", {"name": "fin"})
    tap.eq(st, 409, "admin: duplicate team is 409")
    st, body = gw.admin("POST", "/admin/v1/teams",
                        {"name": "x", "policy": "nope"})
    tap.ok(st == 400 and body["code"] == "unknown_policy",
           "admin: unknown policy refused")
    st, body = gw.admin("POST", "/admin/v1/teams", {"name": "bad name!"})
    tap.eq(st, 400, "admin: invalid team name refused")
    st, body = gw.admin("POST", "/admin/v1/teams",
                        {"name": "y", "colour": "red"})
    tap.ok(st == 400 and body["code"] == "invalid_field",
           "admin: unknown fields refused, not ignored")
    st, body = gw.admin("POST", "/admin/v1/keys", {"team": "ghost"})
    tap.ok(st == 404 and body["code"] == "team_not_found",
           "admin: key for a missing team is 404")
    st, body = gw.admin("POST", "/admin/v1/keys",
                        {"team": "fin", "name": "ci-bot"})
    tap.ok(st == 201 and body["key"].startswith("egk_") and
           body["team"] == "fin", "admin: key created and shown")
    key = body["key"]
    st, lst = gw.admin("GET", "/admin/v1/keys?team=fin")
    tap.ok(st == 200 and len(lst["data"]) == 1 and
           lst["data"][0]["id"] == body["id"] and
           "key" not in lst["data"][0] and key not in json.dumps(lst),
           "admin: key list shows ids, never keys")
    st, lst = gw.admin("GET", "/admin/v1/teams")
    tap.ok(st == 200 and lst["data"][0]["keys"] == 1, "admin: team list")
    st, _ = gw.admin("DELETE", "/admin/v1/keys/nonexistent1")
    tap.eq(st, 404, "admin: revoking an unknown key is 404")
    st, _ = gw.admin("PUT", "/admin/v1/teams")
    tap.eq(st, 405, "admin: wrong method is 405")
    st, text = gw.admin("GET", "/admin/v1/metrics")
    tap.ok(st == 200 and "eugate_requests_total" in text,
           "admin: Prometheus metrics")
    with open(os.path.join(gw.data_dir, "eugate.db"), "rb") as f:
        db = f.read()
    wal = os.path.join(gw.data_dir, "eugate.db-wal")
    journal = os.path.join(gw.data_dir, "eugate.db.intents")
    for p in [wal] + [os.path.join(journal, n) for n in
                      (os.listdir(journal) if os.path.isdir(journal) else [])]:
        if os.path.exists(p):
            with open(p, "rb") as f:
                db += f.read()
    tap.ok(key.encode() not in db and key[16:48].encode() not in db,
           "storage: neither the key nor its secret is in the database "
           "or its journal")
    env.close(tap)


def test_first_start_and_instances():
    env = Env("first-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     admin_token=None)
    with open(gw.outpath) as f:
        out = f.read()
    token = [l for l in out.splitlines() if l.startswith("ega_")]
    tap.ok(len(token) == 1, "first start: an admin token is printed once")
    gw.admin_token = token[0] if token else ""
    st, _ = gw.admin("GET", "/admin/v1/health")
    tap.eq(st, 200, "first start: the printed token works")
    for name in ("secret.key", "admin.token.sha256"):
        mode = stat.S_IMODE(os.stat(os.path.join(gw.data_dir, name)).st_mode)
        tap.eq(mode, 0o600, "first start: %s is private (0600)" % name)
    with open(os.path.join(gw.data_dir, "admin.token.sha256")) as f:
        tap.ok(gw.admin_token not in f.read(), "only a hash of the token "
               "is kept")
    key = gw.new_key()

    # A second instance on the same data_dir sees keys and revocations.
    gw2 = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                      data_dir=gw.data_dir, name="gw2", admin_token=None)
    with open(gw2.outpath) as f:
        tap.ok("ega_" not in f.read(), "restart: no new token printed")
    st, _, _ = gw2.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "second instance: the key works there")
    gw2.admin_token = gw.admin_token
    st, body = gw.admin("POST", "/admin/v1/keys", {"team": "t1"})
    k3 = body["key"]
    ok3 = wait_for(lambda: gw2.api("POST", "/v1/chat/completions",
                                   chat_body(), key=k3)[0] == 200, 3)
    tap.ok(ok3, "second instance: a new key works within a second")
    gw.admin("DELETE", "/admin/v1/keys/" + key[4:16])
    t0 = time.time()
    gone = wait_for(lambda: gw2.api("POST", "/v1/chat/completions",
                                    chat_body(), key=key)[0] == 401, 3)
    tap.ok(gone and time.time() - t0 < 1.6, "second instance: a revoked key "
           "stops within a second (%.2fs)" % (time.time() - t0))
    rc = gw2.stop()
    tap.eq(rc, 0, "second instance: clean exit")
    env.close(tap)


def test_disk_full():
    """Storage that cannot commit fails closed, then recovers."""
    env = Env("diskfull-")
    data = os.path.join(env.dir, "var")
    os.makedirs(data)
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        tap.ok(False, "disk full: needs unshare -m (root)", probe.stderr)
        env.close(tap)
        return
    up = env.upstream(name="up")
    # eugate runs in its own mount namespace on a 1 MiB tmpfs.
    wrap = ["unshare", "-m", "sh", "-c",
            'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"', data]
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     data_dir=data, wrap=wrap)
    key = gw.new_key()
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "disk full: serving before")
    subprocess.run(["nsenter", "-t", str(gw.proc.pid), "-m", "sh", "-c",
                    'dd if=/dev/zero of="%s/fill" bs=4k 2>/dev/null; true'
                    % data], check=True)
    codes = []
    for i in range(50):
        st, _, body = gw.api("POST", "/v1/chat/completions",
                             chat_body("x" * 2000), key=key)
        codes.append(st)
        if st != 200:
            break
    tap.ok(codes[-1] == 503 and json.loads(body)["code"] ==
           "storage_unavailable", "disk full: the answer is withheld with "
           "503 storage_unavailable (after %d requests)" % len(codes), codes)
    tap.ok("record not stored" in gw.logtext(), "disk full: logged")
    subprocess.run(["nsenter", "-t", str(gw.proc.pid), "-m", "rm", "-f",
                    os.path.join(data, "fill")], check=True)
    st, _, _ = gw.api("POST", "/v1/chat/completions", chat_body(), key=key)
    tap.eq(st, 200, "disk full: serving again once space returns")
    env.close(tap)


for t in (test_reload, test_reload_restart_keys, test_drain, test_tls, test_admin_api,
          test_first_start_and_instances, test_disk_full):
    tap.run(t)
tap.done()
