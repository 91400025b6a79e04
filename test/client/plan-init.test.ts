/** `review-cycles plan init` as a real subprocess: the starter plan it writes passes `plan validate`, and it never overwrites. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { parse } from 'yaml';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'plan-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [join(root, 'bin/review-cycles.js'), ...args], { cwd: dir }, (err, stdout, stderr) =>
      ok({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('plan init writes a commented starter plan that plan validate accepts', async () => {
  const init = await cli(['plan', 'init', 'starter.yaml']);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  const text = readFileSync(join(dir, 'starter.yaml'), 'utf8');
  // The schema comment points at the package's schema, relative to the new file.
  const ref = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text)?.[1];
  expect(ref).toBeDefined();
  expect(JSON.parse(readFileSync(resolve(dir, ref!), 'utf8')).title).toBe('review-cycles plan');
  const plan = parse(text);
  expect(Object.keys(plan)).toEqual(expect.arrayContaining(['aspects', 'tasks', 'units', 'leaders', 'cadence', 'calendar']));
  expect(plan.cadence.reminderDays.length).toBeGreaterThan(0);
  expect(plan.cadence.escalation.length).toBeGreaterThan(0);
  expect(plan.calendar.holidays.length).toBeGreaterThan(0);

  const check = await cli(['plan', 'validate', 'starter.yaml']);
  expect(check.stderr).toBe('');
  expect(check.code).toBe(0);
  expect(check.stdout).toMatch(/^starter\.yaml: valid plan action-plan-\d{4} \(2 tasks, 2 units, /);
});

test('plan init with no file writes plan.yaml', async () => {
  const init = await cli(['plan', 'init']);
  expect(init.code).toBe(0);
  expect((await cli(['plan', 'validate', 'plan.yaml'])).code).toBe(0);
});

test('plan init refuses to overwrite an existing file, and leaves it as it was', async () => {
  writeFileSync(join(dir, 'mine.yaml'), 'id: my-own-plan\n');
  const init = await cli(['plan', 'init', 'mine.yaml']);
  expect(init.code).toBe(1);
  expect(init.stderr).toBe('review-cycles: mine.yaml already exists: plan init never replaces a file, choose another name\n');
  expect(readFileSync(join(dir, 'mine.yaml'), 'utf8')).toBe('id: my-own-plan\n');
});

test('plan init into a folder that does not exist says so', async () => {
  const init = await cli(['plan', 'init', 'no-such-dir/plan.yaml']);
  expect(init.code).toBe(1);
  expect(init.stderr).toBe('review-cycles: cannot write no-such-dir/plan.yaml (ENOENT)\n');
});
