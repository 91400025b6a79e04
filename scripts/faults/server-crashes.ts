/**
 * `server-crashes`: submissions while everything crashes. A plan of 112 unit-tasks whose current quarter is requested
 * at start, one real worker process, and 10 submitters that keep sending reports (each request id retried until its
 * call succeeds) while the worker, the Temporal dev server and PostgreSQL are each killed with SIGKILL, several times,
 * and started again on the same data. At the end every successful submission is recorded exactly once, and every
 * request notice reached the SMTP server, twice only where a kill cut its hand-over, under its one Message-ID.
 */
import { awaitRecordedPlan, planStatus, startPlan, submitReport, UserError } from '../../client/plans.js';
import { groupWorkflowId, recordKey } from '../../workflows/contract/ids.js';
import { busyQuery, recordsQuery } from '../../workflows/contract/messages.js';
import { emptyReport, livePlan, liveStack, noticeRows, periodIn, waitFor, type LiveStack } from './live.js';
import type { Scenario } from './scenarios.js';
import { killWorker, seeded, sleep, tally, type WorkerProcess } from './support.js';

const SUBMITTERS = 10;
const MIN_SUBMISSIONS = 300;
/** At most this many revisions of one report. */
const MAX_REVISIONS = 8;
/** One submission is started every this many ms (while a submitter is free). */
const PACE_MS = 180;
const TEMPORAL_KILLS = 5;
const POSTGRES_KILLS = 3;
const WORKER_KILLS = 4;
/** How long one request id may keep failing before the scenario gives up on it (a failed check). */
const GIVE_UP_MS = 90_000;
/** A PostgreSQL crash may forget the sent log's last relaxed commits (store/notices.ts: 0.6 s at most by default). */
const RELAXED_COMMIT_MS = 1_000;

type Fault = 'worker' | 'temporal' | 'postgres';

interface Submission {
  i: number;
  requestId: string;
  taskId: string;
  unitId: string;
  tries: number;
  ok: boolean;
  duplicate?: boolean;
}

/** Keeps one worker process running: restarts it after our kills, and after any exit of its own (counted). */
class Supervisor {
  current: WorkerProcess | undefined;
  restarts = 0;
  ownExits: string[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly stack: LiveStack) {}

  async start(): Promise<void> {
    this.current = await this.stack.startWorker(`crashes-${this.restarts++}`);
    this.loop = this.watch();
  }

  /** Kills the worker with SIGKILL and starts another. */
  async kill(): Promise<void> {
    const w = this.current;
    this.current = undefined;
    if (w) await killWorker(w);
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      // A worker needs both servers to start; while one is down it would only exit again.
      if (this.stack.temporal.up() && this.stack.postgres.up()) {
        try {
          this.current = await this.stack.startWorker(`crashes-${this.restarts++}`);
          return;
        } catch (err) {
          this.ownExits.push(`a worker did not start: ${String((err as Error).message).split('\n').slice(0, 3).join(' ')}`);
        }
      }
      await sleep(500);
    }
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      const w = this.current;
      if (w && !w.alive()) {
        this.current = undefined;
        const tail = w.output().trim().split('\n').slice(-3).join(' | ');
        this.ownExits.push(`worker ${w.name} exited on its own: ${tail.slice(0, 300)}`);
        await this.spawn();
      }
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.current) await killWorker(this.current);
  }
}

/** A short name for why a call failed, to count failures by kind. */
function failureKind(err: unknown): string {
  if (err instanceof UserError) return err.code;
  const e = err as { code?: string | number; message?: string };
  if (typeof e.code === 'string') return e.code;
  const m = String(e.message ?? err);
  if (/Connection terminated|connection/i.test(m) && /terminat|closed|ECONN/i.test(m)) return 'database connection lost';
  if (/UNAVAILABLE|14 /.test(m)) return 'Temporal unavailable';
  return m.split('\n')[0].slice(0, 60);
}

export const serverCrashes: Scenario = async ({ say, seed }) => {
  const t0 = Date.now();
  const report = emptyReport('server-crashes');
  const problems = report.problems;
  const random = seeded(seed ^ 0xc4a5);
  const planId = `faults-crashes-${Date.now()}`;
  // 56 tasks of 2 units: 112 unit-tasks in two groups (100 + 12), so submissions go to both.
  const { plan, current, pairs } = livePlan(planId, { units: 20, tasks: 56, unitsPerTask: 2 });
  const stack = await liveStack('crashes');
  const supervisor = new Supervisor(stack);
  const faults: Record<string, number> = {};
  const count = (k: string) => (faults[k] = (faults[k] ?? 0) + 1);
  const pgKills: number[] = [];
  const downtime: string[] = [];
  try {
    const { smtp, db, engine } = stack;
    // A unit's requests of one instant travel in one digest under one Message-ID: what is expected is every request
    // the workflows handed over (the notices table: one row per task and unit, each naming its message).
    const requestRows = async () => (await noticeRows(db, planId)).filter((r) => r.kind === 'request');
    const expectedIds = async () => new Set((await requestRows()).map((r) => r.messageId));
    const messages = new Set(pairs.map((p) => p.unitId)).size;
    report.notices.expected = pairs.length;
    await supervisor.start();
    await startPlan(stack.client, plan, stack.taskQueue);
    if (!(await awaitRecordedPlan(db, planId, 30_000))) throw new Error('the worker did not record the plan within 30 s');
    say(`plan ${planId}: ${pairs.length} unit-tasks, ${pairs.length} requests going out in ${messages} messages (one digest per unit)`);

    // The first kill cuts the request batch: the worker dies after the server has taken a few of its messages.
    const cutAfter = 2 + Math.floor(random() * Math.max(1, messages - 6));
    const firstKill = await waitFor(30_000, () => (smtp.received.length >= cutAfter ? true : undefined), 5);
    if (firstKill) {
      await supervisor.kill();
      count('worker SIGKILL');
      say(`worker killed after ${smtp.received.length} of ${messages} request messages were taken`);
    } else problems.push(`the request batch did not reach ${cutAfter} messages within 30 s`);

    // The submitters: the i-th submission starts no earlier than i × PACE_MS, each retried under its request id.
    const submissions: Submission[] = [];
    const failures: Record<string, number> = {};
    const samples: Record<string, string> = {};
    /** The longest call, by outcome: how long a sender waited for an answer. */
    const longest: Record<string, number> = {};
    const took = (kind: string, ms: number) => (longest[kind] = Math.max(longest[kind] ?? 0, ms));
    let next = 0;
    let chaosDone = false;
    const subStart = Date.now();
    const limit = pairs.length * MAX_REVISIONS;
    const submitter = async () => {
      for (;;) {
        if (next >= limit || (chaosDone && next >= MIN_SUBMISSIONS)) return;
        const i = next++;
        const wait = subStart + i * PACE_MS - Date.now();
        if (wait > 0) await sleep(wait);
        const pair = pairs[i % pairs.length];
        const s: Submission = { i, requestId: `${planId}-r${i}`, ...pair, tries: 0, ok: false };
        submissions.push(s);
        const input = { requestId: s.requestId, taskId: pair.taskId, unitId: pair.unitId, period: current, status: 'on-track', summary: `Revision ${Math.floor(i / pairs.length) + 1} of ${pair.taskId}/${pair.unitId}` };
        const began = Date.now();
        while (!s.ok) {
          s.tries++;
          const called = Date.now();
          try {
            const receipt = await submitReport(engine, planId, input);
            s.ok = true;
            s.duplicate = receipt.duplicate;
            took('success', Date.now() - called);
          } catch (err) {
            const kind = failureKind(err);
            took(kind, Date.now() - called);
            failures[kind] = (failures[kind] ?? 0) + 1;
            samples[kind] ??= String((err as Error).message).split('\n')[0].slice(0, 200);
            if (Date.now() - began > GIVE_UP_MS) {
              problems.push(`submission ${s.requestId} kept failing for ${GIVE_UP_MS / 1000} s (${s.tries} tries), last: ${String((err as Error).message).split('\n')[0]}`);
              return;
            }
            await sleep(200 + Math.floor(Math.random() * 600));
          }
        }
      }
    };
    const submitting = Promise.all(Array.from({ length: SUBMITTERS }, submitter));

    // The faults, in a seeded order, one after another with a few seconds between them.
    const plan_: Fault[] = [...Array(TEMPORAL_KILLS).fill('temporal'), ...Array(POSTGRES_KILLS).fill('postgres'), ...Array(WORKER_KILLS - 1).fill('worker')];
    for (let k = plan_.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [plan_[k], plan_[j]] = [plan_[j], plan_[k]];
    }
    for (const fault of plan_) {
      await sleep(3_000 + Math.floor(random() * 4_000));
      const t = Date.now();
      if (fault === 'worker') {
        await supervisor.kill();
        count('worker SIGKILL');
        downtime.push(`worker ${((Date.now() - t) / 1000).toFixed(1)} s`);
      } else if (fault === 'temporal') {
        await stack.temporal.kill();
        count('Temporal server SIGKILL');
        await sleep(1_000 + Math.floor(random() * 3_000));
        const ms = await stack.temporal.restart();
        downtime.push(`temporal ${((Date.now() - t) / 1000).toFixed(1)} s (start ${(ms / 1000).toFixed(1)} s)`);
      } else {
        await stack.postgres.kill();
        pgKills.push(Date.now());
        count('PostgreSQL SIGKILL');
        await sleep(1_000 + Math.floor(random() * 2_000));
        const ms = await stack.postgres.restart();
        downtime.push(`postgres ${((Date.now() - t) / 1000).toFixed(1)} s (start ${(ms / 1000).toFixed(1)} s)`);
      }
      say(`${fault} killed and back after ${((Date.now() - t) / 1000).toFixed(1)} s; ${submissions.filter((s) => s.ok).length} submissions succeeded so far`);
    }
    chaosDone = true;
    const chaosEnd = Date.now();
    await submitting;
    report.faults = faults;
    if (supervisor.ownExits.length) faults['worker exit on its own'] = supervisor.ownExits.filter((e) => e.includes('exited on its own')).length;
    say(`chaos over after ${((chaosEnd - subStart) / 1000).toFixed(0)} s; submissions settled ${((Date.now() - chaosEnd) / 1000).toFixed(1)} s later; failures by kind: ${JSON.stringify(failures)}`);
    for (const [kind, text] of Object.entries(samples)) say(`  ${kind} (longest call ${(longest[kind] / 1000).toFixed(1)} s): ${text}`);

    // Everything is up again: wait until the database shows every successful submission and the groups are idle.
    const succeeded = submissions.filter((s) => s.ok);
    report.submissions.sent = submissions.length;
    if (submissions.length < MIN_SUBMISSIONS) problems.push(`only ${submissions.length} submissions were sent (at least ${MIN_SUBMISSIONS} wanted)`);
    const revisionRows = async () =>
      (await db.query('SELECT task_id, unit_id, request_id, revision FROM report_revisions WHERE plan_id = $1 AND period = $2', [planId, current])).rows as {
        task_id: string; unit_id: string; request_id: string; revision: number;
      }[];
    const wanted = new Set(succeeded.map((s) => s.requestId));
    const settled = await waitFor(120_000, async () => {
      const have = new Set((await revisionRows()).map((r) => r.request_id));
      return [...wanted].every((id) => have.has(id)) ? true : undefined;
    }, 500);
    if (!settled) problems.push('the database did not show every successful submission within 120 s of the last fault');
    const groups = [0, 1].map((g) => stack.client.workflow.getHandle(groupWorkflowId(planId, g)));
    const idle = await waitFor(60_000, async () => ((await Promise.all(groups.map((h) => h.query(busyQuery)))).every((b) => !b) ? true : undefined), 500);
    if (!idle) problems.push('the groups were still busy 60 s after the submissions were recorded');
    const delivered = await waitFor(60_000, async () => {
      const rows = await requestRows();
      const covered = new Set(rows.map((r) => `${r.taskId}/${r.unitId}`));
      const got = new Set(smtp.received.map((r) => r.messageId));
      return pairs.every((p) => covered.has(`${p.taskId}/${p.unitId}`)) && rows.every((r) => got.has(r.messageId)) ? true : undefined;
    }, 250);
    await sleep(2_000); // a late copy would arrive now

    // Submissions: each successful request id once in the database and in the workflow, none missing.
    const rows = await revisionRows();
    const byId = new Map<string, number>();
    for (const r of rows) byId.set(r.request_id, (byId.get(r.request_id) ?? 0) + 1);
    report.submissions.recorded = succeeded.filter((s) => byId.has(s.requestId)).length;
    report.submissions.lost = succeeded.length - report.submissions.recorded;
    report.submissions.duplicated = [...byId.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    const lost = succeeded.filter((s) => !byId.has(s.requestId));
    if (lost.length) problems.push(`${lost.length} successful submission(s) are missing from report_revisions: ${lost.slice(0, 5).map((s) => s.requestId).join(', ')}`);
    const foreign = rows.filter((r) => !wanted.has(r.request_id));
    if (foreign.length) problems.push(`report_revisions holds ${foreign.length} revision(s) whose call never succeeded: ${foreign.slice(0, 3).map((r) => r.request_id).join(', ')}`);
    const perPair = new Map<string, number[]>();
    for (const r of rows) perPair.set(recordKey(r.task_id, r.unit_id, current), [...(perPair.get(recordKey(r.task_id, r.unit_id, current)) ?? []), r.revision]);
    for (const [key, revs] of perPair) {
      const sorted = [...revs].sort((a, b) => a - b);
      if (sorted.some((v, k) => v !== k + 1)) problems.push(`${key}: revision numbers ${sorted.join(',')} are not 1..${sorted.length}`);
    }
    const status = await planStatus(db, planId);
    const inWorkflows: Record<string, { revisions: { requestId: string }[] }> = Object.assign({}, ...(await Promise.all(groups.map((h) => h.query(recordsQuery)))));
    for (const p of pairs) {
      const mine = succeeded.filter((s) => s.taskId === p.taskId && s.unitId === p.unitId).map((s) => s.requestId).sort();
      const period = periodIn(status, p.taskId, p.unitId, current);
      if ((period?.revisions ?? 0) !== mine.length) problems.push(`${p.taskId}/${p.unitId}: planStatus shows ${period?.revisions} revisions, ${mine.length} submissions succeeded`);
      const held = (inWorkflows[recordKey(p.taskId, p.unitId, current)]?.revisions ?? []).map((r) => r.requestId).sort();
      if (held.join() !== mine.join()) problems.push(`${p.taskId}/${p.unitId}: the group workflow holds request ids [${held.length}] that differ from the ${mine.length} that succeeded`);
    }

    // Notices: every request reached the SMTP server; a second copy only under the same Message-ID, for a cut hand-over.
    const { distinct, duplicated } = tally(smtp.received);
    const requests = await requestRows();
    const expected = await expectedIds();
    report.notices.delivered = requests.filter((r) => distinct.has(r.messageId)).length;
    report.notices.duplicated = duplicated;
    const handedOver = new Set(requests.map((r) => `${r.taskId}/${r.unitId}`));
    for (const p of pairs) if (!handedOver.has(`${p.taskId}/${p.unitId}`)) problems.push(`no request to ${p.taskId}/${p.unitId} was handed over (none in the notices table)`);
    if (!delivered) for (const r of requests) if (!distinct.has(r.messageId)) problems.push(`the request to ${r.taskId}/${r.unitId} never reached the SMTP server`);
    const unexpected = [...distinct.keys()].filter((id) => !expected.has(id));
    if (unexpected.length) problems.push(`the SMTP server received ${unexpected.length} message(s) with unexpected Message-IDs`);
    const idsByKey = new Map<string, Set<string>>();
    for (const r of smtp.received) idsByKey.set(r.key, new Set([...(idsByKey.get(r.key) ?? []), r.messageId]));
    // A digest carries several notices and so no one business key header: its Message-ID is checked above.
    for (const [key, ids] of idsByKey) if (key && ids.size > 1) problems.push(`business key ${key} went out under ${ids.size} Message-IDs`);
    const log = new Map((await noticeRows(db, planId)).map((r) => [r.messageId, r]));
    report.notices.cutHandOvers = [...log.values()].filter((r) => r.attempts > 1).length;
    let forgotten = 0;
    for (const [id, copies] of distinct) {
      if (copies.length < 2) continue;
      const row = log.get(id);
      if (row && row.attempts > 1) continue; // claimed again after an interrupted hand-over
      // Or a PostgreSQL kill right after the first copy forgot the log's relaxed commit.
      if (pgKills.some((k) => k >= copies[0].at && k - copies[0].at <= RELAXED_COMMIT_MS)) {
        forgotten++;
        continue;
      }
      problems.push(`${row?.unitId ?? id} arrived ${copies.length} times though the log shows ${row?.attempts ?? 0} attempt(s) and no kill cut it`);
    }
    for (const r of log.values()) if (r.status !== 'sent') problems.push(`the request to ${r.taskId}/${r.unitId} ends ${r.status} in the notices table`);
    if (status.retrying?.length) problems.push(`planStatus still shows ${status.retrying.length} notice(s) retrying`);
    for (const e of supervisor.ownExits) say(e);

    const dupes = succeeded.filter((s) => s.duplicate).length;
    report.note =
      `${submissions.length} submissions by ${SUBMITTERS} submitters (${succeeded.length} succeeded after ${submissions.reduce((n, s) => n + s.tries, 0)} calls; ` +
      `failures ${Object.entries(failures).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}; ${dupes} answered as already applied) through ` +
      `${Object.entries(faults).map(([k, n]) => `${n} ${k}`).join(', ')}; longest call by outcome ${Object.entries(longest).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ')}: each success once in report_revisions, planStatus and the group workflow; ` +
      `${report.notices.delivered}/${pairs.length} requests delivered in ${expected.size} messages, ${duplicated} second cop${duplicated === 1 ? 'y' : 'ies'} under the same Message-ID ` +
      `(${report.notices.cutHandOvers} hand-overs claimed again${forgotten ? `, ${forgotten} forgotten by a PostgreSQL kill` : ''}). Downtimes: ${downtime.join('; ')}.`;
  } finally {
    await supervisor.stop().catch(() => {});
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
