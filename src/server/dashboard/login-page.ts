import { html } from './html.js';
import { page } from './layout.js';

/** The sign-in form: a viewer or admin token (`klpm serve token create`). */
export function loginPage(next: string, csrf: string, problem?: string): string {
  return page(
    'Sign in',
    'login',
    undefined,
    html`<h1>Sign in</h1>${problem === undefined ? '' : html`<p class="notice" role="alert">${problem}</p>`}
<p>Paste a viewer or admin token (<code>klpm serve token create --role viewer</code>).</p>
<form method="post" action="/login" class="stack"><input type="hidden" name="next" value="${next}"><input type="hidden" name="csrf" value="${csrf}">
<label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" size="60" required>
<div class="actions"><button type="submit">Sign in</button></div></form>`,
  );
}

/** A page for an error: the status and one line. */
export function errorPage(title: string, message: string): string {
  return page(
    title,
    'login',
    undefined,
    html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the fleet</a></p>`,
  );
}
