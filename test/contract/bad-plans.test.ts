/**
 * Table-driven: every file under test/fixtures/bad-plans is a small variation of examples/demo-plan.yaml, loaded with
 * loadPlanFile; the table holds the exact error lines (`<file>: <path>: <message>`, without the `<file>: ` prefix).
 */
import { readdirSync } from 'node:fs';
import { join, relative as relativePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlanFile } from '../../client/plan-file.js';

const dir = fileURLToPath(new URL('../fixtures/bad-plans/', import.meta.url));

const cases: [file: string, errors: string[]][] = [
  // References and ids
  ['unknown-leader.yaml', ['units[0].leader: unknown leader "wang"; the leaders are "li", "zhang"']],
  ['duplicate-leader-id.yaml', ['leaders[1].id: duplicate leader id "li" (already used by leaders[0])']],
  ['duplicate-unit-id.yaml', ['units[3].id: duplicate unit id "industry" (already used by units[0])']],
  ['duplicate-aspect-id.yaml', ['aspects[2].id: duplicate aspect id "rural" (already used by aspects[1])']],
  ['duplicate-task-id.json', ['tasks[2].id: duplicate task id "industrial-upgrade" (already used by tasks[0])']],
  ['unknown-aspect.yaml', ['tasks[1].aspect: unknown aspect "urban"; the aspects are "revitalization", "rural"']],
  [
    'unknown-task-unit.yaml',
    ['tasks[0].units[0]: unknown unit "industri"; the units are "industry", "agriculture", "inspection"'],
  ],
  ['task-without-units.json', ['tasks[0].units: must list at least one unit']],
  ['task-unit-twice.yaml', ['tasks[1].units[2]: duplicate unit "agriculture" (already listed at tasks[1].units[0])']],
  [
    'reported-by-not-task-unit.yaml',
    [`tasks[2].target.reportedBy: must be one of the task's units ("inspection"), got "industry"`],
  ],
  // Time zone and dates
  [
    'unknown-timezone.yaml',
    ['timezone: unknown time zone "Asia/Shangai"; use an IANA name such as "Asia/Shanghai" or "UTC"'],
  ],
  ['invalid-start-date.yaml', ['start: must be a real calendar date, got "2027-02-29" (February 2027 has 28 days)']],
  ['invalid-end-date.json', ['end: must be a real calendar date, got "2027-13-01" (there is no month 13)']],
  [
    'invalid-holiday.yaml',
    ['calendar.holidays[1]: must be a real calendar date, got "2027-04-31" (April 2027 has 30 days)'],
  ],
  [
    'invalid-extra-workday.json',
    ['calendar.extraWorkdays[0]: must be a real calendar date, got "2027-02-30" (February 2027 has 28 days)'],
  ],
  ['start-after-end.yaml', ['end: must not be before start (2028-01-01), got "2027-12-31"']],
  ['plan-too-long.yaml', ['end: must be 2036-12-31 or earlier: a plan may span at most 10 years, got "2037-01-01"']],
  ['bad-date-format.yaml', ['start: must be a date written YYYY-MM-DD, got "2027/01/01"']],
  // E-mail addresses
  ['invalid-email.yaml', ['units[0].email: must be an e-mail address, got "not-an-address"']],
  ['invalid-email-in-list.json', ['units[1].email[1]: must be an e-mail address, got "agri-office@"']],
  ['email-wrong-type.json', ['headquarters.email: must be an e-mail address or a list of e-mail addresses, got 42']],
  ['email-empty-list.json', ['leaders[0].email: must list at least one address']],
  // Cadence
  [
    'request-on-due-day.yaml',
    [
      'cadence.requestOffsetDays: must be less than dueOffsetDays (5) so the request goes out before the due day, got 5',
      'cadence.reminderDays[0]: must be 0 or more so the reminder does not come before the request: 5 + (-3) = 2 is before requestOffsetDays (5), got -3',
      'cadence.reminderDays[1]: must be 0 or more so the reminder does not come before the request: 5 + (-1) = 4 is before requestOffsetDays (5), got -1',
    ],
  ],
  [
    'request-after-due.json',
    ['cadence.requestOffsetDays: must be less than dueOffsetDays (5) so the request goes out before the due day, got 8'],
  ],
  [
    'reminder-before-request.yaml',
    ['cadence.reminderDays[0]: must be -15 or more so the reminder does not come before the request: 5 + (-20) = -15 is before requestOffsetDays (-10), got -20'],
  ],
  [
    'escalation-same-day.yaml',
    [`cadence.escalation[1].afterDaysOverdue: must be greater than the previous step's afterDaysOverdue (3), got 3`],
  ],
  [
    'escalation-decreasing.json',
    [`cadence.escalation[1].afterDaysOverdue: must be greater than the previous step's afterDaysOverdue (10), got 3`],
  ],
  [
    'escalation-unit-without-leader.yaml',
    [`cadence.escalation[0].to: escalates to the unit's leader, but unit "inspection" (units[2]) has no leader`],
  ],
  [
    'escalation-units-without-leaders.json',
    [
      `cadence.escalation[0].to: escalates to the unit's leader, but unit "industry" (units[0]) has no leader`,
      `cadence.escalation[0].to: escalates to the unit's leader, but unit "inspection" (units[2]) has no leader`,
    ],
  ],
  [
    'close-after-not-greater.yaml',
    ['cadence.closeAfterDays: must be greater than the largest afterDaysOverdue (10) so every escalation happens before the quarter closes, got 10'],
  ],
  [
    'close-after-default.json',
    ['cadence.closeAfterDays: must be greater than the largest afterDaysOverdue (120) so every escalation happens before the quarter closes, got 90 (the default)'],
  ],
  ['negative-after-days.yaml', ['cadence.escalation[0].afterDaysOverdue: must be 0 or more, got -1']],
  // Calendar
  [
    'workweek-duplicate-day.yaml',
    ['calendar.workweek[5]: duplicate day "mon" (already listed at calendar.workweek[0])'],
  ],
  [
    'holiday-and-extra-workday.yaml',
    ['calendar.extraWorkdays[1]: must not also be a holiday (calendar.holidays[3]), got "2027-10-01"'],
  ],
  [
    'workweek-bad-day.json',
    ['calendar.workweek[0]: must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", got "monday"'],
  ],
  ['workweek-empty.json', ['calendar.workweek: must name at least one working weekday']],
  // Wrong types and values
  ['total-wrong-type.yaml', ['tasks[2].target.total: must be a number, got "a hundred"']],
  ['task-units-not-a-list.yaml', ['tasks[0].units: must be a list, got "industry"']],
  ['reminder-not-whole.json', ['cadence.reminderDays[1]: must be a whole number, got 1.5']],
  ['offset-not-whole.yaml', ['cadence.dueOffsetDays: must be a whole number, got 5.5']],
  [
    'escalation-bad-recipient.yaml',
    ['cadence.escalation[1].to: must be one of "unitLeader", "headquarters", got "hq"'],
  ],
  ['bad-locale.yaml', ['locale: must be one of "en", "zh-CN", got "fr"']],
  ['bad-send-time.yaml', ['cadence.sendTime: must be a local time written HH:MM (00:00-23:59), got "9am"']],
  [
    'bad-task-id.yaml',
    ['tasks[0].id: must be 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit), got "industrial upgrade"'],
  ],
  ['target-total-zero.json', ['tasks[2].target.total: must be greater than 0, got 0']],
  ['null-title.yaml', ['title: must be a string, got null']],
  ['empty-title.yaml', ['title: must not be empty']],
  ['leaders-not-a-list.json', ['leaders: must be a list, got an object']],
  // Missing fields
  ['missing-title.yaml', ['title: is required']],
  ['missing-cadence.json', ['cadence: is required']],
  ['missing-unit-email.yaml', ['units[0].email: is required']],
  ['missing-request-offset.json', ['cadence.requestOffsetDays: is required']],
  ['no-tasks.json', ['tasks: must list at least one task']],
  // Unknown fields
  ['unknown-field-task.yaml', ['tasks[0]: unknown field "colour"']],
  ['unknown-field-root.json', ['unknown field "owner"']],
  ['unknown-field-cadence.yaml', ['cadence: unknown field "reminders"']],
  // The file itself
  ['yaml-syntax-error.yaml', ['YAML syntax error at 21:1: Sequence item without - indicator']],
  [
    'yaml-unclosed-list.yaml',
    ['YAML syntax error at 30:3: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ],
  [
    'multiple-documents.yaml',
    ['YAML syntax error at 37:1: the file holds more than one YAML document (a second "---" line); a plan file holds one plan'],
  ],
  ['yaml-duplicate-key.yaml', ['title: duplicate key (first at 2:1, again at 6:1)']],
  ['yaml-duplicate-nested-key.yaml', ['cadence.dueOffsetDays: duplicate key (first at 28:3, again at 29:3)']],
  ['json-syntax-error.json', ['JSON syntax error at 4:31: expected a field name in double quotes, found ","']],
  ['json-trailing-comma.json', ['JSON syntax error at 124:5: trailing comma before "]"']],
  ['json-duplicate-key.json', ['title: duplicate key (first at 3:3, again at 4:3)']],
  ['empty.yaml', ['the file is empty']],
  ['blank.json', ['the file is empty']],
  ['comments-only.yml', ['the file holds no plan (only comments)']],
  ['root-array.json', ['the plan must be an object with fields such as id, title, units and tasks, got a list']],
  [
    'root-scalar.yaml',
    ['the plan must be an object with fields such as id, title, units and tasks, got "just some text"'],
  ],
  // Several problems in one file: all reported, in file order
  [
    'multiple-errors.yaml',
    [
      'timezone: unknown time zone "Moon/Base"; use an IANA name such as "Asia/Shanghai" or "UTC"',
      'units[0].email: must be an e-mail address, got "not-an-address"',
      'units[0].leader: unknown leader "wang"; the leaders are "li", "zhang"',
      'tasks[1].units[2]: duplicate unit "agriculture" (already listed at tasks[1].units[0])',
      'tasks[2]: unknown field "colour"',
      'cadence.reminderDays[0]: must be -15 or more so the reminder does not come before the request: 5 + (-20) = -15 is before requestOffsetDays (-10), got -20',
      `cadence.escalation[1].afterDaysOverdue: must be greater than the previous step's afterDaysOverdue (3), got 2`,
      'calendar.holidays[1]: must be a real calendar date, got "2027-02-30" (February 2027 has 28 days)',
    ],
  ],
  [
    'multiple-errors.json',
    [
      'title: is required',
      'end: must not be before start (2027-12-31), got "2027-01-01"',
      'units[0].email: must be an e-mail address, got "industry"',
      'tasks[0].aspect: unknown aspect "urban"; the aspects are "revitalization", "rural"',
      'tasks[1].units[1]: unknown unit "forestry"; the units are "industry", "agriculture", "inspection"',
      'cadence.requestOffsetDays: must be a number, got "ten"',
      'calendar.workweek[5]: duplicate day "fri" (already listed at calendar.workweek[4])',
      'calendar.extraWorkdays[2]: must not also be a holiday (calendar.holidays[7]), got "2027-10-07"',
    ],
  ],
  // Reviews and assessment
  ['weights-negative.yaml', ['assessment.weights.progress: must be 0 or more, got -5']],
  ['weights-unknown-part.yaml', ['assessment.weights: unknown field "speed"']],
  ['weights-all-zero.json', ['assessment.weights: must give at least one part (timeliness, progress, quality, findings) a weight greater than 0']],
  ['weights-not-a-number.json', ['assessment.weights.timeliness: must be a number, got "forty"']],
  ['share-out-of-range.yaml', ['assessment.advancedShare: must be between 0 and 1, got 1.5']],
  ['review-offset-negative.yaml', ['reviews.semiAnnualOffsetDays: must be 0 or more, got -1']],
  ['revision-days-zero.yaml', ['cadence.revisionDays: must be 1 or more, got 0']],
];

describe('bad plan files', () => {
  it.each(cases)('%s', async (name, expected) => {
    const file = join(dir, name);
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(expected.map((line) => `${file}: ${line}`));
  });

  it('covers every fixture, at least 45 of them, in both formats', () => {
    const files = readdirSync(dir).sort();
    expect(cases.map(([name]) => name).sort()).toEqual(files);
    expect(new Set(files).size).toBe(cases.length);
    expect(files.length).toBeGreaterThanOrEqual(45);
    expect(files.filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(15);
    expect(files.filter((f) => /\.ya?ml$/.test(f)).length).toBeGreaterThanOrEqual(15);
  });

  it('uses the file path exactly as given', async () => {
    const relative = relativePath(process.cwd(), join(dir, 'unknown-leader.yaml'));
    const result = await loadPlanFile(relative);
    expect(result).toEqual({
      ok: false,
      errors: [`${relative}: units[0].leader: unknown leader "wang"; the leaders are "li", "zhang"`],
    });
  });
});
