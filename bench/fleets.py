#!/usr/bin/env python3
"""Benchmarks fleets: how long a plan of 10,000 tenants takes, how many Cyclr reads a reconcile costs per
tenant, and what share of Cyclr's rate limit those reads use.

The emulator answers after L = 50 ms and refuses above R requests/s (429); the service runs with
GATEWAY_RATE_PER_SECOND = R, GATEWAY_MAX_CONCURRENCY = C and FLEETS_READ_RATE_PERCENT at its default (20 %).
A fleet of N API-key tenants (createAccounts) is put, planned while nothing exists at Cyclr (each tenant: one
account read, answered 404), applied (ordinary jobs, steps 1 %, 10 %, 100 %), then planned again once it
converged: that plan reads exactly what every reconcile reads (the account, then its installs). Reads per
second are sampled from the emulator's counters four times a second; "steady" is the rate between 10 % and
90 % of a plan's reads, "busiest second" the highest rate over any window of at least one second between
two samples.
Emulator, service and driver are separate processes on loopback. Prints one JSON line and writes
bench/results/fleets.json. Usage: python3 bench/fleets.py [tenants] [rate]
"""
import json, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (same directory: start/stop helpers)

READS = ("GET /v1.0/accounts/{id}", "GET /v1.0/account/connectors")
SHARE_PERCENT = 20


def post(url, body=None, timeout=1800):
    """A POST that may take minutes (a plan answers once every tenant was read)."""
    import urllib.request
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": "Bearer " + bench.TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def reads(api):
    s = bench.emulator_stats(api)
    return sum(s["requestsByRoute"].get(r, 0) for r in READS), s["rateLimited"]


def timed_plan(base, api, name, expected_reads):
    """POST …/plan (answered when every tenant was read), sampling the emulator's read counter meanwhile."""
    import threading
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append((time.time(), reads(api)[0]))
            time.sleep(0.25)

    before, refused_before = reads(api)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.time()
    plan = post(f"{base}/v1/fleets/{name}/plan")
    seconds = time.time() - t0
    done.set()
    t.join()
    after, refused_after = reads(api)
    n = after - before
    marks = {}
    for at, count in samples:
        for frac in (0.1, 0.9):
            if frac not in marks and count - before >= frac * max(1, expected_reads):
                marks[frac] = (at, count)
    steady = None
    if 0.1 in marks and 0.9 in marks and marks[0.9][0] > marks[0.1][0]:
        steady = (marks[0.9][1] - marks[0.1][1]) / (marks[0.9][0] - marks[0.1][0])
    # The busiest second: the highest rate over any window of at least one second between two samples.
    busiest = 0.0
    for i, (at, count) in enumerate(samples):
        for later, later_count in samples[i + 1:]:
            if later - at >= 1.0:
                busiest = max(busiest, (later_count - count) / (later - at))
                break
    busiest = round(busiest, 1)
    return plan, seconds, n, steady, busiest, refused_after - refused_before


def measure(n, rate, concurrency, latency_ms, workdir):
    emu, api = bench.start_emulator(latency_ms, rate)
    # A plan answers once every tenant is read (minutes for a big fleet): the connection must stay open that long.
    svc, base = bench.start_service(api, concurrency, workdir, rate=rate, HTTP_IDLE_TIMEOUT_MS="3600000")
    share = rate * SHARE_PERCENT / 100
    try:
        tenants = [{"account": f"fleet-{i:05d}", "authValue": f"key-{i}"} for i in range(n)]
        spec = {"connector": {"id": 1}, "createAccounts": True, "tenants": tenants,
                "policy": {"reconcileIntervalSeconds": 86400, "rollout": {"pauseSeconds": 0}}}
        t0 = time.time()
        bench.http("PUT", base + "/v1/fleets/bench", spec)  # 201, the fleet at generation 1
        put_s = time.time() - t0

        fresh, fresh_s, fresh_reads, fresh_steady, fresh_busiest, fresh_refused = timed_plan(base, api, "bench", n)
        assert fresh["summary"]["INSTALL"] == n, fresh

        t0 = time.time()
        bench.http("POST", base + "/v1/fleets/bench/apply", {"planId": fresh["planId"]})
        while True:
            f = bench.http("GET", base + "/v1/fleets/bench")
            if f["status"] in ("CONVERGED", "HALTED"):
                break
            time.sleep(0.5)
        apply_s = time.time() - t0
        assert f["status"] == "CONVERGED", f

        plan, plan_s, plan_reads, steady, busiest, refused = timed_plan(base, api, "bench", 2 * n)
        assert plan["summary"]["NONE"] == n, plan
        stats = bench.emulator_stats(api)
        return {"tenants": n, "latencyMs": latency_ms, "emulatorMeanResponseMs": round(stats["meanResponseMillis"], 2),
                "ratePerSecond": rate, "concurrency": concurrency, "readSharePercent": SHARE_PERCENT,
                "readShareRatePerSecond": share, "putSeconds": round(put_s, 2),
                "freshPlan": {"seconds": round(fresh_s, 1), "readsPerTenant": round(fresh_reads / n, 3),
                              "steadyReadsPerSecond": round(fresh_steady, 1) if fresh_steady else None,
                              "busiestSecond": fresh_busiest, "refused429": fresh_refused},
                "applySeconds": round(apply_s, 1), "installs": stats["installs"],
                "duplicateInstalls": stats["duplicateInstalls"],
                "reconcilePlan": {"seconds": round(plan_s, 1), "readsPerTenant": round(plan_reads / n, 3),
                                  "steadyReadsPerSecond": round(steady, 1) if steady else None,
                                  "steadyShareOfRate": round(steady / rate, 3) if steady else None,
                                  "busiestSecond": busiest, "busiestShareOfRate": round(busiest / rate, 3),
                                  "refused429": refused,
                                  "idealSeconds": round(2 * n / (share * 0.98), 1)}}
    finally:
        bench.stop(svc)
        bench.stop(emu)


def main():
    bench.ensure_jar()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    work = tempfile.mkdtemp(prefix="onboarder-bench-")
    try:
        r = measure(n, rate, 64, 50, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(r), flush=True)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", "fleets.json"), "w") as f:
        json.dump(r, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
