/** Turns a notice into its subject, plain-text and HTML bodies, in the plan's language and time zone. */
import type { LinkMaker } from '../../security/links.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import { en, type Catalogue, type LocalParts, type V } from './catalogue/en.js';
import { zhCN } from './catalogue/zh-CN.js';
import { calendarWords } from './calendar.js';

const catalogues: Record<string, Catalogue> = { en, 'zh-CN': zhCN };

/** The catalogue of a locale; English for any locale without one. */
export function catalogueFor(locale: string | undefined): Catalogue {
  return (locale && catalogues[locale]) || en;
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function localParts(isoInstant: string, timezone: string): LocalParts {
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
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/**
 * A local date and time in the plan's zone, written for the locale: "2027-03-21 09:00 (Asia/Shanghai)" in English,
 * "2027年3月21日 09:00（Asia/Shanghai）" in Chinese.
 */
export function localTime(isoInstant: string, timezone: string, locale = 'en'): string {
  return catalogueFor(locale).format.time(localParts(isoInstant, timezone), timezone);
}

/** A local day (YYYY-MM-DD) written for the locale. */
export function localDay(day: string, locale = 'en'): string {
  return catalogueFor(locale).format.day(day);
}

/** The links a notice carries, each as [label, url]: the same for the same notice (issued at its own instant). */
export function noticeLinks(n: NoticeSpec, links: LinkMaker | undefined, c: Catalogue = catalogueFor(n.locale)): [string, string][] {
  if (!links) return [];
  const issuedAt = Date.parse(n.at);
  const k = n.key;
  const out: [string, string][] = [[c.links.report, links.report(k.planId, k.taskId, k.unitId, k.period, issuedAt)]];
  out.push([c.links.unit, links.unit(k.planId, k.unitId, issuedAt)]);
  out.push([calendarWords(n.locale).subscribe, links.calendar(k.planId, k.unitId, issuedAt)]);
  if (k.kind === 'escalation' && n.leaderId) out.push([c.links.leader, links.leader(k.planId, n.leaderId, issuedAt)]);
  return out;
}

/** An HTML paragraph per link: the label and the address as a link. */
export function linksHtml(list: [string, string][], sep: string): string[] {
  return list.map(([label, url]) => `<p>${escapeHtml(label)}${escapeHtml(sep)}<a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`);
}

/** Renders one notice; with `links`, it carries the report form's, the unit page's and the unit's calendar feed's links (and the leader view's, for escalations). */
export function renderNotice(n: NoticeSpec, links?: LinkMaker): RenderedNotice {
  const c = catalogueFor(n.locale);
  const f = c.format;
  const kind = n.key.kind;
  const returned = kind === 'returned';
  const extended = kind === 'extended';
  // The ladder that follows the k-th return (the returned notice itself included) says which round it is.
  const round = n.key.round ?? 0;
  const v: V = {
    planId: n.key.planId,
    planTitle: n.planTitle,
    taskTitle: n.taskTitle,
    unitName: n.unitName,
    period: f.period(n.key.period),
    dueDay: f.day(n.dueDay),
    number: n.key.number,
  };
  const when = (iso: string) => localTime(iso, n.timezone, n.locale);
  const subject = c.subject[kind](v);
  const lead = c.lead[kind](v);
  const facts: [string, string][] = [
    [c.facts.plan, `${n.planTitle} (${n.key.planId})`],
    [c.facts.task, `${n.taskTitle} (${n.key.taskId})`],
    [c.facts.unit, `${n.unitName} (${n.key.unitId})`],
    [c.facts.period, f.periodFact(n.key.period)],
    [returned || extended ? c.facts.newDue : c.facts.due, f.day(n.dueDay)],
    ...(extended && n.previousDueDay ? [[c.facts.previousDue, f.day(n.previousDueDay)] as [string, string]] : []),
    [c.facts.deadline, when(n.deadline)],
    ...(round > 0 ? [[c.facts.round, String(round)] as [string, string]] : []),
  ];
  const next = !n.next
    ? returned
      ? c.next.revise
      : c.next.none
    : n.next.kind === 'reminder'
      ? c.next.reminder(when(n.next.at))
      : c.next[n.next.to](when(n.next.at));
  // A return carries headquarters' comment, an extension its reason: both shown above the facts.
  const comment = returned && n.comment?.trim() ? n.comment.trim() : extended && n.reason?.trim() ? n.reason.trim() : undefined;
  const commentLabel = extended ? c.reason : c.comment;
  const linkList = noticeLinks(n, links, c);

  const text = [
    lead,
    '',
    ...(comment ? [`${commentLabel}${c.sep.trimEnd()}`, ...comment.split(/\r?\n/).map((l) => `> ${l}`), ''] : []),
    ...facts.map(([k, val]) => `${k}${c.sep}${val}`),
    '',
    ...(linkList.length ? [...linkList.map(([label, url]) => `${label}${c.sep}${url}`), ''] : []),
    next,
    '',
    c.howToReport,
    '',
    c.footer,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p>`,
    ...(comment
      ? [`<p>${escapeHtml(commentLabel)}${escapeHtml(c.sep.trimEnd())}</p>`, `<blockquote>${comment.split(/\r?\n/).map(escapeHtml).join('<br>')}</blockquote>`]
      : []),
    '<table>',
    ...facts.map(([k, val]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`),
    '</table>',
    ...linksHtml(linkList, c.sep),
    `<p><strong>${escapeHtml(next)}</strong></p>`,
    `<p>${escapeHtml(c.howToReport)}</p>`,
    `<p style="color:#666">${escapeHtml(c.footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
