import { gunzipInput, InputError, relativePathProblem } from '../input/index.js';
import { parseBuildIdField, parseVersionReleaseField } from './fields.js';
import { readGuidance } from './guidance.js';
import { issuedTime } from './livepatch.js';
import type { Component, Guidance, Livepatch, Repository, Update, UpdateGuidance } from './types.js';
import { child, lineOf, listOf, parseXml, textOf, type XmlNode } from './xml.js';

/** Gunzips `.xml.gz` bytes (recognised by the gzip magic), or decodes plain XML as UTF-8. */
export function decodeXmlBytes(bytes: Uint8Array, source: string): string {
  return Buffer.from(gunzipInput(bytes, source)).toString('utf8');
}

/** The `href` of repomd.xml's `updateinfo` data entry, relative to the repository root. */
export function updateinfoLocation(text: string, source: string): string {
  const doc = parseXml(text, source, ['repomd.data']);
  const repomd = child(doc, 'repomd');
  if (repomd === undefined) throw new InputError('expected a <repomd> root element', source, 'line 1');
  const data = listOf(repomd.data).find((d) => d.type === 'updateinfo');
  const href = child(data, 'location')?.href;
  if (typeof href !== 'string' || href === '')
    throw new InputError(
      'no <data type="updateinfo"> with a <location href> entry: the repository publishes no updateinfo',
      source,
      lineOf(text, '<repomd') ?? 'line 1',
    );
  const problem = relativePathProblem(href);
  if (problem !== undefined)
    throw new InputError(
      `<data type="updateinfo"> <location href>: ${problem}`,
      source,
      lineOf(text, '<location') ?? 'line 1',
    );
  return href;
}

const KINDS = ['mandatory', 'recommended', 'full', 'livepatch'] as const;

function guidanceOf(update: XmlNode): UpdateGuidance {
  const guidance = child(update, 'guidance');
  const values = (kind: (typeof KINDS)[number]): Guidance[] => {
    const list = guidance?.[kind];
    const node = child(guidance, kind);
    const raw = node ? node.value : list === '' ? [] : undefined;
    return (Array.isArray(raw) ? raw : [])
      .map((v) => textOf(v))
      .filter((v): v is string => v !== undefined && v !== '')
      .map(readGuidance);
  };
  return {
    mandatory: values('mandatory'),
    recommended: values('recommended'),
    full: values('full'),
    livepatch: values('livepatch'),
  };
}

const ATTRIBUTES = ['component', 'base-buildid', 'base', 'to'] as const;

/**
 * Reads updateinfo.xml (`<updates><update>`) into the repository model. A `<livepatch>` that lacks an
 * attribute or names an unknown component is skipped with a warning naming the update, like xapi's
 * LivePatch.of_xml in ocaml/xapi/repository_helpers.ml; an update id given twice is an error.
 */
export function parseUpdateinfo(text: string, source: string): Repository {
  const doc = parseXml(text, source, ['updates.update', 'livepatches.livepatch', 'value']);
  const root = child(doc, 'updates');
  if (root === undefined && textOf(doc.updates) !== '')
    throw new InputError('expected an <updates> root element', source, 'line 1');
  const warnings: string[] = [];
  const updates: Update[] = [];
  const seen = new Map<string, number>();
  listOf(root?.update).forEach((node, index) => {
    const id = textOf(node.id)?.trim();
    if (id === undefined || id === '')
      throw new InputError(`update #${index + 1} has no <id>`, source, lineOf(text, '<update', index));
    const count = seen.get(id) ?? 0;
    if (count > 0)
      throw new InputError(
        `update id '${id}' appears twice: each update needs its own id`,
        source,
        lineOf(text, `<id>${id}</id>`, 1),
      );
    seen.set(id, count + 1);
    const at = lineOf(text, `<id>${id}</id>`) ?? `update '${id}'`;
    const livepatches: Livepatch[] = [];
    for (const lp of listOf(child(node, 'livepatches')?.livepatch)) {
      const missing = ATTRIBUTES.filter((name) => typeof lp[name] !== 'string' || lp[name] === '');
      if (missing.length > 0) {
        warnings.push(`update '${id}': skipped a <livepatch> without ${missing.join(', ')}`);
        continue;
      }
      const component = lp.component as string;
      if (component !== 'kernel' && component !== 'xen') {
        warnings.push(`update '${id}': skipped a <livepatch> for unknown component '${component}'`);
        continue;
      }
      const where = `${at} update '${id}' <livepatch>`;
      livepatches.push({
        component: component as Component,
        baseBuildId: parseBuildIdField(lp['base-buildid'] as string, source, where),
        base: parseVersionReleaseField(lp.base as string, source, where, 'base'),
        to: parseVersionReleaseField(lp.to as string, source, where, 'to'),
        replaceSet: 0,
      });
    }
    const date = child(node, 'issued')?.date;
    const issued = typeof date === 'string' ? date : '';
    if (issuedTime(issued) === undefined)
      throw new InputError(
        `update '${id}': issued date '${issued}' is not YYYY-MM-DD[ HH:MM:SS]`,
        source,
        at,
      );
    updates.push({
      id,
      issued,
      type: typeof node.type === 'string' ? node.type : '',
      guidance: guidanceOf(node),
      livepatches,
    });
  });
  return { source, updates, warnings };
}
