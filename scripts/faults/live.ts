/**
 * What the live fault scenarios share: a real Temporal dev server and a real PostgreSQL, each in a temporary folder on
 * a fixed port so that it can be killed with SIGKILL and started again on the same data, a counting SMTP server,
 * worker processes that load a prebuilt bundle, a client as the CLI and the portal use, and plans whose current
 * quarter is due to be requested now by the real clock.
 */
import type { Client, Connection } from '@temporalio/client';
import { Client as TemporalClient } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectTemporal } from '../../client/connection.js';
import { freePorts, startDevServer, type DevServer } from '../../client/dev-server.js';
import type { Engine } from '../../client/plans.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../store/embedded.js';
import { migrate } from '../../store/migrate.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { countingSmtp, killGroup, polling, prebuiltBundle, root, sleep, spawnWorker, type CountingSmtp, type FaultReport, type WorkerProcess } from './support.js';

let bundle: Promise<string> | undefined;

/** The workflow bundle, built once per suite run into a folder removed when the process exits. */
export function sharedBundle(): Promise<string> {
  if (!bundle) {
    const dir = mkdtempSync(join(tmpdir(), 'rc-fault-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    bundle = prebuiltBundle(dir);
  }
  return bundle;
}

/** Process ids whose process group is `pgid` (read from /proc). */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** SIGKILLs a process group and waits until none of its processes is left. */
async function killWholeGroup(pgid: number, ms = 10_000): Promise<void> {
  // kill(-0) or kill(-1) would reach this very process group, or every process.
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`not a process group to kill: ${pgid}`);
  killGroup(pgid, 'SIGKILL');
  const until = Date.now() + ms;
  while (groupMembers(pgid).length) {
    if (Date.now() > until) throw new Error(`process group ${pgid} still runs ${ms} ms after SIGKILL`);
    await sleep(20);
  }
}

/** The Temporal dev server of a stack: killed with SIGKILL and started again on the same SQLite file and port. */
export interface LiveTemporal {
  address: string;
  up(): boolean;
  kill(): Promise<void>;
  restart(): Promise<number>;
}

/** The PostgreSQL of a stack: killed with SIGKILL (postmaster and backends) and started again on the same data folder. */
export interface LivePostgres {
  url: string;
  up(): boolean;
  kill(): Promise<void>;
  restart(): Promise<number>;
}

/** Everything a live scenario runs against. */
export interface LiveStack {
  dir: string;
  temporal: LiveTemporal;
  postgres: LivePostgres;
  smtp: CountingSmtp;
  db: pg.Pool;
  client: Client;
  engine: Engine;
  taskQueue: string;
  /** The environment of a worker process (and of the CLI) for this stack. */
  env: Record<string, string>;
  /** Starts a worker process and waits until it polls. */
  startWorker(name: string): Promise<WorkerProcess>;
  /** Stops everything this stack started and removes its folder; safe to call twice. */
  close(): Promise<void>;
}

/** Brings up a dev server, an embedded PostgreSQL (migrated) and a counting SMTP server in one temporary folder. */
export async function liveStack(name: string): Promise<LiveStack> {
  const dir = mkdtempSync(join(tmpdir(), `rc-fault-${name}-`));
  chmodSync(dir, 0o755); // as root the server runs as postgres, who must reach its data folder here
  const [temporalPort, uiPort, pgPort] = await freePorts(3);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bundlePath = await sharedBundle();

    let pgServer: EmbeddedPostgres | undefined;
    let pgUp = false;
    const pgStart = async () => {
      const t0 = Date.now();
      pgServer = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort });
      pgUp = true;
      return Date.now() - t0;
    };
    await pgStart();
    const postgres: LivePostgres = {
      url: pgServer!.url,
      up: () => pgUp,
      async kill() {
        const pid = Number(readFileSync(join(pgServer!.dataFolder, 'postmaster.pid'), 'utf8').split('\n')[0]);
        pgUp = false;
        await killWholeGroup(pid); // the postmaster was started detached: its backends share its group
      },
      restart: pgStart,
    };
    closers.push(async () => {
      if (pgUp) await pgServer?.stop({ force: true });
    });

    let dev: DevServer | undefined;
    let temporalUp = false;
    const devStart = async () => {
      const t0 = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          dev = await startDevServer({ dataDir: join(dir, 'temporal'), port: temporalPort, uiPort, headless: true, ownProcessGroup: true });
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(500); // the port is released a moment after the kill
        }
      }
      temporalUp = true;
      return Date.now() - t0;
    };
    await devStart();
    const temporal: LiveTemporal = {
      address: dev!.address,
      up: () => temporalUp,
      async kill() {
        temporalUp = false;
        await killWholeGroup(dev!.pid);
        await dev!.stop(); // only forgets its exit hook: the process is gone
      },
      restart: devStart,
    };
    closers.push(async () => {
      if (temporalUp) await dev?.stop(5_000);
    });

    const smtp = await countingSmtp(0);
    closers.push(() => smtp.stop());

    const db = new pg.Pool({ connectionString: postgres.url, max: 12, connectionTimeoutMillis: 3_000 });
    db.on('error', () => {}); // an idle client that lost its server: the next query reconnects
    closers.push(() => db.end());
    await migrate(db);

    const connection: Connection = await connectTemporal({ address: temporal.address });
    closers.push(() => connection.close());
    const client = new TemporalClient({ connection, namespace: 'default' });
    const taskQueue = `faults-${name}`;
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      REVIEW_CYCLES_TASK_QUEUE: taskQueue,
      REVIEW_CYCLES_DATABASE_URL: postgres.url,
      REVIEW_CYCLES_SMTP_URL: smtp.url,
      REVIEW_CYCLES_WORKFLOW_BUNDLE: bundlePath,
    };
    return {
      dir, temporal, postgres, smtp, db, client, taskQueue, env,
      engine: { client, db },
      async startWorker(workerName) {
        const w = spawnWorker(workerName, env);
        await polling(w);
        return w;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const quarterOf = (ms: number) => `${new Date(ms).getUTCFullYear()}-Q${Math.floor(new Date(ms).getUTCMonth() / 3) + 1}`;

/** A plan around now and its current quarter. */
export interface LivePlan {
  plan: Plan;
  current: string;
  pairs: { taskId: string; unitId: string }[];
}

/**
 * A two-quarter plan (UTC, no calendar, no reminders) from the first day of the current quarter to the last day of the
 * next: the current quarter's request moment was yesterday, so starting the plan sends its requests at once (test/helpers/dev-server.ts
 * planAroundNow, with `tasks` tasks of `unitsPerTask` units out of `units` units).
 */
export function livePlan(id: string, shape: { units: number; tasks: number; unitsPerTask: number }, now = Date.now()): LivePlan {
  const today = new Date(now);
  const year = today.getUTCFullYear();
  const q = Math.floor(today.getUTCMonth() / 3);
  const first = Date.UTC(year, 3 * q, 1);
  const last = Date.UTC(year, 3 * q + 3, 0);
  const nextLast = Date.UTC(year, 3 * q + 6, 0);
  const todayStart = Date.UTC(year, today.getUTCMonth(), today.getUTCDate());
  const daysToLast = Math.round((last - todayStart) / DAY);
  const unitIds = Array.from({ length: shape.units }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);
  const tasks = Array.from({ length: shape.tasks }, (_, i) => ({
    id: `t${String(i + 1).padStart(3, '0')}`,
    aspect: 'a',
    title: `Task ${i + 1}`,
    units: Array.from({ length: shape.unitsPerTask }, (_, k) => unitIds[(i * shape.unitsPerTask + k) % unitIds.length]),
  }));
  const checked = checkPlan({
    id,
    title: `Fault plan ${id}`,
    timezone: 'UTC',
    start: ymd(first),
    end: ymd(nextLast),
    headquarters: { name: 'Headquarters', email: 'hq@example.org' },
    units: unitIds.map((u) => ({ id: u, name: `Unit ${u}`, email: `${u}@example.org` })),
    aspects: [{ id: 'a', title: 'Aspect A' }],
    tasks,
    cadence: { sendTime: '09:00', requestOffsetDays: -(daysToLast + 1), dueOffsetDays: 5 },
  });
  if (!checked.ok) throw new Error(`the fault plan is invalid: ${JSON.stringify(checked.issues)}`);
  return { plan: checked.plan, current: quarterOf(last), pairs: tasks.flatMap((t) => t.units.map((unitId) => ({ taskId: t.id, unitId }))) };
}

/** Waits until `probe` returns a value other than undefined; undefined after `ms`. */
export async function waitFor<T>(ms: number, probe: () => Promise<T | undefined> | T | undefined, every = 200): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // a server coming back: ask again
    }
    if (Date.now() > until) return undefined;
    await sleep(every);
  }
}

/** The result of running the CLI once. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node bin/review-cycles.js <args>` with exactly `env` as its review-cycles and Temporal settings. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
  const t0 = Date.now();
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(root, 'bin/review-cycles.js'), ...args], { cwd: root, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}


/** The period status of one (task, unit) in a plan status, or undefined. */
export function periodIn(status: PlanStatus, taskId: string, unitId: string, period: string): PeriodStatus | undefined {
  return status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === period);
}

/** An empty report row, filled in by a scenario as it goes. */
export function emptyReport(scenario: string): FaultReport {
  return {
    scenario, faults: {}, notices: { expected: 0, delivered: 0, duplicated: 0, late: 0, maxDelayMs: 0 },
    submissions: { sent: 0, recorded: 0, lost: 0, duplicated: 0 }, wallSeconds: 0, problems: [],
  };
}

/** The notices table of a plan, as the checks read it. */
export async function noticeRows(db: pg.Pool, planId: string): Promise<{ messageId: string; unitId: string | null; taskId: string | null; kind: string; status: string; attempts: number; reason: string | null; failingSince: Date | null; lastFailure: string | null; deliveredAt: Date | null; at: Date }[]> {
  const { rows } = await db.query('SELECT message_id, unit_id, task_id, kind, status, attempts, reason, failing_since, last_failure, delivered_at, notice_at FROM notices WHERE plan_id = $1', [planId]);
  return rows.map((r) => ({
    messageId: r.message_id, unitId: r.unit_id, taskId: r.task_id, kind: r.kind, status: r.status, attempts: r.attempts, reason: r.reason,
    failingSince: r.failing_since, lastFailure: r.last_failure, deliveredAt: r.delivered_at, at: r.notice_at,
  }));
}
