/**
 * A rehearsal on the time-skipping server, over real SMTP and a real PostgreSQL, of a plan whose unit has more tasks
 * than one group workflow holds (120 unit-tasks): its tasks are split over two groups, whose notices of one instant
 * reach the mail activity in two calls and still arrive as one message; the reviews of the plan's last instant (the
 * half-year review, the annual summary and the plan summary) are published at once, so each leader's lagging notices
 * of that instant arrive as one message too. The plan workflow's history is recorded for the replay test.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createSmtpMailer } from '../../activities/index.js';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { storedNotices } from '../../store/notices.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { testDb } from '../helpers/db.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { validPlan } from '../fixtures/plans.js';
import type pg from 'pg';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import { recordHistories } from '../helpers/histories.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

const plan: Plan = validPlan({
  id: 'gather-2030',
  title: 'Gather 2030',
  timezone: 'Asia/Shanghai',
  start: '2030-01-01',
  end: '2030-03-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  leaders: [{ id: 'l1', name: 'Leader One', email: 'l1@example.org' }],
  units: [
    { id: 'big', name: 'Big unit', email: 'big@example.org', leader: 'l1' },
    { id: 'small', name: 'Small unit', email: 'small@example.org', leader: 'l1' },
  ],
  aspects: [{ id: 'a', title: 'Aspect A' }],
  tasks: [
    ...Array.from({ length: 120 }, (_, i) => ({ id: `t${i + 1}`, aspect: 'a', title: `Task ${i + 1}`, units: ['big'] })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: `s${i + 1}`, aspect: 'a', title: `Small task ${i + 1}`, units: ['small'] })),
  ],
  cadence: {
    sendTime: '09:00',
    requestOffsetDays: -10,
    dueOffsetDays: 5,
    reminderDays: [0],
    escalation: [{ afterDaysOverdue: 3, to: 'unitLeader' }],
  },
});
// The big unit never answers (a reminder and an escalation to its leader for each task), the small one on time.
const behaviour = {
  default: { submit: { daysAfterRequest: 2 }, status: 'on-track' as const },
  rules: [{ unit: 'big', submit: 'never' as const }],
};

type Line = { at: string; kind: string; window?: string; taskId?: string; unitId?: string; to: string[]; cc: string[]; messageId: string };
let sink: SmtpSink;
let result: RehearsalResult;
let lines: Line[];
let mails: SmtpSink['messages'];
let db: pg.Pool;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  sink = await startSmtpSink();
  db = await testDb();
  const outDir = mkdtempSync(join(tmpdir(), 'rc-gather-'));
  const mailer = createSmtpMailer(sink.url);
  env = await timeSkippingEnv();
  result = await rehearse({ plan, db, mailer, outDir, behaviour, env, workflowBundle: { codePath: inject('workflowBundlePath') } });
  await mailer.close();
  await recordHistories(env.client, [planWorkflowId(plan.id)], 'reviews-of-one-instant');
  lines = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
  mails = sink.messages;
}, 400_000);
afterAll(async () => {
  await sink?.close();
  await env?.teardown();
});

test("the big unit's tasks are split over two group workflows", () => {
  const groups = layoutOf(plan).groups.filter((g) => g.taskIds.some((t) => t.startsWith('t')));
  expect(groups.length).toBe(2);
  expect(groups.every((g) => g.taskIds.length < 120)).toBe(true);
});

test("one message per recipient per instant across the two groups: the big unit's 120 requests, reminders and escalations each come as one", () => {
  const recipients = (l: Line) => `${l.at} to=${[...l.to].sort()} cc=${[...l.cc].sort()}`;
  const byRecipients = new Map<string, Set<string>>();
  for (const l of lines.filter((l) => l.kind !== 'review' && l.kind !== 'summary')) {
    (byRecipients.get(recipients(l)) ?? byRecipients.set(recipients(l), new Set()).get(recipients(l))!).add(l.messageId);
  }
  expect([...byRecipients.entries()].filter(([, ids]) => ids.size !== 1)).toEqual([]);
  for (const kind of ['request', 'reminder', 'escalation']) {
    const big = lines.filter((l) => l.unitId === 'big' && l.kind === kind);
    expect(big).toHaveLength(120);
    expect(new Set(big.map((l) => l.messageId)).size).toBe(1);
    const [m] = mails.filter((x) => x.messageId === big[0].messageId);
    expect(mails.filter((x) => x.messageId === big[0].messageId)).toHaveLength(1);
    expect(String(m.headers.get('x-review-cycles-digest'))).toBe('120');
  }
  // The plan's last instant has the lagging notices of several windows for the leader: one message carries them.
  const lagging = lines.filter((l) => l.kind === 'lagging');
  const last = lagging.filter((l) => l.at === lagging[lagging.length - 1].at);
  expect(new Set(last.map((l) => l.window)).size).toBeGreaterThanOrEqual(2);
  expect(new Set(last.map((l) => l.messageId)).size).toBe(1);
  // Every message arrived once; notices.jsonl keeps one line per notice.
  expect(mails.map((m) => m.messageId).sort()).toEqual([...new Set(lines.map((l) => l.messageId))].sort());
  expect(result.messages).toBe(new Set(lines.map((l) => l.messageId)).size);
  expect(lines.length).toBe(result.notices.length);
});

test('the sent log keeps each notice once, under the Message-ID that carried it; the outbox is empty', async () => {
  const rows = await storedNotices(db, plan.id);
  const unitRows = rows.filter((r) => r.taskId);
  expect(unitRows.length).toBe(lines.filter((l) => l.taskId).length);
  const byKey = new Map(lines.filter((l) => l.taskId).map((l) => [`${l.taskId}/${l.unitId}/${l.kind}/${l.at}`, l.messageId]));
  for (const r of unitRows) expect([r.status, r.messageId]).toEqual(['sent', byKey.get(`${r.taskId}/${r.unitId}/${r.kind}/${r.at}`)]);
  expect((await db.query('SELECT count(*)::int AS n FROM notice_outbox')).rows[0].n).toBe(0);
});
