/** Updates and queries of the plan and group workflows; clients import these without loading workflow code. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GroupTally } from '../review/tally.js';
import type { AmendInput, AmendReceipt, GroupAmendment } from './amend.js';
import type { FindingActionInput, FindingExtensionInput, FindingExtensionReceipt, FindingReceipt, FindingRecord } from './finding.js';
import type { PublishedReview } from './review.js';
import type { Plan } from './plan.js';
import type { DecisionReceipt, ExtensionInput, ExtensionReceipt, ReportInput, ReportReceipt, ReviewDecision } from './report.js';
import type { PlanLayout, Revision, TaskStatus, TimelineEntry, UnitPeriodRecord } from './status.js';

/** A unit submits (or revises) its report for one task and quarter. */
export const submitReportUpdate = defineUpdate<ReportReceipt, [ReportInput]>('submitReport');

/** The status of every task the group workflow runs. */
export const groupStatusQuery = defineQuery<TaskStatus[]>('groupStatus');

/** Every revision of one report. */
export const revisionsQuery = defineQuery<Revision[], [{ taskId: string; unitId: string; period: string }]>('revisions');

/** Which group workflow runs which tasks. */
export const layoutQuery = defineQuery<PlanLayout>('layout');

/** The plan the workflow runs. */
export const planQuery = defineQuery<Plan>('plan');

/** True while the group is handing a batch of notices to the mail activity. */
export const busyQuery = defineQuery<boolean>('busy');

/** A group's contribution to a review, sent to the plan workflow at the review's moment. */
export const reviewTallySignal = defineSignal<[GroupTally]>('reviewTally');

/** The reviews and summaries published so far. */
export const reviewsQuery = defineQuery<PublishedReview[]>('reviews');

/** Headquarters accepts a report (locking it) or returns it for revision. */
export const reviewReportUpdate = defineUpdate<DecisionReceipt, [ReviewDecision]>('reviewReport');

/** Headquarters gives one report a new due day (延期); its notices still to come count from it. */
export const extendReportUpdate = defineUpdate<ExtensionReceipt, [ExtensionInput]>('extendReport');

/** Every notice, report and decision of one task, oldest first. */
export const timelineQuery = defineQuery<TimelineEntry[], [{ taskId: string }]>('timeline');

/** Every record a group workflow holds, keyed by recordKey (for re-projecting into the database). */
export const recordsQuery = defineQuery<Record<string, UnitPeriodRecord>>('records');

/** A unit or a verifier acts on an inspection finding (claim, progress, accept, reject, re-check answer). */
export const findingActionUpdate = defineUpdate<FindingReceipt, [FindingActionInput]>('findingAction');

/** Headquarters gives one finding's current round a new deadline day (延期); its notices still to come count from it. */
export const extendFindingUpdate = defineUpdate<FindingExtensionReceipt, [FindingExtensionInput]>('extendFinding');

/** Every finding record a findings workflow holds, by finding id. */
export const findingRecordsQuery = defineQuery<Record<string, FindingRecord>>('findingRecords');

/** Whether a findings workflow is acting, and the instant of the next thing it will do (null: nothing scheduled). */
export const findingsProgressQuery = defineQuery<{ busy: boolean; next: number | null }>('findingsProgress');

/** Headquarters amends the running plan (the whole plan file, edited, and why): applied once per amendment id. */
export const amendPlanUpdate = defineUpdate<AmendReceipt, [AmendInput]>('amendPlan');

/** The plan workflow hands each group its part of an applied amendment (the latest version wins). */
export const amendGroupSignal = defineSignal<[GroupAmendment]>('amendGroup');

/** The plan workflow hands each findings slice the new version of an applied amendment (the latest version wins). */
export const amendFindingsSignal = defineSignal<[{ version: number; at: number; plan: Plan }]>('amendFindings');
