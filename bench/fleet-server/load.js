// The load process of bench/fleet-server.bench.js: posts reports for hosts `bench-<i>` (tokens derived
// as hosts.js derives them) with `concurrency` requests in flight over kept-alive connections, for
// `seconds`, and prints {"ok", "failed", "seconds", "p50", "p99"} (latencies in ms).
// Arguments: a JSON object {url, hosts, seconds, concurrency, firstSeq, status}.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { hostId, hostToken, reportOf } from './hosts.js';

const { url, hosts, seconds, concurrency, firstSeq, status } = JSON.parse(process.argv[2]);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const seqs = new Map();
const latencies = [];
let ok = 0;
let failed = 0;
let next = 0;
const statuses = {};

function post(i) {
  const seq = (seqs.get(i) ?? firstSeq) + 1;
  seqs.set(i, seq);
  const body = JSON.stringify(reportOf(i, seq, status));
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: `/v1/hosts/${hostId(i)}/report`,
        agent,
        headers: {
          authorization: `Bearer ${hostToken(i)}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 200) {
            ok++;
            latencies.push(performance.now() - started);
          } else failed++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end(body);
  });
}

const until = performance.now() + seconds * 1000;
const started = performance.now();
async function worker() {
  // a bounded loop: it stops at the deadline
  while (performance.now() < until) {
    // hosts in a shuffled order, each with its next seq, as a fleet checking in at random
    const i = (next++ * 7919) % hosts;
    await post(i);
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ ok, failed, statuses, seconds: elapsed, p50: at(0.5), p99: at(0.99) })}\n`,
);
agent.destroy();
