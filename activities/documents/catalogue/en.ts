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
