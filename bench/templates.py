#!/usr/bin/env python3
"""Benchmarks whole-integration onboarding: accounts per second taken from nothing to an ACTIVE cycle.

The emulator answers after L = 50 ms; the service runs with C = 16 Cyclr requests in flight. Every account
is fresh and gets one API-key item (list its connectors, install) and then the template's account step
(list its cycles, install the template, read the prerequisites, activate): k = 6 Cyclr calls per account.
Ideal throughput is C / (k·L) accounts/s. Steady state is the rate between 10 % and 90 % of the accounts
ACTIVE; end to end includes submitting the job and the tail. Emulator, service and driver are separate
processes on loopback. Prints one JSON line per run and writes bench/results/templates.json.
"""
import json, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (same directory: start/stop helpers)

TEMPLATE = "6c0b2a5e-0001-4a5e-9c1e-000000000001"  # "API Key Sync" in the emulator's catalogue


def job(prefix, n):
    return {"connector": {"id": 1}, "template": {"id": TEMPLATE}, "activate": {"interval": 60},
            "items": [{"account": f"{prefix}-{i:06d}", "authValue": f"key-{prefix}-{i}"} for i in range(1, n + 1)]}


def run(base, api, prefix, n):
    before = bench.emulator_stats(api)
    body = job(prefix, n)
    t0 = time.time()
    created = bench.http("POST", base + "/v1/jobs", body)
    marks = {"accepted": (time.time(), 0, before["requests"])}
    while True:
        s = bench.http("GET", base + "/v1/jobs/" + created["id"])
        active = s["accounts"]["ACTIVE"]
        now = time.time()
        for frac in (0.01, 0.1, 0.9, 1.0):
            if frac not in marks and active >= frac * n:
                marks[frac] = (now, active, bench.emulator_stats(api)["requests"])
        if s["status"] in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED") and active + s["accounts"]["FAILED"] \
                + s["accounts"]["SETUP_REQUIRED"] >= n:
            break
        time.sleep(0.05)
    seconds = time.time() - t0
    after = bench.emulator_stats(api)
    return s, seconds, marks, {k: after[k] - before[k] for k in ("requests", "installs", "duplicateInstalls",
                                                               "cyclesInstalled", "duplicateCycles", "activations")}, \
        after["meanResponseMillis"]


def measure(latency_ms, concurrency, n, workdir):
    emu, api = bench.start_emulator(latency_ms)
    svc, base = bench.start_service(api, concurrency, workdir)
    try:
        run(base, api, "warm", concurrency * 5)
        s, seconds, marks, delta, measured_l = run(base, api, "tmpl", n)
        assert s["status"] == "SUCCEEDED" and s["accounts"]["ACTIVE"] == n, s
        k = delta["requests"] / n
        ideal = concurrency / (6 * latency_ms / 1000.0)
        (t10, a10, r10), (t90, a90, r90) = marks[0.1], marks[0.9]
        steady = (a90 - a10) / (t90 - t10)
        # Accounts' worth of Cyclr calls per second in the same window (items run ahead of account steps).
        steady_calls = (r90 - r10) / (t90 - t10) / k
        ideal_measured = concurrency / (k * measured_l / 1000.0)
        t_acc, t_first, t_all = marks["accepted"][0], marks[0.01][0], marks[1.0][0]
        return {"latencyMs": latency_ms, "concurrency": concurrency, "accounts": n, "seconds": round(seconds, 2),
                "callsPerAccount": round(k, 3), "emulatorMeanResponseMs": round(measured_l, 2),
                "ideal": round(ideal, 1), "steadyAccountsPerSecond": round(steady, 1),
                "steadyCallsAsAccountsPerSecond": round(steady_calls, 1),
                "steadyCallsRatio": round(steady_calls / ideal, 3),
                "acceptedToAllActiveSeconds": round(t_all - t_acc, 2), "firstActiveAfterSeconds": round(t_first - t_acc, 2),
                "acceptedToAllActiveRatio": round(n / (t_all - t_acc) / ideal, 3),
                "steadyRatio": round(steady / ideal, 3), "steadyRatioToMeasuredL": round(steady / ideal_measured, 3),
                "endToEndAccountsPerSecond": round(n / seconds, 1), "endToEndRatio": round(n / seconds / ideal, 3),
                **delta}
    finally:
        bench.stop(svc)
        bench.stop(emu)


def main():
    bench.ensure_jar()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1600
    work = tempfile.mkdtemp(prefix="onboarder-bench-")
    try:
        r = measure(50, 16, n, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(r), flush=True)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", "templates.json"), "w") as f:
        json.dump(r, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
