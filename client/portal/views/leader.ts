/** A leader's read-only view: the open and late reports of their units, the heatmap of those units, and all their reports. */
import type { Plan } from '../../../workflows/contract/plan.js';
import type { PeriodStatus } from '../../../workflows/contract/status.js';
import type { Catalogue } from '../catalogue/en.js';
import { awaitingRevision, type Heatmap } from '../heatmap.js';
import { html, type Html } from '../html.js';
import { formatDueDay } from '../i18n.js';
import { page } from '../layout.js';
import type { UnitReport } from '../unit-reports.js';
import { heatmapTable, legend } from './heatmap.js';
import { reportsTable } from './unit-page.js';

/** One open or late report. */
export interface OpenReport {
  taskTitle: string;
  unitName: string;
  status: PeriodStatus;
}

/** The leader's page. */
export function leaderPage(c: Catalogue, plan: Plan, leaderName: string, open: OpenReport[], map: Heatmap, reports: UnitReport[] = []): Html {
  const state = (p: PeriodStatus) => (awaitingRevision(p) ? c.leader.awaitingRevision : c.states[p.state]);
  const due = (p: PeriodStatus) => formatDueDay(c, p.revisionDueAt ?? p.dueAt, plan.timezone);
  const list = open.length
    ? html`<table id="open"><thead><tr><th>${c.common.task}</th><th>${c.common.unit}</th><th>${c.common.quarter}</th><th>${c.common.state}</th><th>${c.common.dueDay}</th></tr></thead><tbody>
${open.map((o) => html`<tr data-state="${o.status.state}"><td>${o.taskTitle}</td><td>${o.unitName}</td><td>${o.status.period}</td><td>${state(o.status)}</td><td>${due(o.status)}</td></tr>`)}
</tbody></table>`
    : html`<p>${c.leader.noneOpen}</p>`;
  return page(
    c,
    `${plan.title} — ${c.leader.title}`,
    html`<p>${c.leader.lead(leaderName)}</p>
<h2>${c.leader.open}</h2>
${list}
<h2>${c.hq.heatmap}</h2>
${legend(c)}
${heatmapTable(c, map)}
<h2>${c.leader.reports}</h2>
${reportsTable(c, plan.timezone, reports.map((report) => ({ report })), { withUnit: true, id: 'reports' })}`,
  );
}
