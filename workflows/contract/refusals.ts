/**
 * Every refusal of a report or a decision as a typed failure: one table of codes, each with its English sentence.
 * The workflow throws them (ApplicationFailure of type REPORT_REJECTED, details `[Refusal, ...]`); the CLI prints the
 * sentences, the portal maps each code to an HTTP status and to the words of the plan's language.
 */

/** What a refusal may say about itself. */
export type RefusalParams = Record<string, string | number>;

/** One refusal: the field it concerns, its code, and the values its sentence names. */
export interface Refusal {
  field: string;
  code: RefusalCode;
  params: RefusalParams;
}

const s = (p: RefusalParams, k: string) => String(p[k] ?? '');

/** The codes, with their English sentence (without the field) and the kind of refusal they are. */
export const REFUSALS = {
  /** A field breaks the shared schema (`message` is the schema's own words). */
  invalid: { kind: 'invalid', en: (p: RefusalParams) => s(p, 'message') },
  /** A progress figure outside its task's range (0..target total, or 0..100 without a target). */
  outOfRange: { kind: 'invalid', en: (p: RefusalParams) => `must be between ${s(p, 'min')} and ${s(p, 'max')}${p.metric === '%' ? ' (percent: the task has no target)' : ` (${s(p, 'metric')}, the task's target)`}, got ${s(p, 'got')}` },
  unknownPlan: { kind: 'unknown', en: (p: RefusalParams) => `no such plan has been started (${s(p, 'planId')})` },
  unknownTask: { kind: 'unknown', en: (p: RefusalParams) => `unknown task "${s(p, 'taskId')}" in plan ${s(p, 'planId')}` },
  unknownUnit: { kind: 'unknown', en: (p: RefusalParams) => `unknown unit "${s(p, 'unitId')}" in plan ${s(p, 'planId')}` },
  notResponsible: { kind: 'unknown', en: (p: RefusalParams) => `unit "${s(p, 'unitId')}" is not responsible for task "${s(p, 'taskId')}"` },
  notAQuarter: { kind: 'unknown', en: (p: RefusalParams) => `${s(p, 'period')} is not a quarter of plan ${s(p, 'planId')}${p.start ? ` (${s(p, 'start')} to ${s(p, 'end')})` : ''}` },
  notTracked: { kind: 'conflict', en: (p: RefusalParams) => `${s(p, 'period')} is not tracked: its due day had ended when the plan started` },
  notRequestedYet: { kind: 'conflict', en: (p: RefusalParams) => `${s(p, 'period')} has not been requested yet; the request goes out at ${s(p, 'requestAt')}` },
  locked: { kind: 'conflict', en: (p: RefusalParams) => `the report${p.period ? ` for ${s(p, 'period')}` : ''} was accepted on ${s(p, 'at')} and is locked` },
  closed: { kind: 'conflict', en: (p: RefusalParams) => `${s(p, 'period')} closed at ${s(p, 'closeAt')}${p.noMore ? '; reports are no longer accepted' : ''}` },
  tooManyRevisions: { kind: 'conflict', en: (p: RefusalParams) => `this report already has ${s(p, 'max')} revisions, the most kept` },
  noReportYet: { kind: 'conflict', en: (p: RefusalParams) => `no report has arrived for ${s(p, 'taskId')}/${s(p, 'unitId')}/${s(p, 'period')} yet` },
  awaitingRevision: { kind: 'conflict', en: (p: RefusalParams) => `the report was returned on ${s(p, 'at')} and its revision has not arrived yet` },
  receivedInFuture: { kind: 'invalid', en: (p: RefusalParams) => `the report says it was received at ${s(p, 'receivedAt')}, after the engine's clock (${s(p, 'now')})` },
  arrivedTooLate: { kind: 'unavailable', en: (p: RefusalParams) => `the report received at ${s(p, 'receivedAt')} reached the engine only at ${s(p, 'now')}, after its sender was told it was not recorded; send it again` },
  engineDown: { kind: 'unavailable', en: (p: RefusalParams) => s(p, 'message') },
  unknownFinding: { kind: 'unknown', en: (p: RefusalParams) => `unknown finding "${s(p, 'findingId')}" in plan ${s(p, 'planId')}` },
  wrongActor: { kind: 'forbidden', en: (p: RefusalParams) => `${s(p, 'actor')} may not ${s(p, 'action')} finding ${s(p, 'findingId')}: only ${s(p, 'allowed')} may` },
  findingNotAssigned: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} has not been assigned yet; it is assigned at ${s(p, 'assignAt')}` },
  findingWrongState: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} is ${s(p, 'state')}: ${s(p, 'why')}` },
  noEvidence: { kind: 'invalid', en: () => 'a claim must describe the evidence of the rectification' },
  noReason: { kind: 'invalid', en: () => 'a rejection must give its reason' },
  alreadyDecided: { kind: 'conflict', en: (p: RefusalParams) => `claim ${s(p, 'claim')} of finding ${s(p, 'findingId')} was already ${s(p, 'decision')} at ${s(p, 'at')}` },
  recheckNotDue: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} has no re-check due${p.at ? `; its re-check is due at ${s(p, 'at')}` : ''}` },
  tooManyActions: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} already has ${s(p, 'max')} actions, the most kept` },
  notDueNow: { kind: 'conflict', en: (p: RefusalParams) => `the report for ${s(p, 'period')} arrived on ${s(p, 'at')} and is not returned: nothing is due to extend` },
  notLaterDue: { kind: 'invalid', en: (p: RefusalParams) => `${s(p, 'until')} gives the due day ${s(p, 'dueDay')}, which is not after the report's current due day ${s(p, 'current')}` },
  duePassed: { kind: 'invalid', en: (p: RefusalParams) => `${s(p, 'until')} gives the due day ${s(p, 'dueDay')}, which has already passed (today is ${s(p, 'today')})` },
  tooManyExtensions: { kind: 'conflict', en: (p: RefusalParams) => `this report already has ${s(p, 'max')} extensions, the most kept` },
  findingClosed: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} was closed at ${s(p, 'at')}; a closed finding's deadline is not extended` },
  findingClaimed: { kind: 'conflict', en: (p: RefusalParams) => `claim ${s(p, 'claim')} of finding ${s(p, 'findingId')} awaits the verifier's decision; a claimed finding's deadline is not extended` },
  notLaterDeadline: { kind: 'invalid', en: (p: RefusalParams) => `${s(p, 'until')} gives the deadline day ${s(p, 'dueDay')}, which is not after finding ${s(p, 'findingId')}'s current deadline day ${s(p, 'current')}` },
  tooManyFindingExtensions: { kind: 'conflict', en: (p: RefusalParams) => `finding ${s(p, 'findingId')} already has ${s(p, 'max')} extensions, the most kept` },
  /** An amendment changes what a running plan keeps for good (its id, time zone or start). */
  amendUnchangeable: { kind: 'invalid', en: (p: RefusalParams) => `cannot change while the plan runs: it is ${s(p, 'from')}, the file says ${s(p, 'to')}${p.hint ? ` (${s(p, 'hint')})` : ''}` },
  /** An amendment's end cuts short the quarter in progress, or is already past. */
  amendEndTooEarly: { kind: 'invalid', en: (p: RefusalParams) => `must be ${s(p, 'min')} or later (${s(p, 'why')}), got ${s(p, 'end')}` },
  amendNothingChanged: { kind: 'conflict', en: (p: RefusalParams) => `the file is the same as version ${s(p, 'version')}, the version in force: nothing to amend` },
  amendNotRunning: { kind: 'conflict', en: (p: RefusalParams) => `plan ${s(p, 'planId')} is no longer running${p.state ? ` (${s(p, 'state')})` : ''}: a finished plan cannot be amended` },
} as const;

/** A refusal's code. */
export type RefusalCode = keyof typeof REFUSALS;
/** What kind of refusal a code is: the portal's HTTP status follows from it. */
export type RefusalKind = (typeof REFUSALS)[RefusalCode]['kind'];

/** The English `field: sentence` line of a refusal (what the CLI prints). */
export function refusalLine(r: Refusal): string {
  return `${r.field}: ${REFUSALS[r.code].en(r.params)}`;
}

/** What schemaRefusals reads of a zod issue. */
interface SchemaIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
  expected?: unknown;
}

const TYPE_WORDS: Record<string, string> = { string: 'text', number: 'a number', object: 'an object', array: 'a list', boolean: 'true or false', undefined: 'nothing', null: 'null', nan: 'NaN' };

/** Refusals from the shared schema's issues: an unknown field is named as the field, a wrong type says what was given. */
export function schemaRefusals(issues: readonly SchemaIssue[]): Refusal[] {
  return issues.flatMap((i): Refusal[] => {
    const field = i.path.length ? i.path.map(String).join('.') : 'report';
    if (i.code === 'unrecognized_keys' && i.keys?.length) {
      return i.keys.map((k) => ({ field: i.path.length ? `${field}.${k}` : k, code: 'invalid', params: { message: 'is not a field of this message' } }));
    }
    const received = /received (\w+)/.exec(i.message)?.[1];
    if (i.code === 'invalid_type' && received === 'undefined') return [{ field, code: 'invalid', params: { message: 'is required' } }];
    if (i.code === 'invalid_type' && received && typeof i.expected === 'string' && TYPE_WORDS[i.expected]) {
      return [{ field, code: 'invalid', params: { message: `must be ${TYPE_WORDS[i.expected]}, got ${TYPE_WORDS[received] ?? received}` } }];
    }
    return [{ field, code: 'invalid', params: { message: i.message } }];
  });
}

/** Whether `value` is a list of refusals (as carried in a failure's details). */
export function isRefusalList(value: unknown): value is Refusal[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => r && typeof r === 'object' && typeof r.code === 'string' && r.code in REFUSALS && typeof r.field === 'string');
}
