/** Bad environment variables and CLI flags, as data, each with the variable or flag its error must name. */

/** One bad environment: the loader it goes to, the variable its error names, and a fragment of the rule. */
export interface EnvCase {
  name: string;
  loader: 'worker' | 'start';
  env: Record<string, string>;
  variable: string;
  expect: string;
}

const w = (name: string, variable: string, value: string, expect: string): EnvCase => ({ name, loader: 'worker', env: { [variable]: value }, variable, expect });
const s = (name: string, variable: string, value: string, expect: string, extra: Record<string, string> = {}): EnvCase => ({ name, loader: 'start', env: { [variable]: value, ...extra }, variable, expect });

/** Every bad environment of the corpus. */
export const envCases: EnvCase[] = [
  w('blank task queue', 'REVIEW_CYCLES_TASK_QUEUE', '   ', 'must not be empty'),
  w('task queue with a line break', 'REVIEW_CYCLES_TASK_QUEUE', 'queue\nother', 'line breaks'),
  w('SMTP URL over http', 'REVIEW_CYCLES_SMTP_URL', 'http://mail.example.org', 'smtp://'),
  w('SMTP URL with a space', 'REVIEW_CYCLES_SMTP_URL', 'smtp://mail example.org', 'smtp://'),
  w('SMTP URL with port 99999', 'REVIEW_CYCLES_SMTP_URL', 'smtp://mail.example.org:99999', 'smtp://'),
  w('SMTP URL without a host', 'REVIEW_CYCLES_SMTP_URL', 'smtp://:25', 'smtp://'),
  w('mail from not an address', 'REVIEW_CYCLES_MAIL_FROM', 'review-cycles', 'e-mail address'),
  w('mail from with a header injection', 'REVIEW_CYCLES_MAIL_FROM', 'a@example.org\r\nBcc: x@evil.example', 'e-mail address'),
  w('database URL of MySQL', 'REVIEW_CYCLES_DATABASE_URL', 'mysql://u:p@db/x', 'postgres://'),
  w('database URL with port 70000', 'REVIEW_CYCLES_DATABASE_URL', 'postgres://u:p@db.example.org:70000/x', 'postgres://'),
  w('database URL with a bad escape', 'REVIEW_CYCLES_DATABASE_URL', 'postgres://u:%zz@db/x', 'postgres://'),
  w('database URL without a host', 'REVIEW_CYCLES_DATABASE_URL', 'postgres://', 'postgres://'),
  w('postgres port 0', 'REVIEW_CYCLES_POSTGRES_PORT', '0', 'between 1 and 65535'),
  w('postgres port 65536', 'REVIEW_CYCLES_POSTGRES_PORT', '65536', 'between 1 and 65535'),
  w('postgres port in hex', 'REVIEW_CYCLES_POSTGRES_PORT', '0x1F90', 'port number'),
  w('postgres port in exponent form', 'REVIEW_CYCLES_POSTGRES_PORT', '5e3', 'port number'),
  w('postgres port with a fraction', 'REVIEW_CYCLES_POSTGRES_PORT', '5432.5', 'port number'),
  w('postgres port negative', 'REVIEW_CYCLES_POSTGRES_PORT', '-1', 'port number'),
  w('postgres port a word', 'REVIEW_CYCLES_POSTGRES_PORT', 'five', 'port number'),
  w('public URL with a query', 'REVIEW_CYCLES_PUBLIC_URL', 'https://review.example.org/?a=1', 'without query'),
  w('public URL of javascript:', 'REVIEW_CYCLES_PUBLIC_URL', 'javascript:alert(1)', 'http://'),
  w('public URL with a port out of range', 'REVIEW_CYCLES_PUBLIC_URL', 'https://review.example.org:99999', 'http://'),
  w('public URL with credentials', 'REVIEW_CYCLES_PUBLIC_URL', 'https://user:secret@review.example.org', 'http://'),
  w('public URL without a host', 'REVIEW_CYCLES_PUBLIC_URL', 'https://:8080', 'http://'),
  s('portal port a word', 'REVIEW_CYCLES_PORTAL_PORT', 'http', 'port number'),
  s('portal port 0', 'REVIEW_CYCLES_PORTAL_PORT', '0', 'port number from 1'),
  s('portal port 65536', 'REVIEW_CYCLES_PORTAL_PORT', '65536', 'port number'),
  s('Temporal port negative', 'REVIEW_CYCLES_TEMPORAL_PORT', '-7233', 'port number'),
  s('Temporal UI port in hex', 'REVIEW_CYCLES_TEMPORAL_UI_PORT', '0x2021', 'port number'),
  s('catcher port 1e3', 'REVIEW_CYCLES_SMTP_CATCHER_PORT', '1e3', 'port number'),
  s('portal port the same as Temporal', 'REVIEW_CYCLES_PORTAL_PORT', '7233', 'must differ', { REVIEW_CYCLES_TEMPORAL_PORT: '7233' }),
  s('blank HQ credential', 'REVIEW_CYCLES_HQ_CREDENTIAL', '   ', 'must not be blank'),
  s('bad worker setting through npm start', 'REVIEW_CYCLES_MAIL_FROM', 'nobody', 'e-mail address'),
];

/** One bad command line: its arguments after `review-cycles`, and a fragment of commander's or our own error. */
export interface FlagCase {
  name: string;
  argv: string[];
  expect: string;
}

const submit = ['report', 'submit', 'some-plan', '--task', 't1', '--unit', 'alpha', '--period', '2027-Q1', '--status', 'on-track', '--summary', 'ok'];

/** Every bad command line of the corpus (none reaches Temporal or the database). */
export const flagCases: FlagCase[] = [
  { name: 'unknown command', argv: ['plan', 'frobnicate'], expect: "unknown command 'frobnicate'" },
  { name: 'unknown top-level command', argv: ['deploy'], expect: "unknown command 'deploy'" },
  { name: 'unknown flag', argv: [...submit, '--bogus'], expect: "unknown option '--bogus'" },
  { name: 'misspelt flag', argv: [...submit, '--sumary', 'x'], expect: "unknown option '--sumary'" },
  { name: 'bad status choice', argv: [...submit.slice(0, -4), '--status', 'fine', '--summary', 'ok'], expect: "argument 'fine' is invalid" },
  { name: 'progress not a number', argv: [...submit, '--progress', 'lots'], expect: 'must be a number, got "lots"' },
  { name: 'progress empty', argv: [...submit, '--progress', ''], expect: 'must be a number' },
  { name: 'progress Infinity', argv: [...submit, '--progress', 'Infinity'], expect: 'must be a number' },
  { name: 'progress in hex', argv: [...submit, '--progress', '0x10'], expect: 'must be a number' },
  { name: 'missing required flag', argv: ['report', 'submit', 'some-plan', '--task', 't1'], expect: "required option '--unit <unitId>' not specified" },
  { name: 'missing plan id', argv: ['plan', 'status'], expect: "missing required argument 'planId'" },
  { name: 'too many arguments', argv: ['plan', 'status', 'a', 'b'], expect: 'too many arguments' },
  { name: 'flag without its value', argv: ['report', 'submit', 'p', '--task'], expect: "option '--task <taskId>' argument missing" },
  { name: 'bad ledger format', argv: ['ledger', 'export', 'p', '--format', 'pdf', '--out', 'x'], expect: "argument 'pdf' is invalid" },
  { name: 'summary file that does not exist', argv: [...submit.slice(0, -2), '--summary-file', '/no/such/file.txt'], expect: 'summary-file' },
  { name: 'plan validate of a folder', argv: ['plan', 'validate', '/'], expect: 'it is a directory' },
  { name: 'plan validate of a missing file', argv: ['plan', 'validate', '/no/such/plan.yaml'], expect: 'it does not exist' },
];
