#!/usr/bin/env python3
"""Benchmarks cyclr-onboarder against its Cyclr emulator (separate processes, loopback only).
(Cluster figures: bench/cluster.py.)

1. Flow: emulator latency L, gateway concurrency C, fresh accounts (k = 2 Cyclr calls per item:
   list + install). Measures items/s against the ideal C / (k * L), and both processes' CPU per install.
2. Rate limit: the emulator refuses above R requests/s (429); the service runs with
   GATEWAY_RATE_PER_SECOND = R. Sustained requests/s at the emulator, and the share refused.
3. CPU per install: emulator answering instantly; CPU seconds of the service process (durable
   SQLite state included) per install, against a minimal Node.js script making the same calls
   at the same concurrency (bench/baseline.mjs), at 64 and at 16 in flight.
Every figure comes from one run of this script; ratios are computed within that run.
"""
import http.client as httpclient
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "target", "cyclr-onboarder.jar")
TOKEN = "bench-token"
# The JVM flags the container image ships with (Dockerfile, k8s): C1-only JIT. "default" runs plain
# `java -jar` (tiered, C2): cheaper per install once settled, after tens of thousands of installs of
# compilation and profiled code, and with a higher peak RSS (the CPU rows below measure both).
JVM_FLAGS = {"shipped": ["-XX:TieredStopAtLevel=1"], "default": []}
CLK = os.sysconf("SC_CLK_TCK")


def ensure_jar():
    """Builds target/cyclr-onboarder.jar with the Maven wrapper when it is not there yet."""
    if not os.path.exists(JAR):
        subprocess.run([os.path.join(ROOT, "mvnw"), "-q", "-B", "package", "-DskipTests"], cwd=ROOT, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_polling = {}


def http(method, url, body=None):
    """One JSON call. GETs reuse a kept-alive connection per host, as a dashboard polling a job would: a new
    connection per poll would bill the service for connection set-up (about 0.35 ms of its CPU each).
    Other calls go on a connection of their own, never re-sent."""
    if method != "GET":
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"{}")
    u = urllib.parse.urlsplit(url)
    key = (u.hostname, u.port)
    for attempt in (1, 2):
        conn = _polling.get(key) or _polling.setdefault(key, httpclient.HTTPConnection(u.hostname, u.port, timeout=60))
        try:
            conn.request("GET", u.path + ("?" + u.query if u.query else ""), headers={"Authorization": "Bearer " + TOKEN})
            r = conn.getresponse()
            payload = r.read()
        except (httpclient.HTTPException, OSError):
            conn.close()
            _polling.pop(key, None)
            if attempt == 2:
                raise
            continue
        if r.status >= 400:
            raise RuntimeError(f"GET {url}: HTTP {r.status}: {payload[:300]!r}")
        return json.loads(payload or b"{}")


def wait_http(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError("not ready: " + url)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def start_emulator(latency_ms, rate_limit=0):
    port = free_port()
    p = subprocess.Popen(["java", "-jar", JAR, "emulator", "--port", str(port), "--latency-ms", str(latency_ms),
                          "--rate-limit", str(rate_limit)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("emulator did not start")


def start_service(api_url, concurrency, workdir, jvm="shipped", rate=0, **more_env):
    port = free_port()
    env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=TOKEN, CYCLR_API_URL=api_url,
               CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
               GATEWAY_MAX_CONCURRENCY=str(concurrency), GATEWAY_RATE_PER_SECOND=str(rate),
               STORE_URL="sqlite:" + os.path.join(workdir, "bench.db"), LOG_LEVEL="WARN", **more_env)
    p = subprocess.Popen(["java", *JVM_FLAGS[jvm], "-jar", JAR, "serve"], env=env, cwd=workdir,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/health/ready")
    return p, base


def run_job(base, prefix, n, poll_s=0.02):
    """Submits a job of n fresh accounts and polls it every `poll_s`; returns (summary, seconds end to end)."""
    items = [{"account": f"{prefix}-{i:05d}", "authValue": f"key-{prefix}-{i}"} for i in range(1, n + 1)]
    t0 = time.time()
    job = http("POST", base + "/v1/jobs", {"connector": {"id": 1}, "items": items})
    while True:
        s = http("GET", base + "/v1/jobs/" + job["id"])
        if s["status"] in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
            return s, time.time() - t0
        time.sleep(poll_s)


def measure_job(base, prefix, n, api):
    """Submits n fresh accounts, polls; returns steady-state items/s (10 % → 90 %) and emulator deltas."""
    items = [{"account": f"{prefix}-{i:06d}", "authValue": f"key-{prefix}-{i}"} for i in range(1, n + 1)]
    before = emulator_stats(api)
    t0 = time.time()
    job = http("POST", base + "/v1/jobs", {"connector": {"id": 1}, "items": items})
    marks = {}
    while True:
        s = http("GET", base + "/v1/jobs/" + job["id"])
        c = s["counts"]
        done = n - c["PENDING"] - c["RUNNING"]
        now = time.time()
        req = None
        for frac in (0.1, 0.9):
            if frac not in marks and done >= frac * n:
                req = req if req is not None else emulator_stats(api)["requests"]
                marks[frac] = (now, done, req)
        if s["status"] in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
            break
        time.sleep(0.05)
    after = emulator_stats(api)
    (t10, d10, r10), (t90, d90, r90) = marks[0.1], marks[0.9]
    return {"status": s["status"], "items": n, "seconds": round(time.time() - t0, 2),
            "steadyItemsPerSecond": round((d90 - d10) / (t90 - t10), 1),
            "steadyRequestsPerSecond": round((r90 - r10) / (t90 - t10), 1),
            "requests": after["requests"] - before["requests"],
            "refused429": after["rateLimited"] - before["rateLimited"],
            "installs": after["installs"] - before["installs"],
            "duplicateInstalls": after["duplicateInstalls"] - before["duplicateInstalls"]}


def emulator_stats(api):
    return http("GET", api + "/_emulator/stats")


def run_flow_job(base, api, prefix, n):
    """Submits n fresh accounts and times them by the installs the emulator answered (polled 50 times a
    second), so that the service is asked for its status only four times a second, as a dashboard would,
    and then 50 times a second for the last moments until the job is finished. Its CPU is then the CPU of
    its installs, not of answering the driver. Returns (summary, seconds end to end, marks)."""
    items = [{"account": f"{prefix}-{i:05d}", "authValue": f"key-{prefix}-{i}"} for i in range(1, n + 1)]
    start = emulator_stats(api)["installs"]
    t0 = time.time()
    job = http("POST", base + "/v1/jobs", {"connector": {"id": 1}, "items": items})
    marks, polled = {}, 0.0
    while True:
        done = emulator_stats(api)["installs"] - start
        now = time.time()
        for frac in (0.1, 0.9):
            if frac not in marks and done >= frac * n:
                marks[frac] = (now, done)
        if now - polled >= 0.25 or done >= n:
            polled = now
            s = http("GET", base + "/v1/jobs/" + job["id"])
            if s["status"] in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
                return s, time.time() - t0, marks
        time.sleep(0.02)


def stop(p):
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()


def flow(latency_ms, concurrency, n, workdir):
    emu, api = start_emulator(latency_ms)
    svc, base = start_service(api, concurrency, workdir)
    try:
        # Warmed with as many items as the script's own untimed pass, so that the CPU columns compare two
        # warm processes (a fresh JVM compiles for its first few thousand installs).
        run_job(base, "warm", n)
        before = emulator_stats(api)
        c0 = cpu_seconds(svc.pid)
        s, seconds, marks = run_flow_job(base, api, "flow", n)
        service_cpu = cpu_seconds(svc.pid) - c0
        assert s["status"] == "SUCCEEDED", s
        ideal = concurrency / (2 * latency_ms / 1000.0)
        (t10, d10), (t90, d90) = marks[0.1], marks[0.9]
        steady = (d90 - d10) / (t90 - t10)
        after = emulator_stats(api)
        requests = after["requests"] - before["requests"]
        # The latency the emulator really delivered (its timer plus its own work), measured by it.
        measured_l = after["meanResponseMillis"]
        ideal_measured = concurrency / (requests / n * measured_l / 1000.0)
        # Side by side: the plain script making the same calls at the same concurrency, same emulator.
        out = subprocess.run(["node", os.path.join(ROOT, "bench", "baseline.mjs"), api, "emulator-client",
                              "emulator-secret", "flowscript", str(n), str(concurrency)],
                             capture_output=True, text=True, check=True)
        script = json.loads(out.stdout.strip().splitlines()[-1])
        return {"latencyMs": latency_ms, "concurrency": concurrency, "items": n, "seconds": round(seconds, 2),
                "scriptItemsPerSecond": round(n / script["seconds"], 1),
                "scriptRatio": round(n / script["seconds"] / ideal, 3),
                "callsPerItem": round(requests / n, 3), "emulatorMeanResponseMs": round(measured_l, 2),
                "ideal": round(ideal, 1), "steadyRatioToMeasuredL": round(steady / ideal_measured, 3),
                "steadyItemsPerSecond": round(steady, 1), "steadyRatio": round(steady / ideal, 3),
                "endToEndItemsPerSecond": round(n / seconds, 1), "endToEndRatio": round(n / seconds / ideal, 3),
                "serviceCpuMsPerInstall": round(service_cpu * 1000 / n, 3),
                "scriptCpuMsPerInstall": round(script["cpuSeconds"] * 1000 / n, 3),
                "cpuRatioServiceToScript": round(service_cpu / script["cpuSeconds"], 3)}
    finally:
        stop(svc)
        stop(emu)


def rate_limit(rate, n, workdir):
    emu, api = start_emulator(5, rate)
    svc, base = start_service(api, 32, workdir, rate=rate)
    try:
        measure_job(base, "ratewarm", 100, api)
        r = measure_job(base, "rate", n, api)
        assert r["status"] == "SUCCEEDED", r
        r.update({"rate": rate, "shareOfRate": round(r["steadyRequestsPerSecond"] / rate, 3),
                  "refusedShare": round(r["refused429"] / max(1, r["requests"]), 4)})
        return r
    finally:
        stop(svc)
        stop(emu)


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return None


def cpu(concurrency, n, workdir, jvm, warmups=1, rounds=1):
    """CPU per install of the service and of the script, in `rounds` alternating pairs (service job, then a
    script run) on the same emulator; the ratio of each pair, and their median. Both processes' CPU moves by
    ±15 % from one run to the next on a shared machine, so one pair alone says little. The service's CPU
    during its warm-up jobs is reported too (what the JIT costs before it settles)."""
    emu, api = start_emulator(0)
    svc, base = start_service(api, concurrency, workdir, jvm)
    try:
        # The script makes one untimed pass first; the service gets the same (or, to show where the
        # default JIT settles, several).
        # Polled four times a second, as a dashboard would (each status read counts the job's items).
        w0 = cpu_seconds(svc.pid)
        for w in range(warmups):
            run_job(base, f"cpuwarm{w}", n, poll_s=0.25)
        warm_ms = (cpu_seconds(svc.pid) - w0) * 1000 / max(1, warmups * n)
        pairs = []
        for r in range(rounds):
            c0 = cpu_seconds(svc.pid)
            s, seconds = run_job(base, f"cpu{r}", n, poll_s=0.25)
            c1 = cpu_seconds(svc.pid)
            assert s["status"] == "SUCCEEDED", s
            out = subprocess.run(["node", os.path.join(ROOT, "bench", "baseline.mjs"), api, "emulator-client",
                                  "emulator-secret", f"script{r}", str(n), str(concurrency)],
                                 capture_output=True, text=True, check=True)
            script = json.loads(out.stdout.strip().splitlines()[-1])
            pairs.append({"serviceCpuMsPerInstall": round((c1 - c0) * 1000 / n, 3),
                          "scriptCpuMsPerInstall": round(script["cpuSeconds"] * 1000 / n, 3),
                          "serviceSeconds": round(seconds, 2), "scriptSeconds": round(script["seconds"], 2),
                          "ratio": round((c1 - c0) / script["cpuSeconds"], 3)})
        ranked = sorted(pairs, key=lambda p: p["ratio"])
        mid = ranked[len(ranked) // 2]
        return {"jvm": jvm, "serviceWarmupInstalls": warmups * n, "warmupCpuMsPerInstall": round(warm_ms, 3),
                "peakRssMb": peak_rss_mb(svc.pid), "concurrency": concurrency, "items": n,
                "rounds": rounds, "serviceCpuMsPerInstall": mid["serviceCpuMsPerInstall"],
                "scriptCpuMsPerInstall": mid["scriptCpuMsPerInstall"], "serviceSeconds": mid["serviceSeconds"],
                "scriptSeconds": mid["scriptSeconds"], "cpuRatioServiceToScript": mid["ratio"],
                "ratioMin": ranked[0]["ratio"], "ratioMax": ranked[-1]["ratio"], "pairs": pairs}
    finally:
        stop(svc)
        stop(emu)


def main():
    ensure_jar()
    results = {"flow": [], "rate": None, "cpu": None}
    for latency, conc, n in [(50, 64, 6400), (50, 16, 1600), (100, 32, 3200), (20, 16, 3200)]:
        work = tempfile.mkdtemp(prefix="onboarder-bench-")
        try:
            r = flow(latency, conc, n, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(r), flush=True)
        results["flow"].append(r)
    work = tempfile.mkdtemp(prefix="onboarder-bench-")
    try:
        results["rate"] = rate_limit(200, 2400, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results["rate"]), flush=True)
    results["cpu"] = []
    # The shipped JVM (C1 settles within 3,000 installs) at 64 in flight (as the first flow row) and at 16;
    # the default JVM once C2 settled (30,000 installs).
    for concurrency, jvm, warmups, rounds in ((64, "shipped", 1, 7), (16, "shipped", 1, 7), (64, "default", 10, 5)):
        work = tempfile.mkdtemp(prefix="onboarder-bench-")
        try:
            r = cpu(concurrency, 3000, work, jvm, warmups, rounds)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(r), flush=True)
        results["cpu"].append(r)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "latest.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
