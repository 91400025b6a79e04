/**
 * The year cycle of year-cycle.test.ts rehearsed on the time-skipping server over real SMTP, with two reports
 * extended (延期) by the behaviour file: the late unit's 2030-Q2 report while overdue, before its first escalation,
 * and the silent unit's 2030-Q3 report after its first escalation. Each extended report's ladder moves exactly as the
 * rule says, every other ladder stays as in the year cycle; the extended notice carries an .ics that moves the event;
 * lateness, status and the system of record count from the new due day.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpMailer } from '../../activities/index.js';
import { dueCalendar, reportEventUid } from '../../activities/notices/calendar.js';
import { unitDueEvents } from '../../client/portal/routes/calendar.js';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { storedExtensions } from '../../store/records.js';
import { yearPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';
import { recordHistories } from '../helpers/histories.js';
import { parseIcs } from '../helpers/ics.js';
import { startSmtpSink, type CaughtMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import type pg from 'pg';

const PLAN = 'extend-2030';
// The year cycle's schedule (worked out in year-cycle.test.ts), every notice at 09:00 Asia/Shanghai = 01:00Z.
const at = (day: string) => `${day}T01:00:00.000Z`;
const quarters = [
  { period: '2030-Q1', request: '2030-03-21', reminders: ['2030-04-04', '2030-04-08'], escalations: ['2030-04-11', '2030-04-18'] },
  { period: '2030-Q2', request: '2030-06-20', reminders: ['2030-07-02', '2030-07-04', '2030-07-05'], escalations: ['2030-07-08', '2030-07-15'] },
  { period: '2030-Q3', request: '2030-09-20', reminders: ['2030-09-30', '2030-10-08'], escalations: ['2030-10-11', '2030-10-18'] },
  { period: '2030-Q4', request: '2030-12-20', reminders: ['2031-01-03', '2031-01-06'], escalations: ['2031-01-09', '2031-01-16'] },
];
const addresses = { ontime: ['ontime@example.org'], late: ['late@example.org'], silent: ['silent@example.org', 'silent-office@example.org'] };
const leaderOf = { ontime: ['l1@example.org'], late: ['l1@example.org'], silent: ['l2@example.org'] };
type UnitId = keyof typeof addresses;
const base = (kind: string, unitId: UnitId, period: string) => ({ kind, planId: PLAN, taskId: 't1', unitId, period });

/** The year cycle's unit notices, as if nothing had been extended. */
function yearCycleNotices() {
  const lines: Record<string, unknown>[] = [];
  for (const q of quarters) {
    for (const u of ['ontime', 'late', 'silent'] as const) lines.push({ at: at(q.request), ...base('request', u, q.period), to: addresses[u], cc: [] });
    for (const day of q.reminders) for (const u of ['late', 'silent'] as const) lines.push({ at: at(day), ...base('reminder', u, q.period), to: addresses[u], cc: [] });
    for (const u of ['late', 'silent'] as const) lines.push({ at: at(q.escalations[0]), ...base('escalation', u, q.period), level: 1, to: leaderOf[u], cc: addresses[u] });
    lines.push({ at: at(q.escalations[1]), ...base('escalation', 'silent', q.period), level: 2, to: ['hq@example.org'], cc: leaderOf.silent });
  }
  return lines;
}

// Late, 2030-Q2 (due Fri 07-05; reminders 1-3 sent; reports 12:00 on 07-09), extended on Sat 07-06 10:00 to Wed 07-10:
// reminders -3 (Sun 07-07 -> back to Fri 07-05, not after today: dropped), -1 Tue 07-09 = reminder 4, 0 Wed 07-10 =
// reminder 5 (the report came first); escalations Sat 07-13 -> Mon 07-15 and Sat 07-20 -> Mon 07-22 (the report came
// first); its quarter's escalation of Mon 07-08 is not sent. The report of 07-09 is on time.
// Silent, 2030-Q3 (due Tue 10-08; reminders 1-2 and escalation level 1 of Fri 10-11 sent), extended on Mon 10-14 10:00
// to Fri 10-25: reminders Tue 10-22 (3), Thu 10-24 (4), Fri 10-25 (5); level 1 not again; level 2 Mon 11-04 instead
// of Fri 10-18.
function expectedNotices() {
  const isExtended = (l: Record<string, unknown>, unitId: string, period: string) => l.unitId === unitId && l.period === period && l.kind !== 'request';
  const lines = yearCycleNotices().filter((l) => !(isExtended(l, 'late', '2030-Q2') && l.kind === 'escalation') && !(isExtended(l, 'silent', '2030-Q3') && l.kind === 'escalation' && l.level === 2));
  lines.push(
    { at: '2030-07-06T02:00:00.000Z', ...base('extended', 'late', '2030-Q2'), number: 1, dueDay: '2030-07-10', to: addresses.late, cc: [] },
    { at: at('2030-07-09'), ...base('reminder', 'late', '2030-Q2'), to: addresses.late, cc: [] },
    { at: '2030-10-14T02:00:00.000Z', ...base('extended', 'silent', '2030-Q3'), number: 1, dueDay: '2030-10-25', to: addresses.silent, cc: [] },
    ...['2030-10-22', '2030-10-24', '2030-10-25'].map((d) => ({ at: at(d), ...base('reminder', 'silent', '2030-Q3'), to: addresses.silent, cc: [] })),
    { at: at('2030-11-04'), ...base('escalation', 'silent', '2030-Q3'), level: 2, to: ['hq@example.org'], cc: leaderOf.silent },
  );
  return sorted(lines);
}
const sorted = (lines: Record<string, unknown>[]) => [...lines].sort((a, b) => String(a.at).localeCompare(String(b.at)) || JSON.stringify(a).localeCompare(JSON.stringify(b)));

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
let db: pg.Pool;
let result: RehearsalResult;
let outDir: string;
let rolled: RehearsalResult;
let rolledDir: string;

const behaviour = {
  default: { submit: 'never' as const, status: 'on-track' as const },
  rules: [
    { unit: 'ontime', submit: { daysAfterRequest: 2 }, status: 'on-track' as const, progress: 10 },
    { unit: 'late', submit: { daysAfterDue: 4 }, status: 'at-risk' as const },
  ],
  extensions: [
    { at: '2030-07-06T10:00:00+08:00', task: 't1', unit: 'late', period: '2030-Q2', until: '2030-07-10', reason: 'Flood in the district office', by: 'HQ duty officer' },
    { at: '2030-10-14T10:00:00+08:00', task: 't1', unit: 'silent', period: '2030-Q3', until: '2030-10-25', reason: 'Typhoon' },
  ],
};

beforeAll(async () => {
  env = await timeSkippingEnv();
  sink = await startSmtpSink();
  db = await testDb();
  outDir = mkdtempSync(join(tmpdir(), 'rc-extend-'));
  const mailer = createSmtpMailer(sink.url);
  result = await rehearse({
    plan: yearPlan(PLAN),
    env,
    db,
    mailer,
    outDir,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour,
  });
  await mailer.close();
  await recordHistories(env.client, [`review-cycles:${PLAN}`, `review-cycles:${PLAN}:tasks-1`], 'extension');
  // The same year on a fresh server, the group rolling over to a new run after every Update: what an extension
  // queued crosses continue-as-new.
  rollEnv = await timeSkippingEnv();
  rolledDir = mkdtempSync(join(tmpdir(), 'rc-extend-roll-'));
  rolled = await rehearse({ plan: yearPlan(`${PLAN}-roll`), env: rollEnv, db, outDir: rolledDir, workflowBundle: { codePath: inject('workflowBundlePath') }, behaviour, limits: { maxUpdatesPerRun: 1 } });
}, 240_000);

let rollEnv: TestWorkflowEnvironment;

afterAll(async () => {
  await env?.teardown();
  await rollEnv?.teardown();
  await sink?.close();
});

const byKey = (key: string) => sink.messages.filter((m) => m.headers.get('x-review-cycles-key') === key);
const icsOf = (m: CaughtMessage) => parseIcs(m.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8'));

describe('a year with two reports extended', () => {
  test('both extensions were applied, none refused', () => {
    expect(result.rejected).toEqual([]);
  });

  test("notices.jsonl: the extended reports' ladders moved exactly as the rule says, every other ladder as in the year cycle", () => {
    const written = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const lines = written.filter((n) => ['request', 'reminder', 'escalation', 'extended'].includes(n.kind)).map(({ messageId: _m, ...line }) => line);
    // An extended notice goes out the moment the extension reaches the workflow: within a second of its instant.
    for (const l of lines.filter((x) => x.kind === 'extended')) {
      const planned = l.unitId === 'late' ? '2030-07-06T02:00:00.000Z' : '2030-10-14T02:00:00.000Z';
      expect(Date.parse(l.at) - Date.parse(planned)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(l.at) - Date.parse(planned)).toBeLessThan(1000);
      l.at = planned;
    }
    expect(sorted(lines)).toEqual(expectedNotices());
  });

  test('the extended notice goes to the unit with the new due day, the reason and an .ics that moves the event (same UID, higher SEQUENCE)', () => {
    const [extended] = byKey(`${PLAN}/t1/late/2030-Q2/extended/1`);
    expect(extended).toBeDefined();
    expect(extended.to).toEqual(addresses.late);
    expect(extended.subject).toBe(`[${PLAN}] More time granted: Task One (2030-Q2) is now due 2030-07-10`);
    const text = extended.parsed.text ?? '';
    expect(text).toContain('Reason for the extension:\n> Flood in the district office');
    expect(text).toContain('New due day: 2030-07-10');
    expect(text).toContain('Previous due day: 2030-07-05');
    expect(text).toContain('If no report arrives, a reminder follows on 2030-07-09 09:00 (Asia/Shanghai).');
    const [request] = byKey(`${PLAN}/t1/late/2030-Q2/request/1`);
    const before = icsOf(request).events[0];
    const after = icsOf(extended).events[0];
    expect(before).toMatchObject({ uid: reportEventUid(PLAN, 't1', 'late', '2030-Q2'), start: '2030-07-05', sequence: 0 });
    expect(after).toMatchObject({ uid: before.uid, start: '2030-07-10', end: '2030-07-11', startIsDate: true, sequence: 1, summary: 'Report due: Task One (2030-Q2)' });
  });

  test('the notices after the extension count from the new due day, numbered after those sent', () => {
    const [reminder] = byKey(`${PLAN}/t1/late/2030-Q2/reminder/4`);
    expect(reminder.subject).toBe(`[${PLAN}] Reminder 4: report on Task One (2030-Q2) due 2030-07-10`);
    const [escalation] = byKey(`${PLAN}/t1/silent/2030-Q3/escalation/2`);
    expect(escalation.headers.get('x-review-cycles-at')).toBe(at('2030-11-04'));
    expect(escalation.parsed.text).toContain('which was due on 2030-10-25');
    // Every key went out once.
    const keys = sink.messages.flatMap((m) => (m.headers.get('x-review-cycles-key') as string | undefined) ?? []);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('status: the late report is on time against its new day, the silent one escalated again only after it; the others unchanged', () => {
    const t1 = result.status.tasks[0];
    const row = (unitId: string, period: string) => t1.units.find((u) => u.unitId === unitId)!.periods.find((p) => p.period === period)!;
    expect(row('late', '2030-Q2')).toMatchObject({ state: 'submitted', daysLate: 0, dueAt: '2030-07-10T16:00:00.000Z', reminders: 4, escalations: 0, extensions: 1 });
    expect(row('silent', '2030-Q3')).toMatchObject({ state: 'escalated', dueAt: '2030-10-25T16:00:00.000Z', reminders: 5, escalations: 2, extensions: 1 });
    for (const q of ['2030-Q1', '2030-Q3', '2030-Q4']) expect(row('late', q)).toMatchObject({ state: 'late', daysLate: 4, escalations: 1 });
    expect(row('late', '2030-Q1')).not.toHaveProperty('extensions');
    expect(row('silent', '2030-Q2')).toMatchObject({ state: 'escalated', dueAt: '2030-07-05T16:00:00.000Z', reminders: 3, escalations: 2 });
    expect(row('ontime', '2030-Q2')).toMatchObject({ state: 'submitted', daysLate: 0, dueAt: '2030-07-05T16:00:00.000Z' });
    const status = JSON.parse(readFileSync(join(outDir, 'status.json'), 'utf8'));
    expect(status.tasks[0].units.find((u: { unitId: string }) => u.unitId === 'late').periods[1]).toMatchObject({ dueAt: '2030-07-10T16:00:00.000Z', extensions: 1 });
  });

  test('the system of record keeps who extended which report, when, until when and why', async () => {
    const [late] = await storedExtensions(db, PLAN, 't1', 'late', '2030-Q2');
    expect(Date.parse(late.at) - Date.parse('2030-07-06T02:00:00.000Z')).toBeLessThan(1000);
    expect(await storedExtensions(db, PLAN, 't1', 'late', '2030-Q2')).toEqual([
      { requestId: 'rehearsal:extend:0', seq: 1, at: late.at, until: '2030-07-10', dueDay: '2030-07-10', dueAt: '2030-07-10T16:00:00.000Z', previousDueDay: '2030-07-05', round: 0, reason: 'Flood in the district office', by: 'HQ duty officer' },
    ]);
    expect(await storedExtensions(db, PLAN, 't1', 'silent', '2030-Q3')).toMatchObject([{ dueDay: '2030-10-25', previousDueDay: '2030-10-08', reason: 'Typhoon', by: null }]);
    const { rows } = await db.query('SELECT due_at FROM report_records WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4', [PLAN, 't1', 'silent', '2030-Q3']);
    expect((rows[0].due_at as Date).toISOString()).toBe('2030-10-25T16:00:00.000Z');
  });

  test('the same year with the group rolling over after every Update sends the same notices', async () => {
    const lines = (d: string, id: string) =>
      readFileSync(join(d, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
        .filter((n) => ['request', 'reminder', 'escalation', 'extended'].includes(n.kind))
        .map(({ messageId: _m, at: a, planId: _p, ...line }) => ({ ...line, at: line.kind === 'extended' ? a.slice(0, 16) : a, planId: id }));
    expect(rolled.rejected).toEqual([]);
    expect(lines(rolledDir, PLAN)).toEqual(lines(outDir, PLAN));
    const history = await rollEnv.client.workflow.getHandle(`review-cycles:${PLAN}-roll:tasks-1`).describe();
    // It did roll over: the run that ended is not the first.
    expect(history.runId).not.toBe((await rollEnv.client.workflow.getHandle(`review-cycles:${PLAN}-roll:tasks-1`).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId);
  });

  test("the unit's feed, built from that status, shows the new day with the grown SEQUENCE", () => {
    const plan = yearPlan(PLAN);
    const cal = parseIcs(dueCalendar(unitDueEvents(plan, result.status, 'silent', Date.parse('2030-12-01T00:00:00Z')), { locale: 'en', name: 'feed' }));
    expect(cal.events.find((e) => e.uid === reportEventUid(PLAN, 't1', 'silent', '2030-Q3'))).toMatchObject({ start: '2030-10-25', sequence: 1 });
    expect(cal.events.find((e) => e.uid === reportEventUid(PLAN, 't1', 'silent', '2030-Q4'))).toMatchObject({ start: '2031-01-06', sequence: 0 });
  });
});
