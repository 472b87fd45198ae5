import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assessReport,
  canonicalJson,
  type Report,
  reportFingerprint,
  repositoryFiles,
} from '../fleet/index.js';
import { loadRepository } from '../host/index.js';
import { type EvaluationTime, indexRepository, type RepositoryIndex } from '../repo/index.js';
import type { FleetStore } from '../store/index.js';

/** The repository as the server serves it: its index, its files by sha256, and where it came from. */
export interface LoadedRepository {
  readonly index: RepositoryIndex;
  readonly files: ReadonlyMap<string, string>;
  readonly livepatches: number;
  /** ms since the epoch when it was read */
  readonly loadedAt: number;
  /** sha256 of its canonical JSON: the repository's identity, kept in a shared database */
  readonly hash: string;
  /**
   * `assessReport` against this repository, shared between hosts with one fingerprint (src/fleet
   * reportFingerprint; pass it when it is made already)
   */
  readonly assess: (report: Report, time: EvaluationTime, fingerprint?: string) => Assessed;
}

export type Assessed = ReturnType<typeof assessReport>;

/** How a refresh assesses a host alone: by default the repository's own `assess`. */
export type HostAssessor = (hostId: string, report: Report, time: EvaluationTime) => Promise<Assessed>;

/**
 * How a refresh assesses the fleet where rollouts and pins gate plans (the rollout service): the
 * hosts a gate may single out, each assessed alone with `assess`, and the answer by report for
 * every other host, which is the same for every host with one fingerprint.
 */
export interface Reassessor {
  readonly assess: HostAssessor;
  readonly plan: () => Promise<{
    readonly alone: ReadonlyArray<string>;
    readonly others: (report: Report, time: EvaluationTime) => Assessed;
  }>;
}

const DAY_MS = 86_400_000;
/** How many distinct assessments a repository keeps (a few MB). */
const SHARED_ASSESSMENTS = 2000;

/**
 * `assessReport`, remembered. It reads only what the report's fingerprint covers (the build ID and
 * the plan's view of the status document), and the time only as the UTC day (src/repo compares
 * coverage dates, which are midnights, with now + a whole number of days), so hosts alike in
 * those on one day get the same answer, the same value. A fractional window is assessed afresh
 * every time.
 */
function sharedAssessments(
  index: RepositoryIndex,
): (report: Report, time: EvaluationTime, fingerprint?: string) => Assessed {
  const remembered = new Map<string, Assessed>();
  return (report, time, fingerprint) => {
    if (!Number.isInteger(time.expiryWindowDays)) return assessReport(report, index, time);
    const key = `${Math.floor(time.now / DAY_MS)}|${time.expiryWindowDays}|${fingerprint ?? reportFingerprint(report)}`;
    let assessed = remembered.get(key);
    if (assessed === undefined) {
      assessed = assessReport(report, index, time);
      if (remembered.size >= SHARED_ASSESSMENTS) remembered.delete(remembered.keys().next().value as string);
      remembered.set(key, assessed);
    }
    return assessed;
  };
}

/** What a refresh did: whether the repository changed, and how many hosts were assessed again. */
export interface RefreshResult {
  readonly changed: boolean;
  readonly hosts: number;
  readonly livepatches: number;
  /**
   * false when another server sharing the database re-evaluates (or did) the hosts against this
   * repository, so this one did not
   */
  readonly reevaluated: boolean;
}

/** How many stored reports one re-evaluation transaction takes. */
const PAGE = 500;

/**
 * The server's repository: read at start, read again on `refresh` (the admin endpoint, or the
 * watcher when the files change), and then every stored report assessed again. One refresh at a
 * time: a refresh asked for while one runs waits for it and runs after it.
 */
export class RepositoryState {
  private loaded: LoadedRepository;
  private signature: string;
  private running: Promise<RefreshResult> = Promise.resolve({
    changed: false,
    hosts: 0,
    livepatches: 0,
    reevaluated: false,
  });
  /**
   * On a shared store: the hash of a repository loaded here whose re-evaluation another server
   * held; checked at each poll, so that a server that died before it finished is taken over.
   */
  private unevaluated: string | undefined;

  private constructor(
    private readonly path: string,
    private readonly store: FleetStore,
    private readonly time: () => EvaluationTime,
    loaded: LoadedRepository,
    signature: string,
    private readonly reassessor: Reassessor | undefined,
  ) {
    this.loaded = loaded;
    this.signature = signature;
  }

  static async open(
    path: string,
    store: FleetStore,
    time: () => EvaluationTime,
    reassessor?: Reassessor,
  ): Promise<RepositoryState> {
    const signature = await signatureOf(path);
    const state = new RepositoryState(path, store, time, await read(path, time().now), signature, reassessor);
    // the repository may have changed while no server ran: the first poll checks the database's hash
    if (store.claimReevaluation !== undefined) state.unevaluated = state.loaded.hash;
    return state;
  }

  current(): LoadedRepository {
    return this.loaded;
  }

  /** Reads the repository again and assesses every host against it. */
  refresh(): Promise<RefreshResult> {
    this.running = this.running.catch(() => undefined).then(() => this.refreshNow());
    return this.running;
  }

  /** Refreshes when the repository's files changed since the last read (size or mtime). */
  async refreshIfChanged(): Promise<RefreshResult | undefined> {
    if ((await signatureOf(this.path)) !== this.signature) return this.refresh();
    if (this.unevaluated === undefined) return undefined;
    this.running = this.running.catch(() => undefined).then(() => this.reevaluate(this.loaded));
    const result = await this.running;
    return result.reevaluated ? result : undefined;
  }

  private async refreshNow(): Promise<RefreshResult> {
    const signature = await signatureOf(this.path);
    const next = await read(this.path, this.time().now);
    this.signature = signature;
    this.loaded = next;
    return this.reevaluate(next);
  }

  /** Assesses every stored report against `next`, unless another server sharing the store does. */
  private async reevaluate(next: LoadedRepository): Promise<RefreshResult> {
    const claim =
      this.store.claimReevaluation === undefined
        ? { done: async () => {}, abandon: async () => {} }
        : await this.store.claimReevaluation(next.hash);
    if (claim === undefined) {
      // another server holds it (kept to check again), or it is done (the hash is recorded)
      this.unevaluated = next.hash;
      return { changed: true, hosts: 0, livepatches: next.livepatches, reevaluated: false };
    }
    let hosts = 0;
    try {
      hosts = await this.assessAll(next);
    } catch (error) {
      await claim.abandon().catch(() => {});
      throw error;
    }
    await claim.done(this.time().now);
    this.unevaluated = undefined;
    return { changed: true, hosts, livepatches: next.livepatches, reevaluated: true };
  }

  /**
   * Assesses one report per fingerprint and writes each answer to its hosts set-based
   * (FleetStore.saveGroupAssessments); the hosts a rollout or pin may gate, and rows stored before
   * fingerprints (migration 6), are assessed one by one as before.
   */
  private async assessAll(next: LoadedRepository): Promise<number> {
    const time = this.time();
    const { alone, others } =
      this.reassessor === undefined
        ? { alone: [], others: (report: Report, t: EvaluationTime) => next.assess(report, t) }
        : await this.reassessor.plan();
    const groups = await this.store.fingerprintGroups();
    const { hosts: grouped } = await this.store.saveGroupAssessments(
      groups.map((g) => ({ fingerprint: g.fingerprint, ...others(g.report, time) })),
      alone,
    );
    let hosts = grouped;
    const one = async (hostId: string, report: Report) => ({
      hostId,
      seq: report.seq,
      fingerprint: reportFingerprint(report),
      ...(this.reassessor === undefined
        ? next.assess(report, time)
        : await this.reassessor.assess(hostId, report, time)),
    });
    const done = new Set<string>();
    for (let i = 0; i < alone.length; i += PAGE) {
      const page = await this.store.hostReports(alone.slice(i, i + PAGE));
      const assessed = [];
      for (const { hostId, report } of page) {
        assessed.push(await one(hostId, report));
        done.add(hostId);
      }
      await this.store.saveAssessments(assessed);
      hosts += page.length;
    }
    let after: string | null = null;
    for (;;) {
      const page = await this.store.unfingerprintedPage(after, PAGE);
      if (page.length === 0) break;
      const assessed = [];
      for (const { hostId, report } of page) if (!done.has(hostId)) assessed.push(await one(hostId, report));
      await this.store.saveAssessments(assessed);
      hosts += assessed.length;
      after = page[page.length - 1]!.hostId;
    }
    return hosts;
  }
}

async function read(path: string, now: number): Promise<LoadedRepository> {
  const repository = await loadRepository(path);
  const index = indexRepository(repository);
  return {
    index,
    hash: createHash('sha256').update(canonicalJson(repository)).digest('hex'),
    assess: sharedAssessments(index),
    files: repositoryFiles(repository),
    livepatches: repository.updates.reduce((n, u) => n + u.livepatches.length, 0),
    loadedAt: now,
  };
}

/**
 * What tells a changed repository from an unchanged one without reading it: size and mtime of the
 * path and of the files a directory's repository is read from.
 */
async function signatureOf(path: string): Promise<string> {
  const parts: string[] = [];
  for (const p of [path, join(path, 'index.json'), join(path, 'repodata', 'repomd.xml')]) {
    const info = await stat(p).catch(() => undefined);
    parts.push(info === undefined ? '-' : `${info.size}:${info.mtimeMs}:${info.ino}`);
  }
  return parts.join('|');
}
