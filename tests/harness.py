"""Integration test harness: runs the real eugate and fake upstreams.

Every test file builds its own processes on ephemeral loopback ports
(listen = 127.0.0.1:0 plus port files) in a private temp directory, so
test files run in parallel. Output is TAP for automake's tap-driver.
"""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.environ.get("EUGATE_BUILDDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
SRC = os.environ.get("EUGATE_SRCDIR") or BUILD
ADMIN_TOKEN = "test-admin-token-0123456789"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name, diag=None):
        return self.ok(got == want, name, "got %r, want %r%s" % (
            got, want, "" if diag is None else "\n%r" % (diag,)))

    def run(self, fn, *args):
        """Runs one test function; an exception is one failure."""
        try:
            fn(*args)
        except Exception:
            self.ok(False, "%s raised" % fn.__name__, traceback.format_exc())

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def read_port(path, proc, timeout=10.0):
    def ready():
        if proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            with open(path) as f:
                t = f.read().strip()
            return int(t) if t else None
        except (OSError, ValueError):
            return None
    port = wait_for(ready, timeout)
    if not port:
        raise RuntimeError("no port in %s" % path)
    return port


class Upstream:
    """One eugate-demo-upstream process with a record file."""

    def __init__(self, tmp, name="up", openai=False, status=0, delay_ms=0,
                 port=0):
        self.name = name
        self.record = os.path.join(tmp, "%s.jsonl" % name)
        portfile = os.path.join(tmp, "%s.port" % name)
        if os.path.exists(portfile):
            os.unlink(portfile)
        args = [os.path.join(BUILD, "eugate-demo-upstream"), "-p", str(port),
                "-P", portfile, "-r", self.record, "-n", name]
        if openai:
            args.append("-o")
        if status:
            args += ["-s", str(status)]
        if delay_ms:
            args += ["-d", str(delay_ms)]
        self.log = open(os.path.join(tmp, "%s.log" % name), "a")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        self.port = read_port(portfile, self.proc)
        self.url = "http://127.0.0.1:%d" % self.port

    def records(self):
        try:
            with open(self.record) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def requests(self):
        return [r for r in self.records() if "method" in r]

    def events(self):
        return [r for r in self.records() if "event" in r]

    def last(self):
        reqs = self.requests()
        return reqs[-1] if reqs else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def closed_port():
    """A loopback port with nothing listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Gateway:
    """The real eugate daemon on ephemeral ports."""

    def __init__(self, tmp, upstreams, gateway="", policies="", env=None,
                 data_dir=None, name="gw", admin_token=ADMIN_TOKEN,
                 wrap=None):
        self.tmp = tmp
        self.name = name
        self.data_dir = data_dir or os.path.join(tmp, "var")
        self.conf = os.path.join(tmp, "%s.ini" % name)
        self.portfile = os.path.join(tmp, "%s.port" % name)
        self.adminportfile = os.path.join(tmp, "%s.admin.port" % name)
        self.logpath = os.path.join(tmp, "%s.log" % name)
        self.outpath = os.path.join(tmp, "%s.out" % name)
        self.admin_token = admin_token
        self.upstreams = upstreams
        self.wrap = wrap or []
        self.gateway_extra = gateway
        self.policies = policies
        self.write_config()
        self.env = dict(os.environ)
        self.env.pop("MISTRAL_API_KEY", None)
        if admin_token is not None:
            self.env["EUGATE_ADMIN_TOKEN"] = admin_token
        else:
            self.env.pop("EUGATE_ADMIN_TOKEN", None)
        self.env.setdefault("ASAN_OPTIONS",
                            "quarantine_size_mb=16:detect_leaks=1")
        self.env.update(env or {})
        self.start()

    def config_text(self):
        # The fake upstream is scripted by x-fake-* request headers.
        fwd = ("" if "forward_headers" in self.gateway_extra else
               "forward_headers = accept, user-agent, last-event-id, "
               "x-fake-*\n")
        text = ("[gateway]\nlisten = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0\n"
                "port_file = %s\nadmin_port_file = %s\ndata_dir = %s\n%s%s\n"
                % (self.portfile, self.adminportfile, self.data_dir, fwd,
                   self.gateway_extra))
        for u in self.upstreams:
            text += "[upstream %s]\n" % u["name"]
            u = dict({"region": "eu"}, **u)
            for k, v in u.items():
                if k != "name":
                    text += "%s = %s\n" % (k, v)
        return text + self.policies

    def write_config(self, text=None):
        with open(self.conf, "w") as f:
            f.write(text if text is not None else self.config_text())

    def start(self):
        for p in (self.portfile, self.adminportfile):
            if os.path.exists(p):
                os.unlink(p)
        self.log = open(self.logpath, "a")
        self.out = open(self.outpath, "a")
        self.proc = subprocess.Popen(
            self.wrap + [os.path.join(BUILD, "eugate"), "-c", self.conf],
            stdout=self.out, stderr=self.log, env=self.env)
        self.port = read_port(self.portfile, self.proc)
        self.admin_port = read_port(self.adminportfile, self.proc)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.out.close()
        return self.proc.returncode

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    # -- HTTP helpers -------------------------------------------------

    def http(self, method, path, body=None, headers=None, port=None,
             timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port,
                                          timeout=timeout)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def api(self, method, path, body=None, key=None, headers=None):
        hdrs = dict(headers or {})
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        return self.http(method, path, body, hdrs)

    def admin(self, method, path, body=None, token=None):
        hdrs = {"Authorization": "Bearer " + (token or self.admin_token)}
        status, _, data = self.http(method, path, body, hdrs,
                                    port=self.admin_port)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode(errors="replace")

    def new_key(self, team="t1", policy="default"):
        st, _ = self.admin("POST", "/admin/v1/teams",
                           {"name": team, "policy": policy})
        if st not in (201, 409):
            raise RuntimeError("team create: %d" % st)
        st, res = self.admin("POST", "/admin/v1/keys", {"team": team})
        if st != 201:
            raise RuntimeError("key create: %d %r" % (st, res))
        return res["key"]

    def synced(self, timeout=10.0):
        """Waits until the records in the gateway's intent journal are in
        its database (the writer applies them a moment after they are
        kept): a test that reads the database file itself sees what the
        gateway answered for. Nothing to wait for when it is not
        running (its next start replays them)."""
        if self.proc.poll() is not None:
            return True
        end = time.time() + timeout
        while True:
            want = journal_last(os.path.join(self.data_dir,
                                             "eugate.db.intents"))
            if not want:
                return True
            db = sqlite3.connect(os.path.join(self.data_dir, "eugate.db"),
                                 timeout=10)
            try:
                have = dict(db.execute("SELECT lane, seq FROM journal"))
            except sqlite3.OperationalError:
                have = {}
            finally:
                db.close()
            if all(have.get(lane, 0) >= seq for lane, seq in want.items()):
                return True
            if time.time() > end or self.proc.poll() is not None:
                return False
            time.sleep(0.002)

    def rows(self, where="1=1", args=(), table="audit", order="seq"):
        """Rows of a table of the gateway's database, read directly (once
        the journal's records are in it)."""
        self.synced()
        db = sqlite3.connect(os.path.join(self.data_dir, "eugate.db"),
                             timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(
                "SELECT * FROM %s WHERE %s ORDER BY %s" % (table, where,
                                                           order), args)]
        finally:
            db.close()

    def row(self, request_id):
        rows = wait_for(lambda: self.rows("request_id = ?", (request_id,)),
                        5)
        return rows[0] if rows else None


def journal_last(d):
    """{lane: last sequence} of the records in an intent journal
    (storage/journal.h: u32 length, u32 CRC, u64 sequence, payload)."""
    last = {}
    try:
        names = os.listdir(d)
    except FileNotFoundError:
        return last
    for n in names:
        m = re.match(r"L(\d+)\.[0-9a-f]{16}$", n)
        if not m:
            continue
        try:
            with open(os.path.join(d, n), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue    # applied and removed meanwhile
        off = 0
        while off + 16 <= len(data):
            size = int.from_bytes(data[off:off + 4], "little")
            if size == 0 or off + 16 + size > len(data):
                break
            seq = int.from_bytes(data[off + 8:off + 16], "little")
            lane = int(m.group(1))
            last[lane] = max(last.get(lane, 0), seq)
            off += 16 + size
    return last


def chat_body(content="hello", model="mistral-small-latest", stream=False,
              **extra):
    b = {"model": model, "messages": [{"role": "user", "content": content}]}
    if stream:
        b["stream"] = True
    b.update(extra)
    return b


def raw_exchange(port, data, timeout=5.0, pause=None):
    """Sends bytes on a new connection and reads until the peer closes.

    Returns (bytes received, closed): closed is True when the server
    closed the connection within the timeout.
    """
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    chunks = data if isinstance(data, list) else [data]
    for c in chunks:
        try:
            s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            break   # the server refused early; read its answer
        if pause:
            time.sleep(pause)
    got = b""
    closed = False
    end = time.time() + timeout
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not b:
            closed = True
            break
        got += b
    s.close()
    return got, closed


def statuses(raw):
    """The status codes of the HTTP responses in raw bytes, in order."""
    return [int(m) for m in re.findall(rb"HTTP/1\.1 ([0-9]{3}) ", raw)]


class SSEReader:
    """Reads an SSE response event by event from a raw socket."""

    def __init__(self, port, body, key, headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        payload = json.dumps(body).encode()
        head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n" % (key, len(payload)))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall(head.encode() + b"\r\n" + payload)
        self.buf = b""
        self.head = None
        self.body = b""      # de-chunked body so far
        self.ended = False   # the final chunk arrived

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError("connection closed")
        self.buf += b

    def _dechunk(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                return
            size = int(self.buf[:i].split(b";")[0], 16)
            if len(self.buf) < i + 2 + size + 2:
                return
            if size == 0:
                self.ended = True
                self.buf = self.buf[i + 4:]
                return
            self.body += self.buf[i + 2:i + 2 + size]
            self.buf = self.buf[i + 2 + size + 2:]

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        self.status = int(self.head.split(" ")[1])
        return self.head

    def next_event(self):
        """Returns the next event's text, or None at the end of the body."""
        if self.head is None:
            self.read_head()
        while True:
            self._dechunk()
            if b"\n\n" in self.body:
                ev, self.body = self.body.split(b"\n\n", 1)
                return ev.decode()
            if self.ended:
                return None
            self._fill()

    def rest(self):
        """All remaining events, until the end of the body."""
        events = []
        while True:
            ev = self.next_event()
            if ev is None:
                return events
            events.append(ev)

    def header(self, name):
        for line in self.head.split("\r\n")[1:]:
            k, _, v = line.partition(": ")
            if k.lower() == name.lower():
                return v
        return None

    def close(self):
        self.sock.close()


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


# A test that make or a timeout stops still stops what it started: the
# signal becomes an exit, and every Env stops its processes at exit.
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _exit_on_signal)


class Env:
    """A temp dir that is removed at exit unless the test failed."""

    def __init__(self, prefix):
        base = os.path.join(BUILD, "tests", "tmp")
        os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=prefix, dir=base)
        self.procs = []
        atexit.register(self.stop_all)

    def stop_all(self):
        """Stops every process of the Env (again: each stop is a no-op
        the second time)."""
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:
                pass

    def upstream(self, *a, **kw):
        u = Upstream(self.dir, *a, **kw)
        self.procs.append(u)
        return u

    def gateway(self, *a, **kw):
        g = Gateway(self.dir, *a, **kw)
        self.procs.append(g)
        return g

    def close(self, tap):
        self.stop_all()
        for p in self.procs:
            if isinstance(p, Gateway):
                log = p.logtext()
                tap.ok("Sanitizer" not in log and "runtime error" not in log,
                       "%s: no sanitizer report in the log" % p.name,
                       log[-3000:])
        if tap.failed == 0:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("# kept %s" % self.dir)


class PgCluster:
    """A private PostgreSQL for one test file (tests/pg-cluster): url is
    None when its server binaries are not installed (the test skips).
    Stopped by Env.close when added to env.procs first."""

    def __init__(self):
        self.script = os.path.join(SRC, "tests", "pg-cluster")
        p = subprocess.run([self.script, "start"], capture_output=True,
                           text=True)
        self.url = self.dir = None
        if p.returncode == 77:
            return
        if p.returncode != 0:
            raise RuntimeError("pg-cluster start: %s" % p.stderr)
        self.dir, self.url = p.stdout.split()
        self.psql = os.path.join(subprocess.run(
            [self.script, "bindir"], capture_output=True,
            text=True).stdout.strip(), "psql")

    def sql(self, query):
        """The rows of query, each a list of strings."""
        p = subprocess.run([self.psql, "-X", "-A", "-t", "-q", "-v",
                            "ON_ERROR_STOP=1", "-F", "\t", "-d", self.url,
                            "-c", query], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql: %s" % p.stderr)
        return [line.split("\t") for line in p.stdout.splitlines() if line]

    def one(self, query):
        """The first value of query's first row, or None."""
        rows = self.sql(query)
        return rows[0][0] if rows and rows[0] else None

    def pause(self):
        subprocess.run([self.script, "pause", self.dir], check=True)

    def resume(self):
        subprocess.run([self.script, "resume", self.dir], check=True)

    def stop(self):
        if self.dir is not None:
            subprocess.run([self.script, "stop", self.dir])
            self.dir = None
