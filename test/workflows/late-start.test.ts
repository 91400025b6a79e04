/**
 * Starting a plan late: a quarter whose due day ended is not tracked; one whose request moment passed gets its
 * request at once, and the reminders already in the past are skipped. The plan is built around the server's clock.
 */
import { testActivities } from '../helpers/activities.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDiscardMailer, createMemorySentLog, type SentNotice } from '../../activities/index.js';
import { liveStatus } from '../../client/live.js';
import { startPlan, submitReport } from '../../client/plans.js';
import { testDb } from '../helpers/db.js';
import { engineOf, recordedPlan } from './support.js';
import { addDays, dayDiff, localDateOf, periodOfDate, quarterBounds } from '../../workflows/calendar/index.js';
import { validPlan } from '../fixtures/plans.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { recordHistories } from '../helpers/histories.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('late start: past quarters untracked, the current request at once, past reminders skipped', async () => {
  const now = await env.currentTimeMs();
  const today = localDateOf(now, 'UTC');
  const quarter = (id: string) => ({ id, ...quarterBounds(id) });
  const current = quarter(periodOfDate(today));
  const previous = quarter(periodOfDate(addDays(current.first, -1)));
  const L = current.last;
  // Offsets chosen around today: the request day is 5 days ago; one reminder 2 days ago (in the past, skipped),
  // one on the due day (= the last day of the quarter, dueOffsetDays 0); an escalation the day after.
  const requestOffsetDays = dayDiff(L, addDays(today, -5));
  const pastReminder = dayDiff(L, addDays(today, -2));
  const plan = validPlan({
    id: 'late-start',
    title: 'Late start',
    timezone: 'UTC',
    start: previous.first,
    end: L,
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [{ id: 'l', name: 'Leader', email: 'l@example.org' }],
    units: [{ id: 'u', name: 'Unit', email: 'u@example.org', leader: 'l' }],
    aspects: [{ id: 'a', title: 'A' }],
    tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['u'] }],
    cadence: {
      sendTime: '23:59',
      requestOffsetDays,
      dueOffsetDays: 0,
      reminderDays: [pastReminder, 0],
      escalation: [{ afterDaysOverdue: 1, to: 'unitLeader' }],
    },
  });
  const sent: SentNotice[] = [];
  const taskQueue = uniqueQueue('late');
  const db = await testDb();
  const worker = await testWorker(env, {
    taskQueue,
    activities: testActivities({ db, mailer: createDiscardMailer(), sentLog: createMemorySentLog(), from: 'hq@example.org', onSent: (n) => sent.push(n) }),
  });
  await worker.runUntil(async () => {
    const startedAt = await env.currentTimeMs();
    await startPlan(env.client, plan, taskQueue);
    await recordedPlan(db, plan.id);
    await env.sleep(Date.parse(`${addDays(L, 1)}T23:59:00Z`) + 60_000 - (await env.currentTimeMs()));
    const status = await liveStatus(env.client, plan.id);
    const [prev, cur] = status.tasks[0].units[0].periods;
    expect(prev).toMatchObject({ period: previous.id, state: 'untracked', requestedAt: null });
    expect(cur).toMatchObject({ period: current.id, state: 'escalated', reminders: 1, escalations: 1 });
    const lines = sent.map((n) => [n.spec!.key.kind, n.spec!.key.number, n.spec!.key.period]);
    expect(lines).toEqual([
      ['request', 1, current.id],
      ['reminder', 2, current.id],
      ['escalation', 1, current.id],
    ]);
    // The request went out at once: at the plan's start, not at its (past) scheduled moment.
    expect(Date.parse(sent[0].spec!.at) - startedAt).toBeLessThan(60_000);
    expect(sent[0].spec!.at).not.toBe(`${addDays(today, -5)}T23:59:00.000Z`);
    expect(sent[1].spec!.at).toBe(`${L}T23:59:00.000Z`);
    expect(sent[2].spec!.at).toBe(`${addDays(L, 1)}T23:59:00.000Z`);
    await expect(
      submitReport(engineOf(env, db), plan.id, { requestId: 'x', taskId: 't', unitId: 'u', period: previous.id, status: 'on-track', summary: 's' }),
    ).rejects.toThrow(`period: ${previous.id} is not tracked: its due day had ended when the plan started`);
    await recordHistories(env.client, ['review-cycles:late-start:tasks-1'], 'late-start');
  });
});
