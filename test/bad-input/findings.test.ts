/**
 * Bad finding actions, through the client (as the CLI and the portal send them) and as Updates sent directly to the
 * findings workflow: each is refused with its located, typed refusal, fails no workflow task and changes nothing
 * (the workflow's history length, its records and the database's finding rows are compared before and after).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { actOnFinding, extendFinding } from '../../client/findings.js';
import { startPlan, UserError, type Engine } from '../../client/plans.js';
import { extendFindingUpdate, findingActionUpdate, findingRecordsQuery, findingsProgressQuery } from '../../workflows/contract/messages.js';
import { findingsWorkflowId } from '../../workflows/contract/ids.js';
import { isRefusalList, type RefusalCode } from '../../workflows/contract/refusals.js';
import { yearPlan } from '../fixtures/plans.js';
import { testActivities } from '../helpers/activities.js';
import { testDb } from '../helpers/db.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { engineOf, recordedPlan, sleepUntil } from '../workflows/support.js';

const plan = yearPlan('bad-findings-2030', {
  inspections: {
    rounds: [
      {
        id: 'r1',
        title: 'Round one',
        feedbackDay: '2030-04-03',
        findings: [
          { id: 'f1', title: 'Approvals overdue', unit: 'ontime', verifier: 'late', recheckAfterDays: 30 },
          { id: 'f2', title: 'Not yet', unit: 'late' },
        ],
      },
      { id: 'r2', title: 'Round two', feedbackDay: '2030-09-02', findings: [{ id: 'f3', title: 'Later', unit: 'silent' }] },
    ],
  },
});
const workflowId = findingsWorkflowId(plan.id, 0);
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: pg.Pool;
let engine: Engine;

const good = { requestId: 'x', findingId: 'f1', actor: 'ontime', action: 'claim', evidence: 'Rectified.' };
const long = (n: number) => 'a'.repeat(n);

/** [what, the action, the refusal codes expected (each with its field)]. */
const listed: [string, Record<string, unknown>, [string, RefusalCode][]][] = [
  ['no evidence', { ...good, evidence: undefined }, [['evidence', 'noEvidence']]],
  ['blank evidence', { ...good, evidence: ' \n\t ' }, [['evidence', 'noEvidence']]],
  ['invisible-only evidence', { ...good, evidence: '\u200B\u2060' }, [['evidence', 'noEvidence']]],
  ['evidence with an RTL override', { ...good, evidence: 'done \u202E txet' }, [['evidence', 'noEvidence']]],
  ['evidence with NUL', { ...good, evidence: 'done\u0000' }, [['evidence', 'noEvidence']]],
  ['evidence with a lone surrogate', { ...good, evidence: 'done \uD800' }, [['evidence', 'noEvidence']]],
  ['evidence too long', { ...good, evidence: long(20_001) }, [['evidence', 'noEvidence']]],
  ['evidence of the wrong type', { ...good, evidence: 42 }, [['evidence', 'noEvidence']]],
  ['a link that is not http', { ...good, links: ['javascript:alert(1)'] }, [['links.0', 'invalid']]],
  ['a link with spaces', { ...good, links: ['https://example.org/a b'] }, [['links.0', 'invalid']]],
  ['too many links', { ...good, links: Array.from({ length: 21 }, (_, i) => `https://example.org/${i}`) }, [['links', 'invalid']]],
  ['links not a list', { ...good, links: 'https://example.org' }, [['links', 'invalid']]],
  ['an unknown action', { ...good, action: 'close' }, [['action', 'invalid']]],
  ['no action', { ...good, action: undefined }, [['action', 'invalid']]],
  ['an unknown field', { ...good, owner: 'me' }, [['owner', 'invalid']]],
  ['an empty finding id', { ...good, findingId: '' }, [['findingId', 'invalid']]],
  ['a finding id with a line break', { ...good, findingId: 'f1\nf2' }, [['findingId', 'invalid']]],
  ['an empty actor', { ...good, actor: '' }, [['actor', 'invalid']]],
  ['a request id too long', { ...good, requestId: long(129) }, [['requestId', 'invalid']]],
  ['a signature with a zero-width space', { ...good, by: 'Li\u200BWei' }, [['by', 'invalid']]],
  ['a note left empty', { requestId: 'x', findingId: 'f1', actor: 'ontime', action: 'progress', note: '' }, [['note', 'invalid']]],
  ['a rejection without a reason', { requestId: 'x', findingId: 'f1', actor: 'late', action: 'reject' }, [['reason', 'noReason']]],
  ['a rejection with a blank reason', { requestId: 'x', findingId: 'f1', actor: 'late', action: 'reject', reason: '   ' }, [['reason', 'noReason']]],
  ['a re-check answer that is neither pass nor reopen', { requestId: 'x', findingId: 'f1', actor: 'late', action: 'recheck', result: 'maybe' }, [['result', 'invalid']]],
  ['an unknown finding', { ...good, findingId: 'f9' }, [['findingId', 'unknownFinding']]],
  ["another unit's finding", { ...good, actor: 'late' }, [['actor', 'wrongActor']]],
  ['headquarters claiming', { ...good, actor: 'headquarters' }, [['actor', 'wrongActor']]],
  ['the responsible unit deciding its own claim', { requestId: 'x', findingId: 'f1', actor: 'ontime', action: 'accept' }, [['actor', 'wrongActor']]],
  ['another unit deciding', { requestId: 'x', findingId: 'f1', actor: 'silent', action: 'accept' }, [['actor', 'wrongActor']]],
  ['a decision with no claim', { requestId: 'x', findingId: 'f1', actor: 'late', action: 'accept' }, [['action', 'findingWrongState']]],
  ['a re-check before any closure', { requestId: 'x', findingId: 'f1', actor: 'late', action: 'recheck', result: 'pass' }, [['action', 'recheckNotDue']]],
  ['a claim before the finding is assigned', { ...good, findingId: 'f3', actor: 'silent' }, [['findingId', 'findingNotAssigned']]],
  ['a stamp in the future', { ...good, receivedAt: '2031-01-01T00:00:00Z' }, [['receivedAt', 'receivedInFuture']]],
  ['a stamp long past', { ...good, receivedAt: '2030-01-01T00:00:00Z' }, [['receivedAt', 'arrivedTooLate']]],
  ['a stamp that is not an instant', { ...good, receivedAt: 'yesterday' }, [['receivedAt', 'invalid']]],
  ["a note reusing another unit's request id on its finding", { requestId: 'taken', findingId: 'f2', actor: 'ontime', action: 'progress', note: 'Mine.' }, [['actor', 'wrongActor']]],
];
// Each case has its own request id (one left over from an applied action would be answered as a repeat).
const cases = listed.map(([what, input, expected], i): [string, Record<string, unknown>, [string, RefusalCode][]] => [what, { ...input, ...(input.requestId === 'x' ? { requestId: `bad-${i}` } : {}) }, expected]);
const extension = { requestId: 'x', findingId: 'f1', until: '2030-07-01', reason: 'Flooded archive.' };
/** Bad extensions of a finding's deadline by headquarters (f1 is due Mon 06-03: 04-03 + 60 days, Sun, moved forward). */
const extensionList: [string, Record<string, unknown>, [string, RefusalCode][]][] = [
  ['an extension without a day', { ...extension, until: undefined }, [['until', 'invalid']]],
  ['an extension to a day written otherwise', { ...extension, until: '01/07/2030' }, [['until', 'invalid']]],
  ['an extension to a day not in the calendar', { ...extension, until: '2030-02-30' }, [['until', 'invalid']]],
  ['an extension without a reason', { ...extension, reason: undefined }, [['reason', 'invalid']]],
  ['an extension with a blank reason', { ...extension, reason: ' \u200B\n' }, [['reason', 'invalid']]],
  ['an extension with a reason too long', { ...extension, reason: long(2_001) }, [['reason', 'invalid']]],
  ['an extension with an unknown field', { ...extension, actor: 'headquarters' }, [['actor', 'invalid']]],
  ['an extension with a signature of two lines', { ...extension, by: 'Li\nWei' }, [['by', 'invalid']]],
  ['an extension of no finding', { ...extension, findingId: '' }, [['findingId', 'invalid']]],
  ['an extension of an unknown finding', { ...extension, findingId: 'f9' }, [['findingId', 'unknownFinding']]],
  ['an extension of a finding not assigned yet', { ...extension, findingId: 'f3' }, [['findingId', 'findingNotAssigned']]],
  ['an extension to a day that moves to the current deadline day', { ...extension, until: '2030-06-02' }, [['until', 'notLaterDeadline']]],
  ['an extension to a day before the current deadline day', { ...extension, until: '2030-05-01' }, [['until', 'notLaterDeadline']]],
  ['an extension beyond the most kept', { ...extension, findingId: 'f2' }, [['requestId', 'tooManyFindingExtensions']]],
];
const extensionCases = extensionList.map(([what, input, expected], i): [string, Record<string, unknown>, [string, RefusalCode][]] => [what, { ...input, requestId: `bad-ext-${i}` }, expected]);
// The client stamps every action itself (a caller's receivedAt is replaced): stamps are only sent directly.
const viaClient = cases.filter(([, input]) => !('receivedAt' in input) || input.receivedAt === 'yesterday');

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await testDb();
  engine = engineOf(env, db);
  const taskQueue = uniqueQueue('bad-findings');
  worker = await testWorker(env, { taskQueue, activities: testActivities({ db }) });
  running = worker.run();
  await startPlan(env.client, plan, taskQueue);
  await recordedPlan(db, plan.id);
  // Past f1's and f2's assignment (Wed 04-03 09:00 local), before f3's.
  await sleepUntil(env, '2030-04-05T04:00:00Z');
  for (;;) {
    const records = await env.client.workflow.getHandle(workflowId).query(findingRecordsQuery);
    if (records.f1 && records.f2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // f2's unit progresses under request id "taken": another unit reusing it is not a repeat.
  await actOnFinding(engine, plan.id, { requestId: 'taken', findingId: 'f2', actor: 'late', action: 'progress', note: 'Started.' });
  // f2 gets as many extensions as are kept: one more is refused.
  for (let i = 0; i < 10; i++) {
    const monday = new Date(Date.parse('2030-07-01T00:00:00Z') + i * 7 * 86_400_000).toISOString().slice(0, 10);
    await extendFinding(engine, plan.id, { requestId: `kept-${i}`, findingId: 'f2', until: monday, reason: `Extension ${i + 1}.` });
  }
  // Their notices go out at once: wait until the workflow has sent them, so that every snapshot is of a quiet workflow.
  const now = await env.currentTimeMs();
  for (;;) {
    const p = await env.client.workflow.getHandle(workflowId).query(findingsProgressQuery);
    if (!p.busy && (p.next === null || p.next > now)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function snapshot() {
  const handle = env.client.workflow.getHandle(workflowId);
  const progress = await handle.query(findingsProgressQuery);
  const records = await handle.query(findingRecordsQuery);
  // The time-skipping server records the workflow task that ran a rejected Update's validator (a real server drops
  // it); every other event counts, and no workflow task may fail.
  const events = (await handle.fetchHistory()).events ?? [];
  const failed = events.filter((e) => e.workflowTaskFailedEventAttributes).length;
  const history = events.filter((e) => !e.workflowTaskScheduledEventAttributes && !e.workflowTaskStartedEventAttributes && !e.workflowTaskCompletedEventAttributes).length;
  const rows = await db.query('SELECT (SELECT count(*) FROM finding_actions WHERE plan_id = $1) AS actions, (SELECT coalesce(sum(version), 0) FROM finding_records WHERE plan_id = $1) AS versions, (SELECT count(*) FROM finding_extensions WHERE plan_id = $1) AS extensions', [plan.id]);
  return { progress, records, history, failed, rows: rows.rows[0] };
}

const refusalsOf = (err: unknown) => {
  if (err instanceof UserError) return err.refusals;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && isRefusalList(err.cause.details?.[0])) return err.cause.details[0];
  throw err;
};

describe('bad finding actions change nothing', () => {
  test.each(viaClient)('through the client: %s', async (_what, input, expected) => {
    const before = await snapshot();
    const err = await actOnFinding({ ...engine, stampArrival: false }, plan.id, input).then(() => undefined, (e) => e);
    expect(err, 'refused').toBeDefined();
    const refusals = refusalsOf(err);
    expect(refusals.map((r) => [r.field, r.code])).toEqual(expected);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(await snapshot()).toEqual(before);
  });

  test.each(cases)('as an Update sent directly: %s', async (_what, input, expected) => {
    const before = await snapshot();
    const handle = env.client.workflow.getHandle(workflowId);
    const err = await handle.executeUpdate(findingActionUpdate, { args: [input as never] }).then(() => undefined, (e) => e);
    expect(err, 'refused').toBeInstanceOf(WorkflowUpdateFailedError);
    expect(refusalsOf(err).map((r: { field: string; code: string }) => [r.field, r.code])).toEqual(expected);
    // Refused in the validator: no update, command or signal reaches the history, no workflow task fails.
    expect(await snapshot()).toEqual(before);
  });
});

describe('bad extensions of a finding change nothing', () => {
  test.each(extensionCases)('through the client: %s', async (_what, input, expected) => {
    const before = await snapshot();
    const err = await extendFinding(engine, plan.id, input as never).then(() => undefined, (e) => e);
    expect(err, 'refused').toBeInstanceOf(UserError);
    expect(refusalsOf(err).map((r) => [r.field, r.code])).toEqual(expected);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(await snapshot()).toEqual(before);
  });

  test.each(extensionCases)('as an Update sent directly: %s', async (_what, input, expected) => {
    const before = await snapshot();
    const err = await env.client.workflow.getHandle(workflowId).executeUpdate(extendFindingUpdate, { args: [input as never] }).then(() => undefined, (e) => e);
    expect(err, 'refused').toBeInstanceOf(WorkflowUpdateFailedError);
    expect(refusalsOf(err).map((r: { field: string; code: string }) => [r.field, r.code])).toEqual(expected);
    expect(await snapshot()).toEqual(before);
  });
});
