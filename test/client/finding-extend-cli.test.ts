/**
 * `review-cycles finding extend` as a real subprocess, against a real Temporal dev server, a real worker, real
 * PostgreSQL and a real SMTP sink, on the real clock: an extension is applied once per request id, prints its receipt
 * (or JSON), tells the unit once, moves the deadline day in `finding show` and `plan status --json`; every refusal
 * exits 1 with one `field: sentence` line and no stack, and changes nothing.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { createDbSentLog } from '../../store/index.js';
import { installRuntime } from '../../worker/runtime.js';
import { testActivities } from '../helpers/activities.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../portal/harness.js';

const dev = useDevServer({ headless: true });
const queue = `finding-extend-cli-${process.pid}-${Date.now()}`;
const planId = `finding-extend-${process.pid}-${Date.now()}`;
const around = planAroundNow(planId);
const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
// Every day a working day but one holiday 40 days on; findings due 20 days after today's feedback.
const plan = {
  ...around.plan,
  cadence: { ...(around.plan.cadence as Record<string, unknown>), sendTime: '00:00' },
  calendar: { workweek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], holidays: [inDays(40)] },
  inspections: {
    cadence: { rectifyDays: 20, reworkDays: 10 },
    rounds: [
      {
        id: 'r1',
        title: 'Round one',
        feedbackDay: today,
        findings: [
          { id: 'f1', title: 'Approvals overdue', unit: 'alpha', verifier: 'beta' },
          { id: 'f2', title: 'Ledger incomplete', unit: 'beta' },
        ],
      },
    ],
  },
};

let dir: string;
let sink: SmtpSink;
let mailer: Mailer;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let dbUrl: string;
let db: pg.Pool;

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: dir, env: { TEMPORAL_ADDRESS: dev.address, REVIEW_CYCLES_TASK_QUEUE: queue, REVIEW_CYCLES_DATA_DIR: join(dir, 'data'), REVIEW_CYCLES_DATABASE_URL: dbUrl } });
}
const extend = (...args: string[]) => cli(['finding', 'extend', planId, ...args]);
const show = async (id: string) => JSON.parse((await cli(['finding', 'show', planId, id, '--json'])).stdout);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-finding-extend-cli-'));
  dbUrl = await freshDatabaseUrl();
  db = new pg.Pool({ connectionString: dbUrl });
  installRuntime();
  sink = await startSmtpSink();
  connection = await NativeConnection.connect({ address: dev.address });
  worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: queue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: testActivities({ mailer: (mailer = createSmtpMailer(sink.url)), sentLog: createDbSentLog(db), from: 'hq-robot@example.org', db }),
  });
  running = worker.run();
  const started = await cli(['plan', 'start', writePlan(dir, plan)]);
  expect(started.stderr).toBe('');
  await waitFor('both findings assigned', async () => {
    const list = JSON.parse((await cli(['findings', 'list', planId, '--json'])).stdout) as { state: string }[];
    return list.length === 2 && list.every((f) => f.state === 'open') ? list : undefined;
  });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await mailer?.close();
  await connection?.close();
  await sink?.close();
  await db?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('finding extend on the CLI', () => {
  test('refusals say what and where, exit 1, and change nothing', async () => {
    const [unknown, badDay, noReason, notLater, missing] = await Promise.all([
      extend('f9', '--until', inDays(30), '--reason', 'Flood'),
      extend('f1', '--until', '2030-02-30', '--reason', 'Flood'),
      extend('f1', '--until', inDays(30), '--reason', '   '),
      extend('f1', '--until', inDays(20), '--reason', 'Flood'),
      extend('f1', '--reason', 'Flood'),
    ]);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: `review-cycles: findingId: unknown finding "f9" in plan ${planId}\n` });
    expect(badDay.stderr).toBe('review-cycles: until: is not a day of the calendar\n');
    expect(noReason.stderr).toBe('review-cycles: reason: must not be empty\n');
    expect(notLater.stderr).toBe(`review-cycles: until: ${inDays(20)} gives the deadline day ${inDays(20)}, which is not after finding f1's current deadline day ${inDays(20)}\n`);
    expect(missing.code).toBe(2); // a usage error: commander names the missing option
    expect(missing.stderr).toContain("required option '--until <day>' not specified");
    for (const r of [unknown, badDay, noReason, notLater]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await show('f1')).status).toMatchObject({ state: 'open', deadlineDay: inDays(20) });
    expect((await show('f1')).extensions).toEqual([]);
  });

  test('an extension to a holiday moves to the next working day; its repeat is applied once; the unit is told once', async () => {
    const first = await extend('f1', '--until', inDays(40), '--reason', 'The archive was flooded.', '--by', 'HQ duty officer', '--request-id', 'ext-1');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`extended: finding f1 now due ${inDays(41)} (${inDays(40)} is not a working day), was ${inDays(20)} (extension 1, round 1, now open)\n`);
    const again = await extend('f1', '--until', inDays(40), '--reason', 'The archive was flooded.', '--request-id', 'ext-1', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ findingId: 'f1', extension: 1, until: inDays(40), dueDay: inDays(41), dueAt: `${inDays(42)}T00:00:00.000Z`, previousDueDay: inDays(20), round: 1, state: 'open', duplicate: true });
    const told = await waitFor('the finding-extended notice', async () => {
      const m = sink.messages.filter((x) => x.messageId.startsWith('<rc.finding-extended.'));
      return m.length ? m : undefined;
    });
    await new Promise((r) => setTimeout(r, 500)); // a second copy would have arrived by now
    expect(sink.messages.filter((x) => x.messageId.startsWith('<rc.finding-extended.'))).toHaveLength(1);
    expect(told[0].to).toEqual(['alpha@example.org']);
    expect(told[0].subject).toBe(`[${planId}] Finding f1: deadline extended to ${inDays(41)}`);
    expect(told[0].parsed.text).toContain('Reason for the extension: The archive was flooded.');
  });

  test('finding show and plan status carry the extension', async () => {
    const life = await show('f1');
    expect(life.status).toMatchObject({ findingId: 'f1', state: 'open', round: 1, deadlineDay: inDays(41) });
    expect(life.status.extensions).toEqual([{ extension: 1, at: expect.any(String), until: inDays(40), dueDay: inDays(41), previousDueDay: inDays(20), round: 1 }]);
    expect(life.extensions).toEqual([expect.objectContaining({ requestId: 'ext-1', extension: 1, dueDay: inDays(41), previousDueDay: inDays(20), reason: 'The archive was flooded.', by: 'HQ duty officer' })]);
    expect(life.notices.map((n: { kind: string }) => n.kind)).toEqual(['finding-assigned', 'finding-extended']);
    const text = (await cli(['finding', 'show', planId, 'f1'])).stdout;
    expect(text).toMatch(new RegExp(`^f1 +open +unit alpha, round 1, due ${inDays(41)}, 0 claims\\n`));
    expect(text).toContain(`extended (extension 1) by headquarters (HQ duty officer), round 1: due ${inDays(41)}, was ${inDays(20)}: The archive was flooded.`);
    const status = JSON.parse((await cli(['plan', 'status', planId, '--json'])).stdout);
    expect(status.findings.find((f: { findingId: string }) => f.findingId === 'f1')).toMatchObject({ deadlineDay: inDays(41), extensions: [{ extension: 1, dueDay: inDays(41) }] });
    expect(status.findings.find((f: { findingId: string }) => f.findingId === 'f2')).not.toHaveProperty('extensions');
  });

  test('a claimed finding and a closed one are not extended', async () => {
    expect((await cli(['finding', 'claim', planId, 'f2', '--unit', 'beta', '--evidence', 'Ledger complete.'])).code).toBe(0);
    const claimed = await extend('f2', '--until', inDays(30), '--reason', 'Flood');
    expect(claimed).toMatchObject({ code: 1, stderr: "review-cycles: findingId: claim 1 of finding f2 awaits the verifier's decision; a claimed finding's deadline is not extended\n" });
    expect((await cli(['finding', 'accept', planId, 'f2'])).code).toBe(0);
    const closed = await extend('f2', '--until', inDays(30), '--reason', 'Flood');
    expect(closed.stderr).toMatch(/^review-cycles: findingId: finding f2 was closed at \d{4}-\d\d-\d\dT[\d:.]+Z; a closed finding's deadline is not extended\n$/);
    expect((await show('f2')).extensions).toEqual([]);
  });
});
