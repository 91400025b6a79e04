/** Reports arrive as Updates: validated without a trace when refused, applied once per request id, revisions kept. */
import { testActivities } from '../helpers/activities.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type pg from 'pg';
import { createDiscardMailer, createMemorySentLog } from '../../activities/index.js';
import { liveRevisions, liveStatus } from '../../client/live.js';
import { reportRevisions, startPlan, submitReport, UserError, type Engine } from '../../client/plans.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { submitReportUpdate } from '../../workflows/contract/messages.js';
import { yearPlan } from '../fixtures/plans.js';
import { recordHistories } from '../helpers/histories.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { testDb } from '../helpers/db.js';
import { engineOf, eventually, recordedPlan, sleepUntil as sleepTo } from './support.js';

// One plan, one server: steps run in order along the plan's time (Q1 request 2030-03-21 09:00 +08:00, due 04-08).
const plan = yearPlan('reports-2030');
const groupId = groupWorkflowId(plan.id, 0);
const taskQueue = uniqueQueue('reports');

let env: TestWorkflowEnvironment;
let firstRun = '';
let worker: Worker;
let running: Promise<void>;
let db: pg.Pool;
let engine: Engine;
beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await testDb();
  engine = engineOf(env, db);
  worker = await testWorker(env, {
    taskQueue,
    activities: testActivities({ db, mailer: createDiscardMailer(), sentLog: createMemorySentLog(), from: 'hq@example.org' }),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const sleepUntil = (iso: string) => sleepTo(env, iso);
const report = (over: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  taskId: 't1',
  unitId: 'ontime',
  period: '2030-Q1',
  status: 'on-track',
  summary: 'Done what was planned.',
  ...over,
});

/** The worker runs for the whole file; each step just runs. */
const withWorker = <T>(fn: () => Promise<T>): Promise<T> => fn();

const historyOf = async () => (await env.client.workflow.getHandle(groupId).fetchHistory()).events ?? [];
const updateEvents = (events: Awaited<ReturnType<typeof historyOf>>) =>
  events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes || e.workflowExecutionUpdateRejectedEventAttributes);

test('refused reports say why and leave nothing in the history', async () => {
  await withWorker(async () => {
    await startPlan(env.client, plan, taskQueue, { limits: { maxUpdatesPerRun: 3 } });
    await recordedPlan(db, plan.id);
    await sleepUntil('2030-03-22T00:00:00Z');
    firstRun = (await env.client.workflow.getHandle(groupId).describe()).runId;
    const before = await historyOf();
    const handle = env.client.workflow.getHandle(groupId);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ unitId: 'nobody' }, /unitId: unknown unit "nobody"/],
      [{ taskId: 'nothing' }, /taskId: unknown task "nothing"/],
      [{ unitId: 'ontime', taskId: 't1', period: '2030-Q5' }, /period: must be a quarter/],
      [{ period: '2031-Q1' }, /period: 2031-Q1 is not a quarter of plan reports-2030/],
      [{ period: '2030-Q2' }, /period: 2030-Q2 has not been requested yet; the request goes out at 2030-06-20T01:00:00.000Z/],
      [{ status: 'fine' }, /status: must be one of on-track, at-risk, off-track/],
      [{ summary: '   ' }, /summary: must not be empty/],
      [{ summary: 'x'.repeat(20_001) }, /summary: must be at most 20000 characters/],
      [{ progress: 'a lot' }, /progress: must be a number/],
      [{ requestId: '' }, /requestId: must not be empty/],
      [{ colour: 'red' }, /colour|Unrecognized|unrecognized/],
    ];
    for (const [over, reason] of cases) {
      const err = await handle.executeUpdate(submitReportUpdate, { args: [report(over) as never] }).then(
        () => new Error('accepted'),
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause?.message, JSON.stringify(over).slice(0, 60)).toMatch(reason);
    }
    // No update event at all; the time-skipping server still logs the workflow task that ran each validator (the
    // dev server drops those speculative tasks too: see test/client/cli.test.ts).
    const after = await historyOf();
    expect(updateEvents(after)).toEqual([]);
    const added = after.slice(before.length).map((e) => e.eventType);
    expect(added.every((t) => [5, 6, 7].includes(Number(t)))).toBe(true); // WorkflowTaskScheduled/Started/Completed
    // The client refuses the same things before anything reaches Temporal, with the same words.
    await expect(submitReport(engine, plan.id, report({ status: 'fine' }))).rejects.toThrow(UserError);
    await expect(submitReport(engine, plan.id, report({ taskId: 'nothing' }))).rejects.toThrow(/taskId: unknown task "nothing"/);
  });
});

test('a report is applied once per request id, revisions are kept, lateness counts from the first arrival', async () => {
  await withWorker(async () => {
    const first = await submitReport(engine, plan.id, report());
    expect(first).toMatchObject({ revision: 1, onTime: true, daysLate: 0, duplicate: false, arrivedAt: expect.stringMatching(/^2030-03-22T/) });
    // The same submission again (a retry, a double click): the first receipt, nothing applied twice.
    const again = await submitReport(engine, plan.id, report({ summary: 'double click' }));
    expect(again).toMatchObject({ revision: 1, arrivedAt: first.arrivedAt });
    await sleepUntil('2030-04-10T04:00:00Z'); // two days after the due day
    const revised = await submitReport(engine, plan.id, report({ requestId: 'req-2', status: 'at-risk', summary: 'Revised.', progress: 40 }));
    expect(revised).toMatchObject({ revision: 2, onTime: true, daysLate: 0, firstArrivedAt: first.arrivedAt });
    const late = await submitReport(engine, plan.id, report({ requestId: 'req-3', unitId: 'late' }));
    expect(late).toMatchObject({ revision: 1, onTime: false, daysLate: 2 });
    // The texts are in the database (the group keeps only figures once they are written there).
    const revisions = await eventually(() => reportRevisions(db, plan.id, 't1', 'ontime', '2030-Q1'), (r) => r.length === 2);
    expect((await liveRevisions(env.client, plan.id, 't1', 'ontime', '2030-Q1')).map((r) => [r.requestId, r.status, r.progress])).toEqual([
      ['req-1', 'on-track', undefined],
      ['req-2', 'at-risk', 40],
    ]);
    expect(revisions.map((r) => [r.requestId, r.status, r.summary, r.progress])).toEqual([
      ['req-1', 'on-track', 'Done what was planned.', undefined],
      ['req-2', 'at-risk', 'Revised.', 40],
    ]);
  });
});

test('continue-as-new keeps every report and every request id', async () => {
  await withWorker(async () => {
    const handle = env.client.workflow.getHandle(groupId);
    // Three reports so far in the first run: the limit (3) made the workflow roll over to a fresh run.
    await sleepUntil('2030-04-10T05:00:00Z');
    const secondRun = (await handle.describe()).runId;
    expect(secondRun).not.toBe(firstRun);
    const again = await submitReport(engine, plan.id, report({ requestId: 'req-2', status: 'off-track', summary: 'sent twice' }));
    expect(again).toMatchObject({ revision: 2, duplicate: true });
    const status = await liveStatus(env.client, plan.id);
    const ontime = status.tasks[0].units.find((u) => u.unitId === 'ontime')!.periods[0];
    expect(ontime).toMatchObject({ state: 'submitted', revisions: 2, reportStatus: 'at-risk', progress: 40, daysLate: 0 });
    const late = status.tasks[0].units.find((u) => u.unitId === 'late')!.periods[0];
    expect(late).toMatchObject({ state: 'late', daysLate: 2, revisions: 1 });
    expect((await liveRevisions(env.client, plan.id, 't1', 'ontime', '2030-Q1')).length).toBe(2);
    await recordHistories(env.client, [groupId], 'reports-after-roll');
  });
});

test('a quarter closes: reports after closeAfterDays are refused', async () => {
  await withWorker(async () => {
    // Q1 due 2030-04-08; default closeAfterDays 90 -> closes at the end of 2030-07-07 (local).
    await sleepUntil('2030-07-07T15:00:00Z');
    await expect(submitReport(engine, plan.id, report({ requestId: 'req-9', unitId: 'silent' }))).resolves.toMatchObject({ daysLate: 90 });
    await sleepUntil('2030-07-07T16:30:00Z');
    await expect(submitReport(engine, plan.id, report({ requestId: 'req-10', unitId: 'silent', summary: 'too late' }))).rejects.toThrow(
      /period: 2030-Q1 closed at 2030-07-07T16:00:00.000Z/,
    );
  });
});
