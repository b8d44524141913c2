#!/usr/bin/env python3
"""Compares two builds of the service side by side in one run (the way a refactoring is judged).

    python3 bench/compare.py BASE_JAR [NEW_JAR] [--rounds N] [--items N]

BASE_JAR is the build before the change (e.g. `git worktree add /tmp/base <rev>` then
`./mvnw -q -B package -DskipTests` there); NEW_JAR defaults to target/cyclr-onboarder.jar.
One emulator serves both services; the two services run at the same time (each idle while the
other works), and their jobs alternate, so both meet the same machine load:

1. CPU per install: emulator answering at once, 64 in flight, the container image's JVM flags; after
   one warm-up job each, `rounds` alternating jobs of `items` fresh accounts; CPU seconds of each
   service process per install, and the ratio new/base of each pair.
2. Throughput: emulator latency 50 ms, 64 in flight (ideal 640 items/s); steady items/s (10 % -> 90 %
   of the emulator's installs) of alternating jobs, and the ratio new/base of each pair.
Prints JSON lines; the medians and spreads of the ratios are the result.
"""
import json, os, shutil, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (same folder)


def service(jar, api, concurrency, workdir):
    bench.JAR = jar
    return bench.start_service(api, concurrency, workdir, "shipped")


def emulator(jar, latency_ms):
    bench.JAR = jar  # one emulator for both services: the base build's
    return bench.start_emulator(latency_ms)


def cpu_pairs(base_jar, new_jar, rounds, items):
    emu, api = emulator(base_jar, 0)
    dirs = [tempfile.mkdtemp(prefix="onboarder-cmp-") for _ in range(2)]
    procs = []
    try:
        procs.append(service(base_jar, api, 64, dirs[0]))
        procs.append(service(new_jar, api, 64, dirs[1]))
        for i, (p, base) in enumerate(procs):
            bench.run_job(base, f"warm{i}", items, poll_s=0.25)
        pairs = []
        for r in range(rounds):
            row = {}
            for name, (p, base) in zip(("base", "new"), procs):
                c0 = bench.cpu_seconds(p.pid)
                s, seconds = bench.run_job(base, f"{name}{r}", items, poll_s=0.25)
                assert s["status"] == "SUCCEEDED", s
                row[name] = round((bench.cpu_seconds(p.pid) - c0) * 1000 / items, 3)
            row["ratio"] = round(row["new"] / row["base"], 3)
            print(json.dumps({"cpuMsPerInstall": row}), flush=True)
            pairs.append(row)
        rss = {name: bench.peak_rss_mb(p.pid) for name, (p, _) in zip(("base", "new"), procs)}
        return pairs, rss
    finally:
        for p, _ in procs:
            bench.stop(p)
        bench.stop(emu)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


def flow_pairs(base_jar, new_jar, rounds, items, latency_ms=50, concurrency=64):
    emu, api = emulator(base_jar, latency_ms)
    dirs = [tempfile.mkdtemp(prefix="onboarder-cmp-") for _ in range(2)]
    procs = []
    try:
        procs.append(service(base_jar, api, concurrency, dirs[0]))
        procs.append(service(new_jar, api, concurrency, dirs[1]))
        for i, (p, base) in enumerate(procs):
            bench.run_job(base, f"fwarm{i}", items // 4)
        pairs = []
        for r in range(rounds):
            row = {}
            for name, (p, base) in zip(("base", "new"), procs):
                s, seconds, marks = bench.run_flow_job(base, api, f"f{name}{r}", items)
                assert s["status"] == "SUCCEEDED", s
                (t10, d10), (t90, d90) = marks[0.1], marks[0.9]
                row[name] = round((d90 - d10) / (t90 - t10), 1)
            row["ratio"] = round(row["new"] / row["base"], 3)
            print(json.dumps({"steadyItemsPerSecond": row}), flush=True)
            pairs.append(row)
        return pairs
    finally:
        for p, _ in procs:
            bench.stop(p)
        bench.stop(emu)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


def summary(pairs):
    ratios = sorted(p["ratio"] for p in pairs)
    return {"median": statistics.median(ratios), "min": ratios[0], "max": ratios[-1],
            "baseMedian": statistics.median(p["base"] for p in pairs),
            "newMedian": statistics.median(p["new"] for p in pairs)}


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    if not args:
        print(__doc__)
        return 2
    base_jar = os.path.abspath(args[0])
    new_jar = os.path.abspath(args[1]) if len(args) > 1 else os.path.join(bench.ROOT, "target", "cyclr-onboarder.jar")
    rounds, items = int(opts.get("rounds", 7)), int(opts.get("items", 3000))
    cpu, rss = cpu_pairs(base_jar, new_jar, rounds, items)
    flow = flow_pairs(base_jar, new_jar, max(3, rounds // 2), int(opts.get("flow-items", 6400)))
    result = {"baseJar": base_jar, "newJar": new_jar, "items": items,
              "cpuPerInstallNewToBase": summary(cpu), "peakRssMb": rss,
              "steadyThroughputNewToBase": summary(flow)}
    print(json.dumps(result, indent=2), flush=True)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", "compare.json"), "w") as f:
        json.dump({**result, "cpuPairs": cpu, "flowPairs": flow}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
