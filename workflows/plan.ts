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
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { periodsOf } from './calendar/index.js';
import { INVALID_PLAN } from './contract/errors.js';
import { findingsWorkflowId } from './contract/ids.js';
import { MAIL_RETRY } from './contract/notice.js';
import { layoutQuery, planQuery, reviewsQuery, reviewTallySignal } from './contract/messages.js';
import { checkPlan } from './contract/plan-check.js';
import { addressList, type Plan } from './contract/plan.js';
import type { PublishedReview, ReviewAudience } from './contract/review.js';
import { layoutOf, subPlan, type LayoutKind } from './cycle/layout.js';
import { findingsWorkflow } from './findings.js';
import { plannedFindings } from './findings/record.js';
import { findingSlices } from './findings/slices.js';
import { groupWorkflow, type RollLimits } from './group.js';
import { publishedOf } from './review/published.js';
import { buildReview } from './review/rank.js';
import type { GroupTally } from './review/tally.js';
import { reviewWindows } from './review/windows.js';

const { recordPlan } = proxyActivities<Activities>({
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
}

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
  const plan = checked.plan;
  // A later run keeps the first run's layout: the groups it started are running. Older plans keep file order.
  const layoutKind: LayoutKind = input.layout ?? (input.carry === undefined && patched('unit-layout') ? 'units' : 'tasks');
  const layout = layoutOf(plan, layoutKind);
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
  // The plan and its layout go into the system of record first, so that every read can find them (each run: idempotent).
  if (patched('system-of-record')) await recordPlan({ planId: plan.id, version: 1, plan, startedAt, layout });
  const groupLimits = limits ? { limits: { maxUpdatesPerRun: limits.maxUpdatesPerRun, maxHistoryPerRun: limits.maxHistoryPerRun } } : {};

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

  const windows = reviewWindows(plan);
  const allPeriods = periodsOf(plan.start, plan.end).map((p) => p.id);
  const audience = audienceOf(plan);
  const withFindings = plannedFindings(plan).length > 0;
  while (next < windows.length) {
    const window = windows[next];
    await condition(() => Object.keys(tallies[window.id] ?? {}).length === layout.groups.length);
    const annual = window.kind === 'summary' && window.id !== 'plan';
    // Plans without findings never reach the patch: their histories replay as they were recorded.
    const findings = withFindings && patched('findings-review') ? await tallyFindings({ planId: plan.id, window }) : null;
    const review = buildReview(plan, window, Object.values(tallies[window.id]), allPeriods, annual ? previous : null, findings);
    const outcome = await publishReview({ review, audience });
    published.push(publishedOf(review, outcome));
    if (annual) previous = { window: window.id, ranks: Object.fromEntries(review.ranking.map((r) => [r.unitId, r.rank])) };
    delete tallies[window.id];
    next++;
    const info = workflowInfo();
    const long = info.historyLength > (limits?.maxPlanHistoryPerRun ?? MAX_HISTORY_PER_RUN) || (info.historySize ?? 0) > MAX_HISTORY_BYTES_PER_RUN;
    if (next < windows.length && (info.continueAsNewSuggested || long)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof planWorkflow>({ ...input, layout: layoutKind, startedAt, carry: { tallies, published, previous, nextWindow: next } });
    }
  }
  return { planId: plan.id, groups: layout.groups.length, reviews: published.length };
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
