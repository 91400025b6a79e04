/**
 * A finding's life as pure functions over its record: its state at an instant, who may do what, and what each action
 * changes and schedules. The findings workflow calls these; reads call `findingState` and `findingStatus` too.
 */
import { daysLate, localDateOf } from '../calendar/index.js';
import {
  HEADQUARTERS,
  type FindingAction,
  type FindingClaim,
  type FindingNoticeKind,
  type FindingReceipt,
  type FindingRecord,
  type FindingState,
  type FindingStatus,
} from '../contract/finding.js';
import type { Finding, InspectionRound, Plan } from '../contract/plan.js';
import type { Refusal } from '../contract/refusals.js';
import { assignedDay, firstDueDay, noticeInstant, recheckAt, reworkDueDay, roundDeadline, roundLadder, verifyReminderAt } from './schedule.js';

/** Most actions kept per finding before further ones are refused (bounds the workflow's state). */
export const MAX_ACTIONS_PER_FINDING = 40;

/** A finding of the plan with its round. */
export interface PlannedFinding {
  finding: Finding;
  round: InspectionRound;
}

/** Every finding of the plan, in file order. */
export function plannedFindings(plan: Plan): PlannedFinding[] {
  return (plan.inspections?.rounds ?? []).flatMap((round) => round.findings.map((finding) => ({ finding, round })));
}

/** Something the findings workflow does at an instant: send a notice, if the finding's record still calls for it. */
export interface FindingEvent {
  at: number;
  findingId: string;
  kind: 'assign' | FindingNoticeKind;
  round: number;
  number: number;
  escalateTo?: 'unitLeader' | 'headquarters';
  /** The rejection's reason, told in its `claim-rejected` notice; the extension's, in its `finding-extended` one. */
  reason?: string;
  /** The extension whose ladder this step is of (absent: the round's own ladder, before any extension). */
  extension?: number;
}

const ORDER: Record<FindingEvent['kind'], number> = {
  assign: 0, 'finding-assigned': 0, 'finding-reopened': 1, 'claim-rejected': 2, 'claim-received': 3, reminder: 4, escalation: 5, 'verify-reminder': 6, recheck: 7,
  'finding-extended': 1,
};

/** Events by instant, then kind, finding and number, so that replays and rehearsals agree. */
export function compareFindingEvents(a: FindingEvent, b: FindingEvent): number {
  return a.at - b.at || ORDER[a.kind] - ORDER[b.kind] || (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0) || a.round - b.round || a.number - b.number;
}

/** When a finding is assigned: day A at the send time, or the plan's start if that has passed. */
export function assignAt(plan: Plan, round: InspectionRound, startedAt: number): number {
  return Math.max(noticeInstant(plan, assignedDay(plan, round)), startedAt);
}

/** The record of a finding assigned at `at`, with round 1, and the events of round 1's ladder. */
export function assign(plan: Plan, { finding, round }: PlannedFinding, at: number): { record: FindingRecord; events: FindingEvent[] } {
  const startDay = localDateOf(at, plan.timezone);
  const dueDay = firstDueDay(plan, round, finding);
  const record: FindingRecord = {
    findingId: finding.id,
    inspectionId: round.id,
    unitId: finding.unit,
    verifier: finding.verifier,
    assignedAt: at,
    rounds: [{ round: 1, cause: 'assigned', startedAt: at, startDay, dueDay, deadline: roundDeadline(plan, dueDay) }],
    claims: [],
    notes: [],
    reminders: 0,
    escalations: 0,
    reopened: 0,
    rechecks: [],
    deliveryIssues: [],
    version: 1,
  };
  // Round 1 counts from day A even when the plan started later; steps already past are not sent.
  const ladder = roundLadder(plan, localDateOf(noticeInstant(plan, assignedDay(plan, round)), plan.timezone), dueDay, at);
  const events: FindingEvent[] = [
    { at, findingId: finding.id, kind: 'finding-assigned', round: 1, number: 1 },
    ...ladder.map((s) => ({ at: s.at, findingId: finding.id, kind: s.kind, round: 1, number: s.number, ...(s.escalateTo ? { escalateTo: s.escalateTo } : {}) })),
  ];
  return { record, events };
}

const current = (r: FindingRecord) => r.rounds[r.rounds.length - 1];
const undecided = (r: FindingRecord): FindingClaim | undefined => {
  const last = r.claims[r.claims.length - 1];
  return last && !last.decision ? last : undefined;
};
const pendingRecheck = (r: FindingRecord) => {
  const last = r.rechecks[r.rechecks.length - 1];
  return last && !last.answer ? last : undefined;
};

/** The number (1-based, among all of the finding's) of the last extension of `round`; 0 when it has none. */
export function lastExtensionOf(r: FindingRecord, round: number): number {
  const list = r.extensions ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (list[i].round === round) return i + 1;
  return 0;
}

/** The state of a finding at `now` (`scheduled` when it has no record yet). */
export function findingState(r: FindingRecord | undefined, now: number): FindingState {
  if (!r) return 'scheduled';
  if (r.verifiedAt !== undefined) return 'verified';
  if (r.closedAt !== undefined) return 'closed';
  if (undecided(r)) return 'claimed';
  return now >= current(r).deadline ? 'overdue' : 'open';
}

/** Whether a scheduled notice is still called for when its instant comes. */
export function stillDue(r: FindingRecord | undefined, e: FindingEvent): boolean {
  if (e.kind === 'assign') return r === undefined;
  if (!r) return false;
  switch (e.kind) {
    case 'reminder':
    case 'escalation':
      // Only while no claim has arrived in that round, the round is still the current one, and no later extension
      // of it replaced the ladder this step is of.
      return (
        current(r).round === e.round && r.closedAt === undefined && !r.claims.some((c) => c.round === e.round) && (e.extension ?? 0) === lastExtensionOf(r, e.round)
      );
    case 'verify-reminder': {
      const claim = r.claims[e.number - 1];
      return !!claim && !claim.decision;
    }
    case 'recheck': {
      const pending = pendingRecheck(r);
      return r.closedAt !== undefined && !!pending && pending.round === e.round && !pending.sent;
    }
    default:
      return true; // the notices of an action go out once it is applied
  }
}

/** The refusals of an action on a finding, given its record (undefined: not assigned yet) at `now`. */
export function actionRefusals(plan: Plan, planned: PlannedFinding | undefined, r: FindingRecord | undefined, a: FindingAction, now: number, startedAt: number): Refusal[] {
  const findingId = a.findingId;
  if (!planned) return [{ field: 'findingId', code: 'unknownFinding', params: { findingId, planId: plan.id } }];
  const { finding } = planned;
  const unitActs = a.action === 'claim' || a.action === 'progress';
  const allowed = unitActs ? [finding.unit] : finding.verifier === HEADQUARTERS ? [HEADQUARTERS] : [finding.verifier, HEADQUARTERS];
  if (!allowed.includes(a.actor)) {
    return [{ field: 'actor', code: 'wrongActor', params: { actor: a.actor, action: a.action, findingId, allowed: allowed.join(' or ') } }];
  }
  if (!r) return [{ field: 'findingId', code: 'findingNotAssigned', params: { findingId, assignAt: new Date(assignAt(plan, planned.round, startedAt)).toISOString() } }];
  if (r.claims.length + r.notes.length + r.rechecks.length >= MAX_ACTIONS_PER_FINDING) {
    return [{ field: 'findingId', code: 'tooManyActions', params: { findingId, max: MAX_ACTIONS_PER_FINDING } }];
  }
  const state = findingState(r, now);
  const wrong = (why: string): Refusal[] => [{ field: 'action', code: 'findingWrongState', params: { findingId, state, why } }];
  switch (a.action) {
    case 'claim':
      if (state === 'claimed') return wrong(`claim ${undecided(r)!.number} awaits the verifier's decision`);
      if (state === 'closed' || state === 'verified') return wrong('it is closed; only a re-check can reopen it');
      return [];
    case 'progress':
      if (state === 'closed' || state === 'verified') return wrong('it is closed; progress notes are no longer taken');
      return [];
    case 'accept':
    case 'reject': {
      if (state === 'claimed') return [];
      const last = r.claims[r.claims.length - 1];
      if (last?.decision) {
        const decision = last.decision.decision === 'accept' ? 'accepted' : 'rejected';
        return [{ field: 'action', code: 'alreadyDecided', params: { findingId, claim: last.number, decision, at: new Date(last.decision.at).toISOString() } }];
      }
      return wrong('no claim awaits a decision');
    }
    case 'recheck': {
      const pending = pendingRecheck(r);
      if (state !== 'closed' || !pending) return [{ field: 'action', code: 'recheckNotDue', params: { findingId } }];
      if (!pending.sent) return [{ field: 'action', code: 'recheckNotDue', params: { findingId, at: new Date(pending.at).toISOString() } }];
      return [];
    }
  }
}

/** The receipt of the action with `requestId` if the record has seen it (a repeated action). */
export function seenReceipt(plan: Plan, r: FindingRecord | undefined, a: FindingAction, now: number): FindingReceipt | undefined {
  if (!r) return undefined;
  const base = { findingId: r.findingId, action: a.action, state: findingState(r, now), round: current(r).round, duplicate: true, deadlineDay: null };
  // Only the same actor's same action is a repeat: another actor reusing a request id is judged on its own.
  const claim = r.claims.find((c) => c.requestId === a.requestId && c.actor === a.actor);
  if (claim && a.action === 'claim') return { ...base, at: iso(claim.at), claim: claim.number };
  const decided = r.claims.find((c) => c.decision?.requestId === a.requestId && c.decision.actor === a.actor && c.decision.decision === a.action);
  if (decided && (a.action === 'accept' || a.action === 'reject')) return { ...base, at: iso(decided.decision!.at), claim: decided.number };
  const note = r.notes.find((n) => n.requestId === a.requestId && (n.actor === undefined || n.actor === a.actor));
  if (note && a.action === 'progress') return { ...base, at: iso(note.at), claim: null };
  const answered = r.rechecks.find((x) => x.answer?.requestId === a.requestId && x.answer.actor === a.actor);
  if (answered && a.action === 'recheck') return { ...base, at: iso(answered.answer!.at), claim: null };
  return undefined;
}

/** Applies a checked, allowed action at `now`: the record changes in place; returns the receipt and what to schedule. */
export function applyAction(plan: Plan, planned: PlannedFinding, r: FindingRecord, a: FindingAction, now: number): { receipt: FindingReceipt; events: FindingEvent[] } {
  const events: FindingEvent[] = [];
  const id = r.findingId;
  let claimNo: number | null = null;
  let deadlineDay: string | null = null;
  const newRound = (cause: 'rejected' | 'reopened') => {
    const startDay = localDateOf(now, plan.timezone);
    const dueDay = reworkDueDay(plan, startDay);
    const round = current(r).round + 1;
    r.rounds.push({ round, cause, startedAt: now, startDay, dueDay, deadline: roundDeadline(plan, dueDay) });
    deadlineDay = dueDay;
    for (const s of roundLadder(plan, startDay, dueDay, now + 1)) {
      events.push({ at: s.at, findingId: id, kind: s.kind, round, number: s.number, ...(s.escalateTo ? { escalateTo: s.escalateTo } : {}) });
    }
    return round;
  };
  switch (a.action) {
    case 'claim': {
      const number = r.claims.length + 1;
      const remindAt = verifyReminderAt(plan, now);
      r.claims.push({ number, round: current(r).round, at: now, requestId: a.requestId, actor: a.actor, links: a.links.length, remindAt });
      events.push({ at: now, findingId: id, kind: 'claim-received', round: current(r).round, number });
      events.push({ at: remindAt, findingId: id, kind: 'verify-reminder', round: current(r).round, number });
      claimNo = number;
      break;
    }
    case 'progress':
      r.notes.push({ requestId: a.requestId, at: now, actor: a.actor });
      break;
    case 'accept': {
      const claim = undecided(r)!;
      claim.decision = { decision: 'accept', at: now, requestId: a.requestId, actor: a.actor };
      const round = r.rounds.find((x) => x.round === claim.round)!;
      r.closedAt = now;
      r.closedOnTime = claim.at < round.deadline;
      r.daysLate = daysLate(claim.at, round.dueDay, plan.timezone);
      claimNo = claim.number;
      const after = planned.finding.recheckAfterDays;
      if (after !== undefined) {
        const at = recheckAt(plan, now, after);
        r.rechecks.push({ round: claim.round, at, sent: false });
        events.push({ at, findingId: id, kind: 'recheck', round: claim.round, number: 1 });
      }
      break;
    }
    case 'reject': {
      const claim = undecided(r)!;
      claim.decision = { decision: 'reject', at: now, requestId: a.requestId, actor: a.actor };
      claimNo = claim.number;
      events.push({ at: now, findingId: id, kind: 'claim-rejected', round: claim.round, number: claim.number, reason: a.reason });
      newRound('rejected');
      break;
    }
    case 'recheck': {
      const pending = pendingRecheck(r)!;
      pending.answer = { result: a.result, at: now, requestId: a.requestId, actor: a.actor };
      if (a.result === 'pass') r.verifiedAt = now;
      else {
        r.closedAt = undefined;
        r.closedOnTime = undefined;
        r.daysLate = undefined;
        r.reopened++;
        const round = newRound('reopened');
        events.push({ at: now, findingId: id, kind: 'finding-reopened', round, number: 1 });
      }
      break;
    }
  }
  r.version++;
  const receipt: FindingReceipt = { findingId: id, action: a.action, at: iso(now), state: findingState(r, now), round: current(r).round, claim: claimNo, deadlineDay, duplicate: false };
  return { receipt, events };
}

/** Whether nothing more can happen to the finding: verified, or closed with no re-check to come. */
export function isFinal(r: FindingRecord | undefined): boolean {
  if (!r) return false;
  return r.verifiedAt !== undefined || (r.closedAt !== undefined && !pendingRecheck(r));
}

/** The finding as reads show it. */
export function findingStatus(planned: PlannedFinding, r: FindingRecord | undefined, now: number): FindingStatus {
  const { finding, round } = planned;
  const closed = r?.closedAt !== undefined;
  return {
    findingId: finding.id,
    inspectionId: round.id,
    unitId: finding.unit,
    verifier: finding.verifier,
    title: finding.title,
    state: findingState(r, now),
    round: r ? current(r).round : 0,
    deadlineDay: r ? current(r).dueDay : null,
    claims: r?.claims.length ?? 0,
    reminders: r?.reminders ?? 0,
    escalations: r?.escalations ?? 0,
    reopened: r?.reopened ?? 0,
    closedAt: closed ? iso(r!.closedAt!) : null,
    closedOnTime: closed ? r!.closedOnTime! : null,
    daysLate: closed ? r!.daysLate! : null,
    ...(r?.extensions?.length
      ? { extensions: r.extensions.map((x, i) => ({ extension: i + 1, at: iso(x.at), until: x.until, dueDay: x.dueDay, previousDueDay: x.previousDueDay, round: x.round })) }
      : {}),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
