import ExcelJS from 'exceljs';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LEDGER_COLUMNS, ledgerCsv, ledgerJson, ledgerRows, ledgerXlsx, writeLedger, type LedgerRow } from '../../client/ledger.js';
import { planSchema, type Plan } from '../../workflows/contract/plan.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';

const plan: Plan = planSchema.parse({
  id: 'demo-2027',
  title: 'Demo plan',
  timezone: 'Asia/Shanghai',
  start: '2027-01-01',
  end: '2027-06-30',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  units: [
    { id: 'agri', name: '农业农村厅', email: 'agri@example.org' },
    { id: 'econ', name: 'Economy, "Trade" & Co.', email: 'econ@example.org' },
  ],
  // Plan order, not id order: trade before rural.
  aspects: [
    { id: 'trade', title: 'Open economy' },
    { id: 'rural', title: '乡村振兴' },
  ],
  tasks: [
    { id: 't-seed', aspect: 'rural', title: 'Seed industry', units: ['econ', 'agri'] },
    { id: 't-export', aspect: 'trade', title: 'Exports\nand imports', units: ['econ'] },
    { id: 't-irrig', aspect: 'rural', title: 'Irrigation', units: ['agri'] },
  ],
  cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 8 },
});

const period = (p: string, over: Partial<PeriodStatus> = {}): PeriodStatus => ({
  period: p,
  state: 'scheduled',
  requestedAt: null,
  dueAt: p === '2027-Q1' ? '2027-04-08T16:00:00.000Z' : '2027-07-08T16:00:00.000Z',
  submittedAt: null,
  daysLate: null,
  reminders: 0,
  escalations: 0,
  revisions: 0,
  reportStatus: null,
  progress: null,
  deliveryIssues: [],
  review: null,
  revisionDueAt: null,
  round: 0,
  ...over,
});

const submitted = (p: string) =>
  period(p, {
    state: 'submitted',
    requestedAt: '2027-03-21T01:00:00.000Z',
    submittedAt: '2027-04-01T02:30:00.000Z',
    revisions: 2,
    reportStatus: 'on-track',
    progress: 42.5,
  });

// Status lists tasks, units and quarters in another order than the plan.
const status: PlanStatus = {
  planId: 'demo-2027',
  tasks: [
    { taskId: 't-irrig', units: [{ unitId: 'agri', periods: [period('2027-Q2'), submitted('2027-Q1')] }] },
    {
      taskId: 't-seed',
      units: [
        { unitId: 'agri', periods: [submitted('2027-Q1'), period('2027-Q2')] },
        {
          unitId: 'econ',
          periods: [
            period('2027-Q1', {
              state: 'late',
              requestedAt: '2027-03-21T01:00:00.000Z',
              submittedAt: '2027-04-12T03:00:00.000Z',
              daysLate: 3,
              reminders: 2,
              escalations: 1,
              revisions: 1,
              reportStatus: 'at-risk',
              progress: 0,
            }),
            period('2027-Q2'),
          ],
        },
      ],
    },
    { taskId: 't-export', units: [{ unitId: 'econ', periods: [period('2027-Q1', { state: 'escalated', requestedAt: '2027-03-21T01:00:00.000Z', reminders: 3, escalations: 2 }), period('2027-Q2')] }] },
  ],
};

const rows = ledgerRows(plan, status);

describe('ledgerRows', () => {
  test('orders rows by aspect, task (plan order), unit (task order) and quarter', () => {
    expect(rows.map((r) => `${r.aspectId}/${r.taskId}/${r.unitId}/${r.period}`)).toEqual([
      'trade/t-export/econ/2027-Q1',
      'trade/t-export/econ/2027-Q2',
      'rural/t-seed/econ/2027-Q1',
      'rural/t-seed/econ/2027-Q2',
      'rural/t-seed/agri/2027-Q1',
      'rural/t-seed/agri/2027-Q2',
      'rural/t-irrig/agri/2027-Q1',
      'rural/t-irrig/agri/2027-Q2',
    ]);
  });

  test('carries names and the period status', () => {
    expect(rows[2]).toEqual({
      aspectId: 'rural',
      aspect: '乡村振兴',
      taskId: 't-seed',
      task: 'Seed industry',
      unitId: 'econ',
      unit: 'Economy, "Trade" & Co.',
      period: '2027-Q1',
      requestedAt: '2027-03-21T01:00:00.000Z',
      dueAt: '2027-04-08T16:00:00.000Z',
      submittedAt: '2027-04-12T03:00:00.000Z',
      state: 'late',
      daysLate: 3,
      reminders: 2,
      escalations: 1,
      revisions: 1,
      reportStatus: 'at-risk',
      progress: 0,
      summary: null,
      problems: null,
      nextSteps: null,
      submittedBy: null,
      decision: null,
      decidedAt: null,
      decisionComment: null,
    } satisfies LedgerRow);
    expect(rows[4]).toMatchObject({ unit: '农业农村厅', state: 'submitted', progress: 42.5, daysLate: null });
    expect(Object.keys(rows[0])).toEqual([...LEDGER_COLUMNS]);
  });

  test("carries the latest revision's texts and headquarters' last decision with its comment", () => {
    const latest = new Map([['t-seed|econ|2027-Q1', { requestId: 'r2', arrivedAt: 0, status: 'at-risk', summary: '种子, "新"', problems: 'funds', nextSteps: 'apply', submittedBy: 'Wang' }]]);
    const decisions = new Map([['t-seed|econ|2027-Q1', { decision: 'return' as const, at: '2027-04-13T02:00:00.000Z', comment: 'add figures', by: 'hq' }]]);
    const detailed = ledgerRows(plan, status, { latest, decisions });
    expect(detailed[2]).toMatchObject({
      summary: '种子, "新"', problems: 'funds', nextSteps: 'apply', submittedBy: 'Wang',
      decision: 'returned', decidedAt: '2027-04-13T02:00:00.000Z', decisionComment: 'add figures',
    });
    expect(detailed[3]).toMatchObject({ summary: null, decision: null });
    expect(ledgerCsv(detailed)).toContain('"种子, ""新"""');
  });

  test('a task the status does not know yet has no rows', () => {
    expect(ledgerRows(plan, { planId: 'demo-2027', tasks: [] })).toEqual([]);
  });
});

/** A small RFC 4180 parser, to read the CSV back. */
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
      record.push(field), records.push(record), (record = []), (field = ''), i++;
    } else field += ch;
  }
  if (field !== '' || record.length) record.push(field), records.push(record);
  return records;
}

describe('ledgerCsv', () => {
  const csv = ledgerCsv(rows);

  test('is UTF-8 with BOM, CRLF line ends and a header row', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.startsWith(`\uFEFF${LEDGER_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '').includes('\r')).toBe(false);
    const bytes = Buffer.from(csv, 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  test('quotes fields with commas, quotes and line breaks', () => {
    expect(csv).toContain('"Economy, ""Trade"" & Co."');
    expect(csv).toContain('"Exports\nand imports"');
    expect(csv).toContain(',t-seed,Seed industry,');
  });

  test('reads back to the rows, Chinese text included', () => {
    const text = Buffer.from(csv, 'utf8').toString('utf8').slice(1);
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual([...LEDGER_COLUMNS]);
    expect(records).toHaveLength(rows.length);
    records.forEach((rec, i) => {
      expect(rec).toEqual(LEDGER_COLUMNS.map((k) => (rows[i][k] === null ? '' : String(rows[i][k]))));
    });
    expect(records[4][LEDGER_COLUMNS.indexOf('unit')]).toBe('农业农村厅');
    expect(records[2][LEDGER_COLUMNS.indexOf('aspect')]).toBe('乡村振兴');
  });
});

describe('ledgerXlsx', () => {
  test('writes a real workbook: bold frozen header, column widths, typed values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-'));
    const file = join(dir, 'ledger.xlsx');
    await ledgerXlsx(rows, file);
    expect(readdirSync(dir)).toEqual(['ledger.xlsx']);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.getWorksheet('Ledger')!;
    expect(sheet).toBeDefined();
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const header = sheet.getRow(1);
    expect(header.values).toEqual([undefined, ...LEDGER_COLUMNS]);
    for (let c = 1; c <= LEDGER_COLUMNS.length; c++) expect(header.getCell(c).font?.bold).toBe(true);
    // exceljs writes equal neighbouring widths as one <col min max> range; `columns` reads them back per column.
    const widths = sheet.columns.map((c) => c.width);
    expect(widths).toHaveLength(LEDGER_COLUMNS.length);
    for (const w of widths) expect(w).toBeGreaterThanOrEqual(10);
    // Instants are wide text.
    expect(widths[LEDGER_COLUMNS.indexOf('dueAt')]).toBeGreaterThanOrEqual(24);
    expect(widths[LEDGER_COLUMNS.indexOf('dueAt')]).toBeLessThanOrEqual(60);
    expect(sheet.rowCount).toBe(rows.length + 1);

    rows.forEach((row, i) => {
      const r = sheet.getRow(i + 2);
      LEDGER_COLUMNS.forEach((k, c) => {
        const value = r.getCell(c + 1).value;
        expect(value ?? null).toEqual(row[k]);
        if (typeof row[k] === 'number') expect(typeof value).toBe('number');
        if (typeof row[k] === 'string') expect(typeof value).toBe('string');
      });
    });
  });
});

describe('ledgerJson and writeLedger', () => {
  test('json parses to the rows', () => {
    expect(JSON.parse(ledgerJson(rows))).toEqual(rows);
  });

  test('writes each format to its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-ledger-'));
    await writeLedger(plan, status, 'csv', join(dir, 'out', 'ledger.csv'));
    await writeLedger(plan, status, 'json', join(dir, 'out', 'ledger.json'));
    await writeLedger(plan, status, 'xlsx', join(dir, 'out', 'ledger.xlsx'));
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['ledger.csv', 'ledger.json', 'ledger.xlsx']);
    expect(readFileSync(join(dir, 'out', 'ledger.csv'), 'utf8')).toBe(ledgerCsv(rows));
    expect(JSON.parse(readFileSync(join(dir, 'out', 'ledger.json'), 'utf8'))).toEqual(rows);
    expect([...readFileSync(join(dir, 'out', 'ledger.xlsx')).subarray(0, 2)]).toEqual([0x50, 0x4b]);
  });
});
