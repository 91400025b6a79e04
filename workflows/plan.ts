/**
 * A plan's long-running workflow: validates the plan, starts one group workflow per slice of tasks, and makes every
 * semi-annual review and annual summary from the tallies the groups send it at each review's moment.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  getExternalWorkflowHandle,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { checkAmendment } from './amend/checks.js';
import { isEmpty, planDifference, type PlanDifference } from './amend/diff.js';
import { nextTrack, statusPlanOf } from './amend/track.js';
import { zonedInstant } from './calendar/zone.js';
import { amendInputSchema, type AmendInput, type AmendReceipt, type GroupAmendment, type PlanTrack } from './contract/amend.js';
import { schemaRefusals, type Refusal } from './contract/refusals.js';
import type { PlanLayout } from './contract/status.js';
import { throwIfRefused } from './cycle/refuse.js';
import type { ReviewWindow } from './review/windows.js';
import type { Activities } from '../activities/index.js';
import { periodsOf } from './calendar/index.js';
import { INVALID_PLAN } from './contract/errors.js';
import { findingsWorkflowId, groupWorkflowId } from './contract/ids.js';
import { MAIL_RETRY } from './contract/notice.js';
import { amendFindingsSignal, amendGroupSignal, amendPlanUpdate, layoutQuery, planQuery, reviewsQuery, reviewTallySignal } from './contract/messages.js';
import { checkPlan } from './contract/plan-check.js';
import { addressList, type Plan } from './contract/plan.js';
import type { PublishedReview, ReviewAudience } from './contract/review.js';
import { layoutOf, subPlan, type LayoutKind } from './cycle/layout.js';
import { findingsWorkflow } from './findings.js';
import { plannedFindings } from './findings/record.js';
import { FINDINGS_PER_WORKFLOW, findingSlices } from './findings/slices.js';
import { groupWorkflow, type RollLimits } from './group.js';
import { publishedOf } from './review/published.js';
import { buildReview } from './review/rank.js';
import type { GroupTally } from './review/tally.js';
import { reviewWindows } from './review/windows.js';

const { recordPlan } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { recordAmendment } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { tallyFindings } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { publishReview } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  // Heartbeats come after every message: a worker that dies mid-batch is noticed in seconds, not minutes.
  heartbeatTimeout: '20 seconds',
  retry: MAIL_RETRY,
});

/** Roll over to a fresh run between reviews once the history grows past this. */
const MAX_HISTORY_PER_RUN = 5_000;
/** Tallies of a province carry heatmaps: roll over on size too, long before Temporal's 50 MB. */
const MAX_HISTORY_BYTES_PER_RUN = 8_000_000;

/** What the plan workflow carries over continue-as-new. */
export interface PlanCarry {
  /** window -> groupIndex -> tally, for reviews not yet made. */
  tallies: Record<string, Record<number, GroupTally>>;
  published: PublishedReview[];
  previous: { window: string; ranks: Record<string, number> } | null;
  nextWindow: number;
}

export interface PlanInput {
  plan: Plan;
  /** The moment the plan counts as started (defaults to the workflow's start). */
  startedAt?: number;
  /** Lower roll-over thresholds for the group workflows (tests). */
  limits?: RollLimits & { maxPlanHistoryPerRun?: number };
  carry?: PlanCarry;
  /** The layout the first run chose, carried over continue-as-new (absent: plans started before it, in file order). */
  layout?: LayoutKind;
  /** Set once the plan has been amended: `plan` is then the version in force. */
  amended?: PlanAmended;
}

/** What the plan workflow carries of its amendments. */
export interface PlanAmended {
  track: PlanTrack;
  /** The groups in force (amendments add groups for new tasks). */
  groups: PlanLayout['groups'];
  /** Per group: when an amendment started it (null: with the plan); reviews made before it are not its to count. */
  joinedAt: (number | null)[];
  /** Every amendment applied, by its id (the plans themselves are in the system of record). */
  applied: AppliedAmendment[];
  /** The findings of each findings workflow, in slice order (amendments add slices for new findings). */
  findingSlices?: string[][];
}

interface AppliedAmendment {
  requestId: string;
  reason: string;
  version: number;
  at: number;
  difference: PlanDifference;
}

/** Most amendments a plan takes (bounds the carried state; a plan amended more often should be started anew). */
const MAX_AMENDMENTS = 200;

export interface PlanResult {
  planId: string;
  groups: number;
  reviews: number;
}

/** Runs a whole plan: its quarterly cycles (in group workflows) and its reviews, until the plan summary. */
export async function planWorkflow(input: PlanInput): Promise<PlanResult> {
  const checked = checkPlan(input.plan);
  if (!checked.ok) {
    const lines = checked.issues.map((i) => `${i.path || 'plan'}: ${i.message}`);
    throw ApplicationFailure.create({ type: INVALID_PLAN, message: `invalid plan: ${lines.join('; ')}`, nonRetryable: true });
  }
  let plan = checked.plan;
  // A later run keeps the first run's layout: the groups it started are running. Older plans keep file order.
  const layoutKind: LayoutKind = input.layout ?? (input.carry === undefined && patched('unit-layout') ? 'units' : 'tasks');
  let layout: PlanLayout = input.amended ? { planId: plan.id, groups: input.amended.groups } : layoutOf(plan, layoutKind);
  let track: PlanTrack | undefined = input.amended?.track;
  const joinedAt: (number | null)[] = input.amended?.joinedAt ?? layout.groups.map(() => null);
  const applied: AppliedAmendment[] = input.amended?.applied ?? [];
  // The findings slices started with the plan (plans started before findings existed have none to amend).
  const slicesInForce: string[][] = input.amended?.findingSlices ?? findingSlices(plan);
  let applying = false;
  let amendedThisRun = false;
  const tallies: PlanCarry['tallies'] = input.carry?.tallies ?? {};
  const published: PublishedReview[] = input.carry?.published ?? [];
  let previous = input.carry?.previous ?? null;
  let next = input.carry?.nextWindow ?? 0;
  setHandler(layoutQuery, () => layout);
  setHandler(planQuery, () => plan);
  setHandler(reviewTallySignal, (t) => {
    (tallies[t.window] ??= {})[t.groupIndex] = t; // a repeated signal replaces, never adds
  });
  setHandler(reviewsQuery, () => published);
  const startedAt = input.startedAt ?? Date.now();
  const { limits } = input;
  const groupLimits = limits ? { limits: { maxUpdatesPerRun: limits.maxUpdatesPerRun, maxHistoryPerRun: limits.maxHistoryPerRun } } : {};
  const version = () => track?.version ?? 1;
  const amendmentReceipt = (a: AppliedAmendment, duplicate: boolean): AmendReceipt => ({ planId: plan.id, version: a.version, at: new Date(a.at).toISOString(), duplicate, difference: a.difference });
  /** Why an amendment cannot be applied now (empty: it can), checked against the version in force. */
  const amendmentRefusalsNow = (a: AmendInput): Refusal[] => {
    if (applied.some((x) => x.requestId === a.requestId)) return [];
    const check = checkAmendment(plan, a.plan, Date.now());
    if (!check.ok) return check.refusals;
    if (isEmpty(planDifference(plan, check.plan))) return [{ field: 'plan', code: 'amendNothingChanged', params: { version: version() } }];
    if (applied.length >= MAX_AMENDMENTS) return [{ field: 'plan', code: 'invalid', params: { message: `already has ${MAX_AMENDMENTS} amendments, the most kept; start the plan anew` } }];
    return [];
  };
  setHandler(
    amendPlanUpdate,
    async (raw) => {
      const a = amendInputSchema.parse(raw);
      await condition(() => !applying); // one amendment at a time, each checked against the version before it
      const seen = applied.find((x) => x.requestId === a.requestId);
      if (seen) return amendmentReceipt(seen, true);
      throwIfRefused(amendmentRefusalsNow(a));
      applying = true;
      try {
        return await applyAmendment(a);
      } finally {
        applying = false;
      }
    },
    {
      validator: (raw) => {
        const parsed = amendInputSchema.safeParse(raw);
        if (!parsed.success) throwIfRefused(schemaRefusals(parsed.error.issues));
        else throwIfRefused(amendmentRefusalsNow(parsed.data));
      },
    },
  );

  /**
   * Applies an amendment at T = now: records the version (the system of record first), then hands every group its
   * part and starts groups for the new tasks. A worker that dies meanwhile finishes it on replay: the Update's handler
   * and its commands are in the history.
   */
  async function applyAmendment(a: AmendInput): Promise<AmendReceipt> {
    const check = checkAmendment(plan, a.plan, Date.now());
    if (!check.ok) throwIfRefused(check.refusals);
    const after = (check as { plan: Plan }).plan;
    const before = plan;
    const at = Date.now();
    const next = version() + 1;
    const difference = planDifference(before, after);
    const nextTrackOf = nextTrack({ track, before, after, startedAt, at, version: next });
    const known = new Set(layout.groups.flatMap((g) => g.taskIds));
    const added = after.tasks.filter((t) => !known.has(t.id)).map((t) => t.id);
    const firstNew = layout.groups.length;
    const newGroups = added.length
      ? layoutOf(subPlan(after, added), layoutKind).groups.map((g, i) => ({ workflowId: groupWorkflowId(after.id, firstNew + i), taskIds: g.taskIds }))
      : [];
    const nextLayout: PlanLayout = { planId: after.id, groups: [...layout.groups, ...newGroups] };
    await recordAmendment({
      planId: after.id, version: next, plan: after, effectiveAt: at, startedAt, reason: a.reason, by: a.by ?? null, requestId: a.requestId,
      difference, track: nextTrackOf, layout: nextLayout,
    });
    const oldGroups = layout.groups;
    plan = after;
    track = nextTrackOf;
    layout = nextLayout;
    for (const _ of newGroups) joinedAt.push(at);
    const done: AppliedAmendment = { requestId: a.requestId, reason: a.reason, version: next, at, difference };
    applied.push(done);
    amendedThisRun = true;
    // A group whose last quarter has closed has ended: nothing of it is left to amend (signalEnded).
    await inSlices(oldGroups, (g) => signalEnded(() => getExternalWorkflowHandle(g.workflowId).signal(amendGroupSignal, groupPart(after, nextTrackOf, g.taskIds, next, at))));
    // The findings: every slice takes the new version; findings no slice has get slices of their own, from T.
    const findingsPlanOf = (p: Plan): Plan => ({ ...p, tasks: [], aspects: [] });
    const oldSlices = slicesInForce.length;
    // A slice whose findings are all final has ended.
    await inSlices(slicesInForce.map((_, k) => k), (k) => signalEnded(() => getExternalWorkflowHandle(findingsWorkflowId(after.id, k)).signal(amendFindingsSignal, { version: next, at, plan: findingsPlanOf(after) })));
    const sliced = new Set(slicesInForce.flat());
    const newFindings = plannedFindings(after).map((p) => p.finding.id).filter((id) => !sliced.has(id));
    for (let k = 0; k < newFindings.length; k += FINDINGS_PER_WORKFLOW) slicesInForce.push(newFindings.slice(k, k + FINDINGS_PER_WORKFLOW));
    await inSlices(slicesInForce.slice(oldSlices).map((findingIds, k) => ({ findingIds, k })), ({ findingIds, k }) =>
        startChild(findingsWorkflow, {
          workflowId: findingsWorkflowId(after.id, oldSlices + k),
          args: [{ plan: findingsPlanOf(after), sliceIndex: oldSlices + k, findingIds, startedAt: at, version: next, ...groupLimits }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
    );
    await inSlices(newGroups.map((g, k) => ({ g, k })), ({ g, k }) =>
        startChild(groupWorkflow, {
          workflowId: g.workflowId,
          args: [{ plan: subPlan(after, g.taskIds), groupIndex: firstNew + k, startedAt: at, joinedAt: at, ...groupLimits }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
    );
    return amendmentReceipt(done, false);
  }
  // The plan and its layout go into the system of record first, so that every read can find them (each run: idempotent).
  if (patched('system-of-record')) await recordPlan({ planId: plan.id, version: 1, plan, startedAt, layout });

  // Runs begun before reviews existed keep their old shape: children tied to this run, awaited to the end.
  const withReviews = patched('reviews') || input.carry !== undefined;
  if (!withReviews) {
    const children = await Promise.all(
      layout.groups.map((g, groupIndex) =>
        startChild(groupWorkflow, {
          workflowId: g.workflowId,
          args: [{ plan: subPlan(plan, g.taskIds), groupIndex, startedAt, ...groupLimits }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
        }),
      ),
    );
    await Promise.all(children.map((c) => c.result()));
    return { planId: plan.id, groups: layout.groups.length, reviews: 0 };
  }

  if (!input.carry) {
    // Abandoned, not terminated, when this run rolls over: the groups outlive every run of the plan workflow.
    await Promise.all(
      layout.groups.map((g, groupIndex) =>
        startChild(groupWorkflow, {
          workflowId: g.workflowId,
          args: [{ plan: subPlan(plan, g.taskIds), groupIndex, startedAt, ...groupLimits }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
      ),
    );
    // The inspection findings run beside the groups, in slices; plans without findings never reach the patch.
    const slices = findingSlices(plan);
    if (slices.length && patched('findings')) {
      const findingsPlan: Plan = { ...plan, tasks: [], aspects: [] }; // a slice needs units, leaders and the calendar, not the tasks
      const findingLimits = limits ? { limits: { maxUpdatesPerRun: limits.maxUpdatesPerRun, maxHistoryPerRun: limits.maxHistoryPerRun } } : {};
      await Promise.all(
        slices.map((findingIds, sliceIndex) =>
          startChild(findingsWorkflow, {
            workflowId: findingsWorkflowId(plan.id, sliceIndex),
            args: [{ plan: findingsPlan, sliceIndex, findingIds, startedAt, ...findingLimits }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          }),
        ),
      );
    }
  }

  // The reviews follow the version in force; each is made once, when every group that counts it has sent its tally.
  const made = new Set(published.map((p) => p.window));
  const nextWindow = () => reviewWindows(plan).find((w) => !made.has(w.id));
  const expected = (w: ReviewWindow) => joinedAt.filter((j) => j === null || j <= w.at).length;
  const withFindings = plannedFindings(plan).length > 0;
  // An amendment of a large plan puts the plan into the history several times: once it is long, the run goes on in a
  // fresh one while it waits, not only after a review (runs recorded before this wait for the review). Only a run that
  // applied an amendment does, so that a plan whose fresh run is already long never rolls in a loop.
  const rollsWhileWaiting = patched('plan-rolls-while-waiting');
  const mayRollNow = () => rollsWhileWaiting && amendedThisRun && !applying && tooLong() && allHandlersFinished();
  for (let window = nextWindow(); window; window = nextWindow()) {
    const ready = (x: ReviewWindow) => Object.keys(tallies[x.id] ?? {}).length === expected(x);
    await condition(() => {
      window = nextWindow()!;
      return ready(window) || mayRollNow();
    });
    if (!ready(window)) await roll();
    const w = window;
    // The windows of the same instant (the last half-year review, annual summary and plan summary) are made in order
    // once all their tallies are in (the groups send them at that instant) and published at once, so that their
    // lagging notices meet in one digest per leader. Histories recorded before reach no marker and publish one
    // window at a time.
    const twins = reviewWindows(plan).filter((x) => x.id !== w.id && !made.has(x.id) && x.at === w.at);
    const together = twins.length > 0 && patched('reviews-of-one-instant-together');
    if (together) await condition(() => twins.every(ready));
    const batch = together ? [w, ...twins] : [w];
    const shown = statusPlanOf(plan, track);
    const allPeriods = periodsOf(plan.start, plan.end).map((p) => p.id);
    const reviews = [];
    for (const x of batch) {
      const annual = x.kind === 'summary' && x.id !== 'plan';
      // Plans without findings never reach the patch: their histories replay as they were recorded.
      const findings = withFindings && patched('findings-review') ? await tallyFindings({ planId: plan.id, window: x }) : null;
      const review = buildReview(shown, x, Object.values(tallies[x.id]), allPeriods, annual ? previous : null, findings);
      if (track) review.versions = versionsInForce(x);
      if (annual) previous = { window: x.id, ranks: Object.fromEntries(review.ranking.map((r) => [r.unitId, r.rank])) };
      reviews.push(review);
    }
    const outcomes = await Promise.all(reviews.map((review) => publishReview({ review, audience: audienceOf(shown) })));
    reviews.forEach((review, k) => {
      published.push(publishedOf(review, outcomes[k]));
      made.add(batch[k].id);
      delete tallies[batch[k].id];
      next++;
    });
    if (nextWindow() && tooLong()) {
      await condition(allHandlersFinished);
      await roll();
    }
  }
  // Amendments that arrive while the last review is being made finish before the plan ends.
  await condition(() => !applying && allHandlersFinished());

  /** Whether this run's history is long enough to go on in a fresh run. */
  function tooLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (limits?.maxPlanHistoryPerRun ?? MAX_HISTORY_PER_RUN) || (info.historySize ?? 0) > MAX_HISTORY_BYTES_PER_RUN;
  }

  /** Goes on in a fresh run with everything carried (once no amendment is being applied). */
  async function roll(): Promise<never> {
    await condition(() => !applying);
    const amended = track ? { amended: { track, groups: layout.groups, joinedAt, applied, findingSlices: slicesInForce } } : {};
    return continueAsNew<typeof planWorkflow>({ ...input, plan, ...amended, layout: layoutKind, startedAt, carry: { tallies, published, previous, nextWindow: next } });
  }

  /** The versions in force during a review's window: from its first quarter's first day to its moment. */
  function versionsInForce(w: ReviewWindow): { version: number; from: string; reason: string | null }[] {
    const first = periodsOf(plan.start, plan.end).find((p) => p.id === w.periods[0]);
    const from = first ? zonedInstant(first.first, '00:00', plan.timezone) : startedAt;
    const versions = [{ version: 1, at: startedAt, reason: null as string | null }, ...applied.map((x) => ({ version: x.version, at: x.at, reason: x.reason as string | null }))];
    return versions
      .filter((v, i) => v.at <= w.at && (i === versions.length - 1 || versions[i + 1].at > from))
      .map((v) => ({ version: v.version, from: new Date(v.at).toISOString(), reason: v.reason }));
  }
  return { planId: plan.id, groups: layout.groups.length, reviews: published.length };
}

/**
 * Runs `fn` over `items` FAN_OUT at a time: each slice's commands travel in one workflow task of bounded size (a
 * province's 500 group parts at once would near gRPC's message limit), and the plan workflow is woken per slice.
 */
async function inSlices<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let k = 0; k < items.length; k += FAN_OUT) await Promise.all(items.slice(k, k + FAN_OUT).map(fn));
}
const FAN_OUT = 25;

/**
 * Signals a workflow of the plan; one that has ended (not found) has nothing left to take. Any other failure (the
 * server's per-run signal limit, say) is tried again with a growing pause, so that no group is left on the old version;
 * histories recorded before the retries never took that path (they swallowed every failure), so they replay as before.
 */
async function signalEnded(send: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (e instanceof ApplicationFailure && e.type === SIGNAL_TARGET_ENDED) return;
      if (!patched('amend-signal-retries')) return;
      await sleep(Math.min(60_000, 1_000 * 2 ** attempt));
    }
  }
}
/** The failure type the SDK gives a signal to a workflow that has ended (its not-found cause). */
const SIGNAL_TARGET_ENDED = 'ExternalWorkflowExecutionNotFound';

/** A group's part of an applied amendment: its tasks of the new version, and who joined and left them. */
function groupPart(after: Plan, track: PlanTrack, taskIds: string[], version: number, at: number): GroupAmendment {
  const mine = new Set(taskIds);
  const only = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => mine.has(k.split('|')[0])));
  return {
    version,
    at,
    plan: subPlan(after, taskIds.filter((id) => after.tasks.some((t) => t.id === id))),
    joined: only(track.joined),
    left: only(track.left),
    retiredTasks: track.retiredTasks.filter((t) => mine.has(t.id)),
    retiredUnits: track.retiredUnits,
  };
}

/** Who receives a review, and the names its documents show. */
function audienceOf(plan: Plan): ReviewAudience {
  return {
    headquarters: addressList(plan.headquarters.email),
    leaders: plan.leaders.map((l) => ({ id: l.id, name: l.name, email: addressList(l.email) })),
    units: Object.fromEntries(plan.units.map((u) => [u.id, u.name])),
    tasks: Object.fromEntries(plan.tasks.map((t) => [t.id, { title: t.title, aspect: t.aspect }])),
    aspects: Object.fromEntries(plan.aspects.map((a) => [a.id, a.title])),
    timezone: plan.timezone,
    locale: plan.locale,
  };
}
