"""The open-file limit: eugate raises its soft RLIMIT_NOFILE to the hard
limit at start and warns, naming both numbers, when what max_connections
needs does not fit (at start, with -t and at a reload); the systemd unit's
LimitNOFILE= fits the shipped configuration."""
import os
import re
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SRC, Env, Tap, wait_for  # noqa: E402

tap = Tap()
EUGATE = os.path.join(BUILD, "eugate")
# Sets the limits, then runs the rest of the command line.
LIMIT = [sys.executable, "-c",
         "import os, resource, sys; resource.setrlimit("
         "resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[2]))); "
         "os.execv(sys.argv[3], sys.argv[3:])"]
WARN = re.compile(r"open-file limit (\d+) is below the (\d+) that "
                  r"max_connections = (\d+) needs")


def check(conf, soft, hard, extra="", tmp=None):
    """eugate -t under the limits, on conf with its max_connections line
    replaced by extra (in a copy in tmp); (rc, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("MISTRAL_API_KEY", None)
    path = conf
    if extra:
        path = os.path.join(tmp, "extra.ini")
        text = re.sub(r"^max_connections = \d+$", extra.strip(),
                      open(conf).read(), flags=re.M)
        with open(path, "w") as f:
            f.write(text)
    p = subprocess.run(LIMIT + [str(soft), str(hard), EUGATE, "-t", "-c",
                                path], capture_output=True, text=True,
                       env=env, timeout=30)
    return p.returncode, p.stdout, p.stderr


def can_set(soft, hard):
    """Whether these limits may be set here (above the hard limit: only
    with CAP_SYS_RESOURCE)."""
    p = subprocess.run(LIMIT + [str(soft), str(hard), "/bin/true"],
                       capture_output=True)
    return p.returncode == 0


def test_check():
    env = Env("fdlimit-")
    try:
        check_limits(env)
    finally:
        env.close(tap)


def check_limits(env):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    conf = os.path.join(env.dir, "e.ini")
    with open(conf, "w") as f:
        f.write("[gateway]\nmax_connections = 1000\nworkers = 2\n"
                "[upstream u]\nurl = http://127.0.0.1:9\nregion = eu\n")
    rc, out, err = check(conf, 256, 256)
    m = WARN.search(err)
    tap.ok(rc == 0 and "configuration OK" in out and m is not None and
           m.groups() == ("256", "2048", "1000") and
           "LimitNOFILE=2048" in err and "max_connections to 104" in err,
           "-t under 256 descriptors: a warning names the limit, what "
           "max_connections needs, the fix", err)
    if not can_set(512, 4096):
        print("# the hard limit here is %d: raising skipped" % hard)
    else:
        rc, out, err = check(conf, 512, 4096)
        tap.ok(rc == 0 and WARN.search(err) is None,
               "a soft limit below the hard one is raised: no warning", err)
    # The unit's LimitNOFILE= fits the shipped configuration, and only
    # just: a bigger max_connections would not.
    unit = open(os.path.join(SRC, "debian", "eugate.service")).read()
    n = int(re.search(r"^LimitNOFILE=(\d+)$", unit, re.M).group(1))
    shipped = os.path.join(SRC, "conf", "eugate.ini")
    # What it needs, read from the warning under the limit available here
    # (no warning: it needs no more than that limit).
    low = min(n, hard)

    def need(extra=""):
        rc, out, err = check(shipped, low, low, extra, env.dir)
        m = WARN.search(err)
        return (int(m.group(2)) if m else low), rc
    want, rc = need()
    tap.ok(rc == 0 and want <= n, "LimitNOFILE=%d fits the shipped "
           "max_connections (it needs %d)" % (n, want))
    more, rc = need("max_connections = 11000\n")
    tap.ok(more > n, "and 11000 connections would not fit (%d)" % more)


def test_daemon():
    env = Env("fdlimitd-")
    try:
        check_daemon(env)
    finally:
        env.close(tap)


def check_daemon(env):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if not can_set(512, 4096):
        print("# the hard limit here is %d: daemon checks skipped" % hard)
        return
    up = env.upstream(name="up")
    gw = env.gateway([{"name": "up", "url": up.url, "models": "*"}],
                     gateway="max_connections = 1000\n",
                     wrap=LIMIT + ["512", "4096"])
    st, text = gw.admin("GET", "/admin/v1/metrics")
    tap.ok("process_max_fds 4096" in text and WARN.search(gw.logtext()) is
           None, "the daemon runs with the soft limit raised to the hard "
           "one", [l for l in text.splitlines() if "max_fds" in l])
    gw.gateway_extra = "max_connections = 3000\n"
    gw.write_config()
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in gw.logtext(), 5)
    m = WARN.search(gw.logtext())
    tap.ok(m is not None and m.groups() == ("4096", "6048", "3000"),
           "a reload to more connections than fit warns", gw.logtext()[-800:])


tap.run(test_check)
tap.run(test_daemon)
tap.done()
