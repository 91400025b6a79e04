/**
 * Full validation of a plan: the zod schema (shape of each field) plus the rules that span fields.
 * Every problem is reported, each located by a path such as `units[1].leader` and worded for the person editing the file.
 *
 * Sandbox-safe (no Node APIs): workflows may call `checkPlan` on their input too.
 */
import type { z } from 'zod';
import { cadenceSchema, planSchema, type Plan } from './plan.js';

/**
 * What a plan issue is, for surfaces that speak another language than the English of its `message` (the portal's
 * catalogues): each code with the values (`PlanIssueParams`) its sentence names. Values written `show`-style:
 * `got` is the value as the file has it (a string quoted, a number, true, false, null) and `gotKind` says what it is
 * when it is no scalar (`list`, `emptyList`, `object`); ids are quoted, lists of ids are `known` (at most 10, quoted,
 * comma-separated) of `total`.
 */
export const PLAN_ISSUE_CODES = [
  // The file (client/plan-file.ts)
  'fileEmpty', 'fileTooLarge', 'yamlSyntax', 'yamlMultipleDocuments', 'onlyComments', 'tooManyAliases', 'yamlError',
  'tooDeep', 'jsonSyntax', 'duplicateKey', 'textRule',
  // The schema's shape of each field
  'required', 'unknownField', 'noPlan', 'notAPlan', 'wrongType', 'notOneOf', 'wrongUnionType', 'notEmpty', 'minLength',
  'minItems', 'atLeast', 'greaterThan', 'maxLength', 'maxItems', 'atMost', 'lessThan', 'wrongFormat', 'multipleOf',
  'dateFormat', 'idFormat', 'timeFormat', 'email', 'emails', 'noWeight',
  // Rules across fields
  'duplicateId', 'duplicateListed', 'unknownRef', 'unknownRefNone', 'reportedByNotTaskUnit', 'unknownTimezone',
  'notRealDate', 'endBeforeStart', 'endTooLate', 'requestNotBeforeDue', 'reminderBeforeRequest', 'notIncreasing',
  'leaderless', 'closeTooEarly', 'extraWorkdayHoliday', 'feedbackOutsidePlan', 'coversWithoutCoverage', 'unknownVerifier',
  'verifierIsUnit', 'verifierAmbiguous', 'deadlineNotAfterFeedback', 'leaderlessFinding',
] as const;
export type PlanIssueCode = (typeof PLAN_ISSUE_CODES)[number];
/** The values a plan issue's sentence names. */
export type PlanIssueParams = Record<string, string | number>;

/** One problem in a plan. `path` is like `units[1].leader` or `cadence.reminderDays[0]`; `""` for the plan itself. */
export interface PlanIssue {
  path: string;
  /** In English, as the CLI prints it. */
  message: string;
  /** What it is, for other languages (absent: only `message` says it). */
  code?: PlanIssueCode;
  params?: PlanIssueParams;
}

export type PlanCheck = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

/** A plan may span at most this many years (a guard against typos such as `2207-12-31`). */
export const MAX_PLAN_YEARS = 10;

type Segment = string | number;
type ZodIssue = z.ZodError['issues'][number];
interface Found {
  segments: Segment[];
  message: string;
  code?: PlanIssueCode;
  params?: PlanIssueParams;
}

/** Validates a parsed plan file (any JSON-like value). Reports every problem found, not just the first. */
export function checkPlan(raw: unknown): PlanCheck {
  const parsed = planSchema.safeParse(raw);
  const found = [...(parsed.success ? [] : fromZod(raw, parsed.error.issues)), ...crossCheck(raw)];
  if (parsed.success && found.length === 0) return { ok: true, plan: parsed.data };
  return { ok: false, issues: ordered(found) };
}

/** `['units', 1, 'leader']` -> `units[1].leader`; `[]` -> `""`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** True for a time zone the runtime knows (IANA names such as `Asia/Shanghai`, `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** Days in a month (`month` 1-12) of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // day 0 of the next month = last day of this one (also right for years < 100)
  return date.getUTCDate();
}

/** Why a `YYYY-MM-DD` string is not a real calendar day, or undefined if it is one (or is not written YYYY-MM-DD). */
function dateProblem(text: string): string | undefined {
  return dateProblemOf(text)?.message;
}

/** dateProblem with its values: the month as written, or the month (1-12), year and days it has. */
function dateProblemOf(text: string): { message: string; params: PlanIssueParams } | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return { message: `there is no month ${m[2]}`, params: { problem: 'noMonth', month: m[2] } };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { message: `${MONTHS[month - 1]} ${year} has ${days} days`, params: { problem: 'monthDays', month, year, days } };
  return undefined;
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isRealDate(text: string): boolean {
  return DATE_RE.test(text) && dateProblem(text) === undefined;
}

/** The last day a plan starting on `start` may end on (`start` + MAX_PLAN_YEARS years - 1 day). */
function lastAllowedEnd(start: string): string {
  const [year, month, day] = start.split('-').map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year + MAX_PLAN_YEARS, month - 1, day - 1);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering values and zod issues

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** A value as the person editing the file would recognise it. */
function show(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'an object';
  return String(typeof value);
}

/** The value as the issue's params carry it (see PLAN_ISSUE_CODES): `got`, and `gotKind` for what is no scalar. */
function shown(value: unknown): PlanIssueParams {
  if (Array.isArray(value)) return { got: show(value), gotKind: value.length === 0 ? 'emptyList' : 'list' };
  if (value !== null && typeof value === 'object') return { got: show(value), gotKind: 'object' };
  return { got: show(value) };
}

/** `got` for values worth repeating in a message (scalars), as `got` says them; none for the others. */
function gotParams(value: unknown): PlanIssueParams {
  return got(value) ? { got: show(value) } : {};
}

/** `, got <value>` for values worth repeating in a message (scalars). */
function got(value: unknown): string {
  if (value === undefined) return '';
  if (value !== null && typeof value === 'object') return '';
  return `, got ${show(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/** zod's own (generic) messages; ours from plan.ts are kept as they are. */
const ZOD_DEFAULT = /^(Invalid|Too small|Too big|Unrecognized|Expected)\b/;

function fromZod(raw: unknown, issues: readonly ZodIssue[]): Found[] {
  const out: Found[] = [];
  for (const issue of issues) {
    const segments = issue.path.filter((s): s is Segment => typeof s === 'string' || typeof s === 'number');
    const value = valueAt(raw, issue.path);
    const add = (message: string, code?: PlanIssueCode, params: PlanIssueParams = {}) => out.push({ segments, message, ...(code ? { code, params } : {}) });
    if (value === undefined && segments.length > 0 && issue.code !== 'unrecognized_keys') {
      add('is required', 'required');
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) add(`unknown field ${quote(key)}`, 'unknownField', { key: quote(key) });
        break;
      case 'invalid_type': {
        const noun = TYPE_NOUNS[issue.expected] ?? issue.expected;
        if (segments.length === 0) {
          if (value === undefined || value === null) add('the file holds no plan', 'noPlan');
          else add(`the plan must be an object with fields such as id, title, units and tasks, got ${show(value)}`, 'notAPlan', shown(value));
        } else add(`must be ${noun}, got ${show(value)}`, 'wrongType', { expected: issue.expected, ...shown(value) });
        break;
      }
      case 'invalid_value':
        add(`must be one of ${issue.values.map((v) => show(v)).join(', ')}, got ${show(value)}`, 'notOneOf', { values: issue.values.map((v) => show(v)).join(', '), ...shown(value) });
        break;
      case 'invalid_union':
        if (ZOD_DEFAULT.test(issue.message)) add(`has the wrong type${got(value)}`, 'wrongUnionType', gotParams(value));
        else add(`${issue.message}${got(value)}`, SCHEMA_WORDS[issue.message], gotParams(value));
        break;
      default: {
        const message = ZOD_DEFAULT.test(issue.message) ? fallbackMessage(issue) : issue.message;
        const said = zodCode(issue);
        if (message.includes(', got ') || message === 'must not be empty') add(message, said.code, said.params);
        else add(`${message}${got(value)}`, said.code, { ...said.params, ...gotParams(value) });
      }
    }
  }
  return out;
}

/**
 * The schema's own words (plan.ts) for the formats and rules its structure does not name, by their code: a plan file
 * whose issue carries no code is said in English only (test/portal/amend-locale.test.ts checks every bad plan).
 */
const SCHEMA_WORDS: Record<string, PlanIssueCode> = {
  'must be a date written YYYY-MM-DD': 'dateFormat',
  'must be 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit)': 'idFormat',
  'must be a local time written HH:MM (00:00-23:59)': 'timeFormat',
  'must be an e-mail address': 'email',
  'must be an e-mail address or a list of e-mail addresses': 'emails',
  'must give at least one part (timeliness, progress, quality, findings) a weight greater than 0': 'noWeight',
};

/** The code and values of a zod issue of a field's bounds or format, from zod's structure (or the schema's words above). */
function zodCode(issue: ZodIssue): { code?: PlanIssueCode; params: PlanIssueParams } {
  const own = SCHEMA_WORDS[issue.message];
  if (own) return { code: own, params: {} };
  switch (issue.code) {
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min === 1 ? { code: 'notEmpty', params: {} } : { code: 'minLength', params: { min } };
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'minItems', params: { min } };
      return { code: issue.inclusive ? 'atLeast' : 'greaterThan', params: { min } };
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return { code: 'maxLength', params: { max } };
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'maxItems', params: { max } };
      return { code: issue.inclusive ? 'atMost' : 'lessThan', params: { max } };
    }
    case 'invalid_format':
      return issue.format === 'email' ? { code: 'email', params: {} } : { code: 'wrongFormat', params: { format: issue.format } };
    case 'not_multiple_of':
      return { code: 'multipleOf', params: { divisor: String(issue.divisor) } };
    default:
      return { params: {} };
  }
}

function fallbackMessage(issue: ZodIssue): string {
  switch (issue.code) {
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at least ${min} item${min === 1 ? '' : 's'}`;
      return issue.inclusive ? `must be ${min} or more` : `must be greater than ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${max} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at most ${max} item${max === 1 ? '' : 's'}`;
      return issue.inclusive ? `must be ${max} or less` : `must be less than ${max}`;
    }
    case 'invalid_format':
      return `has the wrong format (expected ${issue.format})`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rules across fields. They run on the raw value, defensively, so they are reported alongside schema errors; each
// looks only at the parts that have the right shape (the schema reports the others).

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
const DEFAULT_CLOSE_AFTER_DAYS: number = cadenceSchema.shape.closeAfterDays.parse(undefined);

/** Lists ids for a message: `"a", "b"`, shortened for long lists. */
function idList(ids: Iterable<string>): string {
  const all = [...ids];
  const shown = all.slice(0, 10).map(quote).join(', ');
  return all.length > 10 ? `${shown}, ... (${all.length} in all)` : shown;
}

/** idList as an issue's params: `known` (at most 10, quoted) of `total`. */
function idParams(ids: Iterable<string>): PlanIssueParams {
  const all = [...ids];
  return { known: all.slice(0, 10).map(quote).join(', '), total: all.length };
}

function crossCheck(raw: unknown): Found[] {
  const out: Found[] = [];
  const add = (segments: Segment[], message: string, code?: PlanIssueCode, params: PlanIssueParams = {}) => out.push({ segments, message, ...(code ? { code, params } : {}) });
  if (!isObj(raw)) return out;

  /** Ids of a list (first occurrence wins), reporting duplicates; undefined when the list is unusable. */
  const ids = (list: string, kind: string, defaultEmpty: boolean): Map<string, number> | undefined => {
    const items = raw[list];
    if (items === undefined && defaultEmpty) return new Map();
    if (!Array.isArray(items)) return undefined;
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      if (!isObj(item) || typeof item.id !== 'string') return;
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, i);
      else add([list, i, 'id'], `duplicate ${kind} id ${quote(item.id)} (already used by ${list}[${first}])`, 'duplicateId', { kind, id: quote(item.id), first: `${list}[${first}]` });
    });
    return seen;
  };
  const leaders = ids('leaders', 'leader', true);
  const units = ids('units', 'unit', false);
  const aspects = ids('aspects', 'aspect', false);
  ids('tasks', 'task', false);

  const unknown = (kind: string, id: string, known: Map<string, number>) =>
    known.size === 0
      ? `unknown ${kind} ${quote(id)}; the plan lists no ${kind}s`
      : `unknown ${kind} ${quote(id)}; the ${kind}s are ${idList(known.keys())}`;
  const unknownSaid = (kind: string, id: string, known: Map<string, number>): [PlanIssueCode, PlanIssueParams] =>
    known.size === 0 ? ['unknownRefNone', { kind, id: quote(id) }] : ['unknownRef', { kind, id: quote(id), ...idParams(known.keys()) }];

  // Units.
  const unitList = Array.isArray(raw.units) ? raw.units : [];
  unitList.forEach((unit, i) => {
    if (isObj(unit) && typeof unit.leader === 'string' && leaders && !leaders.has(unit.leader)) {
      add(['units', i, 'leader'], unknown('leader', unit.leader, leaders), ...unknownSaid('leader', unit.leader, leaders));
    }
  });

  // Tasks.
  const taskList = Array.isArray(raw.tasks) ? raw.tasks : [];
  taskList.forEach((task, i) => {
    if (!isObj(task)) return;
    if (typeof task.aspect === 'string' && aspects && !aspects.has(task.aspect)) {
      add(['tasks', i, 'aspect'], unknown('aspect', task.aspect, aspects), ...unknownSaid('aspect', task.aspect, aspects));
    }
    const taskUnits = Array.isArray(task.units) ? task.units : undefined;
    if (taskUnits) {
      const seen = new Map<string, number>();
      taskUnits.forEach((id, k) => {
        if (typeof id !== 'string') return;
        const first = seen.get(id);
        if (first !== undefined) {
          add(['tasks', i, 'units', k], `duplicate unit ${quote(id)} (already listed at tasks[${i}].units[${first}])`, 'duplicateListed', { kind: 'unit', id: quote(id), first: `tasks[${i}].units[${first}]` });
          return;
        }
        seen.set(id, k);
        if (units && !units.has(id)) add(['tasks', i, 'units', k], unknown('unit', id, units), ...unknownSaid('unit', id, units));
      });
    }
    const target = task.target;
    if (isObj(target) && typeof target.reportedBy === 'string' && taskUnits) {
      const own = taskUnits.filter((u): u is string => typeof u === 'string');
      if (own.length > 0 && !own.includes(target.reportedBy)) {
        add(
          ['tasks', i, 'target', 'reportedBy'],
          `must be one of the task's units (${idList(new Set(own))}), got ${quote(target.reportedBy)}`,
          'reportedByNotTaskUnit',
          { ...idParams(new Set(own)), got: quote(target.reportedBy) },
        );
      }
    }
  });

  // Time zone.
  if (typeof raw.timezone === 'string' && raw.timezone !== '' && !isKnownTimeZone(raw.timezone)) {
    add(['timezone'], `unknown time zone ${quote(raw.timezone)}; use an IANA name such as "Asia/Shanghai" or "UTC"`, 'unknownTimezone', { got: quote(raw.timezone) });
  }

  // Dates.
  const realDate = (segments: Segment[], value: unknown): value is string => {
    if (typeof value !== 'string' || !DATE_RE.test(value)) return false;
    const problem = dateProblemOf(value);
    if (problem) add(segments, `must be a real calendar date, got ${quote(value)} (${problem.message})`, 'notRealDate', { got: quote(value), ...problem.params });
    return problem === undefined;
  };
  const startOk = realDate(['start'], raw.start);
  const endOk = realDate(['end'], raw.end);
  if (startOk && endOk) {
    const start = raw.start as string;
    const end = raw.end as string;
    const last = lastAllowedEnd(start);
    if (end < start) add(['end'], `must not be before start (${start}), got ${quote(end)}`, 'endBeforeStart', { start, got: quote(end) });
    else if (end > last) {
      add(['end'], `must be ${last} or earlier: a plan may span at most ${MAX_PLAN_YEARS} years, got ${quote(end)}`, 'endTooLate', { last, years: MAX_PLAN_YEARS, got: quote(end) });
    }
  }

  // Cadence.
  const cadence = raw.cadence;
  if (isObj(cadence)) {
    const request = cadence.requestOffsetDays;
    const due = cadence.dueOffsetDays;
    if (isInt(request) && isInt(due) && request >= due) {
      add(
        ['cadence', 'requestOffsetDays'],
        `must be less than dueOffsetDays (${due}) so the request goes out before the due day, got ${request}`,
        'requestNotBeforeDue',
        { due, got: request },
      );
    }
    if (Array.isArray(cadence.reminderDays) && isInt(request) && isInt(due)) {
      cadence.reminderDays.forEach((d, k) => {
        if (isInt(d) && due + d < request) {
          add(
            ['cadence', 'reminderDays', k],
            `must be ${request - due} or more so the reminder does not come before the request: ` +
              `${due} + (${d}) = ${due + d} is before requestOffsetDays (${request}), got ${d}`,
            'reminderBeforeRequest',
            { min: request - due, due, sum: due + d, request, got: d },
          );
        }
      });
    }
    let largest: number | undefined;
    if (Array.isArray(cadence.escalation)) {
      let previous: number | undefined;
      let leadersChecked = false;
      cadence.escalation.forEach((step, k) => {
        if (!isObj(step)) return;
        const after = step.afterDaysOverdue;
        if (isInt(after)) {
          if (previous !== undefined && after <= previous) {
            add(
              ['cadence', 'escalation', k, 'afterDaysOverdue'],
              `must be greater than the previous step's afterDaysOverdue (${previous}), got ${after}`,
              'notIncreasing',
              { previous, got: after },
            );
          }
          previous = after;
          largest = largest === undefined ? after : Math.max(largest, after);
        }
        if (step.to === 'unitLeader' && !leadersChecked) {
          leadersChecked = true;
          unitList.forEach((unit, i) => {
            if (isObj(unit) && unit.leader === undefined) {
              const name = typeof unit.id === 'string' ? `unit ${quote(unit.id)} (units[${i}])` : `units[${i}]`;
              add(['cadence', 'escalation', k, 'to'], `escalates to the unit's leader, but ${name} has no leader`, 'leaderless', { ...(typeof unit.id === 'string' ? { unitId: quote(unit.id) } : {}), at: `units[${i}]` });
            }
          });
        }
      });
    }
    const close = cadence.closeAfterDays === undefined ? DEFAULT_CLOSE_AFTER_DAYS : cadence.closeAfterDays;
    if (isInt(close) && largest !== undefined && close <= largest) {
      add(
        ['cadence', 'closeAfterDays'],
        `must be greater than the largest afterDaysOverdue (${largest}) so every escalation happens before the ` +
          `quarter closes, got ${close}${cadence.closeAfterDays === undefined ? ' (the default)' : ''}`,
        'closeTooEarly',
        { largest, got: close, ...(cadence.closeAfterDays === undefined ? { byDefault: 1 } : {}) },
      );
    }
  }

  // Calendar.
  const calendar = raw.calendar;
  if (isObj(calendar)) {
    if (Array.isArray(calendar.workweek)) {
      const seen = new Map<string, number>();
      calendar.workweek.forEach((day, k) => {
        if (typeof day !== 'string') return;
        const first = seen.get(day);
        if (first === undefined) seen.set(day, k);
        else add(['calendar', 'workweek', k], `duplicate day ${quote(day)} (already listed at calendar.workweek[${first}])`, 'duplicateListed', { kind: 'day', id: quote(day), first: `calendar.workweek[${first}]` });
      });
    }
    const holidays = new Map<string, number>();
    if (Array.isArray(calendar.holidays)) {
      calendar.holidays.forEach((day, k) => {
        if (realDate(['calendar', 'holidays', k], day) && !holidays.has(day)) holidays.set(day, k);
      });
    }
    if (Array.isArray(calendar.extraWorkdays)) {
      calendar.extraWorkdays.forEach((day, k) => {
        if (!realDate(['calendar', 'extraWorkdays', k], day)) return;
        const holiday = holidays.get(day);
        if (holiday !== undefined) {
          add(
            ['calendar', 'extraWorkdays', k],
            `must not also be a holiday (calendar.holidays[${holiday}]), got ${quote(day)}`,
            'extraWorkdayHoliday',
            { at: `calendar.holidays[${holiday}]`, got: quote(day) },
          );
        }
      });
    }
  }

  checkInspections(raw, units, unitList, add, realDate, startOk && endOk);
  return out;
}

/** The inspection rounds and findings: ids, units, verifiers, days and coverage targets. */
function checkInspections(
  raw: Obj,
  units: Map<string, number> | undefined,
  unitList: unknown[],
  add: (segments: Segment[], message: string, code?: PlanIssueCode, params?: PlanIssueParams) => void,
  realDate: (segments: Segment[], value: unknown) => value is string,
  planDaysOk: boolean,
): void {
  const inspections = raw.inspections;
  if (!isObj(inspections)) return;
  const unitById = new Map<string, Obj>();
  for (const u of unitList) if (isObj(u) && typeof u.id === 'string' && !unitById.has(u.id)) unitById.set(u.id, u);
  const unknownUnit = (id: string) =>
    units && units.size ? `unknown unit ${quote(id)}; the units are ${idList(units.keys())}` : `unknown unit ${quote(id)}`;
  const unknownUnitParams = (id: string): PlanIssueParams => ({ kind: 'unit', id: quote(id), ...(units && units.size ? idParams(units.keys()) : { known: '', total: 0 }) });

  // Coverage targets.
  const targets = new Map<string, number>();
  const coverage = inspections.coverage;
  if (isObj(coverage)) {
    if (Array.isArray(coverage.targets)) {
      coverage.targets.forEach((t, k) => {
        if (typeof t !== 'string') return;
        const first = targets.get(t);
        if (first === undefined) targets.set(t, k);
        else add(['inspections', 'coverage', 'targets', k], `duplicate target ${quote(t)} (already listed at inspections.coverage.targets[${first}])`, 'duplicateListed', { kind: 'target', id: quote(t), first: `inspections.coverage.targets[${first}]` });
      });
    }
    realDate(['inspections', 'coverage', 'by'], coverage.by);
  }

  // The ladder: its own escalation, or the plan's.
  const cadence = inspections.cadence;
  const ownEscalation = isObj(cadence) && Array.isArray(cadence.escalation) ? cadence.escalation : undefined;
  let toLeader = false;
  if (ownEscalation) {
    let previous: number | undefined;
    ownEscalation.forEach((step, k) => {
      if (!isObj(step)) return;
      if (isInt(step.afterDaysOverdue)) {
        if (previous !== undefined && step.afterDaysOverdue <= previous) {
          add(['inspections', 'cadence', 'escalation', k, 'afterDaysOverdue'], `must be greater than the previous step's afterDaysOverdue (${previous}), got ${step.afterDaysOverdue}`, 'notIncreasing', { previous, got: step.afterDaysOverdue });
        }
        previous = step.afterDaysOverdue;
      }
      if (step.to === 'unitLeader') toLeader = true;
    });
  }
  const leaderStep = ownEscalation ? ownEscalation.findIndex((s) => isObj(s) && s.to === 'unitLeader') : -1;

  if (!Array.isArray(inspections.rounds)) return;
  const roundIds = new Map<string, number>();
  const findingIds = new Map<string, string>();
  const leaderless = new Set<string>();
  inspections.rounds.forEach((round, r) => {
    if (!isObj(round)) return;
    const at = (...rest: Segment[]): Segment[] => ['inspections', 'rounds', r, ...rest];
    if (typeof round.id === 'string') {
      const first = roundIds.get(round.id);
      if (first === undefined) roundIds.set(round.id, r);
      else add(at('id'), `duplicate inspection round id ${quote(round.id)} (already used by inspections.rounds[${first}])`, 'duplicateId', { kind: 'inspection round', id: quote(round.id), first: `inspections.rounds[${first}]` });
    }
    const feedbackOk = realDate(at('feedbackDay'), round.feedbackDay);
    const feedbackDay = feedbackOk ? (round.feedbackDay as string) : undefined;
    if (feedbackDay && planDaysOk && (feedbackDay < (raw.start as string) || feedbackDay > (raw.end as string))) {
      add(at('feedbackDay'), `must be a day of the plan (${raw.start as string} to ${raw.end as string}), got ${quote(feedbackDay)}`, 'feedbackOutsidePlan', { start: raw.start as string, end: raw.end as string, got: quote(feedbackDay) });
    }
    if (Array.isArray(round.covers)) {
      round.covers.forEach((t, k) => {
        if (typeof t !== 'string') return;
        if (!isObj(coverage)) add(at('covers', k), `names target ${quote(t)}, but the plan has no inspections.coverage`, 'coversWithoutCoverage', { id: quote(t) });
        else if (Array.isArray(coverage.targets) && !targets.has(t)) add(at('covers', k), `unknown coverage target ${quote(t)}; the targets are ${idList(targets.keys())}`, 'unknownRef', { kind: 'coverage target', id: quote(t), ...idParams(targets.keys()) });
      });
    }
    if (!Array.isArray(round.findings)) return;
    round.findings.forEach((f, k) => {
      if (!isObj(f)) return;
      const here = (...rest: Segment[]) => at('findings', k, ...rest);
      if (typeof f.id === 'string') {
        const first = findingIds.get(f.id);
        if (first === undefined) findingIds.set(f.id, `inspections.rounds[${r}].findings[${k}]`);
        else add(here('id'), `duplicate finding id ${quote(f.id)} (already used by ${first})`, 'duplicateId', { kind: 'finding', id: quote(f.id), first });
      }
      const unitOk = typeof f.unit === 'string' && (!units || units.has(f.unit));
      if (typeof f.unit === 'string' && !unitOk) add(here('unit'), unknownUnit(f.unit), 'unknownRef', unknownUnitParams(f.unit));
      if (typeof f.verifier === 'string' && f.verifier !== 'headquarters') {
        if (units && !units.has(f.verifier)) add(here('verifier'), `must be "headquarters" or a unit id; ${unknownUnit(f.verifier)}`, 'unknownVerifier', unknownUnitParams(f.verifier));
        else if (f.verifier === f.unit) add(here('verifier'), `must not be the responsible unit itself (${quote(f.unit as string)}): a unit cannot verify its own rectification`, 'verifierIsUnit', { unitId: quote(f.unit as string) });
      }
      if (typeof f.verifier === 'string' && f.verifier === 'headquarters' && unitById.has('headquarters')) {
        add(here('verifier'), 'is ambiguous: a unit is also named "headquarters"; rename that unit', 'verifierAmbiguous');
      }
      if (realDate(here('deadline'), f.deadline) && feedbackDay && (f.deadline as string) <= feedbackDay) {
        add(here('deadline'), `must be after the round's feedback day (${feedbackDay}), got ${quote(f.deadline as string)}`, 'deadlineNotAfterFeedback', { feedbackDay, got: quote(f.deadline as string) });
      }
      if (toLeader && unitOk) {
        const unit = unitById.get(f.unit as string);
        if (unit && unit.leader === undefined && !leaderless.has(f.unit as string)) {
          leaderless.add(f.unit as string);
          add(['inspections', 'cadence', 'escalation', leaderStep, 'to'], `escalates to the unit's leader, but unit ${quote(f.unit as string)} (responsible for finding ${quote(String(f.id))}) has no leader`, 'leaderlessFinding', { unitId: quote(f.unit as string), findingId: quote(String(f.id)) });
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering: plan fields in schema order, list items by index, so the issues read top to bottom like the file.

const FIELD_ORDER = Object.keys(planSchema.shape);

function ordered(found: Found[]): PlanIssue[] {
  const seen = new Set<string>();
  const unique: Found[] = [];
  for (const f of found) {
    const key = `${formatPath(f.segments)}\u0000${f.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(f);
    }
  }
  const firstSeen = new Map<string, number>();
  for (const f of unique) for (const s of f.segments) if (typeof s === 'string' && !firstSeen.has(s)) firstSeen.set(s, firstSeen.size);
  const rank = (s: string, depth: number): number => {
    const inSchema = depth === 0 ? FIELD_ORDER.indexOf(s) : -1;
    return inSchema >= 0 ? inSchema : FIELD_ORDER.length + (firstSeen.get(s) ?? 0);
  };
  const compare = (a: Segment[], b: Segment[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i];
      const y = b[i];
      if (x === y) continue;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      if (typeof x === 'number') return -1;
      if (typeof y === 'number') return 1;
      return rank(x, i) - rank(y, i);
    }
    return a.length - b.length;
  };
  return unique
    .map((f, i) => ({ f, i }))
    .sort((p, q) => compare(p.f.segments, q.f.segments) || p.i - q.i)
    .map(({ f }) => ({ path: formatPath(f.segments), message: f.message, ...(f.code ? { code: f.code, params: f.params ?? {} } : {}) }));
}
