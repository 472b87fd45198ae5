import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { lineColumn } from '../document/index.js';
import { InputError } from '../input/index.js';

/** An XML element as fast-xml-parser gives it: attributes without prefix, text under `#text`. */
export type XmlNode = Record<string, unknown>;

/**
 * Parses XML once, after a validation pass that can name the line of a syntax error.
 * `arrays` are the element paths that may repeat, matched at the end of the element's path
 * (`livepatches.livepatch`); they always come back as arrays.
 */
export function parseXml(text: string, source: string, arrays: ReadonlyArray<string>): XmlNode {
  refuseEntityDeclarations(text, source);
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new InputError(
      `malformed xml: ${valid.err.msg.toLowerCase().replace(/\.$/, '')}`,
      source,
      `${valid.err.line}:${valid.err.col}`,
    );
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (_name, path) => arrays.some((tail) => path === tail || String(path).endsWith(`.${tail}`)),
  });
  return parser.parse(text) as XmlNode;
}

/**
 * Repository metadata never needs a DTD. A DOCTYPE that names an external DTD (SYSTEM, PUBLIC) or
 * declares entities (external ones reach files and the network, internal ones can expand without
 * bound) is refused before any parser sees it, at the line of the DOCTYPE.
 */
function refuseEntityDeclarations(text: string, source: string): void {
  const at = text.search(/<!DOCTYPE/i);
  if (at < 0) return;
  const first = text.indexOf('>', at);
  const head = text.slice(at, first < 0 ? text.length : first + 1);
  // an internal subset `[ … ]` may hold `>`s of its own
  const subsetEnd = text.indexOf(']', at);
  const doctype = head.includes('[') ? text.slice(at, subsetEnd < 0 ? text.length : subsetEnd + 1) : head;
  if (/<!ENTITY|\bSYSTEM\b|\bPUBLIC\b/i.test(doctype))
    throw new InputError(
      'refused xml: a DOCTYPE that declares entities or names an external DTD',
      source,
      lineColumn(text, at),
    );
}

/** The text of a child element (`<id>X</id>`), or undefined. */
export function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (node !== null && typeof node === 'object' && '#text' in node) return String(node['#text']);
  return undefined;
}

/** Children that fast-xml-parser returned as an array, or an empty list. */
export function listOf(node: unknown): XmlNode[] {
  return Array.isArray(node) ? (node as XmlNode[]) : [];
}

/** The child element `name` of a node, when it is an element. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as XmlNode)[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as XmlNode)
    : undefined;
}

/** 1-based line of the `occurrence`-th (0-based) match of `needle`, to locate errors found after parsing. */
export function lineOf(text: string, needle: string, occurrence = 0): string | undefined {
  let at = -1;
  for (let n = 0; n <= occurrence; n++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) return undefined;
  }
  let line = 1;
  for (let k = 0; k < at; k++) if (text.charCodeAt(k) === 10) line++;
  return `line ${line}`;
}
