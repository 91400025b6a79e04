/** A unit's page: all its reports of the plan, open ones first, and one form that submits several of them at once. */
import { REPORT_STATUSES, type ReportReceipt } from '../../../workflows/contract/report.js';
import type { Catalogue } from '../catalogue/en.js';
import { awaitingRevision } from '../heatmap.js';
import { html, join, type Html } from '../html.js';
import { formatDueDay } from '../i18n.js';
import { page } from '../layout.js';
import type { FormErrors, FormField, FormValues } from '../report-form.js';
import type { UnitReport } from '../unit-reports.js';
import type { FindingStatus } from '../../../workflows/contract/finding.js';
import type { Plan } from '../../../workflows/contract/plan.js';
import { unitFindingsTable } from './findings.js';

/** What this request did to one report: its receipt, or why it was not recorded. */
export type Outcome = { receipt: ReportReceipt } | { refused: string[] };

/** The form of one open report on the page. */
export interface ReportFormView {
  /** Its number on the page: fields are named `r<index>.<field>`. */
  index: number;
  values: FormValues;
  requestId: string;
  /** Ticked: sent with the others. */
  send: boolean;
  errors?: FormErrors;
  /** The quarter the values come from, when an earlier one. */
  prefilledFrom?: string;
}

/** One line of the page. */
export interface ReportRow {
  report: UnitReport;
  outcome?: Outcome;
  form?: ReportFormView;
}

/** Everything the unit's page shows. */
export interface UnitPageView {
  planTitle: string;
  unitName: string;
  timezone: string;
  rows: ReportRow[];
  csrf: string;
  /** Said above the form (nothing ticked). */
  general?: string;
  /** The unit's inspection findings, when the plan has inspections. */
  findings?: { plan: Plan; list: FindingStatus[]; now: number };
}

/** The landing page of a unit's link: it changes nothing and posts the token on. */
export function unitLandingPage(c: Catalogue, unitName: string, planTitle: string, token: string): Html {
  return page(
    c,
    c.unitPage.title,
    html`<p>${c.unitPage.landingLead(unitName, planTitle)}</p>
<p>${c.unitPage.note}</p>
<form method="post" action="/u/continue">
<input type="hidden" name="token" value="${token}">
<button type="submit">${c.landing.continue}</button>
</form>`,
  );
}

function stateOf(c: Catalogue, r: UnitReport): string {
  if (awaitingRevision(r.status)) return c.leader.awaitingRevision;
  const mark = r.status.review === 'accepted' ? ` (${c.marks.accepted})` : '';
  return `${c.states[r.status.state]}${mark}${r.dueSoon ? ` · ${c.unitPage.dueSoon}` : ''}`;
}

function latenessOf(c: Catalogue, r: UnitReport): string {
  const s = r.status.state;
  if (s === 'untracked' || s === 'scheduled') return '';
  if (r.open) return r.daysLate > 0 ? c.unitPage.lateSoFar(r.daysLate) : c.unitPage.notLate;
  return r.daysLate > 0 ? c.unitPage.daysLate(r.daysLate) : c.unitPage.notLate;
}

function outcomeOf(c: Catalogue, o: Outcome | undefined): Html {
  if (!o) return html``;
  if ('receipt' in o) {
    const r = o.receipt;
    return html`<p class="ok receipt">${r.onTime ? c.received.onTime(r.revision) : c.received.late(r.daysLate, r.revision)}</p>${r.duplicate ? html`<p>${c.received.duplicate}</p>` : ''}`;
  }
  return html`<div class="warn refusal"><p>${c.unitPage.refused}</p>${join(o.refused.map((t) => html`<p class="error">${t}</p>`))}</div>`;
}

/**
 * The table of reports (a unit's page, a leader's view): task, unit when several, quarter, state, due day, lateness,
 * and findings. No findings are recorded yet: the column is where a report's findings will be listed.
 */
export function reportsTable(c: Catalogue, timezone: string, rows: ReportRow[], o: { withUnit: boolean; id: string }): Html {
  if (!rows.length) return html`<p>${c.unitPage.none}</p>`;
  const result = rows.some((r) => r.outcome);
  return html`<table id="${o.id}"><thead><tr><th>${c.common.task}</th>${o.withUnit ? html`<th>${c.common.unit}</th>` : ''}<th>${c.common.quarter}</th><th>${c.common.state}</th><th>${c.common.dueDay}</th><th>${c.unitPage.lateness}</th><th>${c.unitPage.findings}</th>${result ? html`<th>${c.unitPage.result}</th>` : ''}</tr></thead><tbody>
${rows.map(
  ({ report: r, outcome }) =>
    html`<tr data-task="${r.taskId}" data-unit="${r.unitId}" data-period="${r.status.period}" data-state="${r.status.state}" data-open="${r.open ? 'true' : 'false'}"><td>${r.taskTitle}</td>${o.withUnit ? html`<td>${r.unitName}</td>` : ''}<td>${r.status.period}</td><td>${stateOf(c, r)}</td><td>${formatDueDay(c, r.deadline, timezone)}</td><td>${latenessOf(c, r)}</td><td class="findings">${c.common.none}</td>${result ? html`<td class="outcome">${outcomeOf(c, outcome)}</td>` : ''}</tr>`,
)}
</tbody></table>`;
}

function fieldError(name: string, e: FormErrors | undefined, f: FormField): Html {
  const text = e?.fields[f];
  return text ? html`<p class="error" id="${name}-error" data-field="${f}">${text}</p>` : html``;
}

function reportForm(c: Catalogue, r: UnitReport, f: ReportFormView): Html {
  const n = `r${f.index}`;
  const x = f.values;
  const e = f.errors;
  const described = (k: FormField) => (e?.fields[k] ? html` aria-invalid="true" aria-describedby="${n}-${k}-error"` : '');
  const text = (k: FormField, label: string, rows?: boolean) =>
    html`<label for="${n}-${k}">${label}</label>
${rows ? html`<textarea id="${n}-${k}" name="${n}.${k}"${described(k)}>${x[k]}</textarea>` : html`<input type="text" id="${n}-${k}" name="${n}.${k}" value="${x[k]}"${described(k)}>`}
${fieldError(`${n}-${k}`, e, k)}`;
  const general = e ? [...e.general, ...(e.engineDown ? [e.engineDown] : [])] : [];
  return html`<fieldset class="report" data-task="${r.taskId}" data-period="${r.status.period}">
<legend>${c.unitPage.formOf(r.taskTitle, r.status.period)}</legend>
<input type="hidden" name="${n}.task" value="${r.taskId}">
<input type="hidden" name="${n}.period" value="${r.status.period}">
<input type="hidden" name="${n}.requestId" value="${f.requestId}">
<label><input type="checkbox" id="${n}-send" name="${n}.send" value="1"${f.send ? ' checked' : ''}> ${c.unitPage.send}</label>
${f.prefilledFrom ? html`<p class="notice">${c.form.prefilledEarlier(f.prefilledFrom)}</p>` : ''}
${general.length ? html`<div class="warn">${join(general.map((g) => html`<p class="error">${g}</p>`))}</div>` : ''}
<label for="${n}-status">${c.form.status}</label>
<select id="${n}-status" name="${n}.status"${described('status')}>
<option value=""${x.status === '' ? ' selected' : ''}></option>
${REPORT_STATUSES.map((s) => html`<option value="${s}"${x.status === s ? ' selected' : ''}>${c.reportStatuses[s] ?? s}</option>`)}
</select>
${fieldError(`${n}-status`, e, 'status')}
${text('summary', c.form.summary, true)}
<label for="${n}-progress">${c.form.progress}</label>
<input type="text" inputmode="decimal" id="${n}-progress" name="${n}.progress" value="${x.progress}"${described('progress')}>
${fieldError(`${n}-progress`, e, 'progress')}
${text('problems', c.form.problems, true)}
${text('nextSteps', c.form.nextSteps, true)}
${text('submittedBy', c.form.submittedBy)}
</fieldset>`;
}

/** The unit's page: the table of its reports with this request's outcomes, then the forms of the open ones. */
export function unitPage(c: Catalogue, v: UnitPageView): Html {
  const forms = v.rows.filter((r) => r.form);
  return page(
    c,
    `${v.planTitle} — ${c.unitPage.title}`,
    html`<p>${c.unitPage.lead(v.unitName)}</p>
${v.general ? html`<p class="warn" id="general">${v.general}</p>` : ''}
${reportsTable(c, v.timezone, v.rows, { withUnit: false, id: 'reports' })}
${v.findings ? html`<h2>${c.findings.unitList}</h2>
${unitFindingsTable(c, v.findings.plan, v.findings.list, v.findings.now)}` : ''}
${
  forms.length
    ? html`<h2>${c.unitPage.open}</h2>
<form method="post" action="/unit" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
${forms.map((r) => reportForm(c, r.report, r.form!))}
<button type="submit">${c.unitPage.submit}</button>
</form>`
    : ''
}`,
  );
}
