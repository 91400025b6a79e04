/**
 * Messages vs notices in a rehearsal of a generated plan whose units span several group workflows: how many notices,
 * how many messages carried them, and how many there would be at exactly one message per recipient per instant.
 *
 *   npx tsx scripts/digest-figure.ts [tasks=200] [unitsPerTask=3] [units=40] [years=1]
 *
 * The gather window is REVIEW_CYCLES_DIGEST_GATHER_MS (default 1,500 ms; 0 gathers within one activity call only).
 * The rehearsal runs on a time-skipping server of its own with a temporary PostgreSQL; mail is discarded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { behaviourSchema } from '../client/rehearse/behaviour.js';
import { rehearse } from '../client/rehearse/run.js';
import { checkPlan } from '../workflows/contract/plan-check.js';
import { layoutOf } from '../workflows/cycle/layout.js';
import { BEHAVIOUR_MIX, generatePlan } from './generate-plan.js';

const [tasks = '200', unitsPerTask = '3', units = '40', years = '1'] = process.argv.slice(2);
const checked = checkPlan(generatePlan({ tasks: +tasks, unitsPerTask: +unitsPerTask, units: +units, years: +years, startYear: 2027 }));
if (!checked.ok) throw new Error(`generated plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
const plan = checked.plan;
const layout = layoutOf(plan);
const groupsOfUnit = new Map<string, number>();
for (const u of plan.units) groupsOfUnit.set(u.id, layout.groups.filter((g) => plan.tasks.some((t) => g.taskIds.includes(t.id) && t.units.includes(u.id))).length);
const spread = [...groupsOfUnit.values()];
const t0 = performance.now();
const result = await rehearse({ plan, behaviour: behaviourSchema.parse(BEHAVIOUR_MIX), outDir: mkdtempSync(join(tmpdir(), 'rc-digest-figure-')) });
const wall = (performance.now() - t0) / 1000;
// At exactly one message per recipient per instant: one per (instant, to, cc) of the notices that may travel
// together, plus one per review or summary document (those always travel alone).
const documents = result.notices.filter((n) => n.kind === 'review' || n.kind === 'summary').length;
const set = (xs: readonly string[]) => [...new Set(xs)].sort().join(',');
const ideal = new Set(result.notices.filter((n) => n.kind !== 'review' && n.kind !== 'summary').map((n) => `${n.at}|${set(n.to)}|${set(n.cc)}`)).size + documents;
console.log(
  JSON.stringify(
    {
      plan: `generatePlan(${tasks} tasks x ${unitsPerTask} units of ${units} x ${years} year(s)) + BEHAVIOUR_MIX`,
      gatherMs: process.env.REVIEW_CYCLES_DIGEST_GATHER_MS ?? '1500 (default)',
      groups: layout.groups.length,
      groupsPerUnit: { min: Math.min(...spread), max: Math.max(...spread), mean: +(spread.reduce((a, b) => a + b, 0) / spread.length).toFixed(2) },
      notices: result.notices.length,
      messages: result.messages,
      oneMessagePerRecipientPerInstant: ideal,
      noticesPerMessage: +(result.notices.length / result.messages).toFixed(1),
      wallSeconds: +wall.toFixed(1),
      rejected: result.rejected.length,
    },
    null,
    2,
  ),
);
