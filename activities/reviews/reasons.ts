/** Why a unit is lagging, in words: one catalogue per language, shared by the documents and the lagging notice. */
import type { LaggingReason } from '../../workflows/review/rank.js';

const figure = (x: number) => `${Math.round(x * 100) / 100}`;

type Words = { [K in LaggingReason['kind']]: (r: Extract<LaggingReason, { kind: K }>) => string };

const en: Words = {
  backward: (r) => `ranked among the backward (rank ${r.rank} of ${r.of})`,
  missing: (r) => `${r.count} report${r.count === 1 ? '' : 's'} missing`,
  overdueFindings: (r) => `${r.count} inspection finding${r.count === 1 ? '' : 's'} overdue`,
  behindPlan: (r) =>
    `task ${r.taskId} behind plan (${r.metric}: expected ${figure(r.expected)}, actual ${r.actual === null ? 'no figure reported' : figure(r.actual)})`,
};

const zhCN: Words = {
  backward: (r) => `排名靠后（第${r.rank}名，共${r.of}个单位）`,
  missing: (r) => `缺报${r.count}份`,
  overdueFindings: (r) => `${r.count}项督查问题逾期未整改`,
  behindPlan: (r) =>
    `任务 ${r.taskId} 进度落后于计划（${r.metric}：应达 ${figure(r.expected)}，实际 ${r.actual === null ? '未报数据' : figure(r.actual)}）`,
};

const catalogues: Record<string, Words> = { en, 'zh-CN': zhCN };

/** One reason in the plan's language (English when there is no catalogue for it). */
export function describeReason(reason: LaggingReason, locale: string): string {
  const words = catalogues[locale] ?? catalogues[locale.split('-')[0]] ?? en;
  return (words[reason.kind] as (r: LaggingReason) => string)(reason);
}
