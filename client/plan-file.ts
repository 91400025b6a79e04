/**
 * Loading a plan file (Node side): read, parse (`.json` as JSON, anything else as YAML 1.2), validate with `checkPlan`.
 * Every problem comes back as one line `<file>: <path.to.field>: <what is wrong>` (or `<file>: <message>` for the file
 * as a whole), with the file path exactly as the caller gave it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { Plan } from '../workflows/contract/plan.js';
import { checkPlan, formatPath, type PlanIssue, type PlanIssueParams } from '../workflows/contract/plan-check.js';
import { textProblemOf } from '../workflows/contract/submission.js';

/** The largest plan file read: a province-sized plan is about 1.2 MB as JSON, and a workflow input at most 2 MB. */
export const MAX_PLAN_FILE_BYTES = 8 * 1024 * 1024;
/** How deep a plan file may nest lists and maps (a plan needs 4 levels); deeper is refused before it exhausts the stack. */
export const MAX_PLAN_DEPTH = 32;

export type PlanFileResult = { ok: true; plan: Plan; source: string } | { ok: false; errors: string[] };

type Segment = string | number;

/** A problem located in the file: `path` like `units[1].leader`, or `""` for the file as a whole (with its code, see PlanIssue). */
type FileIssue = PlanIssue;

/**
 * Reads and validates a plan file. On success `plan` has the defaults applied and `source` is the file's text as read.
 * On failure `errors` holds every problem found, one line each.
 */
export async function loadPlanFile(file: string): Promise<PlanFileResult> {
  let source: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_PLAN_FILE_BYTES) {
      return { ok: false, errors: formatPlanIssues(file, [{ path: '', message: `the file is too large: ${size} bytes, at most ${MAX_PLAN_FILE_BYTES} (8 MB)`, code: 'fileTooLarge', params: { size, max: MAX_PLAN_FILE_BYTES } }]) };
    }
    source = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: formatPlanIssues(file, [{ path: '', message: readProblem(err) }]) };
  }
  const checked = checkPlanText(source, planFormatOf(file));
  return checked.ok ? { ok: true, plan: checked.plan, source } : { ok: false, errors: formatPlanIssues(file, checked.issues) };
}

/** How a plan file's text is read: `.json` files as JSON, anything else as YAML 1.2. */
export type PlanFormat = 'json' | 'yaml';

/** The format of a plan file by its name. */
export function planFormatOf(name: string): PlanFormat {
  return extname(name).toLowerCase() === '.json' ? 'json' : 'yaml';
}

export type PlanTextResult = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

/**
 * A plan file's text parsed and validated exactly as `loadPlanFile` does (a byte order mark is skipped): the plan
 * with its defaults, or every problem located by its path (`""` for the text as a whole).
 */
export function checkPlanText(source: string, format: PlanFormat): PlanTextResult {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  if (text.trim() === '') return { ok: false, issues: [{ path: '', message: 'the file is empty', code: 'fileEmpty', params: {} }] };
  const parsed = format === 'json' ? parseJson(text) : parseYaml(text);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const structure = structureProblems(parsed.value);
  if (structure.length) return { ok: false, issues: structure };
  const checked = checkPlan(parsed.value);
  const issues: FileIssue[] = [...parsed.duplicates, ...(checked.ok ? [] : checked.issues)];
  return checked.ok && issues.length === 0 ? { ok: true, plan: checked.plan } : { ok: false, issues };
}

/** `<file>: <path>: <message>` per issue (`<file>: <message>` when the path is empty), each on a single line. */
export function formatPlanIssues(file: string, issues: readonly PlanIssue[]): string[] {
  return issues.map(({ path, message }) => {
    const text = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    return path ? `${file}: ${path}: ${text}` : `${file}: ${text}`;
  });
}

function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'cannot read the file: it does not exist';
  if (code === 'EISDIR') return 'cannot read the file: it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file: permission denied';
  return `cannot read the file: ${err instanceof Error ? err.message : String(err)}`;
}

const NESTED_TOO_DEEPLY = `the file nests lists and maps more than ${MAX_PLAN_DEPTH} levels deep; a plan needs 4`;
/** The issue of a file nested too deeply, at `path` (`""`: the file as a whole). */
const tooDeep = (path = ''): FileIssue => ({ path, message: NESTED_TOO_DEEPLY, code: 'tooDeep', params: { max: MAX_PLAN_DEPTH } });

/**
 * The first place nested deeper than MAX_PLAN_DEPTH (also where an alias makes a YAML value contain itself), else every
 * text that breaks the text rule of contract/submission.ts (a NUL, for one, cannot even be stored).
 */
function structureProblems(root: unknown): FileIssue[] {
  const texts: FileIssue[] = [];
  const stack: { value: unknown; path: Segment[] }[] = [{ value: root, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblemOf(value, 'text');
      if (problem) texts.push({ path: formatPath(path), message: problem.message, code: 'textRule', params: { rule: problem.rule, char: problem.char, position: problem.position } });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_PLAN_DEPTH) return [tooDeep(formatPath(path.slice(0, 3)))];
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    for (const [k, v] of entries.reverse()) {
      const problem = typeof k === 'string' ? textProblemOf(k, 'line') : undefined;
      if (problem) texts.push({ path: formatPath([...path, k]), message: `the field name ${problem.message}`, code: 'textRule', params: { rule: problem.rule, char: problem.char, position: problem.position, fieldName: 1 } });
      stack.push({ value: v, path: [...path, k] });
    }
  }
  return texts;
}

/** A parser that ran out of stack on a deeply nested file: said as such, not as the engine's own words. */
const isStackOverflow = (err: unknown) => err instanceof RangeError || /Maximum call stack size exceeded/.test(String((err as Error)?.message ?? err));

type Parsed = { ok: true; value: unknown; duplicates: FileIssue[] } | { ok: false; issues: FileIssue[] };

function duplicateIssue(segments: Segment[], first: string, again: string): FileIssue {
  return { path: formatPath(segments), message: `duplicate key (first at ${first}, again at ${again})`, code: 'duplicateKey', params: { first, again } };
}

// ---------------------------------------------------------------------------------------------------------------
// YAML

function parseYaml(text: string): Parsed {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `2027-01-01` and `09:00` stay strings. Duplicate keys are found below, with their paths.
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: false, prettyErrors: true, lineCounter });
  } catch (err) {
    if (isStackOverflow(err)) return { ok: false, issues: [tooDeep()] };
    throw err;
  }
  const syntax = doc.errors[0];
  if (syntax && isStackOverflow(syntax.message)) return { ok: false, issues: [tooDeep()] };
  if (syntax) {
    // Only the first: after a syntax error the parser's further complaints are mostly consequences of it.
    const at = syntax.linePos ? ` at ${syntax.linePos[0].line}:${syntax.linePos[0].col}` : '';
    const where: PlanIssueParams = syntax.linePos ? { at: `${syntax.linePos[0].line}:${syntax.linePos[0].col}` } : {};
    const multiple = syntax.code === 'MULTIPLE_DOCS';
    const message = multiple
      ? 'the file holds more than one YAML document (a second "---" line); a plan file holds one plan'
      : syntax.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
    // The parser's own words (English) are kept as the detail.
    const said = multiple ? { code: 'yamlMultipleDocuments' as const, params: where } : { code: 'yamlSyntax' as const, params: { ...where, detail: message } };
    return { ok: false, issues: [{ path: '', message: `YAML syntax error${at}: ${message}`, ...said }] };
  }
  if (doc.contents === null) return { ok: false, issues: [{ path: '', message: 'the file holds no plan (only comments)', code: 'onlyComments', params: {} }] };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/Excessive alias count/.test(message)) {
      // A "billion laughs" file: aliases of aliases that would expand to an exponentially large plan.
      return { ok: false, issues: [{ path: '', message: 'YAML error: the file uses aliases (*name) so often that expanding them would exhaust memory; write the values out instead', code: 'tooManyAliases', params: {} }] };
    }
    if (isStackOverflow(err)) return { ok: false, issues: [tooDeep()] };
    // e.g. an alias to an anchor that is not defined
    return { ok: false, issues: [{ path: '', message: `YAML error: ${message}`, code: 'yamlError', params: { detail: message } }] };
  }
  const duplicates: FileIssue[] = [];
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  const walk = (node: unknown, segments: Segment[]): void => {
    if (segments.length > MAX_PLAN_DEPTH) return; // tooDeep reports it
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) continue;
        const name = String(key.value);
        const offset = key.range?.[0] ?? 0;
        const first = seen.get(name);
        if (first === undefined) seen.set(name, offset);
        else duplicates.push(duplicateIssue([...segments, name], at(first), at(offset)));
        walk(pair.value, [...segments, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as YamlNode, [...segments, i]));
    }
  };
  walk(doc.contents, []);
  return { ok: true, value, duplicates };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON: a small strict scanner finds the position of a syntax error and duplicate keys (JSON.parse reports neither
// reliably), then JSON.parse builds the value.

/** What the scanner expected, for other languages than its English message: `found` is the character found (JSON), absent at the end of the file. */
type JsonProblem =
  | 'lineInString' | 'controlInString' | 'badUnicodeEscape' | 'badEscape' | 'stringNotClosed' | 'nestedTooDeep' | 'fieldName'
  | 'colon' | 'trailingCommaObject' | 'commaOrBrace' | 'trailingCommaList' | 'commaOrBracket' | 'value' | 'afterEnd';

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly problem: JsonProblem,
    readonly found?: string,
  ) {
    super(message);
  }
}

function parseJson(text: string): Parsed {
  const duplicates: FileIssue[] = [];
  try {
    scanJson(text, (segments, first, again) =>
      duplicates.push(duplicateIssue(segments, lineCol(text, first), lineCol(text, again))),
    );
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      const at = lineCol(text, err.offset);
      const params = { at, problem: err.problem, ...(err.found !== undefined ? { found: err.found } : {}), ...(err.problem === 'nestedTooDeep' ? { max: MAX_PLAN_DEPTH } : {}) };
      return { ok: false, issues: [{ path: '', message: `JSON syntax error at ${at}: ${err.message}`, code: 'jsonSyntax', params }] };
    }
    throw err;
  }
  try {
    return { ok: true, value: JSON.parse(text), duplicates };
  } catch (err) {
    return { ok: false, issues: [{ path: '', message: `JSON syntax error: ${(err as Error).message}`, code: 'jsonSyntax', params: { detail: (err as Error).message } }] };
  }
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function scanJson(text: string, onDuplicate: (segments: Segment[], first: number, again: number) => void): void {
  let pos = 0;
  const found = () => (pos >= text.length ? 'the end of the file' : JSON.stringify(text[pos]));
  const fail = (message: string, problem: JsonProblem, at = pos): never => {
    const seen = ['fieldName', 'colon', 'commaOrBrace', 'commaOrBracket', 'value', 'afterEnd'].includes(problem) && pos < text.length ? JSON.stringify(text[pos]) : undefined;
    throw new JsonSyntaxError(at, message, problem, seen);
  };
  const skipSpace = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  };
  const string = (): string => {
    const start = pos++;
    while (pos < text.length && text[pos] !== '"') {
      const code = text.charCodeAt(pos);
      if (code < 0x20) fail(text[pos] === '\n' ? 'string not closed before the end of the line' : 'control character in a string', text[pos] === '\n' ? 'lineInString' : 'controlInString');
      if (text[pos] === '\\') {
        const escape = text[pos + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('invalid \\u escape in a string', 'badUnicodeEscape');
          pos += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) fail('invalid escape in a string', 'badEscape');
        pos += 2;
        continue;
      }
      pos++;
    }
    if (pos >= text.length) fail('string not closed', 'stringNotClosed', start);
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (segments: Segment[]): void => {
    skipSpace();
    const c = text[pos];
    if ((c === '{' || c === '[') && segments.length >= MAX_PLAN_DEPTH) fail(`nested more than ${MAX_PLAN_DEPTH} levels deep; a plan needs 4`, 'nestedTooDeep');
    if (c === '{') {
      pos++;
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      const seen = new Map<string, number>();
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail(`expected a field name in double quotes, found ${found()}`, 'fieldName');
        const keyAt = pos;
        const key = string();
        const first = seen.get(key);
        if (first === undefined) seen.set(key, keyAt);
        else onDuplicate([...segments, key], first, keyAt);
        skipSpace();
        if (text[pos] !== ':') fail(`expected ":" after the field name, found ${found()}`, 'colon');
        pos++;
        value([...segments, key]);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          skipSpace();
          if (text[pos] === '}') fail('trailing comma before "}"', 'trailingCommaObject');
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return;
        }
        fail(`expected "," or "}" after a field value, found ${found()}`, 'commaOrBrace');
      }
    }
    if (c === '[') {
      pos++;
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (let i = 0; ; i++) {
        value([...segments, i]);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          skipSpace();
          if (text[pos] === ']') fail('trailing comma before "]"', 'trailingCommaList');
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return;
        }
        fail(`expected "," or "]" after a list item, found ${found()}`, 'commaOrBracket');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return;
      }
    }
    NUMBER_RE.lastIndex = pos;
    if (NUMBER_RE.test(text)) {
      pos = NUMBER_RE.lastIndex;
      return;
    }
    fail(`expected a value, found ${found()}`, 'value');
  };
  value([]);
  skipSpace();
  if (pos < text.length) fail(`unexpected ${found()} after the end of the JSON value`, 'afterEnd');
}
