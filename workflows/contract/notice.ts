/** What a workflow hands the mail activity: one notice per business key, rendered and sent by the activity. */
import type { OutcomeRule } from '../cycle/outcomes.js';
import type { RecordChange } from './progress.js';
import type { FindingNoticeKind } from './finding.js';

export type NoticeKind = 'request' | 'reminder' | 'escalation' | 'returned' | 'extended';

/** Notices about a review window rather than one unit's report. */
export type WindowNoticeKind = 'review' | 'summary' | 'lagging';

/** The business key a notice is sent exactly once for. */
export interface NoticeKey {
  planId: string;
  taskId: string;
  unitId: string;
  period: string;
  kind: NoticeKind;
  /** Reminder number or escalation level (1-based); 1 for a request; the return's count for `returned`; the extension's for `extended`. */
  number: number;
  /** 0 (or absent) for the quarter's own ladder; k for the ladder that follows the k-th return. */
  round?: number;
}

/** The next step of the ladder, told to the recipient. */
export interface NextStep {
  kind: NoticeKind;
  at: string;
  to: 'unit' | 'unitLeader' | 'headquarters';
}

export interface NoticeSpec {
  key: NoticeKey;
  /** The instant the workflow sent it (ISO). */
  at: string;
  to: string[];
  cc: string[];
  locale: string;
  timezone: string;
  planTitle: string;
  taskTitle: string;
  unitName: string;
  dueDay: string;
  deadline: string;
  escalatedTo?: 'unitLeader' | 'headquarters';
  next: NextStep | null;
  /** The unit's leader, for the leader-view link in escalations. */
  leaderId?: string;
  /** Headquarters' comment, for a `returned` notice. */
  comment?: string;
  /** Headquarters' reason and the due day it replaced, for an `extended` notice. */
  reason?: string;
  previousDueDay?: string;
  /** The calendar event's SEQUENCE, once the report was extended: returns and extensions so far (see calendar.ts). */
  sequence?: number;
  /** Set on an `extended` notice that moves a revision's due day (its key names no round). */
  revision?: boolean;
}

export interface NoticeBatch {
  at: string;
  notices: NoticeSpec[];
  /**
   * The records these notices belong to, as they are before the batch: the activity applies each outcome to them
   * (`applyOutcome` with `rule`) and writes them into the system of record. `index[k]` is notice k's record in `changes`.
   */
  records?: { rule: OutcomeRule; changes: RecordChange[]; index: number[] };
}

export type NoticeOutcome =
  | { status: 'sent'; messageId: string; rejected: string[] }
  | { status: 'refused'; messageId: string; reason: string }
  /** An earlier attempt lost its connection while handing the message over: not sent again, to avoid a duplicate. */
  | { status: 'unconfirmed'; messageId: string; reason: string };

/** A stable text form of a notice key (also the input of its Message-ID). */
export function noticeKeyText(k: NoticeKey): string {
  const base = [k.planId, k.taskId, k.unitId, k.period, k.kind, k.number].join('/');
  return k.round ? `${base}/r${k.round}` : base; // round 0 keeps the keys (and Message-IDs) of the original ladder
}

/** The business key of a review, summary or lagging notice (one lagging notice per leader and window). */
export function windowNoticeKeyText(planId: string, window: string, kind: WindowNoticeKind, leaderId?: string): string {
  return [planId, window, kind, leaderId ?? ''].join('/');
}

/** One notice as it went out: a line of a rehearsal's notices.jsonl. */
export interface NoticeLine {
  at: string;
  kind: NoticeKind | WindowNoticeKind | FindingNoticeKind;
  planId: string;
  /** Finding notices: the finding, its inspection round, and the claim or reminder number. */
  findingId?: string;
  inspectionId?: string;
  number?: number;
  taskId?: string;
  unitId?: string;
  period?: string;
  level?: number;
  /** Present (> 0) for notices of the ladder that follows a return. */
  round?: number;
  window?: string;
  units?: string[];
  /** An `extended` notice: the report's new due day. */
  dueDay?: string;
  to: string[];
  cc: string[];
}

/**
 * How a mail activity is retried while the mail server is down: without limit, backing off from 5 s to at most one
 * minute, so that every notice goes out within about a minute of the server's return (a headquarters waits no
 * longer). Permanent refusals come back as outcomes and are never retried.
 */
export const MAIL_RETRY = { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
