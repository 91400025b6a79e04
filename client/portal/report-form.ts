/** The report form's values: from a stored revision, from a posted form, into the shared schema's input. Pure. */
import { REFUSALS, type Refusal } from '../../workflows/contract/refusals.js';
import type { Revision } from '../../workflows/contract/status.js';
import { reportSubmissionSchema } from '../../workflows/contract/submission.js';
import type { ReportScope } from './sessions.js';

/** The fields a unit fills in; scope fields are never among them. */
export const FORM_FIELDS = ['status', 'summary', 'progress', 'problems', 'nextSteps', 'submittedBy'] as const;
/** A field of the report form. */
export type FormField = (typeof FORM_FIELDS)[number];
/** The form's values as text, as shown in the form. */
export type FormValues = Record<FormField, string>;

/** The report's scope as the form shows it (task, unit and quarter, from the session): refusals may name them too. */
export const SCOPE_FIELDS = ['taskId', 'unitId', 'period'] as const;
/** A field of the scope. */
export type ScopeField = (typeof SCOPE_FIELDS)[number];

/** Errors to show: next to the field they name (a form field or a scope line), or above the form. */
export interface FormErrors {
  fields: Partial<Record<FormField | ScopeField, string>>;
  general: string[];
  /** The engine did not answer: nothing is wrong with the form, and sending it again later is safe. */
  engineDown?: string;
}

/** The form's values from a stored revision (empty when there is none). */
export function valuesFromRevision(r: Revision | undefined): FormValues {
  return {
    status: r?.status ?? '',
    summary: r?.summary ?? '',
    progress: r?.progress === undefined || r?.progress === null ? '' : String(r.progress),
    problems: r?.problems ?? '',
    nextSteps: r?.nextSteps ?? '',
    submittedBy: r?.submittedBy ?? '',
  };
}

/** The form's values as posted; fields the form does not have are ignored, so none can widen the scope. */
export function valuesFromForm(fields: Map<string, string>): FormValues {
  const get = (k: FormField) => (fields.get(k) ?? '').replace(/\r\n/g, '\n');
  return { status: get('status'), summary: get('summary'), progress: get('progress').trim(), problems: get('problems'), nextSteps: get('nextSteps'), submittedBy: get('submittedBy').trim() };
}

/** The submission for the scope's report: plan, task, unit and quarter come from the session alone. */
export function reportInput(scope: ReportScope, values: FormValues, requestId: string): Record<string, unknown> {
  const optional = (s: string) => (s.trim() === '' ? undefined : s);
  const progress = values.progress === '' ? undefined : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(values.progress) ? Number(values.progress) : values.progress;
  const input: Record<string, unknown> = {
    requestId,
    taskId: scope.task,
    unitId: scope.unit,
    period: scope.period,
    status: values.status,
    summary: values.summary,
    progress,
    problems: optional(values.problems),
    nextSteps: optional(values.nextSteps),
    submittedBy: optional(values.submittedBy),
  };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return input;
}

const isFormField = (f: string | undefined): f is FormField => (FORM_FIELDS as readonly string[]).includes(f ?? '');

/** Field messages in the plan's language (the portal catalogue's `form.invalid`). */
export interface InvalidWords {
  required: string;
  tooLong: (max: number) => string;
  choose: string;
  number: string;
  character: (what: string) => string;
}

/** The schema's finding, in the words of `words` when given (else the schema's own English), by its issue code. */
function worded(issue: { code: string; message: string; maximum?: unknown; params?: Record<string, unknown> }, words?: InvalidWords): string {
  if (!words) return issue.message;
  // The text rule (workflows/contract/submission.ts): which character, and where.
  if (issue.code === 'custom' && issue.params?.rule === 'text') return words.character(`${String(issue.params.char)} (${String(issue.params.position)})`);
  if (issue.code === 'too_big' && typeof issue.maximum === 'number') return words.tooLong(issue.maximum);
  if (issue.code === 'invalid_value') return words.choose;
  if (issue.code === 'invalid_type') return words.number;
  // too_small: an empty string; custom: the summary's "not only spaces" refinement.
  if (issue.code === 'too_small' || issue.code === 'custom') return words.required;
  return issue.message;
}

/** Errors from the shared schema, or null when the input is valid. */
export function schemaErrors(input: Record<string, unknown>, words?: InvalidWords): FormErrors | null {
  const parsed = reportSubmissionSchema.safeParse(input);
  if (parsed.success) return null;
  const errors: FormErrors = { fields: {}, general: [] };
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    if (isFormField(field)) errors.fields[field] ??= worded(issue as Parameters<typeof worded>[0], words);
    else errors.general.push(`${field || 'report'}: ${issue.message}`);
  }
  return errors;
}

const isScopeField = (f: string): f is ScopeField => (SCOPE_FIELDS as readonly string[]).includes(f);

/**
 * Errors from the engine's typed refusals, each in the words of `say`: next to the form field or scope line its
 * `field` names, above the form otherwise; a refusal of kind `unavailable` (no engine answering) apart from them.
 */
export function refusalErrors(refusals: readonly Refusal[], say: (r: Refusal) => string): FormErrors {
  const errors: FormErrors = { fields: {}, general: [] };
  for (const r of refusals) {
    const text = say(r);
    if (REFUSALS[r.code]?.kind === 'unavailable') errors.engineDown ??= text;
    else if (isFormField(r.field) || isScopeField(r.field)) errors.fields[r.field] ??= text;
    else errors.general.push(text);
  }
  return errors;
}
