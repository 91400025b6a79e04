/** Headquarters' extension (延期) form and its outcome, on a report's page and on a finding's page. */
import type { Catalogue } from '../catalogue/en.js';
import type { ExtendField, ExtendFormState, ExtendOutcome } from '../extend-form.js';
import { html, join, type Html } from '../html.js';

/** What a page needs to show the form: where it posts, its CSRF token, its state, and whether the day may move now. */
export interface ExtendView {
  path: string;
  csrf: string;
  form: ExtendFormState;
  outcome?: ExtendOutcome;
  /** The report or finding is awaited (requested, overdue, escalated; a finding open or overdue). */
  open: boolean;
}

/** The receipt, or why nothing was extended (announced to assistive technology either way). */
export function extendOutcome(c: Catalogue, o: ExtendOutcome | undefined): Html {
  if (!o) return html``;
  if ('said' in o) {
    return html`<div class="ok receipt" id="extend-receipt" role="status">${join(o.said.map((t) => html`<p>${t}</p>`))}${o.duplicate ? html`<p>${c.extend.duplicate}</p>` : ''}</div>`;
  }
  return html`<div class="warn refusal" id="extend-refusal" role="alert"><p>${c.extend.notSent}</p>${join(o.refused.map((t) => html`<p class="error">${t}</p>`))}</div>`;
}

/** The form "Extend to <day>, reason": shown while the due day may move, or again with the errors of a refused one. */
export function extendForm(c: Catalogue, v: ExtendView, title: string): Html {
  const f = v.form;
  if (!v.open && !f.errors) return html``;
  const field = (name: ExtendField, label: string, control: (attrs: Html) => Html) => {
    const id = `extend-${name}`;
    const error = f.errors?.fields[name];
    const attrs = error ? html` aria-invalid="true" aria-describedby="${id}-error"` : html``;
    return html`<label for="${id}">${label}</label>
${control(attrs)}
${error ? html`<p class="error" id="${id}-error" data-field="${name}">${error}</p>` : ''}`;
  };
  const general = f.errors?.general ?? [];
  return html`<h2>${title}</h2>
<form method="post" action="${v.path}" class="extend" id="extend-form" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
<input type="hidden" name="requestId" value="${f.requestId}">
${general.length ? html`<div class="warn">${join(general.map((g) => html`<p class="error">${g}</p>`))}</div>` : ''}
${field('until', c.extend.until, (a) => html`<input type="date" id="extend-until" name="until" value="${f.values.until ?? ''}"${a}>`)}
${field('reason', c.extend.reason, (a) => html`<textarea id="extend-reason" name="reason"${a}>${f.values.reason ?? ''}</textarea>`)}
${field('by', c.extend.by, (a) => html`<input type="text" id="extend-by" name="by" value="${f.values.by ?? ''}"${a}>`)}
<button type="submit" id="extend">${c.extend.button}</button>
</form>`;
}
