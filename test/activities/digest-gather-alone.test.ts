/**
 * The gather window is skipped when no other workflow of the plan can send to a call's recipients (by the plan
 * record in a real PostgreSQL: its layout, its findings, its versions), through the real notice and finding
 * activities run in an activity context (which names their workflow) and a real SMTP server; where another workflow
 * can, the calls still gather into one message.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { createFindingActivities } from '../../activities/findings/findings-activities.js';
import { digestMessageId } from '../../activities/notices/digest.js';
import { createNoticeActivities } from '../../activities/notices/send-notices.js';
import { createDbSentLog } from '../../store/notices.js';
import { recordPlan } from '../../store/records.js';
import { recordPlanVersion } from '../../store/versions.js';
import type { PlanTrack } from '../../workflows/contract/amend.js';
import { findingNoticeKeyText, type FindingNoticeSpec } from '../../workflows/contract/finding.js';
import { findingsWorkflowId, groupWorkflowId } from '../../workflows/contract/ids.js';
import { noticeKeyText, type NoticeKey, type NoticeOutcome, type NoticeSpec } from '../../workflows/contract/notice.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PlanLayout } from '../../workflows/contract/status.js';
import { recipientsOf } from '../../workflows/cycle/recipients.js';
import { validPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';
import { useSmtpMailer, type SmtpSink } from '../helpers/smtp-sink.js';

const AT = '2030-03-21T01:00:00.000Z';
/** A long quiet time, so that a call that waits is told apart from one that does not by seconds, not milliseconds. */
const GATHER_MS = 6_000;
const QUIET_MS = 2_500;
let sink: SmtpSink;
let mailer: Mailer;

useSmtpMailer((s, m) => {
  sink = s;
  mailer = m;
});

/** North (two tasks), south and east (one each); leader l1 leads north and south. */
function planOf(id: string, tasks: { id: string; units: string[] }[], extra: Record<string, unknown> = {}): Plan {
  return validPlan({
    id,
    title: 'Alone 2030',
    timezone: 'Asia/Shanghai',
    start: '2030-01-01',
    end: '2030-12-31',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [{ id: 'l1', name: 'Leader One', email: 'l1@example.org' }],
    units: ['north', 'south', 'east'].map((u) => ({ id: u, name: `Unit ${u}`, email: `${u}@example.org`, leader: 'l1' })),
    aspects: [{ id: 'a', title: 'A' }],
    tasks: tasks.map((t) => ({ ...t, aspect: 'a', title: `Task ${t.id}` })),
    cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5, reminderDays: [0], escalation: [{ afterDaysOverdue: 3, to: 'unitLeader' }] },
    ...extra,
  });
}
const layoutOf = (planId: string, ...groups: string[][]): PlanLayout => ({ planId, groups: groups.map((taskIds, n) => ({ workflowId: groupWorkflowId(planId, n), taskIds })) });

function spec(p: Plan, taskId: string, unitId: string, over: { kind?: NoticeKey['kind']; escalateTo?: 'unitLeader' | 'headquarters' } = {}): NoticeSpec {
  const kind = over.kind ?? 'reminder';
  return {
    key: { planId: p.id, taskId, unitId, period: '2030-Q1', kind, number: 1 },
    at: AT,
    ...recipientsOf(p, p.units.find((u) => u.id === unitId)!, kind, over.escalateTo),
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: p.title,
    taskTitle: `Task ${taskId}`,
    unitName: `Unit ${unitId}`,
    dueDay: '2030-04-08',
    deadline: '2030-04-08T16:00:00.000Z',
    next: null,
  };
}
const keyOf = (s: NoticeSpec) => noticeKeyText(s.key);
const ofPlan = (planId: string) => sink.messages.filter((m) => m.subject.startsWith(`[${planId}]`));

/** A worker's activities over the shared database, each call run as an activity of `workflowId`. */
function worker(db: pg.Pool) {
  const deps = { mailer, db, sentLog: createDbSentLog(db, { gatherMs: GATHER_MS, quietMs: QUIET_MS }), from: 'hq-robot@example.org' };
  const a = { ...createNoticeActivities(deps), ...createFindingActivities(deps) };
  const as = (workflowId: string) => new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' } });
  return {
    sendNotices: async (workflowId: string, notices: NoticeSpec[]) => {
      const t0 = Date.now();
      const outcomes = (await as(workflowId).run(a.sendNotices, { at: AT, notices })) as NoticeOutcome[];
      return { outcomes, ms: Date.now() - t0 };
    },
    sendFindingNotices: async (workflowId: string, notices: FindingNoticeSpec[]) => {
      const t0 = Date.now();
      const outcomes = (await as(workflowId).run(a.sendFindingNotices, { at: AT, notices, digest: true })) as NoticeOutcome[];
      return { outcomes, ms: Date.now() - t0 };
    },
  };
}

async function recorded(db: pg.Pool, plan: Plan, layout: PlanLayout): Promise<void> {
  await recordPlan(db, { planId: plan.id, version: 1, plan, startedAt: Date.parse('2030-01-01T00:00:00Z'), layout });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a unit all of whose tasks are in one group: that group's call sends at once; so does its escalation to the leader, cc the unit", async () => {
  const db = await testDb();
  const p = planOf('aln-a', [{ id: 't1', units: ['north'] }, { id: 't2', units: ['north'] }, { id: 't3', units: ['south'] }]);
  await recorded(db, p, layoutOf(p.id, ['t1', 't2'], ['t3']));
  const w = worker(db);
  const G1 = groupWorkflowId(p.id, 0);
  const notices = [spec(p, 't1', 'north'), spec(p, 't2', 'north')];
  const first = await w.sendNotices(G1, notices);
  expect(first.ms).toBeLessThan(QUIET_MS);
  const id = digestMessageId(AT, notices.map(keyOf));
  expect(first.outcomes.map((o) => [o.status, o.messageId])).toEqual([['sent', id], ['sent', id]]);
  expect(ofPlan(p.id)).toHaveLength(1);
  const escalation = await w.sendNotices(G1, [spec(p, 't1', 'north', { kind: 'escalation', escalateTo: 'unitLeader' })]);
  expect(escalation.ms).toBeLessThan(QUIET_MS);
  expect(ofPlan(p.id).at(-1)!.cc).toEqual(['north@example.org']);
  // The same call from a workflow the plan record does not list (or from the other group) waits as before.
  const other = await w.sendNotices(groupWorkflowId(p.id, 1), [spec(p, 't9', 'north')]);
  expect(other.ms).toBeGreaterThanOrEqual(QUIET_MS);
  // A plan not recorded: nothing is known, every call waits.
  const q = planOf('aln-unrecorded', [{ id: 't1', units: ['north'] }]);
  const unknown = await w.sendNotices(groupWorkflowId(q.id, 0), [spec(q, 't1', 'north')]);
  expect(unknown.ms).toBeGreaterThanOrEqual(QUIET_MS);
});

test('a unit split over two groups: both calls wait and gather into one message', async () => {
  const db = await testDb();
  const p = planOf('aln-b', [{ id: 't1', units: ['north'] }, { id: 't2', units: ['north'] }]);
  await recorded(db, p, layoutOf(p.id, ['t1'], ['t2']));
  const [w1, w2] = [worker(db), worker(db)];
  const a = spec(p, 't1', 'north');
  const b = spec(p, 't2', 'north');
  // The second group's call comes a while after the first's: the first is still in its window.
  const [ra, rb] = await Promise.all([w1.sendNotices(groupWorkflowId(p.id, 0), [a]), sleep(700).then(() => w2.sendNotices(groupWorkflowId(p.id, 1), [b]))]);
  const id = digestMessageId(AT, [a, b].map(keyOf));
  expect([...ra.outcomes, ...rb.outcomes].map((o) => o.messageId)).toEqual([id, id]);
  expect(ofPlan(p.id)).toHaveLength(1);
  expect(ra.ms).toBeGreaterThanOrEqual(QUIET_MS);
});

test("a unit with a finding: its group's call and its findings slice's call wait and gather into one message", async () => {
  const db = await testDb();
  const p = planOf('aln-c', [{ id: 't1', units: ['north'] }], {
    inspections: { rounds: [{ id: 'r1', title: 'First round', feedbackDay: '2030-02-01', findings: [{ id: 'f1', title: 'Ledger incomplete', unit: 'north' }] }] },
  });
  await recorded(db, p, layoutOf(p.id, ['t1']));
  const report = spec(p, 't1', 'north');
  const finding = {
    key: { planId: p.id, findingId: 'f1', kind: 'reminder', round: 1, number: 1 },
    at: AT, to: ['north@example.org'], cc: [], locale: 'en', timezone: 'Asia/Shanghai', planTitle: p.title,
    findingTitle: 'Ledger incomplete', inspectionId: 'r1', inspectionTitle: 'First round', unitId: 'north', unitName: 'Unit north',
    dueDay: '2030-04-01', verifier: 'headquarters',
  } as FindingNoticeSpec;
  const [group, slice] = [worker(db), worker(db)];
  const [rr, rf] = await Promise.all([
    group.sendNotices(groupWorkflowId(p.id, 0), [report]),
    sleep(700).then(() => slice.sendFindingNotices(findingsWorkflowId(p.id, 0), [finding])),
  ]);
  const id = digestMessageId(AT, [keyOf(report), findingNoticeKeyText(finding.key)]);
  expect([rr.outcomes[0].messageId, rf.outcomes[0].messageId]).toEqual([id, id]);
  expect(ofPlan(p.id)).toHaveLength(1);
});

test('a leader of units in two groups: the escalations to the leader alone wait and gather', async () => {
  const db = await testDb();
  const p = planOf('aln-d', [{ id: 't1', units: ['north'] }, { id: 't2', units: ['south'] }]);
  await recorded(db, p, layoutOf(p.id, ['t1'], ['t2']));
  const [w1, w2] = [worker(db), worker(db)];
  // Items to the leader with no cc (as a plan without unit addresses in the cc would send): both groups write to l1.
  const a = { ...spec(p, 't1', 'north', { kind: 'escalation', escalateTo: 'unitLeader' }), cc: [] };
  const b = { ...spec(p, 't2', 'south', { kind: 'escalation', escalateTo: 'unitLeader' }), cc: [] };
  const [ra, rb] = await Promise.all([w1.sendNotices(groupWorkflowId(p.id, 0), [a]), sleep(700).then(() => w2.sendNotices(groupWorkflowId(p.id, 1), [b]))]);
  const id = digestMessageId(AT, [a, b].map(keyOf));
  expect([...ra.outcomes, ...rb.outcomes].map((o) => o.messageId)).toEqual([id, id]);
  expect(ofPlan(p.id)).toHaveLength(1);
});

test('an amended plan: the version in force is read once per version, and a unit moved to a new group makes both groups wait', async () => {
  const db = await testDb();
  const v1 = planOf('aln-e', [{ id: 't1', units: ['north'] }, { id: 't2', units: ['east'] }]);
  const startedAt = Date.parse('2030-01-01T00:00:00Z');
  await recorded(db, v1, layoutOf(v1.id, ['t1', 't2']));
  // Plan reads counted: the sent log reads the plan only when its version moved.
  let planReads = 0;
  const counting = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (text: unknown, ...rest: unknown[]) => {
        if (typeof text === 'string' && /plan_versions/.test(text)) planReads++;
        return (target.query as (...a: unknown[]) => unknown).call(target, text, ...rest);
      };
    },
  });
  const gather = createDbSentLog(counting, { gatherMs: GATHER_MS }).gather!;
  const G1 = groupWorkflowId(v1.id, 0);
  const G2 = groupWorkflowId(v1.id, 1);
  const north = [{ to: ['north@example.org'], cc: [] }];
  expect(await gather.sendsAlone!(v1.id, G1, north)).toBe(true);
  const reads = planReads;
  expect(reads).toBeGreaterThan(0);
  for (let k = 0; k < 3; k++) expect(await gather.sendsAlone!(v1.id, G1, north)).toBe(true);
  expect(planReads).toBe(reads);
  // Version 2: t1 is retired and north reports on t3, a new task in a new group.
  const v2 = planOf(v1.id, [{ id: 't2', units: ['east'] }, { id: 't3', units: ['north'] }]);
  const track = { version: 2, at: Date.parse('2030-02-01T00:00:00Z'), timeline: [], joined: {}, left: {}, retiredTasks: [], retiredUnits: [] } as PlanTrack;
  await recordPlanVersion(db, {
    planId: v1.id, version: 2, plan: v2, effectiveAt: track.at, startedAt, reason: 'north moves to t3', by: null, requestId: 'amend-1', difference: null, track,
    layout: { planId: v1.id, groups: [...layoutOf(v1.id, ['t1', 't2']).groups, { workflowId: G2, taskIds: ['t3'] }] },
  });
  // The group that held t1 may still be on version 1 at this instant: neither it nor the new group skips.
  expect(await gather.sendsAlone!(v1.id, G2, north)).toBe(false);
  expect(await gather.sendsAlone!(v1.id, G1, north)).toBe(false);
  expect(await gather.sendsAlone!(v1.id, G1, [{ to: ['east@example.org'], cc: [] }])).toBe(true);
  const after = planReads;
  expect(await gather.sendsAlone!(v1.id, G1, [{ to: ['east@example.org'], cc: [] }])).toBe(true);
  expect(planReads).toBe(after);
});
