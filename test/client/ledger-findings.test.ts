/**
 * The ledger's findings: a "Findings" sheet in the XLSX and findings.csv beside a CSV ledger, parsed back; a plan
 * without findings writes neither, and a CSV ledger named findings.csv is refused before anything is written.
 */
import ExcelJS from 'exceljs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FINDING_LEDGER_COLUMNS, findingLedgerRows, findingsCsv, writeLedger } from '../../client/ledger.js';
import type { FindingStatus } from '../../workflows/contract/finding.js';
import type { PlanStatus } from '../../workflows/contract/status.js';
import { yearPlan } from '../fixtures/plans.js';

const plan = yearPlan('ledger-findings');

const finding = (findingId: string, over: Partial<FindingStatus> = {}): FindingStatus => ({
  findingId,
  inspectionId: '2030-r1',
  unitId: 'late',
  verifier: 'headquarters',
  title: `Finding ${findingId}`,
  state: 'open',
  round: 1,
  deadlineDay: '2030-05-03',
  claims: 0,
  reminders: 0,
  escalations: 0,
  reopened: 0,
  closedAt: null,
  closedOnTime: null,
  daysLate: null,
  ...over,
});

const status: PlanStatus = {
  planId: plan.id,
  tasks: [],
  findings: [
    finding('f-1', { state: 'closed', claims: 2, reminders: 2, escalations: 1, closedAt: '2030-05-09T04:00:00.000Z', closedOnTime: false, daysLate: 4 }),
    finding('f-2', { unitId: 'silent', title: 'Ledger, "incomplete"\nand late', state: 'overdue', reminders: 2, escalations: 2 }),
    finding('f-3', { unitId: 'ontime', verifier: 'late', state: 'verified', round: 2, reopened: 1, closedAt: '2030-05-21T04:00:00.000Z', closedOnTime: true, daysLate: 0 }),
  ],
};

const details = {
  latest: new Map(),
  decisions: new Map(),
  lastActions: new Map([
    ['f-1', { action: 'accept', actor: 'headquarters', at: '2030-05-09T04:00:00.000Z', result: null }],
    ['f-3', { action: 'recheck', actor: 'late', at: '2030-06-21T04:00:00.000Z', result: 'pass' }],
  ]),
};

describe('the ledger of findings', () => {
  test('one row per finding with its unit name and last action', () => {
    const rows = findingLedgerRows(plan, status, details);
    expect(rows.map((r) => [r.findingId, r.unit, r.state, r.lastAction, r.lastActionBy])).toEqual([
      ['f-1', 'Late Unit', 'closed', 'accept', 'headquarters'],
      ['f-2', 'Silent Unit', 'overdue', null, null],
      ['f-3', 'On-time Unit', 'verified', 'recheck: pass', 'late'],
    ]);
  });

  test('the XLSX gains a Findings sheet whose cells read back as the rows: numbers, booleans, empty cells', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-findings-'));
    const file = join(dir, 'ledger.xlsx');
    await writeLedger(plan, status, 'xlsx', file, details);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Ledger', 'Findings']);
    const sheet = workbook.getWorksheet('Findings')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([...FINDING_LEDGER_COLUMNS]);
    const read = (row: number) => Object.fromEntries(FINDING_LEDGER_COLUMNS.map((k, i) => [k, sheet.getRow(row).getCell(i + 1).value ?? null]));
    expect(sheet.rowCount).toBe(4);
    expect(read(2)).toEqual({ ...findingLedgerRows(plan, status, details)[0] });
    expect(read(3)).toMatchObject({ findingId: 'f-2', title: 'Ledger, "incomplete"\nand late', closedOnTime: null, daysLate: null, lastAction: null });
    expect(read(4)).toMatchObject({ round: 2, reopened: 1, closedOnTime: true, daysLate: 0, lastActionAt: '2030-06-21T04:00:00.000Z' });
  });

  test('a CSV ledger gets findings.csv beside it, quoted as RFC 4180 wants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-findings-'));
    await writeLedger(plan, status, 'csv', join(dir, 'work.csv'), details);
    const text = readFileSync(join(dir, 'findings.csv'), 'utf8');
    expect(text).toBe(findingsCsv(findingLedgerRows(plan, status, details)));
    expect(text.startsWith('\uFEFF')).toBe(true);
    const records = parseCsv(text.slice(1));
    expect(records[0]).toEqual([...FINDING_LEDGER_COLUMNS]);
    expect(records).toHaveLength(4);
    const col = (k: (typeof FINDING_LEDGER_COLUMNS)[number]) => FINDING_LEDGER_COLUMNS.indexOf(k);
    expect(records[2][col('title')]).toBe('Ledger, "incomplete"\nand late');
    expect([records[1][col('closedOnTime')], records[1][col('daysLate')], records[2][col('closedAt')]]).toEqual(['false', '4', '']);
  });

  test('a plan without findings writes no findings file and keeps its single sheet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-findings-'));
    const bare: PlanStatus = { planId: plan.id, tasks: [] };
    await writeLedger(plan, bare, 'csv', join(dir, 'ledger.csv'));
    expect(existsSync(join(dir, 'findings.csv'))).toBe(false);
    await writeLedger(plan, bare, 'xlsx', join(dir, 'ledger.xlsx'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(dir, 'ledger.xlsx'));
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Ledger']);
  });

  test('a CSV ledger named findings.csv is refused in a sentence, and nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-findings-'));
    await expect(writeLedger(plan, status, 'csv', join(dir, 'findings.csv'), details)).rejects.toThrow(/^--out: the ledger cannot be written to .*findings\.csv: a plan with findings writes findings\.csv beside it; choose another name$/);
    expect(existsSync(join(dir, 'findings.csv'))).toBe(false);
  });
});

/** A small RFC 4180 reader: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      (record = []), (field = ''), i++;
    } else field += ch;
  }
  return records;
}
