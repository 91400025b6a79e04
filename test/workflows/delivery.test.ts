/**
 * Delivery across activity retries, permanent refusals, and a mail server that is down for a while, over the
 * database's sent log: a notice is handed over once, except when a crash cut its hand-over; then it is sent again
 * under the same Message-ID (at least once), which receivers de-duplicate on.
 */
import { testActivities } from '../helpers/activities.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/index.js';
import { liveStatus } from '../../client/live.js';
import { startPlan } from '../../client/plans.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import { testDb } from '../helpers/db.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { yearPlan } from '../fixtures/plans.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { recordHistories } from '../helpers/histories.js';

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
// Each test rehearses the same quarter, so each gets a server whose clock starts before it.
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

// One message per notice, so that each count below is a count of notices (digests under crashes: activities/digest.test.ts).
const q1Plan = (id: string) => yearPlan(id, { end: '2030-03-31', delivery: { digest: false } });
// Q1 of the year plan: request 03-21, reminders 04-04 and 04-08, escalations 04-11 and 04-18 (09:00 +08:00).
const afterQ1 = Date.parse('2030-04-19T00:00:00Z');

let db: pg.Pool;
async function runQ1(id: string, mailer: Mailer, onSent?: () => void) {
  const plan = q1Plan(id);
  const taskQueue = uniqueQueue(id);
  db = await testDb();
  const worker = await testWorker(env, {
    taskQueue,
    activities: testActivities({ db, mailer, sentLog: createDbSentLog(db), from: 'hq-robot@example.org', onSent }),
  });
  return worker.runUntil(async () => {
    await startPlan(env.client, plan, taskQueue);
    await env.sleep(afterQ1 - (await env.currentTimeMs()));
    return liveStatus(env.client, plan.id);
  });
}

const attemptsOf = async (workflowId: string) => {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
};

test('an attempt that dies after some messages went out is retried without sending any twice', async () => {
  const real = createSmtpMailer(sink.url);
  let sends = 0;
  let crashed = false;
  // The worker dies right after the second message was accepted by the server and logged as sent.
  const dying: Mailer = {
    async send(m) {
      const r = await real.send(m);
      sends++;
      return r;
    },
    close: () => real.close(),
  };
  const before = sink.messages.length;
  const status = await runQ1('retry-2030', dying, () => {
    if (sends === 2 && !crashed) {
      crashed = true;
      throw new Error('worker crashed');
    }
  });
  await real.close();
  const mine = sink.messages.slice(before);
  // Nobody answers: per unit 1 request, 2 reminders, 2 escalation levels.
  expect(mine).toHaveLength(3 * 5);
  expect(new Set(mine.map((m) => m.messageId)).size).toBe(mine.length);
  expect(crashed).toBe(true);
  expect(Math.max(...(await attemptsOf(groupWorkflowId('retry-2030', 0))))).toBeGreaterThanOrEqual(2);
  const silent = status.tasks[0].units.find((u) => u.unitId === 'silent')!.periods[0];
  expect(silent).toMatchObject({ state: 'escalated', reminders: 2, escalations: 2, deliveryIssues: [] });
  // The retried attempt found the first two in the shared log as sent and claimed the rest of the batch again (the
  // third request: claimed twice, handed over once); every other notice was claimed once.
  const notices = await storedNotices(db, 'retry-2030');
  expect(notices.every((n) => n.status === 'sent')).toBe(true);
  const again = notices.filter((n) => n.attempts > 1);
  expect(again.map((n) => [n.kind, n.attempts])).toEqual([['request', 2]]);
  expect(mine.filter((m) => m.messageId === again[0].messageId)).toHaveLength(1);
});

test('a connection lost while handing a message over is sent again under the same Message-ID: the only duplicate', async () => {
  const real = createSmtpMailer(sink.url);
  let sends = 0;
  let cutId = '';
  // The server accepts the second message, but its answer never reaches us: the log keeps it at `sending`.
  const lossy: Mailer = {
    async send(m) {
      const r = await real.send(m);
      if (++sends === 2) {
        cutId = m.messageId;
        throw Object.assign(new Error('socket closed after DATA'), { code: 'ECONNECTION' });
      }
      return r;
    },
    close: () => real.close(),
  };
  const before = sink.messages.length;
  const status = await runQ1('lossy-2030', lossy);
  await real.close();
  const mine = sink.messages.slice(before);
  // 15 notices; the cut one arrived twice, under one Message-ID; nothing else twice.
  expect(mine).toHaveLength(3 * 5 + 1);
  expect(new Set(mine.map((m) => m.messageId)).size).toBe(3 * 5);
  const counts = new Map<string, number>();
  for (const m of mine) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1)).toEqual([[cutId, 2]]);
  // The resent message is the same message: same subject and recipients.
  const copies = mine.filter((m) => m.messageId === cutId);
  expect(copies[1].subject).toBe(copies[0].subject);
  expect(copies[1].to).toEqual(copies[0].to);
  // Delivered in the end: no delivery issue, and the notice is recorded as sent after two hand-overs.
  for (const u of status.tasks[0].units) expect(u.periods[0].deliveryIssues, u.unitId).toEqual([]);
  const notices = await storedNotices(db, 'lossy-2030');
  expect(notices).toHaveLength(3 * 5);
  // The retry claimed what the cut attempt had not finished: the cut message and the one after it in its batch.
  const again = notices.filter((n) => n.attempts !== 1);
  expect(again.map((n) => n.messageId)).toContain(cutId);
  expect(again.map((n) => [n.kind, n.status, n.attempts])).toEqual(again.map(() => ['request', 'sent', 2]));
  expect(notices.every((n) => n.status === 'sent')).toBe(true);
});

test('a crash before a hand-over began sends nothing twice', async () => {
  const real = createSmtpMailer(sink.url);
  let calls = 0;
  // The third hand-over fails before the server takes the message: the attempt is retried, nothing doubled.
  const flaky: Mailer = {
    async send(m) {
      if (++calls === 3) throw new Error('worker lost its network before connecting');
      return real.send(m);
    },
    close: () => real.close(),
  };
  const before = sink.messages.length;
  await runQ1('flaky-2030', flaky);
  await real.close();
  const mine = sink.messages.slice(before);
  expect(mine).toHaveLength(3 * 5);
  expect(new Set(mine.map((m) => m.messageId)).size).toBe(3 * 5);
});

test('an address refused for good is recorded in the status and the cycle goes on', async () => {
  sink.refuse.add('late@example.org');
  sink.refuse.add('silent-office@example.org');
  const real = createSmtpMailer(sink.url);
  const before = sink.messages.length;
  const status = await runQ1('refused-2030', real);
  await real.close();
  sink.refuse.clear();
  const unit = (id: string) => status.tasks[0].units.find((u) => u.unitId === id)!.periods[0];
  // late@ is the late unit's only address: its request and reminders are refused; its escalation to l1 still goes
  // (with late@ in cc refused: recorded too), and so does level 2 to headquarters.
  expect(unit('late').deliveryIssues.map((r: { kind: string; number: number }) => `${r.kind}${r.number}`)).toEqual(['request1', 'reminder1', 'reminder2', 'escalation1']);
  expect(unit('late').deliveryIssues[3].reason).toBe('refused recipients: late@example.org');
  expect(unit('late').deliveryIssues[0].reason).toMatch(/550|unavailable/);
  expect(unit('late')).toMatchObject({ reminders: 0, escalations: 2, state: 'escalated' });
  // silent has two addresses: one refused, the other reached; the refusal is still recorded.
  expect(unit('silent').deliveryIssues[0].reason).toContain('silent-office@example.org');
  expect(unit('silent')).toMatchObject({ reminders: 2, escalations: 2 });
  const mine = sink.messages.slice(before);
  expect(mine.some((m) => m.to.includes('l1@example.org') && m.cc.includes('late@example.org'))).toBe(true);
  // The notices table says the same: refused for good, never retried; the escalation sent with late@ rejected.
  const late = (await storedNotices(db, 'refused-2030')).filter((n) => n.unitId === 'late');
  expect(late.map((n) => `${n.kind}${n.number}:${n.status}:${n.attempts}`)).toEqual(['request1:refused:1', 'reminder1:refused:1', 'reminder2:refused:1', 'escalation1:sent:1', 'escalation2:sent:1']);
  expect(late[3].rejected).toEqual(['late@example.org']);
  await recordHistories(env.client, [groupWorkflowId('refused-2030', 0)], 'refused');
});

test('a mail server that is down is retried with backoff until it is back, and delivers once', async () => {
  const down = createSmtpMailer('smtp://127.0.0.1:9'); // nothing listens on the discard port here
  const up = createSmtpMailer(sink.url);
  let failures = 0;
  const recovering: Mailer = {
    async send(m) {
      if (failures < 3) {
        try {
          return await down.send(m);
        } catch (err) {
          failures++;
          throw err;
        }
      }
      return up.send(m);
    },
    async close() {
      await down.close();
      await up.close();
    },
  };
  const before = sink.messages.length;
  await runQ1('down-2030', recovering);
  await recovering.close();
  expect(failures).toBe(3);
  const mine = sink.messages.slice(before);
  expect(mine).toHaveLength(15);
  expect(new Set(mine.map((m) => m.messageId)).size).toBe(15);
  expect(Math.max(...(await attemptsOf(groupWorkflowId('down-2030', 0))))).toBe(4);
});
