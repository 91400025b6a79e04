/**
 * Nothing is lost when Temporal forgets: a plan runs to its end on the time-skipping server (reports, a return, a
 * revision, an acceptance, reminders, escalations, reviews), then the server and everything in it is torn down. The
 * CLI, with no Temporal server anywhere, still shows the status, the revisions, the decisions, the notices, the reviews
 * and the ledger in full, from the database.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../client/dev-server.js';
import { liveStatus } from '../../client/live.js';
import { acceptReport, planStatus, returnReport, startPlan, submitReport, type Engine } from '../../client/plans.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import { busyQuery } from '../../workflows/contract/messages.js';
import { groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import type { PlanStatus, Revision } from '../../workflows/contract/status.js';
import { yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const plan = yearPlan('forgotten-2030', { end: '2030-06-30' });
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('REVIEW_CYCLES_')));
const long = 'Figures for the quarter. '.repeat(800); // 20,000 characters: the workflows keep an excerpt, the database all

let dir: string;
let dbUrl: string;
let db: pg.Pool;
let nowhere: string;
let live: PlanStatus;
let endedAt: number;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      [join(root, 'bin/review-cycles.js'), ...args],
      { cwd: dir, env: { ...baseEnv, TEMPORAL_ADDRESS: nowhere, REVIEW_CYCLES_DATABASE_URL: dbUrl, REVIEW_CYCLES_DATA_DIR: join(dir, 'data') }, timeout: 60_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

async function sleepUntil(env: TestWorkflowEnvironment, iso: string): Promise<void> {
  const now = await env.currentTimeMs();
  if (Date.parse(iso) > now) await env.sleep(Date.parse(iso) - now);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-forgotten-'));
  nowhere = `127.0.0.1:${await freePort()}`;
  dbUrl = await freshDatabaseUrl();
  db = new pg.Pool({ connectionString: dbUrl });
  const env = await timeSkippingEnv();
  const taskQueue = uniqueQueue('forgotten');
  const worker = await testWorker(env, { taskQueue, activities: testActivities({ db, sentLog: createDbSentLog(db) }) });
  try {
    await worker.runUntil(async () => {
      const engine: Engine = { client: env.client, db, stampArrival: false };
      await startPlan(env.client, plan, taskQueue);
      const group = env.client.workflow.getHandle(groupWorkflowId(plan.id, 0));
      await sleepUntil(env, '2030-03-22T04:00:00Z');
      await submitReport(engine, plan.id, { requestId: 'q1-ontime-1', taskId: 't1', unitId: 'ontime', period: '2030-Q1', status: 'at-risk', summary: long, problems: 'staff', nextSteps: 'hire', submittedBy: 'Wang', progress: 30 });
      await sleepUntil(env, '2030-03-25T02:00:00Z');
      await returnReport(engine, plan.id, { taskId: 't1', unitId: 'ontime', period: '2030-Q1', comment: 'Add the March figures.', by: 'HQ office' });
      await sleepUntil(env, '2030-03-27T04:00:00Z');
      await submitReport(engine, plan.id, { requestId: 'q1-ontime-2', taskId: 't1', unitId: 'ontime', period: '2030-Q1', status: 'on-track', summary: 'With the March figures.', progress: 35 });
      await acceptReport(engine, plan.id, { taskId: 't1', unitId: 'ontime', period: '2030-Q1', by: 'HQ office' });
      await sleepUntil(env, '2030-04-12T04:00:00Z');
      await submitReport(engine, plan.id, { requestId: 'q1-late-1', taskId: 't1', unitId: 'late', period: '2030-Q1', status: 'off-track', summary: 'Late, sorry.', problems: 'The contractor withdrew.' });
      await env.client.workflow.getHandle(planWorkflowId(plan.id)).result();
      await group.result(); // every quarter closed: the plan is complete (the result lets the server's clock run on)
      endedAt = await env.currentTimeMs();
      for (;;) {
        if (!(await group.query(busyQuery).catch(() => false))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      live = await liveStatus(env.client, plan.id).catch(() => undefined as unknown as PlanStatus);
    });
  } finally {
    await env.teardown(); // Temporal forgets everything: the server, its histories, its visibility
  }
}, 240_000);

afterAll(async () => {
  await db?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('status: every task, unit and quarter, as the workflows had it', async () => {
  const r = await cli(['plan', 'status', plan.id, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const status = JSON.parse(r.stdout) as PlanStatus;
  const q1 = (unitId: string) => status.tasks[0].units.find((u) => u.unitId === unitId)!.periods[0];
  expect(q1('ontime')).toMatchObject({ state: 'submitted', revisions: 2, review: 'accepted', round: 1, reportStatus: 'on-track', progress: 35 });
  expect(q1('late')).toMatchObject({ state: 'late', revisions: 1, reportStatus: 'off-track' });
  expect(q1('late').daysLate).toBeGreaterThan(0);
  expect(q1('silent')).toMatchObject({ state: 'escalated', revisions: 0, escalations: 2 });
  expect(q1('silent').reminders).toBeGreaterThan(0);
  // The database says what the workflows said before they were torn down (the clock of that moment aside).
  expect(live).toBeDefined();
  expect(await planStatus(db, plan.id, {}, endedAt)).toEqual(live);
});

test('revisions in full (the 20,000-character summary too), with who submitted and the problems', async () => {
  const r = await cli(['report', 'revisions', plan.id, '--task', 't1', '--unit', 'ontime', '--period', '2030-Q1', '--json']);
  expect(r.code).toBe(0);
  const revisions = JSON.parse(r.stdout) as Revision[];
  expect(revisions.map((v) => v.requestId)).toEqual(['q1-ontime-1', 'q1-ontime-2']);
  expect(revisions[0]).toMatchObject({ summary: long, problems: 'staff', nextSteps: 'hire', submittedBy: 'Wang', progress: 30, status: 'at-risk' });
});

test('decisions and notices are in the database; the reviews too', async () => {
  const { rows } = await db.query("SELECT decision, comment, decided_by FROM report_decisions WHERE plan_id = $1 ORDER BY seq", [plan.id]);
  expect(rows).toEqual([
    { decision: 'return', comment: 'Add the March figures.', decided_by: 'HQ office' },
    { decision: 'accept', comment: null, decided_by: 'HQ office' },
  ]);
  const notices = await storedNotices(db, plan.id);
  expect(notices.filter((n) => n.kind === 'request')).toHaveLength(6); // 3 units x 2 quarters
  expect(notices.some((n) => n.kind === 'returned' && n.unitId === 'ontime')).toBe(true);
  expect(notices.filter((n) => n.kind === 'escalation' && n.unitId === 'silent').length).toBeGreaterThanOrEqual(2);
  expect(notices.every((n) => n.status === 'sent' && /^<.+@.+>$/.test(n.messageId))).toBe(true);
  const reviews = await cli(['plan', 'reviews', plan.id, '--json']);
  expect(reviews.code).toBe(0);
  const published = JSON.parse(reviews.stdout) as { window: string }[];
  expect(published.map((p) => p.window)).toEqual(['2030-H1', '2030', 'plan']);
  const { rows: docs } = await db.query('SELECT window_id, length(html) AS html, length(markdown) AS md FROM reviews WHERE plan_id = $1 ORDER BY review_at', [plan.id]);
  expect(docs).toHaveLength(3);
  for (const d of docs) expect(Math.min(d.html, d.md)).toBeGreaterThan(100);
  // The group keeps no texts once they are recorded: the review reads the flagged report's problems from the database.
  const { rows: h1 } = await db.query("SELECT review, markdown FROM reviews WHERE plan_id = $1 AND window_id = '2030-H1'", [plan.id]);
  expect(h1[0].review.flagged).toContainEqual(expect.objectContaining({ unitId: 'late', period: '2030-Q1', status: 'off-track', problems: 'The contractor withdrew.' }));
  expect(h1[0].markdown).toContain('The contractor withdrew.');
});

test('the ledger: one row per task, unit and quarter, with the texts and the last decision', async () => {
  const file = join(dir, 'ledger.json');
  const r = await cli(['ledger', 'export', plan.id, '--format', 'json', '--out', file]);
  expect(r.stderr).toBe('');
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
  expect(rows).toHaveLength(6);
  expect(rows.find((x) => x.unitId === 'ontime' && x.period === '2030-Q1')).toMatchObject({ summary: 'With the March figures.', decision: 'accepted', revisions: 2 });
  expect(rows.find((x) => x.unitId === 'late' && x.period === '2030-Q1')).toMatchObject({ summary: 'Late, sorry.', decision: null, state: 'late' });
});
