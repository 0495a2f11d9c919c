"""The web console's server side, over HTTP: its files and their security
headers, the login that exchanges the admin token for a session, the
session cookie standing in for the token on admin API calls (with the
CSRF token and the listener's own Origin on every call that changes
anything), idle and absolute expiry, logout, the cap on sessions,
console = off, and the security headers of every admin API answer.
The browser side is tests/test_console_browser.py."""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ADMIN_TOKEN, SRC, Env, Tap, wait_for  # noqa: E402

tap = Tap()
UI = os.path.join(SRC, "admin", "ui")
STRICT_CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; "
              "form-action 'self'; frame-ancestors 'none'")


def ui_files():
    out = []
    for d, _, files in os.walk(UI):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), UI))
    return sorted(out)


class Admin:
    """Admin listener calls with a session cookie, as a browser makes
    them."""

    def __init__(self, gw):
        self.gw = gw
        self.host = "127.0.0.1:%d" % gw.admin_port
        self.origin = "http://" + self.host

    def call(self, method, path, body=None, headers=None):
        h = {"Host": self.host}
        h.update(headers or {})
        st, hd, data = self.gw.http(method, path, body, h,
                                    port=self.gw.admin_port)
        try:
            j = json.loads(data) if data else None
        except ValueError:
            j = None
        return st, hd, data, j

    def login(self, token=ADMIN_TOKEN, headers=None):
        h = {"Authorization": "Bearer " + token}
        h.update(headers or {})
        st, hd, _, j = self.call("POST", "/ui/session", headers=h)
        cookie = hd.get("set-cookie", "")
        sid = cookie.split(";")[0] if cookie else None
        return st, hd, j, sid


def test_files(gw):
    a = Admin(gw)
    for name in ui_files():
        st, h, data, _ = a.call("GET", "/ui/" + name)
        with open(os.path.join(UI, name), "rb") as f:
            want = f.read()
        ext = name.rsplit(".", 1)[-1]
        ctype = {"html": "text/html", "css": "text/css",
                 "js": "text/javascript", "svg": "image/svg+xml"}[ext]
        tap.ok(st == 200 and data == want and
               h.get("content-type", "").startswith(ctype) and
               h.get("content-security-policy") == STRICT_CSP and
               h.get("x-content-type-options") == "nosniff" and
               h.get("x-frame-options") == "DENY" and
               h.get("referrer-policy") == "no-referrer" and
               h.get("cache-control") == "no-cache" and
               re.match(r'^"[0-9a-f]{20}"$', h.get("etag", "")),
               "/ui/%s: the file as built in, %s, with the security "
               "headers and an ETag" % (name, ctype), (st, h))
    st, h, data, _ = a.call("GET", "/ui/")
    with open(os.path.join(UI, "index.html"), "rb") as f:
        tap.ok(st == 200 and data == f.read(), "/ui/ is index.html")
    etag = h["etag"]
    st, h2, data, _ = a.call("GET", "/ui/", headers={"If-None-Match": etag})
    tap.ok(st == 304 and data == b"" and "content-length" not in h2 and
           h2.get("etag") == etag and
           h2.get("content-security-policy") == STRICT_CSP,
           "If-None-Match with the ETag: 304, no body, the same headers",
           (st, h2))
    st, _, _, _ = a.call("GET", "/ui/", headers={"If-None-Match": '"x"'})
    tap.eq(st, 200, "another ETag: the file again")
    st, h, data, _ = a.call("HEAD", "/ui/js/app.js")
    tap.ok(st == 200 and data == b"" and
           int(h.get("content-length", 0)) == os.path.getsize(
               os.path.join(UI, "js", "app.js")),
           "HEAD: the length, no body", (st, h))
    for path, want in (("/ui/nothing.js", 404), ("/ui/js/", 404),
                       ("/ui/../admin/v1/teams", 404)):
        st, h, _, j = a.call("GET", path)
        tap.ok(st == want and h.get("content-security-policy") ==
               STRICT_CSP, "%s: %d with the security headers" % (path, want),
               (st, j))
    st, _, _, j = a.call("POST", "/ui/index.html")
    tap.ok(st == 405 and j["code"] == "method_not_allowed",
           "POST to a file: 405")
    for path in ("/", "/ui"):
        st, h, _, _ = a.call("GET", path)
        tap.ok(st == 302 and h.get("location") == "/ui/",
               "%s redirects to /ui/" % path, (st, h))


def test_sources():
    """The console's own code can not open a hole that CSP would have to
    close: no inline script or style, no HTML built from strings."""
    bad = []
    for name in ui_files():
        with open(os.path.join(UI, name), encoding="utf-8") as f:
            text = f.read()
        if name.endswith(".html"):
            if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
                bad.append(name + ": an inline <script>")
            if re.search(r"<style|\sstyle=|\son[a-z]+=", text, re.I):
                bad.append(name + ": inline style or handler")
        if name.endswith(".js"):
            for pat in (r"innerHTML", r"outerHTML", r"insertAdjacentHTML",
                        r"document\.write", r"\beval\(", r"new Function",
                        r"setAttribute\(\s*['\"]style", r"localStorage",
                        r"sessionStorage", r"import\(\s*['\"]https?:",
                        r"from\s+['\"]https?:", r"https?://"):
                if re.search(pat, text):
                    bad.append("%s: %s" % (name, pat))
    tap.ok(not bad, "sources: no inline script, style or handler; no HTML "
           "from strings, no storage, nothing from another origin", bad)


def test_login(gw):
    a = Admin(gw)
    st, h, _, j = a.call("GET", "/ui/session")
    tap.ok(st == 200 and j["active"] is False and "csrf" not in j and
           "set-cookie" not in h, "no session: GET /ui/session says so "
           "(not an error)", j)
    st, h, j, sid = a.login("wrong-token")
    tap.ok(st == 401 and j["code"] == "invalid_admin_token" and sid is None,
           "login: a wrong token is refused, no cookie", (st, j))
    st, _, _, j = a.call("POST", "/ui/session")
    tap.ok(st == 401 and j["code"] == "invalid_admin_token",
           "login: no token, refused")
    st, _, j, sid = a.login(headers={"Origin": "http://evil.example"})
    tap.ok(st == 401 and sid is None, "login: from another origin, refused",
           j)
    recs = gw.rows("kind = 'admin' AND path = '/admin/v1/me'")
    tap.ok(len(recs) == 1 and recs[0]["status"] == 401,
           "audit: the refused login is recorded", recs)
    st, h, j, sid = a.login(headers={"Origin": a.origin})
    cookie = h.get("set-cookie", "")
    tap.ok(st == 200 and j["active"] and re.match(r"^[0-9a-f]{64}$",
                                                  j["csrf"]) and
           re.match(r"^eugate_session=[0-9a-f]{64}$", sid or "") and
           j["idle_timeout"] == 1800 and
           abs(j["expires_at"] - (time.time() + 12 * 3600)) < 60,
           "login: the right token gets a session and its CSRF token", j)
    attrs = [x.strip() for x in cookie.split(";")[1:]]
    tap.ok(sorted(attrs) == ["HttpOnly", "Path=/", "SameSite=Strict"],
           "login: the cookie is HttpOnly, SameSite=Strict, Path=/, a "
           "browser session's (no Expires), not Secure without TLS", cookie)
    tap.ok(h.get("cache-control") == "no-store" and
           h.get("content-security-policy") == STRICT_CSP,
           "login: the answer is not cached")
    recs = gw.rows("kind = 'admin' AND path = '/admin/v1/me'")
    tap.ok(len(recs) == 2 and recs[1]["status"] in (200, 404),
           "audit: the login is recorded (GET /admin/v1/me)", recs)
    return a, sid, j["csrf"]


def test_calls(gw, a, sid, csrf):
    c = {"Cookie": sid}
    st, h, _, j = a.call("GET", "/admin/v1/teams", headers=c)
    tap.ok(st == 200 and j["object"] == "list", "session: GET with the "
           "cookie alone", (st, j))
    st, _, _, j = a.call("GET", "/ui/session", headers=c)
    tap.ok(st == 200 and j["active"] and j["csrf"] == csrf,
           "session: GET /ui/session gives the CSRF token again", j)
    team = {"name": "via-cookie"}
    n0 = len(gw.rows("kind = 'admin' AND status = 401"))
    for why, hdr in (
            ("no CSRF token", {}),
            ("a wrong CSRF token", {"X-CSRF-Token": "0" * 64}),
            ("the CSRF token of another length", {"X-CSRF-Token": csrf[:-1]}),
            ("another origin", {"X-CSRF-Token": csrf,
                                "Origin": "http://evil.example"}),
            ("another port", {"X-CSRF-Token": csrf,
                              "Origin": "http://127.0.0.1:1"}),
            ("an origin that is no URL", {"X-CSRF-Token": csrf,
                                          "Origin": "null"})):
        st, _, _, j = a.call("POST", "/admin/v1/teams", team,
                             dict(c, **hdr))
        tap.ok(st == 401 and j["code"] == "invalid_admin_token",
               "session: POST with %s is refused" % why, (st, j))
    tap.eq(gw.rows("name = 'via-cookie'", table="teams", order="id"), [],
           "session: ... and nothing was created")
    tap.eq(len(gw.rows("kind = 'admin' AND status = 401")) - n0, 6,
           "audit: each refused call is recorded")
    st, _, _, j = a.call("POST", "/admin/v1/teams", team,
                         dict(c, **{"X-CSRF-Token": csrf, "Origin": a.origin}))
    tap.ok(st == 201, "session: POST with the CSRF token from the console's "
           "origin", (st, j))
    st, _, _, j = a.call("POST", "/admin/v1/keys", {"team": "via-cookie"},
                         dict(c, **{"X-CSRF-Token": csrf}))
    tap.ok(st == 201 and j["key"].startswith("egk_"),
           "session: POST with the CSRF token and no Origin (not every "
           "client sends one)", (st, j))
    for m, p in (("DELETE", "/admin/v1/keys/" + j["id"]),
                 ("PATCH", "/admin/v1/teams/via-cookie")):
        st, _, _, j2 = a.call(m, p, {"rpm": 5} if m == "PATCH" else None, c)
        tap.eq(st, 401, "session: %s without the CSRF token is refused" % m)
    st, h, data, _ = a.call("GET", "/admin/v1/audit?format=csv", headers=c)
    tap.ok(st == 200 and data.startswith(b"seq,ts,kind") and
           h.get("content-security-policy") == "default-src 'none'; "
           "frame-ancestors 'none'", "session: a streamed export with the "
           "cookie, with the API's headers", (st, h))
    st, _, _, j = a.call("GET", "/admin/v1/teams", headers=dict(
        c, Authorization="Bearer wrong"))
    tap.eq(st, 401, "session: a wrong Authorization is not rescued by the "
           "cookie")
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers={
        "Cookie": "eugate_session=" + "0" * 64})
    tap.eq(st, 401, "session: an unknown id is refused")
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers={
        "Cookie": "other=1; %s; more=2" % sid})
    tap.eq(st, 200, "session: found among other cookies")
    recs = gw.rows("kind = 'admin' AND path = '/admin/v1/teams' AND "
                   "method = 'POST' AND status = 201")
    tap.ok(len(recs) == 1 and recs[0]["client"].startswith("127.0.0.1:"),
           "audit: a call made with the session is recorded like one "
           "made with the token", recs)


def test_logout(gw, a, sid, csrf):
    c = {"Cookie": sid}
    st, _, _, _ = a.call("DELETE", "/ui/session", headers=c)
    tap.eq(st, 401, "logout: without the CSRF token, refused")
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers=c)
    tap.eq(st, 200, "logout: ... and the session lives")
    st, h, _, j = a.call("DELETE", "/ui/session",
                         headers=dict(c, **{"X-CSRF-Token": csrf}))
    cookie = h.get("set-cookie", "")
    tap.ok(st == 200 and cookie.startswith("eugate_session=;") and
           "Max-Age=0" in cookie, "logout: the cookie is cleared", cookie)
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers=c)
    tap.eq(st, 401, "logout: the old cookie no longer works")
    st, _, _, j = a.call("GET", "/ui/session", headers=c)
    tap.ok(j["active"] is False, "logout: the session is gone")
    # A new login replaces the browser's old session.
    _, _, _, s1 = a.login()
    _, _, _, s2 = a.login(headers={"Cookie": s1})
    st1, _, _, _ = a.call("GET", "/admin/v1/teams", headers={"Cookie": s1})
    st2, _, _, _ = a.call("GET", "/admin/v1/teams", headers={"Cookie": s2})
    tap.eq((st1, st2), (401, 200), "login: a new login ends the session "
           "the browser had")


def test_sessions(gw):
    a, sid, csrf = test_login(gw)
    test_calls(gw, a, sid, csrf)
    test_logout(gw, a, sid, csrf)


def test_api_headers(gw):
    st, h, _ = gw.http("GET", "/admin/v1/teams", headers={
        "Authorization": "Bearer " + ADMIN_TOKEN}, port=gw.admin_port)
    tap.ok(h.get("content-security-policy") == "default-src 'none'; "
           "frame-ancestors 'none'" and h.get("x-content-type-options") ==
           "nosniff" and h.get("cache-control") == "no-store" and
           h.get("x-frame-options") == "DENY" and
           h.get("referrer-policy") == "no-referrer",
           "API answers: no caching (new keys), no sniffing, no framing", h)
    st, h, data = gw.http("GET", "/admin/v1/reports/processing?format=html",
                          headers={"Authorization": "Bearer " + ADMIN_TOKEN},
                          port=gw.admin_port)
    tap.ok(st == 200 and h.get("content-security-policy") ==
           "default-src 'none'; style-src 'unsafe-inline'; "
           "frame-ancestors 'none'" and b"<script" not in data,
           "the HTML report: its inline style and nothing else", h)
    st, h, _ = gw.http("GET", "/admin/v1/teams", port=gw.admin_port)
    tap.ok(st == 401 and h.get("cache-control") == "no-store",
           "a refusal carries them too")


def test_expiry(env, up):
    gw = env.gateway([{"name": "up", "url": up.url}], name="short",
                     gateway="console_idle_timeout = 1500ms\n"
                             "console_session_lifetime = 4s\n"
                             "console_cookie_secure = on\n")
    a = Admin(gw)
    st, h, j, sid = a.login()
    tap.ok(st == 200 and "; Secure" in h.get("set-cookie", "") and
           j["idle_timeout"] == 1,
           "console_cookie_secure = on: the cookie is Secure", h)
    c = {"Cookie": sid}
    time.sleep(2)
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers=c)
    tap.eq(st, 401, "idle: unused for console_idle_timeout, the session "
           "ended")
    _, _, _, sid = a.login()
    c = {"Cookie": sid}
    t0 = time.time()
    alive = []
    while time.time() - t0 < 3:
        alive.append(a.call("GET", "/admin/v1/teams", headers=c)[0])
        time.sleep(0.3)
    time.sleep(max(0, 4.4 - (time.time() - t0)))
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers=c)
    tap.ok(set(alive) == {200} and st == 401, "absolute: used all along, "
           "the session ends at console_session_lifetime", (alive, st))
    # The cap: 64 sessions; a login past it ends the one used longest ago.
    sids = [a.login()[3] for _ in range(65)]
    first = a.call("GET", "/admin/v1/teams", headers={"Cookie": sids[0]})[0]
    last = a.call("GET", "/admin/v1/teams", headers={"Cookie": sids[-1]})[0]
    second = a.call("GET", "/admin/v1/teams", headers={"Cookie": sids[1]})[0]
    tap.eq((first, second, last), (401, 200, 200), "cap: 65 logins keep "
           "the 64 newest sessions")
    gw.stop()


def test_off(env, up):
    gw = env.gateway([{"name": "up", "url": up.url}], name="off")
    a = Admin(gw)
    _, _, _, sid = a.login()
    gw.gateway_extra = "console = off\n"
    gw.write_config()
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in gw.logtext(), 5)
    st, _, _, j = a.call("GET", "/ui/")
    tap.eq(st, 401, "console = off (reloaded): /ui/ is the admin API's, "
           "which wants a token")
    st, _, _, _ = a.call("GET", "/admin/v1/teams", headers={"Cookie": sid})
    tap.eq(st, 401, "console = off: a session cookie is ignored")
    st, _ = gw.admin("GET", "/ui/")
    tap.eq(st, 404, "console = off: with the token, /ui/ is no route")
    gw.gateway_extra = ""
    gw.write_config()
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: gw.logtext().count("configuration reloaded") == 2, 5)
    st, _, _, _ = a.call("GET", "/ui/")
    tap.eq(st, 200, "console = on again: /ui/ is back")
    gw.stop()


def main():
    env = Env("console-")
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url}])
    tap.run(test_files, gw)
    tap.run(test_sources)
    tap.run(test_sessions, gw)
    tap.run(test_api_headers, gw)
    log = gw.logtext()
    tap.ok(ADMIN_TOKEN not in log and not re.search(r"[0-9a-f]{64}", log),
           "logs: no admin token, session id or CSRF token")
    tap.ok("console: a session started" in log,
           "logs: sessions are logged, without ids")
    gw.stop()
    tap.run(test_expiry, env, up)
    tap.run(test_off, env, up)
    env.close(tap)
    tap.done()


main()
