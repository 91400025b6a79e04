/** What a group workflow hands the system of record: the records it changed, and the texts of new revisions. */
import type { Revision, UnitPeriodRecord } from './status.js';

/** The text fields of one revision, sent once, when the revision is new. */
export interface RevisionText {
  requestId: string;
  summary: string;
  problems?: string;
  nextSteps?: string;
  submittedBy?: string;
}

/** One changed (task, unit, quarter) record. */
export interface RecordChange {
  taskId: string;
  unitId: string;
  period: string;
  aspectId: string;
  /** The quarter's deadline (ms): the end of its due day. */
  deadline: number;
  /** The record without report texts. */
  record: UnitPeriodRecord;
  /** Texts of the revisions not handed over before. */
  texts: RevisionText[];
}

/** A batch of changed records of one plan. */
export interface ProgressBatch {
  planId: string;
  changes: RecordChange[];
}

/** The plan a plan workflow runs, for the system of record. */
export interface PlanRecord {
  planId: string;
  version: number;
  /** The plan (JSON) as the workflow runs it. */
  plan: unknown;
  startedAt: number;
  layout: { planId: string; groups: { workflowId: string; taskIds: string[] }[] };
}

/** How many changes a record has seen: it only grows, so an older write never replaces a newer one. */
export function changeCountOf(r: UnitPeriodRecord): number {
  return 1 + r.revisions.length + (r.decisions?.length ?? 0) + (r.sent?.length ?? 0) + r.deliveryIssues.length + (r.extensions?.length ?? 0) + (r.withdrawnAt !== undefined ? 1 : 0) + (r.dueMoves ?? 0);
}

/**
 * A revision as a group keeps it once its texts are in the database: only what its rules need (arrival, status,
 * progress), so that the carried state stays small for any text length. Reads take the texts from the database.
 */
export function excerptOf(v: Revision): Revision {
  return { requestId: v.requestId, arrivedAt: v.arrivedAt, status: v.status, summary: '', ...(v.progress !== undefined ? { progress: v.progress } : {}) };
}

/** The record as the record row keeps it: revisions without texts (they are in report_revisions). */
export function withoutTexts(r: UnitPeriodRecord): UnitPeriodRecord {
  return { ...r, revisions: r.revisions.map(excerptOf) };
}

/** The texts of one revision. */
export function textOf(v: Revision): RevisionText {
  return {
    requestId: v.requestId,
    summary: v.summary,
    ...(v.problems !== undefined ? { problems: v.problems } : {}),
    ...(v.nextSteps !== undefined ? { nextSteps: v.nextSteps } : {}),
    ...(v.submittedBy !== undefined ? { submittedBy: v.submittedBy } : {}),
  };
}
