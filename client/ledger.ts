/**
 * The work ledger: one row per (aspect, task, unit, quarter) with the state of its report, for headquarters'
 * bookkeeping in a spreadsheet. Exported as CSV (UTF-8 with BOM, for Excel), XLSX or JSON. A plan with inspection
 * findings also gets one row per finding: a "Findings" sheet in the XLSX, `findings.csv` beside the CSV.
 */
import ExcelJS from 'exceljs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../activities/documents/atomic-file.js';
import type { FindingState } from '../workflows/contract/finding.js';
import type { Plan } from '../workflows/contract/plan.js';
import { recordKey } from '../workflows/contract/ids.js';
import type { PeriodState, PlanStatus, Revision } from '../workflows/contract/status.js';
import type { LastDecision, LastFindingAction } from '../store/records.js';
import { UserError } from './plans.js';

export interface LedgerRow {
  aspectId: string;
  aspect: string;
  taskId: string;
  task: string;
  unitId: string;
  unit: string;
  period: string;
  requestedAt: string | null;
  dueAt: string;
  submittedAt: string | null;
  state: PeriodState;
  daysLate: number | null;
  reminders: number;
  escalations: number;
  revisions: number;
  reportStatus: string | null;
  progress: number | null;
  /** The latest revision's texts. */
  summary: string | null;
  problems: string | null;
  nextSteps: string | null;
  submittedBy: string | null;
  /** Headquarters' last decision on the report, with its comment. */
  decision: 'accepted' | 'returned' | null;
  decidedAt: string | null;
  decisionComment: string | null;
}

/** What the ledger shows beside the status, keyed by recordKey: the latest revisions and the last decisions. */
export interface LedgerDetails {
  latest: Map<string, Revision>;
  decisions: Map<string, LastDecision>;
  /** The last action on each finding, by finding id. */
  lastActions?: Map<string, LastFindingAction>;
}

/** One finding in the ledger. */
export interface FindingLedgerRow {
  findingId: string;
  inspectionId: string;
  title: string;
  unitId: string;
  unit: string;
  verifier: string;
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
  /** The last action: claim, progress, accept, reject, or "recheck: pass" / "recheck: reopen". */
  lastAction: string | null;
  lastActionBy: string | null;
  lastActionAt: string | null;
}

/** The findings sheet's columns, in order; also the header of findings.csv. */
export const FINDING_LEDGER_COLUMNS = [
  'findingId',
  'inspectionId',
  'title',
  'unitId',
  'unit',
  'verifier',
  'state',
  'round',
  'deadlineDay',
  'claims',
  'reminders',
  'escalations',
  'reopened',
  'closedAt',
  'closedOnTime',
  'daysLate',
  'lastAction',
  'lastActionBy',
  'lastActionAt',
] as const satisfies readonly (keyof FindingLedgerRow)[];

/** The ledger's columns, in order; also the header of the CSV and the XLSX. */
export const LEDGER_COLUMNS = [
  'aspectId',
  'aspect',
  'taskId',
  'task',
  'unitId',
  'unit',
  'period',
  'requestedAt',
  'dueAt',
  'submittedAt',
  'state',
  'daysLate',
  'reminders',
  'escalations',
  'revisions',
  'reportStatus',
  'progress',
  'summary',
  'problems',
  'nextSteps',
  'submittedBy',
  'decision',
  'decidedAt',
  'decisionComment',
] as const satisfies readonly (keyof LedgerRow)[];

export type LedgerFormat = 'csv' | 'xlsx' | 'json';

/**
 * The ledger of a plan's status: aspects in plan order, their tasks in plan order, each task's units in the task's
 * order, quarters in time order. A (task, unit) the status does not know yet has no rows.
 */
export function ledgerRows(plan: Plan, status: PlanStatus, details: LedgerDetails = { latest: new Map(), decisions: new Map() }): LedgerRow[] {
  const unitNames = new Map(plan.units.map((u) => [u.id, u.name]));
  const statusOf = new Map(status.tasks.map((t) => [t.taskId, new Map(t.units.map((u) => [u.unitId, u.periods]))]));
  const rows: LedgerRow[] = [];
  for (const aspect of plan.aspects) {
    for (const task of plan.tasks.filter((t) => t.aspect === aspect.id)) {
      for (const unitId of task.units) {
        const periods = [...(statusOf.get(task.id)?.get(unitId) ?? [])].sort((a, b) => comparePeriods(a.period, b.period));
        for (const p of periods) {
          rows.push({
            aspectId: aspect.id,
            aspect: aspect.title,
            taskId: task.id,
            task: task.title,
            unitId,
            unit: unitNames.get(unitId) ?? unitId,
            period: p.period,
            requestedAt: p.requestedAt,
            dueAt: p.dueAt,
            submittedAt: p.submittedAt,
            state: p.state,
            daysLate: p.daysLate,
            reminders: p.reminders,
            escalations: p.escalations,
            revisions: p.revisions,
            reportStatus: p.reportStatus,
            progress: p.progress,
            ...textsOf(details, recordKey(task.id, unitId, p.period)),
          });
        }
      }
    }
  }
  return rows;
}

/** One row per finding of the status, in the plan's order (the status lists them so). */
export function findingLedgerRows(plan: Plan, status: PlanStatus, details?: Pick<LedgerDetails, 'lastActions'>): FindingLedgerRow[] {
  const unitNames = new Map(plan.units.map((u) => [u.id, u.name]));
  return (status.findings ?? []).map((f) => {
    const last = details?.lastActions?.get(f.findingId);
    return {
      findingId: f.findingId,
      inspectionId: f.inspectionId,
      title: f.title,
      unitId: f.unitId,
      unit: unitNames.get(f.unitId) ?? f.unitId,
      verifier: f.verifier,
      state: f.state,
      round: f.round,
      deadlineDay: f.deadlineDay,
      claims: f.claims,
      reminders: f.reminders,
      escalations: f.escalations,
      reopened: f.reopened,
      closedAt: f.closedAt,
      closedOnTime: f.closedOnTime,
      daysLate: f.daysLate,
      lastAction: last ? (last.result ? `${last.action}: ${last.result}` : last.action) : null,
      lastActionBy: last?.actor ?? null,
      lastActionAt: last?.at ?? null,
    };
  });
}

function textsOf(details: LedgerDetails, key: string) {
  const r = details.latest.get(key);
  const d = details.decisions.get(key);
  return {
    summary: r?.summary ?? null,
    problems: r?.problems ?? null,
    nextSteps: r?.nextSteps ?? null,
    submittedBy: r?.submittedBy ?? null,
    decision: d ? (d.decision === 'accept' ? ('accepted' as const) : ('returned' as const)) : null,
    decidedAt: d?.at ?? null,
    decisionComment: d?.comment ?? null,
  };
}

/** `2027-Q1` < `2027-Q2` < `2028-Q1`; the ids sort as text, the year being four digits. */
function comparePeriods(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled; null is empty. */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The ledger as CSV: UTF-8 with a BOM (so Excel reads it as UTF-8), a header row, CRLF line ends, RFC 4180 quoting. */
export function ledgerCsv(rows: LedgerRow[]): string {
  return csvOf(LEDGER_COLUMNS, rows);
}

/** The findings as CSV, in the ledger's CSV form. */
export function findingsCsv(rows: FindingLedgerRow[]): string {
  return csvOf(FINDING_LEDGER_COLUMNS, rows);
}

function csvOf<R>(columns: readonly (keyof R & string)[], rows: R[]): string {
  const lines = [columns.join(','), ...rows.map((r) => columns.map((k) => csvField(r[k] as string | number | boolean | null)).join(','))];
  return '\uFEFF' + lines.map((l) => `${l}\r\n`).join('');
}

/** Where the findings of a CSV ledger go: `findings.csv` in the ledger's folder. */
export function findingsCsvPath(ledgerFile: string): string {
  return join(dirname(ledgerFile), 'findings.csv');
}

/** The ledger as JSON text: an array of rows. */
export function ledgerJson(rows: LedgerRow[]): string {
  return JSON.stringify(rows, null, 2) + '\n';
}

/** How many character widths a text takes in a spreadsheet cell: East Asian wide characters count two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{20000}-\u{3FFFD}]/u.test(ch) ? 2 : 1;
  return w;
}

/** The ledger as an Excel workbook in `file`: sheet "Ledger" (and "Findings" when given), bold frozen header, filter, fitted column widths. */
export async function ledgerXlsx(rows: LedgerRow[], file: string, findings?: FindingLedgerRow[]): Promise<void> {
  await writeFileAtomic(file, await ledgerXlsxBuffer(rows, findings));
}

/** The XLSX workbook's bytes. Instants stay ISO text, counts and progress stay numbers, nulls stay empty cells. */
export async function ledgerXlsxBuffer(rows: LedgerRow[], findings?: FindingLedgerRow[]): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'review-cycles';
  addSheet(workbook, 'Ledger', LEDGER_COLUMNS, rows);
  if (findings) addSheet(workbook, 'Findings', FINDING_LEDGER_COLUMNS, findings);
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}

function addSheet<R>(workbook: ExcelJS.Workbook, name: string, columns: readonly (keyof R & string)[], rows: R[]): void {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  sheet.columns = columns.map((key) => {
    const widest = Math.max(displayWidth(key), ...rows.map((r) => displayWidth(text(r[key]))));
    // At least 10: exceljs drops a width of exactly 9 (its default) from the file.
    return { header: key, key, width: Math.min(Math.max(widest + 2, 10), 60) };
  });
  for (const r of rows) sheet.addRow(columns.map((k) => r[k]));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((cell) => (cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
}

/**
 * Writes the ledger of the plan's status to `file`, atomically, in the format asked. When the status has findings,
 * the XLSX gains a "Findings" sheet and a CSV ledger gets `findings.csv` beside it (the JSON stays the report rows).
 */
export async function writeLedger(plan: Plan, status: PlanStatus, format: LedgerFormat, file: string, details?: LedgerDetails): Promise<void> {
  const rows = ledgerRows(plan, status, details);
  const findings = status.findings ? findingLedgerRows(plan, status, details) : undefined;
  if (format === 'xlsx') return ledgerXlsx(rows, file, findings);
  if (format === 'csv') {
    // Checked before anything is written: the ledger must not overwrite the findings file, nor the findings it.
    if (findings && basename(file) === 'findings.csv') throw new UserError(`--out: the ledger cannot be written to ${file}: a plan with findings writes findings.csv beside it; choose another name`, 'EUSAGE');
    await writeFileAtomic(file, ledgerCsv(rows));
    if (findings) await writeFileAtomic(findingsCsvPath(file), findingsCsv(findings));
    return;
  }
  if (format === 'json') return writeFileAtomic(file, ledgerJson(rows));
  throw new Error(`unknown ledger format: ${String(format)}`);
}
