/** Part 1: wall time of whole rehearsals on the time-skipping server (real workflows and activities). */
import { bundleWorkflowCode } from '@temporalio/worker';
import { join } from 'node:path';
import { loadPlanFile } from '../../client/plan-file.js';
import { behaviourSchema, loadBehaviourFile } from '../../client/rehearse/behaviour.js';
import { rehearse } from '../../client/rehearse/run.js';
import { workflowsPath } from '../../worker/build.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { BEHAVIOUR_MIX, generatePlan } from '../generate-plan.js';
import { now, round } from './stats.js';
import { FINDINGS_BEHAVIOUR, findingsBenchPlan } from './findings.js';

export interface RehearsalFigures {
  name: string;
  plan: string;
  tasks: number;
  unitTasks: number;
  quarters: number;
  groups: number;
  wallMs: number;
  notices: number;
  /** Messages that carried them: a digest carries every notice of one instant to the same recipients. */
  messages: number;
  noticesPerSecond: number;
  noticesByKind: Record<string, number>;
  rejected: number;
  summary: string;
  /** Seconds from the call to each progress line the rehearsal logged (where the time goes). */
  progress: { atMs: number; line: string }[];
}

/** Bundling the workflows, which every rehearsal does first (timed on its own for context). */
export async function timeBundle(): Promise<number> {
  const t0 = now();
  await bundleWorkflowCode({ workflowsPath, logger: quiet });
  return round(now() - t0, 0);
}

export async function rehearseDemo(root: string, outRoot: string, say: (s: string) => void): Promise<RehearsalFigures> {
  const planFile = join(root, 'examples/demo-plan.yaml');
  const loaded = await loadPlanFile(planFile);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const behaviour = await loadBehaviourFile(join(root, 'test/fixtures/demo-behaviour.yaml'), loaded.plan);
  if (!behaviour.ok) throw new Error(behaviour.errors.join('\n'));
  return timed('demo', 'examples/demo-plan.yaml + test/fixtures/demo-behaviour.yaml', loaded.plan, behaviour.behaviour, join(outRoot, 'demo'), say);
}

export async function rehearseGenerated(outRoot: string, say: (s: string) => void): Promise<RehearsalFigures> {
  const checked = checkPlan(generatePlan({ tasks: 200, unitsPerTask: 3, years: 3, startYear: 2027 }));
  if (!checked.ok) throw new Error(`generated plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const behaviour = behaviourSchema.parse(BEHAVIOUR_MIX);
  return timed('generated', 'generatePlan(200 tasks x 3 units x 3 years) + BEHAVIOUR_MIX', checked.plan, behaviour, join(outRoot, 'generated'), say);
}

/** 2,000 findings over two rounds with a behaviour mix, beside a small report plan (target < 60 s). */
export async function rehearseFindings(outRoot: string, say: (s: string) => void): Promise<RehearsalFigures> {
  return timed('findings', 'findingsBenchPlan(2,000 findings, 2 rounds) + FINDINGS_BEHAVIOUR', findingsBenchPlan(2_000), FINDINGS_BEHAVIOUR, join(outRoot, 'findings'), say);
}

async function timed(
  name: string,
  label: string,
  plan: Plan,
  behaviour: Parameters<typeof rehearse>[0]['behaviour'],
  outDir: string,
  say: (s: string) => void,
): Promise<RehearsalFigures> {
  const progress: { atMs: number; line: string }[] = [];
  const t0 = now();
  const result = await rehearse({
    plan,
    behaviour,
    outDir,
    log: (line) => {
      const atMs = round(now() - t0, 0);
      progress.push({ atMs, line });
      say(`  [${name} +${(atMs / 1000).toFixed(1)} s] ${line}`);
    },
  });
  const wallMs = now() - t0;
  const byKind: Record<string, number> = {};
  for (const n of result.notices) byKind[n.kind] = (byKind[n.kind] ?? 0) + 1;
  const quarters = new Set(result.status.tasks.flatMap((t) => t.units.flatMap((u) => u.periods.map((p) => p.period)))).size;
  return {
    name,
    plan: label,
    tasks: plan.tasks.length,
    unitTasks: plan.tasks.reduce((n, t) => n + t.units.length, 0),
    quarters,
    groups: layoutOf(plan).groups.length,
    wallMs: round(wallMs, 0),
    notices: result.notices.length,
    messages: result.messages,
    noticesPerSecond: round((result.notices.length / wallMs) * 1000, 1),
    noticesByKind: byKind,
    rejected: result.rejected.length,
    summary: result.summary,
    progress,
  };
}

const noop = () => {};
const quiet = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
