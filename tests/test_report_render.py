"""The HTML reports in a real browser: Debian's chromium, headless, renders
the posture and the Art. 30 record as the daemon serves them, with no
console message (a script error or a Content-Security-Policy violation
would be one), prints each to PDF on A4 pages (every page's MediaBox is
595 x 842 points) and takes a screenshot. The PDFs and screenshots stay in
build/tests/report-render/ for a reviewer. Skipped when chromium is not
installed (scripts/install-deps installs it)."""
import os
import re
import shutil
import signal
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ADMIN_TOKEN, BUILD, Env, Tap, chat_body  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    print("1..0 # SKIP chromium is not installed (scripts/install-deps)")
    sys.exit(0)

tap = Tap()
OUT = os.path.join(BUILD, "tests", "report-render")


def chromium(env, url, *args):
    """Runs headless chromium on url; returns (status, console lines)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--disable-extensions", "--hide-scrollbars",
           "--user-data-dir=" + os.path.join(env.dir, "chromium"),
           "--enable-logging=stderr", "--v=0"] + list(args) + [url]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    text = (out + err).decode(errors="replace")
    return p.returncode, [l for l in text.splitlines() if ":CONSOLE" in l]


def pdf_pages(path):
    """The MediaBox of every page of a PDF, in whole points."""
    with open(path, "rb") as f:
        data = f.read()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    boxes = [tuple(round(float(x)) for x in m.groups()) for m in
             re.finditer(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+"
                         rb"([\d.]+)\s+([\d.]+)\s*\]", data)]
    return pages, boxes


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def render(env, name, doc):
    """Renders an HTML document: PDF and screenshot; returns what was
    seen."""
    src = os.path.join(env.dir, name + ".html")
    with open(src, "w") as f:
        f.write(doc)
    pdf = os.path.join(OUT, name + ".pdf")
    png = os.path.join(OUT, name + ".png")
    for p in (pdf, png):
        if os.path.exists(p):
            os.unlink(p)
    rc1, c1 = chromium(env, "file://" + src, "--no-pdf-header-footer",
                       "--print-to-pdf=" + pdf)
    rc2, c2 = chromium(env, "file://" + src, "--window-size=1000,1400",
                       "--screenshot=" + png)
    return rc1 == 0 and rc2 == 0, c1 + c2, pdf, png


def test_render():
    env = Env("report-render-")
    os.makedirs(OUT, exist_ok=True)

    # The checker itself: a document with a script and an outside image
    # under the reports' policy gives console messages.
    ok, console, _, _ = render(env, "control", (
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-"
        "Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'"
        "\"></head><body><p>x</p><script>console.log(1)</script>"
        "<img src=\"http://127.0.0.1:9/x.png\"></body></html>"))
    tap.ok(ok and len(console) >= 1, "the checker sees what a bad document "
           "does (a blocked script or image is a console message)", console)

    up = env.upstream(name="up")
    up_us = env.upstream(name="up-us")
    gw = env.gateway([
        {"name": "mistral-eu", "url": up.url, "models": "*", "region": "eu",
         "provider": "Mistral AI SAS", "location": "EU", "provider_retention":
         "30d", "dpa": "https://legal.mistral.ai/terms/data-processing-"
         "addendum", "subprocessors": "https://trust.mistral.ai"},
        {"name": "mistral-us", "url": up_us.url, "models": "*",
         "region": "us", "provider": "Mistral AI SAS", "location": "US",
         "transfer": "scc"},
    ], gateway="controller = Example <b>Health</b> GmbH, Berlin\n"
       "dpo = dpo@example-health.eu\naudit_checkpoint_interval = 100ms\n",
        policies="[policy default]\npurpose = drafting answers to customer "
        "e-mails\nlegal_basis = Art. 6(1)(b) GDPR\ndata_subjects = "
        "customers\n[policy us]\nregions = us\n")
    for i in range(12):
        key = gw.new_key("team-%02d" % i, policy="us" if i % 3 == 0 else
                         "default")
        gw.api("POST", "/v1/chat/completions",
               chat_body("mail anna.schmidt@example.com"), key=key)
    for name in ("posture", "art30"):
        st, _, data = gw.http("GET", "/admin/v1/reports/%s?format=html" % name,
                              headers={"Authorization": "Bearer " +
                                       ADMIN_TOKEN}, port=gw.admin_port)
        ok, console, pdf, png = render(env, name, data.decode())
        tap.ok(st == 200 and ok and console == [],
               "%s: chromium renders it without a console message" % name,
               console)
        pages, boxes = pdf_pages(pdf) if os.path.exists(pdf) else (0, [])
        tap.ok(pages >= 1 and len(boxes) >= pages and
               all(b == (0, 0, 595, 842) for b in boxes),
               "%s: printed to PDF, %d A4 pages (595 x 842 points)" %
               (name, pages), boxes)
        tap.ok(png_size(png) == (1000, 1400), "%s: a screenshot" % name)
        if name == "art30":
            tap.ok(pages >= 2, "art30: 12 teams take more than one page, "
                   "each A4", pages)
    env.close(tap)


tap.run(test_render)
tap.done()
