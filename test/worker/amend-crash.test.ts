/**
 * A worker killed with SIGKILL while the plan workflow applies an amendment (issue "Amend a running plan" §3): a plan
 * of 60 groups (600 tasks x 10 units, 6,000 unit-tasks) on a real dev server and PostgreSQL, run by a real worker
 * process; an amendment that changes every group (every unit's address) and adds a task is sent with amendPlan, and
 * the worker is killed as soon as the plan workflow's history shows the first signal to a group. A second worker
 * finishes it: the same call gets its receipt, a repeat answers duplicate, every group rolls over to version 2, the
 * new task's group runs, version 2 is recorded once, and no workflow task failed.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { amendPlan, type AmendOutcome } from '../../client/amend.js';
import { recordedPlan, startPlan } from '../../client/plans.js';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { GroupInput } from '../../workflows/group.js';
import { validPlan } from '../fixtures/plans.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer } from '../helpers/dev-server.js';
import { killGroup, polling, stopWorker, WorkerProcesses, waitUntil } from '../helpers/worker-process.js';

/** One event of a history, as the client returns it. */
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const GROUPS = 60;
const UNITS = 600;
const UNITS_PER_TASK = 10;

const dev = useDevServer({ headless: true });
const stamp = `${process.pid}-${Date.now()}`;
const queue = `amend-crash-${stamp}`;
const planId = `amend-crash-${stamp}`;
const around = planAroundNow(planId);
const unitIds = Array.from({ length: UNITS }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);
// Task i has units 10i..10i+9 (mod 600): tasks i, i+60, i+120, ... share theirs, 100 unit-tasks, one group each.
const v1: Plan = validPlan({
  ...around.plan,
  units: unitIds.map((id) => ({ id, name: `Unit ${id}`, email: `${id}@example.org` })),
  tasks: Array.from({ length: UNITS }, (_, i) => ({
    id: `t${i + 1}`,
    aspect: 'a',
    title: `Task ${i + 1}`,
    units: Array.from({ length: UNITS_PER_TASK }, (_, k) => unitIds[(i * UNITS_PER_TASK + k) % UNITS]),
  })),
  // Requests 5 days after each quarter: nothing is due while the test runs, so no mail at all.
  cadence: { sendTime: '09:00', requestOffsetDays: 5, dueOffsetDays: 12 },
});
/** Version 2: every unit at a new address (every group changes), and a new task of two units. */
const v2: Plan = validPlan({
  ...v1,
  units: v1.units.map((u) => ({ ...u, email: `${u.id}@new.example.org` })),
  tasks: [...v1.tasks, { id: 'tnew', aspect: 'a', title: 'Task New', units: ['u001', 'u002'] }],
});
const REASON = 'every address moves; task tnew added';
const groupIds = Array.from({ length: GROUPS }, (_, i) => groupWorkflowId(planId, i));
const newGroupId = groupWorkflowId(planId, GROUPS);

const workers = new WorkerProcesses();
let dbUrl: string;
let db: pg.Pool;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  dbUrl = await freshDatabaseUrl();
  db = new pg.Pool({ connectionString: dbUrl, max: 4 });
  db.on('error', () => {});
  connection = await Connection.connect({ address: dev.address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await workers.stopAll();
  await connection?.close();
  await db?.end();
});

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Long-polls the plan workflow's history (each call returns only the events appended since the last) until an event
 * matches; returns it and the number of events seen.
 */
async function firstEvent(workflowId: string, match: (e: HistoryEvent) => boolean, ms: number): Promise<HistoryEvent> {
  const until = Date.now() + ms;
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for an event of ${workflowId}`);
    const res = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, waitNewEvent: true, nextPageToken });
    const hit = (res.history?.events ?? []).find(match);
    if (hit) return hit;
    if (!res.nextPageToken?.length) throw new Error(`${workflowId} ended before the event came`);
    nextPageToken = res.nextPageToken;
  }
}

const historyOf = async (workflowId: string, runId?: string) => (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];

/** The input a run started with, decoded as the SDK decodes it. */
function inputOf(events: HistoryEvent[]): GroupInput {
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error('the run has no input');
  return defaultPayloadConverter.fromPayload<GroupInput>(payload);
}

const count = (events: HistoryEvent[], key: keyof HistoryEvent) => events.filter((e) => e[key]).length;
const failedTasks = (events: HistoryEvent[]) =>
  events.filter((e) => e.workflowTaskFailedEventAttributes).map((e) => `${e.eventId}: ${e.workflowTaskFailedEventAttributes!.failure?.message}`);

test('a worker killed while an amendment reaches 60 groups: a second worker finishes it, no group left on version 1', async () => {
  const env = {
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_NAMESPACE: 'default',
    REVIEW_CYCLES_TASK_QUEUE: queue,
    REVIEW_CYCLES_DATABASE_URL: dbUrl,
    // Built from this release's workflows by the test run: the second worker polls in about a second.
    REVIEW_CYCLES_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
  };
  const a = workers.spawn('A', env);
  await polling(a);

  expect((await startPlan(client, v1, queue)).started).toBe(true);
  // Every group runs before the amendment: the first run of each, kept to tell a roll-over from it.
  const firstRuns = await waitUntil('every group running', 90_000, async () => {
    const runs = await Promise.all(groupIds.map((id) => client.workflow.getHandle(id).describe().then((d) => d.runId, () => undefined)));
    return runs.every((r) => r !== undefined) ? (runs as string[]) : undefined;
  }, 250);
  await waitUntil('the plan recorded', 30_000, () => recordedPlan(db, planId).then(() => true, () => undefined));
  const engine = { client, db };

  // The amendment goes in; the worker dies as soon as the plan workflow has sent its first signal to a group.
  const sentAt = Date.now();
  const call = amendPlan(engine, planId, v2, { reason: REASON, by: 'crash test' }).then(
    (outcome) => ({ outcome, at: Date.now() }),
    (error: Error) => ({ error, at: Date.now() }),
  );
  const first = await firstEvent(planWorkflowId(planId), (e) => !!e.signalExternalWorkflowExecutionInitiatedEventAttributes, 60_000);
  killGroup(a, 'SIGKILL');
  const killedAt = Date.now();
  expect((await a.exited).signal).toBe('SIGKILL');

  // What the kill cut, from the histories once the killed worker can change nothing more.
  const atKill = await historyOf(planWorkflowId(planId));
  const cut = {
    signalsInitiated: count(atKill, 'signalExternalWorkflowExecutionInitiatedEventAttributes'),
    signalsDelivered: count(atKill, 'externalWorkflowExecutionSignaledEventAttributes'),
    newGroupStarted: atKill.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === newGroupId),
    updateCompleted: count(atKill, 'workflowExecutionUpdateCompletedEventAttributes'),
  };
  const rolledAtKill = (await Promise.all(groupIds.map((id, i) => client.workflow.getHandle(id).describe().then((d) => d.runId !== firstRuns[i])))).filter(Boolean).length;
  expect(count(atKill, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  // The groups' parts go out 25 at a time: the kill came once the first slice was out.
  expect(cut.signalsInitiated).toBeGreaterThan(0);
  expect(cut.signalsInitiated).toBeLessThanOrEqual(GROUPS);
  // The kill came in the middle of applying the amendment: its Update had not completed, the new group had not started.
  expect(cut.updateCompleted).toBe(0);
  expect(cut.newGroupStarted).toBe(false);

  const b = workers.spawn('B', env);
  await polling(b);
  const bPollingAfter = Date.now() - killedAt;

  // The same call gets its receipt.
  const answered = await call;
  if ('error' in answered) throw new Error(`amendPlan failed: ${answered.error.message}\nworker B:\n${b.output().slice(-4000)}`);
  const outcome: AmendOutcome = answered.outcome;
  expect(outcome).toMatchObject({ planId, previousVersion: 1, version: 2, dryRun: false, duplicate: false });
  expect(outcome.receipt).toMatchObject({ planId, version: 2, duplicate: false });
  // A repeat with the same id changes nothing and says so.
  const repeat = await amendPlan(engine, planId, v2, { reason: REASON, by: 'crash test', requestId: outcome.requestId });
  expect(repeat).toMatchObject({ version: 2, duplicate: true });

  // Every group rolls over to version 2: its latest run started with `amended.version === 2`, at the new addresses.
  let lastSeen = '';
  const latest = await waitUntil('every group on version 2', 90_000, async () => {
    const runs = await Promise.all(groupIds.map((id) => historyOf(id)));
    const versions = runs.map((events) => inputOf(events).amended?.version ?? 1);
    lastSeen = `${versions.filter((v) => v === 2).length} of ${GROUPS} groups on version 2`;
    return versions.every((v) => v === 2) ? runs : undefined;
  }, 500).catch((err: Error) => {
    throw new Error(`${err.message} (${lastSeen})\nworker B:\n${b.output().slice(-4000)}`);
  });
  const allRolledAfter = Date.now() - killedAt;
  const at = Date.parse(outcome.at!);
  for (const events of latest) {
    const input = inputOf(events);
    expect(input.amended).toMatchObject({ version: 2, at });
    expect(input.plan.units.length).toBeGreaterThan(0);
    for (const u of input.plan.units) expect(u.email).toBe(`${u.id}@new.example.org`);
    expect(failedTasks(events)).toEqual([]);
  }
  // The runs that took the signal (the ones before the latest) failed no workflow task either.
  for (const events of latest) {
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    expect(previous).toBeTruthy();
    const run = await historyOf(groupIds[latest.indexOf(events)], previous!);
    expect(failedTasks(run)).toEqual([]);
    expect(count(run, 'workflowExecutionContinuedAsNewEventAttributes')).toBe(1);
  }

  // The new task's group runs, started by the amendment, with version 2's part of the plan.
  const started = await historyOf(newGroupId);
  const newInput = inputOf(started);
  expect(newInput.plan.tasks.map((t) => t.id)).toEqual(['tnew']);
  expect(newInput.joinedAt).toBe(at);
  expect(newInput.groupIndex).toBe(GROUPS);
  expect(newInput.plan.units.map((u) => u.email)).toEqual(['u001@new.example.org', 'u002@new.example.org']);
  expect((await client.workflow.getHandle(newGroupId).describe()).status.name).toBe('RUNNING');
  expect(failedTasks(started)).toEqual([]);

  // The system of record: version 2 once, in force, with the new group in its layout.
  const { rows } = await db.query<{ version: number; n: string }>('SELECT version, count(*) AS n FROM plan_versions WHERE plan_id = $1 GROUP BY version ORDER BY version', [planId]);
  expect(rows.map((r) => [r.version, Number(r.n)])).toEqual([[1, 1], [2, 1]]);
  const stored = await recordedPlan(db, planId);
  expect(stored.version).toBe(2);

  // The plan workflow: one amendment accepted and completed, each group signalled once, the new group started once,
  // and no failed workflow task (the kill only timed tasks out).
  const plan = await historyOf(planWorkflowId(planId));
  expect(failedTasks(plan)).toEqual([]);
  expect(count(plan, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(count(plan, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
  expect(count(plan, 'signalExternalWorkflowExecutionInitiatedEventAttributes')).toBe(GROUPS);
  expect(plan.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === newGroupId)).toHaveLength(1);
  expect((await client.workflow.getHandle(planWorkflowId(planId)).describe()).status.name).toBe('RUNNING');
  const timedOut = count(plan, 'workflowTaskTimedOutEventAttributes');
  // Where the time after the kill went, in the plan workflow's history (the signals' deliveries left out).
  const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const typeName = (e: HistoryEvent) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent])?.replace(/EventAttributes$/, '') ?? '?';
  const after = plan.filter((e) => ms(e) >= killedAt && !e.externalWorkflowExecutionSignaledEventAttributes).map((e) => `${typeName(e)} +${((ms(e) - killedAt) / 1000).toFixed(1)}s`);

  console.log(
    `amend-crash: first signal ${Number(first.eventId)} seen ${killedAt - sentAt} ms after amendPlan; at the kill ${cut.signalsInitiated} signals initiated, ` +
      `${cut.signalsDelivered} delivered, ${rolledAtKill}/${GROUPS} groups rolled, Update not completed, new group not started; ` +
      `B polling ${bPollingAfter} ms after the kill; receipt ${answered.at - killedAt} ms after the kill; all ${GROUPS} groups on version 2 ${allRolledAfter} ms after it; ` +
      `${timedOut} plan workflow tasks timed out; plan events after the kill: ${after.join(', ')}`,
  );
  expect(await stopWorker(b), `worker B did not stop on SIGTERM:\n${b.output()}`).toBe(true);
}, 300_000);
