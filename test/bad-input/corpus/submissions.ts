/**
 * Bad reports and decisions, as data. Each row is sent through every surface it can be expressed on: an Update sent
 * directly to the group workflow, the CLI, the portal's report form (reports) or headquarters' form and JSON API
 * (decisions). Each names the field the refusal must name and a fragment of its code or message.
 */

/** Where a row is sent. */
export type ReportSurface = 'update' | 'cli' | 'form';
export type DecisionSurface = 'update' | 'cli' | 'hqForm' | 'api';

/** Which report a row is about, in the plans the test runs. */
export type Target = 'current' | 'next' | 'closed' | 'otherTask' | 'targetless';

/** One bad report. `fields` override a good report; `undefined` removes a field. */
export interface ReportCase {
  name: string;
  fields: Record<string, unknown>;
  target?: Target;
  field: string;
  /** A refusal code, or a fragment of the message. */
  expect: string;
  surfaces: ReportSurface[];
}

/** One bad decision on a report that has arrived (or, with `target`, another report). */
export interface DecisionCase {
  name: string;
  decision: 'accept' | 'return' | string;
  fields: Record<string, unknown>;
  target?: Target;
  field: string;
  expect: string;
  surfaces: DecisionSurface[];
}

const ALL: ReportSurface[] = ['update', 'cli', 'form'];
const TEXTUAL: ReportSurface[] = ['update', 'cli', 'form'];
const NOT_FORM: ReportSurface[] = ['update', 'cli'];
const TYPED: ReportSurface[] = ['update'];

const big = (n: number) => 'x'.repeat(n);

/** Every bad report of the corpus. */
export const reportCases: ReportCase[] = [
  // Missing and wrong types
  { name: 'no status', fields: { status: undefined }, field: 'status', expect: 'must be one of', surfaces: TYPED },
  { name: 'unknown status', fields: { status: 'great' }, field: 'status', expect: 'must be one of', surfaces: ['update', 'form'] },
  { name: 'status in capitals', fields: { status: 'ON-TRACK' }, field: 'status', expect: 'must be one of', surfaces: ['update', 'form'] },
  { name: 'status a number', fields: { status: 1 }, field: 'status', expect: 'must be one of', surfaces: TYPED },
  { name: 'empty summary', fields: { summary: '' }, field: 'summary', expect: 'must not be empty', surfaces: ALL },
  { name: 'summary of spaces and line breaks', fields: { summary: ' \n\t ' }, field: 'summary', expect: 'must not be empty', surfaces: ALL },
  { name: 'summary only a zero-width space', fields: { summary: '\u200B' }, field: 'summary', expect: 'must not be empty', surfaces: ALL },
  { name: 'summary only a BOM and a soft hyphen', fields: { summary: '\uFEFF\u00AD' }, field: 'summary', expect: 'must not be empty', surfaces: ALL },
  { name: 'summary a number', fields: { summary: 42 }, field: 'summary', expect: 'must be text, got a number', surfaces: TYPED },
  { name: 'summary null', fields: { summary: null }, field: 'summary', expect: 'must be text, got null', surfaces: TYPED },
  { name: 'summary a list', fields: { summary: ['a'] }, field: 'summary', expect: 'must be text', surfaces: TYPED },
  { name: 'summary a nested object', fields: { summary: { a: { b: { c: 1 } } } }, field: 'summary', expect: 'must be text', surfaces: TYPED },
  { name: 'summary deeply nested', fields: { summary: JSON.parse(`${'['.repeat(2_000)}${']'.repeat(2_000)}`) }, field: 'summary', expect: 'must be text', surfaces: TYPED },
  { name: 'progress as text', fields: { progress: '12' }, field: 'progress', expect: 'must be a number', surfaces: TYPED },
  { name: 'progress not a number', fields: { progress: 'lots' }, field: 'progress', expect: 'number', surfaces: ['update', 'form'] },
  { name: 'progress true', fields: { progress: true }, field: 'progress', expect: 'must be a number', surfaces: TYPED },
  { name: 'progress null', fields: { progress: null }, field: 'progress', expect: 'must be a number', surfaces: TYPED },
  { name: 'requestId empty', fields: { requestId: '' }, field: 'requestId', expect: 'must not be empty', surfaces: ['update', 'cli'] },
  { name: 'requestId a number', fields: { requestId: 7 }, field: 'requestId', expect: 'must be text', surfaces: TYPED },
  { name: 'requestId of 129 characters', fields: { requestId: big(129) }, field: 'requestId', expect: 'at most 128', surfaces: ['update', 'cli', 'form'] },
  { name: 'requestId with a line break', fields: { requestId: 'r-1\nr-2' }, field: 'requestId', expect: 'line breaks', surfaces: ['update', 'cli', 'form'] },
  { name: 'an unknown field', fields: { priority: 'high' }, field: 'priority', expect: 'is not a field', surfaces: TYPED },
  { name: 'a prototype key', fields: JSON.parse('{"__proto__": {"admin": true}}'), field: '__proto__', expect: 'is not a field', surfaces: TYPED },
  { name: 'period in the wrong format', fields: { period: '2027Q1' }, field: 'period', expect: 'YYYY-Qn', surfaces: NOT_FORM },
  { name: 'period Q5', fields: { period: '2027-Q5' }, field: 'period', expect: 'YYYY-Qn', surfaces: NOT_FORM },
  { name: 'period a number', fields: { period: 2027 }, field: 'period', expect: 'must be text', surfaces: TYPED },
  { name: 'taskId empty', fields: { taskId: '' }, field: 'taskId', expect: 'must not be empty', surfaces: TYPED },
  // Oversized
  { name: 'summary of 20,001 characters', fields: { summary: big(20_001) }, field: 'summary', expect: 'at most 20000', surfaces: ALL },
  { name: 'problems of 20,001 characters', fields: { problems: big(20_001) }, field: 'problems', expect: 'at most 20000', surfaces: ALL },
  { name: 'next steps of 20,001 characters', fields: { nextSteps: big(20_001) }, field: 'nextSteps', expect: 'at most 20000', surfaces: ALL },
  { name: 'submitter of 201 characters', fields: { submittedBy: big(201) }, field: 'submittedBy', expect: 'at most 200', surfaces: ALL },
  { name: 'summary of 20,001 emoji', fields: { summary: '🎉'.repeat(20_001) }, field: 'summary', expect: 'at most 20000', surfaces: ['update', 'cli'] },
  // Unicode edge cases: the text rule
  { name: 'summary with NUL', fields: { summary: 'done\u0000' }, field: 'summary', expect: 'control characters', surfaces: ALL },
  { name: 'summary with a bell', fields: { summary: 'done\u0007' }, field: 'summary', expect: 'control characters', surfaces: ALL },
  { name: 'summary with an escape sequence', fields: { summary: 'done \u001b[31mred' }, field: 'summary', expect: 'control characters', surfaces: ALL },
  { name: 'summary with a C1 control', fields: { summary: 'done\u0085' }, field: 'summary', expect: 'control characters', surfaces: ALL },
  { name: 'summary with DEL', fields: { summary: 'done\u007f' }, field: 'summary', expect: 'control characters', surfaces: ALL },
  { name: 'summary with RTL override', fields: { summary: 'paid \u202E0001\u202C yuan' }, field: 'summary', expect: 'bidirectional', surfaces: ALL },
  { name: 'problems with LTR embedding', fields: { problems: 'x \u202A y' }, field: 'problems', expect: 'bidirectional', surfaces: ALL },
  { name: 'next steps with a bidi isolate', fields: { nextSteps: 'x \u2067 y' }, field: 'nextSteps', expect: 'bidirectional', surfaces: ALL },
  { name: 'summary with a lone high surrogate', fields: { summary: 'done \uD83D' }, field: 'summary', expect: 'well-formed', surfaces: NOT_FORM },
  { name: 'summary with a lone low surrogate', fields: { summary: '\uDE00 done' }, field: 'summary', expect: 'well-formed', surfaces: NOT_FORM },
  { name: 'submitter with a zero-width space', fields: { submittedBy: 'Ann\u200BLee' }, field: 'submittedBy', expect: 'invisible', surfaces: ALL },
  { name: 'submitter with a word joiner', fields: { submittedBy: 'Ann\u2060' }, field: 'submittedBy', expect: 'invisible', surfaces: ALL },
  { name: 'submitter with a line break', fields: { submittedBy: 'Ann\nBcc: x' }, field: 'submittedBy', expect: 'line breaks', surfaces: ['update', 'cli'] },
  { name: 'submitter with a tab', fields: { submittedBy: 'Ann\tLee' }, field: 'submittedBy', expect: 'line breaks', surfaces: ALL },
  { name: 'submitter with RTL override', fields: { submittedBy: 'Ann \u202Eeel' }, field: 'submittedBy', expect: 'bidirectional', surfaces: ALL },
  { name: 'taskId with a NUL', fields: { taskId: 't1\u0000' }, field: 'taskId', expect: 'control characters', surfaces: NOT_FORM },
  { name: 'requestId with RTL override', fields: { requestId: 'r\u202E1' }, field: 'requestId', expect: 'bidirectional', surfaces: ['update', 'cli', 'form'] },
  // Numbers out of range: the task's target (t1: 0..50 km) or a percentage (t2: 0..100)
  { name: 'progress -1', fields: { progress: -1 }, field: 'progress', expect: 'outOfRange', surfaces: ALL },
  { name: 'progress 1e308', fields: { progress: 1e308 }, field: 'progress', expect: 'outOfRange', surfaces: ALL },
  { name: 'progress above the target', fields: { progress: 50.5 }, field: 'progress', expect: 'outOfRange', surfaces: ALL },
  { name: 'progress -0.0001', fields: { progress: -0.0001 }, field: 'progress', expect: 'outOfRange', surfaces: ALL },
  { name: 'progress above 100 without a target', fields: { progress: 101 }, target: 'targetless', field: 'progress', expect: 'outOfRange', surfaces: ['update', 'cli'] },
  { name: 'progress -5 without a target', fields: { progress: -5 }, target: 'targetless', field: 'progress', expect: 'outOfRange', surfaces: ['update', 'cli'] },
  { name: 'progress Infinity as text', fields: { progress: 'Infinity' }, field: 'progress', expect: 'number', surfaces: ['form'] },
  { name: 'progress in hex', fields: { progress: '0x10' }, field: 'progress', expect: 'number', surfaces: ['form'] },
  { name: 'progress with a comma', fields: { progress: '12,5' }, field: 'progress', expect: 'number', surfaces: ['form'] },
  // Unknown ids, another unit's task, quarters not open
  { name: 'unknown task', fields: { taskId: 'no-such-task' }, field: 'taskId', expect: 'unknownTask', surfaces: NOT_FORM },
  { name: 'unknown unit', fields: { unitId: 'gamma' }, field: 'unitId', expect: 'unknownUnit', surfaces: NOT_FORM },
  { name: "another unit's task", fields: {}, target: 'otherTask', field: 'unitId', expect: 'notResponsible', surfaces: NOT_FORM },
  { name: 'a quarter outside the plan', fields: { period: '1999-Q1' }, field: 'period', expect: 'notAQuarter', surfaces: NOT_FORM },
  { name: 'a quarter not requested yet', fields: {}, target: 'next', field: 'period', expect: 'notRequestedYet', surfaces: ALL },
  { name: 'a closed quarter', fields: {}, target: 'closed', field: 'period', expect: 'closed', surfaces: ALL },
];

/** Every bad decision of the corpus (on the current quarter's report of t2, which has arrived, unless `target` says otherwise). */
export const decisionCases: DecisionCase[] = [
  { name: 'return without a comment', decision: 'return', fields: { comment: '' }, field: 'comment', expect: 'must say what to revise', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'return with a blank comment', decision: 'return', fields: { comment: ' \n ' }, field: 'comment', expect: 'must say what to revise', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'return with only a zero-width space', decision: 'return', fields: { comment: '\u200B' }, field: 'comment', expect: 'must say what to revise', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'comment of 5,001 characters', decision: 'return', fields: { comment: big(5_001) }, field: 'comment', expect: 'at most 5000', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'comment with NUL', decision: 'return', fields: { comment: 'fix\u0000' }, field: 'comment', expect: 'control characters', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'comment with RTL override', decision: 'return', fields: { comment: 'fix \u202Eit' }, field: 'comment', expect: 'bidirectional', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'comment with a lone surrogate', decision: 'return', fields: { comment: 'fix \uDBFF' }, field: 'comment', expect: 'well-formed', surfaces: ['update', 'cli', 'api'] },
  { name: 'comment a number', decision: 'return', fields: { comment: 5 }, field: 'comment', expect: 'must be text', surfaces: ['update', 'api'] },
  { name: 'comment an object', decision: 'return', fields: { comment: { text: 'x' } }, field: 'comment', expect: 'must be text', surfaces: ['update', 'api'] },
  { name: 'comment deeply nested', decision: 'return', fields: { comment: JSON.parse(`${'['.repeat(1_000)}${']'.repeat(1_000)}`) }, field: 'comment', expect: 'must be text', surfaces: ['update', 'api'] },
  { name: 'by of 201 characters', decision: 'accept', fields: { by: big(201) }, field: 'by', expect: 'at most 200', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'by with a line break', decision: 'accept', fields: { by: 'HQ\nX' }, field: 'by', expect: 'line breaks', surfaces: ['update', 'cli', 'api'] },
  { name: 'by with a zero-width space', decision: 'accept', fields: { by: 'H\u200BQ' }, field: 'by', expect: 'invisible', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'by a list', decision: 'accept', fields: { by: ['hq'] }, field: 'by', expect: 'must be text', surfaces: ['update', 'api'] },
  { name: 'requestId of 129 characters', decision: 'accept', fields: { requestId: big(129) }, field: 'requestId', expect: 'at most 128', surfaces: ['update', 'cli', 'api'] },
  { name: 'requestId with NUL', decision: 'accept', fields: { requestId: 'd\u0000' }, field: 'requestId', expect: 'control characters', surfaces: ['update', 'cli', 'api'] },
  { name: 'an unknown field', decision: 'accept', fields: { urgent: true }, field: 'urgent', expect: 'unknown field|is not a field', surfaces: ['update', 'api'] },
  { name: 'decision maybe', decision: 'maybe', fields: {}, field: 'decision', expect: 'must be accept or return', surfaces: ['update'] },
  { name: 'a comment on an accept, as a number', decision: 'accept', fields: { comment: 1 }, field: 'comment', expect: 'must be text', surfaces: ['update'] },
  { name: 'unknown task', decision: 'accept', fields: { taskId: 'no-such-task' }, field: 'taskId', expect: 'unknownTask', surfaces: ['update', 'cli', 'api'] },
  { name: "a unit that is not the task's", decision: 'accept', fields: { unitId: 'alpha' }, field: 'unitId', expect: 'notResponsible', surfaces: ['update', 'cli', 'api'] },
  { name: 'a period in the wrong format', decision: 'accept', fields: { period: 'Q1-2027' }, field: 'period', expect: 'YYYY-Qn', surfaces: ['update', 'cli', 'api'] },
  { name: 'a quarter outside the plan', decision: 'accept', fields: { period: '1999-Q1' }, field: 'period', expect: 'notAQuarter', surfaces: ['update', 'cli', 'api'] },
  { name: 'a report that has not arrived', decision: 'accept', fields: {}, target: 'next', field: 'period', expect: 'noReportYet', surfaces: ['update', 'cli', 'hqForm', 'api'] },
  { name: 'a return on a closed quarter', decision: 'return', fields: { comment: 'late' }, target: 'closed', field: 'period', expect: 'noReportYet', surfaces: ['update', 'cli', 'api'] },
];
