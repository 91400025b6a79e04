/**
 * The pages of inspection findings: a unit's finding page (progress and the claim with its evidence), a verifier's
 * page (each claim's evidence, accept / reject, the re-check answer), the list on a unit's page, and headquarters'
 * findings dashboard with each finding's timeline and decision forms.
 */
import type { FindingState, FindingStatus } from '../../../workflows/contract/finding.js';
import { FINDING_STATES, HEADQUARTERS } from '../../../workflows/contract/finding.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import type { StoredFindingAction } from '../../../store/findings.js';
import type { Catalogue } from '../catalogue/en.js';
import { findingLateness, type Coverage, type FindingFormErrors, type FindingTimelineEntry } from '../findings-data.js';
import { html, join, type Html } from '../html.js';
import { formatDay, formatTime } from '../i18n.js';
import { page } from '../layout.js';
import { extendForm, extendOutcome, type ExtendView } from './extend.js';

const enc = encodeURIComponent;

/** The addresses of the finding pages. */
export const findingPaths = {
  unit: (findingId: string) => `/findings/${enc(findingId)}`,
  verifier: '/verify',
  verifierAct: (findingId: string) => `/verify/findings/${enc(findingId)}`,
  hqList: (planId: string) => `/hq/plans/${enc(planId)}/findings`,
  hqFinding: (planId: string, findingId: string) => `/hq/plans/${enc(planId)}/findings/${enc(findingId)}`,
  hqAct: (planId: string, findingId: string) => `/hq/plans/${enc(planId)}/findings/${enc(findingId)}/act`,
  hqExtend: (planId: string, findingId: string) => `/hq/plans/${enc(planId)}/findings/${enc(findingId)}/extend`,
};

/** A plan's local day (YYYY-MM-DD) in the catalogue's words. */
export function localDay(c: Catalogue, day: string | null): string {
  return day ? formatDay(c, Date.parse(`${day}T12:00:00Z`), 'UTC') : '';
}

const unitName = (plan: Plan, id: string) => plan.units.find((u) => u.id === id)?.name ?? id;
const verifierName = (c: Catalogue, plan: Plan, id: string) => (id === HEADQUARTERS ? c.findings.headquarters : unitName(plan, id));
const roundTitle = (plan: Plan, id: string) => plan.inspections?.rounds.find((r) => r.id === id)?.title ?? id;

/** What happened to one form of this request: a receipt in words, or why nothing was recorded. */
export type FindingOutcome = { said: string; duplicate: boolean } | { refused: string[] };

/** A form's values and errors as sent, or fresh with a new request id. */
export interface FormState {
  requestId: string;
  values: Record<string, string>;
  errors?: FindingFormErrors;
}

function outcomeBlock(c: Catalogue, o: FindingOutcome | undefined): Html {
  if (!o) return html``;
  if ('said' in o) return html`<div class="ok receipt" role="status"><p>${o.said}</p>${o.duplicate ? html`<p>${c.findings.receipt.duplicate}</p>` : ''}</div>`;
  return html`<div class="warn refusal" role="alert"><p>${c.findings.notSent}</p>${join(o.refused.map((t) => html`<p class="error">${t}</p>`))}</div>`;
}

function fieldError(id: string, e: FindingFormErrors | undefined, field: string): Html {
  const text = e?.fields[field];
  return text ? html`<p class="error" id="${id}-error" data-field="${field}">${text}</p>` : html``;
}

function generalErrors(e: FindingFormErrors | undefined): Html {
  const all = e ? [...e.general, ...(e.engineDown ? [e.engineDown] : [])] : [];
  return all.length ? html`<div class="warn">${join(all.map((g) => html`<p class="error">${g}</p>`))}</div>` : html``;
}

/** One text field (textarea or line) of a finding form, with its error. */
function textField(c: Catalogue, prefix: string, field: string, label: string, f: FormState, multiline: boolean): Html {
  const id = `${prefix}-${field}`;
  const described = f.errors?.fields[field] ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
  const value = f.values[field] ?? '';
  return html`<label for="${id}">${label}</label>
${multiline ? html`<textarea id="${id}" name="${field}"${described}>${value}</textarea>` : html`<input type="text" id="${id}" name="${field}" value="${value}"${described}>`}
${fieldError(id, f.errors, field)}`;
}

function hidden(csrf: string, action: string, requestId: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="action" value="${action}">
<input type="hidden" name="requestId" value="${requestId}">`;
}

/** The facts of a finding: round, unit, verifier, state, round number, deadline day, lateness and claims. */
function factsTable(c: Catalogue, plan: Plan, s: FindingStatus, description: string | null, now: number): Html {
  const row = (label: string, value: string | number, attr = '') => html`<tr${attr ? html` data-fact="${attr}"` : ''}><th>${label}</th><td>${value}</td></tr>`;
  return html`<table class="facts" data-finding="${s.findingId}" data-state="${s.state}">
${row(c.findings.inspection, `${roundTitle(plan, s.inspectionId)} (${s.inspectionId})`)}
${row(c.findings.finding, `${s.title} (${s.findingId})`)}
${description ? html`<tr><th>${c.findings.description}</th><td><pre>${description}</pre></td></tr>` : ''}
${row(c.common.unit, unitName(plan, s.unitId))}
${row(c.findings.verifier, verifierName(c, plan, s.verifier))}
${row(c.common.state, c.findings.states[s.state] ?? s.state, 'state')}
${row(c.findings.round, s.round, 'round')}
${row(c.findings.deadlineDay, localDay(c, s.deadlineDay), 'deadline')}
${row(c.findings.lateness, findingLateness(c, plan, s, now), 'lateness')}
${row(c.findings.claims, s.claims, 'claims')}
</table>`;
}

/** A claim's evidence and links, as the unit sent them. */
function evidenceBlock(c: Catalogue, plan: Plan, number: number, a: StoredFindingAction | undefined): Html {
  if (!a) return html`<p class="notice">${c.findings.awaiting(number)}</p>`;
  return html`<section class="evidence" data-claim="${number}"><h3>${c.findings.claimOf(number, formatTime(c, a.at, plan.timezone))}</h3>
<table><tr><th>${c.findings.evidenceLabel}</th><td><pre class="evidence-text">${a.text ?? ''}</pre></td></tr>
${a.links.length ? html`<tr><th>${c.findings.linksLabel}</th><td><ul>${a.links.map((l) => html`<li><a href="${l}" rel="noopener noreferrer">${l}</a></li>`)}</ul></td></tr>` : ''}
${a.by ? html`<tr><th>${c.findings.sentBy}</th><td>${a.by}</td></tr>` : ''}</table></section>`;
}

/** The decision forms for a finding: accept and reject while a claim awaits, the re-check answer while one is due. */
export interface DecisionForms {
  path: string;
  csrf: string;
  pending?: number;
  recheck: boolean;
  accept: FormState;
  reject: FormState;
  recheckForm: FormState;
}

function decisionForms(c: Catalogue, d: DecisionForms, prefix: string): Html {
  const parts: Html[] = [];
  if (d.pending !== undefined) {
    parts.push(html`<form method="post" action="${d.path}" class="accept" novalidate>
<h3>${c.findings.acceptTitle}</h3>
${hidden(d.csrf, 'accept', d.accept.requestId)}
${generalErrors(d.accept.errors)}
${textField(c, `${prefix}-accept`, 'comment', c.findings.comment, d.accept, true)}
${textField(c, `${prefix}-accept`, 'by', c.hq.by, d.accept, false)}
<button type="submit">${c.findings.acceptButton}</button>
</form>
<form method="post" action="${d.path}" class="reject" novalidate>
<h3>${c.findings.rejectTitle}</h3>
${hidden(d.csrf, 'reject', d.reject.requestId)}
${generalErrors(d.reject.errors)}
${textField(c, `${prefix}-reject`, 'reason', c.findings.reason, d.reject, true)}
${textField(c, `${prefix}-reject`, 'by', c.hq.by, d.reject, false)}
<button type="submit">${c.findings.rejectButton}</button>
</form>`);
  }
  if (d.recheck) {
    const f = d.recheckForm;
    const chosen = f.values.result ?? '';
    parts.push(html`<form method="post" action="${d.path}" class="recheck" novalidate>
<h3>${c.findings.recheckTitle}</h3>
<p>${c.findings.recheckDue}</p>
${hidden(d.csrf, 'recheck', f.requestId)}
${generalErrors(f.errors)}
<label><input type="radio" name="result" value="pass"${chosen === 'pass' ? ' checked' : ''}> ${c.findings.pass}</label>
<label><input type="radio" name="result" value="reopen"${chosen === 'reopen' ? ' checked' : ''}> ${c.findings.reopen}</label>
${fieldError(`${prefix}-recheck-result`, f.errors, 'result')}
${textField(c, `${prefix}-recheck`, 'comment', c.findings.comment, f, true)}
${textField(c, `${prefix}-recheck`, 'by', c.hq.by, f, false)}
<button type="submit">${c.findings.recheckButton}</button>
</form>`);
  }
  return join(parts);
}

/** The landing page of a unit's finding link: it changes nothing and posts the token on. */
export function findingLandingPage(c: Catalogue, unit: string, findingId: string, findingTitle: string, planTitle: string, token: string): Html {
  return page(
    c,
    c.findings.pageTitle(findingId, findingTitle),
    html`<p>${c.findings.landingLead(unit, findingTitle, planTitle)}</p>
<p>${c.findings.note}</p>
<form method="post" action="/f/continue">
<input type="hidden" name="token" value="${token}">
<button type="submit">${c.landing.continue}</button>
</form>`,
  );
}

/** The landing page of a verifier's link. */
export function verifierLandingPage(c: Catalogue, unit: string, planTitle: string, token: string): Html {
  return page(
    c,
    c.findings.verifierTitle,
    html`<p>${c.findings.verifierLandingLead(unit, planTitle)}</p>
<p>${c.findings.verifierNote}</p>
<form method="post" action="/v/continue">
<input type="hidden" name="token" value="${token}">
<button type="submit">${c.landing.continue}</button>
</form>`,
  );
}

/** What the unit's finding page shows. */
export interface FindingPageView {
  plan: Plan;
  status: FindingStatus;
  description: string | null;
  now: number;
  csrf: string;
  /** The claim awaiting the verifier, with its evidence. */
  pending?: { number: number; action?: StoredFindingAction };
  claim: FormState;
  progress: FormState;
  outcome?: FindingOutcome;
  actions: StoredFindingAction[];
}

function actionsTable(c: Catalogue, plan: Plan, actions: StoredFindingAction[]): Html {
  if (!actions.length) return html`<p>${c.common.none}</p>`;
  return html`<table class="actions"><thead><tr><th>${c.common.time}</th><th>${c.common.kind}</th><th>${c.findings.round}</th><th>${c.findings.who}</th><th>${c.common.detail}</th></tr></thead><tbody>
${actions.map(
  (a) => html`<tr data-action="${a.action}" data-claim="${a.claim ?? ''}"><td>${formatTime(c, a.at, plan.timezone)}</td><td>${c.findings.actions[a.action] ?? a.action}${a.claim ? ` ${a.claim}` : ''}${a.result ? ` (${c.findings.results[a.result] ?? a.result})` : ''}</td><td>${a.round}</td><td>${a.actor === HEADQUARTERS ? c.findings.headquarters : unitName(plan, a.actor)}${a.by ? ` (${a.by})` : ''}</td><td><pre>${a.text ?? ''}</pre>${a.links.length ? html`<ul>${a.links.map((l) => html`<li>${l}</li>`)}</ul>` : ''}</td></tr>`,
)}
</tbody></table>`;
}

/** A unit's page of one finding: its facts, the claim awaiting a decision, the progress and claim forms, and its history. */
export function findingPage(c: Catalogue, v: FindingPageView): Html {
  const s = v.status;
  const done = s.state === 'closed' || s.state === 'verified';
  const path = findingPaths.unit(s.findingId);
  const progress = html`<form method="post" action="${path}" class="progress" novalidate>
<h2>${c.findings.progressTitle}</h2>
${hidden(v.csrf, 'progress', v.progress.requestId)}
${generalErrors(v.progress.errors)}
${textField(c, 'progress', 'note', c.findings.progressNote, v.progress, true)}
${textField(c, 'progress', 'by', c.findings.by, v.progress, false)}
<button type="submit">${c.findings.progressButton}</button>
</form>`;
  const claim = html`<form method="post" action="${path}" class="claim" novalidate>
<h2>${c.findings.claimTitle}</h2>
${hidden(v.csrf, 'claim', v.claim.requestId)}
${generalErrors(v.claim.errors)}
${textField(c, 'claim', 'evidence', c.findings.evidence, v.claim, true)}
${textField(c, 'claim', 'links', c.findings.links, v.claim, true)}
${textField(c, 'claim', 'by', c.findings.by, v.claim, false)}
<button type="submit">${c.findings.claimButton}</button>
</form>`;
  const body = html`<p><a href="/unit">${c.unitPage.title}</a></p>
${outcomeBlock(c, v.outcome)}
<p>${c.findings.unitLead(unitName(v.plan, s.unitId))}</p>
${factsTable(c, v.plan, s, v.description, v.now)}
${v.pending ? html`<p class="notice" id="awaiting">${c.findings.awaiting(v.pending.number)}</p>${evidenceBlock(c, v.plan, v.pending.number, v.pending.action)}` : ''}
${done ? html`<p class="notice" id="closed">${c.findings.closedNote}</p>` : html`${s.state === 'claimed' ? '' : claim}${progress}`}
<h2>${c.findings.timeline}</h2>
${actionsTable(c, v.plan, v.actions)}`;
  return page(c, c.findings.pageTitle(s.findingId, s.title), body);
}

/** One finding on a verifier's page. */
export interface VerifierItem {
  status: FindingStatus;
  description: string | null;
  pending?: { number: number; action?: StoredFindingAction };
  forms: DecisionForms;
  outcome?: FindingOutcome;
}

/** A verifier unit's page: exactly the findings it verifies, those awaiting a decision first, each with its forms. */
export function verifierPage(c: Catalogue, v: { plan: Plan; unitName: string; now: number; items: VerifierItem[] }): Html {
  const items = v.items.map(
    (it, i) => html`<section class="verify" id="finding-${it.status.findingId}" data-finding="${it.status.findingId}" data-state="${it.status.state}">
<h2>${c.findings.pageTitle(it.status.findingId, it.status.title)}</h2>
${outcomeBlock(c, it.outcome)}
${factsTable(c, v.plan, it.status, it.description, v.now)}
${it.pending ? evidenceBlock(c, v.plan, it.pending.number, it.pending.action) : ''}
${it.pending || it.forms.recheck ? decisionForms(c, it.forms, `v${i + 1}`) : html`<p>${c.findings.noClaim}</p>`}
</section>`,
  );
  return page(c, c.findings.verifierTitle, html`<p>${c.findings.verifierLead(v.unitName)}</p>
${items.length ? join(items) : html`<p>${c.findings.verifierNone}</p>`}`);
}

/** The findings table of a unit's page: state, round, deadline day and lateness, each linking to its page. */
export function unitFindingsTable(c: Catalogue, plan: Plan, list: FindingStatus[], now: number): Html {
  if (!list.length) return html`<p id="no-findings">${c.findings.unitListNone}</p>`;
  return html`<table id="findings"><thead><tr><th>${c.findings.finding}</th><th>${c.findings.inspection}</th><th>${c.common.state}</th><th>${c.findings.round}</th><th>${c.findings.deadlineDay}</th><th>${c.findings.lateness}</th></tr></thead><tbody>
${list.map(
  (s) => html`<tr data-finding="${s.findingId}" data-state="${s.state}"><td><a href="${findingPaths.unit(s.findingId)}">${s.title}</a> (${s.findingId})</td><td>${roundTitle(plan, s.inspectionId)}</td><td>${c.findings.states[s.state] ?? s.state}</td><td>${s.round}</td><td>${localDay(c, s.deadlineDay)}</td><td>${findingLateness(c, plan, s, now)}</td></tr>`,
)}
</tbody></table>`;
}

function coverageBlock(c: Catalogue, plan: Plan, cov: Coverage | null): Html {
  if (!cov) return html`<p id="coverage">${c.findings.noCoverage}</p>`;
  return html`<div id="coverage" data-covered="${cov.covered.length}" data-targets="${cov.targets.length}">
<p>${c.findings.coverageLine(cov.covered.length, cov.targets.length, localDay(c, cov.by))}</p>
${cov.missing.length ? (cov.overdue ? html`<p class="warn" id="coverage-missed">${c.findings.coverageMissed(cov.missing.length)}</p>` : '') : html`<p class="ok">${c.findings.coverageDone}</p>`}
<table class="coverage"><thead><tr><th>${c.findings.coverage}</th><th>${c.findings.coveredBy}</th></tr></thead><tbody>
${cov.targets.map((t) => html`<tr data-target="${t}" data-covered="${cov.roundsOf[t].length ? 'true' : 'false'}"><td>${t}</td><td>${cov.roundsOf[t].length ? cov.roundsOf[t].map((r) => roundTitle(plan, r)).join(', ') : c.findings.notCovered}</td></tr>`)}
</tbody></table></div>`;
}

/** Headquarters' findings of a plan: the coverage, counts by round and unit, and every finding, overdue first. */
export function hqFindingsPage(
  c: Catalogue,
  nav: Html,
  v: { plan: Plan; now: number; list: FindingStatus[]; counts: { inspectionId: string; unitId: string; counts: Record<FindingState, number>; total: number }[]; coverage: Coverage | null },
): Html {
  const states = FINDING_STATES;
  const body = !v.plan.inspections?.rounds.length
    ? html`<p id="no-findings">${c.findings.noInspections}</p>`
    : html`<h2>${c.findings.coverage}</h2>
${coverageBlock(c, v.plan, v.coverage)}
<h2>${c.findings.byRound}</h2>
<table class="summary" id="findings-by-round"><thead><tr><th>${c.findings.inspection}</th><th>${c.common.unit}</th>${states.map((s) => html`<th>${c.findings.states[s]}</th>`)}<th>${c.findings.total}</th></tr></thead><tbody>
${v.counts.map((r) => html`<tr data-round="${r.inspectionId}" data-unit="${r.unitId}"><th>${roundTitle(v.plan, r.inspectionId)}</th><th>${unitName(v.plan, r.unitId)}</th>${states.map((s) => html`<td data-state="${s}">${r.counts[s]}</td>`)}<td data-total>${r.total}</td></tr>`)}
</tbody></table>
<h2>${c.findings.list}</h2>
<table id="findings"><thead><tr><th>${c.findings.finding}</th><th>${c.findings.inspection}</th><th>${c.common.unit}</th><th>${c.findings.verifier}</th><th>${c.common.state}</th><th>${c.findings.round}</th><th>${c.findings.deadlineDay}</th><th>${c.findings.lateness}</th><th>${c.findings.claims}</th></tr></thead><tbody>
${v.list.map(
  (s) => html`<tr data-finding="${s.findingId}" data-state="${s.state}" data-round="${s.inspectionId}" data-unit="${s.unitId}"><td><a href="${findingPaths.hqFinding(v.plan.id, s.findingId)}">${s.title}</a> (${s.findingId})</td><td>${roundTitle(v.plan, s.inspectionId)}</td><td>${unitName(v.plan, s.unitId)}</td><td>${verifierName(c, v.plan, s.verifier)}</td><td>${c.findings.states[s.state] ?? s.state}</td><td>${s.round}</td><td>${localDay(c, s.deadlineDay)}</td><td>${findingLateness(c, v.plan, s, v.now)}</td><td>${s.claims}</td></tr>`,
)}
</tbody></table>`;
  return page(c, `${v.plan.title} — ${c.findings.dashboard}`, body, nav);
}

function timelineTable(c: Catalogue, plan: Plan, entries: FindingTimelineEntry[]): Html {
  return html`<table class="timeline" id="finding-timeline"><thead><tr><th>${c.common.time}</th><th>${c.common.kind}</th><th>${c.findings.round}</th><th>${c.hq.number}</th><th>${c.findings.who}</th><th>${c.common.detail}</th></tr></thead><tbody>
${entries.map(
  (e) => html`<tr data-type="${e.type}" data-kind="${e.kind}"><td>${formatTime(c, e.at, plan.timezone)}</td><td>${e.type === 'action' ? (c.findings.actions[e.kind] ?? e.kind) : (c.findings.notices[e.kind] ?? e.kind)}${e.result ? ` (${c.findings.results[e.result] ?? e.result})` : ''}</td><td>${e.round ?? ''}</td><td>${e.number ?? ''}</td><td>${e.who}</td><td><pre>${e.text ?? ''}</pre>${e.links.length ? html`<ul>${e.links.map((l) => html`<li>${l}</li>`)}</ul>` : ''}</td></tr>`,
)}
</tbody></table>`;
}

/** Headquarters' page of one finding: its facts, the claim awaiting a decision, the decision forms and its timeline. */
export function hqFindingPage(
  c: Catalogue,
  nav: Html,
  v: {
    plan: Plan;
    status: FindingStatus;
    description: string | null;
    now: number;
    pending?: { number: number; action?: StoredFindingAction };
    forms: DecisionForms;
    outcome?: FindingOutcome;
    timeline: FindingTimelineEntry[];
    /** Headquarters' extension form (延期), and what a posted one came to. */
    extend?: ExtendView;
  },
): Html {
  const body = html`<p><a href="${findingPaths.hqList(v.plan.id)}">${c.findings.dashboard}</a></p>
${outcomeBlock(c, v.outcome)}
${v.extend ? extendOutcome(c, v.extend.outcome) : ''}
${factsTable(c, v.plan, v.status, v.description, v.now)}
${v.pending ? evidenceBlock(c, v.plan, v.pending.number, v.pending.action) : ''}
${decisionForms(c, v.forms, 'hq')}
${v.extend ? extendForm(c, v.extend, c.extend.findingTitle) : ''}
<h2>${c.findings.timeline}</h2>
${timelineTable(c, v.plan, v.timeline)}`;
  return page(c, c.findings.pageTitle(v.status.findingId, v.status.title), body, nav);
}
