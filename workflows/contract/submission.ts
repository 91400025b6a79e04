/**
 * The one rule for what units and headquarters may send, shared by every surface (CLI, portal form, JSON API, an
 * Update sent directly): the texts' characters and the progress figure's range. Sandbox-safe.
 *
 * The group's update handlers parse with the looser `reportInputSchema` / `reviewDecisionSchema`, so that a report
 * accepted before this rule existed still replays; every validator and client checks with the schemas below.
 */
import { z } from 'zod';
import type { Task } from './plan.js';
import type { Refusal } from './refusals.js';
import { reportInputSchema, reviewDecisionSchema } from './report.js';

/** A multi-line text (summary, problems, next steps, comment) or a single-line one (names, request ids). */
export type TextKind = 'text' | 'line';

// Controls other than tab, line feed and carriage return; a single-line text allows none of those three either.
const CONTROL_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
const CONTROL_LINE = /[\u0000-\u001F\u007F-\u009F]/u;
// Bidirectional embeddings, overrides and isolates: they make text display differently from what it says.
const BIDI = /[\u202A-\u202E\u2066-\u2069]/u;
// Invisible characters that make two names look alike; allowed in multi-line texts (copied from web pages).
const INVISIBLE_IN_LINE = /[\u200B\u2060\uFEFF]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// What a reader cannot see: a text made only of these is empty.
const BLANK = /^[\s\u200B-\u200D\u2060\uFEFF\u00AD]*$/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** What breaks the text rule in a text: the sentence, the character (`U+202E`) and its position (1-based, in characters). */
export interface TextProblem {
  message: string;
  char: string;
  position: number;
  /** Which part of the rule: half a surrogate pair, a control character (or line break), a bidi override, an invisible one. */
  rule: 'surrogate' | 'control' | 'bidi' | 'invisible';
}

/** The first thing in `text` that breaks the text rule, or undefined when it is fine. */
export function textProblemOf(text: string, kind: TextKind): TextProblem | undefined {
  const found = (m: RegExpExecArray | null, why: string, rule: TextProblem['rule']): TextProblem | undefined => {
    if (!m) return undefined;
    const char = codePoint(m[0]);
    const position = [...text.slice(0, m.index)].length + 1;
    return { message: `${why} (${char} at character ${position})`, char, position, rule };
  };
  return (
    found(LONE_SURROGATE.exec(text), 'must be well-formed text: it holds half of a surrogate pair', 'surrogate') ??
    found((kind === 'line' ? CONTROL_LINE : CONTROL_TEXT).exec(text), `must not contain control characters${kind === 'line' ? ' or line breaks' : ''}`, 'control') ??
    found(BIDI.exec(text), 'must not contain bidirectional override or isolate characters, which make text read differently from what it says', 'bidi') ??
    (kind === 'line' ? found(INVISIBLE_IN_LINE.exec(text), 'must not contain invisible characters', 'invisible') : undefined)
  );
}

/** Why `text` breaks the text rule, naming the character and its position, or undefined when it is fine. */
export function textProblem(text: string, kind: TextKind): string | undefined {
  return textProblemOf(text, kind)?.message;
}

/** True when a reader would see nothing: only spaces, line breaks and invisible characters. */
export function isBlankText(text: string): boolean {
  return BLANK.test(text);
}

const ruled = <T extends z.ZodString>(schema: T, kind: TextKind) =>
  schema.superRefine((value, ctx) => {
    const problem = textProblemOf(value, kind);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { rule: 'text', char: problem.char, position: problem.position } });
  });

// Only what the shared schema's own "not only spaces" check lets through, so a blank text is reported once.
const visible = <T extends z.ZodString>(schema: T) => schema.refine((value) => value.trim() === '' || !isBlankText(value), { message: 'must not be empty' });

const r = reportInputSchema.shape;

/** A unit's report as every surface checks it: the shared shape plus the text rule. */
export const reportSubmissionSchema = reportInputSchema.extend({
  requestId: ruled(r.requestId, 'line'),
  taskId: ruled(r.taskId, 'line'),
  unitId: ruled(r.unitId, 'line'),
  summary: visible(ruled(r.summary, 'text')),
  problems: ruled(r.problems.unwrap(), 'text').optional(),
  nextSteps: ruled(r.nextSteps.unwrap(), 'text').optional(),
  submittedBy: ruled(r.submittedBy.unwrap(), 'line').optional(),
});

const d = reviewDecisionSchema.shape;

/** Headquarters' decision as every surface checks it: the shared shape plus the text rule. */
export const decisionSubmissionSchema = reviewDecisionSchema
  .safeExtend({
    requestId: ruled(d.requestId, 'line'),
    taskId: ruled(d.taskId, 'line'),
    unitId: ruled(d.unitId, 'line'),
    comment: ruled(d.comment.unwrap(), 'text').optional(),
    by: ruled(d.by.unwrap(), 'line').optional(),
  })
  .refine((x) => x.decision !== 'return' || (x.comment ?? '').trim() === '' || !isBlankText(x.comment ?? ''), { path: ['comment'], message: 'must say what to revise when returning a report' });

/** The range of a task's progress figure: a share of its target's total, or a percentage when it has no target. */
export function progressRange(task: Pick<Task, 'target'>): { min: number; max: number; metric: string } {
  return task.target ? { min: 0, max: task.target.total, metric: task.target.metric } : { min: 0, max: 100, metric: '%' };
}

/** The refusal of a progress figure outside its task's range, or undefined when it is within it (or absent). */
export function progressRefusal(task: Pick<Task, 'id' | 'target'>, progress: number | undefined): Refusal | undefined {
  if (progress === undefined) return undefined;
  const { min, max, metric } = progressRange(task);
  if (progress >= min && progress <= max) return undefined;
  return { field: 'progress', code: 'outOfRange', params: { min, max, metric, taskId: task.id, got: progress } };
}
