import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkPlan, formatPath, isKnownTimeZone, isRealDate, type PlanIssue } from '../../workflows/contract/plan-check.js';
import { addressList, planSchema } from '../../workflows/contract/plan.js';

const demoFile = fileURLToPath(new URL('../../examples/demo-plan.yaml', import.meta.url));
const demoText = readFileSync(demoFile, 'utf8');
/** A fresh copy of the demo plan as parsed from the file (before defaults). */
const demo = (): any => parse(demoText, { version: '1.2', schema: 'core' });

function issuesOf(raw: unknown): PlanIssue[] {
  const result = checkPlan(raw);
  if (result.ok) throw new Error('expected the plan to be rejected');
  return result.issues;
}
const lines = (raw: unknown) => issuesOf(raw).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));

describe('checkPlan on the demo plan', () => {
  it('accepts examples/demo-plan.yaml as is', () => {
    const result = checkPlan(demo());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const plan = result.plan;
    expect(plan.id).toBe('demo-2027');
    expect(plan.start).toBe('2027-01-01'); // YAML 1.2 core schema: dates stay strings
    expect(plan.units.map((u) => u.id)).toEqual(['industry', 'agriculture', 'inspection']);
    expect(addressList(plan.units[1].email)).toEqual(['agri@example.org', 'agri-office@example.org']);
    expect(plan.tasks[2].target).toEqual({ metric: 'counties inspected', total: 100 });
    expect(plan.cadence.escalation).toEqual([
      { afterDaysOverdue: 3, to: 'unitLeader' },
      { afterDaysOverdue: 10, to: 'headquarters' },
    ]);
  });

  it('applies the defaults', () => {
    const raw = demo();
    delete raw.leaders;
    for (const unit of raw.units) delete unit.leader;
    raw.cadence = { sendTime: '08:30', requestOffsetDays: -10, dueOffsetDays: 5 };
    raw.calendar = {};
    const result = checkPlan(raw);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.plan.locale).toBe('en');
    expect(result.plan.leaders).toEqual([]);
    expect(result.plan.cadence).toEqual({
      sendTime: '08:30',
      requestOffsetDays: -10,
      dueOffsetDays: 5,
      reminderDays: [],
      escalation: [],
      closeAfterDays: 90,
      revisionDays: 5,
    });
    expect(result.plan.reviews).toEqual({ semiAnnualOffsetDays: 20, annualOffsetDays: 30 });
    expect(result.plan.assessment).toEqual({ advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1 });
    expect(result.plan.calendar).toEqual({ workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [], extraWorkdays: [] });
  });

  it('keeps the calendar optional and the demo values the defaults would replace', () => {
    const raw = demo();
    delete raw.calendar;
    raw.locale = 'zh-CN';
    raw.cadence.closeAfterDays = 11;
    const result = checkPlan(raw);
    expect(result).toMatchObject({ ok: true, plan: { locale: 'zh-CN', cadence: { closeAfterDays: 11 } } });
    if (result.ok) expect(result.plan.calendar).toBeUndefined();
  });

  it('does not change its input', () => {
    const raw = demo();
    const copy = structuredClone(raw);
    checkPlan(raw);
    expect(raw).toEqual(copy);
  });
});

describe('checkPlan boundaries', () => {
  it('allows exactly ten years and rejects one day more', () => {
    const raw = demo();
    raw.end = '2036-12-31';
    expect(checkPlan(raw).ok).toBe(true);
    raw.end = '2037-01-01';
    expect(lines(raw)).toEqual([
      'end: must be 2036-12-31 or earlier: a plan may span at most 10 years, got "2037-01-01"',
    ]);
  });

  it('allows a one-day plan and leap days', () => {
    const raw = demo();
    raw.start = '2028-02-29';
    raw.end = '2028-02-29';
    expect(checkPlan(raw).ok).toBe(true);
    raw.end = '2038-02-28';
    expect(checkPlan(raw).ok).toBe(true);
    raw.end = '2038-03-01';
    expect(lines(raw)).toEqual([
      'end: must be 2038-02-28 or earlier: a plan may span at most 10 years, got "2038-03-01"',
    ]);
  });

  it('allows a reminder on the day of the request and rejects one a day earlier', () => {
    const raw = demo();
    raw.cadence.reminderDays = [-15];
    expect(checkPlan(raw).ok).toBe(true);
    raw.cadence.reminderDays = [-16];
    expect(lines(raw)).toEqual([
      'cadence.reminderDays[0]: must be -15 or more so the reminder does not come before the request: ' +
        '5 + (-16) = -11 is before requestOffsetDays (-10), got -16',
    ]);
  });

  it('allows a request one day before the due day', () => {
    const raw = demo();
    raw.cadence.requestOffsetDays = 4;
    raw.cadence.reminderDays = [-1, 0];
    expect(checkPlan(raw).ok).toBe(true);
  });

  it('allows closeAfterDays one day after the last escalation', () => {
    const raw = demo();
    raw.cadence.closeAfterDays = 11;
    expect(checkPlan(raw).ok).toBe(true);
  });

  it('allows unitLeader escalation when every unit has a leader, and unit leaders missing without it', () => {
    const raw = demo();
    delete raw.units[2].leader;
    raw.cadence.escalation = [{ afterDaysOverdue: 3, to: 'headquarters' }];
    expect(checkPlan(raw).ok).toBe(true);
  });

  it('names each unit without a leader once, at the first unitLeader step', () => {
    const raw = demo();
    delete raw.units[2].leader;
    raw.cadence.escalation = [
      { afterDaysOverdue: 1, to: 'unitLeader' },
      { afterDaysOverdue: 2, to: 'unitLeader' },
    ];
    expect(lines(raw)).toEqual([
      `cadence.escalation[0].to: escalates to the unit's leader, but unit "inspection" (units[2]) has no leader`,
    ]);
  });

  it('reports an unknown leader when the plan lists no leaders', () => {
    const raw = demo();
    delete raw.leaders;
    raw.units[1].leader = undefined;
    raw.units[2].leader = undefined;
    raw.cadence.escalation = [];
    expect(lines(raw)).toEqual(['units[0].leader: unknown leader "li"; the plan lists no leaders']);
  });
});

describe('checkPlan reports every problem', () => {
  it('runs the cross-checks even when the schema rejects the plan', () => {
    const raw = demo();
    raw.title = 7;
    raw.units[0].leader = 'wang';
    raw.tasks[0].units = ['industry', 'industry'];
    raw.calendar.holidays[0] = '2027-02-30';
    raw.cadence.sendTime = '25:00';
    expect(lines(raw)).toEqual([
      'title: must be a string, got 7',
      'units[0].leader: unknown leader "wang"; the leaders are "li", "zhang"',
      'tasks[0].units[1]: duplicate unit "industry" (already listed at tasks[0].units[0])',
      'cadence.sendTime: must be a local time written HH:MM (00:00-23:59), got "25:00"',
      'calendar.holidays[0]: must be a real calendar date, got "2027-02-30" (February 2027 has 28 days)',
    ]);
  });

  it('reports each unknown field on its own', () => {
    const raw = demo();
    raw.colour = 'red';
    raw.tasks[0].colour = 'red';
    raw.tasks[0].owner = 'li';
    expect(lines(raw)).toEqual(['unknown field "colour"', 'tasks[0]: unknown field "colour"', 'tasks[0]: unknown field "owner"']);
  });

  it('does not pile reference errors on a list that is itself malformed', () => {
    const raw = demo();
    raw.leaders = 'li, zhang';
    raw.aspects = null;
    expect(lines(raw)).toEqual(['leaders: must be a list, got "li, zhang"', 'aspects: must be a list, got null']);
  });

  it('rejects what is not a plan object', () => {
    expect(lines(undefined)).toEqual(['the file holds no plan']);
    expect(lines(null)).toEqual(['the file holds no plan']);
    expect(lines([demo()])).toEqual(['the plan must be an object with fields such as id, title, units and tasks, got a list']);
    expect(lines(42)).toEqual(['the plan must be an object with fields such as id, title, units and tasks, got 42']);
  });

  it('lists every missing required field of an empty object', () => {
    expect(lines({})).toEqual(
      ['id', 'title', 'timezone', 'start', 'end', 'headquarters', 'units', 'aspects', 'tasks', 'cadence'].map(
        (field) => `${field}: is required`,
      ),
    );
  });

  it('never throws, whatever the input', () => {
    const values = [null, undefined, 0, -1, 1.5, '', 'x', '2027-02-30', [], [null], {}, { id: 'x' }, true, 'unitLeader'];
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      if (path.length > 0) paths.push(path);
      if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) walk(inner, [...path, Array.isArray(value) ? Number(key) : key]);
      }
    };
    walk(demo(), []);
    let seed = 1;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const raw = demo();
      for (let k = 0; k <= i % 3; k++) {
        const path = paths[random(paths.length)];
        let parent = raw;
        for (const segment of path.slice(0, -1)) parent = parent?.[segment];
        if (parent && typeof parent === 'object') parent[path[path.length - 1]] = values[random(values.length)];
      }
      const result = checkPlan(raw);
      if (!result.ok) {
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) expect(issue.message).toMatch(/^[a-z"A-Z]/);
      } else {
        expect(planSchema.safeParse(raw).success).toBe(true);
      }
    }
  });
});

describe('helpers', () => {
  it('formats paths', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['units', 1, 'leader'])).toBe('units[1].leader');
    expect(formatPath(['cadence', 'reminderDays', 0])).toBe('cadence.reminderDays[0]');
    expect(formatPath(['units', 0, 'odd key'])).toBe('units[0]["odd key"]');
  });

  it('knows real calendar dates', () => {
    for (const date of ['2027-01-01', '2028-02-29', '2000-02-29', '2027-12-31']) expect(isRealDate(date)).toBe(true);
    for (const date of ['2027-02-29', '1900-02-29', '2027-02-30', '2027-04-31', '2027-13-01', '2027-00-10', '2027-01-00', '2027-1-1']) {
      expect(isRealDate(date)).toBe(false);
    }
  });

  it('knows time zones', () => {
    for (const zone of ['Asia/Shanghai', 'UTC', 'Europe/Berlin', 'America/New_York']) expect(isKnownTimeZone(zone)).toBe(true);
    for (const zone of ['Asia/Shangai', 'Moon/Base', '', 'GMT+25']) expect(isKnownTimeZone(zone)).toBe(false);
  });
});

describe('the plan contract stays sandbox-safe', () => {
  it('imports nothing but zod and its own modules', () => {
    const dir = fileURLToPath(new URL('../../workflows/contract/', import.meta.url));
    for (const name of ['plan.ts', 'plan-check.ts']) {
      const source = readFileSync(`${dir}${name}`, 'utf8');
      const imports = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const spec of imports) expect(spec === 'zod' || /^\.\/[\w-]+\.js$/.test(spec), `${name} imports ${spec}`).toBe(true);
      expect(source).not.toMatch(/\bprocess\.|\brequire\(/);
    }
  });
});
