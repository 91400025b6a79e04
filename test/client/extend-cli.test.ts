/**
 * `review-cycles report extend` as a real subprocess, against a real Temporal dev server, a real worker in this
 * process, real PostgreSQL and mail over SMTP into an in-process sink, on the real clock: an extension is applied
 * once per request id, prints its receipt (or JSON), tells the unit, moves the due day in `plan status`; every
 * refusal exits 1 with one `field: sentence` line and no stack, and changes nothing.
 */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { planStatus } from '../../client/plans.js';
import { storedExtensions } from '../../store/records.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { installRuntime } from '../../worker/runtime.js';
import { testActivities } from '../helpers/activities.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../portal/harness.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const dev = useDevServer({ headless: true });
const queue = `extend-cli-${process.pid}-${Date.now()}`;
const planId = `extend-cli-${process.pid}-${Date.now()}`;
const { plan, current } = planAroundNow(planId);

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);
/** The current quarter's due day: its last day + 5 (dueOffsetDays), no working-day calendar, in UTC. */
const due = (() => {
  const [y, q] = [Number(current.slice(0, 4)), Number(current.slice(6))];
  return addDays(ymd(Date.UTC(y, 3 * q, 0)), 5);
})();

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
const extend = (...args: string[]) => cli(['report', 'extend', planId, ...args]);
const periodOf = (status: PlanStatus, taskId: string, unitId: string) => status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === current);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-extend-cli-'));
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
    activities: testActivities({ mailer: (mailer = createSmtpMailer(sink.url)), sentLog: createMemorySentLog(), from: 'hq-robot@example.org', db }),
  });
  running = worker.run();
  const started = await cli(['plan', 'start', writePlan(dir, plan)]);
  expect(started.code).toBe(0);
  await waitFor('the current quarter requested', async () => {
    const s = await planStatus(db, planId);
    return periodOf(s, 't1', 'alpha')?.state === 'requested' && periodOf(s, 't2', 'beta')?.state === 'requested' ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await mailer?.close();
  await connection?.close();
  await sink?.close();
  await db?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('report extend', () => {
  test('extends once per request id, prints the receipt, tells the unit and moves the due day in plan status', async () => {
    const args = ['--task', 't1', '--unit', 'alpha', '--period', current, '--until', addDays(due, 7), '--reason', 'Flood in the office', '--by', 'HQ duty officer', '--request-id', 'ext-1'];
    const first = await extend(...args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`extended: t1/alpha/${current} now due ${addDays(due, 7)}, was ${due} (extension 1)\n`);
    const again = await extend(...args);
    expect(again.stdout).toBe(`already extended: t1/alpha/${current} now due ${addDays(due, 7)}, was ${due} (extension 1)\n`);

    const json = await extend('--task', 't1', '--unit', 'alpha', '--period', current, '--until', addDays(due, 9), '--reason', 'Still flooded', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      taskId: 't1', unitId: 'alpha', period: current, extension: 2, at: expect.any(String), until: addDays(due, 9), dueDay: addDays(due, 9),
      dueAt: `${addDays(due, 10)}T00:00:00.000Z`, previousDueDay: addDays(due, 7), round: 0, duplicate: false,
    });

    const mails = await waitFor('two extended notices', async () => {
      const found = sink.messages.filter((m) => /\/extended\/\d$/.test(String(m.headers.get('x-review-cycles-key'))));
      return found.length >= 2 ? found : undefined;
    });
    expect(mails.map((m) => m.subject)).toEqual([
      `[${planId}] More time granted: Task One (${current}) is now due ${addDays(due, 7)}`,
      `[${planId}] More time granted: Task One (${current}) is now due ${addDays(due, 9)}`,
    ]);
    expect(mails[0].to).toEqual(['alpha@example.org']);

    const status = await waitFor('the status moved', async () => {
      const r = await cli(['plan', 'status', planId, '--json']);
      const p = periodOf(JSON.parse(r.stdout), 't1', 'alpha');
      return p?.extensions === 2 ? p : undefined;
    });
    expect(status).toMatchObject({ state: 'requested', dueAt: `${addDays(due, 10)}T00:00:00.000Z` });
    expect((await storedExtensions(db, planId, 't1', 'alpha', current)).map((x) => [x.seq, x.until, x.reason, x.by])).toEqual([
      [1, addDays(due, 7), 'Flood in the office', 'HQ duty officer'],
      [2, addDays(due, 9), 'Still flooded', null],
    ]);
  });

  test('refusals: exit 1, one located sentence on stderr, no stack, nothing changed', async () => {
    const on = (task: string, unit: string, ...rest: string[]) => extend('--task', task, '--unit', unit, '--period', current, ...rest);
    const [notLater, badDay, noReason, ghost, notResponsible, notAQuarter] = await Promise.all([
      on('t1', 'alpha', '--until', addDays(due, 8), '--reason', 'shorter'),
      on('t1', 'alpha', '--until', 'next week', '--reason', 'x'),
      on('t1', 'alpha', '--until', addDays(due, 20), '--reason', '  '),
      on('t1', 'ghost', '--until', addDays(due, 20), '--reason', 'x'),
      on('t1', 'beta', '--until', addDays(due, 20), '--reason', 'x'),
      extend('--task', 't1', '--unit', 'alpha', '--period', '1999-Q1', '--until', addDays(due, 20), '--reason', 'x'),
    ]);
    expect(notLater.stderr).toContain(`until: ${addDays(due, 8)} gives the due day ${addDays(due, 8)}, which is not after the report's current due day ${addDays(due, 9)}`);
    expect(badDay.stderr).toContain('until: must be a day written YYYY-MM-DD, e.g. 2027-07-20');
    expect(noReason.stderr).toContain('reason: must say why the report is given more time');
    expect(ghost.stderr).toContain(`unitId: unknown unit "ghost" in plan ${planId}`);
    expect(notResponsible.stderr).toContain('unitId: unit "beta" is not responsible for task "t1"');
    expect(notAQuarter.stderr).toContain(`period: 1999-Q1 is not a quarter of plan ${planId}`);
    for (const r of [notLater, badDay, noReason, ghost, notResponsible, notAQuarter]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const missing = await on('t1', 'alpha', '--until', addDays(due, 20));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("required option '--reason <text>' not specified");
    expect(periodOf(await planStatus(db, planId), 't1', 'alpha')).toMatchObject({ extensions: 2, dueAt: `${addDays(due, 10)}T00:00:00.000Z` });
  });

  test('a report that arrived has nothing due to extend; once accepted it is locked', async () => {
    const submitted = await cli(['report', 'submit', planId, '--task', 't2', '--unit', 'beta', '--period', current, '--status', 'on-track', '--summary', 'Done.']);
    expect(submitted.code).toBe(0);
    const arrived = await extend('--task', 't2', '--unit', 'beta', '--period', current, '--until', addDays(due, 20), '--reason', 'x');
    expect(arrived.code).toBe(1);
    expect(arrived.stderr).toMatch(new RegExp(`^review-cycles: period: the report for ${current} arrived on \\S+Z and is not returned: nothing is due to extend\\n$`));
    const accepted = await cli(['report', 'accept', planId, '--task', 't2', '--unit', 'beta', '--period', current, '--request-id', 'accept-1']);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    const locked = await extend('--task', 't2', '--unit', 'beta', '--period', current, '--until', addDays(due, 20), '--reason', 'x');
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(new RegExp(`^review-cycles: period: the report for ${current} was accepted on \\S+Z and is locked\\n$`));
  });
});
