/** Chinese texts of the review and summary documents. */
import type { ReviewCatalogue } from './en.js';

export const zhCN: ReviewCatalogue = {
  lang: 'zh-CN',
  heading: {
    review: (window: string) => `半年度评估 ${window}`,
    annual: (window: string) => `年度总结 ${window}`,
    plan: () => '规划期总结',
  },
  plan: '规划',
  madeAt: '截至',
  versions: '期间适用的方案版本',
  version: (n: number) => `第 ${n} 版`,
  versionFrom: (at: string) => `自 ${at} 起`,
  quarters: '涵盖季度',
  none: '无。',
  dash: '—',
  ranking: {
    title: '单位排名',
    rank: '名次',
    unit: '单位',
    due: '应报',
    onTime: '按时',
    late: '迟报',
    missing: '未报',
    daysLate: '迟报天数',
    escalations: '督办次数',
    onTimeRate: '按时率',
    change: (previousWindow: string) => `较 ${previousWindow} 变化`,
    newEntry: '新进',
    noUnits: '本期没有应报的单位。',
    findingsDue: '应整改问题',
    closedOnTime: '按期销号',
    closedLate: '逾期销号',
    findingsOverdue: '逾期未改',
    reopened: '回头看重启',
    closureRate: '按期销号率',
    score: '得分',
  },
  findings: {
    title: '督查问题整改',
    explain:
      '首轮整改期限在本期内且截至评估时已届满的问题计为本期应整改问题。' +
      '按期销号：在该轮期限届满前提交整改报告并获通过；逾期销号：期限届满后提交并获通过；' +
      '逾期未改：当前一轮期限已届满且该轮未提交整改报告；回头看重启：回头看时重新打开的次数。' +
      '按期销号率 = 按期销号 ÷ 应整改问题，排名时紧随按时率（无应整改问题的单位按全部销号计）。' +
      '有逾期未改问题的单位列为滞后单位，且不得评为先进。',
    unit: '单位',
    noFindings: '本期没有应整改的问题。',
    coverage: (covered: number, targets: number, inWindow: number, by: string) =>
      `督查覆盖：已覆盖${covered}个，共${targets}个（其中本期新覆盖${inWindow}个）；须于${by}前全部覆盖。`,
    uncovered: '尚未覆盖',
    coverageLate: (by: string) => `已过覆盖期限（${by}），仍未全部覆盖。`,
  },
  scores: {
    title: '考核得分',
    explain: (weights: string) =>
      `各单位得分（0-100）为各项得分的加权平均（${weights}）。` +
      '排名按得分由高到低；得分相同时按常规顺序（按时率、按期销号率、未报、迟报天数、督办次数、单位代码）。' +
      '无可计量内容的项取该单位其他各项的平均值（标 *）。',
    parts: {
      timeliness: '及时性：按时率',
      progress: '进度：目标任务中未落后于计划的比例',
      quality: '质量：已审核报告中未被退回即通过的比例',
      findings: '问题整改：按期销号率',
    } as Record<string, string>,
    short: { timeliness: '及时性', progress: '进度', quality: '质量', findings: '问题整改' } as Record<string, string>,
    weight: (part: string, weight: number) => `${part}，权重${weight}`,
    unit: '单位',
    how: '得分构成',
    sep: '；',
    averaged: '* 取其他各项的平均值',
    nothing: '无可计量内容',
  },
  advanced: { title: '先进单位', note: '激励先进' },
  backward: { title: '后进单位', note: '鞭策后进' },
  behindPlan: {
    title: '进度滞后的任务',
    task: '任务',
    metric: '指标',
    expected: '应完成',
    actual: '实际',
    total: '目标',
    noFigure: '未报数据',
  },
  flagged: {
    title: '偏离轨道或存在风险的报告',
    task: '任务',
    unit: '单位',
    period: '季度',
    status: '状态',
    problems: '问题',
    statuses: { 'off-track': '偏离轨道', 'at-risk': '存在风险' } as Record<string, string>,
  },
  lagging: {
    title: '按分管领导列出的滞后单位',
    leader: '分管领导',
    withoutLeader: '无分管领导的单位',
  },
  heatmap: {
    title: '各任务各季度报送情况',
    task: '任务',
    legend: '图例',
    inWindow: { html: '本期涵盖的季度加下划线', markdown: '本期涵盖的季度加粗' },
    codes: {
      S: '按时',
      L: '迟报',
      M: '未报',
      P: '未到期',
      U: '不跟踪',
    },
    otherAspect: '其他任务',
  },
  footer: '由 review-cycles 为牵头部门生成。',
};
