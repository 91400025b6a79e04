/**
 * A rehearsal on the time-skipping server, over real SMTP and a real PostgreSQL, of a plan whose units each have
 * forty tasks, which the file-order layout spread over two group workflows: about one message per recipient per
 * instant, notices.jsonl names the message of each notice, and the status and timelines still show every notice.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createSmtpMailer } from '../../activities/index.js';
import { planStatus, taskTimeline } from '../../client/plans.js';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { storedNotices } from '../../store/notices.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { testDb } from '../helpers/db.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { validPlan } from '../fixtures/plans.js';

const UNITS = ['north', 'south', 'west'];

/** 120 one-unit tasks, the three units in turn; north and south share a leader. Two quarters. */
function plan(id: string, year: number, digest: boolean): Plan {
  return validPlan({
    id,
    title: `Digests ${year}`,
    timezone: 'Asia/Shanghai',
    start: `${year}-01-01`,
    end: `${year}-06-30`,
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [
      { id: 'l1', name: 'Leader One', email: 'l1@example.org' },
      { id: 'l2', name: 'Leader Two', email: 'l2@example.org' },
    ],
    units: UNITS.map((u) => ({ id: u, name: `Unit ${u}`, email: `${u}@example.org`, leader: u === 'west' ? 'l2' : 'l1' })),
    aspects: [{ id: 'a', title: 'Aspect A' }],
    tasks: Array.from({ length: 120 }, (_, i) => ({ id: `t${i + 1}`, aspect: 'a', title: `Task ${i + 1}`, units: [UNITS[i % 3]] })),
    cadence: {
      sendTime: '09:00',
      requestOffsetDays: -10,
      dueOffsetDays: 5,
      reminderDays: [-3, 0],
      escalation: [
        { afterDaysOverdue: 3, to: 'unitLeader' },
        { afterDaysOverdue: 10, to: 'headquarters' },
      ],
    },
    delivery: { digest },
  });
}
// north never answers (reminders and both escalations), south after the first escalation, west on time.
const behaviour = {
  default: { submit: { daysAfterRequest: 2 }, status: 'on-track' as const },
  rules: [
    { unit: 'north', submit: 'never' as const },
    { unit: 'south', submit: { daysAfterDue: 4 } },
  ],
};

type Line = { at: string; kind: string; window?: string; taskId?: string; unitId?: string; period?: string; to: string[]; cc: string[]; messageId: string };
interface Run {
  plan: Plan;
  result: RehearsalResult;
  lines: Line[];
  db: pg.Pool;
  mails: SmtpSink['messages'];
}

let sink: SmtpSink;
let digests: Run;
let singles: Run;

async function run(p: Plan): Promise<Run> {
  const outDir = mkdtempSync(join(tmpdir(), 'rc-digest-'));
  const db = await testDb();
  const mailer = createSmtpMailer(sink.url);
  const before = sink.messages.length;
  // Each rehearsal on a time-skipping server of its own, started and torn down by the rehearsal.
  const result = await rehearse({ plan: p, db, mailer, outDir, behaviour, workflowBundle: { codePath: inject('workflowBundlePath') } });
  await mailer.close();
  const lines = readFileSync(join(outDir, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
  return { plan: p, result, lines, db, mails: sink.messages.slice(before) };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  digests = await run(plan('digests-2030', 2030, true));
  singles = await run(plan('singles-2031', 2031, false));
}, 400_000);
afterAll(async () => {
  await sink?.close();
});

// Notices of one instant and the same recipients travel together whichever activity call they come from: the
// lagging notices of the annual and the plan summary, made at the same instant, too (a review's document travels
// alone, so the annual and the plan summary's documents are told apart by their window).
// Reviews and summaries too: the annual summary and the plan summary of the last instant share one digest.
const recipients = (l: Line) => `${l.at} to=${[...l.to].sort()} cc=${[...l.cc].sort()}`;

test("the file-order layout would have spread each unit's tasks over both groups; this plan keeps each unit in one", () => {
  const p = digests.plan;
  const groupsOf = (layout: ReturnType<typeof layoutOf>, unit: string) =>
    layout.groups.filter((g) => p.tasks.some((t) => g.taskIds.includes(t.id) && t.units.includes(unit))).length;
  for (const u of UNITS) {
    expect(groupsOf(layoutOf(p, 'tasks'), u)).toBe(2);
    expect(groupsOf(layoutOf(p), u)).toBe(1);
  }
});

test('one message per recipient per instant, and notices.jsonl shares a Message-ID exactly among the notices of one message', () => {
  const { lines, mails, result } = digests;
  const byRecipients = new Map<string, Set<string>>();
  const byMessage = new Map<string, Set<string>>();
  for (const l of lines) {
    (byRecipients.get(recipients(l)) ?? byRecipients.set(recipients(l), new Set()).get(recipients(l))!).add(l.messageId);
    (byMessage.get(l.messageId) ?? byMessage.set(l.messageId, new Set()).get(l.messageId)!).add(recipients(l));
  }
  expect([...byRecipients.values()].filter((ids) => ids.size !== 1)).toEqual([]);
  expect([...byMessage.values()].filter((r) => r.size !== 1)).toEqual([]);
  // Every message arrived once; requests to a unit came as one message of forty.
  expect(mails.map((m) => m.messageId).sort()).toEqual([...byMessage.keys()].sort());
  expect(result.messages).toBe(byMessage.size);
  const q1North = mails.find((m) => m.to.includes('north@example.org') && m.subject.includes('report requests'))!;
  expect(q1North.subject).toBe('[digests-2030] 40 report requests for 2030-Q1, due 2030-04-05');
  // The notices themselves are unchanged: one line per notice, far more of them than messages.
  expect(lines.length).toBe(result.notices.length);
  expect(lines.filter((l) => l.kind === 'request')).toHaveLength(240);
  expect(byMessage.size).toBeLessThan(lines.length / 10);
});

test('the sent log keeps each notice under the Message-ID that carried it; status and timelines show each notice on its own', async () => {
  const { db, lines, plan: p } = digests;
  const rows = await storedNotices(db, p.id);
  const line = new Map(lines.filter((l) => l.taskId).map((l) => [`${l.taskId}/${l.unitId}/${l.period}/${l.kind}/${l.at}`, l.messageId]));
  const unitRows = rows.filter((r) => r.taskId);
  expect(unitRows).toHaveLength(line.size);
  for (const r of unitRows) expect(r.messageId).toBe(line.get(`${r.taskId}/${r.unitId}/${r.period}/${r.kind}/${r.at}`));
  expect(unitRows.every((r) => r.status === 'sent')).toBe(true);
  const status = await planStatus(db, p.id);
  const count = (taskId: string, unitId: string, period: string, kind: string) => lines.filter((l) => l.taskId === taskId && l.unitId === unitId && l.period === period && l.kind === kind).length;
  for (const t of status.tasks) {
    for (const u of t.units) {
      for (const period of u.periods) {
        expect(period.reminders).toBe(count(t.taskId, u.unitId, period.period, 'reminder'));
        expect(period.escalations).toBe(count(t.taskId, u.unitId, period.period, 'escalation'));
      }
    }
  }
  const timeline = await taskTimeline(db, p.id, 't1'); // a north task: request, two reminders, two escalations a quarter
  expect(timeline.filter((e) => ['request', 'reminder', 'escalation'].includes(e.kind))).toHaveLength(lines.filter((l) => l.taskId === 't1').length);
  expect(lines.filter((l) => l.taskId === 't1')).toHaveLength(10);
});

test('delivery.digest false: one message per notice, each under its own Message-ID', () => {
  const { lines, mails, result } = singles;
  expect(lines.length).toBe(digests.lines.length);
  expect(new Set(lines.map((l) => l.messageId)).size).toBe(lines.length);
  expect(mails).toHaveLength(lines.length);
  expect(result.messages).toBe(lines.length);
  expect(mails.every((m) => !m.headers.get('x-review-cycles-digest'))).toBe(true);
});
