/**
 * A year of the quarterly cycle on the time-skipping server, delivered over real SMTP: one unit answers on time, one
 * late, one never. Every notice is checked against a schedule worked out by hand from the rules of time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpMailer, messageIdFor } from '../../activities/index.js';
import type { RehearsalResult } from '../../client/rehearse/run.js';
import { rehearse } from '../../client/rehearse/run.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { testDb } from '../helpers/db.js';
import { yearPlan } from '../fixtures/plans.js';
import { recordHistories } from '../helpers/histories.js';

// Worked out by hand (2030 weekdays; holidays Fri 04-05 and 10-01..07; make-up days Sun 09-29, Sat 10-12):
// Q1: L=03-31, request 03-21 (Thu); due 04-05 holiday -> Mon 04-08; reminders -3 -> Fri 04-05 holiday -> back to
//     Thu 04-04, -1 -> Sun 04-07 -> back to 04-04 (same day: once), 0 -> 04-08; escalations Thu 04-11, Thu 04-18.
// Q2: L=06-30, request Thu 06-20; due Fri 07-05; reminders Tue 07-02, Thu 07-04, Fri 07-05; escalations Mon 07-08, Mon 07-15.
// Q3: L=09-30, request Fri 09-20; due Sat 10-05 -> holidays -> Tue 10-08; reminders 10-05 -> back past the
//     holidays to Mon 09-30, 10-07 -> 09-30 (once), 10-08; escalations Fri 10-11, Fri 10-18.
// Q4: L=12-31, request Fri 12-20; due Sun 2031-01-05 -> Mon 01-06; reminders Fri 01-03, 01-05 -> 01-03 (once),
//     Mon 01-06; escalations Thu 01-09, Thu 01-16.
// All at 09:00 Asia/Shanghai = 01:00Z. "late" answers 12:00 local on due day + 4: after the first escalation only.
const at = (day: string) => `${day}T01:00:00.000Z`;
const UNIT_KINDS = ['request', 'reminder', 'escalation'];
const quarters = [
  { period: '2030-Q1', request: '2030-03-21', reminders: ['2030-04-04', '2030-04-08'], escalations: ['2030-04-11', '2030-04-18'], due: '2030-04-08' },
  { period: '2030-Q2', request: '2030-06-20', reminders: ['2030-07-02', '2030-07-04', '2030-07-05'], escalations: ['2030-07-08', '2030-07-15'], due: '2030-07-05' },
  { period: '2030-Q3', request: '2030-09-20', reminders: ['2030-09-30', '2030-10-08'], escalations: ['2030-10-11', '2030-10-18'], due: '2030-10-08' },
  { period: '2030-Q4', request: '2030-12-20', reminders: ['2031-01-03', '2031-01-06'], escalations: ['2031-01-09', '2031-01-16'], due: '2031-01-06' },
];
const addresses = { ontime: ['ontime@example.org'], late: ['late@example.org'], silent: ['silent@example.org', 'silent-office@example.org'] };
const leaderOf = { ontime: ['l1@example.org'], late: ['l1@example.org'], silent: ['l2@example.org'] };

function expectedNotices() {
  const lines: Record<string, unknown>[] = [];
  const base = (kind: string, unitId: keyof typeof addresses, period: string) => ({ kind, planId: 'cycle-2030', taskId: 't1', unitId, period });
  for (const q of quarters) {
    for (const u of ['ontime', 'late', 'silent'] as const) lines.push({ at: at(q.request), ...base('request', u, q.period), to: addresses[u], cc: [] });
    for (const day of q.reminders) for (const u of ['late', 'silent'] as const) lines.push({ at: at(day), ...base('reminder', u, q.period), to: addresses[u], cc: [] });
    for (const u of ['late', 'silent'] as const) lines.push({ at: at(q.escalations[0]), ...base('escalation', u, q.period), level: 1, to: leaderOf[u], cc: addresses[u] });
    lines.push({ at: at(q.escalations[1]), ...base('escalation', 'silent', q.period), level: 2, to: ['hq@example.org'], cc: leaderOf.silent });
  }
  return lines;
}

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
let result: RehearsalResult;
let outDir: string;

beforeAll(async () => {
  env = await timeSkippingEnv();
  sink = await startSmtpSink();
  outDir = mkdtempSync(join(tmpdir(), 'rc-year-'));
  const mailer = createSmtpMailer(sink.url);
  const plan = yearPlan();
  result = await rehearse({
    plan,
    env,
    db: await testDb(),
    mailer,
    outDir,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: {
      default: { submit: 'never', status: 'on-track' },
      rules: [
        { unit: 'ontime', submit: { daysAfterRequest: 2 }, status: 'on-track', progress: 10 },
        { unit: 'late', submit: { daysAfterDue: 4 }, status: 'at-risk' },
      ],
    },
  });
  await mailer.close();
  await recordHistories(env.client, ['review-cycles:cycle-2030', 'review-cycles:cycle-2030:tasks-1'], 'year-cycle');
});

afterAll(async () => {
  await env?.teardown();
  await sink?.close();
});

describe('a year of quarterly cycles', () => {
  test('sends exactly the notices of the rules of time, at their instants, in order', () => {
    const written = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Reviews and summaries (checked in reviews.test.ts) come on top of the quarterly notices.
    // Each line also names the message that carried it: here no two notices share an instant and recipients,
    // so each travelled alone under its own key's Message-ID.
    const lines = written.filter((n) => UNIT_KINDS.includes(n.kind));
    expect(lines.map(({ messageId: _m, ...line }) => line)).toEqual(expectedNotices());
    expect(lines.every((n) => new RegExp(`^<rc\\.${n.kind}\\.`).test(n.messageId))).toBe(true);
    expect(new Set(lines.map((n) => n.messageId)).size).toBe(lines.length);
  });

  test('delivers each notice once over SMTP, with recipients, subject and a Message-ID derived from its key', () => {
    const expected = expectedNotices();
    const unitMessages = sink.messages.filter((m) => /^<rc\.(request|reminder|escalation)\./.test(m.messageId));
    expect(unitMessages).toHaveLength(expected.length);
    const ids = sink.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of expected) {
      const key = { planId: 'cycle-2030', taskId: 't1', unitId: n.unitId as string, period: n.period as string, kind: n.kind as 'request', number: (n.level as number) ?? 1 };
      const id = n.kind === 'reminder' ? undefined : messageIdFor(key);
      const m = id ? sink.messages.find((x) => x.messageId === id) : sink.messages.find((x) => x.headers.get('x-review-cycles-at') === n.at && x.subject.includes('Reminder') && x.to.join() === (n.to as string[]).join());
      expect(m, `${n.kind} ${n.unitId} ${n.period}`).toBeDefined();
      expect(m!.to).toEqual(n.to);
      expect(m!.cc).toEqual(n.cc);
      expect(m!.envelopeTo.sort()).toEqual([...(n.to as string[]), ...(n.cc as string[])].sort());
      expect(m!.subject).toContain('[cycle-2030]');
      expect(m!.subject).toContain(n.period as string);
      expect(m!.parsed.text).toContain('Task One');
      expect(m!.parsed.html).toContain('Task One');
    }
    const firstReminder = sink.messages.find((m) => m.messageId === messageIdFor({ planId: 'cycle-2030', taskId: 't1', unitId: 'silent', period: '2030-Q1', kind: 'reminder', number: 2 }));
    expect(firstReminder?.subject).toBe('[cycle-2030] Reminder 2: report on Task One (2030-Q1) due 2030-04-08');
    expect(firstReminder?.parsed.text).toContain('If no report arrives, the unit\'s leader is notified on 2030-04-11 09:00 (Asia/Shanghai).');
  });

  test('status: on time, late with days late, escalated silence', () => {
    const t1 = result.status.tasks[0];
    const unit = (id: string) => t1.units.find((u) => u.unitId === id)!;
    for (const [i, q] of quarters.entries()) {
      const on = unit('ontime').periods[i];
      expect(on).toMatchObject({ period: q.period, state: 'submitted', requestedAt: at(q.request), daysLate: 0, reminders: 0, escalations: 0, revisions: 1, progress: 10 });
      const late = unit('late').periods[i];
      expect(late).toMatchObject({ state: 'late', daysLate: 4, reminders: q.reminders.length, escalations: 1, revisions: 1, reportStatus: 'at-risk' });
      const silent = unit('silent').periods[i];
      expect(silent).toMatchObject({ state: 'escalated', submittedAt: null, daysLate: null, reminders: q.reminders.length, escalations: 2, revisions: 0 });
      // The deadline is local midnight ending the due day.
      const due = new Date(`${q.due}T16:00:00.000Z`);
      expect(on.dueAt).toBe(due.toISOString());
    }
    expect(result.summary).toMatch(/^rehearsal cycle-2030: \d+ notices \(12 requests, 18 reminders, 12 escalations, 1 review, 2 summaries, \d+ lagging\); reports: 4 on time, 4 late, 4 missing$/);
  });
});
