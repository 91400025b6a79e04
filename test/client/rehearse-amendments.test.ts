/** The behaviour file's `amendments`: each plan file read relative to the behaviour file and checked like a new plan. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadBehaviourFile } from '../../client/rehearse/behaviour.js';
import { yearPlan } from '../fixtures/plans.js';

const dir = mkdtempSync(join(tmpdir(), 'rc-behaviour-amend-'));
mkdirSync(join(dir, 'plans'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const plan = yearPlan();
const v2 = { ...yearPlan(), tasks: [...plan.tasks, { id: 't2', aspect: 'a', title: 'Task Two', units: ['late'] }] };
write('plans/v2.yaml', stringify(v2));

describe('amendments in a behaviour file', () => {
  test('are read with their instant, reason and plan, the plan file relative to the behaviour file', async () => {
    const file = write('good.yaml', [
      'amendments:',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/v2.yaml, reason: "2031 holidays announced", by: HQ }',
      'rules:',
      '  - { task: t2, submit: { daysAfterRequest: 1 } }',
    ].join('\n'));
    const loaded = await loadBehaviourFile(file, plan);
    expect(loaded.ok).toBe(true);
    const [a] = (loaded as unknown as { behaviour: { amendments: { at: string; reason: string; by: string; plan: { tasks: { id: string }[] } }[] } }).behaviour.amendments;
    expect(a).toMatchObject({ at: '2030-11-25T10:00:00+08:00', reason: '2031 holidays announced', by: 'HQ' });
    // A rule may name a task that only the amended version has.
    expect(a.plan.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
  });

  test('a missing file, a plan with errors and a plan of another id are refused with the file and the path', async () => {
    write('plans/bad.yaml', stringify({ ...v2, tasks: [{ id: 't1', aspect: 'nope', title: 'x', units: ['late'] }] }));
    write('plans/other.yaml', stringify({ ...v2, id: 'another-plan' }));
    const file = write('bad.yaml', [
      'amendments:',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/missing.yaml, reason: x }',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/bad.yaml, reason: x }',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/other.yaml, reason: x }',
      '  - { at: "soon", plan: plans/v2.yaml, reason: "" }',
    ].join('\n'));
    const loaded = await loadBehaviourFile(file, plan);
    expect(loaded.ok).toBe(false);
    const errors = (loaded as { errors: string[] }).errors;
    expect(errors).toEqual(expect.arrayContaining([
      `${file}: amendments[3].at: must be an ISO instant with its offset, e.g. 2027-11-25T10:00:00+08:00`,
      `${file}: amendments[3].reason: must say why the plan is amended`,
    ]));
    expect(errors).toHaveLength(2);
    const fixed = write('bad2.yaml', [
      'amendments:',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/missing.yaml, reason: x }',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/bad.yaml, reason: x }',
      '  - { at: "2030-11-25T10:00:00+08:00", plan: plans/other.yaml, reason: x }',
    ].join('\n'));
    const again = (await loadBehaviourFile(fixed, plan)) as { ok: false; errors: string[] };
    expect(again.ok).toBe(false);
    expect(again.errors[0]).toMatch(new RegExp(`^${fixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: amendments\\[0\\]\\.plan: .*missing\\.yaml`));
    expect(again.errors.some((e) => e.startsWith(`${fixed}: amendments[1].plan: `) && e.includes('tasks[0].aspect'))).toBe(true);
    expect(again.errors).toContain(`${fixed}: amendments[2].plan: plan id another-plan is not cycle-2030, the plan rehearsed`);
  });
});
