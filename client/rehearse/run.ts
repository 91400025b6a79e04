/**
 * Runs a whole plan on the time-skipping test server with the real workflows and activities, units answering as
 * the behaviour says, and writes what the workflows really sent (notices.jsonl) and the final status (status.json).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkerOptions } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { createActivities, createDiscardMailer, type Mailer, type SentNotice } from '../../activities/index.js';
import { createDbSentLog, ledgerDetails, openStore, storedPlan, temporaryEmbeddedPostgres } from '../../store/index.js';
import { statusPlanOf } from '../../workflows/amend/track.js';
import { freePorts } from '../dev-server.js';
import { workflowsPath } from '../../worker/build.js';
import { installRuntime } from '../../worker/runtime.js';
import { busyQuery, findingsProgressQuery } from '../../workflows/contract/messages.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { NoticeLine } from '../../workflows/contract/notice.js';
import { findingsWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import { findingSlices } from '../../workflows/findings/slices.js';
import { actOnFinding } from '../findings.js';
import { FindingActor } from './findings.js';
import { plannedFindings } from '../../workflows/findings/record.js';
import { reviewWindows } from '../../workflows/review/windows.js';
import { writeLedger } from '../ledger.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { cycleTimeline, allEvents } from '../../workflows/cycle/timeline.js';
import { amendPlan } from '../amend.js';
import { awaitRecordedPlan, extendReport, planLayout, planStatus, startPlan, submitReport, UserError } from '../plans.js';
import { extensionLadder } from '../../workflows/cycle/extension.js';
import { temporalTestServerPath } from '../temporal-binaries.js';
import { skippingClock, type SkippingClock } from './clock.js';
import type { PlanInput } from '../../workflows/plan.js';
import { plannedSubmissions, type Behaviour } from './behaviour.js';

export type { NoticeLine };

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
  /**
   * The database the rehearsal records into; by default a temporary embedded PostgreSQL, never the configured
   * production one (a rehearsal's plan has the real plan's id).
   */
  db?: pg.Pool;
  /**
   * Runs `body` while workers of this rehearsal's task queue poll elsewhere (the fault suite's worker processes,
   * killed and restarted meanwhile); by default one worker runs in this process. Needs `db`.
   */
  runWorkers?: <T>(taskQueue: string, body: () => Promise<T>) => Promise<T>;
  /** The task queue (default: a fresh one per run). */
  taskQueue?: string;
  /** Lower roll-over thresholds for the workflows (tests force continue-as-new with them). */
  limits?: PlanInput['limits'];
}

export interface RehearsalResult {
  notices: NoticeLine[];
  /** How many messages carried them (a digest carries several notices). */
  messages: number;
  status: PlanStatus;
  summary: string;
  rejected: string[];
  /**
   * For each report sent ("task/unit/quarter"), the real time from the clock stopping at its instant to the engine's
   * answer: the test server's clock runs on at real speed meanwhile, so its arrival lies at most this far past the
   * instant (a report that waited for a restarted worker arrives later by as long as it waited).
   */
  waited: Record<string, number>;
}


/** Submissions sent at once at one instant (the server takes them concurrently). */
const CONCURRENT_SUBMISSIONS = 64;
/**
 * How long the driver's own queries (is a group busy, has a findings workflow acted) may wait: one sent to a worker
 * killed meanwhile is never answered, and a query has no deadline of its own; asked again after this.
 */
const QUERY_DEADLINE_MS = 10_000;

/** Runs the rehearsal and writes its files into `outDir`. */
export async function rehearse(opts: RehearsalOptions): Promise<RehearsalResult> {
  const log = opts.log ?? (() => {});
  installRuntime();
  const { plan } = opts;
  const env = opts.env ?? (await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalTestServerPath() } } }));
  const mailer = opts.mailer ?? createDiscardMailer();
  // The temporary database starts while the workflows are bundled.
  const bundling = opts.workflowBundle || opts.runWorkers ? Promise.resolve(opts.workflowBundle) : bundleWorkflowCode({ workflowsPath, logger: quiet }).then(({ code }) => ({ code }));
  bundling.catch(() => {}); // awaited below; a failure is reported there
  const temporary = opts.db ? undefined : await temporaryEmbeddedPostgres((await freePorts(1))[0]);
  const store = temporary ? await openStore(temporary.url, { max: 20 }) : undefined;
  const db = opts.db ?? store!.pool;
  const taskQueue = opts.taskQueue ?? `rehearsal-${plan.id}-${Date.now()}`;
  const sent: { seq: number; n: SentNotice }[] = [];
  let seq = 0;
  // The clock is moved on a connection of its own: a sleep sent twice would run it past the instant (clock.ts).
  let clock: SkippingClock | undefined;
  try {
    clock = await skippingClock(env);
    const workflowBundle = opts.runWorkers ? undefined : await bundling;
    const inProcess = async <T>(queue: string, body: () => Promise<T>): Promise<T> => {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: queue,
        workflowBundle: workflowBundle!,
        activities: createActivities({
          mailer,
          sentLog: createDbSentLog(db),
          db,
          from: 'rehearsal@review-cycles.invalid',
          documentsDir: () => opts.outDir,
          onSent: (n) => sent.push({ seq: seq++, n }),
        }),
        maxConcurrentActivityTaskExecutions: 20,
      });
      return worker.runUntil(body);
    };
    const rejected: string[] = [];
    const waited: Record<string, number> = {};
    let amendedPlan = plan;
    const status = await (opts.runWorkers ?? inProcess)(taskQueue, async () => {
      const startedAt = await env.currentTimeMs();
      const timeline = cycleTimeline(plan, startedAt);
      if (timeline.some((p) => !p.tracked)) {
        log(`note: the test server's clock starts at ${new Date(startedAt).toISOString()}; quarters whose due day ended before then are not tracked`);
      }
      const outcome = await startPlan(env.client, plan, taskQueue, opts.limits ? { limits: opts.limits } : {});
      if (!outcome.started) throw new Error(`plan ${plan.id} is already running on this server`);
      if (!(await awaitRecordedPlan(db, plan.id, 60_000))) throw new Error(`plan ${plan.id} was not recorded`);
      const layout = await planLayout(db, plan.id);
      const submissions = plannedSubmissions(plan, opts.behaviour).filter((s) => s.at >= startedAt);
      const lastNotice = Math.max(...allEvents(timeline).filter((e) => e.kind !== 'close' && e.kind !== 'deadline').map((e) => e.at), startedAt);
      const lastSubmission = submissions.length ? submissions[submissions.length - 1].at : startedAt;
      let end = Math.max(lastNotice, lastSubmission);
      // Headquarters' extensions, each applied at its instant through the same call as `report extend`.
      const extensions = (opts.behaviour.extensions ?? []).map((x, k) => ({ ...x, k, ms: Date.parse(x.at) })).filter((x) => x.ms >= startedAt).sort((a, b) => a.ms - b.ms || a.k - b.k);
      // Headquarters' amendments, each applied at its instant through the same call as `plan amend`.
      const amendments = (opts.behaviour.amendments ?? []).map((a, k) => ({ ...a, k, ms: Date.parse(a.at) })).filter((a) => a.ms >= startedAt).sort((a, b) => a.ms - b.ms || a.k - b.k);
      const windows = reviewWindows(plan);
      let lastQuarter = '';
      const actor = new FindingActor(plan, opts.behaviour.findings, startedAt);
      const findingWorkflows = findingSlices(plan).map((_, k) => findingsWorkflowId(plan.id, k));
      for (let i = 0, j = 0, m = 0; ; ) {
        const nextSubmission = i < submissions.length ? submissions[i].at : Infinity;
        const nextAction = actor.next() ?? Infinity;
        const nextExtension = j < extensions.length ? extensions[j].ms : Infinity;
        const nextAmendment = m < amendments.length ? amendments[m].ms : Infinity;
        if (nextSubmission === Infinity && nextAction === Infinity && nextExtension === Infinity && nextAmendment === Infinity) break;
        if (nextAmendment <= nextSubmission && nextAmendment <= nextAction && nextAmendment <= nextExtension) {
          const a = amendments[m++];
          await advanceTo(clock!, a.ms);
          if (opts.runWorkers) await waitIdle(env, layout.groups.map((g) => g.workflowId));
          try {
            const after = a.plan as Plan;
            const outcome = await amendPlan({ client: env.client, db, writeTimeoutMs: 600_000 }, plan.id, after, { reason: a.reason, by: a.by, requestId: `rehearsal:amend:${a.k}`, at: a.ms });
            log(`${new Date(a.ms).toISOString()} plan amended: version ${outcome.receipt?.version ?? '?'} (${a.reason})`);
            amendedPlan = after;
            // From now on the units answer as the new version asks them (its tasks, its days).
            const later = plannedSubmissions(after, opts.behaviour).filter((s) => s.at >= a.ms);
            submissions.splice(i, submissions.length - i, ...later);
            const amendedTimeline = (await storedPlan(db, plan.id))?.track?.timeline ?? cycleTimeline(after, startedAt);
            end = Math.max(end, ...allEvents(amendedTimeline).filter((e) => e.kind !== 'close' && e.kind !== 'deadline').map((e) => e.at));
            // Groups an amendment started for new tasks are waited for like the others.
            layout.groups.splice(0, layout.groups.length, ...(await planLayout(db, plan.id)).groups);
          } catch (err) {
            rejected.push(`amendment at ${a.at}: ${(err as Error).message}`);
          }
          continue;
        }
        if (nextExtension <= nextSubmission && nextExtension <= nextAction) {
          const x = extensions[j++];
          await advanceTo(clock!, x.ms);
          if (opts.runWorkers) await waitIdle(env, layout.groups.map((g) => g.workflowId));
          try {
            await extendReport({ client: env.client, db, writeTimeoutMs: 600_000 }, plan.id, {
              requestId: `rehearsal:extend:${x.k}`, taskId: x.task, unitId: x.unit, period: x.period, until: x.until, reason: x.reason, by: x.by,
            });
            log(`${new Date(x.ms).toISOString()} ${x.task}/${x.unit}/${x.period} extended until ${x.until}`);
            // The rehearsal runs until the extended report's last notice could go out.
            const ladder = extensionLadder(plan, x.ms, x.until, { taskId: x.task, unitId: x.unit, period: x.period, round: 0, extension: 1, closeAt: 0, remindersSent: 0, levelsSent: [] });
            end = Math.max(end, ...ladder.events.filter((e) => e.kind === 'reminder' || e.kind === 'escalation').map((e) => e.at));
          } catch (err) {
            rejected.push(`extension of ${x.task}/${x.unit}/${x.period} at ${x.at}: ${(err as Error).message}`);
          }
          continue;
        }
        if (nextAction < nextSubmission) {
          await advanceTo(clock!, nextAction);
          // The findings workflows act on everything due by now (an assignment at this very instant) first.
          await findingsIdle(env, findingWorkflows, nextAction);
          // Each finding acts at most once per batch (what follows an action is planned after it applied): concurrently.
          const due = actor.take(nextAction);
          for (let k = 0; k < due.length; k += CONCURRENT_SUBMISSIONS) {
            await Promise.all(
              due.slice(k, k + CONCURRENT_SUBMISSIONS).map(async ({ p, action }) => {
                try {
                  const engine = { client: env.client, db, writeTimeoutMs: 600_000 };
                  // Stamped with its planned instant; on an overloaded machine an action may reach its workflow more
                  // than the arrival window later: it is then sent again unstamped and counts at its arrival.
                  await actOnFinding({ ...engine, clock: () => action.at }, plan.id, action.input).catch((err) => {
                    if (!(err instanceof UserError && err.refusals.some((r) => r.code === 'arrivedTooLate'))) throw err;
                    return actOnFinding({ ...engine, stampArrival: false }, plan.id, action.input);
                  });
                  actor.applied(p, action);
                } catch (err) {
                  rejected.push(`${action.findingId} ${String(action.input.action)} at ${new Date(action.at).toISOString()}: ${(err as Error).message}`);
                }
              }),
            );
          }
          continue;
        }
        const at = submissions[i].at;
        const group = [];
        while (i < submissions.length && submissions[i].at === at) group.push(submissions[i++]);
        await advanceTo(clock!, at);
        // The clock stopped at `at` and runs on at real speed: a report arrives at most this long after it.
        const stoppedAt = Date.now();
        // Workers that come and go may have fallen behind the clock: let the groups catch up before reports arrive.
        if (opts.runWorkers) await waitIdle(env, layout.groups.map((g) => g.workflowId));
        const quarter = group[0].period;
        if (quarter !== lastQuarter) {
          log(`${new Date(at).toISOString()} ${quarter}: ${sent.length} notices so far`);
          lastQuarter = quarter;
        }
        for (let k = 0; k < group.length; k += CONCURRENT_SUBMISSIONS) {
          await Promise.all(
            group.slice(k, k + CONCURRENT_SUBMISSIONS).map(async (s) => {
              try {
                const report = {
                  requestId: `rehearsal:${s.taskId}:${s.unitId}:${s.period}`,
                  taskId: s.taskId,
                  unitId: s.unitId,
                  period: s.period,
                  status: s.answer.status,
                  summary: `Rehearsal report of ${s.unitId} on ${s.taskId} for ${s.period}.`,
                  ...(s.answer.progress !== undefined ? { progress: s.answer.progress } : {}),
                };
                await submitReport({ client: env.client, db, writeTimeoutMs: 600_000, stampArrival: false }, plan.id, report);
                const key = `${s.taskId}/${s.unitId}/${s.period}`;
                waited[key] = Math.max(waited[key] ?? 0, Date.now() - stoppedAt);
              } catch (err) {
                rejected.push(`${s.taskId}/${s.unitId}/${s.period} at ${new Date(s.at).toISOString()}: ${(err as Error).message}`);
              }
            }),
          );
        }
      }
      await advanceTo(clock!, end + 60_000);
      // The plan workflow ends once its plan summary is out: the rehearsal ends with it.
      log(`${new Date(windows[windows.length - 1].at).toISOString()} plan summary`);
      await env.client.workflow.getHandle(planWorkflowId(plan.id)).result();
      // The findings end when nothing more is scheduled for them (one result awaited at a time on this server).
      for (const id of findingWorkflows) await env.client.workflow.getHandle(id).result();
      await waitIdle(env, layout.groups.map((g) => g.workflowId));
      return planStatus(db, plan.id, {}, await env.currentTimeMs());
    });
    // Status, ledger and summary name what every version tracked: the version in force and what it retired.
    const shown = statusPlanOf(amendedPlan, (await storedPlan(db, plan.id))?.track);
    const inOrder = sent.sort((a, b) => Date.parse(a.n.line.at) - Date.parse(b.n.line.at) || order(a.n.line, b.n.line, shown) || a.seq - b.seq);
    const notices = inOrder.map(({ n }) => n.line);
    await mkdir(opts.outDir, { recursive: true });
    // One line per notice; the notices that travelled in one message (a digest) share its Message-ID.
    const lines = inOrder.map(({ n }) => JSON.stringify({ ...n.line, messageId: n.messageId }));
    await writeFile(join(opts.outDir, 'notices.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
    await writeFile(join(opts.outDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
    await writeLedger(shown, status, 'csv', join(opts.outDir, 'ledger.csv'), await ledgerDetails(db, plan.id));
    const summary = summarize(shown, notices, status, rejected);
    return { notices, messages: new Set(inOrder.map(({ n }) => n.messageId)).size, status, summary, rejected, waited };
  } finally {
    await clock?.close();
    if (!opts.mailer) await mailer.close();
    if (!opts.env) await env.teardown();
    await store?.close();
    await temporary?.stop();
  }
}

async function advanceTo(clock: SkippingClock, at: number): Promise<void> {
  await clock.advanceTo(at);
}

/** Waits until every findings workflow has acted on everything due at or before `at`. */
async function findingsIdle(env: TestWorkflowEnvironment, workflowIds: string[], at: number): Promise<void> {
  // Only the rehearsal acts on findings: a workflow found idle for `at` stays so until it acts, so it is not asked again.
  let waiting = workflowIds;
  for (;;) {
    const deadline = Date.now() + QUERY_DEADLINE_MS;
    const progress = await Promise.all(waiting.map((id) => env.client.withDeadline(deadline, () => env.client.workflow.getHandle(id).query(findingsProgressQuery)).catch(() => undefined)));
    waiting = waiting.filter((_, k) => !progress[k] || progress[k]!.busy || (progress[k]!.next !== null && progress[k]!.next! <= at));
    if (!waiting.length) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until no group is handing notices to the mail activity. */
async function waitIdle(env: TestWorkflowEnvironment, workflowIds: string[]): Promise<void> {
  for (;;) {
    // A query fails while no worker polls (a restart), or never returns once its worker was killed: ask again.
    const deadline = Date.now() + QUERY_DEADLINE_MS;
    const busy = await env.client.withDeadline(deadline, () => Promise.all(workflowIds.map((id) => env.client.workflow.getHandle(id).query(busyQuery)))).catch(() => [true]);
    if (!busy.some(Boolean)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const KINDS = ['request', 'extended', 'reminder', 'escalation', 'review', 'summary', 'lagging', 'finding-assigned', 'finding-reopened', 'claim-rejected', 'claim-received', 'verify-reminder', 'recheck'];

const findingOrders = new WeakMap<Plan, Map<string, number>>();
/** Each finding's position in the plan file. */
function findingOrder(plan: Plan): Map<string, number> {
  let known = findingOrders.get(plan);
  if (!known) findingOrders.set(plan, (known = new Map(plannedFindings(plan).map((p, i) => [p.finding.id, i]))));
  return known;
}

/** Notices of one instant in a stable order: kind, quarter or window, number, then plan order of task, unit, leader. */
function order(a: NoticeLine, b: NoticeLine, plan: Plan): number {
  const taskIndex = (id?: string) => plan.tasks.findIndex((t) => t.id === id);
  const unitIndex = (l: NoticeLine) => plan.tasks[taskIndex(l.taskId)]?.units.indexOf(l.unitId ?? '') ?? -1;
  const leaderIndex = (l: NoticeLine) => plan.leaders.findIndex((x) => l.to.some((addr) => ([] as string[]).concat(x.email).includes(addr)));
  const text = (x?: string) => x ?? '';
  const findingIndex = (l: NoticeLine) => (l.findingId ? findingOrder(plan).get(l.findingId) ?? -1 : -1);
  return (
    KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) ||
    (text(a.period ?? a.window) < text(b.period ?? b.window) ? -1 : text(a.period ?? a.window) > text(b.period ?? b.window) ? 1 : 0) ||
    (a.level ?? 0) - (b.level ?? 0) ||
    taskIndex(a.taskId) - taskIndex(b.taskId) ||
    unitIndex(a) - unitIndex(b) ||
    leaderIndex(a) - leaderIndex(b) ||
    findingIndex(a) - findingIndex(b)
  );
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
  const plural: Record<string, string> = { request: 'requests', reminder: 'reminders', escalation: 'escalations', review: 'reviews', summary: 'summaries', lagging: 'lagging' };
  const kinds = Object.keys(plural)
    .filter((k) => byKind.has(k) || ['request', 'reminder', 'escalation'].includes(k))
    .map((k) => `${byKind.get(k) ?? 0} ${byKind.get(k) === 1 && k !== 'lagging' ? k : plural[k]}`)
    .join(', ');
  const states = new Map<string, number>();
  for (const f of status.findings ?? []) states.set(f.state, (states.get(f.state) ?? 0) + 1);
  const findings = status.findings?.length
    ? `; findings: ${['verified', 'closed', 'claimed', 'overdue', 'open', 'scheduled'].filter((s) => states.has(s)).map((s) => `${states.get(s)} ${s}`).join(', ')}`
    : '';
  return `rehearsal ${plan.id}: ${notices.length} notices (${kinds}); reports: ${onTime} on time, ${late} late, ${missing} missing${findings}${rejected.length ? `; ${rejected.length} submissions or actions refused` : ''}`;
}

const noop = () => {};
const quiet = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
