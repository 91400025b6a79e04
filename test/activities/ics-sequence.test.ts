/**
 * The SEQUENCE of a report's calendar event grows whenever its due day moves, whatever moved it: the request (0), an
 * amendment that moved the due day (counted in the record's `dueMoves`, as the unit's feed shows it), a return, an
 * extension, another amendment. Through the real notice activity, a real SMTP server and the system of record (the
 * batch carries the records, as the group workflow hands them over), parsed back with an independent iCalendar parser.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { reportEventUid } from '../../activities/notices/calendar.js';
import { createNoticeActivities } from '../../activities/notices/send-notices.js';
import { planStatus } from '../../client/plans.js';
import { unitDueEvents } from '../../client/portal/routes/calendar.js';
import { recordPlan, recordProgress } from '../../store/records.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { validPlan } from '../fixtures/plans.js';
import { fileDb } from '../helpers/db.js';
import { parseIcs } from '../helpers/ics.js';
import { startSmtpSink, type CaughtMessage, type SmtpSink } from '../helpers/smtp-sink.js';

const planId = `seq-${process.pid}-${Date.now()}`;
const plan = validPlan({
  id: planId, title: 'Sequence plan', timezone: 'UTC', start: '2030-01-01', end: '2030-12-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  units: [{ id: 'alpha', name: 'Alpha Office', email: 'alpha@example.org' }],
  aspects: [{ id: 'a', title: 'A' }],
  tasks: ['t1', 't2', 't3'].map((id) => ({ id, aspect: 'a', title: 'Task One', units: ['alpha'] })),
  cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5 },
});

let sink: SmtpSink;
let mailer: Mailer;
beforeAll(async () => {
  sink = await startSmtpSink();
  mailer = createSmtpMailer(sink.url);
  await recordPlan(await fileDb(), { planId, version: 1, plan, startedAt: Date.parse('2030-01-01T00:00:00Z'), layout: { planId, groups: [{ workflowId: `group-${planId}`, taskIds: ['t1', 't2', 't3'] }] } });
});
afterAll(async () => {
  await mailer?.close();
  await sink?.close();
});

const key = { planId, taskId: 't1', unitId: 'alpha', period: '2030-Q1' } as const;
const uid = reportEventUid(planId, 't1', 'alpha', '2030-Q1');
const DEADLINE = Date.parse('2030-04-06T00:00:00.000Z');

const spec = (over: Partial<NoticeSpec> & { key: NoticeSpec['key'] }): NoticeSpec => ({
  at: '2030-03-22T09:00:00.000Z',
  to: ['alpha@example.org'],
  cc: [],
  locale: 'en',
  timezone: 'UTC',
  planTitle: 'Sequence plan',
  taskTitle: 'Task One',
  unitName: 'Alpha Office',
  dueDay: '2030-04-05',
  deadline: new Date(DEADLINE).toISOString(),
  next: null,
  ...over,
});

/** The record of the report: requested, then as each step leaves it. */
const requestedAt = Date.parse('2030-03-22T09:00:00.000Z');
const requested: UnitPeriodRecord = { requestedAt, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [], sent: [{ kind: 'request', number: 1, round: 0, at: requestedAt }] };
// An amendment moved the due day to 2030-04-07 after the request.
const moved: UnitPeriodRecord = { ...requested, dueMoves: 1 };
const revision = { requestId: 'r1', arrivedAt: Date.parse('2030-04-03T09:00:00.000Z'), status: 'on-track', summary: '' };
// The report arrived and was returned: its revision is due 2030-04-14.
const returned: UnitPeriodRecord = {
  ...moved,
  submittedAt: revision.arrivedAt,
  daysLate: 0,
  revisions: [revision],
  decisions: [{ decision: 'return', at: Date.parse('2030-04-07T09:00:00.000Z'), requestId: 'd1', comment: 'Add the figures.', revisionDueDay: '2030-04-14', revisionDeadline: Date.parse('2030-04-15T00:00:00.000Z') }],
  awaitingSince: Date.parse('2030-04-07T09:00:00.000Z'),
};
// Then headquarters extended the revision to 2030-04-18.
const extended: UnitPeriodRecord = {
  ...returned,
  extensions: [{ requestId: 'x1', at: Date.parse('2030-04-10T09:00:00.000Z'), until: '2030-04-18', dueDay: '2030-04-18', deadline: Date.parse('2030-04-19T00:00:00.000Z'), previousDueDay: '2030-04-14', closeAt: Date.parse('2030-07-05T00:00:00.000Z'), round: 1, reason: 'Auditor away' }],
};

/** Sends one notice through the activity, with its record in the batch when `record` is given. */
async function send(notice: NoticeSpec, record?: UnitPeriodRecord): Promise<CaughtMessage> {
  const before = sink.messages.length;
  const { sendNotices } = createNoticeActivities({ mailer, sentLog: createMemorySentLog(), from: 'hq-robot@example.org', db: await fileDb() });
  const records = record ? { records: { rule: 'cycle' as const, changes: [{ taskId: notice.key.taskId, unitId: notice.key.unitId, period: notice.key.period, aspectId: 'a', deadline: DEADLINE, record, texts: [] }], index: [0] } } : {};
  const outcomes = await sendNotices({ at: notice.at, notices: [notice], ...records });
  expect(outcomes.map((o) => o.status)).toEqual(['sent']);
  return sink.messages.slice(before)[0];
}

const eventOf = (m: CaughtMessage) => {
  const files = m.parsed.attachments.filter((a) => a.contentType === 'text/calendar');
  expect(files).toHaveLength(1);
  const { events } = parseIcs(files[0].content.toString('utf8'));
  expect(events).toHaveLength(1);
  return events[0];
};

/** The sequence of the report's event in the unit's feed once the system of record has `record` (as the portal reads it). */
async function feedSequence(record: UnitPeriodRecord): Promise<number> {
  const db = await fileDb();
  await recordProgress(db, { planId, changes: [{ ...key, aspectId: 'a', deadline: DEADLINE, record, texts: [] }] });
  const now = Date.parse('2030-04-01T00:00:00Z');
  const events = unitDueEvents(plan, await planStatus(db, planId, {}, now), 'alpha', now);
  return events.find((e) => e.taskId === 't1')!.sequence;
}

describe("a report's calendar event across amendments, returns and extensions", () => {
  test('every step that moves the due day gives a higher SEQUENCE than every one before it, in the notices and in the feed', async () => {
    // [what, its sequence, whether it shows the version of the step just before it (the feed after a notice)]
    const steps: [string, number, boolean?][] = [];
    const request = eventOf(await send(spec({ key: { ...key, kind: 'request', number: 1 } }), requested));
    expect(request).toMatchObject({ uid, start: '2030-04-05', sequence: 0 });
    steps.push(['request', request.sequence]);
    // The amendment sends no notice: the unit's feed moves the event.
    steps.push(['amendment (feed)', await feedSequence(moved)]);

    const ret = eventOf(await send(spec({ key: { ...key, kind: 'returned', number: 1, round: 1 }, at: '2030-04-07T09:00:00.000Z', dueDay: '2030-04-14', comment: 'Add the figures.' }), returned));
    // The return's round (1) and the amendment's move (1): a sequence the feed has not used yet.
    expect(ret).toMatchObject({ uid, start: '2030-04-14', sequence: 2, summary: 'Revision due: Task One (2030-Q1)' });
    steps.push(['returned', ret.sequence]);
    steps.push(['returned (feed)', await feedSequence(returned), true]);

    // The workflow says the sequence of an extended notice (returns, extensions and moves: 1 + 1 + 1).
    const ext = eventOf(await send(spec({ key: { ...key, kind: 'extended', number: 1 }, at: '2030-04-10T09:00:00.000Z', dueDay: '2030-04-18', sequence: 3, revision: true, reason: 'Auditor away', previousDueDay: '2030-04-14' }), extended));
    expect(ext).toMatchObject({ uid, start: '2030-04-18', sequence: 3 });
    steps.push(['extended', ext.sequence]);
    steps.push(['extended (feed)', await feedSequence(extended), true]);

    // Another amendment moves the day again (the feed), and a second return then comes after it.
    const again: UnitPeriodRecord = {
      ...extended,
      dueMoves: 2,
      decisions: [...extended.decisions!, { decision: 'return', at: Date.parse('2030-04-20T09:00:00.000Z'), requestId: 'd2', comment: 'Still missing.', revisionDueDay: '2030-04-27', revisionDeadline: Date.parse('2030-04-28T00:00:00.000Z') }],
    };
    steps.push(['second amendment (feed)', await feedSequence({ ...extended, dueMoves: 2 })]);
    const second = eventOf(await send(spec({ key: { ...key, kind: 'returned', number: 2, round: 2 }, at: '2030-04-20T09:00:00.000Z', dueDay: '2030-04-27', comment: 'Still missing.', sequence: 5 }), again));
    expect(second.sequence).toBe(5);
    steps.push(['second return', second.sequence]);

    for (let i = 1; i < steps.length; i++) {
      const [what, n, same] = steps[i];
      const before = steps.slice(0, i).map(([w, x]) => `${w}=${x}`).join(', ');
      if (same) expect(n, `${what}: ${before}`).toBe(steps[i - 1][1]);
      else expect(n, `${what}: ${before}`).toBeGreaterThan(Math.max(...steps.slice(0, i).map(([, x]) => x)));
    }
    expect(steps.map(([, n]) => n)).toEqual([0, 1, 2, 2, 3, 3, 4, 5]);
  });

  test('a returned notice whose record no amendment moved keeps the round as its sequence; without the record, as before', async () => {
    const unmoved: UnitPeriodRecord = { ...returned, dueMoves: undefined };
    const withRecord = eventOf(await send(spec({ key: { ...key, taskId: 't2', kind: 'returned', number: 1, round: 1 }, at: '2030-04-07T09:00:00.000Z', dueDay: '2030-04-14' }), unmoved));
    expect(withRecord.sequence).toBe(1);
    const without = eventOf(await send(spec({ key: { ...key, taskId: 't3', kind: 'returned', number: 1, round: 1 }, at: '2030-04-07T09:00:00.000Z', dueDay: '2030-04-14' })));
    expect(without.sequence).toBe(1);
  });
});
