import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readJson } from '../document/index.js';
import { statePath } from '../host/index.js';

/**
 * The agent's spool under `<root>/var/lib/klpm/agent/spool/`: what it could not deliver while the
 * server was unreachable. One report at most (a newer report folds the older into it: a report is
 * the whole state of the host), and every event, each in its own file, in the order they happened.
 * Events are never dropped; they come only from applies, which need a server's answer first.
 */
export function spoolDir(root: string): string {
  return join(dirname(statePath(root, 'agent')), 'spool');
}

async function writeAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp`;
  await writeFile(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** Keeps a report that could not be delivered; it replaces the one kept before. */
export async function spoolReport(root: string, report: unknown): Promise<void> {
  await writeAtomic(join(spoolDir(root), 'report.json'), report);
}

export async function hasSpooledReport(root: string): Promise<boolean> {
  return readFile(join(spoolDir(root), 'report.json')).then(
    () => true,
    () => false,
  );
}

/** The newer report was delivered: the kept one is folded into it. */
export async function dropSpooledReport(root: string): Promise<void> {
  await rm(join(spoolDir(root), 'report.json'), { force: true });
}

/** Keeps an event that could not be delivered, after every event kept before. */
export async function spoolEvent(root: string, event: unknown, now: number): Promise<void> {
  const existing = await spooledEvents(root);
  const last = existing.at(-1)?.name;
  const counter = last === undefined ? 0 : Number(last.split('-')[1]?.replace('.json', '') ?? 0) + 1;
  const name = `${String(now).padStart(15, '0')}-${String(counter).padStart(9, '0')}.json`;
  await writeAtomic(join(spoolDir(root), 'events', name), event);
}

/**
 * The kept events, oldest first. A file that does not read as strict JSON (klpm writes none with a
 * key twice) is not sent and is left for a person to see.
 */
export async function spooledEvents(root: string): Promise<Array<{ name: string; event: unknown }>> {
  const dir = join(spoolDir(root), 'events');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const events: Array<{ name: string; event: unknown }> = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    const read = text === undefined ? undefined : readJson(text);
    if (read?.ok) events.push({ name, event: read.value });
  }
  return events;
}

export async function dropSpooledEvent(root: string, name: string): Promise<void> {
  await rm(join(spoolDir(root), 'events', name), { force: true });
}
