/**
 * Inspection findings: the actions units and verifiers send, the record the findings workflow keeps of each finding,
 * the notices it sends and what reads show. Sandbox-safe.
 */
import { z } from 'zod';
import { MAX_TEXT } from './report.js';
import { schemaRefusals, type Refusal } from './refusals.js';
import { isBlankText, textProblemOf, type TextKind } from './submission.js';

/** The kinds of notice a finding's life sends. */
export const FINDING_NOTICE_KINDS = ['finding-assigned', 'reminder', 'escalation', 'claim-received', 'verify-reminder', 'claim-rejected', 'recheck', 'finding-reopened', 'finding-extended'] as const;
export type FindingNoticeKind = (typeof FINDING_NOTICE_KINDS)[number];

/** The business key a finding notice is sent exactly once for: (plan, finding, kind, round, number). */
export interface FindingNoticeKey {
  planId: string;
  findingId: string;
  kind: FindingNoticeKind;
  round: number;
  /** Reminder number in its round, escalation level, claim number, or extension number; 1 for the other kinds. */
  number: number;
}

/** A stable text form of a finding notice key (also the input of its Message-ID). */
export function findingNoticeKeyText(k: FindingNoticeKey): string {
  return [k.planId, 'finding', k.findingId, k.kind, `r${k.round}`, k.number].join('/');
}

/** Who acts: headquarters, or a unit by its id. */
export const HEADQUARTERS = 'headquarters';

const ruled = (max: number, kind: TextKind) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .superRefine((value, ctx) => {
      const problem = textProblemOf(value, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message });
    });
const line = (max = 200) => ruled(max, 'line').refine((s) => s.length > 0, 'must not be empty');
const visibleText = (max: number) => ruled(max, 'text').refine((s) => !isBlankText(s), 'must not be empty');

const base = {
  /** Idempotency key: the same action sent twice is applied once. */
  requestId: line(128),
  findingId: line(64),
  /** `headquarters`, or the id of the unit that acts. */
  actor: line(64),
  /** The person who acted, as they signed. */
  by: line(200).optional(),
  /** When the engine received it (set where the action entered). */
  receivedAt: z.iso.datetime({ offset: true, message: 'must be an ISO instant, e.g. 2027-03-31T23:59:58Z' }).optional(),
};

const linkSchema = z
  .string()
  .max(2_000, 'must be at most 2000 characters')
  .refine((s) => /^https?:\/\/[^\s<>"]+$/.test(s), 'must be an http(s) address without spaces');

/** Every action on a finding, as every surface checks it (CLI, portal, an Update sent directly). */
export const findingActionSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({
      ...base,
      action: z.literal('claim'),
      evidence: visibleText(MAX_TEXT),
      links: z.array(linkSchema).max(20, 'must list at most 20 links').default([]),
    }),
    z.strictObject({ ...base, action: z.literal('progress'), note: visibleText(MAX_TEXT) }),
    z.strictObject({ ...base, action: z.literal('accept'), comment: ruled(5_000, 'text').optional() }),
    z.strictObject({ ...base, action: z.literal('reject'), reason: visibleText(5_000) }),
    z.strictObject({ ...base, action: z.literal('recheck'), result: z.enum(['pass', 'reopen'], { message: 'must be pass or reopen' }), comment: ruled(5_000, 'text').optional() }),
  ],
  { error: 'must name an action: claim, progress, accept, reject or recheck' },
);

/**
 * An action checked against the shared schema; a malformed one as refusals, with the codes the engine gives the same
 * mistakes (an absent or blank evidence is `noEvidence`, a reason `noReason`). Used by the workflow and every client.
 */
export function checkFindingAction(input: unknown): { ok: true; action: z.output<typeof findingActionSchema> } | { ok: false; refusals: Refusal[] } {
  const parsed = findingActionSchema.safeParse(input);
  if (parsed.success) return { ok: true, action: parsed.data };
  const refusals = schemaRefusals(parsed.error.issues).map((r): Refusal =>
    r.field === 'evidence' ? { ...r, code: 'noEvidence', params: {} } : r.field === 'reason' ? { ...r, code: 'noReason', params: {} } : r,
  );
  return { ok: false, refusals };
}

/** An action as sent (before defaults). */
export type FindingActionInput = z.input<typeof findingActionSchema>;
/** An action as checked. */
export type FindingAction = z.output<typeof findingActionSchema>;
export type FindingActionKind = FindingAction['action'];

const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a day written YYYY-MM-DD, e.g. 2027-07-20', abort: true })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a day of the calendar');

/** Headquarters gives a finding's current round a new deadline day (延期): `until` is moved forward to a working day. */
export const findingExtensionSchema = z.strictObject({
  /** Idempotency key: the same extension sent twice is applied once. */
  requestId: line(128),
  findingId: line(64),
  until: daySchema,
  /** Why, as the unit is told. */
  reason: visibleText(2_000),
  /** The person who granted it, as they signed. */
  by: line(200).optional(),
});

/** An extension as sent by headquarters. */
export type FindingExtensionInput = z.input<typeof findingExtensionSchema>;
/** An extension as checked. */
export type FindingExtensionRequest = z.output<typeof findingExtensionSchema>;

/** An extension checked against the shared schema; a malformed one as refusals. Used by the workflow and every client. */
export function checkFindingExtension(input: unknown): { ok: true; extension: FindingExtensionRequest } | { ok: false; refusals: Refusal[] } {
  const parsed = findingExtensionSchema.safeParse(input);
  return parsed.success ? { ok: true, extension: parsed.data } : { ok: false, refusals: schemaRefusals(parsed.error.issues) };
}

/** The states of a finding (`scheduled` until its feedback day's notice has gone out). */
export const FINDING_STATES = ['scheduled', 'open', 'overdue', 'claimed', 'closed', 'verified'] as const;
export type FindingState = (typeof FINDING_STATES)[number];

/** One round of work on a finding: round 1 from its assignment, each later one from a rejection or a reopening. */
export interface FindingRound {
  round: number;
  cause: 'assigned' | 'rejected' | 'reopened';
  /** When the round started, and its local day. */
  startedAt: number;
  startDay: string;
  /** Its deadline day (moved forward to a working day) and the instant that day ends. */
  dueDay: string;
  deadline: number;
  /** The highest reminder number and the escalation levels sent in this round (an extension's ladder follows on). */
  remindersSent?: number;
  levelsSent?: number[];
}

/** One extension of a finding's deadline as the workflow keeps it (its reason and signer live in the system of record). */
export interface FindingExtension {
  requestId: string;
  at: number;
  /** The day asked for, and the working day it gave with the instant that day ends. */
  until: string;
  dueDay: string;
  deadline: number;
  /** The round's deadline day before it. */
  previousDueDay: string;
  round: number;
}

/** One claim that the finding is rectified, and its decision. */
export interface FindingClaim {
  number: number;
  round: number;
  at: number;
  requestId: string;
  actor: string;
  links: number;
  decision?: { decision: 'accept' | 'reject'; at: number; requestId: string; actor: string };
  /** When the verifier is reminded if it is still undecided. */
  remindAt: number;
}

/** The re-check of a closure. */
export interface FindingRecheck {
  /** The round that closed. */
  round: number;
  at: number;
  sent: boolean;
  answer?: { result: 'pass' | 'reopen'; at: number; requestId: string; actor: string };
}

/** What the findings workflow keeps of one finding (texts live in the system of record only). */
export interface FindingRecord {
  findingId: string;
  inspectionId: string;
  unitId: string;
  verifier: string;
  assignedAt: number;
  rounds: FindingRound[];
  claims: FindingClaim[];
  /** Progress notes: their request ids and instants. */
  notes: { requestId: string; at: number; actor?: string }[];
  /** Notices sent of the ladders (all rounds). */
  reminders: number;
  escalations: number;
  reopened: number;
  closedAt?: number;
  closedOnTime?: boolean;
  daysLate?: number;
  rechecks: FindingRecheck[];
  verifiedAt?: number;
  /** Headquarters' extensions, oldest first: each gave its round a new deadline day (absent: none). */
  extensions?: FindingExtension[];
  /** Notices the mail server refused for good: kind, round, number and why. */
  deliveryIssues: { kind: FindingNoticeKind; round: number; number: number; reason: string }[];
  /** Grows with every change: the system of record keeps the highest. */
  version: number;
}

/** What the workflow answers to an action. */
export interface FindingReceipt {
  findingId: string;
  action: FindingActionKind;
  at: string;
  state: FindingState;
  round: number;
  /** The claim the action made or decided. */
  claim: number | null;
  /** The new deadline day, when the action started a round. */
  deadlineDay: string | null;
  duplicate: boolean;
}

/** What the workflow answers to an extension. */
export interface FindingExtensionReceipt {
  findingId: string;
  /** The extension's number among this finding's extensions. */
  extension: number;
  at: string;
  until: string;
  /** The new deadline day (a working day) and the instant it ends. */
  dueDay: string;
  dueAt: string;
  previousDueDay: string;
  round: number;
  state: FindingState;
  duplicate: boolean;
}

/** One finding in `plan status --json` and `findings list`. */
export interface FindingStatus {
  findingId: string;
  inspectionId: string;
  unitId: string;
  verifier: string;
  title: string;
  state: FindingState;
  round: number;
  deadlineDay: string | null;
  claims: number;
  reminders: number;
  escalations: number;
  reopened: number;
  closedAt: string | null;
  closedOnTime: boolean | null;
  daysLate: number | null;
  /** Headquarters' extensions of its deadline, oldest first (absent when never extended). */
  extensions?: { extension: number; at: string; until: string; dueDay: string; previousDueDay: string; round: number }[];
}

/** One finding notice as it went out: a line of a rehearsal's notices.jsonl. */
export interface FindingNoticeLine {
  at: string;
  kind: FindingNoticeKind;
  planId: string;
  findingId: string;
  inspectionId: string;
  unitId: string;
  round: number;
  number?: number;
  level?: number;
  /** A `finding-extended` notice: the new deadline day. */
  dueDay?: string;
  to: string[];
  cc: string[];
}

/** What the findings workflow hands the mail activity for one finding notice. */
export interface FindingNoticeSpec {
  key: FindingNoticeKey;
  at: string;
  to: string[];
  cc: string[];
  locale: string;
  timezone: string;
  planTitle: string;
  findingTitle: string;
  inspectionId: string;
  inspectionTitle: string;
  unitId: string;
  unitName: string;
  /** The round's deadline day. */
  dueDay: string;
  escalatedTo?: 'unitLeader' | 'headquarters';
  /** Who verifies: `headquarters` or a unit id. */
  verifier: string;
  /** The rejection's reason, for `claim-rejected`; the extension's, for `finding-extended`. */
  reason?: string;
  /** The deadline day an extension replaced, for `finding-extended`. */
  previousDueDay?: string;
}

/** A batch of finding notices of one instant, with the records they change (written after the outcomes). */
export interface FindingNoticeBatch {
  at: string;
  notices: FindingNoticeSpec[];
  /** The plan's delivery.digest: false sends one message per notice. */
  digest?: boolean;
}

/** One action as the system of record keeps it (with its texts). */
export interface FindingActionRow {
  planId: string;
  findingId: string;
  requestId: string;
  action: FindingActionKind;
  actor: string;
  by?: string;
  at: number;
  round: number;
  claim: number | null;
  /** Evidence, note, comment or reason. */
  text?: string;
  links?: string[];
  result?: 'pass' | 'reopen';
}

/** One extension of a finding as the system of record keeps it (with its reason). */
export interface FindingExtensionRow {
  planId: string;
  findingId: string;
  requestId: string;
  /** Its number among the finding's extensions. */
  seq: number;
  at: number;
  until: string;
  dueDay: string;
  deadline: number;
  previousDueDay: string;
  round: number;
  reason: string;
  by?: string;
}
