/** The plan workflow: refuses an invalid plan for good, splits a large plan over group workflows. */
import { testActivities } from '../helpers/activities.js';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createDiscardMailer, createMemorySentLog } from '../../activities/index.js';
import { liveLayout, liveStatus } from '../../client/live.js';
import { planLayout, startPlan } from '../../client/plans.js';
import { fileDb } from '../helpers/db.js';
import { recordedPlan } from './support.js';
import { layoutOf, subPlan, UNIT_TASKS_PER_GROUP } from '../../workflows/cycle/layout.js';
import { generatePlan } from '../../scripts/generate-plan.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
// Waiting on a workflow's result lets the server skip time ahead: each test gets a server of its own.
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const activities = async () => testActivities({ db: await fileDb(), mailer: createDiscardMailer(), sentLog: createMemorySentLog(), from: 'hq@example.org' });

test('an invalid plan handed straight to the workflow fails it for good, naming the field', async () => {
  const taskQueue = uniqueQueue('invalid');
  const worker = await testWorker(env, { taskQueue, activities: await activities() });
  const bad = { ...yearPlan('invalid-2030'), timezone: 'Mars/Olympus', units: [] };
  await worker.runUntil(async () => {
    const err = await env.client.workflow
      .execute('planWorkflow', { workflowId: 'review-cycles:invalid-2030', taskQueue, args: [{ plan: bad }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidPlan');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/timezone: .*Mars\/Olympus/);
    expect(cause.message).toMatch(/units/);
  });
});

test('a plan larger than one group is split, and its status is assembled in plan order', async () => {
  const plan = validPlan(generatePlan({ id: 'split-2030', tasks: 120, unitsPerTask: 2, years: 1, startYear: 2030 }));
  const layout = layoutOf(plan);
  expect(layout.groups.length).toBe(Math.ceil((120 * 2) / UNIT_TASKS_PER_GROUP));
  // Every task once; each unit's tasks in one group (the layout keeps a unit's notices of an instant in one batch).
  expect(layout.groups.flatMap((g) => g.taskIds).sort()).toEqual(plan.tasks.map((t) => t.id).sort());
  for (const u of plan.units) expect(layout.groups.filter((g) => plan.tasks.some((t) => g.taskIds.includes(t.id) && t.units.includes(u.id)))).toHaveLength(1);
  const part = subPlan(plan, layout.groups[1].taskIds);
  expect(part.tasks.length).toBe(layout.groups[1].taskIds.length);
  expect(new Set(part.units.map((u) => u.id))).toEqual(new Set(part.tasks.flatMap((t) => t.units)));
  const taskQueue = uniqueQueue('split');
  const worker = await testWorker(env, { taskQueue, activities: await activities() });
  await worker.runUntil(async () => {
    await startPlan(env.client, plan, taskQueue);
    expect(await liveLayout(env.client, plan.id)).toEqual(layout);
    // The plan workflow records the plan and its layout first, so that every read finds them.
    await recordedPlan(await fileDb(), plan.id);
    expect(await planLayout(await fileDb(), plan.id)).toEqual(layout);
    const status = await liveStatus(env.client, plan.id);
    expect(status.tasks.map((t) => t.taskId)).toEqual(plan.tasks.map((t) => t.id));
    expect([...new Set(status.tasks.flatMap((t) => t.units.flatMap((u) => u.periods.map((p) => p.state))))]).toEqual(['scheduled']);
  });
});
