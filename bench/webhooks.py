#!/usr/bin/env python3
"""Webhook deliveries per second one node sustains to a receiver that answers in 50 ms.

Separate processes on loopback: the emulator, the service (SQLite, one node) and a Node.js receiver
(bench/webhook-receiver.mjs: 50 ms per answer, checks every signature). A job of N items whose
connector does not exist fails every item at once (one Cyclr call each), so the outbox fills faster
than any receiver drains it; the rate is measured at the receiver between the 10 % and 90 % marks of
the N + 1 webhooks (item.failed per item, job.finished). Rerun: python3 bench/webhooks.py [N] [C…]
where C are values of WEBHOOK_MAX_CONCURRENCY (default 16 64).
"""
import base64, json, os, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (helpers: free ports, processes, HTTP)

LATENCY_MS = 50


def receiver_stats(url):
    with urllib.request.urlopen(url + "/stats", timeout=30) as r:
        return json.loads(r.read())


def run(n, concurrency, api, workdir):
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    rport = bench.free_port()
    receiver = subprocess.Popen(["node", os.path.join(bench.ROOT, "bench", "webhook-receiver.mjs"), str(rport),
                                 secret, str(LATENCY_MS)])
    rurl = f"http://127.0.0.1:{rport}"
    port = bench.free_port()
    env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=bench.TOKEN, CYCLR_API_URL=api,
               CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
               GATEWAY_MAX_CONCURRENCY="16", STORE_URL="sqlite:" + os.path.join(workdir, f"hooks-{concurrency}.db"),
               WEBHOOK_URL=rurl + "/hooks", WEBHOOK_SECRET=secret, WEBHOOK_EVENTS="item.failed,job.finished",
               WEBHOOK_MAX_CONCURRENCY=str(concurrency), LOG_LEVEL="WARN")
    service = subprocess.Popen(["java", *bench.JVM_FLAGS["shipped"], "-jar", bench.JAR, "serve"], env=env,
                               cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        bench.wait_http(base + "/health/ready")
        items = [{"account": f"hook-{concurrency}-{i:06d}"} for i in range(1, n + 1)]
        t0 = time.time()
        job = bench.http("POST", base + "/v1/jobs", {"connector": {"id": 999}, "items": items})
        deadline = time.time() + 600
        while time.time() < deadline:
            s = receiver_stats(rurl)
            if s["distinct"] >= n + 1:
                break
            time.sleep(0.5)
        total = time.time() - t0
        s = receiver_stats(rurl)
        times = s["times"]
        lo, hi = times[int(0.1 * len(times))], times[int(0.9 * len(times)) - 1]
        steady = (int(0.9 * len(times)) - int(0.1 * len(times)) - 1) / ((hi - lo) / 1000)
        summary = bench.http("GET", base + "/v1/jobs/" + job["id"])
        return {"bench": "webhooks", "webhooks": n + 1, "receiverLatencyMs": LATENCY_MS,
                "maxConcurrency": concurrency, "ideal": round(concurrency * 1000 / LATENCY_MS, 1),
                "steadyPerSecond": round(steady, 1), "endToEndSeconds": round(total, 1),
                "delivered": s["distinct"], "requests": s["received"], "invalidSignatures": s["invalid"],
                "receiverMaxInFlight": s["maxInFlight"], "jobStatus": summary["status"]}
    finally:
        bench.stop(service)
        bench.stop(receiver)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    levels = [int(c) for c in sys.argv[2:]] or [16, 64]
    bench.ensure_jar()
    workdir = tempfile.mkdtemp(prefix="cyclr-onboarder-hooks-")
    emu, api = bench.start_emulator(0)
    results = []
    try:
        for c in levels:
            r = run(n, c, api, workdir)
            print(json.dumps(r), flush=True)
            results.append(r)
    finally:
        bench.stop(emu)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", "webhooks-latest.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
