/**
 * Part 7: notice throughput with worker processes. A plan of `units` units with one task each, whose current
 * quarter's requests are due at start, is started on a Temporal (a dev server of the bench's own, or a running
 * cluster) with `workers` worker processes (`tsx worker/main.ts`, the release's bundle) on one task queue, the sent
 * log in a temporary PostgreSQL, and an SMTP server that counts what it receives by Message-ID. Measured: from the
 * plan's start to the first and to the last of the `units` request messages, and messages per second between them.
 */
import { Client } from '@temporalio/client';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTemporal } from '../../client/connection.js';
import { freePorts, startDevServer, type DevServer } from '../../client/dev-server.js';
import { startPlan } from '../../client/plans.js';
import { temporaryEmbeddedPostgres, type EmbeddedPostgres } from '../../store/index.js';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import { livePlan } from '../faults/live.js';
import { cleanUpWorkers, countingSmtp, polling, prebuiltBundle, spawnWorker, tally } from '../faults/support.js';
import { now, round } from './stats.js';

export interface ThroughputOptions {
  units: number;
  workers: number;
  /** A running Temporal to use instead of a dev server of the bench's own. */
  temporal?: { address: string; namespace: string; name: string };
}

export interface ThroughputFigures {
  options: ThroughputOptions;
  target: string;
  groups: number;
  /** From the plan's start to the first and to the last request message received. */
  firstMs: number;
  lastMs: number;
  /** Distinct messages over the time from the first to the last. */
  perSecond: number;
  received: number;
  distinct: number;
  duplicated: number;
  /** Worker processes that ran the plan. */
  workersStarted: number;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export async function throughputBench(o: ThroughputOptions, say: (s: string) => void): Promise<ThroughputFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-throughput-'));
  chmodSync(dir, 0o755); // as root the embedded PostgreSQL runs as postgres, who must reach its folder
  let dev: DevServer | undefined;
  let pg: EmbeddedPostgres | undefined;
  const smtp = await countingSmtp(0);
  const started: string[] = [];
  let closeConnection: (() => Promise<void>) | undefined;
  let client: Client | undefined;
  try {
    let address: string;
    if (o.temporal) address = o.temporal.address;
    else {
      const [port, uiPort] = await freePorts(2);
      dev = await startDevServer({ dataDir: join(dir, 'temporal'), port, uiPort, headless: true, ownProcessGroup: false });
      address = dev.address;
    }
    const namespace = o.temporal?.namespace ?? 'default';
    pg = await temporaryEmbeddedPostgres((await freePorts(1))[0]);
    const bundle = await prebuiltBundle(dir);
    const taskQueue = `bench-throughput-${Date.now()}`;
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      REVIEW_CYCLES_TASK_QUEUE: taskQueue,
      REVIEW_CYCLES_DATABASE_URL: pg.url,
      REVIEW_CYCLES_SMTP_URL: smtp.url,
      REVIEW_CYCLES_WORKFLOW_BUNDLE: bundle,
    };
    const workers = Array.from({ length: o.workers }, (_, i) => spawnWorker(`bench-${i + 1}`, env));
    await Promise.all(workers.map((w) => polling(w, 120_000)));
    const connection = await connectTemporal({ address });
    closeConnection = () => connection.close();
    client = new Client({ connection, namespace });

    const planId = `bench-throughput-${Date.now()}`;
    const { plan } = livePlan(planId, { units: o.units, tasks: o.units, unitsPerTask: 1 });
    const t0 = now();
    const outcome = await startPlan(client, plan, taskQueue);
    if (!outcome.started) throw new Error(`plan ${planId} already running`);
    started.push(planWorkflowId(planId));
    const groups = Math.ceil(o.units / 100);
    for (let i = 0; i < groups; i++) started.push(groupWorkflowId(planId, i));
    say(`  ${o.temporal?.name ?? 'dev server'}: plan of ${o.units} units started with ${o.workers} worker process(es)`);
    const distinct = () => new Set(smtp.received.map((r) => r.messageId)).size;
    let firstAt: number | undefined;
    for (const until = t0 + 300_000; distinct() < o.units; ) {
      if (firstAt === undefined && smtp.received.length) firstAt = now();
      if (now() > until) throw new Error(`only ${distinct()} of ${o.units} requests arrived within 300 s`);
      for (const w of workers) if (!w.alive()) throw new Error(`worker ${w.name} exited:\n${w.output().slice(-2_000)}`);
      await sleep(10);
    }
    const lastAt = now();
    firstAt ??= lastAt;
    const { duplicated } = tally(smtp.received);
    const figures: ThroughputFigures = {
      options: o,
      target: o.temporal?.name ?? 'dev server',
      groups,
      firstMs: round(firstAt - t0, 0),
      lastMs: round(lastAt - t0, 0),
      perSecond: Math.round(o.units / Math.max(0.001, (lastAt - firstAt) / 1000)),
      received: smtp.received.length,
      distinct: distinct(),
      duplicated,
      workersStarted: workers.length,
    };
    say(`  first message after ${(figures.firstMs / 1000).toFixed(1)} s, all ${o.units} after ${(figures.lastMs / 1000).toFixed(1)} s: ${figures.perSecond} messages/s (${duplicated} duplicated)`);
    return figures;
  } finally {
    if (client && o.temporal) await Promise.allSettled(started.map((id) => client!.workflow.getHandle(id).terminate('benchmark run over')));
    await cleanUpWorkers();
    await closeConnection?.().catch(() => {});
    await smtp.stop().catch(() => {});
    await dev?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
