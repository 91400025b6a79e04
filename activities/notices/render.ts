/** Turns a notice into its subject, plain-text and HTML bodies, in the plan's language and time zone. */
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import { en, type Catalogue, type V } from './catalogue/en.js';

const catalogues: Record<string, Catalogue> = { en };

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A local date and time in the plan's zone, e.g. "2027-03-21 09:00 (Asia/Shanghai)". */
export function localTime(isoInstant: string, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(isoInstant));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} (${timezone})`;
}

/** Renders one notice. */
export function renderNotice(n: NoticeSpec): RenderedNotice {
  const c = catalogues[n.locale] ?? en;
  const v: V = {
    planId: n.key.planId,
    planTitle: n.planTitle,
    taskTitle: n.taskTitle,
    unitName: n.unitName,
    period: n.key.period,
    dueDay: n.dueDay,
    number: n.key.number,
  };
  const kind = n.key.kind;
  const subject = c.subject[kind](v);
  const lead = c.lead[kind](v);
  const facts: [string, string][] = [
    [c.facts.plan, `${n.planTitle} (${n.key.planId})`],
    [c.facts.task, `${n.taskTitle} (${n.key.taskId})`],
    [c.facts.unit, `${n.unitName} (${n.key.unitId})`],
    [c.facts.period, n.key.period],
    [c.facts.due, n.dueDay],
    [c.facts.deadline, localTime(n.deadline, n.timezone)],
  ];
  const next = !n.next
    ? c.next.none
    : n.next.kind === 'reminder'
      ? c.next.reminder(localTime(n.next.at, n.timezone))
      : c.next[n.next.to](localTime(n.next.at, n.timezone));
  const text = [lead, '', ...facts.map(([k, val]) => `${k}: ${val}`), '', next, '', c.howToReport, '', c.footer, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p>`,
    '<table>',
    ...facts.map(([k, val]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`),
    '</table>',
    `<p><strong>${escapeHtml(next)}</strong></p>`,
    `<p>${escapeHtml(c.howToReport)}</p>`,
    `<p style="color:#666">${escapeHtml(c.footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
