#!/usr/bin/env python3
"""Big uploads before and after, side by side: the same 1,000,000-item NDJSON and CSV files (auth value, BOM and
CRLF for CSV) sent to fresh nodes of two builds, alternating, with a 256 MB heap.

    python3 bench/intake_pairs.py BASE_JAR [--items=N] [--rounds=N]

base: BASE_JAR as its README ran it (`java -Xmx256m -jar BASE_JAR serve`);
new:  bin/cyclr-onboarder serve with the launcher's settings and -Xmx256m instead of -Xmx512m.
Per upload: items/s (upload start to the 202), time to first dispatch (202 to the first item leaving PENDING),
peak RSS (VmHWM); per pair the ratio new/base. Each node and database is fresh; the emulator answers at once.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
sys.argv = sys.argv[:1]
import intake  # noqa: E402
from bench import JAR, ROOT, TOKEN, cpu_seconds, ensure_jar, free_port, wait_http  # noqa: E402

LAUNCHER_FLAGS = intake.LAUNCHER_FLAGS


def node(build, base_jar, api, work, db):
    port = free_port()
    env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=TOKEN, CYCLR_API_URL=api,
               CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
               STORE_URL="sqlite:" + os.path.join(work, db), GATEWAY_MAX_CONCURRENCY="64", LOG_LEVEL="WARN")
    if build == "base":
        cmd = ["java", "-Xmx256m", "-jar", base_jar, "serve"]
    else:
        env.update(ONBOARDER_JAR=JAR, ONBOARDER_JVM_OPTIONS=os.environ.get("INTAKE_NEW_FLAGS", LAUNCHER_FLAGS))
        cmd = [os.path.join(ROOT, "bin", "cyclr-onboarder"), "serve"]
    p = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/health/ready")
    return p, base


def main():
    base_jar = args[0]
    ensure_jar()
    items, rounds = 1_000_000, 3
    for a in args[1:]:
        if a.startswith("--items="):
            items = int(a.split("=", 1)[1])
        elif a.startswith("--rounds="):
            rounds = int(a.split("=", 1)[1])
    work = tempfile.mkdtemp(prefix="onboarder-intake-pairs-")
    ep = free_port()
    emu = subprocess.Popen(["java", "-jar", JAR, "emulator", "--port", str(ep)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{ep}"
    rows = []
    try:
        nd, csv = intake.write_files(work, items)
        wait_http(api + "/_emulator/stats")
        for r in range(rounds):
            for fmt, path, ctype, query in (("ndjson", nd, "application/x-ndjson", ""),
                                            ("csv", csv, "text/csv", "?connectorId=1")):
                row = {"round": r, "format": fmt}
                for build in ("base", "new"):
                    db = f"{build}-{fmt}-{r}.db"
                    p, base = node(build, base_jar, api, work, db)
                    try:
                        c0 = cpu_seconds(p.pid)
                        job, secs, first = intake.submit(base, path, ctype, query)
                        row[build] = {"itemsPerSecond": round(items / secs), "firstDispatchS": round(first or -1, 3),
                                      "cpuS": round(cpu_seconds(p.pid) - c0, 1),
                                      "peakRssMb": round(intake.status_kb(p.pid, "VmHWM") / 1024)}
                    finally:
                        p.terminate()
                        p.wait(timeout=60)
                        for suffix in ("", "-wal", "-shm"):
                            if os.path.exists(os.path.join(work, db + suffix)):
                                os.remove(os.path.join(work, db + suffix))
                row["ratio"] = round(row["new"]["itemsPerSecond"] / row["base"]["itemsPerSecond"], 3)
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        emu.terminate()
        emu.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    for fmt in ("ndjson", "csv"):
        rs = [x for x in rows if x["format"] == fmt]
        summary = {k: sorted(x[b]["itemsPerSecond"] for x in rs) for b in ("base", "new") for k in [b]}
        summary["ratio"] = {"median": statistics.median(x["ratio"] for x in rs), "min": min(x["ratio"] for x in rs),
                            "max": max(x["ratio"] for x in rs)}
        summary["newFirstDispatchS"] = sorted(x["new"]["firstDispatchS"] for x in rs)
        summary["newPeakRssMb"] = sorted(x["new"]["peakRssMb"] for x in rs)
        print(json.dumps({fmt: summary}), flush=True)


if __name__ == "__main__":
    main()
