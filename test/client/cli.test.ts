/**
 * The `review-cycles` CLI as a real subprocess, against a real Temporal dev server and a real worker in this process
 * (mail over SMTP into an in-process sink), on the real clock.
 */
import { testActivities } from '../helpers/activities.js';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createActivities, createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { freePort } from '../../client/dev-server.js';
import { planStatus } from '../../client/plans.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import pg from 'pg';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { installRuntime } from '../../worker/runtime.js';
import { planAroundNow, useDevServer, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../portal/harness.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dev = useDevServer({ headless: true });
const queue = `cli-test-${process.pid}-${Date.now()}`;
const planId = `cli-live-${process.pid}-${Date.now()}`;
const { plan, current, next } = planAroundNow(planId);

let dir: string;
let planFile: string;
let sink: SmtpSink;
let mailer: Mailer;
let connection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let unreachable: Promise<Run>;
let dbUrl: string;
let db: pg.Pool;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Our own environment without any Temporal settings, so the test never reaches another server. */
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('REVIEW_CYCLES_')));

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      [join(root, 'bin/review-cycles.js'), ...args],
      {
        cwd: dir,
        env: { ...baseEnv, TEMPORAL_ADDRESS: dev.address, REVIEW_CYCLES_TASK_QUEUE: queue, REVIEW_CYCLES_DATA_DIR: join(dir, 'data'), REVIEW_CYCLES_DATABASE_URL: dbUrl, ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const submit = (...args: string[]) => cli(['report', 'submit', planId, ...args]);


const periodOf = (status: PlanStatus, taskId: string, unitId: string, period: string) =>
  status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === period);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-cli-'));
  planFile = writePlan(dir, plan);
  dbUrl = await freshDatabaseUrl();
  db = new pg.Pool({ connectionString: dbUrl });
  // Takes the connection's full timeout: started now, checked in its own test.
  unreachable = freePort().then((port) => cli(['report', 'submit', planId, '--task', 't1', '--unit', 'alpha', '--period', current, '--status', 'on-track', '--summary', 'x'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` }));
  installRuntime();
  sink = await startSmtpSink();
  connection = await NativeConnection.connect({ address: dev.address });
  client = new Client({ connection, namespace: 'default' });
  worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: queue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: testActivities({ mailer: (mailer = createSmtpMailer(sink.url)), sentLog: createMemorySentLog(), from: 'hq-robot@example.org', db }),
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await mailer?.close(); // before the sink: its pooled connections would hold the sink's close for 30 s
  await connection?.close();
  await sink?.close();
  await unreachable?.catch(() => {});
  await db?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('plan validate', () => {
  test('a good plan: exit 0 and a one-line summary', async () => {
    const r = await cli(['plan', 'validate', planFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${planFile}: valid plan ${planId} (2 tasks, 2 units, ${plan.start} to ${plan.end})\n`);
  });

  test('a bad plan: exit 1 and one located line per problem on stderr', async () => {
    const bad = writePlan(dir, {
      ...plan,
      units: [{ id: 'alpha', name: 'Alpha Office', email: 'not-an-address', leader: 'ghost' }],
      end: '2026-02-30',
    }, 'bad.yaml');
    const r = await cli(['plan', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    for (const line of lines) expect(line).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\S+: `));
    expect(lines).toContain(`${bad}: end: must be a real calendar date, got "2026-02-30" (February 2026 has 28 days)`);
    expect(lines.some((l) => l.startsWith(`${bad}: units[0].email: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${bad}: units[0].leader: unknown leader "ghost"`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${bad}: tasks[1].units[0]: unknown unit "beta"`))).toBe(true);
  });
});

describe('plan start', () => {
  test('starts once; a second start says it is already running and changes nothing', async () => {
    const first = await cli(['plan', 'start', planFile, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const started = JSON.parse(first.stdout) as { planId: string; started: boolean; workflowId: string; runId: string };
    expect(started).toMatchObject({ planId, started: true, workflowId: planWorkflowId(planId) });

    const second = await cli(['plan', 'start', planFile]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`plan ${planId} is already running: nothing changed (workflow ${planWorkflowId(planId)})\n`);

    const desc = await client.workflow.getHandle(planWorkflowId(planId)).describe();
    expect(desc.runId).toBe(started.runId);
    expect(desc.status.name).toBe('RUNNING');
    // Visibility lags a little behind: wait until the run is listed, then count.
    const runs = await waitFor('the plan workflow in the listing', async () => {
      const found = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${planWorkflowId(planId)}'` })) found.push(w);
      return found.length ? found : undefined;
    });
    expect(runs.map((w) => w.runId)).toEqual([started.runId]);
  });

  test('the current quarter is requested at once (the request mails arrive), the next one is scheduled', async () => {
    const status = await waitFor('the current quarter to be requested', async () => {
      const s = await planStatus(db, planId);
      const states = [periodOf(s, 't1', 'alpha', current)?.state, periodOf(s, 't2', 'beta', current)?.state];
      return states.every((x) => x === 'requested') ? s : undefined;
    });
    expect(periodOf(status, 't1', 'alpha', next)).toMatchObject({ state: 'scheduled', requestedAt: null });
    const mails = await waitFor('two request mails', async () => (sink.messages.length >= 2 ? sink.messages : undefined));
    expect(mails.map((m) => m.to.join(',')).sort()).toEqual(['alpha@example.org', 'beta@example.org,beta-desk@example.org']);
    for (const m of mails) {
      expect(m.subject).toContain(`[${planId}]`);
      expect(m.subject).toContain(current);
    }
  });
});

describe('report submit', () => {
  test('refusals: non-zero exit and the reason on stderr', async () => {
    const ok = ['--status', 'on-track', '--summary', 'done'];
    const [unknownUnit, notResponsible, badStatus, noSummary, notYet] = await Promise.all([
      submit('--task', 't1', '--unit', 'ghost', '--period', current, ...ok),
      submit('--task', 't1', '--unit', 'beta', '--period', current, ...ok),
      submit('--task', 't1', '--unit', 'alpha', '--period', current, '--status', 'splendid', '--summary', 'done'),
      submit('--task', 't1', '--unit', 'alpha', '--period', current, '--status', 'on-track'),
      submit('--task', 't1', '--unit', 'alpha', '--period', next, ...ok),
    ]);
    expect(unknownUnit.code).toBe(1);
    expect(unknownUnit.stderr).toContain(`unitId: unknown unit "ghost" in plan ${planId}`);
    expect(notResponsible.code).toBe(1);
    expect(notResponsible.stderr).toContain('unitId: unit "beta" is not responsible for task "t1"');
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toContain("argument 'splendid' is invalid. Allowed choices are on-track, at-risk, off-track.");
    expect(noSummary.code).toBe(1);
    expect(noSummary.stderr).toContain('summary: must not be empty');
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toContain(`period: ${next} has not been requested yet; the request goes out at `);
    for (const r of [unknownUnit, notResponsible, badStatus, noSummary, notYet]) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    }
    // Nothing was recorded.
    const status = await planStatus(db, planId);
    expect(periodOf(status, 't1', 'alpha', current)).toMatchObject({ state: 'requested', revisions: 0 });
  });

  test('a refused report leaves no event at all in the history (the dev server drops the validator\'s task)', async () => {
    const group = client.workflow.getHandle(groupWorkflowId(planId, 0));
    const before = (await group.fetchHistory()).events?.length ?? 0;
    const r = await submit('--task', 't1', '--unit', 'beta', '--period', current, '--status', 'on-track', '--summary', 'not mine');
    expect(r.code).toBe(1);
    const after = (await group.fetchHistory()).events ?? [];
    expect(after.length).toBe(before);
  });

  test('accepted: a receipt line, or a JSON receipt; the same --request-id again is applied once', async () => {
    const text = await submit('--task', 't1', '--unit', 'alpha', '--period', current, '--status', 'at-risk', '--summary', 'half way', '--progress', '40');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^received: t1/alpha/${current} revision 1, first arrived \\S+Z \\(on time\\)\\n$`));

    const args = ['--task', 't2', '--unit', 'beta', '--period', current, '--status', 'on-track', '--summary', 'all good', '--request-id', 'beta-1', '--json'];
    const [a, b] = [await submit(...args), await submit(...args)];
    expect(a.code).toBe(0);
    const receipt = JSON.parse(a.stdout);
    expect(receipt).toEqual({
      taskId: 't2',
      unitId: 'beta',
      period: current,
      revision: 1,
      arrivedAt: expect.any(String),
      firstArrivedAt: receipt.arrivedAt,
      onTime: true,
      daysLate: 0,
      duplicate: false,
    });
    // The same request id again: the first receipt, marked as a duplicate, and no second revision.
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout)).toEqual({ ...receipt, duplicate: true });
    const again = await submit(...args.slice(0, -1));
    expect(again.stdout).toMatch(/^already received: t2\/beta\//);
  });
});

describe('ledger export', () => {
  test('writes CSV with a BOM, a real XLSX workbook and JSON, one row per task, unit and quarter', async () => {
    const csv = join(dir, 'ledger.csv');
    const r = await cli(['ledger', 'export', planId, '--format', 'csv', '--out', csv]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`wrote 4 ledger rows of plan ${planId} to ${csv} (csv)\n`);
    const text = readFileSync(csv, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.trim().split('\r\n')).toHaveLength(1 + 4);
    const xlsx = join(dir, 'ledger.xlsx');
    expect((await cli(['ledger', 'export', planId, '--format', 'xlsx', '--out', xlsx])).code).toBe(0);
    expect(readFileSync(xlsx).subarray(0, 2).toString()).toBe('PK');
    const jsonFile = join(dir, 'ledger.json');
    expect((await cli(['ledger', 'export', planId, '--format', 'json', '--out', jsonFile])).code).toBe(0);
    const rows = JSON.parse(readFileSync(jsonFile, 'utf8'));
    expect(rows.find((x: { taskId: string; unitId: string; period: string }) => x.taskId === 't1' && x.unitId === 'alpha' && x.period === current)).toMatchObject({
      state: 'submitted',
      reportStatus: 'at-risk',
      progress: 40,
    });
    const bad = await cli(['ledger', 'export', planId, '--format', 'pdf', '--out', jsonFile]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("argument 'pdf' is invalid");
  });
});

describe('plan status', () => {
  test('--json shows the reports, in the documented layout', async () => {
    const r = await cli(['plan', 'status', planId, '--json']);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as PlanStatus;
    expect(Object.keys(status)).toEqual(['planId', 'tasks', 'version']);
    expect(status.planId).toBe(planId);
    expect(status.tasks.map((t) => t.taskId)).toEqual(['t1', 't2']);
    for (const t of status.tasks) {
      expect(Object.keys(t)).toEqual(['taskId', 'units']);
      for (const u of t.units) {
        expect(Object.keys(u)).toEqual(['unitId', 'periods']);
        expect(u.periods.map((p) => p.period)).toEqual([current, next]);
        for (const p of u.periods) {
          // The documented fields first, in this order; further fields may follow.
          expect(Object.keys(p).slice(0, 9)).toEqual([
            'period', 'state', 'requestedAt', 'dueAt', 'submittedAt', 'daysLate', 'reminders', 'escalations', 'revisions',
          ]);
        }
      }
    }
    const alpha = periodOf(status, 't1', 'alpha', current)!;
    expect(alpha).toMatchObject({ state: 'submitted', daysLate: 0, reminders: 0, escalations: 0, revisions: 1, reportStatus: 'at-risk', progress: 40 });
    expect(Date.parse(alpha.requestedAt!)).toBeLessThanOrEqual(Date.parse(alpha.submittedAt!));
    expect(Date.parse(alpha.dueAt)).toBeGreaterThan(Date.now());
    expect(periodOf(status, 't2', 'beta', current)).toMatchObject({ state: 'submitted', revisions: 1, reportStatus: 'on-track' });
    expect(periodOf(status, 't1', 'alpha', next)).toMatchObject({ state: 'scheduled', requestedAt: null, submittedAt: null, daysLate: null, revisions: 0 });

    const table = await cli(['plan', 'status', planId]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`plan ${planId}`);
    expect(table.stdout).toMatch(new RegExp(`alpha\\s+${current} submitted \\| ${next} scheduled`));
  });

  test('an unknown plan: a clear error, exit 1', async () => {
    const r = await cli(['plan', 'status', 'no-such-plan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('review-cycles: plan no-such-plan: no such plan has been started\n');
  });
});

test('a Temporal address where nothing listens: "cannot reach Temporal", exit 1', async () => {
  const r = await unreachable;
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^review-cycles: cannot reach Temporal at 127\.0\.0\.1:\d+ \(namespace default\): .*Start it with "npm start", or set TEMPORAL_ADDRESS \/ TEMPORAL_PROFILE\.\n$/);
});

describe('db sync', () => {
  test('rows deleted from the database come back from the running workflows; a second sync changes nothing', async () => {
    const statusOf = async () => JSON.parse((await cli(['plan', 'status', planId, '--json'])).stdout) as PlanStatus;
    const before = await statusOf();
    const revisionsOf = async () => JSON.parse((await cli(['report', 'revisions', planId, '--task', 't1', '--unit', 'alpha', '--period', current, '--json'])).stdout);
    const revisionsBefore = await revisionsOf();
    const counts = async () => {
      const { rows } = await db.query(
        `SELECT (SELECT count(*) FROM plans WHERE plan_id = $1)::int AS plans, (SELECT count(*) FROM report_records WHERE plan_id = $1)::int AS records,
           (SELECT count(*) FROM report_revisions WHERE plan_id = $1)::int AS revisions`,
        [planId],
      );
      return rows[0];
    };
    const full = await counts();
    expect(full).toMatchObject({ plans: 1, records: 2, revisions: 2 });
    // As if restored from a backup taken after alpha's report arrived and before beta's: only alpha's revision is left.
    await db.query("DELETE FROM report_revisions WHERE plan_id = $1 AND unit_id <> 'alpha'", [planId]);
    for (const table of ['report_decisions', 'report_records', 'plan_versions', 'plans']) await db.query(`DELETE FROM ${table} WHERE plan_id = $1`, [planId]);
    const gone = await cli(['plan', 'status', planId]);
    expect(gone.stderr).toBe(`review-cycles: plan ${planId}: no such plan has been started\n`);

    const sync = await cli(['db', 'sync', planId]);
    expect(sync.stderr).toBe('');
    expect(sync.stdout).toBe(`synced plan ${planId}: 2 records from 1 group workflow\n`);
    expect(await statusOf()).toEqual(before);
    expect(await counts()).toEqual(full);
    // The revision the backup had keeps its texts; what the workflows no longer carry (the texts of beta's, once
    // recorded) cannot come back, but its arrival, status and figures do.
    expect(await revisionsOf()).toEqual(revisionsBefore);
    const beta = JSON.parse((await cli(['report', 'revisions', planId, '--task', 't2', '--unit', 'beta', '--period', current, '--json'])).stdout);
    expect(beta).toMatchObject([{ requestId: 'beta-1', status: 'on-track', summary: '' }]);

    const again = await cli(['db', 'sync', planId, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ planId, records: 2, groups: 1 });
    expect(await counts()).toEqual(full);
    expect(await statusOf()).toEqual(before);
  });

  test('an unknown plan: a clear error', async () => {
    const r = await cli(['db', 'sync', 'no-such-plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('review-cycles: plan no-such-plan: no such plan is running in Temporal\n');
  });
});

describe('with the worker stopped, and then with the workflows deleted from Temporal', () => {
  const readEverything = async () => {
    const status = await cli(['plan', 'status', planId, '--json']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as PlanStatus;
    expect(periodOf(s, 't1', 'alpha', current)).toMatchObject({ state: 'submitted', revisions: 1, reportStatus: 'at-risk', progress: 40 });
    expect(periodOf(s, 't2', 'beta', current)).toMatchObject({ state: 'submitted', revisions: 1, reportStatus: 'on-track' });
    const revisions = await cli(['report', 'revisions', planId, '--task', 't1', '--unit', 'alpha', '--period', current, '--json']);
    expect(revisions.code).toBe(0);
    expect(JSON.parse(revisions.stdout)).toMatchObject([{ status: 'at-risk', summary: 'half way', progress: 40 }]);
    const file = join(dir, `after-${Date.now()}.json`);
    const ledger = await cli(['ledger', 'export', planId, '--format', 'json', '--out', file]);
    expect(ledger.code).toBe(0);
    const rows = JSON.parse(readFileSync(file, 'utf8')) as { taskId: string; unitId: string; period: string; summary: string | null }[];
    expect(rows).toHaveLength(4);
    expect(rows.find((x) => x.taskId === 't1' && x.unitId === 'alpha' && x.period === current)).toMatchObject({ state: 'submitted', summary: 'half way' });
    expect(rows.find((x) => x.taskId === 't2' && x.unitId === 'beta' && x.period === current)).toMatchObject({ state: 'submitted' });
    const reviews = await cli(['plan', 'reviews', planId, '--json']);
    expect(reviews.code).toBe(0);
    expect(JSON.parse(reviews.stdout)).toEqual([]);
  };

  test('reads answer from the database; a submission says within 10 s that the engine is not running', async () => {
    worker.shutdown();
    await running;
    await readEverything();
    const t0 = Date.now();
    const r = await submit('--task', 't1', '--unit', 'alpha', '--period', current, '--status', 'on-track', '--summary', 'while down', '--request-id', 'while-down');
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('review-cycles: engine: the engine is not running: no worker answered within 6 s, so this report has not been recorded.');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(took).toBeLessThan(10_000);
  });

  test('after Temporal has forgotten the plan (its workflow executions deleted), every read still shows everything', async () => {
    const ids = [planWorkflowId(planId), groupWorkflowId(planId, 0)];
    for (const workflowId of ids) {
      await client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
    }
    await waitFor('the executions to be gone', async () => {
      for (const id of ids) {
        const gone = await client.workflow.getHandle(id).describe().then(() => false, () => true);
        if (!gone) return undefined;
      }
      return true;
    });
    await readEverything();
  });
});
