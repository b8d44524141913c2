#!/usr/bin/env python3
"""Big tenant lists: a 1,000,000-item NDJSON job and a 1,000,000-row CSV job sent to a node started
as a user would, `bin/cyclr-onboarder serve` with the launcher's settings and a 256 MB heap
(INTAKE_JVM_OPTIONS replaces them), then the CSV report of a finished 100,000-item job.

Measures, per format: items/s accepted (upload start to the 202), time to first dispatch (202 to the
first item leaving PENDING), the node's peak RSS (VmHWM); for the report: time, rows, and the peak
RSS during the export alone (VmHWM reset through /proc/PID/clear_refs first). Separate processes on
loopback; the emulator answers at once. Usage: bench/intake.py [items] [report_items]
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import JAR, ROOT, ensure_jar, TOKEN, cpu_seconds, free_port, wait_http  # noqa: E402
ITEMS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
REPORT_ITEMS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
# The launcher's settings (bin/cyclr-onboarder) with the 256 MB heap of the goal instead of 512 MB.
LAUNCHER_FLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx256m -XX:+ExitOnOutOfMemoryError"
JVM_OPTIONS = os.environ.get("INTAKE_JVM_OPTIONS", LAUNCHER_FLAGS)


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"{}")


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def write_files(d, n):
    nd, csv = os.path.join(d, "tenants.ndjson"), os.path.join(d, "tenants.csv")
    with open(nd, "w") as f:
        f.write('{"connector": {"id": 1}, "installName": "Bench", "options": {"toleratedFailurePercent": 100}}\n')
        for i in range(n):
            f.write('{"account": "nd-%07d", "authValue": "api-key-%07d", "properties": [{"name": "Region", "value": "eu"}]}\n' % (i, i))
    with open(csv, "w") as f:
        f.write("\ufeffaccount,authValue,installName,prop:Region\r\n")
        for i in range(n):
            f.write('csv-%07d,api-key-%07d,"Bench, CSV",eu\r\n' % (i, i))
    return nd, csv


def submit(base, path, content_type, query=""):
    t0 = time.time()
    out = subprocess.run(["curl", "-sS", "-X", "POST", "-H", "Authorization: Bearer " + TOKEN,
                          "-H", "Content-Type: " + content_type, "-H", "Expect:", "--data-binary", "@" + path,
                          base + "/v1/jobs" + query], capture_output=True, text=True, check=True)
    t1 = time.time()
    job = json.loads(out.stdout)
    if "id" not in job:
        raise RuntimeError("not accepted: " + out.stdout)
    first = None
    deadline = time.time() + 60
    while time.time() < deadline:
        counts = http("GET", base + "/v1/jobs/" + job["id"])["counts"]
        if counts["PENDING"] < job["total"]:
            first = time.time() - t1
            break
        time.sleep(0.02)
    return job, t1 - t0, first


def main():
    ensure_jar()
    work = tempfile.mkdtemp(prefix="onboarder-intake-bench-")
    procs = []
    try:
        print(f"writing {ITEMS:,}-item NDJSON and CSV files in {work}", file=sys.stderr)
        nd, csv = write_files(work, ITEMS)
        ep = free_port()
        procs.append(subprocess.Popen(["java", "-jar", JAR, "emulator", "--port", str(ep)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_http(f"http://127.0.0.1:{ep}/_emulator/stats")
        def start_service(db):
            sp = free_port()
            env = dict(os.environ, HTTP_PORT=str(sp), API_TOKENS=TOKEN, CYCLR_API_URL=f"http://127.0.0.1:{ep}",
                       CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
                       STORE_URL="sqlite:" + os.path.join(work, db), GATEWAY_MAX_CONCURRENCY="64", LOG_LEVEL="WARN",
                       ONBOARDER_JAR=JAR, ONBOARDER_JVM_OPTIONS=JVM_OPTIONS)
            svc = subprocess.Popen([os.path.join(ROOT, "bin", "cyclr-onboarder"), "serve"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, db + ".log"), "w"))
            procs.append(svc)
            base = f"http://127.0.0.1:{sp}"
            wait_http(base + "/health/ready")
            return svc, base

        results = {"items": ITEMS, "jvmOptions": JVM_OPTIONS, "cores": os.cpu_count(),
                   "load_average_before": os.getloadavg()[0]}
        # Each upload goes to a fresh node and database, so that it is measured alone.
        for name, path, ctype, query in (("ndjson", nd, "application/x-ndjson", ""), ("csv", csv, "text/csv", "?connectorId=1")):
            svc, base = start_service(name + ".db")
            cpu0 = cpu_seconds(svc.pid)
            job, secs, first = submit(base, path, ctype, query)
            results[name] = {"bytes": os.path.getsize(path), "seconds": round(secs, 2),
                             "items_per_s": round(ITEMS / secs), "first_dispatch_s": None if first is None else round(first, 3),
                             "service_cpu_s": round(cpu_seconds(svc.pid) - cpu0, 1),
                             "peak_rss_mb": round(status_kb(svc.pid, "VmHWM") / 1024)}
            print(json.dumps({name: results[name]}), file=sys.stderr)
            svc.terminate()
            svc.wait(timeout=60)
        svc, base = start_service("report.db")

        # Report of a finished job: a fresh 100,000-item job, run to the end against the emulator.
        small = os.path.join(work, "report.ndjson")
        with open(small, "w") as f:
            f.write('{"connector": {"id": 1}}\n')
            for i in range(REPORT_ITEMS):
                f.write('{"account": "rep-%07d", "authValue": "k-%07d"}\n' % (i, i))
        job, _, _ = submit(base, small, "application/x-ndjson")
        t0 = time.time()
        while http("GET", base + "/v1/jobs/" + job["id"])["status"] not in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
            time.sleep(1)
        run_s = time.time() - t0
        rss_before = status_kb(svc.pid, "VmRSS")
        with open(f"/proc/{svc.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS: the next peak is the export's
        out = os.path.join(work, "report.csv")
        t0 = time.time()
        subprocess.run(["curl", "-sS", "-o", out, "-H", "Authorization: Bearer " + TOKEN, "-H", "Accept: text/csv",
                        base + "/v1/jobs/" + job["id"] + "/items"], check=True)
        secs = time.time() - t0
        with open(out) as f:
            rows = sum(1 for _ in f) - 1
        results["report"] = {"items": REPORT_ITEMS, "job_run_s": round(run_s, 1), "rows": rows, "seconds": round(secs, 2),
                             "rows_per_s": round(rows / secs), "rss_before_mb": round(rss_before / 1024),
                             "peak_rss_during_export_mb": round(status_kb(svc.pid, "VmHWM") / 1024)}
        print(json.dumps(results, indent=1))
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "intake-latest.json"), "w") as f:
            json.dump(results, f, indent=1)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
