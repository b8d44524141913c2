#!/usr/bin/env python3
"""End-to-end acceptance run of the jar, as an operator (or a reviewer) would do it.

Starts the Cyclr emulator (10 % of calls 503, 3 % of install responses lost) and the service as
separate processes configured only through env vars, submits a 2,000-item job (API-key connector by
id, OAuth connector by name), kills the service with SIGKILL twice mid-job and restarts it, then checks:
every account installed exactly once, every published OAuth URL accepted once by the emulator, an
identical second job installs nothing, SIGTERM exits 0 quickly, and no auth value appears in the
service's output or anywhere under its working directory. Exits 1 on any failure.
Usage: bench/acceptance.py [items]   (needs python3; builds the jar if missing)
"""
import json, os, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "target", "cyclr-onboarder.jar")
TOKEN = "acceptance-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, method="GET", body=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method,
                                 headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def wait_ready(base, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/health/ready", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit("service not ready")


class Service:
    def __init__(self, api, workdir, out):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, HTTP_PORT=str(self.port), API_TOKENS=TOKEN, CYCLR_API_URL=api,
                        CYCLR_CLIENT_ID="emulator-client", CYCLR_CLIENT_SECRET="emulator-secret",
                        GATEWAY_MAX_CONCURRENCY="8")
        self.workdir, self.out, self.proc = workdir, out, None

    def start(self):
        self.proc = subprocess.Popen(["java", "-XX:TieredStopAtLevel=1", "-jar", JAR], env=self.env,
                                     cwd=self.workdir, stdout=self.out, stderr=subprocess.STDOUT)
        wait_ready(self.base)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def wait_job(base, job_id, stop_at=None):
    while True:
        s = get_json(base + "/v1/jobs/" + job_id)
        c = s["counts"]
        if stop_at is not None and s["total"] - c["PENDING"] - c["RUNNING"] >= stop_at:
            return s
        if s["status"] in ("SUCCEEDED", "COMPLETED_WITH_ERRORS", "CANCELLED"):
            return s
        time.sleep(0.2)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not os.path.exists(JAR):
        subprocess.run([os.path.join(ROOT, "mvnw"), "-q", "-B", "package", "-DskipTests"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="onboarder-acceptance-")
    workdir = os.path.join(tmp, "work")
    os.makedirs(workdir)
    out = open(os.path.join(tmp, "service.out"), "ab")
    emu_port = free_port()
    emu = subprocess.Popen(["java", "-jar", JAR, "emulator", "--port", str(emu_port), "--failure-rate", "0.10",
                            "--drop-install-rate", "0.03"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{emu_port}"
    failures = []

    def check(ok, what):
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)

    svc = Service(api, workdir, out)
    try:
        time.sleep(1.5)
        svc.start()
        items = [{"account": f"acc-{i:05d}", "connector": {"name": "Salesforce"}} if i % 4 == 0
                 else {"account": f"acc-{i:05d}", "authValue": f"ACCEPTANCE-SECRET-{i}"} for i in range(n)]
        job = {"connector": {"id": 1}, "oauth": {"targetOrigin": "https://app.example.com"}, "items": items}
        job_id = get_json(svc.base + "/v1/jobs", "POST", job)["id"]
        for k in (1, 2):
            s = wait_job(svc.base, job_id, stop_at=n * k // 5)
            print(f"kill -9 #{k} with {s['counts']}", flush=True)
            svc.kill()
            svc.start()
        done = wait_job(svc.base, job_id)
        stats = json.loads(urllib.request.urlopen(api + "/_emulator/stats").read())
        check(done["status"] == "SUCCEEDED", f"job finished {done['status']} {done['counts']}")
        check(stats["installs"] == n and stats["duplicateInstalls"] == 0,
              f"{stats['installs']} installs for {n} accounts, {stats['duplicateInstalls']} duplicates")
        urls, cursor = [], None
        while True:
            page = get_json(svc.base + f"/v1/jobs/{job_id}/items?status=OAUTH_PENDING&limit=1000"
                            + (f"&cursor={cursor}" if cursor else ""))
            urls += [i["oauth"]["url"] for i in page["items"]]
            cursor = page["next"]
            if not cursor:
                break

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        opener, accepted = urllib.request.build_opener(NoRedirect), 0
        for u in urls:
            try:
                opener.open(u)
            except urllib.error.HTTPError as e:
                accepted += e.code == 302
        check(len(urls) == n // 4 + (1 if n % 4 else 0) and accepted == len(urls),
              f"{accepted} of {len(urls)} OAuth sign-in URLs accepted by the emulator")
        second = get_json(svc.base + "/v1/jobs", "POST", job)["id"]
        s2 = wait_job(svc.base, second)
        stats2 = json.loads(urllib.request.urlopen(api + "/_emulator/stats").read())
        check(s2["status"] == "SUCCEEDED" and stats2["installs"] == stats["installs"],
              f"identical second job {s2['status']}, {stats2['installs'] - stats['installs']} new installs")
        t0 = time.time()
        svc.proc.send_signal(signal.SIGTERM)
        code = svc.proc.wait(60)
        check(code == 0 and time.time() - t0 < 30, f"SIGTERM: exit {code} after {time.time() - t0:.1f} s")
        out.flush()
        leaks = [os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs
                 if b"ACCEPTANCE-SECRET-" in open(os.path.join(d, f), "rb").read()]
        check(not leaks, "no auth value in the service output or under its working directory"
              + (f": found in {leaks}" if leaks else ""))
    finally:
        if svc.proc and svc.proc.poll() is None:
            svc.proc.kill()
        emu.terminate()
    print(f"{n} items; {len(failures)} failed check(s); files in {tmp}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
