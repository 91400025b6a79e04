/**
 * Part 4: reads of the system of record on a large plan (10,000 tasks x 5 units, 4 requested quarters: 200,000
 * records), on a temporary embedded PostgreSQL: the unit's form (the same calls as client/portal/routes/unit.ts),
 * headquarters' summary (`dashboardSummary`) and one aspect's drill-down (`aspectDrillDown`, also with the lagging
 * filter).
 */
import type pg from 'pg';
import { freePorts } from '../../client/dev-server.js';
import { drillHeatmap } from '../../client/portal/heatmap.js';
import { en } from '../../client/portal/catalogue/en.js';
import { aspectPage } from '../../client/portal/views/hq.js';
import { latestReports, planStatus, runningPlan, taskTimeline } from '../../client/plans.js';
import { aspectDrillDown, dashboardSummary, planStartedAt, summaryQueryOf } from '../../store/dashboard.js';
import { temporaryEmbeddedPostgres } from '../../store/embedded.js';
import { openStore } from '../../store/pool.js';
import { recordPlan, recordProgress } from '../../store/records.js';
import { periodsOf } from '../../workflows/calendar/index.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { textOf, withoutTexts, type RecordChange } from '../../workflows/contract/progress.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { cycleTimeline, type TrackedPeriod } from '../../workflows/cycle/timeline.js';
import { generatePlan } from '../generate-plan.js';
import { now, round, summarize, type LatencySummary } from './stats.js';

export const READ_TARGETS = { dashboardMaxMs: 1000 };

export interface ReadsOptions {
  tasks: number;
  units: number;
  /** Quarters with records (the first ones of the plan). */
  requestedQuarters: number;
  /** Measured runs of each read. */
  runs: number;
  batchSize: number;
}

export interface ReadFigures {
  options: ReadsOptions;
  plan: { id: string; tasks: number; units: number; aspects: number; quarters: number; planJsonKiB: number };
  seeding: { records: number; revisions: number; decisions: number; batches: number; wallMs: number; recordsPerSecond: number; tableMiB: number; vacuumMs: number };
  /** The moment the states are computed for. */
  at: string;
  /** Queries per unit form view (the same for every (task, unit, quarter) of the plan). */
  queriesPerForm: number[];
  form: LatencySummary;
  /** runningPlan alone (the plan's body: what the portal caches for 5 s). */
  runningPlan: LatencySummary;
  /** The summary measured before VACUUM (right after the bulk load, no visibility map yet). */
  dashboardBeforeVacuum: LatencySummary;
  dashboard: LatencySummary;
  /** The summary query's plan after VACUUM (EXPLAIN ANALYZE): its scan of report_records, heap fetches, and time in the server. */
  summaryPlan: { scan: string; heapFetches: number; executionMs: number; planningMs: number };
  drillDown: LatencySummary;
  drillDownLagging: LatencySummary;
  drillDownRows: { all: number; lagging: number; laggingUnits: number };
  /** Building and rendering the aspect's heatmap page (one run). */
  aspectPage: { ms: number; kiB: number };
  summaryCounts: Record<string, number>;
}

/** EXPLAIN ANALYZE of the summary's query: how it read report_records (the node type and index), and its heap fetches. */
async function explainSummary(db: pg.Pool, plan: Plan, startedAt: number, at: number): Promise<ReadFigures['summaryPlan']> {
  const q = await summaryQueryOf(db, plan, startedAt, at);
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.text}`, q.values);
  const top = rows[0]['QUERY PLAN'][0] as { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number };
  interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Heap Fetches'?: number; Plans?: PlanNode[] }
  const scans: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    if (n['Relation Name'] === 'report_records') scans.push(n);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(top.Plan);
  return {
    scan: scans.map((n) => `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`).join(' + ') || 'no scan of report_records',
    heapFetches: scans.reduce((sum, n) => sum + (n['Heap Fetches'] ?? 0), 0),
    executionMs: round(top['Execution Time'], 1),
    planningMs: round(top['Planning Time'], 1),
  };
}

/** A deterministic pseudo-random number in [0, 1) for a key. */
function hash(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

const DAY = 86_400_000;
const words = 'the works on site two are done and the third site waits for the supplier while the team prepares the next phase of the plan'.split(' ');
const text = (key: string, n: number) => Array.from({ length: n }, (_, i) => words[Math.floor(hash(`${key}:${i}`) * words.length)]).join(' ');

/**
 * One record of a requested quarter, with a realistic mix: most on time (some accepted, some returned and revised),
 * some late, some returned and awaiting their revision (some of those escalated again), some escalated or overdue
 * without a report; in the last requested quarter half are still open.
 */
function synthesise(taskId: string, unitId: string, p: TrackedPeriod, last: boolean): { record: UnitPeriodRecord; full: UnitPeriodRecord } {
  const key = `${taskId}|${unitId}|${p.schedule.period}`;
  const x = hash(key);
  const s = p.schedule;
  const sent: NonNullable<UnitPeriodRecord['sent']> = [{ kind: 'request', number: 1, round: 0, at: p.requestAt }];
  for (const r of s.reminders.slice(0, 2)) sent.push({ kind: 'reminder', number: r.number, round: 0, at: r.at });
  const revision = (id: string, at: number, status = 'on-track') => ({
    requestId: `${key}:${id}`,
    arrivedAt: at,
    status,
    summary: text(`${key}:${id}:s`, 40),
    progress: Math.round(hash(`${key}:${id}:p`) * 100),
    ...(status !== 'on-track' ? { problems: text(`${key}:${id}:q`, 25) } : {}),
    nextSteps: text(`${key}:${id}:n`, 15),
    submittedBy: `Officer ${unitId}`,
  });
  const base = { requestedAt: p.requestAt, reminders: 2, escalations: 0, deliveryIssues: [], sent };
  let full: UnitPeriodRecord;
  const onTime = s.deadline - 2 * DAY;
  const returnAt = s.deadline + 2 * DAY;
  const returnDecision = { decision: 'return' as const, at: returnAt, requestId: `${key}:d1`, comment: text(`${key}:c`, 12), by: 'Desk', revisionDueDay: new Date(returnAt + 6 * DAY).toISOString().slice(0, 10), revisionDeadline: returnAt + 7 * DAY };
  if (last && x < 0.5) {
    full = { ...base, revisions: [] }; // still open: requested, or overdue after the deadline
  } else if (x < 0.62) {
    const accepted = hash(`${key}:a`) < 0.5;
    full = { ...base, submittedAt: onTime, daysLate: 0, revisions: [revision('r1', onTime)], ...(accepted ? { decisions: [{ decision: 'accept', at: s.deadline + DAY, requestId: `${key}:d1`, by: 'Desk' }] } : {}) };
  } else if (x < 0.7) {
    // returned, then revised
    full = { ...base, submittedAt: onTime, daysLate: 0, revisions: [revision('r1', onTime, 'at-risk'), revision('r2', returnAt + 3 * DAY)], decisions: [returnDecision] };
  } else if (x < 0.82) {
    const late = 1 + Math.floor(hash(`${key}:l`) * 10);
    full = { ...base, submittedAt: s.deadline + late * DAY, daysLate: late, revisions: [revision('r1', s.deadline + late * DAY, 'at-risk')] };
  } else if (x < 0.88) {
    // returned, awaiting its revision; a third of them escalated in that round
    const escalated = hash(`${key}:e`) < 0.33;
    full = {
      ...base,
      submittedAt: onTime,
      daysLate: 0,
      revisions: [revision('r1', onTime, 'off-track')],
      decisions: [returnDecision],
      awaitingSince: returnAt,
      sent: [...sent, { kind: 'returned', number: 1, round: 1, at: returnAt }, ...(escalated ? [{ kind: 'escalation', number: 1, round: 1, at: returnAt + 10 * DAY }] : [])],
    };
  } else if (x < 0.96) {
    full = { ...base, escalations: 1, escalatedAt: [s.deadline + 3 * DAY], revisions: [], sent: [...sent, { kind: 'escalation', number: 1, round: 0, at: s.deadline + 3 * DAY }] };
  } else {
    full = { ...base, revisions: [] }; // overdue, not escalated yet
  }
  return { full, record: withoutTexts(full) };
}

/** The benchmark: seeds the plan, then measures each read `runs` times (after a few warm-up runs). */
export async function readsBench(o: ReadsOptions, say: (s: string) => void): Promise<ReadFigures> {
  const checked = checkPlan(generatePlan({ id: 'bench-reads', tasks: o.tasks, unitsPerTask: o.units, units: o.units, years: 2, startYear: 2027 }));
  if (!checked.ok) throw new Error(`generated plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const plan: Plan = checked.plan;
  const startedAt = Date.parse('2026-12-01T00:00:00Z');
  const timeline = cycleTimeline(plan, startedAt);
  const requested = timeline.slice(0, o.requestedQuarters);
  // Two days before the last requested quarter's deadline: its open reports are requested, the earlier ones' overdue.
  const at = requested[requested.length - 1].schedule.deadline - 2 * DAY;

  const [port] = await freePorts(1);
  const server = await temporaryEmbeddedPostgres(port, 'bench_reads');
  const store = await openStore(server.url, { max: 4 });
  const db = store.pool;
  try {
    say(`  embedded PostgreSQL on port ${port}; plan ${plan.id}: ${plan.tasks.length} tasks x ${o.units} units, ${plan.aspects.length} aspects, ${timeline.length} quarters (${o.requestedQuarters} requested)`);
    await recordPlan(db, { planId: plan.id, version: 1, plan, startedAt, layout: layoutOf(plan) });

    // ---- seeding, through the store's own writers, in batches
    const t0 = now();
    let batch: RecordChange[] = [];
    let records = 0;
    let revisions = 0;
    let decisions = 0;
    let batches = 0;
    const flush = async () => {
      if (!batch.length) return;
      await recordProgress(db, { planId: plan.id, changes: batch });
      batches++;
      batch = [];
    };
    for (const [qi, p] of requested.entries()) {
      for (const task of plan.tasks) {
        for (const unitId of task.units) {
          const { full, record } = synthesise(task.id, unitId, p, qi === requested.length - 1);
          batch.push({ taskId: task.id, unitId, period: p.schedule.period, aspectId: task.aspect, deadline: p.schedule.deadline, record, texts: full.revisions.map(textOf) });
          records++;
          revisions += full.revisions.length;
          decisions += full.decisions?.length ?? 0;
          if (batch.length === o.batchSize) await flush();
        }
      }
      say(`  seeded ${p.schedule.period}: ${records} records so far, ${((now() - t0) / 1000).toFixed(1)} s`);
    }
    await flush();
    const seedMs = now() - t0;
    const size = await db.query(`SELECT pg_total_relation_size('report_records') AS records, octet_length(plan::text) AS plan FROM plan_versions WHERE plan_id = $1`, [plan.id]);
    say(`  seeding: ${records} records, ${revisions} revisions, ${decisions} decisions in ${batches} batches of ${o.batchSize}: ${(seedMs / 1000).toFixed(1)} s (${Math.round(records / (seedMs / 1000))} records/s)`);

    const measure = async (name: string, runs: number, f: (i: number) => Promise<unknown>): Promise<LatencySummary> => {
      for (let i = 0; i < Math.min(5, runs); i++) await f(-1 - i); // warm-up
      const latencies: number[] = [];
      const w0 = now();
      for (let i = 0; i < runs; i++) {
        const s = now();
        await f(i);
        latencies.push(now() - s);
      }
      const summary = summarize(latencies, 0, now() - w0);
      say(`  ${name}: p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, max ${summary.maxMs} ms (${runs} runs)`);
      return summary;
    };

    const dashboardOnce = async () => dashboardSummary(db, plan, (await planStartedAt(db, plan.id))!, at);
    const dashboardBeforeVacuum = await measure('dashboard before VACUUM', 20, dashboardOnce);
    const v0 = now();
    await db.query('VACUUM (ANALYZE) report_records');
    await db.query('VACUUM (ANALYZE) report_revisions');
    const vacuumMs = now() - v0;
    say(`  VACUUM (ANALYZE), as autovacuum does after a bulk load: ${(vacuumMs / 1000).toFixed(1)} s`);

    // ---- (a) the unit's form: the same calls as GET /report (routes/unit.ts), for a different (task, unit, quarter) each run
    const quarters = periodsOf(plan.start, plan.end).map((p) => p.id);
    const pick = (i: number) => {
      const task = plan.tasks[Math.floor(hash(`form:${i}`) * plan.tasks.length)];
      return { task, unitId: task.units[Math.floor(hash(`unit:${i}`) * task.units.length)], period: requested[Math.floor(hash(`q:${i}`) * requested.length)].schedule.period };
    };
    let counting = false;
    let queries = 0;
    const query = db.query.bind(db) as (...args: unknown[]) => unknown;
    (db as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (counting) queries++;
      return query(...args);
    };
    const formView = async (i: number) => {
      const { task, unitId, period } = pick(i);
      const running = await runningPlan(db, plan.id); // loadPlan, when its 5 s cache has expired
      const status = await planStatus(db, running.id, { taskId: task.id, unitId });
      const p = status.tasks[0]?.units[0]?.periods.find((x) => x.period === period);
      await latestReports(db, running.id, task.id, unitId, quarters.filter((id) => id <= period));
      if (p?.review === 'returned') await taskTimeline(db, running.id, task.id); // the last return's comment
      return p;
    };
    const queriesPerForm = new Set<number>();
    for (let i = 0; i < 50; i++) {
      counting = true;
      queries = 0;
      await formView(1000 + i);
      counting = false;
      queriesPerForm.add(queries);
    }
    const form = await measure('unit form view', o.runs, formView);
    const running = await measure('  of which runningPlan', o.runs, () => runningPlan(db, plan.id));

    // ---- (b) the summary, (c) one aspect's drill-down
    const dashboard = await measure('dashboard summary', o.runs, dashboardOnce);
    const summaryPlan = await explainSummary(db, plan, (await planStartedAt(db, plan.id))!, at);
    say(`  summary query: ${summaryPlan.scan}, ${summaryPlan.heapFetches} heap fetches, ${summaryPlan.executionMs} ms in the server (planning ${summaryPlan.planningMs} ms)`);
    const aspectId = plan.aspects[2].id;
    const drill = () => aspectDrillDown(db, plan.id, aspectId, at, { plan, startedAt });
    const drillLagging = () => aspectDrillDown(db, plan.id, aspectId, at, { plan, startedAt, laggingOnly: true });
    const drillDown = await measure(`drill-down of ${aspectId}`, o.runs, drill);
    const drillDownLagging = await measure(`drill-down of ${aspectId}, lagging units only`, o.runs, drillLagging);
    const all = (await drill())!;
    const lagging = (await drillLagging())!;
    const rows = (d: typeof all) => d.tasks.reduce((n, t) => n + t.units.length, 0);
    const r0 = now();
    const html = aspectPage(en, 'csrf', plan, plan.aspects[2], drillHeatmap(plan, all), false).toString();
    const pageMs = now() - r0;
    const summary = await dashboardOnce();
    return {
      options: o,
      plan: { id: plan.id, tasks: plan.tasks.length, units: plan.units.length, aspects: plan.aspects.length, quarters: timeline.length, planJsonKiB: Math.round(size.rows[0].plan / 1024) },
      seeding: { records, revisions, decisions, batches, wallMs: round(seedMs, 0), recordsPerSecond: Math.round(records / (seedMs / 1000)), tableMiB: round(size.rows[0].records / 2 ** 20, 1), vacuumMs: round(vacuumMs, 0) },
      at: new Date(at).toISOString(),
      queriesPerForm: [...queriesPerForm].sort(),
      form,
      runningPlan: running,
      dashboardBeforeVacuum,
      dashboard,
      summaryPlan,
      drillDown,
      drillDownLagging,
      drillDownRows: { all: rows(all), lagging: rows(lagging), laggingUnits: lagging.laggingUnits.length },
      aspectPage: { ms: round(pageMs, 1), kiB: Math.round(Buffer.byteLength(html) / 1024) },
      summaryCounts: summary.totals.counts,
    };
  } finally {
    await store.close().catch(() => {});
    await server.stop();
  }
}

/** Prints the figures as the bench's other parts do. */
export function readsTables(r: ReadFigures, table: (head: string[], rows: (string | number)[][]) => string, passFail: (ok: boolean) => string): string[] {
  const ok = r.dashboard.p99Ms < READ_TARGETS.dashboardMaxMs;
  const row = (name: string, s: LatencySummary, target: string, verdict: string) => [name, s.calls, s.p50Ms, s.p99Ms, s.maxMs, target, verdict];
  return [
    `plan ${r.plan.id}: ${r.plan.tasks} tasks x ${r.plan.units} units, ${r.plan.aspects} aspects, ${r.plan.quarters} quarters (${r.options.requestedQuarters} requested), plan JSON ${r.plan.planJsonKiB} KiB; states at ${r.at}`,
    `seeding: ${r.seeding.records} records (${r.seeding.revisions} revisions, ${r.seeding.decisions} decisions) in ${r.seeding.batches} recordProgress batches of ${r.options.batchSize}: ${fmtS(r.seeding.wallMs)} (${r.seeding.recordsPerSecond} records/s); report_records ${r.seeding.tableMiB} MiB; VACUUM ANALYZE ${fmtS(r.seeding.vacuumMs)}`,
    table(
      ['read (embedded PostgreSQL)', 'runs', 'p50 ms', 'p99 ms', 'max ms', 'target', 'verdict'],
      [
        row('unit form view', r.form, `${r.queriesPerForm.join('/')} queries`, '-'),
        row('  of which runningPlan', r.runningPlan, '-', '-'),
        row('dashboard summary (before VACUUM)', r.dashboardBeforeVacuum, '-', '-'),
        row('dashboard summary', r.dashboard, `< ${READ_TARGETS.dashboardMaxMs} ms`, passFail(ok)),
        row(`drill-down, ${r.drillDownRows.all} unit-task rows`, r.drillDown, '-', '-'),
        row(`drill-down, lagging (${r.drillDownRows.laggingUnits} units, ${r.drillDownRows.lagging} rows)`, r.drillDownLagging, '-', '-'),
      ],
    ),
    `summary query (EXPLAIN ANALYZE after VACUUM): ${r.summaryPlan.scan}, ${r.summaryPlan.heapFetches} heap fetches, ${r.summaryPlan.executionMs} ms in the server`,
    `aspect heatmap page (drillHeatmap + aspectPage, one run): ${r.aspectPage.ms} ms, ${r.aspectPage.kiB} KiB of HTML`,
    `summary states: ${Object.entries(r.summaryCounts).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
