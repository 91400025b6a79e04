/**
 * What the portal's finding pages need besides the client API (client/findings.ts): the order they list findings in,
 * lateness, coverage, the form's field messages in the plan's language, and a finding's timeline. Pure, except
 * `verifierFindings`, which reads the system of record.
 */
import type pg from 'pg';
import { dayDiff, localDateOf } from '../../workflows/calendar/index.js';
import { findingActionSchema, HEADQUARTERS, type FindingRecord, type FindingState, type FindingStatus } from '../../workflows/contract/finding.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { REFUSALS, type Refusal } from '../../workflows/contract/refusals.js';
import { isBlankText, textProblemOf } from '../../workflows/contract/submission.js';
import type { FindingLife } from '../findings.js';
import { findingRecords, type StoredFindingAction } from '../../store/findings.js';
import type { Catalogue } from './catalogue/en.js';

/** How lists order findings: the overdue first, then those awaiting a decision, the open ones, and the finished last. */
export const FINDING_STATE_ORDER: Record<FindingState, number> = { overdue: 0, claimed: 1, open: 2, scheduled: 3, closed: 4, verified: 5 };

/** Findings overdue first, then by round (file order), unit and id. */
export function byUrgency(plan: Plan, list: FindingStatus[]): FindingStatus[] {
  const roundIndex = new Map((plan.inspections?.rounds ?? []).map((r, i) => [r.id, i]));
  return [...list].sort(
    (a, b) =>
      FINDING_STATE_ORDER[a.state] - FINDING_STATE_ORDER[b.state] ||
      (roundIndex.get(a.inspectionId) ?? 0) - (roundIndex.get(b.inspectionId) ?? 0) ||
      (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0) ||
      (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0),
  );
}

/** A finding's lateness in words: closed on time or late, or how late it is so far while no claim is in. */
export function findingLateness(c: Catalogue, plan: Plan, s: FindingStatus, now: number): string {
  if (s.state === 'closed' || s.state === 'verified') return s.closedOnTime ? c.findings.closedOnTime : c.findings.closedLate(s.daysLate ?? 0);
  if (!s.deadlineDay || s.state === 'scheduled' || s.state === 'claimed') return '';
  const late = dayDiff(s.deadlineDay, localDateOf(now, plan.timezone));
  return late > 0 ? c.findings.lateSoFar(late) : c.findings.notLate;
}

/** The plan's coverage at `now`: a round's `covers` count once its feedback day has come (local day). */
export interface Coverage {
  targets: string[];
  covered: string[];
  missing: string[];
  /** The day by which every target is to be covered. */
  by: string;
  /** The `by` day has ended. */
  overdue: boolean;
  /** Which rounds (so far) covered each target. */
  roundsOf: Record<string, string[]>;
}

/** The coverage of the plan's inspections at `now`, or null when the plan sets none. */
export function coverageOf(plan: Plan, now: number): Coverage | null {
  const coverage = plan.inspections?.coverage;
  if (!coverage) return null;
  const today = localDateOf(now, plan.timezone);
  const roundsOf: Record<string, string[]> = Object.fromEntries(coverage.targets.map((t) => [t, []]));
  for (const round of plan.inspections!.rounds) {
    if (round.feedbackDay > today) continue;
    for (const t of round.covers) roundsOf[t]?.push(round.id);
  }
  const covered = coverage.targets.filter((t) => roundsOf[t].length > 0);
  const missing = coverage.targets.filter((t) => roundsOf[t].length === 0);
  return { targets: coverage.targets, covered, missing, by: coverage.by, overdue: today > coverage.by, roundsOf };
}

/** Counts by state per (round, unit), in the plan's order of rounds and units. */
export function countsByRoundAndUnit(plan: Plan, list: FindingStatus[]): { inspectionId: string; unitId: string; counts: Record<FindingState, number>; total: number }[] {
  const key = (s: FindingStatus) => `${s.inspectionId}\0${s.unitId}`;
  const rows = new Map<string, { inspectionId: string; unitId: string; counts: Record<FindingState, number>; total: number }>();
  const unitIndex = new Map(plan.units.map((u, i) => [u.id, i]));
  const roundIndex = new Map((plan.inspections?.rounds ?? []).map((r, i) => [r.id, i]));
  for (const s of list) {
    let row = rows.get(key(s));
    if (!row) rows.set(key(s), (row = { inspectionId: s.inspectionId, unitId: s.unitId, counts: { scheduled: 0, open: 0, overdue: 0, claimed: 0, closed: 0, verified: 0 }, total: 0 }));
    row.counts[s.state]++;
    row.total++;
  }
  return [...rows.values()].sort((a, b) => (roundIndex.get(a.inspectionId) ?? 0) - (roundIndex.get(b.inspectionId) ?? 0) || (unitIndex.get(a.unitId) ?? 0) - (unitIndex.get(b.unitId) ?? 0));
}

/** The claim awaiting a decision (its number and action with the evidence), if any. */
export function pendingClaim(record: FindingRecord | undefined, actions: StoredFindingAction[]): { number: number; action?: StoredFindingAction } | undefined {
  const claim = record?.claims.find((c) => !c.decision);
  if (!claim || record?.closedAt !== undefined) return undefined;
  return { number: claim.number, action: actions.find((a) => a.action === 'claim' && a.claim === claim.number) };
}

/** True when the finding is closed and its re-check has been sent to the verifier but not answered. */
export function recheckAwaited(record: FindingRecord | undefined): boolean {
  if (!record || record.closedAt === undefined || record.verifiedAt !== undefined) return false;
  const last = record.rechecks[record.rechecks.length - 1];
  return !!last && last.sent && !last.answer;
}

/** The findings a verifier unit verifies, with their records (one indexed query). */
export async function verifierFindings(db: pg.Pool, plan: Plan, verifier: string, statuses: FindingStatus[]): Promise<{ status: FindingStatus; record?: FindingRecord }[]> {
  const records = await findingRecords(db, plan.id, { verifier });
  return statuses.filter((s) => s.verifier === verifier).map((status) => ({ status, record: records.get(status.findingId) }));
}

/** Who may decide on a finding, for a wrongActor refusal: its verifier unit (and headquarters), or headquarters. */
export function allowedDeciders(verifier: string): string {
  return verifier === HEADQUARTERS ? HEADQUARTERS : `${verifier} or ${HEADQUARTERS}`;
}

/** Field messages and other refusals of one posted finding form. */
export interface FindingFormErrors {
  fields: Record<string, string>;
  general: string[];
  /** No engine answered: nothing is wrong with the form, and sending it again later is safe. */
  engineDown?: string;
}

/** The form's fields: a refusal naming one of these is shown next to it. */
const FORM_FIELDS = new Set(['evidence', 'links', 'note', 'comment', 'reason', 'result', 'by']);

/**
 * The shared schema's verdict on an action, in the plan's words: an empty evidence or reason is the noEvidence or
 * noReason refusal (as the engine would say it), other problems are the report form's field messages. Null when valid.
 */
export function findingFormErrors(c: Catalogue, input: Record<string, unknown>, say: (r: Refusal) => string): FindingFormErrors | null {
  const parsed = findingActionSchema.safeParse(input);
  if (parsed.success) return null;
  const errors: FindingFormErrors = { fields: {}, general: [] };
  const w = c.form.invalid;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    const value = input[field];
    let text: string;
    if (typeof value === 'string' && issue.code !== 'too_big' && (field === 'evidence' || field === 'reason') && isBlankText(value)) {
      text = say({ field, code: field === 'evidence' ? 'noEvidence' : 'noReason', params: {} });
    } else if (field === 'links' && typeof issue.path[1] === 'number') {
      const link = (value as string[])[issue.path[1]] ?? '';
      const problem = textProblemOf(link, 'line');
      text = `${c.findings.link(issue.path[1] + 1)}${c.unitPage.sep}${issue.code === 'too_big' ? w.tooLong(2_000) : problem ? w.character(`${problem.char} (${problem.position})`) : issue.message}`;
    } else if (issue.code === 'too_big' && typeof (issue as { maximum?: unknown }).maximum === 'number') {
      text = field === 'links' ? issue.message : w.tooLong((issue as { maximum: number }).maximum);
    } else if (typeof value === 'string' && textProblemOf(value, field === 'by' ? 'line' : 'text')) {
      const p = textProblemOf(value, field === 'by' ? 'line' : 'text')!;
      text = w.character(`${p.char} (${p.position})`);
    } else if (issue.code === 'invalid_value') {
      text = w.choose;
    } else if (issue.code === 'too_small' || issue.code === 'custom') {
      text = w.required;
    } else {
      text = `${field}: ${issue.message}`;
    }
    if (FORM_FIELDS.has(field)) errors.fields[field] ??= text;
    else errors.general.push(text);
  }
  return errors;
}

/** The engine's typed refusals of a form, each in `say`'s words, next to the field it names when the form has it. */
export function findingRefusalErrors(refusals: readonly Refusal[], say: (r: Refusal) => string): FindingFormErrors {
  const errors: FindingFormErrors = { fields: {}, general: [] };
  for (const r of refusals) {
    const text = say(r);
    const field = r.field.split('.')[0];
    if (REFUSALS[r.code]?.kind === 'unavailable') errors.engineDown ??= text;
    else if (FORM_FIELDS.has(field)) errors.fields[field] ??= text;
    else errors.general.push(text);
  }
  return errors;
}

/** The links of a claim form: one a line, blank lines dropped. */
export function linksOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** One line of a finding's timeline: an action (with its text) or a notice. */
export interface FindingTimelineEntry {
  at: string;
  type: 'action' | 'notice';
  kind: string;
  round: number | null;
  /** Claim number, reminder number or escalation level. */
  number: number | null;
  /** Who acted, or whom the notice went to. */
  who: string;
  text: string | null;
  links: string[];
  result: string | null;
}

/** A finding's actions and notices in the order of their instants (an action before the notice it caused at the same instant). */
export function findingTimeline(life: FindingLife): FindingTimelineEntry[] {
  const entries: FindingTimelineEntry[] = [
    ...life.notices.map((n): FindingTimelineEntry => ({ at: n.at, type: 'notice', kind: n.kind, round: n.round, number: n.number, who: [...n.to, ...n.cc.map((x) => `cc ${x}`)].join(', '), text: null, links: [], result: null })),
    ...life.actions.map((a): FindingTimelineEntry => ({ at: a.at, type: 'action', kind: a.action, round: a.round, number: a.claim, who: a.by ? `${a.actor} (${a.by})` : a.actor, text: a.text, links: a.links, result: a.result })),
    ...(life.extensions ?? []).map((x): FindingTimelineEntry => ({
      at: x.at, type: 'action', kind: 'extend', round: x.round, number: x.extension, who: x.by ? `${HEADQUARTERS} (${x.by})` : HEADQUARTERS, text: `${x.previousDueDay} → ${x.dueDay}: ${x.reason}`, links: [], result: null,
    })),
  ];
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.type === b.type ? 0 : a.type === 'action' ? -1 : 1));
}
