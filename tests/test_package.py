"""The Debian package: `dpkg-buildpackage -b -us -uc` builds eugate_*.deb
from a copy of the tree in a temp dir (the checkout is never touched);
lintian finds no error in it; it holds /usr/sbin/eugate,
/usr/bin/eugatectl, the conffile /etc/eugate/eugate.ini, the environment
file, eugate.service and the three man pages, and not the demo upstream;
installed into a temp root with `dpkg -x`, `eugate -t -c
ROOT/etc/eugate/eugate.ini` accepts the shipped configuration; the unit
carries the confinement the README promises, and `systemd-analyze
security` rates it. Skipped (with a message) where dpkg-buildpackage or
debhelper is not installed."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SRC, Env, Tap  # noqa: E402

tap = Tap()
UNIT = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
        "PrivateTmp=yes", "PrivateDevices=yes", "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service", "StateDirectory=eugate",
        "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
        "User=eugate", "LimitNOFILE=")


def copy_tree(dst):
    """The tree's files (tracked and new, not ignored) into dst."""
    git = shutil.which("git")
    files = None
    if git:
        p = subprocess.run([git, "-C", SRC, "ls-files", "-co",
                            "--exclude-standard", "-z"],
                           capture_output=True)
        if p.returncode == 0:
            files = [f for f in p.stdout.decode().split("\0") if f]
    if files is None:
        skip = {".git", "build", "build-san", "ci-plain", "ci-sanitizers",
                "node_modules", "autom4te.cache"}
        files = []
        for root, dirs, names in os.walk(SRC):
            dirs[:] = [d for d in dirs if d not in skip]
            files += [os.path.relpath(os.path.join(root, n), SRC)
                      for n in names]
    for f in files:
        src = os.path.join(SRC, f)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, f))


def git_status():
    if shutil.which("git") is None:
        return None
    p = subprocess.run(["git", "-C", SRC, "status", "--porcelain",
                        "--ignored"], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None


def test_package():
    env = Env("package-")
    try:
        check_package(env)
    finally:
        env.close(tap)


def check_package(env):
    before = git_status()
    src = os.path.join(env.dir, "eugate")
    copy_tree(src)
    benv = {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CFLAGS",
                         "EUGATE_BUILDDIR", "EUGATE_SRCDIR")}
    benv["DEB_BUILD_OPTIONS"] = "nocheck parallel=2"
    with open(os.path.join(env.dir, "build.log"), "w") as log:
        p = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"],
                           cwd=src, stdout=log, stderr=subprocess.STDOUT,
                           env=benv, timeout=1200)
    debs = [f for f in os.listdir(env.dir)
            if re.fullmatch(r"eugate_[^_]+_[^_]+\.deb", f)]
    if not tap.ok(p.returncode == 0 and len(debs) == 1,
                  "dpkg-buildpackage -b -us -uc builds eugate_*.deb",
                  open(os.path.join(env.dir, "build.log")).read()[-3000:]):
        return
    deb = os.path.join(env.dir, debs[0])
    tap.eq(git_status(), before, "the checkout is left as it was")

    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                             text=True).stdout
    paths = {l.split()[-1].lstrip(".") for l in listing.splitlines()}
    want = {"/usr/sbin/eugate", "/usr/bin/eugatectl",
            "/etc/eugate/eugate.ini", "/etc/default/eugate",
            "/lib/systemd/system/eugate.service",
            "/usr/share/man/man8/eugate.8.gz",
            "/usr/share/man/man1/eugatectl.1.gz",
            "/usr/share/man/man5/eugate.ini.5.gz"}
    tap.ok(want <= paths and not any("demo" in x for x in paths),
           "the package holds the daemon, eugatectl, the configuration, "
           "the unit and the man pages, not the demo upstream",
           sorted(want - paths))
    ctl = os.path.join(env.dir, "ctl")
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
    conffiles = open(os.path.join(ctl, "conffiles")).read().split()
    tap.ok("/etc/eugate/eugate.ini" in conffiles and
           "/etc/default/eugate" in conffiles,
           "the configuration and the environment file are conffiles",
           conffiles)
    tap.ok("adduser --system" in open(os.path.join(ctl, "postinst")).read(),
           "postinst creates the system user")

    root = os.path.join(env.dir, "root")
    subprocess.run(["dpkg", "-x", deb, root], check=True)
    conf = os.path.join(root, "etc", "eugate", "eugate.ini")
    renv = dict(os.environ)
    renv.pop("MISTRAL_API_KEY", None)
    p = subprocess.run([os.path.join(root, "usr", "sbin", "eugate"), "-t",
                        "-c", conf], capture_output=True, text=True,
                       env=renv, timeout=60)
    tap.ok(p.returncode == 0 and p.stdout == "configuration OK\n",
           "eugate -t -c ROOT/etc/eugate/eugate.ini accepts the shipped "
           "configuration", p.stdout + p.stderr)
    text = open(conf).read()
    tap.ok(re.search(r"^data_dir = /var/lib/eugate$", text, re.M) and
           os.stat(os.path.join(root, "etc", "default", "eugate")).st_mode &
           0o077 == 0, "data_dir is /var/lib/eugate; the environment file "
           "is the owner's only")

    unit_path = os.path.join(root, "lib", "systemd", "system",
                             "eugate.service")
    unit = open(unit_path).read()
    missing = [u for u in UNIT if u not in unit]
    tap.ok(not missing, "the unit's confinement and service settings",
           missing)
    tap.ok("ExecStart=/usr/sbin/eugate -c /etc/eugate/eugate.ini" in unit,
           "the unit runs the packaged daemon on the packaged file")

    if shutil.which("lintian"):
        changes = [f for f in os.listdir(env.dir) if f.endswith(".changes")]
        p = subprocess.run(["lintian", "--fail-on", "error",
                            os.path.join(env.dir, changes[0])],
                           capture_output=True, text=True, timeout=600)
        tags = [l for l in p.stdout.splitlines() if re.match(r"[EW]: ", l)]
        for l in tags:
            print("# lintian: %s" % l)
        tap.ok(p.returncode == 0 and not [t for t in tags
                                          if t.startswith("E: ")],
               "lintian: no error", p.stdout + p.stderr)
    else:
        print("# lintian is not installed: not run")

    sa = shutil.which("systemd-analyze")
    score = None
    if sa:
        p = subprocess.run([sa, "security", "--offline=yes", unit_path],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)",
                      p.stdout)
        if m:
            score = float(m.group(1))
            print("# systemd-analyze security: %s %s" % m.groups())
    if score is None:
        print("# systemd-analyze security --offline=yes did not run here")
    else:
        tap.ok(score < 2.0, "systemd-analyze security: exposure %.1f "
               "(below 2.0)" % score)


def sanitized():
    """A sanitizer build's suite leaves the package to the plain one's."""
    p = subprocess.run(["ldd", os.path.join(BUILD, "eugate")],
                       capture_output=True, text=True)
    return "libasan" in p.stdout


if sanitized():
    print("ok 1 # SKIP a sanitizer build: the plain build's suite builds "
          "the package")
    print("1..1")
    sys.exit(0)
if shutil.which("dpkg-buildpackage") is None or shutil.which("dh") is None:
    print("ok 1 # SKIP dpkg-buildpackage or debhelper is not installed "
          "(apt-get install dpkg-dev debhelper)")
    print("1..1")
    sys.exit(0)
tap.run(test_package)
tap.done()
