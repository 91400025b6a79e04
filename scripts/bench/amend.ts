/**
 * Part 6: one amendment of a 10,000-task plan on a real dev server (issue "Amend a running plan" §3: it applies within
 * a minute). The plan is the reads part's shape, 10,000 tasks x 5 units (50,000 unit-tasks, 500 groups), run by a
 * worker in this process with a temporary embedded PostgreSQL; the amendment adds next year's holidays and make-up
 * working days and one task. Timed from the amendPlan call to its receipt, and to the moment the last group rolled
 * over to version 2 (the close time of each group's run that took the signal).
 */
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities, createDiscardMailer } from '../../activities/index.js';
import { amendPlan } from '../../client/amend.js';
import { DevServerError, PortInUseError, freePorts, startDevServer, type DevServer } from '../../client/dev-server.js';
import { planLayout, startPlan } from '../../client/plans.js';
import { createDbSentLog, openStore, temporaryEmbeddedPostgres, type EmbeddedPostgres, type Store } from '../../store/index.js';
import { workflowsPath } from '../../worker/build.js';
import { installRuntime } from '../../worker/runtime.js';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import { layoutQuery } from '../../workflows/contract/messages.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { GroupInput } from '../../workflows/group.js';
import { generatePlan } from '../generate-plan.js';
import { now, round } from './stats.js';

/** The issue's figure: an amendment of a 10,000-task plan applies within a minute. */
export const AMEND_TARGETS = { amendAppliedMaxS: 60 };

export interface AmendOptions {
  tasks: number;
  unitsPerTask: number;
  units: number;
}

export interface AmendFigures {
  options: AmendOptions;
  planId: string;
  unitTasks: number;
  groups: number;
  planJsonKiB: number;
  /** From startPlan to every group workflow running. */
  startedAfterMs: number;
  /** The same amendment as a dry run first: the client's checks and preview alone (the database, no Temporal). */
  dryRunMs: number;
  /** From the amendPlan call to its receipt (checks, preview, Update accepted and applied). */
  receiptMs: number;
  /** True when amendPlan stopped waiting (120 s) before the Update completed: receiptMs is then the completion event's time. */
  callGaveUp: boolean;
  /** From the call to the close of the last group run that rolled over (every group on version 2). */
  allRolledMs: number;
  /** From the call to the close of the first, the median and the last rolled run. */
  rolledMs: { first: number; p50: number; last: number };
  /** Groups whose latest run started with `amended.version === 2`, of the groups before it. */
  onVersion2: number;
  /** The group started for the added task is running. */
  newGroupRunning: boolean;
  /** Rows of version 2 in plan_versions (1: recorded once). */
  versionRows: number;
  /** From the call (ms) to each step of the plan workflow applying it, from its history's event times. */
  phases: { accepted: number; recorded: number; signalsSent: number; lastSignalDelivered: number; newGroupStarted: number; completed: number };
  /**
   * Per group, ms (median and max): the signal delivered (after the call), then waiting for a worker, the roll's
   * workflow tasks, waiting for the next run's first task, and that task.
   */
  rollSteps: Record<'delivered' | 'waitForWorker' | 'rollTasks' | 'nextWait' | 'nextTask', { p50: number; max: number }>;
  /** A query to the plan workflow on a fresh worker without a cache: its whole history replayed. */
  replayMs: number;
  /** The plan workflow's tasks from the signals sent to the Update completed, and their time on the worker. */
  planTasks: { count: number; p50Ms: number; maxMs: number; totalMs: number };
  /** Workflow tasks of the plan workflow that failed (0 expected). */
  planFailedTasks: number;
  planHistory: { events: number; bytes: number };
  /** The plan workflow's current run after the amendment (and a repeat of it, a duplicate). */
  planAfter: { rolled: boolean; events: number; bytes: number };
}

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const span = (year: number, month: number, day: number, n: number) => Array.from({ length: n }, (_, i) => ymd(Date.UTC(year, month - 1, day) + i * DAY));

/** The fixed-date public holidays of a year (New Year, Labour Day, National Day) and two make-up working Saturdays or Sundays. */
function calendarOf(year: number): { holidays: string[]; extraWorkdays: string[] } {
  return { holidays: [`${year}-01-01`, ...span(year, 5, 1, 5), ...span(year, 10, 1, 7)], extraWorkdays: [`${year}-04-25`, `${year}-09-26`] };
}

/**
 * The bench plan: from the current quarter's first day for two years (Asia/Shanghai, this year's holidays only), each
 * quarter requested 5 days after its end, so that nothing is due while the bench runs, whatever the day.
 */
export function amendBenchPlans(id: string, o: AmendOptions, at = Date.now()): { v1: Plan; v2: Plan } {
  const today = new Date(at);
  const year = today.getUTCFullYear();
  const q = Math.floor(today.getUTCMonth() / 3);
  const raw = generatePlan({ id, tasks: o.tasks, unitsPerTask: o.unitsPerTask, units: o.units, years: 2, startYear: year, timezone: 'Asia/Shanghai' });
  Object.assign(raw, {
    title: `Amendment benchmark plan ${id}`,
    start: ymd(Date.UTC(year, 3 * q, 1)),
    end: ymd(Date.UTC(year, 3 * q + 24, 0)),
    cadence: { sendTime: '09:00', requestOffsetDays: 5, dueOffsetDays: 15, reminderDays: [-3, -1], escalation: [{ afterDaysOverdue: 3, to: 'unitLeader' }] },
    calendar: { workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], ...calendarOf(year) },
  });
  const v1 = valid(raw);
  const next = calendarOf(year + 1);
  const v2 = valid({
    ...v1,
    calendar: { ...v1.calendar!, holidays: [...v1.calendar!.holidays, ...next.holidays], extraWorkdays: [...v1.calendar!.extraWorkdays, ...next.extraWorkdays] },
    tasks: [...v1.tasks, { id: 'task-added', aspect: v1.aspects[0].id, title: 'Task added by the amendment', units: [v1.units[0].id, v1.units[1].id] }],
  });
  return { v1, v2 };
}

function valid(raw: unknown): Plan {
  const checked = checkPlan(raw);
  if (!checked.ok) throw new Error(`amend bench plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return checked.plan;
}

async function startServer(dataDir: string): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    const [port, uiPort] = await freePorts(2);
    try {
      return await startDevServer({ dataDir, port, uiPort, headless: true, ownProcessGroup: false });
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortInUseError || err instanceof DevServerError)) throw err;
    }
  }
}

/** `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  }));
  return out;
}

/**
 * Pages of at most 20 events: the plan workflow's history holds four events of more than a MiB each (the plan, as the
 * input, recordPlan's, the Update's and recordAmendment's), and a page larger than 4 MiB is refused by gRPC.
 */
const PAGE = 20;

/** The whole history of a workflow's current run, page by page. */
async function historyOf(client: Client, workflowId: string, runId?: string) {
  const events = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId }, maximumPageSize: PAGE, nextPageToken });
    events.push(...(res.history?.events ?? []));
    nextPageToken = res.nextPageToken?.length ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** The time (ms since the epoch) of the first WorkflowExecutionUpdateCompleted event, long-polling the history. */
async function updateCompletedAt(client: Client, workflowId: string, runId: string, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    if (Date.now() > until) throw new Error(`the amendment's Update did not complete within ${ms / 1000} s`);
    const res = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId }, waitNewEvent: true, maximumPageSize: PAGE, nextPageToken });
    const done = (res.history?.events ?? []).find((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    if (done) return Number(done.eventTime?.seconds ?? 0) * 1000 + Math.round((done.eventTime?.nanos ?? 0) / 1e6);
    if (!res.nextPageToken?.length) throw new Error(`${workflowId} ended before the amendment completed`);
    nextPageToken = res.nextPageToken;
  }
}

export async function amendBench(o: AmendOptions, say: (s: string) => void): Promise<AmendFigures> {
  installRuntime();
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-bench-amend-'));
  let server: DevServer | undefined;
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  let pg: EmbeddedPostgres | undefined;
  let store: Store | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    server = await startServer(dataDir);
    pg = await temporaryEmbeddedPostgres((await freePorts(1))[0]);
    store = await openStore(pg.url, { max: 20 });
    const db = store.pool;
    nativeConnection = await NativeConnection.connect({ address: server.address });
    // One batch of the plan workflow's history (the workflow task that signals every group) passes grpc-js's default 4 MiB.
    connection = await Connection.connect({ address: server.address, channelArgs: { 'grpc.max_receive_message_length': 64 * 2 ** 20 } });
    const client = new Client({ connection, namespace: 'default' });
    const queue = 'bench-amend';
    const activities = createActivities({ mailer: createDiscardMailer(), sentLog: createDbSentLog(db), db, from: 'bench@review-cycles.invalid', documentsDir: () => join(dataDir, 'documents') });
    worker = await Worker.create({ connection: nativeConnection, taskQueue: queue, workflowsPath, activities });
    running = worker.run();

    const planId = `bench-amend-${Date.now()}`;
    const { v1, v2 } = amendBenchPlans(planId, o);
    const unitTasks = v1.tasks.reduce((n, t) => n + t.units.length, 0);
    const planJsonKiB = round(Buffer.byteLength(JSON.stringify(v1)) / 1024, 0);
    const s0 = now();
    if (!(await startPlan(client, v1, queue)).started) throw new Error(`plan ${planId} already running`);
    let layout = await planLayout(db, planId).catch(() => undefined);
    for (; !layout; layout = await planLayout(db, planId).catch(() => undefined)) {
      if (now() - s0 > 120_000) throw new Error(`plan ${planId} was not recorded within 120 s`);
      await sleep(200);
    }
    const groupIds = layout.groups.map((g) => g.workflowId);
    // Every group running, and the run each starts with (to tell a roll-over from it).
    let firstRuns: (string | undefined)[] = [];
    let told = now();
    for (;;) {
      if (now() - told > 30_000) {
        told = now();
        say(`  ${firstRuns.filter(Boolean).length} of ${groupIds.length} groups running after ${((now() - s0) / 1000).toFixed(0)} s`);
      }
      firstRuns = await mapLimit(groupIds, 20, (id, i) => (firstRuns[i] ? Promise.resolve(firstRuns[i]) : client.workflow.getHandle(id).describe().then((d) => d.runId, () => undefined)));
      if (firstRuns.every(Boolean)) break;
      if (now() - s0 > 600_000) throw new Error(`only ${firstRuns.filter(Boolean).length} of ${groupIds.length} groups running after 600 s`);
      await sleep(2_000);
    }
    const startedAfterMs = round(now() - s0, 0);
    say(`  plan ${planId}: ${o.tasks} tasks x ${o.unitsPerTask} units (${unitTasks} unit-tasks, ${planJsonKiB} KiB of JSON), ${groupIds.length} groups running ${(startedAfterMs / 1000).toFixed(1)} s after the start`);

    const engine = { client, db };
    const reason = `${new Date().getUTCFullYear() + 1} holidays announced; task-added`;
    const d0 = now();
    await amendPlan(engine, planId, v2, { reason, dryRun: true });
    const dryRunMs = round(now() - d0, 0);
    // The run the Update goes to: once its history is long, the plan workflow goes on in a fresh run after it.
    const planRunId = (await client.workflow.getHandle(planWorkflowId(planId)).describe()).runId;
    const calledAt = Date.now();
    const a0 = now();
    let receiptMs: number;
    let callGaveUp = false;
    try {
      const outcome = await amendPlan(engine, planId, v2, { reason, by: 'bench' });
      receiptMs = round(now() - a0, 0);
      if (outcome.version !== 2 || outcome.duplicate) throw new Error(`the amendment came back as ${JSON.stringify({ version: outcome.version, duplicate: outcome.duplicate })}`);
    } catch (err) {
      // amendPlan waits 120 s for the Update's result, then says the engine is not running; the Update goes on.
      if ((err as { code?: string }).code !== 'ENOENGINE') throw err;
      callGaveUp = true;
      say(`  amendPlan gave up after ${((now() - a0) / 1000).toFixed(1)} s (${(err as Error).message.slice(0, 80)}...); waiting for the Update to complete`);
      receiptMs = (await updateCompletedAt(client, planWorkflowId(planId), planRunId, 900_000)) - calledAt;
    }
    say(`  receipt after ${(receiptMs / 1000).toFixed(1)} s${callGaveUp ? ' (the Update completed event in the history)' : ''} (a dry run of the same amendment, client side only: ${(dryRunMs / 1000).toFixed(1)} s)`);

    // Until every group has rolled over: its first run closed (continued as new) and a later run is the latest.
    let rolled = 0;
    for (;;) {
      const latest = await mapLimit(groupIds, 20, (id) => client.workflow.getHandle(id).describe().then((d) => d.runId, () => undefined));
      rolled = latest.filter((r, i) => r && r !== firstRuns[i]).length;
      if (rolled === groupIds.length) break;
      if (Date.now() - calledAt > 300_000) throw new Error(`only ${rolled} of ${groupIds.length} groups rolled over within 300 s of the amendment`);
      await sleep(500);
    }
    const closes = await mapLimit(groupIds, 20, async (id, i) => {
      const d = await client.workflow.getHandle(id, firstRuns[i]).describe();
      return d.closeTime!.getTime() - calledAt;
    });
    const sorted = [...closes].sort((x, y) => x - y);
    const allRolledMs = sorted.at(-1)!;
    say(`  every group rolled over ${(allRolledMs / 1000).toFixed(1)} s after the call (first ${(sorted[0] / 1000).toFixed(1)} s)`);

    // Checks: each group's latest run started on version 2; the added task's group runs; version 2 recorded once.
    const versions = await mapLimit(groupIds, 20, async (id) => {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      return payload ? defaultPayloadConverter.fromPayload<GroupInput>(payload).amended?.version ?? 1 : 0;
    });
    // Where each group's roll-over went: waiting for a worker, or in its workflow tasks (the run that took the signal
    // and the first task of the run after it).
    const steps = await mapLimit(groupIds, 20, async (id, i) => {
      const old = (await client.workflow.getHandle(id, firstRuns[i]).fetchHistory()).events ?? [];
      const fresh = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const t = (e: (typeof old)[number] | undefined) => (e ? Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6) : Number.NaN);
      const k = old.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'amendGroup');
      const started = old.slice(k).find((e) => e.workflowTaskStartedEventAttributes);
      const completed = old.slice(k).filter((e) => e.workflowTaskCompletedEventAttributes).at(-1);
      const nextStarted = fresh.find((e) => e.workflowTaskStartedEventAttributes);
      const nextCompleted = fresh.find((e) => e.workflowTaskCompletedEventAttributes);
      return {
        delivered: t(old[k]) - calledAt,
        waitForWorker: t(started) - t(old[k]),
        rollTasks: t(completed) - t(started),
        nextWait: t(nextStarted) - t(old.at(-1)),
        nextTask: t(nextCompleted) - t(nextStarted),
      };
    });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rollSteps = Object.fromEntries((['delivered', 'waitForWorker', 'rollTasks', 'nextWait', 'nextTask'] as const).map((key) => {
      const xs = steps.map((x) => x[key]).filter(Number.isFinite);
      return [key, { p50: median(xs), max: Math.max(...xs) }];
    })) as AmendFigures['rollSteps'];
    const newGroup = await client.workflow.getHandle(groupWorkflowId(planId, groupIds.length)).describe().catch(() => undefined);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM plan_versions WHERE plan_id = $1 AND version = 2', [planId]);
    const planEvents = await historyOf(client, planWorkflowId(planId), planRunId);
    const planDescription = await client.workflow.getHandle(planWorkflowId(planId), planRunId).describe();
    // The same amendment again: a duplicate of version 2, answered by whichever run is current.
    const again = await amendPlan(engine, planId, v2, { reason, by: 'bench' });
    if (again.version !== 2 || !again.duplicate) throw new Error(`the repeated amendment came back as ${JSON.stringify({ version: again.version, duplicate: again.duplicate })}`);
    const current = await client.workflow.getHandle(planWorkflowId(planId)).describe();
    const after = { rolled: current.runId !== planRunId, events: Number(current.raw.workflowExecutionInfo?.historyLength ?? 0), bytes: Number(current.raw.workflowExecutionInfo?.historySizeBytes ?? 0) };
    say(`  repeated: a duplicate of version 2; the plan workflow ${after.rolled ? 'went on in a fresh run' : 'stayed in its run'} (${after.events} events, ${(after.bytes / 2 ** 20).toFixed(2)} MiB)`);
    // Where the plan workflow's time went, from its history: the version recorded, the signals sent and delivered.
    type Event = (typeof planEvents)[number];
    const at = (e: Event | undefined) => (e ? Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6) - calledAt : -1);
    const scheduled = planEvents.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordAmendment');
    const signals = planEvents.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
    const phases = {
      accepted: at(planEvents.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)),
      recorded: at(planEvents.find((e) => e.activityTaskCompletedEventAttributes && String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(scheduled?.eventId))),
      signalsSent: at(signals[0]),
      lastSignalDelivered: at(planEvents.filter((e) => e.externalWorkflowExecutionSignaledEventAttributes).at(-1)),
      newGroupStarted: at(planEvents.find((e) => e.childWorkflowExecutionStartedEventAttributes && Number(e.eventId) > Number(signals[0]?.eventId ?? 0))),
      completed: at(planEvents.find((e) => e.workflowExecutionUpdateCompletedEventAttributes)),
    };
    // The plan workflow's own tasks while the signals were delivered: how many, and how long each took on the worker.
    const fanOut = planEvents.filter((e) => at(e) >= phases.signalsSent && at(e) <= phases.completed);
    const startedAt = new Map(fanOut.filter((e) => e.workflowTaskStartedEventAttributes).map((e) => [String(e.eventId), at(e)]));
    const taskMs = fanOut.filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => at(e) - (startedAt.get(String(e.workflowTaskCompletedEventAttributes!.startedEventId)) ?? Number.NaN)).filter(Number.isFinite);
    const planTasks = { count: taskMs.length, p50Ms: [...taskMs].sort((x, y) => x - y)[Math.floor(taskMs.length / 2)] ?? 0, maxMs: Math.max(0, ...taskMs), totalMs: taskMs.reduce((x, y) => x + y, 0) };
    // A fresh worker without a cache replays the plan workflow's whole history to answer a query.
    worker.shutdown();
    await running;
    worker = await Worker.create({ connection: nativeConnection, taskQueue: queue, workflowsPath, activities, maxCachedWorkflows: 0 });
    running = worker.run();
    const r0 = now();
    const replayed = await client.workflow.getHandle(planWorkflowId(planId)).query(layoutQuery);
    const replayMs = round(now() - r0, 0);
    if (replayed.groups.length !== groupIds.length + 1) throw new Error(`the replayed plan workflow has ${replayed.groups.length} groups, not ${groupIds.length + 1}`);
    say(`  a worker without a cache replayed the plan workflow (${planEvents.length} events) for a query in ${(replayMs / 1000).toFixed(1)} s`);
    return {
      options: o,
      replayMs,
      planId,
      unitTasks,
      groups: groupIds.length,
      planJsonKiB,
      startedAfterMs,
      dryRunMs,
      receiptMs,
      callGaveUp,
      allRolledMs,
      rolledMs: { first: sorted[0], p50: sorted[Math.floor(sorted.length / 2)], last: allRolledMs },
      onVersion2: versions.filter((v) => v === 2).length,
      newGroupRunning: newGroup?.status.name === 'RUNNING',
      versionRows: Number(rows[0].n),
      planFailedTasks: planEvents.filter((e) => e.workflowTaskFailedEventAttributes).length,
      phases,
      planTasks,
      rollSteps,
      planHistory: { events: planEvents.length, bytes: Number(planDescription.raw.workflowExecutionInfo?.historySizeBytes ?? 0) },
      planAfter: after,
    };
  } finally {
    try {
      worker?.shutdown();
    } catch {
      // not running
    }
    await running?.catch(() => {});
    await connection?.close().catch(() => {});
    await nativeConnection?.close().catch(() => {});
    await server?.stop();
    await store?.close().catch(() => {});
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
