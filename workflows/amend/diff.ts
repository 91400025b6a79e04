/**
 * The difference between two versions of a plan, per field, and its English lines (what `plan amend` prints and the
 * history keeps). Pure and sandbox-safe: the client's preview and the plan workflow compute the same difference.
 */
import type { Plan } from '../contract/plan.js';

/** One field that changed: `field` as in the file (`cadence.reminderDays`); `from`/`to` null when absent. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** A kept item (unit, leader, aspect, round, finding) whose fields changed. */
export interface ItemChange {
  id: string;
  changes: FieldChange[];
}

/** A kept task: its fields that changed and the units that joined or left it. */
export interface TaskChange extends ItemChange {
  joined: string[];
  left: string[];
}

/** Days (or weekdays) a list gained and lost. */
export interface DaysChange {
  added: string[];
  removed: string[];
}

/** Items added (with what the lines name of them), removed and changed. */
export interface ItemsChange<Added> {
  added: Added[];
  removed: string[];
  changed: ItemChange[];
}

export interface AddedLeader {
  id: string;
  name: string;
  email: string[];
}

export interface AddedUnit extends AddedLeader {
  leader: string | null;
}

export interface AddedAspect {
  id: string;
  title: string;
}

export interface AddedTask {
  id: string;
  aspect: string;
  units: string[];
}

export interface AddedRound {
  id: string;
  feedbackDay: string;
  findings: number;
}

export interface AddedFinding {
  id: string;
  round: string;
  unit: string;
  deadline: string | null;
}

/** Everything that differs between two versions of a plan. */
export interface PlanDifference {
  /** id, title, timezone, start, end, locale. */
  plan: FieldChange[];
  headquarters: FieldChange[];
  leaders: ItemsChange<AddedLeader>;
  units: ItemsChange<AddedUnit>;
  aspects: ItemsChange<AddedAspect>;
  tasks: { added: AddedTask[]; retired: string[]; changed: TaskChange[] };
  /** A plan without a calendar counts every day as a working day: its workweek is all seven days. */
  calendar: { workweek: DaysChange; holidays: DaysChange; extraWorkdays: DaysChange };
  cadence: FieldChange[];
  reviews: FieldChange[];
  assessment: FieldChange[];
  delivery: FieldChange[];
  inspections: {
    cadence: FieldChange[];
    coverage: FieldChange[];
    rounds: ItemsChange<AddedRound>;
    findings: ItemsChange<AddedFinding>;
  };
}

/** JSON with keys sorted and undefined left out: equal values give equal text, whatever the order of their keys. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const orNull = (v: unknown) => (v === undefined ? null : v);
const emails = (e: string | string[]) => (Array.isArray(e) ? e : [e]);

/** The named fields of `a` and `b` that differ, each as `<prefix><name>`. */
function fields<T extends object>(prefix: string, a: T | undefined, b: T | undefined, names: readonly (keyof T & string)[], norm: (name: string, v: unknown) => unknown = (_, v) => v): FieldChange[] {
  const out: FieldChange[] = [];
  for (const name of names) {
    const from = orNull(norm(name, a?.[name]));
    const to = orNull(norm(name, b?.[name]));
    if (!same(from, to)) out.push({ field: `${prefix}${name}`, from, to });
  }
  return out;
}

/** Every key of either object, in the order `a` then `b` list them. */
const keysOf = <T extends object>(a: T | undefined, b: T | undefined) => [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])] as (keyof T & string)[];
const emailNorm = (name: string, v: unknown) => (name === 'email' && v !== undefined ? emails(v as string | string[]) : v);

/** Items of two lists by id: added (in `after`'s order), removed (in `before`'s order), and the pairs kept. */
function byId<T extends { id: string }>(before: readonly T[], after: readonly T[]) {
  const old = new Map(before.map((x) => [x.id, x]));
  const now = new Map(after.map((x) => [x.id, x]));
  return {
    added: after.filter((x) => !old.has(x.id)),
    removed: before.filter((x) => !now.has(x.id)).map((x) => x.id),
    kept: after.filter((x) => old.has(x.id)).map((x) => [old.get(x.id)!, x] as const),
  };
}

function items<T extends { id: string }, A>(before: readonly T[], after: readonly T[], names: readonly (keyof T & string)[], added: (x: T) => A): ItemsChange<A> {
  const found = byId(before, after);
  const changed = found.kept.map(([a, b]) => ({ id: b.id, changes: fields('', a, b, names, emailNorm) })).filter((c) => c.changes.length);
  return { added: found.added.map(added), removed: found.removed, changed };
}

function days(before: readonly string[], after: readonly string[]): DaysChange {
  const a = new Set(before);
  const b = new Set(after);
  return { added: [...b].filter((d) => !a.has(d)).sort(), removed: [...a].filter((d) => !b.has(d)).sort() };
}

const ALL_WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEK_ORDER = (d: string) => ALL_WEEK.indexOf(d);

type Inspections = NonNullable<Plan['inspections']>;
type Round = Inspections['rounds'][number];
type Finding = Round['findings'][number];

function inspectionsDifference(before: Inspections | undefined, after: Inspections | undefined): PlanDifference['inspections'] {
  const rounds = byId<Round>(before?.rounds ?? [], after?.rounds ?? []);
  const roundChanges = rounds.kept
    .map(([a, b]) => ({ id: b.id, changes: fields<Round>('', a, b, ['title', 'feedbackDay', 'covers']) }))
    .filter((c) => c.changes.length);
  const withRound = (i: Inspections | undefined) => (i?.rounds ?? []).flatMap((r) => r.findings.map((f) => ({ ...f, round: r.id })));
  const findings = byId<Finding & { round: string }>(withRound(before), withRound(after));
  const findingChanges = findings.kept
    .map(([a, b]) => ({ id: b.id, changes: fields<Finding & { round: string }>('', a, b, ['round', 'unit', 'deadline', 'verifier', 'title', 'description', 'recheckAfterDays']) }))
    .filter((c) => c.changes.length);
  return {
    cadence: fields('', before?.cadence, after?.cadence, keysOf(before?.cadence, after?.cadence)),
    coverage: fields('', before?.coverage, after?.coverage, ['targets', 'by']),
    rounds: { added: rounds.added.map((r) => ({ id: r.id, feedbackDay: r.feedbackDay, findings: r.findings.length })), removed: rounds.removed, changed: roundChanges },
    findings: { added: findings.added.map((f) => ({ id: f.id, round: f.round, unit: f.unit, deadline: f.deadline ?? null })), removed: findings.removed, changed: findingChanges },
  };
}

/** What differs from `before` to `after`, per field; lists compared by id (order does not count). */
export function planDifference(before: Plan, after: Plan): PlanDifference {
  const tasks = byId(before.tasks, after.tasks);
  const taskChanges = tasks.kept
    .map(([a, b]): TaskChange => ({
      id: b.id,
      changes: fields('', a, b, ['title', 'aspect', 'target']),
      joined: b.units.filter((u) => !a.units.includes(u)),
      left: a.units.filter((u) => !b.units.includes(u)),
    }))
    .filter((c) => c.changes.length || c.joined.length || c.left.length);
  const workweek = (p: Plan) => p.calendar?.workweek ?? ALL_WEEK;
  const week = days(workweek(before), workweek(after));
  week.added.sort((x, y) => WEEK_ORDER(x) - WEEK_ORDER(y));
  week.removed.sort((x, y) => WEEK_ORDER(x) - WEEK_ORDER(y));
  return {
    plan: fields('', before, after, ['id', 'title', 'timezone', 'start', 'end', 'locale']),
    headquarters: fields('headquarters.', before.headquarters, after.headquarters, ['name', 'email'], emailNorm),
    leaders: items(before.leaders, after.leaders, ['name', 'email'], (l) => ({ id: l.id, name: l.name, email: emails(l.email) })),
    units: items(before.units, after.units, ['name', 'email', 'leader'], (u) => ({ id: u.id, name: u.name, email: emails(u.email), leader: u.leader ?? null })),
    aspects: items(before.aspects, after.aspects, ['title'], (a) => ({ id: a.id, title: a.title })),
    tasks: { added: tasks.added.map((t) => ({ id: t.id, aspect: t.aspect, units: [...t.units] })), retired: tasks.removed, changed: taskChanges },
    calendar: {
      workweek: week,
      holidays: days(before.calendar?.holidays ?? [], after.calendar?.holidays ?? []),
      extraWorkdays: days(before.calendar?.extraWorkdays ?? [], after.calendar?.extraWorkdays ?? []),
    },
    cadence: fields('cadence.', before.cadence, after.cadence, keysOf(before.cadence, after.cadence)),
    reviews: fields('reviews.', before.reviews, after.reviews, keysOf(before.reviews, after.reviews)),
    assessment: fields('assessment.', before.assessment, after.assessment, keysOf(before.assessment, after.assessment)),
    delivery: fields('delivery.', before.delivery, after.delivery, keysOf(before.delivery, after.delivery)),
    inspections: inspectionsDifference(before.inspections, after.inspections),
  };
}

const emptyItems = (x: { added: unknown[]; removed: string[]; changed: unknown[] }) => !x.added.length && !x.removed.length && !x.changed.length;
const emptyDays = (x: DaysChange) => !x.added.length && !x.removed.length;

/** True when the two versions do not differ at all. */
export function isEmpty(d: PlanDifference): boolean {
  const i = d.inspections;
  return (
    !d.plan.length && !d.headquarters.length && emptyItems(d.leaders) && emptyItems(d.units) && emptyItems(d.aspects) &&
    !d.tasks.added.length && !d.tasks.retired.length && !d.tasks.changed.length &&
    emptyDays(d.calendar.workweek) && emptyDays(d.calendar.holidays) && emptyDays(d.calendar.extraWorkdays) &&
    !d.cadence.length && !d.reviews.length && !d.assessment.length && !d.delivery.length &&
    !i.cadence.length && !i.coverage.length && emptyItems(i.rounds) && emptyItems(i.findings)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Lines

/** A value as a line shows it: text quoted only where it holds spaces, lists in brackets, escalation steps in words. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'string') return /^[\w.@+:/-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  const o = v as Record<string, unknown>;
  if (typeof o.afterDaysOverdue === 'number' && typeof o.to === 'string') return `${o.afterDaysOverdue} day${o.afterDaysOverdue === 1 ? '' : 's'} overdue to ${o.to}`;
  return `{ ${Object.entries(o).filter(([, x]) => x !== undefined).map(([k, x]) => `${k}: ${showValue(x)}`).join(', ')} }`;
}

/** Addresses as a list of them, without brackets. */
const shown = (field: string, v: unknown) => (/(^|\.)email$/.test(field) && Array.isArray(v) ? v.join(', ') : showValue(v));
const change = (c: FieldChange) => `${c.field}: ${shown(c.field, c.from)} -> ${shown(c.field, c.to)}`;
const changeIn = (c: FieldChange) => `${c.field} ${shown(c.field, c.from)} -> ${shown(c.field, c.to)}`;
const list = (xs: string[]) => xs.join(', ');

function itemLines<A>(kind: string, x: ItemsChange<A>, added: (a: A) => string): string[] {
  return [
    ...x.added.map(added),
    ...x.removed.map((id) => `${kind} ${id} removed`),
    ...x.changed.map((c) => `${kind} ${c.id}: ${c.changes.map(changeIn).join(', ')}`),
  ];
}

function daysLines(name: string, x: DaysChange): string[] {
  return [...(x.added.length ? [`calendar: ${name} added ${list(x.added)}`] : []), ...(x.removed.length ? [`calendar: ${name} removed ${list(x.removed)}`] : [])];
}

/** The difference in English words, one line per changed field or item, in the order of the plan file. */
export function differenceLines(d: PlanDifference): string[] {
  const i = d.inspections;
  return [
    ...d.plan.map(change),
    ...d.headquarters.map(change),
    ...itemLines('leader', d.leaders, (l) => `leader ${l.id} added (${showValue(l.name)}, ${list(l.email)})`),
    ...itemLines('unit', d.units, (u) => `unit ${u.id} added (${showValue(u.name)}, ${list(u.email)}${u.leader ? `, leader ${u.leader}` : ''})`),
    ...itemLines('aspect', d.aspects, (a) => `aspect ${a.id} added (${showValue(a.title)})`),
    ...d.tasks.added.map((t) => `task ${t.id} added (aspect ${t.aspect}, units ${list(t.units)})`),
    ...d.tasks.retired.map((id) => `task ${id} retired`),
    ...d.tasks.changed.map((t) => `task ${t.id}: ${[...t.changes.map(changeIn), ...t.left.map((u) => `unit ${u} left`), ...t.joined.map((u) => `unit ${u} joined`)].join(', ')}`),
    ...daysLines('workweek', d.calendar.workweek),
    ...daysLines('holidays', d.calendar.holidays),
    ...daysLines('extraWorkdays', d.calendar.extraWorkdays),
    ...d.cadence.map(change),
    ...d.reviews.map(change),
    ...d.assessment.map(change),
    ...d.delivery.map(change),
    ...i.cadence.map((c) => change({ ...c, field: `inspections.cadence.${c.field}` })),
    ...i.coverage.map((c) => change({ ...c, field: `inspections.coverage.${c.field}` })),
    ...i.rounds.added.map((r) => `inspection round ${r.id} added (feedback day ${r.feedbackDay}, ${r.findings} finding${r.findings === 1 ? '' : 's'})`),
    ...i.rounds.removed.map((id) => `inspection round ${id} removed`),
    ...i.rounds.changed.map((r) => `inspection round ${r.id}: ${r.changes.map(changeIn).join(', ')}`),
    ...i.findings.added.map((f) => `finding ${f.id} added (round ${f.round}, unit ${f.unit}${f.deadline ? `, deadline ${f.deadline}` : ''})`),
    ...i.findings.removed.map((id) => `finding ${id} removed`),
    ...i.findings.changed.map((f) => `finding ${f.id}: ${f.changes.map(changeIn).join(', ')}`),
  ];
}
