/**
 * Headquarters amends a running plan: the whole plan, edited, validated like a new one, previewed (the difference in
 * words and the upcoming notices that move), then sent to the plan workflow as one Update, applied once per amendment.
 */
import { WorkflowUpdateStage } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { storedVersionByRequest } from '../store/index.js';
import { amendmentRefusals, planIssueRefusals } from '../workflows/amend/checks.js';
import { canonicalJson, differenceLines, isEmpty, planDifference, type PlanDifference } from '../workflows/amend/diff.js';
import { nextTrack, timelineOf } from '../workflows/amend/track.js';
import { localDateTimeOf } from '../workflows/calendar/index.js';
import { amendInputSchema, type AmendReceipt } from '../workflows/contract/amend.js';
import { planWorkflowId } from '../workflows/contract/ids.js';
import { amendPlanUpdate } from '../workflows/contract/messages.js';
import { checkPlan } from '../workflows/contract/plan-check.js';
import type { Plan } from '../workflows/contract/plan.js';
import { schemaRefusals, type Refusal } from '../workflows/contract/refusals.js';
import { laneOf, type CycleEvent, type TrackedPeriod } from '../workflows/cycle/timeline.js';
import { recordedPlan, refusalError, update, UserError, type Engine } from './plans.js';

/** The id of an amendment: the same plan (as validated) and reason give the same id, so it is applied once. */
export function amendmentId(plan: Plan, reason: string): string {
  return `amend-${createHash('sha256').update(canonicalJson({ plan, reason: reason.trim() })).digest('hex')}`;
}

/** An upcoming notice that an amendment moves, adds or drops. */
export interface MovedNotice {
  period: string;
  kind: 'request' | 'reminder' | 'escalation';
  number: number;
  /** The pairs ("task|unit") of a ladder of their own (pairs that joined a quarter already requested). */
  pairs?: string[];
  /** Its instant before the amendment (ISO; null: added). */
  from: string | null;
  /** Its instant after it (ISO; null: dropped). */
  to: string | null;
  /** In words, in the plan's local time: "2028-Q1 reminder 1 moves from 2028-04-05 09:30 to 2028-04-01 09:30". */
  line: string;
}

/** What an amendment would do, before it is applied. */
export interface AmendmentPreview {
  planId: string;
  /** The version in force now. */
  version: number;
  difference: PlanDifference;
  lines: string[];
  /** Why it cannot be applied (empty: it can). */
  refusals: Refusal[];
  /** The upcoming notices that move (only when there are no refusals). */
  moved: MovedNotice[];
}

const NOTICE_KINDS = new Set(['request', 'reminder', 'escalation']);
const noticeKey = (e: CycleEvent) => `${e.period}\u0000${e.kind}\u0000${e.number}\u0000${laneOf(e)}`;

/** The notices of a timeline still to come at `at`, by key. */
function upcoming(timeline: TrackedPeriod[], at: number): Map<string, CycleEvent> {
  const out = new Map<string, CycleEvent>();
  for (const p of timeline) for (const e of p.events) if (NOTICE_KINDS.has(e.kind) && e.at >= at) out.set(noticeKey(e), e);
  return out;
}

const pairsText = (pairs: string[]) => {
  const shown = pairs.slice(0, 3).map((k) => k.replace('|', '/'));
  return ` for ${shown.join(', ')}${pairs.length > 3 ? ` and ${pairs.length - 3} more` : ''}`;
};

/** The notices still to come at `at` that differ between two timelines, in the order they would go out. */
export function movedNotices(before: TrackedPeriod[], after: TrackedPeriod[], at: number, timezone: string): MovedNotice[] {
  const old = upcoming(before, at);
  const now = upcoming(after, at);
  const local = (ms: number) => {
    const t = localDateTimeOf(ms, timezone);
    return `${t.date} ${t.time}`;
  };
  const out: (MovedNotice & { ms: number })[] = [];
  for (const key of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(key);
    const b = now.get(key);
    if (a && b && a.at === b.at) continue;
    const e = (b ?? a)!;
    const what = `${e.period} ${e.kind}${e.kind === 'request' ? '' : ` ${e.number}`}${e.pairs ? pairsText(e.pairs) : ''}`;
    const line = a && b ? `${what} moves from ${local(a.at)} to ${local(b.at)}` : b ? `${what} is added at ${local(b.at)}` : `${what} is dropped (was ${local(a!.at)})`;
    out.push({
      period: e.period, kind: e.kind as MovedNotice['kind'], number: e.number, ...(e.pairs ? { pairs: e.pairs } : {}),
      from: a ? new Date(a.at).toISOString() : null, to: b ? new Date(b.at).toISOString() : null, line, ms: b?.at ?? a!.at,
    });
  }
  return out.sort((x, y) => x.ms - y.ms || (x.line < y.line ? -1 : 1)).map(({ ms: _ms, ...m }) => m);
}

/**
 * What amending `planId` with `plan` (validated) at `at` would change: the difference in words, the refusals, and the
 * upcoming notices that move (the timeline in force against the one the amendment rule of workflows/amend gives).
 */
export async function previewAmendment(db: pg.Pool, planId: string, plan: Plan, at = Date.now()): Promise<AmendmentPreview> {
  const stored = await recordedPlan(db, planId);
  const difference = planDifference(stored.plan, plan);
  const refusals = amendmentRefusals(stored.plan, plan, at);
  if (!refusals.length && isEmpty(difference)) refusals.push({ field: 'plan', code: 'amendNothingChanged', params: { version: stored.version } });
  let moved: MovedNotice[] = [];
  if (!refusals.length) {
    const before = timelineOf(stored.plan, stored.startedAt, stored.track);
    const after = nextTrack({ track: stored.track, before: stored.plan, after: plan, startedAt: stored.startedAt, at, version: stored.version + 1 }).timeline;
    moved = movedNotices(before, after, at, plan.timezone);
  }
  return { planId, version: stored.version, difference, lines: differenceLines(difference), refusals, moved };
}

/** What `amendPlan` came to. */
export interface AmendOutcome {
  planId: string;
  requestId: string;
  /** The version in force before this call. */
  previousVersion: number;
  /** The version in force after it (the same as before for a dry run). */
  version: number;
  /** When it was applied (ISO; null for a dry run). */
  at: string | null;
  dryRun: boolean;
  /** True when this amendment had been applied already: nothing changed. */
  duplicate: boolean;
  difference: PlanDifference;
  lines: string[];
  moved: MovedNotice[];
  /** The plan workflow's answer (absent for a dry run, or a repeat found in the system of record). */
  receipt?: AmendReceipt;
}

/** How long an accepted amendment may take to be applied (a province's plan signals every group). */
const APPLY_MS = 600_000;

/**
 * Amends a running plan: `plan` is checked like a new plan and against the version in force (every refusal located,
 * nothing applied), previewed, and unless `dryRun` sent to the plan workflow. The same plan and reason are applied
 * once: a repeat answers `duplicate: true`. A dry run needs only the database.
 */
export async function amendPlan(
  engine: Engine | { db: pg.Pool; clock?: () => number },
  planId: string,
  plan: unknown,
  options: { reason: string; by?: string; dryRun?: boolean; requestId?: string; at?: number },
): Promise<AmendOutcome> {
  const checked = checkPlan(plan);
  if (!checked.ok) throw refusalError(planIssueRefusals(checked.issues), 'EPLAN');
  const after = checked.plan;
  const parsed = amendInputSchema.safeParse({
    requestId: options.requestId ?? amendmentId(after, options.reason ?? ''),
    plan: after,
    reason: options.reason,
    ...(options.by !== undefined ? { by: options.by } : {}),
  });
  if (!parsed.success) throw refusalError(schemaRefusals(parsed.error.issues));
  const input = parsed.data;
  const stored = await recordedPlan(engine.db, planId);
  const seen = await storedVersionByRequest(engine.db, planId, input.requestId);
  if (seen) {
    const difference = seen.difference as PlanDifference;
    return { planId, requestId: input.requestId, previousVersion: stored.version, version: seen.version, at: seen.effectiveAt, dryRun: options.dryRun === true, duplicate: true, difference, lines: differenceLines(difference), moved: [] };
  }
  const at = options.at ?? engine.clock?.() ?? Date.now();
  const preview = await previewAmendment(engine.db, planId, after, at);
  if (preview.refusals.length) throw refusalError(preview.refusals);
  const base = { planId, requestId: input.requestId, previousVersion: preview.version, difference: preview.difference, lines: preview.lines, moved: preview.moved };
  if (options.dryRun) return { ...base, version: preview.version, at: null, dryRun: true, duplicate: false };
  // A dry run reads the system of record only; applying needs Temporal.
  if (!('client' in engine)) throw new Error('amendPlan: applying an amendment needs a Temporal client');

  const workflowId = planWorkflowId(planId);
  let receipt: AmendReceipt;
  try {
    // Accepted (the workflow's validator passed) within the usual wait; then applied, which may take longer.
    const handle = await update(engine, planId, 'amendment', (client) =>
      client.workflow.getHandle(workflowId).startUpdate(amendPlanUpdate, { args: [input], waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
    receipt = await update(engine, planId, 'amendment', () => handle.result(), Math.max(engine.writeTimeoutMs ?? 0, APPLY_MS));
  } catch (err) {
    // The plan is recorded but its workflow is gone: it has ended.
    if (err instanceof UserError && err.code === 'ENOPLAN') throw refusalError([{ field: 'planId', code: 'amendNotRunning', params: { planId } }], 'ENOTRUNNING');
    throw err;
  }
  // A repeat that the workflow answered: what it recorded then, not what this call previewed.
  const recorded = receipt.duplicate ? { difference: receipt.difference as PlanDifference, lines: differenceLines(receipt.difference as PlanDifference), moved: [] } : {};
  return { ...base, ...recorded, version: receipt.version, at: receipt.at, dryRun: false, duplicate: receipt.duplicate, receipt };
}
