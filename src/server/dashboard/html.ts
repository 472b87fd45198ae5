/**
 * The dashboard's templating: a tagged template whose every interpolated value is escaped unless it
 * is already `Html` (made by this tag or by `raw` on text the code wrote itself). Pages are built
 * only from it, so a hostname, label or log line can never become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text made safe for an element's content and for a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** A value as page text: Html as it is, a list joined, null and undefined as nothing, the rest escaped. */
function piece(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** `html\`<td>${hostname}</td>\``: markup with every value escaped. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the code wrote itself (the style sheet, an SVG path built from numbers): never user text. */
export const raw = (text: string): Html => new Html(text);

/** A query string from parameters, leaving out the empty ones; escaped when it goes into a page. */
export function queryString(
  params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of typeof value === 'string' ? [value] : value) if (v !== '') search.append(key, v);
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
