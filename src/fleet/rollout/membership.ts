import { createHash } from 'node:crypto';
import type { WaveSpec } from './spec.js';

/**
 * RO-MEMBER: a host's place on the percentage scale, from the sha256 of its id alone, so it is the
 * same in every rollout and on every server: [0, 100).
 */
export function hostPercentile(hostId: string): number {
  const digest = createHash('sha256').update(hostId).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/**
 * The index of the first wave that selects the host, or -1 when none does (it stays where it is).
 * A `percent` wave selects every host below that point of the scale, so `1, 10, 50, 100` are
 * cumulative: the 10% wave holds the hosts between 1 and 10 that the 1% wave did not take.
 */
export function waveOf(
  waves: ReadonlyArray<Pick<WaveSpec, 'select'>>,
  host: { readonly id: string; readonly labels: ReadonlyArray<string> },
): number {
  let percentile: number | undefined;
  for (const [i, wave] of waves.entries()) {
    if ('label' in wave.select) {
      if (host.labels.includes(wave.select.label)) return i;
    } else {
      percentile ??= hostPercentile(host.id);
      if (percentile < wave.select.percent) return i;
    }
  }
  return -1;
}
