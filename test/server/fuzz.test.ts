import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { reportBody, writeRepository } from '../support/fleet-fixtures.js';
import { seeded } from '../support/seeded-random.js';

/**
 * Fuzz: 10,000 seeded requests against the real server (in this process, over loopback HTTP, on a
 * SQLite store): reports mutated field by field and deep inside the status document, bodies that
 * are not JSON or not objects, and query strings of the host list with random, repeated, unknown
 * and SQL-looking parameters, plus random host ids and sha256s in paths. Every answer must be one
 * the API gives for bad input (never 500), no answer may carry a stack trace or a source path, and
 * no statement the store prepares may hold a value the requests sent: every fuzzed string carries
 * the marker FUZZ, and the store's SQL hook (`onSql`) sees every statement it prepares.
 */

const SEED = Number(process.env.KLPM_FUZZ_SEED ?? 20261204);
const CASES = 10_000;
const NOW = Date.parse('2026-11-22T00:00:00Z');

let store: FleetStore;
let server: RunningServer;
const statements = new Set<string>();
let viewer = '';
let hostId = '';
let hostToken = '';
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-fuzz-')), 'fleet.db'), {
    onSql: (sql) => statements.add(sql),
  });
  server = await startFleetServer({
    store,
    repoPath: writeRepository(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => NOW,
    repoPollMs: 0,
    enrollRate: 'off',
    reportRate: 'off',
  });
  viewer = await store.createToken('viewer');
  const secret = await store.createEnrollSecret({ labels: ['site:fuzz'] });
  const enrolled = await store.enroll({ secret, machineId: 'f'.repeat(32), hostname: 'fuzz', now: NOW });
  if (enrolled.kind !== 'enrolled') throw new Error('not enrolled');
  hostId = enrolled.id;
  hostToken = enrolled.token;
});

afterAll(async () => {
  agent.destroy();
  await server?.close();
  await store?.close();
});

function send(
  method: string,
  path: string,
  token: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The fuzz's values: every string holds FUZZ, so a statement holding one is found. */
function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: ReadonlyArray<T>): T => items[int(items.length)] as T;
  const NASTY = [
    "'; DROP TABLE hosts; --",
    '" OR 1=1 --',
    '%',
    '_',
    '\\',
    '\u0000',
    '\u202e',
    '😀',
    '../../etc/passwd',
    '$1',
    '?',
    ':name',
    '$' + '{x}',
    '\n',
    'NULL',
    '0x00',
  ];
  const str = (): string => {
    const parts = ['FUZZ'];
    for (let i = int(4); i > 0; i--)
      parts.push(random() < 0.5 ? pick(NASTY) : random().toString(36).slice(2));
    if (random() < 0.02) parts.push('x'.repeat(5000 + int(5000)));
    return parts.join(random() < 0.5 ? '' : ' ');
  };
  const value = (depth = 0): unknown => {
    switch (int(depth > 2 ? 6 : 8)) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, 1e-300]);
      case 3:
      case 4:
        return str();
      case 5:
        return int(1000);
      case 6:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: int(4) }, () => [str(), value(depth + 1)]));
    }
  };
  /** a report with one mutation: a field replaced, removed, or one deep inside the status changed */
  const report = (seq: number): string => {
    const body = reportBody({
      seq,
      patches: [
        {
          name: 'lp_a',
          enabled: true,
          transition: false,
          version: '6.12.117-1.1',
          replaceSet: 0,
          replace: true,
          objects: [],
        },
      ],
    }) as Record<string, unknown>;
    const keys = Object.keys(body);
    const mode = int(6);
    if (mode === 0) body[pick(keys)] = value();
    else if (mode === 1) delete body[pick(keys)];
    else if (mode === 2) body[str()] = value();
    else if (mode === 3) {
      // deep: walk into the status document and change what is there
      let at = body.status as Record<string, unknown>;
      for (let d = 0; d < 3; d++) {
        const inner = Object.keys(at);
        const key = pick(inner.length === 0 ? [str()] : inner);
        const next = at[key];
        const inner2 = Array.isArray(next) ? next[0] : next;
        if (inner2 !== null && typeof inner2 === 'object' && random() < 0.7) {
          at = inner2 as Record<string, unknown>;
          continue;
        }
        at[key] = value();
        break;
      }
    } else if (mode === 4) return JSON.stringify(value());
    else {
      const text = JSON.stringify(body);
      return pick([
        text.slice(0, int(text.length)),
        `${text}${str()}`,
        text.replace(/"/g, pick(["'", '', '\\"'])),
      ]);
    }
    return JSON.stringify(body);
  };
  const PARAMS = [
    'status',
    'reboot',
    'buildId',
    'release',
    'label',
    'silent',
    'stuck',
    'checkinAge',
    'limit',
    'cursor',
  ];
  const VALUES = [
    'supported',
    'unknown',
    'yes',
    'no',
    'true',
    'false',
    '10m',
    '1d',
    '0s',
    '-1',
    '1001',
    '100',
    'site:fuzz',
  ];
  const query = (): string => {
    const params = new URLSearchParams();
    for (let i = int(5); i > 0; i--)
      params.append(random() < 0.9 ? pick(PARAMS) : str(), random() < 0.4 ? pick(VALUES) : str());
    const text = params.toString();
    return random() < 0.1 ? `${text}&%zz=%${pick(['', 'g', 'ff'])}` : text;
  };
  return { int, pick, str, report, query };
}

describe('fuzz: mutated reports and query strings against the real server', () => {
  it(`${CASES} requests: no 500, no stack trace, no value in any SQL statement (seed ${SEED})`, async () => {
    const g = generator(seeded(SEED));
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let seq = 1;
    const one = async (i: number) => {
      const kind = g.int(10);
      let method = 'GET';
      let path: string;
      let token = viewer;
      let body: string | undefined;
      if (kind < 6) {
        method = 'POST';
        path = `/v1/hosts/${hostId}/report`;
        token = hostToken;
        body = g.report(++seq);
      } else if (kind < 9) {
        path = `/v1/hosts?${g.query()}`;
      } else if (g.int(4) === 0) {
        path = `/v1/files/${encodeURIComponent(g.str())}`;
        token = hostToken; // files are for hosts
      } else {
        path = g.pick([
          `/v1/hosts/${encodeURIComponent(g.str())}`,
          `/v1/hosts/${encodeURIComponent(g.str())}/plan`,
          `/v1/summary?${g.query()}`,
          `/v1/builds?${g.query()}`,
        ]);
      }
      const answer = await send(method, path, token, body);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const stack = /\n\s+at |node_modules|\/src\/|\.ts:\d+|SqliteError|SQLITE_/.test(answer.text);
      // 431: node:http's own answer to a request line over its 16 KiB header limit
      if (answer.status >= 500 || stack || ![200, 400, 404, 409, 413, 431].includes(answer.status))
        bad.push(
          `case ${i}: ${method} ${path.slice(0, 200)} -> ${answer.status} ${answer.text.slice(0, 300)}`,
        );
    };
    // 8 in flight, as a busy server sees them
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < CASES) await one(next++);
      }),
    );
    expect(bad, `seed ${SEED}`).toEqual([]);
    // the fuzz reached both sides: bad input refused and good input taken
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
    const leaked = [...statements].filter((sql) => sql.includes('FUZZ'));
    expect(leaked).toEqual([]);
    // the statements are a fixed set, whatever the requests held
    expect(statements.size).toBeGreaterThan(5);
    expect(statements.size).toBeLessThan(200);
  }, 300_000);
});
