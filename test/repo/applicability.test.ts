import { describe, expect, it } from 'vitest';
import { evaluateHost, indexRepository, type Repository } from '../../src/repo/index.js';
import { lp, repo, update } from '../support/repo-builders.js';

const NOW = { now: Date.UTC(2026, 0, 15), expiryWindowDays: 30 };
const OLD = 'aa01'; // kernel 4.19.19-8.0.20
const MID = 'bb02'; // kernel 4.19.19-8.0.21
const NEW = 'cc03'; // kernel 4.19.19-8.0.22

function check(r: Repository, buildId: string | undefined, applied?: string, replaceSet?: number) {
  return evaluateHost(indexRepository(r), { component: 'kernel', buildId, applied, replaceSet }, NOW);
}

// The five cases xapi's tests use for the end-of-life change of get_accumulative_livepatches, retold.
describe('xapi end-of-life cases', () => {
  const u1 = update('U1', '2023-01-10', [lp(OLD, '4.19.19-8.0.20', '4.19.19-8.0.21')]);
  const u2 = update('U2', '2023-02-10', [
    lp(OLD, '4.19.19-8.0.20', '4.19.19-8.0.22'),
    lp(MID, '4.19.19-8.0.21', '4.19.19-8.0.22'),
  ]);
  // the third update drops OLD: only MID and NEW are carried forward
  const u3 = update('U3', '2023-03-10', [
    lp(MID, '4.19.19-8.0.21', '4.19.19-8.0.23'),
    lp(NEW, '4.19.19-8.0.22', '4.19.19-8.0.23'),
  ]);

  it('a repository without updates has nothing for the host: unsupported, no candidates', () => {
    const r = check(repo(), OLD);
    expect(r).toMatchObject({ status: 'unsupported', eol: false, apply: null, candidates: [], rolledUp: [] });
  });

  it('one update with a livepatch for the running base: that livepatch is the one to apply', () => {
    const r = check(repo(u1), OLD);
    expect(r.status).toBe('supported');
    expect(r.candidates).toEqual([{ to: '4.19.19-8.0.21', update: 'U1' }]);
    expect(r.apply).toEqual({ to: '4.19.19-8.0.21', base: '4.19.19-8.0.20', baseBuildId: OLD, update: 'U1' });
  });

  it('two updates for the running base: both are candidates, newest first, both rolled up', () => {
    const r = check(repo(u1, u2), OLD);
    expect(r.candidates).toEqual([
      { to: '4.19.19-8.0.22', update: 'U2' },
      { to: '4.19.19-8.0.21', update: 'U1' },
    ]);
    expect(r.apply?.to).toBe('4.19.19-8.0.22');
    expect(r.rolledUp).toEqual(['U2', 'U1']);
  });

  it('a third update that leaves out the running base makes it end of life: no candidates at all', () => {
    const r = check(repo(u1, u2, u3), OLD);
    expect(r).toMatchObject({
      status: 'kernel-end-of-life',
      eol: true,
      apply: null,
      candidates: [],
      reboot: 'yes',
    });
  });

  it('a host on a base the newest update still covers gets both of its livepatches', () => {
    const r = check(repo(u1, u2, u3), MID);
    expect(r.status).toBe('supported');
    expect(r.candidates).toEqual([
      { to: '4.19.19-8.0.23', update: 'U3' },
      { to: '4.19.19-8.0.22', update: 'U2' },
    ]);
  });

  it('an applied livepatch leaves only newer ones as candidates, and none once at the newest', () => {
    expect(check(repo(u1, u2, u3), MID, '4.19.19-8.0.22').candidates).toEqual([
      { to: '4.19.19-8.0.23', update: 'U3' },
    ]);
    const done = check(repo(u1, u2, u3), MID, '4.19.19-8.0.23');
    expect(done).toMatchObject({ status: 'supported', apply: null, candidates: [], reboot: 'no' });
  });

  it('versions compare as rpm does, not as strings: 8.0.10 is newer than 8.0.9', () => {
    const r = check(
      repo(
        update('A', '2023-01-01', [lp(OLD, '1-1', '4.19.19-8.0.10')]),
        update('B', '2023-01-01', [lp(OLD, '1-1', '4.19.19-8.0.9')]),
      ),
      OLD,
    );
    expect(r.candidates.map((c) => c.update)).toEqual(['A', 'B']);
  });

  it('an unreadable build id is unknown, not unsupported', () => {
    expect(check(repo(u1), undefined).status).toBe('unknown');
  });
});

describe('ties, components and replace sets', () => {
  it('the same `to` from two updates: the later issue date first, then the later position', () => {
    const r = check(
      repo(
        update('LATE', '2023-05-01', [lp(OLD, '1-1', '2-1')]),
        update('EARLY', '2023-04-01', [lp(OLD, '1-1', '2-1')]),
        update('SAME-DAY-2ND', '2023-05-01', [lp(OLD, '1-1', '2-1')]),
      ),
      OLD,
    );
    expect(r.candidates.map((c) => c.update)).toEqual(['SAME-DAY-2ND', 'LATE', 'EARLY']);
    expect(r.apply?.update).toBe('SAME-DAY-2ND');
  });

  it('xen livepatches do not count for the kernel of the same build id', () => {
    const r = check(repo(update('X', '2023-01-01', [lp(OLD, '1-1', '2-1', { component: 'xen' })])), OLD);
    expect(r.status).toBe('unsupported');
  });

  it('each replace set has its own newest `to`: a newer set 2 does not end set 1', () => {
    const r = repo(
      update('S1', '2026-01-01', [lp(OLD, '6.1.0-40', '6.1.0-40.1', { replaceSet: 1 })]),
      update('S2', '2026-02-01', [lp(MID, '6.1.0-41', '6.1.0-41.5', { replaceSet: 2 })]),
    );
    expect(check(r, OLD, undefined, 1)).toMatchObject({ status: 'supported', apply: { update: 'S1' } });
    expect(check(r, OLD, undefined, 2).status).toBe('unsupported');
    // in one set the same history would end OLD
    const single = repo(
      update('S1', '2026-01-01', [lp(OLD, '6.1.0-40', '6.1.0-40.1', { replaceSet: 1 })]),
      update('S2', '2026-02-01', [lp(MID, '6.1.0-41', '6.1.0-41.5', { replaceSet: 1 })]),
    );
    expect(check(single, OLD, undefined, 1).status).toBe('kernel-end-of-life');
  });
});

describe('coverage expiry', () => {
  const r = (expires: string) => repo(update('E', '2025-12-01', [lp(OLD, '1-1', '1-2', { expires })]));
  it('coverage ending inside the window asks for a kernel upgrade but still applies the livepatch', () => {
    const res = check(r('2026-02-01'), OLD); // 17 days after NOW, window 30
    expect(res).toMatchObject({ status: 'kernel-upgrade-required', eol: false, apply: { to: '1-2' } });
    expect(res.expires).toBe('2026-02-01');
  });
  it('coverage ending after the window is plainly supported', () => {
    expect(check(r('2026-03-01'), OLD).status).toBe('supported'); // 45 days after NOW
  });
  it('the applied livepatch carries the expiry once nothing newer is left', () => {
    expect(check(r('2026-01-20'), OLD, '1-2')).toMatchObject({
      status: 'kernel-upgrade-required',
      apply: null,
    });
  });
});

describe('guidance', () => {
  it('livepatch guidance stands in for recommended: the reboot is covered by the livepatch', () => {
    const res = check(
      repo(update('G', '2023-01-01', [lp(OLD, '1-1', '1-2')], { livepatch: ['RestartToolstack'] })),
      OLD,
    );
    expect(res.reboot).toBe('yes-livepatch-covered');
    expect(res.guidance).toEqual({ mandatory: [], recommended: ['RestartToolstack'], full: ['RebootHost'] });
  });

  it('a mandatory RebootHost means no livepatch is applied, and recommended drops what mandatory has', () => {
    const res = check(
      repo(
        update('M', '2023-01-01', [lp(OLD, '1-1', '1-2')], {
          mandatory: ['RebootHost', 'RestartToolstack'],
          livepatch: ['EvacuateHost', 'RestartVM', 'RestartDeviceModel'],
        }),
      ),
      OLD,
    );
    expect(res).toMatchObject({ apply: null, reboot: 'yes', candidates: [{ to: '1-2', update: 'M' }] });
    // RebootHost prunes RestartToolstack; RestartVM and EvacuateHost prune RestartDeviceModel
    expect(res.guidance).toEqual({
      mandatory: ['RebootHost'],
      recommended: ['EvacuateHost', 'RestartVM'],
      full: [],
    });
  });

  it('an update without a recommended reboot needs no reboot at all', () => {
    const res = check(
      repo(update('N', '2023-01-01', [lp(OLD, '1-1', '1-2')], { recommended: [], full: [] })),
      OLD,
    );
    expect(res.reboot).toBe('no');
  });
});
