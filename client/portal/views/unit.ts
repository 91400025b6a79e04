/** A unit's pages: the landing of its link, the report form and the receipt. */
import { REPORT_STATUSES, type ReportReceipt } from '../../../workflows/contract/report.js';
import type { Catalogue } from '../catalogue/en.js';
import { html, join, type Html } from '../html.js';
import { page } from '../layout.js';
import { FORM_FIELDS, type FormErrors, type FormField, type FormValues, type ScopeField } from '../report-form.js';

/** What the report's pages say about it. */
export interface ReportFacts {
  planTitle: string;
  taskTitle: string;
  unitName: string;
  period: string;
}

function factsTable(c: Catalogue, f: ReportFacts, errors?: FormErrors): Html {
  const line = (id: ScopeField, value: string) => {
    const e = errors?.fields[id];
    return e ? html`<td>${value}<p class="error" id="${id}-error" data-field="${id}">${e}</p></td>` : html`<td>${value}</td>`;
  };
  return html`<table>
<tr><th>${c.common.plan}</th><td>${f.planTitle}</td></tr>
<tr><th>${c.common.task}</th>${line('taskId', f.taskTitle)}</tr>
<tr><th>${c.common.unit}</th>${line('unitId', f.unitName)}</tr>
<tr><th>${c.common.quarter}</th>${line('period', f.period)}</tr>
</table>`;
}

/** The page a link opens: it changes nothing and posts the token on (so it never appears in a later address). */
export function landingPage(c: Catalogue, f: ReportFacts, token: string, action: string, lead: string): Html {
  return page(
    c,
    c.landing.title,
    html`<p>${lead}</p>
${factsTable(c, f)}
<p>${c.landing.note}</p>
<form method="post" action="${action}">
<input type="hidden" name="token" value="${token}">
<button type="submit">${c.landing.continue}</button>
</form>`,
  );
}

/** Everything the report form shows. */
export interface FormView {
  facts: ReportFacts;
  /** "Due on ...", or the revision's due day after a return. */
  dueLine: string;
  /** Whether it is late, when anything is still expected. */
  lateLine?: { text: string; late: boolean };
  returnedComment?: string;
  /** Where the pre-filled values came from, when from an earlier quarter. */
  prefilledFrom?: string;
  revisionsSoFar: number;
  locked: boolean;
  values: FormValues;
  errors?: FormErrors;
  csrf: string;
  requestId: string;
}

function fieldError(id: FormField, errors: FormErrors | undefined): Html {
  const e = errors?.fields[id];
  return e ? html`<p class="error" id="${id}-error" data-field="${id}">${e}</p>` : html``;
}

const described = (id: FormField, errors: FormErrors | undefined) => (errors?.fields[id] ? html` aria-invalid="true" aria-describedby="${id}-error"` : '');

/** The report form, or the locked report once headquarters has accepted it. */
export function formPage(c: Catalogue, v: FormView): Html {
  const { values: x, errors } = v;
  const text = (id: FormField, label: string, rows?: boolean) =>
    html`<label for="${id}">${label}</label>
${
  rows
    ? html`<textarea id="${id}" name="${id}"${described(id, errors)}>${x[id]}</textarea>`
    : html`<input type="text" id="${id}" name="${id}" value="${x[id]}"${described(id, errors)}>`
}
${fieldError(id, errors)}`;
  const head = html`${factsTable(c, v.facts, errors)}
<p>${v.dueLine}</p>
${v.lateLine ? html`<p class="${v.lateLine.late ? 'warn' : 'ok'}" id="lateness">${v.lateLine.text}</p>` : ''}
${v.returnedComment ? html`<div class="warn"><p>${c.form.returnedComment}</p><pre>${v.returnedComment}</pre></div>` : ''}
${v.prefilledFrom ? html`<p class="notice">${c.form.prefilledEarlier(v.prefilledFrom)}</p>` : ''}
${v.revisionsSoFar > 0 && !v.locked ? html`<p>${c.form.submittedBefore(v.revisionsSoFar)}</p>` : ''}`;
  if (v.locked) {
    return page(
      c,
      c.form.title,
      html`${head}<p class="ok" id="locked">${c.form.locked}</p>
<table>${(['status', 'summary', 'progress', 'problems', 'nextSteps', 'submittedBy'] as const).map(
        (k) => html`<tr><th>${c.form[k]}</th><td><pre>${k === 'status' ? (c.reportStatuses[x.status] ?? x.status) : x[k]}</pre></td></tr>`,
      )}</table>`,
    );
  }
  const body = html`${head}
${errors?.engineDown ? html`<div class="warn" id="engine-down" role="alert"><p class="error">${errors.engineDown}</p></div>` : ''}
${errors && (errors.general.length || Object.keys(errors.fields).length) ? html`<div class="warn" id="errors"><p>${FORM_FIELDS.some((f) => errors.fields[f]) ? c.form.fixErrors : c.form.notSent}</p>${join(errors.general.map((g) => html`<p class="error">${g}</p>`))}</div>` : ''}
<form method="post" action="/report" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
<input type="hidden" name="requestId" value="${v.requestId}">
<label for="status">${c.form.status}</label>
<select id="status" name="status"${described('status', errors)}>
${REPORT_STATUSES.map((s) => html`<option value="${s}"${x.status === s ? ' selected' : ''}>${c.reportStatuses[s] ?? s}</option>`)}
${x.status && !(REPORT_STATUSES as readonly string[]).includes(x.status) ? html`<option value="${x.status}" selected>${x.status}</option>` : ''}
</select>
${fieldError('status', errors)}
${text('summary', c.form.summary, true)}
<label for="progress">${c.form.progress}</label>
<input type="text" inputmode="decimal" id="progress" name="progress" value="${x.progress}"${described('progress', errors)}>
${fieldError('progress', errors)}
${text('problems', c.form.problems, true)}
${text('nextSteps', c.form.nextSteps, true)}
${text('submittedBy', c.form.submittedBy)}
<button type="submit">${c.form.submit}</button>
</form>`;
  return page(c, c.form.title, body);
}

/** The receipt of a submitted report. */
export function receivedPage(c: Catalogue, facts: ReportFacts, r: ReportReceipt): Html {
  return page(
    c,
    c.received.title,
    html`${factsTable(c, facts)}
<p class="ok" id="receipt">${r.onTime ? c.received.onTime(r.revision) : c.received.late(r.daysLate, r.revision)}</p>
${r.duplicate ? html`<p>${c.received.duplicate}</p>` : ''}
<p><a href="/report">${c.received.again}</a></p>`,
  );
}
