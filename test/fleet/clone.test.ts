import { describe, expect, it } from 'vitest';
import { cloneConflict } from '../../src/fleet/index.js';

describe('cloneConflict', () => {
  const stored = { seq: 10, bootId: 'b2', previousBootId: 'b1' };

  it('is no conflict for one machine: its first report, a resend, a later report, a reboot into a new boot', () => {
    expect(
      cloneConflict({ seq: null, bootId: null, previousBootId: null }, { seq: 1, bootId: 'b1' }),
    ).toBeUndefined();
    expect(cloneConflict(stored, { seq: 10, bootId: 'b2' })).toBeUndefined();
    expect(cloneConflict(stored, { seq: 3, bootId: 'b2' })).toBeUndefined();
    expect(cloneConflict(stored, { seq: 11, bootId: 'b2' })).toBeUndefined();
    expect(cloneConflict(stored, { seq: 11, bootId: 'b3' })).toBeUndefined();
  });

  it('is a conflict when a seq already used comes from another boot, or a boot comes back', () => {
    expect(cloneConflict(stored, { seq: 10, bootId: 'b3' })).toBe(
      "report 10 from boot b3 is not above report 10 from boot b2: two machines report with this host's token",
    );
    expect(cloneConflict(stored, { seq: 9, bootId: 'b1' })).toMatch(/^report 9 from boot b1 is not above/);
    expect(cloneConflict(stored, { seq: 11, bootId: 'b1' })).toBe(
      "boot b1 came back after boot b2: two machines report with this host's token",
    );
  });
});
