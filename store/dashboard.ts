/**
 * Headquarters' dashboard from the system of record, aggregated in SQL: counts per state by aspect, unit and quarter
 * for the whole plan, and one aspect's (task, unit, quarter) states for its drill-down. The state of a stored record
 * at `now` is computed in SQL exactly as `periodState()` (workflows/cycle/status.ts) computes it; quarters without a
 * record are `scheduled` (tracked) or `untracked`, which is plan arithmetic, not SQL. An amended plan is counted on
 * its timeline in force (`timelineOf`), with the tasks and pairs its amendments retired (`statusPlanOf`) and the pairs
 * that joined later or left untracked where they have no record (`pairTracked`), as `planStatus()` has it.
 */
import type pg from 'pg';
import { pairTracked, statusPlanOf, timelineOf } from '../workflows/amend/track.js';
import type { PlanTrack } from '../workflows/contract/amend.js';
import type { Plan } from '../workflows/contract/plan.js';
import { PERIOD_STATES, type PeriodState } from '../workflows/contract/status.js';
import type { TrackedPeriod } from '../workflows/cycle/timeline.js';
import { storedPlan } from './records.js';

/**
 * A quarter's own report (round 0) was extended, and an amendment withdrew the record: columns written with the
 * record (migration 010) and carried by the dashboard index, so the state needs no heap or subquery.
 */
const QUARTER_EXTENDED = 'quarter_extended';
const WITHDRAWN = 'withdrawn';

/**
 * The state of a record at `$now` (a timestamptz parameter), as `periodState()` has it for a requested quarter:
 * withdrawn once an amendment took its pair off while it was in progress; returned and awaiting its revision →
 * escalated if its round was escalated, overdue once the revision is due, else requested; submitted → late or
 * submitted; escalated (once extended: only by an escalation after the extension, which `escalated_round` says);
 * overdue once due: the extended day's end (`due_at`), else `deadline`, the quarter's in the timeline in force (an
 * amendment may move it after the record was written), `due_at` when not given.
 */
export const stateSql = (now: string, deadline?: string) => `CASE
  WHEN ${WITHDRAWN} THEN 'withdrawn'
  WHEN awaiting THEN CASE WHEN escalated_round THEN 'escalated' WHEN revision_due_at IS NOT NULL AND ${now} >= revision_due_at THEN 'overdue' ELSE 'requested' END
  WHEN submitted_at IS NOT NULL THEN CASE WHEN COALESCE(days_late, 0) > 0 THEN 'late' ELSE 'submitted' END
  WHEN escalations > 0 AND (escalated_round OR NOT ${QUARTER_EXTENDED}) THEN 'escalated'
  WHEN ${now} >= ${deadline ? `CASE WHEN ${QUARTER_EXTENDED} THEN due_at ELSE ${deadline} END` : 'due_at'} THEN 'overdue'
  ELSE 'requested' END`;

/** Returned and its revision not in yet (the heatmap's `awaitingRevision`). */
const AWAITING_REVISION = `(review IS NOT DISTINCT FROM 'returned' AND revision_due_at IS NOT NULL)`;

/** A record that makes its unit lagging (`isLagging` in client/portal/heatmap.ts): overdue, escalated, late, or awaiting its revision; never once withdrawn. */
const laggingSql = (state: string) => `(${state} IN ('overdue', 'escalated', 'late') OR (${AWAITING_REVISION} AND NOT ${WITHDRAWN}))`;

/** The tracked quarters of the timeline in force with their deadlines, as a relation `q(period, deadline)` of parameters $periods and $deadlines. */
const quartersSql = (periods: string, deadlines: string) => `(SELECT * FROM unnest(${periods}::text[], ${deadlines}::timestamptz[]) AS q(period, deadline))`;

/** What an amended plan is counted with; nothing for a plan never amended. */
interface Counted {
  /** The plan as status shows it: the version in force with the tasks and pairs its amendments retired. */
  plan: Plan;
  timeline: TrackedPeriod[];
  track: PlanTrack | undefined;
  /**
   * Tasks whose records are counted one by one: a pair of theirs joined or left (it may be untracked without a
   * record), or an amendment moved them to another aspect (their records may still name the old one).
   */
  special: Set<string>;
}

/** Tasks an amendment of the plan moved to another aspect (read from the recorded differences). */
async function tasksMovedAspect(pool: pg.Pool, planId: string): Promise<string[]> {
  const { rows } = await pool.query<{ task_id: string }>(
    `SELECT DISTINCT t->>'id' AS task_id FROM plan_versions v, jsonb_array_elements(COALESCE(v.difference->'tasks'->'changed', '[]'::jsonb)) t
     WHERE v.plan_id = $1 AND v.version > 1 AND EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(t->'changes', '[]'::jsonb)) c WHERE c->>'field' = 'aspect')`,
    [planId],
  );
  return rows.map((r) => r.task_id);
}

async function countedOf(pool: pg.Pool, plan: Plan, startedAt: number, track: PlanTrack | undefined): Promise<Counted> {
  const special = new Set<string>();
  if (track) {
    for (const k of [...Object.keys(track.joined), ...Object.keys(track.left)]) special.add(k.split('|')[0]);
    for (const t of await tasksMovedAspect(pool, plan.id)) special.add(t);
  }
  return { plan: statusPlanOf(plan, track), timeline: timelineOf(plan, startedAt, track), track, special };
}

/** The parameters of `quartersSql`: the tracked quarters and their deadlines (ISO). */
function trackedQuarters(timeline: TrackedPeriod[]): [string[], string[]] {
  const tracked = timeline.filter((p) => p.tracked);
  return [tracked.map((p) => p.schedule.period), tracked.map((p) => new Date(p.schedule.deadline).toISOString())];
}

export type StateCounts = Record<PeriodState, number>;

/** Counts over all quarters, per quarter, and how many of them make the unit lagging. */
export interface CountsBlock {
  /** (task, unit) pairs: the number of tasks, for a unit; of unit-tasks, for an aspect. */
  pairs: number;
  counts: StateCounts;
  byPeriod: Record<string, StateCounts>;
  /** Records that are overdue, escalated, late, or awaiting their revision. */
  laggingRecords: number;
}

export interface AspectSummary extends CountsBlock {
  aspectId: string;
  title: string;
  tasks: number;
  /** The aspect's counts for each of its units. */
  units: (CountsBlock & { unitId: string; lagging: boolean })[];
}

export interface UnitSummary extends CountsBlock {
  unitId: string;
  name: string;
  /** True when one of the unit's quarters is overdue, escalated, late, or returned and awaiting its revision. */
  lagging: boolean;
}

export interface DashboardSummary {
  planId: string;
  /** The moment the states are computed for. */
  at: string;
  periods: { period: string; tracked: boolean }[];
  totals: CountsBlock;
  aspects: AspectSummary[];
  units: UnitSummary[];
  laggingUnits: string[];
  /** Notices the mail server has not taken yet (it keeps failing): how many, since when, and its last words; else null. */
  mailRetrying: { notices: number; since: string; reason: string } | null;
}

const zero = (): StateCounts => Object.fromEntries(PERIOD_STATES.map((s) => [s, 0])) as StateCounts;

function block(periods: string[]): CountsBlock {
  return { pairs: 0, counts: zero(), byPeriod: Object.fromEntries(periods.map((p) => [p, zero()])), laggingRecords: 0 };
}

function add(b: CountsBlock, period: string, state: PeriodState, n: number): void {
  b.counts[state] += n;
  b.byPeriod[period][state] += n;
}

/** The started_at of a recorded plan (no plan body), or undefined. */
export async function planStartedAt(pool: pg.Pool, planId: string): Promise<number | undefined> {
  const { rows } = await pool.query('SELECT started_at FROM plans WHERE plan_id = $1', [planId]);
  return rows[0] ? (rows[0].started_at as Date).getTime() : undefined;
}

/** The plan's notices not delivered yet because their hand-over keeps failing, in one row (null when none). */
async function mailRetrying(pool: pg.Pool, planId: string): Promise<DashboardSummary['mailRetrying']> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n, min(failing_since) AS since,
       (array_agg(last_failure ORDER BY updated_at DESC))[1] AS reason
     FROM notices WHERE plan_id = $1 AND failing_since IS NOT NULL AND status IN ('sending', 'unsent')`,
    [planId],
  );
  const r = rows[0];
  return r && r.n > 0 ? { notices: r.n, since: (r.since as Date).toISOString(), reason: r.reason ?? 'not delivered' } : null;
}

/** `laggingSql` for a row whose state is computed: the summary groups by the state and the awaiting flag, and decides here. */
const isLaggingRow = (state: PeriodState, awaitingRevisionNotWithdrawn: boolean) => state === 'overdue' || state === 'escalated' || state === 'late' || awaitingRevisionNotWithdrawn;

/**
 * The summary's one aggregate query: the plan's records of tracked quarters grouped by aspect, unit, quarter, state
 * and whether they await a revision (never once withdrawn), a special task's records by task too. The state is
 * computed once per row (the lagging test is made on the grouped rows), and everything it reads is in the dashboard
 * index, so the query is an index-only scan of the plan's records. Exported for the benchmark's EXPLAIN.
 */
export function summaryQuery(planId: string, tracked: string[], deadlines: string[], now: number, special: string[]): { text: string; values: unknown[] } {
  const state = stateSql('$3::timestamptz', 'q.deadline');
  return {
    text: `SELECT aspect_id, unit_id, period, task_id, state, awaiting_revision, count(*)::int AS n
     FROM (SELECT aspect_id, unit_id, period, CASE WHEN task_id = ANY($5::text[]) THEN task_id END AS task_id, ${state} AS state,
             (${AWAITING_REVISION} AND NOT ${WITHDRAWN}) AS awaiting_revision
           FROM report_records JOIN ${quartersSql('$2', '$4')} q USING (period) WHERE plan_id = $1) r
     GROUP BY aspect_id, unit_id, period, task_id, state, awaiting_revision`,
    values: [planId, tracked, new Date(now).toISOString(), deadlines, special],
  };
}

/** The parameters of the summary's query for a plan at `now` (what `dashboardSummary` sends). */
export async function summaryQueryOf(pool: pg.Pool, plan: Plan, startedAt: number, now: number, track?: PlanTrack): Promise<{ text: string; values: unknown[] }> {
  const { timeline, special } = await countedOf(pool, plan, startedAt, track);
  const [tracked, deadlines] = trackedQuarters(timeline);
  return summaryQuery(plan.id, tracked, deadlines, now, [...special]);
}

/**
 * Counts per state for every aspect and unit of the plan (over all quarters and per quarter) at `now`, and which
 * units are lagging: one aggregate query over the plan's records of tracked quarters; the quarters with no record
 * are counted from the plan. `plan` is the version in force and `track` what its amendments track (none for a plan
 * never amended): the counts are those of `planStatus()`.
 */
export async function dashboardSummary(pool: pg.Pool, plan: Plan, startedAt: number, now = Date.now(), track?: PlanTrack): Promise<DashboardSummary> {
  const { plan: shown, timeline, special } = await countedOf(pool, plan, startedAt, track);
  const periods = timeline.map((p) => p.schedule.period);
  const byPeriod = new Map(timeline.map((p) => [p.schedule.period, p]));
  const [tracked, deadlines] = trackedQuarters(timeline);
  const query = summaryQuery(plan.id, tracked, deadlines, now, [...special]);
  const { rows: grouped } = await pool.query<{ aspect_id: string; unit_id: string; period: string; task_id: string | null; state: PeriodState; awaiting_revision: boolean; n: number }>(query.text, query.values);
  const rows = grouped.map((r) => ({ ...r, lagging: isLaggingRow(r.state, r.awaiting_revision) }));

  const totals = block(periods);
  const units = new Map<string, UnitSummary>(shown.units.map((u) => [u.id, { unitId: u.id, name: u.name, lagging: false, ...block(periods) }]));
  const aspects = new Map<string, AspectSummary & { byUnit: Map<string, CountsBlock & { unitId: string; lagging: boolean }> }>(
    shown.aspects.map((a) => [a.id, { aspectId: a.id, title: a.title, tasks: 0, units: [], byUnit: new Map(), ...block(periods) }]),
  );
  const cellOf = (aspectId: string, unitId: string) => {
    const a = aspects.get(aspectId);
    if (!a) return undefined;
    let c = a.byUnit.get(unitId);
    if (!c) a.byUnit.set(unitId, (c = { unitId, lagging: false, ...block(periods) }));
    return c;
  };
  const blocksOf = (aspectId: string, unitId: string) => [cellOf(aspectId, unitId), aspects.get(aspectId), units.get(unitId), totals].filter((b) => b !== undefined);
  // What a quarter of a special pair is without a record: scheduled only while the pair is tracked in it.
  const bare = (taskId: string, unitId: string, p: TrackedPeriod): PeriodState => (pairTracked(track, taskId, unitId, p, false) ? 'scheduled' : 'untracked');
  // The plan's (task, unit) pairs per aspect and unit: every quarter of each is scheduled or untracked until a record
  // says otherwise; a special task's pairs one by one, the others by their number per (aspect, unit).
  const ordinary = new Map<string, number>();
  for (const t of shown.tasks) {
    const a = aspects.get(t.aspect);
    if (!a) continue;
    a.tasks++;
    for (const u of t.units) {
      cellOf(t.aspect, u)!.pairs++;
      a.pairs++;
      totals.pairs++;
      const unit = units.get(u);
      if (unit) unit.pairs++;
      if (special.has(t.id)) {
        for (const p of timeline) for (const b of blocksOf(t.aspect, u)) add(b, p.schedule.period, bare(t.id, u, p), 1);
      } else {
        const k = `${t.aspect}\u0000${u}`;
        ordinary.set(k, (ordinary.get(k) ?? 0) + 1);
      }
    }
  }
  for (const [k, n] of ordinary) {
    const [aspectId, unitId] = k.split('\u0000');
    for (const p of timeline) for (const b of blocksOf(aspectId, unitId)) add(b, p.schedule.period, p.tracked ? 'scheduled' : 'untracked', n);
  }
  const taskOf = new Map(shown.tasks.map((t) => [t.id, t]));
  for (const r of rows) {
    // A special task's records count under the aspect it has now, in place of what its pair would be without them.
    const task = r.task_id === null ? undefined : taskOf.get(r.task_id);
    if (r.task_id !== null && !task?.units.includes(r.unit_id)) continue; // a record of a pair the plan does not have
    const aspectId = task?.aspect ?? r.aspect_id;
    const cell = aspects.get(aspectId)?.byUnit.get(r.unit_id);
    if (!cell || !units.has(r.unit_id)) continue; // a record of an aspect or unit the plan does not pair
    const instead = task ? bare(task.id, r.unit_id, byPeriod.get(r.period)!) : 'scheduled';
    for (const b of blocksOf(aspectId, r.unit_id)) {
      add(b, r.period, instead, -r.n);
      add(b, r.period, r.state, r.n);
      if (r.lagging) b.laggingRecords += r.n;
    }
    if (r.lagging) {
      cell.lagging = true;
      units.get(r.unit_id)!.lagging = true;
    }
  }
  const unitOrder = shown.units.map((u) => u.id);
  return {
    planId: plan.id,
    at: new Date(now).toISOString(),
    periods: timeline.map((p) => ({ period: p.schedule.period, tracked: p.tracked })),
    totals,
    aspects: [...aspects.values()].map(({ byUnit, ...a }) => ({
      ...a,
      units: unitOrder.filter((u) => byUnit.has(u)).map((u) => byUnit.get(u)!),
    })),
    units: [...units.values()],
    laggingUnits: [...units.values()].filter((u) => u.lagging).map((u) => u.unitId),
    mailRetrying: await mailRetrying(pool, plan.id),
  };
}

/** One quarter of one (task, unit) in a drill-down (the shape of the heatmap's cell). */
export interface DrillCell {
  period: string;
  state: PeriodState;
  review: 'accepted' | 'returned' | null;
  awaitingRevision: boolean;
}

export interface DrillDown {
  planId: string;
  aspectId: string;
  at: string;
  periods: string[];
  /** Units with a lagging record in this aspect. */
  laggingUnits: string[];
  /** The aspect's tasks in plan order, each with its units (only the lagging ones with `laggingOnly`) and a cell per quarter. */
  tasks: { taskId: string; title: string; units: { unitId: string; cells: DrillCell[] }[] }[];
}

/**
 * One aspect's tasks with the state of every (task, unit, quarter) at `now`: one query over that aspect's records
 * (the (plan_id, aspect_id, …) index), with the lagging filter in SQL: `laggingOnly` keeps the units that have a
 * lagging record in this aspect. The plan is read from the database unless given (the version in force, with the
 * moment it started and its track); an amended plan shows its timeline in force and the tasks and pairs it retired.
 */
export async function aspectDrillDown(
  pool: pg.Pool,
  planId: string,
  aspectId: string,
  now = Date.now(),
  options: { laggingOnly?: boolean; plan?: Plan; startedAt?: number; track?: PlanTrack } = {},
): Promise<DrillDown | undefined> {
  let plan = options.plan;
  let startedAt = options.startedAt;
  let track = options.track;
  if (!plan || startedAt === undefined) {
    const stored = await storedPlan(pool, planId);
    if (!stored) return undefined;
    if (!plan) track = stored.track;
    plan ??= stored.plan;
    startedAt ??= stored.startedAt;
  }
  const { plan: shown, timeline, special } = await countedOf(pool, plan, startedAt, track);
  if (!shown.aspects.some((a) => a.id === aspectId)) return undefined;
  const [tracked, deadlines] = trackedQuarters(timeline);
  // The aspect's special tasks are read by task: their records may still name the aspect they had before.
  const mine = shown.tasks.filter((t) => t.aspect === aspectId);
  const specialHere = mine.filter((t) => special.has(t.id)).map((t) => t.id);
  const state = stateSql('$4::timestamptz', 'q.deadline');
  const { rows } = await pool.query<{ task_id: string; unit_id: string; period: string; state: PeriodState; review: 'accepted' | 'returned' | null; awaiting_revision: boolean; lagging: boolean }>(
    `WITH r AS (
       SELECT task_id, unit_id, period, ${state} AS state, review, ${AWAITING_REVISION} AS awaiting_revision, ${laggingSql(state)} AS lagging
       FROM report_records JOIN ${quartersSql('$3', '$6')} q USING (period)
       WHERE plan_id = $1 AND ${special.size ? '(aspect_id = $2 AND NOT task_id = ANY($8::text[]) OR task_id = ANY($7::text[]))' : 'aspect_id = $2'})
     SELECT * FROM r WHERE NOT $5::boolean OR unit_id IN (SELECT unit_id FROM r WHERE lagging)`,
    [planId, aspectId, tracked, new Date(now).toISOString(), options.laggingOnly === true, deadlines, ...(special.size ? [specialHere, [...special]] : [])],
  );
  const byKey = new Map(rows.map((r) => [`${r.task_id}|${r.unit_id}|${r.period}`, r]));
  const lagging = new Set(rows.filter((r) => r.lagging).map((r) => r.unit_id));
  const tasks: DrillDown['tasks'] = [];
  for (const t of mine) {
    const units = t.units
      .filter((u) => !options.laggingOnly || lagging.has(u))
      .map((unitId) => ({
        unitId,
        cells: timeline.map((p): DrillCell => {
          const period = p.schedule.period;
          const r = p.tracked ? byKey.get(`${t.id}|${unitId}|${period}`) : undefined;
          if (!r) return { period, state: pairTracked(track, t.id, unitId, p, false) ? 'scheduled' : 'untracked', review: null, awaitingRevision: false };
          return { period, state: r.state, review: r.review ?? null, awaitingRevision: r.awaiting_revision };
        }),
      }));
    if (units.length) tasks.push({ taskId: t.id, title: t.title, units });
  }
  return {
    planId,
    aspectId,
    at: new Date(now).toISOString(),
    periods: timeline.map((p) => p.schedule.period),
    laggingUnits: shown.units.map((u) => u.id).filter((u) => lagging.has(u)),
    tasks,
  };
}
