/** The subject, plain-text and HTML bodies of a digest: one table row per notice, in the plan's language. */
import type { DigestItem } from './digest.js';
import { catalogueFor, escapeHtml, linksHtml, localTime } from './render.js';

/** Local day (YYYY-MM-DD) of an instant in a time zone. */
function localDay(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/** Days from the due day to the notice's local day: negative before it, 0 on it. */
export function daysPastDue(at: string, dueDay: string, timezone: string): number {
  return Math.round((Date.parse(`${localDay(at, timezone)}T00:00:00Z`) - Date.parse(`${dueDay}T00:00:00Z`)) / 86_400_000);
}

const same = <T>(xs: T[]): T | undefined => (xs.every((x) => x === xs[0]) ? xs[0] : undefined);

/** Renders the digest of `items` (two or more, of one instant and one set of recipients), in their order. */
export function renderDigest(items: readonly DigestItem[]): { subject: string; text: string; html: string } {
  const first = items[0];
  const c = catalogueFor(first.locale);
  const d = c.digest;
  const f = c.format;
  const n = items.length;
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const nouns = (kind: string) => d.kinds[kind] ?? ([kind, kind] as const);
  const what = counts.size === 1 ? d.count(n, nouns(first.kind)) : d.mixed(n, [...counts].map(([k, m]) => d.count(m, nouns(k))));
  const period = same(items.map((i) => i.row.period));
  const due = same(items.map((i) => i.row.dueDay));
  const subject = d.subject(first.planId, what, period && f.period(period), due && f.day(due));
  const lead = d.lead(n, first.planTitle, localTime(first.at, first.timezone, first.locale));
  const rows = items.map((i) => {
    const r = i.row;
    const lateness = r.dueDay ? d.lateness(daysPastDue(i.at, r.dueDay, i.timezone)) : d.none;
    return { item: r.item, period: r.period ? f.period(r.period) : d.none, notice: r.notice, due: r.dueDay ? f.day(r.dueDay) : d.none, lateness, link: r.link };
  });
  const common: [string, string][] = [];
  const seen = new Set<string>();
  for (const i of items) for (const l of i.commonLinks ?? []) if (!seen.has(l[1]) && seen.add(l[1])) common.push(l);
  const col = d.columns;
  const text = [
    lead,
    '',
    ...rows.flatMap((r, k) => [
      `${k + 1}. ${r.item}`,
      `   ${[[col.period, r.period], [col.notice, r.notice], [col.due, r.due], [col.lateness, r.lateness]].map(([k, v]) => `${k}${c.sep}${v}`).join(d.join)}`,
      ...(r.link ? [`   ${r.link[0]}${c.sep}${r.link[1]}`] : []),
    ]),
    '',
    ...(common.length ? [...common.map(([label, url]) => `${label}${c.sep}${url}`), ''] : []),
    c.howToReport,
    '',
    c.footer,
    '',
  ].join('\n');
  const cell = (s: string) => `<td>${escapeHtml(s)}</td>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p>`,
    '<table border="1" cellpadding="4" style="border-collapse:collapse">',
    `<tr>${[col.item, col.period, col.notice, col.due, col.lateness, col.link].map((h) => `<th align="left">${escapeHtml(h)}</th>`).join('')}</tr>`,
    ...rows.map(
      (r) =>
        `<tr>${cell(r.item)}${cell(r.period)}${cell(r.notice)}${cell(r.due)}${cell(r.lateness)}<td>${r.link ? `<a href="${escapeHtml(r.link[1])}">${escapeHtml(r.link[0])}</a>` : escapeHtml(d.none)}</td></tr>`,
    ),
    '</table>',
    ...linksHtml(common, c.sep),
    `<p>${escapeHtml(c.howToReport)}</p>`,
    `<p style="color:#666">${escapeHtml(c.footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
