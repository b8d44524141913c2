// A webhook receiver for bench/webhooks.py: answers every POST after LATENCY ms with 204, verifies the
// Standard Webhooks signature of each, and reports on GET /stats when each webhook-id first arrived.
// usage: node bench/webhook-receiver.mjs PORT whsec_... LATENCY_MS
import http from 'node:http';
import crypto from 'node:crypto';

const [port, secret, latency] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const first = new Map();
let received = 0, invalid = 0, inFlight = 0, maxInFlight = 0;

http.createServer((req, res) => {
  if (req.method === 'GET') {
    const times = [...first.values()].sort((a, b) => a - b);
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({received, distinct: first.size, invalid, maxInFlight, times}));
    return;
  }
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    received++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const id = req.headers['webhook-id'], ts = req.headers['webhook-timestamp'];
    const body = Buffer.concat(chunks).toString('utf8');
    const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    const ok = (req.headers['webhook-signature'] || '').split(' ')
        .some(s => s.startsWith('v1,') && s.slice(3) === expected);
    if (!ok) invalid++;
    if (!first.has(id)) first.set(id, Date.now());
    setTimeout(() => { inFlight--; res.writeHead(204); res.end(); }, latency);
  });
}).listen(port, '127.0.0.1');
