/** Headquarters' pages: plans, a plan's summary, an aspect's heatmap, a task's timeline, a report with its decisions, sign-in. */
import type { Plan } from '../../../workflows/contract/plan.js';
import type { DecisionReceipt } from '../../../workflows/contract/report.js';
import type { PeriodStatus, Revision, TimelineEntry } from '../../../workflows/contract/status.js';
import type { Catalogue } from '../catalogue/en.js';
import { PERIOD_STATES } from '../../../workflows/contract/status.js';
import type { DashboardSummary, StateCounts } from '../../../store/dashboard.js';
import { summaryTables, type Heatmap, type SummaryRow } from '../heatmap.js';
import { html, type Html } from '../html.js';
import { formatDueDay, formatTime } from '../i18n.js';
import { page } from '../layout.js';
import { heatmapTable, legend } from './heatmap.js';
import { extendForm, extendOutcome, type ExtendView } from './extend.js';
import type { OffReport } from '../plan-data.js';

const enc = encodeURIComponent;

/** The dashboard address of a plan, an aspect, a task's timeline, or a report. */
export const hqPaths = {
  plan: (planId: string) => `/hq/plans/${enc(planId)}`,
  aspect: (planId: string, aspectId: string) => `/hq/plans/${enc(planId)}/aspects/${enc(aspectId)}`,
  timeline: (planId: string, taskId: string) => `/hq/plans/${enc(planId)}/tasks/${enc(taskId)}`,
  report: (planId: string, taskId: string, unitId: string, period: string) => `/hq/plans/${enc(planId)}/reports/${enc(taskId)}/${enc(unitId)}/${enc(period)}`,
};

/** Headquarters' navigation: the plans, the plan, and the sign-out form. */
export function nav(c: Catalogue, csrf: string, plan?: Plan): Html {
  return html`<a href="/hq">${c.hq.title}</a>${plan ? html` · <a href="${hqPaths.plan(plan.id)}">${plan.title}</a>` : ''}
<form method="post" action="/hq/logout" style="display:inline;margin-left:1rem"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" style="margin:0;padding:0 .4rem">${c.hq.logout}</button></form>`;
}

/** The plans recorded in the system of record, newest first. */
export function plansPage(c: Catalogue, csrf: string, plans: { planId: string; title: string; startTime: string }[]): Html {
  const body = plans.length
    ? html`<table><thead><tr><th>${c.common.plan}</th><th>${c.hq.planTitle}</th><th>${c.hq.started}</th></tr></thead><tbody>
${plans.map((p) => html`<tr><td><a href="${hqPaths.plan(p.planId)}">${p.planId}</a></td><td>${p.title}</td><td>${p.startTime}</td></tr>`)}
</tbody></table>`
    : html`<p>${c.hq.noPlans}</p>`;
  return page(c, c.hq.plans, body, nav(c, csrf));
}

/** A summary table: a row per aspect or unit, its tasks, a count per state, and its lagging reports. */
function summaryTable(c: Catalogue, kind: 'aspect' | 'unit', head: string, rows: SummaryRow[], link?: (row: SummaryRow) => string): Html {
  return html`<table class="summary" id="by-${kind}">
<thead><tr><th>${head}</th><th>${c.hq.tasks}</th>${PERIOD_STATES.map((s) => html`<th class="s-${s}">${c.states[s]}</th>`)}<th>${c.hq.laggingReports}</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr data-${kind}="${r.id}"${r.lagging ? html` data-lagging="true" class="lagging"` : ''}><th>${link ? html`<a href="${link(r)}">${r.title}</a>` : r.title}${
    kind === 'unit' && r.lagging ? html` <b class="lagging-mark">${c.hq.laggingMark}</b>` : ''
  }</th><td>${r.tasks}</td>${PERIOD_STATES.map((s) => html`<td data-state="${s}">${r.counts[s]}</td>`)}<td data-lagging-reports>${r.laggingRecords}</td></tr>`,
)}
</tbody></table>`;
}

/** The counts by state of each quarter (over the units shown). */
function quarterTable(c: Catalogue, quarters: { period: string; counts: StateCounts }[]): Html {
  return html`<table class="summary" id="by-quarter">
<thead><tr><th>${c.common.quarter}</th>${PERIOD_STATES.map((s) => html`<th class="s-${s}">${c.states[s]}</th>`)}</tr></thead>
<tbody>
${quarters.map((q) => html`<tr data-period="${q.period}"><th>${q.period}</th>${PERIOD_STATES.map((s) => html`<td data-state="${s}">${q.counts[s]}</td>`)}</tr>`)}
</tbody></table>`;
}

function laggingToggle(c: Catalogue, path: string, laggingOnly: boolean): Html {
  return laggingOnly ? html`<a href="${path}" id="show-all">${c.hq.showAll}</a>` : html`<a href="${path}?lagging=1" id="lagging-only">${c.hq.laggingOnly}</a>`;
}

/**
 * The dashboard of a plan: counts by state per aspect, per unit (the lagging ones marked) and per quarter; all units or
 * only the lagging ones; `inForce` says which version of the plan is in force (views/amend.ts).
 */
export function planPage(c: Catalogue, csrf: string, plan: Plan, summary: DashboardSummary, laggingOnly: boolean, inForce?: Html): Html {
  const t = summaryTables(summary, laggingOnly);
  const suffix = laggingOnly ? '?lagging=1' : '';
  const mail = summary.mailRetrying;
  const body = html`${mail ? html`<div class="warn" id="mail-retrying" role="alert"><p>${c.hq.mailRetrying(mail.notices, mail.since, mail.reason)}</p></div>` : ''}
${inForce ?? ''}
<p>${laggingToggle(c, hqPaths.plan(plan.id), laggingOnly)}</p>
${plan.inspections?.rounds.length ? html`<p><a href="${hqPaths.plan(plan.id)}/findings" id="findings-link">${c.findings.dashboardLink}</a></p>` : ''}
<p>${c.hq.summaryHelp}</p>
${legend(c)}
<h2>${c.hq.byAspect}</h2>
${summaryTable(c, 'aspect', c.common.aspect, t.aspects, (r) => `${hqPaths.aspect(plan.id, r.id)}${suffix}`)}
<h2>${c.hq.byUnit}</h2>
${t.units.length ? summaryTable(c, 'unit', c.common.unit, t.units) : html`<p id="no-rows">${c.hq.noRows}</p>`}
<h2>${c.hq.byQuarter}</h2>
${quarterTable(c, t.byPeriod)}`;
  return page(c, `${plan.title} — ${c.hq.summary}`, body, nav(c, csrf, plan));
}

/** One aspect's heatmap: its tasks by unit and quarter, all units or only those lagging in it; links to reports and timelines. */
export function aspectPage(c: Catalogue, csrf: string, plan: Plan, aspect: { id: string; title: string }, map: Heatmap, laggingOnly: boolean): Html {
  const rows = map.groups.length
    ? heatmapTable(c, map, (row, cell) => hqPaths.report(plan.id, row.taskId, row.unitId, cell.period))
    : html`<p id="no-rows">${c.hq.noRows}</p>`;
  const tasks = plan.tasks.filter((t) => t.aspect === aspect.id);
  const body = html`<p>${laggingToggle(c, hqPaths.aspect(plan.id, aspect.id), laggingOnly)} · <a href="${hqPaths.plan(plan.id)}${laggingOnly ? '?lagging=1' : ''}">${c.hq.allAspects}</a></p>
${legend(c)}
${rows}
<h2>${c.hq.timeline}</h2>
<ul>${tasks.map((t) => html`<li><a href="${hqPaths.timeline(plan.id, t.id)}">${t.title}</a></li>`)}</ul>`;
  return page(c, `${plan.title} — ${c.hq.aspectPage(aspect.title)}`, body, nav(c, csrf, plan));
}

/** The kind of a timeline entry, in words. */
const kindOf = (c: Catalogue, kind: string) => c.hq.kinds[kind] ?? kind;

function timelineTable(c: Catalogue, plan: Plan, entries: TimelineEntry[]): Html {
  const unitName = (id: string) => plan.units.find((u) => u.id === id)?.name ?? id;
  return html`<table class="timeline"><thead><tr><th>${c.common.time}</th><th>${c.common.kind}</th><th>${c.common.unit}</th><th>${c.common.quarter}</th><th>${c.hq.number}</th><th>${c.common.round}</th><th>${c.common.detail}</th></tr></thead><tbody>
${entries.map(
  (e) => html`<tr data-kind="${e.kind}"><td>${formatTime(c, e.at, plan.timezone)}</td><td>${kindOf(c, e.kind)}</td><td>${unitName(e.unitId)}</td><td>${e.period}</td><td>${e.number}</td><td>${e.round}</td><td><pre>${e.detail ?? ''}</pre></td></tr>`,
)}
</tbody></table>`;
}

/** Every notice, report and decision of one task. */
export function timelinePage(c: Catalogue, csrf: string, plan: Plan, taskTitle: string, entries: TimelineEntry[]): Html {
  return page(c, c.hq.timelineOf(taskTitle), timelineTable(c, plan, entries), nav(c, csrf, plan));
}

/** What the report page is about. */
export interface ReportPageView {
  plan: Plan;
  taskId: string;
  taskTitle: string;
  unitId: string;
  unitName: string;
  period: string;
  status: PeriodStatus;
  revisions: Revision[];
  timeline: TimelineEntry[];
  csrf: string;
  requestId: string;
  /** A refused decision: next to the comment when it names it, else above the forms. */
  error?: { field?: string; message: string };
  comment?: string;
  by?: string;
  /** Headquarters' extension form (延期), and what a posted one came to. */
  extend?: ExtendView;
  /** Set when the report takes no decision or extension any more (an amendment withdrew it, or took its pair off). */
  off?: OffReport;
}

/** Why the report takes no decision or extension: withdrawn (when), its task retired, or its unit taken off the task. */
function offNote(c: Catalogue, v: ReportPageView, off: OffReport): Html {
  const said = off.withdrawnAt
    ? c.hq.withdrawnNote(formatTime(c, off.withdrawnAt, v.plan.timezone), v.unitName, v.taskTitle)
    : off.taskRetired
      ? c.hq.retiredTaskNote(v.taskTitle)
      : c.hq.leftTaskNote(v.unitName, v.taskTitle);
  return html`<p class="warn" id="withdrawn" role="note"${off.withdrawnAt ? html` data-withdrawn-at="${off.withdrawnAt}"` : ''}>${said}</p>`;
}

function revisionBlock(c: Catalogue, plan: Plan, r: Revision, n: number): Html {
  const row = (label: string, value: string | number | undefined) => (value === undefined || value === '' ? '' : html`<tr><th>${label}</th><td><pre>${value}</pre></td></tr>`);
  return html`<section class="revision" data-revision="${n}"><h3>${c.common.revision} ${n} · ${formatTime(c, r.arrivedAt, plan.timezone)}</h3>
<table>${row(c.form.status, c.reportStatuses[r.status] ?? r.status)}${row(c.form.summary, r.summary)}${row(c.form.progress, r.progress)}${row(c.form.problems, r.problems)}${row(c.form.nextSteps, r.nextSteps)}${row(c.form.submittedBy, r.submittedBy)}</table></section>`;
}

/** A report's revisions, its history, and the accept and return forms. */
export function reportPage(c: Catalogue, v: ReportPageView): Html {
  const { plan, status: s } = v;
  const path = hqPaths.report(plan.id, v.taskId, v.unitId, v.period);
  const facts = html`<table>
<tr><th>${c.common.task}</th><td><a href="${hqPaths.timeline(plan.id, v.taskId)}">${v.taskTitle}</a></td></tr>
<tr><th>${c.common.unit}</th><td>${v.unitName}</td></tr>
<tr><th>${c.common.quarter}</th><td>${v.period}</td></tr>
<tr><th>${c.common.state}</th><td id="state" data-state="${s.state}">${c.states[s.state]}</td></tr>
<tr><th>${c.common.dueDay}</th><td>${formatDueDay(c, s.dueAt, plan.timezone)}</td></tr>
<tr><th>${c.common.submittedAt}</th><td>${s.submittedAt ? formatTime(c, s.submittedAt, plan.timezone) : c.common.none}</td></tr>
${s.daysLate ? html`<tr><th>${c.common.daysLate}</th><td>${s.daysLate}</td></tr>` : ''}
<tr><th>${c.common.review}</th><td id="review" data-review="${s.review ?? ''}">${s.review ? c.marks[s.review] : c.common.none}</td></tr>
${s.round ? html`<tr><th>${c.common.round}</th><td>${s.round}</td></tr>` : ''}
${s.revisionDueAt ? html`<tr><th>${c.common.revisionDue}</th><td>${formatDueDay(c, s.revisionDueAt, plan.timezone)}</td></tr>` : ''}
</table>`;
  const locked = s.review === 'accepted';
  const commentError = v.error?.field === 'comment' ? v.error.message : undefined;
  const generalError = v.error && !commentError ? v.error.message : undefined;
  const forms = v.off
    ? // Withdrawn, or no longer the plan's: no decision, no extension; a refused one (posted anyway) says so.
      html`${offNote(c, v, v.off)}${generalError ? html`<p class="error" id="decision-error" role="alert">${generalError}</p>` : ''}`
    : locked
    ? html`<p class="ok" id="locked">${c.hq.lockedNote}</p>`
    : v.revisions.length === 0
      ? // No report yet, so no forms; a refused decision (posted from elsewhere) still says why.
        html`${generalError ? html`<p class="error" id="decision-error">${generalError}</p>` : ''}`
      : html`${generalError ? html`<p class="error" id="decision-error">${generalError}</p>` : ''}
<form method="post" action="${path}/accept">
<input type="hidden" name="csrf" value="${v.csrf}"><input type="hidden" name="requestId" value="${v.requestId}-a">
<label for="accept-by">${c.hq.by}</label><input type="text" id="accept-by" name="by" value="${v.by ?? ''}">
<button type="submit" id="accept">${c.hq.accept}</button>
</form>
<h2>${c.hq.returnTitle}</h2>
<form method="post" action="${path}/return" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}"><input type="hidden" name="requestId" value="${v.requestId}-r">
<label for="comment">${c.hq.comment}</label>
<textarea id="comment" name="comment"${commentError ? html` aria-invalid="true" aria-describedby="comment-error"` : ''}>${v.comment ?? ''}</textarea>
${commentError ? html`<p class="error" id="comment-error" data-field="comment">${commentError}</p>` : ''}
<label for="return-by">${c.hq.by}</label><input type="text" id="return-by" name="by" value="${v.by ?? ''}">
<button type="submit" id="return">${c.hq.returnButton}</button>
</form>`;
  const revisions = v.revisions.length
    ? html`${[...v.revisions].map((r, i) => revisionBlock(c, plan, r, i + 1)).reverse()}`
    : html`<p>${c.hq.noRevisions}</p>`;
  const body = html`${v.extend ? extendOutcome(c, v.extend.outcome) : ''}
${facts}
${forms}
${v.extend && !v.off ? extendForm(c, v.extend, c.extend.reportTitle) : ''}
<h2>${c.common.revisions}</h2>
${revisions}
<h2>${c.hq.timeline}</h2>
${timelineTable(c, plan, v.timeline)}`;
  return page(c, c.hq.reportOf(v.taskTitle, v.unitName, v.period), body, nav(c, v.csrf, plan));
}

/** The outcome of a decision. */
export function decisionPage(c: Catalogue, csrf: string, plan: Plan, r: DecisionReceipt, reportPath: string): Html {
  const due = r.revisionDueAt ? formatDueDay(c, r.revisionDueAt, plan.timezone) : (r.revisionDueDay ?? '');
  const said = r.decision === 'accept' ? c.hq.accepted : c.hq.returned(due, r.round);
  return page(
    c,
    c.common.review,
    html`<p class="ok" id="decision" data-decision="${r.decision}">${said}</p>
${r.duplicate ? html`<p>${c.hq.duplicateDecision}</p>` : ''}
<p><a href="${reportPath}">${c.common.back}</a> · <a href="${hqPaths.plan(plan.id)}">${plan.title}</a></p>`,
    nav(c, csrf, plan),
  );
}

/** The sign-in form (its CSRF token is also in a cookie: there is no session yet to bind it to). */
export function loginPage(c: Catalogue, csrf: string, error?: string): Html {
  return page(
    c,
    c.hq.login,
    html`<p>${c.hq.loginHelp}</p>
${error ? html`<p class="error" id="login-error">${error}</p>` : ''}
<form method="post" action="/hq/login">
<input type="hidden" name="csrf" value="${csrf}">
<label for="credential">${c.hq.credential}</label><input type="password" id="credential" name="credential" autocomplete="current-password">
<button type="submit">${c.hq.login}</button>
</form>`,
  );
}
