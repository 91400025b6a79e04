/**
 * Worker crashes: a plan of 100 unit-tasks over 8 quarters, with late and silent units, on the time-skipping server,
 * run twice: once undisturbed, once while its worker process is killed with SIGKILL at random moments (at least 20
 * times) and started again. Both runs record into a real PostgreSQL and mail a real SMTP server that counts every
 * message by Message-ID. The disturbed run must deliver every notice of the undisturbed one, a second copy only where
 * a kill cut its hand-over, record every report once, and end in the same status and the same rows.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { freePorts } from '../../client/dev-server.js';
import { behaviourSchema } from '../../client/rehearse/behaviour.js';
import { rehearse } from '../../client/rehearse/run.js';
import { temporalTestServerPath } from '../../client/temporal-binaries.js';
import { openStore, temporaryEmbeddedPostgres } from '../../store/index.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { BEHAVIOUR_MIX, generatePlan } from '../generate-plan.js';
import type { ScenarioContext } from './scenarios.js';
import { countingSmtp, killWorker, root, seeded, polling, prebuiltBundle, sleep, spawnWorker, tally, type CountingSmtp, type FaultReport, type Received } from './support.js';

/** The fewest kills the scenario accepts, and the most it makes (the rest of the run goes on undisturbed). */
const MIN_KILLS = 20;
const MAX_KILLS = 30;
/**
 * How far a report's arrival may lie beyond the real time the rehearsal measured from the clock stopping at its
 * instant to the engine's answer (the test server's clock runs on at real speed meanwhile; timestamps are in ms).
 */
const ARRIVAL_MARGIN_MS = 1_000;
/** A duplicate counts as cut by a kill when its first copy arrived at most this long before one. */
const CUT_WINDOW_MS = 3_000;

interface RunResult {
  status: PlanStatus;
  rejected: string[];
  /** For each report (task/unit/quarter), how long after its instant it can have arrived at most (RehearsalResult.waited). */
  waited: Record<string, number>;
  received: Received[];
  kills: number[];
  revisions: { key: string; arrivedAt: string }[];
  notices: { messageId: string; status: string }[];
  seconds: number;
}

async function runOnce(name: string, bundle: string, dir: string, say: (l: string) => void, chaos?: { rand: () => number; minGapMs: number; spreadMs: number; minMessages: number; spreadMessages: number }): Promise<RunResult> {
  const t0 = Date.now();
  const checked = checkPlan(generatePlan({ id: 'faults-worker-crashes', tasks: 50, unitsPerTask: 2, years: 2, startYear: 2027 }));
  if (!checked.ok) throw new Error('the generated plan is invalid');
  const plan = checked.plan;
  const behaviour = behaviourSchema.parse(BEHAVIOUR_MIX);
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalTestServerPath() } } });
  const pgServer = await temporaryEmbeddedPostgres((await freePorts(1))[0]);
  const store = await openStore(pgServer.url, { max: 10 });
  const smtp: CountingSmtp = await countingSmtp();
  const kills: number[] = [];
  try {
    // Workers that will be killed run without sticky execution (the time-skipping server can leave a task on a
    // killed worker's sticky queue for good); the others, and the one after the last kill, with the SDK's cache.
    const workerEnv = (queue: string, killable: boolean) => ({
      TEMPORAL_ADDRESS: env.address,
      REVIEW_CYCLES_TASK_QUEUE: queue,
      REVIEW_CYCLES_DATABASE_URL: pgServer.url,
      REVIEW_CYCLES_SMTP_URL: smtp.url,
      REVIEW_CYCLES_WORKFLOW_BUNDLE: bundle,
      ...(killable ? { REVIEW_CYCLES_WORKFLOW_CACHE: '0' } : {}),
      REVIEW_CYCLES_MAIL_FROM: 'hq-robot@example.org',
    });
    /** Starts a worker and waits until it polls; one that dies on the way (it may meet a restarting server) is started again. */
    const startWorker = async (queue: string) => {
      for (let attempt = 1; ; attempt++) {
        const w = spawnWorker(`${name}-${kills.length}-${attempt}`, workerEnv(queue, chaos !== undefined && kills.length < MAX_KILLS));
        try {
          await polling(w);
          return w;
        } catch (err) {
          await killWorker(w);
          if (attempt >= 5) throw err;
          await sleep(500);
        }
      }
    };
    const runWorkers = async <T>(queue: string, body: () => Promise<T>): Promise<T> => {
      let w = await startWorker(queue);
      let done = false;
      let failure: unknown;
      const loop = (async () => {
        if (!chaos) return;
        while (!done && kills.length < MAX_KILLS) {
          // A kill at a random moment: once the SMTP server has taken a random number of further messages (so most
          // kills fall in the middle of a batch), or after a random time when no mail is going out.
          const base = smtp.received.length;
          const messages = chaos.minMessages + Math.floor(chaos.rand() * chaos.spreadMessages);
          const until = Date.now() + chaos.minGapMs + chaos.rand() * chaos.spreadMs;
          while (!done && smtp.received.length < base + messages && Date.now() < until) await sleep(5);
          if (done) break;
          kills.push(Date.now());
          await killWorker(w);
          await sleep(50 + chaos.rand() * 700);
          w = await startWorker(queue);
        }
      })().catch((err) => {
        failure = err;
      });
      try {
        return await body();
      } finally {
        done = true;
        await loop;
        await killWorker(w);
        if (failure) throw failure;
      }
    };
    // Where the run is, every 30 s: a run that stops moving shows at which plan instant.
    const progress = setInterval(() => {
      env.currentTimeMs().then(
        (now) => say(`${name}: test server clock at ${new Date(now).toISOString()}, ${smtp.received.length} messages, ${kills.length} kills, ${((Date.now() - t0) / 1000).toFixed(0)} s`),
        () => {},
      );
    }, 30_000);
    const result = await rehearse({ plan, behaviour, outDir: join(dir, name), env, db: store.pool, runWorkers, log: (l) => say(`${name}: ${l} (${kills.length} kills)`) }).finally(() => clearInterval(progress));
    say(`${name}: ${smtp.received.length} messages received, ${kills.length} kills, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (chaos && process.env.FAULTS_RECORD_HISTORIES === '1') await keepHistories(env, [planWorkflowId(plan.id), ...groupIdsOf(plan)], say);
    return {
      status: result.status,
      rejected: result.rejected,
      waited: result.waited,
      received: [...smtp.received],
      kills,
      revisions: await rowsOf(store.pool, `SELECT task_id || '/' || unit_id || '/' || period || '/' || request_id AS key, arrived_at FROM report_revisions ORDER BY 1`, (r) => ({ key: String(r.key), arrivedAt: (r.arrived_at as Date).toISOString() })),
      notices: await rowsOf(store.pool, 'SELECT message_id, status FROM notices ORDER BY 1', (r) => ({ messageId: String(r.message_id), status: String(r.status) })),
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await smtp.stop();
    await store.close();
    await pgServer.stop();
    await env.teardown();
  }
}

/**
 * Writes into test/histories, where the replay test checks every later change, the runs of a disturbed run's
 * workflows that saw a crash (a workflow or activity task that timed out or failed), at most two per workflow, and
 * the plan workflow's last run.
 */
async function keepHistories(env: TestWorkflowEnvironment, workflowIds: string[], say: (l: string) => void): Promise<void> {
  const dir = join(root, 'test', 'histories');
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const [i, workflowId] of workflowIds.entries()) {
    let runId: string | undefined;
    let kept = 0;
    for (let guard = 0; guard < 50 && kept < 2; guard++) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      const crashed = events.some((e) => e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes);
      if (crashed || (i === 0 && guard === 0)) {
        const file = join(dir, `fault-worker-crashes-${++n}.json`);
        writeFileSync(file, JSON.stringify({ workflowId, history: JSON.parse(historyToJSON(history)) }));
        say(`kept a run of ${workflowId} (${events.length} events${crashed ? ', with a crash' : ''}) in test/histories`);
        kept++;
      }
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
      if (!runId) break;
    }
  }
}

const groupIdsOf = (plan: Plan) => layoutOf(plan).groups.map((g) => g.workflowId);

async function rowsOf<T>(pool: pg.Pool, sql: string, map: (r: Record<string, unknown>) => T): Promise<T[]> {
  const { rows } = await pool.query(sql);
  return rows.map(map);
}

/** The scenario: the undisturbed run, the disturbed one, and every comparison between them. */
export async function workerCrashes(ctx: ScenarioContext): Promise<FaultReport> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'rc-faults-worker-crashes-'));
  const problems: string[] = [];
  try {
    const bundle = await prebuiltBundle(dir);
    const calm = await runOnce('undisturbed', bundle, dir, ctx.say);
    const rough = await runOnce('disturbed', bundle, dir, ctx.say, { rand: seeded(ctx.seed), minGapMs: 4_000, spreadMs: 8_000, minMessages: 5, spreadMessages: 70 });
    const expected = tally(calm.received);
    const got = tally(rough.received);
    if (expected.duplicated) problems.push(`the undisturbed run itself received ${expected.duplicated} duplicate(s)`);
    const missing = [...expected.distinct.keys()].filter((id) => !got.distinct.has(id));
    const extra = [...got.distinct.keys()].filter((id) => !expected.distinct.has(id));
    if (missing.length) problems.push(`${missing.length} notice(s) never reached the SMTP server, e.g. ${missing.slice(0, 3).map((id) => expected.distinct.get(id)![0].key || id).join(', ')}`);
    if (extra.length) problems.push(`${extra.length} notice(s) the undisturbed run did not send, e.g. ${extra.slice(0, 3).join(', ')}`);
    // Every second copy must come from a kill that cut its hand-over: its first copy arrived just before a kill.
    let cut = 0;
    for (const copies of got.distinct.values()) {
      if (copies.length < 2) continue;
      const first = copies[0].at;
      if (rough.kills.some((k) => k >= first - 100 && k - first <= CUT_WINDOW_MS)) cut += copies.length - 1;
      else problems.push(`${copies[0].key || copies[0].messageId} arrived ${copies.length} times, the first not within ${CUT_WINDOW_MS} ms before a kill`);
    }
    if (rough.kills.length < MIN_KILLS) problems.push(`only ${rough.kills.length} kills happened (at least ${MIN_KILLS} wanted): the run ended too soon`);
    if (JSON.stringify(rough.rejected) !== JSON.stringify(calm.rejected)) problems.push(`submissions refused differ: ${JSON.stringify(rough.rejected.slice(0, 3))} against ${JSON.stringify(calm.rejected.slice(0, 3))}`);
    // On the test server the clock runs on (at real speed) while a report waits for a worker, so an arrival moment
    // may differ by as long as the report waited, as the rehearsal measured it in either run; everything else exactly.
    if (JSON.stringify(withoutArrivals(rough.status)) !== JSON.stringify(withoutArrivals(calm.status))) {
      problems.push(`the final status differs from the undisturbed run's: ${firstDifference(withoutArrivals(calm.status), withoutArrivals(rough.status))}`);
    }
    const allowed = (key: string) => Math.max(calm.waited[key] ?? 0, rough.waited[key] ?? 0) + ARRIVAL_MARGIN_MS;
    const drifts = arrivalDrifts(calm.status, rough.status);
    const drift = Math.max(0, ...drifts.map((d) => d.ms));
    const longestWait = Math.max(0, ...Object.values(rough.waited));
    const beyond = drifts.filter((d) => d.ms > allowed(d.key));
    if (beyond.length) {
      const d = beyond[0];
      problems.push(`${beyond.length} report(s) arrived later than they waited, e.g. ${d.key}: moved by ${(d.ms / 1000).toFixed(1)} s against the undisturbed run, having waited at most ${((allowed(d.key) - ARRIVAL_MARGIN_MS) / 1000).toFixed(1)} s`);
    }
    const calmRevisions = new Map(calm.revisions.map((r) => [r.key, r.arrivedAt]));
    const roughKeys = rough.revisions.map((r) => r.key);
    const lost = calm.revisions.filter((r) => !roughKeys.includes(r.key)).length;
    const duplicatedSubmissions = roughKeys.length - new Set(roughKeys).size;
    if (lost) problems.push(`${lost} report revision(s) of the undisturbed run are missing from the database`);
    // Revision keys are task/unit/quarter/request id: the report's own wait bounds them.
    const reportOf = (revisionKey: string) => revisionKey.split('/').slice(0, 3).join('/');
    const moved = rough.revisions.filter((r) => calmRevisions.has(r.key) && Math.abs(Date.parse(calmRevisions.get(r.key)!) - Date.parse(r.arrivedAt)) > allowed(reportOf(r.key)));
    if (moved.length) problems.push(`${moved.length} revision(s) arrived at another moment than in the undisturbed run beyond their wait, e.g. ${moved[0].key}`);
    const calmNotices = JSON.stringify(calm.notices);
    if (JSON.stringify(rough.notices) !== calmNotices) problems.push('the notices table differs from the undisturbed run\'s (message ids or outcomes)');
    return {
      scenario: 'worker-crashes',
      faults: { 'worker SIGKILL': rough.kills.length },
      notices: { expected: expected.distinct.size, delivered: got.distinct.size, duplicated: got.duplicated, cutHandOvers: cut, late: 0, maxDelayMs: 0 },
      submissions: { sent: calm.revisions.length, recorded: rough.revisions.length, lost, duplicated: duplicatedSubmissions },
      wallSeconds: (Date.now() - t0) / 1000,
      problems,
      note:
        `100 unit-tasks × 8 quarters, time-skipping server; undisturbed run ${calm.seconds.toFixed(0)} s, disturbed ${rough.seconds.toFixed(0)} s; ` +
        `status, revisions and notices rows compared with the undisturbed run; arrivals moved by at most ${(drift / 1000).toFixed(1)} s, each within the time it waited (longest wait ${(longestWait / 1000).toFixed(1)} s); ` +
        '"late" is not measured here (the clock is skipped).',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A status without its arrival moments (compared apart, within the time each report waited). */
function withoutArrivals(s: PlanStatus): PlanStatus {
  return { ...s, tasks: s.tasks.map((t) => ({ ...t, units: t.units.map((u) => ({ ...u, periods: u.periods.map((p) => ({ ...p, submittedAt: p.submittedAt === null ? null : 'arrived' })) })) })) };
}

/** How far each report's arrival moment differs between the two runs ("task/unit/quarter", ms). */
function arrivalDrifts(a: PlanStatus, b: PlanStatus): { key: string; ms: number }[] {
  const at = new Map<string, string>();
  for (const t of a.tasks) for (const u of t.units) for (const p of u.periods) if (p.submittedAt) at.set(`${t.taskId}/${u.unitId}/${p.period}`, p.submittedAt);
  const drifts: { key: string; ms: number }[] = [];
  for (const t of b.tasks) {
    for (const u of t.units) {
      for (const p of u.periods) {
        const key = `${t.taskId}/${u.unitId}/${p.period}`;
        const other = at.get(key);
        if (p.submittedAt && other) drifts.push({ key, ms: Math.abs(Date.parse(p.submittedAt) - Date.parse(other)) });
      }
    }
  }
  return drifts;
}

/** Where two statuses first differ, in a few words. */
function firstDifference(a: PlanStatus, b: PlanStatus): string {
  for (const t of a.tasks) {
    const tb = b.tasks.find((x) => x.taskId === t.taskId);
    for (const u of t.units) {
      const ub = tb?.units.find((x) => x.unitId === u.unitId);
      for (const p of u.periods) {
        const pb = ub?.periods.find((x) => x.period === p.period);
        if (JSON.stringify(p) !== JSON.stringify(pb)) return `${t.taskId}/${u.unitId}/${p.period}: ${JSON.stringify(p)} against ${JSON.stringify(pb)}`;
      }
    }
  }
  return `${JSON.stringify(a).length} against ${JSON.stringify(b).length} characters`;
}
