/**
 * The .ics a request or returned notice carries, through the real notice activity and a real SMTP server, parsed back
 * with an independent iCalendar parser: the plan's local due day as an all-day date, one UID per report, a SEQUENCE
 * that grows with each return, and the same bytes when the notice is sent again.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemorySentLog, createSmtpMailer, type Mailer } from '../../activities/index.js';
import { reportEventUid } from '../../activities/notices/calendar.js';
import { createNoticeActivities } from '../../activities/notices/send-notices.js';
import { newKeyring } from '../../security/keyring.js';
import { linkMaker } from '../../security/links.js';
import { verifyToken } from '../../security/tokens.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import { parseIcs } from '../helpers/ics.js';
import { useSmtpMailer, type SmtpSink, type CaughtMessage } from '../helpers/smtp-sink.js';

const ring = newKeyring('kcal');
const links = linkMaker('https://portal.example.org', ring);
let sink: SmtpSink;
let mailer: Mailer;

useSmtpMailer((s, m) => {
  sink = s;
  mailer = m;
});

const base = (over: Partial<NoticeSpec> & { key: NoticeSpec['key'] }): NoticeSpec => ({
  at: '2030-03-22T13:00:00.000Z',
  to: ['east@example.org'],
  cc: [],
  locale: 'en',
  timezone: 'America/New_York',
  planTitle: 'East Plan',
  taskTitle: 'Harbour works',
  unitName: 'East Office',
  // Due Fri 2030-04-05 in New York: the deadline (local midnight ending it) is already 2030-04-06 in UTC.
  dueDay: '2030-04-05',
  deadline: '2030-04-06T04:00:00.000Z',
  next: null,
  ...over,
});
const key = { planId: 'east', taskId: 'harbour', unitId: 'east-office', period: '2030-Q1' } as const;
const request = base({ key: { ...key, kind: 'request', number: 1 } });
const reminder = base({ key: { ...key, kind: 'reminder', number: 1 }, at: '2030-04-02T13:00:00.000Z' });
// The second return: the revision is due Mon 2030-04-22.
const returned = base({ key: { ...key, kind: 'returned', number: 2, round: 2 }, at: '2030-04-15T13:00:00.000Z', dueDay: '2030-04-22', deadline: '2030-04-23T04:00:00.000Z', comment: 'Add the dates.' });
// Shanghai: sent at 09:00 local on 2030-03-21, which is 01:00 UTC; due 2030-04-08, whose deadline is 16:00 UTC that day.
const shanghai = base({
  key: { planId: 'north', taskId: 'grain', unitId: 'farms', period: '2030-Q1', kind: 'request', number: 1 },
  at: '2030-03-21T01:00:00.000Z',
  locale: 'zh-CN',
  timezone: 'Asia/Shanghai',
  planTitle: '三年行动计划',
  taskTitle: '粮食生产',
  unitName: '农业局',
  to: ['farms@example.org'],
  dueDay: '2030-04-08',
  deadline: '2030-04-08T16:00:00.000Z',
});

async function send(notices: NoticeSpec[], sentLog = createMemorySentLog()): Promise<CaughtMessage[]> {
  const before = sink.messages.length;
  const { sendNotices } = createNoticeActivities({ mailer, sentLog, from: 'hq-robot@example.org', links });
  const outcomes = await sendNotices({ at: notices[0].at, notices });
  expect(outcomes.map((o) => o.status)).toEqual(notices.map(() => 'sent'));
  return sink.messages.slice(before);
}

const icsOf = (m: CaughtMessage) => {
  const files = m.parsed.attachments.filter((a) => a.contentType === 'text/calendar');
  expect(files).toHaveLength(1);
  return { file: files[0], cal: parseIcs(files[0].content.toString('utf8')) };
};

describe('calendar invites in notices', () => {
  let sent: CaughtMessage[];
  beforeAll(async () => {
    sent = await send([request, reminder, returned, shanghai]);
  });
  const byKind = (kind: string, planId = 'east') => sent.find((m) => m.headers.get('x-review-cycles-kind') === kind && m.headers.get('x-review-cycles-key')!.toString().startsWith(`${planId}/`))!;

  test("a request carries an all-day event on the plan's local due day, with the report's UID and SEQUENCE 0", () => {
    const m = byKind('request');
    const { file, cal } = icsOf(m);
    expect(file.filename).toBe('harbour-2030-Q1.ics');
    expect(cal.method).toBe('PUBLISH');
    expect(cal.events).toHaveLength(1);
    const e = cal.events[0];
    expect(e).toMatchObject({ start: '2030-04-05', end: '2030-04-06', startIsDate: true, sequence: 0, uid: reportEventUid('east', 'harbour', 'east-office', '2030-Q1') });
    // DTSTAMP is the notice's own instant, never the clock's.
    expect(e.stamp).toBe(request.at);
    expect(e.summary).toBe('Report due: Harbour works (2030-Q1)');
    expect(e.description).toContain('Harbour works (harbour)');
    expect(e.description).toContain('East Office (east-office)');
    // The event's link is the notice's own report link.
    expect(e.url).toMatch(/^https:\/\/portal\.example\.org\/r\//);
    expect(m.parsed.text).toContain(e.url!);
  });

  test('a returned notice moves the same event to the revision day, its SEQUENCE the return\'s round', () => {
    const { file, cal } = icsOf(byKind('returned'));
    expect(file.filename).toBe('harbour-2030-Q1-r2.ics');
    expect(cal.events[0]).toMatchObject({ start: '2030-04-22', end: '2030-04-23', startIsDate: true, sequence: 2, uid: reportEventUid('east', 'harbour', 'east-office', '2030-Q1'), stamp: returned.at });
    expect(cal.events[0].summary).toBe('Revision due: Harbour works (2030-Q1)');
  });

  test('a reminder carries no invite (it does not move the due day)', () => {
    expect(byKind('reminder').parsed.attachments).toEqual([]);
  });

  test('in Shanghai the local due day is the date, in Chinese', () => {
    const { cal } = icsOf(byKind('request', 'north'));
    expect(cal.events[0]).toMatchObject({ start: '2030-04-08', startIsDate: true, sequence: 0, uid: 'north/grain/farms/2030-Q1@review-cycles', stamp: '2030-03-21T01:00:00.000Z' });
    expect(cal.events[0].summary).toBe('报告截止：粮食生产（2030年第1季度）');
  });

  test('every notice links the unit\'s calendar feed, scoped to the unit and plan', () => {
    for (const m of sent) {
      const link = /https:\/\/portal\.example\.org\/cal\/([A-Za-z0-9_.-]+)\.ics/.exec(m.parsed.text ?? '');
      expect(link, m.subject).not.toBeNull();
      const v = verifyToken(ring, link![1], 'unit-calendar');
      expect(v.ok && { plan: v.payload.plan, unit: v.payload.unit }).toEqual(m.headers.get('x-review-cycles-key')!.toString().startsWith('north/') ? { plan: 'north', unit: 'farms' } : { plan: 'east', unit: 'east-office' });
    }
  });

  test('sent again (a retry whose first hand-over left no record), the notice carries the same .ics bytes', async () => {
    const again = await send([request, returned]);
    expect(again[0].messageId).toBe(byKind('request').messageId);
    expect(icsOf(again[0]).file.content.equals(icsOf(byKind('request')).file.content)).toBe(true);
    expect(icsOf(again[1]).file.content.equals(icsOf(byKind('returned')).file.content)).toBe(true);
  });
});
