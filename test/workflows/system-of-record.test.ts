/**
 * The system of record follows the workflows: a plan with reports, a return, an accept, reminders, escalations,
 * refused notices and reviews runs on the time-skipping server, and once the writes have settled the database says
 * what the workflows say. The workflows themselves keep none of the texts the database holds in full.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PermanentRefusal, type Mailer } from '../../activities/mail/mailer.js';
import { createDiscardMailer, messageIdFor, messageIdForText } from '../../activities/index.js';
import { digestMessageId } from '../../activities/notices/digest.js';
import { liveReviews, liveRevisions, liveStatus } from '../../client/live.js';
import { acceptReport, planReviews, planStatus, reportRevisions, returnReport, startPlan, submitReport, type Engine } from '../../client/plans.js';
import { createDbSentLog, storedNotices, type StoredNotice } from '../../store/notices.js';
import { storedRecords } from '../../store/records.js';
import { groupWorkflowId, planWorkflowId, recordKey } from '../../workflows/contract/ids.js';
import { recordsQuery } from '../../workflows/contract/messages.js';
import { windowNoticeKeyText, type NoticeKey } from '../../workflows/contract/notice.js';
import { excerptOf } from '../../workflows/contract/progress.js';
import type { Revision, UnitPeriodRecord } from '../../workflows/contract/status.js';
import { yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { recordHistories } from '../helpers/histories.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { engineOf, eventually, recordedPlan, sleepUntil as sleepTo } from './support.js';

// Q1 and Q2 of the year plan (Asia/Shanghai, 09:00 = 01:00Z). Q1: request 03-21, reminders 04-04 and 04-08 (due),
// escalations 04-11 and 04-18. Q2: request 06-20, reminders 07-02, 07-04, 07-05 (due), escalations 07-08 and 07-15.
// H1 review on Mon 07-22 (06-30 + 20 = Sat 07-20, moved on); the 2030 and plan summaries on 07-30.
const plan = yearPlan('record-2030', { end: '2030-06-30' });
const groupId = groupWorkflowId(plan.id, 0);
const taskQueue = uniqueQueue('record');

let env: TestWorkflowEnvironment;
let db: pg.Pool;
let engine: Engine;
let worker: Worker;
let running: Promise<void>;

// late@ refuses reminders for good: they are delivery issues in the status and `refused` rows in the notices table.
const base = createDiscardMailer();
const mailer: Mailer = {
  async send(m) {
    if (m.to.join() === 'late@example.org' && m.headers['X-Review-Cycles-Kind'] === 'reminder') throw new PermanentRefusal('550 mailbox full', 550);
    return base.send(m);
  },
  close: () => base.close(),
};

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await testDb();
  engine = engineOf(env, db);
  worker = await testWorker(env, { taskQueue, activities: testActivities({ db, mailer, sentLog: createDbSentLog(db), from: 'hq@example.org' }) });
  running = worker.run();
  await startPlan(env.client, plan, taskQueue);
  await recordedPlan(db, plan.id);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const sleepUntil = (iso: string) => sleepTo(env, iso);
const q1 = (unitId: string) => ({ taskId: 't1', unitId, period: '2030-Q1' });
const long = (word: string, n: number) => `${word} `.repeat(Math.ceil(n / (word.length + 1))).slice(0, n);

// What the units wrote, in full.
const r1 = { ...q1('ontime'), requestId: 'r1', status: 'on-track', summary: long('first', 20_000), problems: long('problem', 3_000), nextSteps: 'Carry on.', submittedBy: 'Ms Zhang', progress: 10 };
const r2 = { ...q1('ontime'), requestId: 'r2', status: 'at-risk', summary: long('revised', 20_000), nextSteps: 'Hire two more.', progress: 20 };
const r3 = { ...q1('late'), requestId: 'r3', status: 'off-track', summary: 'Behind: the supplier failed.', submittedBy: 'Mr Li' };
const r4 = { taskId: 't1', unitId: 'ontime', period: '2030-Q2', requestId: 'r4', status: 'on-track', summary: long('second quarter', 5_000), progress: 35 };

const liveRecords = () => env.client.workflow.getHandle(groupId).query(recordsQuery);

/** The unit notices the workflow's records say went out (or were refused), as the notices table should list them. */
function noticesOfRecords(records: Record<string, UnitPeriodRecord>) {
  const rows: { messageId: string; kind: string; unitId: string; period: string; number: number; round: number; status: string }[] = [];
  for (const [key, r] of Object.entries(records)) {
    const [taskId, unitId, period] = key.split('|');
    const id = (kind: string, number: number, round: number) => messageIdFor({ planId: plan.id, taskId, unitId, period, kind, number, ...(round ? { round } : {}) } as NoticeKey);
    for (const s of r.sent ?? []) rows.push({ messageId: id(s.kind, s.number, s.round), kind: s.kind, unitId, period, number: s.number, round: s.round, status: 'sent' });
    for (const d of r.deliveryIssues) {
      if (!/^550/.test(d.reason)) continue; // a refused recipient of a sent notice is listed with the sent ones
      rows.push({ messageId: id(d.kind, d.number, 0), kind: d.kind, unitId, period, number: d.number, round: 0, status: 'refused' });
    }
  }
  return rows.sort((a, b) => a.messageId.localeCompare(b.messageId));
}
const unitNoticeRows = (stored: StoredNotice[]) =>
  stored
    .filter((n) => n.taskId)
    .map((n) => ({ messageId: n.messageId, kind: n.kind, unitId: n.unitId!, period: n.period!, number: n.number!, round: n.round!, status: n.status }))
    .sort((a, b) => a.messageId.localeCompare(b.messageId));

const decisionsOfRecords = (records: Record<string, UnitPeriodRecord>) =>
  Object.entries(records)
    .flatMap(([key, r]) =>
      (r.decisions ?? []).map((d, i) => ({
        key, seq: i + 1, requestId: d.requestId, decision: d.decision, at: new Date(d.at).toISOString(), comment: d.comment ?? null, by: d.by ?? null,
        revisionDueDay: d.revisionDueDay ?? null, revisionDueAt: d.revisionDeadline !== undefined ? new Date(d.revisionDeadline).toISOString() : null,
      })),
    )
    .sort((a, b) => a.key.localeCompare(b.key) || a.seq - b.seq);
async function storedDecisions() {
  const { rows } = await db.query('SELECT * FROM report_decisions WHERE plan_id = $1 ORDER BY task_id, unit_id, period, seq', [plan.id]);
  return rows
    .map((r) => ({
      key: recordKey(r.task_id, r.unit_id, r.period), seq: r.seq, requestId: r.request_id, decision: r.decision, at: (r.decided_at as Date).toISOString(),
      comment: r.comment, by: r.decided_by, revisionDueDay: r.revision_due_day, revisionDueAt: r.revision_due_at ? (r.revision_due_at as Date).toISOString() : null,
    }))
    .sort((a, b) => a.key.localeCompare(b.key) || a.seq - b.seq);
}

/** Both sides at once: what the workflows say and what the database says. */
async function bothSides() {
  const now = await env.currentTimeMs();
  const records = await liveRecords();
  return {
    live: {
      status: await liveStatus(env.client, plan.id),
      records,
      notices: noticesOfRecords(records),
      decisions: decisionsOfRecords(records),
    },
    db: {
      status: await planStatus(db, plan.id, {}, now),
      records: await storedRecords(db, plan.id),
      notices: unitNoticeRows(await storedNotices(db, plan.id)),
      decisions: await storedDecisions(),
    },
  };
}
/** JSON with sorted keys (jsonb keeps its own key order) and without undefined fields. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const same = (x: Awaited<ReturnType<typeof bothSides>>) => canonical(x.live) === canonical(x.db);

/** Waits (bounded) until the database has caught up with the workflows, then compares everything. */
async function expectSettled() {
  const started = Date.now();
  const sides = await eventually(bothSides, same);
  expect(same(sides), `not equal after ${Date.now() - started} ms`).toBe(true);
  expect(sides.db.status).toEqual(sides.live.status);
  expect(sides.db.records).toEqual(sides.live.records);
  expect(sides.db.notices).toEqual(sides.live.notices);
  expect(sides.db.decisions).toEqual(sides.live.decisions);
  return sides;
}

test('Q1: reports, a return and its revision, an accept, reminders and escalations: the database says what the workflows say', async () => {
  await sleepUntil('2030-03-22T04:00:00Z');
  await submitReport(engine, plan.id, r1);
  await sleepUntil('2030-03-25T02:00:00Z');
  await returnReport(engine, plan.id, { ...q1('ontime'), comment: 'Add the figures for March.', by: 'HQ office' });
  await sleepUntil('2030-04-03T04:00:00Z');
  await submitReport(engine, plan.id, r2);
  await sleepUntil('2030-04-10T04:00:00Z');
  await submitReport(engine, plan.id, r3);
  await sleepUntil('2030-04-12T02:00:00Z');
  await acceptReport(engine, plan.id, { ...q1('ontime'), by: 'HQ office' });
  await sleepUntil('2030-04-20T00:00:00Z');

  const { db: stored } = await expectSettled();
  expect(Object.keys(stored.records).sort()).toEqual(['t1|late|2030-Q1', 't1|ontime|2030-Q1', 't1|silent|2030-Q1']);
  // The comparison covered something: every kind of event happened.
  const units = stored.status.tasks[0].units;
  const period = (u: string) => units.find((x) => x.unitId === u)!.periods[0];
  expect(period('ontime')).toMatchObject({ state: 'submitted', revisions: 2, review: 'accepted', reportStatus: 'at-risk', progress: 20, round: 1 });
  expect(period('late')).toMatchObject({ state: 'late', daysLate: 2, reminders: 0, escalations: 0, revisions: 1 });
  expect(period('late').deliveryIssues.map((d) => `${d.kind}${d.number}`)).toEqual(['reminder1', 'reminder2']);
  expect(period('silent')).toMatchObject({ state: 'escalated', reminders: 2, escalations: 2, revisions: 0 });
  expect(stored.notices.map((n) => n.status).filter((s) => s === 'refused')).toHaveLength(2);
  expect(stored.notices.some((n) => n.kind === 'returned' && n.round === 1)).toBe(true);
  expect(stored.decisions.map((d) => [d.decision, d.requestId.length > 0, d.comment, d.by])).toEqual([
    ['return', true, 'Add the figures for March.', 'HQ office'],
    ['accept', true, null, 'HQ office'],
  ]);
  expect(stored.decisions[0]).toMatchObject({ revisionDueDay: '2030-04-01', revisionDueAt: '2030-04-01T16:00:00.000Z' });
});

test('the database keeps every revision in full; the workflow carries only the figures its rules need', async () => {
  const full = await reportRevisions(db, plan.id, 't1', 'ontime', '2030-Q1');
  const live = await liveRevisions(env.client, plan.id, 't1', 'ontime', '2030-Q1');
  expect(full.map((v) => ({ requestId: v.requestId, status: v.status, summary: v.summary, problems: v.problems, nextSteps: v.nextSteps, submittedBy: v.submittedBy, progress: v.progress }))).toEqual([
    { requestId: 'r1', status: 'on-track', summary: r1.summary, problems: r1.problems, nextSteps: 'Carry on.', submittedBy: 'Ms Zhang', progress: 10 },
    { requestId: 'r2', status: 'at-risk', summary: r2.summary, problems: undefined, nextSteps: 'Hire two more.', submittedBy: undefined, progress: 20 },
  ]);
  expect(full[0].summary).toHaveLength(20_000);
  // The carried state: arrival, status and progress; no texts at all.
  expect(live.map((v) => v.summary)).toEqual(['', '']);
  expect(live).toEqual(full.map((v: Revision) => excerptOf(v)));
  expect(live[0]).not.toHaveProperty('nextSteps');
  expect(live[0]).not.toHaveProperty('problems');
  expect(live.map((v) => v.arrivedAt)).toEqual(full.map((v) => v.arrivedAt));
  // The whole carried record stays small although the unit wrote 43,000 characters.
  const records = await liveRecords();
  expect(JSON.stringify(records[recordKey('t1', 'ontime', '2030-Q1')]).length).toBeLessThan(1_500);
  expect((await reportRevisions(db, plan.id, 't1', 'late', '2030-Q1')).map((v) => [v.summary, v.submittedBy])).toEqual([[r3.summary, 'Mr Li']]);
});

test('Q2 and the reviews: the database holds the same status, notices and reviews once the plan workflow is done', async () => {
  await sleepUntil('2030-06-21T04:00:00Z');
  await submitReport(engine, plan.id, r4);
  await sleepUntil('2030-08-01T00:00:00Z');
  await env.client.workflow.getHandle(planWorkflowId(plan.id)).result();

  const { db: stored } = await expectSettled();
  expect(Object.keys(stored.records)).toHaveLength(6);
  expect(stored.status.tasks[0].units.find((u) => u.unitId === 'silent')!.periods[1]).toMatchObject({ state: 'escalated', reminders: 3, escalations: 2 });
  expect((await reportRevisions(db, plan.id, 't1', 'ontime', '2030-Q2')).map((v) => v.summary)).toEqual([r4.summary]);

  // Reviews: the reviews table lists what the plan workflow published, with the documents' texts.
  const live = await liveReviews(env.client, plan.id);
  expect(live.map((r) => r.window)).toEqual(['2030-H1', '2030', 'plan']);
  const reviews = await eventually(() => planReviews(db, plan.id), (r) => r.length === live.length);
  expect(reviews).toEqual(live);
  const { rows } = await db.query('SELECT window_id, kind, review_at, markdown, html, json_text FROM reviews WHERE plan_id = $1 ORDER BY review_at, window_id', [plan.id]);
  expect(rows.map((r) => [r.window_id, r.kind, (r.review_at as Date).toISOString()])).toEqual([
    ['2030-H1', 'review', '2030-07-22T01:00:00.000Z'],
    ['2030', 'summary', '2030-07-30T01:00:00.000Z'],
    ['plan', 'summary', '2030-07-30T01:00:00.000Z'],
  ]);
  for (const r of rows) {
    expect(r.markdown).toContain('Year cycle 2030');
    expect(r.html).toContain('<');
    expect(JSON.parse(r.json_text).window).toBe(r.window_id);
  }
  // Their notices are in the notices table too, under the Message-IDs of their keys; the notices of the two summaries
  // made at one instant travel together under a digest's Message-ID: headquarters' two (with the leaders in cc), and
  // each leader's two lagging notices.
  const windowNotices = (await storedNotices(db, plan.id)).filter((n) => n.window);
  const together = new Map<string, string[]>();
  const add = (k: string, key: string) => (together.get(k) ?? together.set(k, []).get(k)!).push(key);
  for (const r of live) {
    add(`${r.at}|hq`, windowNoticeKeyText(plan.id, r.window, r.kind));
    for (const l of r.lagging) add(`${r.at}|${l.leaderId}`, windowNoticeKeyText(plan.id, r.window, 'lagging', l.leaderId));
  }
  const idOf = (k: string, kind: string) => {
    const keys = together.get(k)!;
    return keys.length === 1 ? messageIdForText(kind, keys[0]) : digestMessageId(new Date(k.split('|')[0]).toISOString(), keys);
  };
  const expected = live.flatMap((r) => [idOf(`${r.at}|hq`, r.kind), ...r.lagging.map((l) => idOf(`${r.at}|${l.leaderId}`, 'lagging'))]);
  expect(windowNotices.filter((n) => n.messageId.startsWith('<rc.digest.')).length).toBeGreaterThan(0);
  expect(windowNotices.map((n) => n.messageId).sort()).toEqual(expected.sort());
  expect(windowNotices.every((n) => n.status === 'sent' && n.attempts === 1)).toBe(true);

  await recordHistories(env.client, [planWorkflowId(plan.id), groupId], 'system-of-record');
});
