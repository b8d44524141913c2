#!/usr/bin/env python3
"""Cluster benchmark: cyclr-onboarder nodes sharing one PostgreSQL and one Hazelcast cluster, against
the Cyclr emulator, all as separate processes on loopback.

1. Scaling: the emulator answers in L = 100 ms; every node is capped at C = 8 requests in flight.
   Items/s of one node, then of three nodes on the same kind of job (submitted to one node).
2. Cluster rate limit: the emulator refuses above R requests/s (429); three nodes share
   GATEWAY_RATE_PER_SECOND = R. Sustained requests/s at the emulator and the share refused.

PostgreSQL comes from the machine (PG_BIN, the PATH, /usr/lib/postgresql/*/bin, or the binaries the
test suite's embedded PostgreSQL unpacked under /tmp/embedded-pg); it runs in a temporary directory
and is removed afterwards. Every ratio comes from one run of this script.
Usage: python3 bench/cluster.py [--items N] [--rate R]
"""
import argparse, glob, json, os, pwd, shutil, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import JAR, ROOT, ensure_jar, TOKEN, free_port, http, wait_http, start_emulator, emulator_stats, stop, measure_job  # noqa: E402

KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def pg_bin():
    candidates = [os.environ.get("PG_BIN", "")]
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(os.path.dirname(os.path.realpath(found)))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += glob.glob("/tmp/embedded-pg/*/bin")
    for c in candidates:
        if c and os.path.exists(os.path.join(c, "initdb")) and os.path.exists(os.path.join(c, "pg_ctl")):
            return c
    raise SystemExit("no PostgreSQL binaries found: set PG_BIN (run ./mvnw verify once to get the embedded ones)")


class Postgres:
    """A throw-away PostgreSQL server (as the 'postgres' user when this runs as root)."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="onboarder-bench-pg-")
        self.port = free_port()
        self.prefix = []
        if os.geteuid() == 0:
            user = "postgres" if self._user_exists("postgres") else "nobody"
            os.chmod(self.dir, 0o777)
            self.prefix = ["runuser", "-u", user, "--"]
        data = os.path.join(self.dir, "data")
        self._run([os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"])
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "log"), "-w",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                         "-c fsync=on -c synchronous_commit=on", "start"])
        self.data = data
        self.dbs = 0

    @staticmethod
    def _user_exists(name):
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    def _run(self, cmd):
        subprocess.run(self.prefix + cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def fresh_url(self):
        self.dbs += 1
        name = f"bench{self.dbs}"
        psql = os.path.join(self.bin, "psql") if os.path.exists(os.path.join(self.bin, "psql")) else "psql"
        subprocess.run([psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                        f"CREATE DATABASE {name}"], check=True, stdout=subprocess.DEVNULL)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def close(self):
        try:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_nodes(n, api_url, store_url, concurrency, rate, workdir):
    hz = [free_port() for _ in range(n)]
    members = ",".join(f"127.0.0.1:{p}" for p in hz)
    name = f"bench-{os.getpid()}-{time.time_ns()}"
    nodes = []
    for i in range(n):
        port = free_port()
        env = dict(os.environ, HTTP_PORT=str(port), API_TOKENS=TOKEN, CYCLR_API_URL=api_url,
                   CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
                   GATEWAY_MAX_CONCURRENCY=str(concurrency), GATEWAY_RATE_PER_SECOND=str(rate),
                   STORE_URL=store_url, STORE_SECRET_KEY=KEY, LOG_LEVEL="WARN",
                   CLUSTER_MEMBERS=members, CLUSTER_NAME=name, CLUSTER_HOST="127.0.0.1",
                   CLUSTER_PORT=str(hz[i]), CLUSTER_BUS_PORT="0")
        log = open(os.path.join(workdir, f"node-{i}.log"), "w")
        p = subprocess.Popen(["java", "-XX:TieredStopAtLevel=1", "-Xmx512m", "-jar", JAR, "serve"], env=env,
                             cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        nodes.append((p, f"http://127.0.0.1:{port}"))
    for p, base in nodes:
        wait_http(base + "/health/ready", timeout=120)
    return nodes


def scaling(pg, items):
    emu, api = start_emulator(100)
    out = {}
    try:
        for n in (1, 3):
            work = tempfile.mkdtemp(prefix="onboarder-bench-")
            nodes = start_nodes(n, api, pg.fresh_url(), 8, 0, work)
            try:
                measure_job(nodes[0][1], f"warm{n}", 80 * n, api)
                out[n] = measure_job(nodes[0][1], f"scale{n}", items * n, api)
            finally:
                for p, _ in nodes:
                    stop(p)
                shutil.rmtree(work, ignore_errors=True)
            print(json.dumps({"nodes": n, **out[n]}), flush=True)
    finally:
        stop(emu)
    ideal_one = 8 / (2 * 0.1)
    return {"latencyMs": 100, "concurrencyPerNode": 8, "idealOneNode": ideal_one,
            "oneNode": out[1], "threeNodes": out[3],
            "speedup": round(out[3]["steadyItemsPerSecond"] / out[1]["steadyItemsPerSecond"], 2)}


def rate_limit(pg, rate, items):
    port = free_port()
    emu = subprocess.Popen(["java", "-jar", JAR, "emulator", "--port", str(port), "--latency-ms", "20",
                            "--rate-limit", str(rate)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="onboarder-bench-")
    try:
        wait_http(api + "/_emulator/stats")
        nodes = start_nodes(3, api, pg.fresh_url(), 16, rate, work)
        try:
            measure_job(nodes[0][1], "ratewarm", 100, api)
            r = measure_job(nodes[0][1], "rate", items, api)
        finally:
            for p, _ in nodes:
                stop(p)
    finally:
        stop(emu)
        shutil.rmtree(work, ignore_errors=True)
    r.update({"nodes": 3, "clusterRate": rate,
              "shareOfRate": round(r["steadyRequestsPerSecond"] / rate, 3),
              "refusedShare": round(r["refused429"] / max(1, r["requests"]), 4)})
    print(json.dumps(r), flush=True)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=600, help="items per node in the scaling run")
    ap.add_argument("--rate", type=int, default=150, help="cluster-wide rate limit R (requests/s)")
    args = ap.parse_args()
    ensure_jar()
    pg = Postgres()
    try:
        results = {"scaling": scaling(pg, args.items), "rateLimit": rate_limit(pg, args.rate, args.rate * 12)}
    finally:
        pg.close()
    print(json.dumps({"speedup": results["scaling"]["speedup"],
                      "rateShare": results["rateLimit"]["shareOfRate"],
                      "refusedShare": results["rateLimit"]["refusedShare"]}), flush=True)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "cluster-latest.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
