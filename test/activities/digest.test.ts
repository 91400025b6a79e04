/**
 * Digests through the real notice activity, a real SMTP server (messages parsed back with mailparser) and the sent
 * log in a real PostgreSQL: one message per recipient per instant, its table and subject, its Message-ID from the
 * instant and the keys, stable over a retry and a crash mid-batch; keys sent before go out no second time.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSmtpMailer, messageIdFor, type Mailer } from '../../activities/index.js';
import type { OutgoingMessage } from '../../activities/mail/mailer.js';
import { digestMessageId } from '../../activities/notices/digest.js';
import { renderNotice } from '../../activities/notices/render.js';
import { createNoticeActivities, type SentNotice } from '../../activities/notices/send-notices.js';
import { newKeyring } from '../../security/keyring.js';
import { linkMaker } from '../../security/links.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import { noticeKeyText, type NoticeKey, type NoticeSpec } from '../../workflows/contract/notice.js';
import { testDb } from '../helpers/db.js';
import { useSmtpMailer, type SmtpSink } from '../helpers/smtp-sink.js';

const links = linkMaker('https://portal.example.org', newKeyring('kdig'));
const AT = '2030-03-21T01:00:00.000Z';
let sink: SmtpSink;
let mailer: Mailer;

useSmtpMailer((s, m) => {
  sink = s;
  mailer = m;
});

function spec(planId: string, taskId: string, unitId: string, over: Partial<NoticeSpec> & { kind?: NoticeKey['kind']; number?: number } = {}): NoticeSpec {
  const { kind = 'request', number = 1, ...rest } = over;
  return {
    key: { planId, taskId, unitId, period: '2030-Q1', kind, number },
    at: AT,
    to: [`${unitId}@example.org`],
    cc: [],
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: 'Plan <2030>',
    taskTitle: `Task ${taskId}`,
    unitName: `Unit ${unitId}`,
    dueDay: '2030-04-08',
    deadline: '2030-04-08T16:00:00.000Z',
    next: null,
    ...rest,
  };
}
const keyOf = (s: NoticeSpec) => noticeKeyText(s.key);
const ofPlan = (planId: string) => sink.messages.filter((m) => String(m.headers.get('x-review-cycles-at') ?? '') && (m.subject.startsWith(`[${planId}]`)));

async function activity(planId: string, over: { mailer?: Mailer } = {}) {
  const db = await testDb();
  const sent: SentNotice[] = [];
  const deps = { mailer: over.mailer ?? mailer, sentLog: createDbSentLog(db), from: 'hq-robot@example.org', links, onSent: (n: SentNotice) => sent.push(n) };
  return { db, sent, deps, ...createNoticeActivities(deps), rows: () => storedNotices(db, planId) };
}

test("one unit's requests of one instant: one digest with a table, a subject that counts them, each link and each .ics", async () => {
  const a = await activity('dig-a');
  const batch = [spec('dig-a', 't1', 'north'), spec('dig-a', 't2', 'north'), spec('dig-a', 't3', 'north'), spec('dig-a', 't1', 'south')];
  const outcomes = await a.sendNotices({ at: AT, notices: batch });
  const messages = ofPlan('dig-a');
  expect(messages).toHaveLength(2);
  const digestId = digestMessageId(AT, batch.slice(0, 3).map(keyOf));
  const digest = messages.find((m) => m.to.includes('north@example.org'))!;
  expect(digest.messageId).toBe(digestId);
  expect(digest.subject).toBe('[dig-a] 3 report requests for 2030-Q1, due 2030-04-08');
  const text = digest.parsed.text ?? '';
  for (const t of ['t1', 't2', 't3']) expect(text).toContain(`. Task ${t} (${t})\n   Quarter: 2030-Q1; Notice: Report request; Due day: 2030-04-08; Lateness: due in 18 days\n   Submit your report: https://portal.example.org/r/`);
  // Three different report links, one unit page and one calendar feed link for the unit.
  expect(new Set(text.match(/\/r\/[\w.-]+/g)).size).toBe(3);
  expect(text.match(/All your unit's reports of the plan: /g)).toHaveLength(1);
  const html = String(digest.parsed.html);
  expect(html.match(/<tr>/g)).toHaveLength(4);
  expect(html).toContain('<th align="left">Lateness</th>');
  expect(html).toContain('Plan &lt;2030&gt;');
  expect(digest.parsed.attachments.map((x) => x.filename).sort()).toEqual(['t1-2030-Q1.ics', 't2-2030-Q1.ics', 't3-2030-Q1.ics']);
  // The lone notice goes out exactly as before: its own Message-ID, subject and body.
  const single = messages.find((m) => m.to.includes('south@example.org'))!;
  expect(single.messageId).toBe(messageIdFor(batch[3].key));
  expect(single.subject).toBe(renderNotice(batch[3], links).subject);
  expect(single.parsed.text?.trim()).toBe(renderNotice(batch[3], links).text.trim());
  // Every notice keeps its own outcome and sent-log row; the digest's rows share its Message-ID.
  expect(outcomes.map((o) => o.messageId)).toEqual([digestId, digestId, digestId, single.messageId]);
  const rows = await a.rows();
  expect(rows.map((r) => [r.keyText, r.messageId, r.status])).toEqual(
    [...batch.map(keyOf).slice(0, 3).map((k) => [k, digestId, 'sent']), [keyOf(batch[3]), single.messageId, 'sent']].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
  );
  expect(a.sent.map((n) => n.messageId)).toEqual(outcomes.map((o) => o.messageId));
  // A retry of the same batch builds the same digest and finds it sent: nothing goes out again.
  const before = sink.messages.length;
  expect(await a.sendNotices({ at: AT, notices: batch })).toEqual(outcomes);
  expect(sink.messages.length).toBe(before);
});

test('mixed kinds to a leader (unit in cc): the subject counts each kind; Chinese digests read in Chinese', async () => {
  const a = await activity('dig-b');
  const toLeader = { to: ['leader@example.org'], cc: ['north@example.org'], kind: 'escalation' as const };
  const batch = [
    spec('dig-b', 't1', 'north', toLeader),
    spec('dig-b', 't2', 'north', toLeader),
    spec('dig-b', 't3', 'north', { ...toLeader, kind: 'reminder', number: 2 }),
    spec('dig-b', 't4', 'north', { ...toLeader, at: '2030-04-11T01:00:00.000Z' }),
  ];
  await a.sendNotices({ at: AT, notices: batch.slice(0, 3) });
  const [mixed] = ofPlan('dig-b');
  expect(mixed.subject).toBe('[dig-b] 3 notices (2 escalations, 1 reminder) for 2030-Q1, due 2030-04-08');
  expect(mixed.parsed.text).toContain('Notice: Escalation level 1');
  expect(mixed.parsed.text).toContain('Notice: Reminder 2');
  expect(mixed.headers.get('x-review-cycles-kind')).toBe('digest');
  const zh = await activity('dig-c');
  const late = '2030-04-11T01:00:00.000Z';
  await zh.sendNotices({ at: late, notices: ['t1', 't2'].map((t) => spec('dig-c', t, 'north', { locale: 'zh-CN', at: late, kind: 'reminder', number: 3 })) });
  const [cn] = ofPlan('dig-c');
  expect(cn.subject).toBe('[dig-c] 2项催报提醒（2030年第1季度），截止日期2030年4月8日');
  expect(cn.parsed.text).toContain('通知：第3次提醒；截止日期：2030年4月8日；逾期情况：已逾期3天');
  expect(String(cn.parsed.html)).toContain('<th align="left">逾期情况</th>');
});

test('a crash cut the digest hand-over: the retry sends the same digest under the same Message-ID', async () => {
  let calls = 0;
  // The first hand-over reaches the server but its answer is lost (a worker killed mid-batch).
  const cutting: Mailer = {
    async send(m: OutgoingMessage) {
      const r = await mailer.send(m);
      if (++calls === 1) throw Object.assign(new Error('socket closed after DATA'), { code: 'ECONNECTION' });
      return r;
    },
    close: async () => {},
  };
  const a = await activity('dig-d', { mailer: cutting });
  const batch = [spec('dig-d', 't1', 'north'), spec('dig-d', 't2', 'north')];
  await expect(a.sendNotices({ at: AT, notices: batch })).rejects.toThrow(/socket closed/);
  const id = digestMessageId(AT, batch.map(keyOf));
  expect((await a.rows()).map((r) => [r.messageId, r.status, r.attempts])).toEqual([[id, 'sending', 1], [id, 'sending', 1]]);
  const outcomes = await a.sendNotices({ at: AT, notices: batch });
  expect(outcomes.map((o) => [o.status, o.messageId])).toEqual([['sent', id], ['sent', id]]);
  expect(ofPlan('dig-d').map((m) => m.messageId)).toEqual([id, id]); // a duplicate the receiver de-duplicates on
  expect((await a.rows()).map((r) => [r.messageId, r.status, r.attempts])).toEqual([[id, 'sent', 2], [id, 'sent', 2]]);
});

test('keys an earlier attempt sent or claimed on their own keep their outcome or Message-ID; the rest make one digest', async () => {
  const a = await activity('dig-e');
  const [s1, s2, s3, s4] = ['t1', 't2', 't3', 't4'].map((t) => spec('dig-e', t, 'north'));
  // t1 went out alone before; t2 was claimed alone (as the code before digests did) and its hand-over was cut.
  await a.sendNotices({ at: AT, notices: [s1] });
  await a.deps.sentLog.add({ messageId: messageIdFor(s2.key), status: 'sending', notice: { planId: 'dig-e', keyText: keyOf(s2), kind: 'request', at: AT, to: s2.to, cc: [], subject: 'old' } });
  const outcomes = await a.sendNotices({ at: AT, notices: [s1, s2, s3, s4] });
  const rest = digestMessageId(AT, [keyOf(s3), keyOf(s4)]);
  expect(outcomes.map((o) => o.messageId)).toEqual([messageIdFor(s1.key), messageIdFor(s2.key), rest, rest]);
  expect(ofPlan('dig-e').map((m) => [m.messageId, m.subject])).toEqual([
    [messageIdFor(s1.key), renderNotice(s1, links).subject],
    [messageIdFor(s2.key), renderNotice(s2, links).subject],
    [rest, '[dig-e] 2 report requests for 2030-Q1, due 2030-04-08'],
  ]);
  // Deterministic: the same batch again finds every key sent, under the same Message-IDs.
  expect(await a.sendNotices({ at: AT, notices: [s1, s2, s3, s4] })).toEqual(outcomes);
  expect(ofPlan('dig-e')).toHaveLength(3);
  expect((await a.rows()).map((r) => [r.keyText, r.messageId, r.status])).toEqual([
    [keyOf(s1), messageIdFor(s1.key), 'sent'], [keyOf(s2), messageIdFor(s2.key), 'sent'], [keyOf(s3), rest, 'sent'], [keyOf(s4), rest, 'sent'],
  ]);
});

test('digest: false keeps one message per notice, each under its own Message-ID', async () => {
  const a = await activity('dig-f');
  const batch = [spec('dig-f', 't1', 'north'), spec('dig-f', 't2', 'north')];
  const outcomes = await a.sendNotices({ at: AT, notices: batch, digest: false });
  expect(outcomes.map((o) => o.messageId)).toEqual(batch.map((s) => messageIdFor(s.key)));
  expect(ofPlan('dig-f').map((m) => m.subject)).toEqual(batch.map((s) => renderNotice(s, links).subject));
});
