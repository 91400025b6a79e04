/**
 * An amendment in the plan's language: the difference of two versions (workflows/amend/diff.ts), one line per change
 * in the order `plan amend` prints them (the English catalogue gives exactly its lines), and the upcoming notices that
 * move, their instants in the plan's time zone. Pure.
 */
import type { MovedNotice } from '../amend.js';
import { showValue, type DaysChange, type FieldChange, type ItemsChange, type PlanDifference } from '../../workflows/amend/diff.js';
import type { Catalogue } from './catalogue/en.js';
import { formatTime } from './i18n.js';

/** Addresses as a list of them, without brackets (as the CLI shows them). */
const shown = (field: string, v: unknown) => (/(^|\.)email$/.test(field) && Array.isArray(v) ? v.join(', ') : showValue(v));
const list = (xs: string[]) => xs.join(', ');

/** The difference of two versions in the catalogue's words, one line per changed field or item. */
export function differenceWords(c: Catalogue, d: PlanDifference): string[] {
  const w = c.amend.diff;
  const kind = (k: string) => w.kinds[k] ?? k;
  const change = (x: FieldChange, prefix = '') => w.change(`${prefix}${x.field}`, shown(x.field, x.from), shown(x.field, x.to));
  const changeIn = (x: FieldChange) => w.changeIn(x.field, shown(x.field, x.from), shown(x.field, x.to));
  const items = <A extends { id: string }>(k: string, x: ItemsChange<A>, details: (a: A) => string) => [
    ...x.added.map((a) => w.added(kind(k), a.id, details(a))),
    ...x.removed.map((id) => w.removed(kind(k), id)),
    ...x.changed.map((ch) => w.changed(kind(k), ch.id, ch.changes.map(changeIn).join(w.separator))),
  ];
  const days = (name: string, x: DaysChange) => [
    ...(x.added.length ? [w.daysAdded(w.days[name] ?? name, list(x.added))] : []),
    ...(x.removed.length ? [w.daysRemoved(w.days[name] ?? name, list(x.removed))] : []),
  ];
  const i = d.inspections;
  return [
    ...d.plan.map((x) => change(x)),
    ...d.headquarters.map((x) => change(x)),
    ...items('leader', d.leaders, (l) => w.person(showValue(l.name), list(l.email), null)),
    ...items('unit', d.units, (u) => w.person(showValue(u.name), list(u.email), u.leader)),
    ...items('aspect', d.aspects, (a) => showValue(a.title)),
    ...d.tasks.added.map((t) => w.added(kind('task'), t.id, w.task(t.aspect, list(t.units)))),
    ...d.tasks.retired.map((id) => w.retired(id)),
    ...d.tasks.changed.map((t) => w.changed(kind('task'), t.id, [...t.changes.map(changeIn), ...t.left.map(w.left), ...t.joined.map(w.joined)].join(w.separator))),
    ...days('workweek', d.calendar.workweek),
    ...days('holidays', d.calendar.holidays),
    ...days('extraWorkdays', d.calendar.extraWorkdays),
    ...[...d.cadence, ...d.reviews, ...d.assessment, ...d.delivery].map((x) => change(x)),
    ...i.cadence.map((x) => change(x, 'inspections.cadence.')),
    ...i.coverage.map((x) => change(x, 'inspections.coverage.')),
    ...items('round', i.rounds, (r) => w.round(r.feedbackDay, r.findings)),
    ...items('finding', i.findings, (f) => w.finding(f.round, f.unit, f.deadline)),
  ];
}

/** One upcoming notice that moves, is added or is dropped, in the catalogue's words and the plan's local time. */
export function movedWords(c: Catalogue, m: MovedNotice, timeZone: string): string {
  const a = c.amend;
  const pairs = m.pairs ? `${m.pairs.slice(0, 3).map((k) => k.replace('|', '/')).join(', ')}${m.pairs.length > 3 ? a.morePairs(m.pairs.length - 3) : ''}` : '';
  const what = a.notice(m.period, (c.hq.kinds[m.kind] ?? m.kind).toLowerCase(), m.kind === 'request' ? null : m.number, pairs);
  const at = (iso: string) => formatTime(c, iso, timeZone);
  if (m.from && m.to) return a.moves(what, at(m.from), at(m.to));
  return m.to ? a.added(what, at(m.to)) : a.dropped(what, at(m.from!));
}
