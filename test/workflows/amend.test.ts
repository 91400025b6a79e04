/**
 * A plan started with only 2027's holidays, amended on 2028-01-03 10:00 (Asia/Shanghai), in the middle of 2027-Q4's
 * ladder, with 2028's holidays, a new task, a unit replaced on a task, a changed address and an extra reminder day.
 * Rehearsed on the time-skipping server through the same call as `plan amend`; every cycle notice is compared with a
 * schedule worked out by hand below from the rules of issue "Amend a running plan" §2 (not from the engine's code).
 */
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createSmtpMailer } from '../../activities/index.js';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { planHistory } from '../../store/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { validPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';
import { recordAllRuns } from '../helpers/histories.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

const PLAN = 'amend-2027';
const T = '2028-01-03T10:00:00+08:00';

function v1(id = PLAN): Plan {
  return validPlan({
    id,
    title: 'Amended plan',
    timezone: 'Asia/Shanghai',
    start: '2027-07-01',
    end: '2028-06-30',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [
      { id: 'l1', name: 'Leader One', email: 'l1@example.org' },
      { id: 'l2', name: 'Leader Two', email: 'l2@example.org' },
    ],
    units: [
      { id: 'A', name: 'Unit A', email: 'a@example.org', leader: 'l1' },
      { id: 'B', name: 'Unit B', email: 'b@example.org', leader: 'l1' },
      { id: 'C', name: 'Unit C', email: 'c@example.org', leader: 'l2' },
    ],
    aspects: [{ id: 'x', title: 'Aspect X' }],
    tasks: [
      { id: 't1', aspect: 'x', title: 'Task One', units: ['A', 'B'] },
      { id: 't2', aspect: 'x', title: 'Task Two', units: ['C'] },
    ],
    cadence: {
      sendTime: '09:00',
      requestOffsetDays: -5,
      dueOffsetDays: 7,
      reminderDays: [-5, -2],
      escalation: [
        { afterDaysOverdue: 3, to: 'unitLeader' },
        { afterDaysOverdue: 10, to: 'headquarters' },
      ],
      closeAfterDays: 30,
    },
    calendar: {
      workweek: ['mon', 'tue', 'wed', 'thu', 'fri'],
      holidays: ['2027-10-01', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'],
      extraWorkdays: ['2027-09-26', '2027-10-09'],
    },
  });
}

/** Version 2: 2028's holidays, reminders -6/-4/-2, task t3 (A, D), unit D instead of C on t2, A's new address. */
function v2(id = PLAN): Plan {
  const p = v1(id);
  return validPlan({
    ...p,
    units: [...p.units.map((u) => (u.id === 'A' ? { ...u, email: 'a2@example.org' } : u)), { id: 'D', name: 'Unit D', email: 'd@example.org', leader: 'l2' }],
    tasks: [p.tasks[0], { ...p.tasks[1], units: ['D'] }, { id: 't3', aspect: 'x', title: 'Task Three', units: ['A', 'D'] }],
    cadence: { ...p.cadence, reminderDays: [-6, -4, -2] },
    calendar: { ...p.calendar!, holidays: [...p.calendar!.holidays, '2028-01-07', '2028-04-03'] },
  });
}

const at9 = (day: string) => `${day}T01:00:00.000Z`; // 09:00 Asia/Shanghai
const TZ = '2028-01-03T02:00:00.000Z';
const mail = { A: ['a@example.org'], A2: ['a2@example.org'], B: ['b@example.org'], C: ['c@example.org'], D: ['d@example.org'] };
const leader = { A: ['l1@example.org'], B: ['l1@example.org'], C: ['l2@example.org'], D: ['l2@example.org'] };
type Row = { at: string; key: string; to: string[]; cc: string[] };

/** One silent pair's ladder: request, numbered reminders, two escalation levels. */
function ladder(task: string, unit: 'A' | 'C' | 'D', period: string, to: string[], steps: { request?: string; reminders: [number, string][]; escalations: [number, string][] }): Row[] {
  const k = (kind: string, n: number) => `${PLAN}/${task}/${unit}/${period}/${kind}/${n}`;
  const rows: Row[] = [];
  if (steps.request) rows.push({ at: steps.request, key: k('request', 1), to, cc: [] });
  for (const [n, day] of steps.reminders) rows.push({ at: at9(day), key: k('reminder', n), to, cc: [] });
  for (const [level, day] of steps.escalations) {
    rows.push(level === 1 ? { at: at9(day), key: k('escalation', 1), to: leader[unit], cc: to } : { at: at9(day), key: k('escalation', 2), to: ['hq@example.org'], cc: leader[unit] });
  }
  return rows;
}

/**
 * Worked out by hand (working days Mon-Fri; 2027-10-01..07 off but for the weekend, 09-26 and 10-09 worked; version 2
 * adds 2028-01-07 and 2028-04-03 off). Requests 5 days before a quarter's end and reminders before the due day move
 * back to a working day, the due day (7 days after) and escalations (3 and 10 days overdue) forward.
 * - 2027-Q3 (version 1; closed 11-08, before T): request Fri 09-24 (09-25 Sat), due Fri 10-08 (10-07 off); reminders
 *   -5 Sun 10-03 and -2 Wed 10-06 (off) both back to Thu 09-30: one reminder; escalations Mon 10-11, Mon 10-18.
 * - 2027-Q4, requested Fri 12-24 under version 1 (due Fri 01-07, reminders Fri 12-31 [-5 Sun 01-02 back] and Wed
 *   01-05). Sent before T: the request and reminder 1. Version 2: 01-07 is off, so due Mon 01-10; reminders -6 Tue
 *   01-04, -4 Thu 01-06, -2 Sat 01-08 back to Thu 01-06 (once): numbered on, 2 and 3; escalations Thu 01-13, Thu 01-20.
 *   D joins t2 and A, D the new t3 as if the plan had started at T: request at T, reminders 1 Tue 01-04, 2 Thu 01-06,
 *   the same escalations. C leaves t2: its quarter is withdrawn, nothing more goes to it.
 * - 2028-Q1 (version 2): request Fri 03-24 (03-26 Sun), due Fri 04-07; reminders -6 Sat 04-01 and -4 Mon 04-03 (off)
 *   both back to Fri 03-31, -2 Wed 04-05; escalations Mon 04-10, Mon 04-17.
 * - 2028-Q2 (version 2): request Fri 06-23 (06-25 Sun), due Fri 07-07; reminders Fri 06-30 (07-01 Sat), Mon 07-03,
 *   Wed 07-05; escalations Mon 07-10, Mon 07-17.
 * B answers each request the day after it, so it gets only the requests; everyone else stays silent. A's address
 * changes at T.
 */
function expected(): Row[] {
  const rows: Row[] = [];
  const b = (period: string, day: string, to = mail.B) => rows.push({ at: at9(day), key: `${PLAN}/t1/B/${period}/request/1`, to, cc: [] });
  // 2027-Q3, version 1.
  const q3 = { request: at9('2027-09-24'), reminders: [[1, '2027-09-30']] as [number, string][], escalations: [[1, '2027-10-11'], [2, '2027-10-18']] as [number, string][] };
  rows.push(...ladder('t1', 'A', '2027-Q3', mail.A, q3), ...ladder('t2', 'C', '2027-Q3', mail.C, q3));
  b('2027-Q3', '2027-09-24');
  // 2027-Q4: before T by version 1, after it by version 2.
  rows.push(...ladder('t1', 'A', '2027-Q4', mail.A, { request: at9('2027-12-24'), reminders: [[1, '2027-12-31']], escalations: [] }));
  rows.push(...ladder('t2', 'C', '2027-Q4', mail.C, { request: at9('2027-12-24'), reminders: [[1, '2027-12-31']], escalations: [] }));
  b('2027-Q4', '2027-12-24');
  rows.push(...ladder('t1', 'A', '2027-Q4', mail.A2, { reminders: [[2, '2028-01-04'], [3, '2028-01-06']], escalations: [[1, '2028-01-13'], [2, '2028-01-20']] }));
  const joined = { request: TZ, reminders: [[1, '2028-01-04'], [2, '2028-01-06']] as [number, string][], escalations: [[1, '2028-01-13'], [2, '2028-01-20']] as [number, string][] };
  rows.push(...ladder('t2', 'D', '2027-Q4', mail.D, joined), ...ladder('t3', 'A', '2027-Q4', mail.A2, joined), ...ladder('t3', 'D', '2027-Q4', mail.D, joined));
  // 2028-Q1 and Q2, version 2.
  const q1 = { request: at9('2028-03-24'), reminders: [[1, '2028-03-31'], [2, '2028-04-05']] as [number, string][], escalations: [[1, '2028-04-10'], [2, '2028-04-17']] as [number, string][] };
  const q2 = { request: at9('2028-06-23'), reminders: [[1, '2028-06-30'], [2, '2028-07-03'], [3, '2028-07-05']] as [number, string][], escalations: [[1, '2028-07-10'], [2, '2028-07-17']] as [number, string][] };
  for (const [period, q, day] of [['2028-Q1', q1, '2028-03-24'], ['2028-Q2', q2, '2028-06-23']] as const) {
    rows.push(...ladder('t1', 'A', period, mail.A2, q), ...ladder('t2', 'D', period, mail.D, q), ...ladder('t3', 'A', period, mail.A2, q), ...ladder('t3', 'D', period, mail.D, q));
    b(period, day);
  }
  return sort(rows);
}
const sort = (rows: Row[]) => [...rows].sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));

const behaviour = {
  default: { submit: 'never' as const, status: 'on-track' as const },
  rules: [{ unit: 'B', submit: { daysAfterRequest: 1 }, status: 'on-track' as const }],
  amendments: [{ at: T, plan: v2() as unknown as Record<string, unknown>, reason: '2028 holidays announced; t3 added; D takes over t2', by: 'HQ office' }],
};

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
let db: pg.Pool;
let result: RehearsalResult;
let outDir: string;
let rollEnv: TestWorkflowEnvironment;
let rolled: RehearsalResult;
let rolledDir: string;

beforeAll(async () => {
  env = await timeSkippingEnv();
  sink = await startSmtpSink();
  db = await testDb();
  outDir = mkdtempSync(join(tmpdir(), 'rc-amend-'));
  const mailer = createSmtpMailer(sink.url);
  result = await rehearse({ plan: v1(), env, db, mailer, outDir, workflowBundle: { codePath: inject('workflowBundlePath') }, behaviour });
  await mailer.close();
  // The same plan with every group rolling over after every Update (what an amendment changed crosses each roll).
  rollEnv = await timeSkippingEnv();
  rolledDir = mkdtempSync(join(tmpdir(), 'rc-amend-roll-'));
  const ROLLED = `${PLAN}-roll`;
  const rolledBehaviour = { ...behaviour, amendments: [{ ...behaviour.amendments[0], plan: v2(ROLLED) as unknown as Record<string, unknown> }] };
  rolled = await rehearse({ plan: v1(ROLLED), env: rollEnv, db, outDir: rolledDir, workflowBundle: { codePath: inject('workflowBundlePath') }, behaviour: rolledBehaviour, limits: { maxUpdatesPerRun: 1, maxPlanHistoryPerRun: 30 } });
  await recordAllRuns(env.client, ['review-cycles:amend-2027', 'review-cycles:amend-2027:tasks-1', 'review-cycles:amend-2027:tasks-2'], 'amend');
  // The plan workflow of the rolled variant: it went on in a fresh run right after the amendment (while it waited).
  await recordAllRuns(rollEnv.client, [`review-cycles:${ROLLED}`], 'amend-plan-rolls');
}, 300_000);

afterAll(async () => {
  await env?.teardown();
  await rollEnv?.teardown();
  await sink?.close();
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('a plan amended in the middle of a quarter', () => {
  test('the amendment was applied, nothing refused', () => {
    expect(result.rejected).toEqual([]);
  });

  test('every cycle notice is the one the rules give: closed quarters by version 1, the quarter in progress by both, later ones by version 2', async () => {
    const { rows } = await db.query(`SELECT key_text, notice_at AS at FROM notices WHERE plan_id = $1 AND kind IN ('request', 'reminder', 'escalation') ORDER BY key_text`, [PLAN]).catch(() => ({ rows: [] as never[] }));
    expect(rows.length).toBeGreaterThan(0);
    const lines = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const cycle = lines.filter((n) => ['request', 'reminder', 'escalation'].includes(n.kind));
    // notices.jsonl has no reminder numbers: the sent log's business keys give them, instant by instant.
    const keyAt = new Map<string, string>();
    for (const r of rows as { key_text: string; at: Date }[]) {
      const [, task, unit, period, kind] = r.key_text.split('/');
      keyAt.set(`${r.at.toISOString()}|${task}|${unit}|${period}|${kind}`, r.key_text);
    }
    const got: Row[] = cycle.map((n) => {
      // A request that goes out at T reaches the workflow within a second of it.
      const at = n.at.startsWith('2028-01-03T02:00:0') ? TZ : n.at;
      const key = keyAt.get(`${n.at}|${n.taskId}|${n.unitId}|${n.period}|${n.kind}`) ?? `${PLAN}/${n.taskId}/${n.unitId}/${n.period}/${n.kind}/?`;
      return { at, key, to: n.to, cc: n.cc };
    });
    expect(sort(got)).toEqual(expected());
  });

  test('status: the replaced unit withdrawn in the quarter in progress, the joined pairs tracked from it, version 2 in force', () => {
    const row = (task: string, unit: string, period: string) => result.status.tasks.find((t) => t.taskId === task)!.units.find((u) => u.unitId === unit)!.periods.find((p) => p.period === period)!;
    expect(row('t2', 'C', '2027-Q3').state).toBe('escalated');
    expect(row('t2', 'C', '2027-Q4').state).toBe('withdrawn');
    expect(row('t2', 'C', '2028-Q1').state).toBe('untracked');
    expect(row('t2', 'D', '2027-Q3').state).toBe('untracked');
    expect(row('t2', 'D', '2027-Q4').state).toBe('escalated');
    expect(row('t3', 'A', '2027-Q3').state).toBe('untracked');
    expect(row('t3', 'A', '2027-Q4')).toMatchObject({ state: 'escalated', reminders: 2, escalations: 2, dueAt: '2028-01-10T16:00:00.000Z' });
    // Requested before T, its due day moved by the new holiday: its calendar event's SEQUENCE grows by one.
    expect(row('t1', 'A', '2027-Q4')).toMatchObject({ state: 'escalated', reminders: 3, escalations: 2, dueAt: '2028-01-10T16:00:00.000Z', dueMoves: 1 });
    expect(row('t3', 'A', '2027-Q4')).not.toHaveProperty('dueMoves');
    expect(row('t1', 'A', '2028-Q1')).not.toHaveProperty('dueMoves');
    expect(row('t1', 'B', '2027-Q4')).toMatchObject({ state: 'submitted', daysLate: 0 });
  });

  test('the system of record lists both versions with who, when, why and the difference', async () => {
    const versions = await planHistory(db, PLAN);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    const second = versions[1];
    expect(Date.parse(second.effectiveAt) - Date.parse(TZ)).toBeLessThan(2000);
    expect(second).toMatchObject({ by: 'HQ office', reason: '2028 holidays announced; t3 added; D takes over t2' });
    expect(JSON.stringify(second.difference)).toContain('t3');
  });

  test('the 2027 summary names the versions in force in its window', () => {
    const doc = readFileSync(join(outDir, 'summaries', '2027.md'), 'utf8');
    expect(doc).toMatch(/Plan versions in force: version 1 \(from .*\); version 2 \(from 2028-01-03 10:00 \(Asia\/Shanghai\): 2028 holidays announced; t3 added; D takes over t2\)/);
  });

  test('the same plan with every group rolling over after every Update sends the same notices and ends in the same state', async () => {
    expect(rolled.rejected).toEqual([]);
    const lines = (d: string) =>
      readFileSync(join(d, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
        .filter((n) => ['request', 'reminder', 'escalation', 'review', 'summary'].includes(n.kind))
        .map(({ messageId: _m, at, planId: _p, ...n }) => ({ ...n, at: String(at).replace(/T(\d\d:\d\d):\d\d\.\d{3}Z/, 'T$1') }));
    expect(lines(rolledDir)).toEqual(lines(outDir));
    const states = (r: RehearsalResult) => r.status.tasks.map((t) => t.units.map((u) => u.periods.map((p) => `${t.taskId}/${u.unitId}/${p.period}:${p.state}:${p.reminders}:${p.escalations}`)));
    expect(states(rolled)).toEqual(states(result));
    // Its groups did roll over after the amendment, carrying it.
    const last = await rollEnv.client.workflow.getHandle(`review-cycles:${PLAN}-roll:tasks-1`).fetchHistory();
    expect(last.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    // So did the plan workflow, while it waited (its history over the limit), carrying the amendment: the reviews
    // name the same versions.
    const planId = `review-cycles:${PLAN}-roll`;
    const starts: string[] = [];
    for (let runId: string | undefined = undefined; ; ) {
      const h: { events?: HistoryEvent[] | null } = await rollEnv.client.workflow.getHandle(planId, runId).fetchHistory();
      const first: HistoryEvent | undefined = h.events?.[0];
      starts.push(new Date(Number(first?.eventTime?.seconds ?? 0) * 1000).toISOString());
      runId = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
      if (!runId) break;
    }
    // A run begun at the amendment's instant: no review falls there, so the plan went on while it waited.
    expect(starts).toContain(TZ);
    expect(readFileSync(join(rolledDir, 'summaries', '2027.md'), 'utf8')).toContain('Plan versions in force: version 1');
  });
});
