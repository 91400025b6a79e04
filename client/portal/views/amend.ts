/** Headquarters' amendment pages: the form, the preview with its confirmation, the outcome, the version history, and the dashboard's line of the version in force. */
import type { AmendOutcome } from '../../amend.js';
import type { PlanVersionEntry } from '../../../store/versions.js';
import type { PlanDifference } from '../../../workflows/amend/diff.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { Catalogue } from '../catalogue/en.js';
import { differenceWords, movedWords } from '../difference.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { page } from '../layout.js';

const enc = encodeURIComponent;

/** The addresses of the amendment pages. */
export const amendPaths = {
  form: (planId: string) => `/hq/plans/${enc(planId)}/amend`,
  apply: (planId: string) => `/hq/plans/${enc(planId)}/amend/apply`,
  history: (planId: string) => `/hq/plans/${enc(planId)}/versions`,
};

/** The plan as posted: its text, how it is read, and what it is called on the page (the file's name). */
export interface PostedPlan {
  text: string;
  format: 'json' | 'yaml';
  name: string;
}

/** What the form was filled with. */
export interface AmendFields {
  plan?: PostedPlan;
  reason: string;
  by: string;
}

/** A problem in the form or a refusal, located: the field (a path into the plan, or a form field) and its sentence. */
export interface Located {
  field: string;
  message: string;
}

/** What an amend page shows besides the form. */
export interface AmendPageView {
  plan: Plan;
  csrf: string;
  fields: AmendFields;
  /** Problems of the plan file (every one, by its path) or of the form. */
  problems?: { heading: string; items: Located[] };
  /** The dry run's outcome: the difference and the notices that move, with a confirmation. */
  preview?: AmendOutcome;
  /** Said above the preview (another version came into force since; the engine did not answer). */
  notice?: string;
}

/** The line of the dashboard: the version in force, since when and why, with the history and the amend page. */
export function versionLine(c: Catalogue, plan: Plan, entry: Pick<PlanVersionEntry, 'version' | 'effectiveAt' | 'reason'>): Html {
  const since = formatTime(c, entry.effectiveAt, plan.timezone);
  const why = entry.version === 1 ? c.amend.asStarted : (entry.reason ?? '');
  return html`<p id="version-in-force" data-version="${entry.version}">${c.amend.inForce(entry.version, since, why)} · <a href="${amendPaths.history(plan.id)}" id="history-link">${c.amend.historyLink}</a> · <a href="${amendPaths.form(plan.id)}" id="amend-link">${c.amend.link}</a></p>`;
}

function located(items: Located[]): Html {
  return html`<ul class="error">${items.map((i) => html`<li data-field="${i.field}">${i.field ? html`<code>${i.field}</code>: ` : ''}${i.message}</li>`)}</ul>`;
}

/** The form: a file or the pasted plan, the reason and who; it posts to the preview. */
function amendForm(c: Catalogue, v: AmendPageView): Html {
  const reasonError = v.problems?.items.find((i) => i.field === 'reason');
  return html`<form method="post" action="${amendPaths.form(v.plan.id)}" enctype="multipart/form-data" id="amend-form" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
<label for="file">${c.amend.file}</label><input type="file" id="file" name="file" accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml,text/plain">
<label for="plan">${c.amend.paste}</label>
<textarea id="plan" name="plan" rows="14" spellcheck="false" style="font-family:monospace">${v.fields.plan?.text ?? ''}</textarea>
<p>${c.amend.pasteNote}</p>
<label for="reason">${c.amend.reason}</label>
<textarea id="reason" name="reason"${reasonError ? html` aria-invalid="true" aria-describedby="reason-error"` : ''}>${v.fields.reason}</textarea>
${reasonError ? html`<p class="error" id="reason-error" data-field="reason">${reasonError.message}</p>` : ''}
<label for="by">${c.amend.by}</label><input type="text" id="by" name="by" value="${v.fields.by}">
<button type="submit" id="preview">${c.amend.preview}</button>
</form>`;
}

/** The difference in words and the notices that move; the confirmation carries the same plan, reason and who. */
function previewBlock(c: Catalogue, v: AmendPageView, o: AmendOutcome): Html {
  const next = o.previousVersion + 1;
  const plan = v.fields.plan!;
  return html`<h2>${c.amend.difference}</h2>
<ul id="difference">${differenceWords(c, o.difference).map((l) => html`<li>${l}</li>`)}</ul>
<h2>${c.amend.moved}</h2>
${o.moved.length ? html`<ul id="moved">${o.moved.map((m) => html`<li data-kind="${m.kind}" data-period="${m.period}">${movedWords(c, m, v.plan.timezone)}</li>`)}</ul>` : html`<p id="moved">${c.amend.noneMoved}</p>`}
<form method="post" action="${amendPaths.apply(v.plan.id)}" enctype="multipart/form-data" id="confirm-form">
<input type="hidden" name="csrf" value="${v.csrf}">
<input type="hidden" name="version" value="${o.previousVersion}">
<input type="hidden" name="format" value="${plan.format}">
<input type="hidden" name="name" value="${plan.name}">
<textarea name="plan" hidden>${plan.text}</textarea>
<input type="hidden" name="reason" value="${v.fields.reason}">
<input type="hidden" name="by" value="${v.fields.by}">
<p class="notice">${c.amend.confirmNote(next)}</p>
<button type="submit" id="confirm">${c.amend.confirm(next)}</button>
</form>`;
}

/** The amend page: the form; after a preview, what changes and the confirmation; after a refusal, every problem. */
export function amendPage(c: Catalogue, nav: Html, v: AmendPageView): Html {
  // A problem of the reason is said next to its field while the form is shown; every other one above it.
  const listed = v.problems?.items.filter((i) => v.preview || i.field !== 'reason') ?? [];
  const problems = v.problems ? html`<div id="problems" role="alert"><p class="error">${v.problems.heading}</p>${listed.length ? located(listed) : ''}</div>` : '';
  const title = v.preview ? c.amend.previewTitle(v.preview.previousVersion) : c.amend.title;
  const body = html`${v.notice ? html`<p class="warn" id="amend-notice" role="alert">${v.notice}</p>` : ''}
${problems}
${v.preview ? previewBlock(c, v, v.preview) : html`<p>${c.amend.lead}</p>`}
${v.preview ? '' : amendForm(c, v)}
<p><a href="/hq/plans/${enc(v.plan.id)}">${c.amend.back}</a> · <a href="${amendPaths.history(v.plan.id)}">${c.amend.historyLink}</a></p>`;
  return page(c, `${v.plan.title} — ${title}`, body, nav);
}

/** The outcome: applied as version N at T (its difference), or already applied: nothing changed. */
export function amendedPage(c: Catalogue, nav: Html, plan: Plan, o: AmendOutcome): Html {
  const said = o.duplicate ? c.amend.duplicate(o.version) : c.amend.applied(o.version, formatTime(c, o.at!, plan.timezone));
  const body = html`<p class="ok" id="amended" data-version="${o.version}" data-duplicate="${o.duplicate ? 'true' : 'false'}">${said}</p>
${o.duplicate ? '' : html`<ul id="difference">${differenceWords(c, o.difference).map((l) => html`<li>${l}</li>`)}</ul>`}
<p><a href="/hq/plans/${enc(plan.id)}">${c.amend.back}</a> · <a href="${amendPaths.history(plan.id)}">${c.amend.historyLink}</a></p>`;
  return page(c, `${plan.title} — ${c.amend.title}`, body, nav);
}

/** Every version: its number, since when, by whom, why, and what changed from the one before. */
export function historyPage(c: Catalogue, nav: Html, plan: Plan, entries: PlanVersionEntry[]): Html {
  const body = html`<table id="versions"><thead><tr><th>${c.amend.version}</th><th>${c.amend.since}</th><th>${c.amend.who}</th><th>${c.amend.why}</th><th>${c.amend.changes}</th></tr></thead><tbody>
${[...entries].reverse().map(
  (e) => html`<tr data-version="${e.version}"><td>${e.version}</td><td>${formatTime(c, e.effectiveAt, plan.timezone)}</td><td>${e.by ?? ''}</td><td>${e.version === 1 ? c.amend.asStarted : (e.reason ?? '')}</td><td>${
    e.difference ? html`<ul>${differenceWords(c, e.difference as PlanDifference).map((l) => html`<li>${l}</li>`)}</ul>` : ''
  }</td></tr>`,
)}
</tbody></table>
<p><a href="/hq/plans/${enc(plan.id)}">${c.amend.back}</a> · <a href="${amendPaths.form(plan.id)}">${c.amend.link}</a></p>`;
  return page(c, `${plan.title} — ${c.amend.historyTitle}`, body, nav);
}
