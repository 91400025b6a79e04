/**
 * Extensions and the calendar over real HTTP against a real dev server and worker: each extension of a report sends
 * the unit an `extended` notice whose .ics keeps the report's UID with a SEQUENCE one higher, the unit's feed moves
 * the event the same way, a repeated request id changes nothing, a refused extension changes nothing, and a returned
 * report extended while its revision is awaited counts returns and extensions together and its revision's lateness
 * from the new day.
 */
import { describe, expect, test } from 'vitest';
import { reportEventUid } from '../../activities/notices/calendar.js';
import { extendReport, returnReport, submitReport, UserError } from '../../client/plans.js';
import { parseIcs } from '../helpers/ics.js';
import type { CaughtMessage } from '../helpers/smtp-sink.js';
import { periodStatus, token, usePortal, waitFor } from './harness.js';

const stamp = `${process.pid}-${Date.now()}`;
const ex = `ext-${stamp}`;
const h = usePortal('extension', [{ id: ex, overrides: { timezone: 'Asia/Shanghai', title: 'Extension plan' } }]);

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);
/** A quarter's due day as the plan has it: its last local day + 5 (dueOffsetDays), no working-day calendar. */
const dueDayOf = (period: string) => {
  const [y, q] = [Number(period.slice(0, 4)), Number(period.slice(6))];
  return addDays(ymd(Date.UTC(y, 3 * q, 0)), 5);
};
/** The end of a local day in Shanghai, as an ISO instant. */
const endOf = (day: string) => new Date(Date.parse(`${day}T00:00:00+08:00`) + DAY).toISOString();

const noticeOf = (key: string) => h.sink.messages.find((m) => m.headers.get('x-review-cycles-key') === key);
const icsOf = (m: CaughtMessage) => parseIcs(m.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8'));
const engine = () => ({ client: h.client, db: h.db });

async function feed(unit: string) {
  const res = await fetch(`${h.base}/cal/${token(h.ring, { p: 'unit-calendar', plan: ex, unit })}.ics`);
  expect(res.status).toBe(200);
  return parseIcs(await res.text());
}

describe('an extended report in the calendar', () => {
  test("the extended notice's .ics and the unit's feed move the event to the new day with SEQUENCE 1, then 2", async () => {
    const due = dueDayOf(h.current);
    const uid = reportEventUid(ex, 't1', 'alpha', h.current);
    const request = await waitFor('the request', async () => noticeOf(`${ex}/t1/alpha/${h.current}/request/1`));
    expect(icsOf(request).events[0]).toMatchObject({ uid, start: due, sequence: 0 });

    const first = await extendReport(engine(), ex, { taskId: 't1', unitId: 'alpha', period: h.current, until: addDays(due, 10), reason: 'Office moved', by: 'HQ', requestId: `x1-${stamp}` });
    expect(first).toMatchObject({ extension: 1, until: addDays(due, 10), dueDay: addDays(due, 10), previousDueDay: due, dueAt: endOf(addDays(due, 10)), round: 0, duplicate: false });
    // The same request id again: answered with the first receipt, nothing applied twice.
    expect(await extendReport(engine(), ex, { taskId: 't1', unitId: 'alpha', period: h.current, until: addDays(due, 30), reason: 'again', requestId: `x1-${stamp}` })).toMatchObject({ extension: 1, dueDay: addDays(due, 10), duplicate: true });

    const extended = await waitFor('the extended notice', async () => noticeOf(`${ex}/t1/alpha/${h.current}/extended/1`));
    expect(extended.to).toEqual(['alpha@example.org']);
    expect(extended.parsed.text).toContain('Office moved');
    expect(icsOf(extended).events[0]).toMatchObject({ uid, start: addDays(due, 10), end: addDays(due, 11), startIsDate: true, sequence: 1, summary: `Report due: Task One (${h.current})` });
    await waitFor('the new due day recorded', async () => ((await periodStatus(h.db, ex, 't1', 'alpha', h.current))?.dueAt === endOf(addDays(due, 10)) ? true : undefined));
    expect((await feed('alpha')).events.map((e) => [e.uid, e.start, e.sequence])).toEqual([
      [uid, addDays(due, 10), 1],
      [reportEventUid(ex, 't1', 'alpha', h.next), dueDayOf(h.next), 0],
    ]);

    await extendReport(engine(), ex, { taskId: 't1', unitId: 'alpha', period: h.current, until: addDays(due, 12), reason: 'Still moving' });
    const second = await waitFor('the second extended notice', async () => noticeOf(`${ex}/t1/alpha/${h.current}/extended/2`));
    expect(icsOf(second).events[0]).toMatchObject({ uid, start: addDays(due, 12), sequence: 2 });
    await waitFor('the second due day recorded', async () => ((await periodStatus(h.db, ex, 't1', 'alpha', h.current))?.extensions === 2 ? true : undefined));
    expect((await feed('alpha')).events[0]).toMatchObject({ uid, start: addDays(due, 12), sequence: 2 });
    // The other unit's report did not move.
    expect((await feed('beta')).events[0]).toMatchObject({ uid: reportEventUid(ex, 't2', 'beta', h.current), start: due, sequence: 0 });
  });

  test('a day not after the current one is refused with a located sentence, and nothing changes', async () => {
    const due = dueDayOf(h.current);
    const err = await extendReport(engine(), ex, { taskId: 't1', unitId: 'alpha', period: h.current, until: addDays(due, 11), reason: 'shorter' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).refusals).toEqual([{ field: 'until', code: 'notLaterDue', params: { until: addDays(due, 11), dueDay: addDays(due, 11), current: addDays(due, 12) } }]);
    expect((err as UserError).message).toBe(`until: ${addDays(due, 11)} gives the due day ${addDays(due, 11)}, which is not after the report's current due day ${addDays(due, 12)}`);
    const schema = await extendReport(engine(), ex, { taskId: 't1', unitId: 'alpha', period: h.current, until: 'soon', reason: '' }).catch((e: unknown) => e);
    expect((schema as UserError).refusals.map((r) => r.field).sort()).toEqual(['reason', 'until']);
    expect(await periodStatus(h.db, ex, 't1', 'alpha', h.current)).toMatchObject({ extensions: 2, dueAt: endOf(addDays(due, 12)) });
    expect(noticeOf(`${ex}/t1/alpha/${h.current}/extended/3`)).toBeUndefined();
  });

  test('a returned report extended while its revision is awaited: SEQUENCE counts the return and the extension, the revision is on time against the new day', async () => {
    const uid = reportEventUid(ex, 't2', 'beta', h.current);
    await submitReport(engine(), ex, { requestId: `b1-${stamp}`, taskId: 't2', unitId: 'beta', period: h.current, status: 'on-track', summary: 'Done.' });
    await waitFor('t2 submitted', async () => ((await periodStatus(h.db, ex, 't2', 'beta', h.current))?.submittedAt ? true : undefined));
    const returned = await returnReport(engine(), ex, { taskId: 't2', unitId: 'beta', period: h.current, comment: 'Add the figures.' });
    const revisionDay = returned.revisionDueDay!;
    // Extending the report to its revision's own day is refused: the new day must be later.
    const same = await extendReport(engine(), ex, { taskId: 't2', unitId: 'beta', period: h.current, until: revisionDay, reason: 'x' }).catch((e: unknown) => e);
    expect((same as UserError).refusals[0]).toMatchObject({ code: 'notLaterDue', params: { current: revisionDay } });

    const receipt = await extendReport(engine(), ex, { taskId: 't2', unitId: 'beta', period: h.current, until: addDays(revisionDay, 3), reason: 'Auditor away' });
    expect(receipt).toMatchObject({ extension: 1, round: 1, previousDueDay: revisionDay, dueDay: addDays(revisionDay, 3) });
    const extended = await waitFor('the extended notice', async () => noticeOf(`${ex}/t2/beta/${h.current}/extended/1`));
    expect(extended.to).toEqual(['beta@example.org', 'beta-desk@example.org']);
    expect(icsOf(extended).events[0]).toMatchObject({ uid, start: addDays(revisionDay, 3), sequence: 2, summary: `Revision due: Task Two (${h.current})` });
    await waitFor('the revision due day moved', async () => ((await periodStatus(h.db, ex, 't2', 'beta', h.current))?.revisionDueAt === endOf(addDays(revisionDay, 3)) ? true : undefined));
    expect((await feed('beta')).events[0]).toMatchObject({ uid, start: addDays(revisionDay, 3), sequence: 2 });
    // The columns the dashboard's SQL reads say the same.
    const { rows } = await h.db.query('SELECT awaiting, revision_due_at, escalated_round FROM report_records WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4', [ex, 't2', 'beta', h.current]);
    expect(rows[0]).toMatchObject({ awaiting: true, escalated_round: false });
    expect((rows[0].revision_due_at as Date).toISOString()).toBe(endOf(addDays(revisionDay, 3)));

    const revision = await submitReport(engine(), ex, { requestId: `b2-${stamp}`, taskId: 't2', unitId: 'beta', period: h.current, status: 'on-track', summary: 'Done, with the figures.' });
    expect(revision).toMatchObject({ answersReturn: true, onTime: true, daysLate: 0, revision: 2 });
  });
});
