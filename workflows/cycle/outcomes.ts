/**
 * What a notice's delivery outcome does to its record. Pure: the group workflow applies it to its state, and the
 * mail activity applies the same function to the records it was handed, so that it writes them into the system of
 * record in the same call (no second activity per batch).
 */
import type { NoticeOutcome, NoticeSpec } from '../contract/notice.js';
import type { UnitPeriodRecord } from '../contract/status.js';

/** `cycle`: a quarter's own ladder; `revision`: the ladder that follows a return (which keeps rejected recipients out). */
export type OutcomeRule = 'cycle' | 'revision';

/** Applies one outcome of the notice `spec`, sent at `at`, to `record`. */
export function applyOutcome(record: UnitPeriodRecord, spec: NoticeSpec, outcome: NoticeOutcome, at: number, rule: OutcomeRule): void {
  const { kind, number } = spec.key;
  if (rule === 'cycle') {
    if (outcome.status === 'refused' || outcome.status === 'unconfirmed') {
      record.deliveryIssues.push({ kind, number, at: spec.at, reason: outcome.reason });
      if (outcome.status === 'refused') return;
    }
    if (outcome.status === 'sent' && outcome.rejected.length) {
      record.deliveryIssues.push({ kind, number, at: spec.at, reason: `refused recipients: ${outcome.rejected.join(', ')}` });
    }
  } else {
    if (outcome.status !== 'sent') record.deliveryIssues.push({ kind, number, at: spec.at, reason: outcome.reason });
    if (outcome.status === 'refused') return;
  }
  (record.sent ??= []).push({ kind, number, round: spec.key.round ?? 0, at });
  if (kind === 'reminder') {
    record.reminders++;
  } else if (kind === 'escalation') {
    record.escalations++;
    (record.escalatedAt ??= []).push(at);
  }
}
