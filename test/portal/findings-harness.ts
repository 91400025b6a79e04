/**
 * The portal over real HTTP with a plan of inspection findings, against a real Temporal dev server and a real worker
 * on the real clock: notices go over SMTP into an in-process sink and carry signed links to this portal, and the sent
 * log is the database's, so each finding's notices are in its timeline.
 */
import { Client, type Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { connectTemporal } from '../../client/connection.js';
import { findingsOf } from '../../client/findings.js';
import { runningPlan, startPlan } from '../../client/plans.js';
import { createPortal, type PortalServer } from '../../client/portal/server.js';
import { newKeyring, type Keyring } from '../../security/keyring.js';
import { linkMaker } from '../../security/links.js';
import { verifyToken } from '../../security/tokens.js';
import { createDbSentLog } from '../../store/notices.js';
import { addDays, localDateOf } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { installRuntime } from '../../worker/runtime.js';
import { validPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { planAroundNow, useDevServer } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { HQ_CREDENTIAL, waitFor } from './harness.js';

export { HQ_CREDENTIAL, waitFor };

/** The running pieces a findings portal test works with. */
export interface FindingsHarness {
  base: string;
  client: Client;
  db: pg.Pool;
  ring: Keyring;
  sink: SmtpSink;
  portal: PortalServer;
  plan: Plan;
  /** Every line the portal logged. */
  logs: string[];
}

/**
 * A plan from 60 days ago to the end of the next quarter (UTC, no calendar) with three units and two inspection
 * rounds. Round r1 was fed back on the plan's first day and covers c01 and c02:
 * - f-alpha: alpha rectifies, beta verifies; f-hq: alpha rectifies, headquarters verifies;
 * - f-beta: beta rectifies, gamma verifies; f-overdue: beta rectifies, headquarters verifies, its deadline long past.
 * Round r2 is fed back five days before the plan's end (so its finding f-future is not assigned yet) and covers c03;
 * the coverage targets are c01..c04, to be covered by the plan's end.
 */
export function findingsPlanAroundNow(id: string, overrides: Record<string, unknown> = {}, now = Date.now()): Plan {
  const around = planAroundNow(id, now).plan;
  const start = addDays(localDateOf(now, 'UTC'), -60);
  const end = around.end as string;
  return validPlan({
    ...around,
    start,
    leaders: [
      { id: 'lead-a', name: 'Leader of Alpha', email: 'lead-a@example.org' },
      { id: 'lead-b', name: 'Leader of Beta', email: 'lead-b@example.org' },
    ],
    units: [
      { id: 'alpha', name: 'Alpha Office', email: 'alpha@example.org', leader: 'lead-a' },
      { id: 'beta', name: 'Beta Office', email: ['beta@example.org', 'beta-desk@example.org'], leader: 'lead-b' },
      { id: 'gamma', name: 'Gamma Office', email: 'gamma@example.org', leader: 'lead-b' },
    ],
    tasks: [
      { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
      { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
    ],
    inspections: {
      cadence: { rectifyDays: 30, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 },
      coverage: { targets: ['c01', 'c02', 'c03', 'c04'], by: end },
      rounds: [
        {
          id: 'r1',
          title: 'First inspection round',
          feedbackDay: start,
          covers: ['c01', 'c02'],
          findings: [
            { id: 'f-alpha', title: 'Approvals <overdue> & late', description: 'Seen in <b>three</b> counties.', unit: 'alpha', verifier: 'beta', deadline: end },
            { id: 'f-hq', title: 'Ledger incomplete', unit: 'alpha', deadline: end },
            { id: 'f-beta', title: 'No rectification plan', unit: 'beta', verifier: 'gamma', deadline: end },
            { id: 'f-overdue', title: 'Old problem', unit: 'beta', deadline: addDays(start, 10) },
          ],
        },
        {
          id: 'r2',
          title: 'Second inspection round',
          feedbackDay: addDays(end, -5),
          covers: ['c03'],
          findings: [{ id: 'f-future', title: 'Next problem', unit: 'gamma' }],
        },
      ],
    },
    ...overrides,
  });
}

/** Starts the dev server, the database, the SMTP sink, a worker and the portal, then a findings plan per id. */
export function useFindingsPortal(name: string, plans: { id: string; overrides?: Record<string, unknown> }[]): FindingsHarness {
  const dev = useDevServer({ headless: true });
  const queue = `portal-${name}-${process.pid}-${Date.now()}`;
  const h = { logs: [] as string[] } as FindingsHarness;
  let connection: NativeConnection;
  let clientConnection: Connection;
  let worker: Worker;
  let running: Promise<void>;
  let mailer: Mailer;

  beforeAll(async () => {
    installRuntime();
    h.ring = newKeyring('kfind');
    h.sink = await startSmtpSink();
    connection = await NativeConnection.connect({ address: dev.address });
    clientConnection = await connectTemporal({ address: dev.address });
    h.client = new Client({ connection: clientConnection, namespace: 'default' });
    h.db = await testDb();
    h.portal = createPortal({ client: h.client, db: h.db, keyring: h.ring, hqCredential: HQ_CREDENTIAL, log: (l) => h.logs.push(l) });
    h.base = await h.portal.listen(0);
    worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: queue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: testActivities({ db: h.db, mailer: (mailer = createSmtpMailer(h.sink.url)), sentLog: createDbSentLog(h.db), links: linkMaker(h.base, h.ring) }),
    });
    running = worker.run();
    for (const p of plans) {
      const plan = findingsPlanAroundNow(p.id, p.overrides);
      h.plan ??= plan;
      await startPlan(h.client, plan, queue);
    }
    for (const p of plans) {
      // Round 1's findings are assigned at once (their feedback day has passed): wait until all four are recorded.
      await waitFor(`${p.id}: round 1 assigned`, async () => {
        const list = await findingsOf(h.db, await runningPlan(h.db, p.id));
        return list.filter((f) => f.inspectionId === 'r1' && f.state !== 'scheduled').length === 4 ? true : undefined;
      }, 60_000);
    }
  }, 150_000);

  afterAll(async () => {
    await h.portal?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await mailer?.close();
    await clientConnection?.close();
    await connection?.close();
    await h.sink?.close();
  }, 60_000);

  return h;
}

/** Every link under `base` with this path prefix (`/f/`, `/v/`, `/u/`) in a caught message's text. */
export function linksIn(text: string | undefined, base: string, prefix: string): string[] {
  const escaped = `${base}${prefix}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...(text ?? '').matchAll(new RegExp(`${escaped}[A-Za-z0-9._-]+`, 'g'))].map((m) => m[0]);
}

/** The first such link, if any. */
export function linkIn(text: string | undefined, base: string, prefix: string): string | undefined {
  return linksIn(text, base, prefix)[0];
}

/** The caught message that carries the notice of this business key, alone or in a digest with others. */
export function mailWithKey(h: FindingsHarness, key: string) {
  return waitFor(key, async () =>
    h.sink.messages.find((m) => m.headers.get('x-review-cycles-key') === key || String(m.headers.get('x-review-cycles-keys') ?? '').split(' ').includes(key)),
  );
}

/** The link of `purpose` in `text` whose verified token has these fields (a digest carries one per notice). */
export function signedLinkIn(h: FindingsHarness, text: string | undefined, purpose: 'finding-link' | 'verifier-link', want: Record<string, string>): string | undefined {
  return linksIn(text, h.base, purpose === 'finding-link' ? '/f/' : '/v/').find((url) => {
    const v = verifyToken(h.ring, url.slice(url.lastIndexOf('/') + 1), purpose);
    return v.ok && Object.entries(want).every(([k, value]) => (v.payload as unknown as Record<string, unknown>)[k] === value);
  });
}
