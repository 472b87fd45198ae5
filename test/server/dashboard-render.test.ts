import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/fleet/index.js';
import {
  csrfMatches,
  csrfToken,
  escapeHtml,
  fleetPage,
  horizonWeeks,
  hostPage,
  hostsPage,
  html,
  newSession,
  readHostsQuery,
  readSession,
  rolloutPage,
} from '../../src/server/dashboard/index.js';
import type { HostDetail, HostRow } from '../../src/store/index.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const viewer = { role: 'viewer' as const, csrf: 'c'.repeat(43) };
const admin = { role: 'admin' as const, csrf: 'c'.repeat(43) };

/** Hostile text where a hostname, label, log line or reason goes. */
const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>'\``;

const row = (more: Partial<HostRow> = {}): HostRow => ({
  id: 'h1',
  hostname: EVIL,
  buildId: 'ab'.repeat(20),
  release: EVIL,
  status: 'kernel-end-of-life',
  reboot: 'yes',
  lastSeen: new Date(NOW).toISOString(),
  labels: [`site:${EVIL}`],
  conflict: null,
  ...more,
});

/** Every element name and attribute a page holds: injected markup would add a script or an onerror. */
function markupOf(page: string): { scripts: number; handlers: string[] } {
  // every attribute value is double-quoted with its quotes escaped: what is left outside them is markup
  const unquoted = page.replace(/"[^"]*"/g, '""');
  return {
    scripts: (unquoted.match(/<script/gi) ?? []).length,
    handlers: unquoted.match(/<[^>]*\son[a-z]+=/gi) ?? [],
  };
}

describe('the dashboard templating', () => {
  it('escapes the five HTML metacharacters and the backtick, and keeps markup made by the tag', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', html`<br>`]}${null}${undefined}${false}${0}</p>`.text).toBe(
      '<p><b>&lt;i&gt;</b>&lt;<br>0</p>',
    );
  });

  it('renders hostile hostnames, labels, releases, logs and reasons as text on every page', () => {
    const detail: HostDetail = {
      host: row(),
      report: null,
      plan: {
        outcome: 'planned',
        reason: EVIL,
        sets: [
          {
            replaceSet: 0,
            kind: 'refused',
            refused: true,
            to: EVIL,
            sha256: null,
            fetch: null,
            reason: EVIL,
            steps: [],
            notes: [EVIL],
            predictedLog: [`livepatch: ${EVIL}`],
          },
        ],
        steps: [],
        planHash: 'f'.repeat(64),
        offered: { format: 'klpm-repository-index', version: 1, updates: [] },
      },
      events: [
        {
          at: new Date(NOW).toISOString(),
          kind: 'apply',
          detail: {
            outcome: 'reversed',
            reason: EVIL,
            log: [`livepatch: ${EVIL}`],
            predictedLog: [],
            blocking: [{ pid: 1, comm: EVIL }],
          },
        },
      ],
    };
    const summary = summarize(
      [
        {
          buildId: EVIL,
          release: EVIL,
          status: 'supported',
          reboot: 'no',
          expires: '2026-12-20',
          lastSeen: NOW,
          interval: 600,
        },
      ],
      NOW,
    );
    const read = readHostsQuery(new URLSearchParams({ q: EVIL, label: 'site:ams1' }));
    if (!read.ok) throw new Error(read.message);
    const pages = [
      hostPage(admin, detail),
      hostsPage(viewer, read.query, [row()], 'next', EVIL),
      fleetPage(viewer, {
        summary,
        countedAt: NOW,
        silent: [row()],
        stuck: [row()],
        rollouts: { kind: 'ok', rollouts: [] },
        now: NOW,
      }),
      rolloutPage(admin, {
        id: 'r1',
        state: 'halted',
        reason: EVIL,
        waves: [
          {
            name: EVIL,
            state: 'halted',
            hosts: 3,
            applied: 1,
            failed: 1,
            pending: 1,
            failures: [{ host: EVIL, reason: EVIL }],
          },
        ],
      }),
    ];
    for (const page of pages) {
      expect(markupOf(page)).toEqual({ scripts: 0, handlers: [] });
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});

describe('the end-of-life horizon', () => {
  it('puts each build in the week its coverage ends, and leaves out the past and beyond 26 weeks', () => {
    const b = (buildId: string, hosts: number, expires: string | null) => ({
      buildId,
      release: null,
      hosts,
      expires,
    });
    const { weeks, series } = horizonWeeks(
      [
        b('a', 5, '2026-12-03'),
        b('b', 7, '2026-12-15'),
        b('c', 2, '2026-11-01'),
        b('d', 9, '2027-07-01'),
        b('e', 1, null),
        b('f', 3, '2027-05-31'),
      ],
      NOW,
    );
    expect(series.map((s) => s.buildId)).toEqual(['b', 'a', 'f']);
    // b (7 hosts) is series 0, a series 1, f series 2
    expect(weeks[0]).toEqual(new Map([[1, 5]]));
    expect(weeks[2]).toEqual(new Map([[0, 7]]));
    expect(weeks[25]).toEqual(new Map([[2, 3]]));
    expect(weeks.reduce((n, w) => n + [...w.values()].reduce((a, c) => a + c, 0), 0)).toBe(15);
  });
});

describe('dashboard sessions', () => {
  const key = Buffer.alloc(32, 7);
  it('reads back what it signed until it expires; refuses another key, an edit, or garbage', () => {
    const { session, value } = newSession(key, 'viewer', 'tok1', NOW);
    expect(readSession(key, value, NOW + 1000)).toEqual(session);
    expect(readSession(key, value, session.expires)).toBeUndefined();
    expect(readSession(Buffer.alloc(32, 8), value, NOW)).toBeUndefined();
    const [body, mac] = value.split('.');
    const admin = Buffer.from(JSON.stringify({ ...session, role: 'admin' })).toString('base64url');
    expect(readSession(key, `${admin}.${mac}`, NOW)).toBeUndefined();
    // an edit of the MAC's first character (six bits of data; the last one also carries padding bits,
    // where another letter can decode to the same bytes)
    const edited = `${mac![0] === 'A' ? 'B' : 'A'}${mac!.slice(1)}`;
    expect(readSession(key, `${body}.${edited}`, NOW)).toBeUndefined();
    for (const junk of ['', '.', 'a.b', `${body}`, undefined])
      expect(readSession(key, junk, NOW)).toBeUndefined();
  });

  it('ties the CSRF token to one sign-in', () => {
    const a = newSession(key, 'admin', 't', NOW).session;
    const b = newSession(key, 'admin', 't', NOW).session;
    expect(csrfMatches(key, a, csrfToken(key, a))).toBe(true);
    expect(csrfMatches(key, a, csrfToken(key, b))).toBe(false);
    expect(csrfMatches(key, a, undefined)).toBe(false);
    expect(csrfMatches(key, a, '')).toBe(false);
  });
});
