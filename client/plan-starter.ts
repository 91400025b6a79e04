/** `plan init`: a commented starter plan that validates as written, for headquarters to edit into their own. */
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './plans.js';

const SCHEMA_FILE = fileURLToPath(new URL('../schema/plan.schema.json', import.meta.url));

/** The starter plan's text: a three-year plan from the next 1 January, with its schema comment pointing at `schemaRef`. */
export function starterPlan(schemaRef: string, firstYear: number): string {
  const y = (k: number) => firstYear + k;
  return `# yaml-language-server: $schema=${schemaRef}
# A starter plan: edit the ids, names and addresses, then check it with \`review-cycles plan validate <file>\`.
# Every day and time below is local to \`timezone\`. See README.md, "The plan file" and "The rules of time".
id: action-plan-${y(0)}                # used in links and workflow ids: letters, digits, "-", "_", "."
title: Three-Year Action Plan ${y(0)}-${y(2)}
timezone: Asia/Shanghai               # any IANA time zone, e.g. Europe/Berlin or America/New_York
start: ${y(0)}-01-01
end: ${y(2)}-12-31
locale: en                            # or zh-CN: notices and portal pages in Chinese

headquarters: { name: Leading Group Office, email: hq@example.org }

# Leaders are told when one of their units is overdue (see cadence.escalation) or lagging behind.
leaders:
  - { id: leader-a, name: Leader A, email: leader-a@example.org }

# Each unit reports each quarter on each of its tasks; email may also be a list of addresses.
units:
  - { id: unit-a, name: Unit A, email: unit-a@example.org, leader: leader-a }
  - { id: unit-b, name: Unit B, email: [unit-b@example.org, unit-b-office@example.org], leader: leader-a }

aspects:
  - { id: economy, title: Economic development }

tasks:
  - { id: upgrade-industry, aspect: economy, title: Upgrade traditional industries, units: [unit-a, unit-b] }
  - id: inspections
    aspect: economy
    title: Inspect 100 sites
    units: [unit-b]
    target: { metric: sites inspected, total: 100 }   # progress is checked against it at each review

# Days count from each quarter's last day: the request goes out 10 days before it, the report is due 5 days after.
cadence:
  sendTime: "09:00"
  requestOffsetDays: -10
  dueOffsetDays: 5
  reminderDays: [-3, -1, 0]           # relative to the due day
  escalation:                         # for a report that has not arrived, in order
    - { afterDaysOverdue: 3, to: unitLeader }
    - { afterDaysOverdue: 10, to: headquarters }
  closeAfterDays: 90                  # late reports are taken until due day + 90
  revisionDays: 5                     # a returned report is due again 5 days later

# Notice days that are not working days move to a working day.
calendar:
  workweek: [mon, tue, wed, thu, fri]
  holidays: [${y(0)}-01-01, ${y(0)}-10-01, ${y(1)}-01-01, ${y(1)}-10-01, ${y(2)}-01-01, ${y(2)}-10-01]
  extraWorkdays: []                   # make-up working days on a weekend

# Inspection rounds: each finding is rectified by its unit, claimed with evidence and verified closed.
inspections:
  cadence:
    rectifyDays: 60                   # a finding's first deadline = feedback day + 60, unless it has its own
    reminderDays: [-7, -1]            # relative to each round's deadline day
    verifyDays: 5                     # an undecided claim reminds its verifier 5 days later
    reworkDays: 15                    # after a rejection or a reopening: 15 more days
  coverage: { targets: [site-01, site-02, site-03], by: ${y(0)}-12-31 }   # what the rounds must cover, and by when
  rounds:
    - id: ${y(0)}-r1
      title: First inspection round
      feedbackDay: ${y(0)}-04-01
      covers: [site-01, site-02]
      findings:
        - { id: r1-01, title: Project approvals overdue, unit: unit-a }                  # verified by headquarters
        - { id: r1-02, title: Ledger incomplete, unit: unit-b, verifier: unit-a, deadline: ${y(0)}-05-15, recheckAfterDays: 60 }
`;
}

/**
 * Writes the starter plan to `file` (its schema comment relative to it), refusing to replace an existing file.
 * Returns the plan's text.
 */
export async function writeStarterPlan(file: string, now = new Date()): Promise<string> {
  const rel = relative(dirname(resolve(file)), SCHEMA_FILE).split(sep).join('/');
  const text = starterPlan(rel.startsWith('.') ? rel : `./${rel}`, now.getUTCFullYear() + 1);
  try {
    // 'wx' fails if the file exists, so a plan written meanwhile is never replaced either.
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError(`${file} already exists: plan init never replaces a file, choose another name`, 'EUSER');
    throw new UserError(`cannot write ${file} (${code ?? (err as Error).message})`, 'EUSER');
  }
  return text;
}
