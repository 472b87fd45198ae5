/**
 * A name as text output shows it: control characters (a newline, an ESC that would drive the
 * terminal) written as `\n`, `\t` or `\xNN`, and a backslash doubled so the escape reads back.
 * Every renderer that prints a package, version, kernel, patch, module or path name goes through it,
 * and so does every error line. Imports nothing: main.ts loads it before any command.
 */
export function shown(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/**
 * A JSON text as text output shows it: DEL, the one control character JSON.stringify leaves raw,
 * written as `\u007f`. The value it reads back as is the same.
 */
export function shownJson(json: string): string {
  return json.includes('\u007f') ? json.replaceAll('\u007f', '\\u007f') : json;
}
