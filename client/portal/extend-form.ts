/**
 * Headquarters' extension (延期) form, shared by a report's page and a finding's page: the posted values, the input
 * for the client API, the engine's refusals next to the fields they name, and the receipt, in the plan's words.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FindingExtensionReceipt } from '../../workflows/contract/finding.js';
import type { Refusal } from '../../workflows/contract/refusals.js';
import { REFUSALS } from '../../workflows/contract/refusals.js';
import type { ExtensionReceipt } from '../../workflows/contract/report.js';
import { storedExtensions } from '../../store/records.js';
import { UserError } from '../plans.js';
import type { Catalogue } from './catalogue/en.js';
import type { Ctx } from './context.js';
import { refusalStatus, sayRefusal } from './plan-data.js';
import { localDay } from './views/findings.js';

/** The fields of the form (besides csrf and requestId). */
export const EXTEND_FIELDS = ['until', 'reason', 'by'] as const;
export type ExtendField = (typeof EXTEND_FIELDS)[number];

/** The form as sent (or fresh), with the errors of a refused one. */
export interface ExtendFormState {
  requestId: string;
  values: Partial<Record<ExtendField, string>>;
  errors?: { fields: Partial<Record<ExtendField, string>>; general: string[] };
}

/** What a posted extension came to: the receipt in words, or why nothing was extended. */
export type ExtendOutcome = { said: string[]; duplicate: boolean } | { refused: string[] };

/** A fresh form with its own request id (a form sent twice is applied once). */
export function freshExtendForm(): ExtendFormState {
  return { requestId: randomUUID(), values: {} };
}

/** The values of a posted form (line breaks normalised; other fields ignored). */
export function extendValues(fields: Map<string, string>): Record<ExtendField, string> {
  return Object.fromEntries(EXTEND_FIELDS.map((k) => [k, (fields.get(k) ?? '').replace(/\r\n/g, '\n')])) as Record<ExtendField, string>;
}

/** The input of extendReport / extendFinding from the form's values (an empty signature is none). */
export function extendInput(values: Record<ExtendField, string>, requestId: string): { until: string; reason: string; by?: string; requestId: string } {
  const by = values.by.trim();
  return { until: values.until.trim(), reason: values.reason, requestId, ...(by ? { by } : {}) };
}

/**
 * The refusals in `say`'s words, each next to the field it names: the schema's verdict on the day or the reason in
 * the form's own words, the engine's refusals (a day not after the due day, passed, ...) as its catalogue says them.
 */
export function extendErrors(c: Catalogue, refusals: readonly Refusal[], say: (r: Refusal) => string): NonNullable<ExtendFormState['errors']> {
  const errors: NonNullable<ExtendFormState['errors']> = { fields: {}, general: [] };
  for (const r of refusals) {
    const field = r.field.split('.')[0] as ExtendField;
    const text = r.code === 'invalid' && field === 'until' ? c.extend.badDay : r.code === 'invalid' && field === 'reason' ? c.extend.noReason : say(r);
    if ((EXTEND_FIELDS as readonly string[]).includes(field) && REFUSALS[r.code]?.kind !== 'unavailable') errors.fields[field] ??= text;
    else errors.general.push(text);
  }
  return errors;
}

/** A receipt in the plan's words: the new day, the day it replaced, the move to a working day, a repeat. */
export function extendReceipt(c: Catalogue, kind: 'report' | 'finding', r: Pick<ExtensionReceipt | FindingExtensionReceipt, 'extension' | 'until' | 'dueDay' | 'previousDueDay'>): string[] {
  const said = [(kind === 'report' ? c.extend.report : c.extend.finding)(r.extension, localDay(c, r.dueDay), localDay(c, r.previousDueDay))];
  if (r.until !== r.dueDay) said.push(c.extend.moved(localDay(c, r.until)));
  return said;
}

/** What one posted extension did: the HTTP status, the outcome, and the form to show again. */
export interface Extended {
  status: number;
  outcome: ExtendOutcome;
  form: ExtendFormState;
}

/**
 * Sends one posted extension through `send` (extendReport or extendFinding, with what the page is about); refusals
 * come back as sentences next to their fields with the form as sent (its request id kept), nothing thrown.
 */
export async function performExtension<R extends ExtensionReceipt | FindingExtensionReceipt>(
  ctx: Ctx,
  kind: 'report' | 'finding',
  fields: Map<string, string>,
  send: (input: ReturnType<typeof extendInput>) => Promise<R>,
): Promise<Extended & { receipt?: R; requestId: string }> {
  const values = extendValues(fields);
  const requestId = fields.get('requestId') || randomUUID();
  try {
    const receipt = await send(extendInput(values, requestId));
    return { status: 200, outcome: { said: extendReceipt(ctx.c, kind, receipt), duplicate: receipt.duplicate }, form: freshExtendForm(), receipt, requestId };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const errors = extendErrors(ctx.c, err.refusals.length ? err.refusals : [{ field: 'engine', code: 'invalid', params: { message: err.message } }], (r) => sayRefusal(ctx, r));
    const sentences = [...Object.values(errors.fields), ...errors.general];
    return { status: refusalStatus(err).status, outcome: { refused: sentences }, form: { requestId, values, errors }, requestId };
  }
}

/** Waits (briefly) until the system of record has the report's extension `requestId`, so the page read next shows it. */
export async function awaitRecordedReportExtension(db: pg.Pool, key: { planId: string; taskId: string; unitId: string; period: string; requestId: string }, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if ((await storedExtensions(db, key.planId, key.taskId, key.unitId, key.period)).some((x) => x.requestId === key.requestId)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
