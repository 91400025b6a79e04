/**
 * The work ledger: one row per (aspect, task, unit, quarter) with the state of its report, for headquarters'
 * bookkeeping in a spreadsheet. Exported as CSV (UTF-8 with BOM, for Excel), XLSX or JSON.
 */
import ExcelJS from 'exceljs';
import { writeFileAtomic } from '../activities/documents/atomic-file.js';
import type { Plan } from '../workflows/contract/plan.js';
import { recordKey } from '../workflows/contract/ids.js';
import type { PeriodState, PlanStatus, Revision } from '../workflows/contract/status.js';
import type { LastDecision } from '../store/records.js';

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
}

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
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The ledger as CSV: UTF-8 with a BOM (so Excel reads it as UTF-8), a header row, CRLF line ends, RFC 4180 quoting. */
export function ledgerCsv(rows: LedgerRow[]): string {
  const lines = [LEDGER_COLUMNS.join(','), ...rows.map((r) => LEDGER_COLUMNS.map((k) => csvField(r[k])).join(','))];
  return '\uFEFF' + lines.map((l) => `${l}\r\n`).join('');
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

/** The ledger as an Excel workbook in `file`: sheet "Ledger", bold frozen header, filter, fitted column widths. */
export async function ledgerXlsx(rows: LedgerRow[], file: string): Promise<void> {
  await writeFileAtomic(file, await ledgerXlsxBuffer(rows));
}

/** The XLSX workbook's bytes. Instants stay ISO text, counts and progress stay numbers, nulls stay empty cells. */
export async function ledgerXlsxBuffer(rows: LedgerRow[]): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'review-cycles';
  const sheet = workbook.addWorksheet('Ledger', { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = LEDGER_COLUMNS.map((key) => {
    const widest = Math.max(displayWidth(key), ...rows.map((r) => displayWidth(r[key] === null ? '' : String(r[key]))));
    // At least 10: exceljs drops a width of exactly 9 (its default) from the file.
    return { header: key, key, width: Math.min(Math.max(widest + 2, 10), 60) };
  });
  for (const r of rows) sheet.addRow(LEDGER_COLUMNS.map((k) => r[k]));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((cell) => (cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: LEDGER_COLUMNS.length } };
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}

/** Writes the ledger of the plan's status to `file`, atomically, in the format asked. */
export async function writeLedger(plan: Plan, status: PlanStatus, format: LedgerFormat, file: string, details?: LedgerDetails): Promise<void> {
  const rows = ledgerRows(plan, status, details);
  if (format === 'xlsx') return ledgerXlsx(rows, file);
  if (format === 'csv') return writeFileAtomic(file, ledgerCsv(rows));
  if (format === 'json') return writeFileAtomic(file, ledgerJson(rows));
  throw new Error(`unknown ledger format: ${String(format)}`);
}
