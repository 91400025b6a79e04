/**
 * Table-driven: every file under test/fixtures/bad-inspections is examples/demo-plan.yaml with an `inspections:`
 * section that breaks one rule; the table holds the exact error lines (without the `<file>: ` prefix).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlanFile } from '../../client/plan-file.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';

const dir = fileURLToPath(new URL('../fixtures/bad-inspections/', import.meta.url));

const cases: [file: string, errors: string[]][] = [
  ["covers-without-coverage.yaml", ["inspections.rounds[0].covers[0]: names target \"c01\", but the plan has no inspections.coverage"]],
  ["deadline-on-feedback-day.yaml", ["inspections.rounds[0].findings[0].deadline: must be after the round's feedback day (2027-04-02), got \"2027-04-02\"", "inspections.rounds[0].findings[1].deadline: must be after the round's feedback day (2027-04-02), got \"2027-03-30\""]],
  ["duplicate-coverage-target.yaml", ["inspections.coverage.targets[2]: duplicate target \"c01\" (already listed at inspections.coverage.targets[0])"]],
  ["duplicate-finding-id.yaml", ["inspections.rounds[1].findings[0].id: duplicate finding id \"f1\" (already used by inspections.rounds[0].findings[0])"]],
  ["duplicate-round-id.yaml", ["inspections.rounds[1].id: duplicate inspection round id \"r1\" (already used by inspections.rounds[0])"]],
  ["escalation-not-increasing.yaml", ["inspections.cadence.escalation[1].afterDaysOverdue: must be greater than the previous step's afterDaysOverdue (5), got 5"]],
  ["feedback-outside-plan.yaml", ["inspections.rounds[0].feedbackDay: must be a day of the plan (2027-01-01 to 2027-12-31), got \"2028-01-05\""]],
  ["finding-without-title.yaml", ["inspections.rounds[0].findings[0].title: is required"]],
  ["invalid-feedback-day.yaml", ["inspections.rounds[0].feedbackDay: must be a real calendar date, got \"2027-02-30\" (February 2027 has 28 days)"]],
  ["leader-escalation-without-leader.yaml", ["cadence.escalation[0].to: escalates to the unit's leader, but unit \"audit\" (units[3]) has no leader", "inspections.cadence.escalation[0].to: escalates to the unit's leader, but unit \"audit\" (responsible for finding \"f1\") has no leader"]],
  ["own-verifier.yaml", ["inspections.rounds[0].findings[0].verifier: must not be the responsible unit itself (\"industry\"): a unit cannot verify its own rectification"]],
  ["rectify-days-zero.yaml", ["inspections.cadence.rectifyDays: must be 1 or more, got 0"]],
  ["unknown-coverage-target.yaml", ["inspections.rounds[0].covers[1]: unknown coverage target \"c04\"; the targets are \"c01\", \"c02\", \"c03\""]],
  ["unknown-finding-field.yaml", ["inspections.rounds[0].findings[0]: unknown field \"owner\""]],
  ["unknown-unit.yaml", ["inspections.rounds[0].findings[0].unit: unknown unit \"industri\"; the units are \"industry\", \"agriculture\", \"inspection\""]],
  ["unknown-verifier.yaml", ["inspections.rounds[0].findings[0].verifier: must be \"headquarters\" or a unit id; unknown unit \"audit\"; the units are \"industry\", \"agriculture\", \"inspection\""]],
];

describe('bad inspections in plan files', () => {
  it.each(cases)('%s', async (name, expected) => {
    const file = join(dir, name);
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(expected.map((line) => `${file}: ${line}`));
  });

  it('covers every fixture', () => {
    expect(cases.map(([name]) => name).sort()).toEqual(readdirSync(dir).sort());
  });

  it('a good inspections section validates, with its defaults', async () => {
    const loaded = await loadPlanFile('examples/demo-plan.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const checked = checkPlan({
      ...loaded.plan,
      inspections: {
        coverage: { targets: ['c01', 'c02'], by: '2027-12-31' },
        rounds: [{ id: 'r1', title: 'Round', feedbackDay: '2027-04-02', covers: ['c01'], findings: [{ id: 'f1', title: 'T', unit: 'industry', verifier: 'agriculture' }] }],
      },
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.plan.inspections?.cadence).toEqual({ rectifyDays: 60, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 });
    expect(checked.plan.inspections?.rounds[0].findings[0]).toMatchObject({ verifier: 'agriculture' });
  });
});
