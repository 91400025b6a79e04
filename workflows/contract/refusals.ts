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
  engineDown: { kind: 'unavailable', en: (p: RefusalParams) => s(p, 'message') },
} as const;

/** A refusal's code. */
export type RefusalCode = keyof typeof REFUSALS;
/** What kind of refusal a code is: the portal's HTTP status follows from it. */
export type RefusalKind = (typeof REFUSALS)[RefusalCode]['kind'];

/** The English `field: sentence` line of a refusal (what the CLI prints). */
export function refusalLine(r: Refusal): string {
  return `${r.field}: ${REFUSALS[r.code].en(r.params)}`;
}

/** Refusals from the shared schema's issues. */
export function schemaRefusals(issues: readonly { path: PropertyKey[]; message: string }[]): Refusal[] {
  return issues.map((i) => ({ field: i.path.length ? i.path.map(String).join('.') : 'report', code: 'invalid', params: { message: i.message } }));
}

/** Whether `value` is a list of refusals (as carried in a failure's details). */
export function isRefusalList(value: unknown): value is Refusal[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => r && typeof r === 'object' && typeof r.code === 'string' && r.code in REFUSALS && typeof r.field === 'string');
}
