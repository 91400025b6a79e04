/**
 * A plan big enough to break every per-execution limit a naive design would hit (one child per task, every report
 * into one workflow, a signal per report), rehearsed in full: no execution of ours comes near any limit.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { generatePlan } from '../../scripts/generate-plan.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { validPlan } from '../fixtures/plans.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

// 2,100 tasks (> 2,000 children), 2 units each, 3 quarters: 12,600 reports (> 2,000 updates, > 10,000 signals).
const TASKS = 2_100;
const plan = validPlan({ ...generatePlan({ id: 'scale', tasks: TASKS, unitsPerTask: 2, units: 60, years: 1, startYear: 2030 }), end: '2030-09-30' });
const LIMITS = { events: 10_240, updates: 2_000, signals: 10_000, children: 2_000, activities: 2_000 };

let env: TestWorkflowEnvironment;
let result: RehearsalResult;
beforeAll(async () => {
  env = await timeSkippingEnv();
  result = await rehearse({
    plan,
    env,
    outDir: mkdtempSync(join(tmpdir(), 'rc-scale-')),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: { default: { submit: { daysAfterRequest: 1 }, status: 'on-track', progress: 1 }, rules: [{ unit: 'unit-7', submit: 'never' }] },
    log: (line) => console.log(line),
  });
});
afterAll(async () => {
  await env?.teardown();
});

interface RunCounts {
  workflowId: string;
  events: number;
  updates: number;
  signals: number;
  children: number;
  activities: number;
}

/** Every run of a workflow, newest first, following continue-as-new back to the first. */
async function runsOf(workflowId: string): Promise<RunCounts[]> {
  const counts: RunCounts[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const count = (pick: (e: (typeof events)[number]) => unknown) => events.filter(pick).length;
    counts.push({
      workflowId,
      events: events.length,
      updates: count((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
      signals: count((e) => e.workflowExecutionSignaledEventAttributes),
      children: count((e) => e.startChildWorkflowExecutionInitiatedEventAttributes),
      activities: count((e) => e.activityTaskScheduledEventAttributes),
    });
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return counts;
    runId = previous;
  }
}

test('every report of the large plan is in, and every notice went out', () => {
  const periods = result.status.tasks.flatMap((t) => t.units.flatMap((u) => u.periods));
  expect(periods).toHaveLength(TASKS * 2 * 3);
  const silent = result.status.tasks.flatMap((t) => t.units.filter((u) => u.unitId === 'unit-7')).length;
  expect(periods.filter((p) => p.state === 'submitted')).toHaveLength((TASKS * 2 - silent) * 3);
  expect(result.notices.filter((n) => n.kind === 'request')).toHaveLength(TASKS * 2 * 3);
  expect(result.rejected).toEqual([]);
});

test('no run of any workflow comes near a per-execution limit that a naive design would cross', async () => {
  const layout = layoutOf(plan);
  expect(layout.groups.length).toBeLessThan(LIMITS.children);
  const runs = (await Promise.all([planWorkflowId(plan.id), ...layout.groups.map((g) => g.workflowId)].map(runsOf))).flat();
  const worst = (k: keyof Omit<RunCounts, 'workflowId'>) => Math.max(...runs.map((r) => r[k]));
  console.log(`runs: ${runs.length}; most events ${worst('events')}, updates ${worst('updates')}, signals ${worst('signals')}, children ${worst('children')}, activities ${worst('activities')}`);
  expect(worst('events')).toBeLessThan(LIMITS.events);
  expect(worst('updates')).toBeLessThan(LIMITS.updates);
  expect(worst('signals')).toBeLessThan(LIMITS.signals);
  expect(worst('children')).toBeLessThan(LIMITS.children);
  expect(worst('activities')).toBeLessThan(LIMITS.activities);
  // The totals that a single workflow would have had to carry, to show the limits were really crossed.
  const total = (k: 'updates' | 'signals') => runs.reduce((n, r) => n + r[k], 0);
  expect(total('updates')).toBeGreaterThan(LIMITS.signals);
  expect(TASKS).toBeGreaterThan(LIMITS.children);
});
