/**
 * The layout that keeps a unit's tasks in one group: pure properties, and on the time-skipping server a plan that
 * keeps the layout it started with through every continue-as-new of its plan workflow.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDiscardMailer, createMemorySentLog } from '../../activities/index.js';
import { liveLayout } from '../../client/live.js';
import { planLayout } from '../../client/plans.js';
import { generatePlan } from '../../scripts/generate-plan.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf, UNIT_TASKS_PER_GROUP } from '../../workflows/cycle/layout.js';
import { testActivities } from '../helpers/activities.js';
import { fileDb } from '../helpers/db.js';
import { HISTORIES_DIR } from '../helpers/histories.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { validPlan } from '../fixtures/plans.js';

const unitTasks = (plan: Plan, taskIds: string[]) => plan.tasks.filter((t) => taskIds.includes(t.id)).reduce((n, t) => n + t.units.length, 0);
/** How many groups each unit's tasks are spread over. */
function spread(plan: Plan, layout: ReturnType<typeof layoutOf>): Map<string, number> {
  const groupsOf = new Map<string, Set<number>>();
  layout.groups.forEach((g, n) => {
    for (const t of plan.tasks.filter((x) => g.taskIds.includes(x.id))) for (const u of t.units) (groupsOf.get(u) ?? groupsOf.set(u, new Set()).get(u)!).add(n);
  });
  return new Map([...groupsOf].map(([u, s]) => [u, s.size]));
}

test("the benchmark's generated plan: every unit's tasks in one group, each group within its bound", () => {
  const plan = validPlan(generatePlan({ tasks: 200, unitsPerTask: 3, years: 1 }));
  const old = layoutOf(plan, 'tasks');
  const layout = layoutOf(plan);
  expect(layout.groups.flatMap((g) => g.taskIds).sort()).toEqual(plan.tasks.map((t) => t.id).sort());
  for (const g of layout.groups) expect(unitTasks(plan, g.taskIds)).toBeLessThanOrEqual(UNIT_TASKS_PER_GROUP);
  expect(Math.max(...spread(plan, layout).values())).toBe(1);
  // The file-order layout spreads every unit over (nearly) all of its groups.
  expect(Math.min(...spread(plan, old).values())).toBeGreaterThanOrEqual(old.groups.length - 1);
  expect(layout.groups.length).toBeLessThanOrEqual(2 * old.groups.length + 1);
});

test('a plan that fits one group is laid out as before; a cluster larger than a group is cut by lead unit', () => {
  const small = validPlan(generatePlan({ tasks: 30, unitsPerTask: 3, years: 1 }));
  expect(layoutOf(small)).toEqual(layoutOf(small, 'tasks'));
  // Every task shares unit-1, so the whole plan is one cluster of 150 unit-tasks: cut, each lead unit's tasks together.
  const raw = generatePlan({ tasks: 60, unitsPerTask: 1, units: 3, years: 1 }) as { tasks: { units: string[] }[] };
  raw.tasks.forEach((t, i) => (t.units = i % 2 ? ['unit-2', 'unit-1'] : ['unit-3', 'unit-1']));
  const big = validPlan(raw);
  const layout = layoutOf(big);
  expect(layout.groups).toHaveLength(2);
  for (const g of layout.groups) expect(unitTasks(big, g.taskIds)).toBeLessThanOrEqual(UNIT_TASKS_PER_GROUP);
  const leads = layout.groups.map((g) => new Set(big.tasks.filter((t) => g.taskIds.includes(t.id)).map((t) => t.units[0])));
  expect(leads.map((s) => s.size)).toEqual([1, 1]);
  expect(layoutOf(big)).toEqual(layout); // deterministic
});

/**
 * 153 one-unit tasks over three units in turn: the file-order layout makes 2 groups (100 + 53), the unit layout 3 (51
 * each), so a run that chose the wrong layout on replay starts a different number of children, or waits for a
 * different number of tallies.
 */
function threeUnitPlan(id: string, end = '2030-12-31'): Plan {
  const units = ['u1', 'u2', 'u3'];
  return validPlan({
    id,
    title: 'Three units',
    timezone: 'Asia/Shanghai',
    start: '2030-01-01',
    end,
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [{ id: 'l1', name: 'Leader One', email: 'l1@example.org' }],
    units: units.map((u) => ({ id: u, name: `Unit ${u}`, email: `${u}@example.org`, leader: 'l1' })),
    aspects: [{ id: 'a', title: 'Aspect A' }],
    tasks: Array.from({ length: 153 }, (_, i) => ({ id: `t${i + 1}`, aspect: 'a', title: `Task ${i + 1}`, units: [units[i % 3]] })),
    cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5, reminderDays: [], escalation: [] },
  });
}

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** Every run of a workflow, first to last (following continue-as-new). */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  const described = await env.client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined = described.runId;
  while (runId) {
    runs.unshift(runId);
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

test('a plan keeps the layout it started with through every continue-as-new of its plan workflow', async () => {
  // Two years: the reviews fall on four instants (two half-year reviews, two annual summaries, the plan's summary with
  // the last), and the plan workflow rolls over after each but the last.
  const plan = threeUnitPlan('unit-layout-2030', '2031-12-31');
  const taskQueue = uniqueQueue('unit-layout');
  const db = await fileDb();
  const worker = await testWorker(env, { taskQueue, activities: testActivities({ db, mailer: createDiscardMailer(), sentLog: createMemorySentLog() }) });
  const workflowId = planWorkflowId(plan.id);
  const seen = await worker.runUntil(async () => {
    // A roll-over after every review: the runs after the first carry the plan's state, and recompute the layout.
    const handle = await env.client.workflow.start('planWorkflow', { workflowId, taskQueue, args: [{ plan, limits: { maxPlanHistoryPerRun: 1 } }] });
    const result = await handle.result();
    return { result, live: await liveLayout(env.client, plan.id) };
  });
  const runs = await runsOf(workflowId);
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    const name = process.env.RECORD_HISTORIES_AS ?? 'unit-layout';
    for (const [i, runId] of runs.slice(0, 2).entries()) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      writeFileSync(join(HISTORIES_DIR, `${name}-${i + 1}.json`), JSON.stringify({ workflowId, history: JSON.parse(historyToJSON(history)) }));
    }
  }
  expect(layoutOf(plan, 'tasks').groups).toHaveLength(2);
  expect(layoutOf(plan).groups).toHaveLength(3);
  expect(seen.result).toMatchObject({ groups: 3, reviews: 5 });
  expect(runs.length).toBeGreaterThanOrEqual(3);
  expect(await planLayout(db, plan.id)).toEqual(layoutOf(plan));
  // The last run (after two roll-overs) answers with the layout the first run chose.
  expect(seen.live).toEqual(layoutOf(plan));
}, 240_000);
