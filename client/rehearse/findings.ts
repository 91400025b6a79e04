/**
 * The findings part of a rehearsal's behaviour file: when each unit claims its findings rectified, how each verifier
 * decides, and how re-checks are answered; and the actor that performs those actions at their instants.
 */
import { z } from 'zod';
import { addDays, localDateOf, zonedInstant } from '../../workflows/calendar/index.js';
import { HEADQUARTERS } from '../../workflows/contract/finding.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { assignAt, plannedFindings, type PlannedFinding } from '../../workflows/findings/record.js';
import { firstDueDay, recheckAt } from '../../workflows/findings/schedule.js';

const claimSchema = z.union([
  z.literal('never'),
  z.strictObject({
    daysAfterAssigned: z.number().int().min(0, 'must be 0 or more').optional(),
    daysAfterDeadline: z.number().int().optional(),
    daysAfterRework: z.number().int().min(0, 'must be 0 or more').optional(),
  }),
]);
const verifySchema = z.strictObject({
  decision: z.enum(['accept', 'reject-once', 'never']),
  daysAfterClaim: z.number().int().min(0, 'must be 0 or more').optional(),
});
const recheckSchema = z.enum(['pass', 'reopen-once']);

const fields = { claim: claimSchema.optional(), verify: verifySchema.optional(), recheck: recheckSchema.optional() };

/** The `findings:` section of a behaviour file. */
export const findingBehaviourSchema = z.strictObject({
  default: z.strictObject(fields).optional(),
  rules: z
    .array(z.strictObject({ unit: z.string().optional(), finding: z.string().optional(), inspection: z.string().optional(), ...fields }))
    .default([]),
});

export type FindingBehaviour = z.output<typeof findingBehaviourSchema>;

/** What happens to one finding. */
export interface FindingAnswer {
  claim: z.output<typeof claimSchema>;
  verify: z.output<typeof verifySchema>;
  recheck: z.output<typeof recheckSchema>;
}

const DEFAULT_ANSWER: FindingAnswer = { claim: 'never', verify: { decision: 'accept' }, recheck: 'pass' };
/** A later round's claim comes this many days after the round starts, unless the behaviour says otherwise. */
const DEFAULT_REWORK_DAYS = 3;
/** A decision comes this many days after its claim, unless the behaviour says otherwise. */
const DEFAULT_DECISION_DAYS = 2;

/** The last rule whose named fields (unit, finding, inspection) all match, the rest from `default`. */
export function findingAnswerFor(b: FindingBehaviour | undefined, p: PlannedFinding): FindingAnswer {
  const base: FindingAnswer = { claim: b?.default?.claim ?? DEFAULT_ANSWER.claim, verify: b?.default?.verify ?? DEFAULT_ANSWER.verify, recheck: b?.default?.recheck ?? DEFAULT_ANSWER.recheck };
  for (let i = (b?.rules.length ?? 0) - 1; i >= 0; i--) {
    const r = b!.rules[i];
    if ((r.unit === undefined || r.unit === p.finding.unit) && (r.finding === undefined || r.finding === p.finding.id) && (r.inspection === undefined || r.inspection === p.round.id)) {
      return { claim: r.claim ?? base.claim, verify: r.verify ?? base.verify, recheck: r.recheck ?? base.recheck };
    }
  }
  return base;
}

/** Checks the rules' names against the plan: one `<path>: <problem>` line each. */
export function checkFindingBehaviour(b: FindingBehaviour, plan: Plan): string[] {
  const units = new Set(plan.units.map((u) => u.id));
  const findings = new Set(plannedFindings(plan).map((p) => p.finding.id));
  const rounds = new Set((plan.inspections?.rounds ?? []).map((r) => r.id));
  const problems: string[] = [];
  b.rules.forEach((r, i) => {
    if (r.unit !== undefined && !units.has(r.unit)) problems.push(`findings.rules[${i}].unit: unknown unit "${r.unit}" in plan ${plan.id}`);
    if (r.finding !== undefined && !findings.has(r.finding)) problems.push(`findings.rules[${i}].finding: unknown finding "${r.finding}" in plan ${plan.id}`);
    if (r.inspection !== undefined && !rounds.has(r.inspection)) problems.push(`findings.rules[${i}].inspection: unknown inspection round "${r.inspection}" in plan ${plan.id}`);
  });
  return problems;
}

/** One action the rehearsal sends. */
export interface PlannedFindingAction {
  at: number;
  findingId: string;
  input: Record<string, unknown>;
}

/**
 * The actions of every finding, produced one after another: each action's instant follows from the previous one's
 * (a rejection starts a round, an acceptance schedules a re-check), exactly as the behaviour describes.
 */
export class FindingActor {
  private readonly queue: { at: number; seq: number; p: PlannedFinding; step: Step }[] = [];
  private seq = 0;
  private readonly claims = new Map<string, number>();
  private readonly rechecks = new Map<string, number>();

  constructor(
    private readonly plan: Plan,
    private readonly behaviour: FindingBehaviour | undefined,
    startedAt: number,
  ) {
    for (const p of plannedFindings(plan)) {
      const answer = findingAnswerFor(behaviour, p);
      if (answer.claim === 'never') continue;
      const assignedDay = localDateOf(assignAt(plan, p.round, startedAt), plan.timezone);
      const day =
        answer.claim.daysAfterDeadline !== undefined
          ? addDays(firstDueDay(plan, p.round, p.finding), answer.claim.daysAfterDeadline)
          : addDays(assignedDay, answer.claim.daysAfterAssigned ?? 0);
      this.push(this.noon(day), p, { kind: 'claim' });
    }
  }

  /** The instant of the next action, if any. */
  next(): number | undefined {
    return this.queue[0]?.at;
  }

  /** Takes the actions due at `at` (in the order they were planned). */
  take(at: number): { p: PlannedFinding; action: PlannedFindingAction }[] {
    const out: { p: PlannedFinding; action: PlannedFindingAction }[] = [];
    while (this.queue.length && this.queue[0].at <= at) {
      const { at: when, p, step } = this.queue.shift()!;
      out.push({ p, action: { at: when, findingId: p.finding.id, input: this.inputOf(p, step, when) } });
    }
    return out;
  }

  /** Schedules what follows an action that was applied (a refused one ends that finding's story). */
  applied(p: PlannedFinding, action: PlannedFindingAction): void {
    const answer = findingAnswerFor(this.behaviour, p);
    const kind = action.input.action as string;
    const day = localDateOf(action.at, this.plan.timezone);
    if (kind === 'claim') {
      const n = (this.claims.get(p.finding.id) ?? 0) + 1;
      this.claims.set(p.finding.id, n);
      if (answer.verify.decision === 'never') return;
      const decision = answer.verify.decision === 'reject-once' && n === 1 ? 'reject' : 'accept';
      this.push(this.noon(addDays(day, answer.verify.daysAfterClaim ?? DEFAULT_DECISION_DAYS)), p, { kind: decision });
    } else if (kind === 'reject') {
      this.reclaim(p, answer, day);
    } else if (kind === 'accept' && p.finding.recheckAfterDays !== undefined) {
      const noticeDay = localDateOf(recheckAt(this.plan, action.at, p.finding.recheckAfterDays), this.plan.timezone);
      const n = (this.rechecks.get(p.finding.id) ?? 0) + 1;
      this.rechecks.set(p.finding.id, n);
      const result = answer.recheck === 'reopen-once' && n === 1 ? 'reopen' : 'pass';
      this.push(this.noon(addDays(noticeDay, 1)), p, { kind: 'recheck', result });
    } else if (kind === 'recheck' && action.input.result === 'reopen') {
      this.reclaim(p, answer, day);
    }
  }

  private reclaim(p: PlannedFinding, answer: FindingAnswer, startDay: string): void {
    if (answer.claim === 'never') return;
    this.push(this.noon(addDays(startDay, answer.claim.daysAfterRework ?? DEFAULT_REWORK_DAYS)), p, { kind: 'claim' });
  }

  private inputOf(p: PlannedFinding, step: Step, at: number): Record<string, unknown> {
    const id = p.finding.id;
    const requestId = `rehearsal:${id}:${step.kind}:${at}`;
    const verifier = p.finding.verifier === HEADQUARTERS ? HEADQUARTERS : p.finding.verifier;
    switch (step.kind) {
      case 'claim':
        return { action: 'claim', requestId, findingId: id, actor: p.finding.unit, evidence: `Rehearsal evidence of ${p.finding.unit} for ${id}.` };
      case 'accept':
        return { action: 'accept', requestId, findingId: id, actor: verifier };
      case 'reject':
        return { action: 'reject', requestId, findingId: id, actor: verifier, reason: `Rehearsal: the evidence for ${id} is not enough.` };
      case 'recheck':
        return { action: 'recheck', requestId, findingId: id, actor: verifier, result: step.result };
    }
  }

  private noon(day: string): number {
    return zonedInstant(day, '12:00', this.plan.timezone);
  }

  private push(at: number, p: PlannedFinding, step: Step): void {
    this.queue.push({ at, seq: this.seq++, p, step });
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

type Step = { kind: 'claim' } | { kind: 'accept' } | { kind: 'reject' } | { kind: 'recheck'; result: 'pass' | 'reopen' };
