/** English texts of the review and summary documents. A `zh-CN` catalogue has the same shape (see `ReviewCatalogue`). */
export const en = {
  /** The document's language, for `<html lang>`. */
  lang: 'en',
  heading: {
    review: (window: string) => `Semi-annual review ${window}`,
    annual: (window: string) => `Annual summary ${window}`,
    plan: () => 'Plan summary',
  },
  plan: 'Plan',
  madeAt: 'As of',
  versions: 'Plan versions in force',
  version: (n: number) => `version ${n}`,
  versionFrom: (at: string) => `from ${at}`,
  quarters: 'Quarters covered',
  none: 'None.',
  dash: '—',
  ranking: {
    title: 'Ranking of the units',
    rank: 'Rank',
    unit: 'Unit',
    due: 'Due',
    onTime: 'On time',
    late: 'Late',
    missing: 'Missing',
    daysLate: 'Days late',
    escalations: 'Escalations',
    onTimeRate: 'On-time rate',
    change: (previousWindow: string) => `Change since ${previousWindow}`,
    newEntry: 'new',
    noUnits: 'No unit had a report due in this window.',
    findingsDue: 'Findings due',
    closedOnTime: 'Closed on time',
    closedLate: 'Closed late',
    findingsOverdue: 'Findings overdue',
    reopened: 'Reopened',
    closureRate: 'Closure rate',
    score: 'Score',
  },
  findings: {
    title: 'Inspection findings',
    explain:
      "A finding is due in this window when its first deadline day falls in the window and had ended by the review's moment. " +
      "Closed on time: closed by a claim that arrived before its round's deadline ended; closed late: by a later claim; " +
      "overdue: past its current round's deadline with no claim in that round; reopened: reopenings at re-check. " +
      'The closure rate is closed on time / due; it ranks right after the on-time rate (a unit with none due ranks as fully closed). ' +
      'A unit with an overdue finding is lagging and is never named advanced.',
    unit: 'Unit',
    noFindings: 'No finding was due in this window.',
    coverage: (covered: number, targets: number, inWindow: number, by: string) =>
      `Coverage: ${covered} of ${targets} targets inspected (${inWindow} of them in this window); all are due by ${by}.`,
    uncovered: 'Not covered yet',
    coverageLate: (by: string) => `Coverage is incomplete past its day, ${by}.`,
  },
  scores: {
    title: 'Assessment scores',
    explain: (weights: string) =>
      `Each unit's score, from 0 to 100, is the weighted mean of its parts (${weights}). ` +
      'The ranking orders by score; equal scores keep the usual order (on-time rate, closure rate, missing, days late, escalations, unit id). ' +
      "A part with nothing to measure takes the unit's average of its other parts (marked *).",
    parts: {
      timeliness: 'timeliness: the on-time rate',
      progress: 'progress: the share of its target tasks not behind plan',
      quality: 'quality: the share of its decided reports accepted without a return',
      findings: 'findings: the closure rate',
    } as Record<string, string>,
    short: { timeliness: 'Timeliness', progress: 'Progress', quality: 'Quality', findings: 'Findings' } as Record<string, string>,
    weight: (part: string, weight: number) => `${part}, weight ${weight}`,
    unit: 'Unit',
    how: 'How it is made',
    sep: '; ',
    averaged: '* average of the other parts',
    nothing: 'nothing to measure',
  },
  advanced: { title: 'Advanced units', note: 'motivate the advanced' },
  backward: { title: 'Backward units', note: 'spur the backward' },
  behindPlan: {
    title: 'Tasks behind plan',
    task: 'Task',
    metric: 'Metric',
    expected: 'Expected',
    actual: 'Actual',
    total: 'Target',
    noFigure: 'no figure',
  },
  flagged: {
    title: 'Reports flagged off track or at risk',
    task: 'Task',
    unit: 'Unit',
    period: 'Quarter',
    status: 'Status',
    problems: 'Problems',
    statuses: { 'off-track': 'off track', 'at-risk': 'at risk' } as Record<string, string>,
  },
  lagging: {
    title: 'Lagging units by leader',
    leader: 'Leader',
    withoutLeader: 'Units without a leader',
  },
  heatmap: {
    title: 'Reporting status by task and quarter',
    task: 'Task',
    legend: 'Legend',
    /** How the HTML and the Markdown mark the quarters the window covers. */
    inWindow: { html: 'quarters of this window are underlined', markdown: 'quarters of this window in bold' },
    codes: {
      S: 'on time',
      L: 'late',
      M: 'missing',
      P: 'not yet due',
      U: 'not tracked',
    },
    otherAspect: 'Other tasks',
  },
  footer: 'Made by review-cycles for headquarters.',
};

export type ReviewCatalogue = typeof en;
