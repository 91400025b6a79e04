/** The difference between two versions of a plan, and its lines, as plain functions. */
import { describe, expect, test } from 'vitest';
import { canonicalJson, differenceLines, isEmpty, planDifference } from '../../workflows/amend/diff.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';

const base = yearPlan('amend-2030');
/** `base` edited by `edit` (on a deep copy), validated again. */
const edited = (edit: (p: Record<string, any>) => void, from: Plan = base): Plan => {
  const copy = JSON.parse(JSON.stringify(from));
  edit(copy);
  return validPlan(copy);
};

describe('planDifference', () => {
  test('the same plan, or the same plan with its lists reordered, differs in nothing', () => {
    expect(isEmpty(planDifference(base, base))).toBe(true);
    const reordered = edited((p) => {
      p.units.reverse();
      p.leaders.reverse();
      p.calendar.holidays.reverse();
      p.tasks[0].units.reverse();
    });
    const d = planDifference(base, reordered);
    expect(isEmpty(d)).toBe(true);
    expect(differenceLines(d)).toEqual([]);
  });

  test('tasks added and retired, units joined and left, task fields changed', () => {
    const before = edited((p) => {
      p.tasks.push({ id: 't2', aspect: 'a', title: 'Task Two', units: ['late'] });
    });
    const after = edited((p) => {
      p.aspects.push({ id: 'b', title: 'Aspect B' });
      p.units.push({ id: 'zrzyj', name: 'Natural Resources', email: ['z@example.org', 'z2@example.org'], leader: 'l2' });
      p.tasks = [
        { id: 't1', aspect: 'b', title: 'Task One, renamed', units: ['ontime', 'zrzyj', 'silent'], target: { metric: 'counties', total: 12 } },
        { id: 't9', aspect: 'b', title: 'Task Nine', units: ['late', 'zrzyj'] },
      ];
    }, before);
    const d = planDifference(before, after);
    expect(d.tasks).toEqual({
      added: [{ id: 't9', aspect: 'b', units: ['late', 'zrzyj'] }],
      retired: ['t2'],
      changed: [
        {
          id: 't1',
          changes: [
            { field: 'title', from: 'Task One', to: 'Task One, renamed' },
            { field: 'aspect', from: 'a', to: 'b' },
            { field: 'target', from: null, to: { metric: 'counties', total: 12 } },
          ],
          joined: ['zrzyj'],
          left: ['late'],
        },
      ],
    });
    expect(d.units.added).toEqual([{ id: 'zrzyj', name: 'Natural Resources', email: ['z@example.org', 'z2@example.org'], leader: 'l2' }]);
    expect(d.aspects.added).toEqual([{ id: 'b', title: 'Aspect B' }]);
    expect(differenceLines(d)).toEqual([
      'unit zrzyj added ("Natural Resources", z@example.org, z2@example.org, leader l2)',
      'aspect b added ("Aspect B")',
      'task t9 added (aspect b, units late, zrzyj)',
      'task t2 retired',
      'task t1: title "Task One" -> "Task One, renamed", aspect a -> b, target (none) -> { metric: counties, total: 12 }, unit late left, unit zrzyj joined',
    ]);
  });

  test('unit and leader details: names, addresses (one or a list), leaders; units and leaders removed', () => {
    const before = edited((p) => {
      p.units.push({ id: 'old', name: 'Old Unit', email: 'old@example.org', leader: 'l1' });
      p.leaders.push({ id: 'l3', name: 'Leader Three', email: 'l3@example.org' });
    });
    const after = edited((p) => {
      p.units = p.units.filter((u: { id: string }) => u.id !== 'old');
      p.leaders = p.leaders.filter((l: { id: string }) => l.id !== 'l3');
      p.units[0].email = ['ontime@example.org'];
      p.units[1].email = 'late-new@example.org';
      p.units[1].leader = 'l2';
      p.units[2].name = 'Silent Office';
      p.leaders[0].name = 'Leader One Jr';
      p.leaders.push({ id: 'l4', name: 'Leader Four', email: ['l4@example.org'] });
      p.headquarters = { name: 'HQ Office', email: ['hq@example.org', 'desk@example.org'] };
    }, before);
    const d = planDifference(before, after);
    expect(d.units.changed).toEqual([
      { id: 'late', changes: [{ field: 'email', from: ['late@example.org'], to: ['late-new@example.org'] }, { field: 'leader', from: 'l1', to: 'l2' }] },
      { id: 'silent', changes: [{ field: 'name', from: 'Silent Unit', to: 'Silent Office' }] },
    ]);
    expect(differenceLines(d)).toEqual([
      'headquarters.name: HQ -> "HQ Office"',
      'headquarters.email: hq@example.org -> hq@example.org, desk@example.org',
      'leader l4 added ("Leader Four", l4@example.org)',
      'leader l3 removed',
      'leader l1: name "Leader One" -> "Leader One Jr"',
      'unit old removed',
      'unit late: email late@example.org -> late-new@example.org, leader l1 -> l2',
      'unit silent: name "Silent Unit" -> "Silent Office"',
    ]);
  });

  test('calendar days added and removed; a calendar given where there was none removes the weekend', () => {
    const after = edited((p) => {
      p.calendar.holidays.push('2030-12-31', '2030-12-30');
      p.calendar.holidays = p.calendar.holidays.filter((d: string) => d !== '2030-04-05');
      p.calendar.extraWorkdays = ['2030-10-12', '2030-12-28'];
      p.calendar.workweek = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    });
    const d = planDifference(base, after);
    expect(d.calendar).toEqual({
      workweek: { added: ['sat'], removed: [] },
      holidays: { added: ['2030-12-30', '2030-12-31'], removed: ['2030-04-05'] },
      extraWorkdays: { added: ['2030-12-28'], removed: ['2030-09-29'] },
    });
    expect(differenceLines(d)).toEqual([
      'calendar: workweek added sat',
      'calendar: holidays added 2030-12-30, 2030-12-31',
      'calendar: holidays removed 2030-04-05',
      'calendar: extraWorkdays added 2030-12-28',
      'calendar: extraWorkdays removed 2030-09-29',
    ]);
    const none = edited((p) => delete p.calendar);
    expect(differenceLines(planDifference(none, base))).toEqual([
      'calendar: workweek removed sat, sun',
      'calendar: holidays added 2030-04-05, 2030-10-01, 2030-10-02, 2030-10-03, 2030-10-04, 2030-10-05, 2030-10-06, 2030-10-07',
      'calendar: extraWorkdays added 2030-09-29, 2030-10-12',
    ]);
  });

  test('cadence, reviews, assessment, delivery, title and end, per field', () => {
    const after = edited((p) => {
      p.title = 'Year cycle 2030-2031';
      p.end = '2031-12-31';
      p.cadence.reminderDays = [-5, -1];
      p.cadence.escalation.push({ afterDaysOverdue: 20, to: 'headquarters' });
      p.cadence.sendTime = '09:30';
      p.reviews = { semiAnnualOffsetDays: 25 };
      p.assessment = { weights: { timeliness: 1, findings: 1 } };
      p.delivery = { digest: false };
    });
    expect(differenceLines(planDifference(base, after))).toEqual([
      'title: "Year cycle 2030" -> "Year cycle 2030-2031"',
      'end: 2030-12-31 -> 2031-12-31',
      'cadence.sendTime: 09:00 -> 09:30',
      'cadence.reminderDays: [-3, -1, 0] -> [-5, -1]',
      'cadence.escalation: [3 days overdue to unitLeader, 10 days overdue to headquarters] -> [3 days overdue to unitLeader, 10 days overdue to headquarters, 20 days overdue to headquarters]',
      'reviews.semiAnnualOffsetDays: 20 -> 25',
      'assessment.weights: (none) -> { timeliness: 1, progress: 0, quality: 0, findings: 1 }',
      'delivery.digest: true -> false',
    ]);
  });

  test('the fields no amendment may change are still named in the difference', () => {
    const after = edited((p) => {
      p.id = 'other';
      p.timezone = 'UTC';
      p.start = '2030-02-01';
    });
    expect(planDifference(base, after).plan.map((c) => c.field)).toEqual(['id', 'timezone', 'start']);
  });

  test('inspections: rounds and findings added, a finding moved to another unit, deadline or verifier', () => {
    const withInspections = (rounds: unknown[]) =>
      edited((p) => {
        p.inspections = { rounds };
      });
    const r1 = {
      id: 'r1', title: 'Spring inspection', feedbackDay: '2030-03-01',
      findings: [
        { id: 'f1', title: 'Leaking roof', unit: 'late', deadline: '2030-05-01' },
        { id: 'f2', title: 'Old signs', unit: 'silent' },
      ],
    };
    const before = withInspections([r1]);
    const after = withInspections([
      { ...r1, findings: [{ ...r1.findings[0], unit: 'silent', deadline: '2030-06-01', verifier: 'ontime' }, r1.findings[1]] },
      { id: 'r2', title: 'Autumn inspection', feedbackDay: '2030-09-01', findings: [{ id: 'f3', title: 'No ledger', unit: 'ontime', deadline: '2030-11-01' }] },
    ]);
    const d = planDifference(before, after);
    expect(d.inspections.findings.changed).toEqual([
      { id: 'f1', changes: [{ field: 'unit', from: 'late', to: 'silent' }, { field: 'deadline', from: '2030-05-01', to: '2030-06-01' }, { field: 'verifier', from: 'headquarters', to: 'ontime' }] },
    ]);
    expect(differenceLines(d)).toEqual([
      'inspection round r2 added (feedback day 2030-09-01, 1 finding)',
      'finding f3 added (round r2, unit ontime, deadline 2030-11-01)',
      'finding f1: unit late -> silent, deadline 2030-05-01 -> 2030-06-01, verifier headquarters -> ontime',
    ]);
    // A plan that gets its first inspections: the cadence's defaults appear, the round and its findings are added.
    const lines = differenceLines(planDifference(base, before));
    expect(lines).toContain('inspections.cadence.rectifyDays: (none) -> 60');
    expect(lines).toContain('inspection round r1 added (feedback day 2030-03-01, 2 findings)');
    expect(lines).toContain('finding f2 added (round r1, unit silent)');
  });

  test('the difference travels as JSON unchanged', () => {
    const after = edited((p) => {
      p.units[0].email = 'x@example.org';
      p.tasks[0].units.pop();
    });
    const d = planDifference(base, after);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(differenceLines(JSON.parse(JSON.stringify(d)))).toEqual(differenceLines(d));
  });
});

describe('canonicalJson', () => {
  test('is the same text whatever the order of keys, and leaves undefined out', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, w: 'z' }] })).toBe(canonicalJson({ a: [{ w: 'z', y: 2 }], b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(canonicalJson([1, 'x', null])).toBe('[1,"x",null]');
  });
});
