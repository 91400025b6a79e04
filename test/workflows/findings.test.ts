/**
 * Inspection findings over a year on the time-skipping server, delivered over real SMTP: fixed on time, late, never,
 * rejected once, reopened at re-check and left undecided by a verifier unit. Every finding notice is checked against
 * a schedule worked out by hand from the rules of time, and the report cycle beside it is unchanged.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpMailer, messageIdForText } from '../../activities/index.js';
import { findingNoticeKeyText } from '../../workflows/contract/finding.js';
import { findingActions } from '../../store/findings.js';
import type pg from 'pg';
import type { RehearsalResult } from '../../client/rehearse/run.js';
import { rehearse } from '../../client/rehearse/run.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { testDb } from '../helpers/db.js';
import { yearPlan } from '../fixtures/plans.js';
import { recordHistories } from '../helpers/histories.js';

export const findingsPlan = () =>
  yearPlan('findings-2030', {
    inspections: {
      cadence: { rectifyDays: 30, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 },
      rounds: [
        {
          id: '2030-r1',
          title: 'First inspection round',
          feedbackDay: '2030-04-03',
          findings: [
            { id: 'f-ontime', title: 'Approvals overdue', unit: 'ontime' },
            { id: 'f-late', title: 'Ledger incomplete', unit: 'late' },
            { id: 'f-never', title: 'No rectification plan', unit: 'silent' },
            { id: 'f-reject', title: 'Weak evidence', unit: 'ontime', verifier: 'late' },
            { id: 'f-reopen', title: 'Problem came back', unit: 'late', recheckAfterDays: 30 },
            { id: 'f-undecided', title: 'Verifier silent', unit: 'ontime', verifier: 'silent', deadline: '2030-05-20' },
          ],
        },
      ],
    },
  });


// Worked out by hand (2030 weekdays, holidays 04-05 and 10-01..07; sendTime 09:00 Asia/Shanghai = 01:00Z; actions at
// 12:00 local = 04:00Z). Feedback Wed 04-03 is a working day: A = 04-03. Round 1's deadline day 04-03 + 30 = Fri 05-03;
// reminders -7 -> Fri 04-26, -1 -> Thu 05-02; escalations +3 -> Mon 05-06 (leader), +10 -> Mon 05-13 (headquarters).
// - f-ontime: claim A + 10 = 04-13, accepted 04-15: closed on time.
// - f-late: claim D + 4 = 05-07 (after both reminders and escalation 1, before escalation 2): closed 4 days late.
// - f-never: the whole ladder, overdue.
// - f-reject (verifier: unit late): claim 04-13, rejected 04-16 -> round 2 from 04-16, due 04-16 + 15 = Wed 05-01;
//   claim 2 on 04-16 + 3 = 04-19 (before round 2's first reminder, 04-24: no ladder), accepted 04-22.
// - f-reopen: claim 04-13, accepted 04-15; re-check 04-15 + 30 = Wed 05-15; reopened 05-16 -> round 2 due 05-31;
//   claim 2 on 05-19, accepted 05-21; re-check 06-20; passed 06-21: verified.
// - f-undecided (verifier: unit silent; own deadline Mon 05-20): claim 04-13, never decided: verify-reminder 04-18.
const send = (day: string) => `${day}T01:00:00.000Z`;
const noon = (day: string) => `${day}T04:00:00.000Z`;
const to = { ontime: ['ontime@example.org'], late: ['late@example.org'], silent: ['silent@example.org', 'silent-office@example.org'], hq: ['hq@example.org'], l1: ['l1@example.org'], l2: ['l2@example.org'] };
const unitOf: Record<string, 'ontime' | 'late' | 'silent'> = { 'f-ontime': 'ontime', 'f-late': 'late', 'f-never': 'silent', 'f-reject': 'ontime', 'f-reopen': 'late', 'f-undecided': 'ontime' };
const line = (at: string, kind: string, findingId: string, round: number, extra: Record<string, unknown>, recipients: string[], cc: string[]) => ({
  at, kind, planId: 'findings-2030', findingId, inspectionId: '2030-r1', unitId: unitOf[findingId], round, ...extra, to: recipients, cc,
});
const ORDER = ['f-ontime', 'f-late', 'f-never', 'f-reject', 'f-reopen', 'f-undecided'];
function expectedFindingNotices() {
  const lines = [
    ...ORDER.map((f) => line(send('2030-04-03'), 'finding-assigned', f, 1, {}, to[unitOf[f]], unitOf[f] === 'silent' ? to.l2 : to.l1)),
    line(noon('2030-04-13'), 'claim-received', 'f-ontime', 1, { number: 1 }, to.hq, []),
    line(noon('2030-04-13'), 'claim-received', 'f-reject', 1, { number: 1 }, to.late, []),
    line(noon('2030-04-13'), 'claim-received', 'f-reopen', 1, { number: 1 }, to.hq, []),
    line(noon('2030-04-13'), 'claim-received', 'f-undecided', 1, { number: 1 }, to.silent, []),
    line(noon('2030-04-16'), 'claim-rejected', 'f-reject', 1, { number: 1 }, to.ontime, []),
    line(send('2030-04-18'), 'verify-reminder', 'f-undecided', 1, { number: 1 }, to.silent, []),
    line(noon('2030-04-19'), 'claim-received', 'f-reject', 2, { number: 2 }, to.late, []),
    line(send('2030-04-26'), 'reminder', 'f-late', 1, { number: 1 }, to.late, []),
    line(send('2030-04-26'), 'reminder', 'f-never', 1, { number: 1 }, to.silent, []),
    line(send('2030-05-02'), 'reminder', 'f-late', 1, { number: 2 }, to.late, []),
    line(send('2030-05-02'), 'reminder', 'f-never', 1, { number: 2 }, to.silent, []),
    line(send('2030-05-06'), 'escalation', 'f-late', 1, { level: 1 }, to.l1, to.late),
    line(send('2030-05-06'), 'escalation', 'f-never', 1, { level: 1 }, to.l2, to.silent),
    line(noon('2030-05-07'), 'claim-received', 'f-late', 1, { number: 1 }, to.hq, []),
    line(send('2030-05-13'), 'escalation', 'f-never', 1, { level: 2 }, to.hq, to.l2),
    line(send('2030-05-15'), 'recheck', 'f-reopen', 1, {}, to.hq, []),
    line(noon('2030-05-16'), 'finding-reopened', 'f-reopen', 2, {}, to.late, to.l1),
    line(noon('2030-05-19'), 'claim-received', 'f-reopen', 2, { number: 2 }, to.hq, []),
    line(send('2030-06-20'), 'recheck', 'f-reopen', 2, {}, to.hq, []),
  ];
  return lines;
}

const behaviour = {
  default: { submit: { daysAfterRequest: 2 }, status: 'on-track' as const },
  rules: [{ unit: 'late', submit: { daysAfterDue: 4 } }],
};

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
let result: RehearsalResult;
let bare: RehearsalResult;
let rolled: RehearsalResult;
let bareEnv: TestWorkflowEnvironment;
let rolledEnv: TestWorkflowEnvironment;
let outDir: string;
let db: pg.Pool;

beforeAll(async () => {
  env = await timeSkippingEnv();
  sink = await startSmtpSink();
  outDir = mkdtempSync(join(tmpdir(), 'rc-findings-'));
  db = await testDb();
  const mailer = createSmtpMailer(sink.url);
  const findingBehaviour = {
    default: { claim: { daysAfterAssigned: 10 }, verify: { decision: 'accept' as const, daysAfterClaim: 2 }, recheck: 'pass' as const },
    rules: [
      { finding: 'f-late', claim: { daysAfterDeadline: 4 } },
      { unit: 'silent', claim: 'never' as const },
      { finding: 'f-reject', verify: { decision: 'reject-once' as const, daysAfterClaim: 3 } },
      { finding: 'f-reopen', recheck: 'reopen-once' as const },
      { finding: 'f-undecided', verify: { decision: 'never' as const } },
    ],
  };
  result = await rehearse({
    plan: findingsPlan(),
    env,
    db,
    mailer,
    outDir,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: { ...behaviour, findings: findingBehaviour },
  });
  await mailer.close();
  await recordHistories(env.client, ['review-cycles:findings-2030:findings-1'], 'findings-slice');
  // The same plan without inspections, on the same kind of server: the report cycle must not notice the findings.
  bare = await rehearse({
    plan: yearPlan('findings-2030-bare'),
    env: (bareEnv = await timeSkippingEnv()),
    db,
    outDir: mkdtempSync(join(tmpdir(), 'rc-findings-bare-')),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour,
  });
  // Again with the findings workflow rolling over to a new run after every few events.
  rolled = await rehearse({
    plan: { ...findingsPlan(), id: 'findings-2030-rolled' },
    env: (rolledEnv = await timeSkippingEnv()),
    db,
    outDir: mkdtempSync(join(tmpdir(), 'rc-findings-rolled-')),
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: { ...behaviour, findings: findingBehaviour },
    limits: { maxHistoryPerRun: 40 },
  });
}, 400_000);

afterAll(async () => {
  await sink?.close();
  await env?.teardown();
  await bareEnv?.teardown();
  await rolledEnv?.teardown();
});

const written = () => readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('inspection findings over a year', () => {
  test('send exactly the notices of the rules of time, at their instants, in order', () => {
    const lines = written().filter((l) => l.findingId);
    expect(lines.map(({ messageId: _m, ...l }) => l)).toEqual(expectedFindingNotices());
    expect(result.rejected).toEqual([]);
  });

  test('each finding notice reaches the SMTP server once: alone under its key\'s Message-ID, or in one digest per recipient and instant', () => {
    const lines = written().filter((l) => l.findingId);
    const byMessage = new Map<string, Record<string, unknown>[]>();
    for (const l of lines) byMessage.set(l.messageId, [...(byMessage.get(l.messageId) ?? []), l]);
    for (const [messageId, together] of byMessage) {
      const copies = sink.messages.filter((m) => m.messageId === messageId);
      expect(copies, messageId).toHaveLength(1);
      const [m] = copies;
      for (const l of together) {
        expect(m.to).toEqual(l.to);
        expect(m.cc).toEqual(l.cc);
        expect(m.headers.get('x-review-cycles-at')).toBe(l.at);
        expect(m.parsed.text).toContain(l.findingId as string);
      }
      const keys = together.map((l) => findingNoticeKeyText({ planId: 'findings-2030', findingId: l.findingId as string, kind: l.kind as 'reminder', round: l.round as number, number: ((l.number ?? l.level ?? 1) as number) }));
      if (together.length === 1) expect(messageId).toBe(messageIdForText(together[0].kind as string, keys[0]));
      else expect(String(m.headers.get('x-review-cycles-keys')).split(' ').sort()).toEqual(keys.sort());
      expect(m.subject).toContain('[findings-2030]');
    }
    // The three findings of unit ontime were assigned in one message; f-late and f-reopen of unit late in another.
    const assigned = lines.filter((l) => l.kind === 'finding-assigned');
    expect(new Set(assigned.filter((l) => l.unitId === 'ontime').map((l) => l.messageId)).size).toBe(1);
    expect(new Set(assigned.map((l) => l.messageId)).size).toBe(3);
    const digest = sink.messages.find((m) => m.messageId === assigned.find((l) => l.findingId === 'f-ontime')!.messageId)!;
    // Their deadlines differ (f-undecided has its own): the subject names no due day; the table names each.
    expect(digest.subject).toBe('[findings-2030] 3 findings to rectify');
    expect(digest.parsed.text).toContain('Approvals overdue (f-ontime, 2030-r1), On-time Unit');
    const rejected = sink.messages.find((m) => m.subject.startsWith('[findings-2030] Claim rejected: finding f-reject'));
    expect(rejected?.parsed.text).toContain('Rehearsal: the evidence for f-reject is not enough.');
    expect(rejected?.subject).toBe('[findings-2030] Claim rejected: finding f-reject, now due 2030-05-01');
  });

  test('states, rounds, claims, lateness and closures', () => {
    const byId = new Map(result.status.findings!.map((f) => [f.findingId, f]));
    expect(byId.get('f-ontime')).toMatchObject({ state: 'closed', round: 1, deadlineDay: '2030-05-03', claims: 1, reminders: 0, escalations: 0, closedAt: noon('2030-04-15'), closedOnTime: true, daysLate: 0 });
    expect(byId.get('f-late')).toMatchObject({ state: 'closed', round: 1, claims: 1, reminders: 2, escalations: 1, closedAt: noon('2030-05-09'), closedOnTime: false, daysLate: 4 });
    expect(byId.get('f-never')).toMatchObject({ state: 'overdue', round: 1, claims: 0, reminders: 2, escalations: 2, closedAt: null, closedOnTime: null, daysLate: null });
    expect(byId.get('f-reject')).toMatchObject({ state: 'closed', round: 2, deadlineDay: '2030-05-01', claims: 2, closedAt: noon('2030-04-22'), closedOnTime: true, daysLate: 0, verifier: 'late' });
    expect(byId.get('f-reopen')).toMatchObject({ state: 'verified', round: 2, deadlineDay: '2030-05-31', claims: 2, reopened: 1, closedAt: noon('2030-05-21'), closedOnTime: true });
    expect(byId.get('f-undecided')).toMatchObject({ state: 'claimed', round: 1, deadlineDay: '2030-05-20', claims: 1, verifier: 'silent' });
  });

  test('every action is in the system of record with who, when and what', async () => {
    const actions = await findingActions(db, 'findings-2030', 'f-reject');
    expect(actions.map((a) => [a.action, a.actor, a.at, a.round, a.claim])).toEqual([
      ['claim', 'ontime', noon('2030-04-13'), 1, 1],
      ['reject', 'late', noon('2030-04-16'), 2, 1],
      ['claim', 'ontime', noon('2030-04-19'), 2, 2],
      ['accept', 'late', noon('2030-04-22'), 2, 2],
    ]);
    expect(actions[0].text).toBe('Rehearsal evidence of ontime for f-reject.');
    expect(actions[1].text).toBe('Rehearsal: the evidence for f-reject is not enough.');
  });

  test('rolling over to new runs changes nothing: the same notices, states and closures', async () => {
    const strip = (lines: Record<string, unknown>[]) => lines.filter((l) => l.findingId).map(({ messageId: _m, planId: _p, ...l }) => l);
    expect(strip(rolled.notices as unknown as Record<string, unknown>[])).toEqual(strip(written()));
    const ms = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/(T\d\d:\d\d:\d\d)\.\d{3}Z/g, '$1Z'));
    expect(ms(rolled.status.findings)).toEqual(ms(result.status.findings));
    const handle = rolledEnv.client.workflow.getHandle('review-cycles:findings-2030-rolled:findings-1');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    // The last run was continued from an earlier one: the roll-over did happen.
    const history = await handle.fetchHistory();
    expect(history.events?.[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    expect(rolled.rejected).toEqual([]);
  });

  test('the report cycle beside the findings is unchanged', () => {
    // The quarterly notices; reviews may name a unit lagging for an overdue finding, which is checked with the reviews.
    const quarterly = ['request', 'reminder', 'escalation', 'returned'];
    const reportLines = (lines: Record<string, unknown>[]) => lines.filter((l) => !l.findingId && quarterly.includes(l.kind as string)).map(({ messageId: _m, planId: _p, ...l }) => l);
    expect(reportLines(written())).toEqual(reportLines(bare.notices as unknown as Record<string, unknown>[]));
    // Report arrivals carry the milliseconds the server took after each 12:00: compare them to the second.
    const seconds = (tasks: unknown) => JSON.parse(JSON.stringify(tasks).replace(/(T\d\d:\d\d:\d\d)\.\d{3}Z/g, '$1Z'));
    expect(seconds(result.status.tasks)).toEqual(seconds(bare.status.tasks));
  });
});
