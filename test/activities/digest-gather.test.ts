/**
 * Digests across activity calls, through the real notice and finding activities, a real SMTP server (messages parsed
 * back) and the outbox in a real PostgreSQL: calls of one instant with the same recipients make one message carrying
 * every key; different cc sets stay apart; a call that comes after the digest went out sends its own; a crash between
 * claim and hand-over is sent again under the same Message-ID, by the retry at once or by another call once the lease
 * ran out; `digest: false` goes by the per-call rule with no wait.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSmtpMailer, messageIdFor, type Mailer } from '../../activities/index.js';
import type { OutgoingMessage } from '../../activities/mail/mailer.js';
import { createFindingActivities } from '../../activities/findings/findings-activities.js';
import { deliverItems, digestMessageId } from '../../activities/notices/digest.js';
import { createNoticeActivities, noticeItem, type SentNotice } from '../../activities/notices/send-notices.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import type { FindingNoticeSpec } from '../../workflows/contract/finding.js';
import { noticeKeyText, type NoticeKey, type NoticeOutcome, type NoticeSpec } from '../../workflows/contract/notice.js';
import { findingNoticeKeyText } from '../../workflows/contract/finding.js';
import { testDb } from '../helpers/db.js';
import { useSmtpMailer, type SmtpSink } from '../helpers/smtp-sink.js';
import type pg from 'pg';

const AT = '2030-03-21T01:00:00.000Z';
const GATHER_MS = 800;
/** For the crash tests: A (first) claims 1.5 s after the last offer; B (200 ms later) waits 5 s, long after A's claim. */
const A_FIRST = { gatherMs: 10_000, quietMs: 1_500 };
const B_AFTER = { gatherMs: 10_000, quietMs: 5_000 };
let sink: SmtpSink;
let mailer: Mailer;

useSmtpMailer((s, m) => {
  sink = s;
  mailer = m;
});

function spec(planId: string, taskId: string, unitId: string, over: Partial<NoticeSpec> & { kind?: NoticeKey['kind']; number?: number } = {}): NoticeSpec {
  const { kind = 'reminder', number = 1, ...rest } = over;
  return {
    key: { planId, taskId, unitId, period: '2030-Q1', kind, number },
    at: AT,
    to: [`${unitId}@example.org`],
    cc: [],
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: 'Plan 2030',
    taskTitle: `Task ${taskId}`,
    unitName: `Unit ${unitId}`,
    dueDay: '2030-04-08',
    deadline: '2030-04-08T16:00:00.000Z',
    next: null,
    ...rest,
  };
}
const keyOf = (s: NoticeSpec) => noticeKeyText(s.key);
const ofPlan = (planId: string) => sink.messages.filter((m) => m.subject.startsWith(`[${planId}]`));
const keysOf = (m: SmtpSink['messages'][number]) => String(m.headers.get('x-review-cycles-keys') ?? m.headers.get('x-review-cycles-key') ?? '').split(' ').sort();

/** A worker's activities over the shared database: its own sent log (and outbox client), its own recorder. */
function worker(db: pg.Pool, o: { mailer?: Mailer; gatherMs?: number; quietMs?: number; leaseMs?: number } = {}) {
  const sent: SentNotice[] = [];
  const deps = { mailer: o.mailer ?? mailer, db, sentLog: createDbSentLog(db, { gatherMs: o.gatherMs ?? GATHER_MS, quietMs: o.quietMs, leaseMs: o.leaseMs }), from: 'hq-robot@example.org', onSent: (n: SentNotice) => sent.push(n) };
  return { sent, ...createNoticeActivities(deps), ...createFindingActivities(deps) };
}

/** A mailer whose hand-overs never end: the worker is killed while it hands over (release() lets them fail). */
function hanging() {
  const stuck: ((err: Error) => void)[] = [];
  const m: Mailer = {
    send: (_m: OutgoingMessage) => new Promise((_, reject) => stuck.push(reject)),
    close: async () => {},
  };
  return { mailer: m, release: () => stuck.splice(0).forEach((r) => r(new Error('worker killed'))) };
}

const until = async (ok: () => Promise<boolean> | boolean, ms = 10_000) => {
  for (const t0 = Date.now(); !(await ok()); ) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("two calls (two groups of one unit) at one instant: one message carrying both keys, each call told its key's outcome", async () => {
  const db = await testDb();
  const [w1, w2] = [worker(db), worker(db)];
  const a = [spec('gat-a', 't1', 'north'), spec('gat-a', 't2', 'north')];
  const b = [spec('gat-a', 't3', 'north')];
  const [oa, ob] = await Promise.all([w1.sendNotices({ at: AT, notices: a }), w2.sendNotices({ at: AT, notices: b })]);
  const id = digestMessageId(AT, [...a, ...b].map(keyOf));
  expect([...oa, ...ob].map((o) => [o.status, o.messageId])).toEqual([['sent', id], ['sent', id], ['sent', id]]);
  const messages = ofPlan('gat-a');
  expect(messages).toHaveLength(1);
  expect(messages[0].messageId).toBe(id);
  expect(messages[0].subject).toBe('[gat-a] 3 reminders for 2030-Q1, due 2030-04-08');
  expect(keysOf(messages[0])).toEqual([...a, ...b].map(keyOf).sort());
  expect(messages[0].parsed.text).toContain('Task t3 (t3)');
  // The call that sent it recorded every notice it carried (notices.jsonl's lines), the other none.
  const lines = [...w1.sent, ...w2.sent];
  expect(lines.map((n) => `${n.line.taskId} ${n.messageId}`).sort()).toEqual(['t1', 't2', 't3'].map((t) => `${t} ${id}`));
  expect(w1.sent.length === 0 || w2.sent.length === 0).toBe(true);
  const rows = await storedNotices(db, 'gat-a');
  expect(rows.map((r) => [r.keyText, r.messageId, r.status, r.attempts])).toEqual([...a, ...b].map((s) => [keyOf(s), id, 'sent', 1]).sort());
  expect((await db.query('SELECT count(*)::int AS n FROM notice_outbox')).rows[0].n).toBe(0);
  // A retry of either batch finds its keys sent under that message and sends nothing.
  expect(await w2.sendNotices({ at: AT, notices: b })).toEqual(ob);
  expect(ofPlan('gat-a')).toHaveLength(1);
});

test("a unit's report reminder (its group) and its finding reminder (the findings workflow) at one instant: one message", async () => {
  const db = await testDb();
  const [group, findings] = [worker(db), worker(db)];
  const report = spec('gat-b', 't1', 'north', { cc: ['l1@example.org'] });
  const finding: FindingNoticeSpec = {
    key: { planId: 'gat-b', findingId: 'f1', kind: 'reminder', round: 1, number: 1 },
    at: AT, to: ['north@example.org'], cc: ['l1@example.org'], locale: 'en', timezone: 'Asia/Shanghai', planTitle: 'Plan 2030',
    findingTitle: 'Ledger incomplete', inspectionId: 'r1', inspectionTitle: 'First round', unitId: 'north', unitName: 'Unit north',
    dueDay: '2030-04-01', verifier: 'headquarters',
  } as FindingNoticeSpec;
  const [or, of] = await Promise.all([
    group.sendNotices({ at: AT, notices: [report] }),
    findings.sendFindingNotices({ at: AT, notices: [finding], digest: true }),
  ]);
  const id = digestMessageId(AT, [keyOf(report), findingNoticeKeyText(finding.key)]);
  expect([or[0].messageId, of[0].messageId]).toEqual([id, id]);
  const [m] = ofPlan('gat-b');
  expect(ofPlan('gat-b')).toHaveLength(1);
  expect(m.cc).toEqual(['l1@example.org']);
  expect(m.parsed.text).toContain('Task t1 (t1)');
  expect(m.parsed.text).toContain('Ledger incomplete (f1, r1)');
  // notices.jsonl: a report line and a finding line, both under the digest's Message-ID, whichever call sent it.
  const lines = [...group.sent, ...findings.sent].map((n) => [n.line.taskId ?? n.line.findingId, n.messageId]);
  expect(lines.sort()).toEqual([['f1', id], ['t1', id]]);
});

test('different cc sets stay apart; a call that comes after the digest went out sends its own message', async () => {
  const db = await testDb();
  const [w1, w2, w3] = [worker(db), worker(db), worker(db)];
  const plain = spec('gat-c', 't1', 'north');
  const copied = spec('gat-c', 't2', 'north', { cc: ['l1@example.org'] });
  const [o1, o2] = await Promise.all([w1.sendNotices({ at: AT, notices: [plain] }), w2.sendNotices({ at: AT, notices: [copied] })]);
  // Each alone: sent exactly as a single notice, under its own Message-ID.
  expect([o1[0].messageId, o2[0].messageId]).toEqual([messageIdFor(plain.key), messageIdFor(copied.key)]);
  expect(ofPlan('gat-c').map((m) => [m.messageId, m.cc.join(',')]).sort()).toEqual(
    [[messageIdFor(plain.key), ''], [messageIdFor(copied.key), 'l1@example.org']].sort(),
  );
  const late = spec('gat-c', 't3', 'north');
  const [o3] = await w3.sendNotices({ at: AT, notices: [late] });
  expect(o3).toMatchObject({ status: 'sent', messageId: messageIdFor(late.key) });
  expect(ofPlan('gat-c')).toHaveLength(3);
});

test('killed between claim and hand-over: the retry of the same activity sends the same digest at once, under the same Message-ID', async () => {
  const db = await testDb();
  const stuck = hanging();
  const a = [spec('gat-d', 't1', 'north')];
  const b = [spec('gat-d', 't2', 'north')];
  // The first attempt of A claims both keys (B comes later within the window) and is killed in its hand-over. B's
  // quiet time is longer than A's, so that A is the one that claims, however slow the machine.
  const killed = worker(db, { mailer: stuck.mailer, ...A_FIRST });
  const first = killed.sendNotices({ at: AT, notices: a }).catch((e: Error) => e);
  const w2 = worker(db, B_AFTER);
  await new Promise((r) => setTimeout(r, 200));
  const other: Promise<NoticeOutcome[]> = w2.sendNotices({ at: AT, notices: b });
  const id = digestMessageId(AT, [...a, ...b].map(keyOf));
  await until(async () => (await storedNotices(db, 'gat-d')).length === 2);
  expect((await storedNotices(db, 'gat-d')).map((r) => [r.messageId, r.status])).toEqual([[id, 'sending'], [id, 'sending']]);
  expect(ofPlan('gat-d')).toHaveLength(0);
  // The retry: the same activity (its name is the same in every attempt), on a worker that is well.
  const ownerOf = await db.query('SELECT DISTINCT lease_owner FROM notice_outbox');
  expect(ownerOf.rows).toHaveLength(1);
  const t0 = Date.now();
  const again = await deliverItems({ mailer, sentLog: createDbSentLog(db, { gatherMs: GATHER_MS }), from: 'hq-robot@example.org' }, a.map((s) => noticeItem(s, { from: 'hq-robot@example.org' })), {
    digest: true,
    owner: ownerOf.rows[0].lease_owner,
  });
  expect(Date.now() - t0).toBeLessThan(5_000); // well within the 30 s lease: its own claim
  expect(again.map((o) => [o.status, o.messageId])).toEqual([['sent', id]]);
  expect((await other).map((o) => [o.status, o.messageId])).toEqual([['sent', id]]);
  const [m] = ofPlan('gat-d');
  expect(ofPlan('gat-d')).toHaveLength(1);
  expect([m.messageId, keysOf(m)]).toEqual([id, [...a, ...b].map(keyOf).sort()]);
  expect((await storedNotices(db, 'gat-d')).map((r) => [r.status, r.attempts])).toEqual([['sent', 2], ['sent', 2]]);
  stuck.release();
  expect(await first).toBeInstanceOf(Error);
});

test("killed between claim and hand-over, never retried: the other call sends the same digest once the sender's lease ran out", async () => {
  const db = await testDb();
  const stuck = hanging();
  const a = [spec('gat-e', 't1', 'north'), spec('gat-e', 't2', 'north')];
  const b = [spec('gat-e', 't3', 'north')];
  const first = worker(db, { mailer: stuck.mailer, leaseMs: 1_500, ...A_FIRST }).sendNotices({ at: AT, notices: a }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  const ob = await worker(db, { leaseMs: 1_500, ...B_AFTER }).sendNotices({ at: AT, notices: b });
  const id = digestMessageId(AT, [...a, ...b].map(keyOf));
  expect(ob.map((o) => [o.status, o.messageId])).toEqual([['sent', id]]);
  expect(Date.now() - t0).toBeGreaterThan(1_500); // it waited for the lease
  const [m] = ofPlan('gat-e');
  expect(ofPlan('gat-e')).toHaveLength(1);
  expect([m.messageId, keysOf(m)]).toEqual([id, [...a, ...b].map(keyOf).sort()]);
  expect((await storedNotices(db, 'gat-e')).every((r) => r.status === 'sent' && r.messageId === id)).toBe(true);
  stuck.release();
  expect(await first).toBeInstanceOf(Error);
});

test('digest: false: one message per notice, each under its own Message-ID, no gather wait, nothing in the outbox', async () => {
  const db = await testDb();
  const [w1, w2] = [worker(db, { gatherMs: 5_000 }), worker(db, { gatherMs: 5_000 })];
  const a = [spec('gat-f', 't1', 'north'), spec('gat-f', 't2', 'north')];
  const b = [spec('gat-f', 't3', 'north')];
  const t0 = Date.now();
  const [oa, ob] = await Promise.all([w1.sendNotices({ at: AT, notices: a, digest: false }), w2.sendNotices({ at: AT, notices: b, digest: false })]);
  expect(Date.now() - t0).toBeLessThan(5_000);
  expect([...oa, ...ob].map((o) => o.messageId)).toEqual([...a, ...b].map((s) => messageIdFor(s.key)));
  expect(ofPlan('gat-f').map((m) => m.messageId).sort()).toEqual([...a, ...b].map((s) => messageIdFor(s.key)).sort());
  expect(ofPlan('gat-f').every((m) => !m.headers.get('x-review-cycles-digest'))).toBe(true);
  expect((await db.query('SELECT count(*)::int AS n FROM notice_outbox')).rows[0].n).toBe(0);
});

test('a gather window of 0 turns gathering across calls off: each call makes its own digest, as before the outbox', async () => {
  const db = await testDb();
  const [w1, w2] = [worker(db, { gatherMs: 0 }), worker(db, { gatherMs: 0 })];
  const a = [spec('gat-g', 't1', 'north'), spec('gat-g', 't2', 'north')];
  const b = [spec('gat-g', 't3', 'north')];
  const [oa, ob] = await Promise.all([w1.sendNotices({ at: AT, notices: a }), w2.sendNotices({ at: AT, notices: b })]);
  expect(oa.map((o) => o.messageId)).toEqual([digestMessageId(AT, a.map(keyOf)), digestMessageId(AT, a.map(keyOf))]);
  expect(ob[0].messageId).toBe(messageIdFor(b[0].key));
  expect(ofPlan('gat-g')).toHaveLength(2);
});

test('the gather window comes from REVIEW_CYCLES_DIGEST_GATHER_MS; a bad value is refused with a sentence', async () => {
  const db = await testDb();
  const before = process.env.REVIEW_CYCLES_DIGEST_GATHER_MS;
  try {
    delete process.env.REVIEW_CYCLES_DIGEST_GATHER_MS;
    expect(createDbSentLog(db).gather?.gatherMs).toBe(1_500);
    process.env.REVIEW_CYCLES_DIGEST_GATHER_MS = '250';
    expect(createDbSentLog(db).gather?.gatherMs).toBe(250);
    process.env.REVIEW_CYCLES_DIGEST_GATHER_MS = '0';
    expect(createDbSentLog(db).gather).toBeUndefined();
    process.env.REVIEW_CYCLES_DIGEST_GATHER_MS = 'soon';
    expect(() => createDbSentLog(db)).toThrow('REVIEW_CYCLES_DIGEST_GATHER_MS="soon": must be a whole number of milliseconds (0 turns gathering across calls off)');
  } finally {
    if (before === undefined) delete process.env.REVIEW_CYCLES_DIGEST_GATHER_MS;
    else process.env.REVIEW_CYCLES_DIGEST_GATHER_MS = before;
  }
});
