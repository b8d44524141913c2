// The "well-written script" baseline: the same Cyclr calls the service makes for an API-key
// install (token once; per account: list installed connectors, install if missing), with the same
// concurrency, keep-alive connections, and nothing else (no state, no retries, no durability).
// Usage: node baseline.mjs <apiUrl> <clientId> <clientSecret> <accountPrefix> <count> <concurrency>
const [, , base, clientId, clientSecret, prefix, countArg, concArg] = process.argv;
const count = Number(countArg);
const concurrency = Number(concArg);

const tokenResponse = await fetch(`${base}/oauth/token`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
});
const { access_token: token } = await tokenResponse.json();

async function onboard(account) {
  const headers = { Authorization: `Bearer ${token}`, 'X-Cyclr-Account': account, Accept: 'application/json' };
  const list = await fetch(`${base}/v1.0/account/connectors?page=1&pageSize=50`, { headers });
  if (!list.ok) throw new Error(`list ${list.status}`);
  const installed = await list.json();
  if (installed.some((c) => c.Connector && c.Connector.Id === 1 && c.Name === 'Example Connector')) return;
  const res = await fetch(`${base}/v1.0/connectors/1/install`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ Name: 'Example Connector', Description: '', AuthValue: `key-${account}`, Properties: [] }),
  });
  if (!res.ok) throw new Error(`install ${res.status}`);
  await res.json();
}

async function run(pfx, n) {
  let next = 1;
  async function worker() {
    while (next <= n) {
      const i = next++;
      await onboard(`${pfx}-${String(i).padStart(5, '0')}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// Optional: <warmupCount> <passes> — a warm-up pass of that many accounts, then `passes` timed passes of
// <count> each (bench/users.py: the first timed pass is a fresh process's first installs), one JSON line
// with every pass and the process's peak RSS. Without them: one untimed pass of <count>, one timed pass.
const warmupArg = process.argv[8];
const passes = Number(process.argv[9] || 1);
await run(`${prefix}-warmup`, warmupArg === undefined ? count : Number(warmupArg));
const results = [];
for (let p = 0; p < passes; p++) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run(p === 0 ? prefix : `${prefix}-p${p}`, count);
  const cpu = process.cpuUsage(cpu0);
  results.push({ cpuSeconds: (cpu.user + cpu.system) / 1e6, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
}
console.log(JSON.stringify({ ...results[0], items: count, passes: results, peakRssKb: process.resourceUsage().maxRSS }));
