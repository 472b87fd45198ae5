// Steps per second of the livepatch simulator on a long random scenario (target: >= 200,000 steps/s).
// There is no other tool that models the livepatch core, so the figure stands against the target.
import { performance } from 'node:perf_hooks';
import { applyStep, createSystem, scenarioSchema, stepContext } from '../dist/klp/index.js';
import { seededRandom } from './seeded-random.js';

const STEPS = 1_000_000;
const TARGET = 200_000;

function scenario(kind, random) {
  const funcs = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
  const patches = Array.from({ length: 8 }, (_, i) => ({
    name: `p${i}`,
    replace: i % 2 === 0,
    replaceSet: i % 3,
    states: [{ id: (i % 3) + 1, version: 1 + (i >> 1) }],
    objects: [
      { name: 'vmlinux', funcs: [funcs[(i % 3) * 2], funcs[(i % 3) * 2 + 1]], callbacks: 'all' },
      { name: 'mod_a', funcs: [`a${i % 3}`], callbacks: 'all' },
    ],
  }));
  const names = [...patches.map((p) => p.name), 'mod_a'];
  const patchNames = patches.map((p) => p.name);
  const steps = [];
  for (let i = 0; i < STEPS; i++) {
    const r = random.int(100);
    if (r < 30) steps.push({ load: random.pick(names) });
    else if (r < 50) steps.push({ unload: random.pick(names) });
    else if (r < 70) steps.push({ disable: random.pick(patchNames) });
    else if (r < 75) steps.push({ enable: random.pick(patchNames) });
    else if (r < 80) steps.push({ force: random.pick(patchNames) });
    else if (r < 90)
      steps.push({ block: { task: random.pick(['t1', 't2']), func: random.pick(['f0', 'f2', 'a1']) } });
    else steps.push({ unblock: random.pick(['t1', 't2']) });
  }
  return scenarioSchema.parse({
    kernel: { livepatch: kind },
    modules: [{ name: 'mod_a', funcs: ['a0', 'a1', 'a2'] }],
    patches,
    steps,
  });
}

for (const kind of /** @type {const} */ (['replace-bool', 'replace-set'])) {
  const parsed = scenario(kind, seededRandom(42));
  const ctx = stepContext(parsed);
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let system = createSystem(kind);
  let refused = 0;
  let events = 0;
  const start = performance.now();
  for (const step of parsed.steps) {
    const result = applyStep(system, step, ctx);
    system = result.system;
    if (result.error) refused++;
    events += result.events.length;
  }
  const seconds = (performance.now() - start) / 1000;
  const rate = Math.round(STEPS / seconds);
  const heapMb = ((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1);
  console.log(
    `simulate ${kind}: ${STEPS.toLocaleString('en')} steps in ${seconds.toFixed(2)} s = ${rate.toLocaleString('en')} steps/s ` +
      `(target ${TARGET.toLocaleString('en')}: ${rate >= TARGET ? 'met' : 'MISSED'}, ${(rate / TARGET).toFixed(2)}x); ` +
      `${refused.toLocaleString('en')} refused, ${events.toLocaleString('en')} events, heap +${heapMb} MiB`,
  );
}
