/** English texts of the notices. */
export const en = {
  kind: { request: 'Report request', reminder: 'Reminder', escalation: 'Escalation', returned: 'Returned for revision', extended: 'Due day extended' },
  subject: {
    request: (v: V) => `[${v.planId}] Report request: ${v.taskTitle} (${v.period}), due ${v.dueDay}`,
    reminder: (v: V) => `[${v.planId}] Reminder ${v.number}: report on ${v.taskTitle} (${v.period}) due ${v.dueDay}`,
    escalation: (v: V) => `[${v.planId}] Escalation level ${v.number}: ${v.unitName} has not reported on ${v.taskTitle} (${v.period})`,
    returned: (v: V) => `[${v.planId}] Your report was returned for revision: ${v.taskTitle} (${v.period}), now due ${v.dueDay}`,
    extended: (v: V) => `[${v.planId}] More time granted: ${v.taskTitle} (${v.period}) is now due ${v.dueDay}`,
  },
  lead: {
    request: (v: V) => `${v.unitName} is asked for its progress report on "${v.taskTitle}" for ${v.period}.`,
    reminder: (v: V) => `The progress report of ${v.unitName} on "${v.taskTitle}" for ${v.period} has not arrived yet.`,
    escalation: (v: V) =>
      `${v.unitName} has not submitted its progress report on "${v.taskTitle}" for ${v.period}, which was due on ${v.dueDay}.`,
    returned: (v: V) =>
      `Your report was returned for revision: headquarters asks ${v.unitName} to revise its progress report on "${v.taskTitle}" for ${v.period} and submit it again by ${v.dueDay}.`,
    extended: (v: V) => `Headquarters has given ${v.unitName} more time for its progress report on "${v.taskTitle}" for ${v.period}: it is now due on ${v.dueDay}.`,
  },
  facts: {
    plan: 'Plan',
    task: 'Task',
    unit: 'Responsible unit',
    period: 'Quarter',
    due: 'Due day',
    newDue: 'New due day',
    deadline: 'On time until',
    round: 'Revision round',
    previousDue: 'Previous due day',
  },
  /** Headquarters' comment on a returned report, shown above the facts. */
  comment: "Headquarters' comment",
  /** Headquarters' reason for an extension, shown above the facts. */
  reason: 'Reason for the extension',
  next: {
    none: 'This is the last notice of the ladder; the missing report stays on record as missing.',
    reminder: (at: string) => `If no report arrives, a reminder follows on ${at}.`,
    unitLeader: (at: string) => `If no report arrives, the unit's leader is notified on ${at}.`,
    headquarters: (at: string) => `If no report arrives, headquarters is notified on ${at}.`,
    unit: (at: string) => `If no report arrives, another notice follows on ${at}.`,
    /** A returned report with no further notice scheduled. */
    revise: 'Please submit the revised report by the new due day.',
  },
  links: {
    /** Followed by ": <url>". */
    report: 'Submit your report',
    leader: "Your units' reports (leader view)",
    unit: "All your unit's reports of the plan",
  },
  /** Between a label and its value ("Plan: ..."). */
  sep: ': ',
  howToReport: 'Reply with your report through the review-cycles portal or: npx review-cycles report submit',
  footer: 'Sent by review-cycles on behalf of headquarters.',
  /** A digest: several notices of one instant to the same recipients, in one message. */
  digest: {
    /** Singular and plural of each kind, for the subject's count. */
    kinds: {
      request: ['report request', 'report requests'],
      reminder: ['reminder', 'reminders'],
      escalation: ['escalation', 'escalations'],
      returned: ['report returned for revision', 'reports returned for revision'],
      extended: ['due day extended', 'due days extended'],
      review: ['review', 'reviews'],
      summary: ['summary', 'summaries'],
      lagging: ['lagging notice', 'lagging notices'],
      'finding-assigned': ['finding to rectify', 'findings to rectify'],
      'claim-received': ['claim to verify', 'claims to verify'],
      'verify-reminder': ['claim awaiting your decision', 'claims awaiting your decision'],
      'claim-rejected': ['rejected claim', 'rejected claims'],
      recheck: ['re-check due', 're-checks due'],
      'finding-reopened': ['reopened finding', 'reopened findings'],
      'finding-extended': ['finding deadline extended', 'finding deadlines extended'],
    } as Record<string, readonly [string, string]>,
    count: (n: number, [one, many]: readonly [string, string]) => `${n} ${n === 1 ? one : many}`,
    mixed: (n: number, parts: string[]) => `${n} notices (${parts.join(', ')})`,
    subject: (planId: string, what: string, period?: string, dueDay?: string) => `[${planId}] ${what}${period ? ` for ${period}` : ''}${dueDay ? `, due ${dueDay}` : ''}`,
    lead: (n: number, planTitle: string, at: string) => `${n} notices of "${planTitle}" for you, sent on ${at}. Each line has its own link.`,
    columns: { item: 'Task', period: 'Quarter', notice: 'Notice', due: 'Due day', lateness: 'Lateness', link: 'Link' },
    notice: {
      request: () => 'Report request',
      reminder: (n: number) => `Reminder ${n}`,
      escalation: (n: number) => `Escalation level ${n}`,
      returned: (n: number) => `Returned for revision (round ${n})`,
      extended: (n: number) => `Due day extended (extension ${n})`,
    },
    lateness: (days: number) => (days < 0 ? `due in ${-days} day${days === -1 ? '' : 's'}` : days === 0 ? 'due today' : `${days} day${days === 1 ? '' : 's'} overdue`),
    none: '-',
    /** Between the facts of one line of the text body. */
    join: '; ',
  },
  format: {
    /** A local day (YYYY-MM-DD) as written in the notices. */
    day: (day: string) => day,
    /** A quarter id (YYYY-Qn) as written in the notices. */
    period: (period: string) => period,
    /** A quarter as a fact, with its id. */
    periodFact: (period: string) => period,
    /** A local date and time with its zone. */
    time: (t: LocalParts, timezone: string) => `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute} (${timezone})`,
  },
};

/** A local date and time, each part zero-padded (month "03", day "07", hour "09"). */
export interface LocalParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
}

export interface V {
  planId: string;
  planTitle: string;
  taskTitle: string;
  unitName: string;
  period: string;
  dueDay: string;
  number: number;
}

export type Catalogue = typeof en;
