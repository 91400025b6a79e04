/**
 * The sent log: the database's, shared by every worker (claim before the hand-over, outcome after), and the file log
 * of a single process. A `sending` claim a crash left behind is sent again, under the same Message-ID.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { createFileSentLog } from '../../activities/mail/sent-log.js';
import { NotDelivered, PermanentRefusal, type Mailer, type OutgoingMessage } from '../../activities/mail/mailer.js';
import { deliverOnce } from '../../activities/notices/deliver-once.js';
import { messageIdFor } from '../../activities/index.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import { noticeKeyText, type NoticeKey, type NoticeSpec } from '../../workflows/contract/notice.js';
import { testActivities } from '../helpers/activities.js';
import { fileDb, freshDatabaseUrl } from '../helpers/db.js';

const spec = (unitId: string, planId = 'p'): NoticeSpec => ({
  key: { planId, taskId: 't', unitId, period: '2030-Q1', kind: 'request', number: 1 },
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

const pools: pg.Pool[] = [];
/** A pool of its own on `url`: what a second worker process would open. */
const poolOn = (url: string) => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

/** A mailer that records what it was handed and can be told to fail. */
function recordingMailer(fail?: (m: OutgoingMessage, n: number) => Error | undefined): Mailer & { delivered: string[] } {
  const delivered: string[] = [];
  let n = 0;
  return {
    delivered,
    async send(m) {
      const err = fail?.(m, ++n);
      // `undefined`: accepted; a cut hand-over: accepted by the server but its answer lost (delivered, then thrown).
      if (err && !(err as { cut?: boolean }).cut) throw err;
      delivered.push(m.messageId);
      if (err) throw err;
      return { rejected: [] };
    },
    close: async () => {},
  };
}
const cut = () => Object.assign(new Error('socket closed after DATA'), { code: 'ECONNECTION', cut: true });

const key = (unitId: string, planId: string): NoticeKey => ({ planId, taskId: 't', unitId, period: '2030-Q1', kind: 'request', number: 1 });
const facts = (unitId: string, planId: string) => ({
  planId, keyText: noticeKeyText(key(unitId, planId)), kind: 'request', taskId: 't', unitId, period: '2030-Q1', number: 1, round: 0,
  at: '2030-03-21T01:00:00.000Z', to: [`${unitId}@example.org`], cc: [], subject: `Request to ${unitId}`,
});
const message = (unitId: string, planId: string): OutgoingMessage => ({
  messageId: messageIdFor(key(unitId, planId)), from: 'hq@example.org', to: [`${unitId}@example.org`], cc: [], subject: `Request to ${unitId}`,
  text: 'text', html: '<p>html</p>', headers: {},
});

test('DB log: the claim is written before the hand-over, the outcome after', async () => {
  const url = await freshDatabaseUrl();
  const pool = poolOn(url);
  const log = createDbSentLog(pool);
  let seenDuringSend: unknown;
  const mailer: Mailer = {
    async send(m) {
      seenDuringSend = await log.get(m.messageId);
      return { rejected: ['cc-gone@example.org'] };
    },
    close: async () => {},
  };
  const r = await deliverOnce(mailer, log, message('a', 'claim'), facts('a', 'claim'));
  expect(r).toMatchObject({ fresh: true, resent: false, outcome: { status: 'sent', rejected: ['cc-gone@example.org'] } });
  expect(seenDuringSend).toMatchObject({ status: 'sending' });
  expect(await log.get(message('a', 'claim').messageId)).toEqual({ messageId: message('a', 'claim').messageId, status: 'sent', rejected: ['cc-gone@example.org'] });
  const [row] = await storedNotices(pool, 'claim');
  expect(row).toMatchObject({
    messageId: message('a', 'claim').messageId, keyText: 'claim/t/a/2030-Q1/request/1', kind: 'request', taskId: 't', unitId: 'a', period: '2030-Q1',
    number: 1, round: 0, at: '2030-03-21T01:00:00.000Z', to: ['a@example.org'], cc: [], subject: 'Request to a', status: 'sent', attempts: 1,
  });
  // Delivered is delivered: a retry answers from the log without a hand-over, and a late claim does not reopen it.
  const again = await deliverOnce(mailer, log, message('a', 'claim'), facts('a', 'claim'));
  expect(again).toMatchObject({ fresh: false, outcome: { status: 'sent' } });
  await log.add({ messageId: message('a', 'claim').messageId, status: 'sending', notice: facts('a', 'claim') });
  expect((await log.get(message('a', 'claim').messageId))?.status).toBe('sent');
  // A claim must say which notice it is.
  await expect(log.add({ messageId: '<x@y>', status: 'sending' })).rejects.toThrow(/must say which notice/);
});

test('DB log: a permanent refusal is kept and never retried; a surely undelivered message is sent again', async () => {
  const pool = poolOn(await freshDatabaseUrl());
  const log = createDbSentLog(pool);
  const refusing = recordingMailer((m) => (m.to[0].startsWith('b@') ? new PermanentRefusal('550 no such user', 550) : undefined));
  const refused = await deliverOnce(refusing, log, message('b', 'outcomes'), facts('b', 'outcomes'));
  expect(refused).toMatchObject({ fresh: false, outcome: { status: 'refused', reason: '550 no such user' } });
  const retried = await deliverOnce(recordingMailer(), log, message('b', 'outcomes'), facts('b', 'outcomes'));
  expect(retried).toMatchObject({ fresh: false, outcome: { status: 'refused', reason: '550 no such user' } });

  const down = recordingMailer(() => new NotDelivered('connection refused'));
  await expect(deliverOnce(down, log, message('c', 'outcomes'), facts('c', 'outcomes'))).rejects.toThrow(NotDelivered);
  expect((await log.get(message('c', 'outcomes').messageId))?.status).toBe('unsent');
  const up = recordingMailer();
  expect(await deliverOnce(up, log, message('c', 'outcomes'), facts('c', 'outcomes'))).toMatchObject({ fresh: true, resent: false, outcome: { status: 'sent' } });
  expect(up.delivered).toEqual([message('c', 'outcomes').messageId]);
  const rows = await storedNotices(pool, 'outcomes');
  expect(rows.map((r) => [r.unitId, r.status, r.reason, r.attempts])).toEqual([
    ['b', 'refused', '550 no such user', 1],
    ['c', 'sent', null, 2],
  ]);
});

test('DB log: a second worker (its own pool) sees what the first one sent and claimed, and re-sends a cut hand-over', async () => {
  const url = await freshDatabaseUrl();
  const first = createDbSentLog(poolOn(url));
  const second = createDbSentLog(poolOn(url));
  // The first worker hands over a and b; the server takes b but the connection drops before its answer: b stays `sending`.
  const dying = recordingMailer((m) => (m.to[0].startsWith('b@') ? cut() : undefined));
  await deliverOnce(dying, first, message('a', 'shared'), facts('a', 'shared'));
  await expect(deliverOnce(dying, first, message('b', 'shared'), facts('b', 'shared'))).rejects.toThrow(/socket closed/);
  expect(await second.get(message('a', 'shared').messageId)).toMatchObject({ status: 'sent' });
  expect(await second.get(message('b', 'shared').messageId)).toMatchObject({ status: 'sending' });

  // The second worker takes over: a is not sent again; b is, under the same Message-ID (at least once).
  const other = recordingMailer();
  const a = await deliverOnce(other, second, message('a', 'shared'), facts('a', 'shared'));
  const b = await deliverOnce(other, second, message('b', 'shared'), facts('b', 'shared'));
  expect(a).toMatchObject({ fresh: false, resent: false, outcome: { status: 'sent' } });
  expect(b).toMatchObject({ fresh: true, resent: true, outcome: { status: 'sent', messageId: message('b', 'shared').messageId } });
  expect(other.delivered).toEqual([message('b', 'shared').messageId]);
  // The only duplicate of all: b, handed over twice under one Message-ID, because its first hand-over was cut.
  const all = [...dying.delivered, ...other.delivered];
  expect(all).toEqual([message('a', 'shared').messageId, message('b', 'shared').messageId, message('b', 'shared').messageId]);
  expect(await first.get(message('b', 'shared').messageId)).toMatchObject({ status: 'sent' });
  const rows = await storedNotices(poolOn(url), 'shared');
  expect(rows.map((r) => [r.unitId, r.status, r.attempts])).toEqual([
    ['a', 'sent', 1],
    ['b', 'sent', 2],
  ]);
});

test('DB log under the notice activity: two workers over one database never send a notice twice', async () => {
  const url = await freshDatabaseUrl();
  const db = poolOn(url);
  const mailer = recordingMailer();
  const one = testActivities({ db, mailer, sentLog: createDbSentLog(db), from: 'hq@example.org' });
  const two = testActivities({ db, mailer, sentLog: createDbSentLog(poolOn(url)), from: 'hq@example.org' });
  await one.sendNotices({ at: spec('a', 'act').at, notices: [spec('a', 'act'), spec('b', 'act')] });
  const outcomes = await two.sendNotices({ at: spec('a', 'act').at, notices: [spec('a', 'act'), spec('b', 'act'), spec('c', 'act')] });
  expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
  expect(mailer.delivered).toHaveLength(3);
  expect(new Set(mailer.delivered).size).toBe(3);
  expect((await storedNotices(db, 'act')).map((n) => [n.unitId, n.status, n.attempts, n.subject.length > 0])).toEqual([
    ['a', 'sent', 1, true],
    ['b', 'sent', 1, true],
    ['c', 'sent', 1, true],
  ]);
});

test('file log: a worker restarted over the same sent log does not send again what the crashed one sent', async () => {
  const db = await fileDb();
  const file = join(mkdtempSync(join(tmpdir(), 'rc-sentlog-')), 'sent.jsonl');
  const delivered: string[] = [];
  const mailer: Mailer = { send: async (m) => (delivered.push(m.messageId), { rejected: [] }), close: async () => {} };
  const first = testActivities({ db, mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  await first.sendNotices({ at: spec('a').at, notices: [spec('a'), spec('b')] });
  // The crash cut the log's last line short: that line is ignored, the rest stands.
  appendFileSync(file, '{"messageId":"<cut');
  const second = testActivities({ db, mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  const outcomes = await second.sendNotices({ at: spec('a').at, notices: [spec('a'), spec('b'), spec('c')] });
  expect(delivered).toHaveLength(3);
  expect(new Set(delivered).size).toBe(3);
  expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
  // And a third worker still sees everything the second one sent after the cut line.
  const third = testActivities({ db, mailer, sentLog: createFileSentLog(file), from: 'hq@example.org' });
  await third.sendNotices({ at: spec('a').at, notices: [spec('c')] });
  expect(delivered).toHaveLength(3);
  expect(readFileSync(file, 'utf8')).toContain('"status":"sent"');
});

test('file log: a `sending` line a crash left is sent again under the same Message-ID', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rc-sentlog-')), 'sent.jsonl');
  const dying = recordingMailer(() => cut());
  await expect(deliverOnce(dying, createFileSentLog(file), message('a', 'f'), facts('a', 'f'))).rejects.toThrow(/socket closed/);
  const restarted = createFileSentLog(file);
  expect((await restarted.get(message('a', 'f').messageId))?.status).toBe('sending');
  const other = recordingMailer();
  expect(await deliverOnce(other, restarted, message('a', 'f'), facts('a', 'f'))).toMatchObject({ fresh: true, resent: true });
  expect([...dying.delivered, ...other.delivered]).toEqual([message('a', 'f').messageId, message('a', 'f').messageId]);
  // The file keeps outcomes, not the notice's facts.
  expect(readFileSync(file, 'utf8')).not.toContain('a@example.org');
});
