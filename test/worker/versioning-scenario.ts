/**
 * A rolling upgrade with Worker Versioning (docs/DEPLOY.md, "Rolling upgrades with Worker Versioning") on a real
 * Temporal (a dev server: test/worker/versioning.slow.test.ts; the local cluster: test/cluster/versioning.cluster.ts),
 * real worker processes, PostgreSQL and an SMTP server. An unversioned worker (today's installations), build 1
 * (the production workflows) and build 2 (the same with one change behind `patched()`: requests and reminders copy
 * headquarters, test/fixtures/versioning-recipients.ts) run as worker processes on one task queue, builds 1 and 2 in
 * one Worker Deployment; versions are made current with the Temporal CLI, as an operator does.
 *
 * - Before any version is current, plan "legacy" starts on the unversioned worker; build 1 is made current, the
 *   unversioned worker stopped, and plan "running" starts on build 1. Their requests and findings' assignments go out,
 *   and the histories recorded then are kept.
 * - Build 2 is made current: a report alpha submits to the running plan is taken by build 2, plan "fresh" starts
 *   there, and at the day's send time the reminders and finding reminders of all three plans go out from build 2 (the
 *   reminders past the patch).
 * - The server reports build 1 drained (nothing is pinned to it) while the legacy and running plan workflows, idle
 *   since they started, are still on their builds; build 1's worker is stopped, and an amendment of each plan wakes
 *   its plan workflow on build 2 and rolls its groups and findings over to new runs there.
 * - No workflow task failed in any history, every workflow moved forward only and ends on build 2, every notice reached
 *   the SMTP server exactly once (per Message-ID) and the sent log agrees, the histories recorded before build 2 and
 *   the final ones replay against build 2's bundle, and build 1's bundle refuses the runs that went past the patch.
 *
 * The plans' notices fall on today's send time, a whole minute, so the test waits up to a minute more than its steps
 * take: it is in the slow suite.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
// The bundler's own webpack (a dependency of @temporalio/worker), for the type of its plugin hook.
import type { Compiler } from 'webpack';
import { messageIdFor } from '../../activities/notices/message-id.js';
import { amendPlan } from '../../client/amend.js';
import { planStatus, recordedPlan, startPlan, submitReport } from '../../client/plans.js';
import { temporalCliPath } from '../../client/temporal-binaries.js';
import { workflowsPath } from '../../worker/build.js';
import { installRuntime } from '../../worker/runtime.js';
import { planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { BUILD_2_PATCH } from '../fixtures/versioning-recipients.js';
import { validPlan } from '../fixtures/plans.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { polling, stopWorker, WorkerProcesses, waitUntil } from '../helpers/worker-process.js';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DAY = 86_400_000;
const MINUTE = 60_000;
const HQ = 'hq@example.org';

/**
 * The server's dynamic configuration the scenario needs: it refreshes a draining version's status every second and
 * waits 5 s for visibility (3 minutes each by default), so that build 1 is reported drained within the test.
 */
export const VERSIONING_DYNAMIC_CONFIG = {
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '5s',
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
};

/** The Temporal the scenario runs on (read once its file's servers are up). */
export interface VersioningTarget {
  address: string;
  namespace: string;
}

/** Registers the scenario's hooks and its test on `target`. */
export function versioningSuite(target: () => VersioningTarget): void {
  const stamp = `${process.pid}-${Date.now()}`;
  const queue = `versioning-${stamp}`;
  const deploymentName = `review-cycles-${stamp}`;
  const BUILD_1 = 'build-1';
  const BUILD_2 = 'build-2';
  const legacy = `legacy-${stamp}`;
  const running = `running-${stamp}`;
  const fresh = `fresh-${stamp}`;

  const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

  /**
   * A two-quarter plan (UTC) whose every notice of today goes out at `at` (a whole minute): the request was due
   * yesterday (sent as soon as the plan starts), the due day is tomorrow and its one reminder today. One finding of an
   * inspection fed back yesterday is alpha's, due tomorrow, with its reminder today too. The quarter is yesterday's,
   * so that yesterday is always inside the plan.
   */
  function planAt(id: string, at: number): { plan: Plan; period: string } {
    const today = Math.floor(at / DAY) * DAY;
    const yesterday = new Date(today - DAY);
    const y = yesterday.getUTCFullYear();
    const q = Math.floor(yesterday.getUTCMonth() / 3);
    const last = Date.UTC(y, 3 * q + 3, 0);
    const offset = (day: number) => Math.round((day - last) / DAY);
    return {
      period: `${y}-Q${q + 1}`,
      plan: validPlan({
        id,
        title: `Versioning test plan ${id}`,
        timezone: 'UTC',
        // One message per notice, so that each arrives under its own Message-ID: alpha's request and its finding's
        // assignment fall on one instant and would otherwise travel as one digest (what this test counts is builds).
        delivery: { digest: false },
        start: ymd(Date.UTC(y, 3 * q, 1)),
        end: ymd(Date.UTC(y, 3 * q + 6, 0)),
        headquarters: { name: 'Headquarters', email: HQ },
        units: [
          { id: 'alpha', name: 'Alpha Office', email: 'alpha@example.org' },
          { id: 'beta', name: 'Beta Office', email: ['beta@example.org', 'beta-desk@example.org'] },
        ],
        aspects: [{ id: 'a', title: 'Aspect A' }],
        tasks: [
          { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
          { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
        ],
        cadence: { sendTime: hhmm(at), requestOffsetDays: offset(today - DAY), dueOffsetDays: offset(today + DAY), reminderDays: [-1] },
        inspections: {
          cadence: { reminderDays: [-1] },
          rounds: [
            {
              id: 'r1',
              title: 'Round One',
              feedbackDay: ymd(today - DAY),
              findings: [{ id: 'f1', title: 'Finding One', unit: 'alpha', deadline: ymd(today + DAY) }],
            },
          ],
        },
      }),
    };
  }

  const noop = () => {};
  const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };

  /**
   * The workflow bundle of build 2: the production workflows with test/fixtures/versioning-recipients.ts in place of
   * workflows/cycle/recipients.ts (only where the workflows import it: the fixture imports the original itself).
   */
  async function bundleOfBuild2(): Promise<string> {
    const workflowsDir = dirname(workflowsPath);
    const fixture = join(root, 'test/fixtures/versioning-recipients.ts');
    let swapped = 0;
    const swapRecipients = {
      apply(compiler: Compiler) {
        compiler.hooks.normalModuleFactory.tap('build-2', (factory) => {
          factory.hooks.beforeResolve.tap('build-2', (data) => {
            if (data.request === './cycle/recipients.js' && data.context === workflowsDir) {
              data.request = fixture;
              swapped++;
            }
          });
        });
      },
    };
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      logger: quietLogger,
      webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), swapRecipients] }),
    });
    if (swapped === 0) throw new Error('the bundle of build 2 did not take the fixture: workflows/cycle/recipients.js is imported another way');
    expect(code).toContain(BUILD_2_PATCH);
    const file = join(bundleDir, 'build-2.js');
    writeFileSync(file, code);
    return file;
  }

  const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

  /** Runs the Temporal CLI against the test's server; resolves with its output, rejects with it on failure. */
  function temporal(args: string[]): Promise<string> {
    return new Promise((ok, fail) => {
      execFile(temporalCliPath(), [...args, '--address', target().address, '--namespace', target().namespace], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? fail(new Error(`temporal ${args.join(' ')}: ${stderr || stdout || err.message}`)) : ok(stdout),
      );
    });
  }

  /** Makes `buildId` the current version as an operator does, once the server has seen its pollers (it refuses before). */
  async function setCurrent(buildId: string): Promise<number> {
    let last = '';
    return waitUntil(`${buildId} made current`, 30_000, async () => {
      try {
        await temporal(['worker', 'deployment', 'set-current-version', '--deployment-name', deploymentName, '--build-id', buildId, '--yes']);
        return Date.now();
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    }, 500).catch((err: Error) => {
      throw new Error(`${err.message}; the last refusal: ${last}`);
    });
  }

  /** The version's drainage status as the server reports it ('VERSION_DRAINAGE_STATUS_DRAINED' once drained). */
  async function drainage(buildId: string): Promise<string> {
    const res = await client.workflowService.describeWorkerDeploymentVersion({ namespace: target().namespace, deploymentVersion: { deploymentName, buildId } });
    const status = res.workerDeploymentVersionInfo?.drainageInfo?.status;
    return status === undefined || status === null ? 'none' : (DRAINAGE[status] ?? String(status));
  }
  /** temporal.api.enums.v1.VersionDrainageStatus, by number. */
  const DRAINAGE: readonly string[] = ['VERSION_DRAINAGE_STATUS_UNSPECIFIED', 'VERSION_DRAINAGE_STATUS_DRAINING', 'VERSION_DRAINAGE_STATUS_DRAINED'];

  /** Every run of a workflow, oldest first. */
  async function allRuns(workflowId: string): Promise<History[]> {
    const runs: History[] = [];
    let history = await client.workflow.getHandle(workflowId).fetchHistory();
    for (;;) {
      runs.unshift(history);
      const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      if (!previous) return runs;
      history = await client.workflow.getHandle(workflowId, previous).fetchHistory();
    }
  }

  /** A plan's workflows: its plan workflow and the children it started (groups and findings). */
  async function workflowsOf(planId: string): Promise<string[]> {
    const ids = new Set<string>([planWorkflowId(planId)]);
    for (const run of await allRuns(planWorkflowId(planId))) {
      for (const e of run.events ?? []) {
        const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (child) ids.add(child);
      }
    }
    return [...ids];
  }

  const events = (h: History) => h.events ?? [];
  const failedTasks = (h: History) =>
    events(h).filter((e) => e.workflowTaskFailedEventAttributes).map((e) => `${e.eventId}: ${e.workflowTaskFailedEventAttributes!.failure?.message}`);
  /** The build of each completed workflow task, in order. */
  const builds = (h: History) =>
    events(h).flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.deploymentVersion?.buildId ?? 'unversioned'] : []));
  /** How many of the history's patch markers are build 2's (a patch marker's details carry its id as JSON). */
  const patchMarkers = (h: History) =>
    events(h).filter((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_patch') return false;
      const payloads = Object.values(marker.details ?? {}).flatMap((d) => d?.payloads ?? []);
      return payloads.some((p) => p.data && Buffer.from(p.data).toString('utf8').includes(JSON.stringify(BUILD_2_PATCH)));
    }).length;

  const bundleDir = mkdtempSync(join(tmpdir(), 'rc-versioning-'));
  const workers = new WorkerProcesses();
  let sink: SmtpSink;
  let dbUrl: string;
  let db: pg.Pool;
  let connection: Connection;
  let client: Client;
  let build2Bundle: string;

  beforeAll(async () => {
    installRuntime();
    sink = await startSmtpSink();
    dbUrl = await freshDatabaseUrl();
    db = new pg.Pool({ connectionString: dbUrl, max: 4 });
    db.on('error', () => {});
    connection = await Connection.connect({ address: target().address });
    client = new Client({ connection, namespace: target().namespace });
    build2Bundle = await bundleOfBuild2();
  }, 180_000);

  afterAll(async () => {
    await workers.stopAll();
    await connection?.close();
    await db?.end();
    await sink?.close();
    rmSync(bundleDir, { recursive: true, force: true });
  });

  test('unversioned to build 1 to build 2: running cycles move on without failed tasks, new ones start on build 2, build 1 drains, every notice once', async () => {
    const t0 = Date.now();
    const env = (version?: { buildId: string; bundle: string }): Record<string, string> => ({
      TEMPORAL_ADDRESS: target().address,
      TEMPORAL_NAMESPACE: target().namespace,
      REVIEW_CYCLES_TASK_QUEUE: queue,
      REVIEW_CYCLES_DATABASE_URL: dbUrl,
      REVIEW_CYCLES_SMTP_URL: sink.url,
      REVIEW_CYCLES_WORKFLOW_BUNDLE: version?.bundle ?? inject('workflowBundlePath'),
      ...(version ? { REVIEW_CYCLES_DEPLOYMENT_NAME: deploymentName, REVIEW_CYCLES_BUILD_ID: version.buildId } : {}),
    });
    // Every worker runs from the start: a versioned build takes nothing until it is made current, and until a version is
    // current the server gives every task to the unversioned worker (today's installations).
    const w0 = workers.spawn('unversioned', env());
    const w1 = workers.spawn('build-1', env({ buildId: BUILD_1, bundle: inject('workflowBundlePath') }));
    const w2 = workers.spawn('build-2', env({ buildId: BUILD_2, bundle: build2Bundle }));
    await Promise.all([polling(w0), polling(w1), polling(w2)]);
    expect(w0.output()).not.toContain('Worker Deployment');
    expect(w1.output()).toContain(`build ${BUILD_1} of Worker Deployment ${deploymentName}`);

    // Today's notices go out at the first whole minute at least 40 s away: time for the steps before them.
    const at = Math.ceil((Date.now() + 40_000) / MINUTE) * MINUTE;
    const plans = { [legacy]: planAt(legacy, at), [running]: planAt(running, at), [fresh]: planAt(fresh, at) };
    const period = plans[running].period;
    const key = (planId: string, taskId: string, unitId: string, kind: 'request' | 'reminder') => messageIdFor({ planId, taskId, unitId, period, kind, number: 1 });
    const requests = (planId: string) => [key(planId, 't1', 'alpha', 'request'), key(planId, 't2', 'beta', 'request')];
    const arrived = (id: string) => sink.messages.some((m) => m.messageId === id);
    const message = (id: string) => sink.messages.find((m) => m.messageId === id)!;
    const header = (m: SmtpSink['messages'][number], name: string) => String(m.headers.get(name) ?? '');
    const kindOf = (m: SmtpSink['messages'][number]) => header(m, 'x-review-cycles-kind');
    const findingMessages = (planId: string) => sink.messages.filter((m) => kindOf(m).startsWith('finding/') && header(m, 'x-review-cycles-key').startsWith(`${planId}/`));
    const engine = { client, db };

    /** Starts a plan; resolves with its workflows once its requests and its finding's assignment are out and it is idle. */
    const startAndSettle = async (planId: string): Promise<string[]> => {
      expect((await startPlan(client, plans[planId].plan, queue)).started).toBe(true);
      await waitUntil(`${planId}'s requests and assignment`, 30_000, () => (requests(planId).every(arrived) && findingMessages(planId).length === 1 ? true : undefined));
      await waitUntil(`${planId} recorded`, 30_000, () => recordedPlan(db, planId).then(() => true, () => undefined));
      const ids = await waitUntil(`${planId}'s groups and findings`, 30_000, async () => {
        const found = await workflowsOf(planId);
        return found.some((id) => id.includes(':findings-')) && found.some((id) => id.includes(':tasks-')) ? found : undefined;
      });
      await waitUntil(`${planId} idle`, 30_000, async () => {
        const described = await Promise.all(ids.map((id) => client.workflow.getHandle(id).describe()));
        return described.every((d) => d.raw.pendingWorkflowTask == null && (d.raw.pendingActivities ?? []).length === 0) ? true : undefined;
      });
      return ids;
    };
    /** Each workflow's history as it is now, after checking that every task so far was completed by `build`. */
    const recorded = async (ids: string[], build: string): Promise<Map<string, History>> => {
      const out = new Map<string, History>();
      for (const id of ids) {
        const h = await client.workflow.getHandle(id).fetchHistory();
        expect(new Set(builds(h)), id).toEqual(new Set([build]));
        expect(failedTasks(h), id).toEqual([]);
        out.set(id, h);
      }
      return out;
    };

    // Before any version is current: the legacy plan runs on the unversioned worker.
    const before = await recorded(await startAndSettle(legacy), 'unversioned');

    // Build 1 becomes current; the unversioned worker is stopped. The running plan starts on build 1.
    await setCurrent(BUILD_1);
    expect(await stopWorker(w0), `the unversioned worker did not stop on SIGTERM:\n${w0.output()}`).toBe(true);
    const onBuild1 = await recorded(await startAndSettle(running), BUILD_1);
    for (const planId of [legacy, running]) {
      const request = message(key(planId, 't2', 'beta', 'request'));
      expect(request.cc, planId).toEqual([]);
      expect(request.envelopeTo.sort(), planId).toEqual(['beta-desk@example.org', 'beta@example.org']);
    }

    // Build 2 becomes current; from then on the server is asked, every second, whether build 1 has drained.
    const switchedAt = await setCurrent(BUILD_2);
    expect(Date.now(), 'the steps before the send time took too long').toBeLessThan(at);
    const drained = waitUntil('build 1 drained', 180_000, async () => ((await drainage(BUILD_1)) === 'VERSION_DRAINAGE_STATUS_DRAINED' ? Date.now() : undefined), 1_000).then(
      (t) => ({ t }),
      (error: Error) => ({ error }),
    );

    // A report to the running plan: taken by build 2 (its group's first task since the switch).
    const receipt = await submitReport(engine, running, { requestId: `r-${stamp}`, taskId: 't1', unitId: 'alpha', period, status: 'on-track', summary: 'Done on build 2' });
    expect(receipt).toMatchObject({ taskId: 't1', unitId: 'alpha', period, revision: 1, duplicate: false });

    // A plan started now runs on build 2 from its first task: its requests copy headquarters already.
    await startAndSettle(fresh);
    for (const id of requests(fresh)) expect(message(id).cc).toEqual([HQ]);
    await submitReport(engine, fresh, { requestId: `f-${stamp}`, taskId: 't1', unitId: 'alpha', period, status: 'on-track', summary: 'Done on build 2' });
    expect(Date.now(), 'the steps before the send time took too long').toBeLessThan(at);

    // At the send time, from build 2: the reminders of those who have not reported, and the findings' reminders.
    const reminders = [key(legacy, 't1', 'alpha', 'reminder'), key(legacy, 't2', 'beta', 'reminder'), key(running, 't2', 'beta', 'reminder'), key(fresh, 't2', 'beta', 'reminder')];
    await waitUntil('the reminders of the three plans', at - Date.now() + 60_000, () =>
      reminders.every(arrived) && [legacy, running, fresh].every((p) => findingMessages(p).length === 2) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nmessages: ${sink.messages.map((m) => `${kindOf(m)} ${header(m, 'x-review-cycles-key')}`).join('; ')}\nbuild 2:\n${w2.output().slice(-3000)}`);
    });
    const remindersAt = Date.now();
    for (const id of reminders) expect(message(id).cc).toEqual([HQ]); // past build 2's patch
    for (const planId of [running, fresh]) expect(arrived(key(planId, 't1', 'alpha', 'reminder')), `${planId}: alpha reported, no reminder`).toBe(false);

    // Build 1 drains: nothing is pinned to it, so the server reports it drained, though the plan workflows of the legacy
    // and the running plan, idle since they started, have not moved yet. Build 1's worker is then stopped.
    const drain = await drained;
    if ('error' in drain) throw new Error(`${drain.error.message} (last reported: ${await drainage(BUILD_1)})`);
    const idle = await Promise.all([legacy, running].map(async (planId) => {
      const h = await client.workflow.getHandle(planWorkflowId(planId)).fetchHistory();
      return `${planId.split('-')[0]} on ${builds(h).at(-1)}`;
    }));
    expect(idle).toEqual(['legacy on unversioned', `running on ${BUILD_1}`]);
    const described = await client.workflowService.describeWorkerDeployment({ namespace: target().namespace, deploymentName });
    expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe(BUILD_2);
    expect(await stopWorker(w1), `build 1's worker did not stop on SIGTERM:\n${w1.output()}`).toBe(true);

    // An amendment wakes each of them on build 2, with no worker of their own build left, and rolls their groups and
    // findings over to new runs there.
    for (const planId of [legacy, running]) {
      const plan = plans[planId].plan;
      const v2 = validPlan({ ...plan, units: plan.units.map((u) => (u.id === 'alpha' ? { ...u, email: 'alpha-new@example.org' } : u)) });
      expect(await amendPlan(engine, planId, v2, { reason: 'alpha moved', by: 'versioning test' }), planId).toMatchObject({ version: 2, duplicate: false, dryRun: false });
    }

    // Every notice of the three plans reached the SMTP server exactly once, and the sent log agrees.
    await sleep(1_000);
    const counts = new Map<string, number>();
    for (const m of sink.messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    const { rows } = await db.query<{ message_id: string; status: string }>('SELECT message_id, status FROM notices WHERE plan_id = ANY($1)', [[legacy, running, fresh]]);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(counts.keys()));
    for (const planId of [legacy, running, fresh]) {
      for (const id of requests(planId)) expect(counts.get(id), `${planId} ${id}`).toBe(1);
      expect(findingMessages(planId).map(kindOf).sort(), planId).toEqual(['finding/finding-assigned', 'finding/reminder']);
    }
    expect(sink.messages).toHaveLength(3 * 2 + reminders.length + 3 * 2);

    // The plans' states: alpha reported where it did, the others requested and reminded once.
    for (const planId of [legacy, running, fresh]) {
      const s = await planStatus(db, planId);
      const state = (taskId: string) => s.tasks.find((t) => t.taskId === taskId)!.units[0].periods.find((p) => p.period === period)!;
      if (planId === legacy) expect(state('t1'), planId).toMatchObject({ state: 'requested', reminders: 1, deliveryIssues: [] });
      else expect(state('t1'), planId).toMatchObject({ state: 'submitted', daysLate: 0 });
      expect(state('t2'), planId).toMatchObject({ state: 'requested', reminders: 1, deliveryIssues: [] });
    }

    // The histories: no failed workflow task anywhere; every workflow moved forward only (unversioned, build 1, build 2)
    // and ends on build 2, auto-upgrading; the fresh plan ran on build 2 alone; build 2's patch is in the histories of the
    // notices sent past it, and in none recorded before.
    const order = ['unversioned', BUILD_1, BUILD_2];
    const finalRuns = new Map<string, History[]>();
    for (const planId of [legacy, running, fresh]) for (const id of await workflowsOf(planId)) finalRuns.set(id, await allRuns(id));
    const lines: string[] = [];
    for (const [id, runs] of finalRuns) {
      for (const h of runs) expect(failedTasks(h), id).toEqual([]);
      const seq = runs.flatMap(builds);
      lines.push(`${id.replace(/^review-cycles:/, '')}: ${runs.length} run(s); tasks ${order.map((b) => `${seq.filter((x) => x === b).length} ${b}`).join(', ')}`);
      expect(seq.map((b) => order.indexOf(b)), `${id}: ${seq.join(' ')}`).toEqual([...seq.map((b) => order.indexOf(b))].sort((a, b) => a - b));
      expect(seq.at(-1), id).toBe(BUILD_2);
      expect(seq[0], id).toBe(id.includes(legacy) ? 'unversioned' : id.includes(running) ? BUILD_1 : BUILD_2);
      const latest = await client.workflow.getHandle(id).describe();
      expect(latest.status.name, id).toBe('RUNNING');
      const versioning = latest.raw.workflowExecutionInfo?.versioningInfo;
      expect(decodeVersioningBehavior(versioning?.behavior), id).toBe('AUTO_UPGRADE');
      expect(versioning?.deploymentVersion, id).toMatchObject({ deploymentName, buildId: BUILD_2 });
    }
    const rolled = [...finalRuns].filter(([id]) => (id.includes(legacy) || id.includes(running)) && id !== planWorkflowId(legacy) && id !== planWorkflowId(running));
    expect(rolled.map(([id, runs]) => [id, runs.length >= 2]), 'the amendments rolled the groups and findings over').toEqual(rolled.map(([id]) => [id, true]));
    const groups = (planId: string) => [...finalRuns].filter(([id]) => id.includes(planId) && id.includes(':tasks-'));
    for (const planId of [legacy, running, fresh]) expect(groups(planId).some(([, runs]) => runs.some((h) => patchMarkers(h) > 0)), `${planId} went past build 2's patch`).toBe(true);
    for (const [id, h] of [...before, ...onBuild1]) expect(patchMarkers(h), id).toBe(0);

    // The histories recorded before build 2 replay against build 2's bundle, and so do the final ones (every run); build
    // 1's bundle refuses the runs that went past build 2's patch.
    const replay = async (bundle: string, histories: { workflowId: string; history: History }[]) => {
      const out: { workflowId: string; error?: unknown }[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundle }, replayName: 'versioning' }, histories)) out.push(r);
      return out;
    };
    const errors = (rs: { workflowId: string; error?: unknown }[]) => rs.filter((r) => r.error).map((r) => `${r.workflowId}: ${(r.error as Error).message}`);
    const early = [...before, ...onBuild1].map(([workflowId, history]) => ({ workflowId, history }));
    const final = [...finalRuns].flatMap(([workflowId, runs]) => runs.map((history) => ({ workflowId, history })));
    expect(errors(await replay(build2Bundle, early))).toEqual([]);
    expect(errors(await replay(build2Bundle, final))).toEqual([]);
    const pastPatch = final.filter((h) => patchMarkers(h.history) > 0);
    const refused = await replay(inject('workflowBundlePath'), pastPatch);
    expect(refused.map((r) => [r.workflowId, r.error instanceof Error && /Nondeterminism|nondeterminism/.test(r.error.message)])).toEqual(pastPatch.map((h) => [h.workflowId, true]));

    console.log(
      `versioning: ${Math.round((switchedAt - t0) / 1000)} s from the workers' start to build 2 current; reminders ${Math.round((remindersAt - at) / 1000)} s after the send time; ` +
        `build 1 reported drained ${Math.round((drain.t - switchedAt) / 1000)} s after the switch (the plan workflows then: ${idle.join(', ')}); ` +
        `${sink.messages.length} messages, each once; replay on build 2's bundle: ${early.length} histories from before it and ${final.length} final runs; ` +
        `${pastPatch.length} runs past the patch refused by build 1's (${(refused[0]?.error as Error | undefined)?.message?.match(/\[TMPRL1100\][^!]*!/)?.[0]})\n  ${lines.join('\n  ')}`,
    );
    expect(await stopWorker(w2), `build 2's worker did not stop on SIGTERM:\n${w2.output()}`).toBe(true);
  }, 420_000);
}
