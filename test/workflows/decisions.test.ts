/**
 * Headquarters accepts or returns reports. A return gives the unit a `returned` notice, a new due day (moved to a
 * working day) and the ladder counted from it; an accepted report is locked. Instants worked out by hand.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SentNotice } from '../../activities/index.js';
import type pg from 'pg';
import { liveStatus } from '../../client/live.js';
import { acceptReport, returnReport, startPlan, submitReport, type Engine } from '../../client/plans.js';
import { yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { recordHistories } from '../helpers/histories.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { timelineQuery } from '../../workflows/contract/messages.js';
import { testDb } from '../helpers/db.js';
import { engineOf, recordedPlan, sleepUntil as sleepTo } from './support.js';

const plan = yearPlan('decisions-2030', { end: '2030-06-30' });
const taskQueue = uniqueQueue('decisions');
const sent: SentNotice[] = [];
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: pg.Pool;
let engine: Engine;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await testDb();
  engine = engineOf(env, db);
  worker = await testWorker(env, { taskQueue, activities: testActivities({ db, onSent: (n) => sent.push(n) }) });
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
const ontime = (over: Record<string, unknown> = {}) => ({ taskId: 't1', unitId: 'ontime', period: '2030-Q1', ...over });
const statusOf = async () => (await liveStatus(env.client, plan.id)).tasks[0].units.find((u) => u.unitId === 'ontime')!.periods[0];

test('a returned report gets a returned notice, a new due day and its own ladder; the revision stops it', async () => {
  await sleepUntil('2030-03-22T04:00:00Z');
  await submitReport(engine, plan.id, { ...ontime(), requestId: 'r1', status: 'on-track', summary: 'first version' });
  await sleepUntil('2030-03-25T02:00:00Z'); // Mon 10:00 Asia/Shanghai
  const receipt = await returnReport(engine, plan.id, { ...ontime(), comment: 'Add the figures for March.', by: 'HQ office' });
  // 03-25 + 5 = Sat 03-30 -> Mon 04-01; the revision is on time until local midnight ending 04-01.
  expect(receipt).toMatchObject({ decision: 'return', revisionDueDay: '2030-04-01', revisionDueAt: '2030-04-01T16:00:00.000Z', round: 1, duplicate: false });
  await expect(returnReport(engine, plan.id, { ...ontime(), comment: 'again' })).rejects.toThrow(/already|returned on/);
  await sleepUntil('2030-03-25T02:01:00Z');
  expect(await statusOf()).toMatchObject({ state: 'requested', review: 'returned', revisionDueAt: '2030-04-01T16:00:00.000Z', round: 1 });

  // Reminders from the new due day: -3 -> Fri 03-29, -1 -> Sun 03-31 -> back to 03-29 (once), 0 -> Mon 04-01.
  await sleepUntil('2030-04-02T00:00:00Z');
  const mine = sent.filter((n) => n.line.unitId === 'ontime' && n.line.round === 1);
  // The returned notice goes out at once (the server's clock runs on by a few milliseconds while the update is handled).
  expect(mine.map((n) => [n.line.kind, n.line.kind === 'returned' ? n.line.at.slice(0, 16) : n.line.at])).toEqual([
    ['returned', '2030-03-25T02:00'],
    ['reminder', '2030-03-29T01:00:00.000Z'],
    ['reminder', '2030-04-01T01:00:00.000Z'],
  ]);
  expect(mine[0].spec).toMatchObject({ comment: 'Add the figures for March.', dueDay: '2030-04-01', to: ['ontime@example.org'] });
  expect(mine[0].spec!.key).toMatchObject({ kind: 'returned', number: 1, round: 1 });
  // Past the revision's deadline: overdue.
  await sleepUntil('2030-04-02T02:00:00Z');
  expect((await statusOf()).state).toBe('overdue');

  await sleepUntil('2030-04-03T04:00:00Z');
  const revision = await submitReport(engine, plan.id, { ...ontime(), requestId: 'r2', status: 'on-track', summary: 'with March figures' });
  expect(revision).toMatchObject({ revision: 2, answersReturn: true, onTime: false, daysLate: 2 });
  // The revision stops the ladder: no escalation on 04-04 (level 1) or 04-11 (level 2).
  await sleepUntil('2030-04-12T00:00:00Z');
  expect(sent.filter((n) => n.line.unitId === 'ontime' && n.line.round === 1)).toHaveLength(3);
  expect(await statusOf()).toMatchObject({ state: 'submitted', daysLate: 0, revisions: 2, review: 'returned', revisionDueAt: null });
});

test('an accepted report is locked: no more revisions, no more decisions', async () => {
  const accepted = await acceptReport(engine, plan.id, { ...ontime(), by: 'HQ office' });
  expect(accepted).toMatchObject({ decision: 'accept', round: 1 });
  expect(await statusOf()).toMatchObject({ review: 'accepted', state: 'submitted' });
  await expect(submitReport(engine, plan.id, { ...ontime(), requestId: 'r3', status: 'on-track', summary: 'one more' })).rejects.toThrow(/accepted on .* and is locked/);
  await expect(returnReport(engine, plan.id, { ...ontime(), comment: 'no' })).rejects.toThrow(/accepted on .* and is locked/);
  await expect(acceptReport(engine, plan.id, ontime({ unitId: 'silent' }))).rejects.toThrow(/no report has arrived/);
  await expect(returnReport(engine, plan.id, { ...ontime(), comment: '  ' })).rejects.toThrow(/comment: must say what to revise/);
});

test('the task timeline shows every notice, report and decision in order', async () => {
  const group = env.client.workflow.getHandle(groupWorkflowId(plan.id, 0));
  const timeline = (await group.query(timelineQuery, { taskId: 't1' })).filter((e) => e.unitId === 'ontime' && e.period === '2030-Q1');
  expect(timeline.map((e) => `${e.kind}${e.number}${e.round ? `/r${e.round}` : ''}`)).toEqual([
    'request1',
    'report1',
    'returned1/r1',
    'reminder1/r1',
    'reminder2/r1',
    'report2',
    'accepted1/r1',
  ]);
  expect(timeline[2].detail).toContain('Add the figures for March.');
  await recordHistories(env.client, [groupWorkflowId(plan.id, 0)], 'decisions');
});
