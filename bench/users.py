#!/usr/bin/env python3
"""CPU per install and footprint of a fresh process, started the way users start it, side by side with a
plain Node.js script (bench/baseline.mjs) making the same two Cyclr calls per account.

    python3 bench/users.py [--rounds=N] [--base=BASE_JAR] [--modes=launcher,pod,java]

Modes (how the service is started; each is a fresh process with a fresh SQLite store, default settings
except GATEWAY_MAX_CONCURRENCY=64, the emulator answering at once):
  launcher    bin/cyclr-onboarder serve: the README's quick start and the container image's ENTRYPOINT
  pod         the launcher with k8s/base's ONBOARDER_JVM_OPTIONS, in a 768 MiB pod (-XX:MaxRAM=768m)
  java        plain `java -jar target/cyclr-onboarder.jar serve`, no flags
  flags       `java $USERS_JVM_FLAGS -jar …` (for trying flags; USERS_NMT=1 prints native memory)
  base-java   BASE_JAR (the build before) as a user ran it: plain `java -jar … serve`
  base-image  BASE_JAR with its container image's flags (-XX:TieredStopAtLevel=1)
  base-launcher  BASE_JAR through this bin/cyclr-onboarder (a build before, with the launcher's settings)

Per round and mode: a 2,000-item warm-up job, then three jobs of 20,000 fresh accounts at 64 in flight.
`first` is the service's CPU per install over the first 20,000 (JIT and GC threads included), `warm`
over the third (after 42,000 installs). The script, a fresh process per round, makes a 2,000-account
warm-up pass then three timed passes of 20,000: its first and third passes are the denominators. Peak
RSS is each process's VmHWM / maxRSS over its whole life. Every ratio is of two processes measured in
the same round; the result is the median and spread over rounds. Also prints, per service, where its
CPU went (JIT, GC, event loops, workers) during the first 20,000.
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ROOT = bench.ROOT
N, WARMUP, CONC = 20_000, 2_000, 64


def pod_options():
    with open(os.path.join(ROOT, "k8s", "base", "deployment.yaml")) as f:
        m = re.search(r'name: ONBOARDER_JVM_OPTIONS\s+value: "([^"]+)"', f.read())
    return m.group(1) + " -XX:MaxRAM=768m"


def command(mode, jar):
    if mode in ("launcher", "pod", "base-launcher"):
        return [os.path.join(ROOT, "bin", "cyclr-onboarder"), "serve"]
    if mode == "base-image":
        return ["java", "-XX:TieredStopAtLevel=1", "-jar", jar, "serve"]
    if mode == "flags":  # experiments: USERS_JVM_FLAGS="-XX:… -X…"
        return ["java", *os.environ.get("USERS_JVM_FLAGS", "").split(), "-jar", jar, "serve"]
    return ["java", "-jar", jar, "serve"]


def threads_cpu(pid):
    """CPU seconds per thread group (JIT, GC, event loops, …) of a process."""
    groups = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        secs = (int(fields[11]) + int(fields[12])) / bench.CLK
        if "Compiler" in name:
            key = "jit"
        elif name.startswith(("GC ", "G1 ", "VM Periodic")) or "GC" in name or name == "VM Thread":
            # (the serial collector works on the VM Thread)
            key = "gc"
        elif "eventloo" in name:  # comm is cut at 15 characters
            key = "eventloop"
        elif "worker" in name or "internal" in name:
            key = "worker"
        elif "sqlit" in name:  # onboarder-sqlite-N
            key = "sqlite"
        elif "wal-c" in name:  # onboarder-wal-checkpoint
            key = "checkpoint"
        else:
            key = "other"
        groups[key] = groups.get(key, 0.0) + secs
    return groups


def service_round(mode, jar, api, r):
    work = tempfile.mkdtemp(prefix="onboarder-users-")
    port = bench.free_port()
    env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=bench.TOKEN, CYCLR_API_URL=api,
               CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
               GATEWAY_MAX_CONCURRENCY=str(CONC), ONBOARDER_JAR=jar)
    env.pop("ONBOARDER_JVM_OPTIONS", None)
    if mode == "pod":
        env["ONBOARDER_JVM_OPTIONS"] = pod_options()
    p = subprocess.Popen(command(mode, jar), env=env, cwd=work, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        bench.wait_http(base + "/health/ready")
        pid = java_pid(p.pid)
        bench.run_job(base, f"w{r}", WARMUP, poll_s=0.25)
        out = {}
        for k in range(3):
            c0, t0 = bench.cpu_seconds(pid), threads_cpu(pid)
            s, seconds = bench.run_job(base, f"j{r}-{k}", N, poll_s=0.25)
            assert s["status"] == "SUCCEEDED", s
            c1, t1 = bench.cpu_seconds(pid), threads_cpu(pid)
            if k == 0:
                out["first"] = (c1 - c0) * 1000 / N
                out["firstSeconds"] = round(seconds, 2)
                out["firstThreads"] = {g: round(t1.get(g, 0) - t0.get(g, 0), 2) for g in sorted(t1)}
            if k == 2:
                out["warm"] = (c1 - c0) * 1000 / N
        out["peakRssMb"] = bench.peak_rss_mb(pid)
        if os.environ.get("USERS_NMT"):
            print(subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True,
                                 text=True).stdout, file=sys.stderr)
        return out
    finally:
        bench.stop(p)
        shutil.rmtree(work, ignore_errors=True)


def java_pid(pid):
    """The JVM's pid: the launcher script execs java, so it is the same process; a wrapper would not be."""
    with open(f"/proc/{pid}/comm") as f:
        assert f.read().strip() == "java", "the launcher must exec java (one process to measure)"
    return pid


def script_round(api, r):
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "baseline.mjs"), api, "emulator-client",
                          "emulator-secret", f"s{r}", str(N), str(CONC), str(WARMUP), "3"],
                         capture_output=True, text=True, check=True)
    s = json.loads(out.stdout.strip().splitlines()[-1])
    return {"first": s["passes"][0]["cpuSeconds"] * 1000 / N, "warm": s["passes"][2]["cpuSeconds"] * 1000 / N,
            "peakRssMb": round(s["peakRssKb"] / 1024)}


def spread(values):
    v = sorted(values)
    return {"median": round(statistics.median(v), 3), "min": round(v[0], 3), "max": round(v[-1], 3)}


def main(argv):
    rounds, base_jar, modes = 3, None, ["launcher", "pod"]
    for a in argv:
        if a.startswith("--rounds="):
            rounds = int(a.split("=", 1)[1])
        elif a.startswith("--base="):
            base_jar = a.split("=", 1)[1]
        elif a.startswith("--modes="):
            modes = a.split("=", 1)[1].split(",")
    if base_jar and not any(m.startswith("base") for m in modes):
        modes = ["base-java", "base-image"] + modes
    bench.ensure_jar()
    jar = bench.JAR
    emu, api = bench.start_emulator(0)
    rows = {m: [] for m in modes}
    try:
        for r in range(rounds):
            script = script_round(api, r)
            print(json.dumps({"round": r, "script": {k: round(v, 3) for k, v in script.items()}}), flush=True)
            for m in modes:
                s = service_round(m, base_jar if m.startswith("base") else jar, api, r)
                row = {"round": r, "mode": m, "firstMsPerInstall": round(s["first"], 3),
                       "warmMsPerInstall": round(s["warm"], 3), "scriptFirstMs": round(script["first"], 3),
                       "scriptWarmMs": round(script["warm"], 3),
                       "firstRatio": round(s["first"] / script["first"], 3),
                       "warmRatio": round(s["warm"] / script["warm"], 3),
                       "peakRssMb": s["peakRssMb"], "scriptPeakRssMb": script["peakRssMb"],
                       "rssRatio": round(s["peakRssMb"] / script["peakRssMb"], 3),
                       "firstSeconds": s["firstSeconds"], "firstThreadsCpuSeconds": s["firstThreads"]}
                print(json.dumps(row), flush=True)
                rows[m].append(row)
    finally:
        bench.stop(emu)
    summary = {m: {k: spread([x[k] for x in rs]) for k in
                   ("firstRatio", "warmRatio", "firstMsPerInstall", "warmMsPerInstall", "peakRssMb", "rssRatio")}
               for m, rs in rows.items()}
    print(json.dumps({"summary": summary}, indent=1), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
