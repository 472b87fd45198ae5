import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assessReport, repositoryFiles } from '../fleet/index.js';
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
}

/** What a refresh did: whether the repository changed, and how many hosts were assessed again. */
export interface RefreshResult {
  readonly changed: boolean;
  readonly hosts: number;
  readonly livepatches: number;
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
  private running: Promise<RefreshResult> = Promise.resolve({ changed: false, hosts: 0, livepatches: 0 });

  private constructor(
    private readonly path: string,
    private readonly store: FleetStore,
    private readonly time: () => EvaluationTime,
    loaded: LoadedRepository,
    signature: string,
  ) {
    this.loaded = loaded;
    this.signature = signature;
  }

  static async open(path: string, store: FleetStore, time: () => EvaluationTime): Promise<RepositoryState> {
    const signature = await signatureOf(path);
    return new RepositoryState(path, store, time, await read(path, time().now), signature);
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
    if ((await signatureOf(this.path)) === this.signature) return undefined;
    return this.refresh();
  }

  private async refreshNow(): Promise<RefreshResult> {
    const signature = await signatureOf(this.path);
    const next = await read(this.path, this.time().now);
    this.signature = signature;
    this.loaded = next;
    let hosts = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.store.reportPage(after, PAGE);
      if (page.length === 0) break;
      const time = this.time();
      // An assessment reads only the status document and the build ID (assessReport): hosts alike
      // in both share one, so a fleet of few distinct machines is assessed a few times per page.
      const shared = new Map<string, ReturnType<typeof assessReport>>();
      await this.store.saveAssessments(
        page.map(({ hostId, report }) => {
          const key = `${report.buildId}\n${JSON.stringify(report.status)}`;
          let assessed = shared.get(key);
          if (assessed === undefined) {
            assessed = assessReport(report, next.index, time);
            shared.set(key, assessed);
          }
          return { hostId, seq: report.seq, ...assessed };
        }),
      );
      hosts += page.length;
      after = page[page.length - 1]!.hostId;
    }
    return { changed: true, hosts, livepatches: next.livepatches };
  }
}

async function read(path: string, now: number): Promise<LoadedRepository> {
  const repository = await loadRepository(path);
  return {
    index: indexRepository(repository),
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
