import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../input/index.js';
import {
  decodeXmlBytes,
  parseRepositoryIndex,
  parseUpdateinfo,
  type Repository,
  updateinfoLocation,
} from '../repo/index.js';

/**
 * Loads a repository from what `--repo` names: a yum repository root (holding repodata/), its
 * repomd.xml, an updateinfo.xml or .xml.gz, or klpm's JSON index (*.json).
 */
export async function loadRepository(path: string): Promise<Repository> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new InputError('no such file or directory', path);
  if (info.isDirectory()) return loadRepository(join(path, 'repodata', 'repomd.xml'));
  const bytes = await readBytes(path);
  if (path.endsWith('.json')) return parseRepositoryIndex(bytes.toString('utf8'), path);
  const text = decodeXmlBytes(bytes, path);
  if (basename(path) === 'repomd.xml' || /<repomd[\s>]/.test(text.slice(0, 4096))) {
    // hrefs in repomd.xml are relative to the repository root, the parent of repodata/
    const root = dirname(dirname(resolve(path)));
    const location = join(root, updateinfoLocation(text, path));
    const updateinfo = await readBytes(location);
    return parseUpdateinfo(decodeXmlBytes(updateinfo, location), location);
  }
  return parseUpdateinfo(text, path);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`, path);
  }
}
