/**
 * Two real worker processes on one task queue share the sent log in the database. One of them is killed with SIGKILL
 * in the middle of a batch of 500 request notices; the other finishes the batch. Every notice reaches the SMTP server
 * under its own Message-ID, and a Message-ID arrives twice only when the kill cut its hand-over.
 */
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { messageIdFor } from '../../activities/notices/message-id.js';
import { planStatus, startPlan } from '../../client/plans.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { validPlan } from '../fixtures/plans.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitUntil } from '../helpers/worker-process.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const UNITS = 500;

const dev = useDevServer({ headless: true });
const stamp = `${process.pid}-${Date.now()}`;
const queue = `two-workers-${stamp}`;
const planId = `two-workers-${stamp}`;
const around = planAroundNow(planId);
const unitIds = Array.from({ length: UNITS }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);
// One task of 500 units: a task larger than a group stands alone, so its quarter's requests are one batch of 500.
const plan = validPlan({
  ...around.plan,
  units: unitIds.map((id) => ({ id, name: `Unit ${id}`, email: `${id}@example.org` })),
  tasks: [{ id: 't1', aspect: 'a', title: 'Task One', units: unitIds }],
});
/** The business key of every request the batch must deliver, by Message-ID. */
const expected = new Map(
  unitIds.map((unitId) => [
    messageIdFor({ planId, taskId: 't1', unitId, period: around.current, kind: 'request', number: 1 }),
    unitId,
  ]),
);

/** A worker process (`tsx worker/main.ts`) in a process group of its own, so that a kill reaches tsx's node child too. */
interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
}

const spawned: WorkerProcess[] = [];
const dataDirs: string[] = [];

function spawnWorker(name: string, env: Record<string, string>): WorkerProcess {
  const dataDir = mkdtempSync(join(tmpdir(), `rc-worker-${name}-`));
  dataDirs.push(dataDir);
  // The worker's settings come from this test alone, not from the shell that runs it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
  const child = spawn(join(root, 'node_modules/.bin/tsx'), ['worker/main.ts'], {
    cwd: root,
    env: { ...inherited, ...env, REVIEW_CYCLES_DATA_DIR: dataDir },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('exit', (code, signal) => {
      running = false;
      ok({ code, signal });
    }),
  );
  const w = { name, child, output: () => text, exited, alive: () => running };
  spawned.push(w);
  return w;
}

/** Resolves when the worker logs its "worker: polling" line; rejects if it exits or takes longer than `ms`. */
async function polling(w: WorkerProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!/worker: polling/.test(w.output())) {
    if (!w.alive()) throw new Error(`worker ${w.name} exited before polling:\n${w.output()}`);
    if (Date.now() > until) throw new Error(`worker ${w.name} is not polling after ${ms} ms:\n${w.output()}`);
    await sleep(50);
  }
}

/** Signals the worker's whole process group (tsx and the node process it runs). */
function killGroup(w: WorkerProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-w.child.pid!, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** The ids of the processes in the worker's process group. */
function groupPids(w: WorkerProcess): Set<number> {
  const pids = new Set<number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === w.child.pid) pids.add(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** What a group workflow is doing, for a failure's message. */
async function diagnose(client: Client, workflowId: string): Promise<string> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    const pending = (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name, state: a.state, attempt: a.attempt, worker: a.lastWorkerIdentity, failure: a.lastFailure?.message,
    }));
    const events = (await handle.fetchHistory()).events ?? [];
    const tail = events.slice(-12).map((e) => `${e.eventId} ${e.eventType} ${new Date(Number(e.eventTime?.seconds ?? 0) * 1000).toISOString()}` +
      (e.workflowTaskFailedEventAttributes ? ` ${e.workflowTaskFailedEventAttributes.failure?.message}` : '') +
      (e.activityTaskFailedEventAttributes ? ` ${e.activityTaskFailedEventAttributes.failure?.message}` : ''));
    return `group ${workflowId}: ${d.status.name}, ${events.length} events; pending ${JSON.stringify(pending)}\n  ${tail.join('\n  ')}`;
  } catch (err) {
    return `group ${workflowId}: ${String(err)}`;
  }
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

// The sink (test/helpers/smtp-sink.ts) has no 'error' listener, and smtp-server re-emits every client socket error on
// the server: the connection of the killed worker, reset, would be an uncaught exception of this process. Listen here.
const socketErrors: (Error & { code?: string })[] = [];
const listen = SMTPServer.prototype.listen as (this: SMTPServer, ...args: unknown[]) => unknown;
(SMTPServer.prototype as unknown as { listen: typeof listen }).listen = function (this: SMTPServer, ...args: unknown[]) {
  if (this.listenerCount('error') === 0) this.on('error', (err: Error) => socketErrors.push(err));
  return listen.apply(this, args);
};

let sink: SmtpSink;
let dbUrl: string;
let db: pg.Pool;
let connection: Connection;
let client: Client;

const distinct = () => new Set(sink.messages.map((m) => m.messageId)).size;

beforeAll(async () => {
  sink = await startSmtpSink();
  dbUrl = await freshDatabaseUrl();
  db = new pg.Pool({ connectionString: dbUrl, max: 4 });
  db.on('error', () => {});
  connection = await Connection.connect({ address: dev.address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  for (const w of spawned) if (w.alive()) killGroup(w, 'SIGKILL');
  await Promise.all(spawned.map((w) => Promise.race([w.exited, sleep(5_000)])));
  await connection?.close();
  await db?.end();
  await sink?.close();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

test('a worker killed mid-batch: the other finishes it, every notice arrives once (twice only for a cut hand-over)', async () => {
  const env = {
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_NAMESPACE: 'default',
    REVIEW_CYCLES_TASK_QUEUE: queue,
    REVIEW_CYCLES_DATABASE_URL: dbUrl,
    REVIEW_CYCLES_SMTP_URL: sink.url,
  };
  // Worker A alone runs the plan's batch; B joins while A is sending it, and A is killed.
  const t0 = Date.now();
  const a = spawnWorker('A', env);
  await polling(a);
  const pollingAfter = Date.now() - t0;

  const started = await startPlan(client, plan, queue);
  expect(started.started).toBe(true);
  const planStartedAt = Date.now();

  await waitUntil('the first 50 messages', 60_000, () => (distinct() >= 50 ? true : undefined), 5);
  const firstFiftyAfter = Date.now() - planStartedAt;
  // A holds the batch: the pending sendNotices activity names the worker's identity (`<pid>@<host>`) of A's node process.
  const group = client.workflow.getHandle(groupWorkflowId(planId, 0));
  const holderPid = await waitUntil('the pending sendNotices activity', 10_000, async () => {
    const pending = (await group.describe()).raw.pendingActivities ?? [];
    const send = pending.find((x) => x.activityType?.name === 'sendNotices' && x.lastWorkerIdentity);
    return send ? Number(send.lastWorkerIdentity!.split('@')[0]) : undefined;
  }, 5);
  expect(groupPids(a).has(holderPid), `the batch runs on pid ${holderPid}, not on worker A`).toBe(true);

  const b = spawnWorker('B', env);
  killGroup(a, 'SIGKILL');
  const killedAt = Date.now();
  const { signal } = await a.exited;
  expect(signal).toBe('SIGKILL');
  await sleep(200); // a message A finished handing over just before the kill is parsed by now
  const atKill = distinct();
  const receivedAtKill = sink.messages.length;
  const arrivedAtKill = new Set(sink.messages.map((m) => m.messageId));
  // The sent log never says `sent` of a message the server has not received.
  const { rows: logAtKill } = await db.query<{ message_id: string; status: string }>('SELECT message_id, status FROM notices WHERE plan_id = $1', [planId]);
  const sentAtKill = logAtKill.filter((r) => r.status === 'sent').map((r) => r.message_id);
  expect(sentAtKill.filter((id) => !arrivedAtKill.has(id))).toEqual([]);
  const logCounts = JSON.stringify(logAtKill.reduce<Record<string, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {}));
  // When B's first message arrives (the batch resumes on it).
  let resumedAt: number | undefined;
  const watch = setInterval(() => {
    if (resumedAt === undefined && distinct() > atKill) resumedAt = Date.now();
  }, 20);
  // The kill came in the middle of the batch.
  expect(atKill).toBeGreaterThanOrEqual(50);
  expect(atKill).toBeLessThan(UNITS);

  await polling(b);
  const bPollingAfter = Date.now() - killedAt;
  await waitUntil(`${UNITS} distinct Message-IDs`, 90_000, () => (distinct() >= UNITS ? true : undefined), 50).finally(() => clearInterval(watch));
  const completedAfter = Date.now() - killedAt;
  const resumedAfter = resumedAt === undefined ? -1 : resumedAt - killedAt;
  expect(b.alive()).toBe(true);

  // The database's view: the workflow recorded every request, with no delivery issue.
  let lastStates = 'no status yet';
  const status = await waitUntil('every pair requested in the database', 30_000, async () => {
    try {
      const s = await planStatus(db, planId);
      const periods = s.tasks.flatMap((t) => t.units.flatMap((u) => u.periods.filter((p) => p.period === around.current)));
      const counts: Record<string, number> = {};
      for (const p of periods) counts[p.state] = (counts[p.state] ?? 0) + 1;
      lastStates = JSON.stringify(counts);
      return periods.length === UNITS && periods.every((p) => p.state === 'requested') ? s : undefined;
    } catch (err) {
      lastStates = String(err);
      return undefined; // the plan or its records are not there yet
    }
  }, 200).catch(async (err: Error) => {
    throw new Error(`${err.message}\nstates: ${lastStates}\n${await diagnose(client, groupWorkflowId(planId, 0))}\nworker B:\n${b.output().slice(-4000)}`);
  });
  const recordedAfter = Date.now() - killedAt;
  const pairs = status.tasks.flatMap((t) => t.units.map((u) => ({ t: t.taskId, u: u.unitId, p: u.periods.find((x) => x.period === around.current)! })));
  expect(pairs).toHaveLength(UNITS);
  for (const { p } of pairs) {
    expect(p.state).toBe('requested');
    expect(p.deliveryIssues).toEqual([]);
  }

  const { rows } = await db.query<{ message_id: string; unit_id: string; status: string; attempts: number; kind: string }>(
    'SELECT message_id, unit_id, status, attempts, kind FROM notices WHERE plan_id = $1',
    [planId],
  );
  expect(rows).toHaveLength(UNITS);
  expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
  expect(rows.every((r) => r.kind === 'request')).toBe(true);
  expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(expected.keys()));
  for (const r of rows) expect(expected.get(r.message_id)).toBe(r.unit_id);

  // The SMTP server's view: each expected Message-ID arrived, to its own unit, at most twice.
  const arrivals = new Map<string, number>();
  for (const m of sink.messages) {
    arrivals.set(m.messageId, (arrivals.get(m.messageId) ?? 0) + 1);
    expect(m.envelopeTo).toEqual([`${expected.get(m.messageId)}@example.org`]);
  }
  expect(new Set(arrivals.keys())).toEqual(new Set(expected.keys()));
  const twice = [...arrivals].filter(([, n]) => n === 2).map(([id]) => id);
  expect([...arrivals.values()].every((n) => n <= 2)).toBe(true);
  // Claimed again after the kill: the batch is claimed whole up front, so every notice A had not yet sent is here.
  const retried = new Set(rows.filter((r) => r.attempts > 1).map((r) => r.message_id));
  for (const id of twice) expect(retried.has(id)).toBe(true);
  expect(twice.length).toBeLessThanOrEqual(retried.size);
  // A duplicate comes only from the hand-over the kill cut: A hands messages over one at a time, so at most one, and it
  // is the last message the server received from A.
  expect(twice.length).toBeLessThanOrEqual(1);
  for (const id of twice) expect(sink.messages.findIndex((m) => m.messageId === id)).toBe(receivedAtKill - 1);

  // The only trouble the SMTP server saw is the killed worker's connection, cut.
  expect(socketErrors.map((e) => e.code).filter((c) => c !== 'ECONNRESET' && c !== 'EPIPE')).toEqual([]);

  console.log(
    `two-workers: A polling after ${pollingAfter} ms; 50 messages ${firstFiftyAfter} ms after the start; A killed at ${atKill}/${UNITS} ` +
      `messages (sent log then ${logCounts}); B polling ${bPollingAfter} ms, batch resumed ${resumedAfter} ms and all ${UNITS} arrived ${completedAfter} ms and were recorded ${recordedAfter} ms after the kill; ` +
      `${sink.messages.length} messages, ${arrivals.size} Message-IDs, ${twice.length} twice, ${retried.size} rows with attempts > 1; ` +
      `${socketErrors.length} socket errors (${socketErrors.map((e) => e.code).join(', ')})`,
  );

  // B stops cleanly on SIGTERM (sent to tsx, which hands it to the worker).
  b.child.kill('SIGTERM');
  const stopped = await Promise.race([b.exited, sleep(20_000).then(() => undefined)]);
  expect(stopped, `worker B did not stop on SIGTERM:\n${b.output()}`).toBeDefined();
}, 180_000);
