/**
 * Who can send to an address of a plan, and when a call may skip the gather window (workflows/cycle/senders.ts):
 * the recipients come from the same rules the workflows use (recipientsOf), the groups from the plan's layout.
 */
import { expect, test } from 'vitest';
import { findingsWorkflowId, groupWorkflowId, planWorkflowId } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PlanLayout } from '../../workflows/contract/status.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { recipientsOf } from '../../workflows/cycle/recipients.js';
import { mergeSenders, planSenders, sendsAlone, UNKNOWN_SENDER } from '../../workflows/cycle/senders.js';
import { findingSlices } from '../../workflows/findings/slices.js';
import { generatePlan } from '../../scripts/generate-plan.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import { validPlan } from '../fixtures/plans.js';


const G1 = groupWorkflowId('snd', 0);
const G2 = groupWorkflowId('snd', 1);
const PLAN = planWorkflowId('snd');

/** North and south (leader l1), east (leader l2); tasks as given; layout as given (task ids per group). */
function plan(tasks: { id: string; units: string[] }[], extra: Record<string, unknown> = {}): Plan {
  return validPlan({
    id: 'snd',
    title: 'Senders',
    timezone: 'Asia/Shanghai',
    start: '2030-01-01',
    end: '2030-12-31',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [
      { id: 'l1', name: 'Leader One', email: 'l1@example.org' },
      { id: 'l2', name: 'Leader Two', email: ['l2@example.org', 'l2-office@example.org'] },
    ],
    units: [
      { id: 'north', name: 'North', email: 'north@example.org', leader: 'l1' },
      { id: 'south', name: 'South', email: 'south@example.org', leader: 'l1' },
      { id: 'east', name: 'East', email: 'east@example.org', leader: 'l2' },
      { id: 'west', name: 'West', email: 'west@example.org', leader: 'l2' },
    ],
    aspects: [{ id: 'a', title: 'A' }],
    tasks: tasks.map((t) => ({ ...t, aspect: 'a', title: `Task ${t.id}` })),
    cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5, reminderDays: [0], escalation: [{ afterDaysOverdue: 3, to: 'unitLeader' }, { afterDaysOverdue: 10, to: 'headquarters' }] },
    ...extra,
  });
}
const layout = (...groups: string[][]): PlanLayout => ({ planId: 'snd', groups: groups.map((taskIds, n) => ({ workflowId: groupWorkflowId('snd', n), taskIds })) });
const unit = (p: Plan, id: string) => p.units.find((u) => u.id === id)!;
const request = (p: Plan, id: string) => recipientsOf(p, unit(p, id), 'request');
const toLeader = (p: Plan, id: string) => recipientsOf(p, unit(p, id), 'escalation', 'unitLeader');
const toHq = (p: Plan, id: string) => recipientsOf(p, unit(p, id), 'escalation', 'headquarters');

test("a unit whose tasks are all in one group: that group's calls to it need no window, no one else's", () => {
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['north'] }, { id: 't3', units: ['east'] }]);
  const s = planSenders(p, layout(['t1', 't2'], ['t3']), []);
  expect([...s.byAddress.get('north@example.org')!]).toEqual([G1]);
  expect(sendsAlone(s, G1, [request(p, 'north'), request(p, 'north')])).toBe(true);
  expect(sendsAlone(s, G2, [request(p, 'east')])).toBe(true);
  // Not the unit's group, not known, the plan workflow: the window as before.
  expect(sendsAlone(s, G2, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, undefined, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, PLAN, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, G1, [])).toBe(false);
  // One item that needs it makes the whole call wait.
  expect(sendsAlone(s, G1, [request(p, 'north'), toHq(p, 'north')])).toBe(false);
});

test("a unit split over two groups: both groups' calls to it wait", () => {
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['north'] }, { id: 't3', units: ['south'] }]);
  const s = planSenders(p, layout(['t1'], ['t2', 't3']), []);
  expect([...s.byAddress.get('north@example.org')!].sort()).toEqual([G1, G2]);
  expect(sendsAlone(s, G1, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, G2, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, G2, [request(p, 'south')])).toBe(true);
  // The layout the plan workflow makes splits a unit with more unit-tasks than a group holds the same way.
  const big = plan(Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, units: ['north'] })));
  const cut = layoutOf(big, 'units', 3);
  expect(cut.groups).toHaveLength(2);
  const sb = planSenders(big, cut, []);
  expect(cut.groups.map((g) => sendsAlone(sb, g.workflowId, [request(big, 'north')]))).toEqual([false, false]);
});

const inspections = (findings: { id: string; unit: string; verifier?: string }[]) => ({
  inspections: { rounds: [{ id: 'r1', title: 'Round 1', feedbackDay: '2030-02-01', findings: findings.map((f) => ({ ...f, title: `Finding ${f.id}` })) }] },
});

test('a unit with a finding: its group and its findings slice both wait; a finding-only unit of one slice does not', () => {
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['east'] }], inspections([{ id: 'f1', unit: 'north' }, { id: 'f2', unit: 'west' }]));
  const slices = findingSlices(p);
  expect(slices).toEqual([['f1', 'f2']]);
  const F1 = findingsWorkflowId('snd', 0);
  const s = planSenders(p, layout(['t1', 't2']), slices);
  expect([...s.byAddress.get('north@example.org')!].sort()).toEqual([F1, G1].sort());
  expect(sendsAlone(s, G1, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(s, F1, [{ to: ['north@example.org'], cc: ['l1@example.org'] }])).toBe(false);
  // West has no tasks: only its findings slice writes to it (a finding's reminder goes to the unit alone).
  expect(sendsAlone(s, F1, [{ to: ['west@example.org'], cc: [] }])).toBe(true);
  expect(sendsAlone(s, G1, [request(p, 'east')])).toBe(true);
  // Findings in two slices of one unit: each slice waits.
  const two = planSenders(p, layout(['t1', 't2']), [['f1'], ['f2']]);
  expect(sendsAlone(two, findingsWorkflowId('snd', 1), [{ to: ['west@example.org'], cc: [] }])).toBe(true);
  const west2 = plan([{ id: 't1', units: ['north'] }], inspections([{ id: 'f1', unit: 'west' }, { id: 'f2', unit: 'west' }]));
  const split = planSenders(west2, layout(['t1']), [['f1'], ['f2']]);
  expect(sendsAlone(split, findingsWorkflowId('snd', 0), [{ to: ['west@example.org'], cc: [] }])).toBe(false);
});

test("a finding's verifier unit hears from the finding's slice: its group's calls to it wait", () => {
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['east'] }], inspections([{ id: 'f1', unit: 'west', verifier: 'east' }]));
  const s = planSenders(p, layout(['t1'], ['t2']), findingSlices(p));
  expect([...s.byAddress.get('east@example.org')!].sort()).toEqual([findingsWorkflowId('snd', 0), G2].sort());
  expect(sendsAlone(s, G2, [request(p, 'east')])).toBe(false);
  expect(sendsAlone(s, G1, [request(p, 'north')])).toBe(true);
});

test('findings whose slices are not known (an amended plan): their units always wait', () => {
  const p = plan([{ id: 't1', units: ['north'] }], inspections([{ id: 'f1', unit: 'west' }]));
  const s = planSenders(p, layout(['t1']), undefined);
  expect([...s.byAddress.get('west@example.org')!]).toEqual([UNKNOWN_SENDER]);
  expect(sendsAlone(s, findingsWorkflowId('snd', 0), [{ to: ['west@example.org'], cc: [] }])).toBe(false);
  expect(sendsAlone(s, G1, [request(p, 'north')])).toBe(true);
});

test("a leader of units in two groups: items to the leader alone wait, an escalation naming its unit's own address does not", () => {
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['south'] }]);
  const s = planSenders(p, layout(['t1'], ['t2']), []);
  // Both groups (escalations) and the plan workflow (a review's lagging notices) write to the leader.
  expect([...s.byAddress.get('l1@example.org')!].sort()).toEqual([PLAN, G1, G2].sort());
  expect(sendsAlone(s, G1, [{ to: ['l1@example.org'], cc: [] }])).toBe(false);
  // An escalation to the leader is cc'd to its unit: another call's item with the same to and cc would be cc'd to
  // north too, and only north's group writes to north, so it cannot exist.
  expect(toLeader(p, 'north')).toEqual({ to: ['l1@example.org'], cc: ['north@example.org'] });
  expect(sendsAlone(s, G1, [toLeader(p, 'north')])).toBe(true);
  // The last level goes to headquarters, cc the leader: both have several senders.
  expect(sendsAlone(s, G1, [toHq(p, 'north')])).toBe(false);
  // A leader of units in one group still hears from the plan workflow.
  const one = planSenders(p, layout(['t1', 't2']), []);
  expect(sendsAlone(one, G1, [{ to: ['l1@example.org'], cc: [] }])).toBe(false);
  // A leader with several addresses: each has the same senders.
  const east = plan([{ id: 't1', units: ['east'] }]);
  const se = planSenders(east, layout(['t1']), []);
  expect([...se.byAddress.get('l2-office@example.org')!].sort()).toEqual([PLAN, G1].sort());
});

test('headquarters always waits: the plan workflow writes to it too, even when the plan has one group', () => {
  const p = plan([{ id: 't1', units: ['north'] }]);
  const s = planSenders(p, layout(['t1']), []);
  expect([...s.byAddress.get('hq@example.org')!].sort()).toEqual([PLAN, G1].sort());
  expect(sendsAlone(s, G1, [{ to: ['hq@example.org'], cc: [] }])).toBe(false);
  expect(sendsAlone(s, PLAN, [{ to: ['hq@example.org'], cc: [] }])).toBe(false);
  expect(sendsAlone(s, G1, [request(p, 'north')])).toBe(true);
});

test('a mailbox two units share, a task outside the layout, no layout: the window as before', () => {
  const shared = validPlan({ ...plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['south'] }]), units: [
    { id: 'north', name: 'North', email: 'office@example.org', leader: 'l1' },
    { id: 'south', name: 'South', email: 'office@example.org', leader: 'l1' },
  ] });
  const s = planSenders(shared, layout(['t1'], ['t2']), []);
  expect(sendsAlone(s, G1, [request(shared, 'north')])).toBe(false);
  const p = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['north'] }]);
  expect(sendsAlone(planSenders(p, layout(['t1']), []), G1, [request(p, 'north')])).toBe(false);
  expect(sendsAlone(planSenders(p, undefined, []), G1, [request(p, 'north')])).toBe(false);
  // An address the plan does not list (the plan was amended since the item was made) says nothing either way.
  expect(sendsAlone(planSenders(p, layout(['t1', 't2']), []), G1, [{ to: ['gone@example.org'], cc: [] }])).toBe(false);
});

test('every version of an amended plan counts: a unit moved to a new group makes both groups wait', () => {
  const v1 = plan([{ id: 't1', units: ['north'] }, { id: 't2', units: ['east'] }]);
  const v2 = plan([{ id: 't2', units: ['east'] }, { id: 't3', units: ['north'] }]);
  const inForce = layout(['t1', 't2'], ['t3']);
  expect(sendsAlone(planSenders(v2, inForce, []), G2, [request(v2, 'north')])).toBe(true);
  const both = mergeSenders(planSenders(v2, inForce, []), planSenders(v1, inForce, []));
  expect(sendsAlone(both, G2, [request(v2, 'north')])).toBe(false);
  expect(sendsAlone(both, G1, [request(v1, 'north')])).toBe(false);
  expect(sendsAlone(both, G1, [request(v2, 'east')])).toBe(true);
});

test("the benchmark's generated plan (200 tasks x 3 units of 30): each unit in one group, so only the calls naming headquarters or a leader alone wait", () => {
  const checked = checkPlan(generatePlan({ tasks: 200, unitsPerTask: 3, years: 3, startYear: 2027 }));
  if (!checked.ok) throw new Error('generated plan is invalid');
  const p = checked.plan;
  const l = layoutOf(p);
  const s = planSenders(p, l, findingSlices(p));
  const groupOf = (unitId: string) => l.groups.filter((g) => g.taskIds.some((t) => p.tasks.find((x) => x.id === t)!.units.includes(unitId)));
  for (const u of p.units) {
    const [g, ...more] = groupOf(u.id);
    expect(more).toEqual([]);
    expect(sendsAlone(s, g.workflowId, [request(p, u.id)])).toBe(true);
    expect(sendsAlone(s, g.workflowId, [toLeader(p, u.id)])).toBe(true);
    expect(sendsAlone(s, g.workflowId, [toHq(p, u.id)])).toBe(false);
  }
});
