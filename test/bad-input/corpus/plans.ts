/**
 * Bad plan files, as data: each is a mutation of one valid plan (or a raw text), written as YAML or JSON, with the
 * path of the error `plan validate` must print and a fragment of its message.
 */
import { stringify } from 'yaml';

/** One bad plan file. */
export interface PlanCase {
  name: string;
  ext: 'yaml' | 'json';
  text: string;
  /** The located error: its path (`""` for the file as a whole) and a fragment of its message. */
  path: string;
  fragment: string;
}

/** A valid plan (2027, two units, two tasks, one with a target). */
export function basePlan(): Record<string, any> {
  return {
    id: 'bad-input-plan',
    title: 'Bad input plan',
    timezone: 'Asia/Shanghai',
    start: '2027-01-01',
    end: '2027-12-31',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [{ id: 'l1', name: 'Leader', email: 'l1@example.org' }],
    units: [
      { id: 'alpha', name: 'Alpha', email: 'alpha@example.org', leader: 'l1' },
      { id: 'beta', name: 'Beta', email: ['beta@example.org'], leader: 'l1' },
    ],
    aspects: [{ id: 'a', title: 'Aspect' }],
    tasks: [
      { id: 't1', aspect: 'a', title: 'Task one', units: ['alpha'], target: { metric: 'km', total: 50 } },
      { id: 't2', aspect: 'a', title: 'Task two', units: ['beta'] },
    ],
    cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5, reminderDays: [-3], escalation: [{ afterDaysOverdue: 3, to: 'unitLeader' }] },
  };
}

type Mutation = [name: string, change: (p: Record<string, any>) => void, path: string, fragment: string];

const mutations: Mutation[] = [
  // Wrong types, field by field
  ['id is a number', (p) => (p.id = 42), 'id', 'must be'],
  ['id with a space', (p) => (p.id = 'my plan'), 'id', 'must be 1-64 letters'],
  ['id of 65 characters', (p) => (p.id = 'a'.repeat(65)), 'id', 'must be 1-64 letters'],
  ['id with RTL override', (p) => (p.id = 'plan\u202Eevil'), 'id', 'bidirectional'],
  ['id with zero-width space', (p) => (p.id = 'plan\u200B'), 'id', 'must be 1-64 letters'],
  ['id with an emoji', (p) => (p.id = 'plan🎉'), 'id', 'must be 1-64 letters'],
  ['title is a list', (p) => (p.title = ['a']), 'title', 'must be'],
  ['title is null', (p) => (p.title = null), 'title', 'must be'],
  ['title is empty', (p) => (p.title = ''), 'title', 'must not be empty'],
  ['timezone is a number', (p) => (p.timezone = 8), 'timezone', 'must be'],
  ['timezone as an offset', (p) => (p.timezone = '+08:00'), 'timezone', 'unknown time zone'],
  ['timezone with a NUL', (p) => (p.timezone = 'Asia/Shanghai\u0000'), 'timezone', 'control characters'],
  ['timezone lower case garbage', (p) => (p.timezone = 'mars/olympus'), 'timezone', 'unknown time zone'],
  ['start as a number', (p) => (p.start = 20270101), 'start', 'must be'],
  ['start with a time', (p) => (p.start = '2027-01-01T00:00:00Z'), 'start', 'YYYY-MM-DD'],
  ['start February 30', (p) => (p.start = '2027-02-30'), 'start', 'February 2027 has 28 days'],
  ['end month 00', (p) => (p.end = '2027-00-10'), 'end', 'there is no month 00'],
  ['end with full-width digits', (p) => (p.end = '２０２７-12-31'), 'end', 'YYYY-MM-DD'],
  ['end in year 9999', (p) => (p.end = '9999-12-31'), 'end', 'at most 10 years'],
  ['headquarters missing', (p) => delete p.headquarters, 'headquarters', 'is required'],
  ['headquarters email with a newline', (p) => (p.headquarters.email = 'hq@example.org\nBcc: x@evil.example'), 'headquarters.email', 'e-mail address'],
  ['headquarters email with a display name', (p) => (p.headquarters.email = 'HQ <hq@example.org>'), 'headquarters.email', 'e-mail address'],
  ['unit email an object', (p) => (p.units[0].email = { to: 'a@example.org' }), 'units[0].email', 'e-mail address'],
  ['units is an object', (p) => (p.units = { alpha: {} }), 'units', 'must be'],
  ['units empty', (p) => (p.units = []), 'units', 'at least'],
  ['unit id unknown to a task', (p) => (p.tasks[1].units = ['gamma']), 'tasks[1].units[0]', 'unknown unit "gamma"'],
  ['unit leader unknown', (p) => (p.units[1].leader = 'l9'), 'units[1].leader', 'unknown leader "l9"'],
  ['unit with an unknown field', (p) => (p.units[0].phone = '123'), 'units[0]', 'phone'],
  ['aspect of a task unknown', (p) => (p.tasks[0].aspect = 'zz'), 'tasks[0].aspect', 'unknown aspect "zz"'],
  ['task units a string', (p) => (p.tasks[0].units = 'alpha'), 'tasks[0].units', 'must be'],
  ['target total negative', (p) => (p.tasks[0].target.total = -5), 'tasks[0].target.total', 'greater than 0'],
  ['target total a string', (p) => (p.tasks[0].target.total = '50'), 'tasks[0].target.total', 'must be'],
  ['target metric empty', (p) => (p.tasks[0].target.metric = ''), 'tasks[0].target.metric', 'must not be empty'],
  ['target reported by another unit', (p) => (p.tasks[0].target.reportedBy = 'beta'), 'tasks[0].target.reportedBy', "must be one of the task's units"],
  ['target with an unknown field', (p) => (p.tasks[0].target.unit = 'km'), 'tasks[0].target', 'unit'],
  ['sendTime 24:00', (p) => (p.cadence.sendTime = '24:00'), 'cadence.sendTime', 'HH:MM'],
  ['sendTime a number', (p) => (p.cadence.sendTime = 900), 'cadence.sendTime', 'must be'],
  ['requestOffsetDays fractional', (p) => (p.cadence.requestOffsetDays = -10.5), 'cadence.requestOffsetDays', 'whole number'],
  ['dueOffsetDays a string', (p) => (p.cadence.dueOffsetDays = 'five'), 'cadence.dueOffsetDays', 'must be'],
  ['reminderDays a number', (p) => (p.cadence.reminderDays = 3), 'cadence.reminderDays', 'must be'],
  ['escalation to nobody', (p) => (p.cadence.escalation[0].to = 'mayor'), 'cadence.escalation[0].to', 'unitLeader'],
  ['closeAfterDays zero', (p) => (p.cadence.closeAfterDays = 0), 'cadence.closeAfterDays', 'must be 1 or more'],
  ['closeAfterDays 1e308', (p) => (p.cadence.closeAfterDays = 1e308), 'cadence.closeAfterDays', ''],
  ['revisionDays negative', (p) => (p.cadence.revisionDays = -1), 'cadence.revisionDays', 'must be 1 or more'],
  ['calendar workweek a string', (p) => (p.calendar = { workweek: 'mon-fri' }), 'calendar.workweek', 'must be'],
  ['holiday not a date', (p) => (p.calendar = { holidays: ['soon'] }), 'calendar.holidays[0]', 'YYYY-MM-DD'],
  ['assessment share above 1', (p) => (p.assessment = { advancedShare: 2 }), 'assessment.advancedShare', 'between 0 and 1'],
  ['reviews offset a string', (p) => (p.reviews = { annualOffsetDays: '30' }), 'reviews.annualOffsetDays', 'must be'],
  ['locale unknown', (p) => (p.locale = 'xx-YY'), 'locale', ''],
  ['an unknown root field', (p) => (p.owner = 'me'), '', 'unknown field "owner"'],
  ['a title with a NUL', (p) => (p.title = 'Bad\u0000plan'), 'title', 'control characters'],
  ['a unit name with an RTL override', (p) => (p.units[0].name = 'Alpha \u202Egnp.exe'), 'units[0].name', 'bidirectional'],
  ['a task title with a lone surrogate', (p) => (p.tasks[0].title = 'Task \uDC00'), 'tasks[0].title', 'well-formed'],
  ['a field name with a NUL', (p) => (p.cadence['send\u0000Time'] = '09:00'), 'cadence["send\\u0000Time"]', 'field name'],
  ['prototype pollution key', (p) => Object.defineProperty(p, '__proto__', { value: { admin: true }, enumerable: true }), '', 'unknown field "__proto__"'],
];

const asText = (plan: Record<string, any>, ext: 'yaml' | 'json') => (ext === 'json' ? JSON.stringify(plan, null, 2) : stringify(plan));

const billionLaughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');

/** Raw texts: parsers' worst cases. */
const raw: PlanCase[] = [
  { name: 'YAML billion laughs', ext: 'yaml', text: `${billionLaughs}\n`, path: '', fragment: 'aliases' },
  { name: 'YAML billion laughs inside a plan field', ext: 'yaml', text: `${stringify(basePlan())}${billionLaughs.replace(/^a:/m, 'x:')}\n`, path: '', fragment: 'aliases' },
  { name: 'YAML alias that contains itself', ext: 'yaml', text: stringify(basePlan()).replace(/^title: .*$/m, 'title: &t [1, *t]'), path: 'title[1][1]', fragment: 'levels deep' },
  { name: 'YAML alias to nothing', ext: 'yaml', text: `${stringify(basePlan())}extra: *missing\n`, path: '', fragment: 'YAML' },
  { name: 'YAML deeply nested flow lists', ext: 'yaml', text: `title: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`, path: '', fragment: 'levels deep' },
  { name: 'YAML nested 40 levels', ext: 'yaml', text: `title: ${'['.repeat(40)}x${']'.repeat(40)}\n`, path: 'title[0][0]', fragment: 'levels deep' },
  { name: 'YAML deeply nested block maps', ext: 'yaml', text: Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n', path: 'k0.k1.k2', fragment: 'levels deep' },
  { name: 'YAML two documents', ext: 'yaml', text: `${stringify(basePlan())}---\n${stringify(basePlan())}`, path: '', fragment: 'more than one YAML document' },
  { name: 'YAML tab indentation', ext: 'yaml', text: 'id: x\ntasks:\n\t- id: t1\n', path: '', fragment: 'YAML syntax error' },
  { name: 'YAML binary tag', ext: 'yaml', text: stringify(basePlan()).replace(/^title: .*$/m, 'title: !!binary aGVsbG8='), path: 'title', fragment: 'must be' },
  { name: 'YAML NUL byte', ext: 'yaml', text: stringify(basePlan()).replace('Bad input plan', 'Bad\u0000plan'), path: 'title', fragment: 'control characters' },
  { name: 'JSON deeply nested lists', ext: 'json', text: `{"title": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, path: '', fragment: 'levels deep' },
  { name: 'JSON deeply nested objects', ext: 'json', text: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, path: '', fragment: 'levels deep' },
  { name: 'JSON number too large for a double', ext: 'json', text: asText(basePlan(), 'json').replace('"total": 50', '"total": 1e400'), path: 'tasks[0].target.total', fragment: '' },
  { name: 'JSON lone surrogate escape in an id', ext: 'json', text: asText(basePlan(), 'json').replace('"bad-input-plan"', '"\\ud800"'), path: 'id', fragment: 'well-formed' },
  { name: 'JSON NaN', ext: 'json', text: asText(basePlan(), 'json').replace('"total": 50', '"total": NaN'), path: '', fragment: 'JSON syntax error' },
  { name: 'JSON comment', ext: 'json', text: `// plan\n${asText(basePlan(), 'json')}`, path: '', fragment: 'JSON syntax error' },
  { name: 'JSON single quotes', ext: 'json', text: "{'id': 'x'}", path: '', fragment: 'JSON syntax error' },
  { name: 'JSON truncated', ext: 'json', text: asText(basePlan(), 'json').slice(0, 200), path: '', fragment: 'JSON syntax error' },
  { name: 'JSON raw control character in a string', ext: 'json', text: asText(basePlan(), 'json').replace('Bad input plan', 'Bad\u0001plan'), path: '', fragment: 'control character' },
  { name: 'JSON duplicate key', ext: 'json', text: asText(basePlan(), 'json').replace('"title": "Bad input plan",', '"title": "a", "title": "b",'), path: 'title', fragment: 'duplicate key' },
  { name: 'file over 8 MB', ext: 'yaml', text: `${stringify(basePlan())}# ${'x'.repeat(8 * 1024 * 1024)}\n`, path: '', fragment: 'too large' },
];

/** Every bad plan file of the corpus. */
export const planCases: PlanCase[] = [
  ...mutations.flatMap(([name, change, path, fragment], i): PlanCase[] => {
    const plan = basePlan();
    change(plan);
    // Each mutation once as YAML and, every other one, as JSON too: both parsers, the same checks.
    const ext: ('yaml' | 'json')[] = i % 2 === 0 ? ['yaml', 'json'] : ['yaml'];
    return ext.map((e) => ({ name: `${name} (${e})`, ext: e, text: asText(plan, e), path, fragment }));
  }),
  ...raw,
];
