/** The page of a refused or failed request, in the language of the plan when it is known. */
import type { Catalogue } from '../catalogue/en.js';
import { html, type Html } from '../html.js';
import type { HttpError } from '../http.js';
import { page } from '../layout.js';

/** Kinds whose reason is not told: saying why a link failed would help someone forging one. */
const SILENT = new Set(['invalidLink', 'sessionEnded', 'unauthorized']);

/** An error page; `extra` is appended (the sign-in form of a 401). */
export function errorPage(c: Catalogue, err: HttpError, extra?: Html): Html {
  const help = (c.errors as Record<string, string>)[`${err.kind}Help`];
  const body = html`${help ? html`<p>${help}</p>` : ''}
${err.detail && !SILENT.has(err.kind) ? html`<p class="error">${err.detail}</p>` : ''}
${extra ?? ''}`;
  return page(c, c.errors[err.kind], body);
}
