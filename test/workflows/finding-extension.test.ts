/**
 * Findings extended (延期) on the time-skipping server, delivered over real SMTP: one extended before its deadline,
 * one after its first escalation, one left as it was. Every finding notice is compared with a schedule worked out by
 * hand; the finding-extended notice reaches the SMTP server once under its key (a repeated request id is answered
 * with the first receipt); lateness, status and the system of record count from the new deadline day.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSmtpMailer, messageIdForText, type Mailer, type SentNotice } from '../../activities/index.js';
import { actOnFinding, extendFinding, findingLife, findingsOf } from '../../client/findings.js';
import { startPlan } from '../../client/plans.js';
import { createDbSentLog } from '../../store/index.js';
import { findingNoticeKeyText, type FindingExtensionReceipt } from '../../workflows/contract/finding.js';
import { findingsWorkflowId } from '../../workflows/contract/ids.js';
import { findingsProgressQuery } from '../../workflows/contract/messages.js';
import { yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { recordHistories } from '../helpers/histories.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { engineOf, recordedPlan, sleepUntil } from './support.js';

const PLAN = 'fext-2030';
const plan = yearPlan(PLAN, {
  inspections: {
    cadence: { rectifyDays: 30, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 },
    rounds: [
      {
        id: '2030-r1',
        title: 'First inspection round',
        feedbackDay: '2030-04-03',
        findings: [
          { id: 'f-before', title: 'Ledger incomplete', unit: 'late' },
          { id: 'f-after', title: 'No rectification plan', unit: 'silent' },
          { id: 'f-plain', title: 'Approvals overdue', unit: 'ontime' },
        ],
      },
    ],
  },
});
const workflowId = findingsWorkflowId(PLAN, 0);

// Worked out by hand (2030, Asia/Shanghai, holiday 04-05; notices at 09:00 local = 01:00Z; actions at 12:00 local =
// 04:00Z; extensions at 10:00 local = 02:00Z). A = Wed 04-03; D = 04-03 + 30 = Fri 05-03; reminders -7 Fri 04-26,
// -1 Thu 05-02; escalations +3 Mon 05-06 (leader), +10 Mon 05-13 (headquarters).
// - f-before (unit late), reminder 1 sent, extended on Mon 04-29 to Sat 05-11 -> Mon 05-13: -7 Mon 05-06 is
//   reminder 2, -1 Sun 05-12 back to Fri 05-10 is reminder 3; claimed Fri 05-10 12:00 (so its escalations of Thu
//   05-16 and Thu 05-23 never go out), accepted Mon 05-13: closed on time.
// - f-after (unit silent), reminders 1-2 and level 1 sent, extended on Tue 05-07 to Fri 05-17: -7 Fri 05-10 is
//   reminder 3, -1 Thu 05-16 reminder 4; level 1 not again; level 2 on +10 Mon 05-27 instead of 05-13. Claimed Mon
//   06-03, accepted Tue 06-04: 17 days late (from 05-17).
// - f-plain (unit ontime): its ladder as planned; claimed Mon 06-03, accepted Tue 06-04: 31 days late.
const send = (day: string) => `${day}T01:00:00.000Z`;
const ten = (day: string) => `${day}T02:00:00.000Z`;
const noon = (day: string) => `${day}T04:00:00.000Z`;
const to = { ontime: ['ontime@example.org'], late: ['late@example.org'], silent: ['silent@example.org', 'silent-office@example.org'], hq: ['hq@example.org'], l1: ['l1@example.org'], l2: ['l2@example.org'] };
const unitOf = { 'f-before': 'late', 'f-after': 'silent', 'f-plain': 'ontime' } as const;
type F = keyof typeof unitOf;
const leaderOf = (f: F) => (unitOf[f] === 'silent' ? to.l2 : to.l1);
const line = (at: string, kind: string, f: F, extra: Record<string, unknown>, recipients: string[], cc: string[]) => ({
  at, kind, planId: PLAN, findingId: f, inspectionId: '2030-r1', unitId: unitOf[f], round: 1, ...extra, to: recipients, cc,
});
const reminder = (day: string, f: F, n: number) => line(send(day), 'reminder', f, { number: n }, to[unitOf[f]], []);
const escalation = (day: string, f: F, level: 1 | 2) => line(send(day), 'escalation', f, { level }, level === 1 ? leaderOf(f) : to.hq, level === 1 ? to[unitOf[f]] : leaderOf(f));
const expected = () => [
  ...(['f-before', 'f-after', 'f-plain'] as F[]).map((f) => line(send('2030-04-03'), 'finding-assigned', f, {}, to[unitOf[f]], leaderOf(f))),
  ...(['f-before', 'f-after', 'f-plain'] as F[]).map((f) => reminder('2030-04-26', f, 1)),
  line(ten('2030-04-29'), 'finding-extended', 'f-before', { number: 1, dueDay: '2030-05-13' }, to.late, to.l1),
  reminder('2030-05-02', 'f-after', 2),
  reminder('2030-05-02', 'f-plain', 2),
  reminder('2030-05-06', 'f-before', 2),
  escalation('2030-05-06', 'f-after', 1),
  escalation('2030-05-06', 'f-plain', 1),
  line(ten('2030-05-07'), 'finding-extended', 'f-after', { number: 1, dueDay: '2030-05-17' }, to.silent, to.l2),
  reminder('2030-05-10', 'f-before', 3),
  reminder('2030-05-10', 'f-after', 3),
  line(noon('2030-05-10'), 'claim-received', 'f-before', { number: 1 }, to.hq, []),
  escalation('2030-05-13', 'f-plain', 2),
  reminder('2030-05-16', 'f-after', 4),
  escalation('2030-05-27', 'f-after', 2),
  line(noon('2030-06-03'), 'claim-received', 'f-after', { number: 1 }, to.hq, []),
  line(noon('2030-06-03'), 'claim-received', 'f-plain', { number: 1 }, to.hq, []),
];

/** One run of the scenario on its own time-skipping server: what was sent, the receipts, and the server. */
interface Run {
  env: TestWorkflowEnvironment;
  worker: Worker;
  running: Promise<void>;
  sent: SentNotice[];
  receipts: Record<string, FindingExtensionReceipt>;
}

let sink: SmtpSink;
let mailer: Mailer;
let db: pg.Pool;
let run: Run;
let rolled: Run;

/** Instants to the second: the server's clock runs a few milliseconds past each instant slept to. */
const sec = <T>(x: T): T => JSON.parse(JSON.stringify(x).replace(/(T\d\d:\d\d:\d\d)\.\d{3}Z/g, '$1.000Z'));

/** Starts `planId` (the plan above under that id) and acts as the schedule above says, up to the findings' end. */
async function scenario(planId: string, limits?: { maxUpdatesPerRun: number }): Promise<Run> {
  const env = await timeSkippingEnv();
  const sent: SentNotice[] = [];
  const receipts: Record<string, FindingExtensionReceipt> = {};
  const taskQueue = uniqueQueue('finding-extension');
  const worker = await testWorker(env, { taskQueue, activities: testActivities({ db, mailer, sentLog: createDbSentLog(db), onSent: (n) => sent.push(n) }) });
  const running = worker.run();
  const id = findingsWorkflowId(planId, 0);
  await startPlan(env.client, { ...plan, id: planId }, taskQueue, limits ? { limits } : {});
  await recordedPlan(db, planId);
  const engine = engineOf(env, db);
  // Waits (in real time) until the findings workflow has acted on everything due at or before `iso`.
  const at = async (iso: string) => {
    await sleepUntil(env, iso);
    for (;;) {
      const p = await env.client.workflow.getHandle(id).query(findingsProgressQuery).catch(() => undefined);
      if (p && !p.busy && (p.next === null || p.next > Date.parse(iso))) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const claim = (f: F) => actOnFinding(engine, planId, { requestId: `claim-${f}`, findingId: f, actor: unitOf[f], action: 'claim', evidence: `Rectified ${f}.` });
  const accept = (f: F) => actOnFinding(engine, planId, { requestId: `accept-${f}`, findingId: f, actor: 'headquarters', action: 'accept' });

  await at(ten('2030-04-29'));
  receipts.before = await extendFinding(engine, planId, { requestId: 'ext-before', findingId: 'f-before', until: '2030-05-11', reason: 'The archive was flooded.', by: 'HQ duty officer' });
  await at(ten('2030-05-07'));
  receipts.after = await extendFinding(engine, planId, { requestId: 'ext-after', findingId: 'f-after', until: '2030-05-17', reason: 'The team was reassigned to the typhoon.' });
  receipts.again = await extendFinding(engine, planId, { requestId: 'ext-after', findingId: 'f-after', until: '2030-05-17', reason: 'The team was reassigned to the typhoon.' });
  await at(noon('2030-05-10'));
  await claim('f-before');
  await at(noon('2030-05-13'));
  await accept('f-before');
  await at(noon('2030-06-03'));
  await claim('f-after');
  await claim('f-plain');
  await at(noon('2030-06-04'));
  await accept('f-after');
  await accept('f-plain');
  // Every finding is final: the findings workflow ends.
  await env.client.workflow.getHandle(id).result();
  return { env, worker, running, sent, receipts };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  db = await testDb();
  mailer = createSmtpMailer(sink.url);
  run = await scenario(PLAN);
  await recordHistories(run.env.client, [workflowId], 'finding-extension');
  // Again on a fresh server, the findings workflow rolling over to a new run after every Update: what an extension
  // queued and recorded crosses continue-as-new.
  rolled = await scenario(`${PLAN}-rolled`, { maxUpdatesPerRun: 1 });
}, 300_000);

afterAll(async () => {
  for (const r of [run, rolled]) {
    r?.worker.shutdown();
    await r?.running;
    await r?.env.teardown();
  }
  await mailer?.close();
  await sink?.close();
});

describe('findings extended before and after an escalation', () => {
  test('the receipts: the new deadline day, the day it replaced, and a repeat answered as such', () => {
    expect(sec(run.receipts.before)).toEqual({
      findingId: 'f-before', extension: 1, at: ten('2030-04-29'), until: '2030-05-11', dueDay: '2030-05-13', dueAt: '2030-05-13T16:00:00.000Z', previousDueDay: '2030-05-03', round: 1, state: 'open', duplicate: false,
    });
    expect(run.receipts.after).toMatchObject({ extension: 1, dueDay: '2030-05-17', previousDueDay: '2030-05-03', state: 'open', duplicate: false });
    expect(run.receipts.again).toEqual({ ...run.receipts.after, duplicate: true });
    expect(sec(run.receipts.after).at).toBe(ten('2030-05-07'));
  });

  test('send exactly the finding notices of the hand-worked schedule, in order', () => {
    const lines = sec(run.sent.map((n) => n.line).filter((l) => l.findingId));
    const order = (a: { at: string; kind: string; findingId?: string }, b: typeof a) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind) || String(a.findingId).localeCompare(String(b.findingId));
    expect([...lines].sort(order)).toEqual(expected().sort(order));
  });

  test('each finding-extended notice reaches the SMTP server once, under the Message-ID of its key, with the days and the reason', () => {
    for (const [f, day, previous, reason] of [
      ['f-before', '2030-05-13', '2030-05-03', 'The archive was flooded.'],
      ['f-after', '2030-05-17', '2030-05-03', 'The team was reassigned to the typhoon.'],
    ] as const) {
      const key = findingNoticeKeyText({ planId: PLAN, findingId: f, kind: 'finding-extended', round: 1, number: 1 });
      expect(key).toBe(`${PLAN}/finding/${f}/finding-extended/r1/1`);
      const copies = sink.messages.filter((m) => m.messageId === messageIdForText('finding-extended', key));
      expect(copies, f).toHaveLength(1);
      const [m] = copies;
      expect(m.subject).toBe(`[${PLAN}] Finding ${f}: deadline extended to ${day}`);
      expect(m.headers.get('x-review-cycles-key')).toBe(key);
      expect(m.to).toEqual(to[unitOf[f]]);
      expect(m.cc).toEqual(leaderOf(f));
      expect(m.parsed.text).toContain(`from ${previous} to ${day}`);
      expect(m.parsed.text).toContain(`Reason for the extension: ${reason}`);
      expect(m.parsed.text).toContain(`Previous deadline day: ${previous}`);
    }
    expect(sink.messages.filter((m) => m.subject.startsWith(`[${PLAN}] `) && m.subject.includes('deadline extended'))).toHaveLength(2);
    // The rolled run's plan has its own keys, each sent once too.
    expect(sink.messages.filter((m) => m.subject.startsWith(`[${PLAN}-rolled] `) && m.subject.includes('deadline extended'))).toHaveLength(2);
  });

  test('lateness, status and the system of record count from the new deadline day', async () => {
    const status = new Map((await findingsOf(db, plan, {}, Date.parse('2030-06-05T00:00:00Z'))).map((s) => [s.findingId, s]));
    expect(status.get('f-before')).toMatchObject({ state: 'closed', deadlineDay: '2030-05-13', reminders: 3, escalations: 0, closedOnTime: true, daysLate: 0 });
    expect(sec(status.get('f-before')!.extensions)).toEqual([{ extension: 1, at: ten('2030-04-29'), until: '2030-05-11', dueDay: '2030-05-13', previousDueDay: '2030-05-03', round: 1 }]);
    expect(status.get('f-after')).toMatchObject({ state: 'closed', deadlineDay: '2030-05-17', reminders: 4, escalations: 2, closedOnTime: false, daysLate: 17 });
    expect(status.get('f-plain')).toMatchObject({ state: 'closed', deadlineDay: '2030-05-03', reminders: 2, escalations: 2, closedOnTime: false, daysLate: 31 });
    expect(status.get('f-plain')).not.toHaveProperty('extensions');
    const life = await findingLife(db, PLAN, 'f-before', Date.parse('2030-06-05T00:00:00Z'));
    expect(sec(life.extensions)).toEqual([
      { requestId: 'ext-before', extension: 1, at: ten('2030-04-29'), until: '2030-05-11', dueDay: '2030-05-13', dueAt: '2030-05-13T16:00:00.000Z', previousDueDay: '2030-05-03', round: 1, reason: 'The archive was flooded.', by: 'HQ duty officer' },
    ]);
    expect(life.notices.map((n) => n.kind)).toContain('finding-extended');
    const rows = await db.query('SELECT count(*)::int AS n FROM finding_extensions WHERE plan_id = $1', [PLAN]);
    expect(rows.rows[0].n).toBe(2);
  });

  test('rolling over to a new run after every Update changes nothing: the same notices and states', async () => {
    const strip = (r: Run) => sec(r.sent.map((n) => n.line).filter((l) => l.findingId)).map(({ planId: _p, ...l }) => l).sort((a, b) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind) || String(a.findingId).localeCompare(String(b.findingId)));
    expect(strip(rolled)).toEqual(strip(run));
    const moment = Date.parse('2030-06-05T00:00:00Z');
    const states = async (id: string) => sec((await findingsOf(db, { ...plan, id }, {}, moment)).map(({ findingId, state, deadlineDay, reminders, escalations, closedOnTime, daysLate, extensions }) => ({ findingId, state, deadlineDay, reminders, escalations, closedOnTime, daysLate, extensions })));
    expect(await states(`${PLAN}-rolled`)).toEqual(await states(PLAN));
    const history = await rolled.env.client.workflow.getHandle(findingsWorkflowId(`${PLAN}-rolled`, 0)).fetchHistory();
    expect(history.events?.[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    expect(sec(rolled.receipts.again)).toEqual(sec({ ...rolled.receipts.after, duplicate: true }));
  });
});
