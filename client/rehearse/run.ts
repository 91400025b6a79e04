/**
 * Runs a whole plan on the time-skipping test server with the real workflows and activities, units answering as
 * the behaviour says, and writes what the workflows really sent (notices.jsonl) and the final status (status.json).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkerOptions } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createActivities, createDiscardMailer, createMemorySentLog, type Mailer, type SentNotice } from '../../activities/index.js';
import { workflowsPath } from '../../worker/build.js';
import { installRuntime } from '../../worker/runtime.js';
import { busyQuery } from '../../workflows/contract/messages.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { cycleTimeline, allEvents } from '../../workflows/cycle/timeline.js';
import { planLayout, planStatus, startPlan, submitReport } from '../plans.js';
import { temporalTestServerPath } from '../temporal-binaries.js';
import { plannedSubmissions, type Behaviour } from './behaviour.js';

/** One line of notices.jsonl. */
export interface NoticeLine {
  at: string;
  kind: string;
  planId: string;
  taskId: string;
  unitId: string;
  period: string;
  level?: number;
  to: string[];
  cc: string[];
}

export interface RehearsalOptions {
  plan: Plan;
  behaviour: Behaviour;
  outDir: string;
  log?: (line: string) => void;
  /** A prebuilt workflow bundle (tests share one); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** An existing time-skipping environment (tests); otherwise one is started and torn down here. */
  env?: TestWorkflowEnvironment;
  /** The transport notices go through; by default each is built in full and discarded. */
  mailer?: Mailer;
}

export interface RehearsalResult {
  notices: NoticeLine[];
  status: PlanStatus;
  summary: string;
  rejected: string[];
}

const KIND_ORDER: Record<string, number> = { request: 0, reminder: 1, escalation: 2 };

/** Submissions sent at once at one instant (the server takes them concurrently). */
const CONCURRENT_SUBMISSIONS = 64;

/** Runs the rehearsal and writes its files into `outDir`. */
export async function rehearse(opts: RehearsalOptions): Promise<RehearsalResult> {
  const log = opts.log ?? (() => {});
  installRuntime();
  const { plan } = opts;
  const env = opts.env ?? (await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalTestServerPath() } } }));
  const mailer = opts.mailer ?? createDiscardMailer();
  const taskQueue = `rehearsal-${plan.id}-${Date.now()}`;
  const sent: { seq: number; n: SentNotice }[] = [];
  let seq = 0;
  try {
    const workflowBundle = opts.workflowBundle ?? { code: (await bundleWorkflowCode({ workflowsPath, logger: quiet })).code };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities: createActivities({ mailer, sentLog: createMemorySentLog(), from: 'rehearsal@review-cycles.invalid', onSent: (n) => sent.push({ seq: seq++, n }) }),
      maxConcurrentActivityTaskExecutions: 20,
    });
    const rejected: string[] = [];
    const status = await worker.runUntil(async () => {
      const startedAt = await env.currentTimeMs();
      const timeline = cycleTimeline(plan, startedAt);
      if (timeline.some((p) => !p.tracked)) {
        log(`note: the test server's clock starts at ${new Date(startedAt).toISOString()}; quarters whose due day ended before then are not tracked`);
      }
      const outcome = await startPlan(env.client, plan, taskQueue);
      if (!outcome.started) throw new Error(`plan ${plan.id} is already running on this server`);
      const layout = await planLayout(env.client, plan.id);
      const submissions = plannedSubmissions(plan, opts.behaviour).filter((s) => s.at >= startedAt);
      const lastNotice = Math.max(...allEvents(timeline).filter((e) => e.kind !== 'close' && e.kind !== 'deadline').map((e) => e.at), startedAt);
      const lastSubmission = submissions.length ? submissions[submissions.length - 1].at : startedAt;
      const end = Math.max(lastNotice, lastSubmission);
      let lastQuarter = '';
      for (let i = 0; i < submissions.length; ) {
        const at = submissions[i].at;
        const group = [];
        while (i < submissions.length && submissions[i].at === at) group.push(submissions[i++]);
        await advanceTo(env, at);
        const quarter = group[0].period;
        if (quarter !== lastQuarter) {
          log(`${new Date(at).toISOString()} ${quarter}: ${sent.length} notices so far`);
          lastQuarter = quarter;
        }
        for (let k = 0; k < group.length; k += CONCURRENT_SUBMISSIONS) {
          await Promise.all(
            group.slice(k, k + CONCURRENT_SUBMISSIONS).map(async (s) => {
              try {
                await submitReport(env.client, plan.id, {
                  requestId: `rehearsal:${s.taskId}:${s.unitId}:${s.period}`,
                  taskId: s.taskId,
                  unitId: s.unitId,
                  period: s.period,
                  status: s.answer.status,
                  summary: `Rehearsal report of ${s.unitId} on ${s.taskId} for ${s.period}.`,
                  ...(s.answer.progress !== undefined ? { progress: s.answer.progress } : {}),
                });
              } catch (err) {
                rejected.push(`${s.taskId}/${s.unitId}/${s.period} at ${new Date(s.at).toISOString()}: ${(err as Error).message}`);
              }
            }),
          );
        }
      }
      await advanceTo(env, end + 60_000);
      await waitIdle(env, layout.groups.map((g) => g.workflowId));
      return planStatus(env.client, plan.id);
    });
    const notices = sent
      .sort((a, b) => Date.parse(a.n.spec.at) - Date.parse(b.n.spec.at) || order(a.n, b.n, plan) || a.seq - b.seq)
      .map(({ n }) => toLine(n));
    await mkdir(opts.outDir, { recursive: true });
    await writeFile(join(opts.outDir, 'notices.jsonl'), notices.map((n) => JSON.stringify(n)).join('\n') + (notices.length ? '\n' : ''));
    await writeFile(join(opts.outDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
    const summary = summarize(plan, notices, status, rejected);
    return { notices, status, summary, rejected };
  } finally {
    if (!opts.mailer) await mailer.close();
    if (!opts.env) await env.teardown();
  }
}

async function advanceTo(env: TestWorkflowEnvironment, at: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (at > now) await env.sleep(at - now);
}

/** Waits until no group is handing notices to the mail activity. */
async function waitIdle(env: TestWorkflowEnvironment, workflowIds: string[]): Promise<void> {
  for (;;) {
    const busy = await Promise.all(workflowIds.map((id) => env.client.workflow.getHandle(id).query(busyQuery)));
    if (!busy.some(Boolean)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function order(a: SentNotice, b: SentNotice, plan: Plan): number {
  const ka = a.spec.key;
  const kb = b.spec.key;
  const taskIndex = (id: string) => plan.tasks.findIndex((t) => t.id === id);
  return (
    KIND_ORDER[ka.kind] - KIND_ORDER[kb.kind] ||
    (ka.period < kb.period ? -1 : ka.period > kb.period ? 1 : 0) ||
    ka.number - kb.number ||
    taskIndex(ka.taskId) - taskIndex(kb.taskId) ||
    plan.tasks[taskIndex(ka.taskId)].units.indexOf(ka.unitId) - plan.tasks[taskIndex(kb.taskId)].units.indexOf(kb.unitId)
  );
}

function toLine(n: SentNotice): NoticeLine {
  const k = n.spec.key;
  return {
    at: n.spec.at,
    kind: k.kind,
    planId: k.planId,
    taskId: k.taskId,
    unitId: k.unitId,
    period: k.period,
    ...(k.kind === 'escalation' ? { level: k.number } : {}),
    to: n.spec.to,
    cc: n.spec.cc,
  };
}

function summarize(plan: Plan, notices: NoticeLine[], status: PlanStatus, rejected: string[]): string {
  const byKind = new Map<string, number>();
  for (const n of notices) byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + 1);
  let onTime = 0;
  let late = 0;
  let missing = 0;
  for (const t of status.tasks)
    for (const u of t.units)
      for (const p of u.periods) {
        if (p.state === 'submitted') onTime++;
        else if (p.state === 'late') late++;
        else if (p.state !== 'untracked' && p.state !== 'scheduled') missing++;
      }
  const kinds = ['request', 'reminder', 'escalation'].map((k) => `${byKind.get(k) ?? 0} ${k}s`).join(', ');
  return `rehearsal ${plan.id}: ${notices.length} notices (${kinds}); reports: ${onTime} on time, ${late} late, ${missing} missing${rejected.length ? `; ${rejected.length} submissions refused` : ''}`;
}

const noop = () => {};
const quiet = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
