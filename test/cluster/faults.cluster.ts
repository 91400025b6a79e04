/**
 * Faults on the cluster, on the real clock: a plan whose current quarter's requests go out at once (one batch of
 * 400 request notices) runs with two worker processes on one task queue, while 400 reports are submitted (each
 * retried under its request id until it is accepted). Run three times: undisturbed; with the worker that holds the
 * batch killed with SIGKILL mid-batch and started again; with the cluster's history service killed with SIGKILL
 * mid-batch and started again by `cluster:up`. Every run must deliver each request under its one Message-ID (a second
 * copy only where the sent log shows the kill cut that hand-over), record each accepted submission once, and end in
 * the undisturbed run's status.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { messageIdFor } from '../../activities/notices/message-id.js';
import { awaitRecordedPlan, planStatus, startPlan, submitReport } from '../../client/plans.js';
import { livePlan, noticeRows, waitFor } from '../../scripts/faults/live.js';
import { killWorker, sleep, tally, type WorkerProcess } from '../../scripts/faults/support.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { busyQuery } from '../../workflows/contract/messages.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { clusterStack, runningCluster, runScript, type ClusterStack } from './support.js';

const UNITS = 400;
/** A fault comes once the SMTP server has taken this many of the batch's messages. */
const FAULT_AFTER = 15;
/** How long one request id may keep failing before the run counts it as a failed check. */
const GIVE_UP_MS = 120_000;
/** Callers submitting at once. */
const SUBMITTERS = 8;

/** One task of 400 units: a task larger than a group stands alone, so its requests are one batch. */
function planOf(id: string): { plan: Plan; current: string; units: string[] } {
  const { plan, current } = livePlan(id, { units: UNITS, tasks: 1, unitsPerTask: 1 });
  const units = plan.units.map((u) => u.id);
  const checked = checkPlan({ ...plan, tasks: [{ id: 't1', aspect: 'a', title: 'Task One', units }] });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return { plan: checked.plan, current, units };
}

interface RunOutcome {
  status: PlanStatus;
  /** Message-IDs expected, received (distinct), and copies beyond the first with the sent log's attempts. */
  expected: number;
  delivered: number;
  unexpected: number;
  duplicates: { messageId: string; attempts: number }[];
  /** Accepted submissions, and the revisions recorded for them by request id. */
  accepted: number;
  recordedOnce: number;
  missing: string[];
  recordedTwice: string[];
  /** Calls that failed and were sent again. */
  retries: number;
  faultNote: string;
  seconds: number;
}

type Fault = (stack: ClusterStack, workers: { current: WorkerProcess[] }, planId: string) => Promise<string>;

let stacks: ClusterStack[] = [];
let baseline: RunOutcome | undefined;

beforeAll(() => {
  runningCluster(); // a clear message at once when the cluster is not up
});

afterAll(async () => {
  for (const s of stacks) await s.close();
  stacks = [];
});

async function run(name: string, fault?: Fault): Promise<RunOutcome> {
  const t0 = Date.now();
  const stack = await clusterStack(name);
  stacks.push(stack);
  const planId = `cluster-${name}-${process.pid}-${Date.now()}`;
  const { plan, current, units } = planOf(planId);
  stack.track(plan);
  const workers = { current: [await stack.startWorker(`${name}-a`), await stack.startWorker(`${name}-b`)] };
  await startPlan(stack.client, plan, stack.taskQueue);
  expect(await awaitRecordedPlan(stack.db, planId, 30_000), 'a worker recorded the plan').toBe(true);

  // Submissions go on during the batch and the fault, from a few callers as a portal would send them: each retried
  // under its request id until accepted.
  const accepted = new Set<string>();
  const problems: string[] = [];
  let next = 0;
  let retries = 0;
  const submitter = async () => {
    for (let i = next++; i < units.length; i = next++) {
      const requestId = `${planId}-r${i}`;
      const began = Date.now();
      for (;;) {
        try {
          await submitReport(stack.engine, planId, { requestId, taskId: 't1', unitId: units[i], period: current, status: 'on-track', summary: `Report of ${units[i]}`, progress: i % 100 });
          accepted.add(requestId);
          break;
        } catch (err) {
          if (Date.now() - began > GIVE_UP_MS) {
            problems.push(`${requestId}: ${(err as Error).message.split('\n')[0]}`);
            break;
          }
          retries++;
          await sleep(500 + Math.floor(Math.random() * 500));
        }
      }
    }
  };
  const submitting = Promise.all(Array.from({ length: SUBMITTERS }, submitter));

  let faultNote = 'undisturbed';
  if (fault) {
    const reached = await waitFor(60_000, () => (stack.smtp.received.length >= FAULT_AFTER ? true : undefined), 5);
    expect(reached, `the batch reached ${FAULT_AFTER} messages`).toBe(true);
    faultNote = await fault(stack, workers, planId);
  }
  await submitting;
  expect(problems, 'submissions that never went through').toEqual([]);

  const expected = new Set(units.map((unitId) => messageIdFor({ planId, taskId: 't1', unitId, period: current, kind: 'request', number: 1 })));
  const allDelivered = await waitFor(120_000, () => ([...expected].every((id) => stack.smtp.received.some((r) => r.messageId === id)) ? true : undefined), 250);
  expect(allDelivered, `every request reached the SMTP server (${new Set(stack.smtp.received.map((r) => r.messageId)).size} of ${expected.size})`).toBe(true);
  const revisions = async () =>
    (await stack.db.query<{ request_id: string }>('SELECT request_id FROM report_revisions WHERE plan_id = $1', [planId])).rows.map((r) => r.request_id);
  const settled = await waitFor(120_000, async () => ((await revisions()).filter((id) => accepted.has(id)).length === accepted.size ? true : undefined), 500);
  expect(settled, 'every accepted submission is in the database').toBe(true);
  const group = stack.client.workflow.getHandle(groupWorkflowId(planId, 0));
  expect(await waitFor(60_000, async () => ((await group.query(busyQuery)) ? undefined : true), 500), 'the group is idle').toBe(true);
  await sleep(2_000); // a late second copy would arrive now

  const { distinct } = tally(stack.smtp.received);
  const log = new Map((await noticeRows(stack.db, planId)).map((r) => [r.messageId, r]));
  const recorded = await revisions();
  const counts = new Map<string, number>();
  for (const id of recorded) counts.set(id, (counts.get(id) ?? 0) + 1);
  return {
    status: await planStatus(stack.db, planId),
    expected: expected.size,
    delivered: [...distinct.keys()].filter((id) => expected.has(id)).length,
    unexpected: [...distinct.keys()].filter((id) => !expected.has(id)).length,
    duplicates: [...distinct].filter(([, copies]) => copies.length > 1).map(([messageId]) => ({ messageId, attempts: log.get(messageId)?.attempts ?? 0 })),
    accepted: accepted.size,
    recordedOnce: [...accepted].filter((id) => counts.get(id) === 1).length,
    missing: [...accepted].filter((id) => !counts.has(id)),
    recordedTwice: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    retries,
    faultNote,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** A status without what differs between two runs of the same plan: the plan id, the moments requests went out and reports arrived. */
function comparable(s: PlanStatus): unknown {
  const { planId: _, ...rest } = s;
  return JSON.parse(JSON.stringify(rest).replace(/"(submittedAt|requestedAt)":"[^"]+"/g, '"$1":"at"'));
}

/** The checks every run must pass, and its comparison with the undisturbed run. */
function check(o: RunOutcome): void {
  console.log(
    `${o.faultNote}: ${o.delivered}/${o.expected} requests delivered, ${o.duplicates.length} second copies, ` +
      `${o.recordedOnce}/${o.accepted} submissions recorded once (${o.retries} calls sent again), ${o.seconds.toFixed(1)} s`,
  );
  expect(o.delivered).toBe(o.expected);
  expect(o.unexpected).toBe(0);
  // A second copy only for a hand-over the fault cut: the sent log claimed that notice again (attempts > 1).
  for (const d of o.duplicates) expect(d.attempts, `${d.messageId} arrived twice though the log shows one attempt`).toBeGreaterThan(1);
  expect(o.duplicates.length).toBeLessThanOrEqual(1);
  expect(o.accepted).toBe(UNITS);
  expect(o.missing).toEqual([]);
  expect(o.recordedTwice).toEqual([]);
  expect(o.recordedOnce).toBe(o.accepted);
  const period = o.status.tasks[0].units.map((u) => u.periods[0]);
  expect(period.every((p) => p.state === 'submitted' && p.revisions === 1 && p.deliveryIssues.length === 0)).toBe(true);
  if (baseline && o !== baseline) expect(comparable(o.status)).toEqual(comparable(baseline.status));
}

test('undisturbed: two workers, every request delivered once, every submission recorded once', async () => {
  baseline = await run('calm');
  expect(baseline.duplicates).toEqual([]);
  check(baseline);
});

test('the worker holding the batch is killed with SIGKILL mid-batch and started again', async () => {
  expect(baseline, 'the undisturbed run passed').toBeDefined();
  const outcome = await run('worker-kill', async (stack, workers, planId) => {
    // The worker whose node process holds the pending sendNotices activity (its identity is `<pid>@<host>`).
    const group = stack.client.workflow.getHandle(groupWorkflowId(planId, 0));
    const holder = await waitFor(10_000, async () => {
      const send = ((await group.describe()).raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'sendNotices' && a.lastWorkerIdentity);
      return send ? Number(send.lastWorkerIdentity!.split('@')[0]) : undefined;
    }, 5);
    expect(holder, 'a worker holds the batch').toBeDefined();
    const victim = workers.current.find((w) => w.child.pid === holder || inGroupOf(holder!, w.child.pid!));
    expect(victim, `pid ${holder} is one of the two workers`).toBeDefined();
    const at = new Set(stack.smtp.received.map((r) => r.messageId)).size;
    await killWorker(victim!);
    expect(at).toBeLessThan(UNITS); // mid-batch
    workers.current = [...workers.current.filter((w) => w !== victim), await stack.startWorker('worker-kill-restarted')];
    return `worker SIGKILL at ${at}/${UNITS}`;
  });
  check(outcome);
});

test("the cluster's history service is killed with SIGKILL mid-batch and started again", async () => {
  expect(baseline, 'the undisturbed run passed').toBeDefined();
  const outcome = await run('history-kill', async (stack) => {
    const pid = stack.cluster.services.history;
    const at = new Set(stack.smtp.received.map((r) => r.messageId)).size;
    process.kill(pid, 'SIGKILL');
    await waitFor(10_000, () => (isGone(pid) ? true : undefined), 20);
    await sleep(2_000);
    const t = Date.now();
    const up = await runScript('scripts/cluster/up.ts');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('started: history');
    return `history SIGKILL at ${at}/${UNITS}, back after ${((Date.now() - t) / 1000).toFixed(1)} s`;
  });
  check(outcome);
});

/** Whether `pid` is in the process group led by `leader` (tsx runs the worker in a node child of its own). */
function inGroupOf(pid: number, leader: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === leader;
  } catch {
    return false;
  }
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
