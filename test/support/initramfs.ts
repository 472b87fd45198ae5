import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Whether a command is on PATH (the tests that need it skip and say so otherwise). */
export const hasCommand = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** A file tree for an archive: path to contents, or `{ link }` for a symlink, or `{ dir: true }`. */
export type Tree = Record<string, string | { link: string } | { dir: true }>;

/** A newc cpio archive of `tree`, built by the real `cpio -o -H newc` as initramfs tools do. */
export function cpioArchive(tree: Tree): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-cpio-'));
  try {
    for (const [path, what] of Object.entries(tree)) {
      const at = join(dir, path);
      if (typeof what === 'object' && 'dir' in what) {
        mkdirSync(at, { recursive: true });
        continue;
      }
      mkdirSync(dirname(at), { recursive: true });
      if (typeof what === 'string') writeFileSync(at, what);
      else symlinkSync(what.link, at);
    }
    return execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bytes` through a real compressor command (reading stdin, writing stdout). */
export const compress = (command: string[], bytes: Uint8Array): Buffer =>
  execFileSync(command[0]!, command.slice(1), { input: bytes, maxBuffer: 1 << 28 });

/** The paths the real `cpio -it` lists for an uncompressed archive file. */
export function cpioList(archive: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-cpio-list-'));
  try {
    writeFileSync(join(dir, 'a.cpio'), archive);
    const listing = execFileSync('sh', ['-c', 'cpio -it --quiet < a.cpio'], { cwd: dir, encoding: 'utf8' });
    return listing
      .split('\n')
      .filter((line) => line !== '' && line !== '.')
      .map((line) => line.replace(/^\.\//, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const readBytes = (path: string) => new Uint8Array(readFileSync(path));
