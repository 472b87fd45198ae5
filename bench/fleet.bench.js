// Applicability for a whole fleet: 100,000 hosts against a repository of 500 updates publishing
// 20,000 livepatches for 2,000 base builds. klpm indexes the repository once and evaluates every
// host (target: < 1 s). The peer is the straightforward evaluation that scans every update and
// livepatch for each host (target: klpm >= 50x faster); it runs on a sample of hosts in the same run,
// checks that both agree there, and its per-host time is scaled to the fleet. klpm's fleet figure
// shares one answer among hosts with the same build and applied livepatch; the figure without that
// sharing is printed too.
import { performance } from 'node:perf_hooks';
import { evaluateFleet, evaluateHost, indexRepository } from '../dist/repo/index.js';
import { compareVersionRelease, parseVersionRelease } from '../dist/version/index.js';
import { BASES, generateFleet, HOSTS, UPDATES } from './fleet-data.js';

const BASELINE_SAMPLE = 300;
const TIME = { now: Date.UTC(2026, 0, 1), expiryWindowDays: 30 };

const { updates, hosts } = generateFleet();
/** @type {import('../dist/repo/index.js').Repository} */
const repository = /** @type {any} */ ({ source: 'generated', updates, warnings: [] });
const entries = updates.reduce((n, u) => n + u.livepatches.length, 0);

/** The peer: for one host, look at every livepatch of every update, as a direct reading of the rule would. */
function scanHost(host) {
  const buildId = host.buildIds.kernel;
  const applied = host.applied.kernel ? parseVersionRelease(host.applied.kernel) : undefined;
  let newest;
  for (const u of repository.updates)
    for (const lp of u.livepatches) {
      const to = parseVersionRelease(lp.to);
      if (newest === undefined || compareVersionRelease(to, newest) > 0) newest = to;
    }
  let supported = false;
  let seen = false;
  const candidates = [];
  repository.updates.forEach((u, position) => {
    for (const lp of u.livepatches) {
      if (lp.baseBuildId !== buildId) continue;
      seen = true;
      const to = parseVersionRelease(lp.to);
      if (compareVersionRelease(to, newest) === 0) supported = true;
      if (applied === undefined || compareVersionRelease(to, applied) > 0)
        candidates.push({ to, lp, u, position, time: Date.parse(u.issued) });
    }
  });
  if (!seen) return { status: 'unsupported', apply: null };
  if (!supported) return { status: 'kernel-end-of-life', apply: null };
  candidates.sort((a, b) => compareVersionRelease(b.to, a.to) || b.time - a.time || b.position - a.position);
  return { status: 'supported', apply: candidates[0] ? candidates[0].u.id : null };
}

globalThis.gc?.();
let t0 = performance.now();
const index = indexRepository(repository);
const indexMs = performance.now() - t0;
t0 = performance.now();
const results = evaluateFleet(index, hosts, TIME);
const fleetMs = performance.now() - t0;
// the same work without sharing answers between hosts that run the same build and livepatch
globalThis.gc?.();
t0 = performance.now();
for (const host of hosts)
  evaluateHost(
    index,
    { component: 'kernel', buildId: host.buildIds.kernel, applied: host.applied.kernel },
    TIME,
  );
const unsharedMs = performance.now() - t0;

const sample = hosts.slice(0, BASELINE_SAMPLE);
t0 = performance.now();
const scanned = sample.map(scanHost);
const scanMs = performance.now() - t0;
const scanFleetMs = (scanMs / BASELINE_SAMPLE) * HOSTS;

let disagreements = 0;
scanned.forEach((s, i) => {
  const r = results[i].answers[0].answer;
  const status = r.status === 'kernel-upgrade-required' ? 'supported' : r.status;
  if (s.status !== status || s.apply !== (r.apply ? r.apply.update : null)) disagreements++;
});
const counts = {};
for (const { answers } of results)
  counts[answers[0].answer.status] = (counts[answers[0].answer.status] ?? 0) + 1;

const total = indexMs + fleetMs;
const ratio = scanFleetMs / total;
console.log(`fleet: ${HOSTS} hosts, ${BASES} base builds, ${UPDATES} updates, ${entries} livepatch entries`);
console.log(`statuses: ${JSON.stringify(counts)}`);
console.log(`klpm index build:        ${indexMs.toFixed(1)} ms`);
console.log(
  `klpm evaluate fleet:     ${fleetMs.toFixed(1)} ms (${((fleetMs * 1000) / HOSTS).toFixed(2)} us/host)`,
);
console.log(`klpm evaluateHost x ${HOSTS} without sharing answers: ${unsharedMs.toFixed(1)} ms`);
console.log(`klpm total:              ${total.toFixed(1)} ms (target < 1000 ms)`);
console.log(
  `baseline per-host scan:  ${scanMs.toFixed(1)} ms for ${BASELINE_SAMPLE} hosts (${((scanMs * 1000) / BASELINE_SAMPLE).toFixed(0)} us/host) -> ${(scanFleetMs / 1000).toFixed(1)} s for the fleet`,
);
console.log(`ratio: ${ratio.toFixed(0)}x (target >= 50x); disagreements on the sample: ${disagreements}`);
console.log(
  `ratio without sharing answers (index build + evaluateHost per host): ${(scanFleetMs / (indexMs + unsharedMs)).toFixed(0)}x`,
);
if (disagreements > 0 || total >= 1000 || ratio < 50) process.exitCode = 1;
