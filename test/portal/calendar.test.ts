/**
 * A unit's calendar feed over real HTTP against a real dev server and worker: the link every notice carries answers
 * text/calendar, which parses back into the due days of the unit's open reports as the plan's local days (in Shanghai
 * and in New York, where the deadline's UTC date is another day), a return moves the event and raises its SEQUENCE
 * in the feed and in the returned notice's own .ics, and a tampered or misused token is refused with a 403.
 */
import { describe, expect, test } from 'vitest';
import { reportEventUid } from '../../activities/notices/calendar.js';
import { returnReport, submitReport } from '../../client/plans.js';
import { unitDueEvents } from '../../client/portal/routes/calendar.js';
import { validPlan } from '../fixtures/plans.js';
import { planAroundNow } from '../helpers/dev-server.js';
import { parseIcs } from '../helpers/ics.js';
import type { CaughtMessage } from '../helpers/smtp-sink.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { periodStatus, token, usePortal, waitFor } from './harness.js';

const stamp = `${process.pid}-${Date.now()}`;
const sh = `cal-sh-${stamp}`;
const ny = `cal-ny-${stamp}`;
const h = usePortal('calendar', [
  { id: sh, overrides: { timezone: 'Asia/Shanghai', title: 'Shanghai plan' } },
  { id: ny, overrides: { timezone: 'America/New_York', title: 'New York plan' } },
]);

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);
/** A quarter's due day as the plans have it: its last local day + 5 (dueOffsetDays), no working-day calendar. */
const dueDayOf = (period: string) => {
  const [y, q] = [Number(period.slice(0, 4)), Number(period.slice(6))];
  return addDays(ymd(Date.UTC(y, 3 * q, 0)), 5);
};
const localToday = (tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

const feedLink = (text: string) => /\/cal\/[A-Za-z0-9_.-]+\.ics/.exec(text)?.[0];
const noticeOf = (key: string) => h.sink.messages.find((m) => m.headers.get('x-review-cycles-key') === key);
const icsOf = (m: CaughtMessage) => parseIcs(m.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8'));

async function feed(path: string) {
  const res = await fetch(`${h.base}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
  return parseIcs(await res.text());
}

describe('the unit calendar feed', () => {
  test("the link in a request notice opens the unit's feed: every open report on its local due day (Shanghai)", async () => {
    const request = await waitFor('the Shanghai request', async () => noticeOf(`${sh}/t1/alpha/${h.current}/request/1`));
    const path = feedLink(request.parsed.text ?? '');
    expect(path).toBeDefined();
    const cal = await feed(path!);
    expect(cal.name).toBe('Due days: Alpha Office (Shanghai plan)');
    // Alpha reports on t1 only: the current quarter (requested) and the next (scheduled), nothing of beta's t2.
    expect(cal.events.map((e) => [e.uid, e.start, e.end, e.startIsDate, e.sequence])).toEqual([
      [reportEventUid(sh, 't1', 'alpha', h.current), dueDayOf(h.current), addDays(dueDayOf(h.current), 1), true, 0],
      [reportEventUid(sh, 't1', 'alpha', h.next), dueDayOf(h.next), addDays(dueDayOf(h.next), 1), true, 0],
    ]);
    // The same event as the request's own invite: one UID per report, the same day.
    expect(icsOf(request).events[0]).toMatchObject({ uid: cal.events[0].uid, start: cal.events[0].start, sequence: 0 });
    // Each event links its report form.
    expect(cal.events[0].url).toMatch(new RegExp(`^${h.base}/r/`));
    expect((await fetch(cal.events[0].url!)).status).toBe(200);
  });

  test('in New York, where the deadline falls on the next UTC date, the event is still the local due day', async () => {
    const status = await periodStatus(h.db, ny, 't2', 'beta', h.current);
    // Local midnight ending the due day is 04:00 or 05:00 UTC of the day after.
    expect(status!.dueAt.slice(0, 10)).toBe(addDays(dueDayOf(h.current), 1));
    const cal = await feed(`/cal/${token(h.ring, { p: 'unit-calendar', plan: ny, unit: 'beta' })}.ics`);
    expect(cal.events.map((e) => [e.uid, e.start])).toEqual([
      [reportEventUid(ny, 't2', 'beta', h.current), dueDayOf(h.current)],
      [reportEventUid(ny, 't2', 'beta', h.next), dueDayOf(h.next)],
    ]);
  });

  test("a returned report moves to its revision's due day with SEQUENCE 1, in the feed and in the returned notice's .ics", async () => {
    const engine = { client: h.client, db: h.db };
    await submitReport(engine, ny, { requestId: `cal-${stamp}`, taskId: 't1', unitId: 'alpha', period: h.current, status: 'on-track', summary: 'Done.' });
    await waitFor('t1 submitted', async () => ((await periodStatus(h.db, ny, 't1', 'alpha', h.current))?.submittedAt ? true : undefined));
    const before = localToday('America/New_York');
    await returnReport(engine, ny, { taskId: 't1', unitId: 'alpha', period: h.current, comment: 'Add the dates.' });
    const after = localToday('America/New_York');
    const returned = await waitFor('the returned notice', async () => noticeOf(`${ny}/t1/alpha/${h.current}/returned/1/r1`));
    // revisionDays 5 from the day of the return (no working-day calendar to move it).
    const revisionDay = icsOf(returned).events[0].start;
    expect([addDays(before, 5), addDays(after, 5)]).toContain(revisionDay);
    expect(icsOf(returned).events[0]).toMatchObject({ uid: reportEventUid(ny, 't1', 'alpha', h.current), sequence: 1, startIsDate: true });

    await waitFor('the revision due', async () => ((await periodStatus(h.db, ny, 't1', 'alpha', h.current))?.revisionDueAt ? true : undefined));
    const cal = await feed(feedLink(returned.parsed.text ?? '')!);
    expect(cal.events.map((e) => [e.uid, e.start, e.sequence, e.summary])).toEqual([
      [reportEventUid(ny, 't1', 'alpha', h.current), revisionDay, 1, `Revision due: Task One (${h.current})`],
      [reportEventUid(ny, 't1', 'alpha', h.next), dueDayOf(h.next), 0, `Report due: Task One (${h.next})`],
    ]);
  });

  test('a tampered, expired or misused token, or a unit the plan does not have, is refused with a 403', async () => {
    const good = token(h.ring, { p: 'unit-calendar', plan: sh, unit: 'alpha' });
    const [head, body, sig] = good.split('.');
    const forged = Buffer.from(body, 'base64url').toString().replace('"alpha"', '"beta"');
    const refused = [
      `/cal/${head}.${Buffer.from(forged).toString('base64url')}.${sig}.ics`,
      `/cal/${head}.${body}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}.ics`,
      `/cal/${token(h.ring, { p: 'unit-calendar', plan: sh, unit: 'alpha', exp: Math.floor(Date.now() / 1000) - 60 })}.ics`,
      `/cal/${token(h.ring, { p: 'unit-link', plan: sh, unit: 'alpha' })}.ics`,
      `/cal/${token(h.ring, { p: 'unit-calendar', plan: sh, unit: 'nobody' })}.ics`,
      `/cal/${token(h.ring, { p: 'unit-calendar', plan: 'no-such-plan', unit: 'alpha' })}.ics`,
      `/cal/${good}`,
    ];
    for (const path of refused) {
      const res = await fetch(`${h.base}${path}`);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type'), path).not.toContain('text/calendar');
    }
    expect((await fetch(`${h.base}/cal/${good}.ics`)).status).toBe(200);
    // The token never reaches the log.
    expect(h.logs.some((l) => l.includes(good))).toBe(false);
  });
});

describe('unitDueEvents', () => {
  const plan = validPlan({ ...planAroundNow('pure', Date.UTC(2030, 1, 10)).plan, timezone: 'Asia/Shanghai' });
  const period = (over: Partial<PeriodStatus>): PeriodStatus => ({
    period: '2030-Q1', state: 'requested', requestedAt: null, dueAt: '2030-04-05T16:00:00.000Z', submittedAt: null, daysLate: null, reminders: 0, escalations: 0,
    revisions: 0, reportStatus: null, progress: null, deliveryIssues: [], review: null, revisionDueAt: null, round: 0, ...over,
  });
  const statusOf = (periods: PeriodStatus[]): PlanStatus => ({ planId: 'pure', tasks: [{ taskId: 't1', units: [{ unitId: 'alpha', periods }] }] }) as unknown as PlanStatus;
  const now = Date.UTC(2030, 3, 10); // 95 days after 2029-Q4's due day, past its closeAfterDays (90)

  test('lists neither accepted, nor untracked, nor closed reports; a returned one until its revision arrives', () => {
    const events = unitDueEvents(plan, statusOf([
      period({ period: '2029-Q4', dueAt: '2030-01-05T16:00:00.000Z', state: 'late' }), // closed: 90 days after its due day
      period({ period: '2030-Q1', state: 'submitted', review: 'accepted' }),
      period({ period: '2030-Q2', state: 'untracked', dueAt: '2030-07-05T16:00:00.000Z' }),
      period({ period: '2030-Q3', state: 'submitted', dueAt: '2030-10-05T16:00:00.000Z', review: 'returned', revisionDueAt: '2030-10-20T16:00:00.000Z', round: 2 }),
      period({ period: '2030-Q4', state: 'scheduled', dueAt: '2031-01-05T16:00:00.000Z' }),
    ]), 'alpha', now, (task, p) => `https://portal.example.org/r/${task}-${p}`);
    expect(events.map((e) => [e.period, e.dueDay, e.sequence, e.url])).toEqual([
      ['2030-Q3', '2030-10-20', 2, 'https://portal.example.org/r/t1-2030-Q3'],
      ['2030-Q4', '2031-01-05', 0, 'https://portal.example.org/r/t1-2030-Q4'],
    ]);
    // One day earlier, the 2029-Q4 report is still open: the day it closes is the 90th after its due day's end.
    expect(unitDueEvents(plan, statusOf([period({ period: '2029-Q4', dueAt: '2030-01-05T16:00:00.000Z', state: 'late' })]), 'alpha', Date.parse('2030-04-05T15:59:59Z')).map((e) => e.dueDay)).toEqual(['2030-01-05']);
  });
});
