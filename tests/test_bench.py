"""The benchmark harness works: bench/run --quick (1 s runs, small
counts) starts the nginx upstream, the plain nginx proxy and eugate for
each profile, and every figure it promises is in its JSON, measured
(requests answered, no errors, streams complete, restored answers
checked by bench/run itself before measuring). Figures are not judged
here: performance is measured in bench/, not in timed tests."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, SRC, Tap  # noqa: E402

tap = Tap()
PROFILES = ("passthrough", "full", "stream-full")
PATHS = ("direct", "nginx", "eugate")


def main():
    tmp = tempfile.mkdtemp(prefix="eugate-test-bench-")
    out = os.path.join(tmp, "bench.json")
    env = dict(os.environ, EUGATE=os.path.join(BUILD, "eugate"))
    p = subprocess.run([sys.executable, os.path.join(SRC, "bench", "run"),
                        "--quick", "--out", out], env=env,
                       capture_output=True, text=True, timeout=600)
    if not tap.eq(p.returncode, 0, "bench/run --quick exits 0",
                  p.stderr[-3000:]):
        return
    res = json.load(open(out))
    tap.ok("eugate vs nginx" in p.stdout and "ratio" in p.stdout,
           "it prints the table with eugate/nginx ratios", p.stdout[-2000:])
    tap.ok(res["machine"]["cores"] >= 1 and res["date"],
           "the JSON names the machine and the date")
    for prof in PROFILES:
        for path in PATHS:
            for conns in (1, 16, 64):
                r = [x for x in res["runs"] if (x["profile"], x["path"],
                     x["conns"]) == (prof, path, conns)]
                ok = (len(r) == 1 and r[0]["requests"] > 0 and
                      r[0]["rps"] > 0 and r[0]["errors"] == 0 and
                      0 < r[0]["p50_ms"] <= r[0]["p99_ms"] and
                      r[0]["cpu_us_per_req"] > 0 and r[0]["rss_peak_mb"] > 0
                      and (path != "eugate" or
                           r[0].get("ops_per_txn", 0) >= 1))
                tap.ok(ok, "%s via %s at %d connections: req/s, p50/p99, "
                       "CPU per request, RSS, no errors" % (prof, path,
                                                             conns), r)
    for path in PATHS:
        s = res["sse"].get(path, {})
        tap.ok(0 < s.get("ttfb_p50_ms", 0) <= s.get("ttfb_p99_ms", 0),
               "time to first event via %s" % path, s)
    for path in ("nginx", "eugate"):
        i = res["idle"].get(path, {})
        tap.ok(i.get("connections", 0) > 0 and
               i.get("ok") == i.get("connections") and i.get("rss_mb", 0) > 0,
               "idle keep-alive connections via %s: each answered once, "
               "RSS read while they idle" % path, i)
        s = res["slow"].get(path, {})
        tap.ok(s.get("streams", 0) > 0 and s.get("complete") == s["streams"]
               and s.get("cpu_us_per_stream", 0) > 0,
               "slow streams via %s: all complete, CPU per stream" % path, s)
    names = [t["target"] for t in res["targets"]]
    tap.eq(len(names), 10, "the ten targets are each given a figure", names)


tap.run(main)
tap.done()
