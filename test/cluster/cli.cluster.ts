/**
 * The CLI end to end on the cluster: the live demo plan (examples/demo-plan.yaml moved around today, as `npm start`
 * runs it) started with `review-cycles plan start`, its requests mailed by a worker process over SMTP, a report
 * submitted with `report submit`, read back with `plan status` and written out with `ledger export`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livePlan } from '../../client/live-plan.js';
import { loadPlanFile } from '../../client/plan-file.js';
import { noticeRows, runCli, waitFor } from '../../scripts/faults/live.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { clusterStack, type ClusterStack } from './support.js';

const planId = `demo-live-cluster-${process.pid}-${Date.now()}`;
let stack: ClusterStack;
let dir: string;
let planFile: string;

beforeAll(async () => {
  stack = await clusterStack('cli');
  dir = mkdtempSync(join(tmpdir(), 'rc-cluster-cli-'));
  planFile = join(dir, 'plan.yaml');
  // The live demo plan under an id of this run's own: the cluster outlives test runs, and a plan id is started once.
  writeFileSync(planFile, stringify({ ...livePlan(), id: planId }, { version: '1.1' }));
  const loaded = await loadPlanFile(planFile);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  stack.track(loaded.plan);
  await stack.startWorker('cli-worker');
});

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { ...stack.env, REVIEW_CYCLES_DATA_DIR: join(dir, 'data') });

test('start the demo plan, submit a report, read its status and export the ledger, all on the cluster', async () => {
  const started = await cli(['plan', 'start', planFile, '--json']);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ started: true });
  // A second start changes nothing.
  const again = await cli(['plan', 'start', planFile, '--json']);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ started: false });

  // The current quarter's requests go out at once: every (task, unit) shows it requested, and each notice the sent log
  // holds reached the SMTP server under its Message-ID.
  const status = async () => JSON.parse((await cli(['plan', 'status', planId, '--json'])).stdout) as PlanStatus;
  const requested = await waitFor(60_000, async () => {
    const s = await status();
    return s.tasks.flatMap((t) => t.units).length === 4 && s.tasks.every((t) => t.units.every((u) => u.periods.some((p) => p.state === 'requested'))) ? s : undefined;
  }, 500);
  expect(requested, 'the four (task, unit) pairs of the demo show their current quarter requested').toBeDefined();
  const notices = await waitFor(30_000, async () => {
    const rows = await noticeRows(stack.db, planId);
    return rows.length > 0 && rows.every((r) => r.status === 'sent' && stack.smtp.received.some((m) => m.messageId === r.messageId)) ? rows : undefined;
  }, 250);
  expect(notices, `the requests reached the SMTP server (${stack.smtp.received.length} messages)`).toBeDefined();
  expect(notices!.every((r) => r.kind === 'request')).toBe(true);
  const current = requested!.tasks[0].units[0].periods.find((p) => p.state === 'requested')!.period;

  const submit = await cli(['report', 'submit', planId, '--task', 'industrial-upgrade', '--unit', 'industry', '--period', current, '--status', 'on-track', '--summary', 'Two plants upgraded.', '--progress', '20', '--request-id', `${planId}-r1`, '--json']);
  expect(submit.stderr).toBe('');
  expect(submit.code).toBe(0);
  expect(JSON.parse(submit.stdout)).toMatchObject({ revision: 1 });
  // The same request id again is applied once.
  const resubmit = await cli(['report', 'submit', planId, '--task', 'industrial-upgrade', '--unit', 'industry', '--period', current, '--status', 'on-track', '--summary', 'Two plants upgraded.', '--progress', '20', '--request-id', `${planId}-r1`, '--json']);
  expect(resubmit.code).toBe(0);
  expect(JSON.parse(resubmit.stdout)).toMatchObject({ revision: 1, duplicate: true });

  const after = await status();
  const period = after.tasks.find((t) => t.taskId === 'industrial-upgrade')!.units.find((u) => u.unitId === 'industry')!.periods.find((p) => p.period === current)!;
  expect(period).toMatchObject({ state: 'submitted', revisions: 1, reportStatus: 'on-track', progress: 20 });
  const text = await cli(['plan', 'status', planId]);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`${current} submitted`);

  const out = join(dir, 'ledger.json');
  const ledger = await cli(['ledger', 'export', planId, '--format', 'json', '--out', out, '--json']);
  expect(ledger.stderr).toBe('');
  expect(ledger.code).toBe(0);
  expect(JSON.parse(ledger.stdout)).toMatchObject({ planId, format: 'json' });
  const rows = JSON.stringify(JSON.parse(readFileSync(out, 'utf8')));
  expect(rows).toContain('Two plants upgraded.');
  expect(rows).toContain('industrial-upgrade');
});
