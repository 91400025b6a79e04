/**
 * `review-cycles plan amend`, `plan history` and `plan status` as real subprocesses, against a real Temporal dev
 * server, a real worker in this process, real PostgreSQL and mail over SMTP into an in-process sink, on the real
 * clock: a dry run prints the difference and the notices that move and changes nothing; what cannot change is refused
 * with one located line; the amendment applies once (a repeat says nothing changed); the history lists both versions
 * and the status says which one is in force.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { planStatus } from '../../client/plans.js';
import { storedPlan } from '../../store/records.js';
import { planHistory } from '../../store/versions.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { installRuntime } from '../../worker/runtime.js';
import { testActivities } from '../helpers/activities.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../portal/harness.js';

const dev = useDevServer({ headless: true });
const queue = `amend-cli-${process.pid}-${Date.now()}`;
const planId = `amend-cli-${process.pid}-${Date.now()}`;
const { plan, current, next } = planAroundNow(planId);

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const lastDay = (quarter: string) => ymd(Date.UTC(Number(quarter.slice(0, 4)), 3 * Number(quarter.slice(6)), 0));
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);

/** Version 2: a reminder the day before the due day, a new unit taking over t2, a new task t3. */
const v2 = {
  ...plan,
  units: [...(plan.units as object[]), { id: 'gamma', name: 'Gamma Office', email: 'gamma@example.org' }],
  tasks: [
    { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
    { id: 't2', aspect: 'a', title: 'Task Two', units: ['gamma'] },
    { id: 't3', aspect: 'a', title: 'Task Three', units: ['alpha'] },
  ],
  cadence: { ...(plan.cadence as object), reminderDays: [-1] },
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
const periodOf = (status: PlanStatus, taskId: string, unitId: string, period = current) =>
  status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === period);
const noStack = (r: CliRun) => expect(r.stderr).not.toMatch(/\n\s+at /);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-amend-cli-'));
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

const DIFFERENCE = [
  '  unit gamma added ("Gamma Office", gamma@example.org)',
  '  task t3 added (aspect a, units alpha)',
  '  task t2: unit beta left, unit gamma joined',
  '  cadence.reminderDays: [] -> [-1]',
];

describe('plan amend', () => {
  test('a dry run prints the difference and the upcoming notices that move, and changes nothing', async () => {
    const file = writePlan(dir, v2, 'v2.yaml');
    const r = await cli(['plan', 'amend', planId, file, '--reason', 'Another reminder; gamma takes over t2', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([`amending plan ${planId} (version 1 in force):`, ...DIFFERENCE, 'upcoming notices that move:']);
    const reminderAt = (q: string) => `${addDays(lastDay(q), 4)} 09:00`;
    expect(lines.slice(6, -1)).toEqual([
      expect.stringMatching(new RegExp(`^  ${current} request for t2/gamma is added at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$`)),
      `  ${current} reminder 1 for t2/gamma is added at ${reminderAt(current)}`,
      `  ${current} reminder 1 is added at ${reminderAt(current)}`,
      `  ${next} reminder 1 is added at ${reminderAt(next)}`,
    ]);
    expect(lines.at(-1)).toBe('dry run: nothing applied; without --dry-run this applies as version 2');
    expect((await storedPlan(db, planId))?.version).toBe(1);
    expect(await planHistory(db, planId)).toHaveLength(1);
    const asJson = JSON.parse((await cli(['plan', 'amend', planId, file, '--reason', 'x', '--dry-run', '--json'])).stdout);
    expect(asJson).toMatchObject({ planId, previousVersion: 1, version: 1, dryRun: true, duplicate: false, at: null, lines: DIFFERENCE.map((l) => l.trim()) });
    expect(asJson.requestId).toMatch(/^amend-[0-9a-f]{64}$/);
  });

  test('what cannot change is refused with one located line, exit 1, no stack, nothing changed', async () => {
    const end = lastDay(current);
    const [zone, id, early, invalid, noReason] = await Promise.all([
      cli(['plan', 'amend', planId, writePlan(dir, { ...v2, timezone: 'Asia/Shanghai' }, 'zone.yaml'), '--reason', 'x']),
      cli(['plan', 'amend', planId, writePlan(dir, { ...v2, id: 'other-plan' }, 'id.yaml'), '--reason', 'x', '--dry-run']),
      cli(['plan', 'amend', planId, writePlan(dir, { ...v2, end: addDays(end, -1) }, 'early.yaml'), '--reason', 'x']),
      cli(['plan', 'amend', planId, writePlan(dir, { ...v2, units: (plan.units as object[]).slice(0, 1) }, 'invalid.yaml'), '--reason', 'x']),
      cli(['plan', 'amend', planId, join(dir, 'v2.yaml'), '--reason', '  ']),
    ]);
    expect(zone.stderr).toBe('review-cycles: timezone: cannot change while the plan runs: it is UTC, the file says Asia/Shanghai (every day and instant already recorded is local to it)\n');
    expect(id.stderr).toBe('review-cycles: id: cannot change while the plan runs: it is ' + planId + ', the file says other-plan (a plan of another id is a new plan: start it)\n');
    expect(early.stderr).toBe(`review-cycles: end: must be ${end} or later (the quarter in progress, ${current}, ends on ${end}), got ${addDays(end, -1)}\n`);
    expect(invalid.stderr).toContain(`${join(dir, 'invalid.yaml')}: tasks[1].units[0]: unknown unit "gamma"`);
    expect(noReason.stderr).toBe('review-cycles: reason: must give the reason of the amendment\n');
    for (const r of [zone, id, early, invalid, noReason]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      noStack(r);
    }
    expect((await storedPlan(db, planId))?.version).toBe(1);
  });

  test('applies once: the version is recorded, a repeat says nothing changed, the same file with another reason is refused', async () => {
    const file = join(dir, 'v2.yaml');
    const r = await cli(['plan', 'amend', planId, file, '--reason', 'Another reminder; gamma takes over t2', '--by', 'HQ desk']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([`amending plan ${planId} (version 1 in force):`, ...DIFFERENCE]);
    expect(lines.at(-1)).toMatch(/^applied as version 2 at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const stored = await storedPlan(db, planId);
    expect([stored?.version, stored?.track?.version, stored?.plan.tasks.map((t) => t.id)]).toEqual([2, 2, ['t1', 't2', 't3']]);

    const again = await cli(['plan', 'amend', planId, file, '--reason', 'Another reminder; gamma takes over t2']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('amendment already applied as version 2: nothing changed\n');
    const json = JSON.parse((await cli(['plan', 'amend', planId, file, '--reason', 'Another reminder; gamma takes over t2', '--json'])).stdout);
    expect(json).toMatchObject({ planId, version: 2, duplicate: true, lines: DIFFERENCE.map((l) => l.trim()) });

    const other = await cli(['plan', 'amend', planId, file, '--reason', 'Once more']);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe('review-cycles: plan: the file is the same as version 2, the version in force: nothing to amend\n');
    expect(await planHistory(db, planId)).toHaveLength(2);
  });

  test('plan history lists both versions; plan status says version 2 is in force and tracks the new task and unit', async () => {
    const history = await cli(['plan', 'history', planId]);
    expect(history.stderr).toBe('');
    expect(history.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^version 1 at \S+Z: the plan as started$/),
      expect.stringMatching(/^version 2 at \S+Z by HQ desk: Another reminder; gamma takes over t2$/),
      ...DIFFERENCE,
    ]);
    const entries = JSON.parse((await cli(['plan', 'history', planId, '--json'])).stdout);
    expect(entries.map((e: { version: number; reason: string | null }) => [e.version, e.reason])).toEqual([[1, null], [2, 'Another reminder; gamma takes over t2']]);
    const at = entries[1].effectiveAt as string;

    const status = await waitFor('t3 and gamma requested', async () => {
      const r = await cli(['plan', 'status', planId]);
      return /t3/.test(r.stdout) && new RegExp(`gamma\\s+${current} requested`).test(r.stdout) ? r : undefined;
    });
    expect(status.stdout.split('\n').slice(0, 2)).toEqual([`plan ${planId}`, `version 2 in force (amended ${at}: Another reminder; gamma takes over t2)`]);
    const asJson = JSON.parse((await cli(['plan', 'status', planId, '--json'])).stdout) as PlanStatus & { version: number };
    expect(asJson.version).toBe(2);
    expect(periodOf(asJson, 't3', 'alpha')?.state).toBe('requested');

    const unknown = await cli(['plan', 'history', 'no-such-plan']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('review-cycles: plan no-such-plan: no such plan has been started\n');
  });
});
