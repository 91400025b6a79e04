/**
 * Part 3: report submissions on a real dev server against a bare Update to a trivial workflow, at the same concurrency,
 * over the same number of workflows, with both workers in this process.
 */
import { retryOptions } from '../../client/connection.js';
import { Client, Connection, makeGrpcRetryInterceptor } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities, createDiscardMailer } from '../../activities/index.js';
import { createDbSentLog, openStore, temporaryEmbeddedPostgres, type EmbeddedPostgres, type Store } from '../../store/index.js';
import { DevServerError, PortInUseError, freePorts, startDevServer, type DevServer } from '../../client/dev-server.js';
import { planLayout, planStatus, startPlan, submitReport } from '../../client/plans.js';
import { workflowsPath } from '../../worker/build.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import { installRuntime } from '../../worker/runtime.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { generatePlan } from '../generate-plan.js';
import { now, round, summarize, type LatencySummary } from './stats.js';
import { echoUpdate, type trivialWorkflow } from './trivial-workflow.js';

const trivialWorkflowPath = fileURLToPath(new URL('./trivial-workflow.ts', import.meta.url));

export interface LiveOptions {
  tasks: number;
  unitsPerTask: number;
  concurrency: number;
  /** Measured calls per caller and kind (split over the rounds). */
  perSubmitter: number;
  warmup: number;
  /** Measured phases per kind: round 1 bare then submissions, round 2 the other way round, ... */
  rounds: number;
  /** When set, retry "workflow is closing" after this many ms (times the attempt) instead of the SDK's 1 s x 1.7 back-off. */
  closingBackoffMs?: number;
  /**
   * A running Temporal (a cluster) to measure on instead of a dev server of the bench's own; the workflows the run
   * starts there are terminated at its end.
   */
  temporal?: { address: string; namespace: string; name: string };
}

export interface LiveFigures {
  options: LiveOptions;
  /** Where it ran: "dev server" or the cluster's name. */
  target: string;
  planId: string;
  current: string;
  unitTasks: number;
  groups: number;
  serverStartMs: number;
  workerCreateMs: { plan: number; trivial: number };
  /** From startPlan to every unit-task of the current quarter requested. */
  requestedAfterMs: number;
  warmupCalls: number;
  submission: LatencySummary;
  bare: LatencySummary;
  ratio: { p50: number; p99: number };
  /** Runs per group workflow at the end (continue-as-new rolls over every 500 accepted reports). */
  groupRuns: number[];
  slowestSubmissions: { atMs: number; ms: number; group: number }[];
  slowestBare: { atMs: number; ms: number; group: number }[];
  errorSamples: string[];
  /**
   * gRPC failures the client's retry interceptor saw (and retried after a back-off) during each measured kind, by
   * status code and message: they are hidden from the caller, but not from its latency.
   */
  grpcRetries: { submission: Record<string, number>; bare: Record<string, number> };
  /** From a submission's receipt to the moment the database showed its revision (polled every 20 ms). */
  lag: LatencySummary & { unseen: number };
  /** Every measured call in time order (written to a file of its own). */
  samples: { submission: Sample[]; bare: Sample[] };
}

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
const GRPC_RESOURCE_EXHAUSTED = 8;
const grpcCodeName = (code: number) => GRPC_CODES[code] ?? String(code);
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * A generated plan (UTC, no calendar, no reminders or escalations) over the current and next quarter, whose current
 * quarter's request moment passed yesterday and whose due day is 5 days after the quarter's last day.
 */
export function livePlan(id: string, tasks: number, unitsPerTask: number, at = Date.now()): { plan: Plan; current: string } {
  const today = new Date(at);
  const year = today.getUTCFullYear();
  const q = Math.floor(today.getUTCMonth() / 3);
  const first = Date.UTC(year, 3 * q, 1);
  const last = Date.UTC(year, 3 * q + 3, 0);
  const nextLast = Date.UTC(year, 3 * q + 6, 0);
  const todayStart = Date.UTC(year, today.getUTCMonth(), today.getUTCDate());
  const daysToLast = Math.round((last - todayStart) / DAY);
  const raw = generatePlan({ id, tasks, unitsPerTask, years: 1, timezone: 'UTC' });
  delete raw.calendar;
  Object.assign(raw, {
    title: `Benchmark plan ${id}`,
    start: ymd(first),
    end: ymd(nextLast),
    cadence: { sendTime: '09:00', requestOffsetDays: -(daysToLast + 1), dueOffsetDays: 5 },
  });
  const checked = checkPlan(raw);
  if (!checked.ok) throw new Error(`live plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { plan: checked.plan, current: `${year}-Q${q + 1}` };
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

export interface Sample {
  atMs: number;
  ms: number;
  group: number;
}

/** `concurrency` callers, each making `perCaller` calls one after another; call k of caller s is index k*concurrency+s. */
async function drive(
  concurrency: number,
  perCaller: number,
  offset: number,
  call: (index: number) => Promise<number>,
  t0: number,
  samples: Sample[],
  errors: string[],
): Promise<number> {
  const start = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, s) => {
      for (let k = 0; k < perCaller; k++) {
        const index = offset + k * concurrency + s;
        const begin = now();
        try {
          const group = await call(index);
          samples.push({ atMs: round(begin - t0, 0), ms: now() - begin, group });
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    }),
  );
  return now() - start;
}

export async function liveBench(o: LiveOptions, say: (s: string) => void): Promise<LiveFigures> {
  const unitTasks = o.tasks * o.unitsPerTask;
  const perUnitTask = Math.ceil((Math.ceil(o.warmup / o.concurrency) * o.concurrency + o.concurrency * o.perSubmitter) / unitTasks);
  if (perUnitTask > 50) throw new Error(`live bench: ${perUnitTask} revisions per report would pass the limit of 50; lower the calls`);
  installRuntime();
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-bench-live-'));
  const t0 = now();
  let server: DevServer | undefined;
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  let pg: EmbeddedPostgres | undefined;
  let store: Store | undefined;
  const workers: Worker[] = [];
  const runs: Promise<void>[] = [];
  const started: string[] = [];
  try {
    let address: string;
    if (o.temporal) {
      address = o.temporal.address;
      say(`  ${o.temporal.name} at ${address}, namespace ${o.temporal.namespace}`);
    } else {
      server = await startServer(dataDir);
      address = server.address;
    }
    const namespace = o.temporal?.namespace ?? 'default';
    const serverStartMs = now() - t0;
    if (server) say(`  dev server ${server.address} up in ${(serverStartMs / 1000).toFixed(1)} s`);
    pg = await temporaryEmbeddedPostgres((await freePorts(1))[0]);
    store = await openStore(pg.url, { max: 20 });
    const db = store.pool;
    nativeConnection = await NativeConnection.connect({ address });
    // The SDK's default retry interceptor, unchanged, with a look at every failed attempt it is about to retry.
    const retried: Record<string, Record<string, number>> = { warmup: {}, submission: {}, bare: {} };
    let phase = 'warmup';
    // The product's own retry rules (client/connection.ts), with a look at every failed attempt they retry.
    const base = retryOptions();
    connection = await Connection.connect({
      address,
      interceptors: [
        makeGrpcRetryInterceptor({
          delayFunction: (attempt, status) =>
            o.closingBackoffMs !== undefined && status.code === GRPC_RESOURCE_EXHAUSTED && /workflow is closing/.test(status.details)
              ? o.closingBackoffMs * attempt
              : base.delayFunction(attempt, status),
          retryableDecider(attempt, status) {
            const retry = base.retryableDecider(attempt, status);
            if (retry) {
              const key = `${grpcCodeName(status.code)}: ${status.details.replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, '<id>').slice(0, 160)}`;
              retried[phase][key] = (retried[phase][key] ?? 0) + 1;
            }
            return retry;
          },
        }),
      ],
    });
    const client = new Client({ connection, namespace });
    // Queues of their own: a cluster outlives the run, and a queue another run polled may hold its tasks.
    const planQueue = `bench-plan-${Date.now()}`;
    const trivialQueue = `bench-trivial-${Date.now()}`;

    const w0 = now();
    const planWorker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: planQueue,
      workflowsPath,
      activities: createActivities({
        mailer: createDiscardMailer(),
        sentLog: createDbSentLog(db),
        db,
        from: 'bench@review-cycles.invalid',
        documentsDir: () => join(dataDir, 'documents'),
      }),
    });
    const w1 = now();
    const trivialWorker = await Worker.create({ connection: nativeConnection, namespace, taskQueue: trivialQueue, workflowsPath: trivialWorkflowPath });
    const w2 = now();
    workers.push(planWorker, trivialWorker);
    for (const w of workers) runs.push(w.run());

    const planId = `bench-live-${Date.now()}`;
    const { plan, current } = livePlan(planId, o.tasks, o.unitsPerTask);
    const s0 = now();
    const outcome = await startPlan(client, plan, planQueue);
    if (!outcome.started) throw new Error(`plan ${planId} already running`);
    for (let t = now(); !(await planLayout(db, planId).catch(() => undefined)); ) {
      if (now() - t > 60_000) throw new Error(`plan ${planId} was not recorded within 60 s`);
      await sleep(50);
    }
    const layout = await planLayout(db, planId);
    // Wait until every unit-task's current quarter has been requested.
    for (;;) {
      const status = await planStatus(db, planId).catch(() => undefined);
      const states = status?.tasks.flatMap((t) => t.units.map((u) => u.periods.find((p) => p.period === current)?.state)) ?? [];
      if (states.length === unitTasks && states.every((s) => s === 'requested')) break;
      if (now() - s0 > 120_000) throw new Error(`the current quarter ${current} was not requested within 120 s (${states.filter((s) => s === 'requested').length}/${unitTasks})`);
      await sleep(100);
    }
    const requestedAfterMs = now() - s0;
    say(`  plan ${planId}: ${layout.groups.length} groups, ${unitTasks} unit-tasks of ${current} requested ${(requestedAfterMs / 1000).toFixed(1)} s after start`);

    // Unit-tasks interleaved across the groups, so that consecutive calls go to different groups (as the bare calls do).
    const groupOfTask = new Map(layout.groups.flatMap((g, i) => g.taskIds.map((t) => [t, i] as const)));
    const byGroup = layout.groups.map((_, i) => plan.tasks.filter((t) => groupOfTask.get(t.id) === i).flatMap((t) => t.units.map((unitId) => ({ taskId: t.id, unitId, group: i }))));
    const targets: { taskId: string; unitId: string; group: number }[] = [];
    for (let i = 0; i < Math.max(...byGroup.map((g) => g.length)); i++) for (const g of byGroup) if (g[i]) targets.push(g[i]);

    // The server refuses more than 2,000 Updates in one workflow run (history.maxTotalUpdates); the trivial ones never roll over.
    const perTrivial = Math.ceil((Math.ceil(o.warmup / o.concurrency) * o.concurrency + o.concurrency * o.perSubmitter) / layout.groups.length);
    if (perTrivial > 2000) throw new Error(`live bench: ${perTrivial} Updates per trivial workflow would pass the server's limit of 2000; lower the calls`);
    const trivialIds = layout.groups.map((_, i) => `bench-trivial-${planId}-${i + 1}`);
    for (const workflowId of trivialIds) await client.workflow.start<typeof trivialWorkflow>('trivialWorkflow', { workflowId, taskQueue: trivialQueue });
    started.push(planWorkflowId(planId), ...layout.groups.map((g) => g.workflowId), ...trivialIds);

    // Receipts of measured submissions, to measure how long until the database shows them.
    const receipts = new Map<string, { revision: number; at: number }[]>();
    let measuring = false;
    const submit = async (index: number, tag: string): Promise<number> => {
      const t = targets[index % targets.length];
      const receipt = await submitReport({ client, db }, planId, {
        requestId: `bench:${tag}:${index}`,
        taskId: t.taskId,
        unitId: t.unitId,
        period: current,
        status: 'on-track',
        summary: `Benchmark report ${index} of ${t.unitId} on ${t.taskId}.`,
        progress: index % 100,
      });
      if (measuring) {
        const key = `${t.taskId}|${t.unitId}`;
        receipts.set(key, [...(receipts.get(key) ?? []), { revision: receipt.revision, at: Date.now() }]);
      }
      return t.group;
    };
    const lags: number[] = [];
    let polling = false;
    const pollLag = async () => {
      while (polling) {
        const { rows } = await db.query('SELECT task_id, unit_id, revisions FROM report_records WHERE plan_id = $1 AND period = $2', [planId, current]);
        const seenAt = Date.now();
        for (const r of rows) {
          const key = `${r.task_id}|${r.unit_id}`;
          const waiting = receipts.get(key);
          if (!waiting?.length) continue;
          const still = waiting.filter((w) => w.revision > r.revisions);
          for (const w of waiting) if (w.revision <= r.revisions) lags.push(seenAt - w.at);
          receipts.set(key, still);
        }
        await sleep(20);
      }
    };
    const bare = async (index: number, tag: string): Promise<number> => {
      const group = index % trivialIds.length;
      const t = targets[index % targets.length];
      await client.workflow.getHandle(trivialIds[group]).executeUpdate(echoUpdate, {
        args: [{ requestId: `bench:${tag}:${index}`, taskId: t.taskId, unitId: t.unitId, period: current, status: 'on-track', summary: `Benchmark report ${index} of ${t.unitId} on ${t.taskId}.`, progress: index % 100 }],
      });
      return group;
    };

    const errors: string[] = [];
    const warmSamples: Sample[] = [];
    const perWarm = Math.ceil(o.warmup / o.concurrency);
    await drive(o.concurrency, perWarm, 0, (i) => bare(i, 'warm'), t0, warmSamples, errors);
    await drive(o.concurrency, perWarm, 0, (i) => submit(i, 'warm'), t0, warmSamples, errors);
    if (errors.length) say(`  warm-up errors: ${errors.length} (${errors[0]})`);
    const warmupCalls = perWarm * o.concurrency;
    say(`  warm-up done (${warmupCalls} calls of each kind)`);

    const subSamples: Sample[] = [];
    const bareSamples: Sample[] = [];
    const subErrors: string[] = [];
    const bareErrors: string[] = [];
    let subWall = 0;
    let bareWall = 0;
    // The measured calls of each caller are split over the rounds; rounds alternate which kind goes first.
    for (let r = 0; r < o.rounds; r++) {
      const per = Math.floor(o.perSubmitter / o.rounds) + (r < o.perSubmitter % o.rounds ? 1 : 0);
      const offset = perWarm * o.concurrency + o.concurrency * (r * Math.floor(o.perSubmitter / o.rounds) + Math.min(r, o.perSubmitter % o.rounds));
      const runBare = async () => {
        phase = 'bare';
        bareWall += await drive(o.concurrency, per, offset, (i) => bare(i, 'run'), t0, bareSamples, bareErrors);
      };
      const runSubmit = async () => {
        phase = 'submission';
        measuring = polling = true;
        const poller = pollLag();
        subWall += await drive(o.concurrency, per, offset, (i) => submit(i, 'run'), t0, subSamples, subErrors);
        measuring = false;
        // Let the last ones arrive (the poller ends once every receipt is seen, or after 10 s).
        for (const until = now() + 10_000; [...receipts.values()].some((w) => w.length) && now() < until; ) await sleep(20);
        polling = false;
        await poller;
      };
      if (r % 2 === 0) {
        await runBare();
        await runSubmit();
      } else {
        await runSubmit();
        await runBare();
      }
      say(`  round ${r + 1}/${o.rounds}: ${per * o.concurrency} bare updates, ${per * o.concurrency} submissions (${r % 2 === 0 ? 'bare' : 'submissions'} first)`);
    }
    const submission = summarize(subSamples.map((s) => s.ms), subErrors.length, subWall);
    const unseen = [...receipts.values()].reduce((n, w) => n + w.length, 0);
    const lag = { ...summarize(lags, 0, 0), unseen };
    const bareSummary = summarize(bareSamples.map((s) => s.ms), bareErrors.length, bareWall);

    const groupRuns: number[] = [];
    for (const g of layout.groups) {
      let n = 0;
      for await (const _ of client.workflow.list({ query: `WorkflowId = '${g.workflowId}'` })) n++;
      groupRuns.push(n);
    }
    const slowest = (s: Sample[]) => [...s].sort((a, b) => b.ms - a.ms).slice(0, 10).map((x) => ({ atMs: x.atMs, ms: round(x.ms, 1), group: x.group }));
    return {
      options: o,
      target: o.temporal?.name ?? 'dev server',
      planId,
      current,
      unitTasks,
      groups: layout.groups.length,
      serverStartMs: round(serverStartMs, 0),
      workerCreateMs: { plan: round(w1 - w0, 0), trivial: round(w2 - w1, 0) },
      requestedAfterMs: round(requestedAfterMs, 0),
      warmupCalls,
      submission,
      bare: bareSummary,
      ratio: { p50: round(submission.p50Ms / bareSummary.p50Ms), p99: round(submission.p99Ms / bareSummary.p99Ms) },
      groupRuns,
      slowestSubmissions: slowest(subSamples),
      slowestBare: slowest(bareSamples),
      errorSamples: [...new Set([...subErrors, ...bareErrors])].slice(0, 5),
      grpcRetries: { submission: retried.submission, bare: retried.bare },
      lag,
      samples: { submission: subSamples.map((x) => ({ ...x, ms: round(x.ms, 2) })), bare: bareSamples.map((x) => ({ ...x, ms: round(x.ms, 2) })) },
    };
  } finally {
    // On a Temporal that outlives the run, its plan, groups and trivial workflows end with it.
    if (o.temporal && connection) {
      const c = new Client({ connection, namespace: o.temporal.namespace });
      await Promise.allSettled(started.map((id) => c.workflow.getHandle(id).terminate('benchmark run over')));
    }
    for (const w of workers) {
      try {
        w.shutdown();
      } catch {
        // not running
      }
    }
    await Promise.allSettled(runs);
    await connection?.close().catch(() => {});
    await nativeConnection?.close().catch(() => {});
    await server?.stop();
    await store?.close().catch(() => {});
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
