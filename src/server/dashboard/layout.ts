import type { Role } from '../../store/index.js';
import { type Html, html, raw } from './html.js';

/** The one style sheet, inline in each page (no second request, works offline); colours pass WCAG AA. */
const STYLE = `
:root{--fg:#1a1a1a;--muted:#4a4f55;--line:#d0d4d9;--bg:#fff;--band:#f3f5f7;--link:#0b57d0;--accent:#153f78}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:3px solid #e8a200;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{background:var(--accent);color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:4px 18px;padding:8px 16px}
header .brand{font-weight:700;font-size:17px;color:#fff;text-decoration:none}
header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;padding:0}
header nav a{color:#fff;text-decoration:none;padding:4px 2px;border-bottom:2px solid transparent}
header nav a[aria-current=page]{border-bottom-color:#fff;font-weight:600}
header .who{margin-left:auto;display:flex;align-items:center;gap:8px;font-size:14px}
header .who button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:3px 8px;cursor:pointer}
main{padding:16px;max-width:1280px;margin:0 auto}
h1{font-size:22px;margin:4px 0 12px}h2{font-size:18px;margin:22px 0 8px}h3{font-size:16px;margin:16px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--band)}
.card h2{margin-top:0;font-size:16px}
.num{font-variant-numeric:tabular-nums;text-align:right}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:13px;white-space:nowrap}
.s-supported,.s-done,.s-no{background:#dcf3e3;color:#145c2e}
.s-kernel-upgrade-required,.s-yes-livepatch-covered,.s-paused,.s-pending{background:#fff1c2;color:#5c4200}
.s-kernel-end-of-life,.s-unsupported,.s-yes,.s-halted,.s-failed,.s-aborted{background:#fde2e1;color:#8a1c12}
.s-unknown,.s-rolled-back,.s-open,.s-running{background:#e3ecfa;color:#173f7a}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--band);border:1px solid var(--line);padding:8px;overflow-x:auto;margin:4px 0}
.muted{color:var(--muted)}
form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end;margin-bottom:12px}
form.filters label,form.stack label{display:flex;flex-direction:column;font-size:13px;color:var(--muted);gap:2px}
input,select,textarea{font:inherit;color:var(--fg);border:1px solid #767b82;border-radius:4px;padding:4px 6px;background:#fff}
button,.button{font:inherit;background:var(--accent);color:#fff;border:1px solid var(--accent);border-radius:4px;padding:5px 12px;cursor:pointer;text-decoration:none;display:inline-block}
.button.secondary,button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#a3170d;border-color:#a3170d}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.pager{display:flex;gap:12px;align-items:center;margin:10px 0}
.diff-bad{background:#fde2e1;color:#8a1c12}.diff-ok{color:#145c2e}
.log{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.notice{border-left:4px solid #a3170d;background:#fdf0ef;padding:8px 12px;margin:8px 0}
.info{border-left:4px solid var(--accent);background:#eef3fb;padding:8px 12px;margin:8px 0}
.bar{background:#e3e6ea;border-radius:3px;height:10px;min-width:80px;position:relative;overflow:hidden}
.bar span{position:absolute;top:0;bottom:0;left:0}
.bar .ok{background:#1e7a3c}.bar .bad{background:#b3261e}
svg text{font:11px system-ui,sans-serif;fill:#1a1a1a}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;list-style:none;padding:0;margin:6px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
details summary{cursor:pointer;color:var(--link)}
@media (max-width:640px){main{padding:10px}.scroll td,.scroll th{white-space:nowrap}.log{grid-template-columns:1fr}header .who{margin-left:0}th,td{padding:4px 5px}}
`;

export type Section = 'fleet' | 'hosts' | 'builds' | 'rollouts' | 'login';

/** Who is looking, for the page header: the role and the CSRF token its forms carry. */
export interface Viewer {
  readonly role: Role;
  readonly csrf: string;
}

const SECTIONS: ReadonlyArray<[Section, string, string]> = [
  ['fleet', 'Fleet', '/'],
  ['hosts', 'Hosts', '/hosts'],
  ['builds', 'Builds', '/builds'],
  ['rollouts', 'Rollouts', '/rollouts'],
];

/** A whole page: the header with the sections and the sign-out form, then the content. */
export function page(title: string, section: Section, viewer: Viewer | undefined, content: Html): string {
  const nav =
    viewer === undefined
      ? ''
      : html`<nav aria-label="Sections"><ul>${SECTIONS.map(
          ([s, label, href]) =>
            html`<li><a href="${href}"${s === section ? raw(' aria-current="page"') : ''}>${label}</a></li>`,
        )}</ul></nav>
<div class="who"><span>signed in as ${viewer.role}</span><form method="post" action="/logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form></div>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · klpm</title><style>${raw(STYLE)}</style></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/">klpm fleet</a>${nav}</header>
<main id="main">${content}</main></body></html>
`.text;
}

/** A status word as a coloured badge (the word itself carries the meaning; colour only helps). */
export const badge = (word: string) =>
  html`<span class="badge s-${word.replace(/[^a-z-]/g, '')}">${word}</span>`;

/** A table in a scrolling region a keyboard can reach (narrow screens scroll it sideways). */
export const scrolling = (label: string, table: Html) =>
  html`<div class="scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;

/** A number with thousands separators. */
export const count = (n: number) => n.toLocaleString('en-US');
