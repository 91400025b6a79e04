/**
 * An amendment's effect on the findings of one slice (issue "Amend a running plan", §2, findings): a finding's unit,
 * verifier or first deadline may change, and the inspection cadence and the calendar with them; its notices still to
 * come then follow the new version from T. Pure: the findings workflow applies it when it rolls over.
 *
 * - A finding not assigned yet is assigned as the new version says (its assignment is derived from the plan).
 * - A finding closed, or awaiting the verifier's decision on a claim, keeps its ladder (there is none to come).
 * - Otherwise its record takes the new unit and verifier; round 1 (before any extension of it) takes the new first
 *   deadline; and when the round's deadline or the rules of its ladder changed, the ladder's steps still to come are
 *   those of the new version at or after T: reminders numbered on after the last one sent, levels already sent not
 *   sent again. A ladder that did not change is left as it was.
 */
import { localDateOf } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';
import type { FindingRecord } from '../contract/finding.js';
import { sentInRound } from './extension.js';
import { lastExtensionOf, type FindingEvent, type PlannedFinding } from './record.js';
import { findingRules, firstDueDay, roundDeadline, roundLadder } from './schedule.js';

/** What the ladder of a round depends on besides its days. */
const ladderRules = (plan: Plan) => JSON.stringify({ rules: findingRules(plan), calendar: plan.calendar ?? null, sendTime: plan.cadence.sendTime });

/**
 * Applies the new version to the records of a slice at T (`at`): changes the records in place and returns the pending
 * events of the run that follows (the old ones of each re-planned ladder dropped, its new steps added).
 */
export function amendFindings(before: Plan, after: Plan, planned: PlannedFinding[], records: Record<string, FindingRecord>, pending: FindingEvent[], at: number): FindingEvent[] {
  const rulesChanged = ladderRules(before) !== ladderRules(after);
  const replanned = new Set<string>();
  const added: FindingEvent[] = [];
  for (const p of planned) {
    const r = records[p.finding.id];
    if (!r || r.closedAt !== undefined) continue;
    r.unitId = p.finding.unit;
    r.verifier = p.finding.verifier;
    const round = r.rounds[r.rounds.length - 1];
    let moved = false;
    if (round.round === 1 && lastExtensionOf(r, 1) === 0) {
      const dueDay = firstDueDay(after, p.round, p.finding);
      if (dueDay !== round.dueDay) {
        round.dueDay = dueDay;
        round.deadline = roundDeadline(after, dueDay);
        moved = true;
      }
    }
    r.version++;
    const claimed = r.claims.some((c) => c.round === round.round);
    if (claimed || (!moved && !rulesChanged)) continue;
    replanned.add(`${r.findingId}|${round.round}`);
    const sent = sentInRound(r);
    const extension = lastExtensionOf(r, round.round);
    let n = sent.remindersSent;
    for (const s of roundLadder(after, round.startDay ?? localDateOf(round.startedAt, after.timezone), round.dueDay, at)) {
      if (s.kind === 'escalation' && sent.levelsSent.includes(s.number)) continue;
      added.push({
        at: s.at, findingId: r.findingId, kind: s.kind, round: round.round, number: s.kind === 'reminder' ? ++n : s.number,
        ...(s.escalateTo ? { escalateTo: s.escalateTo } : {}), ...(extension ? { extension } : {}),
      });
    }
  }
  const kept = pending.filter((e) => !((e.kind === 'reminder' || e.kind === 'escalation') && replanned.has(`${e.findingId}|${e.round}`)));
  return [...kept, ...added];
}
