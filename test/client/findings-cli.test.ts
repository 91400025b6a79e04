/**
 * Inspection findings through the `review-cycles` CLI as a real subprocess, against a real Temporal dev server, a real
 * worker, real PostgreSQL and a real SMTP sink, on the real clock: claims, refusals, a rejection, list, show, status.
 */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { createDbSentLog } from '../../store/index.js';
import { installRuntime } from '../../worker/runtime.js';
import { testActivities } from '../helpers/activities.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { planAroundNow, useDevServer, writePlan } from '../helpers/dev-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../portal/harness.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const dev = useDevServer({ headless: true });
const queue = `findings-cli-${process.pid}-${Date.now()}`;
const planId = `findings-live-${process.pid}-${Date.now()}`;
const around = planAroundNow(planId);
const today = new Date().toISOString().slice(0, 10);
// Send time 00:00 UTC: today's assignment moment has passed, so starting the plan assigns the findings at once.
const plan = {
  ...around.plan,
  cadence: { ...(around.plan.cadence as Record<string, unknown>), sendTime: '00:00' },
  inspections: {
    cadence: { rectifyDays: 20, reworkDays: 10 },
    rounds: [
      {
        id: 'r1',
        title: 'Round one',
        feedbackDay: today,
        findings: [
          { id: 'f1', title: 'Approvals overdue', unit: 'alpha', verifier: 'beta' },
          { id: 'f2', title: 'Ledger incomplete', unit: 'beta', recheckAfterDays: 30 },
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rc-findings-cli-'));
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

const list = async (...args: string[]) => JSON.parse((await cli(['findings', 'list', planId, '--json', ...args])).stdout) as { findingId: string; state: string; round: number; deadlineDay: string }[];

describe('findings on the CLI', () => {
  test('starting the plan assigns the findings at once: finding-assigned to the unit', async () => {
    const open = await waitFor('both findings assigned', async () => {
      const l = await list();
      return l.every((f) => f.state === 'open') ? l : undefined;
    });
    expect(open.map((f) => f.findingId)).toEqual(['f1', 'f2']);
    // Each unit's assignment goes out with its request of the same instant (one digest per recipient per instant,
    // whichever workflow sent each notice), or alone: the message that carries the finding-assigned key counts.
    const carries = (m: SmtpSink['messages'][number], findingId: string) => {
      const key = `${planId}/finding/${findingId}/finding-assigned/r1/1`;
      return String(m.headers.get('x-review-cycles-key') ?? '') === key || String(m.headers.get('x-review-cycles-keys') ?? '').split(' ').includes(key);
    };
    const assigned = await waitFor('two assignment mails', async () => {
      const m = ['f1', 'f2'].map((f) => sink.messages.filter((x) => carries(x, f)));
      return m.every((x) => x.length === 1) ? m.flat() : undefined;
    });
    expect(assigned.map((m) => m.to.join(',')).sort()).toEqual(['alpha@example.org', 'beta@example.org,beta-desk@example.org']);
  });

  test('refusals say what and where, exit 1, and change nothing', async () => {
    const [otherUnit, noEvidence, unknown, notVerifier, notDue] = await Promise.all([
      cli(['finding', 'claim', planId, 'f1', '--unit', 'beta', '--evidence', 'done']),
      cli(['finding', 'claim', planId, 'f1', '--unit', 'alpha', '--evidence', '   ']),
      cli(['finding', 'claim', planId, 'f9', '--unit', 'alpha', '--evidence', 'done']),
      cli(['finding', 'accept', planId, 'f1', '--as', 'alpha']),
      cli(['finding', 'recheck', planId, 'f2', '--result', 'pass']),
    ]);
    expect(otherUnit).toMatchObject({ code: 1, stdout: '' });
    expect(otherUnit.stderr).toBe('review-cycles: actor: beta may not claim finding f1: only alpha may\n');
    expect(noEvidence.stderr).toBe('review-cycles: evidence: a claim must describe the evidence of the rectification\n');
    expect(unknown.stderr).toBe(`review-cycles: findingId: unknown finding "f9" in plan ${planId}\n`);
    expect(notVerifier.stderr).toBe('review-cycles: actor: alpha may not accept finding f1: only beta or headquarters may\n');
    expect(notDue.stderr).toBe('review-cycles: action: finding f2 has no re-check due\n');
    for (const r of [otherUnit, noEvidence, unknown, notVerifier, notDue]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await list()).map((f) => f.state)).toEqual(['open', 'open']);
  });

  test('a claim, its repeat, a rejection by the verifier unit with its reason, and the new round', async () => {
    const claim = await cli(['finding', 'claim', planId, 'f1', '--unit', 'alpha', '--evidence', 'All approvals issued.', '--link', 'https://example.org/evidence/1', '--request-id', 'claim-1']);
    expect(claim.stderr).toBe('');
    expect(claim.stdout).toBe('applied: claim claim 1 on finding f1, now claimed (round 1)\n');
    const again = await cli(['finding', 'claim', planId, 'f1', '--unit', 'alpha', '--evidence', 'All approvals issued.', '--request-id', 'claim-1']);
    expect(again.stdout).toBe('already applied: claim claim 1 on finding f1, now claimed (round 1)\n');
    const second = await cli(['finding', 'claim', planId, 'f1', '--unit', 'alpha', '--evidence', 'Again.']);
    expect(second.stderr).toBe("review-cycles: action: finding f1 is claimed: claim 1 awaits the verifier's decision\n");
    const noReason = await cli(['finding', 'reject', planId, 'f1', '--as', 'beta', '--reason', '']);
    expect(noReason.stderr).toBe('review-cycles: reason: a rejection must give its reason\n');

    const reject = await cli(['finding', 'reject', planId, 'f1', '--as', 'beta', '--reason', 'Two approvals are missing.', '--json']);
    expect(reject.stderr).toBe('');
    const receipt = JSON.parse(reject.stdout);
    expect(receipt).toMatchObject({ findingId: 'f1', action: 'reject', state: 'open', round: 2, claim: 1, duplicate: false });
    expect(receipt.deadlineDay > today).toBe(true);
    const decideAgain = await cli(['finding', 'accept', planId, 'f1', '--as', 'beta']);
    expect(decideAgain.stderr).toMatch(/^review-cycles: action: claim 1 of finding f1 was already rejected at /);

    const mails = await waitFor('the claim and the rejection notices', async () => {
      const received = sink.messages.filter((m) => m.messageId.startsWith('<rc.claim-received.'));
      const rejected = sink.messages.filter((m) => m.messageId.startsWith('<rc.claim-rejected.'));
      return received.length && rejected.length ? { received, rejected } : undefined;
    });
    expect(mails.received.map((m) => m.to)).toEqual([['beta@example.org', 'beta-desk@example.org']]);
    expect(mails.rejected.map((m) => m.to)).toEqual([['alpha@example.org']]);
    expect(mails.rejected[0].parsed.text).toContain('Two approvals are missing.');
    expect(mails.rejected[0].parsed.text).toContain(receipt.deadlineDay);

    const show = await cli(['finding', 'show', planId, 'f1', '--json']);
    const life = JSON.parse(show.stdout);
    expect(life.status).toMatchObject({ findingId: 'f1', state: 'open', round: 2, claims: 1, verifier: 'beta', deadlineDay: receipt.deadlineDay });
    expect(life.actions.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([['claim', 'alpha'], ['reject', 'beta']]);
    expect(life.actions[0]).toMatchObject({ text: 'All approvals issued.', links: ['https://example.org/evidence/1'], claim: 1, round: 1 });
    expect(life.actions[1]).toMatchObject({ text: 'Two approvals are missing.', claim: 1, round: 2 });
    expect(life.notices.map((n: { kind: string; status: string }) => `${n.kind}:${n.status}`)).toEqual(['finding-assigned:sent', 'claim-received:sent', 'claim-rejected:sent']);
    const text = await cli(['finding', 'show', planId, 'f1']);
    expect(text.stdout).toMatch(/^f1 +open +unit alpha, round 2, due \d{4}-\d\d-\d\d, 1 claim\n/);
    expect(text.stdout).toContain('reject (claim 1) by beta, round 2: Two approvals are missing.');
  });

  test('headquarters accepts a claim for any verifier; list filters; plan status carries the findings', async () => {
    const claim = await cli(['finding', 'claim', planId, 'f2', '--unit', 'beta', '--evidence', 'Ledger complete.']);
    expect(claim.code).toBe(0);
    const accept = await cli(['finding', 'accept', planId, 'f2']);
    expect(accept.stdout).toBe('applied: accept claim 1 on finding f2, now closed (round 1)\n');
    expect((await list('--state', 'closed')).map((f) => f.findingId)).toEqual(['f2']);
    expect((await list('--unit', 'alpha')).map((f) => f.findingId)).toEqual(['f1']);
    const bad = await cli(['findings', 'list', planId, '--state', 'lost']);
    expect(bad.stderr).toBe('review-cycles: --state: must be one of scheduled, open, overdue, claimed, closed, verified, got "lost"\n');
    const status = JSON.parse((await cli(['plan', 'status', planId, '--json'])).stdout);
    expect(status.findings).toHaveLength(2);
    expect(status.findings[1]).toMatchObject({ findingId: 'f2', inspectionId: 'r1', unitId: 'beta', verifier: 'headquarters', state: 'closed', round: 1, claims: 1, closedOnTime: true, daysLate: 0 });
    // A recheck is not due until 30 days after the closure.
    const early = await cli(['finding', 'recheck', planId, 'f2', '--result', 'pass']);
    expect(early.stderr).toMatch(/^review-cycles: action: finding f2 has no re-check due; its re-check is due at \d{4}-/);
    const evidence = join(dir, 'evidence.txt');
    writeFileSync(evidence, 'Second try, all approvals issued.');
    const fromFile = await cli(['finding', 'claim', planId, 'f1', '--unit', 'alpha', '--evidence-file', evidence]);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.stdout).toBe('applied: claim claim 2 on finding f1, now claimed (round 2)\n');
  });
});
