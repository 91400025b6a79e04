/** How a plan's findings are split over findings workflows. Pure. */
import type { Plan } from '../contract/plan.js';
import { plannedFindings } from './record.js';

/** Findings per workflow: bounds the state carried over continue-as-new (at most about 10 kB a finding: 40 actions of 250 bytes). */
export const FINDINGS_PER_WORKFLOW = 100;

/** The findings of the plan split into slices of FINDINGS_PER_WORKFLOW, in file order. */
export function findingSlices(plan: Plan, perSlice = FINDINGS_PER_WORKFLOW): string[][] {
  const ids = plannedFindings(plan).map((p) => p.finding.id);
  const slices: string[][] = [];
  for (let i = 0; i < ids.length; i += perSlice) slices.push(ids.slice(i, i + perSlice));
  return slices;
}
