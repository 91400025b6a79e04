/**
 * What the cluster tests share: the running cluster of `npm run cluster:up` (its address and namespace), a fresh
 * system-of-record database per stack, a counting SMTP server, worker processes (`tsx worker/main.ts`) on one task
 * queue of the stack's own, and the clean-up that stops them and terminates the stack's workflows on the cluster.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { Engine } from '../../client/plans.js';
import { readState, SERVICES, serviceAlive, type ClusterState } from '../../scripts/cluster/cluster.js';
import { cleanUpWorkers, countingSmtp, killWorker, polling, root, spawnWorker, type CountingSmtp, type WorkerProcess } from '../../scripts/faults/support.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { freshDatabaseUrl } from '../helpers/db.js';

/** The running cluster; a clear error when `npm run cluster:up` has not been run (or a service is down). */
export function runningCluster(): ClusterState & { temporalAddress: string; temporalNamespace: string } {
  const state = readState();
  if (!state) throw new Error('no cluster is running: run "npm run cluster:up" first');
  const down = SERVICES.filter((s) => !serviceAlive(state.services[s], s));
  if (down.length) throw new Error(`the cluster's ${down.join(', ')} service(s) are not running: run "npm run cluster:up" again`);
  return { ...state, temporalAddress: process.env.TEMPORAL_ADDRESS || state.address, temporalNamespace: process.env.TEMPORAL_NAMESPACE || state.namespace };
}

/** The result of running a command of this project once. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx <script> <args>` from the project's root with `env` added to an environment free of project settings. */
export function runScript(script: string, args: string[] = [], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
  return new Promise((ok) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [script, ...args], { cwd: root, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

/** One test's share of the cluster: its own task queue, database and SMTP server. */
export interface ClusterStack {
  cluster: ReturnType<typeof runningCluster>;
  client: Client;
  db: pg.Pool;
  dbUrl: string;
  engine: Engine;
  smtp: CountingSmtp;
  taskQueue: string;
  /** The settings of a worker process (and of the CLI) for this stack. */
  env: Record<string, string>;
  /** Starts a worker process and waits until it polls. */
  startWorker(name: string): Promise<WorkerProcess>;
  /** Notes a plan whose workflows the stack terminates on close. */
  track(plan: Plan): void;
  /** Stops the workers, terminates the tracked workflows and closes everything; safe twice. */
  close(): Promise<void>;
}

/** Brings up a stack on the running cluster. */
export async function clusterStack(name: string): Promise<ClusterStack> {
  const cluster = runningCluster();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const smtp = await countingSmtp(0);
    closers.push(() => smtp.stop());
    const dbUrl = await freshDatabaseUrl();
    const db = new pg.Pool({ connectionString: dbUrl, max: 12 });
    db.on('error', () => {});
    closers.push(() => db.end());
    const connection = await Connection.connect({ address: cluster.temporalAddress });
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: cluster.temporalNamespace });
    const plans: Plan[] = [];
    // Left running, a plan's timers would fire on the cluster for months with nobody polling its queue.
    closers.push(async () => {
      for (const plan of plans) {
        for (const id of [planWorkflowId(plan.id), ...layoutOf(plan).groups.map((g) => g.workflowId)]) {
          await client.workflow.getHandle(id).terminate('cluster test finished').catch((err) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
        }
      }
    });
    closers.push(() => cleanUpWorkers());
    const taskQueue = `cluster-${name}-${process.pid}-${Date.now()}`;
    const env = {
      TEMPORAL_ADDRESS: cluster.temporalAddress,
      TEMPORAL_NAMESPACE: cluster.temporalNamespace,
      REVIEW_CYCLES_TASK_QUEUE: taskQueue,
      REVIEW_CYCLES_DATABASE_URL: dbUrl,
      REVIEW_CYCLES_SMTP_URL: smtp.url,
      REVIEW_CYCLES_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      REVIEW_CYCLES_MAIL_FROM: 'hq-robot@example.org',
    };
    return {
      cluster, client, db, dbUrl, smtp, taskQueue, env,
      engine: { client, db },
      async startWorker(workerName) {
        const w = spawnWorker(workerName, env);
        try {
          await polling(w);
        } catch (err) {
          await killWorker(w);
          throw err;
        }
        return w;
      },
      track: (plan) => void plans.push(plan),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
