/** The behaviour file's `extensions`: read from YAML as `rehearse --behaviour` reads it, every bad entry located. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadBehaviourFile } from '../../client/rehearse/behaviour.js';
import { yearPlan } from '../fixtures/plans.js';

const dir = mkdtempSync(join(tmpdir(), 'rc-behaviour-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const plan = yearPlan();

describe('extensions in a behaviour file', () => {
  test('are read with their instant, report, day, reason and who', async () => {
    const file = write('good.yaml', [
      'extensions:',
      '  - { at: "2030-07-06T10:00:00+08:00", task: t1, unit: late, period: 2030-Q2, until: 2030-07-10, reason: flood, by: HQ }',
    ].join('\n'));
    const loaded = await loadBehaviourFile(file, plan);
    expect(loaded).toEqual({ ok: true, behaviour: expect.objectContaining({ extensions: [{ at: '2030-07-06T10:00:00+08:00', task: 't1', unit: 'late', period: '2030-Q2', until: '2030-07-10', reason: 'flood', by: 'HQ' }] }) });
  });

  test('a malformed entry is refused field by field, with the file and the path', async () => {
    const file = write('bad.yaml', [
      'extensions:',
      '  - { at: "next Tuesday", task: t1, unit: late, period: Q2, until: 10/07/2030, reason: "" }',
    ].join('\n'));
    const loaded = await loadBehaviourFile(file, plan);
    expect(loaded.ok).toBe(false);
    const errors = (loaded as { errors: string[] }).errors;
    expect(errors).toEqual(expect.arrayContaining([
      `${file}: extensions[0].at: must be an ISO instant with its offset, e.g. 2027-07-01T10:00:00+08:00`,
      `${file}: extensions[0].period: must be a quarter written YYYY-Qn`,
      `${file}: extensions[0].until: must be a day written YYYY-MM-DD`,
      `${file}: extensions[0].reason: must say why the report is given more time`,
    ]));
    expect(errors).toHaveLength(4);
  });

  test('names the plan does not have are refused against the plan', async () => {
    const file = write('names.yaml', [
      'extensions:',
      '  - { at: "2030-07-06T10:00:00+08:00", task: t9, unit: late, period: 2030-Q2, until: 2030-07-10, reason: x }',
      '  - { at: "2030-07-06T10:00:00+08:00", task: t1, unit: nobody, period: 2031-Q1, until: 2030-07-10, reason: x }',
    ].join('\n'));
    expect(await loadBehaviourFile(file, plan)).toEqual({
      ok: false,
      errors: [
        `${file}: extensions[0].task: unknown task "t9" in plan cycle-2030`,
        `${file}: extensions[1].unit: unit "nobody" is not responsible for task "t1"`,
        `${file}: extensions[1].period: 2031-Q1 is not a quarter of plan cycle-2030`,
      ],
    });
  });
});
