/** Part 1b: a rehearsal of 2,000 inspection findings over two rounds with a behaviour mix (target < 60 s). */
import { generatePlan } from '../generate-plan.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import type { Behaviour } from '../../client/rehearse/behaviour.js';

/** A small report plan (20 tasks x 2 units, one year) carrying `findings` findings in two rounds, units in turn. */
export function findingsBenchPlan(findings = 2_000) {
  const raw = generatePlan({ id: `findings-${findings}`, tasks: 20, unitsPerTask: 2, years: 1, startYear: 2027 }) as Record<string, unknown>;
  const units = (raw.units as { id: string }[]).map((u) => u.id);
  const half = Math.ceil(findings / 2);
  const round = (id: string, feedbackDay: string, from: number, count: number) => ({
    id,
    title: `Inspection round ${id}`,
    feedbackDay,
    findings: Array.from({ length: count }, (_, i) => {
      const n = from + i;
      const unit = units[n % units.length];
      // Every fifth finding is verified by the next unit, the rest by headquarters; every tenth is re-checked, and
      // every finding of units 28-30 (whose re-checks reopen once).
      return {
        id: `f${n + 1}`,
        title: `Finding ${n + 1}`,
        unit,
        ...(n % 5 === 0 ? { verifier: units[(n + 1) % units.length] } : {}),
        ...(n % 10 === 3 || n % 30 >= 27 ? { recheckAfterDays: 30 } : {}),
      };
    }),
  });
  raw.inspections = { rounds: [round('2027-r1', '2027-03-15', 0, half), round('2027-r2', '2027-08-16', half, findings - half)] };
  const checked = checkPlan(raw);
  if (!checked.ok) throw new Error(`findings bench plan is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return checked.plan;
}

/**
 * Units 1-15 rectify 20 days after assignment and are accepted 2 days later; 16-21 claim 5 days after the deadline;
 * 22-24 never claim; 25-27 are rejected once; 28-30 are reopened once at the re-check; unit 15's claims are never
 * decided (its verifiers are reminded). Reports: all on time.
 */
export const FINDINGS_BEHAVIOUR: Behaviour = {
  default: { submit: { daysAfterRequest: 3 }, status: 'on-track' },
  rules: [],
  findings: {
    default: { claim: { daysAfterAssigned: 20, daysAfterRework: 5 }, verify: { decision: 'accept', daysAfterClaim: 2 }, recheck: 'pass' },
    rules: [
      ...[16, 17, 18, 19, 20, 21].map((u) => ({ unit: `unit-${u}`, claim: { daysAfterDeadline: 5 } })),
      ...[22, 23, 24].map((u) => ({ unit: `unit-${u}`, claim: 'never' as const })),
      ...[25, 26, 27].map((u) => ({ unit: `unit-${u}`, verify: { decision: 'reject-once' as const, daysAfterClaim: 3 } })),
      ...[28, 29, 30].map((u) => ({ unit: `unit-${u}`, recheck: 'reopen-once' as const })),
      { unit: 'unit-15', verify: { decision: 'never' as const } },
    ],
  },
};
