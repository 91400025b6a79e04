/**
 * `npm run bench`: measures on this machine and prints a table; the figures also go to .data/bench-results.json.
 *
 *   1. rehearsals on the time-skipping server: the demo plan, and a generated 200 x 3 x 3 plan (target < 90 s);
 *      1b. 2,000 inspection findings over two rounds with a behaviour mix (target < 60 s);
 *   2. mail throughput of the real sendNotices activity over one pooled SMTP transport to an in-process server;
 *   3. on a real dev server: report submissions vs a bare Update to a trivial workflow (target ratio <= 1.2x, p50 and p99),
 *      and from each receipt to the revision visible in the database (target: at most 2 s);
 *   4. reads of the system of record on a 10,000-task x 5-unit plan (200,000 records, temporary embedded PostgreSQL): the
 *      unit's form, headquarters' summary (target < 1 s) and one aspect's drill-down, p50/p99 over BENCH_READS_RUNS runs;
 *   5. the machine;
 *   6. one amendment of a 10,000-task x 5-unit plan on a dev server (next year's holidays and one added task): from the
 *      call to the receipt, and to every group rolled over to version 2 (target < 60 s);
 *   7. `cluster` (not in the default parts: it needs `npm run cluster:up` first): part 3 on the local Temporal cluster,
 *      and notice throughput (a plan of BENCH_THROUGHPUT_UNITS units, default 2000, with its requests due at start)
 *      with one and with two worker processes, on the cluster and on a dev server side by side.
 *
 * Environment: BENCH_ONLY=rehearse,findings,mail,live,reads,amend,cluster (parts to run; default all but cluster; `--help` prints this), BENCH_CALLS
 * (measured calls per caller and kind, default 100), BENCH_CONCURRENCY (default 20), BENCH_CLOSING_BACKOFF_MS (an
 * experiment: retry an Update refused with "workflow is closing" after this many ms instead of the SDK's default
 * back-off; off by default), BENCH_READS_RUNS (measured runs of each read, default 200), BENCH_READS_TASKS (tasks of
 * the reads plan, default 10000), BENCH_AMEND_TASKS, BENCH_AMEND_UNITS_PER_TASK and BENCH_AMEND_UNITS (the amendment's
 * plan, default 10000 x 5 over 5 units: 500 groups).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AMEND_TARGETS, amendBench, type AmendFigures } from './bench/amend.js';
import { liveBench, type LiveFigures } from './bench/live.js';
import { throughputBench, type ThroughputFigures } from './bench/throughput.js';
import { readState, serviceAlive, SERVICES } from './cluster/cluster.js';
import { machineInfo } from './bench/machine.js';
import { mailThroughput, type MailFigures } from './bench/mail.js';
import { readsBench, readsTables, READ_TARGETS, type ReadFigures } from './bench/reads.js';
import { rehearseDemo, rehearseFindings, rehearseGenerated, timeBundle, type RehearsalFigures } from './bench/rehearsals.js';
import { fmt, now, table } from './bench/stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.data');
const resultsFile = join(dataDir, 'bench-results.json');

const TARGETS = { generatedRehearsalMaxS: 90, findingsRehearsalMaxS: 60, submissionOverBareMaxRatio: 1.2, recordLagMaxMs: 2000, ...READ_TARGETS, ...AMEND_TARGETS };

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  // The comment at the top of this file is the help.
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(fileURLToPath(import.meta.url), 'utf8'))![1];
  console.log(`${doc.replace(/^ \* ?/gm, '').trim()}\n\nExample, the reads part only: BENCH_ONLY=reads npx tsx scripts/bench.ts`);
  process.exit(0);
}

const only = new Set((process.env.BENCH_ONLY ?? 'rehearse,findings,mail,live,reads,amend').split(',').map((s) => s.trim()));
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '20,50').split(',').map(Number);
const perSubmitter = Number(process.env.BENCH_CALLS ?? 100);
const readsRuns = Number(process.env.BENCH_READS_RUNS ?? 200);
const readsTasks = Number(process.env.BENCH_READS_TASKS ?? 10_000);
const amendPlanSize = {
  tasks: Number(process.env.BENCH_AMEND_TASKS ?? 10_000),
  unitsPerTask: Number(process.env.BENCH_AMEND_UNITS_PER_TASK ?? 5),
  units: Number(process.env.BENCH_AMEND_UNITS ?? 5),
};

const throughputUnits = Number(process.env.BENCH_THROUGHPUT_UNITS ?? 2000);

const say = (s: string) => console.log(s);

/** The local cluster's address and namespace, when `npm run cluster:up` brought it up here and it still runs. */
function runningCluster(): { address: string; namespace: string; name: string } {
  const state = readState();
  if (!state || !SERVICES.every((s) => serviceAlive(state.services[s], s))) throw new Error('bench part "cluster": no local cluster is running here; run npm run cluster:up first');
  return { address: state.address, namespace: state.namespace, name: `cluster (Temporal ${state.version})` };
}
const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const started = new Date();
  const t0 = now();
  const machine = machineInfo();
  // Other work on the machine skews every figure: the load averages are kept with them.
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  if (loadAtStart[0] > machine.cpuCount / 2) say(`warning: load average ${loadAtStart[0]} on ${machine.cpuCount} CPUs at start; other work skews the figures`);
  say(`review-cycles bench, ${started.toISOString()}`);
  say(`machine: ${machine.cpuCount} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`);
  say(`temporal: ${machine.temporalCliVersion}; test server ${machine.temporalTestServerVersion}\n`);

  let bundleMs: number | undefined;
  const rehearsals: RehearsalFigures[] = [];
  if (only.has('rehearse')) {
    say('1. rehearsals (time-skipping server, real workflows and activities, discard mailer)');
    bundleMs = await timeBundle();
    say(`  workflow bundle alone: ${(bundleMs / 1000).toFixed(1)} s (every rehearsal bundles once)`);
    rehearsals.push(await rehearseDemo(root, join(dataDir, 'bench-rehearsals'), say));
    rehearsals.push(await rehearseGenerated(join(dataDir, 'bench-rehearsals'), say));
  }
  if (only.has('findings')) {
    say('1b. a rehearsal of 2,000 inspection findings over two rounds (time-skipping server)');
    rehearsals.push(await rehearseFindings(join(dataDir, 'bench-rehearsals'), say));
  }

  const mail: MailFigures[] = [];
  if (only.has('mail')) {
    say('2. mail throughput (sendNotices over one pooled SMTP transport, in-process SMTP server)');
    mail.push(await mailThroughput(2000, 500, 1));
    say(`  ${mail[0].mode}: ${mail[0].perSecond} messages/s`);
    mail.push(await mailThroughput(2000, 500, 4));
    say(`  ${mail[1].mode}: ${mail[1].perSecond} messages/s`);
  }

  const lives: LiveFigures[] = [];
  if (only.has('live')) {
    for (const concurrency of concurrencies) {
      say(`3. submissions vs bare Update on a dev server (${concurrency} concurrent callers), and the database's lag`);
      const closingBackoffMs = process.env.BENCH_CLOSING_BACKOFF_MS ? Number(process.env.BENCH_CLOSING_BACKOFF_MS) : undefined;
      if (closingBackoffMs !== undefined) say(`  experiment: "workflow is closing" retried after ${closingBackoffMs} ms x attempt (not the SDK default)`);
      // The trivial workflows take at most 2,000 Updates a run: more callers make fewer calls each.
      const calls = Math.min(perSubmitter, Math.floor(2_000 / concurrency));
      lives.push(await liveBench({ tasks: 100, unitsPerTask: 2, concurrency, perSubmitter: calls, warmup: 50, rounds: 2, closingBackoffMs }, say));
    }
  }
  const throughputs: ThroughputFigures[] = [];
  if (only.has('cluster')) {
    const cluster = runningCluster();
    for (const concurrency of concurrencies) {
      say(`7. submissions vs bare Update on the ${cluster.name} (${concurrency} concurrent callers), and the database's lag`);
      const calls = Math.min(perSubmitter, Math.floor(2_000 / concurrency));
      lives.push(await liveBench({ tasks: 100, unitsPerTask: 2, concurrency, perSubmitter: calls, warmup: 50, rounds: 2, temporal: cluster }, say));
    }
    for (const temporal of [undefined, cluster]) {
      for (const workers of [1, 2]) {
        say(`7. notice throughput: ${throughputUnits} requests, ${workers} worker process(es), ${temporal?.name ?? 'dev server'}`);
        throughputs.push(await throughputBench({ units: throughputUnits, workers, temporal }, say));
      }
    }
  }
  let reads: ReadFigures | undefined;
  if (only.has('reads')) {
    say(`4. reads of the system of record (${readsTasks} tasks x 5 units, 4 requested quarters, temporary embedded PostgreSQL)`);
    reads = await readsBench({ tasks: readsTasks, units: 5, requestedQuarters: 4, runs: readsRuns, batchSize: 500 }, say);
  }
  let amend: AmendFigures | undefined;
  if (only.has('amend')) {
    const { tasks, unitsPerTask, units } = amendPlanSize;
    say(`6. one amendment of a ${tasks}-task x ${unitsPerTask}-unit plan over ${units} units on a dev server (next year's holidays and one added task)`);
    amend = await amendBench(amendPlanSize, say);
  }
  const totalS = (now() - t0) / 1000;
  const loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);

  // ---- report
  say('\n================ review-cycles benchmark ================');
  say(`date ${started.toISOString()}, total ${totalS.toFixed(0)} s`);
  say(
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cpuCount} x ${machine.cpuModel}`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Node', machine.node],
        ['temporal CLI (dev server)', machine.temporalCliVersion],
        ['temporal test server', machine.temporalTestServerVersion],
        ['load average 1/5/15 min', `${loadAtStart.join(' / ')} at start, ${loadAtEnd.join(' / ')} at end`],
      ],
    ),
  );
  const verdicts: Record<string, boolean> = {};
  if (rehearsals.length) {
    const gen = rehearsals.find((r) => r.name === 'generated');
    if (gen) verdicts.generatedRehearsal = gen.wallMs / 1000 < TARGETS.generatedRehearsalMaxS;
    const fin = rehearsals.find((r) => r.name === 'findings');
    if (fin) verdicts.findingsRehearsal = fin.wallMs / 1000 < TARGETS.findingsRehearsalMaxS && fin.rejected === 0;
    say('');
    say(
      table(
        ['rehearsal', 'unit-tasks', 'quarters', 'groups', 'wall s', 'notices', 'notices/s', 'target', 'verdict'],
        rehearsals.map((r) => [
          r.name,
          r.unitTasks,
          r.quarters,
          r.groups,
          r.wallMs / 1000,
          r.notices,
          r.noticesPerSecond,
          r.name === 'generated' ? `< ${TARGETS.generatedRehearsalMaxS} s` : r.name === 'findings' ? `< ${TARGETS.findingsRehearsalMaxS} s` : '-',
          r.name === 'generated' ? passFail(verdicts.generatedRehearsal) : r.name === 'findings' ? passFail(verdicts.findingsRehearsal) : '-',
        ]),
      ),
    );
    if (bundleMs !== undefined) say(`(each wall time includes bundling the workflows, ${fmt(bundleMs / 1000)} s alone, and starting the test server)`);
  }
  if (mail.length) {
    say('');
    say(table(['mail (sendNotices, pooled SMTP)', 'notices', 'batch', 'wall s', 'messages/s', 'KiB/msg'], mail.map((m) => [m.mode, m.notices, m.batchSize, m.wallMs / 1000, m.perSecond, m.kiBPerMessage])));
  }
  for (const live of lives) {
    const c = live.target === 'dev server' ? String(live.options.concurrency) : `${live.options.concurrency}, ${live.target}`;
    verdicts[`ratioP50@${c}`] = live.ratio.p50 <= TARGETS.submissionOverBareMaxRatio;
    verdicts[`ratioP99@${c}`] = live.ratio.p99 <= TARGETS.submissionOverBareMaxRatio;
    verdicts[`recordLag@${c}`] = live.lag.maxMs <= TARGETS.recordLagMaxMs && live.lag.unseen === 0;
    say('');
    say(`${live.groups} group workflows / ${live.groups} trivial workflows, ${live.options.concurrency} concurrent callers, ${live.submission.calls} measured calls each (after ${live.warmupCalls} warm-up calls)`);
    say(
      table(
        [live.target, 'calls', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'calls/s'],
        [
          ['submitReport', live.submission.calls, live.submission.errors, live.submission.p50Ms, live.submission.p90Ms, live.submission.p99Ms, live.submission.maxMs, live.submission.perSecond],
          ['bare Update (trivial wf)', live.bare.calls, live.bare.errors, live.bare.p50Ms, live.bare.p90Ms, live.bare.p99Ms, live.bare.maxMs, live.bare.perSecond],
        ],
      ),
    );
    say(
      table(
        ['ratio submission/bare', 'value', 'target', 'verdict'],
        [
          ['p50', live.ratio.p50, `<= ${TARGETS.submissionOverBareMaxRatio}`, passFail(verdicts[`ratioP50@${c}`])],
          ['p99', live.ratio.p99, `<= ${TARGETS.submissionOverBareMaxRatio}`, passFail(verdicts[`ratioP99@${c}`])],
        ],
      ),
    );
    say(
      table(
        ['receipt -> visible in the database', 'reports', 'p50 ms', 'p99 ms', 'max ms', 'never seen', 'target', 'verdict'],
        [['lag', live.lag.calls, live.lag.p50Ms, live.lag.p99Ms, live.lag.maxMs, live.lag.unseen, `max <= ${TARGETS.recordLagMaxMs} ms`, passFail(verdicts[`recordLag@${c}`])]],
      ),
    );
    say(`group workflow runs at the end (continue-as-new): ${live.groupRuns.join(', ')}`);
    for (const kind of ['submission', 'bare'] as const) {
      const r = Object.entries(live.grpcRetries[kind]);
      say(`gRPC attempts retried by the client during ${kind}: ${r.length ? r.map(([k, n]) => `${n} x ${k}`).join('; ') : 'none'}`);
    }
    if (live.errorSamples.length) say(`errors: ${live.errorSamples.join(' | ')}`);
  }

  if (throughputs.length) {
    say('');
    say(
      table(
        ['notice throughput (requests due at start)', 'workers', 'groups', 'first s', 'all s', 'messages/s', 'duplicated'],
        throughputs.map((t) => [t.target, t.options.workers, t.groups, t.firstMs / 1000, t.lastMs / 1000, t.perSecond, t.duplicated]),
      ),
    );
  }

  if (reads) {
    verdicts.dashboardP99 = reads.dashboard.p99Ms < TARGETS.dashboardMaxMs;
    say('');
    for (const line of readsTables(reads, table, passFail)) say(line);
  }

  if (amend) {
    verdicts.amendApplied = amend.allRolledMs / 1000 < TARGETS.amendAppliedMaxS && amend.onVersion2 === amend.groups && amend.newGroupRunning && amend.versionRows === 1 && amend.planFailedTasks === 0;
    say('');
    say(`amendment of ${amend.planId}: ${amend.options.tasks} tasks, ${amend.unitTasks} unit-tasks, ${amend.groups} groups (plan JSON ${amend.planJsonKiB} KiB; all groups running ${fmt(amend.startedAfterMs / 1000)} s after the start)`);
    say(
      table(
        ['amendment (dev server)', 's', 'target', 'verdict'],
        [
          ['dry run (client checks and preview only)', amend.dryRunMs / 1000, '-', '-'],
          [amend.callGaveUp ? 'call -> Update completed (amendPlan gave up at 120 s)' : 'call -> receipt', amend.receiptMs / 1000, '-', '-'],
          ['call -> first group rolled over', amend.rolledMs.first / 1000, '-', '-'],
          ['call -> half the groups rolled over', amend.rolledMs.p50 / 1000, '-', '-'],
          ['call -> every group on version 2', amend.allRolledMs / 1000, `< ${TARGETS.amendAppliedMaxS} s`, passFail(verdicts.amendApplied)],
        ],
      ),
    );
    const ph = amend.phases;
    say(`in the plan workflow's history, s after the call: Update accepted ${fmt(ph.accepted / 1000)}, version recorded ${fmt(ph.recorded / 1000)}, ${amend.groups} signals sent ${fmt(ph.signalsSent / 1000)}, last delivered ${fmt(ph.lastSignalDelivered / 1000)}, new group started ${fmt(ph.newGroupStarted / 1000)}, Update completed ${fmt(ph.completed / 1000)}`);
    const pt = amend.planTasks;
    say(`meanwhile the plan workflow ran ${pt.count} workflow tasks (median ${fmt(pt.p50Ms)} ms, max ${fmt(pt.maxMs)} ms, ${fmt(pt.totalMs / 1000)} s in all on the worker)`);
    const r = amend.rollSteps;
    const pm = (x: { p50: number; max: number }) => `${fmt(x.p50 / 1000)} / ${fmt(x.max / 1000)}`;
    say(`per group, s (median / max): signal delivered ${pm(r.delivered)} after the call; then waiting for the worker ${pm(r.waitForWorker)}, roll-over tasks ${pm(r.rollTasks)}, waiting for the next run's first task ${pm(r.nextWait)}, that task ${pm(r.nextTask)}`);
    say(
      `groups on version 2: ${amend.onVersion2}/${amend.groups}; new group running: ${amend.newGroupRunning}; version 2 rows: ${amend.versionRows}; ` +
        `plan workflow: ${amend.planHistory.events} events, ${fmt(amend.planHistory.bytes / 2 ** 20)} MiB of history, ${amend.planFailedTasks} failed workflow tasks, replayed by a fresh worker in ${fmt(amend.replayMs / 1000)} s; repeated: a duplicate; then the plan workflow ${amend.planAfter.rolled ? 'went on in a fresh run' : 'stayed in its run'}: ${amend.planAfter.events} events, ${fmt(amend.planAfter.bytes / 2 ** 20)} MiB`,
    );
  }

  mkdirSync(dataDir, { recursive: true });
  const liveFigures = lives.map(({ samples: _samples, ...rest }) => rest);
  const samples = lives.length ? Object.fromEntries(lives.map((l) => [l.target === 'dev server' ? l.options.concurrency : `${l.options.concurrency}, ${l.target}`, l.samples])) : undefined;
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ date: started.toISOString(), totalSeconds: Math.round(totalS), machine, loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd }, targets: TARGETS, verdicts, bundleMs, rehearsals, mail, live: liveFigures, throughput: throughputs, reads, amend }, null, 2)}\n`,
  );
  if (samples) writeFileSync(join(dataDir, 'bench-live-samples.json'), `${JSON.stringify(samples)}\n`);
  say(`\nfigures written to ${resultsFile}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
