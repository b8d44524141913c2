#!/usr/bin/env python3
"""Many progress streams (GET /v1/jobs/{id}/events) on one job: what they cost the job and everyone else.

Separate processes on loopback: the emulator (answering at once) and the service (SQLite, one node, the
production heap -Xmx537m with -XX:+ExitOnOutOfMemoryError). For S streams (default 0, 300 and 900), a job
of N items (default 3,000) is submitted, S streams of one caller follow it from its first event while a
dashboard polls GET /v1/jobs/{id} every 100 ms; reported: the job's seconds from submission to its final
status, the service's CPU seconds in that time, the GET latency (median, max), the service's peak RSS,
and how many streams received the final event. The stream bounds are raised for the run
(STREAMS_MAX_PER_CALLER / STREAMS_MAX_PER_NODE = 2,000) so that every stream is served; a last row opens
300 streams with the default bounds and counts the answers. Rerun:
  python3 bench/streams.py [N] [S…]            # the jar in target/
  BEFORE_JAR=/path/old.jar python3 bench/streams.py   # the same runs against an older build first
"""
import json, os, selectors, socket, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (helpers: free ports, processes, HTTP)

HEAP = ["-Xmx537m", "-XX:+ExitOnOutOfMemoryError"]


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return None


def start_service(jar, api, workdir, name, bounds):
    port = bench.free_port()
    env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=bench.TOKEN, CYCLR_API_URL=api,
               CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
               GATEWAY_MAX_CONCURRENCY="16", STORE_URL="sqlite:" + os.path.join(workdir, name + ".db"),
               HTTP_MAX_CONNECTIONS="4000", LOG_LEVEL="WARN")
    if bounds:
        env.update(STREAMS_MAX_PER_CALLER="2000", STREAMS_MAX_PER_NODE="2000")
    p = subprocess.Popen(["java", *bench.JVM_FLAGS["shipped"], *HEAP, "-jar", jar, "serve"], env=env, cwd=workdir,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    bench.wait_http(base + "/health/ready")
    return p, base, port


class Streams:
    """S raw SSE connections read by one selector: status line, bytes, and whether the final event came."""

    def __init__(self, port, job, count):
        self.sel = selectors.DefaultSelector()
        self.state = {}
        request = (f"GET /v1/jobs/{job}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {bench.TOKEN}"
                   "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n").encode()
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(request)
            s.setblocking(False)
            self.state[s] = {"head": b"", "status": None, "bytes": 0, "final": False, "open": True}
            self.sel.register(s, selectors.EVENT_READ)

    def pump(self, seconds):
        for key, _ in self.sel.select(timeout=seconds):
            s, st = key.fileobj, self.state[key.fileobj]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                # The service ends a stream (and, asked to, closes) only after the job's final event.
                st["final"] = st["status"] == 200
                st["open"] = False
                self.sel.unregister(s)
                s.close()
                continue
            if st["status"] is None:
                st["head"] += data
                if b" " in st["head"]:
                    st["status"] = int(st["head"].split(b" ", 2)[1])
            st["bytes"] += len(data)

    def statuses(self):
        out = {}
        for st in self.state.values():
            out[st["status"]] = out.get(st["status"], 0) + 1
        return out

    def finished(self):
        return sum(1 for st in self.state.values() if st["final"])

    def close(self):
        for s, st in self.state.items():
            if st["open"]:
                self.sel.unregister(s)
                s.close()


def run(jar, label, api, workdir, n, streams):
    svc, base, port = start_service(jar, api, workdir, f"{label}-{streams}", True)
    try:
        items = [{"account": f"{label}-{streams}-{i:05d}", "authValue": f"k-{i}"} for i in range(1, n + 1)]
        cpu0 = bench.cpu_seconds(svc.pid)
        t0 = time.time()
        job = bench.http("POST", base + "/v1/jobs", {"connector": {"id": 1}, "items": items})["id"]
        sse = Streams(port, job, streams)
        latencies, status, polled = [], None, 0.0
        while status not in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
            sse.pump(0.02)
            if time.time() - polled >= 0.1:
                polled = time.time()
                g0 = time.time()
                status = bench.http("GET", base + "/v1/jobs/" + job)["status"]
                latencies.append((time.time() - g0) * 1000)
            if time.time() - t0 > 600:
                raise RuntimeError("job did not finish in 10 min")
        seconds = time.time() - t0
        cpu = bench.cpu_seconds(svc.pid) - cpu0
        deadline = time.time() + 60
        while sse.finished() < streams and time.time() < deadline:
            sse.pump(0.1)
        result = {"bench": "streams", "build": label, "items": n, "streams": streams, "jobStatus": status,
                  "jobSeconds": round(seconds, 1), "serviceCpuSeconds": round(cpu, 1),
                  "getMedianMs": round(statistics.median(latencies), 1), "getMaxMs": round(max(latencies), 1),
                  "peakRssMb": peak_rss_mb(svc.pid), "streamsWithFinalEvent": sse.finished(),
                  "streamAnswers": sse.statuses(), "alive": svc.poll() is None}
        sse.close()
        return result
    finally:
        bench.stop(svc)


def default_bounds(jar, api, workdir, attempts=300):
    """Opens `attempts` streams of one caller with the default bounds: how many are served, how many refused."""
    svc, base, port = start_service(jar, api, workdir, "bounds", False)
    try:
        items = [{"account": f"bounds-{i:05d}", "authValue": f"k-{i}"} for i in range(1, 2001)]
        job = bench.http("POST", base + "/v1/jobs", {"connector": {"id": 1}, "items": items})["id"]
        sse = Streams(port, job, attempts)
        deadline = time.time() + 30
        while None in sse.statuses() and time.time() < deadline:
            sse.pump(0.1)
        answers = sse.statuses()
        sse.close()
        return {"bench": "streams-default-bounds", "attempts": attempts, "answers": answers}
    finally:
        bench.stop(svc)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    counts = [int(s) for s in sys.argv[2:]] or [0, 300, 900]
    bench.ensure_jar()
    builds = ([("before", os.environ["BEFORE_JAR"])] if os.environ.get("BEFORE_JAR") else []) + [("this", bench.JAR)]
    workdir = tempfile.mkdtemp(prefix="cyclr-onboarder-streams-")
    emu, api = bench.start_emulator(0)
    results = []
    try:
        for label, jar in builds:
            for s in counts:
                r = run(jar, label, api, workdir, n, s)
                print(json.dumps(r), flush=True)
                results.append(r)
        r = default_bounds(bench.JAR, api, workdir)
        print(json.dumps(r), flush=True)
        results.append(r)
    finally:
        bench.stop(emu)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", "streams-latest.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
