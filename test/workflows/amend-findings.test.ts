/**
 * Findings under an amendment (issue "Amend a running plan", §2, findings), rehearsed on the time-skipping server
 * through the same call as `plan amend`: on Mon 2030-04-29 10:00 (Asia/Shanghai) one finding gets a new first
 * deadline, another a new unit, and a new inspection round adds a finding. Every finding notice is compared with a
 * schedule worked out by hand.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { yearPlan } from '../fixtures/plans.js';
import { findingsWorkflowId } from '../../workflows/contract/ids.js';
import { testDb } from '../helpers/db.js';
import { recordAllRuns } from '../helpers/histories.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

const PLAN = 'famend-2030';
const round1 = {
  id: '2030-r1',
  title: 'First inspection round',
  feedbackDay: '2030-04-03',
  findings: [
    { id: 'f-before', title: 'Ledger incomplete', unit: 'late' },
    { id: 'f-after', title: 'No rectification plan', unit: 'silent' },
    { id: 'f-plain', title: 'Approvals overdue', unit: 'ontime' },
  ],
};
const cadence = { rectifyDays: 30, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 };
const v1 = yearPlan(PLAN, { inspections: { cadence, rounds: [round1] } });
const v2 = yearPlan(PLAN, {
  inspections: {
    cadence,
    rounds: [
      { ...round1, findings: [{ ...round1.findings[0], deadline: '2030-05-10' }, { ...round1.findings[1], unit: 'ontime' }, round1.findings[2]] },
      { id: '2030-r2', title: 'Second inspection round', feedbackDay: '2030-04-22', findings: [{ id: 'f-new', title: 'Files not archived', unit: 'late' }] },
    ],
  },
});

// Worked out by hand (2030, holiday 04-05; notices 09:00 = 01:00Z). Round r1: A Wed 04-03, deadline Fri 05-03;
// reminders -7 Fri 04-26, -1 Thu 05-02; escalations +3 Mon 05-06 (leader), +10 Mon 05-13 (headquarters).
// At T = Mon 04-29 10:00 every r1 finding has had reminder 1.
// - f-before: first deadline now Fri 05-10: -7 Fri 05-03 and -1 Thu 05-09 are reminders 2 and 3; escalations Mon
//   05-13 and Mon 05-20. Its old steps of 05-02, 05-06 and 05-13 do not go out.
// - f-after: its unit is now "ontime" (leader l1): its ladder stays, its notices from T on go to ontime.
// - f-plain: unchanged.
// - f-new (round r2, fed back Mon 04-22, before T): assigned at T; deadline 04-22 + 30 = Wed 05-22; reminders Wed
//   05-15, Tue 05-21; escalations Sat 05-25 and Sat 06-01 forward to Mon 05-27 and Mon 06-03.
const at9 = (day: string) => `${day}T01:00:00.000Z`;
const T = '2030-04-29T10:00:00+08:00';
const TZ = '2030-04-29T02:00:00.000Z';
const mail = { ontime: ['ontime@example.org'], late: ['late@example.org'], silent: ['silent@example.org', 'silent-office@example.org'], hq: ['hq@example.org'], l1: ['l1@example.org'], l2: ['l2@example.org'] };
type Line = { at: string; kind: string; findingId: string; unitId: string; n: number; to: string[]; cc: string[] };
const L = (at: string, kind: string, findingId: string, unitId: string, n: number, to: string[], cc: string[]): Line => ({ at, kind, findingId, unitId, n, to, cc });
function expected(): Line[] {
  return sort([
    L(at9('2030-04-03'), 'finding-assigned', 'f-before', 'late', 1, mail.late, mail.l1),
    L(at9('2030-04-03'), 'finding-assigned', 'f-after', 'silent', 1, mail.silent, mail.l2),
    L(at9('2030-04-03'), 'finding-assigned', 'f-plain', 'ontime', 1, mail.ontime, mail.l1),
    L(at9('2030-04-26'), 'reminder', 'f-before', 'late', 1, mail.late, []),
    L(at9('2030-04-26'), 'reminder', 'f-after', 'silent', 1, mail.silent, []),
    L(at9('2030-04-26'), 'reminder', 'f-plain', 'ontime', 1, mail.ontime, []),
    L(TZ, 'finding-assigned', 'f-new', 'late', 1, mail.late, mail.l1),
    L(at9('2030-05-02'), 'reminder', 'f-after', 'ontime', 2, mail.ontime, []),
    L(at9('2030-05-02'), 'reminder', 'f-plain', 'ontime', 2, mail.ontime, []),
    L(at9('2030-05-03'), 'reminder', 'f-before', 'late', 2, mail.late, []),
    L(at9('2030-05-06'), 'escalation', 'f-after', 'ontime', 1, mail.l1, mail.ontime),
    L(at9('2030-05-06'), 'escalation', 'f-plain', 'ontime', 1, mail.l1, mail.ontime),
    L(at9('2030-05-09'), 'reminder', 'f-before', 'late', 3, mail.late, []),
    L(at9('2030-05-13'), 'escalation', 'f-before', 'late', 1, mail.l1, mail.late),
    L(at9('2030-05-13'), 'escalation', 'f-after', 'ontime', 2, mail.hq, mail.l1),
    L(at9('2030-05-13'), 'escalation', 'f-plain', 'ontime', 2, mail.hq, mail.l1),
    L(at9('2030-05-15'), 'reminder', 'f-new', 'late', 1, mail.late, []),
    L(at9('2030-05-20'), 'escalation', 'f-before', 'late', 2, mail.hq, mail.l1),
    L(at9('2030-05-21'), 'reminder', 'f-new', 'late', 2, mail.late, []),
    L(at9('2030-05-27'), 'escalation', 'f-new', 'late', 1, mail.l1, mail.late),
    L(at9('2030-06-03'), 'escalation', 'f-new', 'late', 2, mail.hq, mail.l1),
  ]);
}
const sort = (rows: Line[]) => [...rows].sort((a, b) => a.at.localeCompare(b.at) || a.findingId.localeCompare(b.findingId) || a.kind.localeCompare(b.kind));

let env: TestWorkflowEnvironment;
let db: pg.Pool;
let result: RehearsalResult;
let outDir: string;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = await testDb();
  outDir = mkdtempSync(join(tmpdir(), 'rc-amend-findings-'));
  result = await rehearse({
    plan: v1,
    env,
    db,
    outDir,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: { default: { submit: 'never', status: 'on-track' }, rules: [], amendments: [{ at: T, plan: v2 as unknown as Record<string, unknown>, reason: 'second inspection round; f-after moves to ontime' }] },
  });
  await recordAllRuns(env.client, [findingsWorkflowId(PLAN, 0), findingsWorkflowId(PLAN, 1)], 'amend-findings');
}, 300_000);

afterAll(async () => {
  await env?.teardown();
});

describe('findings under an amendment', () => {
  test('applied, nothing refused', () => {
    expect(result.rejected).toEqual([]);
  });

  test('every finding notice is the one the rules give', () => {
    const lines = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((n) => n.findingId);
    const got = lines.map((n) => ({
      at: n.at.startsWith('2030-04-29T02:00:0') ? TZ : n.at,
      kind: n.kind,
      findingId: n.findingId,
      unitId: n.unitId,
      n: n.kind === 'escalation' ? n.level : n.number ?? 1,
      to: n.to,
      cc: n.cc,
    }));
    expect(sort(got)).toEqual(expected());
  });

  test('status and the database show the new deadline, the new unit and the new finding', async () => {
    const f = (id: string) => result.status.findings!.find((x) => x.findingId === id)!;
    expect(f('f-before')).toMatchObject({ deadlineDay: '2030-05-10', unitId: 'late' });
    expect(f('f-after')).toMatchObject({ unitId: 'ontime' });
    expect(f('f-new')).toMatchObject({ unitId: 'late', deadlineDay: '2030-05-22' });
    const { rows } = await db.query(`SELECT finding_id FROM finding_records WHERE plan_id = $1 ORDER BY finding_id`, [PLAN]).catch(() => ({ rows: [] as { finding_id: string }[] }));
    expect(rows.map((r) => r.finding_id)).toEqual(['f-after', 'f-before', 'f-new', 'f-plain']);
  });
});
