/**
 * The portal over real HTTP, against a real Temporal dev server and a real worker in this process whose notices carry
 * signed links to that portal (mail over SMTP into an in-process sink), on the real clock. The worker's activities
 * write to a fresh test database, which the portal reads.
 */
import { Client, type Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { connectTemporal } from '../../client/connection.js';
import { createPortal, type PortalOptions, type PortalServer } from '../../client/portal/server.js';
import { planStatus, startPlan } from '../../client/plans.js';
import { newKeyring, type Keyring } from '../../security/keyring.js';
import { linkMaker } from '../../security/links.js';
import { signToken, type TokenPayload } from '../../security/tokens.js';
import type { PeriodStatus } from '../../workflows/contract/status.js';
import { installRuntime } from '../../worker/runtime.js';
import { validPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { planAroundNow, useDevServer } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

export const HQ_CREDENTIAL = 'hq-test-credential-0123456789';

/** The running pieces a portal test works with. */
export interface PortalHarness {
  base: string;
  client: Client;
  /** The system of record: the worker's activities write to it, the portal reads it. */
  db: pg.Pool;
  ring: Keyring;
  sink: SmtpSink;
  portal: PortalServer;
  /** Every line the portal logged. */
  logs: string[];
  /** The current quarter of the plans around now. */
  current: string;
  /** The next quarter: its request is weeks away. */
  next: string;
  /** The task queue the worker polls (for plans a test starts itself). */
  queue: string;
  /** Stops the worker (for tests of a portal without engine); the dev server and the database keep running. */
  stopWorker(): Promise<void>;
}

/**
 * Starts everything before the file's tests and stops it after them. `plans` are planAroundNow plans (alpha reports
 * on t1 and is led by lead-a; beta reports on t2 and is led by lead-b) with the given ids and overrides; their current
 * quarter has been requested when the hooks finish.
 */
export function usePortal(name: string, plans: { id: string; overrides?: Record<string, unknown> }[], options: Partial<PortalOptions> = {}): PortalHarness {
  const dev = useDevServer({ headless: true });
  const queue = `portal-${name}-${process.pid}-${Date.now()}`;
  const h = { logs: [] as string[], queue } as PortalHarness;
  let connection: NativeConnection;
  let clientConnection: Connection;
  let worker: Worker;
  let running: Promise<void>;
  let mailer: Mailer;

  beforeAll(async () => {
    installRuntime();
    h.ring = newKeyring('ktest');
    h.sink = await startSmtpSink();
    connection = await NativeConnection.connect({ address: dev.address });
    // The client over the gRPC Connection, as `npm start` has it (a NativeConnection ignores abort signals, so the
    // client API's write timeout would never fire); the worker over the NativeConnection.
    clientConnection = await connectTemporal({ address: dev.address });
    h.client = new Client({ connection: clientConnection, namespace: 'default' });
    h.db = await testDb();
    h.portal = createPortal({ client: h.client, db: h.db, keyring: h.ring, hqCredential: HQ_CREDENTIAL, log: (l) => h.logs.push(l), ...options });
    h.base = await h.portal.listen(0);
    worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: queue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: testActivities({ db: h.db, mailer: (mailer = createSmtpMailer(h.sink.url)), sentLog: createMemorySentLog(), links: linkMaker(h.base, h.ring) }),
    });
    running = worker.run();
    h.stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
    for (const p of plans) {
      const around = planAroundNow(p.id);
      h.current = around.current;
      h.next = around.next;
      const plan = validPlan(withLeaders({ ...around.plan, ...p.overrides }));
      await startPlan(h.client, plan, queue);
    }
    for (const p of plans) {
      for (const [task, unit] of [['t1', 'alpha'], ['t2', 'beta']]) {
        await waitFor(`${p.id} ${task}/${unit} requested`, async () => ((await periodStatus(h.db, p.id, task, unit, h.current))?.state === 'requested' ? true : undefined));
      }
    }
  }, 120_000);

  afterAll(async () => {
    await h.portal?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await mailer?.close(); // before the sink: its pooled connections would hold the sink's close for 30 s
    await clientConnection?.close();
    await connection?.close();
    await h.sink?.close();
  }, 60_000);

  return h;
}

/** Gives the plan two leaders, one per unit. */
function withLeaders(plan: Record<string, unknown>): Record<string, unknown> {
  const units = (plan.units as Record<string, unknown>[]).map((u) => ({ ...u, leader: u.id === 'alpha' ? 'lead-a' : 'lead-b' }));
  return {
    ...plan,
    leaders: [
      { id: 'lead-a', name: 'Leader of Alpha', email: 'lead-a@example.org' },
      { id: 'lead-b', name: 'Leader of Beta', email: 'lead-b@example.org' },
    ],
    units,
  };
}

/** Polls `probe` until it gives a value. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The status of one report, as the system of record has it. */
export async function periodStatus(db: pg.Pool, planId: string, taskId: string, unitId: string, period: string): Promise<PeriodStatus | undefined> {
  const s = await planStatus(db, planId, { taskId, unitId });
  return s.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === period);
}

/** A token signed with `ring`, valid for an hour unless `exp` says otherwise. */
export function token(ring: Keyring, payload: Omit<TokenPayload, 'exp'> & { exp?: number }): string {
  return signToken(ring, { exp: Math.floor(Date.now() / 1000) + 3600, ...payload });
}
