/** English texts of the notices. */
export const en = {
  kind: { request: 'Report request', reminder: 'Reminder', escalation: 'Escalation' },
  subject: {
    request: (v: V) => `[${v.planId}] Report request: ${v.taskTitle} (${v.period}), due ${v.dueDay}`,
    reminder: (v: V) => `[${v.planId}] Reminder ${v.number}: report on ${v.taskTitle} (${v.period}) due ${v.dueDay}`,
    escalation: (v: V) => `[${v.planId}] Escalation level ${v.number}: ${v.unitName} has not reported on ${v.taskTitle} (${v.period})`,
  },
  lead: {
    request: (v: V) => `${v.unitName} is asked for its progress report on "${v.taskTitle}" for ${v.period}.`,
    reminder: (v: V) => `The progress report of ${v.unitName} on "${v.taskTitle}" for ${v.period} has not arrived yet.`,
    escalation: (v: V) =>
      `${v.unitName} has not submitted its progress report on "${v.taskTitle}" for ${v.period}, which was due on ${v.dueDay}.`,
  },
  facts: {
    plan: 'Plan',
    task: 'Task',
    unit: 'Responsible unit',
    period: 'Quarter',
    due: 'Due day',
    deadline: 'On time until',
  },
  next: {
    none: 'This is the last notice of the ladder; the missing report stays on record as missing.',
    reminder: (at: string) => `If no report arrives, a reminder follows on ${at}.`,
    unitLeader: (at: string) => `If no report arrives, the unit's leader is notified on ${at}.`,
    headquarters: (at: string) => `If no report arrives, headquarters is notified on ${at}.`,
    unit: (at: string) => `If no report arrives, another notice follows on ${at}.`,
  },
  howToReport: 'Reply with your report through the review-cycles portal or: npx review-cycles report submit',
  footer: 'Sent by review-cycles on behalf of headquarters.',
};

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
