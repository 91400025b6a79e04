/** Simplified Chinese texts of the notices (plan locale `zh-CN`). */
import type { Catalogue, LocalParts, V } from './en.js';

const QUARTER = /^(\d{4})-Q([1-4])$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2027-04-05` -> `2027年4月5日`; anything else unchanged. */
function day(d: string): string {
  const m = DAY.exec(d);
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : d;
}

/** `2027-Q1` -> `2027年第1季度`; anything else unchanged. */
function period(p: string): string {
  const m = QUARTER.exec(p);
  return m ? `${m[1]}年第${m[2]}季度` : p;
}

export const zhCN: Catalogue = {
  kind: { request: '报告请求', reminder: '催报提醒', escalation: '逾期督办', returned: '报告退回修改', extended: '报告延期' },
  subject: {
    request: (v: V) => `[${v.planId}] 报告请求：${v.taskTitle}（${v.period}），截止日期${v.dueDay}`,
    reminder: (v: V) => `[${v.planId}] 第${v.number}次提醒：${v.taskTitle}（${v.period}）的报告将于${v.dueDay}截止`,
    escalation: (v: V) => `[${v.planId}] 第${v.number}级督办：${v.unitName}尚未报送${v.taskTitle}（${v.period}）的进展报告`,
    returned: (v: V) => `[${v.planId}] 您的报告已退回修改：${v.taskTitle}（${v.period}），新截止日期${v.dueDay}`,
    extended: (v: V) => `[${v.planId}] 报告延期：${v.taskTitle}（${v.period}），新截止日期${v.dueDay}`,
  },
  lead: {
    request: (v: V) => `请${v.unitName}报送“${v.taskTitle}”${v.period}工作进展报告。`,
    reminder: (v: V) => `尚未收到${v.unitName}关于“${v.taskTitle}”${v.period}的工作进展报告。`,
    escalation: (v: V) => `${v.unitName}尚未报送“${v.taskTitle}”${v.period}的工作进展报告，该报告应于${v.dueDay}前报送。`,
    returned: (v: V) =>
      `您的报告已退回修改：总部请${v.unitName}修改“${v.taskTitle}”${v.period}的工作进展报告，并于${v.dueDay}前重新报送。`,
    extended: (v: V) => `总部同意${v.unitName}“${v.taskTitle}”${v.period}工作进展报告延期报送，新截止日期为${v.dueDay}。`,
  },
  facts: {
    plan: '计划',
    task: '任务',
    unit: '责任单位',
    period: '季度',
    due: '截止日期',
    newDue: '新截止日期',
    deadline: '按时报送截至',
    round: '修改轮次',
    previousDue: '原截止日期',
  },
  comment: '总部意见',
  reason: '延期理由',
  next: {
    none: '这是本季度的最后一次通知；未报送的报告将记录为缺报。',
    reminder: (at: string) => `如仍未报送，将于${at}发送提醒。`,
    unitLeader: (at: string) => `如仍未报送，将于${at}通知单位分管领导。`,
    headquarters: (at: string) => `如仍未报送，将于${at}报告总部。`,
    unit: (at: string) => `如仍未报送，将于${at}再次通知。`,
    revise: '请在新截止日期前报送修改后的报告。',
  },
  links: {
    report: '提交报告',
    leader: '分管单位报告（领导视图）',
    unit: '本单位在该计划中的全部报告',
  },
  sep: '：',
  howToReport: '请通过 review-cycles 门户报送，或使用命令：npx review-cycles report submit',
  footer: '本邮件由 review-cycles 代表总部发送。',
  digest: {
    kinds: {
      request: ['报告请求', '报告请求'],
      reminder: ['催报提醒', '催报提醒'],
      escalation: ['逾期督办', '逾期督办'],
      returned: ['退回修改的报告', '退回修改的报告'],
      extended: ['延期的报告', '延期的报告'],
      review: ['评估', '评估'],
      summary: ['总结', '总结'],
      lagging: ['进度滞后通知', '进度滞后通知'],
      'finding-assigned': ['整改问题交办', '整改问题交办'],
      'claim-received': ['待核验的销号申请', '待核验的销号申请'],
      'verify-reminder': ['待核验提醒', '待核验提醒'],
      'claim-rejected': ['被退回的销号申请', '被退回的销号申请'],
      recheck: ['回头看', '回头看'],
      'finding-reopened': ['重新打开的问题', '重新打开的问题'],
      'finding-extended': ['整改期限延期的问题', '整改期限延期的问题'],
    },
    count: (n: number, [one]: readonly [string, string]) => `${n}项${one}`,
    mixed: (n: number, parts: string[]) => `${n}项通知（${parts.join('，')}）`,
    subject: (planId: string, what: string, p?: string, dueDay?: string) => `[${planId}] ${what}${p ? `（${p}）` : ''}${dueDay ? `，截止日期${dueDay}` : ''}`,
    lead: (n: number, planTitle: string, at: string) => `“${planTitle}”于${at}向您发送${n}项通知，逐项列出如下，每项附有各自的链接。`,
    columns: { item: '任务', period: '季度', notice: '通知', due: '截止日期', lateness: '逾期情况', link: '链接' },
    notice: {
      request: () => '报告请求',
      reminder: (n: number) => `第${n}次提醒`,
      escalation: (n: number) => `第${n}级督办`,
      returned: (n: number) => `退回修改（第${n}轮）`,
      extended: (n: number) => `延期（第${n}次）`,
    },
    lateness: (days: number) => (days < 0 ? `还有${-days}天截止` : days === 0 ? '今日截止' : `已逾期${days}天`),
    none: '-',
    join: '；',
  },
  format: {
    day,
    period,
    periodFact: (p: string) => (QUARTER.test(p) ? `${period(p)}（${p}）` : p),
    time: (t: LocalParts, timezone: string) => `${Number(t.year)}年${Number(t.month)}月${Number(t.day)}日 ${t.hour}:${t.minute}（${timezone}）`,
  },
};
