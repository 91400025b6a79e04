/**
 * A mail server that is down shows: the real notice activity, a real SMTP server that is not there and then is, and
 * the sent log in a real PostgreSQL. What a failed batch leaves is listed as "not delivered yet" until it goes out.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { freePort } from '../../client/dev-server.js';
import { createDbSentLog, retryingNotices, storedNotices } from '../../store/notices.js';
import type { NoticeSpec } from '../../workflows/contract/notice.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const spec = (unitId: string): NoticeSpec => ({
  key: { planId: 'outage', taskId: 't', unitId, period: '2030-Q1', kind: 'request', number: 1 },
  at: '2030-03-21T01:00:00.000Z',
  to: [`${unitId}@example.org`],
  cc: [],
  locale: 'en',
  timezone: 'Asia/Shanghai',
  planTitle: 'Plan',
  taskTitle: 'Task',
  unitName: unitId,
  dueDay: '2030-04-08',
  deadline: '2030-04-08T16:00:00.000Z',
  next: null,
});

let db: pg.Pool;
let port: number;
let mailer: Mailer;
let sink: SmtpSink | undefined;
beforeAll(async () => {
  db = await testDb();
  port = await freePort();
  mailer = createSmtpMailer(`smtp://127.0.0.1:${port}`);
});
afterAll(async () => {
  await mailer?.close();
  await sink?.close();
  await db?.end();
});

test('a batch that cannot reach the mail server is listed as not delivered yet, then delivered once when it returns', async () => {
  const { sendNotices } = testActivities({ db, mailer, sentLog: createDbSentLog(db) });
  const batch = { at: spec('a').at, notices: [spec('a'), spec('b'), spec('c')] };
  const before = Date.now();
  await expect(sendNotices(batch)).rejects.toThrow();
  const waiting = await retryingNotices(db, 'outage');
  expect(waiting.map((n) => n.unitId)).toEqual(['a', 'b', 'c']);
  for (const n of waiting) {
    expect(Date.parse(n.since)).toBeGreaterThanOrEqual(before - 1_000);
    expect(n.reason).toMatch(/ECONNREFUSED|connect/i);
    expect(n).toMatchObject({ kind: 'request', period: '2030-Q1', number: 1 });
  }
  // A second failed attempt keeps the first failure's moment.
  await expect(sendNotices(batch)).rejects.toThrow();
  expect((await retryingNotices(db, 'outage')).map((n) => n.since)).toEqual(waiting.map((n) => n.since));

  sink = await startSmtpSink(port);
  const outcomes = await sendNotices(batch);
  expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
  expect(await retryingNotices(db, 'outage')).toEqual([]);
  expect(sink.messages.map((m) => m.envelopeTo[0]).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
  const stored = await storedNotices(db, 'outage');
  for (const n of stored) {
    expect(n.status).toBe('sent');
    expect(n.failingSince).not.toBeNull();
    expect(Date.parse(n.deliveredAt!)).toBeGreaterThan(Date.parse(n.failingSince!));
  }
  // Sent once: a retry after delivery hands nothing over again.
  await sendNotices(batch);
  expect(sink.messages).toHaveLength(3);
});
