/**
 * The fault suite (`npm run faults`): real servers, real worker processes killed with SIGKILL, a real SMTP server
 * counting every message by Message-ID. Each scenario checks that nothing was lost and nothing applied twice; the
 * suite prints one table, writes it to test-artifacts/faults.md (and the figures to test-artifacts/faults.json), and
 * exits 1 when any check failed.
 *
 * Environment: FAULTS_ONLY=<scenario,...> runs some of them (names in the table); FAULTS_SEED fixes the random kill
 * moments (default: a new seed, printed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { installRuntime } from '../worker/runtime.js';
import { root, cleanUpWorkers, type FaultReport } from './faults/support.js';
import { SCENARIOS } from './faults/scenarios.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  installRuntime();
  const only = process.env.FAULTS_ONLY ? new Set(process.env.FAULTS_ONLY.split(',').map((s) => s.trim())) : undefined;
  const seed = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  say(`fault suite: seed ${seed} (FAULTS_SEED=${seed} repeats the kill moments)`);
  const reports: FaultReport[] = [];
  const started = Date.now();
  for (const [name, run] of Object.entries(SCENARIOS)) {
    if (only && !only.has(name)) continue;
    say(`\n== ${name}`);
    const t0 = Date.now();
    try {
      reports.push(await run({ say: (l) => say(`  ${l}`), seed }));
    } catch (err) {
      reports.push({
        scenario: name, faults: {}, notices: { expected: 0, delivered: 0, duplicated: 0, late: 0, maxDelayMs: 0 },
        submissions: { sent: 0, recorded: 0, lost: 0, duplicated: 0 }, wallSeconds: (Date.now() - t0) / 1000,
        problems: [`the scenario failed: ${(err as Error).stack ?? String(err)}`],
      });
    } finally {
      await cleanUpWorkers();
    }
    const last = reports[reports.length - 1];
    say(`  ${last.problems.length ? `FAILED:\n    ${last.problems.join('\n    ')}` : 'passed'} (${last.wallSeconds.toFixed(1)} s)`);
  }
  const table = render(reports, seed, (Date.now() - started) / 1000);
  say(`\n${table}`);
  const out = join(root, 'test-artifacts');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'faults.md'), table);
  writeFileSync(join(out, 'faults.json'), `${JSON.stringify({ seed, machine: machine(), reports }, null, 2)}\n`);
  say('written: test-artifacts/faults.md, test-artifacts/faults.json');
  process.exit(reports.some((r) => r.problems.length) || !reports.length ? 1 : 0);
}

const machine = () => ({ cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, load: loadavg()[0] });

function render(reports: FaultReport[], seed: number, total: number): string {
  const faults = (f: Record<string, number>) => Object.entries(f).map(([k, n]) => `${n} ${k}`).join(', ') || '—';
  const rows = reports.map((r) => [
    r.scenario,
    faults(r.faults),
    `${r.notices.expected} / ${r.notices.delivered} / ${r.notices.duplicated}${r.notices.cutHandOvers !== undefined ? ` (${r.notices.cutHandOvers} cut)` : ''} / ${r.notices.late} (${(r.notices.maxDelayMs / 1000).toFixed(1)} s)`,
    `${r.submissions.sent} / ${r.submissions.recorded} / ${r.submissions.lost} / ${r.submissions.duplicated}`,
    r.wallSeconds.toFixed(0),
    r.problems.length ? `FAILED (${r.problems.length})` : 'passed',
  ]);
  const head = ['scenario', 'faults injected', 'notices expected / delivered / duplicated / late (max delay)', 'submissions sent / recorded / lost / duplicated', 'wall s', 'verdict'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const m = machine();
  return [
    `Fault suite, seed ${seed}, ${new Date().toISOString()}, ${total.toFixed(0)} s; ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}.`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    ...reports.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`),
    ...reports.flatMap((r) => r.problems.map((p) => `- ${r.scenario} FAILED: ${p.split('\n')[0]}`)),
    '',
  ].join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
