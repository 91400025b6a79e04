/**
 * An amendment reaches a plan one of whose groups has ended (here: terminated, as a closed group is to a signal): the
 * plan workflow's signal to it fails with "not found", which it takes as nothing left to amend, and the amendment
 * completes, with the group still running on version 2. Any other signal failure would be retried, so a wrong reading
 * of "not found" shows here as an amendment that never completes.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDiscardMailer, createMemorySentLog } from '../../activities/index.js';
import { amendPlan } from '../../client/amend.js';
import { startPlan } from '../../client/plans.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { fileDb } from '../helpers/db.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let db: pg.Pool;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await fileDb();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

test('a group that has ended is passed over; the amendment completes and the running group takes it', async () => {
  const base = yearPlan(`amend-ended-${process.pid}`);
  // 153 tasks of one unit each, over three units: three groups (see unit-layout.test.ts).
  const units = ['ontime', 'late', 'silent'];
  const v1 = validPlan({ ...base, tasks: Array.from({ length: 153 }, (_, i) => ({ id: `t${i + 1}`, aspect: 'a', title: `Task ${i + 1}`, units: [units[i % 3]] })) });
  const v2 = validPlan({ ...v1, units: v1.units.map((u) => (u.id === 'late' ? { ...u, email: 'late@new.example.org' } : u)) });
  const taskQueue = uniqueQueue('amend-ended');
  const worker = await testWorker(env, { taskQueue, activities: testActivities({ db, mailer: createDiscardMailer(), sentLog: createMemorySentLog() }) });
  await worker.runUntil(async () => {
    const started = await startPlan(env.client, v1, taskQueue);
    expect(started.started).toBe(true);
    const groups = [groupWorkflowId(v1.id, 0), groupWorkflowId(v1.id, 1)];
    const runOf = (id: string) => env.client.workflow.getHandle(id).describe().then((d) => d.runId, () => undefined);
    let firstRuns: (string | undefined)[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((ok) => setTimeout(ok, 200))) {
      firstRuns = await Promise.all(groups.map(runOf));
      if (firstRuns.every(Boolean)) break;
    }
    expect(firstRuns.every(Boolean)).toBe(true);
    await env.client.workflow.getHandle(groups[0]).terminate('ended for the test');
    const t0 = Date.now();
    const outcome = await amendPlan({ client: env.client, db, stampArrival: false }, v1.id, v2, { reason: 'a new address' });
    expect(outcome).toMatchObject({ version: 2, duplicate: false });
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The running group took version 2 (it rolled over); the ended one stays ended.
    const kept = await env.client.workflow.getHandle(groups[1]).describe();
    expect(kept.runId).not.toBe(firstRuns[1]);
    expect(kept.status.name).toBe('RUNNING');
    expect((await env.client.workflow.getHandle(groups[0]).describe()).status.name).toBe('TERMINATED');
  });
}, 120_000);
