import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRepositoryIndex, repositoryIndexJsonSchema } from '../../src/repo/index.js';

const root = resolve(import.meta.dirname, '../..');

describe('repository index schema', () => {
  it('docs/schema/repository-index.json is the schema the code enforces (regenerate it when this fails)', () => {
    const committed = JSON.parse(readFileSync(resolve(root, 'docs/schema/repository-index.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(repositoryIndexJsonSchema())));
  });

  it('the example index loads, with its replace set, expiry and manifest', () => {
    const path = resolve(root, 'examples/repo/index.json');
    const repo = parseRepositoryIndex(readFileSync(path, 'utf8'), path);
    expect(repo.updates.map((u) => u.id)).toEqual(['KLPM-2026-001', 'KLPM-2026-002']);
    expect(repo.updates[1]!.livepatches[0]).toMatchObject({ replaceSet: 1, expires: '2026-07-01' });
    expect(repo.updates[1]!.livepatches[0]!.manifest?.objects[0]?.name).toBe('vmlinux');
  });
});
