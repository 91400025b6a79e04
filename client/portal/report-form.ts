/** The report form's values: from a stored revision, from a posted form, into the shared schema's input. Pure. */
import type { Revision } from '../../workflows/contract/status.js';
import { reportInputSchema } from '../../workflows/contract/report.js';
import { refusalParts } from './plan-data.js';
import type { ReportScope } from './sessions.js';

/** The fields a unit fills in; scope fields are never among them. */
export const FORM_FIELDS = ['status', 'summary', 'progress', 'problems', 'nextSteps', 'submittedBy'] as const;
/** A field of the report form. */
export type FormField = (typeof FORM_FIELDS)[number];
/** The form's values as text, as shown in the form. */
export type FormValues = Record<FormField, string>;

/** Errors to show: next to the field they name, or above the form. */
export interface FormErrors {
  fields: Partial<Record<FormField, string>>;
  general: string[];
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
}

/** The schema's finding, in the words of `words` when given (else the schema's own English). */
function worded(issue: { code: string; message: string; maximum?: unknown }, words?: InvalidWords): string {
  if (!words) return issue.message;
  if (issue.code === 'too_big' && typeof issue.maximum === 'number') return words.tooLong(issue.maximum);
  if (issue.code === 'invalid_value') return words.choose;
  if (issue.code === 'invalid_type' || /number/.test(issue.message)) return words.number;
  if (issue.code === 'too_small' || /empty/.test(issue.message)) return words.required;
  return issue.message;
}

/** Errors from the shared schema, or null when the input is valid. */
export function schemaErrors(input: Record<string, unknown>, words?: InvalidWords): FormErrors | null {
  const parsed = reportInputSchema.safeParse(input);
  if (parsed.success) return null;
  const errors: FormErrors = { fields: {}, general: [] };
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    if (isFormField(field)) errors.fields[field] ??= worded(issue as Parameters<typeof worded>[0], words);
    else errors.general.push(`${field || 'report'}: ${issue.message}`);
  }
  return errors;
}

/** Errors from a refusal written `field: reason; ...` (the workflow validator's form). */
export function refusalErrors(message: string): FormErrors {
  const errors: FormErrors = { fields: {}, general: [] };
  for (const { field, reason } of refusalParts(message)) {
    if (isFormField(field)) errors.fields[field] ??= reason;
    else errors.general.push(field ? `${field}: ${reason}` : reason);
  }
  return errors;
}
