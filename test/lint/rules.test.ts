import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { type Finding, type LintReport, lintRelease, parseSymbolTable } from '../../src/lint/index.js';
import { build, cumulative, options } from './builds.js';

/** The InputError a call throws (a test fails when it throws something else or nothing). */
function thrown(call: () => unknown): InputError {
  try {
    call();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

const rules = (report: LintReport) => report.findings.map((f) => f.rule);
const only = (report: LintReport, rule: Finding['rule']) => report.findings.filter((f) => f.rule === rule);

describe('a clean cumulative series', () => {
  // v1 -> v2 -> v3, each carrying every fix of the one before, states kept or raised
  const v1 = cumulative('lp_v1', '1.0-1', ['cmdline_proc_show'], {
    states: [{ id: 1, version: 1 }],
    objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show'], callbacks: ['pre_patch', 'post_unpatch'] }],
  });
  const v2 = cumulative('lp_v2', '1.0-2', [], {
    states: [{ id: 1, version: 1 }],
    objects: [
      {
        name: 'vmlinux',
        funcs: ['cmdline_proc_show', 'meminfo_proc_show'],
        callbacks: ['pre_patch', 'post_unpatch'],
      },
    ],
  });
  const v3 = cumulative('lp_v3', '1.0-3', [], {
    states: [
      { id: 1, version: 2 },
      { id: 2, version: 1 },
    ],
    objects: [
      {
        name: 'vmlinux',
        funcs: ['cmdline_proc_show', 'meminfo_proc_show', { name: 'version_proc_show', sympos: 1 }],
        callbacks: 'all',
      },
    ],
  });

  it('gives no finding at any step', () => {
    expect(lintRelease(options(v1)).findings).toEqual([]);
    expect(lintRelease(options(v2, { previous: [v1] })).findings).toEqual([]);
    expect(lintRelease(options(v3, { previous: [v1, v2] })).findings).toEqual([]);
    for (const kernel of ['replace-set', 'provides'] as const)
      expect(lintRelease(options(v3, { previous: [v2, v1], kernel })).findings).toEqual([]);
  });

  it('compares NEW with the newest older build, by rpm version order', () => {
    const report = lintRelease(options(v3, { previous: [v2, v1] }));
    expect(report.replaces?.name).toBe('lp_v2');
    // 1.10 is newer than 1.9 (digit runs compare as numbers), so v1_10 is the one replaced
    const a = cumulative('lp_a', '1.9', ['f', 'g']);
    const b = cumulative('lp_b', '1.10', ['f']);
    const next = cumulative('lp_c', '1.11', ['f']);
    const picked = lintRelease(options(next, { previous: [b, a] }));
    expect(picked.replaces?.name).toBe('lp_b');
    expect(picked.findings).toEqual([]);
    expect(picked.notes.join('\n')).toContain('lp_a.json');
  });

  it('predicts the replace: only the new build runs its callbacks, then the old one is unloaded', () => {
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(report.prediction.kind).toBe('upgrade-atomic');
    expect(report.prediction.steps).toEqual([
      { op: 'load', patch: 'lp_v2', version: '1.0-2' },
      { op: 'unload', patch: 'lp_v1' },
    ]);
    expect(report.prediction.log).toContain("livepatch: enabling patch 'lp_v2'");
    expect(report.prediction.log).toContain('lp_v2: pre_patch_callback: vmlinux');
    expect(report.prediction.log.some((line) => line.startsWith('lp_v1:'))).toBe(false);
  });
});

describe('the prediction', () => {
  it('a build keeping the module name of the one it replaces is refused: the kernel has one module per name', () => {
    const v1 = cumulative('livepatch_fix', '1', ['f']);
    const v2 = { ...cumulative('livepatch_fix', '2', ['f']), file: 'v2.ko' };
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(rules(report)).toEqual(['upgrade-refused']);
    expect(report.findings[0]!.message).toContain('its own module name');
  });

  it('a replace=0 build on a replace-bool kernel is stacked, then the old one disabled: its callbacks run', () => {
    const callbacks = ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'] as const;
    const v1 = build({
      name: 'lp_v1',
      version: '1',
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: [...callbacks] }],
    });
    const v2 = build({
      name: 'lp_v2',
      version: '2',
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: [...callbacks] }],
    });
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(report.findings).toEqual([]);
    expect(report.prediction.kind).toBe('upgrade-two-step');
    expect(report.prediction.log).toContain('lp_v1: pre_unpatch_callback: vmlinux');
    expect(report.prediction.log).toContain('lp_v1: post_unpatch_callback: vmlinux');
  });
});

describe('cumulative', () => {
  it('a fix v1 had and v2 drops is reverted by the replace (warning, naming the func)', () => {
    const v1 = cumulative('lp_v1', '1', ['cmdline_proc_show', 'meminfo_proc_show']);
    const v2 = cumulative('lp_v2', '2', ['cmdline_proc_show']);
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(rules(report)).toEqual(['cumulative-func']);
    expect(report.findings[0]).toMatchObject({
      severity: 'warning',
      object: 'vmlinux',
      func: 'meminfo_proc_show',
      file: 'lp_v2.json',
      other: 'lp_v1.json',
    });
    expect(report.findings[0]!.message).toContain('vmlinux:meminfo_proc_show,1');
  });

  it('sympos 0 and 1 are one function: moving from one to the other drops nothing', () => {
    const v1 = cumulative('lp_v1', '1', ['f']);
    const v2 = cumulative('lp_v2', '2', [], {
      objects: [{ name: 'vmlinux', funcs: [{ name: 'f', sympos: 1 }] }],
    });
    expect(lintRelease(options(v2, { previous: [v1] })).findings).toEqual([]);
    const v3 = cumulative('lp_v3', '3', [], {
      objects: [{ name: 'vmlinux', funcs: [{ name: 'f', sympos: 2 }] }],
    });
    expect(rules(lintRelease(options(v3, { previous: [v2] })))).toEqual(['cumulative-func']);
  });

  it('an object v2 no longer patches names each fix in it', () => {
    const v1 = build({
      name: 'lp_v1',
      version: '1',
      objects: [
        { name: 'vmlinux', funcs: ['f'] },
        { name: 'ext4', funcs: ['ext4_a', 'ext4_b'] },
      ],
    });
    const v2 = build({ name: 'lp_v2', version: '2', objects: [{ name: 'vmlinux', funcs: ['f'] }] });
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(rules(report)).toEqual(['cumulative-object']);
    expect(report.findings[0]!.funcs).toEqual(['ext4:ext4_a,1', 'ext4:ext4_b,1']);
  });
});

describe('states', () => {
  const v1 = cumulative('lp_v1', '1', ['f'], {
    states: [
      { id: 1, version: 2 },
      { id: 7, version: 1 },
    ],
    objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch'] }],
  });

  it('a lower state version is an error, and the simulator refuses the replace', () => {
    const v2 = cumulative('lp_v2', '2', ['f'], {
      states: [
        { id: 1, version: 1 },
        { id: 7, version: 1 },
      ],
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch'] }],
    });
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(only(report, 'states-lower')).toMatchObject([{ severity: 'error', state: 1 }]);
    expect(report.prediction.kind).toBe('refused');
    expect(report.prediction.log).toEqual([
      'livepatch: Livepatch patch (lp_v2) is not compatible with the already installed livepatches.',
    ]);
    expect(rules(report)).toContain('upgrade-refused');
  });

  it('a state id v2 does not carry is an error', () => {
    const v2 = cumulative('lp_v2', '2', ['f'], {
      states: [{ id: 1, version: 3 }],
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch'] }],
    });
    const report = lintRelease(options(v2, { previous: [v1] }));
    expect(only(report, 'states-missing')).toMatchObject([{ severity: 'error', state: 7 }]);
    expect(rules(report)).not.toContain('states-lower');
  });
});

describe('isolation', () => {
  const next = cumulative('lp_v2', '2', ['f', 'g'], {
    states: [{ id: 3, version: 1 }],
    objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: ['pre_patch'] }],
  });
  const hotfix = build({
    name: 'hotfix',
    version: '1',
    replaceSet: 1,
    objects: [{ name: 'vmlinux', funcs: [{ name: 'g', sympos: 1 }] }],
  });

  it('the same function in another set is refused on replace-set and provides kernels', () => {
    for (const kernel of ['replace-set', 'provides'] as const) {
      const report = lintRelease(options(next, { others: [hotfix], kernel }));
      expect(only(report, 'isolation-func')).toMatchObject([
        { severity: 'error', object: 'vmlinux', func: 'g', other: 'hotfix.json' },
      ]);
    }
  });

  it('on a replace-bool kernel it is an order-dependent stack: a warning', () => {
    const bool = { ...next, manifest: { ...next.manifest, replace: false } };
    const report = lintRelease(options(bool, { others: [hotfix] }));
    expect(rules(report)).toEqual(['isolation-func']);
    expect(report.findings[0]!.severity).toBe('warning');
    expect(report.findings[0]!.message).toContain('load order');
  });

  it('a shared state id: an error on replace-set, a warning on replace-bool unless NEW is lower', () => {
    const stateful = (version: number) =>
      build({
        name: 'hotfix',
        version: '1',
        replaceSet: 1,
        states: [{ id: 3, version }],
        objects: [{ name: 'vmlinux', funcs: ['h'], callbacks: ['pre_patch'] }],
      });
    const bool = { ...next, manifest: { ...next.manifest, replace: false } };
    expect(
      only(lintRelease(options(next, { others: [stateful(1)], kernel: 'replace-set' })), 'isolation-state'),
    ).toMatchObject([{ severity: 'error', state: 3 }]);
    expect(only(lintRelease(options(bool, { others: [stateful(1)] })), 'isolation-state')).toMatchObject([
      { severity: 'warning' },
    ]);
    expect(only(lintRelease(options(bool, { others: [stateful(2)] })), 'isolation-state')).toMatchObject([
      { severity: 'error' },
    ]);
  });

  it('a replace=1 build on a replace-bool kernel would also replace the other set: refused by the planner', () => {
    const apart = build({
      name: 'other',
      version: '1',
      replaceSet: 1,
      objects: [{ name: 'vmlinux', funcs: ['z'] }],
    });
    const report = lintRelease(options(next, { others: [apart] }));
    expect(rules(report)).toEqual(['upgrade-refused']);
    expect(report.findings[0]!.message).toContain("'other' (replace set 1)");
  });
});

describe('downgrade', () => {
  const v1 = cumulative('lp_v1', '1', ['f'], {
    states: [{ id: 1, version: 1 }],
    objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['pre_patch', 'post_unpatch'] }],
  });
  const v2 = cumulative('lp_v2', '2', ['f', 'g'], {
    states: [
      { id: 1, version: 2 },
      { id: 2, version: 1 },
    ],
    objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: ['pre_patch', 'post_unpatch'] }],
  });

  it('lists the steps (disable, wait, unload, load) and the states v1 does not know', () => {
    const report = lintRelease(options(v1, { previous: [v2] }));
    const [down] = only(report, 'downgrade');
    expect(down!.steps).toEqual([
      { op: 'disable', patch: 'lp_v2' },
      { op: 'wait-removed', patch: 'lp_v2' },
      { op: 'unload', patch: 'lp_v2' },
      { op: 'load', patch: 'lp_v1', version: '1' },
    ]);
    // v2's own callbacks run on the way out, then only v1's
    expect(down!.log).toContain('lp_v2: post_unpatch_callback: vmlinux');
    expect(down!.log).toContain('lp_v1: pre_patch_callback: vmlinux');
    expect(down!.message).toContain('vmlinux:g,1');
    expect(only(report, 'downgrade-states').map((f) => f.state)).toEqual([1, 2]);
    expect(report.prediction.kind).toBe('downgrade');
    expect(report.findings.every((f) => f.severity === 'warning')).toBe(true);
  });

  it('is reported beside the upgrade when builds on both sides are given', () => {
    const v3 = cumulative('lp_v3', '3', ['f', 'g'], {
      states: [
        { id: 1, version: 2 },
        { id: 2, version: 1 },
      ],
      objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: ['pre_patch', 'post_unpatch'] }],
    });
    const report = lintRelease(options(v2, { previous: [v1, v3] }));
    expect(report.replaces?.name).toBe('lp_v1');
    expect(rules(report)).toEqual(['downgrade']);
  });
});

describe('callbacks', () => {
  it('an object with callbacks and no funcs', () => {
    const next = build({
      name: 'p',
      objects: [
        { name: 'vmlinux', funcs: ['f'] },
        { name: 'ext4', callbacks: ['pre_patch', 'post_unpatch'] },
      ],
    });
    const report = lintRelease(options(next));
    expect(only(report, 'callbacks-no-funcs')).toMatchObject([{ object: 'ext4', severity: 'warning' }]);
  });

  it('a state nothing sets up', () => {
    const bare = build({
      name: 'p',
      states: [{ id: 4, version: 1 }],
      objects: [{ name: 'vmlinux', funcs: ['f'] }],
    });
    expect(only(lintRelease(options(bare)), 'callbacks-state-setup')).toMatchObject([{ state: 4 }]);
    const setUp = build({
      name: 'p',
      states: [{ id: 4, version: 1 }],
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch', 'pre_unpatch', 'post_unpatch'] }],
    });
    expect(lintRelease(options(setUp)).findings).toEqual([]);
  });

  it('pre_unpatch without post_unpatch', () => {
    const next = build({
      name: 'p',
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch', 'pre_unpatch'] }],
    });
    const [finding] = only(lintRelease(options(next)), 'callbacks-pre-unpatch');
    expect(finding).toMatchObject({ object: 'vmlinux' });
    expect(finding!.message).toContain('reversed');
  });
});

describe('module hygiene', () => {
  const manifest = {
    name: 'lp',
    objects: [
      { name: 'vmlinux', funcs: ['cmdline_proc_show', { name: 'dup', sympos: 2 }] },
      { name: 'ext4', funcs: ['ext4_fn'] },
    ],
  };
  const modinfo = {
    livepatch: 'Y',
    vermagic: '6.1.0-31-amd64 SMP preempt mod_unload modversions ',
    version: '1',
  };

  it('livepatch=Y missing', () => {
    const without = build(manifest, { modinfo: { vermagic: modinfo.vermagic } });
    expect(only(lintRelease(options(without)), 'hygiene-livepatch')).toHaveLength(1);
    expect(only(lintRelease(options(build(manifest, { modinfo }))), 'hygiene-livepatch')).toEqual([]);
  });

  it('vermagic for another release', () => {
    const input = build(manifest, { modinfo });
    expect(
      only(lintRelease(options(input, { kernelRelease: '6.1.0-32-amd64' })), 'hygiene-vermagic'),
    ).toHaveLength(1);
    expect(
      only(lintRelease(options(input, { kernelRelease: '6.1.0-31-amd64' })), 'hygiene-vermagic'),
    ).toEqual([]);
    // a manifest has no modinfo: said, not guessed
    const notes = lintRelease(options(build(manifest), { kernelRelease: '6.1.0-31-amd64' })).notes;
    expect(notes.join('\n')).toContain('no modinfo');
  });

  it('funcs and .klp.sym symbols checked against System.map: missing, sympos beyond, ambiguous', () => {
    const systemMap = parseSymbolTable(
      [
        'ffffffff81000000 T cmdline_proc_show',
        'ffffffff81000010 t dup',
        'ffffffff81000020 t dup',
        'ffffffff81000030 t twice',
        'ffffffff81000040 t twice',
        'ffffffff81000050 d one',
        '',
      ].join('\n'),
      'System.map',
    );
    const klpSyms = [
      { object: 'vmlinux', symbol: 'one', sympos: 0 },
      { object: 'vmlinux', symbol: 'gone', sympos: 0 },
      { object: 'vmlinux', symbol: 'one', sympos: 2 },
      { object: 'vmlinux', symbol: 'twice', sympos: 0 },
      { object: 'ext4', symbol: 'ext4_sym', sympos: 0 },
    ];
    const report = lintRelease(options(build(manifest, { modinfo, klpSyms }), { symbols: systemMap }));
    expect(report.findings.map((f) => [f.rule, f.symbol, f.sympos])).toEqual([
      ['hygiene-symbol', 'gone', 0],
      ['hygiene-sympos', 'one', 2],
      ['hygiene-sympos', 'twice', 0],
    ]);
    // System.map holds no module symbols: ext4's are not checked, and the report says so
    expect(report.notes.join('\n')).toContain("'ext4'");
  });

  it('module symbols from a /proc/kallsyms dump', () => {
    const kallsyms = parseSymbolTable(
      [
        '0000000000000000 T cmdline_proc_show',
        '0000000000000000 t dup',
        '0000000000000000 t dup',
        '0000000000000000 t ext4_fn\t[ext4]',
      ].join('\n'),
      'kallsyms',
    );
    const klpSyms = [{ object: 'ext4', symbol: 'ext4_other', sympos: 0 }];
    const report = lintRelease(options(build(manifest, { modinfo, klpSyms }), { symbols: kallsyms }));
    expect(report.findings.map((f) => [f.rule, f.object, f.symbol])).toEqual([
      ['hygiene-symbol', 'ext4', 'ext4_other'],
    ]);
  });

  it('a symbol dump is parsed strictly, with the line of the first bad one', () => {
    expect(thrown(() => parseSymbolTable('ffff T a\nnot a line\n', 'map'))).toMatchObject({
      source: 'map',
      location: '2',
    });
    expect(() => parseSymbolTable('ffff T a b\n', 'map')).toThrow(InputError);
    expect(() => parseSymbolTable('ffff T a [mod]\n', 'map')).toThrow(InputError);
    expect(() => parseSymbolTable('', 'map')).toThrow(/no symbols/);
    expect(parseSymbolTable('ffff T a\r\n', 'map').objects.get('vmlinux')?.get('a')).toBe(1);
  });
});

describe('inputs lint cannot compare', () => {
  const v1 = cumulative('lp_v1', '1', ['f']);
  it('a previous build without a version, or NEW without one', () => {
    const bare = build({ name: 'lp_x', objects: [{ name: 'vmlinux', funcs: ['f'] }] });
    expect(thrown(() => lintRelease(options(v1, { previous: [bare] })))).toMatchObject({
      source: 'lp_x.json',
      detail: expect.stringContaining('no version'),
    });
    expect(() => lintRelease(options(bare, { previous: [v1] }))).toThrow(InputError);
  });

  it('a previous build of another set, or a --set build of NEW own set', () => {
    const other = build({ name: 'lp_o', version: '0', replaceSet: 2 });
    const next = cumulative('lp_v2', '2', ['f']);
    expect(() => lintRelease(options(next, { previous: [other] }))).toThrow(/--set/);
    expect(() => lintRelease(options(next, { others: [v1] }))).toThrow(/--previous/);
    // on a provides kernel a set NEW obsoletes is one it replaces
    const obsoleting = build({
      name: 'lp_v3',
      version: '3',
      obsoletes: [2],
      objects: [{ name: 'vmlinux', funcs: ['f'] }],
    });
    expect(lintRelease(options(obsoleting, { previous: [other], kernel: 'provides' })).replaces?.name).toBe(
      'lp_o',
    );
  });

  it('the same version twice is an error', () => {
    const again = cumulative('lp_v1b', '1', ['f']);
    expect(rules(lintRelease(options(again, { previous: [v1] })))).toEqual(['version-same']);
  });
});
